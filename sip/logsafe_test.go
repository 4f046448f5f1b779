package sip

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/internal/testenv"
	"github.com/ivrd/ivrd/media"
)

// TestLogValuesCutQuotedAndKeysOnce: a long or hostile value from the
// network is cut and cannot break its line; a key given twice (sipgo adds
// "caller" at each layer) appears once, the last value.
func TestLogValuesCutQuotedAndKeysOnce(t *testing.T) {
	t.Parallel()
	var buf testenv.Buffer
	log := safeLogger(slog.New(slog.NewTextHandler(&buf, nil)))
	huge := strings.Repeat("A", 33000)
	log.With("caller", "TransportLayer").With("caller", "Transport<UDP>").Error("failed to parse",
		"data", huge, "err", errors.New(huge), "raw", []byte("INVITE\r\nforged=line\n"), "stack", strings.Repeat("s", 300))
	lines := logLines(&buf)
	require.Len(t, lines, 1, "one record, one line (no forged line)")
	line := lines[0]
	assert.Less(t, len(line), 1000, "a 33 KB value is cut")
	assert.Equal(t, 1, strings.Count(line, "caller="), "one caller key: %s", line)
	assert.Contains(t, line, `caller=Transport<UDP>`)
	assert.Contains(t, line, "...(33000 bytes)", "says how long it was")
	assert.Contains(t, line, `raw="INVITE\r\nforged=line\n"`, "control characters quoted")
	assert.Contains(t, line, strings.Repeat("s", 300), "our own stack is kept whole")

	assert.Equal(t, "ab\uFFFD", truncateLog("ab\xff"), "invalid UTF-8 replaced")
	cut := truncateLog(strings.Repeat("é", 150)) // 300 bytes, 2 a rune
	assert.True(t, strings.HasPrefix(cut, strings.Repeat("é", 100)+"..."), "cut on a rune boundary")
}

// TestNetworkFloodsLogFewShortLines (issue 13 point 7: an unparseable
// datagram was logged raw at ERROR, 33 KB a line; each throttled
// REGISTER wrote a WARN): garbage datagrams and wrong passwords from the
// network give a few short lines, each key once.
func TestNetworkFloodsLogFewShortLines(t *testing.T) {
	r, logs := newLoggedRig(t, func(c *Config, _ *media.EngineConfig) {
		c.Credentials = func(ext string) (string, bool) { return "alice-secret", ext == "1001" }
	})
	dst := r.srv.Addr("udp")
	garbage := newRawUDP(t, "127.0.0.8")
	const n = 50
	for i := 0; i < n; i++ {
		garbage.send(dst, fmt.Sprintf("GARBAGE %d ", i)+strings.Repeat("\x01", 33000))
	}
	// Wrong passwords: each one is refused, and most are then locked out.
	ua, err := sipgo.NewUA()
	require.NoError(t, err)
	t.Cleanup(func() { ua.Close() })
	cl, err := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"))
	require.NoError(t, err)
	for i := 0; i < 30; i++ {
		register(t, r, cl, "1001", fmt.Sprintf("guess-%d", i), "<sip:eve@127.0.0.1:5090>", 60)
	}
	// Until the server has read all the garbage: a request after it is
	// answered.
	garbage.send(dst, rawRequest("OPTIONS", "sip:127.0.0.1", garbage.local(), "after-garbage", 1, nil, ""))
	require.Equal(t, 200, codeOf(garbage.final(3*time.Second)))

	parse, refused := 0, 0
	for _, line := range logLines(logs) {
		assert.Less(t, len(line), 1000, "a short line: %.300s", line)
		assert.LessOrEqual(t, strings.Count(line, " caller="), 1, "one caller key: %.300s", line)
		if strings.Contains(line, "failed to parse") {
			parse++
		}
		if strings.Contains(line, "register refused") {
			refused++
		}
	}
	for _, line := range logLines(logs) {
		if strings.Contains(line, "failed to parse") {
			t.Logf("e.g. %s", line)
			break
		}
	}
	t.Logf("%d garbage datagrams: %d log lines; 30 wrong passwords: %d lines", n, parse, refused)
	assert.Positive(t, parse, "garbage is logged")
	assert.LessOrEqual(t, parse, badInputBurst, "at most a burst of lines")
	assert.LessOrEqual(t, refused, 2*badInputBurst, "refused REGISTERs do not each write a line")
}
