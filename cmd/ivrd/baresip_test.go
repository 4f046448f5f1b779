package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-audio/wav"
	"github.com/stretchr/testify/require"
)

// TestBaresipExtensionEndToEnd: baresip, a real softphone, registers as
// extension 1001 and answers automatically, playing a 1 kHz tone. A caller
// dials the IVR and presses 3; ivrd rings 1001's registered contact,
// baresip answers, audio flows both ways (the caller hears the tone,
// baresip decodes the caller's stream), the caller hangs up and
// baresip's leg ends.
func TestBaresipExtensionEndToEnd(t *testing.T) {
	bin, err := exec.LookPath("baresip")
	if err != nil {
		t.Skip("baresip not installed (apt-get install baresip; .ci/run does)")
	}
	ivrdPort := freeUDPPort(t)
	svc := startConfig(t, writeConfig(t, `
server:
  sip: { listen: ["udp://127.0.0.1:IVRDPORT"] }
  media: { rtp_ports: "RTP_RANGE" }
prompts_dir: "PROMPTS"
extensions: [{ number: "1001", password: "alice-secret" }]
ivrs:
  - { id: main, extensions: ["100"], prompt: beep, transfer: bridge, keys: { "3": { extension: "1001" } } }
`, "IVRDPORT", strconv.Itoa(ivrdPort)))

	dir := t.TempDir()
	writeTone(t, filepath.Join(dir, "tone.wav"), 1000, 20*time.Second)
	bsPort := freeUDPPort(t)
	conf := fmt.Sprintf(`poll_method epoll
sip_listen 127.0.0.1:%d
module_path /usr/lib/baresip/modules
module g711.so
module aufile.so
module aubridge.so
module sndfile.so
module account.so
audio_player aubridge,nowhere
audio_source aufile,%s/tone.wav
audio_alert aubridge,nowhere
snd_path %s
`, bsPort, dir, dir)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "config"), []byte(conf), 0o644))
	acct := fmt.Sprintf("<sip:1001@127.0.0.1:%d;transport=udp>;auth_pass=alice-secret;answermode=auto;regint=300\n", ivrdPort)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "accounts"), []byte(acct), 0o644))
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	bs := exec.CommandContext(ctx, bin, "-f", dir, "-t", "30")
	log := &syncBuffer{} // written by exec's copying goroutines while we poll it
	bs.Stdout, bs.Stderr = log, log
	bs.Stdin = strings.NewReader("")
	require.NoError(t, bs.Start())
	defer bs.Process.Kill()
	deadline := time.Now().Add(10 * time.Second)
	for len(svc.sip.Contacts("1001")) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("baresip did not register:\n%s", log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}

	c := newCaller(t)
	call, err := c.Call(ctx, svc.sip.Addr("udp"), "100")
	require.NoError(t, err)
	var seq uint16 = 10
	time.Sleep(300 * time.Millisecond)
	sendEvent(t, c, call.Media, 101, '3', &seq, 1000)
	deadline = time.Now().Add(8 * time.Second)
	for !containsTone(heard(c.Packets()), 1000) {
		if time.Now().After(deadline) {
			t.Fatalf("no audio from baresip:\n%s", log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Talk to baresip for a second (a 500 Hz tone), then hang up.
	require.NoError(t, c.SendTone(call.Media, 500, 50, &seq))
	require.NoError(t, call.Dialog.Bye(ctx))
	deadline = time.Now().Add(5 * time.Second)
	for !strings.Contains(log.String(), "closed") && !strings.Contains(log.String(), "terminated") {
		if time.Now().After(deadline) {
			t.Fatalf("baresip's call did not end:\n%s", log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("baresip:\n%s", tail(log.String(), 600))
	// Stop baresip so it closes its recordings before we read them.
	bs.Process.Signal(os.Interrupt)
	exited := make(chan struct{})
	go func() { bs.Wait(); close(exited) }()
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		bs.Process.Kill()
	}
	// What baresip decoded from ivrd holds the caller's 500 Hz tone.
	decs, _ := filepath.Glob(filepath.Join(dir, "dump-*-dec.wav"))
	require.Len(t, decs, 1)
	f, err := os.Open(decs[0])
	require.NoError(t, err)
	defer f.Close()
	buf, err := wav.NewDecoder(f).FullPCMBuffer()
	require.NoError(t, err)
	pcm := make([]int16, len(buf.Data))
	for i, v := range buf.Data {
		pcm[i] = int16(v)
	}
	found := false
	var seen []string
	for i := 0; i+1600 <= len(pcm); i += 800 {
		w := pcm[i : i+1600]
		f := toneIn(w, 300, 500, 1000, 2000)
		seen = append(seen, fmt.Sprintf("%.0f@%.0f", f, rms(w)))
		if rms(w) > 1000 && f == 500 {
			found = true
		}
	}
	require.True(t, found, "baresip heard the caller through the bridge: %d samples, windows %v", len(pcm), seen)
}

func rms(pcm []int16) float64 {
	var s float64
	for _, v := range pcm {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s / float64(len(pcm)))
}
