// Package nodetest holds what tests of a whole running node share: a
// configuration file written into a test's folder with a beep prompt
// beside it, a tone WAV, one request to the management API, the test's
// own RTP range and fixed ports (so that tests run in parallel), and
// waits on what a caller observes (a prompt heard, a tone played to its
// end, a peer's port bound) instead of sleeps. It is
// a test peer: production code must not import it, and it must not
// import node (node's own tests use it).
package nodetest

import (
	"bytes"
	"context"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-audio/audio"
	"github.com/go-audio/wav"
	"github.com/stretchr/testify/require"
)

// WriteConfig writes text as ivrd.yaml in a new temporary folder with a
// 500 Hz beep.wav beside it and returns its path. PROMPTS in text becomes
// that folder, RTP_RANGE the test's own port range (RTPRange); repl are
// more old, new pairs to replace.
func WriteConfig(t testing.TB, text string, repl ...string) string {
	t.Helper()
	dir := t.TempDir()
	WriteTone(t, filepath.Join(dir, "beep.wav"), 500, 200*time.Millisecond)
	r := append([]string{"PROMPTS", dir, "RTP_RANGE", RTPRange(t)}, repl...)
	path := filepath.Join(dir, "ivrd.yaml")
	require.NoError(t, os.WriteFile(path, []byte(strings.NewReplacer(r...).Replace(text)), 0o644))
	return path
}

// WriteTone writes an 8 kHz 16-bit mono WAV holding a sine of freq Hz
// and returns its samples.
func WriteTone(t testing.TB, path string, freq float64, dur time.Duration) []int16 {
	t.Helper()
	n := int(dur.Seconds() * 8000)
	pcm := make([]int16, n)
	ints := make([]int, n)
	for i := range pcm {
		pcm[i] = int16(8000 * math.Sin(2*math.Pi*freq*float64(i)/8000))
		ints[i] = int(pcm[i])
	}
	f, err := os.Create(path)
	require.NoError(t, err)
	defer f.Close()
	enc := wav.NewEncoder(f, 8000, 16, 1, 1)
	require.NoError(t, enc.Write(&audio.IntBuffer{Data: ints, Format: &audio.Format{NumChannels: 1, SampleRate: 8000}, SourceBitDepth: 16}))
	require.NoError(t, enc.Close())
	return pcm
}

// APICall sends one request with a bearer token to the management API
// at addr (host:port) and returns the status, body and headers; hdr are
// more name, value pairs.
func APICall(t testing.TB, addr, token, method, path, ctype string, body []byte, hdr ...string) (int, []byte, http.Header) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, "http://"+addr+path, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, b, resp.Header
}

// FirstToken reads the write token a node created at its first start in
// dataDir (node.DataDir of its configuration) and checks the file is
// readable by its owner only.
func FirstToken(t testing.TB, dataDir string) string {
	t.Helper()
	file := filepath.Join(dataDir, "api-token")
	fi, err := os.Stat(file)
	require.NoError(t, err, "the first start writes a token")
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	return strings.TrimSpace(string(b))
}
