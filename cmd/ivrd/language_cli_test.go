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

// validate warns about each prompt a language lacks, at the place it is
// first named, and accepts the file (calls fall back to the default set).
func TestValidateNamesPromptsMissingInALanguage(t *testing.T) {
	t.Parallel()
	path := nodetest.WriteConfig(t, nodetest.LanguageCallConfig)
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
