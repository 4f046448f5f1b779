// Package spoken says what a spoken prompt is and what its names may be:
// Prompt (a prompt written as text, with the language set it belongs to
// and the voice that speaks it), and the rules for a language code
// (ValidLanguage, also the name of a prompt set's folder), an espeak-ng
// voice name (ValidVoice) and the length of a text (MaxText).
//
// The configuration (package ivr) checks its prompts list by these rules
// and hands its spoken prompts out as Prompts; the prompt library
// (package prompts) renders them with espeak-ng and names its language
// folders by the same rules. One rule serves both, and ivr needs nothing
// of prompts.
//
// It imports only the standard library: no ivrd package, nothing that
// reads files, runs programs or knows a network.
package spoken
