package main

import (
	"time"
)

// drainPoll is how often a draining server looks whether its calls ended.
const drainPoll = 100 * time.Millisecond

// drain takes the node out of service gently, as operators of a node
// behind a proxy expect: no new calls (INVITE and OPTIONS get 503, so the
// proxy's dispatcher moves on), the calls in progress go on until they
// end, the timeout passes, or force fires (a second signal). It returns
// the calls still up; Close then sends them BYE.
func (s *service) drain(timeout time.Duration, force <-chan struct{}) int {
	s.sip.Drain()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	poll := time.NewTicker(drainPoll)
	defer poll.Stop()
	for {
		n := s.sip.ActiveCalls()
		if n == 0 {
			s.log.Info("drained: no calls left")
			return 0
		}
		select {
		case <-deadline.C:
			s.log.Warn("drain timeout: hanging up the calls left", "calls", n, "drain_timeout", timeout.String())
			return n
		case <-force:
			s.log.Warn("second stop signal: hanging up the calls left", "calls", n)
			return n
		case <-poll.C:
		}
	}
}
