//go:build opus

package wideband

import (
	"context"
	"fmt"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	goaudio "github.com/go-audio/audio"
	"github.com/go-audio/wav"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/bench/ivrload"
	"github.com/ivrd/ivrd/internal/testenv"
)

// opusTags builds ivrd with Opus, as make does where libopus is found.
const opusTags = "opus,nolibopusfile"

// baresipOpus finds baresip and its Opus module, or skips saying which is
// missing.
func baresipOpus(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("baresip")
	if err != nil {
		t.Skip("baresip not installed (apt-get install baresip; .ci/run does)")
	}
	if _, err := os.Stat("/usr/lib/baresip/modules/opus.so"); err != nil {
		t.Skip("baresip's opus module is missing (/usr/lib/baresip/modules/opus.so)")
	}
	return bin
}

// runBaresip starts baresip with conf in its own folder dialling the
// menu at 100; it is stopped when the test ends (or by stop, which waits
// for it to close its recordings).
func runBaresip(t *testing.T, bin, dir, conf string, bsPort, sipPort int) (log *testenv.Buffer, stop func()) {
	t.Helper()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "config"), []byte(conf), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "accounts"), []byte(fmt.Sprintf("<sip:alice@127.0.0.1:%d>;regint=0\n", bsPort)), 0o644))
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	t.Cleanup(cancel)
	bs := exec.CommandContext(ctx, bin, "-f", dir, "-t", "30", "-e", fmt.Sprintf("/dial sip:100@127.0.0.1:%d", sipPort))
	log = &testenv.Buffer{}
	bs.Stdout, bs.Stderr = log, log
	require.NoError(t, bs.Start())
	exited := make(chan struct{})
	go func() { _ = bs.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = bs.Process.Kill()
		<-exited
	})
	stop = func() {
		_ = bs.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = bs.Process.Kill()
		}
	}
	return log, stop
}

// TestBaresipOpusHearsWidebandPromptAndPressesAKey: baresip with only its
// Opus codec calls the IVR. ivrd answers in Opus and plays the 16 kHz
// prompt: what baresip decoded (its sndfile recording) holds both of the
// prompt's tones, the 5 kHz one too, which no 8 kHz path carries, at
// about the prompt's level. Its user presses 4 (an RFC 4733 event); the
// menu hears it once and transfers the call by REFER.
func TestBaresipOpusHearsWidebandPromptAndPressesAKey(t *testing.T) {
	bin := baresipOpus(t)
	srv := startIvrdWith(t, buildIvrd(t, "-tags", opusTags), ivrdOptions{inband: "auto", codecs: "opus, G722, PCMU"})
	srv.waitAcceptingCalls(t)

	dir := t.TempDir()
	bsPort, consPort := testenv.BaresipPort(t), freePort(t)
	log, stop := runBaresip(t, bin, dir, fmt.Sprintf(`poll_method epoll
sip_listen 127.0.0.1:%d
net_interface 127.0.0.1
module_path /usr/lib/baresip/modules
module opus.so
module aubridge.so
module sndfile.so
module cons.so
module menu.so
module account.so
cons_listen 127.0.0.1:%d
audio_player aubridge,nowhere
audio_source aubridge,nowhere
audio_alert aubridge,nowhere
snd_path %s
`, bsPort, consPort, dir), bsPort, srv.sipPort)
	waitFor(t, "call established", 15*time.Second, func() bool { return strings.Contains(log.String(), "Call established") }, log.String)
	// baresip is established at the 200; ivrd logs the answer once the ACK is in.
	waitFor(t, "ivrd to answer in Opus", 10*time.Second, func() bool { return strings.Contains(srv.log.String(), "codec=opus") }, srv.log.String)

	// Two seconds of the prompt, then the key.
	time.Sleep(2 * time.Second) // the length of audio to record, not a synchronisation
	console, err := net.Dial("udp", fmt.Sprintf("127.0.0.1:%d", consPort))
	require.NoError(t, err)
	defer func() { _ = console.Close() }()
	_, err = console.Write([]byte("4"))
	require.NoError(t, err)
	waitFor(t, "DTMF sent", 15*time.Second, func() bool { return strings.Contains(log.String(), "send DTMF digit: '4'") }, log.String)
	waitFor(t, "transfer", 15*time.Second, func() bool { return strings.Contains(log.String(), "transferring call") }, log.String)
	require.Contains(t, log.String(), "<sip:sales@127.0.0.1:5070>", "to the key's destination")
	require.Equal(t, 1, strings.Count(srv.log.String(), "msg=digit "), "one digit heard:\n%s", tail(srv.log.String(), 3000))
	require.Contains(t, srv.log.String(), "key=4 method=rfc4733")

	stop()
	decs, _ := filepath.Glob(filepath.Join(dir, "dump-*-dec.wav"))
	require.NotEmpty(t, decs, "baresip's recording of what it decoded:\n%s", tail(log.String(), 2000))
	pcm, rate := readFirstChannel(t, decs[0])
	// The prompt plays from the answer until the key: the loudest
	// 100 ms windows are it. Each must hold both tones near their level
	// (Opus is a perceptual coder: a pure tone comes back within ~2 dB).
	var seen []string
	windows, win := 0, rate/10
	for i := 0; i+win <= len(pcm); i += win {
		w := pcm[i : i+win]
		if rms(w) < toneAmp/2 {
			continue
		}
		lo, hi := amplitudeAt(w, rate, lowTone), amplitudeAt(w, rate, highTone)
		seen = append(seen, fmt.Sprintf("%.0f/%.0f", lo, hi))
		if lo > toneAmp*0.75 && lo < toneAmp*1.25 && hi > toneAmp*0.7 && hi < toneAmp*1.3 {
			windows++
		}
	}
	t.Logf("baresip decoded %d Hz; 1 kHz/5 kHz amplitude per loud 100 ms window: %v", rate, seen)
	require.GreaterOrEqual(t, windows, 10, "at least a second of the prompt in wideband: 1 kHz/5 kHz amplitudes per window %v (want ~%v each)", seen, toneAmp)
}

// readFirstChannel reads a WAV recording's first channel and its rate.
func readFirstChannel(t *testing.T, path string) ([]int16, int) {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer func() { _ = f.Close() }()
	dec := wav.NewDecoder(f)
	buf, err := dec.FullPCMBuffer()
	require.NoError(t, err)
	ch := int(dec.NumChans)
	require.Positive(t, ch)
	pcm := make([]int16, len(buf.Data)/ch)
	for i := range pcm {
		pcm[i] = int16(buf.Data[i*ch])
	}
	return pcm, int(dec.SampleRate)
}

// TestBaresipOpusInbandKey: ivrd's Opus decoding meets another encoder.
// baresip (Opus only) sends a recording: silence, then key 4's tone pair.
// ivrd decodes baresip's Opus, brings it to 8 kHz, its in-band detector
// hears the 4 (inband: always), and the menu transfers the call by REFER.
func TestBaresipOpusInbandKey(t *testing.T) {
	bin := baresipOpus(t)
	srv := startIvrdWith(t, buildIvrd(t, "-tags", opusTags), ivrdOptions{inband: "always", codecs: "opus, PCMU"})
	srv.waitAcceptingCalls(t)

	dir := t.TempDir()
	writeKeyRecordingAt(t, filepath.Join(dir, "key4.wav"), 48000)
	bsPort := testenv.BaresipPort(t)
	log, _ := runBaresip(t, bin, dir, fmt.Sprintf(`poll_method epoll
sip_listen 127.0.0.1:%d
net_interface 127.0.0.1
module_path /usr/lib/baresip/modules
module opus.so
module aufile.so
module aubridge.so
module menu.so
module account.so
audio_player aubridge,nowhere
audio_source aufile,%s/key4.wav
audio_alert aubridge,nowhere
`, bsPort, dir), bsPort, srv.sipPort)
	waitFor(t, "call established", 15*time.Second, func() bool { return strings.Contains(log.String(), "Call established") }, log.String)
	// baresip is established at the 200; ivrd logs the answer once the ACK is in.
	waitFor(t, "ivrd to answer in Opus", 10*time.Second, func() bool { return strings.Contains(srv.log.String(), "codec=opus") }, srv.log.String)
	waitFor(t, "transfer", 15*time.Second, func() bool { return strings.Contains(log.String(), "transferring call") }, func() string {
		return log.String() + "\n--- ivrd:\n" + tail(srv.log.String(), 2000)
	})
	require.Contains(t, srv.log.String(), "key=4 method=inband", "heard in the audio, through ivrd's Opus decoder")
	require.Equal(t, 1, strings.Count(srv.log.String(), "msg=digit "), "one digit heard:\n%s", tail(srv.log.String(), 3000))
}

// writeKeyRecordingAt writes a stereo WAV at rate (baresip's aufile
// wants the codec's own format, opus/48000/2): 1.5 s of silence, key 4
// (770 and 1209 Hz at -10 dBm0 each) for 150 ms, then 10 s of silence.
func writeKeyRecordingAt(t *testing.T, path string, rate int) {
	t.Helper()
	pcm := make([]int16, rate*23/2+rate*15/100)
	amp := 32767 * math.Pow(10, (-10-3.14)/20)
	start := rate * 3 / 2
	for i := start; i < start+rate*15/100; i++ {
		ts := float64(i-start) / float64(rate)
		pcm[i] = int16(amp*math.Sin(2*math.Pi*770*ts) + amp*math.Sin(2*math.Pi*1209*ts))
	}
	stereo := make([]int, 2*len(pcm))
	for i, v := range pcm {
		stereo[2*i], stereo[2*i+1] = int(v), int(v)
	}
	f, err := os.Create(path)
	require.NoError(t, err)
	enc := wav.NewEncoder(f, rate, 16, 2, 1)
	require.NoError(t, enc.Write(&goaudio.IntBuffer{Format: &goaudio.Format{NumChannels: 2, SampleRate: rate}, Data: stereo, SourceBitDepth: 16}))
	require.NoError(t, enc.Close())
	require.NoError(t, f.Close())
}

// TestOpusCallsPressKeys: callers offering Opus alone (ivrload --codec
// opus, under payload type 111) are answered in Opus, hear the menu (a
// stream at 50 packets a second, nothing lost), and their key reaches the
// menu, which transfers each call by REFER: pressed as RFC 4733 events,
// and in-band, where the detector hears the tones through ivrd's Opus
// decoding.
func TestOpusCallsPressKeys(t *testing.T) {
	srv := startIvrdWith(t, buildIvrd(t, "-tags", opusTags), ivrdOptions{inband: "auto", codecs: "opus, G722, PCMU"})
	for _, tc := range []struct {
		method string
		te     uint8
	}{{"rfc4733", 101}, {"inband", 0}} {
		t.Run(tc.method, func(t *testing.T) {
			srv.waitAcceptingCalls(t)
			answeredBefore := strings.Count(srv.log.String(), "codec=opus")
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			const calls = 3
			res, err := ivrload.Run(ctx, ivrload.Config{
				Target: fmt.Sprintf("127.0.0.1:%d", srv.sipPort), To: "100", Codec: ivrload.CodecOpus,
				Calls: calls, Rate: 10, Hold: 6 * time.Second,
				Digit: '4', DigitAfter: 3 * time.Second, DigitMethod: tc.method, TelephoneEvent: tc.te,
				Workers: 1,
			})
			require.NoError(t, err)
			t.Log(res.Summary())
			require.Zero(t, res.Failed, "failures: %v\n%s", res.Failures, tail(srv.log.String(), 3000))
			require.Equal(t, calls, res.Succeeded)
			require.NotNil(t, res.Digit)
			require.Equal(t, calls, res.Digit.Pressed, "every call presses 4")
			require.Equal(t, calls, res.Digit.Actions, "and is referred:\n%s", tail(srv.log.String(), 3000))
			require.Equal(t, calls, res.RTP.Streams)
			if res.RTP.StreamsSilent != 0 || res.RTP.Lost != 0 || res.RTP.BadPackets != 0 {
				t.Fatalf("audio: %+v", res.RTP)
			}
			require.Equal(t, calls, strings.Count(srv.log.String(), "codec=opus")-answeredBefore, "calls answered in Opus")
		})
	}
}
