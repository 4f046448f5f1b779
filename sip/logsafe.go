package sip

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"unicode/utf8"
)

// maxLogValue bounds a string that reaches a log line: values come from
// the network (a Call-ID, a user part, a whole unparseable datagram from
// sipgo) and one line must not carry 33 KB of an attacker's bytes.
const maxLogValue = 200

// exemptKeys hold values that are ours and worth their length.
var exemptKeys = map[string]bool{"stack": true}

// safeLogger returns a logger whose string values are cut to maxLogValue
// bytes of valid UTF-8 (the handler then quotes them: a CR or LF cannot
// forge a line) and whose lines name each key once: sipgo adds "caller"
// at each layer it wraps, and the last one (the most precise) wins.
func safeLogger(l *slog.Logger) *slog.Logger {
	if _, ok := l.Handler().(safeHandler); ok {
		return l
	}
	return slog.New(safeHandler{inner: l.Handler()})
}

type safeHandler struct {
	inner slog.Handler
	// held are With attributes at the top level, kept here (not passed to
	// inner) so that a later one with the same key replaces them.
	held []slog.Attr
}

func (h safeHandler) Enabled(ctx context.Context, l slog.Level) bool { return h.inner.Enabled(ctx, l) }

func (h safeHandler) WithAttrs(as []slog.Attr) slog.Handler {
	held := slices.Clone(h.held)
	for _, a := range as {
		held = setAttr(held, safeAttr(a))
	}
	return safeHandler{inner: h.inner, held: held}
}

func (h safeHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return safeHandler{inner: h.inner.WithAttrs(h.held).WithGroup(name)}
}

func (h safeHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, truncateLog(r.Message), r.PC)
	attrs := slices.Clone(h.held)
	r.Attrs(func(a slog.Attr) bool {
		attrs = setAttr(attrs, safeAttr(a))
		return true
	})
	out.AddAttrs(attrs...)
	return h.inner.Handle(ctx, out)
}

// setAttr replaces the attribute with a's key in as, or appends a.
func setAttr(as []slog.Attr, a slog.Attr) []slog.Attr {
	if a.Key == "" && a.Value.Kind() != slog.KindGroup {
		return as
	}
	for i := range as {
		if as[i].Key == a.Key && a.Key != "" {
			as[i] = a
			return as
		}
	}
	return append(as, a)
}

// safeAttr cuts the strings of a (errors and byte slices are strings by
// then) to maxLogValue.
func safeAttr(a slog.Attr) slog.Attr {
	if exemptKeys[a.Key] {
		return a
	}
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, truncateLog(v.String()))
	case slog.KindGroup:
		g := v.Group()
		out := make([]slog.Attr, len(g))
		for i, m := range g {
			out[i] = safeAttr(m)
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(out...)}
	case slog.KindAny:
		switch x := v.Any().(type) {
		case error:
			return slog.String(a.Key, truncateLog(x.Error()))
		case []byte:
			return slog.String(a.Key, truncateLog(string(x)))
		case fmt.Stringer:
			return slog.String(a.Key, truncateLog(x.String()))
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}

// truncateLog cuts s to maxLogValue bytes at a rune boundary, makes it
// valid UTF-8 and says how long it was.
func truncateLog(s string) string {
	if len(s) <= maxLogValue && utf8.ValidString(s) {
		return s
	}
	total := len(s)
	if len(s) > maxLogValue {
		cut := maxLogValue
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut]
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	if total > maxLogValue {
		s += fmt.Sprintf("...(%d bytes)", total)
	}
	return s
}
