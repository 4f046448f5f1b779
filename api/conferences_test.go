package api

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeRooms is a room with two participants, as the node would show it.
type fakeRooms struct {
	mu      sync.Mutex
	muted   map[string]bool
	removed []string
}

func (f *fakeRooms) Conferences() []Conference {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := Conference{ID: "team", Name: "Team", Number: "800", MaxParticipants: 10}
	for _, id := range []string{"c1", "c2"} {
		c.Participants = append(c.Participants, ConferenceParticipant{CallID: id, Caller: "alice", JoinedAt: time.Now().UTC(),
			Muted: f.muted[id], Talking: id == "c1"})
	}
	return []Conference{c, {ID: "empty", Name: "empty", Participants: []ConferenceParticipant{}}}
}

func (f *fakeRooms) SetMuted(room, callID string, muted bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if room != "team" || (callID != "c1" && callID != "c2") {
		return ErrNotInConference
	}
	f.muted[callID] = muted
	return nil
}

func (f *fakeRooms) RemoveParticipant(room, callID string) error {
	if room != "team" || callID != "c2" {
		return ErrNotInConference
	}
	f.mu.Lock()
	f.removed = append(f.removed, callID)
	f.mu.Unlock()
	return nil
}

func TestConferenceRoutes(t *testing.T) {
	e := newEnv(t, "sqlite://"+t.TempDir()+"/ivrd.db")
	r := e.get("/api/v1/conferences")
	assert.Equal(t, 503, r.Status, "no rooms without a running server")

	fake := &fakeRooms{muted: map[string]bool{}}
	e.srv.cfg.Conferences = fake
	r = e.do(req{method: "GET", path: "/api/v1/conferences", token: readToken})
	require.Equal(t, 200, r.Status, string(r.Body))
	items := r.JSON(t)["items"].([]any)
	require.Len(t, items, 2)
	room := items[0].(map[string]any)
	assert.Equal(t, "team", room["id"])
	parts := room["participants"].([]any)
	require.Len(t, parts, 2)
	assert.Equal(t, true, parts[0].(map[string]any)["talking"])
	assert.Equal(t, false, parts[1].(map[string]any)["muted"])

	r = e.do(req{method: "POST", path: "/api/v1/conferences/team/participants/c2/mute", token: readToken})
	assert.Equal(t, 403, r.Status, "muting needs a write token")
	r = e.do(req{method: "POST", path: "/api/v1/conferences/team/participants/c2/mute"})
	require.Equal(t, 200, r.Status, string(r.Body))
	assert.Equal(t, true, r.JSON(t)["muted"])
	assert.True(t, fake.muted["c2"])
	r = e.do(req{method: "POST", path: "/api/v1/conferences/team/participants/c2/unmute"})
	require.Equal(t, 200, r.Status, string(r.Body))
	assert.False(t, fake.muted["c2"])
	r = e.do(req{method: "POST", path: "/api/v1/conferences/team/participants/nope/mute"})
	assert.Equal(t, 404, r.Status)
	assert.Equal(t, "not_found", r.ErrCode(t))

	r = e.do(req{method: "DELETE", path: "/api/v1/conferences/team/participants/c2", token: readToken})
	assert.Equal(t, 403, r.Status, "removing needs a write token")
	r = e.do(req{method: "DELETE", path: "/api/v1/conferences/team/participants/c2"})
	assert.Equal(t, 204, r.Status)
	assert.Equal(t, []string{"c2"}, fake.removed)
	r = e.do(req{method: "DELETE", path: "/api/v1/conferences/other/participants/c2"})
	assert.Equal(t, 404, r.Status)
}
