package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ivrd/ivrd/ivr"
)

// PlaceRequest is POST /api/v1/calls: whom to call and what the called
// party gets when it answers.
type PlaceRequest struct {
	// To is a number (through Trunk), an extension of the configuration
	// or a SIP URI.
	To    string
	Trunk string
	// CallerID is the caller id presented ("" the trunk's from_user, or
	// "ivrd").
	CallerID string
	// IVR is the menu the called party hears; or OnAnswer, a destination
	// in the configuration's form (exactly one of the two).
	IVR      string
	OnAnswer *ivr.Destination
	// OnNoAnswer and OnBusy are webhook destinations told when the call
	// is not answered within RingTimeout, or is refused busy (the hook
	// for an answering-machine or retry policy of your own).
	OnNoAnswer, OnBusy *ivr.Destination
	Variables          map[string]string
	RingTimeout        time.Duration // 0: 30 s
	// Who is the token that asked (the audit line's).
	Who string
}

// CallPlacer places calls for the API; the node gives it.
type CallPlacer interface {
	// PlaceCall checks the request against the running configuration and
	// starts the call, returning its Call-ID at once (ErrBadPlace for a
	// request it refuses).
	PlaceCall(ctx context.Context, req PlaceRequest) (callID string, err error)
}

// ErrBadPlace is a placed call the running configuration refuses (an
// unknown IVR, trunk or extension, a destination that does not
// validate): the client's error.
var ErrBadPlace = errors.New("cannot place this call")

// placeBody is the JSON body; destinations are read as the configuration
// reads them (JSON is YAML).
type placeBody struct {
	To          string            `json:"to"`
	Trunk       string            `json:"trunk"`
	CallerID    string            `json:"caller_id"`
	IVR         string            `json:"ivr"`
	OnAnswer    json.RawMessage   `json:"on_answer"`
	OnNoAnswer  json.RawMessage   `json:"on_no_answer"`
	OnBusy      json.RawMessage   `json:"on_busy"`
	Variables   map[string]string `json:"variables"`
	RingTimeout string            `json:"ring_timeout"`
}

// Limits of a placed call's request.
const (
	maxRingTimeout = 5 * time.Minute
	// DefaultPlaceLimit calls per DefaultPlaceWindow may be placed with
	// one token.
	DefaultPlaceLimit  = 60
	DefaultPlaceWindow = time.Minute
)

// parsePlace reads and checks a request's shape; what it names is the
// placer's to check.
func parsePlace(body []byte) (PlaceRequest, error) {
	var b placeBody
	if err := decodeStrict(body, &b); err != nil {
		return PlaceRequest{}, err
	}
	req := PlaceRequest{To: strings.TrimSpace(b.To), Trunk: strings.TrimSpace(b.Trunk), CallerID: strings.TrimSpace(b.CallerID),
		IVR: strings.TrimSpace(b.IVR), Variables: b.Variables}
	if req.To == "" {
		return req, errors.New("to is required: a number (with trunk), an extension or a SIP URI")
	}
	if req.CallerID != "" && !callerIDOK(req.CallerID) {
		return req, fmt.Errorf("caller_id %q: letters, digits and + . - _ only", req.CallerID)
	}
	var err error
	if req.OnAnswer, err = placeDest("on_answer", b.OnAnswer); err != nil {
		return req, err
	}
	if (req.IVR == "") == (req.OnAnswer == nil) {
		return req, errors.New("exactly one of ivr and on_answer says what the called party gets")
	}
	for _, h := range []struct {
		name string
		raw  json.RawMessage
		to   **ivr.Destination
	}{{"on_no_answer", b.OnNoAnswer, &req.OnNoAnswer}, {"on_busy", b.OnBusy, &req.OnBusy}} {
		if *h.to, err = placeDest(h.name, h.raw); err != nil {
			return req, err
		}
		if *h.to != nil && (*h.to).Kind != ivr.KindWebhook {
			return req, fmt.Errorf("%s: a webhook destination ({webhook: NAME, event: ...}): there is no call to run anything else on", h.name)
		}
	}
	if b.RingTimeout != "" {
		d, err := time.ParseDuration(b.RingTimeout)
		if err != nil || d <= 0 || d > maxRingTimeout {
			return req, fmt.Errorf("ring_timeout %q: want a duration up to %v, like \"30s\"", b.RingTimeout, maxRingTimeout)
		}
		req.RingTimeout = d
	}
	for k, v := range req.Variables {
		if !ivr.ValidVarName(k) || len(v) > ivr.MaxVarValueLen {
			return req, fmt.Errorf("variables.%s: a name of letters, digits and _ with a value of at most %d characters", k, ivr.MaxVarValueLen)
		}
	}
	if len(req.Variables) > ivr.MaxVars {
		return req, fmt.Errorf("variables: %d is more than %d", len(req.Variables), ivr.MaxVars)
	}
	return req, nil
}

// placeDest reads one destination (absent or null: none).
func placeDest(name string, raw json.RawMessage) (*ivr.Destination, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	return ivr.DecodeDestination(name, raw)
}

func callerIDOK(s string) bool {
	if len(s) > 64 {
		return false
	}
	for _, c := range s {
		ok := c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || strings.ContainsRune("+.-_", c)
		if !ok {
			return false
		}
	}
	return true
}

// mayPlace answers 429 with Retry-After, and says false, when tok has
// placed its limit of calls (POST /api/v1/calls and a prompt recorded by
// phone count alike: both ring a phone).
func (s *Server) mayPlace(w http.ResponseWriter, tok string) bool {
	wait := s.placeLimit.blocked(tok)
	if wait <= 0 {
		return true
	}
	w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
	writeError(w, http.StatusTooManyRequests, "rate_limited",
		fmt.Sprintf("token %q placed %d calls in %v: wait %v", tok, s.cfg.PlaceLimit, s.cfg.PlaceWindow, wait.Round(time.Second)))
	return false
}

// placeCall is POST /api/v1/calls (a write token; limited per token).
func (s *Server) placeCall(w http.ResponseWriter, r *http.Request) {
	p := s.placer.Load()
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
	req, err := parsePlace(body)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	req.Who = tok
	s.placeLimit.fail(tok) // counted once accepted for placing
	id, err := (*p).PlaceCall(r.Context(), req)
	switch {
	case errors.Is(err, ErrBadPlace):
		writeError(w, http.StatusUnprocessableEntity, "cannot_place", err.Error())
		return
	case err != nil:
		writeError(w, http.StatusServiceUnavailable, "not_placed", err.Error())
		return
	}
	s.log.Info("audit", "who", tok, "action", "place", "kind", "calls", "id", id, "to", req.To, "ivr", req.IVR)
	w.Header().Set("Location", "/api/v1/calls/history/"+id)
	writeJSON(w, http.StatusCreated, map[string]string{"call_id": id})
}

// SetPlacer gives the API the running server's call placer (the node
// makes it after the API).
func (s *Server) SetPlacer(p CallPlacer) { s.placer.Store(&p) }
