package ivr

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ivrd/ivrd/spoken"
	"go.yaml.in/yaml/v3"
)

// An ask destination (ivrd addition) hands the decision to the
// customer's service: the executor emits Ask, the driver POSTs the
// call's context and answers AskResult with the destination the service
// chose, already decoded and validated (DecodeAnswer). No answer in
// time, or an error, runs the destination's fallback. The executor arms
// its own timer for the answer, so a driver that never answers cannot
// hold the call past the timeout.

// AskSettings (top-level ask:) configure every ask destination.
type AskSettings struct {
	// Secret keys the X-Ivrd-Signature header of every request, as the
	// webhooks' secret does theirs; "" sends requests unsigned.
	Secret string `yaml:"secret"`
	// AllowPrivate lets ask URLs reach loopback, private, link-local and
	// cloud metadata addresses (refused by default: SSRF).
	AllowPrivate bool `yaml:"allow_private"`
	// Timeout is the default wait for an answer (DefaultAskTimeout).
	Timeout Duration `yaml:"timeout"`
	// MaxConcurrent bounds the requests in flight per URL (default 100):
	// calls beyond it take the fallback at once.
	MaxConcurrent int `yaml:"max_concurrent"`
}

// Ask defaults and bounds.
const (
	DefaultAskTimeout = 3 * time.Second
	MaxAskTimeout     = 30 * time.Second
	MinAskTimeout     = 100 * time.Millisecond
	// MaxAnswerSize is the largest answer body read.
	MaxAnswerSize = 64 << 10
	// maxAnswerDepth bounds the nesting of an answer's JSON.
	maxAnswerDepth = 16
	// maxHoldPlays bounds how often the hold prompt is started during
	// one ask (a missing or empty prompt must not spin).
	maxHoldPlays = 200
)

// Trace steps of an ask.
const (
	StepAsk       Step = "ask"        // the request went out
	StepAnswered  Step = "answered"   // a usable answer came
	StepAskFailed Step = "ask_failed" // no usable answer: the fallback runs
)

// Ask (an action) asks the driver to POST the call's context to URL and
// report AskResult{ID} with the decoded, validated answer.
type Ask struct {
	ID      int
	URL     string // with the call's variables put in
	Written string // as configured (simulate's canned answers are keyed by either)
	Timeout time.Duration
	// Request is what the executor knows of the call; the driver adds
	// the call's id, node, path and keys before sending it.
	Request AskRequest
}

// AskRequest is the JSON body an ask POSTs: the call's context.
type AskRequest struct {
	CallID   string            `json:"call_id"`
	Node     string            `json:"node"`
	IVR      string            `json:"ivr"`  // the menu the call is in
	Path     []string          `json:"path"` // the menus entered, in order
	Caller   string            `json:"caller"`
	Dialled  string            `json:"dialled"`
	Keys     string            `json:"keys"`   // every key pressed, in order
	Entry    string            `json:"entry"`  // the last entry acted on
	Digits   string            `json:"digits"` // the last gather's digits
	Vars     map[string]string `json:"vars"`
	Language string            `json:"language"` // the call's ("" the default set)
}

func (Ask) isAction() {}

// AskResult (an event) is the outcome of Ask ID: an answer or why there
// is none (timeout, refused target, bad status, invalid answer...).
type AskResult struct {
	ID     int
	Answer *Answer
	Err    error
}

func (AskResult) isEvent() {}

// Answer is a decision service's answer: where the call goes, the
// variables to set first, and text to say before going.
type Answer struct {
	Dest *Destination
	Vars map[string]string
	Say  string
}

// askTimeout is d's wait with the configuration's default.
func (c *Config) askTimeout(d *Destination) time.Duration {
	if d.Timeout > 0 {
		return d.Timeout.D()
	}
	if c.Ask.Timeout > 0 {
		return c.Ask.Timeout.D()
	}
	return DefaultAskTimeout
}

// ask sends the request and waits, looping the hold prompt.
func (e *Executor) ask(d *Destination) []Action {
	if e.hops++; e.hops > MaxHopsWithoutKey { // an answer asking again, and again
		return e.limit(ReasonLoopLimit)
	}
	e.askID++
	e.asking, e.holdPlays = d, 0
	e.phase = phaseAsk
	timeout := e.cfg.askTimeout(d)
	u := e.expand(d.Target)
	acts := []Action{
		Note{Event: StepAsk, IVR: e.curID(), Detail: d.Target},
		Ask{ID: e.askID, URL: u, Written: d.Target, Timeout: timeout, Request: AskRequest{IVR: e.curID(),
			Caller: e.caller, Dialled: e.dialled, Entry: e.chosen, Digits: e.digits, Vars: e.Vars(), Language: e.lang}},
		e.startTimer(timeout),
	}
	return append(acts, e.hold()...)
}

// hold (re)starts the hold prompt while the answer is awaited.
func (e *Executor) hold() []Action {
	if e.asking == nil || e.asking.Hold == "" || e.holdPlays >= maxHoldPlays {
		return nil
	}
	e.holdPlays++
	e.playID++
	e.holdID = e.playID
	return []Action{Play{ID: e.playID, Prompt: e.asking.Hold, Language: e.lang}}
}

// answered runs the answer, or the fallback when there is none.
func (e *Executor) answered(ev AskResult) []Action {
	d := e.asking
	acts := e.cancelTimer()
	if e.holdID != 0 {
		acts = append(acts, StopPlayback{ID: e.holdID, Prompt: d.Hold})
		e.holdID = 0
	}
	e.asking = nil
	e.phase = phaseIdle
	if ev.Err != nil || ev.Answer == nil || ev.Answer.Dest == nil {
		why := "no answer"
		if ev.Err != nil {
			why = ev.Err.Error()
		}
		acts = append(acts, Note{Event: StepAskFailed, IVR: e.curID(), Detail: why})
		return append(acts, e.run(d.Fallback)...)
	}
	a := ev.Answer
	for k, v := range a.Vars {
		e.setVar(k, v)
	}
	acts = append(acts, Note{Event: StepAnswered, IVR: e.curID(), Detail: a.Dest.String()})
	if a.Say != "" {
		return append(acts, e.say(e.expand(a.Say), func() []Action { return e.run(a.Dest) })...)
	}
	return append(acts, e.run(a.Dest)...)
}

// say speaks text (the driver renders it), then runs then.
func (e *Executor) say(text string, then func() []Action) []Action {
	e.playID++
	e.phase, e.playing, e.playBarge, e.afterPlay = phasePlaying, "say", false, then
	return []Action{Play{ID: e.playID, Text: text, Language: e.lang}}
}

// askDest checks an ask destination.
func (v *validator) askDest(path string, d *Destination, m *IVR) {
	v.checkVars(path+".ask", d.Target)
	u, err := url.Parse(sampleValues(d.Target))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		v.errf(path+".ask", "%q: want an http:// or https:// URL", d.Target)
	} else if u.User != nil {
		v.errf(path+".ask", "%q: credentials do not belong in the URL (requests are signed with ask.secret)", d.Target)
	} else if a, err := netip.ParseAddr(strings.Trim(u.Hostname(), "[]")); err == nil && !v.c.Ask.AllowPrivate && privateAddr(a) {
		v.errf(path+".ask", "%q: %s is a loopback, private or link-local address: refused unless ask.allow_private is true", d.Target, a)
	}
	if t := d.Timeout.D(); t != 0 && (t < MinAskTimeout || t > MaxAskTimeout) {
		v.errf(path+".timeout", "%v is out of range %v-%v", t, MinAskTimeout, MaxAskTimeout)
	}
	v.prompt(path+".hold", d.Hold)
	if d.Then != nil {
		v.errf(path+".then", "an ask goes where its answer says: use fallback for when there is none")
	}
	v.dest(path+".fallback", d.Fallback, m)
}

// askSettings checks ask:.
func (v *validator) askSettings() {
	a := v.c.Ask
	if t := a.Timeout.D(); t != 0 && (t < MinAskTimeout || t > MaxAskTimeout) {
		v.errf("ask.timeout", "%v is out of range %v-%v", t, MinAskTimeout, MaxAskTimeout)
	}
	if a.MaxConcurrent < 0 || a.MaxConcurrent > 10000 {
		v.errf("ask.max_concurrent", "%d is out of range 1-10000", a.MaxConcurrent)
	}
	for i, p := range v.c.Prompts {
		if strings.Contains(p.Say, "${") {
			v.errf(SpokenPath(nameOr(p.Name, i))+".say", "variables are not available here: prompts are spoken when the configuration loads (an ask answer's say is spoken on the call)")
		}
	}
}

// ErrBadAnswer wraps every reason an answer is refused.
var ErrBadAnswer = errors.New("bad answer")

// DecodeAnswer reads a decision service's answer: a JSON object that is
// a destination in the configuration's schema (as a key's value would
// be written), plus optional "vars" (strings to set as ${vars.NAME}) and
// "say" (text spoken before going). It is validated like configuration
// against c, as a destination of menu (may be ""), with prompts the
// known prompt names (c.AnswerPrompts; nil: not checked). Any problem is
// an error wrapping ErrBadAnswer.
func (c *Config) DecodeAnswer(data []byte, menu string, prompts PromptSet) (*Answer, error) {
	if len(data) > MaxAnswerSize {
		return nil, fmt.Errorf("%w: %d bytes is more than %d", ErrBadAnswer, len(data), MaxAnswerSize)
	}
	node, err := answerNode(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadAnswer, err)
	}
	a := &Answer{}
	rest, err := takeAnswerExtras(node, a)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadAnswer, err)
	}
	w := &walker{lines: map[int]string{}, leaves: map[int][]leaf{}}
	w.walk(rest, destinationType, "answer", 0)
	if len(w.out) > 0 {
		return nil, fmt.Errorf("%w: %s", ErrBadAnswer, problemsText(w.out))
	}
	var d Destination
	if err := rest.Decode(&d); err != nil {
		return nil, fmt.Errorf("%w: %s", ErrBadAnswer, plainTypeError(strings.TrimPrefix(err.Error(), "yaml: ")))
	}
	// The set is only read here: validating a destination adds no names
	// (only the prompts section's check does, in validate).
	v := &validator{c: c, prompts: prompts, edges: map[string][]string{}, autoEdges: map[string][]autoEdge{},
		greetingWarned: map[string]bool{}, from: "answer"}
	v.dest("answer", &d, c.IVRByID(menu))
	var errs []Problem
	for _, p := range v.out {
		if !p.Warning {
			errs = append(errs, p)
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%w: %s", ErrBadAnswer, problemsText(errs))
	}
	a.Dest = &d
	return a, nil
}

// PromptSet is the prompt names an answer may play, read only: built
// once per configuration and prompt library (AnswerPrompts), not per
// answer, since a busy IVR decodes hundreds of answers a second.
type PromptSet map[string]bool

// AnswerPrompts is the set DecodeAnswer checks answers against: names
// (the library's, as prompts.Library.AllNames gives them) and the
// configuration's spoken prompts, known as validate knows them.
func (c *Config) AnswerPrompts(names []string) PromptSet {
	known := make(PromptSet, len(names)+2*len(c.Prompts))
	for _, n := range names {
		known[n] = true
	}
	for _, p := range c.Prompts {
		known[p.Name], known[p.Label()] = true, true
	}
	return known
}

// takeAnswerExtras moves vars and say out of the answer into a, and
// returns the destination mapping that is left.
func takeAnswerExtras(n *yaml.Node, a *Answer) (*yaml.Node, error) {
	rest := *n
	rest.Content = nil
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		switch k.Value {
		case "vars":
			if err := val.Decode(&a.Vars); err != nil {
				return nil, errors.New("vars: want an object of strings")
			}
			if len(a.Vars) > MaxVars {
				return nil, fmt.Errorf("vars: %d is more than %d", len(a.Vars), MaxVars)
			}
			for name, value := range a.Vars {
				if !varName.MatchString(name) {
					return nil, fmt.Errorf("vars: %q is not a name of letters, digits and _", name)
				}
				if len(value) > MaxVarValueLen {
					return nil, fmt.Errorf("vars.%s: more than %d characters", name, MaxVarValueLen)
				}
			}
		case "say":
			if err := val.Decode(&a.Say); err != nil {
				return nil, errors.New("say: want a string")
			}
			if n := utf8.RuneCountInString(a.Say); n > spoken.MaxText {
				return nil, fmt.Errorf("say: %d characters is more than %d", n, spoken.MaxText)
			}
			if why := varProblem(a.Say); why != "" {
				return nil, fmt.Errorf("say: %s", why)
			}
		default:
			rest.Content = append(rest.Content, k, val)
		}
	}
	return &rest, nil
}

func problemsText(ps []Problem) string {
	parts := make([]string, 0, len(ps))
	for _, p := range ps {
		parts = append(parts, p.String())
	}
	return strings.Join(parts, "; ")
}

// answerNode parses an answer: strict JSON (no YAML anchors or tags
// slip in), an object, nested at most maxAnswerDepth deep.
func answerNode(data []byte) (*yaml.Node, error) {
	if !json.Valid(data) {
		return nil, errors.New("not JSON")
	}
	depth, deepest := 0, 0
	inString, escaped := false, false
	for _, b := range data {
		switch {
		case escaped:
			escaped = false
		case inString && b == '\\':
			escaped = true
		case b == '"':
			inString = !inString
		case inString:
		case b == '{' || b == '[':
			depth++
			deepest = max(deepest, depth)
		case b == '}' || b == ']':
			depth--
		}
	}
	if deepest > maxAnswerDepth {
		return nil, fmt.Errorf("nested %d deep: at most %d", deepest, maxAnswerDepth)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, errors.New("not JSON")
	}
	n := &root
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	if n.Kind != yaml.MappingNode {
		return nil, errors.New("want a JSON object (a destination)")
	}
	return n, nil
}

// errAskTimeout is the reason when the executor's own timer ends the wait.
var errAskTimeout = errors.New("no answer in time")

// privateAddr: an address an ask may not reach without ask.allow_private
// (package decide holds the dialled address to the same rule).
func privateAddr(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsUnspecified() || a.IsMulticast() ||
		netip.MustParsePrefix("100.64.0.0/10").Contains(a)
}
