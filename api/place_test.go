package api

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/store"
)

// fakePlacer takes every call; one to "refuse" is the configuration's
// error.
type fakePlacer struct {
	mu  sync.Mutex
	got []PlaceRequest
}

func (f *fakePlacer) PlaceCall(_ context.Context, req PlaceRequest) (string, error) {
	if req.To == "refuse" {
		return "", fmt.Errorf("%w: no such extension", ErrBadPlace)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got = append(f.got, req)
	return fmt.Sprintf("placed-%d", len(f.got)), nil
}

// POST /api/v1/calls: the request as the placer gets it, typed; the
// OpenAPI document covers it; a read token may not place; each token has
// its own limit.
func TestPlaceCallRoute(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite://"+filepath.Join(t.TempDir(), "ivrd.db"))
	r := e.do(req{method: "POST", path: "/api/v1/calls", body: []byte(`{"to": "1001", "ivr": "main"}`)})
	assert.Equal(t, 503, r.Status, "no placer: a server without SIP")
	p := &fakePlacer{}
	e.srv.SetPlacer(p)
	e.srv.placeLimit = newThrottle(2, time.Minute)
	r = e.do(req{method: "POST", path: "/api/v1/calls", body: []byte(`{"to": "15551234567", "trunk": "pstn", "caller_id": "+15550001111",
		"on_answer": {"play": "welcome", "then": "hangup", "record": true}, "on_busy": {"webhook": "crm", "event": "cb.busy"},
		"variables": {"account": "42"}, "ring_timeout": "20s"}`)})
	require.Equal(t, 201, r.Status, string(r.Body))
	assert.Equal(t, "placed-1", r.JSON(t)["call_id"])
	require.Len(t, p.got, 1)
	got := p.got[0]
	assert.Equal(t, "15551234567", got.To)
	assert.Equal(t, "pstn", got.Trunk)
	assert.Equal(t, "+15550001111", got.CallerID)
	assert.Equal(t, "admin", got.Who)
	assert.Equal(t, 20*time.Second, got.RingTimeout)
	assert.Equal(t, map[string]string{"account": "42"}, got.Variables)
	require.NotNil(t, got.OnAnswer)
	assert.Equal(t, ivr.KindPlay, got.OnAnswer.Kind)
	assert.True(t, got.OnAnswer.Record.Enabled())
	require.NotNil(t, got.OnBusy)
	assert.Equal(t, "cb.busy", got.OnBusy.Event)

	r = e.do(req{method: "POST", path: "/api/v1/calls", body: []byte(`{"to": "refuse", "ivr": "main"}`)})
	assert.Equal(t, 422, r.Status)
	assert.Equal(t, "cannot_place", r.ErrCode(t))
	r = e.do(req{method: "POST", path: "/api/v1/calls", token: readToken, body: []byte(`{"to": "1001", "ivr": "main"}`)})
	assert.Equal(t, 403, r.Status, "placing needs a write token")

	r = e.do(req{method: "POST", path: "/api/v1/calls", body: []byte(`{"to": "1001", "ivr": "main"}`)})
	assert.Equal(t, 429, r.Status, "two placed with this token within the window")
	assert.Equal(t, "rate_limited", r.ErrCode(t))
	assert.NotEmpty(t, r.Header.Get("Retry-After"))
	assert.Len(t, p.got, 1)
}

// Recordings through the API: listed by call, served as audio/wav,
// deleted with the file (a write token), 404 after.
func TestRecordingRoutes(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, e *env) {
		dir := t.TempDir()
		path := filepath.Join(dir, "r1.wav")
		wav := append([]byte("RIFF\x28\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x02\x00\x40\x1f\x00\x00\x00\x7d\x00\x00\x04\x00\x10\x00data\x04\x00\x00\x00"), 1, 2, 3, 4)
		require.NoError(t, os.WriteFile(path, wav, 0o600))
		require.NoError(t, e.st.AddRecording(context.Background(), store.Recording{ID: "r1", CallID: "c1", Path: path,
			Start: time.Now(), DurationMs: 0, Bytes: int64(len(wav)), Format: "stereo", Channels: 2, Rate: 8000}))
		r := e.do(req{method: "GET", path: "/api/v1/recordings?call_id=c1"})
		require.Equal(t, 200, r.Status, string(r.Body))
		items := r.JSON(t)["items"].([]any)
		require.Len(t, items, 1)
		assert.NotContains(t, string(r.Body), dir, "the file's path is not shown")
		r = e.do(req{method: "GET", path: "/api/v1/recordings?call_id=other"})
		assert.Empty(t, r.JSON(t)["items"])

		r = e.do(req{method: "GET", path: "/api/v1/calls/c1/recordings/r1", token: readToken})
		require.Equal(t, 200, r.Status)
		assert.Equal(t, "audio/wav", r.Header.Get("Content-Type"))
		assert.Equal(t, wav, r.Body)
		r = e.do(req{method: "GET", path: "/api/v1/calls/c2/recordings/r1"})
		assert.Equal(t, 404, r.Status, "under its own call only")

		r = e.do(req{method: "DELETE", path: "/api/v1/calls/c1/recordings/r1", token: readToken})
		assert.Equal(t, 403, r.Status)
		require.NoError(t, e.st.AddRecording(context.Background(), store.Recording{ID: "r9", CallID: "c1", Node: "n2", Path: path,
			Start: time.Now(), Format: "mono", Channels: 1, Rate: 8000}))
		e.srv.cfg.Node = "n1"
		r = e.do(req{method: "DELETE", path: "/api/v1/calls/c1/recordings/r9"})
		assert.Equal(t, 409, r.Status, "another node's file is deleted there")
		assert.Equal(t, "other_node", r.ErrCode(t))
		e.srv.cfg.Node = ""
		r = e.do(req{method: "DELETE", path: "/api/v1/calls/c1/recordings/r1"})
		assert.Equal(t, 204, r.Status)
		_, err := os.Stat(path)
		assert.True(t, os.IsNotExist(err))
		r = e.do(req{method: "GET", path: "/api/v1/calls/c1/recordings/r1"})
		assert.Equal(t, 404, r.Status)
	})
}

// A conference room's recordings through the API: listed by room (not
// by call), served under the room, deleted there with the file (a write
// token); a list asking for both a call and a room, or neither, is 400.
func TestRoomRecordingRoutes(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, e *env) {
		path := filepath.Join(t.TempDir(), "m1.wav")
		wav := append([]byte("RIFF\x28\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x40\x1f\x00\x00\x80\x3e\x00\x00\x02\x00\x10\x00data\x04\x00\x00\x00"), 1, 2, 3, 4)
		require.NoError(t, os.WriteFile(path, wav, 0o600))
		require.NoError(t, e.st.AddRecording(context.Background(), store.Recording{ID: "m1", Conference: "board", Session: "s1", Path: path,
			Start: time.Now(), Bytes: int64(len(wav)), Format: "mono", Channels: 1, Rate: 8000}))
		r := e.do(req{method: "GET", path: "/api/v1/recordings?conference=board"})
		require.Equal(t, 200, r.Status, string(r.Body))
		items := r.JSON(t)["items"].([]any)
		require.Len(t, items, 1)
		item := items[0].(map[string]any)
		assert.Equal(t, "board", item["conference"])
		assert.Equal(t, "s1", item["session"])
		assert.NotContains(t, item, "call_id")
		for _, q := range []string{"", "?call_id=c1&conference=board"} {
			r = e.do(req{method: "GET", path: "/api/v1/recordings" + q, badRequest: true})
			assert.Equal(t, 400, r.Status, q)
		}

		r = e.do(req{method: "GET", path: "/api/v1/conferences/board/recordings/m1", token: readToken})
		require.Equal(t, 200, r.Status)
		assert.Equal(t, "audio/wav", r.Header.Get("Content-Type"))
		assert.Equal(t, wav, r.Body)
		r = e.do(req{method: "GET", path: "/api/v1/conferences/other/recordings/m1"})
		assert.Equal(t, 404, r.Status, "under its own room only")
		r = e.do(req{method: "GET", path: "/api/v1/calls/board/recordings/m1"})
		assert.Equal(t, 404, r.Status, "a room's recording is no call's")

		r = e.do(req{method: "DELETE", path: "/api/v1/conferences/board/recordings/m1", token: readToken})
		assert.Equal(t, 403, r.Status)
		r = e.do(req{method: "DELETE", path: "/api/v1/conferences/board/recordings/m1"})
		assert.Equal(t, 204, r.Status)
		_, err := os.Stat(path)
		assert.True(t, os.IsNotExist(err))
		r = e.do(req{method: "GET", path: "/api/v1/recordings?conference=board"})
		assert.Empty(t, r.JSON(t)["items"])
	})
}

// An IVR's record setting goes through the configuration API in both
// forms and comes back as written.
func TestRecordSettingThroughTheAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite://"+filepath.Join(t.TempDir(), "ivrd.db"))
	r := e.do(req{method: "PATCH", path: "/api/v1/ivrs/main", ctype: "application/merge-patch+json", body: []byte(`{"record": true}`)})
	require.Equal(t, 200, r.Status, string(r.Body))
	r = e.do(req{method: "GET", path: "/api/v1/ivrs/main"})
	assert.Equal(t, true, r.JSON(t)["record"])
	r = e.do(req{method: "PATCH", path: "/api/v1/ivrs/main", ctype: "application/merge-patch+json",
		body: []byte(`{"record": {"format": "mono", "announce": "welcome"}}`)})
	require.Equal(t, 200, r.Status, string(r.Body))
	r = e.do(req{method: "GET", path: "/api/v1/ivrs/main"})
	assert.Equal(t, map[string]any{"format": "mono", "announce": "welcome"}, r.JSON(t)["record"])
	r = e.do(req{method: "PATCH", path: "/api/v1/ivrs/main", ctype: "application/merge-patch+json",
		body: []byte(`{"record": {"format": "loud"}}`), badRequest: true})
	assert.Equal(t, 422, r.Status, string(r.Body))
	assert.Contains(t, string(r.Body), "loud")
}
