package sip

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/ivrd/ivrd/audio"
)

// peerDialog is what a call does with its dialog once it is up: sipgo's
// server side of an INVITE we answered, or its client side of one we
// placed.
type peerDialog interface {
	Bye(ctx context.Context) error
	Do(ctx context.Context, req *sip.Request) (*sip.Response, error)
	WriteRequest(req *sip.Request) error
	ReadRequest(req *sip.Request, tx sip.ServerTransaction) error
	ReadBye(req *sip.Request, tx sip.ServerTransaction) error
	Close() error
}

// peer is the call's dialog, whichever side of it we are (nil before it
// exists).
func (c *Call) peer() peerDialog {
	switch {
	case c.dlg != nil:
		return c.dlg
	case c.placed != nil:
		return c.placed
	}
	return nil
}

// remoteTarget is where in-dialog requests go: the peer's Contact (the
// Request-URI we called when an answer had none).
func (c *Call) remoteTarget() sip.Uri {
	if c.dlg != nil {
		if ct := c.dlg.InviteRequest.Contact(); ct != nil {
			return ct.Address
		}
		return c.dlg.InviteRequest.From().Address
	}
	if ct := c.placed.InviteResponse.Contact(); ct != nil {
		return ct.Address
	}
	return c.placed.InviteRequest.Recipient
}

// signalSource is the address the peer's signalling comes from.
func (c *Call) signalSource() string {
	if c.dlg != nil {
		return c.dlg.InviteRequest.Source()
	}
	return c.placed.InviteResponse.Source()
}

// Placed reports whether ivrd placed this call (PlaceCall) rather than
// answered it.
func (c *Call) Placed() bool { return c.placed != nil }

// Place is a call ivrd places itself: once answered it is a Call like an
// inbound one, whose owner runs it (a menu for the called party).
type Place struct {
	// Outbound is whom to call and how: URI, credentials, FromUser (the
	// caller id shown), Headers, RingTimeout, SRTP, Codecs. Fork,
	// Ringback and Announce do not apply.
	Outbound
	// Party names the called party in the Call (its Caller: the one the
	// menu talks to); "" the URI's user.
	Party string
	// Dialled is the Call's Dialled (what the call is for: the number or
	// IVR its record shows).
	Dialled string
	// Trunk is the trunk the call goes out through ("" none).
	Trunk string
	// CallID is the Call-ID to use ("" a new one): the API answers with
	// it before the call is answered.
	CallID string
}

// PlaceCall calls o's URI and returns the answered, acknowledged call
// with its media running. A far end that does not answer within the ring
// timeout is a *BridgeError with code 408, one that refuses it one with
// its status (486 busy, 603 declined, ...). Nothing is left over on
// failure.
func (s *Server) PlaceCall(ctx context.Context, o Place) (*Call, error) {
	if s.draining.Load() {
		return nil, ErrDraining
	}
	if s.engine != nil && s.engine.Overloaded() {
		return nil, ErrOverloaded
	}
	if err := s.refusing(); err != nil {
		return nil, err
	}
	var uri sip.Uri
	if err := sip.ParseUri(NormalizeURI(o.URI), &uri); err != nil {
		return nil, fmt.Errorf("place: bad URI %q: %w", o.URI, err)
	}
	network := transportOf(uri)
	lst := s.listenerOf(network)
	if lst == nil {
		return nil, fmt.Errorf("place: no %s listener for %s", network, uri.String())
	}
	codecs := o.Codecs
	if len(codecs) == 0 {
		codecs = s.codecsFor(o.Trunk)
	}
	terms := srtpTerms{mode: o.SRTP, keysAllowed: SecureTransport(uriTransport(&uri)) || s.cfg.SRTP.InsecureSignalling}
	sdes, err := newSDESOffer(terms)
	if err != nil {
		return nil, fmt.Errorf("place: %s: %w", uri.String(), err)
	}
	port := uri.Port
	if port == 0 {
		port = 5060
	}
	c := &Call{srv: s, lst: lst, Dialled: o.Dialled, Trunk: o.Trunk, Transport: network, srtp: terms,
		sessID: rand.Uint64N(1 << 62), ourAddr: s.advertisedAddr(lst, net.JoinHostPort(uri.Host, strconv.Itoa(port)))}
	c.Caller = o.Party
	if c.Caller == "" {
		c.Caller = uri.User
	}
	c.contact = s.contactFor(lst, c.ourAddr)
	if c.Media, err = s.engine.NewSession(); err != nil {
		return nil, fmt.Errorf("place: %w", err)
	}
	dlg, err := s.placeInvite(ctx, c, o, uri, sdes, codecs)
	if err != nil {
		c.Media.Close()
		return nil, err
	}
	c.placed, c.dialogID, c.ID = dlg, dlg.ID, dlg.InviteRequest.CallID().Value()
	c.Log = s.log.With("call_id", c.ID)
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.served = true // its owner writes its last line
	if !s.remember(c.dialogID, c) {
		_ = dlg.Bye(context.Background()) // the server is closing: the far end times the call out if this fails
		c.Media.Close()
		return nil, ErrServerClosing
	}
	c.startMedia()
	c.Log.Info("call placed and answered", "to", uri.String(), "codec", codecName(c.choice.Codec), "remote_rtp", c.choice.Remote.String(),
		"trunk", o.Trunk)
	return c, nil
}

// placeInvite sends the INVITE, waits for the answer within the ring
// timeout, settles the media from it and ACKs it.
func (s *Server) placeInvite(ctx context.Context, c *Call, o Place, uri sip.Uri, sdes *sdesOffer, codecs []audio.Codec) (*sipgo.DialogClientSession, error) {
	offer := sdes.describe(SessionDescription{SessionID: c.sessID, Addr: c.ourAddr, Port: int(c.Media.LocalAddr().Port()),
		Direction: SendRecv}.WithMedia(codecs, 101)).Marshal()
	fromUser := o.FromUser
	if fromUser == "" {
		fromUser = "ivrd"
	}
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: fromUser, Host: c.ourAddr.String()}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(16))
	hdrs := append([]sip.Header{from, sip.NewHeader("Content-Type", "application/sdp"),
		sip.NewHeader("Allow", allowHeader), sip.NewHeader("Supported", "replaces")}, o.Headers...)
	if o.CallID != "" {
		id := sip.CallIDHeader(o.CallID)
		hdrs = append(hdrs, &id)
	}
	ring := o.RingTimeout
	if ring <= 0 {
		ring = 30 * time.Second
	}
	rctx, cancel := context.WithTimeout(ctx, ring)
	defer cancel()
	s.log.Info("placing call", "to", uri.String(), "from", fromUser, "ring_timeout", ring.String())
	dlg, err := s.invite(rctx, c.lst, uri, offer, hdrs)
	if err != nil {
		return nil, fmt.Errorf("place: invite %s: %w", uri.String(), err)
	}
	err = dlg.WaitAnswer(rctx, sipgo.AnswerOptions{Username: o.Username, Password: o.Password})
	if err != nil {
		_ = dlg.Close() // sipgo's state of an attempt that failed; nothing to undo
		var de *sipgo.ErrDialogResponse
		switch {
		case errors.As(err, &de):
			s.log.Info("placed call refused", "to", uri.String(), "code", de.Res.StatusCode, "reason", de.Res.Reason)
			return nil, &BridgeError{Code: de.Res.StatusCode, Reason: de.Res.Reason}
		case ctx.Err() != nil:
			return nil, fmt.Errorf("place: %w", ctx.Err())
		case rctx.Err() != nil:
			s.log.Info("placed call not answered", "to", uri.String(), "ring_timeout", ring.String())
			return nil, &BridgeError{Code: 408, Reason: "no answer"}
		}
		return nil, fmt.Errorf("place: %w", err)
	}
	mc, err := placedAnswer(dlg.InviteResponse.Body(), codecs, sdes)
	if err != nil {
		// Not usable: acknowledge and end it at once. Either failing
		// leaves the far end to time the call out; the error says why.
		_ = dlg.Ack(context.Background())
		_ = dlg.Bye(context.Background())
		return nil, fmt.Errorf("place: answer: %w", err)
	}
	if err := dlg.Ack(ctx); err != nil {
		_ = dlg.Close()
		return nil, fmt.Errorf("place: ack: %w", err)
	}
	c.choice = mc
	return dlg, nil
}

// placedAnswer is the media the far end's answer settles on.
func placedAnswer(body []byte, codecs []audio.Codec, sdes *sdesOffer) (MediaChoice, error) {
	sd, err := ParseSDP(body)
	if err != nil {
		return MediaChoice{}, err
	}
	mc, err := Negotiate(sd, codecs)
	if err != nil {
		return mc, err
	}
	if err := sdes.accept(sd, &mc); err != nil {
		return mc, err
	}
	return mc, nil
}
