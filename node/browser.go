package node

import (
	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/sip"
)

// sipWebSocket is who may call over ws:// and wss:// and what such a
// call may do: server.sip.ws_origins, ws_require_auth and
// ws_anonymous_dialout.
func sipWebSocket(cfg *ivr.Config) sip.WebSocketPolicy {
	s := cfg.Server.SIP
	return sip.WebSocketPolicy{Origins: s.WSOrigins, RequireAuth: s.WSRequireAuth, AnonymousDialOut: s.WSAnonymousDialOut}
}
