package api

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

// FuzzTransferBody: any body is either a destination with a known method
// or an error that starts with "body:" (the 400's message).
func FuzzTransferBody(f *testing.F) {
	for _, s := range []string{`{"uri":"sip:a@b"}`, `{"extension":"201","method":"bridge"}`, `{"external":"+331","trunk":"pstn"}`,
		`{"voicemail":"sales"}`, `{}`, `[`, `{"uri":1}`, `{"uri":"sip:a@b"} {}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		d, m, err := parseTransfer(body)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "body:") {
				t.Fatalf("error without its subject: %v", err)
			}
			return
		}
		if d == nil || d.Target == "" {
			t.Fatalf("no destination from %q", body)
		}
		switch m {
		case "", "refer", "bridge", "auto":
		default:
			t.Fatalf("method %q", m)
		}
	})
}

// FuzzHistoryQuery: any query string gives a filter or an error naming
// the parameter; from/to parse only as times.
func FuzzHistoryQuery(f *testing.F) {
	for _, s := range []string{"limit=10&key=1", "from=2026-11-01&to=2026-11-02T00:00:00Z", "format=csv", "cursor=abc", "x=1", "key=%00", "limit=-1&limit=2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		flt, format, err := parseHistoryQuery(q)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		if format != "json" && format != "csv" && format != "jsonl" {
			t.Fatalf("format %q", format)
		}
		if flt.Limit < 0 || flt.Limit > 1000 {
			t.Fatalf("limit %d", flt.Limit)
		}
		if _, _, err := parseStatsQuery(url.Values{"from": q["from"], "to": q["to"]}, time.Now()); err != nil && q.Get("from") == "" && q.Get("to") == "" {
			t.Fatalf("stats default range refused: %v", err)
		}
	})
}
