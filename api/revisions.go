package api

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/ivrd/ivrd/store"
)

// An IVR's revisions, its draft, publishing and rolling back, and the
// editor's saved layout (store/revisions.go, store/layouts.go).
//
// PUT and PATCH of /api/v1/ivrs/{id} publish at once, as they always
// did: a client that knows nothing of drafts is unaffected (its writes
// are revisions too). Drafts are an opt-in: PUT .../draft stores one
// (validated, 422 with every problem, but no call sees it), POST
// .../publish makes it live.

func (s *Server) revisionRoutes() {
	m := s.mux
	m.HandleFunc("GET /api/v1/ivrs/{id}/revisions", s.listRevisions)
	m.HandleFunc("GET /api/v1/ivrs/{id}/revisions/{n}", s.getRevision)
	m.HandleFunc("POST /api/v1/ivrs/{id}/revisions/{n}/restore", s.restoreRevision)
	m.HandleFunc("GET /api/v1/ivrs/{id}/draft", s.getDraft)
	m.HandleFunc("PUT /api/v1/ivrs/{id}/draft", s.putDraft)
	m.HandleFunc("DELETE /api/v1/ivrs/{id}/draft", s.deleteDraft)
	m.HandleFunc("POST /api/v1/ivrs/{id}/publish", s.publish)
	m.HandleFunc("GET /api/v1/ivr_drafts", s.listDrafts)
	m.HandleFunc("GET /api/v1/ivrs/{id}/layout", s.getLayout)
	m.HandleFunc("PUT /api/v1/ivrs/{id}/layout", s.putLayout)
}

// revisionList is GET .../revisions: newest first, with the live
// version and the draft's revision (0: none).
type revisionList struct {
	Items       []store.Revision `json:"items"`
	LiveVersion int64            `json:"live_version"`
	Draft       int64            `json:"draft"`
}

func (s *Server) listRevisions(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	revs, err := s.st.Revisions(r.Context(), id)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	out := revisionList{Items: revs}
	if live, err := s.st.Get(r.Context(), store.IVRs, id); err == nil {
		out.LiveVersion = live.Version
	}
	if d, err := s.st.Draft(r.Context(), id); err == nil {
		out.Draft = d.Revision
	}
	writeJSON(w, http.StatusOK, out)
}

// revisionNumber reads {n}: 400 unless a positive integer.
func revisionNumber(w http.ResponseWriter, r *http.Request) (int64, bool) {
	n, err := strconv.ParseInt(r.PathValue("n"), 10, 64)
	if err != nil || n < 1 {
		writeError(w, http.StatusBadRequest, "bad_request", fmt.Sprintf("revision %q: want a revision number from the list", r.PathValue("n")))
		return 0, false
	}
	return n, true
}

// getRevision is one revision with its body; ?against=m says what
// changed from revision m to it (default: from the one before).
func (s *Server) getRevision(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	n, ok := revisionNumber(w, r)
	if !ok {
		return
	}
	rev, err := s.st.Revision(r.Context(), id, n)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	if v := r.URL.Query().Get("against"); v != "" {
		m, err := strconv.ParseInt(v, 10, 64)
		if err != nil || m < 1 {
			writeError(w, http.StatusBadRequest, "bad_request", fmt.Sprintf("against %q: want a revision number", v))
			return
		}
		other, err := s.st.Revision(r.Context(), id, m)
		if err != nil {
			s.storeError(w, r, err)
			return
		}
		rev.Changes = store.IVRChanges(other.Body, rev.Body)
	}
	writeJSON(w, http.StatusOK, rev)
}

func (s *Server) ivrWritten(w http.ResponseWriter, res store.WriteResult) {
	(&resourceHandler{s: s, st: s.st, kind: store.IVRs}).written(w, res, http.StatusOK)
}

func (s *Server) restoreRevision(w http.ResponseWriter, r *http.Request) {
	v, err := ifMatch(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	n, ok := revisionNumber(w, r)
	if !ok {
		return
	}
	res, err := s.st.Restore(r.Context(), who(r), r.PathValue("id"), n, v)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	s.ivrWritten(w, res)
}

// draftView is a draft as the API shows it: its body as an IVR, its
// revision (the ETag of the draft is the live version it is based on).
type draftView struct {
	IVR         map[string]any `json:"ivr"`
	Revision    int64          `json:"revision"`
	BaseVersion int64          `json:"base_version"`
	At          time.Time      `json:"at"`
	Who         string         `json:"who"`
}

func viewDraft(d store.Draft) draftView {
	return draftView{IVR: d.Body, Revision: d.Revision, BaseVersion: d.BaseVersion, At: d.At, Who: d.Who}
}

func (s *Server) getDraft(w http.ResponseWriter, r *http.Request) {
	d, err := s.st.Draft(r.Context(), r.PathValue("id"))
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewDraft(d))
}

func (s *Server) listDrafts(w http.ResponseWriter, r *http.Request) {
	ds, err := s.st.Drafts(r.Context())
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	items := make([]draftView, 0, len(ds))
	for _, d := range ds {
		items = append(items, viewDraft(d))
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
}

// putDraft stores the body as the IVR's draft; If-Match is the live
// version it was based on (412 when the live IVR changed since).
func (s *Server) putDraft(w http.ResponseWriter, r *http.Request) {
	v, err := ifMatch(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	body, ok := readJSON(w, r)
	if !ok {
		return
	}
	d, warnings, err := s.st.SaveDraft(r.Context(), who(r), r.PathValue("id"), body, v)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	if n := len(warnings); n > 0 {
		w.Header().Set("X-Ivrd-Warnings", strconv.Itoa(n))
	}
	writeJSON(w, http.StatusOK, viewDraft(d))
}

func (s *Server) deleteDraft(w http.ResponseWriter, r *http.Request) {
	if err := s.st.DiscardDraft(r.Context(), who(r), r.PathValue("id")); err != nil {
		s.storeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) publish(w http.ResponseWriter, r *http.Request) {
	v, err := ifMatch(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	res, err := s.st.Publish(r.Context(), who(r), r.PathValue("id"), v)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	s.ivrWritten(w, res)
}

// layoutView is a chart's saved layout: box id -> centre.
type layoutView struct {
	Positions map[string]store.NodePosition `json:"positions"`
	UpdatedAt *time.Time                    `json:"updated_at,omitempty"`
}

func (s *Server) getLayout(w http.ResponseWriter, r *http.Request) {
	pos, at, err := s.st.Layout(r.Context(), r.PathValue("id"))
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	out := layoutView{Positions: pos}
	if !at.IsZero() {
		out.UpdatedAt = &at
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) putLayout(w http.ResponseWriter, r *http.Request) {
	var in layoutView
	if !readTyped(w, r, &in) {
		return
	}
	if err := s.st.SaveLayout(r.Context(), who(r), r.PathValue("id"), in.Positions); err != nil {
		s.storeError(w, r, err)
		return
	}
	s.getLayout(w, r)
}

// readTyped reads a JSON body into v (unknown fields refused): 415, 413
// and 400 as readJSON.
func readTyped(w http.ResponseWriter, r *http.Request, v any) bool {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			writeError(w, http.StatusUnsupportedMediaType, "unsupported_media_type", fmt.Sprintf("Content-Type %q: want application/json", ct))
			return false
		}
	}
	data, err := io.ReadAll(r.Body)
	if err != nil {
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			writeError(w, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("request body over %d bytes", maxErr.Limit))
		} else {
			writeError(w, http.StatusBadRequest, "bad_request", "reading the body: "+err.Error())
		}
		return false
	}
	if err := decodeStrict(data, v); err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
		return false
	}
	return true
}
