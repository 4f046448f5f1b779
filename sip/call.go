package sip

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/pion/rtp"

	"github.com/ivrd/ivrd/dtmf"
	"github.com/ivrd/ivrd/media"
	"github.com/ivrd/ivrd/prompts"
)

// Digit is one key press heard on a call.
type Digit = dtmf.Digit

// Digits is a call's digit input: RTP and SIP INFO feed it, and it
// delivers each press once to the function it was made with.
type Digits interface {
	TelephoneEvent(h *rtp.Header, payload []byte)
	Audio(pcm []int16)
	Info(key byte)
}

// DigitsFactory makes a call's digit input once its media is negotiated.
// eventPT is the telephone-event payload type (0: none negotiated).
type DigitsFactory func(eventPT uint8, deliver func(Digit)) Digits

// Call is one answered inbound call.
type Call struct {
	ID      string // Call-ID
	Caller  string // From user
	Dialled string // the number that selected the handler
	Trunk   string // the trunk the call came in on ("" if none)
	Invite  *sip.Request
	Media   *media.Session
	Log     *slog.Logger

	srv      *Server
	lst      *listener
	dlg      *sipgo.DialogServerSession
	dialogID string
	ourAddr  netip.Addr
	contact  sip.ContactHeader
	sessID   uint64
	start    time.Time

	ctx    context.Context
	cancel context.CancelFunc

	mu         sync.Mutex
	choice     MediaChoice
	sdpVersion uint64
	lateOffer  bool
	haveAnswer bool // late offer: the ACK brought the answer
	started    bool
	digits     Digits
	// the last telephone-event timestamp seen before a bridge (touched
	// only by the media receive goroutine)
	lastEventTS uint32
	eventSeen   bool
	eventEnded  bool // its end packets have come
	tap         *leg // while bridged, the caller's media goes to the far end
	listen      func(pcm []int16)
	digitCh     chan Digit
	timer       sessionTimer
	timerStop   *time.Timer
	refer       chan int  // final/provisional sipfrag codes of an active REFER
	reinviteAck ackWaiter // the caller's ACK for our 200 to its re-INVITE
	ended       bool
	endReason   string
}

// Server is the server the call came in on.
func (c *Call) Server() *Server { return c.srv }

// Context ends when the call does.
func (c *Call) Context() context.Context { return c.ctx }

// Digits delivers the call's key presses, each once, in order.
func (c *Call) Digits() <-chan Digit { return c.digitCh }

// EndReason says why the call ended ("" while it goes on).
func (c *Call) EndReason() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.endReason
}

// ourSDP is the SDP we send: an answer with the chosen codec, or, for a
// late offer, an offer with all our codecs.
func (c *Call) ourSDP() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := SDPParams{SessionID: c.sessID, Version: c.sdpVersion, Addr: c.ourAddr,
		Port: int(c.Media.LocalAddr().Port()), EventPT: c.choice.EventPT, Direction: c.choice.Direction}
	if c.lateOffer && !c.haveAnswer {
		p.Codecs = c.srv.cfg.Codecs
		p.EventPT = 101
		p.Direction = SendRecv
	} else {
		p.Codecs = []prompts.Codec{c.choice.Codec}
	}
	return p.Marshal()
}

// dialogHeaders are the headers of our 2xx to INVITE and UPDATE: Contact,
// capabilities, the session timer in force, and Content-Type when an SDP
// body goes with them.
func (c *Call) dialogHeaders(withSDP bool) []sip.Header {
	hdrs := []sip.Header{
		&c.contact,
		sip.NewHeader("Allow", allowHeader),
		sip.NewHeader("Supported", supported),
	}
	if withSDP {
		hdrs = append(hdrs, sip.NewHeader("Content-Type", "application/sdp"))
	}
	if c.timer.interval > 0 {
		hdrs = append(hdrs,
			sip.NewHeader("Session-Expires", fmt.Sprintf("%d;refresher=%s", int(c.timer.interval/time.Second), c.timer.refresher)))
		if c.timer.refresher == "uac" {
			hdrs = append(hdrs, sip.NewHeader("Require", "timer"))
		}
	}
	return hdrs
}

// answer sends the 200 OK and waits for the ACK (sipgo retransmits the
// 2xx until it comes).
func (c *Call) answer() error {
	c.start = time.Now()
	res := sip.NewResponseFromRequest(c.dlg.InviteRequest, 200, "OK", c.ourSDP())
	for _, h := range c.dialogHeaders(true) {
		res.AppendHeader(h)
	}
	return c.dlg.WriteResponse(res)
}

func (c *Call) mediaStarted() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.haveAnswer || !c.lateOffer
}

// startMedia starts RTP with the negotiated parameters.
func (c *Call) startMedia() {
	c.mu.Lock()
	c.started = true
	ch := c.choice
	if c.srv.digits != nil {
		c.digits = c.srv.digits(ch.EventPT, c.deliverDigit)
	}
	c.mu.Unlock()
	c.Media.Start(ch.params(ch.Direction.weSend()))
}

func (c *Call) deliverDigit(d Digit) {
	c.Log.Info("digit", "key", string(d.Key), "method", d.Method.String())
	select {
	case c.digitCh <- d:
	default:
		c.Log.Warn("digit dropped: handler not reading", "key", string(d.Key))
	}
}

func (c *Call) digitInput() Digits {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.digits
}

func (c *Call) setTap(l *leg) {
	c.mu.Lock()
	c.tap = l
	c.mu.Unlock()
}

func (c *Call) inputs() (Digits, *leg) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.digits, c.tap
}

// Listen hands the caller's decoded audio to f (nil stops), besides the
// digit detector: voicemail records with it. f must copy what it keeps.
func (c *Call) Listen(f func(pcm []int16)) {
	c.mu.Lock()
	c.listen = f
	c.mu.Unlock()
}

// Audio implements media.Receiver: to the digit detector, or across a
// bridge.
func (c *Call) Audio(pt uint8, pcm []int16) {
	c.mu.Lock()
	listen := c.listen
	c.mu.Unlock()
	if listen != nil {
		listen(pcm)
	}
	d, tap := c.inputs()
	if tap != nil {
		tap.tapAudio(pcm)
		return
	}
	if d != nil {
		d.Audio(pcm)
	}
}

// TelephoneEvent implements media.Receiver: key presses go to the menu,
// or, while bridged, to the far end.
func (c *Call) TelephoneEvent(h *rtp.Header, payload []byte) {
	d, tap := c.inputs()
	if tap != nil {
		// The rest of the press that chose this destination (its end
		// packets) is ours, not a key for the far end. A sender that
		// reuses the timestamp for its next press starts it with a
		// packet that is not an end.
		if c.eventSeen && h.Timestamp == c.lastEventTS {
			end := len(payload) >= 2 && payload[1]&0x80 != 0
			if end || !c.eventEnded {
				c.eventEnded = c.eventEnded || end
				return
			}
		}
		c.eventSeen = false
		tap.tapEvent(h, payload)
		return
	}
	c.eventSeen, c.lastEventTS = true, h.Timestamp
	c.eventEnded = len(payload) >= 2 && payload[1]&0x80 != 0
	if d != nil {
		d.TelephoneEvent(h, payload)
	}
}

// params is what the media session needs of the choice; send says whether
// we send audio (it depends on whose description gave the direction).
func (mc MediaChoice) params(send bool) media.Params {
	return media.Params{Remote: mc.Remote, RTCP: mc.RTCP, Codec: mc.Codec, EventPT: mc.EventPT, Send: send}
}

// Hangup ends the call from our side with a BYE.
func (c *Call) Hangup(reason string) { c.hangup(reason, 5*time.Second) }

// hangup sends BYE and waits up to wait for its answer (a peer that has
// vanished never answers) before releasing the call.
func (c *Call) hangup(reason string, wait time.Duration) {
	c.mu.Lock()
	if c.ended {
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := c.dlg.Bye(ctx); err != nil {
		c.Log.Warn("bye failed", "err", err)
	}
	c.end(reason)
}

// end releases everything the call holds. Safe to call more than once.
func (c *Call) end(reason string) {
	c.mu.Lock()
	if c.ended {
		c.mu.Unlock()
		return
	}
	c.ended = true
	c.endReason = reason
	if c.timerStop != nil {
		c.timerStop.Stop()
	}
	c.mu.Unlock()
	c.cancel()
	if c.Media != nil {
		c.Media.Close()
	}
	if c.dlg != nil {
		c.dlg.Close()
	}
	c.srv.removeCall(c)
	dur := time.Duration(0)
	if !c.start.IsZero() {
		dur = time.Since(c.start).Round(time.Millisecond)
	}
	attrs := []any{"reason", reason, "duration", dur.String()}
	if c.Media != nil {
		st := c.Media.Stats()
		attrs = append(attrs, "rtp_sent", st.Sent, "rtp_received", st.Received, "lost", st.Lost,
			"jitter", st.Jitter.Round(100*time.Microsecond).String())
		if st.RTCPReceived > 0 {
			attrs = append(attrs, "peer_lost", st.PeerLost, "peer_jitter", st.PeerJitter.Round(100*time.Microsecond).String(),
				"rtt", st.RTT.Round(100*time.Microsecond).String())
		}
	}
	c.Log.Info("call ended", attrs...)
}

func codecName(c prompts.Codec) string {
	if c == prompts.PCMA {
		return "PCMA"
	}
	if c == prompts.PCMU {
		return "PCMU"
	}
	return strconv.Itoa(int(c))
}
