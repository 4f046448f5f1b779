package call

import (
	"context"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/media"
	"github.com/ivrd/ivrd/sip"
)

// State is what a live call is doing.
type State string

// The states a live call shows.
const (
	StateMenu         State = "menu"         // in the menu (prompts, keys)
	StateTransferring State = "transferring" // a REFER or a bridge being set up
	StateBridged      State = "bridged"      // bridged to a far end
	StateVoicemail    State = "voicemail"    // recording a message
	StateConference   State = "conference"   // in a conference room
	StateQueued       State = "queued"       // waiting in a call queue
)

// LiveCall is one call in progress as an operator sees it (a snapshot).
type LiveCall struct {
	CallID   string
	From, To string
	Trunk    string
	IVR      string
	Menu     string // the menu the call is in now
	State    State
	Answered time.Time
	Codec    string
	Media    media.Stats
}

// Live is the registry of calls in progress. The call's goroutine is the
// only writer of its entry's menu and state; readers take a copy. Requests
// that change a call (transfer) go into the call's own event loop, and a
// hang-up only sends BYE and marks the reason, so no other goroutine ever
// touches a call's run state.
type Live struct {
	mu    sync.Mutex
	calls map[string]*liveEntry
}

// NewLive makes an empty registry.
func NewLive() *Live { return &Live{calls: map[string]*liveEntry{}} }

// liveEntry is the registry's handle on one running call.
type liveEntry struct {
	c        *sip.Call
	from, to string
	trunk    string
	answered time.Time
	requests chan liveRequest // into the menu loop; read only while in the menu
	operator atomic.Bool      // hung up through the API: the record says so
	streams  callStreams      // media streams tapping the call (stream.go)

	mu    sync.Mutex // guards what the call's goroutine updates
	ivr   string
	menu  string
	state State
}

// liveRequest is an operator's transfer, carried into the menu loop; the
// loop answers on done.
type liveRequest struct {
	dest   *ivr.Destination
	method ivr.TransferMethod
	done   chan error
}

func (g *Live) add(e *liveEntry) {
	g.mu.Lock()
	g.calls[e.c.ID] = e
	g.mu.Unlock()
}

func (g *Live) remove(id string) {
	g.mu.Lock()
	delete(g.calls, id)
	g.mu.Unlock()
}

func (g *Live) get(id string) *liveEntry {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.calls[id]
}

// Len is the number of calls in progress.
func (g *Live) Len() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.calls)
}

// List returns every call in progress, oldest first.
func (g *Live) List() []LiveCall {
	g.mu.Lock()
	entries := make([]*liveEntry, 0, len(g.calls))
	for _, e := range g.calls {
		entries = append(entries, e)
	}
	g.mu.Unlock()
	out := make([]LiveCall, 0, len(entries))
	for _, e := range entries {
		out = append(out, e.view())
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Answered.Equal(out[j].Answered) {
			return out[i].Answered.Before(out[j].Answered)
		}
		return out[i].CallID < out[j].CallID
	})
	return out
}

// Get returns one call in progress.
func (g *Live) Get(id string) (LiveCall, bool) {
	e := g.get(id)
	if e == nil {
		return LiveCall{}, false
	}
	return e.view(), true
}

func (e *liveEntry) view() LiveCall {
	e.mu.Lock()
	v := LiveCall{CallID: e.c.ID, From: e.from, To: e.to, Trunk: e.trunk, IVR: e.ivr, Menu: e.menu, State: e.state, Answered: e.answered}
	e.mu.Unlock()
	v.Codec = e.c.Negotiated().Codec.String()
	v.Media = e.c.Media.Stats()
	return v
}

func (e *liveEntry) set(menu string, state State) {
	e.mu.Lock()
	if menu != "" {
		e.menu = menu
	}
	if state != "" {
		e.state = state
	}
	e.mu.Unlock()
}

func (e *liveEntry) currentState() State {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.state
}

// Hangup ends a call in progress with BYE; its record says "operator hung
// up", ended by ivrd. It returns once the BYE is answered (or given up).
func (g *Live) Hangup(id string) error {
	e := g.get(id)
	if e == nil {
		return ErrNoSuchCall
	}
	e.operator.Store(true)
	e.c.Hangup()
	return nil
}

// Transfer asks a call in its menu to hand itself to dest, as the menu
// would for a key; it waits for the hand-off's outcome (nil: the call left
// the menu). Only a call in the menu can be moved: one already handed off
// gets ErrNotInMenu.
func (g *Live) Transfer(ctx context.Context, id string, dest *ivr.Destination, method ivr.TransferMethod) error {
	e := g.get(id)
	if e == nil {
		return ErrNoSuchCall
	}
	if e.currentState() != StateMenu {
		return ErrNotInMenu
	}
	req := liveRequest{dest: dest, method: method, done: make(chan error, 1)}
	select {
	case e.requests <- req:
	case <-e.c.Context().Done():
		return ErrNoSuchCall
	case <-ctx.Done():
		return ctx.Err()
	default:
		return ErrNotInMenu // another request waits already
	}
	select {
	case err := <-req.done:
		return err
	case <-e.c.Context().Done():
		// The call ended while the request waited or the hand-off ran:
		// a REFER accepted or a bridge over ends it too.
		select {
		case err := <-req.done:
			return err
		case <-time.After(time.Second):
			return ErrNoSuchCall
		}
	case <-ctx.Done():
		return ctx.Err()
	}
}
