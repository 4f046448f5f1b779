// Package sip is ivrd's signalling layer, built on emiago/sipgo.
//
// It owns the SIP listeners (UDP and TCP), the INVITE server side of each
// call (offer/answer, ACK, BYE, CANCEL, re-INVITE and UPDATE, session
// timers), in-dialog requests (INFO digits, NOTIFY for REFER progress) and
// the hand-offs it is told to carry out (REFER). It allocates each call's
// RTP session from package media and feeds the call's digits from package
// dtmf.
//
// It knows nothing of menus: it delivers an answered call to a Handler and
// carries out what the handler asks for.
package sip
