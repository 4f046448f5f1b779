package wideband

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/audio"
	"github.com/ivrd/ivrd/internal/testenv"
)

// linphoneOptions say how the test's linphonec (linphone's console
// client) is set up.
type linphoneOptions struct {
	tls    bool   // SIP over TLS only (else UDP only)
	caFile string // the CA it trusts for TLS (its root_ca)
	srtp   bool   // SRTP mandatory (SDES keys)
	codec  string // its only enabled audio codec: "G722", "PCMU" or "PCMA"
	dial   string // the URI it calls
}

// linphoneCodec names an audio codec in a linphonerc.
type linphoneCodec struct {
	mime           string
	rate, channels int
}

// linphoneCodecs are the audio codecs linphone offers by default (and
// the usual ones besides); each gets a section in its configuration, so
// only the one the test names is enabled. mediastreamer registers opus
// with two channels.
func linphoneCodecs() []linphoneCodec {
	return []linphoneCodec{
		{"G722", 8000, 1}, {"PCMU", 8000, 1}, {"PCMA", 8000, 1}, {"opus", 48000, 2},
		{"speex", 16000, 1}, {"speex", 8000, 1}, {"speex", 32000, 1}, {"G729", 8000, 1}, {"GSM", 8000, 1},
	}
}

// linphonePhone is a running linphonec, driven through its standard
// input as a user types commands.
type linphonePhone struct {
	dir     string
	logFile string // liblinphone's log (-l): SIP, SDP, the streams
	rec     string // what it decoded, recorded by its file sound mode
	out     *testenv.Buffer
	stdin   io.WriteCloser
	cmd     *exec.Cmd
	exited  chan struct{}
}

// needLinphone skips the test when linphonec is not installed, and in a
// -race build (ivrd runs as its own binary, built without the detector).
func needLinphone(t *testing.T) string {
	t.Helper()
	testenv.SkipUnderRace(t, "a real linphone phone calling the ivrd binary")
	bin, err := exec.LookPath("linphonec")
	if err != nil {
		t.Skip("linphonec not installed (apt-get install linphone-cli; .ci/run does)")
	}
	return bin
}

// linphoneConfig is a linphonerc for opts. Notes on what a headless
// linphone needs:
//   - bind_address and [rtp] bind_address 127.0.0.1: otherwise it puts
//     the host's first global address (IPv6 here) in its Contact and SDP;
//   - use_ipv6=0 sticks only with ipv6_migration_done=1 (without it
//     liblinphone drops use_ipv6 as an old setting);
//   - port -1 is a random port, 0 turns the transport off.
func linphoneConfig(opts linphoneOptions) string {
	var b strings.Builder
	udp, tls := "-1", "0"
	if opts.tls {
		udp, tls = "0", "-1"
	}
	fmt.Fprintf(&b, `[sip]
use_ipv6=0
ipv6_migration_done=1
bind_address=127.0.0.1
sip_port=%s
sip_tcp_port=0
sip_tls_port=%s
default_proxy=-1
contact=sip:bob@127.0.0.1
use_rfc2833=1
use_info=0
`, udp, tls)
	if opts.caFile != "" {
		fmt.Fprintf(&b, "root_ca=%s\nverify_server_certs=1\nverify_server_cn=1\n", opts.caFile)
	}
	if opts.srtp {
		b.WriteString("media_encryption=srtp\nmedia_encryption_mandatory=1\n")
	}
	b.WriteString(`[rtp]
audio_rtp_port=-1
bind_address=127.0.0.1
[sound]
echocancellation=0
[video]
enabled=0
capture=0
display=0
automatically_initiate=0
`)
	n := 0
	for _, c := range linphoneCodecs() {
		if c.mime == opts.codec {
			fmt.Fprintf(&b, "[audio_codec_%d]\nmime=%s\nrate=%d\nchannels=%d\nenabled=1\n", n, c.mime, c.rate, c.channels)
			n++
		}
	}
	for _, c := range linphoneCodecs() {
		if c.mime != opts.codec {
			fmt.Fprintf(&b, "[audio_codec_%d]\nmime=%s\nrate=%d\nchannels=%d\nenabled=0\n", n, c.mime, c.rate, c.channels)
			n++
		}
	}
	return b.String()
}

// startLinphone writes linphonec's configuration, starts it (its own
// HOME, its own process group, 40 s at most), sets it to play silence
// and record what it decodes to files instead of a sound card, and
// places the call. It is stopped when the test ends.
func startLinphone(t *testing.T, bin string, opts linphoneOptions) *linphonePhone {
	t.Helper()
	dir := t.TempDir()
	p := &linphonePhone{dir: dir, logFile: filepath.Join(dir, "linphone.log"), rec: filepath.Join(dir, "heard.wav"),
		out: &testenv.Buffer{}, exited: make(chan struct{})}
	rc := filepath.Join(dir, "linphonerc")
	require.NoError(t, os.WriteFile(rc, []byte(linphoneConfig(opts)), 0o600))
	// liblinphone keeps its call history in HOME/.local/share/linphone;
	// when it cannot open that database the core never starts its SIP
	// transports (every call then fails with "no listening point").
	require.NoError(t, os.MkdirAll(filepath.Join(dir, ".local", "share", "linphone"), 0o700))
	silence := filepath.Join(dir, "silence.wav")
	f, err := os.Create(silence)
	require.NoError(t, err)
	require.NoError(t, audio.WriteWAVAt(f, make([]int16, 16000*30), 16000))
	require.NoError(t, f.Close())

	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	t.Cleanup(cancel)
	p.cmd = exec.CommandContext(ctx, bin, "-c", rc, "-d", "6", "-l", p.logFile)
	p.cmd.Dir = dir
	p.cmd.Env = append(os.Environ(), "HOME="+dir)
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	p.cmd.Cancel = func() error { return syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL) }
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	p.stdin, err = p.cmd.StdinPipe()
	require.NoError(t, err)
	require.NoError(t, p.cmd.Start())
	go func() { _ = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.exited
	})
	// Its SIP transport is up once the core has seen the network.
	p.waitLog(t, "linphone's SIP transport", "Creating listening point", 15*time.Second)
	p.send(t, "soundcard use files")
	p.send(t, "play "+silence)
	p.send(t, "record "+p.rec)
	p.send(t, "call "+opts.dial)
	return p
}

// send types a command line.
func (p *linphonePhone) send(t *testing.T, line string) {
	t.Helper()
	_, err := io.WriteString(p.stdin, line+"\n")
	require.NoError(t, err, "linphonec's input (%s)", line)
}

// log is liblinphone's log so far.
func (p *linphonePhone) log() string {
	b, _ := os.ReadFile(p.logFile)
	return string(b)
}

// both is linphonec's console and the tail of its log, for failures.
func (p *linphonePhone) both() string {
	return p.out.String() + "\n--- linphone's log:\n" + tail(p.log(), 4000)
}

// waitOut waits (bounded) for text on linphonec's console.
func (p *linphonePhone) waitOut(t *testing.T, what, text string, within time.Duration) {
	t.Helper()
	waitFor(t, what, within, func() bool { return strings.Contains(p.out.String(), text) }, p.both)
}

// waitLog waits (bounded) for text in liblinphone's log.
func (p *linphonePhone) waitLog(t *testing.T, what, text string, within time.Duration) {
	t.Helper()
	waitFor(t, what, within, func() bool { return strings.Contains(p.log(), text) }, p.both)
}

// waitRecorded waits until its recording holds secs seconds at rate Hz.
func (p *linphonePhone) waitRecorded(t *testing.T, secs float64, rate int) {
	t.Helper()
	want := int64(secs * float64(rate) * 2)
	waitFor(t, fmt.Sprintf("%.1f s of audio recorded", secs), 15*time.Second, func() bool {
		st, err := os.Stat(p.rec)
		return err == nil && st.Size() >= want
	}, p.both)
}

// stop hangs up and quits (linphone closes its recording), waiting for
// it to exit; its group is killed after 5 s.
func (p *linphonePhone) stop(t *testing.T) {
	t.Helper()
	p.send(t, "terminate")
	p.send(t, "quit")
	select {
	case <-p.exited:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.exited
	}
}

// recorded is what linphone decoded (stop it first) and its rate.
// linphone's WAV writer leaves a data length as long as the whole file
// (44 bytes more than it holds), so the samples are read to the end of
// the file rather than trusted to the header.
func (p *linphonePhone) recorded(t *testing.T) ([]int16, int) {
	t.Helper()
	b, err := os.ReadFile(p.rec)
	require.NoError(t, err, "linphone's recording:\n%s", p.both())
	require.Greater(t, len(b), 44, "linphone's recording is empty")
	require.Equal(t, "RIFF", string(b[0:4]))
	require.Equal(t, "WAVE", string(b[8:12]))
	rate := int(b[24]) | int(b[25])<<8 | int(b[26])<<16 | int(b[27])<<24
	require.Equal(t, 1, int(b[22]), "mono")
	require.Equal(t, 16, int(b[34]), "16-bit samples")
	i := strings.Index(string(b[:200]), "data")
	require.Positive(t, i, "the data chunk")
	data := b[i+8:]
	pcm := make([]int16, len(data)/2)
	for j := range pcm {
		pcm[j] = int16(uint16(data[2*j]) | uint16(data[2*j+1])<<8)
	}
	return pcm, rate
}
