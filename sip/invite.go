package sip

import (
	"context"
	"errors"
	"fmt"
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
		c := s.callFor(req)
		if c == nil {
			if l := s.legFor(req); l != nil {
				l.onReinvite(req, tx)
				return
			}
			s.respond(tx, req, 481, "Call/Transaction Does Not Exist", nil)
			return
		}
		c.onReinvite(req, tx)
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

func (s *Server) newCall(req *sip.Request, tx sip.ServerTransaction) {
	callID := ""
	if h := req.CallID(); h != nil {
		callID = h.Value()
	}
	log := s.log.With("call_id", callID)
	var trunk string
	if s.cfg.Admit != nil {
		src, _ := netip.ParseAddrPort(req.Source())
		var ok bool
		if trunk, ok = s.cfg.Admit(src.Addr().Unmap()); !ok {
			log.Warn("call refused: source is not a known trunk", "code", 403, "source", req.Source())
			s.respond(tx, req, 403, "Forbidden", nil)
			return
		}
	}
	if bad := unsupportedRequire(req); len(bad) > 0 {
		log.Info("call rejected", "code", 420, "unsupported", strings.Join(bad, ","))
		s.respond(tx, req, 420, "Bad Extension", nil, sip.NewHeader("Unsupported", strings.Join(bad, ", ")))
		return
	}
	st, tooSmall, err := s.negotiateTimer(req)
	if err != nil {
		log.Info("call rejected", "code", 400, "err", err)
		s.respond(tx, req, 400, "Bad Session-Expires", nil)
		return
	}
	if tooSmall {
		log.Info("call rejected", "code", 422, "session_expires", st.interval)
		s.respond(tx, req, 422, "Session Interval Too Small", nil,
			sip.NewHeader("Min-SE", strconv.Itoa(int(s.cfg.MinSE/time.Second))))
		return
	}
	dialled := req.Recipient.User
	if !s.handler.Route(dialled) {
		if to := req.To(); to != nil && s.handler.Route(to.Address.User) {
			dialled = to.Address.User
		} else {
			log.Info("call rejected", "code", 404, "to", dialled)
			s.respond(tx, req, 404, "Not Found", nil)
			return
		}
	}
	var offer *SessionDescription
	if len(req.Body()) > 0 {
		if ct := req.ContentType(); ct != nil && !strings.HasPrefix(strings.ToLower(ct.Value()), "application/sdp") {
			log.Info("call rejected", "code", 415, "content_type", ct.Value())
			s.respond(tx, req, 415, "Unsupported Media Type", nil, sip.NewHeader("Accept", "application/sdp"))
			return
		}
		offer, err = ParseSDP(req.Body())
		if err != nil {
			log.Info("call rejected", "code", 400, "err", err)
			s.respond(tx, req, 400, "Bad SDP", nil, sip.NewHeader("Warning", fmt.Sprintf("399 ivrd %q", err.Error())))
			return
		}
	}
	var choice MediaChoice
	if offer != nil {
		choice, err = Negotiate(offer, s.cfg.Codecs)
		if err != nil {
			log.Info("call rejected", "code", 488, "err", err)
			s.respond(tx, req, 488, "Not Acceptable Here", nil, sip.NewHeader("Warning", `304 ivrd "no common codec (want PCMU or PCMA)"`))
			return
		}
	}
	lst := s.listenerFor(req)
	c := &Call{
		srv: s, lst: lst, Log: log, ID: callID, Dialled: dialled, Invite: req, Trunk: trunk,
		sessID: rand.Uint64N(1 << 62), timer: st, choice: choice, lateOffer: offer == nil,
		digitCh: make(chan Digit, 64),
	}
	if from := req.From(); from != nil {
		c.Caller = from.Address.User
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	sess, err := s.engine.NewSession(c)
	if err != nil {
		code, reason := 500, "Server Internal Error"
		if errors.Is(err, media.ErrNoPorts) {
			code, reason = 503, "Service Unavailable"
		}
		log.Warn("call rejected", "code", code, "err", err)
		s.respond(tx, req, code, reason, nil, sip.NewHeader("Retry-After", "5"))
		return
	}
	c.Media = sess
	s.respond(tx, req, 100, "Trying", nil)

	dlg, err := lst.dlgUA.ReadInvite(req, tx)
	if err != nil {
		sess.Close()
		log.Warn("call rejected", "code", 400, "err", err)
		s.respond(tx, req, 400, "Bad Request", nil, sip.NewHeader("Warning", fmt.Sprintf("399 ivrd %q", err.Error())))
		return
	}
	c.dlg = dlg
	c.dialogID = dlg.ID
	c.ourAddr = s.advertisedAddr(lst, req.Source())
	c.contact = s.contactFor(lst, c.ourAddr)
	if !s.addCall(c) {
		sess.Close()
		dlg.Respond(503, "Service Unavailable", nil)
		return
	}
	log.Info("call incoming", "from", c.Caller, "to", dialled, "transport", lst.network, "source", req.Source(), "trunk", trunk)

	if s.cfg.RingTime > 0 {
		dlg.Respond(180, "Ringing", nil, &c.contact)
		select {
		case <-time.After(s.cfg.RingTime):
		case <-dlg.Context().Done():
			log.Info("call cancelled", "code", 487)
			c.end("cancelled")
			return
		}
	}
	if err := c.answer(); err != nil {
		if errors.Is(err, sip.ErrTransactionCanceled) || dlg.Context().Err() != nil {
			log.Info("call cancelled", "code", 487)
			c.end("cancelled")
		} else {
			log.Warn("answer failed", "err", err)
			c.end("answer failed")
		}
		return
	}
	if c.lateOffer && !c.mediaStarted() {
		log.Warn("late offer: ACK carried no usable SDP answer, hanging up")
		c.Hangup("no sdp answer")
		return
	}
	c.startMedia()
	log.Info("call answered", "codec", codecName(c.choice.Codec), "event_pt", c.choice.EventPT, "remote_rtp", c.choice.Remote.String())
	c.armSessionTimer()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer func() {
			// A bug in one call's handling ends that call, not the server.
			if p := recover(); p != nil {
				log.Error("call handler panicked", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				c.Hangup("internal error")
			}
		}()
		s.handler.Serve(c.ctx, c)
	}()
}
