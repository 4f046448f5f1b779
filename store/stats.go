package store

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/ivrd/ivrd/cdr"
)

// IVRStats sums up the calls that reached one IVR in a time range.
type IVRStats struct {
	IVR      string    `json:"ivr"`
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	Calls    int       `json:"calls"`
	Answered int       `json:"answered"`
	// Keys: each key's presses and share of all presses.
	Keys []KeyShare `json:"keys"`
	// Menus: per menu entered, how many calls entered it and how many
	// callers hung up there without being handed off (abandoned).
	Menus []MenuStats `json:"menus"`
	// Transfers: per destination, hand-offs tried and succeeded.
	Transfers []TransferStats `json:"transfers"`
	// MeanMenuMs is the mean time answered calls spent in the menu: from
	// the answer to the first successful hand-off, else to the end.
	MeanMenuMs int64 `json:"mean_menu_ms"`
}

// KeyShare is one key's part of the presses.
type KeyShare struct {
	Key     string  `json:"key"`
	Presses int     `json:"presses"`
	Share   float64 `json:"share"`
}

// MenuStats is one menu's entries and abandons.
type MenuStats struct {
	Menu        string  `json:"menu"`
	Entered     int     `json:"entered"`
	Abandoned   int     `json:"abandoned"`
	AbandonRate float64 `json:"abandon_rate"`
}

// TransferStats is one destination's hand-offs.
type TransferStats struct {
	Dest        string  `json:"dest"`
	Tried       int     `json:"tried"`
	Succeeded   int     `json:"succeeded"`
	SuccessRate float64 `json:"success_rate"`
}

// statsCallLimit bounds one stats request: it reads the records of the
// range (the arithmetic is done here so it is the same on both backends).
const statsCallLimit = 200000

// Stats computes IVRStats over the records of ivr whose INVITE is in
// [from, to).
func (s *Store) Stats(ctx context.Context, ivr string, from, to time.Time) (IVRStats, error) {
	st := IVRStats{IVR: ivr, From: from.UTC(), To: to.UTC(), Keys: []KeyShare{}, Menus: []MenuStats{}, Transfers: []TransferStats{}}
	if !to.After(from) {
		return st, fmt.Errorf("the range is empty: from %s is not before to %s: %w", from.Format(time.RFC3339), to.Format(time.RFC3339), ErrBadInput)
	}
	rows, err := s.query(ctx, s.db, `SELECT `+callColumns+` FROM call_records WHERE ivr = ? AND invite_at >= ? AND invite_at < ?
		ORDER BY invite_at LIMIT `+fmt.Sprint(statsCallLimit+1), ivr, from.UnixMilli(), to.UnixMilli())
	if err != nil {
		return st, err
	}
	defer func() { _ = rows.Close() }()
	var calls []cdr.Record
	for rows.Next() {
		r, err := scanCall(rows)
		if err != nil {
			return st, err
		}
		calls = append(calls, r)
	}
	if err := rows.Err(); err != nil {
		return st, err
	}
	if len(calls) > statsCallLimit {
		return st, fmt.Errorf("more than %d calls in the range; ask for a shorter one: %w", statsCallLimit, ErrBadInput)
	}
	sum(&st, calls)
	return st, nil
}

func sum(st *IVRStats, calls []cdr.Record) {
	keys := map[string]int{}
	totalKeys := 0
	menus := map[string]*MenuStats{}
	dests := map[string]*TransferStats{}
	var menuMs, menuN int64
	for _, c := range calls {
		st.Calls++
		for _, k := range c.Keys {
			keys[k.Key]++
			totalKeys++
		}
		handedOff := false
		firstOK := int64(-1)
		for _, t := range c.Transfers {
			d := dests[t.Dest]
			if d == nil {
				d = &TransferStats{Dest: t.Dest}
				dests[t.Dest] = d
			}
			d.Tried++
			if t.Error == "" {
				d.Succeeded++
				handedOff = true
				if firstOK < 0 {
					firstOK = t.AtMs
				}
			}
		}
		path := c.Path
		seen := map[string]bool{}
		for _, m := range path {
			if seen[m] {
				continue
			}
			seen[m] = true
			ms := menus[m]
			if ms == nil {
				ms = &MenuStats{Menu: m}
				menus[m] = ms
			}
			ms.Entered++
		}
		if len(path) > 0 && !handedOff && c.EndedBy == cdr.EndedByCaller {
			menus[path[len(path)-1]].Abandoned++
		}
		if c.AnswerAt == nil {
			continue
		}
		st.Answered++
		switch {
		case firstOK >= 0:
			menuMs += firstOK
			menuN++
		case c.EndAt != nil:
			menuMs += c.EndAt.Sub(*c.AnswerAt).Milliseconds()
			menuN++
		}
	}
	for k, n := range keys {
		st.Keys = append(st.Keys, KeyShare{Key: k, Presses: n, Share: float64(n) / float64(totalKeys)})
	}
	sort.Slice(st.Keys, func(i, j int) bool { return st.Keys[i].Key < st.Keys[j].Key })
	for _, m := range menus {
		m.AbandonRate = float64(m.Abandoned) / float64(m.Entered)
		st.Menus = append(st.Menus, *m)
	}
	sort.Slice(st.Menus, func(i, j int) bool { return st.Menus[i].Menu < st.Menus[j].Menu })
	for _, d := range dests {
		d.SuccessRate = float64(d.Succeeded) / float64(d.Tried)
		st.Transfers = append(st.Transfers, *d)
	}
	sort.Slice(st.Transfers, func(i, j int) bool { return st.Transfers[i].Dest < st.Transfers[j].Dest })
	if menuN > 0 {
		st.MeanMenuMs = menuMs / menuN
	}
}
