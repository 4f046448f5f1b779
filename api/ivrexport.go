package api

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/store"
)

// Export and import of one IVR as YAML in the configuration file's own
// shape (store/ivryaml.go): GET /api/v1/ivrs/{id}/export downloads it,
// POST /api/v1/ivrs/import stores it, validated exactly as a PUT is. The
// schedules, prompts and other IVRs it names are references only: they
// must exist where it is imported (the export lists them in a comment).

func (s *Server) ivrExportRoutes() {
	s.mux.HandleFunc("GET /api/v1/ivrs/{id}/export", s.exportIVR)
	s.mux.HandleFunc("POST /api/v1/ivrs/import", s.importIVR)
}

// yamlType reports whether an import may be sent as media type mt (JSON
// is YAML).
func yamlType(mt string) bool {
	switch mt {
	case "application/yaml", "application/x-yaml", "text/yaml", "text/plain", "application/json":
		return true
	}
	return false
}

func (s *Server) exportIVR(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	data, err := s.st.ExportIVRYAML(r.Context(), id)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/yaml")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": "ivr-" + id + ".yaml"}))
	_, _ = w.Write(data) // a client gone mid-answer has no one to tell
}

// importResult is the answer to an import: where the IVR went.
type importResult struct {
	ID string `json:"id"`
	// Draft: stored as the IVR's draft (no call gets it until published).
	Draft bool `json:"draft"`
	// Replaced: an IVR of this id was there and the import replaced it.
	Replaced bool `json:"replaced"`
	// Version is the live version after a live import; Revision the
	// draft's revision after a draft import.
	Version  int64     `json:"version,omitempty"`
	Revision int64     `json:"revision,omitempty"`
	Warnings []problem `json:"warnings"`
}

// importOptions are the import's query parameters.
type importOptions struct {
	replace, draft bool
}

func readImportOptions(r *http.Request) (importOptions, error) {
	var o importOptions
	for k, vs := range r.URL.Query() {
		var dst *bool
		switch k {
		case "replace":
			dst = &o.replace
		case "draft":
			dst = &o.draft
		default:
			return o, fmt.Errorf("unknown query parameter %q (want replace or draft)", k)
		}
		b, err := strconv.ParseBool(vs[0])
		if err != nil {
			return o, fmt.Errorf("%s=%q: want true or false", k, vs[0])
		}
		*dst = b
	}
	return o, nil
}

// importIVR reads one IVR from YAML and stores it: live (a new IVR, or
// with ?replace=true one that exists), or with ?draft=true as the draft
// of an IVR that exists. Problems name their YAML line.
func (s *Server) importIVR(w http.ResponseWriter, r *http.Request) {
	opt, err := readImportOptions(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || !yamlType(mt) {
			writeError(w, http.StatusUnsupportedMediaType, "unsupported_media_type", fmt.Sprintf("Content-Type %q: send the IVR as application/yaml", ct))
			return
		}
	}
	data, err := io.ReadAll(r.Body)
	if err != nil {
		s.storeError(w, r, err) // 413 past the body limit
		return
	}
	f, err := store.ParseIVRYAML(data)
	var shape *store.ShapeError
	var verr *store.ValidationError
	switch {
	case errors.As(err, &verr):
		s.importProblems(w, f, verr.Problems)
		return
	case errors.As(err, &shape):
		s.importProblems(w, f, []ivr.Problem{{Path: f.Path(shape.Path), Msg: shape.Msg}})
		return
	case err != nil:
		writeError(w, http.StatusBadRequest, "bad_yaml", err.Error())
		return
	}
	out, status, err := s.storeImport(r, f, opt)
	switch {
	case errors.As(err, &verr):
		s.importProblems(w, f, verr.Problems)
	case errors.As(err, &shape):
		s.importProblems(w, f, []ivr.Problem{{Path: f.Path(shape.Path), Msg: shape.Msg}})
	case errors.Is(err, store.ErrExists):
		writeError(w, http.StatusConflict, "exists", fmt.Sprintf("IVR %q exists: import with ?replace=true to replace it, or ?draft=true to make it its draft", f.ID))
	case err != nil:
		s.storeError(w, r, err)
	default:
		w.Header().Set("Location", "/api/v1/ivrs/"+f.ID)
		writeJSON(w, status, out)
	}
}

// storeImport writes the imported IVR the way the options say.
func (s *Server) storeImport(r *http.Request, f store.IVRYAML, opt importOptions) (importResult, int, error) {
	ctx, by := r.Context(), who(r)
	out := importResult{ID: f.ID, Draft: opt.draft}
	var warnings []ivr.Problem
	switch {
	case opt.draft:
		d, ws, err := s.st.SaveDraft(ctx, by, f.ID, f.Body, 0)
		if err != nil {
			return out, 0, err
		}
		out.Revision, out.Replaced, warnings = d.Revision, true, ws
	case opt.replace:
		res, err := s.st.Put(ctx, by, store.IVRs, f.ID, f.Body, 0)
		if err != nil {
			return out, 0, err
		}
		out.Version, warnings = res.Resources[0].Version, res.Warnings
		out.Replaced = out.Version > 1
	default:
		res, err := s.st.Create(ctx, by, store.IVRs, f.Body)
		if err != nil {
			return out, 0, err
		}
		out.Version, warnings = res.Resources[0].Version, res.Warnings
	}
	out.Warnings = problems(lined(f, warnings))
	if out.Replaced {
		return out, http.StatusOK, nil
	}
	return out, http.StatusCreated, nil
}

// importProblems answers 422 with every problem, each naming its line.
func (s *Server) importProblems(w http.ResponseWriter, f store.IVRYAML, ps []ivr.Problem) {
	writeJSON(w, http.StatusUnprocessableEntity, apiError{apiErrorBody{Code: "invalid_configuration",
		Message: "the imported IVR would leave a configuration with errors; nothing was changed", Problems: problems(lined(f, ps))}})
}

// lined adds the YAML line a problem's path was written on to its
// message, where the path is in the imported IVR.
func lined(f store.IVRYAML, ps []ivr.Problem) []ivr.Problem {
	out := make([]ivr.Problem, 0, len(ps))
	for _, p := range ps {
		if n := f.Line(p.Path); n > 0 && f.Mine(p.Path) && !strings.HasPrefix(p.Msg, "line ") {
			p.Msg = fmt.Sprintf("line %d: %s", n, p.Msg)
		}
		out = append(out, p)
	}
	return out
}
