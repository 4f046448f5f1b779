package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/ivrd/ivrd/ivr"
)

// promptNames are the prompts a configuration may name here: the file or
// bundled ones and the uploaded ones.
func (s *Server) promptNames(r *http.Request) ([]string, error) {
	stored, err := s.st.Prompts(r.Context())
	if err != nil {
		return nil, err
	}
	names := s.cfg.BasePrompts().AllNames() // "es/welcome": for the per-language check
	for _, p := range stored {
		names = append(names, p.Name)
	}
	return names, nil
}

// validate checks a whole configuration (YAML or JSON, as a file would be
// written) with the rules and messages of `ivrd validate`, against this
// server's prompts. It changes nothing.
func (s *Server) validate(w http.ResponseWriter, r *http.Request) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, _ := mime.ParseMediaType(ct)
		if !slices.Contains([]string{"application/json", "application/yaml", "application/x-yaml", "text/yaml", "text/plain"}, mt) {
			writeError(w, http.StatusUnsupportedMediaType, "unsupported_media_type", fmt.Sprintf("Content-Type %q: send a configuration as application/json or application/yaml", ct))
			return
		}
	}
	data, err := io.ReadAll(r.Body)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	cfg, err := ivr.Parse(data)
	if err != nil {
		writeJSON(w, http.StatusOK, map[string]any{"valid": false, "problems": []problem{{Path: "", Message: err.Error()}}})
		return
	}
	names, err := s.promptNames(r)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	probs := ivr.Validate(cfg, names)
	writeJSON(w, http.StatusOK, map[string]any{"valid": !ivr.HasErrors(probs), "problems": problems(probs)})
}

// simulateRequest is the body of POST /api/v1/simulate: the CLI's flags.
type simulateRequest struct {
	IVR           string `json:"ivr"`  // a stored IVR's id ...
	To            string `json:"to"`   // ... or the number dialled
	From          string `json:"from"` // caller, default "sim"
	At            string `json:"at"`   // RFC 3339, default now
	Input         string `json:"input"`
	TransferFails bool   `json:"transfer_fails"`
	Drafts        bool   `json:"drafts"` // run every IVR's saved draft in place of its live version
}

// decodeStrict reads one JSON value into v, refusing unknown fields and
// trailing data.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return fmt.Errorf("%s: want %s, got %s", te.Field, te.Type, te.Value)
		}
		return fmt.Errorf("malformed JSON: %w", err)
	}
	if dec.More() {
		return errors.New("malformed JSON: more than one value")
	}
	return nil
}

// simulate runs one call through a stored IVR on the simulator's virtual
// clock, with the real prompt lengths, and returns the trace.
func (s *Server) simulate(w http.ResponseWriter, r *http.Request) {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	var req simulateRequest
	if err := decodeStrict(data, &req); err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	if (req.IVR == "") == (req.To == "") {
		writeError(w, http.StatusBadRequest, "bad_request", "give exactly one of ivr (an IVR id) or to (a dialled number)")
		return
	}
	cfg, _, err := s.st.Config(r.Context())
	if req.Drafts && err == nil {
		cfg, err = s.st.ConfigWithDrafts(r.Context())
	}
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	opt := ivr.SimOptions{To: req.To, From: req.From, Script: req.Input, TransferFails: req.TransferFails}
	if opt.From == "" {
		opt.From = "sim"
	}
	if req.At != "" {
		if opt.At, err = time.Parse(time.RFC3339, req.At); err != nil {
			writeError(w, http.StatusBadRequest, "bad_request", fmt.Sprintf("at %q: want RFC 3339, e.g. 2026-12-25T10:00:00-05:00", req.At))
			return
		}
	}
	if req.IVR != "" {
		m := cfg.IVRByID(req.IVR)
		if m == nil {
			writeError(w, http.StatusNotFound, "not_found", fmt.Sprintf("ivr %q: not found", req.IVR))
			return
		}
		// A number that reaches this menu only in the simulation, so a
		// submenu without extensions can be tried too.
		opt.To = "sim-" + req.IVR + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)
		cp := *m
		cp.Extensions = append(slices.Clone(m.Extensions), opt.To)
		ivrs := slices.Clone(cfg.IVRs)
		for i := range ivrs {
			if ivrs[i] == m {
				ivrs[i] = &cp
			}
		}
		c := *cfg
		c.IVRs = ivrs
		cfg = &c
	}
	lib, err := s.st.PromptLibrary(r.Context(), s.cfg.BasePrompts())
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	opt.Duration = lib.DurationOf // "es/welcome" for a call in Spanish
	trace, err := ivr.Simulate(cfg, opt)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	if trace == nil {
		trace = []ivr.SimEvent{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"events": trace})
}

// audit lists the audit log, newest first (?before=ID&limit=N).
func (s *Server) audit(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, before := 50, int64(0)
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			writeError(w, http.StatusBadRequest, "bad_request", fmt.Sprintf("limit %q: want 1-500", v))
			return
		}
		limit = n
	}
	if v := q.Get("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			writeError(w, http.StatusBadRequest, "bad_request", fmt.Sprintf("before %q: want an entry id", v))
			return
		}
		before = n
	}
	list, err := s.st.Audit(r.Context(), before, limit)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	out := map[string]any{"items": list}
	if len(list) == limit {
		out["next_before"] = list[len(list)-1].ID
	}
	if list == nil {
		out["items"] = []any{}
	}
	writeJSON(w, http.StatusOK, out)
}
