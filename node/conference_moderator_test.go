package node

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/call"
	"github.com/ivrd/ivrd/cdr"
)

const moderatedConf = `
server:
  sip: { listen: ["udp://127.0.0.1:0"] }
  media: { rtp_ports: "RTP_RANGE" }
prompts_dir: "PROMPTS"
conferences:
  - id: led
    number: "803"
    moderator_pin: "9999"
    wait_for_moderator: true
    end_with_moderator: true
    announce_count: true
ivrs:
  - { id: main, extensions: ["100"], prompt: beep }
`

// participant is the room member with callID (a snapshot).
func participant(svc *Node, room, callID string) (call.ConferenceParticipant, bool) {
	for _, r := range svc.rooms.Rooms(svc.snap.Load().Config) {
		if r.ID != room {
			continue
		}
		for _, p := range r.Participants {
			if p.CallID == callID {
				return p, true
			}
		}
	}
	return call.ConferenceParticipant{}, false
}

func waitParticipant(t *testing.T, svc *Node, room, callID, what string, cond func(call.ConferenceParticipant) bool) {
	t.Helper()
	require.Eventually(t, func() bool {
		p, ok := participant(svc, room, callID)
		return ok && cond(p)
	}, 15*time.Second, 20*time.Millisecond, what)
}

// TestConferenceModerator: in a room that waits for its moderator and
// ends with it, participants (who just press # at the PIN question) are
// told how many are there and that they wait, and stay muted (even with
// *6); the moderator's PIN releases them, they are heard; when the
// moderator leaves, everyone else hears that the conference ended and is
// hung up, their records saying so.
func TestConferenceModerator(t *testing.T) {
	path := writeConfig(t, moderatedConf)
	dir := filepath.Dir(path)
	// The site's own prompts, as tones the test can tell apart (they
	// take the place of the bundled speech).
	writeTone(t, filepath.Join(dir, "conf-moderator-pin-or-pound.wav"), 500, 150*time.Millisecond)
	writeTone(t, filepath.Join(dir, "conf-only-person.wav"), 440, 300*time.Millisecond)
	writeTone(t, filepath.Join(dir, "conf-one-other.wav"), 1000, 300*time.Millisecond)
	writeTone(t, filepath.Join(dir, "conf-wait-moderator.wav"), 700, 300*time.Millisecond)
	writeTone(t, filepath.Join(dir, "conf-ended.wav"), 900, 300*time.Millisecond)
	// "There are | two | other participants": short, and its end heard.
	writeTone(t, filepath.Join(dir, "conf-there-are.wav"), 1400, 100*time.Millisecond)
	writeTone(t, filepath.Join(dir, "num-2.wav"), 1400, 100*time.Millisecond)
	writeTone(t, filepath.Join(dir, "conf-other-participants.wav"), 1000, 200*time.Millisecond)
	svc := startConfig(t, path)

	a := dialRoom(t, svc, "803")
	waitRoomTone(t, a.c, 500, "a is asked for the moderator PIN")
	a.key(t, '#')
	waitParticipant(t, svc, "led", a.id, "a waits, muted", func(p call.ConferenceParticipant) bool {
		return p.Waiting && p.Muted && !p.Moderator
	})
	waitRoomTone(t, a.c, 440, "a hears it is the only one there")
	waitRoomTone(t, a.c, 700, "a hears it waits for the moderator")

	b := dialRoom(t, svc, "803")
	waitRoomTone(t, b.c, 500, "b is asked for the moderator PIN")
	b.key(t, '#')
	waitParticipant(t, svc, "led", b.id, "b waits", func(p call.ConferenceParticipant) bool { return p.Waiting })
	waitRoomTone(t, b.c, 1000, "b hears there is one other participant")

	// *6 does not let a waiting participant speak.
	a.c.ResetPackets()
	a.key(t, '*')
	a.key(t, '6')
	waitRoomTone(t, a.c, 500, "a hears the muted tone for its *6") // conf-muted is 500 Hz too
	p, _ := participant(svc, "led", a.id)
	require.True(t, p.Muted, "still muted while waiting")

	m := dialRoom(t, svc, "803")
	waitRoomTone(t, m.c, 500, "the moderator is asked for the PIN")
	for _, k := range []byte("9999#") {
		m.key(t, k)
	}
	waitParticipant(t, svc, "led", m.id, "the moderator joins as such", func(p call.ConferenceParticipant) bool { return p.Moderator })
	for _, who := range []*confCaller{a, b} {
		waitParticipant(t, svc, "led", who.id, "released by the moderator", func(p call.ConferenceParticipant) bool {
			return !p.Waiting && !p.Muted
		})
	}
	waitRoomTone(t, m.c, 1000, "the moderator hears how many others are there")
	got := talk(t, []*confCaller{a, b, m}, []float64{440, 700, 0})
	requireHears(t, "the moderator", got[2], []float64{440, 700}, nil)

	m.key(t, '#')
	_, err := m.c.WaitRequest(sip.BYE, 10*time.Second)
	require.NoError(t, err, "# leaves the room")
	require.Equal(t, cdr.EndConferenceLeft, endedRecord(t, svc, m.id).EndReason)
	for _, who := range []*confCaller{a, b} {
		_, err := who.c.WaitRequest(sip.BYE, 15*time.Second)
		require.NoError(t, err, "the conference ends with its moderator")
		require.True(t, heardTone(who.c.Packets(), 900), "told that the conference ended")
		require.Equal(t, cdr.EndConferenceEnded, endedRecord(t, svc, who.id).EndReason)
	}
	require.Empty(t, roomMembers(svc, "led"))
}
