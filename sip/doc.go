// Package sip is ivrd's signalling layer, built on emiago/sipgo.
//
// It owns the SIP listeners (UDP, TCP and TLS, tls.go: the certificate
// reloaded whole, handshakes under the TCP guard; WS and WSS for browsers,
// websocket.go: each upgrade request checked, origin and subprotocol,
// before sipgo's WebSocket transport sees it, frames checked as read),
// the INVITE server side of each
// call (screening: source, Require, session timer, number, SDP offer,
// refused through one mapping from reason to status in errors.go;
// offer/answer, ACK, BYE, CANCEL, re-INVITE and UPDATE, session timers),
// in-dialog requests (INFO digits, NOTIFY for REFER progress), the
// registrar (its bindings kept through Config.Bindings, the store a
// cluster shares, bindings.go; a request to a contact that registered
// through a proxy takes the REGISTER's Path as its Route), and the hand-offs it is told to carry out: REFER, and
// bridges to far ends it calls (trunks with digest auth, forks to an
// extension's contacts). Callers' dialogs and bridges' outbound legs are
// kept in one registry, and both answer re-INVITEs through one
// repeat-until-ACK helper. Every request it sends goes through one door
// (outbound.go): from the listener of its transport, with a routable Via
// and rport, over a checked TLS connection where the URI asks for TLS.
// It also places calls of its own (place.go, PlaceCall): a Call on
// the client side of its dialog, which its owner runs like an answered
// one. Trunks that register are kept registered by a client per trunk
// (register.go, trunks.go), whose calls are admitted as that trunk.
//
// It negotiates SRTP with SDES keys (srtp.go, sdes.go): RTP/SAVP and
// RTP/AVP offers with a=crypto attributes, answered or refused (488) as
// Config.SRTP says, keys taken and given only over encrypted signalling
// unless allowed otherwise; the bridge legs it places offer keys as
// Outbound.SRTP asks.
//
// Browser callers (browser.go, webrtc.go): an INVITE over WS or WSS is
// authenticated by digest against the registrar's credentials when it
// carries them (or always, WebSocketPolicy.RequireAuth); an anonymous
// one never dials out unless the policy allows it, and is never sent
// REFER. Its UDP/TLS/RTP/SAVPF offer is answered as an ICE-lite agent
// with DTLS-SRTP and rtcp-mux, the media session readied for it
// (media.Session.EnableWebRTC) before the answer, and the call handed
// on only once the DTLS handshake gave the keys (else released within
// the un-ACKed call timeout).
//
// It is signalling only. It allocates a call's RTP session from package
// media (a port is needed for the SDP), starts it and applies each
// re-negotiation, and joins two sessions with media.Bridge; where received
// audio and key presses go is the call owner's business (Call.Media,
// Call.OnInfoDigit), and so is every sound: a bridge plays the ringback
// and the announcement its Outbound carries (media.Clip), at the moments
// the signalling sets. It hands the answered call to a Handler and reports
// how it ended (EndCause, BridgeEnd).
//
// It must not import ivr or call (it knows nothing of menus), prompts (it
// makes no sound of its own) or store.
package sip
