package node

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/stretchr/testify/require"
	"github.com/zaf/g711"

	"github.com/ivrd/ivrd/cdr"
	"github.com/ivrd/ivrd/sip/siptest"
)

const conferenceConf = `
server:
  sip: { listen: ["udp://127.0.0.1:0"] }
  media: { rtp_ports: "RTP_RANGE" }
prompts_dir: "PROMPTS"
conferences:
  - { id: room, number: "800" }
  - { id: secret, number: "801", pin: "4321" }
  - { id: pair, number: "802", max_participants: 2 }
ivrs:
  - id: main
    extensions: ["100"]
    prompt: beep
    keys: { "1": { conference: room } }
`

// confCaller is one participant: its phone, its call and its RTP state.
type confCaller struct {
	c    *siptest.Caller
	call *siptest.Answered
	id   string
	seq  uint16
	ts   uint32
}

func dialRoom(t *testing.T, svc *Node, number string) *confCaller {
	t.Helper()
	c := newCaller(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	call, err := c.Call(ctx, svc.sip.Addr("udp"), number)
	require.NoError(t, err)
	return &confCaller{c: c, call: call, id: call.Dialog.InviteRequest.CallID().Value(), ts: 1000}
}

// key presses one key (RFC 4733), each press a new event.
func (p *confCaller) key(t *testing.T, k byte) {
	t.Helper()
	p.ts += 8000
	sendEvent(t, p.c, p.call.Media, 101, k, &p.seq, p.ts)
}

// roomMembers is who is in room now, by call id (muted or not).
func roomMembers(svc *Node, room string) map[string]bool {
	out := map[string]bool{}
	for _, r := range svc.rooms.Rooms(svc.snap.Load().Config) {
		if r.ID == room {
			for _, p := range r.Participants {
				out[p.CallID] = p.Muted
			}
		}
	}
	return out
}

func waitMembers(t *testing.T, svc *Node, room string, n int) {
	t.Helper()
	require.Eventually(t, func() bool { return len(roomMembers(svc, room)) == n }, 15*time.Second, 20*time.Millisecond,
		"room %s never had %d participants (has %v)", room, n, roomMembers(svc, room))
}

// talk has every participant send its tone at once for a second, as
// phones do, and returns what each received meanwhile (and just after).
func talk(t *testing.T, ps []*confCaller, freqs []float64) [][]int16 {
	t.Helper()
	for _, p := range ps {
		p.c.ResetPackets()
	}
	var wg sync.WaitGroup
	for i, p := range ps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if freqs[i] != 0 {
				_ = p.c.SendTone(p.call.Media, freqs[i], 50, &p.seq)
			}
		}()
	}
	wg.Wait()
	// The mix trails the speech by a few frames: wait until every
	// participant has received a second and a half of audio.
	require.Eventually(t, func() bool {
		for _, p := range ps {
			if len(p.c.Packets()) < 75 {
				return false
			}
		}
		return true
	}, 10*time.Second, 20*time.Millisecond)
	out := make([][]int16, len(ps))
	for i, p := range ps {
		for _, pkt := range p.c.Packets() {
			for _, b := range pkt.Payload {
				out[i] = append(out[i], g711.DecodeUlawFrame(b))
			}
		}
	}
	return out
}

// heardTone reports whether one of the packets is mostly freq (among the
// room's tones and the prompts' beep).
func heardTone(pkts []siptest.Packet, freq float64) bool {
	for _, p := range pkts {
		pcm := make([]int16, len(p.Payload))
		loud := false
		for i, b := range p.Payload {
			pcm[i] = g711.DecodeUlawFrame(b)
			loud = loud || pcm[i] > 1000 || pcm[i] < -1000
		}
		if loud && toneIn(pcm, 440, 500, 700, 900, 1000, 1400) == freq {
			return true
		}
	}
	return false
}

func waitRoomTone(t *testing.T, c *siptest.Caller, freq float64, what string) {
	t.Helper()
	require.Eventually(t, func() bool { return heardTone(c.Packets(), freq) }, 10*time.Second, 20*time.Millisecond, what)
}

// toneLevel is freq's RMS level in pcm, measured frame by frame (20 ms,
// Hann window) and averaged by power: a tone whose phase jumps between
// frames (a frame dropped or repeated on the way, as jitter does) reads
// the same as a continuous one, and the window keeps the other tones'
// leakage far below the checks' margins.
func toneLevel(pcm []int16, freq float64) float64 {
	const n = 160
	k := 2 * math.Cos(2*math.Pi*freq/8000)
	var sum float64
	frames := 0
	for start := 0; start+n <= len(pcm); start += n {
		var s1, s2 float64
		for i, x := range pcm[start : start+n] {
			w := 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/n)
			s := float64(x)*w + k*s1 - s2
			s2, s1 = s1, s
		}
		amp := 4 * math.Sqrt(math.Max(0, s1*s1+s2*s2-k*s1*s2)) / n
		sum += amp * amp
		frames++
	}
	if frames == 0 {
		return 0
	}
	return math.Sqrt(sum/float64(frames)) / math.Sqrt2
}

// requireHears checks that pcm holds each of want clearly and none of
// not (less than a twentieth of the weakest wanted tone).
func requireHears(t *testing.T, who string, pcm []int16, want, not []float64) {
	t.Helper()
	weakest := math.Inf(1)
	t.Logf("%s: 440 %.0f, 700 %.0f, 1000 %.0f over %d samples", who, toneLevel(pcm, 440), toneLevel(pcm, 700), toneLevel(pcm, 1000), len(pcm))
	for _, f := range want {
		l := toneLevel(pcm, f)
		require.Greater(t, l, 1500.0, "%s does not hear %v Hz (level %.0f)", who, f, l)
		weakest = min(weakest, l)
	}
	for _, f := range not {
		l := toneLevel(pcm, f)
		require.Less(t, l, weakest/20, "%s hears %v Hz (level %.0f against %.0f)", who, f, l, weakest)
	}
}

// TestConferenceMixesTheOthers: three phones in a room, each saying its
// own tone, each hear the other two and not itself; a participant muted
// through the API is heard by nobody; the API lists the room and removes
// a participant (hung up, "operator hung up"); # leaves the room.
func TestConferenceMixesTheOthers(t *testing.T) {
	svc := startConfig(t, writeConfig(t, conferenceConf))
	a, b := dialRoom(t, svc, "800"), dialRoom(t, svc, "800")
	c := dialRoom(t, svc, "100")                                  // through the menu: key 1 is {conference: room}
	waitRoomTone(t, c.c, 500, "c hears the menu before pressing") // the menu listens once it speaks
	c.key(t, '1')
	waitMembers(t, svc, "room", 3)
	waitRoomTone(t, a.c, 1400, "a hears the join tone when the others join")
	require.False(t, heardTone(c.c.Packets(), 1400), "the one joining does not hear its own join tone")
	ps := []*confCaller{a, b, c}
	freqs := []float64{440, 700, 1000}

	got := talk(t, ps, freqs)
	requireHears(t, "a", got[0], []float64{700, 1000}, []float64{440})
	requireHears(t, "b", got[1], []float64{440, 1000}, []float64{700})
	requireHears(t, "c", got[2], []float64{440, 700}, []float64{1000})

	// The API lists the room; muting b takes 700 Hz out of the others' mix.
	tok := firstToken(t, svc)
	code, body, _ := apiCall(t, svc, tok, "POST", "/api/v1/conferences/room/participants/"+b.id+"/mute", "", nil)
	require.Equal(t, http.StatusOK, code, string(body))
	code, body, _ = apiCall(t, svc, tok, "GET", "/api/v1/conferences", "", nil)
	require.Equal(t, http.StatusOK, code, string(body))
	var list struct {
		Items []struct {
			ID           string `json:"id"`
			Participants []struct {
				CallID string `json:"call_id"`
				Muted  bool   `json:"muted"`
			} `json:"participants"`
		} `json:"items"`
	}
	require.NoError(t, json.Unmarshal(body, &list))
	muted := map[string]bool{}
	for _, r := range list.Items {
		if r.ID == "room" {
			for _, p := range r.Participants {
				muted[p.CallID] = p.Muted
			}
		}
	}
	require.Equal(t, map[string]bool{a.id: false, b.id: true, c.id: false}, muted, string(body))
	got = talk(t, ps, freqs)
	requireHears(t, "a", got[0], []float64{1000}, []float64{440, 700})
	requireHears(t, "b", got[1], []float64{440, 1000}, []float64{700})
	requireHears(t, "c", got[2], []float64{440}, []float64{1000, 700})

	// A wrong call id is a clear 404; a read token may not mute.
	code, _, _ = apiCall(t, svc, tok, "POST", "/api/v1/conferences/room/participants/nobody/mute", "", nil)
	require.Equal(t, http.StatusNotFound, code)

	// Removing c hangs it up; its record shows the hand-off and why it ended.
	code, body, _ = apiCall(t, svc, tok, "DELETE", "/api/v1/conferences/room/participants/"+c.id, "", nil)
	require.Equal(t, http.StatusNoContent, code, string(body))
	_, err := c.c.WaitRequest(sip.BYE, 10*time.Second)
	require.NoError(t, err, "the removed participant gets BYE")
	rec := endedRecord(t, svc, c.id)
	require.Equal(t, cdr.EndOperatorHangup, rec.EndReason)
	require.Contains(t, transferDests(rec), "conference room conference")
	waitMembers(t, svc, "room", 2)
	waitRoomTone(t, a.c, 900, "a hears the leave tone when c is removed")

	// *6 is b's own mute key: muted by the API, b unmutes itself.
	b.key(t, '*')
	b.key(t, '6')
	require.Eventually(t, func() bool { m, in := roomMembers(svc, "room")[b.id]; return in && !m }, 10*time.Second, 20*time.Millisecond,
		"*6 unmutes b")

	// # leaves: ivrd hangs up and the record says so.
	a.key(t, '#')
	_, err = a.c.WaitRequest(sip.BYE, 10*time.Second)
	require.NoError(t, err, "# leaves the room and ends the call")
	rec = endedRecord(t, svc, a.id)
	require.Equal(t, cdr.EndConferenceLeft, rec.EndReason)
	waitMembers(t, svc, "room", 1)
}

// TestConferencePIN: a wrong PIN (three times) never joins the room and
// the call is hung up; the right one joins.
func TestConferencePIN(t *testing.T) {
	svc := startConfig(t, writeConfig(t, conferenceConf))
	wrong := dialRoom(t, svc, "801")
	// Whatever part of these the prompts swallow, no entry is 4321.
	for range 3 {
		for _, k := range []byte("1111#") {
			wrong.key(t, k)
		}
	}
	_, err := wrong.c.WaitRequest(sip.BYE, 40*time.Second)
	require.NoError(t, err, "a caller with a wrong PIN is hung up")
	rec := endedRecord(t, svc, wrong.id)
	require.Contains(t, transferDests(rec), "wrong conference PIN")
	require.Empty(t, roomMembers(svc, "secret"))

	right := dialRoom(t, svc, "801")
	for _, k := range []byte("4321#") {
		right.key(t, k)
	}
	waitMembers(t, svc, "secret", 1)
	right.key(t, '#')
	_, err = right.c.WaitRequest(sip.BYE, 10*time.Second)
	require.NoError(t, err, "# leaves the room")
	rec = endedRecord(t, svc, right.id)
	var keys string
	for _, k := range rec.Keys {
		keys += k.Key
	}
	require.Equal(t, "#", keys, "the PIN's keys are not in the record")
}

// TestConferenceFull: a room at max_participants refuses one more caller
// (hung up, the record says why) and keeps the two it has.
func TestConferenceFull(t *testing.T) {
	svc := startConfig(t, writeConfig(t, conferenceConf))
	dialRoom(t, svc, "802")
	dialRoom(t, svc, "802")
	waitMembers(t, svc, "pair", 2)
	third := dialRoom(t, svc, "802")
	_, err := third.c.WaitRequest(sip.BYE, 15*time.Second)
	require.NoError(t, err, "the caller beyond max_participants is hung up")
	rec := endedRecord(t, svc, third.id)
	require.Contains(t, transferDests(rec), "the conference room is full")
	require.Len(t, roomMembers(svc, "pair"), 2)
}
