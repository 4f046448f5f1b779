package call

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/sip"
)

// rotation is where each rotate group starts its next call: kept per
// node (per Handler), as Asterisk's rrmemory keeps it per server.
type rotation struct {
	mu   sync.Mutex
	next map[string]int
}

// take returns the member index this call starts from and moves the
// group's position on by one.
func (ro *rotation) take(group string, members int) int {
	ro.mu.Lock()
	defer ro.mu.Unlock()
	if ro.next == nil {
		ro.next = map[string]int{}
	}
	i := ro.next[group] % members
	ro.next[group] = (i + 1) % members
	return i
}

// member is one ring group member resolved to what can be called now.
type member struct {
	name     string   // as written: extension number or URI
	contacts []string // an extension's registered contacts, or the URI
}

// groupMembers resolves the members; extensions with no registered
// phone (and no static contact) are skipped, as the issue asks.
func (r *run) groupMembers(g *ivr.Group) []member {
	cfg := r.snap.Config
	var out []member
	for _, m := range g.Members {
		if ivr.IsURIMember(m) {
			out = append(out, member{name: m, contacts: []string{m}})
			continue
		}
		x := cfg.ExtensionByNumber(m)
		if x == nil {
			continue // validate refuses this; a call carries on without it
		}
		contacts := r.c.Server().Contacts(x.Number)
		if len(contacts) == 0 && x.Contact != "" {
			contacts = []string{x.Contact}
		}
		if len(contacts) == 0 {
			r.log.Info("group member skipped: not registered", "group", g.ID, "member", m)
			continue
		}
		out = append(out, member{name: m, contacts: contacts})
	}
	return out
}

// ringGroup rings a group by its strategy within its timeout and bridges
// the caller to the member who answers. An error means nobody answered
// (the destination's overflow follows); nil, that the bridge ran to its
// end.
func (r *run) ringGroup(id string) error {
	g := r.snap.Config.GroupByID(id)
	if g == nil {
		return fmt.Errorf("%w %q", ErrUnknownGroup, id)
	}
	members := r.groupMembers(g)
	if len(members) == 0 {
		return fmt.Errorf("%w: group %s", ErrNoMember, g.ID)
	}
	out := sip.Outbound{Ringback: ringback}
	if g.Announce != "" {
		if p, ok := r.snap.Prompts.Get(g.Announce); ok {
			out.Announce = p
		}
	}
	ctx, cancel := context.WithTimeout(r.ctx, g.Timeout.D())
	defer cancel()
	if g.Strategy == ivr.StrategyRingAll {
		for _, m := range members {
			out.Fork = append(out.Fork, m.contacts...)
		}
		out.URI, out.RingTimeout = out.Fork[0], g.Timeout.D()
		return r.groupBridge(ctx, out)
	}
	start := 0
	if g.Strategy == ivr.StrategyRotate {
		start = r.h.rotationStart(g.ID, len(members))
	}
	var last error
	for i := range members {
		m := members[(start+i)%len(members)]
		left := time.Until(deadlineOf(ctx))
		if left <= 0 {
			break
		}
		one := out
		one.Fork, one.URI, one.RingTimeout = m.contacts, m.contacts[0], min(g.MemberTimeout.D(), left)
		r.log.Info("group ringing member", "group", g.ID, "member", m.name)
		err := r.groupBridge(ctx, one)
		if err == nil || r.ctx.Err() != nil {
			return err
		}
		last = err
	}
	if last == nil || ctx.Err() != nil {
		last = fmt.Errorf("%w: group %s after %v", ErrGroupNoAnswer, g.ID, g.Timeout.D())
	}
	return last
}

// groupBridge places one attempt; a timeout of the group's context is
// "no answer", whatever the leg reports.
func (r *run) groupBridge(ctx context.Context, out sip.Outbound) error {
	b, err := r.c.Bridge(ctx, out)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) && r.ctx.Err() == nil {
			return fmt.Errorf("%w: %w", ErrGroupNoAnswer, err)
		}
		return err
	}
	return r.waitBridge(b)
}

func deadlineOf(ctx context.Context) time.Time {
	d, _ := ctx.Deadline()
	return d
}
