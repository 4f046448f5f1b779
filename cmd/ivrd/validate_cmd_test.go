package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A typo no longer hides the rest: validate prints the unknown field
// with its suggestion and the validation problems of what it could read.
func TestValidateReportsTyposAndTheRest(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "typo.yaml")
	require.NoError(t, os.WriteFile(path, []byte(`
ivrs:
  - id: main
    extensions: ["100"]
    promt: main-choices
    prompt_repeat: 0
    keys:
      "1": { uri: "sip:" }
`), 0o644))
	code, out, _ := runCLI("validate", path)
	assert.Equal(t, 1, code)
	assert.Contains(t, out, `ivrs[main].promt: line 5: unknown field "promt" (did you mean "prompt"?)`)
	assert.Contains(t, out, `ivrs[main].prompt_repeat: 0 is out of range 1-5`)
	assert.Contains(t, out, `ivrs[main].keys.1: bad SIP URI "sip:": no host`)

	empty := filepath.Join(dir, "empty.yaml")
	require.NoError(t, os.WriteFile(empty, []byte("# nothing yet\n"), 0o644))
	code, out, _ = runCLI("validate", empty)
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "the configuration is empty")
}
