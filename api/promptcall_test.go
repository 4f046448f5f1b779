package api

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeRecorder takes every request but one to "refuse"; its jobs stay
// ringing.
type fakeRecorder struct {
	mu   sync.Mutex
	got  []PromptCallRequest
	jobs map[string]PromptCall
}

func (f *fakeRecorder) RecordPrompt(_ context.Context, req PromptCallRequest) (PromptCall, error) {
	if req.To == "refuse" {
		return PromptCall{}, fmt.Errorf("%w: to %q: not an extension of the configuration", ErrBadPlace, req.To)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, j := range f.jobs {
		if j.Prompt == req.Name {
			return PromptCall{}, ErrPromptCallBusy
		}
	}
	f.got = append(f.got, req)
	now := time.Now().UTC()
	j := PromptCall{ID: fmt.Sprintf("job%d", len(f.got)), Prompt: req.Name, To: req.To, Trunk: req.Trunk, State: PromptCallRinging,
		CallID: "ivrd-call", Who: req.Who, StartedAt: now, UpdatedAt: now}
	f.jobs[j.ID] = j
	return j, nil
}

func (f *fakeRecorder) PromptCall(id string) (PromptCall, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	j, ok := f.jobs[id]
	return j, ok
}

// POST /api/v1/prompts/{name}/record-by-phone and its job: the request
// as the recorder gets it, both routes in the OpenAPI document, a read
// token refused, bad names and bodies refused naming what is wrong.
func TestRecordByPhoneRoute(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite://"+filepath.Join(t.TempDir(), "ivrd.db"))
	r := e.send("POST", "/api/v1/prompts/hello/record-by-phone", `{"to": "1001"}`)
	assert.Equal(t, 503, r.Status, "no recorder: a server without SIP")
	f := &fakeRecorder{jobs: map[string]PromptCall{}}
	e.srv.SetPromptRecorder(f)

	r = e.send("POST", "/api/v1/prompts/hello/record-by-phone", `{"to": "15551234567", "trunk": "pstn", "language": "es"}`)
	require.Equal(t, 201, r.Status, string(r.Body))
	assert.Equal(t, "/api/v1/prompts/hello/record-by-phone/job1", r.Header.Get("Location"))
	assert.Equal(t, "ringing", r.JSON(t)["state"])
	require.Len(t, f.got, 1)
	assert.Equal(t, PromptCallRequest{Name: "hello", To: "15551234567", Trunk: "pstn", Language: "es", Who: "admin"}, f.got[0])

	r = e.get("/api/v1/prompts/hello/record-by-phone/job1")
	require.Equal(t, 200, r.Status, string(r.Body))
	assert.Equal(t, "hello", r.JSON(t)["prompt"])
	assert.Equal(t, 404, e.get("/api/v1/prompts/other/record-by-phone/job1").Status, "a job is found under its own prompt")
	assert.Equal(t, 404, e.get("/api/v1/prompts/hello/record-by-phone/job9").Status)

	r = e.send("POST", "/api/v1/prompts/hello/record-by-phone", `{"to": "1001"}`)
	assert.Equal(t, 409, r.Status, "one recording of a prompt at a time")
	r = e.send("POST", "/api/v1/prompts/x/record-by-phone", `{"to": "refuse"}`)
	assert.Equal(t, 422, r.Status)
	assert.Contains(t, string(r.Body), "refuse")
	r = e.do(req{method: "POST", path: "/api/v1/prompts/x/record-by-phone", token: readToken, body: []byte(`{"to": "1001"}`)})
	assert.Equal(t, 403, r.Status, "a write token is needed")
	for _, c := range []struct{ path, body, says string }{
		{"/api/v1/prompts/.hidden/record-by-phone", `{"to": "1001"}`, ".hidden"},
		{"/api/v1/prompts/x/record-by-phone", `{"to": ""}`, "to is required"},
		{"/api/v1/prompts/x/record-by-phone", `{"to": "1001", "language": "e n"}`, "language"},
		{"/api/v1/prompts/x/record-by-phone", `{"to": "1001", "bogus": 1}`, "bogus"},
	} {
		r = e.do(req{method: "POST", path: c.path, body: []byte(c.body), badRequest: true})
		assert.Equal(t, 400, r.Status, c.body)
		assert.Contains(t, string(r.Body), c.says, c.body)
	}
	assert.Len(t, f.got, 1, "nothing refused reached the recorder")
}

// Recording by phone rings a phone as placing a call does: both count
// against the token's limit of placed calls, and once it is reached
// either is refused with 429 and Retry-After.
func TestRecordByPhoneCountsAsAPlacedCall(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite://"+filepath.Join(t.TempDir(), "ivrd.db"))
	f := &fakeRecorder{jobs: map[string]PromptCall{}}
	e.srv.SetPromptRecorder(f)
	p := &fakePlacer{}
	e.srv.SetPlacer(p)
	e.srv.placeLimit = newThrottle(2, time.Minute)

	r := e.send("POST", "/api/v1/calls", `{"to": "1001", "ivr": "main"}`)
	require.Equal(t, 201, r.Status, string(r.Body))
	r = e.send("POST", "/api/v1/prompts/hello/record-by-phone", `{"to": "1001"}`)
	require.Equal(t, 201, r.Status, string(r.Body))
	r = e.send("POST", "/api/v1/prompts/other/record-by-phone", `{"to": "1001"}`)
	assert.Equal(t, 429, r.Status, "a placed call and a recording by phone make the limit of two")
	assert.NotEmpty(t, r.Header.Get("Retry-After"))
	r = e.send("POST", "/api/v1/calls", `{"to": "1001", "ivr": "main"}`)
	assert.Equal(t, 429, r.Status, "the limit holds for placed calls too")
	assert.Len(t, f.got, 1)
	assert.Len(t, p.got, 1)
}

// FuzzParsePromptCall: any body and name is read or refused, never a
// panic, and what is accepted has a valid name and a target.
func FuzzParsePromptCall(f *testing.F) {
	f.Add("hello", []byte(`{"to": "1001", "language": "en"}`))
	f.Add("a", []byte(`{"to": "sip:x@127.0.0.1", "trunk": "t"}`))
	f.Add("..", []byte(`{}`))
	f.Fuzz(func(t *testing.T, name string, body []byte) {
		req, err := parsePromptCall(name, body)
		if err != nil {
			return
		}
		assert.Equal(t, name, req.Name)
		assert.NotEmpty(t, req.To)
		assert.True(t, req.Language == "" || languageOK(req.Language))
	})
}
