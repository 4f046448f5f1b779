package e2e

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/internal/testenv"
	"github.com/ivrd/ivrd/node/nodetest"
)

// The overload guard as shipped (server.media.overload_guard defaults to
// true), end to end on the built binary, where a host's stalls are not
// overload: the whole process is stopped twice for 1.2 s (a hypervisor's
// steal, a live migration), so its pacers wake far later than the
// guard's 1.5 ms, but their loop was idle: refusing calls would not cure
// the host, only turn its jitter into an outage. The node keeps
// answering OPTIONS with 200, /readyz stays ready and
// ivrd_media_overloaded 0. (Lateness with a busy loop is refused:
// media's TestOverloadFromPacerLateness and TestOverloadGuardIsTheServers,
// sip's TestOverloadIsServiceUnavailable; the guard's curve under real
// load is bench/overload.sh's.)
func TestOverloadGuardIgnoresTheStallsOfAnIdleHost(t *testing.T) {
	testenv.SkipUnderRace(t, "builds and stops a real ivrd process")
	if testing.Short() {
		t.Skip("-short: starts the ivrd binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "ivrd")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/ivrd").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	prompts := filepath.Join(dir, "prompts")
	require.NoError(t, os.MkdirAll(prompts, 0o755))
	nodetest.WriteTone(t, filepath.Join(prompts, "beep.wav"), 500, 200*time.Millisecond)
	sipPort, apiPort := freePortOn(t, "127.0.0.1"), freePortOn(t, "127.0.0.1")
	rtp := 24000 + (os.Getpid()%200)*20
	cfg := fmt.Sprintf(`server:
  sip: { listen: ["udp://127.0.0.1:%d"] }
  media: { rtp_ports: "%d-%d" }
  api: { listen: "127.0.0.1:%d" }
  store: "sqlite://%s/ivrd.db"
prompts_dir: %q
ivrs:
  - { id: main, extensions: ["100"], prompt: beep }
`, sipPort, rtp, rtp+19, apiPort, dir, prompts)
	path := filepath.Join(dir, "ivrd.yaml")
	require.NoError(t, os.WriteFile(path, []byte(cfg), 0o600))
	logPath := filepath.Join(dir, "ivrd.log")
	logFile, err := os.Create(logPath)
	require.NoError(t, err)
	defer logFile.Close()
	cmd := exec.Command(bin, "serve", "--config", path)
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, logFile, logFile
	require.NoError(t, cmd.Start())
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGCONT)
		_ = cmd.Process.Kill()
		<-exited
	})
	probe := optionsProbe(t, sipPort)
	api := fmt.Sprintf("http://127.0.0.1:%d", apiPort)
	why := func() string { return "log:\n" + tailFile(logPath, 2000) }

	nodetest.WaitUntil(t, nodetest.Patience, func() bool { return probe() == 200 }, why)
	// The API listener may open a moment after SIP's: wait for it to be
	// ready too before the stall.
	nodetest.WaitUntil(t, nodetest.Patience, func() bool { return readyStatus(api+"/readyz") == http.StatusOK }, why)

	// Two stalls of 1.2 s in a row: each makes every tick of a half-second
	// window late when the process runs again (media/overload.go needs
	// two late windows in a row). The stall is the stimulus, not a wait.
	for range 2 {
		require.NoError(t, cmd.Process.Signal(syscall.SIGSTOP))
		time.Sleep(1200 * time.Millisecond)
		require.NoError(t, cmd.Process.Signal(syscall.SIGCONT))
	}
	// Watched for four of the guard's windows (two would enter): every
	// probe answered 200. A probe each 100 ms, as a proxy's keep-alive
	// would (faster trips the per-source packet limit).
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for until := time.Now().Add(4 * 500 * time.Millisecond); time.Now().Before(until); <-tick.C {
		require.Equal(t, 200, probe(), "OPTIONS after the host's stalls; "+why())
	}
	require.Equal(t, http.StatusOK, httpStatus(t, api+"/readyz"), "/readyz after the stalls")
	require.Contains(t, metric(t, api+"/metrics", "ivrd_media_overloaded "), "ivrd_media_overloaded 0")
}

// optionsProbe returns a function that sends one OPTIONS to the server
// and returns the status code of its answer (0 for none within a second).
func optionsProbe(t *testing.T, port int) func() int {
	t.Helper()
	conn, err := net.Dial("udp4", fmt.Sprintf("127.0.0.1:%d", port))
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	local := conn.LocalAddr().String()
	i := 0
	buf := make([]byte, 2048)
	return func() int {
		i++
		msg := fmt.Sprintf("OPTIONS sip:127.0.0.1:%d SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-ovl-%d\r\n"+
			"From: <sip:probe@%s>;tag=ovl\r\nTo: <sip:127.0.0.1:%d>\r\nCall-ID: overload-probe-%d\r\nCSeq: %d OPTIONS\r\n"+
			"Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n", port, local, i, local, port, i, i)
		if _, err := conn.Write([]byte(msg)); err != nil {
			return 0
		}
		// Answers to earlier probes may still arrive: read until this
		// probe's own, by its CSeq.
		want := fmt.Sprintf("CSeq: %d OPTIONS", i)
		for {
			_ = conn.SetReadDeadline(time.Now().Add(time.Second))
			n, err := conn.Read(buf)
			if err != nil {
				return 0
			}
			answer := string(buf[:n])
			if !strings.Contains(answer, want) {
				continue
			}
			var code int
			if _, err := fmt.Sscanf(answer, "SIP/2.0 %d", &code); err != nil {
				return 0
			}
			return code
		}
	}
}

// readyStatus is url's status, 0 while nothing answers there.
func readyStatus(url string) int {
	res, err := http.Get(url) //nolint:gosec,noctx // a loopback test URL
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, res.Body)
	_ = res.Body.Close()
	return res.StatusCode
}

func httpStatus(t *testing.T, url string) int {
	t.Helper()
	res, err := http.Get(url) //nolint:gosec,noctx // a loopback test URL
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, res.Body)
	_ = res.Body.Close()
	return res.StatusCode
}

// metric is the line of the unauthenticated /metrics page that starts
// with name, or "" when there is none.
func metric(t *testing.T, url, name string) string {
	t.Helper()
	res, err := http.Get(url) //nolint:gosec,noctx // a loopback test URL
	require.NoError(t, err)
	body, err := io.ReadAll(res.Body)
	_ = res.Body.Close()
	require.NoError(t, err)
	for line := range strings.SplitSeq(string(body), "\n") {
		if strings.HasPrefix(line, name) {
			return line
		}
	}
	return ""
}
