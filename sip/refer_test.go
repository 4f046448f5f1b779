package sip

import (
	"context"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReferWithNotifyProgress(t *testing.T) {
	t.Parallel()
	r := newRig(t, nil)
	c := r.caller("udp")
	d, err := c.Invite(ctx5(t), r.srv.Addr("udp"), "100", c.Offer("", 0))
	require.NoError(t, err)
	require.NoError(t, d.Ack(ctx5(t)))
	call := r.nextCall()
	result := make(chan error, 1)
	go func() { result <- call.Refer(context.Background(), "sales@pbx.example.net") }()
	ref, err := c.WaitRequest(sip.REFER, 3*time.Second)
	require.NoError(t, err)
	assert.Equal(t, "<sip:sales@pbx.example.net>", ref.GetHeader("Refer-To").Value())
	assert.NotNil(t, ref.GetHeader("Referred-By"))
	notify(t, d, "SIP/2.0 100 Trying\r\n")
	select {
	case err := <-result:
		t.Fatalf("refer finished on 100 Trying: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	notify(t, d, "SIP/2.0 200 OK\r\n")
	select {
	case err := <-result:
		assert.NoError(t, err)
	case <-time.After(3 * time.Second):
		t.Fatal("refer did not finish")
	}
}

func TestReferRefusedAndFailed(t *testing.T) {
	t.Parallel()
	r := newRig(t, nil)
	c := r.caller("udp")
	c.SetReferResponse(603)
	d, err := c.Invite(ctx5(t), r.srv.Addr("udp"), "100", c.Offer("", 0))
	require.NoError(t, err)
	require.NoError(t, d.Ack(ctx5(t)))
	call := r.nextCall()
	err = call.Refer(context.Background(), "sip:x@127.0.0.1")
	var re *ReferError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, 603, re.Code)

	c.SetReferResponse(202)
	result := make(chan error, 1)
	go func() { result <- call.Refer(context.Background(), "sip:x@127.0.0.1") }()
	_, err = c.WaitRequest(sip.REFER, 3*time.Second)
	require.NoError(t, err)
	notify(t, d, "SIP/2.0 486 Busy Here\r\n")
	err = <-result
	require.ErrorAs(t, err, &re)
	assert.Equal(t, 486, re.Code)
	require.NoError(t, d.Bye(ctx5(t)))
}
