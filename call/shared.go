package call

import (
	"context"
	"log/slog"
	"time"

	"github.com/ivrd/ivrd/store"
)

// Shared is the state that must hold for a cluster, not per node: the
// wrong-PIN count and lockout of each voicemail box (so that three nodes
// behind one proxy do not give an attacker three times the documented
// guesses), where each rotate group starts its next call (so that
// rotate is round robin across the nodes), and which queue agents are
// logged in. The store implements it
// (one row per box or group, changed atomically); without it
// (Options.Shared nil) both are kept per node in memory.
type Shared interface {
	PINLocked(ctx context.Context, box string, now time.Time) (bool, error)
	PINFailed(ctx context.Context, box string, after int, lockout time.Duration, now time.Time) error
	PINSucceeded(ctx context.Context, box string) error
	RotationTake(ctx context.Context, group string, members int) (int, error)
	// Queue agents' logins: an agent logged out through any node (the
	// API, its feature code) is logged out on every node (queues.go).
	AgentSetLoggedIn(ctx context.Context, queue, agent string, in bool, now time.Time) error
	AgentLogins(ctx context.Context) ([]store.AgentLogin, error)
}

// sharedTimeout bounds one shared-state question: a call never waits on
// a slow store for longer than a caller would notice.
const sharedTimeout = 2 * time.Second

// guard is the PIN lockout a call consults: the shared one when there is
// one, the node's own always (it is what holds when the store cannot be
// asked). A box is locked when either says so: a store outage never
// unlocks a box this node has seen attacked.
type guard struct {
	shared Shared
	local  *pinGuard
	log    *slog.Logger
}

func (g guard) locked(box string, now time.Time) bool {
	if g.local.locked(box, now) {
		return true
	}
	if g.shared == nil {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), sharedTimeout)
	defer cancel()
	locked, err := g.shared.PINLocked(ctx, box, now)
	if err != nil {
		g.log.Warn("voicemail lockout: the shared count could not be read; this node's own applies", "box", box, "err", err)
		return false
	}
	return locked
}

func (g guard) failed(box string, after int, lockout time.Duration, now time.Time) {
	g.local.failed(box, after, lockout, now)
	if g.shared == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), sharedTimeout)
	defer cancel()
	if err := g.shared.PINFailed(ctx, box, after, lockout, now); err != nil {
		g.log.Warn("voicemail lockout: a wrong PIN was not counted in the store; this node counted it", "box", box, "err", err)
	}
}

func (g guard) succeeded(box string) {
	g.local.succeeded(box)
	if g.shared == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), sharedTimeout)
	defer cancel()
	if err := g.shared.PINSucceeded(ctx, box); err != nil {
		g.log.Warn("voicemail lockout: the shared count was not reset", "box", box, "err", err)
	}
}

// rotationStart is where a rotate group's call starts: the shared
// position, or the node's own when there is none or it cannot be read.
func (h *Handler) rotationStart(group string, members int) int {
	if h.opt.Shared != nil {
		ctx, cancel := context.WithTimeout(context.Background(), sharedTimeout)
		defer cancel()
		i, err := h.opt.Shared.RotationTake(ctx, group, members)
		if err == nil {
			return i
		}
		h.log.Warn("ring group rotation: the shared position could not be read; this node's own is used", "group", group, "err", err)
	}
	return h.rotation.take(group, members)
}

// pinGuard is the lockout the voicemail check consults.
func (h *Handler) pinGuard() guard { return guard{shared: h.opt.Shared, local: &h.pins, log: h.log} }
