package sip

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/ivrd/ivrd/media"
)

// onInvite handles initial INVITEs (new calls) and re-INVITEs.
func (s *Server) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	if to := req.To(); to != nil && to.Params.Has("tag") {
		if d := s.dialogFor(req); d != nil {
			d.onReinvite(req, tx)
			return
		}
		s.respond(tx, req, 481, "Call/Transaction Does Not Exist", nil)
		return
	}
	s.newCall(req, tx)
}

// unsupportedRequire lists Require options we do not implement (RFC 3261
// 8.2.2.3). "timer" is ours; 100rel is not needed by an answering IVR.
func unsupportedRequire(req *sip.Request) []string {
	var bad []string
	for _, h := range req.GetHeaders("Require") {
		for _, opt := range strings.Split(h.Value(), ",") {
			opt = strings.ToLower(strings.TrimSpace(opt))
			if opt != "" && opt != "timer" {
				bad = append(bad, opt)
			}
		}
	}
	return bad
}

// sessionTimer is the RFC 4028 negotiation result for a call.
type sessionTimer struct {
	interval  time.Duration // 0: no session timer
	refresher string        // "uac" (the caller) or "uas" (us)
}

// negotiateTimer reads Session-Expires/Min-SE/Supported. It returns
// tooSmall when the interval is below our Min-SE (answer 422).
func (s *Server) negotiateTimer(req *sip.Request) (st sessionTimer, tooSmall bool, err error) {
	h := req.GetHeader("Session-Expires")
	if h == nil {
		h = req.GetHeader("x") // compact form (RFC 4028 section 4)
	}
	if h == nil {
		return st, false, nil
	}
	val, params, _ := strings.Cut(h.Value(), ";")
	secs, err := strconv.Atoi(strings.TrimSpace(val))
	if err != nil || secs <= 0 {
		return st, false, fmt.Errorf("bad Session-Expires %q", h.Value())
	}
	st.interval = time.Duration(secs) * time.Second
	if st.interval < s.cfg.MinSE {
		return st, true, nil
	}
	for _, p := range strings.Split(params, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		if strings.EqualFold(k, "refresher") {
			st.refresher = strings.ToLower(strings.TrimSpace(v))
		}
	}
	if st.refresher != "uac" && st.refresher != "uas" {
		// RFC 4028 9: the UAC supports timers -> let it refresh; if it does
		// not (no "timer" in Supported), we must.
		st.refresher = "uas"
		if headerHasToken(req, "Supported", "timer") {
			st.refresher = "uac"
		}
	}
	if st.refresher == "uac" && !headerHasToken(req, "Supported", "timer") {
		st.refresher = "uas"
	}
	return st, false, nil
}

func headerHasToken(req *sip.Request, name, token string) bool {
	for _, h := range req.GetHeaders(name) {
		for _, t := range strings.Split(h.Value(), ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// refuse answers an INVITE that gets no call, through the one mapping
// from reason to status.
func (s *Server) refuse(tx sip.ServerTransaction, req *sip.Request, log *slog.Logger, err error) {
	code, reason, hdrs := rejection(err)
	lvl := slog.LevelInfo
	if code >= 500 || code == 403 {
		lvl = slog.LevelWarn
	}
	log.Log(context.Background(), lvl, "call rejected", "code", code, "err", err.Error(), "source", req.Source())
	s.respond(tx, req, code, reason, nil, hdrs...)
}

// screen decides whether an INVITE may become a call, before anything is
// allocated for it: the source, the extensions it requires, its session
// timer, the number dialled and its SDP offer (nil: a late offer).
func (s *Server) screen(req *sip.Request) (trunk, dialled string, st sessionTimer, offer *SessionDescription, choice MediaChoice, err error) {
	if s.draining.Load() {
		return "", "", st, nil, choice, ErrDraining
	}
	if s.engine != nil && s.engine.Overloaded() {
		return "", "", st, nil, choice, ErrOverloaded
	}
	if err := s.refusing(); err != nil {
		return "", "", st, nil, choice, err
	}
	var ok bool
	if trunk, ok = s.admitInvite(req); !ok { // trunks.go
		return "", "", st, nil, choice, ErrUnknownSource
	}
	if bad := unsupportedRequire(req); len(bad) > 0 {
		return "", "", st, nil, choice, &UnsupportedError{Options: bad}
	}
	st, tooSmall, err := s.negotiateTimer(req)
	if err != nil {
		return "", "", st, nil, choice, fmt.Errorf("%w: %w", ErrBadSessionTimer, err)
	}
	if tooSmall {
		return "", "", st, nil, choice, &IntervalTooSmallError{Asked: st.interval, MinSE: s.cfg.MinSE}
	}
	dialled = req.Recipient.User
	if !s.handler.Route(dialled) {
		to := req.To()
		if to == nil || !s.handler.Route(to.Address.User) {
			return "", "", st, nil, choice, fmt.Errorf("%w: %q", ErrUnknownNumber, dialled)
		}
		dialled = to.Address.User
	}
	if len(req.Body()) > 0 {
		if ct := req.ContentType(); ct != nil && !strings.HasPrefix(strings.ToLower(ct.Value()), "application/sdp") {
			return "", "", st, nil, choice, fmt.Errorf("%w: %s", ErrUnsupportedBody, ct.Value())
		}
		if offer, err = ParseSDP(req.Body()); err != nil {
			return "", "", st, nil, choice, &SDPError{Err: err}
		}
		if choice, err = Negotiate(offer, s.codecsFor(trunk)); err != nil {
			return "", "", st, nil, choice, err
		}
		if err = answerSRTP(offer, s.cfg.SRTP.terms(trunk, req.Transport()), media.SRTPKeys{}, &choice); err != nil {
			return "", "", st, nil, choice, err
		}
	}
	return trunk, dialled, st, offer, choice, nil
}

func (s *Server) newCall(req *sip.Request, tx sip.ServerTransaction) {
	callID := ""
	if h := req.CallID(); h != nil {
		callID = h.Value()
	}
	log := s.log.With("call_id", callID)
	browser, ext := isWebSocket(req.Transport()), ""
	if browser {
		var ok bool
		if ext, ok = s.authenticateBrowser(req, tx); !ok { // browser.go
			return
		}
	}
	trunk, dialled, st, offer, choice, err := s.screen(req)
	if err != nil {
		s.refuse(tx, req, log, err)
		return
	}
	lst := s.listenerFor(req)
	c := &Call{
		srv: s, lst: lst, Log: log, ID: callID, Dialled: dialled, Trunk: trunk,
		sessID: rand.Uint64N(1 << 62), timer: st, choice: choice, lateOffer: offer == nil,
		Transport: strings.ToLower(req.Transport()), Browser: browser, Extension: ext, srtp: s.cfg.SRTP.terms(trunk, req.Transport()),
		Source: sourceAddrPort(req),
	}
	if c.lateOffer {
		// We make the offer, in our 200: with keys when SRTP is wanted.
		if c.lateSDES, err = newSDESOffer(c.srtp); err != nil {
			s.refuse(tx, req, log, err)
			return
		}
	}
	if from := req.From(); from != nil {
		c.Caller = from.Address.User
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	sess, err := s.engine.NewSession()
	if err != nil {
		s.refuse(tx, req, log, err)
		return
	}
	c.Media = sess
	if choice.WebRTC.on() {
		src, _ := netip.ParseAddrPort(req.Source())
		if err := c.enableWebRTC(src.Addr()); err != nil { // webrtc.go
			sess.Close()
			s.refuse(tx, req, log, err)
			return
		}
	}
	s.respond(tx, req, 100, "Trying", nil)

	dlg, err := dialogUAFor(lst, req).ReadInvite(req, tx)
	if err != nil {
		sess.Close()
		s.refuse(tx, req, log, fmt.Errorf("%w: %w", ErrBadInviteRequest, err))
		return
	}
	c.dlg = dlg
	c.dialogID = dlg.ID
	c.ourAddr = s.advertisedAddr(lst, req.Source())
	c.contact = s.contactFor(lst, c.ourAddr)
	if !s.remember(c.dialogID, c) {
		sess.Close()
		code, reason, hdrs := rejection(ErrServerClosing)
		s.sent("INVITE", code)
		if err := dlg.Respond(code, reason, nil, hdrs...); err != nil {
			log.Warn("sip: send response failed", "code", code, "err", err)
		}
		return
	}
	log.Info("call incoming", "from", c.Caller, "to", dialled, "transport", lst.network, "source", req.Source(), "trunk", trunk)

	if s.cfg.RingTime > 0 {
		s.sent("INVITE", 180)
		if err := dlg.Respond(180, "Ringing", nil, &c.contact); err != nil {
			log.Warn("sip: send 180 failed", "err", err)
		}
		select {
		case <-time.After(s.cfg.RingTime):
		case <-dlg.Context().Done():
			log.Info("call cancelled", "code", 487)
			c.end(EndCancelled)
			return
		}
	}
	if err := c.answerAcked(s.cfg.AckTimeout); err != nil {
		if errors.Is(err, errNoAck) {
			log.Warn("no ACK for our 200: call released", "ack_timeout", s.cfg.AckTimeout.String())
			c.end(EndNoAck)
		} else if errors.Is(err, sip.ErrTransactionCanceled) || dlg.Context().Err() != nil {
			log.Info("call cancelled", "code", 487)
			c.end(EndCancelled)
		} else {
			log.Warn("answer failed", "err", err)
			c.end(EndAnswerFailed)
		}
		return
	}
	if c.lateOffer && !c.mediaStarted() {
		log.Warn("late offer: ACK carried no usable SDP answer, hanging up")
		c.hangup(EndNoSDPAnswer, 5*time.Second)
		return
	}
	c.startMedia()
	if err := c.awaitDTLS(s.cfg.AckTimeout); err != nil { // webrtc.go: a browser's keys
		log.Warn("WebRTC call released: its DTLS handshake did not finish", "err", err.Error())
		c.hangup(EndMediaFailed, 2*time.Second)
		return
	}
	log.Info("call answered", "codec", codecName(c.choice.Codec), "event_pt", c.choice.EventPT, "remote_rtp", c.choice.Remote.String(),
		"srtp", c.choice.SRTP, "webrtc", c.choice.WebRTC.on()) // the suite's name only (media.SRTPKeys.LogValue); a browser's keys are DTLS-SRTP
	c.armSessionTimer()
	// Counted under the lock Close takes to set closed, before it waits:
	// a call answered while the server closes is hung up, never added to
	// a WaitGroup already being waited on (the race detector caught it).
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		c.hangup(EndShutdown, shutdownByeWait)
		return
	}
	s.wg.Add(1)
	s.mu.Unlock()
	c.mu.Lock()
	c.served = true
	c.mu.Unlock()
	go func() {
		defer s.wg.Done()
		defer func() {
			// A bug in one call's handling ends that call, not the server.
			if p := recover(); p != nil {
				log.Error("call handler panicked", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				c.hangup(EndInternalError, 5*time.Second)
				log.Info("call ended", "reason", EndInternalError.String())
			}
		}()
		s.handler.Serve(c.ctx, c)
	}()
}

// errNoAck is a 200 to INVITE whose ACK did not come in time.
var errNoAck = errors.New("no ACK for the 200 to INVITE")

// answerAcked sends the 200 and waits at most wait for its ACK. An INVITE
// never ACKed (a spoofed source, a scanner) gives its RTP port back then,
// not after the 32 s the 2xx may be repeated for; the repeats stop when
// the dialog is released.
func (c *Call) answerAcked(wait time.Duration) error {
	done := make(chan error, 1)
	go func() { done <- c.answer() }()
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-t.C:
		return errNoAck
	}
}
