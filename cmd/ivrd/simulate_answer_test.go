package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/internal/testenv"
)

// ivrd simulate --answer gives an ask its canned answer; without one
// the ask takes its fallback, as a call would with the service down.
func TestSimulateCannedAnswer(t *testing.T) {
	testenv.NeedEspeak(t, "the account lookup example (its prompts are spoken)")
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

// A stream in simulate ends at once: with --answer, at the far end's
// destination; without, at then.
func TestSimulateStreamEnd(t *testing.T) {
	answer := filepath.Join(t.TempDir(), "end.json")
	require.NoError(t, os.WriteFile(answer, []byte(`{"extension": "1001"}`), 0o600))
	code, out, errOut := runCLI("simulate", "--config", "../../examples/streambot.yaml", "--to", "400",
		"--input", "1", "--answer", "ws://127.0.0.1:8091/media="+answer)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, `"event":"stream","ivr":"bot","detail":"ws://127.0.0.1:8091/media"`)
	assert.Contains(t, out, `"dest":{"type":"extension","target":"1001"}`)

	code, out, errOut = runCLI("simulate", "--config", "../../examples/streambot.yaml", "--to", "400", "--input", "1")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, `"event":"stream_ended","ivr":"bot","detail":"hangup"`)
}
