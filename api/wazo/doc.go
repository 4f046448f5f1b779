// Package wazo serves the part of Wazo's confd API the seed's steps call
// (schedules, incalls, extensions and their association, attaching a
// schedule to an incall, and confd's IVR resource) on ivrd's schedules
// and IVRs. It owns confd's JSON (typed requests and answers), its
// translation to and from ivrd's schedule (weekly open hours, dated
// holidays, closed handling) and IVR (ivrs.go), the integer ids (an
// associated number's extension and incall ids kept in the IVR's
// number_info; unassociated incalls and extensions held in memory,
// pending.go), and confd's error shape (a JSON list of sentences naming
// the field). It writes through edit.Update.
//
// The api package mounts it and authenticates its requests (the token
// comes in X-Auth-Token). wazo must not import api, sip, media or call.
package wazo
