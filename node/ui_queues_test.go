package node

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/internal/testenv"
)

// Issue 20, the queues live in the web UI: a real SIP caller waits in a
// queue whose only agent is logged out; the Queues panel shows it at
// position 1 with a wait that grows by itself (nobody reloads), the agent
// logged out, and passes the accessibility audit; once the caller hangs
// up it is gone and counted as abandoned; the agent is logged in from
// the panel.
func TestUIQueuesLive(t *testing.T) {
	testenv.SkipUnderRace(t, "a Chromium browser driving the web UI")
	t.Parallel()
	if testing.Short() {
		t.Skip("starts a browser")
	}
	b := newBrowser(t)
	svc, _ := startQueue(t, "sip:201@127.0.0.1:9",
		`{ id: support, name: Support desk, number: "600", members: ["201"], music: music }`)
	tok := firstToken(t, svc)
	code, body, _ := apiCall(t, svc, tok, "POST", "/api/v1/queues/support/agents/201/logout", "", nil)
	require.Equal(t, http.StatusOK, code, string(body))

	signIn(b, "http://"+svc.ctl.ln.Addr().String()+"/ui/", tok)
	b.click("#btn-queues")
	b.waitFor("the empty queue", `!!document.getElementById('queue-support-none')`)
	assert.Equal(t, "Queue support — Support desk (600)", b.text("#queue-support-h"))

	c, call, id := queueCaller(t, svc, "600")
	row := `#queue-support-waiting tr[data-call=` + jsString(id) + `]`
	b.waitFor("the caller waiting", `!!document.querySelector(`+jsString(row)+`)`)
	assert.Equal(t, "1", b.text(row+" td.pos"), "the caller is at position 1")
	assert.Equal(t, listQueues(t, svc, tok)[0].Waiting[0].Caller, b.text(row+" td.caller"))
	waitToneHeard(t, c, 440, "the caller hears the queue's music meanwhile")
	waited := `(() => { const td = document.querySelector(` + jsString(row+" td.wait") + `);
		if (!td) return -1; const [m, s] = td.textContent.split(':').map(Number); return m * 60 + s; })()`
	var first int
	b.eval(waited, &first)
	b.waitFor("the wait growing on its own", waited+` >= `+strconv.Itoa(first+2))
	assert.Equal(t, "1", b.text(`#queue-support dd[data-figure="Waiting"]`))
	assert.Equal(t, "logged out", b.text(`#queue-support-agents tr[data-agent="201"] td.state`))
	assert.Empty(t, b.audit("the queues with a caller waiting"), "serious or critical accessibility violations")
	b.screenshot("queues.png", true)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, call.Dialog.Bye(ctx))
	b.waitFor("the caller gone", `!document.querySelector(`+jsString(row)+`) && !!document.getElementById('queue-support-none')`)
	b.waitFor("the abandoned call counted", `document.querySelector('#queue-support dd[data-figure="Abandoned"]').textContent === '1'`)

	b.click(`#queue-support-agent-201`)
	b.waitFor("the agent logged in", `document.querySelector('#queue-support-agents tr[data-agent="201"] td.state').textContent === 'free'`)
	assert.Equal(t, "free", listQueues(t, svc, tok)[0].Agents[0].State)
	assert.Empty(t, b.consoleErrors(), "the browser console")
}
