package ivr

import (
	"regexp"
	"strings"
)

// A call's variables, written ${NAME} in uri and external targets,
// webhook data values, an ask URL and an ask answer's say text:
//
//	${caller}     the caller's number
//	${dialled}    the number the caller dialled
//	${digits}     the digits the last gather collected
//	${vars.NAME}  a value a gather (var:) or an ask answer (vars:) set
//
// A variable with no value is replaced by nothing. Prompts written as
// text (prompts:) are spoken when the configuration is loaded, before
// any call, so they cannot hold variables: validate says so.

// Variable names.
const (
	VarCaller  = "caller"
	VarDialled = "dialled"
	VarDigits  = "digits"
	varsPrefix = "vars."
)

// Limits on what an answer (or a gather) may set.
const (
	MaxVars        = 32  // variables per call
	MaxVarValueLen = 256 // characters per value
)

// varName is what NAME in ${vars.NAME} may be.
var varName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,31}$`)

// varRef finds ${...} references (and a ${ left open).
var varRef = regexp.MustCompile(`\$\{([^}]*)(\}|$)`)

// ValidVarName reports whether s may be a variable's NAME.
func ValidVarName(s string) bool { return varName.MatchString(s) }

// varProblem says what is wrong with the references in s ("" none).
func varProblem(s string) string {
	for _, m := range varRef.FindAllStringSubmatch(s, -1) {
		if m[2] != "}" {
			return "${ without its closing }"
		}
		switch name := m[1]; {
		case name == VarCaller, name == VarDialled, name == VarDigits:
		case strings.HasPrefix(name, varsPrefix) && varName.MatchString(strings.TrimPrefix(name, varsPrefix)):
		default:
			return "unknown variable ${" + name + "} (want ${caller}, ${dialled}, ${digits} or ${vars.NAME})"
		}
	}
	return ""
}

// checkVars reports unknown variables in a value validate checks.
func (v *validator) checkVars(path, s string) {
	if why := varProblem(s); why != "" {
		v.errf(path, "%q: %s", s, why)
	}
}

// sampleValues stands in for variables when a value holding them is
// checked (a SIP URI, a number): each becomes a digit.
func sampleValues(s string) string {
	return varRef.ReplaceAllString(s, "1")
}

// expand puts the call's values in s.
func (e *Executor) expand(s string) string {
	if !strings.Contains(s, "${") {
		return s
	}
	return varRef.ReplaceAllStringFunc(s, func(ref string) string {
		name := strings.TrimSuffix(strings.TrimPrefix(ref, "${"), "}")
		switch name {
		case VarCaller:
			return e.caller
		case VarDialled:
			return e.dialled
		case VarDigits:
			return e.digits
		}
		if n, ok := strings.CutPrefix(name, varsPrefix); ok {
			return e.vars[n]
		}
		return ""
	})
}

// setVar keeps a variable, within the limits (validate and the answer
// decoder hold them too; this is the last guard).
func (e *Executor) setVar(name, value string) {
	if !varName.MatchString(name) {
		return
	}
	if _, ok := e.vars[name]; !ok && len(e.vars) >= MaxVars {
		return
	}
	if len(value) > MaxVarValueLen {
		value = value[:MaxVarValueLen]
	}
	if e.vars == nil {
		e.vars = map[string]string{}
	}
	e.vars[name] = value
}

// SetDialled tells the executor the number the caller dialled, for
// ${dialled} and ask requests.
func (e *Executor) SetDialled(n string) { e.dialled = n }

// Vars is a copy of the call's variables.
func (e *Executor) Vars() map[string]string {
	out := make(map[string]string, len(e.vars))
	for k, v := range e.vars {
		out[k] = v
	}
	return out
}

// expandDest is d with the call's values put in its target (uri and
// external targets may hold variables); d itself is the configuration's
// and is never changed.
func (e *Executor) expandDest(d *Destination) *Destination {
	if (d.Kind != KindURI && d.Kind != KindExternal) || !strings.Contains(d.Target, "${") {
		return d
	}
	out := *d
	out.Target = e.expand(d.Target)
	return &out
}
