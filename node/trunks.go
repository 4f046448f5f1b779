package node

import (
	"time"

	"github.com/ivrd/ivrd/api"
	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/observe"
	"github.com/ivrd/ivrd/sip"
)

// sipTrunks is the configuration's trunks as the SIP layer takes them:
// their TLS checks and, for those that register, their registration.
func sipTrunks(c *ivr.Config) []sip.Trunk {
	out := make([]sip.Trunk, 0, len(c.Trunks))
	for i := range c.Trunks {
		t := &c.Trunks[i]
		st := sip.Trunk{Name: t.Name, URI: t.URI,
			TLS: sip.TrunkTLS{CAFile: t.TLS.CAFile, ServerName: t.TLS.ServerName, InsecureSkipVerify: t.TLS.InsecureSkipVerify}}
		if r, ok := t.Registration(); ok {
			st.Registration = &sip.Registration{Registrar: r.Registrar, Username: r.Username, Password: r.Password,
				ContactUser: r.ContactUser, Expires: r.Expires.D(), Transport: r.Transport}
		}
		out = append(out, st)
	}
	return out
}

// trunkStates is the API's and the metrics' view of the registrations.
type trunkStates struct{ n *Node }

// TrunkStatuses is api.TrunkStates.
func (ts trunkStates) TrunkStatuses() []api.TrunkStatus {
	regs := ts.n.sip.Registrations()
	out := make([]api.TrunkStatus, 0, len(regs))
	for _, r := range regs {
		out = append(out, api.TrunkStatus{Trunk: r.Trunk, Registrar: r.Registrar, Contact: r.Contact, Status: string(r.Status),
			LastCode: r.LastCode, LastError: r.LastError, NextAttempt: timePtr(r.NextAttempt), Expires: timePtr(r.Expires),
			Failures: r.Failures})
	}
	return out
}

// gauges is the registrations as the metrics and /readyz read them.
func (ts trunkStates) gauges() []observe.TrunkGauge {
	regs := ts.n.sip.Registrations()
	out := make([]observe.TrunkGauge, 0, len(regs))
	for _, r := range regs {
		out = append(out, observe.TrunkGauge{Trunk: r.Trunk, Status: string(r.Status), Failures: r.Failures, LastError: r.LastError})
	}
	return out
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}
