package call

import "github.com/ivrd/ivrd/prompts"

// language is the call's language, as its executor keeps it ("" the
// default prompt set).
func (r *run) language() string {
	if r.exec == nil {
		return ""
	}
	return r.exec.Language()
}

// prompt is a prompt the call plays itself (voicemail's), in the call's
// language, else from the default set: as the menu's prompts play.
func (r *run) prompt(name string) (*prompts.Prompt, bool) {
	return r.snap.Prompts.Lookup(r.language(), name)
}
