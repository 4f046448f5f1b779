package sip

import (
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-audio/wav"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/audio"
	"github.com/ivrd/ivrd/internal/testenv"
	"github.com/ivrd/ivrd/media"
)

// promptHandler answers every call with a 1 kHz tone prompt and hands
// the call to the test.
type promptHandler struct {
	prompt media.Clip
	calls  chan *Call
}

func (h *promptHandler) Route(string) bool { return true }

func (h *promptHandler) Serve(ctx context.Context, c *Call) {
	c.Media.Play(h.prompt, nil)
	h.calls <- c
	<-ctx.Done()
}

// toneNear is the energy of freq in pcm (8 kHz) relative to the whole:
// near 1 for a pure tone at freq (Goertzel).
func toneNear(pcm []int16, freq float64) float64 {
	k := 2 * math.Cos(2*math.Pi*freq/audio.SampleRate)
	var s1, s2, total float64
	for _, v := range pcm {
		x := float64(v)
		s1, s2 = x+k*s1-s2, s1
		total += x * x
	}
	if total == 0 {
		return 0
	}
	power := s1*s1 + s2*s2 - k*s1*s2
	return 2 * power / (float64(len(pcm)) * total)
}

// TestBaresipSRTPMandatoryHearsThePrompt: baresip, a real softphone, with
// SRTP mandatory on its account (RTP/SAVP and SDES keys), calls ivrd; ivrd
// answers with SRTP and plays a 1 kHz prompt, which baresip decrypts and
// decodes (its sndfile dump holds the tone); ivrd authenticates every
// packet baresip sends. The SIP is UDP, so keys over it are allowed
// explicitly, as a lab would.
func TestBaresipSRTPMandatoryHearsThePrompt(t *testing.T) {
	bin, err := exec.LookPath("baresip")
	if err != nil {
		t.Skip("baresip not installed (apt-get install baresip; .ci/run does)")
	}
	if _, err := os.Stat("/usr/lib/baresip/modules/srtp.so"); err != nil {
		t.Skip("baresip's srtp module is not installed")
	}
	h := &promptHandler{prompt: newToneClip(1000, 0, -10, 10000, 0), calls: make(chan *Call, 1)}
	r := newRigWith(t, func(c *Config, _ *media.EngineConfig) {
		c.SRTP = SRTPPolicy{Mode: SRTPRequired, InsecureSignalling: true}
	}, h)

	dir := t.TempDir()
	bsPort := testenv.BaresipPort(t)
	conf := fmt.Sprintf(`poll_method epoll
sip_listen 127.0.0.1:%d
net_interface 127.0.0.1
module_path /usr/lib/baresip/modules
module g711.so
module srtp.so
module aubridge.so
module sndfile.so
module menu.so
module account.so
audio_player aubridge,nowhere
audio_source aubridge,nowhere
audio_alert aubridge,nowhere
snd_path %s
`, bsPort, dir)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "config"), []byte(conf), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "accounts"),
		[]byte(fmt.Sprintf("<sip:alice@127.0.0.1:%d>;regint=0;mediaenc=srtp-mand\n", bsPort)), 0o644))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	bs := exec.CommandContext(ctx, bin, "-f", dir, "-t", "20", "-e", fmt.Sprintf("/dial sip:100@127.0.0.1:%d", r.srv.Addr("udp").Port()))
	log := &testenv.Buffer{}
	logText := func() string { return strings.Join(logLines(log), "\n") }
	bs.Stdout, bs.Stderr = log, log
	require.NoError(t, bs.Start())
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		// An interrupt lets baresip close its recordings before we read them.
		_ = bs.Process.Signal(os.Interrupt)
		exited := make(chan struct{})
		go func() { _ = bs.Wait(); close(exited) }()
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = bs.Process.Kill()
			<-exited
		}
	}
	t.Cleanup(stop)

	var call *Call
	select {
	case call = <-h.calls:
	case <-time.After(10 * time.Second):
		t.Fatalf("baresip's call never reached the handler:\n%s", logText())
	}
	mc := call.Negotiated()
	require.True(t, mc.SRTP.On(), "SRTP negotiated")
	assert.Equal(t, "RTP/SAVP", mc.Proto)
	t.Logf("suite %s", mc.SRTP)
	// baresip sends its own stream (silence); every packet authenticates.
	waitFor(t, "baresip's SRTP packets", func() bool { return call.Media.Stats().Received >= 50 })
	st := call.Media.Stats()
	assert.Zero(t, st.SRTPAuthFailed+st.SRTPRejected, "%+v", st)
	// Two seconds of prompt heard, then hang up.
	waitFor(t, "two seconds of prompt sent", func() bool { return call.Media.Stats().Sent >= 100 })
	stop()

	decs, _ := filepath.Glob(filepath.Join(dir, "dump-*-dec.wav"))
	require.Len(t, decs, 1, "baresip's decoded-audio dump:\n%s", logText())
	f, err := os.Open(decs[0])
	require.NoError(t, err)
	defer f.Close()
	buf, err := wav.NewDecoder(f).FullPCMBuffer()
	require.NoError(t, err)
	got := make([]int16, len(buf.Data))
	for i, v := range buf.Data {
		got[i] = int16(v)
	}
	rate := buf.Format.SampleRate
	require.Positive(t, rate)
	heard := 0
	window := rate / 5 // 200 ms
	for i := 0; i+window <= len(got); i += window {
		w := got[i : i+window]
		if rate != audio.SampleRate { // resample by picking: enough for a tone check
			step := rate / audio.SampleRate
			picked := make([]int16, 0, len(w)/max(step, 1))
			for j := 0; j < len(w); j += max(step, 1) {
				picked = append(picked, w[j])
			}
			w = picked
		}
		if toneNear(w, 1000) > 0.8 {
			heard++
		}
	}
	t.Logf("%d of %d windows hold the tone", heard, len(got)/window)
	assert.GreaterOrEqual(t, heard, 5, "baresip heard the 1 kHz prompt through SRTP for at least a second (%d samples at %d Hz)", len(got), rate)
}
