package call_test

import (
	"context"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/audio"
	"github.com/ivrd/ivrd/call"
	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/sip/siptest"
	"github.com/ivrd/ivrd/store"
)

// voicemailMenu sends # to box 1001: its greeting (voicemail-default, 15
// frames of tone in the rig) and the beep (20 frames of tone, 5 quiet).
const voicemailMenu = `
ivrs:
  - id: main
    extensions: ["100"]
    prompt: beep
    keys: { "#": { voicemail: "1001" } }
`

// greetingAndBeepFrames is how many frames of tone a caller hears from
// the voicemail greeting and the beep together.
const greetingAndBeepFrames = 15 + 20

// loudFrames counts the received packets that carry sound, not silence.
func loudFrames(pkts []siptest.Packet) int {
	n := 0
	pcm := make([]int16, 160)
	for _, p := range pkts {
		if p.Header.PayloadType != uint8(audio.PCMU) || len(p.Payload) != len(pcm) {
			continue
		}
		audio.DecodeG711(pcm, p.Payload, audio.PCMU)
		if audio.RMS(pcm) > 1000 {
			n++
		}
	}
	return n
}

// leaveMessage calls the voicemail menu, presses # (twice: the second is
// typed ahead during the greeting and must not end the recording), waits
// for the greeting and the beep to have played, speaks for a second and
// presses # again; it returns the call's record once ivrd hung up.
func leaveMessage(t *testing.T, r *rig) *call.Record {
	t.Helper()
	c, err := siptest.NewCaller("udp")
	require.NoError(t, err)
	t.Cleanup(c.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	answered, err := c.Call(ctx, r.srv.Addr("udp"), "100")
	require.NoError(t, err)
	var seq uint16
	press(t, c, answered.Media, '#', &seq, 1000)
	press(t, c, answered.Media, '#', &seq, 2000) // typed ahead during the greeting
	// The beep is over when the tones were heard and silence follows.
	require.Eventually(t, func() bool {
		pkts := c.Packets()
		return loudFrames(pkts) >= greetingAndBeepFrames && loudFrames(pkts[len(pkts)-1:]) == 0
	}, 10*time.Second, 10*time.Millisecond, "the greeting and the beep")
	require.NoError(t, c.SendTone(answered.Media, 440, 50, &seq))
	press(t, c, answered.Media, '#', &seq, 90000)
	_, err = c.WaitRequest(sip.BYE, 10*time.Second)
	require.NoError(t, err, "ivrd hangs up after the goodbye")
	return r.record(t)
}

// TestVoicemailAfterAnEarlierHash: a # pressed before the beep (here the
// key that chose voicemail) does not end the recording at once, and the
// record says ivrd ended the call after the message.
func TestVoicemailAfterAnEarlierHash(t *testing.T) {
	r := newRig(t, voicemailMenu)
	rec := leaveMessage(t, r)
	assert.Equal(t, call.EndVoicemail, rec.Reason)
	assert.Equal(t, call.SideIVRD, rec.Side)
	require.NotEmpty(t, rec.Voicemail)
	msgs, err := store.Voicemail{Dir: r.voicemailDir}.List("1001")
	require.NoError(t, err)
	require.Len(t, msgs, 1)
	assert.Greater(t, msgs[0].Duration, 500*time.Millisecond, "the message holds the caller's speech, not 0 s")
}

// The message goes to the mailboxes Options.Voicemail gives for the
// call's configuration, not to the configuration's voicemail_dir.
func TestVoicemailDepositedWhereOptionsSay(t *testing.T) {
	elsewhere := t.TempDir()
	var asked *ivr.Config
	r := newRigWith(t, voicemailMenu, func(o *call.Options) {
		o.Voicemail = func(cfg *ivr.Config) call.Voicemail {
			asked = cfg
			return store.Voicemail{Dir: elsewhere}
		}
	})
	rec := leaveMessage(t, r)
	require.NotEmpty(t, rec.Voicemail)
	require.NotNil(t, asked)
	assert.Equal(t, r.voicemailDir, asked.VoicemailDir, "asked with the call's configuration")
	msgs, err := store.Voicemail{Dir: elsewhere}.List("1001")
	require.NoError(t, err)
	require.Len(t, msgs, 1)
	assert.Equal(t, rec.Voicemail, msgs[0].ID)
	none, err := store.Voicemail{Dir: r.voicemailDir}.List("1001")
	require.NoError(t, err)
	assert.Empty(t, none, "nothing written to voicemail_dir")
}
