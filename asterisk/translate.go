package asterisk

import (
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"
)

// Options say what Translate cannot read from the dialplan.
type Options struct {
	// PBX is the host internal numbers are reached at (the Asterisk or
	// Wazo the dialplan ran on): a Goto or Dial to number N becomes the
	// extension N with contact sip:N@PBX.
	PBX string
	// PromptsDir is written as prompts_dir: where the dialplan's sound
	// files (named by their base name) are.
	PromptsDir string
}

// maxFollow bounds how many Gotos a key is followed through.
const maxFollow = 8

// menuCtx is one IVR context being translated.
type menuCtx struct {
	d     *Dialplan
	c     *Context
	menu  *Menu
	vars  map[string]string
	loop  int    // index in s of the loop's first step (where Goto(s,label) returns)
	label string // its label
	out   *Config
	known map[string]bool // extensions already listed
	pbx   string
}

// Translate turns every IVR context of d (one whose s extension plays a
// Background or waits in WaitExten) into an ivrd menu.
func Translate(d *Dialplan, opts Options) *Config {
	if opts.PBX == "" {
		opts.PBX = "pbx.invalid"
	}
	out := &Config{PromptsDir: opts.PromptsDir}
	known := map[string]bool{}
	vars := channelVars(d)
	var menus []*menuCtx
	for _, c := range d.Contexts {
		if !isIVR(c) {
			continue
		}
		m := &menuCtx{d: d, c: c, menu: &Menu{ID: c.Name, Keys: map[string]*Dest{}}, vars: vars, loop: -1, out: out,
			known: known, pbx: opts.PBX}
		menus = append(menus, m)
		out.IVRs = append(out.IVRs, m.menu)
	}
	for _, m := range menus {
		m.translate()
	}
	for _, c := range d.Contexts {
		for _, e := range c.Exts {
			// A number in another, non-IVR context that only jumps into
			// an IVR is how callers reach it (xivo-extrafeatures' 8899);
			// inside an IVR context, a number is a key.
			if target := entryTo(e); target != "" && isNumber(e.Name) && !isIVR(c) {
				for _, m := range menus {
					if m.c.Name == target {
						m.menu.Extensions = append(m.menu.Extensions, e.Name)
					}
				}
			}
		}
		if !isIVR(c) {
			for _, l := range c.Other {
				out.Notes = append(out.Notes, Note{l.N, l.Text, "not translated (only IVR contexts are)"})
			}
		}
	}
	if len(menus) == 0 {
		out.Notes = append(out.Notes, Note{Msg: "no IVR found: no context has an s extension with Background or WaitExten"})
	}
	return out
}

// channelVars are the variables the dialplan sets (other than timeouts
// and counters), as a call carries them from one context to the next
// through its Gotos: the sounds folder, the destination context.
func channelVars(d *Dialplan) map[string]string {
	vars := map[string]string{}
	expand := func(s string) string {
		for k, v := range vars {
			s = strings.ReplaceAll(s, "${"+k+"}", v)
		}
		return s
	}
	for _, c := range d.Contexts {
		for _, e := range c.Exts {
			for _, st := range e.Steps {
				if !app(st, "Set") || len(st.Args) == 0 {
					continue
				}
				k, v, ok := strings.Cut(st.Args[0], "=")
				k, v = strings.TrimSpace(k), strings.TrimSpace(v)
				if !ok || timeoutRE.MatchString(k) || counterIncRE.MatchString(v) || v == "0" {
					continue
				}
				vars[k] = expand(v)
			}
		}
	}
	return vars
}

// isIVR: the context's s extension plays a menu and waits for a key.
func isIVR(c *Context) bool {
	s := c.Ext("s")
	if s == nil {
		return false
	}
	for _, st := range s.Steps {
		if app(st, "Background") || app(st, "WaitExten") {
			return true
		}
	}
	return false
}

// entryTo is the context an extension only jumps to (exten => 8899,1,
// Goto(dp-ivr-example,s,1)), or "".
func entryTo(e *Extension) string {
	for _, st := range e.Steps {
		switch {
		case app(st, "NoOp"), app(st, "Answer"):
			continue
		case app(st, "Goto") && len(st.Args) == 3 && st.Args[1] == "s":
			return st.Args[0]
		}
		return ""
	}
	return ""
}

func app(st Step, name string) bool { return strings.EqualFold(st.App, name) }

var (
	numberRE = regexp.MustCompile(`^[0-9]{1,20}$`)
	keyRE    = regexp.MustCompile(`^[0-9*#]{1,20}$`)
)

func isNumber(s string) bool { return numberRE.MatchString(s) }

func (m *menuCtx) note(st Step, msg string) {
	m.out.Notes = append(m.out.Notes, Note{st.Line, st.Text, msg})
}

// expand replaces ${VAR} with the values the context set.
func (m *menuCtx) expand(s string) string {
	for k, v := range m.vars {
		s = strings.ReplaceAll(s, "${"+k+"}", v)
	}
	return s
}

// sound is a prompt name from a file argument (its base name; several
// files joined with & play in turn: the first is kept).
func (m *menuCtx) sound(st Step, arg string) string {
	files := strings.Split(m.expand(arg), "&")
	if len(files) > 1 {
		m.note(st, "plays several files; only the first is used")
	}
	name := path.Base(strings.TrimSpace(files[0]))
	return strings.TrimSuffix(name, path.Ext(name))
}

func seconds(v string) string {
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || f <= 0 {
		return ""
	}
	return strconv.FormatFloat(f, 'f', -1, 64) + "s"
}

func (m *menuCtx) translate() {
	s := m.c.Ext("s")
	m.findLoop(s)
	m.readStart(s)
	m.readErrors()
	for _, e := range m.c.Exts {
		switch e.Name {
		case "s", "i", "t", "h", "e", "o", "a":
			if e.Name == "h" || e.Name == "e" || e.Name == "o" || e.Name == "a" {
				for _, st := range e.Steps {
					m.note(st, "the "+e.Name+" extension is not modelled")
				}
			}
			continue
		}
		if !keyRE.MatchString(e.Name) {
			for _, st := range e.Steps {
				m.note(st, "extension "+e.Name+" is a pattern or a name: only keys are translated")
			}
			continue
		}
		if d := m.action(e, 0, 0); d != nil {
			m.menu.Keys[e.Name] = d
		}
	}
	if len(m.menu.Keys) == 0 {
		m.menu.Keys = nil
	}
}

// findLoop finds where the menu's rounds start: the label of s that
// keys or the invalid extension Goto back to.
func (m *menuCtx) findLoop(s *Extension) {
	for _, e := range m.c.Exts {
		for _, st := range e.Steps {
			if !app(st, "Goto") {
				continue
			}
			ctx, ext, prio := gotoArgs(st.Args)
			if (ctx == "" || ctx == m.c.Name) && ext == "s" && prio != "1" {
				if i := s.Label(prio); i >= 0 && (m.loop < 0 || i < m.loop) {
					m.loop, m.label = i, prio
				}
			}
		}
	}
}

// gotoArgs reads Goto([[context,]extension,]priority).
func gotoArgs(a []string) (ctx, ext, prio string) {
	switch len(a) {
	case 1:
		return "", "", a[0]
	case 2:
		return "", a[0], a[1]
	case 3:
		return a[0], a[1], a[2]
	}
	return "", "", ""
}

var (
	counterIncRE = regexp.MustCompile(`^\$\[\s*\$\{(\w+)\}\s*\+\s*1\s*\]$`)
	timeoutRE    = regexp.MustCompile(`(?i)^TIMEOUT\((response|digit)\)$`)
)

// readStart reads s: answer, variables, the welcome, the menu prompt and
// the wait.
func (m *menuCtx) readStart(s *Extension) {
	for i := 0; i < len(s.Steps); i++ {
		st := s.Steps[i]
		switch {
		case app(st, "NoOp"), app(st, "Verbose"), app(st, "Ringing"), app(st, "Progress"):
		case app(st, "Answer"):
			if len(st.Args) > 0 && st.Args[0] != "" {
				if ms, err := strconv.Atoi(st.Args[0]); err == nil && ms > 0 {
					m.menu.AnswerDelay = strconv.FormatFloat(float64(ms)/1000, 'f', -1, 64) + "s"
				}
			}
		case app(st, "Set") && len(st.Args) >= 1:
			k, v, _ := strings.Cut(st.Args[0], "=")
			k, v = strings.TrimSpace(k), strings.TrimSpace(v)
			if t := timeoutRE.FindStringSubmatch(k); t != nil {
				if strings.EqualFold(t[1], "response") {
					m.menu.ResponseTimeout = seconds(v)
				} else {
					m.menu.DigitTimeout = seconds(v)
				}
				continue
			}
			_ = k // a channel variable (channelVars), or the error counter (read from i's GotoIf)
		case app(st, "Playback") && len(st.Args) > 0:
			if m.menu.Greeting == "" && (m.loop < 0 || i < m.loop) {
				m.menu.Greeting = m.sound(st, st.Args[0])
			} else {
				m.note(st, "a second prompt before the menu's: not played")
			}
		case app(st, "Background") && len(st.Args) > 0:
			m.menu.Prompt = m.sound(st, st.Args[0])
		case app(st, "WaitExten"):
			if len(st.Args) > 0 {
				m.menu.ResponseTimeout = seconds(st.Args[0])
			}
		case app(st, "Wait"):
			m.note(st, "a pause before the menu is not modelled")
		case app(st, "GotoIfTime"):
			if open := m.schedule(s, i, st); open > i {
				i = open - 1 // the closed branch was read as the schedule's
			}
		default:
			m.note(st, st.App+" is not translated")
		}
	}
	if m.menu.Prompt == "" {
		m.menu.Prompt, m.menu.Greeting = m.menu.Greeting, ""
	}
}

var gotoIfRE = regexp.MustCompile(`^\$\[\s*\$\{(\w+)\}\s*>=?\s*(\d+)\s*\]\s*\?\s*([^:]+)(?::(.*))?$`)

// readErrors reads the i and t extensions: the invalid prompt, the error
// count and what happens at the last error.
func (m *menuCtx) readErrors() {
	inv, tmo := m.c.Ext("i"), m.c.Ext("t")
	if inv != nil {
		failAt := -1
		for i, st := range inv.Steps {
			if failAt >= 0 && i >= failAt {
				break
			}
			switch {
			case app(st, "NoOp"):
			case app(st, "GotoIf") && len(st.Args) > 0:
				g := gotoIfRE.FindStringSubmatch(strings.Join(st.Args, ","))
				if g == nil {
					m.note(st, "a condition other than a counter reaching a number is not translated")
					continue
				}
				n, _ := strconv.Atoi(g[2])
				if strings.Contains(st.Args[0], ">=") {
					m.menu.MaxErrors = n
				} else {
					m.menu.MaxErrors = n + 1
				}
				m.menu.PromptRepeat, m.menu.MaxInvalid = m.menu.MaxErrors, m.menu.MaxErrors
				if j := inv.Label(strings.TrimSpace(g[3])); j >= 0 {
					failAt = j
					m.menu.OnFailure = m.action(inv, j, 0)
				}
			case app(st, "Playback") && len(st.Args) > 0:
				m.menu.InvalidPrompt = m.sound(st, st.Args[0])
			case app(st, "Goto"):
				// back to the menu: what ivrd does after an invalid entry
			case app(st, "Hangup"):
				m.menu.OnFailure = &Dest{Word: "hangup"}
			default:
				m.note(st, st.App+" in the invalid extension is not translated")
			}
		}
	}
	if tmo != nil {
		for _, st := range tmo.Steps {
			switch {
			case app(st, "NoOp"):
			case app(st, "Goto"):
				if _, ext, _ := gotoArgs(st.Args); ext == "i" {
					m.menu.TimeoutPrompt = m.menu.InvalidPrompt // a timeout counts as an invalid entry
				}
			case app(st, "Playback") && len(st.Args) > 0:
				m.menu.TimeoutPrompt = m.sound(st, st.Args[0])
			default:
				m.note(st, st.App+" in the timeout extension is not translated")
			}
		}
	}
}

// action translates what an extension does from step i on.
func (m *menuCtx) action(e *Extension, i, depth int) *Dest {
	if depth > maxFollow {
		return &Dest{Word: "hangup"}
	}
	var prompt string
	wrap := func(d *Dest) *Dest {
		if prompt == "" {
			return d
		}
		return &Dest{Prompt: prompt, Then: d}
	}
	for ; i < len(e.Steps); i++ {
		st := e.Steps[i]
		switch {
		case app(st, "NoOp"), app(st, "Verbose"), app(st, "Answer"):
		case app(st, "Playback") && len(st.Args) > 0:
			if prompt != "" {
				m.note(st, "a second prompt in a row: only the first plays")
				continue
			}
			prompt = m.sound(st, st.Args[0])
		case app(st, "Hangup"):
			return wrap(&Dest{Word: "hangup"})
		case app(st, "Goto"):
			return wrap(m.gotoDest(e, st, depth))
		case app(st, "Dial") && len(st.Args) > 0:
			target := m.expand(strings.Split(st.Args[0], "&")[0])
			_, num, _ := strings.Cut(target, "/")
			num, _, _ = strings.Cut(num, "@")
			if !isNumber(num) {
				m.note(st, "a Dial to something other than a number is not translated")
				return nil
			}
			return wrap(m.extension(num))
		case app(st, "VoiceMail") && len(st.Args) > 0:
			box, _, _ := strings.Cut(m.expand(st.Args[0]), "@")
			box = strings.TrimLeft(box, "su") // VoiceMail(su100): the greeting flags
			if !isNumber(box) {
				m.note(st, "a mailbox that is not a number is not translated")
				return nil
			}
			m.extension(box)
			return wrap(&Dest{Voicemail: box})
		default:
			m.note(st, st.App+" is not translated")
		}
	}
	if prompt != "" {
		return &Dest{Prompt: prompt, Then: &Dest{Word: "repeat"}}
	}
	return nil
}

// gotoDest is where a Goto leads.
func (m *menuCtx) gotoDest(e *Extension, st Step, depth int) *Dest {
	ctx, ext, prio := gotoArgs(st.Args)
	ctx, ext, prio = m.expand(ctx), m.expand(ext), m.expand(prio)
	if ctx == "" || ctx == m.c.Name {
		switch {
		case ext == "" && e.Label(prio) >= 0:
			return m.action(e, e.Label(prio), depth+1)
		case ext == "s" || ext == "":
			return &Dest{Word: "repeat"}
		case ext == "i" || ext == "t":
			m.note(st, "a jump to the invalid or timeout handling from a key is not modelled: the menu repeats")
			return &Dest{Word: "repeat"}
		}
		if x := m.c.Ext(ext); x != nil {
			return m.action(x, max(x.Label(prio), 0), depth+1)
		}
	}
	if c := m.d.Context(ctx); c != nil {
		if isIVR(c) && ext == "s" {
			return &Dest{IVR: c.Name}
		}
		if x := c.Ext(ext); x != nil && !isNumber(ext) {
			sub := &menuCtx{d: m.d, c: c, menu: m.menu, vars: m.vars, loop: -1, out: m.out, known: m.known, pbx: m.pbx}
			return sub.action(x, max(x.Label(prio), 0), depth+1)
		}
	}
	if isNumber(ext) {
		return m.extension(ext)
	}
	m.note(st, fmt.Sprintf("a jump to %s,%s,%s is not translated", ctx, ext, prio))
	return nil
}

// extension lists an internal number (once) and is the destination
// that hands a call to it.
func (m *menuCtx) extension(num string) *Dest {
	if !m.known[num] {
		m.known[num] = true
		m.out.Extensions = append(m.out.Extensions, Extn{Number: num, Contact: "sip:" + num + "@" + m.pbx})
	}
	return &Dest{Extension: num}
}

var gotoIfTimeRE = regexp.MustCompile(`^([^,]*),([^,]*),([^,]*),([^,?]*)(?:,[^?]*)?\?([^:]*)(?::(.*))?$`)

// schedule reads GotoIfTime(times,weekdays,mdays,months?open[:closed])
// at step i of s into a schedule on the menu: its open hours, and as
// its closed destination what the dialplan does outside them. It
// returns the index the open branch continues at (the label jumped to
// when open), or -1.
func (m *menuCtx) schedule(s *Extension, i int, st Step) int {
	g := gotoIfTimeRE.FindStringSubmatch(m.expand(strings.Join(st.Args, ",")))
	if g == nil {
		m.note(st, "GotoIfTime's arguments are not times,weekdays,mdays,months?label")
		return -1
	}
	times, days, mdays, months := strings.TrimSpace(g[1]), strings.TrimSpace(g[2]), strings.TrimSpace(g[3]), strings.TrimSpace(g[4])
	if mdays != "*" || months != "*" {
		m.note(st, "days of the month and months are not translated: holidays are ivrd schedule entries of their own")
	}
	if times == "*" {
		times = "00:00-24:00"
	}
	if days == "*" {
		days = "mon-sun"
	}
	open := strings.ToLower(strings.ReplaceAll(days, "&", ","))
	sc := Schedule{ID: m.c.Name + "-hours"}
	for _, d := range strings.Split(open, ",") {
		sc.Open = append(sc.Open, d+" "+times)
	}
	ifOpen, ifClosed := strings.TrimSpace(g[5]), strings.TrimSpace(g[6])
	next := -1
	switch {
	case ifOpen != "" && s.Label(ifOpen) > i:
		next = s.Label(ifOpen)
		sc.Closed = m.action(s, i+1, 0)
	case ifClosed != "" && s.Label(ifClosed) >= 0:
		sc.Closed = m.action(s, s.Label(ifClosed), 0)
	default:
		m.note(st, "GotoIfTime without a label to go to is not translated")
		return -1
	}
	if sc.Closed == nil {
		sc.Closed = &Dest{Word: "hangup"}
	}
	m.out.Schedules = append(m.out.Schedules, sc)
	m.menu.Schedule = sc.ID
	return next
}
