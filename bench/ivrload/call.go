package ivrload

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// What a call expects after its key press.
const (
	ExpectNone   = "none"   // nothing: the call is held, then we hang up
	ExpectRefer  = "refer"  // REFER (answered 202, NOTIFY 200 sent), then the target's BYE
	ExpectBye    = "bye"    // the target hangs up
	ExpectBridge = "bridge" // a re-INVITE from the target, or audio from a new source (SSRC)
)

// callOutcome is one call's record, filled by its goroutine.
type callOutcome struct {
	fail       string // "" when the call did what was expected
	setup      time.Duration
	answeredAt time.Time
	endedAt    time.Time // media stopped
	digitSent  int64     // Unix ns, 0 when no key was pressed
	actionAt   int64     // Unix ns the expected reaction arrived, 0 if none
	m          *mediaCall
}

// sipCall is one call's SIP side; its goroutine runs it from INVITE to
// the last BYE and is the only writer of out.
type sipCall struct {
	r      *runner
	ep     *endpoint // the user agent (over TLS: the connection) the call goes over
	idx    int
	d      *sipgo.DialogClientSession
	sdp    []byte
	events chan *sip.Request // in-dialog requests the target sent us (already answered)
	out    callOutcome
}

func (c *sipCall) failf(format string, a ...any) {
	if c.out.fail == "" {
		c.out.fail = fmt.Sprintf(format, a...)
	}
}

// statusOf names a failed request by its final status ("INVITE 503") or
// by what went wrong ("INVITE timeout").
func statusOf(method string, err error) string {
	var p *sipgo.ErrDialogResponse
	var v sipgo.ErrDialogResponse
	switch {
	case errors.As(err, &p):
		return fmt.Sprintf("%s %d", method, p.Res.StatusCode)
	case errors.As(err, &v):
		return fmt.Sprintf("%s %d", method, v.Res.StatusCode)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, sip.ErrTransactionTimeout):
		return method + " timeout"
	}
	return method + " error"
}

// run places the call and plays the caller's part to the end.
func (c *sipCall) run(ctx context.Context) {
	r := c.r
	cfg := &r.cfg
	sock, err := r.ports.open(cfg.LocalIP)
	if err != nil {
		c.failf("no RTP socket")
		r.logf("call %d: %v", c.idx, err)
		return
	}
	sockOwned := true
	defer func() {
		if sockOwned {
			sock.close()
		}
	}()
	var keys *callKeys
	if cfg.SRTP != "" {
		if keys, err = newCallKeys(cfg.SRTP); err != nil {
			c.failf("SRTP key")
			return
		}
	}
	c.sdp = offer(cfg.LocalIP, sock.port, cfg.eventPT(), uint64(c.idx)+1, cfg.Codec, keys)
	setupCtx, cancel := context.WithTimeout(ctx, cfg.SetupTimeout)
	defer cancel()
	start := time.Now()
	d, err := c.ep.dialogs.Invite(setupCtx, r.targetURI, c.sdp, sip.NewHeader("Content-Type", "application/sdp"))
	if d != nil {
		c.ep.sentOn(d.InviteRequest)
	}
	if err != nil {
		c.failf("%s", statusOf("INVITE", err))
		return
	}
	c.d = d
	callID := d.InviteRequest.CallID().Value()
	r.calls.Store(callID, c)
	defer r.calls.Delete(callID)
	if err := d.WaitAnswer(setupCtx, sipgo.AnswerOptions{Username: cfg.AuthUser, Password: cfg.AuthPassword}); err != nil {
		c.failf("%s", statusOf("INVITE", err))
		_ = d.Close()
		return
	}
	c.out.setup = time.Since(start)
	c.out.answeredAt = time.Now()
	if err := d.Ack(ctx); err != nil {
		c.failf("ACK error")
		return
	}
	ans, err := parseAnswer(d.InviteResponse.Body())
	if err != nil {
		c.failf("bad SDP answer")
		r.logf("call %d: %v", c.idx, err)
		c.hangUp(ctx)
		return
	}
	if err := sock.setRemote(ans.media); err != nil {
		c.failf("bad SDP answer")
		c.hangUp(ctx)
		return
	}
	if keys != nil {
		if err := keys.accept(ans.crypto); err != nil {
			c.failf("no SRTP in answer")
			r.logf("call %d: %v", c.idx, err)
			c.hangUp(ctx)
			return
		}
	}

	// A G.722 load must be a G.722 load; a PCMU call goes on whatever the
	// answer says, as it always has (a lenient far end may answer PCMA).
	if cfg.Codec == CodecG722 && !ans.g722 || cfg.Codec == CodecOpus && ans.opusPT == 0 {
		c.failf("codec not accepted")
		r.logf("call %d: the answer does not take %s", c.idx, cfg.Codec)
		c.hangUp(ctx)
		return
	}
	m := &mediaCall{sock: sock, ssrc: 0x1e0a0000 + uint32(c.idx), audio: r.audio, audioPT: payloadType(cfg.Codec),
		frameLen: codecFrameBytes(cfg.Codec), frameTicks: frameTicks(cfg.Codec), removed: make(chan struct{}), keys: keys}
	if cfg.Codec == CodecOpus {
		m.audioPT = ans.opusPT // the number the answer gave it
	}
	var digitAt time.Time
	if cfg.Digit != 0 {
		digitAt = c.out.answeredAt.Add(cfg.DigitAfter)
		if cfg.DigitAt > 0 {
			digitAt = r.t0.Add(cfg.DigitAt + time.Duration(int64(cfg.DigitSpread)*int64(c.idx)/int64(cfg.Calls)))
		}
		m.presses, m.pressEvery = cfg.Presses, int64(cfg.PressEvery)
		m.method, m.tone = cfg.DigitMethod, r.tone
		m.eventCode, _ = eventCode(cfg.Digit)
		m.eventPT = ans.eventPT
		if cfg.DigitMethod == methodRFC4733 && ans.eventPT == 0 {
			c.failf("no telephone-event in answer")
		} else if cfg.DigitMethod != methodInfo {
			m.digitAt = digitAt.UnixNano()
		}
	}
	w := r.workers[c.idx%len(r.workers)]
	sockOwned = false
	w.add(m)
	c.out.m = m
	c.converse(ctx, digitAt)
	w.remove(m)
	<-m.removed
	c.out.endedAt = time.Now()
	if ds := m.digitSent.Load(); ds != 0 {
		c.out.digitSent = ds
	}
	if cfg.Expect == ExpectBridge && c.out.actionAt == 0 && m.rx.newSSRCAt != 0 && c.out.digitSent != 0 && m.rx.newSSRCAt > c.out.digitSent {
		c.out.actionAt = m.rx.newSSRCAt
	}
	if m.srtpFailed > 0 {
		c.failf("SRTP packets not authentic")
		r.logf("call %d: %d SRTP packets failed authentication or were replayed", c.idx, m.srtpFailed)
	}
	if cfg.Digit != 0 && cfg.Expect != ExpectNone && c.out.actionAt == 0 {
		c.failf("no %s", strings.ToUpper(cfg.Expect))
	}
	if d.LoadState() != sip.DialogStateEnded {
		c.hangUp(ctx)
	}
}

// converse waits out the hold, presses the key by SIP INFO when that is
// the method, and answers what the target does.
func (c *sipCall) converse(ctx context.Context, digitAt time.Time) {
	cfg := &c.r.cfg
	hold := time.NewTimer(time.Until(c.out.answeredAt.Add(cfg.Hold)))
	defer hold.Stop()
	var info <-chan time.Time
	if cfg.Digit != 0 && cfg.DigitMethod == methodInfo {
		t := time.NewTimer(time.Until(digitAt))
		defer t.Stop()
		info = t.C
	}
	referred := false
	for {
		select {
		case <-ctx.Done():
			c.failf("cut short")
			return
		case <-hold.C:
			if referred {
				c.failf("no BYE after transfer")
			}
			return
		case <-info:
			c.sendInfo(ctx)
		case req := <-c.events:
			now := time.Now().UnixNano()
			switch req.Method {
			case sip.REFER:
				if cfg.Expect != ExpectRefer {
					c.failf("unexpected REFER")
					continue
				}
				if c.out.actionAt == 0 && c.digitSentNow() != 0 {
					c.out.actionAt = now
				}
				referred = true
				c.notify(ctx)
			case sip.BYE:
				switch {
				case cfg.Expect == ExpectBye && c.digitSentNow() != 0:
					c.out.actionAt = now
				case referred:
				default:
					c.failf("unexpected BYE")
				}
				return
			case sip.INVITE:
				if cfg.Expect == ExpectBridge && c.out.actionAt == 0 && c.digitSentNow() != 0 {
					c.out.actionAt = now
				}
			}
		}
	}
}

// digitSentNow is when the key went out so far (0: not yet).
func (c *sipCall) digitSentNow() int64 {
	if c.out.digitSent != 0 {
		return c.out.digitSent
	}
	if c.out.m != nil {
		return c.out.m.digitSent.Load()
	}
	return 0
}

// notify tells the target the transfer worked, as a transferee whose new
// call was answered would (RFC 3515: NOTIFY with a sipfrag of the 200).
func (c *sipCall) notify(ctx context.Context) {
	req := sip.NewRequest(sip.NOTIFY, c.remoteTarget())
	req.AppendHeader(sip.NewHeader("Event", "refer"))
	req.AppendHeader(sip.NewHeader("Subscription-State", "terminated;reason=noresource"))
	req.AppendHeader(sip.NewHeader("Content-Type", "message/sipfrag;version=2.0"))
	req.SetBody([]byte("SIP/2.0 200 OK\r\n"))
	c.do(ctx, req, "NOTIFY")
}

// sendInfo presses the key by SIP INFO (application/dtmf-relay).
func (c *sipCall) sendInfo(ctx context.Context) {
	req := sip.NewRequest(sip.INFO, c.remoteTarget())
	req.AppendHeader(sip.NewHeader("Content-Type", "application/dtmf-relay"))
	req.SetBody(fmt.Appendf(nil, "Signal=%c\r\nDuration=100\r\n", c.r.cfg.Digit))
	c.out.digitSent = time.Now().UnixNano()
	c.do(ctx, req, "INFO")
}

func (c *sipCall) do(ctx context.Context, req *sip.Request, method string) {
	ctx, cancel := context.WithTimeout(ctx, c.r.cfg.SetupTimeout)
	defer cancel()
	res, err := c.d.Do(ctx, req)
	switch {
	case err != nil:
		c.failf("%s", statusOf(method, err))
	case res.StatusCode >= 300:
		c.failf("%s %d", method, res.StatusCode)
	}
}

// remoteTarget is the target's Contact from its 200 (RFC 3261 12.1.2),
// the Request-URI of our in-dialog requests.
func (c *sipCall) remoteTarget() sip.Uri {
	if h := c.d.InviteResponse.Contact(); h != nil {
		return h.Address
	}
	return c.d.InviteRequest.Recipient
}

// hangUp sends our BYE; also when the run was interrupted, so that an
// interrupted run does not leave calls up on the target.
func (c *sipCall) hangUp(ctx context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.r.cfg.SetupTimeout)
	defer cancel()
	if err := c.d.Bye(ctx); err != nil {
		c.failf("%s", statusOf("BYE", err))
	}
}
