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

	"github.com/ivrd/ivrd/audio"
	"github.com/ivrd/ivrd/media"
)

// Call is one answered inbound call.
type Call struct {
	ID      string // Call-ID
	Caller  string // From user
	Dialled string // the number that selected the handler
	Trunk   string // the trunk the call came in on ("" if none)
	// Transport is the SIP transport the INVITE came over ("udp", "tcp",
	// "tls", "ws", "wss"): SDES keys are given only over an encrypted one
	// (srtp.go).
	Transport string
	// Source is where the INVITE came from (the address and port of the
	// caller's socket, or of its proxy).
	Source netip.AddrPort
	// Browser: the call came over SIP over WebSocket (ws, wss). Extension
	// is the extension it authenticated as ("" anonymous): an anonymous
	// browser caller does not dial out unless the policy says so.
	Browser   bool
	Extension string
	// Media is the call's RTP session: sip starts it and applies every
	// re-negotiation; what is played and where received audio goes is the
	// owner's (media.Session.Play, SetDigits, Listen, Bridge).
	Media *media.Session
	Log   *slog.Logger

	srv      *Server
	lst      *listener
	dlg      *sipgo.DialogServerSession // an inbound call's dialog (nil for one we placed)
	placed   *sipgo.DialogClientSession // a call we placed (place.go)
	dialogID string
	ourAddr  netip.Addr
	contact  sip.ContactHeader
	sessID   uint64
	srtp     srtpTerms  // the SRTP mode and key rules of this dialog
	lateSDES *sdesOffer // the crypto of our offer when the INVITE had none

	ctx    context.Context
	cancel context.CancelFunc

	mu          sync.Mutex
	choice      MediaChoice
	sdpVersion  uint64
	lateOffer   bool
	haveAnswer  bool // late offer: the ACK brought the answer
	started     bool
	served      bool           // handed to the Handler
	infoDigit   func(key byte) // SIP INFO digits go here (the owner's collector)
	infoEarly   []byte         // INFO digits that came before the owner listened
	bridged     *leg           // the far end while bridged: hold/unhold is carried across
	timer       sessionTimer
	timerStop   *time.Timer
	refer       chan int  // final/provisional sipfrag codes of an active REFER
	reinviteAck ackWaiter // the caller's ACK for our 200 to its re-INVITE
	ended       bool
	endCause    EndCause
}

// Server is the server the call came in on.
func (c *Call) Server() *Server { return c.srv }

// Context ends when the call does.
func (c *Call) Context() context.Context { return c.ctx }

// EndCause says why the call's dialog ended (EndNotYet while it goes on).
func (c *Call) EndCause() EndCause {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.endCause
}

// Negotiated is the media the offer/answer settled on: the peer's RTP
// address, codec, telephone-event payload type (0: none) and direction.
func (c *Call) Negotiated() MediaChoice {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.choice
}

// OnInfoDigit sends the keys of the caller's SIP INFO requests to f, in
// order, each before its 200 goes out; keys that came before are passed
// on first.
func (c *Call) OnInfoDigit(f func(key byte)) {
	c.mu.Lock()
	early := c.infoEarly
	c.infoDigit, c.infoEarly = f, nil
	c.mu.Unlock()
	for _, k := range early {
		f(k)
	}
}

// infoKey delivers one INFO key, or keeps it until the owner listens.
func (c *Call) infoKey(key byte) {
	c.mu.Lock()
	f := c.infoDigit
	if f == nil && len(c.infoEarly) < maxEarlyInfo {
		c.infoEarly = append(c.infoEarly, key)
	}
	c.mu.Unlock()
	if f != nil {
		f(key)
	}
}

// maxEarlyInfo bounds the INFO keys kept before the owner listens.
const maxEarlyInfo = 32

// ourSDP is the SDP we send: an answer with the chosen codec, or, for a
// late offer, an offer with all our codecs.
func (c *Call) ourSDP() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	d := SessionDescription{SessionID: c.sessID, Version: c.sdpVersion, Addr: c.ourAddr,
		Port: int(c.Media.LocalAddr().Port()), Direction: c.choice.Direction,
		Lines: c.choice.Lines} // sdp.go: every offered m= line answered
	if c.lateOffer && !c.haveAnswer {
		d.Direction = SendRecv
		return c.lateSDES.describe(d.WithMedia(c.codecs(), 101)).Marshal()
	}
	return d.WithChoice(c.choice).WithSRTP(c.choice).Marshal()
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
	res := sip.NewResponseFromRequest(c.dlg.InviteRequest, 200, "OK", c.ourSDP())
	for _, h := range c.dialogHeaders(true) {
		res.AppendHeader(h)
	}
	c.srv.sent("INVITE", 200)
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
	c.mu.Unlock()
	p := ch.params(ch.Direction.weSend())
	// The caller's media is accepted from its SIP source's IP too: behind
	// NAT its SDP address is a private one.
	src, _ := netip.ParseAddrPort(c.signalSource())
	p.SignalIP = src.Addr()
	c.Media.Start(p)
}

func (c *Call) setBridged(l *leg) {
	c.mu.Lock()
	c.bridged = l
	c.mu.Unlock()
}

func (c *Call) bridgedLeg() *leg {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bridged
}

// params is what the media session needs of the choice; send says whether
// we send audio (it depends on whose description gave the direction).
func (mc MediaChoice) params(send bool) media.Params {
	return media.Params{Remote: mc.Remote, RTCP: mc.RTCP, Codec: mc.Codec, PT: mc.payloadType(), EventPT: mc.EventPT, EventClock: mc.EventClock, Send: send, SRTP: mc.SRTP}
}

// Hangup ends the call from our side with a BYE (the owner's decision:
// EndHungUp).
func (c *Call) Hangup() { c.hangup(EndHungUp, 5*time.Second) }

// hangup sends BYE and waits up to wait for its answer (a peer that has
// vanished never answers) before releasing the call.
func (c *Call) hangup(cause EndCause, wait time.Duration) {
	c.mu.Lock()
	if c.ended {
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := c.peer().Bye(ctx); err != nil {
		c.Log.Warn("bye failed", "err", err)
	}
	c.end(cause)
}

// end releases everything the call holds. Safe to call more than once:
// the first cause is the one kept.
func (c *Call) end(cause EndCause) {
	c.mu.Lock()
	if c.ended {
		c.mu.Unlock()
		return
	}
	c.ended = true
	c.endCause = cause
	served := c.served
	if c.timerStop != nil {
		c.timerStop.Stop()
	}
	c.mu.Unlock()
	c.cancel()
	if c.Media != nil {
		c.Media.Close()
	}
	if p := c.peer(); p != nil {
		_ = p.Close() // drops sipgo's state of the dialog; nothing to undo
	}
	c.srv.forget(c.dialogID)
	if !served {
		// Calls that never reached the handler end here; the handler
		// writes the last line of the ones it ran.
		c.Log.Info("call ended", "reason", cause.String())
	}
}

func codecName(c audio.Codec) string {
	switch c {
	case audio.PCMU, audio.PCMA, audio.G722, audio.Opus:
		return c.String()
	}
	return strconv.Itoa(int(c))
}

// codecsFor is the codec preference for a call admitted as trunk.
func (s *Server) codecsFor(trunk string) []audio.Codec {
	if trunk != "" && s.cfg.TrunkCodecs != nil {
		if cs := s.cfg.TrunkCodecs(trunk); len(cs) > 0 {
			return cs
		}
	}
	return s.cfg.Codecs
}

// codecs is the call's codec preference: its trunk's, else the server's.
func (c *Call) codecs() []audio.Codec { return c.srv.codecsFor(c.Trunk) }
