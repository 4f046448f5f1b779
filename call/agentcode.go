package call

import (
	"slices"

	"github.com/ivrd/ivrd/cdr"
	"github.com/ivrd/ivrd/ivr"
)

// agentCode serves a call to a queue's agent code (as FreePBX's *45):
// the caller, if it is an agent of the queues with that code and calls
// from its registered phone, is logged out of them if it is logged in to
// any, else logged in to all; it hears which, then ivrd hangs up.
//
// The caller's identity is its From user, which anyone can write; calls
// carry no digest here, so the call must also come from the address and
// port the extension registered from with its password, or be a browser
// call that authenticated as the extension. A static contact (no
// registration) cannot use the code: the API can.
func (r *run) agentCode(code string) {
	cfg := r.snap.Config
	ext := r.c.Caller
	var queues []*ivr.Queue
	for _, q := range cfg.QueuesWithAgentCode(code) {
		if slices.Contains(cfg.QueueAgents(q), ext) {
			queues = append(queues, q)
		}
	}
	srv := r.c.Server()
	// A browser caller that authenticated as the extension (digest over
	// WebSocket) is believed too.
	trusted := ext != "" && r.c.Extension == ext || srv != nil && srv.FromRegisteredPhone(ext, r.c.Source)
	r.rec.Outcome = cdr.Outcome{Kind: cdr.OutcomeHangup, Detail: "agent code"}
	switch {
	case len(queues) == 0 || !trusted:
		// One answer for "not an agent" and "not from its phone", so the
		// code tells a stranger nothing about who is an agent.
		r.log.Warn("agent code refused", "code", code, "extension", ext, "source", r.c.Source.String(),
			"agent", len(queues) > 0, "registered_phone", trusted)
		_, _ = r.say("agent-refused")
	default:
		in := !r.h.queues.anyLoggedIn(cfg, queues, ext)
		for _, q := range queues {
			if err := r.h.queues.SetLoggedIn(cfg, q.ID, ext, in); err != nil {
				r.log.Error("agent code", "queue", q.ID, "err", err)
			}
		}
		r.log.Info("agent code", "code", code, "extension", ext, "logged_in", in, "queues", len(queues))
		if in {
			_, _ = r.say("agent-loggedin")
		} else {
			_, _ = r.say("agent-loggedoff")
		}
	}
	r.endBy(EndMenuHangup, SideIVRD)
	r.c.Hangup()
}

// anyLoggedIn reports whether agentName is logged in to any of queues.
func (qs *Queues) anyLoggedIn(cfg *ivr.Config, queues []*ivr.Queue, agentName string) bool {
	qs.mu.Lock()
	defer qs.mu.Unlock()
	for _, q := range queues {
		if a := qs.state(cfg, q).agents[agentName]; a != nil && !a.loggedOut {
			return true
		}
	}
	return false
}
