// Package cdr is the call record: one type (Record) for what ivrd keeps
// of a call, from which the store's rows, the API's JSON and OpenAPI
// schema, the CSV export, the call.ended webhook and `ivrd cdr` are all
// derived. Its values are typed: State, Source, EndReason, EndedBy, the
// Keys and Transfers lists, and the Outcome as a structured value whose
// Kind is what filters use.
//
// It owns the names a record's fields take (the end reasons, the sides,
// the outcome kinds): package call maps its own enums onto them, and no
// other package spells them. It must not import any other ivrd package
// nor any network package: call, store, api, node and cmd/ivrd import it,
// never the other way round.
package cdr
