package ivr

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func accountLookup(t *testing.T) *Config {
	t.Helper()
	return loadExample(t, "account-lookup.yaml")
}

func simAsk(t *testing.T, c *Config, script string, answers map[string][]byte) string {
	t.Helper()
	durations := map[string]time.Duration{"welcome": time.Second, "main-choices": 2 * time.Second,
		"enter-account": 2 * time.Second, "one-moment": 1500 * time.Millisecond}
	tr, err := Simulate(c, SimOptions{To: "300", From: "555", Script: script, Answers: answers,
		Duration: func(p string) (time.Duration, bool) { d, ok := durations[p]; return d, ok }})
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, WriteTrace(&out, tr))
	return out.String()
}

const lookupURL = "http://127.0.0.1:8090/lookup"

func TestSimulateAskGoesWhereTheAnswerSays(t *testing.T) {
	c := accountLookup(t)
	out := simAsk(t, c, "wait:3s,1,wait:2s,123456#", map[string][]byte{
		lookupURL: []byte(`{"extension": "1002", "say": "Welcome back, account ${vars.account}.", "vars": {"tier": "gold"}}`),
	})
	assert.Contains(t, out, `"event":"gathered","ivr":"accounts","digits":"123456"`)
	assert.Contains(t, out, `"event":"ask","ivr":"accounts","detail":"`+lookupURL+`"`)
	assert.Contains(t, out, `"event":"answered","ivr":"accounts","detail":"extension 1002"`)
	assert.Contains(t, out, `"say":"Welcome back, account 123456."`)
	assert.Contains(t, out, `"dest":{"type":"extension","target":"1002"}`)
}

func TestSimulateAskFallsBack(t *testing.T) {
	c := accountLookup(t)
	for name, answers := range map[string]map[string][]byte{
		"no service":       nil,
		"garbage":          {lookupURL: []byte(`<html>oops</html>`)},
		"unknown target":   {lookupURL: []byte(`{"extension": "9999"}`)},
		"two destinations": {lookupURL: []byte(`{"extension": "1002", "ivr": "accounts"}`)},
		"unknown field":    {lookupURL: []byte(`{"extension": "1002", "colour": "red"}`)},
	} {
		t.Run(name, func(t *testing.T) {
			out := simAsk(t, c, "wait:3s,1,wait:2s,123456#", answers)
			assert.Contains(t, out, `"event":"ask_failed"`)
			assert.Contains(t, out, `"dest":{"type":"extension","target":"1001"}`)
		})
	}
}

func TestAskTimeoutAndHoldLoop(t *testing.T) {
	c := accountLookup(t)
	m := c.IVRByID("accounts")
	e := NewExecutor(c, m, "555", time.Now())
	e.SetDialled("300")
	acts := e.Handle(Started{})
	acts = append(acts, e.Handle(PlaybackDone{ID: acts[len(acts)-1].(Play).ID})...) // the greeting
	for _, k := range "1123456#" {
		acts = append(acts, e.Handle(DigitPressed{Key: byte(k)})...)
	}
	var ask Ask
	var timer StartTimer
	var hold Play
	for _, a := range acts {
		switch a := a.(type) {
		case Ask:
			ask = a
		case StartTimer:
			timer = a
		case Play:
			if a.Prompt == "one-moment" {
				hold = a
			}
		}
	}
	require.NotZero(t, ask.ID, "%#v", acts)
	assert.Equal(t, lookupURL, ask.URL)
	assert.Equal(t, "123456", ask.Request.Digits)
	assert.Equal(t, map[string]string{"account": "123456"}, ask.Request.Vars)
	assert.Equal(t, "300", ask.Request.Dialled)
	assert.Equal(t, 3*time.Second, ask.Timeout)
	assert.Equal(t, timer.After, ask.Timeout)
	assert.Equal(t, "one-moment", hold.Prompt)
	// The hold prompt ends: it starts again.
	again := e.Handle(PlaybackDone{ID: hold.ID})
	require.Len(t, again, 1)
	hold2 := again[0].(Play)
	assert.Equal(t, "one-moment", hold2.Prompt)
	// The executor's own timer ends the wait: the fallback runs, and an
	// answer coming after is ignored.
	acts = e.Handle(TimerFired{ID: timer.ID})
	assert.Contains(t, acts, StopPlayback{ID: hold2.ID, Prompt: "one-moment"})
	assert.Contains(t, acts, Note{Event: StepAskFailed, IVR: "accounts", Detail: "no answer in time"})
	assert.Contains(t, acts, Transfer{Dest: &Destination{Kind: KindExtension, Target: "1001", Line: lineOf(t, acts)}, Method: TransferRefer})
	assert.Empty(t, e.Handle(AskResult{ID: ask.ID, Err: errors.New("late")}))
}

func lineOf(t *testing.T, acts []Action) int {
	for _, a := range acts {
		if tr, ok := a.(Transfer); ok {
			return tr.Dest.Line
		}
	}
	t.Fatal("no transfer")
	return 0
}

func TestDecodeAnswer(t *testing.T) {
	c := accountLookup(t)
	a, err := c.DecodeAnswer([]byte(`{"ivr": "accounts", "vars": {"tier": "gold"}}`), "accounts", nil)
	require.NoError(t, err)
	assert.Equal(t, KindIVR, a.Dest.Kind)
	assert.Equal(t, "gold", a.Vars["tier"])
	a, err = c.DecodeAnswer([]byte(`"repeat"`), "accounts", nil)
	assert.ErrorIs(t, err, ErrBadAnswer)
	assert.Nil(t, a)
	for body, want := range map[string]string{
		`{"uri": "sip:x@h", "then": {"ivr": "nowhere"}}`:                   `then only follows`,
		`{"play": "welcome", "then": {"ivr": "nowhere"}}`:                  `unknown ivr "nowhere"`,
		`{"extension": "1002", "vars": {"a b": "x"}}`:                      `"a b" is not a name`,
		`{"extension": "1002", "say": "hi ${password}"}`:                   `unknown variable ${password}`,
		`{"ivr": "accounts", "ivr": "accounts"}`:                           `already defined`,
		`{"a": ` + strings.Repeat("[", 20) + strings.Repeat("]", 20) + `}`: `nested 21 deep`,
		`{"back": true}`: `unknown destination field "back"`,
		`{"play": "welcome", "then": "sideways"}`:          `unknown destination "sideways"`,
		`{"ask": "http://10.0.0.1/x", "fallback": "back"}`: ``,
	} {
		_, err := c.DecodeAnswer([]byte(body), "", nil)
		if want == "" {
			// back outside a menu.
			require.Error(t, err, body)
			continue
		}
		require.Error(t, err, body)
		assert.Contains(t, err.Error(), want, body)
	}
	big := append([]byte(`{"say": "`), bytes.Repeat([]byte("a"), MaxAnswerSize)...)
	_, err = c.DecodeAnswer(append(big, `"}`...), "", nil)
	assert.ErrorContains(t, err, "more than 65536")
}

// An answer may play only prompts that exist: the library's, or the
// configuration's own; the set is built once and shared by answers.
func TestDecodeAnswerChecksPromptsAgainstTheSet(t *testing.T) {
	c := accountLookup(t)
	known := c.AnswerPrompts([]string{"welcome", "es/welcome"})
	size := len(known)
	_, err := c.DecodeAnswer([]byte(`{"play": "welcome", "then": {"extension": "1002"}}`), "accounts", known)
	require.NoError(t, err)
	_, err = c.DecodeAnswer([]byte(`{"play": "no-such-prompt", "then": {"extension": "1002"}}`), "accounts", known)
	require.ErrorIs(t, err, ErrBadAnswer)
	assert.Contains(t, err.Error(), `unknown prompt "no-such-prompt"`)
	assert.Len(t, known, size, "decoding answers must not add to the shared set")
	// Without a set, names are not checked.
	_, err = c.DecodeAnswer([]byte(`{"play": "no-such-prompt", "then": {"extension": "1002"}}`), "accounts", nil)
	require.NoError(t, err)
}
