package sip

import (
	"context"
	"strconv"
	"time"

	"github.com/emiago/sipgo/sip"
)

// armSessionTimer (re)starts the RFC 4028 timer. When the caller is the
// refresher we hang up if its refresh does not come before the interval
// runs out (less min(32 s, interval/3), section 10); when we are, we send
// an UPDATE at half the interval.
func (c *Call) armSessionTimer() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.timerStop != nil {
		c.timerStop.Stop()
	}
	if c.timer.interval == 0 || c.ended {
		return
	}
	if c.timer.refresher == "uac" {
		wait := c.timer.interval - min(32*time.Second, c.timer.interval/3)
		c.timerStop = time.AfterFunc(wait, func() {
			c.Log.Info("session timer expired: no refresh from caller")
			c.hangup(EndSessionExpired, 5*time.Second)
		})
		return
	}
	c.timerStop = time.AfterFunc(c.timer.interval/2, c.sendRefresh)
}

func (c *Call) sendRefresh() {
	ctx, cancel := context.WithTimeout(c.ctx, 32*time.Second)
	defer cancel()
	req := sip.NewRequest(sip.UPDATE, c.remoteTarget())
	req.AppendHeader(&c.contact)
	req.AppendHeader(sip.NewHeader("Session-Expires", formatSE(c.timer.interval)+";refresher=uas"))
	res, err := c.peer().Do(ctx, req)
	if c.ctx.Err() != nil {
		return
	}
	if err != nil || res.StatusCode == 408 || res.StatusCode == 481 {
		c.Log.Info("session refresh failed, hanging up", "err", err)
		c.hangup(EndRefreshFailed, 5*time.Second)
		return
	}
	c.armSessionTimer()
}

func formatSE(d time.Duration) string {
	return strconv.Itoa(int(d / time.Second))
}
