package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func runCLI(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestVersionAndHelp(t *testing.T) {
	t.Parallel()
	code, out, _ := runCLI("version")
	assert.Equal(t, 0, code)
	assert.True(t, strings.HasPrefix(out, "ivrd "))
	for _, cmd := range []string{"serve", "validate", "simulate", "prompt", "dtmf"} {
		code, _, errOut := runCLI(cmd, "--help")
		assert.Equal(t, 0, code, cmd)
		assert.Contains(t, errOut, "Usage: ivrd "+cmd, cmd)
	}
	code, _, errOut := runCLI("bogus")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "unknown command")
}

// IVRD_MEDIA_IO other than io_uring or epoll stops serve before
// anything starts, naming the variable and what it accepts.
func TestServeRefusesAnUnknownMediaIO(t *testing.T) {
	t.Setenv("IVRD_MEDIA_IO", "uring")
	code, _, errOut := runCLI("serve", "--config", filepath.Join(t.TempDir(), "none.yaml"))
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, `IVRD_MEDIA_IO="uring": want io_uring (the default) or epoll`)
	for v, epoll := range map[string]bool{"": false, "io_uring": false, "epoll": true} {
		got, err := epollAsked(v)
		require.NoError(t, err, v)
		assert.Equal(t, epoll, got, v)
	}
}

func TestValidateCommand(t *testing.T) {
	t.Parallel()
	code, out, _ := runCLI("validate", "../../examples/main.yaml")
	assert.Equal(t, 0, code, out)
	assert.Contains(t, out, "ok")

	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte(`
ivrs:
  - id: main
    extensions: ["100"]
    prompt: main-choices
    prompt_repeat: 7
    keys:
      "4": { ivr: sales2 }
  - id: lonely
    prompt: main-choices
`), 0o644))
	code, out, _ = runCLI("validate", bad)
	assert.Equal(t, 1, code)
	assert.Contains(t, out, `ivrs[main].keys.4: unknown ivr "sales2"`)
	assert.Contains(t, out, "ivrs[main].prompt_repeat: 7 is out of range 1-5")
	assert.Contains(t, out, "ivrs[lonely]: warning:")

	warnOnly := filepath.Join(dir, "warn.yaml")
	require.NoError(t, os.WriteFile(warnOnly, []byte("ivrs:\n  - id: a\n    extensions: [\"1\"]\n    prompt: welcome\n  - id: b\n    prompt: welcome\n"), 0o644))
	code, out, _ = runCLI("validate", warnOnly)
	assert.Equal(t, 0, code, "warnings only: exit 0\n%s", out)
}

func TestSimulateCommandPrintsJSONLines(t *testing.T) {
	t.Parallel()
	code, out, errOut := runCLI("simulate", "--config", "../../examples/main.yaml", "--to", "100", "--input", "wait:4s,2,wait:1s,1")
	require.Equal(t, 0, code, errOut)
	var events []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var ev map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &ev), line)
		events = append(events, ev)
	}
	assert.Equal(t, map[string]any{"t_ms": 0.0, "event": "answer", "ivr": "main"}, events[0])
	last := events[len(events)-1]
	assert.Equal(t, "transfer", last["event"])
	assert.Equal(t, map[string]any{"type": "uri", "target": "sip:tech@127.0.0.1:5070"}, last["dest"])
	assert.Equal(t, "refer", last["method"])
}
