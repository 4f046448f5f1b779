package media

import (
	"net"
	"net/netip"
	"os"
	"sync"
	"time"

	"github.com/pion/stun/v3"
)

// ICE-lite (RFC 8445 section 2.5): ivrd has one host candidate, the
// session's RTP port, and only answers the browser's connectivity
// checks; the browser (the controlling agent) picks the pair. A check
// counts when it comes from an address the offer allowed, names our
// ufrag and is signed with our password (MESSAGE-INTEGRITY); the answer
// is signed the same way. The pair the browser nominates (USE-CANDIDATE),
// or the first that checks before it does, becomes where media goes and
// the only source it is taken from.

// iceLite is a session's ICE state; guarded by its own lock (the
// receive loop and the DTLS goroutine both read it).
type iceLite struct {
	username  string // what a check's USERNAME must be: "ours:theirs"
	integrity stun.MessageIntegrity
	allowed   []netip.Addr

	mu        sync.Mutex
	checked   []netip.AddrPort // sources whose checks passed (a few)
	nominated bool
}

// iceChecked bounds the sources remembered as checked.
const iceChecked = 8

func (i *iceLite) init(local WebRTCLocal, peer WebRTCPeer) {
	i.username = local.Ufrag + ":" + peer.Ufrag
	i.integrity = stun.NewShortTermIntegrity(local.Pwd)
	for _, a := range peer.Candidates {
		i.allowed = append(i.allowed, a.Unmap())
	}
}

func (i *iceLite) allows(a netip.Addr) bool {
	a = a.Unmap()
	for _, x := range i.allowed {
		if x == a {
			return true
		}
	}
	return false
}

// validated reports whether a check from from has passed (DTLS is taken
// only from such a source).
func (i *iceLite) validated(from netip.AddrPort) bool {
	from = unmap(from)
	i.mu.Lock()
	defer i.mu.Unlock()
	for _, c := range i.checked {
		if c == from {
			return true
		}
	}
	return false
}

// passed records a check that passed; select reports whether from
// becomes the media address.
func (i *iceLite) passed(from netip.AddrPort, useCandidate bool) (selectIt bool) {
	from = unmap(from)
	i.mu.Lock()
	defer i.mu.Unlock()
	known := false
	for _, c := range i.checked {
		known = known || c == from
	}
	if !known {
		if len(i.checked) >= iceChecked {
			i.checked = i.checked[1:]
		}
		i.checked = append(i.checked, from)
	}
	switch {
	case useCandidate:
		i.nominated = true
		return true
	case i.nominated:
		return false
	}
	return len(i.checked) == 1 && !known
}

// answerSTUN answers a binding request that passes the checks; anything
// else is dropped (counted as foreign when it came from elsewhere).
func (s *Session) answerSTUN(pkt []byte, from netip.AddrPort) {
	w := s.webrtc
	if !w.ice.allows(from.Addr()) {
		s.foreign.Add(1)
		return
	}
	m := &stun.Message{Raw: append([]byte(nil), pkt...)}
	if err := m.Decode(); err != nil || m.Type != stun.BindingRequest {
		s.malformed.Add(1)
		return
	}
	var user stun.Username
	if err := user.GetFrom(m); err != nil || string(user) != w.ice.username {
		s.foreign.Add(1)
		return
	}
	if err := w.ice.integrity.Check(m); err != nil {
		s.foreign.Add(1)
		return
	}
	if m.Contains(stun.AttrFingerprint) {
		if err := stun.Fingerprint.Check(m); err != nil {
			s.malformed.Add(1)
			return
		}
	}
	res, err := stun.Build(stun.NewTransactionIDSetter(m.TransactionID), stun.BindingSuccess,
		&stun.XORMappedAddress{IP: from.Addr().Unmap().AsSlice(), Port: int(from.Port())},
		w.ice.integrity, stun.Fingerprint)
	if err != nil {
		return
	}
	if w.ice.passed(from, m.Contains(stun.AttrUseCandidate)) {
		s.mu.Lock()
		from = unmap(from)
		if s.params.Remote != from {
			s.params.Remote = from
			s.latch = latch{sdp: from, signal: s.params.SignalIP.Unmap(), latched: true}
			s.rtcpRemote = from
		}
		s.mu.Unlock()
	}
	_ = s.writeRaw(res.Raw, from) // lost: the browser checks again
}

// writeRaw sends a datagram from the session's RTP socket unless the
// session has closed (its socket may be gone).
func (s *Session) writeRaw(b []byte, to netip.AddrPort) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return net.ErrClosed
	}
	return s.sock.writeTo(b, to)
}

// dtlsPacketConn is the DTLS server's view of the session's socket: the
// DTLS datagrams the receive loop hands it, and writes to the checked
// address they came from.
type dtlsPacketConn struct {
	s    *Session
	in   chan dtlsDatagram
	quit chan struct{}
	once sync.Once
	wake chan struct{} // a read deadline changed: a blocked read looks again
	mu   sync.Mutex
	peer netip.AddrPort // where the last DTLS datagram came from
	dl   time.Time
}

type dtlsDatagram struct {
	b    []byte
	from netip.AddrPort
}

// dtlsQueue bounds the datagrams waiting for the DTLS goroutine: a
// handshake flight is a few; more are dropped (DTLS retransmits).
const dtlsQueue = 16

func newDTLSPacketConn(s *Session) *dtlsPacketConn {
	return &dtlsPacketConn{s: s, in: make(chan dtlsDatagram, dtlsQueue), quit: make(chan struct{}), wake: make(chan struct{}, 1)}
}

// deliver queues a datagram from the receive loop; it never blocks.
func (c *dtlsPacketConn) deliver(b []byte, from netip.AddrPort) {
	select {
	case c.in <- dtlsDatagram{b: append([]byte(nil), b...), from: unmap(from)}:
	default:
	}
}

func (c *dtlsPacketConn) shut() { c.once.Do(func() { close(c.quit) }) }

func (c *dtlsPacketConn) ReadFrom(b []byte) (int, net.Addr, error) {
	for {
		c.mu.Lock()
		dl := c.dl
		c.mu.Unlock()
		var expire <-chan time.Time
		var t *time.Timer
		if !dl.IsZero() {
			t = time.NewTimer(time.Until(dl))
			expire = t.C
		}
		n, addr, err, again := c.readOnce(b, expire)
		if t != nil {
			t.Stop()
		}
		if !again {
			return n, addr, err
		}
	}
}

func (c *dtlsPacketConn) readOnce(b []byte, expire <-chan time.Time) (int, net.Addr, error, bool) {
	select {
	case d := <-c.in:
		c.mu.Lock()
		c.peer = d.from
		c.mu.Unlock()
		return copy(b, d.b), net.UDPAddrFromAddrPort(d.from), nil, false
	case <-expire:
		return 0, nil, os.ErrDeadlineExceeded, false
	case <-c.quit:
		return 0, nil, net.ErrClosed, false
	case <-c.wake:
		return 0, nil, nil, true
	}
}

func (c *dtlsPacketConn) WriteTo(b []byte, _ net.Addr) (int, error) {
	c.mu.Lock()
	to := c.peer
	c.mu.Unlock()
	if !to.IsValid() {
		return 0, net.ErrClosed
	}
	if err := c.s.writeRaw(b, to); err != nil {
		return 0, err
	}
	return len(b), nil
}

func (c *dtlsPacketConn) Close() error {
	c.shut()
	return nil
}

func (c *dtlsPacketConn) LocalAddr() net.Addr { return net.UDPAddrFromAddrPort(c.s.local) }

// RemoteAddr is a placeholder for the DTLS library: replies go to where
// the peer's datagrams come from.
func (c *dtlsPacketConn) RemoteAddr() net.Addr {
	return &net.UDPAddr{IP: net.IPv4zero, Port: 9}
}

func (c *dtlsPacketConn) SetDeadline(t time.Time) error { return c.SetReadDeadline(t) }

func (c *dtlsPacketConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	c.dl = t
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
	return nil
}

func (c *dtlsPacketConn) SetWriteDeadline(time.Time) error { return nil }
