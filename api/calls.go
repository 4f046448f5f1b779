package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/ivrd/ivrd/cdr"
	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/store"
)

// LiveCall is one call in progress as GET /api/v1/calls shows it.
type LiveCall struct {
	CallID     string    `json:"call_id"`
	Node       string    `json:"node"`
	From       string    `json:"from"`
	To         string    `json:"to"`
	Trunk      string    `json:"trunk"`
	IVR        string    `json:"ivr"`
	Menu       string    `json:"menu"`
	State      string    `json:"state"` // menu | transferring | bridged | voicemail | started (another node's, from the store)
	AnsweredAt time.Time `json:"answered_at"`
	DurationMs int64     `json:"duration_ms"`
	Codec      string    `json:"codec"`
	Quality    *Quality  `json:"quality,omitempty"`
}

// Quality is a call's media quality so far, both ways: "in" is what the
// caller sends us (our receive statistics), "out" what we send (the
// caller's RTCP reports). MOS values are E-model estimates (1-4.5).
type Quality = cdr.Quality

// CallControl is the running server's calls, as the API may see and move
// them; cmd/ivrd gives it (api never touches a call itself).
type CallControl interface {
	LiveCalls() []LiveCall
	// HangupCall ends a call with BYE (ErrNoSuchCall).
	HangupCall(id string) error
	// TransferCall moves a call in its menu (ErrNoSuchCall, ErrNotInMenu;
	// any other error is the hand-off's failure).
	TransferCall(ctx context.Context, id string, dest *ivr.Destination, method ivr.TransferMethod) error
}

// callRoutes adds the routes of live calls, the history and the stats.
func (s *Server) callRoutes() {
	m := s.mux
	m.HandleFunc("GET /api/v1/calls", s.listCalls)
	m.HandleFunc("GET /api/v1/calls/history", s.callHistory)
	m.HandleFunc("GET /api/v1/calls/history/{id}", s.getCallRecord)
	m.HandleFunc("DELETE /api/v1/calls/{id}", s.hangupCall)
	m.HandleFunc("POST /api/v1/calls/{id}/transfer", s.transferCall)
	m.HandleFunc("GET /api/v1/ivrs/{id}/stats", s.ivrStats)
}

func (s *Server) calls(w http.ResponseWriter) (CallControl, bool) { return running(w, s.cfg.Calls) }

// running is one of the running server's controls (calls, rooms,
// queues), or false after a 503 when the API is served without calls
// (Config leaves it nil).
func running[T any](w http.ResponseWriter, c T) (T, bool) {
	if any(c) == nil {
		writeError(w, http.StatusServiceUnavailable, "no_calls", "this server runs no calls (the API is served without SIP)")
		return c, false
	}
	return c, true
}

// writeItems answers {"items": [...]}: an empty list, never null.
func writeItems[T any](w http.ResponseWriter, items []T) {
	if items == nil {
		items = []T{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
}

// listCalls: this node's calls; with ?scope=cluster also the calls other
// nodes sharing the store have started and not ended (from its rows: no
// menu, state or quality).
func (s *Server) listCalls(w http.ResponseWriter, r *http.Request) {
	scope := r.URL.Query().Get("scope")
	if scope != "" && scope != "node" && scope != "cluster" {
		writeError(w, http.StatusBadRequest, "bad_request", fmt.Sprintf("scope %q: want node or cluster", scope))
		return
	}
	cc, ok := s.calls(w)
	if !ok {
		return
	}
	items := cc.LiveCalls()
	if scope == "cluster" && s.st != nil {
		rows, _, err := s.st.CallHistory(r.Context(), store.CallFilter{State: "started", Limit: 1000})
		if err != nil {
			s.storeError(w, r, err)
			return
		}
		for _, row := range rows {
			if row.Node == s.cfg.Node {
				continue
			}
			items = append(items, LiveCall{CallID: row.CallID, Node: row.Node, From: row.From, To: row.To, Trunk: row.SourceName,
				IVR: row.IVR, State: "started", AnsweredAt: row.InviteAt, DurationMs: time.Since(row.InviteAt).Milliseconds()})
		}
	}
	writeItems(w, items)
}

func (s *Server) hangupCall(w http.ResponseWriter, r *http.Request) {
	cc, ok := s.calls(w)
	if !ok {
		return
	}
	id := r.PathValue("id")
	if err := cc.HangupCall(id); err != nil {
		s.callError(w, r, id, err)
		return
	}
	s.log.Info("audit", "who", who(r), "action", "hangup", "kind", "calls", "id", id)
	w.WriteHeader(http.StatusNoContent)
}

// transferRequest is POST /api/v1/calls/{id}/transfer's body: exactly one
// destination, as in the configuration, and how.
type transferRequest struct {
	URI       string `json:"uri"`
	Extension string `json:"extension"`
	External  string `json:"external"`
	Trunk     string `json:"trunk"`
	Voicemail string `json:"voicemail"`
	Method    string `json:"method"` // refer (default) | bridge | auto
}

// parseTransfer reads and checks a transfer body; the error names the
// problem (it is the client's).
func parseTransfer(body []byte) (*ivr.Destination, ivr.TransferMethod, error) {
	var t transferRequest
	if err := decodeStrict(body, &t); err != nil {
		return nil, "", fmt.Errorf("body: %w", err)
	}
	var d ivr.Destination
	n := 0
	for _, c := range []struct {
		v    string
		kind ivr.Kind
	}{{t.URI, ivr.KindURI}, {t.Extension, ivr.KindExtension}, {t.External, ivr.KindExternal}, {t.Voicemail, ivr.KindVoicemail}} {
		if c.v != "" {
			n++
			d = ivr.Destination{Kind: c.kind, Target: c.v}
		}
	}
	if n != 1 {
		return nil, "", errors.New("body: give exactly one of uri, extension, external (with trunk) or voicemail")
	}
	if d.Kind == ivr.KindExternal {
		if t.Trunk == "" {
			return nil, "", errors.New("body: external needs trunk")
		}
		d.Trunk = t.Trunk
	} else if t.Trunk != "" {
		return nil, "", errors.New("body: trunk goes only with external")
	}
	if d.Kind == ivr.KindURI && !validSIPURI(d.Target) {
		return nil, "", fmt.Errorf("body: uri %q: want sip:user@host or sips:user@host", d.Target)
	}
	method := ivr.TransferMethod(t.Method)
	switch method {
	case "":
		method = ivr.TransferRefer
	case ivr.TransferRefer, ivr.TransferBridge, ivr.TransferAuto:
	default:
		return nil, "", fmt.Errorf("body: method %q: want refer, bridge or auto", t.Method)
	}
	if d.Kind == ivr.KindVoicemail {
		method = ""
	}
	return &d, method, nil
}

func validSIPURI(u string) bool {
	for _, p := range []string{"sip:", "sips:"} {
		if len(u) > len(p) && u[:len(p)] == p {
			return true
		}
	}
	return false
}

func (s *Server) transferCall(w http.ResponseWriter, r *http.Request) {
	cc, ok := s.calls(w)
	if !ok {
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	dest, method, err := parseTransfer(body)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	id := r.PathValue("id")
	s.log.Info("audit", "who", who(r), "action", "transfer", "kind", "calls", "id", id, "dest", dest.String(), "method", method)
	ctx, cancel := context.WithTimeout(r.Context(), time.Minute)
	defer cancel()
	if err := cc.TransferCall(ctx, id, dest, method); err != nil {
		s.callError(w, r, id, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"call_id": id, "dest": dest.String(), "method": string(method), "result": "transferred"})
}

// callError answers a live call request that failed: 404 for a call not
// (or no longer) in progress, 409 for one not in its menu, 502 for a
// hand-off the far side refused or that failed.
func (s *Server) callError(w http.ResponseWriter, r *http.Request, id string, err error) {
	switch {
	case errors.Is(err, ErrNoSuchCall):
		writeError(w, http.StatusNotFound, "not_found", fmt.Sprintf("call %q: %v", id, err))
	case errors.Is(err, ErrNotInMenu):
		writeError(w, http.StatusConflict, "not_in_menu", fmt.Sprintf("call %q: %v", id, err))
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		writeError(w, http.StatusGatewayTimeout, "timeout", fmt.Sprintf("call %q: the transfer did not finish in time", id))
	default:
		writeError(w, http.StatusBadGateway, "transfer_failed", fmt.Sprintf("call %q: transfer failed: %v", id, err))
	}
}

// Pattern is the route pattern r matches ("GET /api/v1/ivrs/{id}"), ""
// for none: metrics count requests by it (a bounded label).
func (s *Server) Pattern(r *http.Request) string {
	_, p := s.mux.Handler(r)
	if p == "/" {
		return ""
	}
	return p
}
