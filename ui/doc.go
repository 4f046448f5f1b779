// Package ui is ivrd's web UI: a flowchart editor of the IVRs served at
// /ui on the management API's listener.
//
// It owns the page's static assets (HTML, CSS, the JavaScript modules
// under static/js and the graph layout library vendored unmodified under
// static/vendor) embedded in the binary, and the http.Handler that serves
// them. The page holds no data of its own: everything it shows or changes
// goes through the REST API under /api/v1 with the operator's token, so
// the same authentication, validation and audit apply as for any client.
//
// It imports only the standard library: it must not import api, store,
// ivr or any package that runs calls, so that the UI can never reach
// around the API.
package ui
