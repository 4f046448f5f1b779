package ivr

import (
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// The server, trunks and extensions sections: what the SIP and media
// layers are started with, and the numbers calls are routed by.

func (v *validator) server() {
	s := v.c.Server
	for i, l := range s.SIP.Listen {
		u, err := url.Parse(l)
		path := fmt.Sprintf("server.sip.listen[%d]", i)
		if err != nil || (u.Scheme != "udp" && u.Scheme != "tcp" && u.Scheme != "tls" && u.Scheme != "ws" && u.Scheme != "wss") {
			v.errf(path, "%q: want udp://HOST:PORT, tcp://, tls://, ws:// or wss://HOST:PORT", l)
			continue
		}
		if _, err := netip.ParseAddrPort(u.Host); err != nil {
			v.errf(path, "%q: bad address: %v", l, err)
		}
	}
	v.sipTLS(s.SIP) // trunk_transport.go
	if a := s.SIP.ExternalAddress; a != "" {
		if _, err := netip.ParseAddr(a); err != nil {
			v.errf("server.sip.external_address", "%q is not an IP address", a)
		}
	}
	if p := s.Media.PacerPriority(); p < 0 || p > 49 {
		v.errf("server.media.realtime_priority", "%d: want 1-49 (SCHED_FIFO, below the kernel's own threads), or 0 for none", p)
	}
	// RTP takes even ports and RTCP the odd one above: the range starts
	// even and holds at least one pair.
	l, h, err := parsePortRange(s.Media.RTPPorts)
	switch {
	case err != nil:
		v.errf("server.media.rtp_ports", "%s", err)
	case (h-l+1)/2 < MinRTPCalls:
		v.errf("server.media.rtp_ports", "%q has room for %d call (each takes an even RTP port and the RTCP port above): want room for at least %d, e.g. \"10000-10099\" for 50",
			s.Media.RTPPorts, (h-l+1)/2, MinRTPCalls)
	}
	for i, c := range s.Media.Codecs {
		v.checkCodec(codecLabel("server.media.codecs", i), c)
	}
	for i, d := range s.Media.DTMF {
		if l := strings.ToLower(d); l != "rfc4733" && l != "inband" && l != "info" {
			v.errf(fmt.Sprintf("server.media.dtmf[%d]", i), "unknown DTMF method %q (rfc4733, inband, info)", d)
		}
	}
	switch InbandMode(s.Media.Inband) {
	case InbandAuto, InbandAlways, InbandNever:
	default:
		v.errf("server.media.inband", "%q: want auto, always or never", s.Media.Inband)
	}
	if _, err := ParseSRTPMode(s.Media.SRTP); err != nil {
		v.errf("server.media.srtp", "%s", err)
	}
	v.srtpSignalling()
	if _, err := netip.ParseAddrPort(s.API.Listen); err != nil {
		v.errf("server.api.listen", "%q: want IP:PORT, e.g. \"127.0.0.1:8080\"", s.API.Listen)
	}
	v.apiTokens(s.API)
	if scheme, _, _ := strings.Cut(s.Store, "://"); scheme != "sqlite" && scheme != "postgres" && scheme != "postgresql" {
		v.errf("server.store", "%q: want sqlite://FILE or postgres://...", s.Store)
	}
}

// srtpSignalling warns when SRTP is asked for but its keys could never
// be exchanged: SDES keys go only over TLS unless
// srtp_insecure_signalling, and no tls:// listener is configured.
func (v *validator) srtpSignalling() {
	s := v.c.Server
	if s.Media.SRTPInsecureSignalling {
		return
	}
	for _, l := range s.SIP.Listen {
		if strings.HasPrefix(strings.ToLower(l), "tls://") {
			return
		}
	}
	path, mode := "server.media.srtp", s.Media.SRTP
	for _, t := range v.c.Trunks {
		if m, _ := ParseSRTPMode(t.SRTP); m != SRTPOff && mode == "" {
			path, mode = fmt.Sprintf("trunks[%s].srtp", t.Name), t.SRTP
		}
	}
	if m, err := ParseSRTPMode(mode); err != nil || m == SRTPOff {
		return
	}
	v.warnf(path, "%s, but SIP is not on TLS and srtp_insecure_signalling is off: SDES keys are taken only over TLS, "+
		"so calls get plain RTP (optional) or 488 (required); add a tls:// listener, or set server.media.srtp_insecure_signalling", mode)
}

func (v *validator) trunks() {
	seen := map[string]bool{}
	contacts := map[string]string{} // contact user registered -> trunk
	for i, t := range v.c.Trunks {
		path := fmt.Sprintf("trunks[%s]", nameOr(t.Name, i))
		if t.Name == "" {
			v.errf(path, "name is required")
		} else if seen[t.Name] {
			v.errf(path, "duplicate trunk name %q", t.Name)
		}
		seen[t.Name] = true
		if !strings.HasPrefix(t.URI, "sip:") && !strings.HasPrefix(t.URI, "sips:") {
			v.errf(path+".uri", "%q: want a sip: URI", t.URI)
		} else if why := sipURIProblem(t.URI); why != "" {
			v.errf(path+".uri", "bad SIP URI %q: %s", t.URI, why)
		}
		if t.Strip < 0 {
			v.errf(path+".strip", "must not be negative")
		}
		if cu := v.registration(path, t); cu != "" { // trunk_transport.go
			if other, dup := contacts[cu]; dup {
				v.errf(path, "registers contact user %q as trunk %q does: calls to it could not tell the trunks apart (set contact_user)", cu, other)
			}
			contacts[cu] = t.Name
		}
		v.trunkTLS(path, t)
		if _, err := ParseSRTPMode(t.SRTP); err != nil {
			v.errf(path+".srtp", "%s", err)
		}
		for j, c := range t.Codecs {
			v.checkCodec(codecLabel(path+".codecs", j), c)
		}
		for j, n := range t.InboundFrom {
			if _, err := netip.ParsePrefix(n); err != nil {
				if _, err := netip.ParseAddr(n); err != nil {
					v.errf(fmt.Sprintf("%s.inbound_from[%d]", path, j), "%q is not an address or CIDR network", n)
				}
			}
		}
	}
}

func (v *validator) extensions() {
	seen := map[string]bool{}
	for i, x := range v.c.Extensions {
		path := fmt.Sprintf("extensions[%s]", nameOr(x.Number, i))
		if !dialable(x.Number) {
			v.errf(path, "number %q must be dialable digits", x.Number)
		}
		if seen[x.Number] {
			v.errf(path, "duplicate extension %q", x.Number)
		}
		seen[x.Number] = true
		// Calls are routed to menus first: the extension would never
		// be reached by dialling it.
		if m, ok := v.c.IVRFor(x.Number); ok && x.Number != "" {
			v.errf(path, "number %q is also an extension of ivr %q: calls to it reach the menu, never this extension", x.Number, m.ID)
		}
		if x.Contact != "" && !strings.HasPrefix(x.Contact, "sip:") {
			v.errf(path+".contact", "%q: want a sip: URI", x.Contact)
		} else if why := sipURIProblem(x.Contact); x.Contact != "" && why != "" {
			v.errf(path+".contact", "bad SIP URI %q: %s", x.Contact, why)
		}
	}
}

// MinRTPCalls is the fewest calls server.media.rtp_ports must have room
// for: a range for one call refuses the second caller (503) while the
// first is still on, which is never what a server is for.
const MinRTPCalls = 2

// dialable: what a caller can key in: digits (at least one), * and #, and
// + only in front.
func dialable(n string) bool {
	digits := 0
	for i := 0; i < len(n); i++ {
		switch c := n[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '*' || c == '#':
		case c == '+' && i == 0:
		default:
			return false
		}
	}
	return digits > 0
}

// sipURIProblem says what is wrong with a SIP URI, with or without its
// sip:/sips: scheme ("" when nothing is): a host is required, a user
// part if there is an @, a port if there is a colon after the host.
func sipURIProblem(s string) string {
	if strings.ContainsAny(s, " \t<>\"") {
		return "spaces, quotes or <> are not part of a URI"
	}
	rest := s
	for _, scheme := range []string{"sip:", "sips:"} {
		if len(rest) >= len(scheme) && strings.EqualFold(rest[:len(scheme)], scheme) {
			rest = rest[len(scheme):]
			break
		}
	}
	if i := strings.IndexAny(rest, ";?"); i >= 0 {
		rest = rest[:i] // parameters and headers
	}
	host := rest
	if i := strings.LastIndex(rest, "@"); i >= 0 {
		if i == 0 {
			return "nothing before the @ (want user@host)"
		}
		host = rest[i+1:]
	}
	if strings.HasPrefix(host, "[") { // [IPv6]:port
		end := strings.Index(host, "]")
		if end < 0 {
			return "unclosed [ in the host"
		}
		if _, err := netip.ParseAddr(host[1:end]); err != nil {
			return fmt.Sprintf("%q is not an IPv6 address", host[1:end])
		}
		host = "h" + host[end+1:]
	}
	name, port, hasPort := strings.Cut(host, ":")
	if name == "" {
		return "no host (want sip:user@host or sip:host)"
	}
	if strings.Trim(strings.ToLower(name), "abcdefghijklmnopqrstuvwxyz0123456789.-_") != "" {
		return fmt.Sprintf("%q is not a host name or address", name)
	}
	if hasPort {
		if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
			return fmt.Sprintf("port %q is not 1-65535", port)
		}
	}
	return ""
}

// apiTokens checks the management API's credentials: each names itself,
// has a token or its SHA-256 (not both), and a known scope; TLS needs a
// certificate and its key.
func (v *validator) apiTokens(api API) {
	names := map[string]bool{}
	for i, t := range api.Tokens {
		path := fmt.Sprintf("server.api.tokens[%s]", nameOr(t.Name, i))
		if t.Name == "" {
			v.errf(path, "name is required (it is how logs tell tokens apart)")
		} else if names[t.Name] {
			v.errf(path, "duplicate token name %q", t.Name)
		}
		names[t.Name] = true
		switch {
		case t.Token == "" && t.TokenSHA256 == "":
			v.errf(path, "want token or token_sha256")
		case t.Token != "" && t.TokenSHA256 != "":
			v.errf(path, "want token or token_sha256, not both")
		case t.TokenSHA256 != "" && !isHex(t.TokenSHA256, 64):
			v.errf(path+".token_sha256", "want 64 hex digits (sha256sum of the token)")
		case t.Token != "" && len(t.Token) < 8:
			v.errf(path+".token", "too short: use at least 8 characters (16 random bytes are better)")
		}
		switch t.Scope {
		case "", "read", "write":
		default:
			v.errf(path+".scope", "%q: want read or write", t.Scope)
		}
	}
	if (api.TLSCert == "") != (api.TLSKey == "") {
		v.errf("server.api", "tls_cert and tls_key go together")
	}
}

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i] | 0x20; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
