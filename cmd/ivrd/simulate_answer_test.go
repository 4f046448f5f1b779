package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ivrd simulate --answer gives an ask its canned answer; without one
// the ask takes its fallback, as a call would with the service down.
func TestSimulateCannedAnswer(t *testing.T) {
	answer := filepath.Join(t.TempDir(), "answer.json")
	require.NoError(t, os.WriteFile(answer, []byte(`{"extension": "1003", "vars": {"tier": "overdue"}}`), 0o600))
	code, out, errOut := runCLI("simulate", "--config", "../../examples/account-lookup.yaml", "--to", "300",
		"--input", "1,654321#", "--answer", "http://127.0.0.1:8090/lookup="+answer)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, `"event":"answered","ivr":"accounts","detail":"extension 1003"`)
	assert.Contains(t, out, `"dest":{"type":"extension","target":"1003"}`)

	code, out, errOut = runCLI("simulate", "--config", "../../examples/account-lookup.yaml", "--to", "300", "--input", "1,654321#")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, `"event":"ask_failed"`)
	assert.Contains(t, out, `"dest":{"type":"extension","target":"1001"}`)

	code, _, errOut = runCLI("simulate", "--config", "../../examples/account-lookup.yaml", "--to", "300", "--answer", "nofile")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, `want URL=FILE`)
}
