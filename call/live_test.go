package call_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/call"
	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/sip/siptest"
)

// liveCall places one call into bridgeMenu (far is where key 1 goes) and
// waits until the registry lists it.
func liveCall(t *testing.T, farURI string) (*rig, *siptest.Caller, *siptest.Answered) {
	t.Helper()
	r := newRig(t, fmt.Sprintf(bridgeMenu, farURI))
	c, err := siptest.NewCaller("udp")
	require.NoError(t, err)
	t.Cleanup(c.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	answered, err := c.Call(ctx, r.srv.Addr("udp"), "100")
	require.NoError(t, err)
	require.Eventually(t, func() bool { return r.live.Len() == 1 }, 5*time.Second, 10*time.Millisecond, "the call is listed")
	return r, c, answered
}

func TestLiveCallListedThenHungUpByOperator(t *testing.T) {
	t.Parallel()
	r, c, answered := liveCall(t, "sip:nobody@127.0.0.1:9")
	list := r.live.List()
	require.Len(t, list, 1)
	lc := list[0]
	assert.Equal(t, answered.Dialog.InviteRequest.CallID().Value(), lc.CallID)
	assert.Equal(t, "100", lc.To)
	assert.Equal(t, "main", lc.IVR)
	assert.Equal(t, "main", lc.Menu)
	assert.Equal(t, call.StateMenu, lc.State)
	assert.Equal(t, "PCMU", lc.Codec)

	require.NoError(t, r.live.Hangup(lc.CallID))
	_, err := c.WaitRequest(sip.BYE, 5*time.Second)
	require.NoError(t, err, "the caller gets BYE")
	rec := r.record(t)
	assert.Equal(t, call.EndOperatorHangup, rec.Reason)
	assert.Equal(t, call.SideIVRD, rec.Side)
	require.Eventually(t, func() bool { return r.live.Len() == 0 }, 5*time.Second, 10*time.Millisecond, "the call leaves the registry")
	assert.ErrorIs(t, r.live.Hangup(lc.CallID), call.ErrNoSuchCall)
}

// An operator's REFER the caller refuses leaves the call in its menu; a
// bridge asked for next connects it.
func TestLiveTransferRefusedThenBridged(t *testing.T) {
	t.Parallel()
	far := siptest.NewFarEnd(t, "answer")
	r, c, answered := liveCall(t, "sip:nobody@127.0.0.1:9")
	id := answered.Dialog.InviteRequest.CallID().Value()
	c.SetReferResponse(603)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	dest := &ivr.Destination{Kind: ivr.KindURI, Target: far.URI()}
	err := r.live.Transfer(ctx, id, dest, ivr.TransferRefer)
	require.Error(t, err, "a refused REFER fails")
	lc, ok := r.live.Get(id)
	require.True(t, ok, "the call goes on")
	assert.Equal(t, call.StateMenu, lc.State)

	require.NoError(t, r.live.Transfer(ctx, id, dest, ivr.TransferBridge))
	require.NotNil(t, far.Dialog(), "the far end was called")
	require.NoError(t, far.Dialog().Bye(ctx))
	rec := r.record(t)
	assert.Equal(t, call.EndBridgeEnded, rec.Reason)
	assert.Equal(t, call.SideFarEnd, rec.Side)
	require.Len(t, rec.Transfers, 2)
	assert.True(t, rec.Transfers[0].Operator)
	assert.NotEmpty(t, rec.Transfers[0].Err)
	assert.Empty(t, rec.Transfers[1].Err)
	assert.ErrorIs(t, r.live.Transfer(ctx, "no-such-call", dest, ivr.TransferBridge), call.ErrNoSuchCall)
}

// TestCallEventsInOrder: a call that presses 1 and is bridged emits its
// events in the order they happened, the digit with its method.
func TestCallEventsInOrder(t *testing.T) {
	t.Parallel()
	r, _, far := bridgeCall(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, far.Dialog().Bye(ctx))
	rec := r.record(t)
	var got []call.EventType
	var digit, finished call.Event
	for ev := range r.events {
		assert.Equal(t, rec.CallID, ev.CallID)
		assert.Equal(t, "main", ev.IVR)
		got = append(got, ev.Type)
		switch ev.Type {
		case call.EventDigit:
			digit = ev
		case call.EventTransferFinished:
			finished = ev
		}
		if ev.Type == call.EventCallEnded {
			assert.Same(t, rec, ev.Record)
			break
		}
	}
	assert.Equal(t, []call.EventType{call.EventCallStarted, call.EventMenuEntered, call.EventDigit,
		call.EventTransferStarted, call.EventTransferFinished, call.EventCallEnded}, got)
	assert.Equal(t, byte('1'), digit.Key)
	assert.Equal(t, "main", digit.Menu)
	assert.Equal(t, ivr.TransferBridge, finished.TransferMethod)
	assert.Empty(t, finished.Err)
}

// TestRecordScheduleBranch: a call on a holiday takes the schedule's
// closed branch, and its record says so.
func TestRecordScheduleBranch(t *testing.T) {
	t.Parallel()
	today := time.Now().UTC().Format("2006-01-02")
	r := newRig(t, `
schedules:
  - id: office
    timezone: UTC
    open: ["mon-sun 00:00-23:59"]
    holidays: [{ date: "`+today+`", name: "Test day" }]
    closed: { prompt: beep, then: hangup }
ivrs:
  - id: main
    extensions: ["100"]
    schedule: office
    prompt: beep
    keys: { "1": hangup }
`)
	c, err := siptest.NewCaller("udp")
	require.NoError(t, err)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = c.Call(ctx, r.srv.Addr("udp"), "100")
	require.NoError(t, err)
	rec := r.record(t)
	assert.Equal(t, "holiday Test day", rec.ScheduleBranch)
	assert.Equal(t, call.EndMenuHangup, rec.Reason)
}
