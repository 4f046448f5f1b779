package node

import (
	"context"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/zaf/g711"

	"github.com/ivrd/ivrd/audio"
	"github.com/ivrd/ivrd/prompts"
	"github.com/ivrd/ivrd/sip/siptest"
)

// The voicemail prompts of these tests are tones, so that what the
// caller hears can be told apart: every vm-* and num-* prompt is a short
// 300 Hz tone except these.
var vmTones = map[string]float64{
	"vm-password": 400, "vm-incorrect": 600, "vm-locked": 900,
	"vm-youhave": 1200, "num-1": 1400, "vm-new": 1600, "vm-message": 1800, "vm-deleted": 1500,
}

var vmCandidates = []float64{300, 400, 500, 600, 700, 900, 1000, 1200, 1400, 1500, 1600, 1700, 1800}

const vmConf = `
server:
  sip: { listen: ["udp://127.0.0.1:0"] }
  media: { rtp_ports: "RTP_RANGE" }
prompts_dir: "PROMPTS"
voicemail_dir: "VMDIR"
extensions: [{ number: "1001", password: "alice-secret" }]
voicemail_boxes:
  - { box: "1001", pin: "4321", max_attempts: 2, lockout_after: 3, lockout: 10m }
ivrs:
  - id: main
    extensions: ["100"]
    prompt: beep
    keys: { "6": { voicemail: "1001" }, "7": { voicemail_check: "1001" } }
`

func startVoicemail(t *testing.T) (*Node, string) {
	t.Helper()
	vmDir := t.TempDir()
	path := writeConfig(t, vmConf, "VMDIR", vmDir)
	for _, name := range prompts.Builtin().Names() {
		if strings.HasPrefix(name, "vm-") || strings.HasPrefix(name, "num-") || name == "goodbye" {
			f, dur := 300.0, 100*time.Millisecond
			if tone, ok := vmTones[name]; ok {
				f, dur = tone, 300*time.Millisecond
			}
			writeTone(t, filepath.Join(filepath.Dir(path), name+".wav"), f, dur)
		}
	}
	return startConfig(t, path), vmDir
}

// vmHeard is the tones the caller heard, merging repeats.
func vmHeard(c *siptest.Caller) []float64 {
	var out []float64
	for _, p := range c.Packets() {
		pcm := make([]int16, len(p.Payload))
		loud := false
		for i, b := range p.Payload {
			pcm[i] = g711.DecodeUlawFrame(b)
			loud = loud || pcm[i] > 100 || pcm[i] < -100
		}
		if !loud {
			continue
		}
		if f := toneIn(pcm, vmCandidates...); len(out) == 0 || out[len(out)-1] != f {
			out = append(out, f)
		}
	}
	return out
}

// waitTones waits (bounded) until the caller has heard want, in order
// (other tones may come between).
func waitTones(t *testing.T, c *siptest.Caller, what string, want ...float64) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if subsequence(vmHeard(c), want) {
			return
		}
		time.Sleep(30 * time.Millisecond)
	}
	t.Fatalf("%s: heard %v, want %v in order", what, vmHeard(c), want)
}

func subsequence(got, want []float64) bool {
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	return i == len(want)
}

// keys presses keys one after the other (RFC 4733).
func keys(t *testing.T, c *siptest.Caller, to *siptest.Answered, seq *uint16, ts *uint32, s string) {
	t.Helper()
	for _, k := range []byte(s) {
		*ts += 4000
		sendEvent(t, c, to.Media, 101, k, seq, *ts)
		time.Sleep(60 * time.Millisecond)
	}
}

func callIVR(t *testing.T, svc *Node) (*siptest.Caller, *siptest.Answered) {
	t.Helper()
	c := newCaller(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	call, err := c.Call(ctx, svc.sip.Addr("udp"), "100")
	require.NoError(t, err)
	time.Sleep(300 * time.Millisecond)
	return c, call
}

func waitBye(t *testing.T, c *siptest.Caller, what string) {
	t.Helper()
	_, err := c.WaitRequest("BYE", 20*time.Second)
	require.NoError(t, err, what)
}

// TestVoicemailLeaveAndCheck: a caller leaves a message (1 kHz then
// 700 Hz); the box's registered phone gets a message waiting NOTIFY; a
// second call logs in with the PIN, hears "you have 1 new message",
// listens to it (the audio it receives is the recording), and the lamp
// goes out.
func TestVoicemailLeaveAndCheck(t *testing.T) {
	svc, _ := startVoicemail(t)
	ph := registerPhone(t, svc, "1001", "alice-secret")

	c, call := callIVR(t, svc)
	var seq uint16
	var ts uint32
	keys(t, c, call, &seq, &ts, "6")
	waitTones(t, c, "the beep before recording", 1000) // the recorder's 1 kHz beep
	time.Sleep(200 * time.Millisecond)
	require.NoError(t, c.SendTone(call.Media, 1000, 30, &seq))
	require.NoError(t, c.SendTone(call.Media, 700, 30, &seq))
	keys(t, c, call, &seq, &ts, "#")
	waitBye(t, c, "goodbye after the message")

	n := ph.nextNotify(t)
	require.Equal(t, "message-summary", n.GetHeader("Event").Value())
	require.Equal(t, "application/simple-message-summary", n.GetHeader("Content-Type").Value())
	require.Contains(t, string(n.Body()), "Messages-Waiting: yes\r\n")
	require.Contains(t, string(n.Body()), "Voice-Message: 1/0 (0/0)\r\n")

	msgs, err := svc.ctl.st.Mailboxes().List("1001")
	require.NoError(t, err)
	require.Len(t, msgs, 1)
	recorded, err := svc.ctl.st.Mailboxes().Audio(msgs[0])
	require.NoError(t, err)

	c2, call2 := callIVR(t, svc)
	keys(t, c2, call2, &seq, &ts, "7")
	waitTones(t, c2, "the PIN prompt", 400)
	keys(t, c2, call2, &seq, &ts, "4321#")
	waitTones(t, c2, "you have 1 new message", 1200, 1400, 1600, 1800)
	keys(t, c2, call2, &seq, &ts, "1")
	waitTones(t, c2, "the message, then the message options", 1000, 700, 300)
	require.Greater(t, bestMatch(c2, recorded), 0.9, "the audio played is the recording (normalised correlation)")

	n = ph.nextNotify(t)
	require.Contains(t, string(n.Body()), "Messages-Waiting: no\r\n", "heard: the lamp goes out")
	require.Contains(t, string(n.Body()), "Voice-Message: 0/1 (0/0)\r\n")
	keys(t, c2, call2, &seq, &ts, "##")
	waitBye(t, c2, "goodbye after #")
	msgs, _ = svc.ctl.st.Mailboxes().List("1001")
	require.True(t, msgs[0].Old, "the message is old once heard")
}

// bestMatch is the best normalised correlation between the recording and
// the audio the caller received, at any frame boundary (prompts start on
// one).
func bestMatch(c *siptest.Caller, recorded []int16) float64 {
	var got []int16
	for _, p := range c.Packets() {
		for _, b := range p.Payload {
			got = append(got, g711.DecodeUlawFrame(b))
		}
	}
	energy := func(x []int16) float64 {
		var e float64
		for _, v := range x {
			e += float64(v) * float64(v)
		}
		return e
	}
	er := energy(recorded)
	best := 0.0
	for off := 0; off+len(recorded) <= len(got); off += audio.SampleRate / 50 {
		seg := got[off : off+len(recorded)]
		var dot float64
		for i, v := range recorded {
			dot += float64(v) * float64(seg[i])
		}
		if es := energy(seg); es > 0 && er > 0 {
			best = math.Max(best, dot/math.Sqrt(er*es))
		}
	}
	return best
}

// TestVoicemailWrongPINsLockOut: two wrong PINs end the first call
// (max_attempts 2); the third wrong one, in a second call, locks the box
// (lockout_after 3), and the right PIN is then refused.
func TestVoicemailWrongPINsLockOut(t *testing.T) {
	svc, _ := startVoicemail(t)
	var seq uint16
	var ts uint32
	c, call := callIVR(t, svc)
	keys(t, c, call, &seq, &ts, "7")
	waitTones(t, c, "the PIN prompt", 400)
	keys(t, c, call, &seq, &ts, "1111#")
	waitTones(t, c, "login incorrect, PIN again", 400, 600, 400)
	keys(t, c, call, &seq, &ts, "2222#")
	waitTones(t, c, "login incorrect", 400, 600, 400, 600)
	waitBye(t, c, "two wrong PINs end the call")

	c, call = callIVR(t, svc)
	keys(t, c, call, &seq, &ts, "7")
	waitTones(t, c, "the PIN prompt", 400)
	keys(t, c, call, &seq, &ts, "3333#")
	waitTones(t, c, "login incorrect", 400, 600, 400)
	keys(t, c, call, &seq, &ts, "4321#")
	waitTones(t, c, "the box is locked", 900)
	waitBye(t, c, "locked out")
	require.NotContains(t, vmHeard(c), 1200.0, "no message count for a locked box")
}

// leaveMessage calls, presses 6 and records a second of freq.
func leaveMessage(t *testing.T, svc *Node, freq float64, seq *uint16, ts *uint32) {
	t.Helper()
	c, call := callIVR(t, svc)
	keys(t, c, call, seq, ts, "6")
	waitTones(t, c, "the beep before recording", 1000)
	time.Sleep(200 * time.Millisecond)
	require.NoError(t, c.SendTone(call.Media, freq, 50, seq))
	keys(t, c, call, seq, ts, "#")
	waitBye(t, c, "goodbye after the message")
}

// TestVoicemailDeleteAndRecordGreeting: with two messages, the owner
// deletes the first (7), hears the second, records a greeting from the
// options menu (0, 1); the next caller hears that greeting before the
// beep.
func TestVoicemailDeleteAndRecordGreeting(t *testing.T) {
	svc, _ := startVoicemail(t)
	var seq uint16
	var ts uint32
	leaveMessage(t, svc, 1000, &seq, &ts)
	leaveMessage(t, svc, 700, &seq, &ts)

	c, call := callIVR(t, svc)
	keys(t, c, call, &seq, &ts, "7")
	waitTones(t, c, "the PIN prompt", 400)
	keys(t, c, call, &seq, &ts, "4321#")
	waitTones(t, c, "you have 2 new messages", 1200, 300, 1600)
	keys(t, c, call, &seq, &ts, "1")
	waitTones(t, c, "the first message", 1000)
	keys(t, c, call, &seq, &ts, "7")
	waitTones(t, c, "deleted, then the second message", 1000, 1500, 700)
	keys(t, c, call, &seq, &ts, "#0")
	c.ResetPackets()
	keys(t, c, call, &seq, &ts, "1")
	waitTones(t, c, "the beep before recording the greeting", 1000)
	time.Sleep(200 * time.Millisecond)
	require.NoError(t, c.SendTone(call.Media, 1700, 50, &seq))
	keys(t, c, call, &seq, &ts, "#")
	time.Sleep(500 * time.Millisecond) // "greeting saved", then the main menu
	keys(t, c, call, &seq, &ts, "#")
	waitBye(t, c, "goodbye")

	msgs, err := svc.ctl.st.Mailboxes().List("1001")
	require.NoError(t, err)
	require.Len(t, msgs, 1, "the first message is deleted")
	got, err := svc.ctl.st.Mailboxes().Audio(msgs[0])
	require.NoError(t, err)
	require.Equal(t, 700.0, toneIn(got[:4000], vmCandidates...), "the second one stays")
	_, saved := svc.ctl.st.Mailboxes().Greeting("1001")
	require.True(t, saved, "the greeting is saved")

	c, call = callIVR(t, svc)
	keys(t, c, call, &seq, &ts, "6")
	waitTones(t, c, "the recorded greeting, then the beep", 1700, 1000)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, call.Dialog.Bye(ctx))
}
