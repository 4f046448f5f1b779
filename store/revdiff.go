package store

import (
	"encoding/json"
	"maps"
	"slices"
	"sort"
)

// IVRChanges says in short phrases what differs between two bodies of
// an IVR: each key and each other field added,
// removed or changed. before nil: the IVR was created.
func IVRChanges(before, after map[string]any) []string {
	if before == nil {
		return []string{"created"}
	}
	var out []string
	bk, _ := before["keys"].(map[string]any)
	ak, _ := after["keys"].(map[string]any)
	for _, k := range unionKeys(bk, ak) {
		if c := changeOf(bk, ak, k); c != "" {
			out = append(out, "key "+k+" "+c)
		}
	}
	for _, f := range unionKeys(before, after) {
		if f == "keys" {
			continue
		}
		if c := changeOf(before, after, f); c != "" {
			out = append(out, f+" "+c)
		}
	}
	if len(out) == 0 {
		return []string{"no change"}
	}
	return out
}

func unionKeys(a, b map[string]any) []string {
	ks := slices.Collect(maps.Keys(a))
	for k := range b {
		if _, ok := a[k]; !ok {
			ks = append(ks, k)
		}
	}
	sort.Strings(ks)
	return ks
}

// changeOf is "added", "removed", "changed" or "" for one entry.
func changeOf(a, b map[string]any, k string) string {
	av, inA := a[k]
	bv, inB := b[k]
	switch {
	case !inA:
		return "added"
	case !inB:
		return "removed"
	}
	ja, errA := json.Marshal(av)
	jb, errB := json.Marshal(bv)
	if errA != nil || errB != nil || string(ja) != string(jb) {
		return "changed"
	}
	return ""
}
