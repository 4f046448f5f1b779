package edit

import "hash/fnv"

// IntID is a stable integer id for an ivrd resource in an API whose ids
// are integers (Zendesk's IVRs and menus, Wazo's schedules): FNV-1a of
// the kind and the ivrd id, so it is the same on every node and after a
// restart, and follows the resource's id, never its content.
func IntID(kind, id string) int64 {
	h := fnv.New32a()
	_, _ = h.Write([]byte(kind + ":" + id)) // hash writes never fail
	n := int64(h.Sum32() & 0x7fffffff)
	if n == 0 {
		n = 1
	}
	return n
}
