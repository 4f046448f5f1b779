package api

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"strings"
)

// recordingRoutes adds the routes of call recordings: the list of a
// call's, the audio of one, and its deletion (a write token; audited).
// The list is not under /calls/{id}: that path's place is taken by the
// history's /calls/history/{id}.
func (s *Server) recordingRoutes() {
	m := s.mux
	m.HandleFunc("GET /api/v1/recordings", s.listRecordings)
	m.HandleFunc("GET /api/v1/calls/{id}/recordings/{rid}", s.recordingAudio)
	m.HandleFunc("DELETE /api/v1/calls/{id}/recordings/{rid}", s.deleteRecording)
}

func (s *Server) listRecordings(w http.ResponseWriter, r *http.Request) {
	callID := strings.TrimSpace(r.URL.Query().Get("call_id"))
	if callID == "" {
		writeError(w, http.StatusBadRequest, "bad_request", "call_id is required: the call whose recordings to list")
		return
	}
	items, err := s.st.Recordings(r.Context(), callID)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	writeItems(w, items)
}

// recordingAudio answers the WAV file (ranges and HEAD included). A
// recording made by another node of a cluster is on that node's disk: 404
// here, saying so.
func (s *Server) recordingAudio(w http.ResponseWriter, r *http.Request) {
	rec, err := s.st.Recording(r.Context(), r.PathValue("id"), r.PathValue("rid"))
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	f, err := os.Open(rec.Path)
	if errors.Is(err, fs.ErrNotExist) {
		msg := fmt.Sprintf("recording %q: its file is gone from this node's disk", rec.ID)
		if rec.Node != "" && rec.Node != s.cfg.Node {
			msg = fmt.Sprintf("recording %q is on node %q: ask that node", rec.ID, rec.Node)
		}
		writeError(w, http.StatusNotFound, "not_found", msg)
		return
	}
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	defer func() { _ = f.Close() }() // read-only: nothing to lose
	w.Header().Set("Content-Type", "audio/wav")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", rec.ID+".wav"))
	http.ServeContent(w, r, rec.ID+".wav", rec.Start, f)
}

func (s *Server) deleteRecording(w http.ResponseWriter, r *http.Request) {
	callID, id := r.PathValue("id"), r.PathValue("rid")
	// The file is on the disk of the node that recorded it: deleting the
	// index elsewhere would leave it there, unlisted.
	if rec, err := s.st.Recording(r.Context(), callID, id); err == nil && rec.Node != "" && s.cfg.Node != "" && rec.Node != s.cfg.Node {
		writeError(w, http.StatusConflict, "other_node", fmt.Sprintf("recording %q is on node %q: delete it there", id, rec.Node))
		return
	}
	rec, err := s.st.DeleteRecording(r.Context(), who(r), callID, id)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	if err := os.Remove(rec.Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		s.log.Warn("recording deleted from the index, its file not", "path", rec.Path, "err", err)
	}
	s.log.Info("audit", "who", who(r), "action", "delete", "kind", "recordings", "id", callID+"/"+id)
	w.WriteHeader(http.StatusNoContent)
}
