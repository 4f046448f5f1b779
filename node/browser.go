package node

import (
	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/sip"
	"github.com/ivrd/ivrd/ui"
)

// sipWebSocket is who may call over ws:// and wss:// and what such a
// call may do: server.sip.ws_origins, ws_require_auth and
// ws_anonymous_dialout.
func sipWebSocket(cfg *ivr.Config) sip.WebSocketPolicy {
	s := cfg.Server.SIP
	return sip.WebSocketPolicy{Origins: s.WSOrigins, RequireAuth: s.WSRequireAuth, AnonymousDialOut: s.WSAnonymousDialOut}
}

// uiPhone tells the UI's phone where to call: the node's wss:// listener,
// else its ws:// one (none: port 0).
func uiPhone(obs *observer) func() ui.Phone {
	return func() ui.Phone {
		n := obs.node.Load()
		if n == nil {
			return ui.Phone{}
		}
		if a := n.sip.Addr("wss"); a.IsValid() {
			return ui.Phone{WSPort: int(a.Port()), Secure: true}
		}
		if a := n.sip.Addr("ws"); a.IsValid() {
			return ui.Phone{WSPort: int(a.Port())}
		}
		return ui.Phone{}
	}
}
