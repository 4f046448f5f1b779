package ivr

import "strings"

// Checks of a menu's settings that need more than a range: what a caller
// will hear or be charged for that the file does not say.

// maxErrors checks max_errors (0: off) and warns when prompt_repeat or
// max_invalid always run out before it is reached.
func (v *validator) maxErrors(path string, m *IVR) {
	if m.MaxErrors == 0 {
		return
	}
	if m.MaxErrors < 0 || m.MaxErrors > 10 {
		v.errf(path+".max_errors", "%d is out of range 1-10 (0 or left out: timeouts and invalid entries are counted apart)", m.MaxErrors)
		return
	}
	// The most errors a call can make before one of the separate
	// counters runs out: all but the last timeout, all but the last
	// invalid entry, then one more of either.
	if most := (m.PromptRepeat - 1) + (m.MaxInvalid - 1) + 1; m.MaxErrors > most {
		v.warnf(path+".max_errors", "%d is never reached: prompt_repeat (%d) or max_invalid (%d) runs out after %d errors at most",
			m.MaxErrors, m.PromptRepeat, m.MaxInvalid, most)
	}
}

// voicemailGreeting warns, once per box, when the box has no greeting
// of its own, naming what callers will hear instead (the same choice
// the voicemail recorder makes).
func (v *validator) voicemailGreeting(path, box string) {
	if b := v.c.VoicemailBoxByID(box); b != nil && b.Greeting != "" {
		return // the box names its greeting (validated with the box)
	}
	own := "voicemail-" + box
	if v.prompts == nil || v.prompts[own] || v.greetingWarned[box] {
		return
	}
	v.greetingWarned[box] = true
	if v.prompts["voicemail-default"] {
		v.warnf(path, "no prompt %s: callers to box %s hear voicemail-default, then the beep", own, box)
		return
	}
	v.warnf(path, "no prompt %s or voicemail-default: callers to box %s hear only the beep", own, box)
}

// referThroughTrunk warns when an external number through a trunk is
// handed off by REFER: the caller's side then dials it itself, without
// the trunk's credentials or caller id, so those settings silently do
// nothing (point 11 of issue 13). auto tries REFER first, so it warns too.
func (v *validator) referThroughTrunk(path, trunk string, method TransferMethod) {
	if method == "" {
		method = DefaultTransfer
	}
	t := v.c.TrunkByName(trunk)
	if t == nil || method == TransferBridge {
		return
	}
	var lost []string
	if t.Username != "" || t.Password != "" {
		lost = append(lost, "credentials (username/password)")
	}
	if t.FromUser != "" {
		lost = append(lost, "caller id (from_user)")
	}
	if len(lost) == 0 {
		return
	}
	how := "transfer: refer asks the caller's side to dial the number itself"
	if method == "auto" {
		how = "transfer: auto tries REFER first, which asks the caller's side to dial the number itself"
	}
	v.warnf(path, "%s: trunk %q's %s are not used (set transfer: bridge to call out through the trunk)", how, trunk, strings.Join(lost, " and "))
}

// dialledName: a number or name an IVR is dialled by (the Request-URI
// user): "100", "+15550100", or a name like Asterisk's "s". Characters
// that end or change a SIP URI user part cannot be matched.
func dialledName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || strings.IndexByte("+*#.-_", c) >= 0) {
			return false
		}
	}
	return true
}
