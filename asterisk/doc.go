// Package asterisk imports IVRs written as Asterisk dialplan
// (extensions.conf, as Wazo documents its dp-ivr-example) into ivrd's
// configuration: `ivrd import asterisk FILE`.
//
// Parse reads the dialplan's contexts, extensions and priorities (exten
// and same lines, n priorities, labels, ; comments) and refuses what it
// cannot read, naming the line. Translate recognises the IVR shape those
// dialplans share: an `s` extension that answers, plays a welcome once,
// loops over Background and WaitExten with a counter; digit extensions
// that Goto a number, another IVR context or back to the loop, Dial,
// VoiceMail or Hangup; `i` and `t` extensions that count errors with
// GotoIf and end with an error sound; GotoIfTime for opening hours. It
// writes one ivrd menu per IVR context and a Note for every line it
// could not translate, so that nothing is dropped silently.
//
// It owns the reading of dialplan text and the mapping of its idioms to
// ivrd's menu model; it emits YAML through its own typed output values.
// It must not import any other ivrd package nor any network package:
// cmd/ivrd validates what it writes.
package asterisk
