package call_test

import (
	"context"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/call"
	"github.com/ivrd/ivrd/sip/siptest"
)

// The menu of the scenarios below (moved from the ivr runner's tests, now
// played as real calls): short prompts and timeouts, so a test checks
// order and outcome, not timing.
const scenarioMenu = `
ivrs:
  - id: main
    extensions: ["100"]
    greeting: beep
    prompt: beep
    invalid_prompt: beep
    prompt_repeat: 1
    response_timeout: 300ms
    on_failure: { prompt: goodbye, then: hangup }
    transfer: refer
    keys:
      "1": { uri: "sip:sales@pbx" }
      "2": { ivr: sub }
  - id: sub
    greeting: missing
    prompt: beep
    response_timeout: 5s
    keys:
      "8": back
`

func dial(t *testing.T, r *rig) (*siptest.Caller, *siptest.Answered) {
	t.Helper()
	c, err := siptest.NewCaller("udp")
	require.NoError(t, err)
	t.Cleanup(c.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	answered, err := c.Call(ctx, r.srv.Addr("udp"), "100")
	require.NoError(t, err)
	return c, answered
}

// notifyRefer answers a REFER the menu sent with a final NOTIFY.
func notifyRefer(t *testing.T, a *siptest.Answered, frag string) {
	t.Helper()
	req := sip.NewRequest(sip.NOTIFY, a.Dialog.InviteResponse.Contact().Address)
	req.AppendHeader(sip.NewHeader("Event", "refer"))
	req.AppendHeader(sip.NewHeader("Content-Type", "message/sipfrag;version=2.0"))
	req.SetBody([]byte(frag))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := a.Dialog.Do(ctx, req)
	require.NoError(t, err)
	require.Equal(t, 200, res.StatusCode)
}

// A key typed during the greeting answers the menu when it ends (9:
// invalid), then 1 transfers; the record has both keys.
func TestMenuTypeAheadInvalidThenTransfer(t *testing.T) {
	t.Parallel()
	r := newRig(t, scenarioMenu)
	c, a := dial(t, r)
	var seq uint16
	press(t, c, a.Media, '9', &seq, 1000) // during the greeting: kept
	r.waitPlays(t, 3, "greeting, invalid prompt, menu prompt begins")
	press(t, c, a.Media, '1', &seq, 9000)
	_, err := c.WaitRequest(sip.REFER, 5*time.Second)
	require.NoError(t, err)
	notifyRefer(t, a, "SIP/2.0 200 OK\r\n")
	rec := r.record(t)
	assert.Equal(t, "91", keysOf(rec))
	assert.Equal(t, 1, rec.Invalid)
	assert.Equal(t, 0, rec.Timeouts)
	assert.Equal(t, "transfer uri sip:sales@pbx done", rec.Outcome.String())
	assert.Equal(t, call.EndTransferred, rec.Reason)
}

// A refused transfer plays the invalid prompt and the menu again; a
// silent caller then times out and the failure path hangs up.
func TestMenuFailedTransferTimeoutAndFailure(t *testing.T) {
	t.Parallel()
	r := newRig(t, scenarioMenu)
	c, a := dial(t, r)
	c.SetReferResponse(486)
	var seq uint16
	r.waitPlays(t, 2, "greeting, menu prompt begins")
	press(t, c, a.Media, '1', &seq, 1000)
	_, err := c.WaitRequest(sip.BYE, 10*time.Second)
	require.NoError(t, err, "the failure path hangs up")
	rec := r.record(t)
	assert.Equal(t, "1", keysOf(rec))
	assert.Equal(t, 0, rec.Invalid)
	assert.Equal(t, 1, rec.Timeouts)
	require.Len(t, rec.Transfers, 1)
	assert.NotEmpty(t, rec.Transfers[0].Err)
	assert.Equal(t, "hangup failure", rec.Outcome.String())
	assert.Equal(t, call.EndMenuHangup, rec.Reason)
	assert.Equal(t, call.SideIVRD, rec.Side)
}

// A missing prompt (the submenu's greeting) is skipped; the caller hangs
// up in the submenu.
func TestMenuSkipsMissingPromptsAndStopsOnHangup(t *testing.T) {
	t.Parallel()
	r := newRig(t, scenarioMenu)
	c, a := dial(t, r)
	var seq uint16
	r.waitPlays(t, 2, "greeting, menu prompt begins")
	press(t, c, a.Media, '2', &seq, 1000)
	r.waitEvent(t, "the submenu entered", func(ev call.Event) bool { return ev.Type == call.EventMenuEntered && ev.Menu == "sub" })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, a.Dialog.Bye(ctx))
	rec := r.record(t)
	assert.Equal(t, []string{"main", "sub"}, rec.Path)
	assert.Equal(t, "2", keysOf(rec))
	assert.Equal(t, "caller hung up", rec.Outcome.String())
	assert.Equal(t, call.EndCallerHangup, rec.Reason)
}

func keysOf(rec *call.Record) string {
	b := make([]byte, 0, len(rec.Keys))
	for _, k := range rec.Keys {
		b = append(b, k.Key)
	}
	return string(b)
}

// A call that stays in the menus past the menu time limit is ended by
// ivrd, what plays stopped (moved from the ivr runner's tests).
func TestMenuTimeLimitEndsTheCall(t *testing.T) {
	t.Parallel()
	r := newRigWith(t, scenarioMenu, func(o *call.Options) { o.MaxMenuTime = 400 * time.Millisecond })
	c, _ := dial(t, r)
	_, err := c.WaitRequest(sip.BYE, 5*time.Second)
	require.NoError(t, err, "ivrd hangs up at the limit")
	rec := r.record(t)
	assert.Equal(t, "hangup menu time limit", rec.Outcome.String())
	assert.Equal(t, call.EndMenuHangup, rec.Reason)
	assert.Equal(t, call.SideIVRD, rec.Side)
}

// An invalid key, then silence: the failure path hangs up, and the record
// counts one invalid entry and one timeout.
func TestMenuInvalidThenTimeoutFailure(t *testing.T) {
	t.Parallel()
	r := newRig(t, scenarioMenu)
	c, a := dial(t, r)
	var seq uint16
	r.waitPlays(t, 2, "greeting, menu prompt begins")
	press(t, c, a.Media, '5', &seq, 1000)
	_, err := c.WaitRequest(sip.BYE, 10*time.Second)
	require.NoError(t, err, "the failure path hangs up")
	rec := r.record(t)
	assert.Equal(t, "5", keysOf(rec))
	assert.Equal(t, 1, rec.Invalid)
	assert.Equal(t, 1, rec.Timeouts)
	assert.Empty(t, rec.Transfers)
	assert.Equal(t, "hangup failure", rec.Outcome.String())
	assert.Equal(t, call.EndMenuHangup, rec.Reason)
	assert.Equal(t, call.SideIVRD, rec.Side)
}
