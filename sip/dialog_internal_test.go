package sip

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/stretchr/testify/assert"
)

// countingTx is a server transaction that counts the responses sent on it
// and acknowledges after the ackAfter-th, as the ACK handler would.
type countingTx struct {
	sip.ServerTransaction
	sent     atomic.Int32
	ackAfter int32
	ack      ackWaiter
}

func (c *countingTx) Respond(*sip.Response) error {
	if c.sent.Add(1) == c.ackAfter {
		c.ack.fire()
	}
	return nil
}

func TestRespondUntilAckRepeatsTheTwoHundredUntilTheAck(t *testing.T) {
	t.Parallel()
	tx := &countingTx{ackAfter: 2}
	res := sip.NewResponse(200, "OK")
	done := make(chan struct{})
	go func() { respondUntilAck(context.Background(), tx, res, &tx.ack, slog.Default()); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("still sending after the ACK")
	}
	assert.Equal(t, int32(2), tx.sent.Load(), "sent once, repeated once (after T1), then the ACK stopped it")
}

func TestAckWithNobodyWaitingIsDropped(t *testing.T) {
	t.Parallel()
	var w ackWaiter
	w.fire() // before any re-INVITE: must not block or panic
	ch := w.arm()
	w.fire()
	w.fire() // a retransmitted ACK: the one already waiting is enough
	assert.Len(t, ch, 1)
}

func TestRespondUntilAckStopsWhenTheCallEnds(t *testing.T) {
	t.Parallel()
	tx := &countingTx{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { respondUntilAck(ctx, tx, sip.NewResponse(200, "OK"), &tx.ack, slog.Default()); close(done) }()
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("still sending after the call ended")
	}
	assert.GreaterOrEqual(t, tx.sent.Load(), int32(1))
}
