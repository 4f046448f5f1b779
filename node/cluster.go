package node

import (
	"context"
	"time"
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
		lost, err := c.st.SweepLost(tctx, c.node, LostAfter)
		cancel()
		if err != nil {
			if ctx.Err() == nil {
				c.log.Warn("cluster sweep failed", "err", err)
			}
			continue
		}
		for node, n := range lost {
			c.log.Warn("node lost: its unfinished calls marked interrupted", "node", node, "calls", n, "silent_for_more_than", LostAfter.String())
		}
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
