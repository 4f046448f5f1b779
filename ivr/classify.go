package ivr

import "strings"

// How a menu entry is judged: a key, an extension (direct_dial) or an
// allowed dial-out number, decided as soon as no further digit could
// change it (doc.go).

// classify decides an entry as soon as no further digit could change it.
func (e *Executor) classify(entry string) (*Destination, bool) {
	m := e.cur
	exact, longer := e.extensionMatch(entry)
	more := longer || e.dialOutMayGrow(entry)
	if len(entry) == 1 {
		if d := m.Keys[entry]; d != nil && !more && !exact {
			return d, true
		}
		if more {
			return nil, false
		}
		return e.final(entry), true
	}
	if exact && !more {
		return e.extensionDest(entry), true
	}
	if more {
		return nil, false
	}
	return e.final(entry), true
}

// final decides an entry that can grow no more (terminator, digit timeout
// or nothing longer possible). nil means invalid.
func (e *Executor) final(entry string) *Destination {
	m := e.cur
	exact, _ := e.extensionMatch(entry)
	if len(entry) == 1 {
		if d := m.Keys[entry]; d != nil {
			return d
		}
	}
	if exact {
		return e.extensionDest(entry)
	}
	if m.DialOut != nil && e.dialOutAllowed(entry) {
		return &Destination{Kind: KindExternal, Target: entry, Trunk: m.DialOut.Trunk}
	}
	if len(entry) == 1 && isKey(entry[0]) {
		if d := m.Keys["default"]; d != nil {
			return d
		}
	}
	return nil
}

func (e *Executor) extensionMatch(entry string) (exact, longer bool) {
	if !e.cur.DirectDial {
		return false, false
	}
	for _, x := range e.cfg.Extensions {
		if x.Number == entry {
			exact = true
		} else if strings.HasPrefix(x.Number, entry) {
			longer = true
		}
	}
	return exact, longer
}

func (e *Executor) extensionDest(n string) *Destination {
	return &Destination{Kind: KindExtension, Target: n}
}

// dialOutMayGrow: with dial_out on, could more digits make an allowed
// number?
func (e *Executor) dialOutMayGrow(entry string) bool {
	if e.cur.DialOut == nil {
		return false
	}
	for _, p := range e.patterns() {
		if p.canGrow(entry) {
			return true
		}
	}
	return false
}

// dialOutAllowed is the toll-fraud guard: only an all-digit number that
// an allow pattern matches whole goes out (see dialPattern).
func (e *Executor) dialOutAllowed(number string) bool {
	if e.cur.DialOut == nil {
		return false
	}
	for _, p := range e.patterns() {
		if p.allows(number) {
			return true
		}
	}
	return false
}

func (e *Executor) patterns() []*dialPattern {
	ps, ok := e.allow[e.cur]
	if !ok {
		for _, expr := range e.cur.DialOut.Allow {
			if p, err := compileDialPattern(expr); err == nil {
				ps = append(ps, p)
			}
		}
		e.allow[e.cur] = ps
	}
	return ps
}
