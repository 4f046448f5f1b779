// Package call owns one answered call from its answer to its last log
// line: the menu's event loop (digits straight from the collector into
// the executor), the hand-off it chooses (REFER, a bridge, voicemail), the
// wait for a bridge or recording to end, the teardown, and exactly one
// call record with a typed end reason and the side that ended it. It keeps
// the registry of calls in progress (live.go: what the API lists, hangs up
// and transfers, the latter through the call's own event loop) and emits
// each call's events (events.go) to whoever cmd/ivrd connects (metrics,
// webhooks).
//
// Conference rooms (conference.go, rooms.go) keep the call on its own
// goroutine too: the call joins a room's media.Mixer, its keys (*6 mute,
// # leave) are read there, and Conferences is the node's registry of
// rooms in progress, read and moved (mute, remove) by the API through
// the node.
//
// Call queues (queue.go, queues.go) too: a waiting call loops the
// queue's music, says its position and reads its leave key on its own
// goroutine, and meets the others in Queues, the node's registry (in
// memory, per node) of who waits in which order and what each agent is
// doing; the call at the head rings the agents its strategy chooses and
// is bridged to the one who answers.
//
// A call is recorded (recording.go) when its IVR or a destination says
// record: package recording writes the file from the call's media tap;
// the node indexes it. Calls ivrd places (placed.go, POST /api/v1/calls
// through the node) are run by ServePlaced like inbound ones, the called
// party being the menu's caller, and recorded as outbound. A call placed
// to record a prompt by phone runs ServePromptCall (promptcall.go): the
// instruction, the beep, the take, its review (1 keep, 2 again, * cancel),
// the kept audio handed to the node's Save.
//
// Voicemail is deposited and checked through the Voicemail interface,
// asked of Options.Voicemail with each call's configuration
// (store.Voicemail, files under voicemail_dir, by default): call takes
// the store's message type, never a *store.Store. It chooses every sound
// a call hears, ringback and announcements included: sip only plays the
// ones a bridge's Outbound carries.
//
// Of the library packages it is the only one that joins sip, media, dtmf
// and ivr (the commands that wire the server aside). It must not be
// imported by any of them, and must not import api, webhook, decide,
// stream or observe (ask and stream steps go through its Decider and
// Streamer interfaces):
// those hear it through Options (Records, Events) that cmd/ivrd connects,
// wiring it in as the sip.Handler.
package call
