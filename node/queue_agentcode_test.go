package node

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/call"
)

const agentCodeConf = `
server:
  sip: { listen: ["udp://127.0.0.1:0"] }
  media: { rtp_ports: "RTP_RANGE" }
prompts_dir: "PROMPTS"
extensions:
  - { number: "201", password: "agent-secret" }
  - { number: "202", password: "other-secret" }
queues:
  - { id: support, number: "600", members: ["201"], agent_code: "*45" }
  - { id: sales, number: "601", members: ["201", "202"], agent_code: "*45" }
ivrs:
  - { id: main, extensions: ["100"], prompt: beep }
`

// agentState is agent's state in queue, as the API shows it.
func agentState(t *testing.T, svc *Node, queue, agent string) call.AgentState {
	t.Helper()
	for _, q := range svc.calls.Queues().List(svc.snap.Load().Config) {
		if q.ID != queue {
			continue
		}
		for _, a := range q.Agents {
			if a.Name == agent {
				return a.State
			}
		}
	}
	return ""
}

// TestQueueAgentCode: an agent dialling the queues' feature code (*45)
// from its registered phone is logged out of every queue with that code
// it belongs to, hears so and is hung up; dialling it again logs it back
// in. A call that only says it is the agent (its From) but comes from
// another socket changes nothing, and neither does a caller who is no
// agent: both hear the same refusal.
func TestQueueAgentCode(t *testing.T) {
	path := writeConfig(t, agentCodeConf)
	dir := filepath.Dir(path)
	writeTone(t, filepath.Join(dir, "agent-loggedoff.wav"), 440, 200*time.Millisecond)
	writeTone(t, filepath.Join(dir, "agent-loggedin.wav"), 1000, 200*time.Millisecond)
	writeTone(t, filepath.Join(dir, "agent-refused.wav"), 700, 200*time.Millisecond)
	svc := startConfig(t, path)
	server := svc.sip.Addr("udp")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	phone := newCaller(t)
	code, err := phone.Register(ctx, server, "201", "agent-secret")
	require.NoError(t, err)
	require.Equal(t, 200, code, "REGISTER")
	for _, q := range []string{"support", "sales"} {
		require.Equal(t, call.AgentFree, agentState(t, svc, q, "201"))
	}

	toggle := func(who string, want float64) {
		t.Helper()
		phone.ResetPackets()
		d, err := phone.Invite(ctx, server, "*45", phone.Offer("", 0, 101), phone.From(who))
		require.NoError(t, err)
		require.NoError(t, d.Ack(ctx))
		_, err = phone.WaitRequest(sip.BYE, 10*time.Second)
		require.NoError(t, err, "ivrd hangs up after saying what it did")
		require.True(t, heardTone(phone.Packets(), want), "heard %v Hz", want)
	}

	toggle("201", 440)
	for _, q := range []string{"support", "sales"} {
		require.Equal(t, call.AgentLoggedOut, agentState(t, svc, q, "201"), "logged out of %s", q)
	}
	require.Equal(t, call.AgentFree, agentState(t, svc, "sales", "202"), "another agent is untouched")

	toggle("201", 1000)
	for _, q := range []string{"support", "sales"} {
		require.Equal(t, call.AgentFree, agentState(t, svc, q, "201"), "logged back in to %s", q)
	}

	// 202 is an agent, but this socket registered as 201: its From is
	// not believed.
	toggle("202", 700)
	require.Equal(t, call.AgentFree, agentState(t, svc, "sales", "202"))

	// A phone that never registered, claiming to be 201.
	stranger := newCaller(t)
	d, err := stranger.Invite(ctx, server, "*45", stranger.Offer("", 0, 101), stranger.From("201"))
	require.NoError(t, err)
	require.NoError(t, d.Ack(ctx))
	_, err = stranger.WaitRequest(sip.BYE, 10*time.Second)
	require.NoError(t, err)
	require.True(t, heardTone(stranger.Packets(), 700), "refused")
	require.Equal(t, call.AgentFree, agentState(t, svc, "support", "201"))
}
