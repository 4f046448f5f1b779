package node

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/api"
	"github.com/ivrd/ivrd/internal/testenv"
	"github.com/ivrd/ivrd/node/nodetest"
	"github.com/ivrd/ivrd/sip/siptest"
)

const queueConf = `
server:
  sip: { listen: ["udp://127.0.0.1:0"] }
  media: { rtp_ports: "RTP_RANGE" }
prompts_dir: "PROMPTS"
extensions:
  - { number: "201", contact: "AGENT" }
queues:
  - QUEUE
ivrs:
  - id: main
    extensions: ["100"]
    prompt: beep
    keys: { "1": { queue: support } }
`

// startQueue starts a node with the queue under test (its music a
// 440 Hz tone), logging at info so that the test can wait on what the
// queue says it did.
func startQueue(t *testing.T, agent, queue string) (*Node, *testenv.Buffer) {
	t.Helper()
	path := writeConfig(t, queueConf, "AGENT", agent, "QUEUE", queue)
	writeTone(t, filepath.Join(filepath.Dir(path), "music.wav"), 440, 500*time.Millisecond)
	return startLogged(t, path)
}

// queueCaller dials number and returns the caller, its call and its
// Call-ID.
func queueCaller(t *testing.T, svc *Node, number string) (*siptest.Caller, *siptest.Answered, string) {
	t.Helper()
	c := newCaller(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	call, err := c.Call(ctx, svc.sip.Addr("udp"), number)
	require.NoError(t, err)
	return c, call, call.Dialog.InviteRequest.CallID().Value()
}

// listQueues is GET /api/v1/queues, checked against the OpenAPI document.
func listQueues(t *testing.T, svc *Node, token string) []api.Queue {
	t.Helper()
	code, body := checkedGet(t, svc, "/api/v1/queues", token)
	require.Equal(t, http.StatusOK, code, string(body))
	var out struct{ Items []api.Queue }
	require.NoError(t, json.Unmarshal(body, &out))
	return out.Items
}

// waitingIDs is the queue's waiting calls, in position order.
func waitingIDs(t *testing.T, svc *Node, token string) []string {
	t.Helper()
	ids := []string{}
	for _, w := range listQueues(t, svc, token)[0].Waiting {
		ids = append(ids, w.CallID)
	}
	return ids
}

func waitWaiting(t *testing.T, svc *Node, token string, want ...string) {
	t.Helper()
	waitUntil(t, nodetest.Patience, func() bool { return fmt.Sprint(waitingIDs(t, svc, token)) == fmt.Sprint(want) },
		func() string { return fmt.Sprintf("waiting %v, want %v", waitingIDs(t, svc, token), want) })
}

// TestQueueServesInOrderOfArrival: with the only agent logged out, two
// callers queue; the second hears the music and its position (2); once
// the agent logs in by the API, the first caller is the one rung for and
// bridged, and the second moves up to position 1.
func TestQueueServesInOrderOfArrival(t *testing.T) {
	t.Parallel()
	agent := siptest.NewFarEnd(t, "answer")
	svc, logs := startQueue(t, agent.URI(),
		`{ id: support, number: "600", members: ["201"], music: music, announce_position: 5s, wrap_up: 30s }`)
	tok := firstToken(t, svc)
	code, body, _ := apiCall(t, svc, tok, "POST", "/api/v1/queues/support/agents/201/logout", "", nil)
	require.Equal(t, http.StatusOK, code, string(body))
	code, _, _ = apiCall(t, svc, tok, "POST", "/api/v1/queues/support/agents/999/logout", "", nil)
	require.Equal(t, http.StatusNotFound, code, "999 is not an agent of the queue")

	first, _, firstID := queueCaller(t, svc, "600")
	waitWaiting(t, svc, tok, firstID)
	second, secondCall, secondID := queueCaller(t, svc, "600")
	waitWaiting(t, svc, tok, firstID, secondID)
	q := listQueues(t, svc, tok)[0]
	require.Equal(t, []int{1, 2}, []int{q.Waiting[0].Position, q.Waiting[1].Position})
	require.Equal(t, "logged_out", q.Agents[0].State)

	waitToneHeard(t, second, 440, "the second caller hears the queue's music")
	waitLogLine(t, logs, `msg="queue position announced"`, "call_id="+secondID, "position=2")
	noInvite(t, agent, "the logged-out agent")

	code, body, _ = apiCall(t, svc, tok, "POST", "/api/v1/queues/support/agents/201/login", "", nil)
	require.Equal(t, http.StatusOK, code, string(body))
	waitInvite(t, agent, "the agent, once logged in")
	waitToneHeard(t, first, 1000, "the first caller is bridged to the agent")
	waitWaiting(t, svc, tok, secondID)
	q = listQueues(t, svc, tok)[0]
	require.Equal(t, 1, q.Waiting[0].Position, "the second caller is next")
	require.Equal(t, "busy", q.Agents[0].State)
	require.Equal(t, uint64(1), q.Answered)
	noInvite(t, agent, "the agent again while busy with the first caller")
	code, metrics := httpGet(t, svc, "/metrics")
	require.Equal(t, http.StatusOK, code)
	for _, line := range []string{`ivrd_queue_waiting{queue="support"} 1`, `ivrd_queue_answered_total{queue="support"} 1`,
		`ivrd_queue_answered_within_service_level_total{queue="support"} 1`, `ivrd_queue_abandoned_total{queue="support"} 0`} {
		require.Contains(t, string(metrics), line)
	}

	// The second caller gives up: abandoned.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, secondCall.Dialog.Bye(ctx))
	waitWaiting(t, svc, tok)
	waitUntil(t, nodetest.Patience, func() bool {
		_, m := httpGet(t, svc, "/metrics")
		return strings.Contains(string(m), `ivrd_queue_abandoned_total{queue="support"} 1`) &&
			strings.Contains(string(m), `ivrd_queue_waiting{queue="support"} 0`)
	}, func() string { return "the hang-up is not counted as abandoned" })
}

// waitLogLine waits (bounded) for a log line holding every part.
func waitLogLine(t *testing.T, logs *testenv.Buffer, parts ...string) {
	t.Helper()
	waitUntil(t, nodetest.Patience, func() bool {
		for _, line := range strings.Split(logs.String(), "\n") {
			if !slices.ContainsFunc(parts, func(p string) bool { return !strings.Contains(line, p) }) {
				return true
			}
		}
		return false
	}, func() string {
		return fmt.Sprintf("no log line with %q:\n%s", parts, nodetest.Tail(logs.String(), 3000))
	})
}

// waitToneHeard waits for c to hear freq.
func waitToneHeard(t *testing.T, c *siptest.Caller, freq float64, what string) {
	t.Helper()
	waitUntil(t, nodetest.Patience, func() bool { return containsTone(heard(c.Packets()), freq) },
		func() string { return fmt.Sprintf("%s: heard %v", what, heard(c.Packets())) })
}

// TestQueueMaxWaitOverflows: reached from a menu key, the caller waits
// while the only agent's phone rings unanswered; at max_wait the queue's
// overflow takes the call (bridged to another phone).
func TestQueueMaxWaitOverflows(t *testing.T) {
	t.Parallel()
	agent, over := siptest.NewFarEnd(t, "noanswer"), siptest.NewFarEnd(t, "answer")
	svc, logs := startQueue(t, agent.URI(), fmt.Sprintf(
		`{ id: support, members: ["201"], music: music, max_wait: 3s, overflow: { uri: "%s", transfer: bridge } }`, over.URI()))
	c, _ := groupCall(t, svc)
	waitInvite(t, agent, "the agent")
	waitLogLine(t, logs, `msg="queue: max_wait reached"`, "queue=support")
	waitInvite(t, over, "the overflow")
	waitToneHeard(t, c, 1000, "the caller is bridged to the overflow")
	tok := firstToken(t, svc)
	require.Empty(t, listQueues(t, svc, tok)[0].Waiting, "the caller left the queue")
}

// TestQueueLeaveKey: the caller presses the leave key while waiting and
// goes to the queue's leave destination.
func TestQueueLeaveKey(t *testing.T) {
	t.Parallel()
	away := siptest.NewFarEnd(t, "answer")
	svc, logs := startQueue(t, "sip:201@127.0.0.1:9", fmt.Sprintf(
		`{ id: support, number: "600", members: ["201"], music: music, leave_key: "1", leave: { uri: "%s", transfer: bridge } }`, away.URI()))
	tok := firstToken(t, svc)
	require.Equal(t, http.StatusOK, func() int {
		code, _, _ := apiCall(t, svc, tok, "POST", "/api/v1/queues/support/agents/201/logout", "", nil)
		return code
	}())
	c, call, id := queueCaller(t, svc, "600")
	waitWaiting(t, svc, tok, id)
	waitToneHeard(t, c, 440, "the caller hears the music")
	var seq uint16
	sendEvent(t, c, call.Media, 101, '1', &seq, 9000)
	waitLogCount(t, logs, "queue: the caller pressed the leave key", 1)
	waitInvite(t, away, "the leave destination")
	waitToneHeard(t, c, 1000, "the caller is bridged to the leave destination")
	waitWaiting(t, svc, tok)
	require.Equal(t, uint64(0), listQueues(t, svc, tok)[0].Abandoned, "leaving by key is not abandoning")
}

// TestQueueLongestIdleAcrossCalls: two answering agents; each call, once
// over, leaves its agent idle for less time than the other: the next
// caller is rung to the other one.
func TestQueueLongestIdleAcrossCalls(t *testing.T) {
	t.Parallel()
	a1, a2 := siptest.NewFarEnd(t, "answer"), siptest.NewFarEnd(t, "answer")
	path := writeConfig(t, queueConf, "AGENT", a1.URI(), "QUEUE",
		`{ id: support, number: "600", members: ["201", "202"], strategy: longest_idle }`)
	text, err := os.ReadFile(path)
	require.NoError(t, err)
	text = []byte(strings.Replace(string(text), "extensions:\n", "extensions:\n  - { number: \"202\", contact: \""+a2.URI()+"\" }\n", 1))
	require.NoError(t, os.WriteFile(path, text, 0o644))
	svc := startConfig(t, path)
	order := []*siptest.FarEnd{a1, a2, a1}
	for i, want := range order {
		c, call, _ := queueCaller(t, svc, "600")
		waitInvite(t, want, fmt.Sprintf("call %d: the agent idle the longest", i+1))
		for _, other := range []*siptest.FarEnd{a1, a2} {
			if other != want {
				noInvite(t, other, "the other agent")
			}
		}
		waitToneHeard(t, c, 1000, "the caller is bridged to the agent")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		require.NoError(t, call.Dialog.Bye(ctx))
		cancel()
		select {
		case <-want.Bye:
		case <-time.After(5 * time.Second):
			t.Fatal("the agent got no BYE")
		}
		tok := firstToken(t, svc)
		waitUntil(t, nodetest.Patience, func() bool {
			for _, a := range listQueues(t, svc, tok)[0].Agents {
				if a.State != "free" {
					return false
				}
			}
			return true
		}, func() string { return "the agents are not both free again" })
	}
}
