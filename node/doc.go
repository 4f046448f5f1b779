// Package node is ivrd's application layer: one running server built
// from typed Options (New), with no package-level state. It wires SIP
// (sip), media (media) and the call owner (call) to what a deployment
// keeps and watches:
//
//   - the configuration: the file imported into the store at start and
//     on Reload, and every later change followed (LISTEN/NOTIFY on
//     PostgreSQL, a version poll as a safety net) and swapped in as a new
//     snapshot for new calls (control.go);
//   - the management API and web UI on one listener, with its first-start
//     token (control.go, ui.go);
//   - call records, written through queues so that no call waits for
//     the database, a batch per transaction (records.go), and the
//     admission that refuses new calls while those queues and the
//     webhooks' are far behind the store (admission.go); webhooks fed from call events
//     (webhooks.go); metrics, health and the API's view of live calls
//     (observe.go);
//   - the cluster heartbeat and lost-node sweep (cluster.go), retention
//     (retention.go), drain (drain.go), spoken prompts (speech.go);
//   - call recordings: where they are written and their index in the
//     store (recordings.go); calls placed through the API, rung through
//     sip and run by the call owner (outbound.go); prompts recorded by
//     phone, placed the same way, their jobs' states kept in memory and a
//     kept take stored as an upload is (promptcall.go).
//
// cmd/ivrd only parses flags, handles signals and formats output. node
// must not be imported by any package but cmd/ivrd and tests; it holds
// no call or menu behaviour of its own (that is call's and ivr's).
package node
