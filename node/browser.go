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

// wsRefused and wsBadFrames are the SIP server's WebSocket counters for
// the metrics.
func (o *observer) wsRefused() func() uint64   { return o.wsCount((*sip.Server).WebSocketRefused) }
func (o *observer) wsBadFrames() func() uint64 { return o.wsCount((*sip.Server).WebSocketBadFrames) }

// wsCount reads one of the SIP server's counters (0 before the node is
// up).
func (o *observer) wsCount(read func(*sip.Server) uint64) func() uint64 {
	return func() uint64 {
		if n := o.node.Load(); n != nil {
			return read(n.sip)
		}
		return 0
	}
}
