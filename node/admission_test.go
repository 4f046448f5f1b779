package node

import (
	"context"
	"database/sql"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const backlogConfig = `
server:
  sip: { listen: ["udp://127.0.0.1:0"] }
  media: { rtp_ports: "RTP_RANGE", overload_guard: false }
  api: { listen: "127.0.0.1:0" }
prompts_dir: "PROMPTS"
webhooks:
  - { name: hook, url: "HOOK_URL", secret: "0123456789abcdef" }
ivrs:
  - id: main
    extensions: ["100"]
    prompt: beep
    response_timeout: 10s
    keys: { "#": hangup }
`

// TestNewCallsRefusedWhileTheStoreIsFarBehind: with the store unable to
// take writes (another process holds SQLite's write lock) a call is
// still answered, its record and events wait in memory; once they pass
// the high-water mark a new INVITE and an OPTIONS get 503, and once the
// store takes them again (the lock released) new calls are answered,
// and the first call's record is in the store.
func TestNewCallsRefusedWhileTheStoreIsFarBehind(t *testing.T) {
	t.Parallel()
	hook := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(hook.Close)
	path := writeConfig(t, backlogConfig, "HOOK_URL", hook.URL)
	svc := startConfig(t, path, func(o *Options) { o.BacklogHigh, o.BacklogLow = 2, 1 })
	addr := svc.sip.Addr("udp")
	backlog := func() int { return svc.ctl.rec.backlog() + svc.ctl.hooks.Backlog() }

	// Another process's writer: BEGIN IMMEDIATE holds the write lock.
	db, err := sql.Open("sqlite", "file:"+filepath.Join(filepath.Dir(path), "data", "ivrd.db")+"?_txlock=immediate")
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	lock, err := db.BeginTx(t.Context(), nil)
	require.NoError(t, err)
	locked := true
	t.Cleanup(func() {
		if locked {
			_ = lock.Rollback()
		}
	})

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	first, err := newCaller(t).Call(ctx, addr, "100")
	require.NoError(t, err, "a call is answered while the backlog is below the mark")
	waitUntil(t, 10*time.Second, func() bool { return backlog() >= 2 }, func() string { return "the first call's writes did not queue" })

	_, err = newCaller(t).Call(ctx, addr, "100")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "503", "a new call is refused while the store is far behind")
	assert.Equal(t, 503, options(t, addr), "OPTIONS says so to the proxy")
	_, refusing, refused, _ := svc.adm.gauges()
	assert.True(t, refusing)
	assert.GreaterOrEqual(t, refused, uint64(2))
	code, body := httpGet(t, svc, "/readyz")
	assert.Equal(t, 503, code, "a load balancer's probe hears it too: %s", body)
	assert.Contains(t, string(body), `"store_caught_up"`)

	require.NoError(t, lock.Rollback())
	locked = false
	waitUntil(t, 20*time.Second, func() bool { return backlog() == 0 }, func() string { return "the backlog did not drain" })
	assert.Equal(t, 200, options(t, addr), "taken again once the store caught up")
	code, body = httpGet(t, svc, "/readyz")
	assert.Equal(t, 200, code, "ready again: %s", body)
	second, err := newCaller(t).Call(ctx, addr, "100")
	require.NoError(t, err, "a new call is answered again")
	require.NoError(t, second.Dialog.Bye(ctx))
	require.NoError(t, first.Dialog.Bye(ctx))

	_, err = svc.ctl.st.Call(ctx, first.Dialog.InviteRequest.CallID().Value())
	require.NoError(t, err, "the first call's record went in once the store was back")
}
