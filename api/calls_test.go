package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/cdr"
	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/store"
)

func init() {
	openapi3filter.RegisterBodyDecoder("text/csv", openapi3filter.PlainBodyDecoder)
	openapi3filter.RegisterBodyDecoder("application/x-ndjson", openapi3filter.PlainBodyDecoder)
}

// fakeCalls is a CallControl with one call, "c1", in its menu.
type fakeCalls struct {
	mu        sync.Mutex
	hungUp    []string
	transfers []string
}

func (f *fakeCalls) LiveCalls() []LiveCall {
	return []LiveCall{{CallID: "c1", Node: "n1", From: "alice", To: "100", IVR: "main", Menu: "main", State: "menu",
		AnsweredAt: time.Now().UTC(), DurationMs: 1200, Codec: "PCMU", Quality: &Quality{Sent: 60, Received: 59, MOSIn: 4.41}}}
}

func (f *fakeCalls) HangupCall(id string) error {
	if id != "c1" {
		return ErrNoSuchCall
	}
	f.mu.Lock()
	f.hungUp = append(f.hungUp, id)
	f.mu.Unlock()
	return nil
}

func (f *fakeCalls) TransferCall(_ context.Context, id string, dest *ivr.Destination, method ivr.TransferMethod) error {
	switch {
	case id != "c1":
		return ErrNoSuchCall
	case dest.Target == "sip:busy@pbx":
		return errors.New("REFER refused: 603")
	case dest.Target == "sip:late@pbx":
		return ErrNotInMenu
	}
	f.mu.Lock()
	f.transfers = append(f.transfers, dest.String()+" "+string(method))
	f.mu.Unlock()
	return nil
}

func TestLiveCallRoutes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite://"+t.TempDir()+"/ivrd.db")
	fake := &fakeCalls{}
	e.srv.cfg.Calls = fake

	r := e.get("/api/v1/calls")
	require.Equal(t, 200, r.Status, string(r.Body))
	items := r.JSON(t)["items"].([]any)
	require.Len(t, items, 1)
	assert.Equal(t, "c1", items[0].(map[string]any)["call_id"])
	r = e.do(req{method: "GET", path: "/api/v1/calls", token: readToken})
	assert.Equal(t, 200, r.Status, "a read token lists calls")
	e.srv.cfg.Node = "n1"
	require.NoError(t, e.st.CallStarted(context.Background(), cdr.Record{CallID: "far", Node: "n2", From: "bob", To: "100",
		Source: cdr.SourceTrunk, InviteAt: time.Now(), IVR: "main"}))
	require.NoError(t, e.st.CallStarted(context.Background(), cdr.Record{CallID: "c1", Node: "n1", InviteAt: time.Now()}))
	r = e.do(req{method: "GET", path: "/api/v1/calls?scope=cluster"})
	assert.Equal(t, 200, r.Status, string(r.Body))
	items = r.JSON(t)["items"].([]any)
	require.Len(t, items, 2, "this node's call once, and the other node's started row")
	assert.Equal(t, "far", items[1].(map[string]any)["call_id"])
	assert.Equal(t, "started", items[1].(map[string]any)["state"])
	r = e.do(req{method: "GET", path: "/api/v1/calls?scope=planet", badRequest: true})
	assert.Equal(t, 400, r.Status)

	r = e.do(req{method: "DELETE", path: "/api/v1/calls/c1", token: readToken})
	assert.Equal(t, 403, r.Status, "hanging up needs a write token")
	r = e.do(req{method: "DELETE", path: "/api/v1/calls/c1"})
	assert.Equal(t, 204, r.Status)
	r = e.do(req{method: "DELETE", path: "/api/v1/calls/nope"})
	assert.Equal(t, 404, r.Status)
	assert.Equal(t, "not_found", r.ErrCode(t))

	r = e.send("POST", "/api/v1/calls/c1/transfer", `{"uri":"sip:sales@pbx","method":"bridge"}`)
	assert.Equal(t, 200, r.Status, string(r.Body))
	r = e.send("POST", "/api/v1/calls/c1/transfer", `{"extension":"201"}`)
	assert.Equal(t, 200, r.Status, string(r.Body))
	assert.Equal(t, []string{"uri sip:sales@pbx bridge", "extension 201 refer"}, fake.transfers)
	r = e.send("POST", "/api/v1/calls/c1/transfer", `{"uri":"sip:busy@pbx"}`)
	assert.Equal(t, 502, r.Status)
	assert.Equal(t, "transfer_failed", r.ErrCode(t))
	r = e.send("POST", "/api/v1/calls/c1/transfer", `{"uri":"sip:late@pbx"}`)
	assert.Equal(t, 409, r.Status)
	r = e.send("POST", "/api/v1/calls/zz/transfer", `{"uri":"sip:a@b"}`)
	assert.Equal(t, 404, r.Status)
	for _, bad := range []string{`{}`, `{"uri":"sip:a@b","extension":"1"}`, `{"uri":"http://x"}`, `{"external":"123"}`,
		`{"uri":"sip:a@b","method":"teleport"}`, `{"uri":"sip:a@b","color":"red"}`, `[`} {
		r = e.do(req{method: "POST", path: "/api/v1/calls/c1/transfer", body: []byte(bad), badRequest: true})
		assert.Equal(t, 400, r.Status, bad)
		assert.Contains(t, r.JSON(t)["error"].(map[string]any)["message"], "body", bad)
	}
}

// seedCalls writes n ended records of IVR main an hour apart, ending
// with the newest; odd ones pressed 1 then were transferred.
func seedCalls(t *testing.T, st *store.Store, n int) time.Time {
	t.Helper()
	base := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	for i := 0; i < n; i++ {
		at := base.Add(time.Duration(i) * time.Hour)
		end := at.Add(30 * time.Second)
		rec := cdr.Record{CallID: fmt.Sprintf("call-%02d", i), Node: "n1", From: fmt.Sprintf("caller%d", i%3), To: "100",
			Source: cdr.SourceUnknown, InviteAt: at, AnswerAt: &at, EndAt: &end, IVR: "main", Path: cdr.Path{"main"},
			Outcome:   cdr.Outcome{Kind: cdr.OutcomeCallerHungUp},
			EndReason: cdr.EndCallerHangup, EndedBy: cdr.EndedByCaller, Quality: cdr.Quality{MOSIn: 4.41}}
		if i%2 == 1 {
			rec.Path = cdr.Path{"main", "sales"}
			rec.Keys = []cdr.Key{{Key: "1", AtMs: 2000, Method: "rfc4733"}}
			ok := cdr.Transfer{Dest: "uri sip:sales@pbx", Method: "refer", AtMs: 3000}
			if i%4 == 3 {
				ok.Error = "603"
			}
			rec.Transfers = []cdr.Transfer{ok}
			rec.Outcome = cdr.Outcome{Kind: cdr.OutcomeTransfer, Detail: "uri sip:sales@pbx", Done: true}
			rec.EndReason, rec.EndedBy = cdr.EndTransferred, cdr.EndedByIVRD
		}
		require.NoError(t, st.CallEnded(context.Background(), rec))
	}
	return base
}

func TestCallHistoryRoutes(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, e *env) {
		base := seedCalls(t, e.st, 7)
		// Pages of 3, newest first, through the cursor.
		var ids []string
		path := "/api/v1/calls/history?limit=3"
		for pages := 0; ; pages++ {
			require.Less(t, pages, 5)
			r := e.get(path)
			require.Equal(t, 200, r.Status, string(r.Body))
			m := r.JSON(t)
			for _, it := range m["items"].([]any) {
				ids = append(ids, it.(map[string]any)["call_id"].(string))
			}
			next, _ := m["next_cursor"].(string)
			if next == "" {
				break
			}
			path = "/api/v1/calls/history?limit=3&cursor=" + next
		}
		assert.Equal(t, []string{"call-06", "call-05", "call-04", "call-03", "call-02", "call-01", "call-00"}, ids)

		count := func(q string) int {
			r := e.get("/api/v1/calls/history?" + q)
			require.Equal(t, 200, r.Status, string(r.Body))
			return len(r.JSON(t)["items"].([]any))
		}
		assert.Equal(t, 3, count("key=1"))
		assert.Equal(t, 3, count("outcome=transfer"))
		assert.Equal(t, 4, count("end_reason=caller%20hung%20up"))
		assert.Equal(t, 3, count("caller=caller0"))
		assert.Equal(t, 2, count("from="+base.Add(time.Hour).Format(time.RFC3339)+"&to="+base.Add(3*time.Hour).Format(time.RFC3339)))
		assert.Equal(t, 0, count("ivr=sales"))

		for _, bad := range []string{"from=yesterday", "limit=0", "key=12", "format=xml", "color=red", "cursor=zz", "state=lost", "outcome=trans", "end_reason=bored"} {
			r := e.do(req{method: "GET", path: "/api/v1/calls/history?" + bad, badRequest: true})
			assert.Equal(t, 400, r.Status, bad)
		}

		r := e.get("/api/v1/calls/history?format=csv&limit=2")
		require.Equal(t, 200, r.Status)
		lines := strings.Split(strings.TrimSpace(string(r.Body)), "\n")
		assert.Len(t, lines, 8, "a header and every record, all pages")
		assert.True(t, strings.HasPrefix(lines[0], "call_id,node,state"))
		r = e.get("/api/v1/calls/history?format=jsonl&ivr=main")
		require.Equal(t, 200, r.Status)
		lines = strings.Split(strings.TrimSpace(string(r.Body)), "\n")
		require.Len(t, lines, 7)
		var first cdr.Record
		require.NoError(t, json.Unmarshal([]byte(lines[0]), &first))
		assert.Equal(t, "call-06", first.CallID)

		r = e.get("/api/v1/calls/history/call-03")
		require.Equal(t, 200, r.Status)
		assert.Equal(t, "transferred", r.JSON(t)["end_reason"])
		r = e.get("/api/v1/calls/history/nope")
		assert.Equal(t, 404, r.Status)

		r = e.get("/api/v1/ivrs/main/stats?from=2026-11-01&to=2026-11-02")
		require.Equal(t, 200, r.Status, string(r.Body))
		var st store.IVRStats
		require.NoError(t, json.Unmarshal(r.Body, &st))
		assert.Equal(t, 7, st.Calls)
		assert.Equal(t, 7, st.Answered)
		require.Len(t, st.Keys, 1)
		assert.Equal(t, store.KeyShare{Key: "1", Presses: 3, Share: 1}, st.Keys[0])
		require.Len(t, st.Transfers, 1)
		assert.Equal(t, 3, st.Transfers[0].Tried)
		assert.Equal(t, 2, st.Transfers[0].Succeeded)
		menus := map[string]store.MenuStats{}
		for _, m := range st.Menus {
			menus[m.Menu] = m
		}
		assert.Equal(t, 7, menus["main"].Entered)
		assert.Equal(t, 4, menus["main"].Abandoned, "callers who hung up in main")
		assert.Equal(t, 3, menus["sales"].Entered)
		// 4 calls of 30 s without a hand-off, 2 handed off at 3 s, 1 failed hand-off (30 s).
		assert.Equal(t, int64((5*30000+2*3000)/7), st.MeanMenuMs)
		r = e.do(req{method: "GET", path: "/api/v1/ivrs/main/stats?from=2026-11-02&to=2026-11-01", badRequest: true})
		assert.Equal(t, 400, r.Status)
	})
}
