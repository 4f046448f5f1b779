package ivr

import (
	"regexp"
	"regexp/syntax"
)

// maxDialDigits bounds a dial-out number: 15 digits of E.164 plus an
// international prefix. Longer entries are never dialled.
const maxDialDigits = 20

// dialPattern is one dial_out allow pattern. A number passes only when the
// pattern matches it whole (as if written ^(?:...)$): an unanchored
// "1[2-9][0-9]{9}" must not let "011..." through because it contains a US
// number. Besides matching a finished number it can tell whether more
// digits could still make a match, so a menu with dial-out waits for
// digits only when they could matter.
type dialPattern struct {
	re   *regexp.Regexp
	prog *syntax.Prog
}

func compileDialPattern(expr string) (*dialPattern, error) {
	if _, err := regexp.Compile(expr); err != nil {
		return nil, err // report the user's pattern, not the wrapped one
	}
	whole := `^(?:` + expr + `)$`
	re, err := regexp.Compile(whole)
	if err != nil {
		return nil, err
	}
	parsed, err := syntax.Parse(whole, syntax.Perl)
	if err != nil {
		return nil, err
	}
	prog, err := syntax.Compile(parsed.Simplify())
	if err != nil {
		return nil, err
	}
	return &dialPattern{re: re, prog: prog}, nil
}

// allows reports whether number may be dialled out: digits only (no * or
// #, which reach PBX feature codes), not empty, not too long, and matched
// whole by the pattern.
func (d *dialPattern) allows(number string) bool {
	return isDialNumber(number) && d.re.MatchString(number)
}

func isDialNumber(s string) bool {
	if s == "" || len(s) > maxDialDigits {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// threads is the set of instructions an NFA run waits at.
type threads struct {
	prog *syntax.Prog
	seen []bool
	wait []uint32 // rune instructions, waiting for the next digit
}

func newThreads(p *syntax.Prog) *threads {
	return &threads{prog: p, seen: make([]bool, len(p.Inst))}
}

// add follows empty transitions from pc at text position pos.
func (t *threads) add(pc uint32, pos int) {
	if t.seen[pc] {
		return
	}
	t.seen[pc] = true
	in := &t.prog.Inst[pc]
	switch in.Op {
	case syntax.InstAlt, syntax.InstAltMatch:
		t.add(in.Out, pos)
		t.add(in.Arg, pos)
	case syntax.InstCapture, syntax.InstNop:
		t.add(in.Out, pos)
	case syntax.InstEmptyWidth:
		op := syntax.EmptyOp(in.Arg)
		if op&(syntax.EmptyBeginText|syntax.EmptyBeginLine) != 0 && pos != 0 {
			return
		}
		if op&(syntax.EmptyEndText|syntax.EmptyEndLine) != 0 {
			return // nothing can follow the end of the number
		}
		t.add(in.Out, pos)
	case syntax.InstRune, syntax.InstRune1, syntax.InstRuneAny, syntax.InstRuneAnyNotNL:
		t.wait = append(t.wait, pc)
	}
}

// canGrow reports whether some longer all-digit number starting with
// prefix could be allowed ("" asks whether any number can be).
func (d *dialPattern) canGrow(prefix string) bool {
	if len(prefix) >= maxDialDigits || (prefix != "" && !isDialNumber(prefix)) {
		return false
	}
	cur := newThreads(d.prog)
	cur.add(uint32(d.prog.Start), 0)
	for i := 0; i < len(prefix) && len(cur.wait) > 0; i++ {
		next := newThreads(d.prog)
		for _, pc := range cur.wait {
			if in := &d.prog.Inst[pc]; in.MatchRune(rune(prefix[i])) {
				next.add(in.Out, i+1)
			}
		}
		cur = next
	}
	for _, pc := range cur.wait {
		in := &d.prog.Inst[pc]
		for c := '0'; c <= '9'; c++ {
			if in.MatchRune(c) {
				return true
			}
		}
	}
	return false
}

// anyNumberProbes are numbers no sensible allow list passes all of:
// short codes, an international call from Europe and from the US, a
// premium-rate number, and the longest number ivrd dials.
var anyNumberProbes = []string{"0", "1", "9", "00", "011", "0044207946000", "011447911123456", "19005550100",
	"90012345678", "12345678901234567890"}

// allowsAnything reports whether the pattern passes every probe: ".*",
// "[0-9]+", "\d{1,20}" and the like, a dial-out to anywhere.
func (d *dialPattern) allowsAnything() bool {
	for _, n := range anyNumberProbes {
		if !d.allows(n) {
			return false
		}
	}
	return true
}
