package call

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/ivrd/ivrd/ivr"
)

// Queues is this node's call queues in progress: who waits in each, in
// order of arrival, and each agent's state. It is kept in memory, per
// node: a caller queued on one node is served by that node's agents'
// phones only (sharing it through the store is the cluster's work). The
// waiting calls each run their own loop (queue.go) and meet here.
type Queues struct {
	mu     sync.Mutex
	queues map[string]*queueState
	now    func() time.Time
	// shared (nil: none) holds the agents' logins for the cluster:
	// SetLoggedIn writes there, Sync reads every node's changes back.
	shared Shared
	log    *slog.Logger
}

// NewQueues makes the registry.
func NewQueues() *Queues {
	return &Queues{queues: map[string]*queueState{}, now: time.Now, log: slog.New(slog.DiscardHandler)}
}

type queueState struct {
	id      string
	waiting []*waiter // in order of arrival
	agents  map[string]*agent
	// Since the node started.
	abandoned, answered, answeredInTime uint64
	// The answered callers' rolling average wait (queuewait.go);
	// waitKnown once one was answered.
	waitAvg   time.Duration
	waitKnown bool
}

// AgentState is what an agent is doing.
type AgentState string

// The agent states.
const (
	AgentFree      AgentState = "free"
	AgentRinging   AgentState = "ringing"
	AgentBusy      AgentState = "busy"
	AgentWrapUp    AgentState = "wrap_up"
	AgentLoggedOut AgentState = "logged_out"
)

type agent struct {
	name      string
	loggedOut bool
	loginAt   time.Time // when loggedOut last changed (Sync keeps the latest)
	ringing   bool
	busy      bool
	wrapUntil time.Time
	// idleSince is when the agent was last left free: the end of its last
	// queue call (before wrap-up), or when it logged in or the queue was
	// first used on this node.
	idleSince time.Time
}

func (a *agent) state(now time.Time) AgentState {
	switch {
	case a.loggedOut:
		return AgentLoggedOut
	case a.busy:
		return AgentBusy
	case a.ringing:
		return AgentRinging
	case now.Before(a.wrapUntil):
		return AgentWrapUp
	}
	return AgentFree
}

// waiter is one call waiting in a queue.
type waiter struct {
	queue          string
	callID, caller string
	joined         time.Time
	ringing        bool          // it has agents ringing for it
	wake           chan struct{} // something changed: try again (room for one)
}

// state is the queue's state, made on first use with cfg's agents, and
// brought up to date with them (a reload may add members).
func (qs *Queues) state(cfg *ivr.Config, q *ivr.Queue) *queueState {
	st := qs.queues[q.ID]
	if st == nil {
		st = &queueState{id: q.ID, agents: map[string]*agent{}}
		qs.queues[q.ID] = st
	}
	for _, name := range cfg.QueueAgents(q) {
		if st.agents[name] == nil {
			st.agents[name] = &agent{name: name, idleSince: qs.now()}
		}
	}
	return st
}

// enqueue adds a call at the queue's end and returns it with its position
// (1 first), unless the queue is at its max_length.
func (qs *Queues) enqueue(cfg *ivr.Config, q *ivr.Queue, callID, caller string) (*waiter, int, bool) {
	qs.mu.Lock()
	defer qs.mu.Unlock()
	st := qs.state(cfg, q)
	if q.MaxLength > 0 && len(st.waiting) >= q.MaxLength {
		return nil, 0, false
	}
	w := &waiter{queue: q.ID, callID: callID, caller: caller, joined: qs.now(), wake: make(chan struct{}, 1)}
	st.waiting = append(st.waiting, w)
	return w, len(st.waiting), true
}

// position is the waiter's place in its queue (1 first; 0 gone).
func (qs *Queues) position(w *waiter) int {
	qs.mu.Lock()
	defer qs.mu.Unlock()
	if st := qs.queues[w.queue]; st != nil {
		return slices.Index(st.waiting, w) + 1
	}
	return 0
}

// leave takes a waiter out without an agent (it left, overflowed or hung
// up; abandoned counts a hang-up), and wakes the others.
func (qs *Queues) leave(w *waiter, abandoned bool) {
	qs.mu.Lock()
	defer qs.mu.Unlock()
	st := qs.queues[w.queue]
	if st == nil || !slices.Contains(st.waiting, w) {
		return
	}
	st.waiting = slices.DeleteFunc(st.waiting, func(x *waiter) bool { return x == w })
	if abandoned {
		st.abandoned++
	}
	st.wakeAll()
}

func (st *queueState) wakeAll() {
	for _, w := range st.waiting {
		select {
		case w.wake <- struct{}{}:
		default:
		}
	}
}

// candidate is an agent a strategy may choose: free now, reachable.
type candidate struct {
	name      string
	idleSince time.Time
}

// chooseAgents is a strategy's choice among the free agents, given in
// the members' order: ringall takes them all, roundrobin the first at or
// after position start in the members list (all members, free or not:
// members holds their names in order), longest_idle the one idle the
// longest (the first in members' order on a tie).
func chooseAgents(s ivr.QueueStrategy, free []candidate, members []string, start int) []string {
	if len(free) == 0 {
		return nil
	}
	switch s {
	case ivr.QueueRoundRobin:
		for i := range members {
			name := members[(start+i)%len(members)]
			if slices.ContainsFunc(free, func(c candidate) bool { return c.name == name }) {
				return []string{name}
			}
		}
		return []string{free[0].name}
	case ivr.QueueLongestIdle:
		best := free[0]
		for _, c := range free[1:] {
			if c.idleSince.Before(best.idleSince) {
				best = c
			}
		}
		return []string{best.name}
	}
	out := make([]string, len(free))
	for i, c := range free {
		out[i] = c.name
	}
	return out
}

// claim picks the agents to ring for w, if it is its turn: every call
// ahead of it already has agents ringing (calls are served in order of
// arrival). reachable is the agents with a phone to ring, in members'
// order; start is roundrobin's position. The chosen agents and w are
// marked ringing until ringEnded or answered.
func (qs *Queues) claim(q *ivr.Queue, w *waiter, reachable []string, start int) []string {
	qs.mu.Lock()
	defer qs.mu.Unlock()
	st := qs.queues[w.queue]
	if st == nil {
		return nil
	}
	for _, ahead := range st.waiting {
		if ahead == w {
			break
		}
		if !ahead.ringing {
			return nil
		}
	}
	now := qs.now()
	var free []candidate
	for _, name := range reachable {
		if a := st.agents[name]; a != nil && a.state(now) == AgentFree {
			free = append(free, candidate{name: name, idleSince: a.idleSince})
		}
	}
	chosen := chooseAgents(q.Strategy, free, reachable, start)
	for _, name := range chosen {
		st.agents[name].ringing = true
	}
	w.ringing = len(chosen) > 0
	return chosen
}

// ringEnded: nobody of agents answered w; they are free again.
func (qs *Queues) ringEnded(w *waiter, agents []string) {
	qs.mu.Lock()
	defer qs.mu.Unlock()
	st := qs.queues[w.queue]
	if st == nil {
		return
	}
	for _, name := range agents {
		if a := st.agents[name]; a != nil {
			a.ringing = false
		}
	}
	w.ringing = false
	st.wakeAll()
}

// answered: agent took w's call (the other agents rung stop ringing); w
// leaves the queue and the answer time counts against serviceLevel.
func (qs *Queues) answered(w *waiter, rung []string, agentName string, serviceLevel time.Duration) {
	qs.mu.Lock()
	defer qs.mu.Unlock()
	st := qs.queues[w.queue]
	if st == nil {
		return
	}
	for _, name := range rung {
		if a := st.agents[name]; a != nil {
			a.ringing = false
			a.busy = a.busy || name == agentName
		}
	}
	st.waiting = slices.DeleteFunc(st.waiting, func(x *waiter) bool { return x == w })
	st.answered++
	waited := qs.now().Sub(w.joined)
	if waited <= serviceLevel {
		st.answeredInTime++
	}
	st.noteWait(waited)
	st.wakeAll()
}

// callEnded: agent's queue call is over; it wraps up for wrapUp, then
// the waiting calls are woken to try it.
func (qs *Queues) callEnded(queue, agentName string, wrapUp time.Duration) {
	qs.mu.Lock()
	defer qs.mu.Unlock()
	st := qs.queues[queue]
	if st == nil {
		return
	}
	if a := st.agents[agentName]; a != nil {
		now := qs.now()
		a.busy, a.idleSince, a.wrapUntil = false, now, now.Add(wrapUp)
	}
	st.wakeAll()
	if wrapUp > 0 {
		time.AfterFunc(wrapUp, func() {
			qs.mu.Lock()
			defer qs.mu.Unlock()
			st.wakeAll()
		})
	}
}

// SetLoggedIn logs an agent of queue in or out (ErrUnknownQueue,
// ErrNotAgent). Logging in makes the agent idle from now.
func (qs *Queues) SetLoggedIn(cfg *ivr.Config, queue, agentName string, in bool) error {
	q := cfg.QueueByID(queue)
	if q == nil {
		return ErrUnknownQueue
	}
	qs.mu.Lock()
	defer qs.mu.Unlock()
	st := qs.state(cfg, q)
	a := st.agents[agentName]
	if a == nil || !slices.Contains(cfg.QueueAgents(q), agentName) {
		return ErrNotAgent
	}
	now := qs.now()
	a.setLoggedIn(in, now)
	st.wakeAll()
	if qs.shared != nil {
		// Written under the lock so that two changes reach the store in
		// the order they were made here; bounded like every shared ask.
		ctx, cancel := context.WithTimeout(context.Background(), sharedTimeout)
		defer cancel()
		if err := qs.shared.AgentSetLoggedIn(ctx, queue, agentName, in, now); err != nil {
			qs.log.Warn("queue agent login not shared with the other nodes; it holds on this one", "queue", queue, "agent", agentName, "err", err)
		}
	}
	return nil
}

func (a *agent) setLoggedIn(in bool, at time.Time) {
	if a.loggedOut && in {
		a.idleSince = at
	}
	a.loggedOut, a.loginAt = !in, at
}

// Sync applies the logins other nodes recorded since this node's own
// changes (the latest change wins); an error leaves this node's view.
func (qs *Queues) Sync(ctx context.Context, cfg *ivr.Config) error {
	if qs.shared == nil {
		return nil
	}
	logins, err := qs.shared.AgentLogins(ctx)
	if err != nil {
		return err
	}
	qs.mu.Lock()
	defer qs.mu.Unlock()
	for _, l := range logins {
		q := cfg.QueueByID(l.Queue)
		if q == nil {
			continue
		}
		st := qs.state(cfg, q)
		a := st.agents[l.Agent]
		if a == nil || !l.Changed.After(a.loginAt) || a.loggedOut == !l.LoggedIn {
			continue
		}
		a.setLoggedIn(l.LoggedIn, l.Changed)
		st.wakeAll()
	}
	return nil
}

// QueueView is a queue as the API and the metrics show it.
type QueueView struct {
	ID, Name, Number string
	Strategy         ivr.QueueStrategy
	Waiting          []QueueCaller // in order of arrival: position i+1
	Agents           []QueueAgent
	// Since the node started.
	Abandoned, Answered, AnsweredInTime uint64
	ServiceLevel                        time.Duration
	// AverageWait is the answered callers' rolling average wait, the
	// estimated wait's base (0 with WaitKnown false: nobody answered yet).
	AverageWait time.Duration
	WaitKnown   bool
}

// QueueCaller is one waiting call.
type QueueCaller struct {
	CallID, Caller string
	Position       int
	Wait           time.Duration
}

// QueueAgent is one agent.
type QueueAgent struct {
	Name      string
	State     AgentState
	IdleSince time.Time
}

// LongestWait is how long the first caller has waited (0 none).
func (v QueueView) LongestWait() time.Duration {
	if len(v.Waiting) == 0 {
		return 0
	}
	return v.Waiting[0].Wait
}

// List is cfg's queues now.
func (qs *Queues) List(cfg *ivr.Config) []QueueView {
	qs.mu.Lock()
	defer qs.mu.Unlock()
	now := qs.now()
	out := make([]QueueView, 0, len(cfg.Queues))
	for i := range cfg.Queues {
		q := &cfg.Queues[i]
		st := qs.state(cfg, q)
		v := QueueView{ID: q.ID, Name: q.Name, Number: q.Number, Strategy: q.Strategy, Waiting: []QueueCaller{}, Agents: []QueueAgent{},
			Abandoned: st.abandoned, Answered: st.answered, AnsweredInTime: st.answeredInTime, ServiceLevel: q.ServiceLevel.D(),
			AverageWait: st.waitAvg, WaitKnown: st.waitKnown}
		for j, w := range st.waiting {
			v.Waiting = append(v.Waiting, QueueCaller{CallID: w.callID, Caller: w.caller, Position: j + 1, Wait: now.Sub(w.joined)})
		}
		for _, name := range cfg.QueueAgents(q) {
			a := st.agents[name]
			v.Agents = append(v.Agents, QueueAgent{Name: name, State: a.state(now), IdleSince: a.idleSince})
		}
		out = append(out, v)
	}
	return out
}
