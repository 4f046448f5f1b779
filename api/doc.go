// Package api is ivrd's management HTTP interface: the native REST API
// under /api/v1 (trunks, extensions, schedules and IVRs with their menus,
// keys and destinations; prompts; validate; simulate), its OpenAPI
// document, and the token authentication every route needs. It reads and
// writes configuration only through the store, which validates every
// change as a whole; the server picks changes up from the store.
//
// Two seed APIs are served on the same IVRs for their users' scripts:
// Yeastar's IVR query/update (yeastar.go) and Zendesk Talk's IVR routes
// (zendesk.go), each with its own request, answer and error shapes.
//
// api uses net/http and encoding/json only. It must not import sip, media
// or call: it never touches a call.
package api
