package zendesk

import (
	"strconv"

	"github.com/ivrd/ivrd/api/edit"
	"github.com/ivrd/ivrd/ivr"
)

// Zendesk names groups by integer ids (group_ids). ivrd's ring groups are
// named by strings: a group whose id is a number is that number (a group
// created as "10001" is Zendesk's group 10001); any other id gets a
// stable id derived from its name, as menus do.
func groupID(id string) int64 {
	if n, err := strconv.ParseInt(id, 10, 64); err == nil && n > 0 && strconv.FormatInt(n, 10) == id {
		return n
	}
	return edit.IntID("group", id)
}

// GroupID is the Zendesk id of the ivrd ring group id (for tests and
// clients that mix the APIs).
func GroupID(id string) int64 { return groupID(id) }

func (w *world) groupByID(n int64) (string, bool) {
	for _, g := range w.groups {
		if groupID(g.ID) == n {
			return g.ID, true
		}
	}
	return "", false
}

func (w *world) isGroup(id string) bool {
	_, ok := w.groupByID(groupID(id))
	return ok
}

func (w *world) groupName(id string) string {
	for _, g := range w.groups {
		if g.ID == id && g.Body.Name != "" {
			return g.Body.Name
		}
	}
	return id
}

// groupRoute shows a chain of groups (each the overflow of the one
// before) as group_ids, and what follows the last group as
// overflow_options; false when a link has no Zendesk form.
func (w *world) groupRoute(rt *Route, d *edit.Destination) bool {
	var ids []int64
	cur := d
	for ; cur != nil && cur.Kind() == ivr.KindGroup; cur = cur.Overflow {
		if !plain(cur, true) {
			return false
		}
		ids = append(ids, groupID(cur.Target()))
	}
	rt.Action, rt.Options, rt.OptionText = action("group"), Options{GroupIDs: ids}, w.groupName(d.Target())
	for ; cur != nil; cur = cur.Overflow {
		o, ok := w.overflowOption(cur)
		if !ok {
			return false
		}
		rt.OverflowOptions = append(rt.OverflowOptions, o)
	}
	return true
}

// overflowOption is one link of an overflow chain in Zendesk's form.
func (w *world) overflowOption(d *edit.Destination) (Overflow, bool) {
	switch d.Kind() {
	case ivr.KindVoicemail:
		return w.voicemailOption(d)
	case ivr.KindExternal:
		return Overflow{Action: "phone_number", Options: Options{PhoneNumber: d.Target()}}, plain(d, true)
	case ivr.KindGroup:
		return Overflow{Action: "group", Options: Options{GroupIDs: []int64{groupID(d.Target())}}}, plain(d, true)
	}
	return Overflow{}, false
}

// voicemailOption is a group's box as Zendesk's voicemail action.
func (w *world) voicemailOption(d *edit.Destination) (Overflow, bool) {
	box := d.Target()
	return Overflow{Action: "voicemail", Options: Options{GroupIDs: []int64{groupID(box)}}}, w.isGroup(box) && plain(d, true)
}

// groupDestination turns group_ids into a chain of groups, each the
// overflow of the one before (Zendesk offers the call to its groups in
// turn).
func (w *world) groupDestination(ids []int64, field string) (*edit.Destination, error) {
	if len(ids) == 0 {
		return nil, refuse("action group needs %s.group_ids (the ids of ivrd ring groups)", field)
	}
	var dest *edit.Destination
	for i := len(ids) - 1; i >= 0; i-- {
		id, ok := w.groupByID(ids[i])
		if !ok {
			return nil, refuse("%s.group_ids[%d]: %d: no such group (create it with POST /api/v1/groups)", field, i, ids[i])
		}
		dest = &edit.Destination{Group: edit.Str(id), Overflow: dest}
	}
	return dest, nil
}

// groupVoicemail is Zendesk's voicemail action: a message for the
// group's box (every ring group is a voicemail box).
func (w *world) groupVoicemail(ids []int64, field string) (*edit.Destination, error) {
	if len(ids) != 1 {
		return nil, refuse("action voicemail needs %s.group_ids with one group (ivrd records the message in that group's box)", field)
	}
	id, ok := w.groupByID(ids[0])
	if !ok {
		return nil, refuse("%s.group_ids[0]: %d: no such group (create it with POST /api/v1/groups)", field, ids[0])
	}
	return &edit.Destination{Voicemail: edit.Str(id)}, nil
}
