package ivr

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const botURL = "ws://127.0.0.1:8091/media"

func simStream(t *testing.T, answers map[string][]byte) string {
	t.Helper()
	return simAskTo(t, loadExample(t, "streambot.yaml"), "400", "wait:3s,1", answers)
}

func simAskTo(t *testing.T, c *Config, to, script string, answers map[string][]byte) string {
	t.Helper()
	tr, err := Simulate(c, SimOptions{To: to, From: "555", Script: script, Answers: answers})
	require.NoError(t, err)
	var out strings.Builder
	require.NoError(t, WriteTrace(&out, tr))
	return out.String()
}

func TestSimulateStreamGoesToThenOrTheFarEndsDestination(t *testing.T) {
	out := simStream(t, nil)
	assert.Contains(t, out, `"event":"stream","ivr":"bot","detail":"`+botURL+`"`)
	assert.Contains(t, out, `"event":"stream_ended","ivr":"bot","detail":"hangup"`)

	out = simStream(t, map[string][]byte{botURL: []byte(`{"extension":"1001","vars":{"intent":"billing"}}`)})
	assert.Contains(t, out, `"event":"stream_ended","ivr":"bot","detail":"extension 1001"`)
	assert.Contains(t, out, `"dest":{"type":"extension","target":"1001"}`)

	out = simStream(t, map[string][]byte{botURL: []byte(`{"extension":"9999"}`)})
	assert.Contains(t, out, `"event":"stream_failed"`, "a destination that fails validation is refused")
	assert.Contains(t, out, `"dest":{"type":"extension","target":"1001"}`, "and the fallback runs")
}

// streamExecutor is a call in the example's bot menu after key 1.
func streamExecutor(t *testing.T) (*Executor, []Action) {
	t.Helper()
	c := loadExample(t, "streambot.yaml")
	e := NewExecutor(c, c.IVRByID("bot"), "555", time.Now())
	e.SetDialled("400")
	acts := e.Handle(Started{})
	acts = append(acts, e.Handle(PlaybackDone{ID: lastPlay(acts).ID})...)
	return e, append(acts, e.Handle(DigitPressed{Key: '1'})...)
}

func lastPlay(acts []Action) Play {
	var p Play
	for _, a := range acts {
		if pl, ok := a.(Play); ok {
			p = pl
		}
	}
	return p
}

func TestStreamActionCarriesTheCallsValuesAndItsTimeout(t *testing.T) {
	e, acts := streamExecutor(t)
	var start StartStream
	var timer StartTimer
	for _, a := range acts {
		switch a := a.(type) {
		case StartStream:
			start = a
		case StartTimer:
			timer = a
		}
	}
	require.NotZero(t, start.ID)
	assert.Equal(t, botURL, start.Spec.URL)
	assert.True(t, start.Spec.Bidirectional)
	assert.Equal(t, "555", start.Spec.Parameters["caller"], "variables put in")
	assert.Equal(t, 10*time.Minute, timer.After)
	assert.Empty(t, e.Handle(DigitPressed{Key: '0'}), "keys go to the far end, not the menu")

	acts = e.Handle(TimerFired{ID: timer.ID})
	require.NotEmpty(t, acts)
	assert.Equal(t, StopStream{ID: start.ID}, acts[0], "the timeout closes the stream")
	assert.Equal(t, Hangup{Reason: "hangup"}, acts[len(acts)-1], "then: hangup")
	assert.Empty(t, e.Handle(StreamEnded{ID: start.ID}), "the end the close causes is not acted on twice")
}

func TestStreamFailureRunsTheFallback(t *testing.T) {
	e, acts := streamExecutor(t)
	var start StartStream
	for _, a := range acts {
		if s, ok := a.(StartStream); ok {
			start = s
		}
	}
	acts = e.Handle(StreamEnded{ID: start.ID, Err: errors.New("dial: connection refused")})
	var tr Transfer
	for _, a := range acts {
		if x, ok := a.(Transfer); ok {
			tr = x
		}
	}
	require.NotNil(t, tr.Dest)
	assert.Equal(t, "1001", tr.Dest.Target)
}

func TestValidateStream(t *testing.T) {
	base := "extensions: [{number: \"1001\", contact: \"sip:a@127.0.0.1\"}]\nivrs:\n  - id: m\n    extensions: [\"1\"]\n    greeting: welcome\n    keys:\n      \"1\":\n"
	for name, tc := range map[string]struct{ dest, want string }{
		"not ws":        {`{stream: {url: "http://bot.example/ws"}}`, "want a ws:// or wss:// URL"},
		"no url":        {`{stream: {track: both}}`, "want a ws:// or wss:// URL"},
		"private":       {`{stream: {url: "ws://10.0.0.5/ws"}}`, "streams.allow_private"},
		"metadata":      {`{stream: {url: "ws://169.254.169.254/ws"}}`, "streams.allow_private"},
		"credentials":   {`{stream: {url: "wss://u:p@bot.example/ws"}}`, "credentials"},
		"track":         {`{stream: {url: "wss://bot.example/ws", track: outbound}}`, "want inbound or both"},
		"format":        {`{stream: {url: "wss://bot.example/ws", format: opus}}`, "want mulaw8k or pcm16k"},
		"unknown var":   {`{stream: {url: "wss://bot.example/ws", parameters: {a: "${nope}"}}}`, "nope"},
		"reserved hdr":  {`{stream: {url: "wss://bot.example/ws", headers: {Sec-WebSocket-Key: x}}}`, "set by the WebSocket handshake"},
		"timeout":       {`{stream: {url: "wss://bot.example/ws"}, timeout: 10ms}`, "out of range"},
		"bad then":      {`{stream: {url: "wss://bot.example/ws"}, then: {extension: "9"}}`, "9"},
		"hold":          {`{stream: {url: "wss://bot.example/ws"}, hold: welcome}`, "hold to ask"},
		"unknown field": {`{stream: {url: "wss://bot.example/ws", colour: red}}`, "colour"},
	} {
		t.Run(name, func(t *testing.T) {
			c, err := Parse([]byte(base + "        " + tc.dest + "\n"))
			if err != nil {
				assert.Contains(t, err.Error(), tc.want)
				return
			}
			var msgs []string
			for _, p := range Validate(c, bundled) {
				if !p.Warning {
					msgs = append(msgs, p.String())
				}
			}
			assert.Contains(t, strings.Join(msgs, "\n"), tc.want)
		})
	}
	c, err := Parse([]byte(base + "        {stream: {url: \"wss://bot.example/ws?c=${caller}\", track: both, format: pcm16k, headers: {Authorization: \"Bearer x\"}}, timeout: 1h, then: {extension: \"1001\"}}\n"))
	require.NoError(t, err)
	for _, p := range Validate(c, bundled) {
		assert.True(t, p.Warning, "a good stream: %s", p)
	}
}
