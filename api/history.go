package api

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/ivrd/ivrd/cdr"
	"github.com/ivrd/ivrd/store"
)

// historyParams are the query parameters GET /api/v1/calls/history takes.
var historyParams = map[string]string{
	"from":       "calls whose INVITE came at or after this time (RFC 3339 or YYYY-MM-DD)",
	"to":         "calls whose INVITE came before this time (RFC 3339 or YYYY-MM-DD)",
	"ivr":        "calls that reached this IVR",
	"outcome":    "calls whose outcome is of this kind (transfer, voicemail, hangup, caller hung up, ended)",
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
	if v := q.Get("key"); v != "" && !cdr.ValidKey(v) {
		return f, "", fmt.Errorf("key %q: want one of 0-9 * # A-D", v)
	}
	f.Outcome, f.EndReason, f.State = cdr.OutcomeKind(q.Get("outcome")), cdr.EndReason(q.Get("end_reason")), cdr.State(q.Get("state"))
	for _, err := range []error{check("state", f.State), check("outcome", f.Outcome), check("end_reason", f.EndReason)} {
		if err != nil {
			return f, "", err
		}
	}
	f.IVR, f.Caller = q.Get("ivr"), q.Get("caller")
	f.Key, f.Node, f.Cursor = q.Get("key"), q.Get("node"), q.Get("cursor")
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
			items = []cdr.Record{}
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

// check is cdr.Check for an optional filter ("" is no filter).
func check[T interface {
	~string
	cdr.Enumerated
}](name string, v T) error {
	if v == "" {
		return nil
	}
	return cdr.Check(name, v)
}

// exportTrailer names what went wrong after the status was sent.
const exportTrailer = "X-Ivrd-Export-Error"

// exportHistory streams every record the filter matches, page by page.
// A store error on the first page is an error answer; one on a later
// page (the 200 is already sent) is logged, named in the trailer, and the
// response is aborted, so that the client sees a broken transfer and not
// a complete-looking file. A failed write (the client went away) is
// logged and ends the export.
func (s *Server) exportHistory(w http.ResponseWriter, r *http.Request, f store.CallFilter, format string) {
	if f.Limit == 0 {
		f.Limit = 1000
	}
	page, next, err := s.st.CallHistory(r.Context(), f)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	w.Header().Set("Trailer", exportTrailer)
	write := jsonlWriter(w)
	if format == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="calls.csv"`)
		write = csvWriter(w)
		if err := write(nil); err != nil { // the header
			s.log.Warn("call history export: write failed", "err", err)
			return
		}
	} else {
		w.Header().Set("Content-Type", "application/x-ndjson")
	}
	for {
		for i := range page {
			if err := write(&page[i]); err != nil {
				s.log.Warn("call history export: write failed", "err", err, "call_id", page[i].CallID)
				return
			}
		}
		if next == "" || r.Context().Err() != nil {
			return
		}
		f.Cursor = next
		if page, next, err = s.st.CallHistory(r.Context(), f); err != nil {
			s.log.Error("call history export: the store failed after the first page; the response is cut off", "err", err)
			w.Header().Set(exportTrailer, err.Error())
			panic(http.ErrAbortHandler)
		}
	}
}

// csvWriter writes one record a call (nil: the header), flushed so that
// an error is seen at the record that caused it.
func csvWriter(w http.ResponseWriter) func(*cdr.Record) error {
	cw := csv.NewWriter(w)
	return func(rec *cdr.Record) error {
		row := cdr.CSVHeader()
		if rec != nil {
			var err error
			if row, err = rec.CSVRow(); err != nil {
				return err
			}
		}
		if err := cw.Write(row); err != nil {
			return err
		}
		cw.Flush()
		return cw.Error()
	}
}

// jsonlWriter writes one JSON record a line.
func jsonlWriter(w http.ResponseWriter) func(*cdr.Record) error {
	enc := json.NewEncoder(w)
	return func(rec *cdr.Record) error { return enc.Encode(rec) }
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
