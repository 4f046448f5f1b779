package sip

import (
	"context"
	"strings"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// gate runs before every request handler, after the mandatory headers
// are checked: it refuses what no handler should see, before a handler
// allocates anything (an RTP port, a dialog) for it.
//   - a SIP version other than 2.0 gets 505 (RFC 3261 21.5.7);
//   - a request over a stream transport from a source over its packet
//     rate gets 503 (UDP datagrams over it never get this far);
//   - a new call from a source over its limits gets 503 with Retry-After.
func (s *Server) gate(req *sip.Request, tx sip.ServerTransaction, h sipgo.RequestHandler) {
	if req.SipVersion != "SIP/2.0" {
		s.badLog.Info("sip: request of another SIP version refused", "version", req.SipVersion, "source", req.Source())
		if req.Method != sip.ACK {
			res := sip.NewResponseFromRequest(req, 505, "Version Not Supported", nil)
			res.SipVersion = "SIP/2.0"
			s.sent(string(req.Method), 505)
			if err := tx.Respond(res); err != nil {
				s.badLog.Warn("sip: send response failed", "code", 505, "err", err)
			}
		}
		return
	}
	if !strings.EqualFold(req.Transport(), "UDP") && req.Method != sip.ACK && !s.limits.packet(sourceAddr(req), time.Now()) {
		s.badLog.Warn("sip: requests refused: source over its rate", "source", req.Source(), "code", 503)
		s.respond(tx, req, 503, "Service Unavailable", nil, sip.NewHeader("Retry-After", "1"))
		return
	}
	if req.Method == sip.INVITE && !req.To().Params.Has("tag") {
		release, why, wait := s.limits.admitCall(sourceAddr(req), time.Now())
		if release == nil {
			s.badLog.Warn("call refused: source over its limit", "limit", why, "source", req.Source(), "code", 503)
			s.respond(tx, req, 503, "Service Unavailable", nil, sip.NewHeader("Retry-After", retryAfter(wait)))
			return
		}
		// The handler of an initial INVITE returns once the call is
		// answered and ACKed, or has failed: its setup is over.
		defer release()
	}
	h(req, tx)
}

// onCancel answers a CANCEL that matched no INVITE transaction (sipgo
// answers the ones that do, 200 and 487): RFC 3261 9.2 says 481.
func (s *Server) onCancel(req *sip.Request, tx sip.ServerTransaction) {
	s.respond(tx, req, 481, "Call/Transaction Does Not Exist", nil)
}

// countCalls wraps h so that each answered call counts toward its
// source's Calls limit while it lasts.
func countCalls(h Handler, l *limiter) Handler { return countingHandler{h, l} }

type countingHandler struct {
	Handler
	lim *limiter
}

func (h countingHandler) Serve(ctx context.Context, c *Call) {
	h.lim.callRunning(ctx, sourceAddr(c.dlg.InviteRequest))
	h.Handler.Serve(ctx, c)
}
