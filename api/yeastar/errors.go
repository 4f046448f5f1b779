package yeastar

import (
	"encoding/json"
	"net/http"
)

// Errno is a code of Yeastar's published table (S-Series API v2, "Error
// Code"); ivrd answers with the one whose meaning fits.
type Errno string

// The codes ivrd uses.
const (
	ErrUnsupported   Errno = "10003" // Unsupported API request: an unknown parameter, a write with a read token
	ErrBlank         Errno = "10004" // The required parameter is blank
	ErrNoIVR         Errno = "10012" // The IVR does not exist
	ErrIVRConfig     Errno = "10018" // The IVR configuration failed: a value out of range, refused by validation
	ErrNotJSON       Errno = "20000" // Only support json format
	ErrLockedOut     Errno = "20002" // User login failure (locked out): too many failed tokens
	ErrNoSuchToken   Errno = "20004" // No such Token
	ErrTokenBlank    Errno = "20005" // Token is blank
	ErrInternalError Errno = "30001" // the server could not build the answer (details in ivrd's log)
)

// failure is Yeastar's error answer. ivrd_message (an ivrd addition) says
// in a sentence what was wrong.
type failure struct {
	Status  string `json:"status"`
	Errno   Errno  `json:"errno"`
	Message string `json:"ivrd_message,omitempty"`
}

// WriteError answers as Yeastar does: HTTP 200, status Failed, errno.
func WriteError(w http.ResponseWriter, errno Errno, msg string) {
	writeJSON(w, failure{Status: "Failed", Errno: errno, Message: msg})
}

// AuthError answers a refused token with the code Yeastar uses for it.
func AuthError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	switch {
	case status == http.StatusTooManyRequests:
		WriteError(w, ErrLockedOut, msg)
	case status == http.StatusForbidden:
		WriteError(w, ErrUnsupported, msg)
	case r.URL.Query().Get("token") == "" && r.Header.Get("Authorization") == "":
		WriteError(w, ErrTokenBlank, msg)
	default:
		WriteError(w, ErrNoSuchToken, msg)
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v) // our own values always encode; a gone client has no one to tell
}
