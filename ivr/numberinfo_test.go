package ivr

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// number_info names the menu's own numbers, with positive ids, an
// extension id once and an incall id in one menu only.
func TestValidateNumberInfo(t *testing.T) {
	t.Parallel()
	good, err := Parse([]byte(`
ivrs:
  - id: main
    extensions: ["100", "0312345678", "0312345679"]
    keys: { "1": hangup }
    number_info:
      "0312345678": { extension: 11, incall: 5, context: from-extern }
      "0312345679": { extension: 12, incall: 5 }
`))
	require.NoError(t, err)
	for _, p := range Validate(good, []string{}) {
		assert.True(t, p.Warning, "%s", p)
	}
	m, ok := good.IVRFor("0312345678")
	require.True(t, ok)
	assert.Equal(t, NumberInfo{Extension: 11, Incall: 5, Context: "from-extern"}, *m.NumberInfo["0312345678"])

	bad, err := Parse([]byte(`
ivrs:
  - id: main
    extensions: ["100", "101"]
    keys: { "1": hangup }
    number_info:
      "999": { extension: 1 }
      "100": { extension: -2 }
      "101": { extension: 3, incall: 7 }
  - id: other
    extensions: ["200"]
    keys: { "1": hangup }
    number_info:
      "200": { extension: 3, incall: 7 }
`))
	require.NoError(t, err)
	var got []string
	for _, p := range Validate(bad, []string{}) {
		if !p.Warning {
			got = append(got, p.String())
		}
	}
	for _, want := range []string{
		`ivrs[main].number_info.999: "999" is not one of the menu's extensions`,
		`ivrs[main].number_info.100: ids must be positive integers`,
		`ivrs[other].number_info.200.extension: 3 is already the id of number 101 of ivr "main"`,
		`ivrs[other].number_info.200.incall: 7 is already an incall of ivr "main"`,
	} {
		found := false
		for _, g := range got {
			found = found || strings.HasPrefix(g, want)
		}
		assert.True(t, found, "want %s in\n%s", want, strings.Join(got, "\n"))
	}
}
