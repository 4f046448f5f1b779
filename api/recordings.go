package api

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"strings"

	"github.com/ivrd/ivrd/store"
)

// recordingRoutes adds the routes of recordings: the list of a call's or
// a conference room's, the audio of one, and its deletion (a write token;
// audited). The list is not under /calls/{id}: that path's place is taken
// by the history's /calls/history/{id}.
func (s *Server) recordingRoutes() {
	m := s.mux
	m.HandleFunc("GET /api/v1/recordings", s.listRecordings)
	m.HandleFunc("GET /api/v1/calls/{id}/recordings/{rid}", s.recordingAudio(callOwner))
	m.HandleFunc("DELETE /api/v1/calls/{id}/recordings/{rid}", s.deleteRecording(callOwner))
	m.HandleFunc("GET /api/v1/conferences/{id}/recordings/{rid}", s.recordingAudio(roomOwner))
	m.HandleFunc("DELETE /api/v1/conferences/{id}/recordings/{rid}", s.deleteRecording(roomOwner))
}

// callOwner and roomOwner read whose recording a path names.
func callOwner(r *http.Request) store.RecordingOwner {
	return store.RecordingOwner{CallID: r.PathValue("id")}
}

func roomOwner(r *http.Request) store.RecordingOwner {
	return store.RecordingOwner{Conference: r.PathValue("id")}
}

// auditID is how a deleted recording is named in the audit log, as the
// store's audit names it: CALL/ID, or conference/ROOM/ID.
func auditID(o store.RecordingOwner, id string) string {
	if o.Conference != "" {
		return "conference/" + o.Conference + "/" + id
	}
	return o.CallID + "/" + id
}

func (s *Server) listRecordings(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	o := store.RecordingOwner{CallID: strings.TrimSpace(q.Get("call_id")), Conference: strings.TrimSpace(q.Get("conference"))}
	if (o.CallID == "") == (o.Conference == "") {
		writeError(w, http.StatusBadRequest, "bad_request",
			"give call_id (the call whose recordings to list) or conference (the room whose recordings to list), one of them")
		return
	}
	items, err := s.st.RecordingsOf(r.Context(), o)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	writeItems(w, items)
}

// recordingAudio answers the WAV file (ranges and HEAD included). A
// recording made by another node of a cluster is on that node's disk: 404
// here, saying so.
func (s *Server) recordingAudio(owner func(*http.Request) store.RecordingOwner) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rec, err := s.st.RecordingOf(r.Context(), owner(r), r.PathValue("rid"))
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
}

func (s *Server) deleteRecording(owner func(*http.Request) store.RecordingOwner) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		o, id := owner(r), r.PathValue("rid")
		// The file is on the disk of the node that recorded it: deleting
		// the index elsewhere would leave it there, unlisted.
		if rec, err := s.st.RecordingOf(r.Context(), o, id); err == nil && rec.Node != "" && s.cfg.Node != "" && rec.Node != s.cfg.Node {
			writeError(w, http.StatusConflict, "other_node", fmt.Sprintf("recording %q is on node %q: delete it there", id, rec.Node))
			return
		}
		rec, err := s.st.DeleteRecordingOf(r.Context(), who(r), o, id)
		if err != nil {
			s.storeError(w, r, err)
			return
		}
		if err := os.Remove(rec.Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			s.log.Warn("recording deleted from the index, its file not", "path", rec.Path, "err", err)
		}
		s.log.Info("audit", "who", who(r), "action", "delete", "kind", "recordings", "id", auditID(o, id))
		w.WriteHeader(http.StatusNoContent)
	}
}
