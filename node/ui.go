package node

import (
	"net/http"

	"github.com/ivrd/ivrd/ui"
)

// withUI serves the web UI at /ui beside the API on the same listener:
// same origin, so the page calls /api/v1 with no CORS, and the API's
// tokens are the UI's logins.
func withUI(api http.Handler, phone func() ui.Phone) http.Handler {
	mux := http.NewServeMux()
	page := ui.WithPhone("/ui", phone) // the page's phone (browser.go)
	mux.Handle("/ui", page)
	mux.Handle("/ui/", page)
	mux.Handle("/", api)
	return mux
}
