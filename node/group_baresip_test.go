package node

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/internal/testenv"
	"github.com/ivrd/ivrd/node/nodetest"
	"github.com/ivrd/ivrd/sip/siptest"
)

// startBaresip runs baresip registered to ivrd as ext (auto answer,
// speaking a 1 kHz tone) and waits (bounded) for the registration.
func startBaresip(t *testing.T, svc *Node, ivrdPort int, ext, password string) *testenv.Buffer {
	t.Helper()
	bin, err := exec.LookPath("baresip")
	if err != nil {
		t.Skip("baresip not installed (apt-get install baresip; .ci/run does)")
	}
	dir := t.TempDir()
	writeTone(t, filepath.Join(dir, "tone.wav"), 1000, 20*time.Second)
	conf := fmt.Sprintf(`poll_method epoll
sip_listen 127.0.0.1:%d
net_interface 127.0.0.1
module_path /usr/lib/baresip/modules
module g711.so
module aufile.so
module aubridge.so
module account.so
audio_player aubridge,nowhere
audio_source aufile,%s/tone.wav
audio_alert aubridge,nowhere
`, nodetest.Port(t, 1), dir)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "config"), []byte(conf), 0o644))
	acct := fmt.Sprintf("<sip:%s@127.0.0.1:%d;transport=udp>;auth_pass=%s;answermode=auto;regint=300\n", ext, ivrdPort, password)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "accounts"), []byte(acct), 0o644))
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	t.Cleanup(cancel)
	bs := exec.CommandContext(ctx, bin, "-f", dir, "-t", "30")
	log := &testenv.Buffer{}
	bs.Stdout, bs.Stderr = log, log
	bs.Stdin = strings.NewReader("")
	require.NoError(t, bs.Start())
	t.Cleanup(func() { _ = bs.Process.Kill(); _ = bs.Wait() })
	waitUntil(t, 15*time.Second, func() bool { return len(svc.sip.Contacts(ext)) > 0 },
		func() string { return "baresip did not register:\n" + log.String() })
	return log
}

// TestGroupRingAllBaresipAnswers: a ringall group of a phone that only
// rings (static contact) and baresip registered as 1001; baresip answers
// automatically, the ringing phone gets CANCEL, and the caller hears
// baresip's tone through the bridge.
func TestGroupRingAllBaresipAnswers(t *testing.T) {
	testenv.SkipUnderRace(t, "a real baresip phone")
	t.Parallel()
	if _, err := exec.LookPath("baresip"); err != nil {
		t.Skip("baresip not installed (apt-get install baresip; .ci/run does)")
	}
	quiet := siptest.NewFarEnd(t, "noanswer")
	ivrdPort := nodetest.Port(t, 0)
	svc := startConfig(t, writeConfig(t, `
server:
  sip: { listen: ["udp://127.0.0.1:IVRDPORT"] }
  media: { rtp_ports: "RTP_RANGE" }
prompts_dir: "PROMPTS"
extensions:
  - { number: "1001", password: "alice-secret" }
  - { number: "1002", contact: "QUIET" }
groups:
  - { id: desk, members: ["1002", "1001"], strategy: ringall, timeout: 20s }
ivrs:
  - { id: main, extensions: ["100"], prompt: beep, keys: { "1": { group: desk } } }
`, "IVRDPORT", strconv.Itoa(ivrdPort), "QUIET", quiet.URI()))
	log := startBaresip(t, svc, ivrdPort, "1001", "alice-secret")
	c, _ := groupCall(t, svc)
	waitInvite(t, quiet, "member 1002")
	waitCancel(t, quiet, "member 1002, once baresip answered")
	waitUntil(t, 10*time.Second, func() bool { return containsTone(heard(c.Packets()), 1000) },
		func() string { return "no audio from baresip:\n" + log.String() })
}
