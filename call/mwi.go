package call

import (
	"context"
	"time"

	"github.com/ivrd/ivrd/sip"
)

// mwiTimeout bounds one NOTIFY: a phone that went away must not hold
// the call that changed the counts.
const mwiTimeout = 5 * time.Second

// notifyMWI tells the phones of the box's extensions its new counts
// (RFC 3842), in the background: the lamp is news, not part of the call.
func (r *run) notifyMWI(box string) {
	cfg := r.snap.Config
	newMsgs, oldMsgs, err := r.mailboxes().Counts(box)
	if err != nil {
		r.log.Warn("mwi: counting messages", "box", box, "err", err)
	}
	srv := r.c.Server()
	sum := sip.MessageSummary{Account: box, New: newMsgs, Old: oldMsgs}
	for _, ext := range cfg.MWIExtensions(box) {
		for _, contact := range srv.Contacts(ext) {
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), mwiTimeout)
				defer cancel()
				if err := srv.NotifyMWI(ctx, contact, sum); err != nil {
					r.log.Info("mwi notify failed", "box", box, "contact", contact, "err", err)
					return
				}
				r.log.Info("mwi notify", "box", box, "contact", contact, "new", newMsgs, "old", oldMsgs)
			}()
		}
	}
}
