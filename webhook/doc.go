// Package webhook delivers call events to the URLs of the configuration's
// webhooks: section as signed JSON POSTs. An event is written to the
// store's outbox first (one row per target) and sent from there, so a
// receiver that is down gets it later, in order per call, and a restart
// loses nothing already written; delivery never runs on a call's
// goroutine.
//
// webhook imports store (the outbox) and ivr (the configuration's
// Webhook entries) only. It must not import call, sip or media: cmd/ivrd
// turns call events into Events.
package webhook
