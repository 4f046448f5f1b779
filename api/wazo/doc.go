// Package wazo serves the part of Wazo's confd API the seed's "IVR with
// a schedule" calls (schedules, incalls, attaching a schedule to an
// incall) on ivrd's schedules and IVRs. It owns confd's JSON (typed
// requests and answers), its translation to and from ivrd's schedule
// (weekly open hours, dated holidays, closed handling), the schedules'
// integer ids, and confd's error shape (a JSON list of sentences naming
// the field). It writes through edit.Update.
//
// The api package mounts it and authenticates its requests (the token
// comes in X-Auth-Token). wazo must not import api, sip, media or call.
package wazo
