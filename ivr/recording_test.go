package ivr

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// record is true/false or a mapping on menus and destinations; a bad
// format, an unknown announcement or a value of the wrong kind is named.
func TestRecordSettings(t *testing.T) {
	t.Parallel()
	c, err := Parse([]byte(`
ivrs:
  - id: m
    extensions: ["100"]
    prompt: main-choices
    record: {announce: welcome, format: mono}
    keys:
      "1": {uri: "sip:a@127.0.0.1", transfer: bridge, record: true}
      "2": {uri: "sip:b@127.0.0.1", record: false}
`))
	require.NoError(t, err)
	require.False(t, HasErrors(Validate(c, bundled)), "%v", Validate(c, bundled))
	m := c.IVRByID("m")
	assert.True(t, m.Record.Enabled())
	assert.True(t, m.Record.Mono())
	assert.Equal(t, "welcome", m.Record.Announce)
	assert.True(t, m.Keys["1"].Record.Enabled())
	assert.False(t, m.Keys["1"].Record.Mono())
	assert.False(t, m.Keys["2"].Record.Enabled())
	assert.False(t, (*Record)(nil).Enabled())

	out, err := yaml.Marshal(m)
	require.NoError(t, err)
	assert.Contains(t, string(out), "announce: welcome", "written back as a mapping")

	c, err = Parse([]byte(`
ivrs:
  - id: m
    extensions: ["100"]
    prompt: main-choices
    record: {announce: nope, format: loud}
    keys:
      "1": {uri: "sip:a@127.0.0.1", record: {format: quad}}
`))
	require.NoError(t, err)
	var msgs []string
	for _, p := range Validate(c, bundled) {
		if !p.Warning {
			msgs = append(msgs, p.String())
		}
	}
	all := strings.Join(msgs, "\n")
	assert.Contains(t, all, `ivrs[m].record.format: unknown format "loud"`)
	assert.Contains(t, all, `ivrs[m].record.announce: unknown prompt "nope"`)
	assert.Contains(t, all, `record.format: unknown format "quad"`)

	_, err = Parse([]byte("ivrs:\n  - id: m\n    extensions: [\"100\"]\n    prompt: main-choices\n    record: sometimes\n"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "record: want true, false or a mapping")
	_, err = Parse([]byte("ivrs:\n  - id: m\n    extensions: [\"100\"]\n    prompt: main-choices\n    record: {loud: true}\n"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "loud")
}
