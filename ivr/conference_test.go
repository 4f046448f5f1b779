package ivr

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const conferenceConfig = `
conferences:
  - { id: team, number: "800", pin: "4321", max_participants: 10, mute_on_entry: true }
  - { id: open, number: "801", tones: false }
ivrs:
  - id: main
    extensions: ["100"]
    prompt: main-choices
    keys:
      "1": { conference: team }
      "2": { internal: "801" }
`

func TestConferenceReachedByDestinationAndNumber(t *testing.T) {
	cfg, err := Parse([]byte(conferenceConfig))
	require.NoError(t, err)
	probs := Validate(cfg, []string{"main-choices"})
	require.False(t, HasErrors(probs), "%v", probs)
	team := cfg.ConferenceByNumber("800")
	require.NotNil(t, team)
	assert.Equal(t, "team", team.ID)
	assert.True(t, team.TonesOn())
	assert.True(t, team.MuteOnEntry)
	assert.False(t, cfg.ConferenceByID("open").TonesOn())
	assert.Equal(t, DefaultMaxParticipants, cfg.ConferenceByID("open").MaxParticipants)
	assert.True(t, team.CheckPIN("4321"))
	assert.False(t, team.CheckPIN("1234"))
	assert.True(t, cfg.ConferenceByID("open").CheckPIN(""))
	for key, want := range map[string]string{"1": "conference team", "2": "conference open"} {
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

func TestConferenceProblems(t *testing.T) {
	text := strings.Replace(conferenceConfig, `pin: "4321", max_participants: 10`, `pin: "12ab", max_participants: 1`, 1)
	text = strings.Replace(text, `"1": { conference: team }`, `"1": { conference: nope, transfer: refer }`, 1)
	text += "groups:\n  - { id: g, number: \"801\", members: [\"sip:a@127.0.0.1\"] }\n"
	cfg, err := Parse([]byte(text))
	require.NoError(t, err)
	var got []string
	for _, p := range Validate(cfg, []string{"main-choices"}) {
		got = append(got, p.String())
	}
	all := strings.Join(got, "\n")
	assert.Contains(t, all, "conferences[team].pin: a PIN is 1-12 digits")
	assert.NotContains(t, all, "12ab", "a PIN is never repeated")
	assert.Contains(t, all, "conferences[team].max_participants: 1 is out of range 2-200")
	assert.Contains(t, all, `unknown conference "nope"`)
	assert.Contains(t, all, "transfer does not apply to a conference")
	assert.Contains(t, all, `number "801" is owned twice`)
}

// A recorded room: record and its announcement are read; an announcement
// without record, or of a prompt that does not exist, is refused naming
// the field.
func TestConferenceRecordOptions(t *testing.T) {
	text := strings.Replace(conferenceConfig, `pin: "4321", max_participants: 10`,
		`pin: "4321", max_participants: 10, record: true, record_announcement: main-choices`, 1)
	cfg, err := Parse([]byte(text))
	require.NoError(t, err)
	require.False(t, HasErrors(Validate(cfg, []string{"main-choices"})))
	room := cfg.ConferenceByID("team")
	assert.True(t, room.Record)
	assert.Equal(t, "main-choices", room.RecordAnnouncement)

	for _, c := range []struct{ opts, want string }{
		{`record_announcement: main-choices`, "conferences[team].record_announcement: record_announcement needs record: true"},
		{`record: true, record_announcement: nope`, `conferences[team].record_announcement: unknown prompt "nope"`},
		{`record: maybe`, "maybe"},
	} {
		text := strings.Replace(conferenceConfig, `pin: "4321", max_participants: 10`, `pin: "4321", `+c.opts, 1)
		cfg, err := Parse([]byte(text))
		if err != nil {
			assert.Contains(t, err.Error(), c.want, c.opts)
			continue
		}
		var got []string
		for _, p := range Validate(cfg, []string{"main-choices"}) {
			got = append(got, p.String())
		}
		assert.Contains(t, strings.Join(got, "\n"), c.want, c.opts)
	}
}

// A moderator: the PIN that opens the room as one, what each entry
// opens, and what validate refuses.
func TestConferenceModeratorPIN(t *testing.T) {
	led := Conference{ID: "led", PIN: "1111", ModeratorPIN: "9999"}
	for pin, want := range map[string][2]bool{"9999": {true, true}, "1111": {false, true}, "": {false, false}, "2222": {false, false}} {
		mod, ok := led.Entry(pin)
		assert.Equal(t, want, [2]bool{mod, ok}, "entry %q", pin)
	}
	open := Conference{ID: "open", ModeratorPIN: "9999"}
	assert.True(t, open.AsksPIN(), "a moderator PIN is asked for even in an open room")
	mod, ok := open.Entry("")
	assert.True(t, ok && !mod, "an empty entry joins an open room as a participant")

	text := `
prompts_dir: "."
conferences:
  - { id: same, pin: "1234", moderator_pin: "1234" }
  - { id: nomod, wait_for_moderator: true }
  - { id: bad, moderator_pin: "12x" }
ivrs:
  - { id: main, extensions: ["100"], prompt: main-choices }
`
	cfg, err := Parse([]byte(text))
	require.NoError(t, err)
	var got []string
	for _, p := range Validate(cfg, []string{"main-choices"}) {
		got = append(got, p.String())
	}
	all := strings.Join(got, "\n")
	assert.Contains(t, all, "conferences[same].moderator_pin: the moderator PIN must differ from the PIN")
	assert.Contains(t, all, "conferences[nomod]: wait_for_moderator and end_with_moderator need a moderator_pin")
	assert.Contains(t, all, "conferences[bad].moderator_pin: a PIN is 1-12 digits")
	assert.NotContains(t, all, "12x", "a PIN is never repeated")
	assert.NotContains(t, all, "1234")
}
