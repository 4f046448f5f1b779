package main

import (
	"testing"

	"github.com/ivrd/ivrd/internal/testenv"
	"github.com/ivrd/ivrd/node"
	"github.com/ivrd/ivrd/node/nodetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// validate names the spoken prompt espeak-ng cannot speak, and so does
// serve, which refuses the file. Not parallel: the CLI finds espeak-ng on
// PATH, which only the process's environment can hide; a sequential test
// runs before the parallel ones start.
func TestValidateWithoutEspeak(t *testing.T) {
	path := nodetest.WriteConfig(t, nodetest.SayConfig, "SAY_TEXT", nodetest.SayText)
	empty := t.TempDir()
	t.Setenv("PATH", empty) // no espeak-ng anywhere
	code, out, _ := runCLI("validate", path)
	assert.Equal(t, 1, code)
	assert.Contains(t, out, `prompts[hello]: cannot speak this prompt: espeak-ng is not installed (apt-get install espeak-ng)`)
	assert.NotContains(t, out, `unknown prompt "hello"`, "one problem, at the prompt's own place")

	_, err := node.New(node.Options{ConfigPath: path})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `prompts[hello]: cannot speak this prompt: espeak-ng is not installed`)
}

// A voice espeak-ng does not have, or a voice that would be an option,
// is an error at the prompt.
func TestValidateBadVoice(t *testing.T) {
	t.Parallel()
	testenv.NeedEspeak(t, "spoken prompts")
	path := nodetest.WriteConfig(t, `
prompts_dir: "PROMPTS"
prompts:
  - { name: bad, say: "Hello", voice: "xx-nonexistent" }
  - { name: worse, say: "Hello", voice: "--help" }
  - { name: fine, say: "Hello", language: es }
ivrs:
  - id: main
    extensions: ["100"]
    greeting: bad
    prompt: worse
    invalid_prompt: fine
    keys:
      "#": hangup
`)
	code, out, _ := runCLI("validate", path)
	assert.Equal(t, 1, code)
	assert.Contains(t, out, `prompts[bad]: cannot speak this prompt: speech synthesis failed: espeak-ng -v xx-nonexistent: Error: The specified espeak-ng voice does not exist.`)
	assert.Contains(t, out, `prompts[worse].voice: "--help" is not an espeak-ng voice name`)
	assert.NotContains(t, out, `prompts[worse]: cannot speak`, "reported once, at the voice")
	// es/fine exists only in Spanish: the default set has no "fine".
	assert.Contains(t, out, `ivrs[main].invalid_prompt: unknown prompt "fine"`)
}
