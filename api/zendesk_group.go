package api

import (
	"errors"
	"fmt"
	"strconv"
)

// Zendesk's group action names groups by integer ids (group_ids). ivrd's
// ring groups are named by strings: a group whose id is a number is that
// number (a group created as "10001" is Zendesk's group 10001); any other
// id gets a stable id derived from its name, as menus and routes do.
func zdGroupID(id string) int64 {
	if n, err := strconv.ParseInt(id, 10, 64); err == nil && n > 0 && strconv.FormatInt(n, 10) == id {
		return n
	}
	return zdID("group", id)
}

// groupDestination turns group_ids into a group destination: several ids
// ring one group after the other, each the overflow of the one before
// (Zendesk offers the call to its groups in turn).
func (world zdWorld) groupDestination(ids []int64) (any, error) {
	if len(ids) == 0 {
		return nil, errors.New("action group needs options.group_ids (the ids of ivrd ring groups)")
	}
	var dest map[string]any
	for i := len(ids) - 1; i >= 0; i-- {
		id, ok := world.groupByZdID(ids[i])
		if !ok {
			return nil, fmt.Errorf("options.group_ids[%d]: %d: no such group (create it with POST /api/v1/groups)", i, ids[i])
		}
		d := map[string]any{"group": id}
		if dest != nil {
			d["overflow"] = dest
		}
		dest = d
	}
	return dest, nil
}

func (world zdWorld) groupByZdID(n int64) (string, bool) {
	for _, g := range world.groups {
		if zdGroupID(g.ID) == n {
			return g.ID, true
		}
	}
	return "", false
}

// groupRoute shows a group destination as Zendesk's group action when it
// is a plain chain of groups (what groupDestination writes); otherwise
// (an overflow to something else) it reports false and the route shows
// ivrd's own form.
func (world zdWorld) groupRoute(rt map[string]any, d map[string]any) bool {
	var ids []any
	var names []string
	for cur := d; cur != nil; {
		for k := range cur {
			if k != "group" && k != "overflow" {
				return false
			}
		}
		g, ok := cur["group"].(string)
		if !ok {
			return false
		}
		ids = append(ids, zdGroupID(g))
		names = append(names, world.groupName(g))
		next, has := cur["overflow"]
		if !has || next == nil {
			break
		}
		if cur, ok = next.(map[string]any); !ok {
			return false
		}
	}
	rt["action"], rt["options"], rt["option_text"] = "group", map[string]any{"group_ids": ids}, names[0]
	return true
}

func (world zdWorld) groupName(id string) string {
	for _, g := range world.groups {
		if g.ID == id {
			if n := str(g.Body, "name"); n != "" {
				return n
			}
		}
	}
	return id
}

// groupVoicemail is Zendesk's voicemail action: a message for the
// group's box (every ring group is a voicemail box).
func (world zdWorld) groupVoicemail(ids []int64) (any, error) {
	if len(ids) != 1 {
		return nil, errors.New("action voicemail needs options.group_ids with one group (ivrd records the message in that group's box)")
	}
	id, ok := world.groupByZdID(ids[0])
	if !ok {
		return nil, fmt.Errorf("options.group_ids[0]: %d: no such group (create it with POST /api/v1/groups)", ids[0])
	}
	return map[string]any{"voicemail": id}, nil
}

// groupVoicemailRoute shows a group's box as Zendesk's voicemail action.
func (world zdWorld) groupVoicemailRoute(rt map[string]any, d map[string]any) bool {
	box, _ := d["voicemail"].(string)
	if len(d) != 1 {
		return false // an overflow or a transfer: ivrd's own form shows it
	}
	for _, g := range world.groups {
		if g.ID == box {
			rt["action"], rt["options"], rt["option_text"] = "voicemail", map[string]any{"group_ids": []any{zdGroupID(box)}}, world.groupName(box)
			return true
		}
	}
	return false
}
