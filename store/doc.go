// Package store is what ivrd remembers: the configuration resources
// (trunks, extensions, schedules, IVRs) with a version each, every IVR's
// revisions and pending draft (revisions.go), one IVR read from or
// written as YAML for the API's export and import (ivryaml.go), its chart
// layout in the web UI (layouts.go), uploaded prompts, API tokens (hashed), the audit
// log, call records and the webhook outbox, the registrar's bindings
// (bindings.go), in an embedded SQLite file
// (modernc.org/sqlite, pure Go) or in PostgreSQL (pgx) for several nodes;
// and voicemail messages as WAV files in a directory.
//
// The store is the single source of truth for the configuration at run
// time: every write is validated as a whole configuration with
// ivr.Validate inside the transaction that makes it, so the store never
// holds a configuration `ivrd validate` would refuse. Subscribers hear the
// new configuration version after each change.
//
// store must not import api, sip, media or call: it knows nothing of HTTP,
// SIP or calls beyond the record of one (cdr.Record, the one record
// type, whose typed parts it keeps as columns). It imports ivr only for
// the configuration model and its validation, audio/prompts for prompt
// samples, and cdr. Its consumers declare the few methods they need as interfaces
// of their own (webhook.Outbox, call.Voicemail), which *Store and
// Voicemail implement.
package store
