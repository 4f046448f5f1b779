package ivr

import (
	"sort"
	"strings"
	"time"
)

// A loop no key is needed for is the one configuration mistake that keeps
// a call going forever: a silent caller (or nobody, on a dead line)
// cycles through menus, and with nothing to play the executor would spin.
// The validator finds them on a graph of "automatic" moves, the ones a
// call makes without a key:
//
//   - entering a menu with a schedule may run the schedule's closed
//     handling (menu -> schedule), unless the schedule is always open;
//   - a schedule's closed.then, a menu's on_failure (reached by timeouts
//     alone) and the overflow of a hand-off inside them lead on to the
//     menus they name; back and top there lead to any menu they could
//     return to.
//
// Any cycle in that graph is an error. Keys and type-ahead are not in it:
// a caller who keeps pressing keys is navigating, bounded only by
// MaxMenuTime.

// autoEdge is one automatic move, written at path.
type autoEdge struct {
	to   string // node: "ivr ID", "schedule ID", or "back"/"top" of a menu
	path string
}

func ivrNode(id string) string      { return "ivr " + id }
func scheduleNode(id string) string { return "schedule " + id }

// auto walks a destination the call reaches without a key and records
// where it leads; m is the menu it belongs to (nil in closed handling).
func (v *validator) auto(from, path string, d *Destination, m *IVR) {
	for d != nil {
		if r := v.c.ResolveInternal(d); r != nil && d.Kind == KindInternal {
			d = r
		}
		switch d.Kind {
		case KindIVR:
			v.autoEdges[from] = append(v.autoEdges[from], autoEdge{ivrNode(d.Target), path})
		case KindBack, KindTop:
			if m != nil {
				v.autoEdges[from] = append(v.autoEdges[from], autoEdge{string(d.Kind) + " " + m.ID, path})
			}
		}
		if d.Overflow != nil {
			v.auto(from, path+".overflow", d.Overflow, m)
		}
		if d.Fallback != nil && (d.Kind == KindAsk || d.Kind == KindStream) {
			// A gather's fallback follows the caller's keys or silence
			// (attempts used); an ask's follows no key at all.
			v.auto(from, path+".fallback", d.Fallback, m)
		}
		if d.Kind == KindGather {
			return // what follows waits for the caller's keys, or their silence
		}
		path += ".then"
		d = d.Then
	}
}

// cycles reports each loop of automatic moves once, at the path of its
// first move.
func (v *validator) cycles() {
	succ := v.resolveAuto()
	var nodes []string
	for _, m := range v.c.IVRs {
		if m != nil && m.ID != "" {
			nodes = append(nodes, ivrNode(m.ID))
		}
	}
	for _, s := range v.c.Schedules {
		nodes = append(nodes, scheduleNode(s.ID))
	}
	const (
		white = iota
		grey
		black
	)
	colour := map[string]int{}
	reported := map[string]bool{}
	var stack []autoEdge // the moves that led to the node being visited
	var visit func(node string)
	visit = func(node string) {
		colour[node] = grey
		for _, e := range succ[node] {
			switch colour[e.to] {
			case white:
				stack = append(stack, e)
				visit(e.to)
				stack = stack[:len(stack)-1]
			case grey:
				v.reportCycle(node, e, stack, reported)
			}
		}
		colour[node] = black
	}
	for _, n := range nodes {
		if colour[n] == white {
			visit(n)
		}
	}
}

// reportCycle renders the loop that back (a move from node to a node on
// the current path) closes: the moves from that node round to node, then
// back. stack holds the moves from the search's root down to node.
func (v *validator) reportCycle(node string, back autoEdge, stack []autoEdge, reported map[string]bool) {
	j := -1 // back.to is the root unless a move on the stack entered it
	for i, e := range stack {
		if e.to == back.to {
			j = i
		}
	}
	moves := append(append([]autoEdge{}, stack[j+1:]...), back)
	// A loop through closed branches runs only while every schedule on
	// it is closed: a day menu closed into a night menu closed into the
	// day menu is fine when their hours never leave both closed.
	var scheds []*Schedule
	for _, mv := range moves {
		if id, ok := strings.CutPrefix(mv.to, "schedule "); ok {
			if s := v.c.ScheduleByID(id); s != nil {
				scheds = append(scheds, s)
			}
		}
	}
	if len(scheds) > 0 && !closedTogether(scheds) {
		return
	}
	var members []string
	var b strings.Builder
	b.WriteString(back.to)
	for _, mv := range moves {
		members = append(members, mv.to)
		b.WriteString(" -> " + mv.path + " -> " + mv.to)
	}
	sort.Strings(members)
	key := strings.Join(members, ",")
	if reported[key] {
		return
	}
	reported[key] = true
	v.errf(moves[0].path, "a call loops here forever without a key (%s): end the loop with a hand-off, voicemail or hangup", b.String())
}

// resolveAuto turns the recorded moves into a graph over menus and
// schedules: a menu's schedule edge only when the schedule can be closed,
// back to every menu that leads to this one, top to every dialled menu.
func (v *validator) resolveAuto() map[string][]autoEdge {
	succ := map[string][]autoEdge{}
	for _, m := range v.c.IVRs {
		if m == nil || m.Schedule == "" {
			continue
		}
		if s := v.c.ScheduleByID(m.Schedule); s != nil && (len(s.Open) > 0 || len(s.Holidays) > 0) {
			n := ivrNode(m.ID)
			succ[n] = append(succ[n], autoEdge{scheduleNode(s.ID), "ivrs[" + m.ID + "].schedule"})
		}
	}
	for from, edges := range v.autoEdges {
		for _, e := range edges {
			kind, id, _ := strings.Cut(e.to, " ")
			switch kind {
			case "back":
				for _, p := range v.c.IVRs {
					if p != nil && p.ID != id && contains(v.edges[p.ID], id) {
						succ[from] = append(succ[from], autoEdge{ivrNode(p.ID), e.path})
					}
				}
			case "top":
				for _, p := range v.c.IVRs {
					if p != nil && len(p.Extensions) > 0 {
						succ[from] = append(succ[from], autoEdge{ivrNode(p.ID), e.path})
					}
				}
			default:
				succ[from] = append(succ[from], e)
			}
		}
	}
	return succ
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// closedTogether reports whether there is a time when every schedule is
// closed. Holidays can fall on any day, so a schedule with holidays
// counts as closed at any time; weekly hours are sampled minute by minute
// over a winter and a summer week (daylight saving time moves them
// against each other).
func closedTogether(scheds []*Schedule) bool {
	type hours struct {
		loc    *time.Location
		ranges []openRange
	}
	var weekly []hours
	for _, s := range scheds {
		if len(s.Holidays) > 0 {
			continue // closed on a holiday, whatever the others do then
		}
		if len(s.Open) == 0 {
			return false // always open
		}
		loc, err := location(s.Timezone)
		if err != nil {
			loc = time.UTC
		}
		h := hours{loc: loc}
		for _, spec := range s.Open {
			if r, err := parseOpen(spec); err == nil {
				h.ranges = append(h.ranges, r)
			}
		}
		weekly = append(weekly, h)
	}
	for _, week := range []time.Time{time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC), time.Date(2026, 7, 6, 0, 0, 0, 0, time.UTC)} {
		for m := 0; m < 7*24*60; m++ {
			t := week.Add(time.Duration(m) * time.Minute)
			closed := true
			for _, h := range weekly {
				local := t.In(h.loc)
				for _, r := range h.ranges {
					if r.contains(local) {
						closed = false
						break
					}
				}
				if !closed {
					break
				}
			}
			if closed {
				return true
			}
		}
	}
	return false
}
