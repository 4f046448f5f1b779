package ivr

import (
	"errors"
	"fmt"
	"strings"
)

// ErrBadDestination is a destination given outside the file (a placed
// call's) that does not validate.
var ErrBadDestination = errors.New("bad destination")

// A call ivrd places itself (POST /api/v1/calls) runs an IVR's menu like
// any caller, or a single destination: StartAt makes the executor begin
// there. Such a destination has no menu to come back to, so what would
// return to one (menu, repeat, a play's default then) ends the call.

// StartAt makes the call begin with d instead of the executor's menu;
// call it before Started.
func (e *Executor) StartAt(d *Destination) { e.startAt = d }

// SetVars gives the call variables before it starts (${vars.NAME});
// names and values are bounded as an ask answer's are (ValidVarName,
// MaxVars, MaxVarValueLen).
func (e *Executor) SetVars(vars map[string]string) {
	for k, v := range vars {
		e.setVar(k, v)
	}
}

// CheckDestination validates a destination given outside the file (a
// placed call's) as the file's are, with prompts the prompt names known
// (nil: any); the error lists every problem.
func (c *Config) CheckDestination(path string, d *Destination, prompts []string) error {
	var known map[string]bool
	if prompts != nil {
		known = map[string]bool{}
		for _, n := range prompts {
			known[n] = true
		}
		for _, p := range c.Prompts {
			known[p.Name], known[p.Label()] = true, true
		}
	}
	v := &validator{c: c, prompts: known, edges: map[string][]string{}, autoEdges: map[string][]autoEdge{},
		greetingWarned: map[string]bool{}, from: path}
	v.dest(path, d, nil)
	var errs []Problem
	for _, p := range v.out {
		if !p.Warning {
			errs = append(errs, p)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %s", ErrBadDestination, problemsText(errs))
	}
	return nil
}

// DecodeDestination reads a destination written as a JSON object outside
// the file (a placed call's on_answer, named name in messages), refusing
// what the file's reader refuses: unknown fields, values of the wrong
// kind, nesting beyond reason. CheckDestination then validates it
// against a configuration.
func DecodeDestination(name string, data []byte) (*Destination, error) {
	node, err := answerNode(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	w := &walker{lines: map[int]string{}, leaves: map[int][]leaf{}}
	w.walk(node, destinationType, name, 0)
	if len(w.out) > 0 {
		return nil, fmt.Errorf("%w: %s", ErrBadDestination, problemsText(w.out))
	}
	var d Destination
	if err := node.Decode(&d); err != nil {
		return nil, fmt.Errorf("%s: %s", name, plainTypeError(strings.TrimPrefix(err.Error(), "yaml: ")))
	}
	return &d, nil
}
