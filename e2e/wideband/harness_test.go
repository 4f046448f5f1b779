package wideband

import (
	"cmp"
	"fmt"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-audio/wav"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/audio"
	"github.com/ivrd/ivrd/internal/testenv"
)

// waitFor waits (bounded) for what cond observes, naming it and showing
// the log's tail if it never comes.
func waitFor(t *testing.T, what string, within time.Duration, cond func() bool, log func() string) {
	t.Helper()
	if !assert.Eventually(t, cond, within, 20*time.Millisecond, "no %s within %v", what, within) {
		t.Fatalf("the log's tail:\n%s", tail(log(), 3000))
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// freePort is a port nothing listens on just now (UDP and TCP).
func freePort(t *testing.T) int {
	t.Helper()
	for range 50 {
		u, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		require.NoError(t, err)
		port := u.LocalAddr().(*net.UDPAddr).Port
		l, err := net.Listen("tcp4", fmt.Sprintf("127.0.0.1:%d", port))
		_ = u.Close()
		if err == nil {
			_ = l.Close()
			return port
		}
	}
	t.Fatal("no free port")
	return 0
}

// buildIvrd builds the server as an operator does, into a temporary
// folder (with go build's extra flags: -tags for Opus).
func buildIvrd(t *testing.T, flags ...string) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not in PATH: cannot build ivrd")
	}
	bin := filepath.Join(t.TempDir(), "ivrd")
	args := append(append([]string{"build"}, flags...), "-o", bin, "../../cmd/ivrd")
	out, err := exec.Command(goTool, args...).CombinedOutput()
	require.NoError(t, err, "go build ./cmd/ivrd:\n%s", out)
	return bin
}

// promptTones is the wideband test prompt's content: 1 kHz (in every
// codec's band) and 5 kHz (in G.722's, beyond G.711's), each at this
// amplitude.
const (
	lowTone, highTone = 1000.0, 5000.0
	toneAmp           = 6000.0
)

// writeWidebandPrompt writes a 16 kHz WAV of the two tones, secs long.
func writeWidebandPrompt(t *testing.T, path string, secs float64) {
	t.Helper()
	n := int(secs * audio.G722SampleRate)
	pcm := make([]int16, n)
	for i := range pcm {
		ts := float64(i) / audio.G722SampleRate
		pcm[i] = int16(toneAmp*math.Sin(2*math.Pi*lowTone*ts) + toneAmp*math.Sin(2*math.Pi*highTone*ts))
	}
	f, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, audio.WriteWAVAt(f, pcm, audio.G722SampleRate))
	require.NoError(t, f.Close())
}

// server is a running ivrd.
type server struct {
	sipPort int // UDP
	tlsPort int // 0: no tls:// listener
	log     *testenv.Buffer
}

// ivrdOptions are what a test changes in ivrd's configuration.
type ivrdOptions struct {
	inband string    // server.media.inband
	tls    *tlsFiles // nil: UDP only; else a tls:// listener with these files
	srtp   string    // server.media.srtp ("": off)
	codecs string    // server.media.codecs ("": G722, PCMU, PCMA)
}

// startIvrd serves the test menu over UDP with in-band detection as
// inband says.
func startIvrd(t *testing.T, bin, inband string) *server {
	t.Helper()
	return startIvrdWith(t, bin, ivrdOptions{inband: inband})
}

// startIvrdWith writes a configuration (a menu at 100 whose prompt is the
// wideband test prompt, key 4 transferring by REFER to
// sip:sales@127.0.0.1:5070, G722 preferred unless opts name the codecs,
// the rest as opts say) and serves it; the process is stopped when the
// test ends.
func startIvrdWith(t *testing.T, bin string, opts ivrdOptions) *server {
	t.Helper()
	dir := t.TempDir()
	prompts := filepath.Join(dir, "prompts")
	require.NoError(t, os.Mkdir(prompts, 0o755))
	writeWidebandPrompt(t, filepath.Join(prompts, "wide.wav"), 4)
	srv := &server{sipPort: freePort(t), log: &testenv.Buffer{}}
	apiPort := freePort(t)
	listen := fmt.Sprintf(`"udp://127.0.0.1:%d"`, srv.sipPort)
	sipTLS := ""
	if opts.tls != nil {
		srv.tlsPort = freePort(t)
		listen += fmt.Sprintf(`, "tls://127.0.0.1:%d"`, srv.tlsPort)
		sipTLS = fmt.Sprintf(", tls: { cert: %q, key: %q }", opts.tls.cert, opts.tls.key)
	}
	srtp := cmp.Or(opts.srtp, "off")
	rtpBase := 42000 + (os.Getpid()%100)*40
	cfg := fmt.Sprintf(`server:
  sip: { listen: [%s]%s }
  media: { rtp_ports: "%d-%d", codecs: [%s], inband: %s, srtp: %s, overload_guard: false }
  api: { listen: "127.0.0.1:%d" }
  store: "sqlite://%s/ivrd.db"
prompts_dir: %q
voicemail_dir: %q
trunks:
  - { name: loadgen, uri: "sip:127.0.0.1:5070", inbound_from: ["127.0.0.1"] }
ivrs:
  - id: main
    extensions: ["100"]
    prompt: wide
    response_timeout: 10s
    transfer: refer
    keys:
      "4": { uri: "sip:sales@127.0.0.1:5070" }
`, listen, sipTLS, rtpBase, rtpBase+39, cmp.Or(opts.codecs, "G722, PCMU, PCMA"), opts.inband, srtp, apiPort, dir, prompts, filepath.Join(dir, "voicemail"))
	path := filepath.Join(dir, "ivrd.yaml")
	require.NoError(t, os.WriteFile(path, []byte(cfg), 0o644))
	cmd := exec.Command(bin, "serve", "--config", path)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = srv.log, srv.log
	require.NoError(t, cmd.Start())
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	waitFor(t, "ivrd listening", 20*time.Second, func() bool {
		select {
		case <-exited:
			t.Fatalf("ivrd exited:\n%s", srv.log.String())
		default:
		}
		return strings.Contains(srv.log.String(), "listening")
	}, srv.log.String)
	return srv
}

// amplitudeAt is a tone's amplitude at f in pcm (rate Hz), by projection.
func amplitudeAt(pcm []int16, rate int, f float64) float64 {
	var c, s float64
	for i, v := range pcm {
		w := 2 * math.Pi * f * float64(i) / float64(rate)
		c += float64(v) * math.Cos(w)
		s += float64(v) * math.Sin(w)
	}
	return 2 * math.Hypot(c, s) / float64(len(pcm))
}

func rms(pcm []int16) float64 {
	var s float64
	for _, v := range pcm {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s / float64(len(pcm)))
}

// waitAcceptingCalls waits until ivrd answers OPTIONS with 200 (its
// overload guard is off in this configuration: the machine's other tests
// would otherwise make it refuse calls now and then).
func (s *server) waitAcceptingCalls(t *testing.T) {
	t.Helper()
	conn, err := net.Dial("udp4", fmt.Sprintf("127.0.0.1:%d", s.sipPort))
	require.NoError(t, err)
	defer func() { _ = conn.Close() }()
	local := conn.LocalAddr().String()
	i, last := 0, ""
	require.Eventually(t, func() bool {
		i++
		msg := fmt.Sprintf("OPTIONS sip:127.0.0.1:%d SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-wb-%d\r\n"+
			"From: <sip:probe@%s>;tag=wb\r\nTo: <sip:127.0.0.1:%d>\r\nCall-ID: wideband-probe-%d\r\nCSeq: %d OPTIONS\r\n"+
			"Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n", s.sipPort, local, i, local, s.sipPort, i, i+1)
		if _, err := conn.Write([]byte(msg)); err != nil {
			return false
		}
		buf := make([]byte, 2048)
		_ = conn.SetReadDeadline(time.Now().Add(time.Second))
		n, err := conn.Read(buf)
		if err != nil {
			return false
		}
		last, _, _ = strings.Cut(string(buf[:n]), "\r\n")
		return strings.HasPrefix(last, "SIP/2.0 200")
	}, 20*time.Second, 100*time.Millisecond, "ivrd never accepted calls (last answer to OPTIONS: %q)", last)
}

// readWAV is a 16-bit mono WAV's samples and rate.
func readWAV(t *testing.T, path string) ([]int16, int) {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer func() { _ = f.Close() }()
	dec := wav.NewDecoder(f)
	buf, err := dec.FullPCMBuffer()
	require.NoError(t, err, "reading %s", path)
	pcm := make([]int16, len(buf.Data))
	for i, v := range buf.Data {
		pcm[i] = int16(v)
	}
	return pcm, int(dec.SampleRate)
}

// requireHeardWidebandPrompt checks a client's recording of what it
// decoded: 16 kHz audio whose loud 100 ms windows (the prompt plays from
// the answer until the key) hold both of the prompt's tones at level
// each (the prompt's toneAmp, or what the client's decoder makes of
// it), for at least minWindows windows. The 5 kHz tone is beyond any
// 8 kHz path: hearing it proves the call was wideband end to end.
func requireHeardWidebandPrompt(t *testing.T, pcm []int16, rate int, level float64, minWindows int) {
	t.Helper()
	require.Equal(t, 16000, rate, "the client decoded 16 kHz audio")
	var seen []string
	windows := 0
	for i := 0; i+1600 <= len(pcm); i += 1600 {
		w := pcm[i : i+1600]
		if rms(w) < level/2 {
			continue
		}
		lo, hi := amplitudeAt(w, 16000, lowTone), amplitudeAt(w, 16000, highTone)
		seen = append(seen, fmt.Sprintf("%.0f/%.0f", lo, hi))
		if lo > level*0.9 && lo < level*1.1 && hi > level*0.8 && hi < level*1.2 {
			windows++
		}
	}
	t.Logf("1 kHz/5 kHz amplitude per loud 100 ms window: %v", seen)
	require.GreaterOrEqual(t, windows, minWindows, "the prompt in wideband: 1 kHz/5 kHz amplitudes per window %v (want ~%v each)", seen, level)
}

// callAnswered is ivrd's log line for the answered call (its codec, and
// its SRTP suite or RTP).
func (s *server) callAnswered(t *testing.T) string {
	t.Helper()
	return s.logLine(t, "call answered", `msg="call answered"`)
}

// callEnded waits for ivrd's log line for the ended call (its RTP and
// SRTP counts).
func (s *server) callEnded(t *testing.T) string {
	t.Helper()
	return s.logLine(t, "call ended", `msg="call ended"`)
}

// logLine waits (bounded) for the first line of ivrd's log holding text.
func (s *server) logLine(t *testing.T, what, text string) string {
	t.Helper()
	find := func() string {
		for _, line := range strings.Split(s.log.String(), "\n") {
			if strings.Contains(line, text) {
				return line
			}
		}
		return ""
	}
	waitFor(t, "ivrd logging "+what, 10*time.Second, func() bool { return find() != "" }, s.log.String)
	return find()
}
