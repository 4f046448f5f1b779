package node

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/internal/testenv"
)

// Issue 25, a call's path on the chart: a real SIP call presses 2 (the
// support menu) then 1 (a hand-off); picked from the call records in the
// page, its menus, keys (with their times) and hand-off are lit.
func TestUIRealCallPathOnTheChart(t *testing.T) {
	testenv.SkipUnderRace(t, "a Chromium browser driving the web UI")
	t.Parallel()
	if testing.Short() {
		t.Skip("starts a browser")
	}
	b := newBrowser(t)
	svc := startExample(t)
	tok := firstToken(t, svc)

	c := newCaller(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	call, err := c.Call(ctx, svc.sip.Addr("udp"), "100")
	require.NoError(t, err)
	id := call.Dialog.InviteRequest.CallID().Value()
	inMenu := func(menu string) func() bool {
		return func() bool {
			code, body, _ := apiCall(t, svc, tok, "GET", "/api/v1/calls", "", nil)
			var list struct {
				Items []struct{ Menu string } `json:"items"`
			}
			return code == http.StatusOK && json.Unmarshal(body, &list) == nil && len(list.Items) == 1 && list.Items[0].Menu == menu
		}
	}
	require.Eventually(t, inMenu("main"), 5*time.Second, 20*time.Millisecond, "the call is in main")
	var seq uint16
	sendEvent(t, c, call.Media, 101, '2', &seq, 4000)
	require.Eventually(t, inMenu("support"), 5*time.Second, 20*time.Millisecond, "key 2 took the call to support")
	sendEvent(t, c, call.Media, 101, '1', &seq, 8000)
	_, err = c.WaitRequest(sip.REFER, 5*time.Second)
	require.NoError(t, err, "key 1 of support hands the call off")
	// Hang the call up from the API so that its record is complete.
	code, body, _ := apiCall(t, svc, tok, "DELETE", "/api/v1/calls/"+id, "", nil)
	if code != http.StatusNoContent {
		t.Logf("hang-up: %d %s (the hand-off may have ended it)", code, body)
	}
	require.Eventually(t, func() bool {
		code, body, _ := apiCall(t, svc, tok, "GET", "/api/v1/calls/history/"+id, "", nil)
		var rec struct{ State string }
		return code == http.StatusOK && json.Unmarshal(body, &rec) == nil && rec.State == "ended"
	}, 10*time.Second, 20*time.Millisecond, "the call's record is written")

	// The menu changes after the call: key 2 now hangs up. The call's
	// path is drawn on main as it was when the call ran.
	code, body, _ = apiCall(t, svc, tok, "PATCH", "/api/v1/ivrs/main", "application/json", []byte(`{"keys":{"2":"hangup"}}`))
	require.Equal(t, http.StatusOK, code, string(body))

	signIn(b, "http://"+svc.ctl.ln.Addr().String()+"/ui/", tok)
	var toNow string
	b.eval(`document.querySelector('#chart .edge[data-path="ivrs[main].keys.2"]').dataset.to`, &toNow)
	require.NotEqual(t, "menu:support", toNow, "today key 2 of main no longer leads to support")
	b.click("#btn-calls")
	show := `#call-records li[data-call="` + id + `"] button`
	b.waitFor("the call in the records", `!!document.querySelector(`+jsString(show)+`)`)
	b.click(show)
	b.waitFor("the path lit", `!!document.querySelector('#chart .edge.walked[data-path="ivrs[support].keys.1"]')`)
	var walked []string
	b.eval(`[...document.querySelectorAll('#chart .walked')].map(e => e.classList.contains('edge') ? 'edge ' + e.dataset.path : e.dataset.id || 'label ' + e.dataset.path)`, &walked)
	for _, want := range []string{"entry", "menu:main", "menu:support", "d:ivrs[support].keys.1", "edge ivrs[main].keys.2", "edge ivrs[support].keys.1"} {
		assert.Contains(t, walked, want)
	}
	assert.NotContains(t, walked, "d:ivrs[main].keys.1", "a path not taken stays dark")
	var note string
	b.eval(`document.querySelector('#chart .elabel[data-path="ivrs[main].keys.2"] .note')?.textContent || ''`, &note)
	assert.Regexp(t, `^\d+\.\ds$`, note, "key 2's edge says when it was pressed")
	b.waitFor("the call's steps", `!!document.getElementById('call-steps')`)
	steps := b.text("#call-steps")
	assert.Contains(t, steps, "key 2")
	assert.Contains(t, steps, "menu support")
	assert.Contains(t, steps, "refer → sip:tech@127.0.0.1:5070")
	assert.Contains(t, b.text("#call-revision"), "Ran on revision 1 of main, changed since: the chart shows main as it was then.")
	b.screenshot("call-path.png", true)
	// Choosing a menu to edit goes back to the menus as they are now.
	b.click(`#chart .node[data-id="menu:main"]`)
	b.waitFor("today's main", `document.querySelector('#chart .edge[data-path="ivrs[main].keys.2"]').dataset.to !== 'menu:support' && !document.querySelector('#chart .walked')`)
	assert.Empty(t, b.consoleErrors(), "the browser console")
}
