// Command ivrd is the IVR media server and its tools: serve (answer calls
// for the IVRs of a configuration; SIGHUP reloads it), validate, simulate
// (one call through the menus on a virtual clock), voicemail, prompt
// (check prompt files), dtmf (keys in a recording) and version.
//
// It is wiring only: it loads the configuration (package ivr) and the
// prompt library, builds the media engine, the SIP server and the call
// owner (package call, the SIP server's Handler), and swaps in a new
// configuration snapshot on reload. Behaviour lives in the packages.
package main
