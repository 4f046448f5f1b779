// Package api is ivrd's management HTTP interface: the native REST API
// under /api/v1 (trunks, extensions, schedules and IVRs with their menus,
// keys and destinations; one IVR exported and imported as YAML; prompts;
// validate; simulate), its OpenAPI
// document, and the token authentication every route needs. It reads and
// writes configuration only through the store, which validates every
// change as a whole; the server picks changes up from the store. A PATCH
// is written through edit.Update, the one read/change/Put loop every API
// shares (api/edit).
//
// Three seed APIs are served on the same IVRs for their users' scripts,
// each in its own package with its own request, answer and error shapes,
// mounted here: Yeastar's IVR query/update (api/yeastar), Zendesk Talk's
// IVR routes (api/zendesk) and Wazo confd's schedules, incalls, extensions and IVRs
// (api/wazo). api authenticates their requests and answers a refused one
// in the API's own shape.
//
// Calls are placed (POST /api/v1/calls, place.go) through the
// CallPlacer the node gives (SetPlacer), limited per token; call
// recordings (recordings.go) are listed and deleted through the store's
// index and served from the file it names. Prompts are recorded by phone
// (promptcall.go) through the PromptRecorder the node gives
// (SetPromptRecorder), which places the call and keeps each job's state.
//
// api uses net/http and encoding/json only. It must not import sip, media
// or call: it never touches a call.
package api
