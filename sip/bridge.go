package sip

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/ivrd/ivrd/audio"
	"github.com/ivrd/ivrd/media"
)

// Outbound describes a call leg ivrd places for a bridge.
type Outbound struct {
	URI         string // Request-URI, with or without "sip:"
	Username    string // digest credentials for a 401/407 challenge
	Password    string
	FromUser    string        // caller id presented; "" keeps the caller's
	Headers     []sip.Header  // extra headers (P-Asserted-Identity, ...)
	RingTimeout time.Duration // how long the far end may ring; 0 = 30 s
	// Fork, when set, rings all these URIs at once instead of URI (an
	// extension's registered contacts): the first to answer wins, the
	// others are cancelled.
	Fork []string
	// Ringback, when set, is played to the caller, again and again, while
	// the far end rings (180 without early media; a fork from the start).
	// What it sounds like is the call owner's choice.
	Ringback media.Clip
	// Announce, when set, is played to the far end that answers before
	// the caller is connected (a ring group's announcement).
	Announce media.Clip
	// SRTP is whether the leg's media is encrypted (the trunk's mode):
	// optional offers RTP/AVP with keys, required RTP/SAVP. Keys are
	// offered only over sips:/transport=tls, or with
	// SRTPPolicy.InsecureSignalling.
	SRTP SRTPMode
	// Codecs is the codec preference offered to the far end (a trunk's
	// codecs list); nil: the server's.
	Codecs []audio.Codec
}

// BridgeError is an outbound leg that did not answer.
type BridgeError struct {
	Code   int // final SIP status; 408 for no answer within the ring timeout
	Reason string
}

func (e *BridgeError) Error() string { return fmt.Sprintf("bridge: %d %s", e.Code, e.Reason) }

// leg is the outbound side of a bridge.
type leg struct {
	call        *Call
	dlg         *sipgo.DialogClientSession
	media       *media.Session
	bridge      *media.Bridge // routes this leg's media to and from the caller's
	done        chan struct{} // closed when the far end hangs up
	endOnce     sync.Once
	reinviteAck ackWaiter     // the far end's ACK for our 200 to its re-INVITE
	codecs      []audio.Codec // offered to and accepted from the far end
	srtp        srtpTerms     // this leg's SRTP mode and key rules
	sdes        *sdesOffer    // the crypto of our INVITE's offer

	mu     sync.Mutex
	choice MediaChoice // what the far end's last answer settled on
}

func (l *leg) end() { l.endOnce.Do(func() { close(l.done) }) }

func (l *leg) onAck(*sip.Request, sip.ServerTransaction) { l.reinviteAck.fire() }

func (l *leg) onBye(req *sip.Request, tx sip.ServerTransaction) {
	if err := l.dlg.ReadBye(req, tx); err != nil {
		l.call.srv.respond(tx, req, 200, "OK", nil)
	} else {
		l.call.srv.sent("BYE", 200) // sipgo answered it
	}
	l.end()
}

// Bridged is a caller joined to a far end. Its owner waits for it to end.
type Bridged struct{ l *leg }

// Target is the URI the far end that answered was called at: which of a
// fork's URIs won (a queue marks that agent busy).
func (b *Bridged) Target() string {
	if b.l.dlg == nil || b.l.dlg.InviteRequest == nil {
		return ""
	}
	return b.l.dlg.InviteRequest.Recipient.String()
}

// BridgeEnd says which side ended a bridged call.
type BridgeEnd int

// The sides.
const (
	CallerEnded BridgeEnd = iota + 1 // the caller hung up (or ivrd hung up the caller)
	FarEndEnded                      // the far end hung up
)

func (e BridgeEnd) String() string {
	if e == FarEndEnded {
		return "far end"
	}
	return "caller"
}

// Wait blocks until either side hangs up, tells the other with a BYE,
// releases the far end's leg and says which side ended the call.
func (b *Bridged) Wait() BridgeEnd {
	l := b.l
	c := l.call
	end := CallerEnded
	select {
	case <-c.ctx.Done():
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := l.dlg.Bye(ctx); err != nil {
			c.Log.Warn("bridge: bye to far end failed", "err", err)
		}
		cancel()
	case <-l.done:
		end = FarEndEnded
		c.hangup(EndFarEnd, 5*time.Second)
	}
	c.setBridged(nil)
	c.srv.forget(l.dlg.ID)
	l.bridge.Close()
	l.media.Close()
	l.end()
	c.Log.Info("bridge ended", "by", end.String())
	return end
}

// Bridge places an outbound call and connects the caller to it: ringback
// (or the far end's early media) while it rings, then audio and RFC 4733
// events relayed both ways, each leg with its own stream and codec. It
// returns once the far end answered; the owner then waits on the Bridged
// for either side to hang up. On failure the caller is still connected to
// ivrd and nothing is torn down but the attempt.
func (c *Call) Bridge(ctx context.Context, o Outbound) (*Bridged, error) {
	if !c.mayDialOut() {
		return nil, ErrBrowserDialOut // browser.go
	}
	if len(o.Fork) > 0 {
		return c.bridgeFork(ctx, o)
	}
	l, err := c.dialLeg(ctx, o, true)
	if err != nil {
		return nil, err
	}
	l.announce(ctx, o.Announce)
	return c.connect(l), nil
}

// dialLeg places one outbound call and returns it answered and ACKed.
// With feedback the caller hears ringback or the far end's early media
// meanwhile (and has them stopped again on failure).
func (c *Call) dialLeg(ctx context.Context, o Outbound, feedback bool) (*leg, error) {
	uriText := NormalizeURI(o.URI)
	var uri sip.Uri
	if err := sip.ParseUri(uriText, &uri); err != nil {
		return nil, fmt.Errorf("bridge: bad URI %q: %w", o.URI, err)
	}
	l := &leg{call: c, done: make(chan struct{}), codecs: o.Codecs}
	if len(l.codecs) == 0 {
		l.codecs = c.srv.cfg.Codecs
	}
	l.srtp = srtpTerms{mode: o.SRTP, keysAllowed: SecureTransport(uriTransport(&uri)) || c.srv.cfg.SRTP.InsecureSignalling}
	sdes, err := newSDESOffer(l.srtp)
	if err != nil {
		return nil, fmt.Errorf("bridge: %s: %w", uri.String(), err)
	}
	l.sdes = sdes
	ms, err := c.srv.engine.NewSession()
	if err != nil {
		return nil, fmt.Errorf("bridge: %w", err)
	}
	l.media = ms
	l.bridge = media.NewBridge(c.Media, ms)
	fail := func(e error) (*leg, error) {
		if feedback {
			c.Media.StopPlayback()
		}
		l.bridge.Close()
		ms.Close()
		return nil, e
	}
	offer := sdes.describe(SessionDescription{SessionID: c.sessID + 1, Addr: c.ourAddr, Port: int(ms.LocalAddr().Port()),
		Direction: SendRecv}.WithMedia(l.codecs, 101)).Marshal()
	fromUser := o.FromUser
	if fromUser == "" {
		fromUser = c.Caller
	}
	if fromUser == "" {
		fromUser = "ivrd"
	}
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: fromUser, Host: c.ourAddr.String()}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(16))
	hdrs := append([]sip.Header{from, sip.NewHeader("Content-Type", "application/sdp"),
		sip.NewHeader("Allow", allowHeader), sip.NewHeader("Supported", "replaces")}, o.Headers...)

	ring := o.RingTimeout
	if ring <= 0 {
		ring = 30 * time.Second
	}
	rctx, cancel := context.WithTimeout(ctx, ring)
	defer cancel()
	// The caller hanging up while the far end rings cancels the attempt.
	stop := context.AfterFunc(c.ctx, cancel)
	defer stop()

	c.Log.Info("bridge dialing", "uri", uri.String())
	dlg, err := c.srv.invite(rctx, c.lst, uri, offer, hdrs)
	if err != nil {
		return fail(fmt.Errorf("bridge: invite %s: %w", uri.String(), err))
	}
	var early bool
	var loop func()
	loop = func() { c.Media.Play(o.Ringback, loop) }
	err = dlg.WaitAnswer(rctx, sipgo.AnswerOptions{
		Username: o.Username,
		Password: o.Password,
		OnResponse: func(res *sip.Response) error {
			if !res.IsProvisional() || res.StatusCode == 100 {
				return nil
			}
			if !feedback {
				return nil
			}
			if len(res.Body()) > 0 && !early {
				if l.startMedia(res.Body(), l.sdes) == nil {
					early = true
					l.bridge.EarlyMedia()
					c.Log.Info("bridge early media", "code", res.StatusCode)
				}
				return nil
			}
			if !early && res.StatusCode == 180 && !c.Media.Playing() {
				if o.Ringback != nil {
					loop()
				}
				c.Log.Info("bridge ringing")
			}
			return nil
		},
	})
	if err != nil {
		var de *sipgo.ErrDialogResponse
		switch {
		case errors.As(err, &de):
			c.Log.Info("bridge failed", "code", de.Res.StatusCode, "reason", de.Res.Reason)
			return fail(&BridgeError{Code: de.Res.StatusCode, Reason: de.Res.Reason})
		case c.ctx.Err() != nil:
			return fail(errors.New("bridge: caller hung up"))
		case rctx.Err() != nil:
			c.Log.Info("bridge no answer", "ring_timeout", ring.String())
			return fail(&BridgeError{Code: 408, Reason: "no answer"})
		}
		return fail(fmt.Errorf("bridge: %w", err))
	}
	l.dlg = dlg
	if err := l.startMedia(dlg.InviteResponse.Body(), l.sdes); err != nil && !early {
		// Not usable: acknowledge and end it at once. Either failing
		// leaves the far end to time the call out; the error below says why.
		_ = dlg.Ack(context.Background())
		_ = dlg.Bye(context.Background())
		return fail(fmt.Errorf("bridge: answer: %w", err))
	}
	if err := dlg.Ack(ctx); err != nil {
		return fail(fmt.Errorf("bridge: ack: %w", err))
	}
	c.Log.Info("bridge answered", "uri", uri.String())
	return l, nil
}

// connect joins the caller to an answered leg.
func (c *Call) connect(l *leg) *Bridged {
	l.bridge.Connect()
	c.setBridged(l)
	c.srv.remember(l.dlg.ID, l)
	c.Log.Info("bridged")
	return &Bridged{l: l}
}

// drop hangs up a leg that answered but is not wanted.
func (l *leg) drop() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := l.dlg.Bye(ctx); err != nil {
		l.call.Log.Warn("bridge: bye to a fork that answered late failed", "err", err)
	}
	l.bridge.Close()
	l.media.Close()
}

// startMedia starts the outbound leg's RTP from the far end's SDP, the
// answer to our offer with crypto sdes.
func (l *leg) startMedia(body []byte, sdes *sdesOffer) error {
	sd, err := ParseSDP(body)
	if err != nil {
		return err
	}
	mc, err := Negotiate(sd, l.codecs)
	if err != nil {
		return err
	}
	if err := sdes.accept(sd, &mc); err != nil {
		return err
	}
	l.mu.Lock()
	l.choice = mc
	l.mu.Unlock()
	p := mc.params(mc.Direction.weSend())
	l.media.Start(p)
	l.media.Update(p)
	return nil
}

// uriTransport is the transport a URI asks for ("tls" for sips:).
func uriTransport(u *sip.Uri) string {
	if u.IsEncrypted() {
		return "tls"
	}
	if u.UriParams != nil {
		if t, ok := u.UriParams.Get("transport"); ok {
			return t
		}
	}
	return "udp"
}

// hostOf is the host:port part of a SIP URI, for building trunk URIs.
func hostOf(uri string) string {
	_, u, _ := strings.Cut(NormalizeURI(uri), ":") // past the scheme NormalizeURI makes sure of, in any case
	if at := strings.LastIndex(u, "@"); at >= 0 {
		u = u[at+1:]
	}
	return u
}

// TrunkURI is the Request-URI for number through a trunk whose URI is
// trunkURI (sip:gw.example.net:5060;transport=udp). It keeps the trunk's
// scheme and parameters: a sips: trunk, or one with ;transport=tls, is
// called over TLS.
func TrunkURI(trunkURI, number string) string {
	scheme := "sip:"
	if strings.HasPrefix(strings.ToLower(NormalizeURI(trunkURI)), "sips:") {
		scheme = "sips:"
	}
	return scheme + number + "@" + hostOf(trunkURI)
}

// bridgeFork rings every contact at once; the first answer is bridged,
// attempts still ringing are cancelled, one answering a moment later is
// hung up.
func (c *Call) bridgeFork(ctx context.Context, o Outbound) (*Bridged, error) {
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		l   *leg
		err error
	}
	results := make(chan result, len(o.Fork))
	if o.Ringback != nil {
		var loop func()
		loop = func() { c.Media.Play(o.Ringback, loop) }
		loop()
		defer c.Media.StopPlayback()
	}
	for _, uri := range o.Fork {
		one := o
		one.Fork, one.URI = nil, uri
		go func() {
			l, err := c.dialLeg(fctx, one, false)
			results <- result{l, err}
		}()
	}
	var winner *leg
	var firstErr error
	for range o.Fork {
		r := <-results
		switch {
		case r.err == nil && winner == nil:
			winner = r.l
			cancel() // the others get CANCEL
		case r.err == nil:
			c.Log.Info("fork answered after another, hanging it up")
			r.l.drop()
		case firstErr == nil && !errors.Is(r.err, context.Canceled):
			firstErr = r.err
		}
	}
	if winner == nil {
		if firstErr == nil {
			firstErr = &BridgeError{Code: 480, Reason: "no contact answered"}
		}
		return nil, firstErr
	}
	winner.announce(ctx, o.Announce)
	return c.connect(winner), nil
}

// reoffer sends a re-INVITE on the outbound leg with the caller's new
// direction (hold, unhold) and applies the far end's answer.
func (l *leg) reoffer(dir Direction) {
	c := l.call
	l.mu.Lock()
	sdes := reofferOf(l.choice)
	l.mu.Unlock()
	offer := sdes.describe(SessionDescription{SessionID: c.sessID + 1, Version: uint64(time.Now().UnixNano()), Addr: c.ourAddr,
		Port: int(l.media.LocalAddr().Port()), Direction: dir}.WithMedia(l.codecs, 101)).Marshal()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req := sip.NewRequest(sip.INVITE, l.dlg.InviteResponse.Contact().Address)
	req.SetBody(offer)
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	res, err := l.dlg.Do(ctx, req)
	if err != nil || res.StatusCode != 200 {
		c.Log.Warn("bridge: re-INVITE to far end failed", "err", err)
		return
	}
	ack := sip.NewRequest(sip.ACK, l.dlg.InviteResponse.Contact().Address)
	ack.AppendHeader(sip.NewHeader("CSeq", fmt.Sprintf("%d ACK", req.CSeq().SeqNo)))
	if err := l.dlg.WriteRequest(ack); err != nil {
		c.Log.Warn("bridge: ACK to far end's re-INVITE answer failed", "err", err)
	}
	if err := l.startMedia(res.Body(), sdes); err != nil {
		c.Log.Warn("bridge: far end's re-INVITE answer", "err", err)
	}
	c.Log.Info("bridge: far end re-offered", "direction", string(dir))
}

// onReinvite answers the far end's re-INVITE (hold, unhold) and offers the
// same change to the caller.
func (l *leg) onReinvite(req *sip.Request, tx sip.ServerTransaction) {
	c := l.call
	offer, err := ParseSDP(req.Body())
	if err != nil {
		c.srv.respond(tx, req, 400, "Bad SDP", nil)
		return
	}
	mc, err := Negotiate(offer, l.codecs)
	if err != nil {
		c.srv.respond(tx, req, 488, "Not Acceptable Here", nil)
		return
	}
	l.mu.Lock()
	prev := l.choice.SRTP
	l.mu.Unlock()
	if err := answerSRTP(offer, l.srtp, prev, &mc); err != nil {
		c.srv.respond(tx, req, 488, "Not Acceptable Here", nil, sip.NewHeader("Warning", fmt.Sprintf("399 ivrd %q", err.Error())))
		return
	}
	l.mu.Lock()
	l.choice = mc
	l.mu.Unlock()
	l.media.Update(mc.params(mc.Direction.weSend()))
	answer := SessionDescription{SessionID: c.sessID + 1, Version: uint64(time.Now().UnixNano()), Addr: c.ourAddr,
		Port: int(l.media.LocalAddr().Port()), Direction: mc.Direction}.WithChoice(mc).WithSRTP(mc).Marshal()
	res := sip.NewResponseFromRequest(req, 200, "OK", answer)
	res.AppendHeader(&c.contact)
	res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	go c.reoffer(offer.Direction)
	c.srv.sent("INVITE", res.StatusCode)
	respondUntilAck(c.ctx, tx, res, &l.reinviteAck, c.Log)
}

// reoffer sends the caller a re-INVITE with a new direction (the far end
// put the bridged call on hold or took it off).
func (c *Call) reoffer(dir Direction) {
	c.mu.Lock()
	c.sdpVersion++
	sdes := reofferOf(c.choice)
	p := sdes.describe(SessionDescription{SessionID: c.sessID, Version: c.sdpVersion, Addr: c.ourAddr, Port: int(c.Media.LocalAddr().Port()),
		Direction: dir}.WithChoice(c.choice))
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(c.ctx, 10*time.Second)
	defer cancel()
	req := sip.NewRequest(sip.INVITE, c.remoteTarget())
	req.SetBody(p.Marshal())
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.AppendHeader(&c.contact)
	res, err := c.peer().Do(ctx, req)
	if err != nil || res.StatusCode != 200 {
		c.Log.Warn("re-INVITE to caller failed", "err", err)
		return
	}
	ack := sip.NewRequest(sip.ACK, c.remoteTarget())
	ack.AppendHeader(sip.NewHeader("CSeq", fmt.Sprintf("%d ACK", req.CSeq().SeqNo)))
	if err := c.peer().WriteRequest(ack); err != nil {
		c.Log.Warn("ACK to caller's re-INVITE answer failed", "err", err)
	}
	if ans, err := ParseSDP(res.Body()); err == nil {
		if mc, err := Negotiate(ans, []audio.Codec{c.choice.Codec}); err == nil {
			if err := sdes.accept(ans, &mc); err != nil {
				c.Log.Warn("caller's answer to our re-INVITE: SRTP not usable", "err", err)
				return
			}
			c.Media.Update(mc.params(ans.Direction.reverse().weSend()))
		}
	}
}
