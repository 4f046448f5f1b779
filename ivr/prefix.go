package ivr

import (
	"regexp"
	"regexp/syntax"
)

// dialPattern is one dial_out allow pattern. Besides matching a finished
// number it can tell whether more digits could still make a match, so a
// menu with dial-out waits for digits only when they could matter.
type dialPattern struct {
	re   *regexp.Regexp
	prog *syntax.Prog
}

func compileDialPattern(expr string) (*dialPattern, error) {
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, err
	}
	parsed, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil, err
	}
	prog, err := syntax.Compile(parsed.Simplify())
	if err != nil {
		return nil, err
	}
	return &dialPattern{re: re, prog: prog}, nil
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

// canGrow reports whether some longer number starting with prefix could
// match (as regexp matching does: unanchored patterns match anywhere).
func (d *dialPattern) canGrow(prefix string) bool {
	cur := newThreads(d.prog)
	cur.add(uint32(d.prog.Start), 0)
	for i := 0; i < len(prefix); i++ {
		next := newThreads(d.prog)
		for _, pc := range cur.wait {
			if in := &d.prog.Inst[pc]; in.MatchRune(rune(prefix[i])) {
				next.add(in.Out, i+1)
			}
		}
		next.add(uint32(d.prog.Start), i+1)
		cur = next
	}
	for _, pc := range cur.wait {
		in := &d.prog.Inst[pc]
		for _, c := range "0123456789*#+" {
			if in.MatchRune(c) {
				return true
			}
		}
	}
	return false
}
