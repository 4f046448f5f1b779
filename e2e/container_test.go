package e2e

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/node/nodetest"
)

// TestContainerImage builds deploy/container/Dockerfile where a container
// engine runs (skipped elsewhere): the image runs as a non-root user,
// serves a configuration mounted at /etc/ivrd/ivrd.yaml (its API's
// /healthz answers through a port published on loopback), and stops
// cleanly on SIGTERM. compose.yaml is checked by `docker compose config`
// when the compose plugin is there.
func TestContainerImage(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds a container image")
	}
	docker, err := exec.LookPath("docker")
	if err != nil {
		t.Skip("no container engine (docker) installed")
	}
	if out, err := exec.Command(docker, "info").CombinedOutput(); err != nil {
		t.Skipf("no container engine running (docker info: %v): %s", err, nodetest.Tail(string(out), 300))
	}
	// The base images come from a registry: without them (no network, a
	// mirror missing them) there is nothing to build on.
	for _, base := range []string{"golang:1.26-bookworm", "gcr.io/distroless/static-debian12:nonroot"} {
		if out, err := exec.Command(docker, "pull", "-q", base).CombinedOutput(); err != nil {
			t.Skipf("base image %s not available (%v): %s", base, err, nodetest.Tail(string(out), 300))
		}
	}
	tag := "ivrd-e2e:" + strconv.Itoa(os.Getpid())
	build := exec.Command(docker, "build", "-f", "../deploy/container/Dockerfile", "-t", tag, "..")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "docker build:\n%s", nodetest.Tail(string(out), 3000))
	t.Cleanup(func() { _ = exec.Command(docker, "rmi", "-f", tag).Run() }) // best effort: the tag is this run's

	user, err := exec.Command(docker, "image", "inspect", "-f", "{{.Config.User}}", tag).Output()
	require.NoError(t, err)
	require.Equal(t, "65532:65532", strings.TrimSpace(string(user)), "the image runs as distroless' non-root user")

	dir := t.TempDir()
	cfg := filepath.Join(dir, "ivrd.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte(`server:
  sip: { listen: ["udp://0.0.0.0:5060"] }
  api: { listen: "0.0.0.0:8080" }
ivrs:
  - { id: main, extensions: ["100"], prompt: main-choices }
`), 0o644))
	port := freePortOn(t, "127.0.0.1")
	name := "ivrd-e2e-" + strconv.Itoa(os.Getpid())
	run := exec.Command(docker, "run", "-d", "--name", name, "--read-only", "--tmpfs", "/etc/ivrd/data:uid=65532",
		"-v", cfg+":/etc/ivrd/ivrd.yaml:ro", "-p", "127.0.0.1:"+strconv.Itoa(port)+":8080", tag)
	out, err = run.CombinedOutput()
	require.NoError(t, err, "docker run:\n%s", out)
	t.Cleanup(func() { _ = exec.Command(docker, "rm", "-f", name).Run() }) // gone already when stopped below
	logs := func() string {
		out, _ := exec.Command(docker, "logs", name).CombinedOutput()
		return nodetest.Tail(string(out), 3000)
	}
	nodetest.WaitUntil(t, 60*time.Second, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1:"+strconv.Itoa(port)+"/healthz", nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	}, func() string { return "the container's /healthz never answered 200:\n" + logs() })

	out, err = exec.Command(docker, "stop", "-t", "90", name).CombinedOutput()
	require.NoError(t, err, "docker stop: %s", out)
	code, err := exec.Command(docker, "inspect", "-f", "{{.State.ExitCode}}", name).Output()
	require.NoError(t, err)
	require.Equal(t, "0", strings.TrimSpace(string(code)), "ivrd exits 0 on SIGTERM:\n%s", logs())

	if exec.Command(docker, "compose", "version").Run() == nil {
		out, err := exec.Command(docker, "compose", "-f", "../deploy/container/compose.yaml", "config", "-q").CombinedOutput()
		require.NoError(t, err, "docker compose config:\n%s", out)
	}
}
