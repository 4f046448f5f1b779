package node

import (
	"errors"

	"github.com/ivrd/ivrd/api"
	"github.com/ivrd/ivrd/call"
)

// roomControl is the API's view of the conference rooms: the node's
// registry (call.Conferences) with the running configuration's rooms.
// The API is built before the node's media, so it finds the node through
// the observer.
type roomControl struct{ obs *observer }

func (rc roomControl) rooms() (*Node, bool) {
	n := rc.obs.node.Load()
	return n, n != nil && n.rooms != nil
}

func (rc roomControl) Conferences() []api.Conference {
	n, ok := rc.rooms()
	if !ok {
		return nil
	}
	list := n.rooms.Rooms(n.snap.Load().Config)
	out := make([]api.Conference, 0, len(list))
	for _, r := range list {
		c := api.Conference{ID: r.ID, Name: r.Name, Number: r.Number, MaxParticipants: r.Max, Session: r.Session, Recording: r.Recording,
			Participants: make([]api.ConferenceParticipant, 0, len(r.Participants))}
		for _, p := range r.Participants {
			c.Participants = append(c.Participants, api.ConferenceParticipant{CallID: p.CallID, Caller: p.Caller,
				JoinedAt: p.Joined.UTC(), Muted: p.Muted, Talking: p.Talking, Moderator: p.Moderator, Waiting: p.Waiting})
		}
		out = append(out, c)
	}
	return out
}

func (rc roomControl) SetMuted(room, callID string, muted bool) error {
	n, ok := rc.rooms()
	if !ok {
		return api.ErrNotInConference
	}
	return roomError(n.rooms.SetMuted(room, callID, muted))
}

func (rc roomControl) RemoveParticipant(room, callID string) error {
	n, ok := rc.rooms()
	if !ok {
		return api.ErrNotInConference
	}
	return roomError(n.rooms.Remove(room, callID))
}

// roomError maps the call package's errors to the API's.
func roomError(err error) error {
	if errors.Is(err, call.ErrNotInConference) {
		return api.ErrNotInConference
	}
	return err
}
