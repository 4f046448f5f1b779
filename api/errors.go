package api

import (
	"errors"
	"net/http"

	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/store"
)

// Errors a CallControl returns for the API to answer 404 and 409.
var (
	ErrNoSuchCall = errors.New("no such call in progress")
	ErrNotInMenu  = errors.New("the call is not in its menu (already handed off, or another request is under way)")
)

// apiError is every error body: a stable code, a sentence, and for a
// configuration that does not validate, every problem with its path.
type apiError struct {
	Error apiErrorBody `json:"error"`
}

type apiErrorBody struct {
	Code     string    `json:"code"`
	Message  string    `json:"message"`
	Problems []problem `json:"problems,omitempty"`
}

type problem struct {
	Path    string `json:"path"`
	Message string `json:"message"`
	Warning bool   `json:"warning"`
}

func problems(ps []ivr.Problem) []problem {
	out := make([]problem, 0, len(ps))
	for _, p := range ps {
		out = append(out, problem{Path: p.Path, Message: p.Msg, Warning: p.Warning})
	}
	return out
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, apiError{apiErrorBody{Code: code, Message: msg}})
}

// storeError answers a store error with its status: 400 for a body of the
// wrong shape, 422 with every problem for a configuration that would not
// validate, 404, 409, 412, 413; anything else is a 500 whose detail goes
// to the log only.
func (s *Server) storeError(w http.ResponseWriter, r *http.Request, err error) {
	var verr *store.ValidationError
	var maxErr *http.MaxBytesError
	switch {
	case errors.As(err, &maxErr):
		writeError(w, http.StatusRequestEntityTooLarge, "too_large", err.Error())
	case errors.As(err, &verr):
		writeJSON(w, http.StatusUnprocessableEntity, apiError{apiErrorBody{Code: "invalid_configuration",
			Message: "the change would leave a configuration with errors; nothing was changed", Problems: problems(verr.Problems)}})
	case errors.Is(err, store.ErrBadInput):
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", err.Error())
	case errors.Is(err, store.ErrExists):
		writeError(w, http.StatusConflict, "exists", err.Error())
	case errors.Is(err, store.ErrConflict):
		writeError(w, http.StatusPreconditionFailed, "version_conflict", err.Error())
	default:
		s.log.Error("api", "method", r.Method, "path", r.URL.Path, "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "internal error (see the server log)")
	}
}
