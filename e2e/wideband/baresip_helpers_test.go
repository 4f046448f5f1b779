package wideband

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/internal/testenv"
)

// baresipOptions say how the test's baresip is set up: its codec modules
// and what it does with audio, SIP and keys.
type baresipOptions struct {
	codecs   []string // module files, e.g. "g722.so"
	caFile   string   // the CA its TLS transport trusts ("": none)
	mediaenc string   // the account's mediaenc ("": plain RTP), e.g. "srtp-mand"
	source   string   // a WAV it sends ("": silence)
	record   bool     // its sndfile module writes what it sends and decodes
	console  bool     // its cons module takes keys over UDP (press)
	dial     string   // the URI it calls at start
}

// baresipPhone is a running baresip.
type baresipPhone struct {
	dir      string
	consPort int
	log      *testenv.Buffer
	cmd      *exec.Cmd
	exited   chan struct{}
}

// needBaresip skips the test when baresip, or one of the modules it
// needs, is not installed, and in a -race build (ivrd runs as its own
// binary, built without the detector: the race build would add nothing).
func needBaresip(t *testing.T, modules ...string) string {
	t.Helper()
	testenv.SkipUnderRace(t, "a real baresip phone calling the ivrd binary")
	bin, err := exec.LookPath("baresip")
	if err != nil {
		t.Skip("baresip not installed (apt-get install baresip; .ci/run does)")
	}
	for _, m := range modules {
		if _, err := os.Stat(filepath.Join("/usr/lib/baresip/modules", m)); err != nil {
			t.Skipf("baresip's %s module is missing (/usr/lib/baresip/modules/%s)", strings.TrimSuffix(m, ".so"), m)
		}
	}
	return bin
}

// startBaresip writes baresip's configuration and account in a folder of
// its own and starts it (30 s at most, in a process group of its own);
// it is stopped when the test ends.
func startBaresip(t *testing.T, bin string, opts baresipOptions) *baresipPhone {
	t.Helper()
	p := &baresipPhone{dir: t.TempDir(), log: &testenv.Buffer{}, exited: make(chan struct{})}
	port := testenv.BaresipPort(t)
	var conf strings.Builder
	fmt.Fprintf(&conf, "poll_method epoll\nsip_listen 127.0.0.1:%d\nnet_interface 127.0.0.1\nmodule_path /usr/lib/baresip/modules\n", port)
	if opts.caFile != "" {
		fmt.Fprintf(&conf, "sip_cafile %s\n", opts.caFile)
	}
	modules := append([]string{}, opts.codecs...)
	if opts.mediaenc != "" {
		modules = append(modules, "srtp.so")
	}
	modules = append(modules, "aufile.so", "aubridge.so", "menu.so", "account.so")
	if opts.record {
		modules = append(modules, "sndfile.so")
		fmt.Fprintf(&conf, "snd_path %s\n", p.dir)
	}
	if opts.console {
		modules = append(modules, "cons.so")
		p.consPort = freePort(t)
		fmt.Fprintf(&conf, "cons_listen 127.0.0.1:%d\n", p.consPort)
	}
	for _, m := range modules {
		fmt.Fprintf(&conf, "module %s\n", m)
	}
	source := "aubridge,nowhere"
	if opts.source != "" {
		source = "aufile," + opts.source
	}
	fmt.Fprintf(&conf, "audio_player aubridge,nowhere\naudio_source %s\naudio_alert aubridge,nowhere\n", source)
	require.NoError(t, os.WriteFile(filepath.Join(p.dir, "config"), []byte(conf.String()), 0o644))
	account := fmt.Sprintf("<sip:alice@127.0.0.1:%d>;regint=0", port)
	if opts.mediaenc != "" {
		account += ";mediaenc=" + opts.mediaenc
	}
	require.NoError(t, os.WriteFile(filepath.Join(p.dir, "accounts"), []byte(account+"\n"), 0o644))

	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	t.Cleanup(cancel)
	p.cmd = exec.CommandContext(ctx, bin, "-s", "-f", p.dir, "-t", "30", "-e", "/dial "+opts.dial)
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	p.cmd.Cancel = func() error { return syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL) }
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	require.NoError(t, p.cmd.Start())
	go func() { _ = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.exited
	})
	return p
}

// waitLog waits (bounded) for text in baresip's output.
func (p *baresipPhone) waitLog(t *testing.T, what, text string, within time.Duration) {
	t.Helper()
	waitFor(t, what, within, func() bool { return strings.Contains(p.log.String(), text) }, p.log.String)
}

// press sends key through baresip's console: its user pressing it
// during the call (baresip sends it as an RFC 4733 event).
func (p *baresipPhone) press(t *testing.T, key string) {
	t.Helper()
	require.NotZero(t, p.consPort, "baresip was started without its console")
	console, err := net.Dial("udp", fmt.Sprintf("127.0.0.1:%d", p.consPort))
	require.NoError(t, err)
	defer func() { _ = console.Close() }()
	_, err = console.Write([]byte(key))
	require.NoError(t, err)
	p.waitLog(t, "DTMF sent", fmt.Sprintf("send DTMF digit: '%s'", key), 15*time.Second)
}

// stop interrupts baresip, which then closes its recordings, and waits
// for it to exit (killing its group after 5 s).
func (p *baresipPhone) stop() {
	_ = p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.exited:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.exited
	}
}

// decoded is what baresip decoded from the call (its sndfile recording;
// stop it first) and that recording's sample rate.
func (p *baresipPhone) decoded(t *testing.T) ([]int16, int) {
	t.Helper()
	decs, _ := filepath.Glob(filepath.Join(p.dir, "dump-*-dec.wav"))
	require.NotEmpty(t, decs, "baresip's recording of what it decoded:\n%s", tail(p.log.String(), 2000))
	return readWAV(t, decs[0])
}
