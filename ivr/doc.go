// Package ivr is the menu: the configuration model (docs/configuration.md),
// its validation, schedules, and the executor, a pure state machine that
// turns call events (started, digit, playback done, timer fired, transfer
// result, hang-up) into actions (play, stop, start/cancel timer, transfer,
// voicemail, hang up, and Note for logs and traces).
//
// It imports no network, SIP or media package and owns no clock or
// goroutine in the executor: package call drives it on a real call, and
// Simulate drives it on a virtual clock. Prompt files belong to package
// prompts, which ivr must not import: validation and the simulator take
// prompt names and durations as plain values, the spoken prompts go out
// as plain values (Config.Spoken), and the names a language and a voice
// may have are package spoken's rules. Of ivrd it imports audio (codec
// names), audio/opus (whether this binary has Opus) and spoken only; sip, media, dtmf, call, prompts and store must
// not be imported.
//
// Where the contract is silent, ivr does what Asterisk/FreeSWITCH callers
// expect:
//
//   - transfer defaults to refer (blind transfer, as Asterisk's Transfer()).
//   - The greeting plays once per menu per call, cannot be interrupted, and
//     keys typed during it (or during invalid/timeout prompts and recorded
//     answers) are kept and answer the menu at once without its prompt.
//   - An invalid entry discards keys typed before it was judged; keys typed
//     during the invalid prompt are kept.
//   - Without on_failure the call hangs up (reason "failure"); the examples
//     set { prompt: goodbye, then: hangup }. A {play} with no then replays
//     the menu, except while the call is ending (on_failure, closed), where
//     it ends the call: repeat/menu there would loop with spent counters.
//   - A failed hand-off runs its overflow, else plays invalid_prompt and
//     returns to the menu; during on_failure or closed handling it hangs up.
//   - A menu with a schedule is checked each time it is entered, at the
//     call's start time: a department (submenu) can keep its own hours. A
//     schedule with no open list is always open except on holidays.
//   - Going to a menu already on the back stack unwinds to it.
//   - dial_out.allow patterns must match the whole number (as if written
//     ^(?:...)$) and only all-digit numbers of 1-20 digits go out: * and #
//     never do. A key or an extension wins over a dial-out number.
//   - A multi-digit entry ends when nothing longer could mean something
//     else; otherwise after digit_timeout or at the terminator.
//   - max_errors (an addition) counts timeouts and invalid entries
//     together; reaching it runs on_failure without the invalid or
//     timeout prompt, as Wazo's dialplan does.
//   - Every call ends: validate rejects loops a call can make without a
//     key (cycles.go), and the executor hangs up anyway after
//     MaxHopsWithoutKey menus in a row without a key or MaxMenuTime in
//     the menus. Menus are entered as steps of a loop in Handle, never
//     by recursion.
//   - A call has one language (language.go), kept by its executor and
//     given with each Play: a menu's language switches it on entry,
//     set_language for the rest of the call; prompts missing in a
//     language fall back to the default set (a validate warning, as
//     Asterisk falls back to its default sounds).
//   - A webhook destination (webhook_dest.go) is a Notify action and the
//     next step at once: the driver queues the event for the webhook
//     outbox and never reports back, so ivr stays free of the network.
//   - A gather (gather.go) collects keys with the call's two timers: the
//     timer for the gap after a key (digit_timeout), the deadline
//     (StartDeadline) for the whole entry from the prompt's end. Its
//     prompt takes barge-in; keys typed ahead answer it at once.
//   - An ask (ask.go) is an Ask action and an AskResult event: the
//     driver does the HTTP and hands back an answer already decoded and
//     validated (Config.DecodeAnswer); the executor arms its own timer
//     for the timeout, so the fallback runs on time whatever the driver
//     does, and a late answer is ignored. The hold prompt loops.
//   - Variables (vars.go) are the call's: ${caller}, ${dialled},
//     ${digits} and ${vars.NAME}, put in when a destination runs.
package ivr
