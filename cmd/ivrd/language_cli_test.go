package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ivrd/ivrd/node/nodetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const languageCallConfig = `
server:
  sip:
    listen: ["udp://127.0.0.1:0"]
  media:
    rtp_ports: "RTP_RANGE"
prompts_dir: "PROMPTS"
ivrs:
  - id: main
    extensions: ["100"]
    greeting: welcome
    prompt: main-choices
    response_timeout: 3s
    keys:
      "9": { set_language: es }
      "#": hangup
  - id: main-es
    extensions: ["101"]
    language: es
    greeting: welcome
    prompt: main-choices
    response_timeout: 3s
    keys:
      "#": hangup
`

// validate warns about each prompt a language lacks, at the place it is
// first named, and accepts the file (calls fall back to the default set).
func TestValidateNamesPromptsMissingInALanguage(t *testing.T) {
	t.Parallel()
	path := nodetest.WriteConfig(t, languageCallConfig)
	dir := filepath.Dir(path)
	require.NoError(t, os.Mkdir(filepath.Join(dir, "es"), 0o755))
	nodetest.WriteTone(t, filepath.Join(dir, "welcome.wav"), 440, 200*time.Millisecond)
	nodetest.WriteTone(t, filepath.Join(dir, "main-choices.wav"), 1000, 200*time.Millisecond)
	nodetest.WriteTone(t, filepath.Join(dir, "es", "welcome.wav"), 700, 200*time.Millisecond)
	code, out, _ := runCLI("validate", path)
	assert.Equal(t, 0, code, out)
	assert.Contains(t, out, `ivrs[main].prompt: warning: prompt "main-choices" has no es version (no es/main-choices.wav in prompts_dir, no prompts entry with language: es): callers in es hear the default one`)
	assert.NotContains(t, out, `prompt "welcome" has no es version`)
}
