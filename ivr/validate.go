package ivr

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Problem is one thing wrong with a configuration, at a path like
// `ivrs[main].keys.4`.
type Problem struct {
	Path    string
	Msg     string
	Warning bool
}

func (p Problem) String() string {
	if p.Warning {
		return p.Path + ": warning: " + p.Msg
	}
	return p.Path + ": " + p.Msg
}

// HasErrors reports whether any problem is an error (not a warning).
func HasErrors(ps []Problem) bool {
	for _, p := range ps {
		if !p.Warning {
			return true
		}
	}
	return false
}

type validator struct {
	c       *Config
	prompts map[string]bool // nil: prompt names are not checked
	out     []Problem
	from    string              // the menu or schedule being checked
	edges   map[string][]string // menu or schedule -> menus it can lead to
	// autoEdges: node -> moves a call makes from it without a key (see
	// cycles.go).
	autoEdges map[string][]autoEdge
	// greetingWarned: voicemail boxes already warned about.
	greetingWarned map[string]bool
	// used: prompt name -> where it is first named (usedOrder: in file
	// order), for the per-language check (language.go).
	used      map[string]string
	usedOrder []string
}

func (v *validator) errf(path, format string, a ...any) {
	v.out = append(v.out, Problem{Path: path, Msg: fmt.Sprintf(format, a...)})
}

func (v *validator) warnf(path, format string, a ...any) {
	v.out = append(v.out, Problem{Path: path, Msg: fmt.Sprintf(format, a...), Warning: true})
}

// Validate checks every reference and range of a parsed configuration and
// returns all problems found, in file order. promptNames are the prompts
// that exist (prompts are loaded by another package).
func Validate(c *Config, promptNames []string) []Problem {
	known := map[string]bool{}
	for _, n := range promptNames {
		known[n] = true
	}
	return validate(c, known)
}

// Validate checks everything but the existence of prompt files; see the
// package function Validate for the full check.
func (c *Config) Validate() []Problem { return validate(c, nil) }

func validate(c *Config, prompts map[string]bool) []Problem {
	v := &validator{c: c, prompts: prompts, edges: map[string][]string{}, autoEdges: map[string][]autoEdge{}, greetingWarned: map[string]bool{}}
	v.server()
	v.language("language", c.Language)
	v.spokenPrompts()
	v.trunks()
	v.extensions()
	v.groups()
	v.conferences() // conference.go
	v.queues()      // queue.go
	v.voicemailBoxes()
	v.schedules()
	v.ivrs()
	v.numbering() // internal.go
	v.reachable()
	v.cycles()
	v.webhooks()       // webhooks.go
	v.askSettings()    // ask.go
	v.streamSettings() // stream.go
	v.languagePrompts()
	return v.out
}

func (v *validator) schedules() {
	seen := map[string]bool{}
	for i, s := range v.c.Schedules {
		path := fmt.Sprintf("schedules[%s]", nameOr(s.ID, i))
		if s.ID == "" {
			v.errf(path, "id is required")
		} else if seen[s.ID] {
			v.errf(path, "duplicate schedule id %q", s.ID)
		}
		seen[s.ID] = true
		if s.Timezone == "" {
			v.warnf(path+".timezone", "no time zone: open hours and holidays are read in UTC")
		} else if _, err := location(s.Timezone); err != nil {
			v.errf(path+".timezone", "unknown time zone %q (want an IANA name like \"Europe/Paris\")", s.Timezone)
		}
		for j, o := range s.Open {
			if _, err := parseOpen(o); err != nil {
				v.errf(fmt.Sprintf("%s.open[%d]", path, j), "%v", err)
			}
		}
		for j, h := range s.Holidays {
			if _, _, err := holidayDates(h.Date); err != nil {
				v.errf(fmt.Sprintf("%s.holidays[%d].date", path, j), "%v", err)
			}
			v.prompt(fmt.Sprintf("%s.holidays[%d].prompt", path, j), h.Prompt)
		}
		v.prompt(path+".closed.prompt", s.Closed.Prompt)
		v.from = "schedule " + s.ID
		v.dest(path+".closed.then", s.Closed.Then, nil)
		v.auto(scheduleNode(s.ID), path+".closed.then", s.Closed.Then, nil)
	}
}

func (v *validator) prompt(path, name string) {
	v.promptUsed(path, name)
	if name != "" && v.prompts != nil && !v.prompts[name] {
		v.errf(path, "unknown prompt %q (no %s.wav or %s.pcm in prompts_dir)", name, name, name)
	}
}

func (v *validator) ivrs() {
	if len(v.c.IVRs) == 0 {
		// A warning, not an error: with the store, menus can come from
		// the API, and a configuration is built one resource at a time
		// (a trunk before the menu that uses it). An empty file is an
		// error (ErrEmptyConfig), and a SIGHUP with a truncated file
		// deletes nothing from the store.
		v.warnf("ivrs", "no ivrs: every call would be refused")
	}
	ids := map[string]bool{}
	dialled := map[string]string{}
	for i, m := range v.c.IVRs {
		if m == nil {
			v.errf(fmt.Sprintf("ivrs[%d]", i), "empty entry")
			continue
		}
		path := fmt.Sprintf("ivrs[%s]", nameOr(m.ID, i))
		if m.ID == "" {
			v.errf(path, "id is required")
		} else if ids[m.ID] {
			v.errf(path, "duplicate ivr id %q", m.ID)
		}
		ids[m.ID] = true
		for j, e := range m.Extensions {
			if !dialledName(e) {
				v.errf(fmt.Sprintf("%s.extensions[%d]", path, j), "%q: want the number (or name, like \"s\") callers dial: digits, letters, + * # . - _, nothing else", e)
			}
			if other, dup := dialled[e]; dup {
				v.errf(fmt.Sprintf("%s.extensions[%d]", path, j), "%q already reaches ivr %q", e, other)
			}
			dialled[e] = m.ID
		}
	}
	keyIDs := map[int64]string{}                                   // key_info ids are unique across menus
	numberIDs := numberIDs{map[int64]string{}, map[int64]string{}} // so are number_info's extension ids; an incall is one menu's
	for i, m := range v.c.IVRs {
		if m != nil {
			path := fmt.Sprintf("ivrs[%s]", nameOr(m.ID, i))
			v.ivr(path, m)
			v.record(path+".record", m.Record) // recording.go
			v.keyInfo(path, m, keyIDs)
			v.numberInfo(path, m, numberIDs)
		}
	}
}

// keyInfo checks the ids the vendor APIs keep for keys: positive, and
// each naming one key of one menu (a client holds them across edits).
func (v *validator) keyInfo(path string, m *IVR, seen map[int64]string) {
	for _, k := range slices.Sorted(maps.Keys(m.KeyInfo)) {
		info := m.KeyInfo[k]
		if info == nil || info.ID == 0 {
			continue
		}
		p := path + ".key_info." + k + ".id"
		if info.ID < 0 {
			v.errf(p, "%d: want a positive integer", info.ID)
			continue
		}
		if other, dup := seen[info.ID]; dup {
			v.errf(p, "%d is already the id of %s", info.ID, other)
		}
		seen[info.ID] = fmt.Sprintf("key %s of ivr %q", k, m.ID)
	}
}

// numberIDs are the number_info ids seen so far: extension id -> its
// number, incall id -> its menu.
type numberIDs struct {
	extensions map[int64]string
	incalls    map[int64]string
}

// numberInfo checks what the vendor APIs keep about numbers: each entry
// is one of the menu's numbers, its ids positive, an extension id naming
// one number and an incall id the numbers of one menu.
func (v *validator) numberInfo(path string, m *IVR, seen numberIDs) {
	for _, n := range slices.Sorted(maps.Keys(m.NumberInfo)) {
		info := m.NumberInfo[n]
		if info == nil {
			continue
		}
		p := path + ".number_info." + n
		if !slices.Contains(m.Extensions, n) {
			v.errf(p, "%q is not one of the menu's extensions", n)
		}
		if info.Extension < 0 || info.Incall < 0 {
			v.errf(p, "ids must be positive integers")
			continue
		}
		if info.Extension > 0 {
			if other, dup := seen.extensions[info.Extension]; dup {
				v.errf(p+".extension", "%d is already the id of %s", info.Extension, other)
			}
			seen.extensions[info.Extension] = fmt.Sprintf("number %s of ivr %q", n, m.ID)
		}
		if info.Incall > 0 {
			if other, dup := seen.incalls[info.Incall]; dup && other != m.ID {
				v.errf(p+".incall", "%d is already an incall of ivr %q", info.Incall, other)
			}
			seen.incalls[info.Incall] = m.ID
		}
	}
}

// reachable warns about menus no call can reach: not dialled, and not led
// to from a menu (or its schedule's closed handling) that a call reaches.
func (v *validator) reachable() {
	reached := map[string]bool{}
	var visit func(node string)
	visit = func(node string) {
		for _, id := range v.edges[node] {
			if !reached[id] {
				reached[id] = true
				visit(id)
			}
		}
	}
	for _, m := range v.c.IVRs {
		if m != nil && len(m.Extensions) > 0 && !reached[m.ID] {
			reached[m.ID] = true
			visit(m.ID)
		}
	}
	for i, m := range v.c.IVRs {
		if m != nil && m.ID != "" && !reached[m.ID] {
			v.warnf(fmt.Sprintf("ivrs[%s]", nameOr(m.ID, i)), "no extension or destination reaches this ivr")
		}
	}
}

// numberSchedules: each names one of the menu's numbers and a schedule.
func (v *validator) numberSchedules(path string, m *IVR) {
	for _, n := range slices.Sorted(maps.Keys(m.NumberSchedules)) {
		sid := m.NumberSchedules[n]
		p := fmt.Sprintf("%s.number_schedules[%s]", path, n)
		if !slices.Contains(m.Extensions, n) {
			v.errf(p, "%q is not one of the menu's extensions", n)
		}
		if v.c.ScheduleByID(sid) == nil {
			v.errf(p, "unknown schedule %q", sid)
			continue
		}
		v.edges[m.ID] = append(v.edges[m.ID], "schedule "+sid)
	}
}

func (v *validator) ivr(path string, m *IVR) {
	v.prompt(path+".greeting", m.Greeting)
	v.prompt(path+".prompt", m.Prompt)
	v.prompt(path+".invalid_prompt", m.InvalidPrompt)
	v.prompt(path+".timeout_prompt", m.TimeoutPrompt)
	v.language(path+".language", m.Language)
	// An explicit 0 is an error, not the default: "repeat 0 times" has
	// no meaning a caller could hear, and silently playing it 3 times
	// surprised an operator.
	if m.PromptRepeat == 0 {
		v.errf(path+".prompt_repeat", "0 is out of range 1-5 (the menu plays at least once; leave prompt_repeat out for %d)", DefaultPromptRepeat)
	} else if m.PromptRepeat < 1 || m.PromptRepeat > 5 {
		v.errf(path+".prompt_repeat", "%d is out of range 1-5", m.PromptRepeat)
	}
	if d := m.ResponseTimeout.D(); d < time.Second || d > 10*time.Second {
		v.errf(path+".response_timeout", "%v is out of range 1s-10s", d)
	}
	if d := m.DigitTimeout.D(); d < time.Second || d > 10*time.Second {
		v.errf(path+".digit_timeout", "%v is out of range 1s-10s", d)
	}
	if m.MaxInvalid < 1 || m.MaxInvalid > 10 {
		v.errf(path+".max_invalid", "%d is out of range 1-10", m.MaxInvalid)
	}
	v.maxErrors(path, m)
	if m.AnswerDelay.D() < 0 || m.AnswerDelay.D() > 10*time.Second {
		v.errf(path+".answer_delay", "%v is out of range 0-10s", m.AnswerDelay.D())
	}
	if len(m.Terminator) != 1 || !strings.Contains("*#", m.Terminator) {
		v.errf(path+".terminator", "%q: want \"#\" or \"*\"", m.Terminator)
	}
	v.transferMethod(path+".transfer", m.Transfer)
	if m.Schedule != "" {
		if v.c.ScheduleByID(m.Schedule) == nil {
			v.errf(path+".schedule", "unknown schedule %q", m.Schedule)
		}
		v.edges[m.ID] = append(v.edges[m.ID], "schedule "+m.Schedule)
	}
	v.numberSchedules(path, m)
	v.from = m.ID
	v.dest(path+".on_failure", m.OnFailure, m)
	v.auto(ivrNode(m.ID), path+".on_failure", m.OnFailure, m)
	if d := replays(m.OnFailure); d != "" {
		v.errf(path+".on_failure", "%q replays this menu with its counters spent: the call would never end (use back, top, an ivr or hangup)", d)
	}
	if len(m.Keys) == 0 && !m.DirectDial && m.DialOut == nil {
		v.warnf(path+".keys", "no keys, direct_dial or dial_out: callers can only wait for on_failure")
	}
	if m.DialOut != nil {
		if v.c.TrunkByName(m.DialOut.Trunk) == nil {
			v.errf(path+".dial_out.trunk", "unknown trunk %q", m.DialOut.Trunk)
		}
		if len(m.DialOut.Allow) == 0 {
			v.errf(path+".dial_out.allow", "dial_out needs at least one allow pattern (toll-fraud guard)")
		}
		v.referThroughTrunk(path+".dial_out", m.DialOut.Trunk, m.Transfer)
		for j, pat := range m.DialOut.Allow {
			jp := fmt.Sprintf("%s.dial_out.allow[%d]", path, j)
			p, err := compileDialPattern(pat)
			if err != nil {
				v.errf(jp, "bad regular expression %q: %v", pat, err)
			} else if !p.canGrow("") {
				v.warnf(jp, "%q matches no all-digit number: nothing can be dialled with it", pat)
			} else if p.allowsAnything() {
				v.errf(jp, "%q lets callers dial any number, premium and international ones included (toll fraud): list the numbers you mean, e.g. \"1[2-9][0-9]{9}\"", pat)
			}
		}
	}
	if m.DirectDial && len(m.Terminator) == 1 {
		for _, x := range v.c.Extensions {
			if i := strings.Index(x.Number, m.Terminator); i > 0 {
				v.warnf(path+".direct_dial", "extension %q contains the terminator %q: it cannot be dialled from this menu", x.Number, m.Terminator)
			}
		}
	}
	keys := make([]string, 0, len(m.Keys))
	for k := range m.Keys {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		kp := path + ".keys." + k
		if k != "default" && (len(k) != 1 || !isKey(k[0])) {
			v.errf(kp, "key %q: want 0-9, *, # or default", k)
			continue
		}
		if m.DirectDial && k != "default" {
			for _, x := range v.c.Extensions {
				if x.Number == k {
					v.errf(kp, "extension %q is dialled by the same key: one of them can never be reached", k)
				}
			}
		}
		v.dest(kp, m.Keys[k], m)
	}
}

func (v *validator) transferMethod(path string, t TransferMethod) {
	switch t {
	case "", TransferRefer, TransferBridge, TransferAuto:
	default:
		v.errf(path, "%q: want refer, bridge or auto", t)
	}
}

// dest checks a destination; m is the menu it belongs to (nil outside one).
func (v *validator) dest(path string, d *Destination, m *IVR) {
	if d == nil {
		return
	}
	v.record(path+".record", d.Record)
	switch d.Kind {
	case KindInternal:
		v.internalDest(path, d, m)
		return
	case KindURI:
		if d.Target == "" {
			v.errf(path, "bad SIP URI %q: empty", d.Target)
		} else if why := sipURIProblem(sampleValues(d.Target)); why != "" {
			v.errf(path, "bad SIP URI %q: %s", d.Target, why)
		}
	case KindExternal:
		if !isDialNumber(strings.TrimPrefix(sampleValues(d.Target), "+")) {
			v.errf(path, "external number %q must be digits (optionally +)", d.Target)
		}
		if d.Trunk == "" {
			v.errf(path, "external needs a trunk")
		} else if v.c.TrunkByName(d.Trunk) == nil {
			v.errf(path, "unknown trunk %q", d.Trunk)
		} else {
			method := d.Transfer
			if method == "" && m != nil {
				method = m.Transfer
			}
			v.referThroughTrunk(path, d.Trunk, method)
		}
	case KindExtension:
		if v.c.ExtensionByNumber(d.Target) == nil {
			v.errf(path, "unknown extension %q", d.Target)
		}
	case KindVoicemailCheck:
		v.voicemailCheckDest(path, d)
	case KindVoicemail:
		if !v.c.IsVoicemailBox(d.Target) {
			v.errf(path, "unknown voicemail box %q (a box is an extension, a group or a voicemail_boxes entry)", d.Target)
		} else {
			v.voicemailGreeting(path, d.Target)
		}
	case KindConference:
		v.conferenceDest(path, d)
	case KindQueue:
		v.queueDest(path, d)
	case KindGroup:
		if v.c.GroupByID(d.Target) == nil {
			v.errf(path, "unknown group %q", d.Target)
		}
	case KindIVR:
		if v.c.IVRByID(d.Target) == nil {
			v.errf(path, "unknown ivr %q", d.Target)
		}
		v.edges[v.from] = append(v.edges[v.from], d.Target)
	case KindPlay:
		v.prompt(path+".play", d.Target)
		v.dest(path+".then", d.Then, m)
	case KindSetLanguage:
		if d.Target == "" {
			v.errf(path+".set_language", "want a language code like es")
		}
		v.language(path+".set_language", d.Target)
		v.dest(path+".then", d.Then, m)
	case KindWebhook:
		v.webhookDest(path, d)
		v.dest(path+".then", d.Then, m)
	case KindGather, KindAsk:
		v.programmableDest(path, d, m)
	case KindStream:
		v.streamDest(path, d, m)
	case KindBack, KindTop, KindRepeat, KindMenu:
		if m == nil {
			v.errf(path, "%q only makes sense inside a menu", d.Kind)
		}
	}
	v.handOffFields(path, d, m) // fields that would be silently ignored are mistakes
}

// handOffFields checks the fields a destination may carry only as some
// kinds: a trunk, event and data, transfer, ring_timeout, overflow.
func (v *validator) handOffFields(path string, d *Destination, m *IVR) {
	// Fields that would be silently ignored are mistakes.
	if d.Trunk != "" && d.Kind != KindExternal {
		v.errf(path+".trunk", "trunk only applies to external numbers")
	}
	v.followFields(path, d) // and variables in targets
	if (d.Event != "" || d.Data != nil) && d.Kind != KindWebhook {
		v.errf(path, "event and data only apply to webhook")
	}
	if d.Kind == KindGroup {
		v.groupDest(path, d)
	} else if !d.HandsOff() || d.Kind == KindVoicemail || d.Kind == KindVoicemailCheck {
		if d.Transfer != "" {
			v.errf(path+".transfer", "transfer only applies to uri, external and extension")
		}
		if d.RingTimeout != 0 {
			v.errf(path+".ring_timeout", "ring_timeout only applies to uri, external and extension")
		}
	}
	v.transferMethod(path+".transfer", d.Transfer)
	if d.RingTimeout.D() < 0 || d.RingTimeout.D() > 300*time.Second {
		v.errf(path+".ring_timeout", "%v is out of range 0-300s", d.RingTimeout.D())
	}
	if d.Overflow != nil {
		if !d.HandsOff() {
			v.errf(path+".overflow", "overflow only applies to destinations that hand the call on")
		}
		v.dest(path+".overflow", d.Overflow, m)
	}
}

// replays names the word (repeat, menu) a failure destination ends in,
// after any recorded answers, when it would restart the same menu. (A
// play without then ends the call there: nothing to go back to.)
func replays(d *Destination) string {
	for d != nil && (d.Kind == KindPlay || d.Kind == KindSetLanguage || d.Kind == KindWebhook) {
		d = d.Then
	}
	if d != nil && (d.Kind == KindRepeat || d.Kind == KindMenu) {
		return string(d.Kind)
	}
	return ""
}

func nameOr(name string, i int) string {
	if name != "" {
		return name
	}
	return strconv.Itoa(i)
}

// followFields reports what follows a destination where it would be
// silently ignored (then, fallback, timeout and hold on kinds that have
// none), and unknown variables in uri and external targets.
func (v *validator) followFields(path string, d *Destination) {
	if d.Kind == KindURI || d.Kind == KindExternal {
		v.checkVars(path+"."+string(d.Kind), d.Target)
	}
	if d.Then != nil && d.Kind != KindPlay && d.Kind != KindSetLanguage && d.Kind != KindWebhook && d.Kind != KindGather && d.Kind != KindAsk && d.Kind != KindStream {
		v.errf(path+".then", "then only follows play, set_language, webhook, gather or stream")
	}
	if d.Fallback != nil && d.Kind != KindGather && d.Kind != KindAsk && d.Kind != KindStream {
		v.errf(path+".fallback", "fallback only applies to gather, ask and stream")
	}
	if d.Hold != "" && d.Kind != KindAsk || d.Timeout != 0 && d.Kind != KindAsk && d.Kind != KindStream {
		v.errf(path, "timeout only applies to ask and stream, hold to ask")
	}
}

// programmableDest checks a gather or an ask (gather.go, ask.go).
func (v *validator) programmableDest(path string, d *Destination, m *IVR) {
	if d.Kind == KindGather {
		v.gatherDest(path, d, m)
		return
	}
	v.askDest(path, d, m)
}
