package ivr

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The configuration reference's examples are real: each parses, and the
// complete one validates with the bundled prompts, warning only that
// box 1001 has no greeting of its own (and, in the languages example,
// that the bundled set has no Spanish files, which the example's
// prompts_dir has).
func TestConfigurationReferenceExamples(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../docs/configuration.md")
	require.NoError(t, err)
	blocks := strings.Split(string(doc), "```yaml\n")[1:]
	require.GreaterOrEqual(t, len(blocks), 2)
	for i, b := range blocks {
		y, _, _ := strings.Cut(b, "```")
		c, err := Parse([]byte(y))
		require.NoError(t, err, "example %d", i)
		var errs []string
		for _, p := range Validate(c, bundled) {
			if !p.Warning || !strings.Contains(p.Msg, "hear voicemail-default") && !strings.Contains(p.Msg, "callers in es hear the default one") {
				errs = append(errs, p.String())
			}
		}
		assert.Empty(t, errs, "example %d", i)
	}
	// Every setting of the model is in the reference.
	for _, name := range settingNames() {
		assert.True(t, strings.Contains(string(doc), name), "docs/configuration.md does not mention %s", name)
	}
}

// settingNames are the YAML names of every field of the model.
func settingNames() []string {
	names := map[string]bool{}
	for _, t := range []any{Config{}, Server{}, SIPServer{}, Media{}, API{}, APIToken{}, Trunk{}, Extension{},
		Schedule{}, Holiday{}, Closed{}, DialOut{}, IVR{}, SpokenPrompt{}, Group{}, VoicemailBox{}, Gather{}, AskSettings{}, Conference{}} {
		for _, n := range yamlFields(t) {
			names[n] = true
		}
	}
	for k := range destinationKeys {
		names[k] = true
	}
	var out []string
	for n := range names {
		out = append(out, n)
	}
	return out
}

func yamlFields(v any) []string {
	var out []string
	t := reflect.TypeOf(v)
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name != "" && name != "-" {
			out = append(out, name)
		}
	}
	return out
}
