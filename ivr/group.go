package ivr

import (
	"fmt"
	"strings"
	"time"
)

// Strategy is how a ring group rings its members.
type Strategy string

// The strategies.
const (
	// StrategyRingAll rings every member at once; the first to answer
	// wins and the others are cancelled.
	StrategyRingAll Strategy = "ringall"
	// StrategySequential rings the members one after the other, each for
	// member_timeout, in the order written.
	StrategySequential Strategy = "sequential"
	// StrategyRotate is sequential starting, call after call, one member
	// further along (round robin; the position is kept per node).
	StrategyRotate Strategy = "rotate"
)

// Group defaults.
const (
	DefaultGroupTimeout  = 60 * time.Second
	DefaultMemberTimeout = 15 * time.Second
	DefaultStrategy      = StrategyRingAll
)

// Group (ivrd addition) is a ring group: a destination ({group: ID}) that
// rings several extensions and SIP URIs and bridges the caller to the
// first that answers. Groups are always bridged (REFER cannot fork).
type Group struct {
	ID   string `yaml:"id"`
	Name string `yaml:"name"`
	// Number (optional) is the group's internal number: an internal
	// destination of that number rings the group.
	Number string `yaml:"number"`
	// Members are extension numbers (their registered phones, or static
	// contact) and SIP URIs ("sip:...").
	Members  []string `yaml:"members"`
	Strategy Strategy `yaml:"strategy"`
	// Timeout bounds the whole attempt; then the destination's overflow
	// runs.
	Timeout Duration `yaml:"timeout"`
	// MemberTimeout is how long each member rings in sequential and
	// rotate.
	MemberTimeout Duration `yaml:"member_timeout"`
	// Announce, when set, is played to the member who answers before the
	// caller is connected ("a call from the sales line").
	Announce string `yaml:"announce"`
}

// GroupByID finds a ring group.
func (c *Config) GroupByID(id string) *Group {
	for i := range c.Groups {
		if c.Groups[i].ID == id {
			return &c.Groups[i]
		}
	}
	return nil
}

// IsURIMember tells a SIP URI member from an extension number.
func IsURIMember(m string) bool {
	l := strings.ToLower(m)
	return strings.HasPrefix(l, "sip:") || strings.HasPrefix(l, "sips:")
}

func (c *Config) groupDefaults() {
	for i := range c.Groups {
		g := &c.Groups[i]
		if g.Strategy == "" {
			g.Strategy = DefaultStrategy
		}
		if g.Timeout == 0 {
			g.Timeout = Duration(DefaultGroupTimeout)
		}
		if g.MemberTimeout == 0 {
			g.MemberTimeout = Duration(DefaultMemberTimeout)
		}
		if g.Name == "" {
			g.Name = g.ID
		}
	}
}

func (v *validator) groups() {
	seen := map[string]bool{}
	for i, g := range v.c.Groups {
		path := fmt.Sprintf("groups[%s]", nameOr(g.ID, i))
		switch {
		case g.ID == "":
			v.errf(path, "id is required")
		case seen[g.ID]:
			v.errf(path, "duplicate group id %q", g.ID)
		case !dialledName(g.ID):
			v.errf(path, "id %q: want letters, digits, + * # . - _", g.ID)
		}
		seen[g.ID] = true
		if g.Number != "" && !isDialNumber(g.Number) {
			v.errf(path+".number", "number %q must be digits", g.Number)
		}
		if len(g.Members) == 0 {
			v.errf(path+".members", "a group needs at least one member (an extension number or a sip: URI)")
		}
		dup := map[string]bool{}
		for j, m := range g.Members {
			mp := fmt.Sprintf("%s.members[%d]", path, j)
			if dup[m] {
				v.errf(mp, "%q is listed twice", m)
			}
			dup[m] = true
			if IsURIMember(m) {
				if why := sipURIProblem(m); why != "" {
					v.errf(mp, "bad SIP URI %q: %s", m, why)
				}
			} else if v.c.ExtensionByNumber(m) == nil {
				v.errf(mp, "unknown extension %q (a member is an extension number or a sip: URI)", m)
			}
		}
		switch g.Strategy {
		case StrategyRingAll, StrategySequential, StrategyRotate:
		default:
			v.errf(path+".strategy", "%q: want ringall, sequential or rotate", g.Strategy)
		}
		if d := g.Timeout.D(); d < time.Second || d > 600*time.Second {
			v.errf(path+".timeout", "%v is out of range 1s-600s", d)
		}
		if d := g.MemberTimeout.D(); d < time.Second || d > 300*time.Second {
			v.errf(path+".member_timeout", "%v is out of range 1s-300s", d)
		} else if g.Strategy != StrategyRingAll && d > g.Timeout.D() {
			v.warnf(path+".member_timeout", "%v is longer than the group's timeout (%v): only the first member rings", d, g.Timeout.D())
		}
		v.prompt(path+".announce", g.Announce)
	}
}

// groupDest: a group destination's own timeouts and bridging make these
// fields meaningless, so writing them is a mistake.
func (v *validator) groupDest(path string, d *Destination) {
	if d.Transfer != "" {
		v.errf(path+".transfer", "transfer does not apply to a group: groups are always bridged")
	}
	if d.RingTimeout != 0 {
		v.errf(path+".ring_timeout", "ring_timeout does not apply to a group: set the group's timeout and member_timeout")
	}
}

// groupDetail says, for a simulation trace, how a group destination
// rings: "ringall 201,202 timeout 1m0s" ("" for other destinations).
func (c *Config) groupDetail(d *Destination) string {
	if d == nil || d.Kind != KindGroup {
		return ""
	}
	g := c.GroupByID(d.Target)
	if g == nil {
		return "unknown group"
	}
	s := fmt.Sprintf("%s %s timeout %v", g.Strategy, strings.Join(g.Members, ","), g.Timeout.D())
	if g.Strategy != StrategyRingAll {
		s += fmt.Sprintf(" member_timeout %v", g.MemberTimeout.D())
	}
	return s
}
