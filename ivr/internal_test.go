package ivr

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const internalConfig = `
extensions:
  - { number: "2001", contact: "sip:2001@127.0.0.1:5080" }
  - { number: "2002", contact: "sip:2002@127.0.0.1:5080" }
groups:
  - { id: sales, number: "600", members: ["2001", "2002"] }
ivrs:
  - id: main
    extensions: ["100"]
    prompt: main-choices
    keys:
      "1": { internal: "500" }
      "2": { internal: "600" }
      "3": { internal: "2001" }
  - id: support
    extensions: ["500"]
    prompt: main-choices
    keys:
      "9": back
`

// One numbering plan: an internal destination reaches whatever owns the
// number, an IVR, a group or an extension.
func TestInternalNumberReachesItsOwner(t *testing.T) {
	cfg, err := Parse([]byte(internalConfig))
	require.NoError(t, err)
	require.False(t, HasErrors(Validate(cfg, []string{"main-choices"})), "%v", Validate(cfg, []string{"main-choices"}))
	for key, want := range map[string]string{"1": "enter support", "2": "transfer group sales", "3": "transfer extension 2001"} {
		trace, err := Simulate(cfg, SimOptions{To: "100", Script: "wait:200ms," + key, Duration: func(string) (time.Duration, bool) { return time.Second, true }})
		require.NoError(t, err)
		var got string
		for _, ev := range trace {
			switch ev.Event {
			case StepEnter:
				if ev.IVR != "main" {
					got = "enter " + ev.IVR
				}
			case StepTransfer:
				got = "transfer " + ev.Dest.String()
			}
		}
		assert.Equal(t, want, got, "key %s", key)
	}
}

func TestInternalNumberProblems(t *testing.T) {
	text := strings.Replace(internalConfig, `"3": { internal: "2001" }`, `"3": { internal: "999" }`, 1)
	text = strings.Replace(text, `number: "600"`, `number: "2002"`, 1)
	text = strings.Replace(text, `"2": { internal: "600" }`, `"2": { internal: "2002" }`, 1)
	cfg, err := Parse([]byte(text))
	require.NoError(t, err)
	var msgs []string
	for _, p := range Validate(cfg, []string{"main-choices"}) {
		msgs = append(msgs, p.String())
	}
	all := strings.Join(msgs, "\n")
	assert.Contains(t, all, `ivrs[main].keys.3: internal number "999": no extension, group, conference, queue or ivr has it`)
	assert.Contains(t, all, `groups[sales].number: number "2002" is owned twice (extension 2002, group sales)`)
}
