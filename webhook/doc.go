// Package webhook delivers call events to the URLs of the configuration's
// webhooks: section as signed JSON POSTs. An event is written to the
// store's outbox first (one row per target) and sent from there, so a
// receiver that is down gets it later, in order per call, and a restart
// loses nothing already written; delivery never runs on a call's
// goroutine. A call's first event is written before the call goes on:
// with its record in one transaction (Rows gives the rows, Written wakes
// the deliverer), or alone by PublishDurable; the rest are written from
// the queue a moment later (README states the bound), what has gathered
// in one transaction. The queue drops nothing: a batch the store refuses
// is tried again, in order, until it goes in or the dispatcher is closed
// (the node refuses new calls while Backlog is long). Rows of a node that
// died are adopted by a survivor (store.SweepLost, in the transaction
// that settles its calls, wired by node) and delivered by it.
//
// It reaches the store only through Outbox, the four outbox methods it
// needs (*store.Store is one). Of ivrd it imports store (the outbox's
// row type), ivr (the configuration's Webhook entries) and cdr (a call's
// started record, written with its first event) only: it must
// not import call, sip, media or observe, and whoever wires the server
// turns call events into Events.
package webhook
