package node

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ivrd/ivrd/internal/testenv"
	"github.com/ivrd/ivrd/node/nodetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func startLanguages(t *testing.T) *Node {
	t.Helper()
	path := writeConfig(t, nodetest.LanguageCallConfig)
	dir := filepath.Dir(path)
	require.NoError(t, os.Mkdir(filepath.Join(dir, "es"), 0o755))
	writeTone(t, filepath.Join(dir, "welcome.wav"), 440, 400*time.Millisecond)
	writeTone(t, filepath.Join(dir, "main-choices.wav"), 1000, 400*time.Millisecond)
	writeTone(t, filepath.Join(dir, "es", "welcome.wav"), 700, 400*time.Millisecond)
	writeTone(t, filepath.Join(dir, "es", "main-choices.wav"), 300, 400*time.Millisecond)
	return startConfig(t, path)
}

// A caller of the Spanish menu hears prompts/es/.
func TestSpanishMenuPlaysSpanishPrompts(t *testing.T) {
	t.Parallel()
	svc := startLanguages(t)
	c := newCaller(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := c.Call(ctx, svc.sip.Addr("udp"), "101")
	require.NoError(t, err)
	waitHeard(t, c, 700, 300)
}

// Pressing the set_language key switches the rest of the call: the menu
// plays again, from prompts/es/.
func TestSetLanguageKeyOnACall(t *testing.T) {
	t.Parallel()
	svc := startLanguages(t)
	c := newCaller(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	call, err := c.Call(ctx, svc.sip.Addr("udp"), "100")
	require.NoError(t, err)
	waitHeard(t, c, 440, 1000)
	var seq uint16
	sendEvent(t, c, call.Media, 101, '9', &seq, 8000)
	waitHeard(t, c, 440, 1000, 300)
	assert.NotContains(t, heard(c.Packets()), 700.0, "the greeting is not replayed")
}

// serve's snapshot can say numbers in every language calls switch to:
// the fragments are spoken at start where none is recorded.
func TestServedSnapshotSaysNumbers(t *testing.T) {
	t.Parallel()
	testenv.NeedEspeak(t, "spoken prompts")
	lib := startLanguages(t).snap.Load().Prompts
	for _, tc := range []struct {
		lang string
		n    int
		want []string
	}{
		{"", 3, []string{"number-3"}},
		{"", 42, []string{"number-40", "number-2"}},
		{"es", 21, []string{"number-21"}},
	} {
		got, err := lib.SayNumber(tc.lang, tc.n)
		require.NoError(t, err)
		var names []string
		for _, p := range got {
			names = append(names, p.Name)
			assert.Greater(t, p.Duration(), 100*time.Millisecond)
		}
		assert.Equal(t, tc.want, names, "%s %d", tc.lang, tc.n)
	}
}
