// Package api is ivrd's management HTTP interface: the native REST API
// under /api/v1 (trunks, extensions, schedules and IVRs with their menus,
// keys and destinations; prompts; validate; simulate), its OpenAPI
// document, and the token authentication every route needs. It reads and
// writes configuration only through the store, which validates every
// change as a whole; the server picks changes up from the store.
//
// api uses net/http and encoding/json only. It must not import sip, media
// or call: it never touches a call.
package api
