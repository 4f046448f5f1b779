package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/ivrd/ivrd/store"
)

// Recording a prompt by phone: POST /api/v1/prompts/{name}/record-by-phone
// places a call to a phone; whoever answers records the prompt (the
// dialogue is the call owner's, through the node), and GET
// .../record-by-phone/{id} follows it until it is saved, cancelled or
// failed.

// PromptCallRequest is what POST .../record-by-phone asks for.
type PromptCallRequest struct {
	// Name is the prompt the recording is stored as (a valid prompt name).
	Name string
	// To is whom to call, as POST /api/v1/calls takes it: an extension of
	// the configuration, a SIP URI, or a number through Trunk.
	To    string
	Trunk string
	// Language is the language of the instructions ("" the default set).
	Language string
	// Who is the token that asked (the stored prompt's and audit's).
	Who string
}

// PromptCallState is where a recording by phone is.
type PromptCallState string

// The states, in order; saved, cancelled and failed are final.
const (
	PromptCallRinging   PromptCallState = "ringing"
	PromptCallAnswered  PromptCallState = "answered"  // the instruction plays
	PromptCallRecording PromptCallState = "recording" // after the beep
	PromptCallReviewing PromptCallState = "reviewing" // played back; 1 keep, 2 again, * cancel
	PromptCallSaved     PromptCallState = "saved"
	PromptCallCancelled PromptCallState = "cancelled"
	PromptCallFailed    PromptCallState = "failed"
)

// Final reports whether the state is the last one.
func (s PromptCallState) Final() bool {
	return s == PromptCallSaved || s == PromptCallCancelled || s == PromptCallFailed
}

// PromptCall is one recording by phone as the API shows it.
type PromptCall struct {
	ID     string          `json:"id"`
	Prompt string          `json:"prompt"`
	To     string          `json:"to"`
	Trunk  string          `json:"trunk,omitempty"`
	State  PromptCallState `json:"state"`
	// Reason says why it failed ("" otherwise).
	Reason string `json:"reason,omitempty"`
	// CallID is the placed call's SIP Call-ID (its record's id).
	CallID    string    `json:"call_id"`
	Who       string    `json:"who"`
	StartedAt time.Time `json:"started_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// PromptRecorder places the calls that record prompts by phone; the node
// gives it (SetPromptRecorder).
type PromptRecorder interface {
	// RecordPrompt checks the request against the running configuration
	// and starts ringing (ErrBadPlace for a target it refuses,
	// ErrPromptCallBusy while the same prompt is being recorded).
	RecordPrompt(ctx context.Context, req PromptCallRequest) (PromptCall, error)
	// PromptCall is a recording by phone started on this node, recent
	// or under way.
	PromptCall(id string) (PromptCall, bool)
}

// ErrPromptCallBusy: the prompt is being recorded by phone already.
var ErrPromptCallBusy = errors.New("this prompt is being recorded by phone already")

// promptCallBody is the JSON body of POST .../record-by-phone.
type promptCallBody struct {
	To       string `json:"to"`
	Trunk    string `json:"trunk"`
	Language string `json:"language"`
}

// parsePromptCall reads and checks a request's shape; the target is the
// recorder's to check against the configuration.
func parsePromptCall(name string, body []byte) (PromptCallRequest, error) {
	if !store.ValidPromptName(name) {
		return PromptCallRequest{}, fmt.Errorf("prompt name %q: want letters, digits, '.', '_' or '-' (at most 64)", name)
	}
	var b promptCallBody
	if err := decodeStrict(body, &b); err != nil {
		return PromptCallRequest{}, err
	}
	req := PromptCallRequest{Name: name, To: strings.TrimSpace(b.To), Trunk: strings.TrimSpace(b.Trunk), Language: strings.TrimSpace(b.Language)}
	if req.To == "" {
		return req, errors.New("to is required: the extension, SIP URI or number (with trunk) of the phone to record on")
	}
	if len(req.To) > 256 {
		return req, fmt.Errorf("to: %d characters is more than 256", len(req.To))
	}
	if req.Language != "" && !languageOK(req.Language) {
		return req, fmt.Errorf("language %q: a language tag like en or pt-BR", req.Language)
	}
	return req, nil
}

// languageOK: a language tag's shape (letters, digits and -, at most 16).
func languageOK(s string) bool {
	if len(s) > 16 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func (s *Server) promptCallRoutes() {
	s.mux.HandleFunc("POST /api/v1/prompts/{name}/record-by-phone", s.recordByPhone)
	s.mux.HandleFunc("GET /api/v1/prompts/{name}/record-by-phone/{id}", s.getPromptCall)
}

// recordByPhone is POST /api/v1/prompts/{name}/record-by-phone (a write
// token; counted against the token's placed calls; audited).
func (s *Server) recordByPhone(w http.ResponseWriter, r *http.Request) {
	p := s.promptRecorder.Load()
	if p == nil {
		writeError(w, http.StatusServiceUnavailable, "no_calls", "this server places no calls (the API is served without SIP)")
		return
	}
	tok := who(r)
	if !s.mayPlace(w, tok) {
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	req, err := parsePromptCall(r.PathValue("name"), body)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	req.Who = tok
	s.placeLimit.fail(tok)
	job, err := (*p).RecordPrompt(r.Context(), req)
	switch {
	case errors.Is(err, ErrBadPlace):
		writeError(w, http.StatusUnprocessableEntity, "cannot_place", err.Error())
		return
	case errors.Is(err, ErrPromptCallBusy):
		writeError(w, http.StatusConflict, "conflict", fmt.Sprintf("prompt %q: %v", req.Name, err))
		return
	case err != nil:
		writeError(w, http.StatusServiceUnavailable, "not_placed", err.Error())
		return
	}
	s.log.Info("audit", "who", tok, "action", "record-by-phone", "kind", "prompts", "id", req.Name, "to", req.To, "call_id", job.CallID, "job", job.ID)
	w.Header().Set("Location", "/api/v1/prompts/"+req.Name+"/record-by-phone/"+job.ID)
	writeJSON(w, http.StatusCreated, job)
}

// getPromptCall is GET /api/v1/prompts/{name}/record-by-phone/{id}.
func (s *Server) getPromptCall(w http.ResponseWriter, r *http.Request) {
	p := s.promptRecorder.Load()
	name, id := r.PathValue("name"), r.PathValue("id")
	var job PromptCall
	ok := false
	if p != nil {
		job, ok = (*p).PromptCall(id)
	}
	if !ok || job.Prompt != name {
		writeError(w, http.StatusNotFound, "not_found",
			fmt.Sprintf("no recording by phone %q of prompt %q on this server (they are kept an hour, on the node that placed the call)", id, name))
		return
	}
	writeJSON(w, http.StatusOK, job)
}

// SetPromptRecorder gives the API the running server's recorder of
// prompts by phone (the node makes it after the API).
func (s *Server) SetPromptRecorder(p PromptRecorder) { s.promptRecorder.Store(&p) }
