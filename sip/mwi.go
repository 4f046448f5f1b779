package sip

import (
	"context"
	"fmt"
	"net"
	"strings"

	"github.com/emiago/sipgo/sip"
)

// MessageSummary is a box's message counts for a message waiting
// indication (RFC 3842).
type MessageSummary struct {
	Account  string // the box, e.g. "1001"; becomes sip:1001@ivrd's address
	New, Old int
}

// Body is the application/simple-message-summary body.
func (m MessageSummary) Body(host string) []byte {
	waiting := "no"
	if m.New > 0 {
		waiting = "yes"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Messages-Waiting: %s\r\n", waiting)
	if m.Account != "" {
		fmt.Fprintf(&b, "Message-Account: sip:%s@%s\r\n", m.Account, host)
	}
	fmt.Fprintf(&b, "Voice-Message: %d/%d (0/0)\r\n", m.New, m.Old) // ivrd has no urgent messages
	return []byte(b.String())
}

// NotifyMWI sends an unsolicited NOTIFY (Event: message-summary) to a
// phone's contact, as Asterisk and most PBXs do for registered phones
// that did not SUBSCRIBE: it lights or clears the message waiting lamp.
// The phone's answer is returned as an error when it is not 2xx.
func (s *Server) NotifyMWI(ctx context.Context, contact string, m MessageSummary) error {
	var uri sip.Uri
	if err := sip.ParseUri(NormalizeURI(contact), &uri); err != nil {
		return fmt.Errorf("mwi: bad contact %q: %w", contact, err)
	}
	lst := s.listenerOf(transportOf(uri)) // its Contact names the transport the NOTIFY takes
	s.mu.Lock()
	if lst == nil && len(s.listeners) > 0 {
		lst = s.listeners[0]
	}
	s.mu.Unlock()
	if lst == nil {
		return fmt.Errorf("mwi: %w", ErrNotListening)
	}
	ip := s.advertisedAddr(lst, net.JoinHostPort(uri.Host, "5060"))
	host := ip.String()
	if s.cfg.ExternalAddr != "" {
		host = s.cfg.ExternalAddr
	}
	req := sip.NewRequest(sip.NOTIFY, uri)
	for _, h := range s.routeTo(uri) { // through the proxy the phone registered through
		req.AppendHeader(h)
	}
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: m.Account, Host: host}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(16))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: m.Account, Host: host}})
	contactHdr := s.contactFor(lst, ip)
	req.AppendHeader(&contactHdr)
	req.AppendHeader(sip.NewHeader("Event", "message-summary"))
	req.AppendHeader(sip.NewHeader("Subscription-State", "active"))
	req.AppendHeader(sip.NewHeader("Content-Type", "application/simple-message-summary"))
	req.SetBody(m.Body(host))
	res, err := s.client.Do(ctx, req)
	if err != nil {
		return fmt.Errorf("mwi: notify %s: %w", uri.String(), err)
	}
	if !res.IsSuccess() {
		return fmt.Errorf("mwi: notify %s: %d %s", uri.String(), res.StatusCode, res.Reason)
	}
	return nil
}
