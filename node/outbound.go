package node

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ivrd/ivrd/api"
	"github.com/ivrd/ivrd/call"
	"github.com/ivrd/ivrd/cdr"
	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/sip"
)

// placer places the calls POST /api/v1/calls asks for: checked against
// the running configuration, rung through sip (a trunk, an extension's
// phone, a URI), and once answered run by the call owner like an
// inbound call whose caller is the called party. Every one has a call
// record that says outbound, answered or not.
type placer struct {
	n *Node
	// ctx ends with the node: calls still ringing are cancelled.
	ctx    context.Context
	cancel context.CancelFunc
	// ringing counts the calls still ringing (close waits for them).
	ringing sync.WaitGroup
}

func newPlacer(n *Node) *placer {
	ctx, cancel := context.WithCancel(context.Background())
	return &placer{n: n, ctx: ctx, cancel: cancel}
}

// close cancels the calls still ringing and waits until each has given
// up (their CANCEL sent); answered ones end with the SIP server.
func (p *placer) close() {
	p.cancel()
	p.ringing.Wait()
}

// PlaceCall implements api.CallPlacer.
func (p *placer) PlaceCall(_ context.Context, req api.PlaceRequest) (string, error) {
	n := p.n
	snap := n.snap.Load()
	cfg := snap.Config
	if req.IVR != "" && cfg.IVRByID(req.IVR) == nil {
		return "", fmt.Errorf("%w: ivr %q: no such IVR", api.ErrBadPlace, req.IVR)
	}
	for _, d := range []struct {
		name string
		d    *ivr.Destination
	}{{"on_answer", req.OnAnswer}, {"on_no_answer", req.OnNoAnswer}, {"on_busy", req.OnBusy}} {
		if d.d == nil {
			continue
		}
		if err := cfg.CheckDestination(d.name, d.d, snap.Prompts.AllNames()); err != nil {
			return "", fmt.Errorf("%w: %w", api.ErrBadPlace, err)
		}
	}
	out, err := call.PlaceTarget(cfg, n.sip, req.To, req.Trunk)
	if err != nil {
		return "", fmt.Errorf("%w: %w", api.ErrBadPlace, err)
	}
	if req.CallerID != "" {
		out.FromUser = req.CallerID
	}
	if req.RingTimeout > 0 {
		out.RingTimeout = req.RingTimeout
	}
	id, err := newPlacedID()
	if err != nil {
		return "", err
	}
	from := out.FromUser
	if from == "" {
		from = "ivrd"
	}
	place := sip.Place{Outbound: out, Party: req.To, Dialled: req.To, Trunk: req.Trunk, CallID: id}
	started := cdr.Record{CallID: id, Node: n.ctl.node, State: cdr.StateStarted, Direction: cdr.DirectionOutbound, From: from,
		To: req.To, Source: cdr.SourceUnknown, SourceName: req.Trunk, InviteAt: time.Now(), IVR: req.IVR}
	if req.Trunk != "" {
		started.Source = cdr.SourceTrunk
	}
	n.ctl.rec.enqueue(startWrite(started))
	n.log.Info("placing call", "call_id", id, "to", req.To, "trunk", req.Trunk, "ivr", req.IVR, "who", req.Who)
	p.ringing.Add(1)
	go p.run(place, req, started)
	return id, nil
}

// run rings the far end and, answered, runs the call to its end; not
// answered, it ends the record and tells the request's hook.
func (p *placer) run(place sip.Place, req api.PlaceRequest, rec cdr.Record) {
	n := p.n
	c, err := n.sip.PlaceCall(p.ctx, place)
	p.ringing.Done()
	if err == nil {
		n.calls.ServePlaced(c.Context(), c, call.Placed{IVR: req.IVR, Dest: req.OnAnswer, Vars: req.Variables, From: rec.From})
		return
	}
	p.notAnswered(err, req, rec)
}

// notAnswered ends the record of a placed call that was not answered
// (err says why) and tells the request's hook for no answer or busy.
func (p *placer) notAnswered(err error, req api.PlaceRequest, rec cdr.Record) {
	n := p.n
	reason, hook := cdr.EndRefused, (*ivr.Destination)(nil)
	detail := err.Error()
	var be *sip.BridgeError
	switch {
	case p.ctx.Err() != nil:
		reason, detail = cdr.EndShutdown, "the server stopped while it rang"
	case errors.As(err, &be):
		detail = fmt.Sprintf("%d %s", be.Code, be.Reason)
		switch be.Code {
		case 408, 480, 487:
			reason, hook = cdr.EndNoAnswer, req.OnNoAnswer
		case 486, 600:
			reason, hook = cdr.EndBusy, req.OnBusy
		}
	}
	n.log.Info("placed call not answered", "call_id", rec.CallID, "to", req.To, "reason", string(reason), "detail", detail)
	end := time.Now()
	rec.State, rec.EndAt, rec.EndReason, rec.EndedBy = cdr.StateEnded, &end, reason, cdr.EndedByFarEnd
	if reason == cdr.EndShutdown {
		rec.EndedBy = cdr.EndedByIVRD
	}
	rec.Outcome = cdr.Outcome{Kind: cdr.OutcomeEnded, Detail: detail}
	rec.Path, rec.Keys, rec.Transfers = cdr.Path{}, []cdr.Key{}, []cdr.Transfer{}
	n.ctl.rec.enqueue(endWrite(rec))
	if hook != nil {
		name := hook.Event
		if name == "" {
			name = string(call.EventRouteWebhook)
		}
		n.obs.event(call.Event{Type: call.EventRouteWebhook, CallID: rec.CallID, At: end, IVR: req.IVR, From: rec.From, To: rec.To,
			Name: name, Webhook: hook.Target, Data: hook.Data})
	}
}

// newPlacedID is a new Call-ID for a placed call.
func newPlacedID() (string, error) {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return "ivrd-" + hex.EncodeToString(b[:]), nil
}
