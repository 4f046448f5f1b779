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

	"github.com/go-audio/wav"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/audio"
	"github.com/ivrd/ivrd/internal/testenv"
)

// TestBaresipG722HearsWidebandPromptAndPressesAKey: baresip, a real
// softphone with only its G.722 codec loaded, calls the IVR. ivrd answers
// in G.722 and plays the 16 kHz prompt: what baresip decoded (its sndfile
// recording) is 16 kHz audio holding both of the prompt's tones, the
// 5 kHz one too, which no 8 kHz path carries, at the prompt's level.
// Its user presses 4 (baresip sends an RFC 4733 event); the menu hears
// it once and transfers the call by REFER, which baresip carries out.
func TestBaresipG722HearsWidebandPromptAndPressesAKey(t *testing.T) {
	bin, err := exec.LookPath("baresip")
	if err != nil {
		t.Skip("baresip not installed (apt-get install baresip; .ci/run does)")
	}
	if _, err := os.Stat("/usr/lib/baresip/modules/g722.so"); err != nil {
		t.Skip("baresip's g722 module is missing (/usr/lib/baresip/modules/g722.so)")
	}
	srv := startIvrd(t, buildIvrd(t), "auto")
	srv.waitAcceptingCalls(t)

	dir := t.TempDir()
	bsPort, consPort := testenv.BaresipPort(t), freePort(t)
	conf := fmt.Sprintf(`poll_method epoll
sip_listen 127.0.0.1:%d
net_interface 127.0.0.1
module_path /usr/lib/baresip/modules
module g722.so
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
`, bsPort, consPort, dir)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "config"), []byte(conf), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "accounts"), []byte(fmt.Sprintf("<sip:alice@127.0.0.1:%d>;regint=0\n", bsPort)), 0o644))
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	bs := exec.CommandContext(ctx, bin, "-f", dir, "-t", "30", "-e", fmt.Sprintf("/dial sip:100@127.0.0.1:%d", srv.sipPort))
	log := &syncBuffer{}
	bs.Stdout, bs.Stderr = log, log
	require.NoError(t, bs.Start())
	exited := make(chan struct{})
	go func() { _ = bs.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = bs.Process.Kill()
		<-exited
	})
	waitFor(t, "call established", 15*time.Second, func() bool { return strings.Contains(log.String(), "Call established") }, log.String)
	require.Contains(t, srv.log.String(), "codec=G722", "ivrd answered in G.722")

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

	// Stop baresip so it closes its recordings before they are read.
	_ = bs.Process.Signal(os.Interrupt)
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		_ = bs.Process.Kill()
	}
	decs, _ := filepath.Glob(filepath.Join(dir, "dump-*-dec.wav"))
	require.NotEmpty(t, decs, "baresip's recording of what it decoded:\n%s", tail(log.String(), 2000))
	f, err := os.Open(decs[0])
	require.NoError(t, err)
	defer func() { _ = f.Close() }()
	dec := wav.NewDecoder(f)
	buf, err := dec.FullPCMBuffer()
	require.NoError(t, err)
	require.Equal(t, 16000, int(dec.SampleRate), "baresip decoded 16 kHz audio")
	pcm := make([]int16, len(buf.Data))
	for i, v := range buf.Data {
		pcm[i] = int16(v)
	}
	// The prompt plays from the answer until the key: the loudest
	// 100 ms windows are it. Each must hold both tones at their level.
	var seen []string
	windows := 0
	for i := 0; i+1600 <= len(pcm); i += 1600 {
		w := pcm[i : i+1600]
		if rms(w) < toneAmp/2 {
			continue
		}
		lo, hi := amplitudeAt(w, 16000, lowTone), amplitudeAt(w, 16000, highTone)
		seen = append(seen, fmt.Sprintf("%.0f/%.0f", lo, hi))
		if lo > toneAmp*0.9 && lo < toneAmp*1.1 && hi > toneAmp*0.8 && hi < toneAmp*1.2 {
			windows++
		}
	}
	t.Logf("1 kHz/5 kHz amplitude per loud 100 ms window: %v", seen)
	require.GreaterOrEqual(t, windows, 10, "at least a second of the prompt in wideband: 1 kHz/5 kHz amplitudes per window %v (want ~%v each)", seen, toneAmp)
}

// TestBaresipG722InbandKey: ivrd's G.722 decoder meets another encoder.
// baresip (G.722 only) sends a recording: silence, then key 4's tone
// pair, at 16 kHz. ivrd decodes baresip's G.722, its in-band detector
// hears the 4 (inband: always, so the telephone-event baresip offers
// does not switch it off), and the menu transfers the call by REFER.
func TestBaresipG722InbandKey(t *testing.T) {
	bin, err := exec.LookPath("baresip")
	if err != nil {
		t.Skip("baresip not installed (apt-get install baresip; .ci/run does)")
	}
	if _, err := os.Stat("/usr/lib/baresip/modules/g722.so"); err != nil {
		t.Skip("baresip's g722 module is missing (/usr/lib/baresip/modules/g722.so)")
	}
	srv := startIvrd(t, buildIvrd(t), "always")
	srv.waitAcceptingCalls(t)

	dir := t.TempDir()
	writeKeyRecording(t, filepath.Join(dir, "key4.wav"))
	bsPort := testenv.BaresipPort(t)
	conf := fmt.Sprintf(`poll_method epoll
sip_listen 127.0.0.1:%d
net_interface 127.0.0.1
module_path /usr/lib/baresip/modules
module g722.so
module aufile.so
module aubridge.so
module menu.so
module account.so
audio_player aubridge,nowhere
audio_source aufile,%s/key4.wav
audio_alert aubridge,nowhere
`, bsPort, dir)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "config"), []byte(conf), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "accounts"), []byte(fmt.Sprintf("<sip:alice@127.0.0.1:%d>;regint=0\n", bsPort)), 0o644))
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	bs := exec.CommandContext(ctx, bin, "-f", dir, "-t", "30", "-e", fmt.Sprintf("/dial sip:100@127.0.0.1:%d", srv.sipPort))
	log := &syncBuffer{}
	bs.Stdout, bs.Stderr = log, log
	require.NoError(t, bs.Start())
	exited := make(chan struct{})
	go func() { _ = bs.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = bs.Process.Kill()
		<-exited
	})
	waitFor(t, "call established", 15*time.Second, func() bool { return strings.Contains(log.String(), "Call established") }, log.String)
	require.Contains(t, srv.log.String(), "codec=G722", "ivrd answered in G.722")
	waitFor(t, "transfer", 15*time.Second, func() bool { return strings.Contains(log.String(), "transferring call") }, func() string {
		return log.String() + "\n--- ivrd:\n" + tail(srv.log.String(), 2000)
	})
	require.Contains(t, srv.log.String(), "key=4 method=inband", "heard in the audio, through ivrd's G.722 decoder")
	require.Equal(t, 1, strings.Count(srv.log.String(), "msg=digit "), "one digit heard:\n%s", tail(srv.log.String(), 3000))
}

// writeKeyRecording writes a 16 kHz WAV: 1.5 s of silence, key 4 (770 and
// 1209 Hz at -10 dBm0 each) for 150 ms, then 10 s of silence.
func writeKeyRecording(t *testing.T, path string) {
	t.Helper()
	const rate = 16000
	pcm := make([]int16, rate*23/2+rate*15/100)
	amp := 32767 * math.Pow(10, (-10-3.14)/20)
	start := rate * 3 / 2
	for i := start; i < start+rate*15/100; i++ {
		ts := float64(i-start) / rate
		pcm[i] = int16(amp*math.Sin(2*math.Pi*770*ts) + amp*math.Sin(2*math.Pi*1209*ts))
	}
	f, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, audio.WriteWAVAt(f, pcm, rate))
	require.NoError(t, f.Close())
}
