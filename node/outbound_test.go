package node

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/audio"
	"github.com/ivrd/ivrd/cdr"
	"github.com/ivrd/ivrd/sip/siptest"
	"github.com/ivrd/ivrd/store"
)

const placedConfig = `
server:
  sip:
    listen: ["udp://127.0.0.1:0"]
  media:
    rtp_ports: "RTP_RANGE"
prompts_dir: "PROMPTS"
webhooks:
  - name: crm
    url: "CRM_URL"
    secret: "0123456789abcdef-test"
ivrs:
  - id: callback
    prompt: main-choices
    response_timeout: 5s
    keys:
      "1": {play: thanks, then: hangup}
`

// hooks collects the webhook events a node posts.
type hooks struct {
	mu     sync.Mutex
	events []map[string]any
}

func (h *hooks) serve(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var ev map[string]any
		if json.Unmarshal(b, &ev) == nil {
			h.mu.Lock()
			h.events = append(h.events, ev)
			h.mu.Unlock()
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// has reports whether an event of type typ about call id came.
func (h *hooks) has(typ, id string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, ev := range h.events {
		if ev["type"] == typ && strings.Contains(mustJSON(ev), id) {
			return true
		}
	}
	return false
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func startPlacer(t *testing.T) (*Node, string, *hooks) {
	t.Helper()
	h := &hooks{}
	path := writeConfig(t, placedConfig, "CRM_URL", h.serve(t))
	writeTone(t, filepath.Join(filepath.Dir(path), "main-choices.wav"), 440, 1500*time.Millisecond)
	writeTone(t, filepath.Join(filepath.Dir(path), "thanks.wav"), 700, 400*time.Millisecond)
	svc := startConfig(t, path)
	return svc, firstToken(t, svc), h
}

// place posts a call and returns its id.
func place(t *testing.T, svc *Node, token, body string) string {
	t.Helper()
	code, out, hdr := apiCall(t, svc, token, "POST", "/api/v1/calls", "application/json", []byte(body))
	require.Equal(t, http.StatusCreated, code, string(out))
	var res struct {
		CallID string `json:"call_id"`
	}
	require.NoError(t, json.Unmarshal(out, &res))
	require.NotEmpty(t, res.CallID)
	assert.Equal(t, "/api/v1/calls/history/"+res.CallID, hdr.Get("Location"))
	return res.CallID
}

// endedCall waits for the call's record to be ended and returns it.
func endedCall(t *testing.T, svc *Node, token, id string) cdr.Record {
	t.Helper()
	var rec cdr.Record
	waitUntil(t, 15*time.Second, func() bool {
		code, body, _ := apiCall(t, svc, token, "GET", "/api/v1/calls/history/"+id, "", nil)
		return code == 200 && json.Unmarshal(body, &rec) == nil && rec.State == cdr.StateEnded
	}, func() string { return "the placed call's record never ended" })
	return rec
}

// heardPCMA says whether the PCMA packets hold freq, loud.
func heardPCMA(pkts []siptestPacket, freq float64) bool {
	var pcm []int16
	for _, p := range pkts {
		if p.PayloadType != 8 {
			continue
		}
		buf := make([]int16, len(p.Payload))
		audio.DecodeG711(buf, p.Payload, audio.PCMA)
		pcm = append(pcm, buf...)
	}
	if len(pcm) < 2000 {
		return false
	}
	others := 0.0
	for _, f := range []float64{300, 1000, 1400} {
		if f != freq {
			others = max(others, goertzel(pcm, f, 8000))
		}
	}
	return goertzel(pcm, freq, 8000) > 20*others
}

// A call placed through the API rings a phone; the phone that answers
// hears the IVR's prompt, presses 1, hears what 1 plays and is hung up
// on; the call's record says outbound, from the caller id, with the key.
func TestPlacedCallRunsTheIVRForTheCalledParty(t *testing.T) {
	t.Parallel()
	svc, token, _ := startPlacer(t)
	phone := siptest.NewFarEnd(t, "answer")
	id := place(t, svc, token, `{"to": "`+phone.URI()+`", "caller_id": "15550001111", "ivr": "callback", "ring_timeout": "10s",
		"variables": {"account": "42"}}`)
	invite := <-phone.Invites
	assert.Equal(t, id, invite.CallID().Value(), "the API's call id is the SIP Call-ID")
	assert.Equal(t, "15550001111", invite.From().Address.User, "the caller id")

	waitUntil(t, 10*time.Second, func() bool { return heardPCMA(toPackets(phone), 440) },
		func() string { return "the called party never heard the IVR's prompt" })
	require.NoError(t, phone.PressKey('1', 48000))
	select {
	case <-phone.Bye:
	case <-time.After(10 * time.Second):
		t.Fatal("the menu's hangup never reached the called party")
	}
	assert.True(t, heardPCMA(toPackets(phone), 700) || heardAfter(phone, 700), "key 1 played thanks")

	rec := endedCall(t, svc, token, id)
	assert.Equal(t, cdr.DirectionOutbound, rec.Direction)
	assert.Equal(t, "15550001111", rec.From)
	assert.Equal(t, phone.URI(), rec.To)
	assert.Equal(t, "callback", rec.IVR)
	require.Len(t, rec.Keys, 1)
	assert.Equal(t, "1", rec.Keys[0].Key)
	assert.Equal(t, cdr.EndMenuHangup, rec.EndReason)
	assert.NotNil(t, rec.AnswerAt)
}

// A phone that is busy, or does not answer within the ring timeout,
// leaves an outbound record saying so, and the request's hook is told.
func TestPlacedCallBusyAndNoAnswer(t *testing.T) {
	t.Parallel()
	svc, token, h := startPlacer(t)
	busy := siptest.NewFarEnd(t, "busy")
	id := place(t, svc, token, `{"to": "`+busy.URI()+`", "ivr": "callback",
		"on_busy": {"webhook": "crm", "event": "callback.busy"}, "on_no_answer": {"webhook": "crm", "event": "callback.noanswer"}}`)
	rec := endedCall(t, svc, token, id)
	assert.Equal(t, cdr.DirectionOutbound, rec.Direction)
	assert.Equal(t, cdr.EndBusy, rec.EndReason)
	assert.Contains(t, rec.Outcome.Detail, "486")
	assert.Nil(t, rec.AnswerAt)
	waitUntil(t, 10*time.Second, func() bool { return h.has("callback.busy", id) },
		func() string { return "on_busy's webhook never came" })

	quiet := siptest.NewFarEnd(t, "noanswer")
	id = place(t, svc, token, `{"to": "`+quiet.URI()+`", "ivr": "callback", "ring_timeout": "1s",
		"on_busy": {"webhook": "crm", "event": "callback.busy"}, "on_no_answer": {"webhook": "crm", "event": "callback.noanswer"}}`)
	rec = endedCall(t, svc, token, id)
	assert.Equal(t, cdr.EndNoAnswer, rec.EndReason)
	select {
	case <-quiet.Cancel:
	case <-time.After(5 * time.Second):
		t.Fatal("the ringing INVITE was never cancelled")
	}
	waitUntil(t, 10*time.Second, func() bool { return h.has("callback.noanswer", id) },
		func() string { return "on_no_answer's webhook never came" })
	assert.False(t, h.has("callback.busy", id))
}

// Requests the API refuses, each saying why; and the per-token limit.
func TestPlaceRefusals(t *testing.T) {
	t.Parallel()
	svc, token, _ := startPlacer(t)
	for _, c := range []struct {
		body string
		code int
		says string
	}{
		{`{"ivr": "callback"}`, 400, "to is required"},
		{`{"to": "sip:a@127.0.0.1"}`, 400, "exactly one of ivr and on_answer"},
		{`{"to": "sip:a@127.0.0.1", "ivr": "callback", "on_answer": {"play": "thanks"}}`, 400, "exactly one"},
		{`{"to": "sip:a@127.0.0.1", "ivr": "nope"}`, 422, "nope"},
		{`{"to": "15551234567", "ivr": "callback"}`, 422, "needs a trunk"},
		{`{"to": "15551234567", "trunk": "pstn", "ivr": "callback"}`, 422, "pstn"},
		{`{"to": "sip:a@127.0.0.1", "on_answer": {"play": "no-such-prompt"}}`, 422, "no-such-prompt"},
		{`{"to": "sip:a@127.0.0.1", "ivr": "callback", "on_busy": {"play": "thanks"}}`, 400, "webhook destination"},
		{`{"to": "sip:a@127.0.0.1", "ivr": "callback", "ring_timeout": "forever"}`, 400, "ring_timeout"},
		{`{"to": "sip:a@127.0.0.1", "ivr": "callback", "variables": {"bad name": "x"}}`, 400, "variables"},
		{`{"to": "sip:a@127.0.0.1", "ivr": "callback", "caller_id": "<script>"}`, 400, "caller_id"},
		{`{"to": "sip:a@127.0.0.1", "ivr": "callback", "extra": 1}`, 400, "extra"},
		{`{"to": "sip:a@127.0.0.1", "on_answer": {"play": "thanks", "bogus": 1}}`, 400, "bogus"},
		{`{"to": "sip:a@127.0.0.1", "on_answer": {"play": ["thanks"]}}`, 400, "on_answer"},
		{`not json`, 400, "malformed"},
	} {
		code, body, _ := apiCall(t, svc, token, "POST", "/api/v1/calls", "application/json", []byte(c.body))
		assert.Equal(t, c.code, code, "%s: %s", c.body, body)
		assert.Contains(t, string(body), c.says, c.body)
	}
}

type siptestPacket = struct {
	PayloadType uint8
	Payload     []byte
}

func toPackets(f *siptest.FarEnd) []siptestPacket {
	var out []siptestPacket
	for _, p := range f.Packets() {
		out = append(out, siptestPacket{PayloadType: p.PayloadType, Payload: p.Payload})
	}
	return out
}

// heardAfter: the last half second the phone received holds freq.
func heardAfter(f *siptest.FarEnd, freq float64) bool {
	pkts := toPackets(f)
	if len(pkts) > 40 {
		pkts = pkts[len(pkts)-40:]
	}
	return heardPCMA(pkts, freq)
}

// A placed call may run one destination instead of a menu: the called
// party hears it and the call ends (there is no menu to go back to).
func TestPlacedCallRunsOneDestination(t *testing.T) {
	t.Parallel()
	svc, token, _ := startPlacer(t)
	phone := siptest.NewFarEnd(t, "answer")
	id := place(t, svc, token, `{"to": "`+phone.URI()+`", "on_answer": {"play": "thanks"}}`)
	select {
	case <-phone.Bye:
	case <-time.After(10 * time.Second):
		t.Fatal("the call did not end after its destination")
	}
	assert.True(t, heardPCMA(toPackets(phone), 700), "the called party heard the destination's prompt")
	rec := endedCall(t, svc, token, id)
	assert.Equal(t, cdr.DirectionOutbound, rec.Direction)
	assert.Equal(t, "", rec.IVR)
	assert.Equal(t, cdr.EndMenuHangup, rec.EndReason)
	assert.Equal(t, "ivrd", rec.From, "no caller id given")
}

const trunkPlacedConfig = `
server:
  sip:
    listen: ["udp://127.0.0.1:0"]
  media:
    rtp_ports: "RTP_RANGE"
prompts_dir: "PROMPTS"
trunks:
  - name: pstn
    uri: "sip:GATEWAY"
    username: ivrd
    password: "trunk-secret-123"
ivrs:
  - id: callback
    prompt: beep
`

// A number placed through a trunk goes to the trunk's host as
// number@host, answering its digest challenge with the trunk's
// credentials; the record names the trunk.
func TestPlacedCallThroughATrunk(t *testing.T) {
	t.Parallel()
	gw := siptest.NewFarEnd(t, "answer")
	gw.RequireAuth("ivrd", "trunk-secret-123")
	path := writeConfig(t, trunkPlacedConfig, "GATEWAY", strings.TrimPrefix(strings.TrimPrefix(gw.URI(), "sip:"), "agent@"))
	svc := startConfig(t, path)
	token := firstToken(t, svc)
	id := place(t, svc, token, `{"to": "+15551234567", "trunk": "pstn", "ivr": "callback"}`)
	select {
	case inv := <-gw.Invites:
		assert.Equal(t, "+15551234567", inv.Recipient.User, "the number at the trunk's host")
		assert.NotNil(t, inv.GetHeader("Authorization"), "answered the challenge")
	case <-time.After(10 * time.Second):
		t.Fatal("the trunk never got the INVITE")
	}
	require.NoError(t, gw.Dialog().Bye(t.Context()))
	rec := endedCall(t, svc, token, id)
	assert.Equal(t, cdr.DirectionOutbound, rec.Direction)
	assert.Equal(t, cdr.SourceTrunk, rec.Source)
	assert.Equal(t, "pstn", rec.SourceName)
	assert.Equal(t, "+15551234567", rec.To)
	assert.Equal(t, cdr.EndCallerHangup, rec.EndReason, "the called party hung up")
}

// A node that stops while a placed call rings cancels it (the phone gets
// CANCEL) and does not wait for the ring timeout; the record says so.
func TestCloseCancelsARingingPlacedCall(t *testing.T) {
	t.Parallel()
	h := &hooks{}
	path := writeConfig(t, placedConfig, "CRM_URL", h.serve(t))
	writeTone(t, filepath.Join(filepath.Dir(path), "main-choices.wav"), 440, time.Second)
	writeTone(t, filepath.Join(filepath.Dir(path), "thanks.wav"), 700, 400*time.Millisecond)
	svc, err := New(testOptions(path, io.Discard, "warn"))
	require.NoError(t, err)
	require.NoError(t, svc.Start(t.Context()))
	token := firstToken(t, svc)
	quiet := siptest.NewFarEnd(t, "noanswer")
	id := place(t, svc, token, `{"to": "`+quiet.URI()+`", "ivr": "callback", "ring_timeout": "60s"}`)
	<-quiet.Invites
	closed := make(chan struct{})
	go func() {
		svc.Close()
		close(closed)
	}()
	select {
	case <-quiet.Cancel:
	case <-time.After(10 * time.Second):
		t.Fatal("the ringing call was not cancelled")
	}
	select {
	case <-closed:
	case <-time.After(15 * time.Second):
		t.Fatal("Close waited for the ring timeout")
	}
	st, err := store.Open(t.Context(), "sqlite://"+filepath.Join(filepath.Dir(path), "data", "ivrd.db"), store.Options{})
	require.NoError(t, err)
	defer st.Close()
	rec, err := st.Call(t.Context(), id)
	require.NoError(t, err)
	assert.Equal(t, cdr.EndShutdown, rec.EndReason)
	assert.Equal(t, cdr.EndedByIVRD, rec.EndedBy)
	assert.Equal(t, cdr.DirectionOutbound, rec.Direction)
}
