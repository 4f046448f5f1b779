package store

import (
	"strings"
	"time"
)

// timed starts timing one statement for Options.QueryHook; the returned
// func ends it. Without a hook it costs nothing but the call.
func (s *Store) timed(query string) func() {
	if s.hook == nil {
		return func() {}
	}
	start := time.Now()
	return func() { s.hook(verb(query), time.Since(start)) }
}

// verb is a statement's first word, one of a fixed few (a bounded label).
func verb(query string) string {
	w, _, _ := strings.Cut(strings.TrimSpace(query), " ")
	switch w = strings.ToUpper(w); w {
	case "SELECT", "INSERT", "UPDATE", "DELETE":
		return w
	}
	return "other"
}
