package asterisk

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Dialplan is the contexts of one file, in the order they appear.
type Dialplan struct {
	Contexts []*Context
}

// Context is one [name] section.
type Context struct {
	Name  string
	Line  int
	Exts  []*Extension // in order of first appearance
	Other []Line       // include =>, switch =>, ignorepat => ...: kept for the notes
}

// Extension is one extension's priorities, in order.
type Extension struct {
	Name  string
	Steps []Step
}

// Step is one priority: App(Args) with an optional label.
type Step struct {
	Priority int
	Label    string
	App      string // as written; compare with strings.EqualFold
	Args     []string
	Line     int
	Text     string // the line as written, for notes
}

// Line is a line kept as written.
type Line struct {
	N    int
	Text string
}

// maxLines bounds what Parse reads: a dialplan file is text an operator
// wrote, not an unbounded stream.
const maxLines = 100000

// Context returns the context named name, or nil.
func (d *Dialplan) Context(name string) *Context {
	for _, c := range d.Contexts {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// Ext returns the extension named name, or nil.
func (c *Context) Ext(name string) *Extension {
	for _, e := range c.Exts {
		if e.Name == name {
			return e
		}
	}
	return nil
}

// Label returns the index of the step with that label or priority
// number, or -1.
func (e *Extension) Label(l string) int {
	if n, err := strconv.Atoi(l); err == nil {
		for i, s := range e.Steps {
			if s.Priority == n {
				return i
			}
		}
		return -1
	}
	for i, s := range e.Steps {
		if strings.EqualFold(s.Label, l) {
			return i
		}
	}
	return -1
}

// ParseError names the line Parse could not read.
type ParseError struct {
	Line int
	Text string
	Msg  string
}

func (e *ParseError) Error() string { return fmt.Sprintf("line %d: %s: %q", e.Line, e.Msg, e.Text) }

// Parse reads a dialplan.
func Parse(r io.Reader) (*Dialplan, error) {
	d := &Dialplan{}
	var cur *Context
	var last *Extension // the extension `same` continues
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 64<<10)
	n := 0
	for sc.Scan() {
		n++
		if n > maxLines {
			return nil, fmt.Errorf("more than %d lines: not a dialplan file", maxLines)
		}
		raw := sc.Text()
		text := strings.TrimSpace(stripComment(raw))
		if text == "" {
			continue
		}
		if strings.HasPrefix(text, "[") {
			end := strings.Index(text, "]")
			if end < 2 {
				return nil, &ParseError{n, raw, "a context name is [name]"}
			}
			cur = &Context{Name: strings.TrimSpace(text[1:end]), Line: n}
			d.Contexts = append(d.Contexts, cur)
			last = nil
			continue
		}
		key, value, ok := cutAssign(text)
		if !ok {
			return nil, &ParseError{n, raw, "want exten => ..., same => ... or a [context]"}
		}
		if cur == nil {
			return nil, &ParseError{n, raw, "a line before any [context]"}
		}
		switch strings.ToLower(key) {
		case "exten":
			name, rest, ok := strings.Cut(value, ",")
			if !ok {
				return nil, &ParseError{n, raw, "exten => NAME,PRIORITY,App(...)"}
			}
			name = strings.TrimSpace(name)
			if i := strings.Index(name, "/"); i >= 0 { // caller-id match: not modelled
				name = name[:i]
			}
			e := cur.Ext(name)
			if e == nil {
				e = &Extension{Name: name}
				cur.Exts = append(cur.Exts, e)
			}
			if err := addStep(e, rest, n, raw); err != nil {
				return nil, err
			}
			last = e
		case "same":
			if last == nil {
				return nil, &ParseError{n, raw, "same => with no exten before it in this context"}
			}
			if err := addStep(last, value, n, raw); err != nil {
				return nil, err
			}
		default:
			cur.Other = append(cur.Other, Line{n, strings.TrimSpace(raw)})
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("line %d: %w", n+1, err)
	}
	return d, nil
}

// stripComment drops a ; comment (\; is a literal semicolon).
func stripComment(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			i++
			continue
		}
		if s[i] == ';' {
			return s[:i]
		}
	}
	return s
}

// cutAssign splits "key => value" or "key = value".
func cutAssign(s string) (key, value string, ok bool) {
	i := strings.Index(s, "=")
	if i <= 0 {
		return "", "", false
	}
	key = strings.TrimSpace(s[:i])
	value = strings.TrimPrefix(s[i+1:], ">")
	return key, strings.TrimSpace(value), key != ""
}

// addStep reads "PRIORITY[(label)],App(args)".
func addStep(e *Extension, s string, n int, raw string) error {
	prio, app, ok := strings.Cut(s, ",")
	if !ok {
		return &ParseError{n, raw, "want PRIORITY,App(...)"}
	}
	prio = strings.TrimSpace(prio)
	label := ""
	if i := strings.Index(prio, "("); i >= 0 && strings.HasSuffix(prio, ")") {
		prio, label = prio[:i], prio[i+1:len(prio)-1]
	}
	step := Step{Label: label, Line: n, Text: strings.TrimSpace(raw)}
	switch prio {
	case "n":
		step.Priority = 1
		if len(e.Steps) > 0 {
			step.Priority = e.Steps[len(e.Steps)-1].Priority + 1
		}
	case "s", "hint":
		return nil // hints are for presence, not calls
	default:
		p, err := strconv.Atoi(prio)
		if err != nil || p < 1 {
			return &ParseError{n, raw, "the priority is a number from 1, or n"}
		}
		step.Priority = p
	}
	name, args, err := splitApp(strings.TrimSpace(app))
	if err != nil {
		return &ParseError{n, raw, err.Error()}
	}
	step.App, step.Args = name, args
	e.Steps = append(e.Steps, step)
	return nil
}

// splitApp reads App(a,b,c): commas inside (), [] or quotes do not split.
func splitApp(s string) (string, []string, error) {
	open := strings.Index(s, "(")
	if open < 0 {
		if s == "" || strings.ContainsAny(s, " ,)") {
			return "", nil, fmt.Errorf("want App(arguments)")
		}
		return s, nil, nil
	}
	if !strings.HasSuffix(s, ")") {
		return "", nil, fmt.Errorf("the application's ( is not closed")
	}
	name := strings.TrimSpace(s[:open])
	body := s[open+1 : len(s)-1]
	var args []string
	depth, quoted, start := 0, false, 0
	for i := 0; i < len(body); i++ {
		switch c := body[i]; {
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '(' || c == '[' || c == '{':
			depth++
		case c == ')' || c == ']' || c == '}':
			depth--
			if depth < 0 {
				return "", nil, fmt.Errorf("unbalanced brackets")
			}
		case c == ',' && depth == 0:
			args = append(args, strings.TrimSpace(body[start:i]))
			start = i + 1
		}
	}
	if depth != 0 || quoted {
		return "", nil, fmt.Errorf("unbalanced brackets or quotes")
	}
	if body != "" || len(args) > 0 {
		args = append(args, strings.TrimSpace(body[start:]))
	}
	if name == "" {
		return "", nil, fmt.Errorf("no application name")
	}
	return name, args, nil
}
