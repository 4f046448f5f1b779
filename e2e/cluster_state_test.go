package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zaf/g711"

	"github.com/ivrd/ivrd/node"
	"github.com/ivrd/ivrd/node/nodetest"
	"github.com/ivrd/ivrd/prompts"
	"github.com/ivrd/ivrd/sip/siptest"
)

// TestClusterSharedState runs issue 26's acceptance on three nodes behind
// Kamailio on one PostgreSQL database: what one node stores, the others
// use. A voicemail left through node 1 is heard through node 3 (the
// voicemail-by-phone menu); wrong PINs made through three nodes, one
// each, lock the box on every node; a node killed with SIGKILL 50 ms
// after answering a call leaves that call's record (settled as
// interrupted by a survivor), its call.started event (delivered by a
// survivor, which adopts the dead node's outbox) and a call.ended the
// survivor sends; a call Kamailio sends
// to the dead node before it notices fails over and keeps Kamailio in
// its route; once Kamailio takes the node out, calls go to the survivors
// without a failover, and their BYEs, routed through Kamailio, end them.
func TestClusterSharedState(t *testing.T) {
	c := needCluster(t)
	hooks := newHookReceiver(t)
	c.hookURL = hooks.url
	writeVoicemailPrompts(t, c.prompts)
	c.startNodes(3)
	c.startKamailio()
	n1, n2, n3 := c.nodes[0], c.nodes[1], c.nodes[2]
	t.Cleanup(func() {
		if t.Failed() {
			for _, nd := range c.nodes {
				t.Logf("%s's log, voicemail and cluster lines:\n%s", nd.id, grepLines(readFile(t, nd.logf), "voicemail", "cluster", "webhook"))
			}
		}
	})

	t.Run("voicemail left on node 1 is heard on node 3", func(t *testing.T) {
		caller, call := c.callOn(t, n1, "400")
		var p presser
		p.keys(t, caller, call, "6")
		nodetest.WaitToneOver(t, caller, 1000, vmCandidates...) // the recorder's beep
		require.NoError(t, caller.SendTone(call.Media, 700, 50, &p.seq))
		p.keys(t, caller, call, "#")
		_, err := caller.WaitRequest("BYE", 20*time.Second)
		require.NoError(t, err, "goodbye after the message")
		var stored int
		require.NoError(t, c.db.QueryRow(`SELECT count(*) FROM voicemail_messages m JOIN call_records r ON r.call_id = m.call_id
			WHERE m.box = '1001' AND r.node = 'node-1'`).Scan(&stored))
		require.Equal(t, 1, stored, "node 1's message is in the shared store")

		caller, call = c.callOn(t, n3, "400")
		p.keys(t, caller, call, "7")
		waitVMTones(t, caller, "the PIN prompt on node 3", 400)
		p.keys(t, caller, call, "4321#")
		waitVMTones(t, caller, "you have 1 new message, on node 3", 1200, 1400, 1600, 1800)
		p.keys(t, caller, call, "1")
		waitVMTones(t, caller, "node 1's message played by node 3", 700)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(t, call.Dialog.Bye(ctx), "BYE through kamailio")
	})

	t.Run("three nodes together lock a box", func(t *testing.T) {
		// Box 1002: lockout_after 3, max_attempts 1. One wrong PIN per
		// node; a node counting alone would have seen one.
		for _, nd := range []*clusterNode{n1, n2, n3} {
			caller, call := c.callOn(t, nd, "400")
			var p presser
			p.keys(t, caller, call, "8")
			waitVMTones(t, caller, "the PIN prompt on "+nd.id, 400)
			p.keys(t, caller, call, "1111#")
			waitVMTones(t, caller, "login incorrect on "+nd.id, 400, 600)
			_, err := caller.WaitRequest("BYE", 20*time.Second)
			require.NoError(t, err, "one wrong PIN ends the call on %s", nd.id)
		}
		// The right PIN is now refused through each node.
		for _, nd := range []*clusterNode{n2, n3, n1} {
			caller, call := c.callOn(t, nd, "400")
			var p presser
			p.keys(t, caller, call, "8")
			waitVMTones(t, caller, "the PIN prompt on "+nd.id, 400)
			p.keys(t, caller, call, "2468#")
			waitVMTones(t, caller, "the box is locked, on "+nd.id, 900)
			_, err := caller.WaitRequest("BYE", 20*time.Second)
			require.NoError(t, err, "locked out on %s", nd.id)
			assert.NotContains(t, vmHeard(caller), 1200.0, "no message count for a locked box on %s", nd.id)
		}
	})

	t.Run("a BYE without the route set still ends the call", func(t *testing.T) {
		// sipp's own BYE, when it gives a call up, carries no Route:
		// Kamailio relays an in-dialog request addressed to one of its
		// nodes instead of answering 404 (the call would stay up, and
		// 'started', on the node).
		_, call := c.callOn(t, n3, "200")
		id := call.Dialog.InviteRequest.CallID().Value()
		conn, err := net.ListenPacket("udp", "127.0.0.1:0")
		require.NoError(t, err)
		defer conn.Close()
		bye := "BYE " + call.Dialog.InviteResponse.Contact().Address.String() + " SIP/2.0\r\n" +
			"Via: SIP/2.0/UDP " + conn.LocalAddr().String() + ";branch=z9hG4bK-noroute-" + strconv.FormatInt(time.Now().UnixNano(), 36) + "\r\n" +
			"From: " + call.Dialog.InviteRequest.From().Value() + "\r\nTo: " + call.Dialog.InviteResponse.To().Value() + "\r\n" +
			"Call-ID: " + id + "\r\nCSeq: " + strconv.FormatUint(uint64(call.Dialog.InviteRequest.CSeq().SeqNo)+1, 10) + " BYE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
		kam, err := net.ResolveUDPAddr("udp", c.kamAddr)
		require.NoError(t, err)
		_, err = conn.WriteTo([]byte(bye), kam)
		require.NoError(t, err)
		require.NoError(t, conn.SetReadDeadline(time.Now().Add(10*time.Second)))
		buf := make([]byte, 4096)
		for {
			n, _, err := conn.ReadFrom(buf)
			require.NoError(t, err, "no final answer to the route-less BYE:\n%s", tailFile(c.kamLog, 1500))
			if line := string(buf[:n]); !strings.HasPrefix(line, "SIP/2.0 1") {
				require.True(t, strings.HasPrefix(line, "SIP/2.0 200"), "the route-less BYE got:\n%s\nkamailio:\n%s\n%s:\n%s", line,
					grepLines(readFile(t, c.kamLog), id), n3.id, grepLines(readFile(t, n3.logf), id, "bye", "BYE"))
				break
			}
		}
		nodetest.WaitUntil(t, 20*time.Second, func() bool { _, s := c.record(id); return s == "ended" },
			func() string { _, s := c.record(id); return "the call's record is " + s })
		require.Contains(t, grepLines(readFile(t, c.kamLog), id), "without a route: relayed to node", "kamailio relayed it")
	})

	t.Run("SIGKILL just after an answer loses neither record nor events", func(t *testing.T) {
		// The receiver refuses everything until the kill: what node 2
		// wrote stays undelivered in the outbox, and only a survivor can
		// send it.
		hooks.refuse.Store(true)
		caller, call := c.callOn(t, n2, "200")
		callID := call.Dialog.InviteRequest.CallID().Value()
		// The acceptance's moment: 50 ms after the answer (the scenario's
		// time, not a wait for the node).
		time.Sleep(50 * time.Millisecond)
		require.NoError(t, n2.cmd.Process.Signal(syscall.SIGKILL))
		<-n2.done
		killed := time.Now()
		hooks.refuse.Store(false)
		caller.Close() // its dialog went with node 2

		owner, state := c.record(callID)
		require.Equal(t, "node-2", owner, "the call answered 50 ms before the kill has its record")

		// Before Kamailio's probe notices, a call it sends to node 2 waits
		// NODE_TIMEOUT and fails over to the next node. That call keeps
		// Kamailio in its route set (Record-Route on the failed-over
		// INVITE and in the node's 200), so its in-dialog requests are
		// routed, and its BYE through Kamailio ends it.
		failedOver := false
		for i := 0; i < len(c.nodes) && !failedOver; i++ {
			caller := newCaller(t)
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			call, err := caller.Call(ctx, mustAddrPort(t, c.kamAddr), "200")
			require.NoError(t, err, "call %d just after the kill", i)
			id := call.Dialog.InviteRequest.CallID().Value()
			failedOver = strings.Contains(readFile(t, c.kamLog), "for "+id+": next node")
			assert.NotNil(t, call.Dialog.InviteResponse.GetHeader("Record-Route"),
				"call %d (failed over: %v) answered without kamailio's Record-Route", i, failedOver)
			nodetest.WaitPrompt(t, caller)
			require.NoError(t, call.Dialog.Bye(ctx), "BYE of call %d (failed over: %v)", i, failedOver)
			cancel()
		}
		t.Logf("a call failed over from the dead node: %v", failedOver)

		// Kamailio takes node 2 out of service, on the call that failed
		// over or on its next probe (an interval plus the OPTIONS
		// timeout); the test waits for Kamailio to say so, and the time
		// it took is a figure, not a check.
		nodetest.WaitUntil(t, 30*time.Second, func() bool {
			return strings.Contains(readFile(t, c.kamLog), "ivrd node sip:"+n2.sip+" out of service")
		}, func() string { return "kamailio never took node 2 out:\n" + tailFile(c.kamLog, 2000) })
		t.Logf("kamailio marked node 2 out of service within %s of the kill (probe every %d s)",
			time.Since(killed).Round(time.Millisecond), probeInterval)
		before := c.records()["node-2"]
		for i := 0; i < 6; i++ {
			caller := newCaller(t)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			call, err := caller.Call(ctx, mustAddrPort(t, c.kamAddr), "200")
			require.NoError(t, err, "call %d after node 2 left", i)
			id := call.Dialog.InviteRequest.CallID().Value()
			assert.Contains(t, []string{"node-1", "node-3"}, c.nodeAt(call.Media.Addr().String()))
			nodetest.WaitPrompt(t, caller)
			// Routed by the Record-Route set through Kamailio to the node.
			require.NoError(t, call.Dialog.Bye(ctx), "BYE of call %d", i)
			cancel()
			assert.NotContains(t, readFile(t, c.kamLog), "for "+id+": next node", "call %d tried the dead node first", i)
		}
		c.waitSettled(t, "node-1", "node-3")
		assert.Equal(t, total(before), total(c.records()["node-2"]), "no new call went to node 2")

		settle := node.LostAfter + 5*node.HeartbeatEvery + 5*time.Second
		nodetest.WaitUntil(t, settle, func() bool { _, s := c.record(callID); return s == "interrupted" },
			func() string { _, s := c.record(callID); return "the killed call's record is " + s })
		t.Logf("record interrupted %s after the kill (state at the kill: %s)", time.Since(killed).Round(time.Millisecond), state)

		// call.started is in the outbox before the menu begins; the events
		// after it are written a moment later (README states the bound),
		// so whether menu.entered made it 50 ms in is a figure.
		// The survivor that settled the call also tells the webhooks it
		// ended, after the dead node's own events.
		nodetest.WaitUntil(t, 90*time.Second, func() bool { return hooks.has(callID, "call.started", "call.ended") },
			func() string { return fmt.Sprintf("events of the killed call delivered: %v", hooks.typesOf(callID)) })
		types := hooks.typesOf(callID)
		assert.Equal(t, "call.started", types[0], "the killed call's events in order: %v", types)
		assert.Equal(t, "call.ended", types[len(types)-1], "the killed call's events in order: %v", types)
		t.Logf("the killed call's events delivered by a survivor %s after the kill: %v",
			time.Since(killed).Round(time.Millisecond), hooks.typesOf(callID))
		var left, adopted int
		require.NoError(t, c.db.QueryRow(`SELECT count(*) FILTER (WHERE node = 'node-2'), count(*) FILTER (WHERE node <> 'node-2')
			FROM webhook_outbox WHERE call_id = $1`, callID).Scan(&left, &adopted))
		assert.Zero(t, left, "node 2's outbox rows all adopted")
		assert.Positive(t, adopted)
		assert.Contains(t, readFile(t, n1.logf)+readFile(t, n3.logf), "webhook events of a lost node adopted for delivery")
		assert.Empty(t, hooks.duplicates(), "events delivered twice")
		assert.NotContains(t, readFile(t, c.kamLog), "has no route through here", "an in-dialog request without the route set")
	})
}

// grepLines keeps the lines of text containing any of words.
func grepLines(text string, words ...string) string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		if slices.ContainsFunc(words, func(w string) bool { return strings.Contains(line, w) }) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

// callOn calls ext through Kamailio until the call lands on nd (round
// robin: a few calls, or more while a busy machine has Kamailio take nd
// out for a missed probe; bounded in time), hanging up the others, and
// waits for its first prompt.
func (c *cluster) callOn(t *testing.T, nd *clusterNode, ext string) (*siptest.Caller, *siptest.Answered) {
	t.Helper()
	deadline := time.Now().Add(nodetest.Patience)
	for tries := 1; ; tries++ {
		caller := newCaller(t)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		call, err := caller.Call(ctx, mustAddrPort(t, c.kamAddr), ext)
		require.NoError(t, err, "call %s through kamailio", ext)
		if call.Media.Addr().String() == nd.ip {
			cancel()
			nodetest.WaitPrompt(t, caller)
			return caller, call
		}
		require.NoError(t, call.Dialog.Bye(ctx), "BYE through kamailio")
		cancel()
		if time.Now().After(deadline) {
			t.Fatalf("no call of %d in %s reached %s through kamailio:\n%s", tries, nodetest.Patience, nd.id,
				grepLines(readFile(t, c.kamLog), "service"))
		}
	}
}

// presser sends RFC 4733 keys on one call.
type presser struct {
	seq uint16
	ts  uint32
}

func (p *presser) keys(t *testing.T, c *siptest.Caller, to *siptest.Answered, s string) {
	t.Helper()
	require.NoError(t, p.press(c, to, s))
}

// The voicemail prompts are tones, so that what a caller hears can be
// told apart: every vm-* and num-* prompt is a short 300 Hz tone except
// these. 1000 Hz is the recorder's beep, 500 Hz the menus' prompt, 700 Hz
// the message the test leaves.
var vmTones = map[string]float64{
	"vm-password": 400, "vm-incorrect": 600, "vm-locked": 900,
	"vm-youhave": 1200, "num-1": 1400, "vm-new": 1600, "vm-message": 1800,
}

var vmCandidates = []float64{300, 400, 500, 600, 700, 900, 1000, 1200, 1400, 1600, 1800}

func writeVoicemailPrompts(t *testing.T, dir string) {
	t.Helper()
	for _, name := range prompts.Builtin().Names() {
		if strings.HasPrefix(name, "vm-") || strings.HasPrefix(name, "num-") || name == "goodbye" {
			f, dur := 300.0, 100*time.Millisecond
			if tone, ok := vmTones[name]; ok {
				f, dur = tone, 300*time.Millisecond
			}
			nodetest.WriteTone(t, filepath.Join(dir, name+".wav"), f, dur)
		}
	}
}

// vmHeard is the tones the caller heard, repeats merged.
func vmHeard(c *siptest.Caller) []float64 {
	var out []float64
	for _, p := range c.Packets() {
		if !nodetest.Loud(p) {
			continue
		}
		f := nodetest.ToneIn(ulawPCM(p.Payload), vmCandidates...)
		if len(out) == 0 || out[len(out)-1] != f {
			out = append(out, f)
		}
	}
	return out
}

// waitVMTones waits (bounded) until the caller has heard want in order.
func waitVMTones(t *testing.T, c *siptest.Caller, what string, want ...float64) {
	t.Helper()
	nodetest.WaitUntil(t, nodetest.Patience, func() bool {
		i := 0
		for _, g := range vmHeard(c) {
			if i < len(want) && g == want[i] {
				i++
			}
		}
		return i == len(want)
	}, func() string { return fmt.Sprintf("%s: heard %v, want %v in order", what, vmHeard(c), want) })
}

// hookReceiver is a webhook endpoint that records what it is sent and,
// while refuse is set, answers 503.
type hookReceiver struct {
	url    string
	refuse atomic.Bool
	mu     sync.Mutex
	events map[string][]string // call id -> event types, in arrival order
	ids    map[string]int      // event id -> deliveries accepted
}

func newHookReceiver(t *testing.T) *hookReceiver {
	t.Helper()
	h := &hookReceiver{events: map[string][]string{}, ids: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h.refuse.Load() {
			http.Error(w, "not now", http.StatusServiceUnavailable)
			return
		}
		body, err := io.ReadAll(r.Body)
		var ev struct {
			ID     string `json:"id"`
			Type   string `json:"type"`
			CallID string `json:"call_id"`
		}
		if err != nil || json.Unmarshal(body, &ev) != nil || ev.ID != r.Header.Get("X-Ivrd-Event-Id") {
			http.Error(w, "bad event", http.StatusBadRequest)
			return
		}
		h.mu.Lock()
		h.events[ev.CallID] = append(h.events[ev.CallID], ev.Type)
		h.ids[ev.ID]++
		h.mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	h.url = srv.URL + "/hook"
	return h
}

func (h *hookReceiver) typesOf(callID string) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.events[callID])
}

func (h *hookReceiver) has(callID string, types ...string) bool {
	got := h.typesOf(callID)
	for _, want := range types {
		if !slices.Contains(got, want) {
			return false
		}
	}
	return true
}

// duplicates lists the event ids accepted more than once.
func (h *hookReceiver) duplicates() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for id, n := range h.ids {
		if n > 1 {
			out = append(out, id)
		}
	}
	return out
}

// ulawPCM decodes a µ-law payload.
func ulawPCM(payload []byte) []int16 {
	pcm := make([]int16, len(payload))
	for i, b := range payload {
		pcm[i] = g711.DecodeUlawFrame(b)
	}
	return pcm
}
