package call

import "errors"

// Hand-off failures the menu hears (its overflow or invalid prompt follows).
// Reasons an ask or a say is skipped.
var (
	errNoDecider = errors.New("no decision client configured")
	errNoSpeaker = errors.New("no speaker (espeak-ng) for say text")
)

var (
	ErrUnknownExtension = errors.New("unknown extension")
	ErrNotRegistered    = errors.New("extension is not registered")
	ErrUnknownTrunk     = errors.New("unknown trunk")
	ErrUnsupportedDest  = errors.New("destination kind not supported")
	ErrUnknownGroup     = errors.New("unknown group")
	ErrNoMember         = errors.New("no group member is reachable (none registered)")
	ErrGroupNoAnswer    = errors.New("no group member answered")
	// Conference rooms (conference.go).
	ErrUnknownConference = errors.New("unknown conference")
	ErrNoConferences     = errors.New("this server mixes no conferences (no media engine for rooms)")
	ErrConferenceFull    = errors.New("the conference room is full")
	ErrConferencePIN     = errors.New("wrong conference PIN")
	ErrNotInConference   = errors.New("no such call in a conference room")
	// Queues (queue.go).
	ErrUnknownQueue = errors.New("unknown queue")
	ErrNotAgent     = errors.New("not an agent of that queue")
)

// Live call requests that cannot be carried out (the API answers 404, 409).
var (
	ErrNoSuchCall = errors.New("no such call in progress")
	ErrNotInMenu  = errors.New("the call is not in its menu (already handed off, or another request is under way)")
)
