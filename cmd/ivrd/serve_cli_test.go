package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/internal/testenv"
	"github.com/ivrd/ivrd/node"
	"github.com/ivrd/ivrd/node/nodetest"
	"github.com/ivrd/ivrd/prompts"
	"github.com/ivrd/ivrd/sip/siptest"
)

// startNode serves the configuration at path with its API on
// 127.0.0.1:0 until the test ends.
func startNode(t *testing.T, path string) *node.Node {
	t.Helper()
	n, err := node.New(node.Options{ConfigPath: path, Log: slog.New(slog.DiscardHandler), APIListen: "127.0.0.1:0", NoOverloadGuard: true})
	require.NoError(t, err)
	require.NoError(t, n.Start(context.Background()))
	t.Cleanup(n.Close)
	return n
}

const oneIVR = `
server:
  sip: { listen: ["udp://127.0.0.1:0"] }
  media: { rtp_ports: "RTP_RANGE" }
prompts_dir: "PROMPTS"
ivrs:
  - { id: main, extensions: ["100"], prompt: beep, keys: { "1": { uri: "sip:a@127.0.0.1:5070" } } }
`

// What the API made, `ivrd config export` writes (with the uploaded
// prompts beside the file's), and `ivrd validate` accepts the export.
func TestConfigExportValidatesAfterAPIEdits(t *testing.T) {
	t.Parallel()
	path := nodetest.WriteConfig(t, oneIVR)
	n, err := node.New(node.Options{ConfigPath: path, Log: slog.New(slog.DiscardHandler), APIListen: "127.0.0.1:0", NoOverloadGuard: true})
	require.NoError(t, err)
	require.NoError(t, n.Start(context.Background()))
	tok := nodetest.FirstToken(t, node.DataDir(path))
	api := n.APIAddr().String()
	tone := prompts.Tone("x", 600, 0, -18, 400, 0)
	var wav bytes.Buffer
	require.NoError(t, writeWAV(&wav, tone.PCM))
	code, body, _ := nodetest.APICall(t, api, tok, "PUT", "/api/v1/prompts/hello", "audio/wav", wav.Bytes())
	require.Equal(t, 201, code, string(body))
	code, body, _ = nodetest.APICall(t, api, tok, "POST", "/api/v1/ivrs", "application/json",
		[]byte(`{"id":"sales","extensions":["300"],"greeting":"hello","prompt":"beep","response_timeout":"2s","keys":{"#":"hangup"}}`))
	require.Equal(t, 201, code, string(body))
	n.Close() // the store is the export's: one writer at a time on SQLite

	code, out, errb := runCLI("config", "export", "--config", path, "--prompts", filepath.Dir(path))
	require.Equal(t, 0, code, errb)
	assert.Contains(t, out, "id: sales")
	exported := filepath.Join(t.TempDir(), "exported.yaml")
	require.NoError(t, os.WriteFile(exported, []byte(out), 0o644))
	code, vout, verr := runCLI("validate", exported)
	assert.Equal(t, 0, code, vout+verr+"\n"+out)
}

// writeWAV writes 8 kHz 16-bit mono samples as a WAV file.
func writeWAV(w io.Writer, pcm []int16) error {
	var b bytes.Buffer
	b.WriteString("RIFF")
	le := func(v uint32, n int) {
		for i := 0; i < n; i++ {
			b.WriteByte(byte(v >> (8 * i)))
		}
	}
	le(uint32(36+2*len(pcm)), 4)
	b.WriteString("WAVEfmt ")
	le(16, 4)
	le(1, 2)
	le(1, 2)
	le(8000, 4)
	le(16000, 4)
	le(2, 2)
	le(16, 2)
	b.WriteString("data")
	le(uint32(2*len(pcm)), 4)
	for _, s := range pcm {
		le(uint32(uint16(s)), 2)
	}
	_, err := w.Write(b.Bytes())
	return err
}

func TestTokenCommands(t *testing.T) {
	t.Parallel()
	path := nodetest.WriteConfig(t, oneIVR)
	n := startNode(t, path)
	api := n.APIAddr().String()

	code, out, errb := runCLI("token", "create", "--config", path, "--name", "grafana", "--scope", "read")
	require.Equal(t, 0, code, errb)
	tok := strings.TrimSpace(out)
	code, _, _ = nodetest.APICall(t, api, tok, "GET", "/api/v1/ivrs", "", nil)
	assert.Equal(t, 200, code)
	code, _, _ = nodetest.APICall(t, api, tok, "PATCH", "/api/v1/ivrs/main", "application/json", []byte(`{"name":"x"}`))
	assert.Equal(t, 403, code, "a read token cannot write")

	code, out, _ = runCLI("token", "list", "--config", path)
	require.Equal(t, 0, code)
	assert.Contains(t, out, "grafana")
	assert.NotContains(t, out, tok, "a token is shown once, never listed")
	code, _, _ = runCLI("token", "revoke", "--config", path, "--name", "grafana")
	require.Equal(t, 0, code)
	code, _, _ = nodetest.APICall(t, api, tok, "GET", "/api/v1/ivrs", "", nil)
	assert.Equal(t, 401, code, "a revoked token stops working")
	code, _, _ = runCLI("token", "create", "--config", path, "--name", "x", "--scope", "admin")
	assert.Equal(t, 2, code)
}

// `ivrd calls` lists a call in progress from the API, and `ivrd cdr`
// prints its record once it ended.
func TestCallsAndCDRCommands(t *testing.T) {
	t.Parallel()
	path := nodetest.WriteConfig(t, oneIVR)
	n := startNode(t, path)
	api := n.APIAddr().String()
	tokenFile := filepath.Join(node.DataDir(path), "api-token")
	tok := nodetest.FirstToken(t, node.DataDir(path))

	c, err := siptest.NewCaller("udp")
	require.NoError(t, err)
	t.Cleanup(c.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	answered, err := c.Call(ctx, n.SIPAddr("udp"), "100")
	require.NoError(t, err)
	id := answered.Dialog.InviteRequest.CallID().Value()

	var out string
	require.Eventually(t, func() bool {
		code, o, errOut := runCLI("calls", "--api", api, "--token", tokenFile)
		require.Equal(t, 0, code, errOut)
		out = o
		return strings.Contains(out, "1 active call(s)")
	}, 5*time.Second, 20*time.Millisecond, "the call is listed")
	assert.Contains(t, out, id)

	require.NoError(t, answered.Dialog.Bye(ctx))
	require.Eventually(t, func() bool {
		code, body, _ := nodetest.APICall(t, api, tok, "GET", "/api/v1/calls/history/"+id, "", nil)
		if code != http.StatusOK {
			return false
		}
		var rec struct {
			State string `json:"state"`
		}
		require.NoError(t, json.Unmarshal(body, &rec))
		return rec.State == "ended"
	}, 5*time.Second, 20*time.Millisecond, "the record is written")
	code, out, errOut := runCLI("cdr", "--api", api, "--token", tok)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, id)
	assert.Contains(t, out, "caller hung up")
}

// The store carries spoken prompts and languages: what serve imported,
// `ivrd config export` writes back, and the export validates.
func TestExportCarriesSpokenPromptsAndLanguages(t *testing.T) {
	t.Parallel()
	testenv.NeedEspeak(t, "spoken prompts")
	path := nodetest.WriteConfig(t, `
server:
  sip: { listen: ["udp://127.0.0.1:0"] }
  media: { rtp_ports: "RTP_RANGE" }
prompts_dir: "PROMPTS"
language: en
prompts:
  - { name: hello, say: "Hello." }
  - { name: hello, language: es, say: "Hola." }
ivrs:
  - id: main
    extensions: ["100"]
    greeting: hello
    prompt: beep
    keys:
      "9": { set_language: es, then: { ivr: main-es } }
  - { id: main-es, language: es, prompt: hello }
`)
	n := startNode(t, path)
	n.Close() // the export reads the same SQLite store
	code, out, errb := runCLI("config", "export", "--config", path)
	require.Equal(t, 0, code, errb)
	for _, want := range []string{"language: en", "say: Hola.", "set_language: es", "language: es"} {
		assert.Contains(t, out, want)
	}
	exported := filepath.Join(filepath.Dir(path), "exported.yaml") // beside beep.wav, its prompts_dir
	require.NoError(t, os.WriteFile(exported, []byte(out), 0o644))
	code, vout, verr := runCLI("validate", exported)
	assert.Equal(t, 0, code, vout+verr+"\n"+out)
}

// The bilingual example speaks every prompt, in English and Spanish.
func TestBilingualExampleSpeaks(t *testing.T) {
	t.Parallel()
	testenv.NeedEspeak(t, "spoken prompts")
	code, out, _ := runCLI("validate", "../../examples/bilingual.yaml")
	assert.Equal(t, 0, code, out)
	assert.NotContains(t, out, "warning", "every prompt has its Spanish version")
}
