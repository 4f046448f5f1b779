package sip

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/ivrd/ivrd/audio"
	"github.com/ivrd/ivrd/dtmf"
)

func (s *Server) onAck(req *sip.Request, tx sip.ServerTransaction) {
	if d := s.dialogFor(req); d != nil {
		d.onAck(req, tx)
	}
	// ACK for a 4xx/5xx is absorbed by the transaction layer; stray ones are dropped.
}

func (s *Server) onBye(req *sip.Request, tx sip.ServerTransaction) {
	if d := s.dialogFor(req); d != nil {
		d.onBye(req, tx)
		return
	}
	s.respond(tx, req, 481, "Call/Transaction Does Not Exist", nil)
}

func (c *Call) onAck(req *sip.Request, tx sip.ServerTransaction) {
	c.mu.Lock()
	needAnswer := c.lateOffer && !c.haveAnswer
	c.mu.Unlock()
	if needAnswer && len(req.Body()) > 0 {
		if ans, err := ParseSDP(req.Body()); err != nil {
			c.Log.Warn("late offer: bad SDP answer in ACK", "err", err)
		} else if mc, err := Negotiate(ans, c.codecs()); err != nil {
			c.Log.Warn("late offer: answer has none of our codecs", "err", err)
		} else if err := c.lateSDES.accept(ans, &mc); err != nil {
			c.Log.Warn("late offer: answer's SRTP not usable", "err", err)
		} else {
			mc.Direction = ans.Direction.reverse()
			c.mu.Lock()
			c.choice, c.haveAnswer = mc, true
			c.mu.Unlock()
		}
	}
	if c.dlg == nil || c.dlg.ReadAck(req, tx) != nil {
		// Not the INVITE's ACK: the one for a re-INVITE's 2xx.
		c.reinviteAck.fire()
	}
}

func (c *Call) onBye(req *sip.Request, tx sip.ServerTransaction) {
	if err := c.peer().ReadBye(req, tx); err != nil {
		c.srv.respond(tx, req, 500, "Server Internal Error", nil)
		c.Log.Warn("bye", "err", err)
	} else {
		c.srv.sent("BYE", 200) // sipgo answered it
	}
	c.end(EndCallerBye)
}

// offerUpdate applies a new SDP offer inside the dialog (re-INVITE or
// UPDATE). It keeps the codec in use when the offer still has it, so audio
// does not change under the caller.
func (c *Call) offerUpdate(body []byte) (code int, err error) {
	offer, err := ParseSDP(body)
	if err != nil {
		return 400, err
	}
	c.mu.Lock()
	prefs := append([]audio.Codec{c.choice.Codec}, c.codecs()...)
	prevKeys := c.choice.SRTP
	c.mu.Unlock()
	mc, err := Negotiate(offer, prefs)
	if err != nil {
		return 488, err
	}
	if err := answerSRTP(offer, c.srtp, prevKeys, &mc); err != nil {
		return 488, err
	}
	c.mu.Lock()
	if isDTLSProto(mc.Proto) && c.choice.WebRTC.on() {
		mc.WebRTC = c.choice.WebRTC // the same ICE agent and DTLS connection go on (webrtc.go)
	}
	changed := mc != c.choice
	c.choice = mc
	if changed {
		c.sdpVersion++
	}
	started := c.started
	c.mu.Unlock()
	if started {
		c.Media.Update(mc.params(mc.Direction.weSend()))
	}
	c.Log.Info("media updated", "direction", string(mc.Direction), "remote_rtp", mc.Remote.String(), "codec", codecName(mc.Codec))
	return 200, nil
}

// refreshTimer handles Session-Expires on a refresh request; ok=false means
// a 422 was sent.
func (c *Call) refreshTimer(req *sip.Request, tx sip.ServerTransaction) bool {
	st, tooSmall, err := c.srv.negotiateTimer(req)
	if err == nil && tooSmall {
		c.srv.respond(tx, req, 422, "Session Interval Too Small", nil,
			sip.NewHeader("Min-SE", strconv.Itoa(int(c.srv.cfg.MinSE/time.Second))))
		return false
	}
	c.mu.Lock()
	if err == nil && st.interval > 0 {
		c.timer = st
	}
	c.mu.Unlock()
	c.armSessionTimer()
	return true
}

func (c *Call) onReinvite(req *sip.Request, tx sip.ServerTransaction) {
	if err := c.peer().ReadRequest(req, tx); err != nil {
		c.srv.respond(tx, req, 500, "Server Internal Error", nil, sip.NewHeader("Retry-After", "1"))
		return
	}
	if !c.refreshTimer(req, tx) {
		return
	}
	if len(req.Body()) > 0 {
		if code, err := c.offerUpdate(req.Body()); err != nil {
			c.Log.Info("re-INVITE rejected", "code", code, "err", err)
			c.srv.respond(tx, req, code, "Not Acceptable Here", nil, sip.NewHeader("Warning", fmt.Sprintf("399 ivrd %q", err.Error())))
			return
		}
		// Bridged: the far end gets the same hold or unhold.
		if l := c.bridgedLeg(); l != nil {
			if offer, err := ParseSDP(req.Body()); err == nil {
				go l.reoffer(offer.Direction)
			}
		}
	}
	res := sip.NewResponseFromRequest(req, 200, "OK", c.ourSDP())
	for _, h := range c.dialogHeaders(true) {
		res.AppendHeader(h)
	}
	c.srv.sent("INVITE", res.StatusCode)
	respondUntilAck(c.ctx, tx, res, &c.reinviteAck, c.Log)
}

// ackWaiter connects the ACK for our 2xx to a re-INVITE with the loop
// repeating that 2xx.
type ackWaiter struct {
	mu sync.Mutex
	ch chan struct{}
}

// arm starts waiting for the next ACK.
func (w *ackWaiter) arm() <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.ch = make(chan struct{}, 1)
	return w.ch
}

// fire passes an ACK on to whoever waits (nobody: it is dropped).
func (w *ackWaiter) fire() {
	w.mu.Lock()
	defer w.mu.Unlock()
	select {
	case w.ch <- struct{}{}:
	default:
	}
}

// respondUntilAck sends a 2xx to a re-INVITE and repeats it (T1 doubling
// to T2, for 64*T1) until ack fires: the transaction layer does not
// retransmit a 2xx to INVITE (RFC 6026), the UAS core does. Over TCP the
// repeats are harmless and stop at the ACK all the same.
func respondUntilAck(ctx context.Context, tx sip.ServerTransaction, res *sip.Response, w *ackWaiter, log *slog.Logger) {
	ack := w.arm()
	interval := sip.T1
	deadline := time.After(64 * sip.T1)
	for {
		if err := tx.Respond(res); err != nil {
			log.Warn("re-INVITE 200 failed", "err", err)
			return
		}
		select {
		case <-ack:
			return
		case <-ctx.Done():
			return
		case <-deadline:
			log.Warn("re-INVITE 200 never acknowledged")
			return
		case <-time.After(interval):
			interval = min(2*interval, sip.T2)
		}
	}
}

func (s *Server) onUpdate(req *sip.Request, tx sip.ServerTransaction) {
	c := s.callFor(req)
	if c == nil {
		s.respond(tx, req, 481, "Call/Transaction Does Not Exist", nil)
		return
	}
	if err := c.peer().ReadRequest(req, tx); err != nil {
		s.respond(tx, req, 500, "Server Internal Error", nil, sip.NewHeader("Retry-After", "1"))
		return
	}
	if !c.refreshTimer(req, tx) {
		return
	}
	var body []byte
	if len(req.Body()) > 0 {
		if code, err := c.offerUpdate(req.Body()); err != nil {
			s.respond(tx, req, code, "Not Acceptable Here", nil, sip.NewHeader("Warning", fmt.Sprintf("399 ivrd %q", err.Error())))
			return
		}
		body = c.ourSDP()
	}
	s.respond(tx, req, 200, "OK", body, c.dialogHeaders(body != nil)...)
}

func (s *Server) onInfo(req *sip.Request, tx sip.ServerTransaction) {
	c := s.callFor(req)
	if c == nil {
		s.respond(tx, req, 481, "Call/Transaction Does Not Exist", nil)
		return
	}
	if len(req.Body()) == 0 {
		s.respond(tx, req, 200, "OK", nil) // keep-alive INFO
		return
	}
	ct := ""
	if h := req.ContentType(); h != nil {
		ct = strings.ToLower(strings.TrimSpace(strings.SplitN(h.Value(), ";", 2)[0]))
	}
	if ct != "application/dtmf-relay" && ct != "application/dtmf" {
		s.respond(tx, req, 415, "Unsupported Media Type", nil, sip.NewHeader("Accept", "application/dtmf-relay, application/dtmf"))
		return
	}
	key, err := dtmf.ParseInfo(ct, req.Body())
	if err != nil {
		c.Log.Info("INFO rejected", "err", err)
		s.respond(tx, req, 400, "Bad Request", nil, sip.NewHeader("Warning", fmt.Sprintf("399 ivrd %q", err.Error())))
		return
	}
	// The digit is delivered before the 200: a PBX sends its next INFO
	// when this one is answered, and that one may be handled on another
	// goroutine, so answering first could let the next key overtake.
	c.infoKey(key)
	s.respond(tx, req, 200, "OK", nil)
}

func (s *Server) onNotify(req *sip.Request, tx sip.ServerTransaction) {
	c := s.callFor(req)
	if c == nil {
		s.respond(tx, req, 481, "Call/Transaction Does Not Exist", nil)
		return
	}
	ev := req.GetHeader("Event")
	if ev == nil || !strings.EqualFold(strings.TrimSpace(strings.SplitN(ev.Value(), ";", 2)[0]), "refer") {
		s.respond(tx, req, 489, "Bad Event", nil)
		return
	}
	code, err := parseSipfrag(req.Body())
	if err != nil {
		s.respond(tx, req, 400, "Bad Request", nil, sip.NewHeader("Warning", fmt.Sprintf("399 ivrd %q", err.Error())))
		return
	}
	s.respond(tx, req, 200, "OK", nil)
	c.mu.Lock()
	ch := c.refer
	c.mu.Unlock()
	if ch != nil {
		select {
		case ch <- code:
		default:
		}
	}
}

// parseSipfrag reads the status code of a message/sipfrag body
// ("SIP/2.0 200 OK").
func parseSipfrag(body []byte) (int, error) {
	line, _, _ := strings.Cut(string(body), "\n")
	f := strings.Fields(line)
	if len(f) < 2 || !strings.HasPrefix(f[0], "SIP/") {
		return 0, fmt.Errorf("sipfrag: want a status line, got %q", trimForError(line))
	}
	code, err := strconv.Atoi(f[1])
	if err != nil || code < 100 || code > 699 {
		return 0, fmt.Errorf("sipfrag: bad status code %q", f[1])
	}
	return code, nil
}
