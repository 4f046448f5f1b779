package call

import (
	"fmt"
	"strings"
	"time"

	sipgo "github.com/emiago/sipgo/sip"

	"github.com/ivrd/ivrd/cdr"
	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/prompts"
	"github.com/ivrd/ivrd/sip"
)

// handOff carries out a transfer, a bridge or a voicemail on the call's
// own goroutine and queues its outcome for the executor. A bridge is
// waited for until one side hangs up; a REFER until its final NOTIFY.
func (r *run) handOff(dest *ivr.Destination, method ivr.TransferMethod) {
	err := r.tryHandOff(dest, method, false)
	r.dropTypedAhead()
	r.queued = append(r.queued, ivr.TransferResult{Err: err})
}

// tryHandOff runs one hand-off and keeps it in the record, the registry of
// live calls and the events; operator says the API asked for it.
func (r *run) tryHandOff(dest *ivr.Destination, method ivr.TransferMethod, operator bool) error {
	start := time.Since(r.rec.Answered)
	state := StateTransferring
	if dest.Kind == ivr.KindVoicemail {
		state = StateVoicemail
	}
	if dest.Kind == ivr.KindConference {
		state = StateConference
	}
	r.live.set("", state)
	r.emit(Event{Type: EventTransferStarted, Dest: dest.String(), TransferMethod: method, Operator: operator})
	r.startRecording(dest.Record)
	err := r.transfer(dest, method)
	t := Transfer{Dest: dest.String(), Method: method, At: start, Operator: operator}
	fin := Event{Type: EventTransferFinished, Dest: dest.String(), TransferMethod: method, Operator: operator}
	if err != nil {
		t.Err, fin.Err = err.Error(), err.Error()
		r.log.Info("transfer failed", "dest", dest.String(), "method", method, "err", err)
	} else {
		r.rec.Outcome.Done = true
	}
	r.rec.Transfers = append(r.rec.Transfers, t)
	r.emit(fin)
	r.live.set("", StateMenu)
	return err
}

// operatorTransfer carries out a transfer asked for through the API, in
// the menu loop (the only goroutine that may touch the call). The prompt
// is cut; if the hand-off fails the menu goes on as if the prompt had
// ended (its timer, if any, still runs), and the operator hears why.
func (r *run) operatorTransfer(req liveRequest) {
	r.log.Info("operator transfer", "dest", req.dest.String(), "method", req.method)
	stopped := r.playing
	if stopped {
		r.c.Media.StopPlayback()
		r.playing = false
	}
	prev := r.rec.Outcome
	r.rec.Outcome = cdr.Outcome{Kind: cdr.OutcomeTransfer, Detail: req.dest.String(), Operator: true}
	r.opDone = req.done
	err := r.tryHandOff(req.dest, req.method, true)
	r.answerOperator(err)
	if err == nil {
		r.left = true
		r.exec.Handle(ivr.HungUp{}) // the executor's call is over; nothing it says now is carried out
		return
	}
	r.rec.Outcome = prev
	r.dropTypedAhead()
	if stopped {
		r.queued = append(r.queued, ivr.PlaybackDone{ID: r.playID})
	}
}

// transfer hands the call on. nil means the call has left the menu: a
// REFER was accepted (our side is hung up), a bridge ran to its end, or a
// message was recorded.
func (r *run) transfer(dest *ivr.Destination, method ivr.TransferMethod) error {
	switch dest.Kind {
	case ivr.KindVoicemail:
		return r.voicemail(dest.Target)
	case ivr.KindGroup:
		return r.ringGroup(dest.Target)
	case ivr.KindVoicemailCheck:
		return r.voicemailCheck(dest.Target)
	case ivr.KindConference:
		return r.conference(dest.Target)
	case ivr.KindQueue:
		return r.queue(dest)
	}
	out, err := r.outbound(dest)
	if err != nil {
		return err
	}
	switch method {
	case ivr.TransferBridge:
		return r.bridge(out)
	case ivr.TransferAuto:
		if err := r.refer(out.URI); err == nil {
			return nil
		} else if r.ctx.Err() != nil {
			return err
		} else {
			r.log.Info("refer failed, bridging instead", "err", err)
		}
		return r.bridge(out)
	default:
		return r.refer(out.URI)
	}
}

// refer asks the caller's side to call uri; on success our side hangs up.
func (r *run) refer(uri string) error {
	if err := r.c.Refer(r.ctx, uri); err != nil {
		return err
	}
	r.endBy(EndTransferred, SideIVRD)
	r.c.Hangup()
	return nil
}

// bridge connects the caller to the far end and waits for the end.
func (r *run) bridge(out sip.Outbound) error {
	b, err := r.c.Bridge(r.ctx, out)
	if err != nil {
		return err
	}
	return r.waitBridge(b)
}

// waitBridge waits for a bridged call to end and records who ended it.
func (r *run) waitBridge(b *sip.Bridged) error {
	r.live.set("", StateBridged)
	r.answerOperator(nil) // an operator's bridge is done once joined, not when over
	switch b.Wait() {
	case sip.FarEndEnded:
		r.endBy(EndBridgeEnded, SideFarEnd)
	default:
		if reason, side := reasonFromSIP(r.c.EndCause()); reason == EndShutdown {
			r.endBy(reason, side)
		}
		r.endBy(EndBridgeEnded, SideCaller)
	}
	return nil
}

// refuseRequests answers an operator's request still queued when the
// menu is over (the call left it some other way meanwhile).
func (r *run) refuseRequests() {
	for {
		select {
		case req := <-r.live.requests:
			req.done <- ErrNotInMenu
		default:
			return
		}
	}
}

// answerOperator tells an operator waiting on a transfer how it went,
// once (done has room for the one answer).
func (r *run) answerOperator(err error) {
	if r.opDone != nil {
		r.opDone <- err
		r.opDone = nil
	}
}

// ringback is what a caller hears while a bridge's far end rings: sip
// says when, the call owner what.
var ringback = prompts.Ringback()

// outbound turns a destination into the leg to place.
func (r *run) outbound(dest *ivr.Destination) (sip.Outbound, error) {
	var srv *sip.Server
	if r.c != nil {
		srv = r.c.Server()
	}
	return outboundFor(r.snap.Config, srv, dest)
}

// outboundFor is the leg to place for dest in configuration cfg (srv
// knows the extensions' registered contacts; nil: none are).
func outboundFor(cfg *ivr.Config, srv *sip.Server, dest *ivr.Destination) (sip.Outbound, error) {
	out := sip.Outbound{RingTimeout: dest.RingTimeout.D(), Ringback: ringback}
	switch dest.Kind {
	case ivr.KindURI:
		out.URI = dest.Target
	case ivr.KindExtension:
		x := cfg.ExtensionByNumber(dest.Target)
		if x == nil {
			return out, fmt.Errorf("%w %s", ErrUnknownExtension, dest.Target)
		}
		var contacts []string
		if srv != nil {
			contacts = srv.Contacts(x.Number)
		}
		if len(contacts) > 0 {
			out.Fork, out.URI = contacts, contacts[0]
		} else if x.Contact != "" {
			out.URI = x.Contact
		} else {
			return out, fmt.Errorf("%w: %s", ErrNotRegistered, x.Number)
		}
	case ivr.KindExternal:
		t := cfg.TrunkByName(dest.Trunk)
		if t == nil {
			return out, fmt.Errorf("%w %q", ErrUnknownTrunk, dest.Trunk)
		}
		out.URI = sip.TrunkURI(t.URI, t.NumberAsSent(dest.Target))
		out.Username, out.Password, out.FromUser = t.Username, t.Password, t.FromUser
		// The trunk's SRTP mode (validated at load, so it parses).
		out.SRTP, _ = sip.ParseSRTPMode(string(cfg.MediaSettings().TrunkSRTP(*t)))
		out.Codecs = t.CodecList() // the trunk's own preference, if it has one
		if t.FromUser != "" {
			out.Headers = append(out.Headers, sipgo.NewHeader("P-Asserted-Identity", "<sip:"+t.FromUser+"@"+hostOnly(t.URI)+">"))
		}
	default:
		return out, fmt.Errorf("%w: %s", ErrUnsupportedDest, dest.Kind)
	}
	return out, nil
}

// hostOnly is the host part of a SIP URI (sip:gw.example.net:5060;x=y).
func hostOnly(uri string) string {
	u := strings.TrimPrefix(strings.TrimPrefix(uri, "sip:"), "sips:")
	if at := strings.LastIndex(u, "@"); at >= 0 {
		u = u[at+1:]
	}
	u = strings.SplitN(u, ";", 2)[0]
	if h, _, ok := strings.Cut(u, ":"); ok {
		return h
	}
	return u
}
