package cdr

import (
	"encoding/json"
	"strconv"
	"time"
)

// CSVHeader is the CSV export's columns, one per Record field; the lists
// and the quality are JSON text in their cells.
func CSVHeader() []string {
	return []string{"call_id", "node", "state", "from", "to", "source", "source_name", "invite_at", "answer_at", "end_at",
		"ivr", "path", "keys", "invalid", "timeouts", "schedule_branch", "transfers", "voicemail", "outcome", "outcome_kind",
		"end_reason", "ended_by", "quality", "direction"}
}

// CSVRow is the record in CSVHeader's order.
func (r *Record) CSVRow() ([]string, error) {
	keys, err := json.Marshal(nonNil(r.Keys))
	if err != nil {
		return nil, err
	}
	transfers, err := json.Marshal(nonNil(r.Transfers))
	if err != nil {
		return nil, err
	}
	quality, err := json.Marshal(r.Quality)
	if err != nil {
		return nil, err
	}
	return []string{r.CallID, r.Node, string(r.State), r.From, r.To, string(r.Source), r.SourceName, timeCell(&r.InviteAt),
		timeCell(r.AnswerAt), timeCell(r.EndAt), r.IVR, r.Path.String(), string(keys), strconv.Itoa(r.Invalid),
		strconv.Itoa(r.Timeouts), r.ScheduleBranch, string(transfers), r.Voicemail, r.Outcome.String(), string(r.Outcome.Kind),
		string(r.EndReason), string(r.EndedBy), string(quality), string(r.Direction)}, nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func timeCell(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}
