package api

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ivrd/ivrd/store"
)

// historyParams are the query parameters GET /api/v1/calls/history takes.
var historyParams = map[string]string{
	"from":       "calls whose INVITE came at or after this time (RFC 3339 or YYYY-MM-DD)",
	"to":         "calls whose INVITE came before this time (RFC 3339 or YYYY-MM-DD)",
	"ivr":        "calls that reached this IVR",
	"outcome":    "calls whose outcome starts with this (transfer, voicemail, hangup, caller hung up)",
	"end_reason": "calls that ended for this reason (caller hung up, operator hung up, transferred, ...)",
	"caller":     "calls from this caller (the From user)",
	"key":        "calls where this key was pressed (0-9 * # A-D)",
	"node":       "calls taken by this node",
	"state":      "started, ended or interrupted",
	"limit":      "page size, 1-1000 (default 100); with format csv or jsonl every page is sent",
	"cursor":     "next_cursor of the previous page",
	"format":     "json (default, one page), csv or jsonl (every matching record)",
}

// parseTime reads RFC 3339 or a date (midnight UTC).
func parseTime(name, v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02", v); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%s %q: want RFC 3339 (2026-11-29T15:00:00Z) or a date (2026-11-29)", name, v)
}

// parseHistoryQuery turns the query into a store filter and a format; the
// error names the parameter at fault.
func parseHistoryQuery(q url.Values) (store.CallFilter, string, error) {
	var f store.CallFilter
	for k, v := range q {
		if _, ok := historyParams[k]; !ok {
			return f, "", fmt.Errorf("unknown parameter %q", k)
		}
		if len(v) != 1 {
			return f, "", fmt.Errorf("parameter %q given %d times", k, len(v))
		}
	}
	var err error
	if v := q.Get("from"); v != "" {
		if f.From, err = parseTime("from", v); err != nil {
			return f, "", err
		}
	}
	if v := q.Get("to"); v != "" {
		if f.To, err = parseTime("to", v); err != nil {
			return f, "", err
		}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return f, "", fmt.Errorf("limit %q: want 1-1000", v)
		}
		f.Limit = n
	}
	if v := q.Get("key"); v != "" && (len(v) != 1 || !strings.Contains("0123456789*#ABCD", v)) {
		return f, "", fmt.Errorf("key %q: want one of 0-9 * # A-D", v)
	}
	if v := q.Get("state"); v != "" && v != "started" && v != "ended" && v != "interrupted" {
		return f, "", fmt.Errorf("state %q: want started, ended or interrupted", v)
	}
	f.IVR, f.Outcome, f.EndReason, f.Caller = q.Get("ivr"), q.Get("outcome"), q.Get("end_reason"), q.Get("caller")
	f.Key, f.Node, f.State, f.Cursor = q.Get("key"), q.Get("node"), q.Get("state"), q.Get("cursor")
	format := q.Get("format")
	switch format {
	case "", "json":
		format = "json"
	case "csv", "jsonl":
	default:
		return f, "", fmt.Errorf("format %q: want json, csv or jsonl", format)
	}
	return f, format, nil
}

func (s *Server) callHistory(w http.ResponseWriter, r *http.Request) {
	f, format, err := parseHistoryQuery(r.URL.Query())
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	if format == "json" {
		items, next, err := s.st.CallHistory(r.Context(), f)
		if err != nil {
			s.storeError(w, r, err)
			return
		}
		if items == nil {
			items = []store.CallRecord{}
		}
		out := map[string]any{"items": items}
		if next != "" {
			out["next_cursor"] = next
		}
		writeJSON(w, http.StatusOK, out)
		return
	}
	s.exportHistory(w, r, f, format)
}

// csvHeader is the export's columns; lists and quality stay JSON text.
var csvHeader = []string{"call_id", "node", "state", "from", "to", "source", "source_name", "invite_at", "answer_at", "end_at",
	"ivr", "path", "keys", "invalid", "timeouts", "schedule_branch", "transfers", "voicemail", "outcome", "end_reason", "ended_by", "quality"}

func timeCell(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// exportHistory streams every record the filter matches, page by page
// (the first bad page ends the body early: the status is already sent).
func (s *Server) exportHistory(w http.ResponseWriter, r *http.Request, f store.CallFilter, format string) {
	if f.Limit == 0 {
		f.Limit = 1000
	}
	first, next, err := s.st.CallHistory(r.Context(), f)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	var cw *csv.Writer
	var enc *json.Encoder
	if format == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="calls.csv"`)
		cw = csv.NewWriter(w)
		_ = cw.Write(csvHeader)
	} else {
		w.Header().Set("Content-Type", "application/x-ndjson")
		enc = json.NewEncoder(w)
	}
	page := first
	for {
		for _, c := range page {
			if cw != nil {
				_ = cw.Write([]string{c.CallID, c.Node, c.State, c.From, c.To, c.Source, c.SourceName, c.InviteAt.UTC().Format(time.RFC3339Nano),
					timeCell(c.AnswerAt), timeCell(c.EndAt), c.IVR, c.Path, string(c.Keys), strconv.Itoa(c.Invalid), strconv.Itoa(c.Timeouts),
					c.ScheduleBranch, string(c.Transfers), c.Voicemail, c.Outcome, c.EndReason, c.EndedBy, string(c.Quality)})
			} else if err := enc.Encode(c); err != nil {
				return // the client went away
			}
		}
		if cw != nil {
			cw.Flush()
		}
		if next == "" || r.Context().Err() != nil {
			return
		}
		f.Cursor = next
		if page, next, err = s.st.CallHistory(r.Context(), f); err != nil {
			s.log.Error("call history export", "err", err)
			return
		}
	}
}

func (s *Server) getCallRecord(w http.ResponseWriter, r *http.Request) {
	rec, err := s.st.Call(r.Context(), r.PathValue("id"))
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rec)
}

// parseStatsQuery reads from and to (default: the last 24 hours).
func parseStatsQuery(q url.Values, now time.Time) (time.Time, time.Time, error) {
	for k := range q {
		if k != "from" && k != "to" {
			return time.Time{}, time.Time{}, fmt.Errorf("unknown parameter %q (want from, to)", k)
		}
	}
	to, from := now, now.Add(-24*time.Hour)
	var err error
	if v := q.Get("to"); v != "" {
		if to, err = parseTime("to", v); err != nil {
			return from, to, err
		}
		if q.Get("from") == "" {
			from = to.Add(-24 * time.Hour)
		}
	}
	if v := q.Get("from"); v != "" {
		if from, err = parseTime("from", v); err != nil {
			return from, to, err
		}
	}
	if !to.After(from) {
		return from, to, fmt.Errorf("from %s is not before to %s", from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	return from, to, nil
}

func (s *Server) ivrStats(w http.ResponseWriter, r *http.Request) {
	from, to, err := parseStatsQuery(r.URL.Query(), time.Now())
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	st, err := s.st.Stats(r.Context(), r.PathValue("id"), from, to)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}
