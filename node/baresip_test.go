package node

import (
	"context"
	"fmt"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-audio/wav"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/internal/testenv"
	"github.com/ivrd/ivrd/node/nodetest"
)

// TestBaresipExtensionEndToEnd: baresip, a real softphone, registers as
// extension 1001 and answers automatically, playing a 1 kHz tone. A caller
// dials the IVR and presses 3; ivrd rings 1001's registered contact,
// baresip answers, audio flows both ways (the caller hears the tone,
// baresip decodes the caller's stream), the caller hangs up and
// baresip's leg ends.
func TestBaresipExtensionEndToEnd(t *testing.T) {
	testenv.SkipUnderRace(t, "a real baresip phone")
	t.Parallel()
	bin, err := exec.LookPath("baresip")
	if err != nil {
		t.Skip("baresip not installed (apt-get install baresip; .ci/run does)")
	}
	ivrdPort := nodetest.Port(t, 0)
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
	bsPort := nodetest.Port(t, 1)
	conf := fmt.Sprintf(`poll_method epoll
sip_listen 127.0.0.1:%d
net_interface 127.0.0.1
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
	log := &testenv.Buffer{} // written by exec's copying goroutines while we poll it
	bs.Stdout, bs.Stderr = log, log
	bs.Stdin = strings.NewReader("")
	require.NoError(t, bs.Start())
	defer bs.Process.Kill()
	waitUntil(t, 10*time.Second, func() bool { return len(svc.sip.Contacts("1001")) > 0 },
		func() string { return "baresip did not register:\n" + log.String() })

	c := newCaller(t)
	call, err := c.Call(ctx, svc.sip.Addr("udp"), "100")
	require.NoError(t, err)
	var seq uint16 = 10
	waitPrompt(t, c)
	sendEvent(t, c, call.Media, 101, '3', &seq, 1000)
	waitUntil(t, 8*time.Second, func() bool { return containsTone(heard(c.Packets()), 1000) },
		func() string { return "no audio from baresip:\n" + log.String() })
	// Talk to baresip for a second (a 500 Hz tone), then hang up.
	require.NoError(t, c.SendTone(call.Media, 500, 50, &seq))
	require.NoError(t, call.Dialog.Bye(ctx))
	waitUntil(t, 5*time.Second, func() bool {
		return strings.Contains(log.String(), "closed") || strings.Contains(log.String(), "terminated")
	}, func() string { return "baresip's call did not end:\n" + log.String() })
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

// TestBaresipCallsAndPressesAKey: baresip, a real softphone, dials the
// IVR and its user presses 4 (sent on baresip's UDP console, as a keyboard
// would); baresip sends it as an RFC 4733 event, ivrd hears it once and
// transfers the call by REFER, which baresip carries out.
func TestBaresipCallsAndPressesAKey(t *testing.T) {
	testenv.SkipUnderRace(t, "a real baresip phone")
	t.Parallel()
	bin, err := exec.LookPath("baresip")
	if err != nil {
		t.Skip("baresip not installed (apt-get install baresip; .ci/run does)")
	}
	ivrdPort := nodetest.Port(t, 0)
	ivrdLog := &testenv.Buffer{}
	svc, err := newService(writeConfig(t, `
server:
  sip: { listen: ["udp://127.0.0.1:IVRDPORT"] }
  media: { rtp_ports: "RTP_RANGE" }
prompts_dir: "PROMPTS"
ivrs:
  - { id: main, extensions: ["100"], prompt: beep, transfer: refer, keys: { "4": { uri: "sip:sales@127.0.0.1:5070" } } }
`, "IVRDPORT", strconv.Itoa(ivrdPort)), ivrdLog, "info")
	require.NoError(t, err)
	require.NoError(t, svc.Start(context.Background()))
	t.Cleanup(svc.Close)

	dir := t.TempDir()
	bsPort, consPort := nodetest.Port(t, 1), nodetest.Port(t, 2)
	conf := fmt.Sprintf(`poll_method epoll
sip_listen 127.0.0.1:%d
net_interface 127.0.0.1
module_path /usr/lib/baresip/modules
module g711.so
module aubridge.so
module cons.so
module menu.so
module account.so
cons_listen 127.0.0.1:%d
audio_player aubridge,nowhere
audio_source aubridge,nowhere
audio_alert aubridge,nowhere
`, bsPort, consPort)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "config"), []byte(conf), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "accounts"), []byte(fmt.Sprintf("<sip:alice@127.0.0.1:%d>;regint=0\n", bsPort)), 0o644))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	bs := exec.CommandContext(ctx, bin, "-f", dir, "-t", "20", "-e", fmt.Sprintf("/dial sip:100@127.0.0.1:%d", ivrdPort))
	log := &testenv.Buffer{}
	bs.Stdout, bs.Stderr = log, log
	require.NoError(t, bs.Start())
	defer func() { bs.Process.Kill(); bs.Wait() }()
	waitLog := func(what, text string, within time.Duration) {
		t.Helper()
		waitUntil(t, within, func() bool { return strings.Contains(log.String(), text) },
			func() string { return fmt.Sprintf("baresip: no %s:\n%s", what, tail(log.String(), 2000)) })
	}
	waitLog("call", "Call established", 10*time.Second)
	console, err := net.Dial("udp", fmt.Sprintf("127.0.0.1:%d", consPort))
	require.NoError(t, err)
	defer console.Close()
	// The console takes keys as UDP datagrams, which a loaded machine may
	// drop: press again, as a person would, until baresip says it sent it.
	var lastPress time.Time
	waitUntil(t, 15*time.Second, func() bool {
		if strings.Contains(log.String(), "send DTMF digit: '4'") {
			return true
		}
		if time.Since(lastPress) > 3*time.Second {
			if !lastPress.IsZero() {
				t.Logf("baresip took no key in 3 s: pressing 4 again")
			}
			_, err := console.Write([]byte("4"))
			require.NoError(t, err)
			lastPress = time.Now()
		}
		return false
	}, func() string { return "baresip: no DTMF sent:\n" + tail(log.String(), 2000) })
	waitLog("transfer", "transferring call", 15*time.Second)
	require.Contains(t, log.String(), "<sip:sales@127.0.0.1:5070>", "to the key's destination")
	require.Equal(t, 1, strings.Count(ivrdLog.String(), "msg=digit "), "one digit heard:\n%s", ivrdLog.String())
	require.Contains(t, ivrdLog.String(), "key=4 method=rfc4733")
	require.Contains(t, ivrdLog.String(), "remote_rtp=127.0.0.1:", "baresip kept to loopback")
}
