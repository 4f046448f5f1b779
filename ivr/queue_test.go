package ivr

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const queueConfig = `
extensions:
  - { number: "201" }
  - { number: "202" }
  - { number: "203" }
groups:
  - { id: backoffice, members: ["202", "203"] }
queues:
  - id: support
    number: "600"
    members: ["201", "202"]
    groups: [backoffice]
    strategy: longest_idle
    max_wait: 2m
    overflow: { voicemail: "201" }
    leave_key: "1"
    leave: { voicemail: "202" }
ivrs:
  - id: main
    extensions: ["100"]
    prompt: main-choices
    keys:
      "1": { queue: support }
      "2": { internal: "600" }
`

func TestQueueReachedByDestinationAndNumber(t *testing.T) {
	cfg, err := Parse([]byte(queueConfig))
	require.NoError(t, err)
	probs := Validate(cfg, []string{"main-choices"})
	require.False(t, HasErrors(probs), "%v", probs)
	q := cfg.QueueByNumber("600")
	require.NotNil(t, q)
	assert.Equal(t, []string{"201", "202", "203"}, cfg.QueueAgents(q), "members, then the group's new members, each once")
	assert.Equal(t, DefaultQueueAgentTimeout, q.AgentTimeout.D())
	assert.Equal(t, 2*time.Minute, q.MaxWait.D())
	for key, want := range map[string]string{"1": "queue support", "2": "queue support"} {
		trace, err := Simulate(cfg, SimOptions{To: "100", Script: "wait:200ms," + key, Duration: func(string) (time.Duration, bool) { return time.Second, true }})
		require.NoError(t, err)
		var got string
		for _, ev := range trace {
			if ev.Event == StepTransfer {
				got = ev.Dest.String()
			}
		}
		assert.Equal(t, want, got, "key %s", key)
	}
}

// TestQueueExitRunsItsDestination: a queue's wait that ends by the leave
// key goes to the leave destination, not to the key's overflow.
func TestQueueExitRunsItsDestination(t *testing.T) {
	cfg, err := Parse([]byte(queueConfig))
	require.NoError(t, err)
	e := NewExecutor(cfg, cfg.IVRByID("main"), "1001", time.Now())
	e.Handle(Started{})
	acts := e.Handle(DigitPressed{Key: '1'})
	var tr *Transfer
	for _, a := range acts {
		if x, ok := a.(Transfer); ok {
			tr = &x
		}
	}
	require.NotNil(t, tr, "%v", acts)
	require.Equal(t, MethodQueue, tr.Method)
	acts = e.Handle(TransferResult{Err: &QueueExit{Dest: cfg.QueueByID("support").Leave, Why: "left"}})
	var vm string
	for _, a := range acts {
		if x, ok := a.(Voicemail); ok {
			vm = x.Box
		}
	}
	assert.Equal(t, "202", vm, "the leave destination runs: %v", acts)
	var qe *QueueExit
	assert.True(t, errors.As(error(&QueueExit{Why: "x"}), &qe))
}

func TestQueueProblems(t *testing.T) {
	text := strings.Replace(queueConfig, `members: ["201", "202"]`, `members: ["201", "299", "201"]`, 1)
	text = strings.Replace(text, `groups: [backoffice]`, `groups: [nope]`, 1)
	text = strings.Replace(text, `strategy: longest_idle`, `strategy: random`, 1)
	text = strings.Replace(text, `leave_key: "1"`, `leave_key: "12"`, 1)
	text = strings.Replace(text, `"1": { queue: support }`, `"1": { queue: other, ring_timeout: 5s }`, 1)
	text = strings.Replace(text, `max_wait: 2m`, `max_wait: 2m
    announce_wait: true`, 1)
	text += "conferences:\n  - { id: room, number: \"600\" }\n"
	cfg, err := Parse([]byte(text))
	require.NoError(t, err)
	var got []string
	for _, p := range Validate(cfg, []string{"main-choices"}) {
		got = append(got, p.String())
	}
	all := strings.Join(got, "\n")
	for _, want := range []string{
		`queues[support].members[1]: unknown extension "299"`,
		`queues[support].members[2]: "201" is listed twice`,
		`queues[support].groups[0]: unknown group "nope"`,
		`queues[support].strategy: "random": want ringall, roundrobin or longest_idle`,
		`queues[support].leave_key: "12": want one key`,
		`unknown queue "other"`,
		`ring_timeout does not apply to a queue`,
		`number "600" is owned twice`,
		`queues[support].announce_wait: announce_wait needs announce_position`,
	} {
		assert.Contains(t, all, want)
	}
}
