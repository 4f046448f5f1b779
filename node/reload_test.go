package node

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestServeRefusesInvalidConfigAndReloadKeepsGoodOne(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "ivrd.yaml")
	good := "server: { sip: { listen: [\"udp://127.0.0.1:0\"] }, media: { rtp_ports: \"33000-33099\" } }\nivrs:\n  - id: main\n    extensions: [\"100\"]\n    prompt: main-choices\n"
	require.NoError(t, os.WriteFile(path, []byte(strings.Replace(good, "main-choices", "no-such-prompt", 1)), 0o644))
	_, err := newService(path, os.Stderr, "warn")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `ivrs[main].prompt: unknown prompt "no-such-prompt"`)

	require.NoError(t, os.WriteFile(path, []byte(good), 0o644))
	svc, err := newService(path, os.Stderr, "warn")
	require.NoError(t, err)
	require.NoError(t, svc.Start(context.Background()))
	defer svc.Close()
	assert.True(t, svc.calls.Route("100"))
	assert.False(t, svc.calls.Route("200"))

	// A reload with a new number takes effect for new calls...
	require.NoError(t, os.WriteFile(path, []byte(strings.Replace(good, `["100"]`, `["100", "200"]`, 1)), 0o644))
	require.NoError(t, svc.Reload())
	assert.True(t, svc.calls.Route("200"))
	// ...and a broken one changes nothing and says why.
	require.NoError(t, os.WriteFile(path, []byte("ivrs: [ {id: main, extensions: [\"100\"], prompt: nope} ]\n"), 0o644))
	err = svc.Reload()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "unknown prompt")
	assert.True(t, svc.calls.Route("200"), "the running configuration stays")
	// A file that changes a setting bound at start is refused, naming it,
	// and nothing of it applies (not even its new number).
	changed := strings.Replace(strings.Replace(good, `["100"]`, `["100", "300"]`, 1), "33000-33099", "33200-33299", 1)
	require.NoError(t, os.WriteFile(path, []byte(changed), 0o644))
	err = svc.Reload()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "server.media.rtp_ports")
	assert.Contains(t, err.Error(), "restart")
	assert.False(t, svc.calls.Route("300"), "nothing of the refused file applies")
}
