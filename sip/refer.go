package sip

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
)

// ReferError is a transfer the caller's side refused or could not complete.
type ReferError struct {
	Code   int    // SIP status of the REFER response or of the NOTIFY sipfrag
	Reason string // "refused", "failed", "no notify"
}

func (e *ReferError) Error() string {
	if e.Code == 0 {
		return "refer: " + e.Reason
	}
	return fmt.Sprintf("refer: %s (%d)", e.Reason, e.Code)
}

// NormalizeURI adds the "sip:" scheme a configured target may leave out.
func NormalizeURI(target string) string {
	t := strings.TrimSpace(target)
	t = strings.TrimSuffix(strings.TrimPrefix(t, "<"), ">")
	if !strings.HasPrefix(strings.ToLower(t), "sip:") && !strings.HasPrefix(strings.ToLower(t), "sips:") && !strings.HasPrefix(strings.ToLower(t), "tel:") {
		t = "sip:" + t
	}
	return t
}

// Refer asks the caller's side to call target (RFC 3515) and waits for the
// outcome reported by NOTIFY. nil means the transfer succeeded; the caller
// of Refer then ends our side with Hangup.
func (c *Call) Refer(ctx context.Context, target string) error {
	if c.Browser {
		return ErrReferBrowser // browser.go: "auto" bridges instead
	}
	target = NormalizeURI(target)
	var uri sip.Uri
	if err := sip.ParseUri(target, &uri); err != nil {
		return fmt.Errorf("refer: bad target %q: %w", target, err)
	}
	if c.dlg != nil && c.dlg.InviteRequest.Contact() == nil {
		return errors.New("refer: caller sent no Contact")
	}
	req := sip.NewRequest(sip.REFER, c.remoteTarget())
	req.AppendHeader(sip.NewHeader("Refer-To", "<"+uri.String()+">"))
	req.AppendHeader(sip.NewHeader("Referred-By", fmt.Sprintf("<sip:%s@%s>", c.Dialled, c.contact.Address.HostPort())))
	req.AppendHeader(&c.contact)

	progress := make(chan int, 16)
	c.mu.Lock()
	c.refer = progress
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.refer = nil
		c.mu.Unlock()
	}()

	c.Log.Info("refer sent", "refer_to", uri.String())
	rctx, cancel := context.WithTimeout(ctx, 32*time.Second)
	res, err := c.peer().Do(rctx, req)
	cancel()
	if err != nil {
		return fmt.Errorf("refer: %w", err)
	}
	if res.StatusCode >= 300 {
		c.Log.Info("refer refused", "code", res.StatusCode)
		return &ReferError{Code: res.StatusCode, Reason: "refused"}
	}
	c.Log.Info("refer accepted", "code", res.StatusCode)
	timeout := time.NewTimer(c.srv.cfg.ReferTimeout)
	defer timeout.Stop()
	for {
		select {
		case code := <-progress:
			c.Log.Info("refer progress", "sipfrag", code)
			switch {
			case code >= 200 && code < 300:
				return nil
			case code >= 300:
				return &ReferError{Code: code, Reason: "failed"}
			}
		case <-timeout.C:
			return &ReferError{Reason: "no notify"}
		case <-ctx.Done():
			return ctx.Err()
		case <-c.ctx.Done():
			return errors.New("refer: call ended")
		}
	}
}
