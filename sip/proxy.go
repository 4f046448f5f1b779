package sip

import (
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// Calls that reach ivrd through a SIP proxy (Kamailio's dispatcher in
// front of several nodes, README "Running several nodes").
//
// With record-routing on, the INVITE carries Record-Route: our in-dialog
// requests (BYE, REFER, re-INVITE) take that route set back through the
// proxy and our responses follow the Via chain; sipgo does both.
//
// With record-routing off, the proxy steps out of the dialog after the
// INVITE: our in-dialog requests must go to the caller's Contact. By
// default ivrd sends them to the address the INVITE came from (a caller
// behind NAT often puts an unreachable address in Contact), which here
// would be the proxy, not the caller. An INVITE with more than one Via
// and no Record-Route came through a proxy that left the dialog, so its
// Contact is trusted.

// dialogUAFor picks how the dialog of an INVITE addresses the caller.
func dialogUAFor(lst *listener, req *sip.Request) *sipgo.DialogUA {
	if proxiedWithoutRecordRoute(req) {
		return lst.dlgUAProxied
	}
	return lst.dlgUA
}

// proxiedWithoutRecordRoute: more than one Via hop, no Record-Route.
func proxiedWithoutRecordRoute(req *sip.Request) bool {
	if req.GetHeader("Record-Route") != nil {
		return false
	}
	// sipgo's parser makes one header of each hop, comma-separated ones
	// included.
	return len(req.GetHeaders("Via")) > 1
}
