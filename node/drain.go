package node

import (
	"time"
)

// drainPoll is how often a draining server looks whether its calls ended.
const drainPoll = 100 * time.Millisecond

// Drain takes the node out of service gently, as operators of a node
// behind a proxy expect: no new calls (INVITE and OPTIONS get 503, so the
// proxy's dispatcher moves on), the calls in progress go on until they
// end, the timeout passes, or force fires (a second signal). It returns
// the calls still up; Close then sends them BYE.
func (n *Node) Drain(timeout time.Duration, force <-chan struct{}) int {
	n.sip.Drain()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	poll := time.NewTicker(drainPoll)
	defer poll.Stop()
	for {
		left := n.sip.ActiveCalls()
		if left == 0 {
			n.log.Info("drained: no calls left")
			return 0
		}
		select {
		case <-deadline.C:
			n.log.Warn("drain timeout: hanging up the calls left", "calls", left, "drain_timeout", timeout.String())
			return left
		case <-force:
			n.log.Warn("second stop signal: hanging up the calls left", "calls", left)
			return left
		case <-poll.C:
		}
	}
}
