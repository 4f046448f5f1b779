package node

import (
	"context"
	"time"

	"github.com/ivrd/ivrd/call"
	"github.com/ivrd/ivrd/store"
	"github.com/ivrd/ivrd/webhook"
)

// Several nodes on one PostgreSQL store: each writes a heartbeat row
// every HeartbeatEvery; a node whose row is older than LostAfter is
// taken for dead (SIGKILL, a crash, a host gone) and any node still
// running settles its unfinished calls as interrupted, so that no call
// record stays 'started' for ever. A restarted node settles its own at
// start (MarkInterrupted). LostAfter is several beats so that a slow
// database or a paused process is not mistaken for a lost node.
const (
	HeartbeatEvery = 2 * time.Second
	LostAfter      = 10 * time.Second
)

// beat writes this node's heartbeat, logging a failure.
func (c *control) beat(ctx context.Context) {
	if c.st.Backend() != "postgres" {
		return // one node per SQLite file: nobody to tell
	}
	if err := c.st.Heartbeat(ctx, c.node); err != nil && ctx.Err() == nil {
		c.log.Warn("cluster heartbeat not written", "node", c.node, "err", err)
	}
}

// watchNodes beats and sweeps until ctx ends (PostgreSQL only).
func (c *control) watchNodes(ctx context.Context) {
	if c.st.Backend() != "postgres" {
		return
	}
	t := time.NewTicker(HeartbeatEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		tctx, cancel := context.WithTimeout(ctx, HeartbeatEvery)
		c.beat(tctx)
		c.syncQueues(tctx)
		// Settling a dead node's calls and adopting its undelivered
		// events are one transaction: whoever settles a call holds its
		// earlier events, and its call.ended follows them.
		lost, adopted, err := c.st.SweepLost(tctx, c.node, LostAfter)
		cancel()
		if err != nil {
			if ctx.Err() == nil {
				c.log.Warn("cluster sweep failed", "err", err)
			}
			continue
		}
		perNode := map[string]int{}
		for _, call := range lost {
			perNode[call.Node]++
		}
		for node, n := range perNode {
			c.log.Warn("node lost: its unfinished calls marked interrupted", "node", node, "calls", n, "silent_for_more_than", LostAfter.String())
		}
		if adopted > 0 {
			c.log.Warn("webhook events of a lost node adopted for delivery", "events", adopted)
		}
		c.announceInterrupted(ctx, lost)
	}
}

// leave removes this node's heartbeat on a clean stop.
func (c *control) leave() {
	if c.st.Backend() != "postgres" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.st.LeaveCluster(ctx, c.node); err != nil {
		c.log.Warn("cluster: heartbeat row not removed", "err", err)
	}
}

// announceInterrupted sends call.ended for each call a sweep settled: the
// dead node never could, and a receiver that saw the call start must
// learn that it ended (its record, state interrupted, reason node lost).
// The event names the node that carried the call; this node delivers it,
// after the dead node's adopted events (outbox order).
func (c *control) announceInterrupted(ctx context.Context, settled []store.SettledCall) {
	for _, s := range settled {
		rctx, cancel := context.WithTimeout(ctx, HeartbeatEvery)
		rec, err := c.st.Call(rctx, s.CallID)
		cancel()
		if err != nil {
			if ctx.Err() == nil {
				c.log.Warn("cluster: call.ended of an interrupted call not sent: its record unreadable", "call_id", s.CallID, "err", err)
			}
			continue
		}
		c.hooks.Publish(webhook.Event{ID: webhook.NewID(), Type: string(call.EventCallEnded), Created: time.Now().UTC(),
			Node: s.Node, CallID: s.CallID, Data: rec})
	}
}

// announceCut sends call.ended for this node's own calls that its last
// stop cut off (settled at start, before any survivor's sweep when the
// node came back within LostAfter).
func (c *control) announceCut(ctx context.Context, ids []string) {
	settled := make([]store.SettledCall, 0, len(ids))
	for _, id := range ids {
		settled = append(settled, store.SettledCall{Node: c.node, CallID: id})
	}
	c.announceInterrupted(ctx, settled)
}
