package call

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ivrd/ivrd/cdr"
	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/prompts"
	"github.com/ivrd/ivrd/sip"
)

// queueRetry is how long a caller whose agents did not answer waits
// before its queue rings again (an agent's phone refusing at once must
// not make a loop of INVITEs).
const queueRetry = time.Second

// queueRecheck is how often a waiting call looks for agents unasked.
const queueRecheck = 2 * time.Second

// queuePositionIntro is the prompt said before the caller's position
// ("you are caller number"), when prompts_dir has it.
const queuePositionIntro = "queue-position"

// queue puts the call in queue dest.Target and waits there: music, the
// position every so often, the leave key, until an agent answers (the
// call is bridged to it; nil when the bridge is over) or the wait ends
// another way (a *ivr.QueueExit or another error: the menu goes on).
func (r *run) queue(dest *ivr.Destination) error {
	cfg := r.snap.Config
	q := cfg.QueueByID(dest.Target)
	if q == nil {
		return fmt.Errorf("%w %q", ErrUnknownQueue, dest.Target)
	}
	qs := r.h.queues
	w, pos, ok := qs.enqueue(cfg, q, r.c.ID, r.c.Caller)
	if !ok {
		r.log.Info("queue full", "queue", q.ID, "max_length", q.MaxLength)
		return queueOverflow(q, dest, fmt.Sprintf("queue %s is full (%d waiting)", q.ID, q.MaxLength))
	}
	r.live.set("", StateQueued)
	r.answerOperator(nil)
	r.log.Info("queue joined", "queue", q.ID, "position", pos)
	r.dropTypedAhead() // the key that chose the queue is not the leave key
	answered, err := r.waitInQueue(q, dest, w)
	if !answered {
		abandoned := r.ctx.Err() != nil
		qs.leave(w, abandoned)
		r.log.Info("queue left", "queue", q.ID, "abandoned", abandoned, "waited", time.Since(w.joined).Round(time.Millisecond))
	}
	return err
}

// queueOverflow is where a caller goes when the queue cannot keep it:
// the destination's overflow (the menu runs it) before the queue's own.
func queueOverflow(q *ivr.Queue, dest *ivr.Destination, why string) error {
	if dest.Overflow != nil || q.Overflow == nil {
		return &ivr.QueueExit{Why: why}
	}
	return &ivr.QueueExit{Dest: q.Overflow, Why: why}
}

// waitInQueue is the caller's wait; answered says an agent took the call
// (the queue no longer holds it).
func (r *run) waitInQueue(q *ivr.Queue, dest *ivr.Destination, w *waiter) (bool, error) {
	deadline := w.joined.Add(q.MaxWait.D())
	maxWait := time.NewTimer(q.MaxWait.D())
	defer maxWait.Stop()
	var announce <-chan time.Time
	if every := q.AnnouncePosition.D(); every > 0 {
		t := time.NewTicker(every)
		defer t.Stop()
		announce = t.C
	}
	music := r.queueMusic(q)
	musicDone := r.loop(music)
	defer r.c.Media.StopPlayback()
	var retry <-chan time.Time
	// Registrations and reloads are not announced to the queue: look
	// again now and then as well as when the queue changes.
	recheck := time.NewTicker(queueRecheck)
	defer recheck.Stop()
	poke(w) // try the agents at once
	for {
		select {
		case <-musicDone:
			musicDone = r.loop(music)
		case in := <-r.events:
			if k, ok := r.keyOf(in); ok && q.LeaveKey != "" && k == q.LeaveKey[0] {
				r.log.Info("queue: the caller pressed the leave key", "queue", q.ID)
				return false, &ivr.QueueExit{Dest: q.Leave, Why: "the caller left the queue"}
			}
		case <-announce:
			r.c.Media.StopPlayback()
			if k, err := r.sayPosition(q, w); err != nil {
				return false, err
			} else if q.LeaveKey != "" && k == q.LeaveKey[0] {
				return false, &ivr.QueueExit{Dest: q.Leave, Why: "the caller left the queue"}
			}
			musicDone = r.loop(music)
		case <-maxWait.C:
			r.log.Info("queue: max_wait reached", "queue", q.ID, "max_wait", q.MaxWait.D())
			return false, queueOverflow(q, dest, fmt.Sprintf("no agent within max_wait %v", q.MaxWait.D()))
		case <-retry:
			retry = nil
			poke(w)
		case <-recheck.C:
			poke(w)
		case <-w.wake:
			if retry != nil {
				continue
			}
			rang, answered, err := r.tryAgents(q, w, music, time.Until(deadline))
			if answered {
				return true, err
			}
			if r.ctx.Err() != nil { // the caller hung up while agents rang
				return false, context.Cause(r.ctx)
			}
			if rang { // the ringing replaced the music: it starts again
				retry = time.After(queueRetry)
				musicDone = r.loop(music)
			}
		case <-r.ctx.Done():
			return false, context.Cause(r.ctx)
		}
	}
}

// loop plays p (nil: silence) and says when it ended, to play it again.
func (r *run) loop(p *prompts.Prompt) <-chan struct{} {
	done := make(chan struct{})
	if p != nil {
		r.c.Media.Play(p, func() { close(done) })
	}
	return done
}

func (r *run) queueMusic(q *ivr.Queue) *prompts.Prompt {
	if q.Music == "" {
		return nil
	}
	if p, ok := r.prompt(q.Music); ok {
		return p
	}
	r.log.Warn("queue music missing: silence", "queue", q.ID, "prompt", q.Music)
	return nil
}

// sayPosition tells the caller its place: the queue-position prompt (if
// prompts_dir has one) and the number from the number fragments; a
// beep per place (at most 9) when the fragments are missing. Then, when
// the queue says announce_wait, the estimated wait. A key stops it and
// is returned.
func (r *run) sayPosition(q *ivr.Queue, w *waiter) (byte, error) {
	pos := r.h.queues.position(w)
	if pos == 0 {
		return 0, nil
	}
	r.log.Info("queue position announced", "queue", q.ID, "position", pos)
	var seq []*prompts.Prompt
	if p, ok := r.prompt(queuePositionIntro); ok {
		seq = append(seq, p)
	}
	if nums, ok := r.sayNumber(pos); ok {
		seq = append(seq, nums...)
	} else if nums, ok := r.builtinNumber(pos); ok {
		seq = append(seq, nums...)
	} else {
		beep := prompts.Tone("queue-beep", 660, 660, -16, 150, 150)
		for range min(pos, 9) {
			seq = append(seq, beep)
		}
	}
	for _, p := range seq {
		if k, err := r.sayPrompt(p); k != 0 || err != nil {
			return k, err
		}
	}
	return r.sayWait(q, w) // queuewait.go
}

// sayNumber is n from the number fragments (the site's or spoken).
func (r *run) sayNumber(n int) ([]*prompts.Prompt, bool) {
	if r.snap.Prompts == nil {
		return nil, false
	}
	nums, err := r.snap.Prompts.SayNumber(r.language(), n)
	return nums, err == nil
}

// builtinNumber is n from the bundled num-* prompts.
func (r *run) builtinNumber(n int) ([]*prompts.Prompt, bool) {
	var out []*prompts.Prompt
	for _, name := range (fragments{}).Number(n) {
		p, ok := r.systemPrompt(name)
		if !ok {
			return nil, false
		}
		out = append(out, p)
	}
	return out, true
}

// reachableAgents is the queue's agents that have a phone to ring, in
// members' order, with the URIs to ring for each.
func (r *run) reachableAgents(q *ivr.Queue) ([]string, map[string][]string) {
	cfg := r.snap.Config
	var names []string
	contacts := map[string][]string{}
	for _, m := range cfg.QueueAgents(q) {
		var cs []string
		if ivr.IsURIMember(m) {
			cs = []string{m}
		} else if x := cfg.ExtensionByNumber(m); x != nil {
			cs = r.c.Server().Contacts(x.Number)
			if len(cs) == 0 && x.Contact != "" {
				cs = []string{x.Contact}
			}
		}
		if len(cs) > 0 {
			names = append(names, m)
			contacts[m] = cs
		}
	}
	return names, contacts
}

// tryAgents rings the agents the queue's strategy chooses for this
// caller, if it is its turn, within left of its max_wait. rang says
// agents were rung; answered that one took the call, which was then
// bridged to its end. Rung without an answer, the caller waits on.
func (r *run) tryAgents(q *ivr.Queue, w *waiter, music *prompts.Prompt, left time.Duration) (rang, answered bool, err error) {
	if left <= 0 {
		return false, false, nil
	}
	names, contacts := r.reachableAgents(q)
	start := 0
	if q.Strategy == ivr.QueueRoundRobin && len(names) > 0 {
		start = r.h.rotationStart("queue:"+q.ID, len(names))
	}
	qs := r.h.queues
	chosen := qs.claim(q, w, names, start)
	if len(chosen) == 0 {
		return false, false, nil
	}
	out := sip.Outbound{RingTimeout: min(q.AgentTimeout.D(), left)}
	if music != nil {
		out.Ringback = music
	}
	for _, name := range chosen {
		out.Fork = append(out.Fork, contacts[name]...)
	}
	out.URI = out.Fork[0]
	r.log.Info("queue ringing agents", "queue", q.ID, "agents", strings.Join(chosen, ","))
	ctx, cancel := context.WithTimeout(r.ctx, out.RingTimeout)
	defer cancel()
	b, err := r.c.Bridge(ctx, out)
	if err != nil {
		qs.ringEnded(w, chosen)
		r.log.Info("queue: no agent answered", "queue", q.ID, "err", err)
		return true, false, nil
	}
	who := answeredAgent(chosen, contacts, b.Target())
	qs.answered(w, chosen, who, q.ServiceLevel.D())
	r.log.Info("queue answered", "queue", q.ID, "agent", who, "waited", time.Since(w.joined).Round(time.Millisecond))
	err = r.waitBridge(b)
	qs.callEnded(q.ID, who, q.WrapUp.D())
	return true, true, err
}

// answeredAgent is the agent whose phone target is (the first chosen
// when it cannot tell: a contact written differently from how it was
// called).
func answeredAgent(chosen []string, contacts map[string][]string, target string) string {
	norm := func(u string) string {
		u = strings.TrimPrefix(strings.TrimPrefix(strings.ToLower(u), "sips:"), "sip:")
		u, _, _ = strings.Cut(u, ";")
		return u
	}
	for _, name := range chosen {
		for _, c := range contacts[name] {
			if norm(c) == norm(target) {
				return name
			}
		}
	}
	return chosen[0]
}

// dialledQueue serves a call that dialled a queue's number: the queue
// straight away (kept in the record as a hand-off). Where the wait ends
// without an agent (leave key, overflow), an IVR is entered, a hand-off
// is made; anything else, or nothing, says goodbye and hangs up.
func (r *run) dialledQueue(id string) {
	dest := &ivr.Destination{Kind: ivr.KindQueue, Target: id}
	r.rec.Outcome = cdr.Outcome{Kind: cdr.OutcomeTransfer, Detail: dest.String()}
	err := r.tryHandOff(dest, ivr.MethodQueue, false)
	if err == nil || r.ctx.Err() != nil {
		return
	}
	next := queueNext(err)
	switch {
	case next != nil && next.Kind == ivr.KindIVR && r.snap.Config.IVRByID(next.Target) != nil:
		r.menu(r.snap.Config.IVRByID(next.Target))
		return
	case next != nil && r.snap.Config.ResolveInternal(next) != nil && r.snap.Config.ResolveInternal(next).HandsOff():
		next = r.snap.Config.ResolveInternal(next)
		r.rec.Outcome = cdr.Outcome{Kind: cdr.OutcomeTransfer, Detail: next.String()}
		if r.tryHandOff(next, ivr.TransferBridge, false) == nil || r.ctx.Err() != nil {
			return
		}
	}
	_, _ = r.say("goodbye") // the caller may hang up first
	r.endBy(EndMenuHangup, SideIVRD)
	r.c.Hangup()
}

// poke wakes w's loop unless it is already due to wake.
func poke(w *waiter) {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// queueNext is where a queue's wait said the call goes next (nil: the
// destination's overflow, or nothing).
func queueNext(err error) *ivr.Destination {
	var qe *ivr.QueueExit
	if errors.As(err, &qe) {
		return qe.Dest
	}
	return nil
}
