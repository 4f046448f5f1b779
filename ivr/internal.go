package ivr

import (
	"fmt"
	"slices"
	"strings"
)

// KindInternal (ivrd addition, ConnexCS's "Internal") is an internal
// number: whatever owns it in the one numbering plan, an extension, a
// ring group (its number), a conference room or a queue (its number) or an IVR (one of its extensions), resolved
// when the call reaches it, so that renumbering the owner needs no edit
// here. Validate refuses a number owned twice.
const KindInternal Kind = "internal"

// NumberOwner is what owns an internal number.
type NumberOwner struct {
	Kind Kind   // KindExtension, KindGroup, KindConference or KindIVR
	ID   string // the extension's number, the group's or the IVR's id
	Path string // where the configuration gives it the number
}

func (o NumberOwner) String() string { return string(o.Kind) + " " + o.ID }

// NumberOwners lists what owns each internal number, in configuration
// order: more than one owner is an error Validate reports.
func (c *Config) NumberOwners() map[string][]NumberOwner {
	out := map[string][]NumberOwner{}
	for i, x := range c.Extensions {
		if x.Number != "" {
			out[x.Number] = append(out[x.Number], NumberOwner{KindExtension, x.Number, fmt.Sprintf("extensions[%d].number", i)})
		}
	}
	for _, g := range c.Groups {
		if g.Number != "" {
			out[g.Number] = append(out[g.Number], NumberOwner{KindGroup, g.ID, fmt.Sprintf("groups[%s].number", g.ID)})
		}
	}
	for _, r := range c.Conferences {
		if r.Number != "" {
			out[r.Number] = append(out[r.Number], NumberOwner{KindConference, r.ID, fmt.Sprintf("conferences[%s].number", r.ID)})
		}
	}
	for _, q := range c.Queues {
		if q.Number != "" {
			out[q.Number] = append(out[q.Number], NumberOwner{KindQueue, q.ID, fmt.Sprintf("queues[%s].number", q.ID)})
		}
	}
	for _, m := range c.IVRs {
		if m == nil {
			continue
		}
		for i, n := range m.Extensions {
			out[n] = append(out[n], NumberOwner{KindIVR, m.ID, fmt.Sprintf("ivrs[%s].extensions[%d]", m.ID, i)})
		}
	}
	return out
}

// ResolveInternal is d with an internal number replaced by the
// destination of its owner (hand-off settings kept); any other
// destination is returned as it is, and nil when nothing owns the
// number.
func (c *Config) ResolveInternal(d *Destination) *Destination {
	if d == nil || d.Kind != KindInternal {
		return d
	}
	owners := c.NumberOwners()[d.Target]
	if len(owners) == 0 {
		return nil
	}
	r := *d
	r.Kind, r.Target = owners[0].Kind, owners[0].ID
	return &r
}

// numbering reports numbers owned twice, at the second owner's place.
func (v *validator) numbering() {
	owners := v.c.NumberOwners()
	nums := make([]string, 0, len(owners))
	for n := range owners {
		nums = append(nums, n)
	}
	slices.Sort(nums)
	for _, n := range nums {
		o := owners[n]
		// Two owners of one kind (two extensions, two IVRs with the same
		// number) are reported by that kind's own check.
		if len(o) < 2 || !slices.ContainsFunc(o[1:], func(x NumberOwner) bool { return x.Kind != o[0].Kind }) {
			continue
		}
		names := make([]string, len(o))
		for i, x := range o {
			names[i] = x.String()
		}
		second := slices.IndexFunc(o, func(x NumberOwner) bool { return x.Kind != o[0].Kind })
		v.errf(o[second].Path, "number %q is owned twice (%s): an internal number has one owner", n, strings.Join(names, ", "))
	}
}

// internalDest checks an internal destination and the one it resolves
// to, at the same path.
func (v *validator) internalDest(path string, d *Destination, m *IVR) {
	if !isDialNumber(d.Target) {
		v.errf(path, "internal number %q must be digits", d.Target)
		return
	}
	r := v.c.ResolveInternal(d)
	if r == nil {
		v.errf(path, "internal number %q: no extension, group, conference, queue or ivr has it", d.Target)
		return
	}
	v.dest(path, r, m)
}
