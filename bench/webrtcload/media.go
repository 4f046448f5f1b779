package main

import (
	"context"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/dtls/v4"
	"github.com/pion/dtls/v4/pkg/crypto/fingerprint"
	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"
	"github.com/pion/stun/v3"
	"golang.org/x/sys/unix"
)

// frameInterval is the packet time of every stream: 20 ms.
const frameInterval = 20 * time.Millisecond

// media is one call's UDP port: ICE, DTLS and SRTP on it, as a browser
// bundles them (RFC 7983 tells them apart by their first byte).
type media struct {
	conn   *net.UDPConn
	dtls   *dtls.Conn
	to     netip.AddrPort
	recv   atomic.Pointer[srtp.Context] // set once the keys are there; used by the reader alone
	send   *srtp.Context
	stats  recvStats
	window *window
}

// window is the measuring stretch, the same for every call: set once
// every call is up (and a settling time has passed), until the first
// call's hold ends. Zero until then: nothing is measured.
type window struct{ from, to atomic.Int64 } // Unix nanoseconds

func (w *window) set(from, to time.Time) {
	w.to.Store(to.UnixNano())
	w.from.Store(from.UnixNano())
}

func (w *window) has(t time.Time) bool {
	from := w.from.Load()
	n := t.UnixNano()
	return from != 0 && n >= from && n < w.to.Load()
}

func (w *window) seconds() float64 {
	return time.Duration(w.to.Load() - w.from.Load()).Seconds()
}

// recvStats is what a call measured of the packets it received in the
// window.
type recvStats struct {
	mu        sync.Mutex
	last      time.Time       // the previous packet's kernel timestamp
	errs      []time.Duration // |interval - 20 ms| of consecutive packets, both in the window
	maxGap    time.Duration
	received  int
	first     int64 // extended sequence numbers, to count loss
	high      int64
	haveSeq   bool
	cycles    int64
	lastSeq   uint16
	authFails int
	authErr   string // the first failure's error
	early     int    // SRTP before this end had keys: dropped
	rtcp      int
}

// openMedia binds the call's port on loopback, with kernel receive
// timestamps.
func openMedia(w *window) (*media, error) {
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, err
	}
	raw, err := c.SyscallConn()
	if err == nil {
		cerr := raw.Control(func(fd uintptr) { err = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1) })
		err = errors.Join(err, cerr)
	}
	if err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("SO_TIMESTAMPNS: %w", err)
	}
	return &media{conn: c, window: w}, nil
}

func (m *media) port() int { return m.conn.LocalAddr().(*net.UDPAddr).Port }

// check is one ICE connectivity check (RFC 8445 7.2.4) as the
// controlling agent nominating the pair; it returns the request's raw
// bytes for consent checks to send again with a new transaction ID.
func checkRequest(localUfrag string, a answer, tiebreaker uint64) ([]byte, [stun.TransactionIDSize]byte, error) {
	prio := make([]byte, 4)
	binary.BigEndian.PutUint32(prio, 1853824767) // peer-reflexive priority of a host candidate
	tb := make([]byte, 8)
	binary.BigEndian.PutUint64(tb, tiebreaker)
	msg, err := stun.Build(stun.TransactionID, stun.BindingRequest, stun.NewUsername(a.Ufrag+":"+localUfrag),
		stun.RawAttribute{Type: stun.AttrPriority, Value: prio}, stun.RawAttribute{Type: stun.AttrICEControlling, Value: tb},
		stun.RawAttribute{Type: stun.AttrUseCandidate}, stun.NewShortTermIntegrity(a.Pwd), stun.Fingerprint)
	if err != nil {
		return nil, [stun.TransactionIDSize]byte{}, err
	}
	return msg.Raw, msg.TransactionID, nil
}

// connect runs the connectivity check, retried every 100 ms, until the
// server's signed success response or the context ends.
func (m *media) connect(ctx context.Context, localUfrag string, a answer, tiebreaker uint64) error {
	m.to = a.To
	req, id, err := checkRequest(localUfrag, a, tiebreaker)
	if err != nil {
		return err
	}
	buf := make([]byte, 1500)
	for {
		if _, err := m.conn.WriteToUDPAddrPort(req, a.To); err != nil {
			return fmt.Errorf("ice: %w", err)
		}
		_ = m.conn.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		for {
			n, _, err := m.conn.ReadFromUDPAddrPort(buf)
			if err != nil {
				break // no answer in time: send again
			}
			if n < 20 || buf[0] > 3 {
				continue
			}
			resp := &stun.Message{Raw: append([]byte(nil), buf[:n]...)}
			if resp.Decode() != nil || resp.TransactionID != id {
				continue
			}
			_ = m.conn.SetReadDeadline(time.Time{})
			if resp.Type != stun.BindingSuccess {
				return fmt.Errorf("ice: the check was answered %s", resp.Type)
			}
			if err := stun.NewShortTermIntegrity(a.Pwd).Check(resp); err != nil {
				return fmt.Errorf("ice: the answer to the check is not signed with the answer's a=ice-pwd: %w", err)
			}
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("ice: no answer to the connectivity check: %w", ctx.Err())
		}
	}
}

// consent is a fresh connectivity check (RFC 7675 consent freshness);
// its answer is dropped by the reader.
func (m *media) consent(localUfrag string, a answer, tiebreaker uint64) {
	if req, _, err := checkRequest(localUfrag, a, tiebreaker); err == nil {
		_, _ = m.conn.WriteToUDPAddrPort(req, m.to)
	}
}

// handshake runs the DTLS client (a=setup:actpass answered passive),
// checks the server's certificate against the answer's fingerprint, and
// makes the SRTP contexts from the exported keys.
func (m *media) handshake(ctx context.Context, cert tls.Certificate, a answer) error {
	hash, want, _ := strings.Cut(a.Fingerprint, " ")
	if !strings.EqualFold(hash, "sha-256") {
		return fmt.Errorf("dtls: answer's fingerprint is %q, want sha-256", hash)
	}
	conn, err := dtls.Client(demux{m}, net.UDPAddrFromAddrPort(a.To),
		dtls.WithCertificates(cert),
		dtls.WithSRTPProtectionProfiles(dtls.SRTP_AEAD_AES_128_GCM, dtls.SRTP_AES128_CM_HMAC_SHA1_80), // Chromium's order
		dtls.WithExtendedMasterSecret(dtls.RequireExtendedMasterSecret),
		dtls.WithInsecureSkipVerify(true), // self-signed: the fingerprint is the check
		dtls.WithVerifyPeerCertificate(func(raw [][]byte, _ [][]*x509.Certificate) error {
			if len(raw) == 0 {
				return errors.New("no certificate")
			}
			c, err := x509.ParseCertificate(raw[0])
			if err != nil {
				return err
			}
			got, err := fingerprint.Fingerprint(c, crypto.SHA256)
			if err != nil {
				return err
			}
			if !strings.EqualFold(got, strings.TrimSpace(want)) {
				return fmt.Errorf("certificate %s is not the answer's %s", got, want)
			}
			return nil
		}))
	if err != nil {
		return fmt.Errorf("dtls: %w", err)
	}
	m.dtls = conn
	if err := conn.HandshakeContext(ctx); err != nil {
		return fmt.Errorf("dtls: %w", err)
	}
	return m.keys(conn)
}

// keys makes the two SRTP contexts (RFC 5764 4.2: the client's key and
// salt protect what the client sends).
func (m *media) keys(conn *dtls.Conn) error {
	prof, ok := conn.SelectedSRTPProtectionProfile()
	if !ok {
		return errors.New("dtls: no SRTP profile negotiated")
	}
	var p srtp.ProtectionProfile
	switch prof {
	case dtls.SRTP_AEAD_AES_128_GCM:
		p = srtp.ProtectionProfileAeadAes128Gcm
	case dtls.SRTP_AES128_CM_HMAC_SHA1_80:
		p = srtp.ProtectionProfileAes128CmHmacSha1_80
	default:
		return fmt.Errorf("dtls: SRTP profile %#x not offered", uint16(prof))
	}
	keyLen, err := p.KeyLen()
	if err != nil {
		return err
	}
	saltLen, err := p.SaltLen()
	if err != nil {
		return err
	}
	state, ok := conn.ConnectionState()
	if !ok {
		return errors.New("dtls: no connection state")
	}
	km, err := state.ExportKeyingMaterial("EXTRACTOR-dtls_srtp", nil, 2*(keyLen+saltLen))
	if err != nil {
		return err
	}
	ck, sk := km[:keyLen], km[keyLen:2*keyLen]
	cs, ss := km[2*keyLen:2*keyLen+saltLen], km[2*keyLen+saltLen:]
	if m.send, err = srtp.CreateContext(ck, cs, p); err != nil {
		return err
	}
	recv, err := srtp.CreateContext(sk, ss, p)
	if err != nil {
		return err
	}
	m.recv.Store(recv)
	return nil
}

// close ends DTLS (close_notify) and the socket.
func (m *media) close() {
	if m.dtls != nil {
		_ = m.dtls.Close()
	}
	_ = m.conn.Close()
}

// demux is the socket as DTLS reads it: DTLS records are returned, SRTP
// is measured right here (in DTLS's reading goroutine, the one reader of
// the socket), STUN answers to consent checks are dropped.
type demux struct{ m *media }

func (d demux) ReadFrom(p []byte) (int, net.Addr, error) {
	oob := make([]byte, 64)
	plain := make([]byte, 1500)
	for {
		n, oobn, _, from, err := d.m.conn.ReadMsgUDPAddrPort(p, oob)
		if err != nil {
			return n, nil, err
		}
		switch b := p[0]; {
		case n == 0:
		case b >= 20 && b <= 63:
			return n, net.UDPAddrFromAddrPort(from), nil
		case b >= 128 && b <= 191:
			d.m.rtp(p[:n], kernelTime(oob[:oobn]), plain)
		}
	}
}

func (d demux) WriteTo(p []byte, addr net.Addr) (int, error) { return d.m.conn.WriteTo(p, addr) }
func (demux) Close() error                                   { return nil } // media.close closes the socket
func (d demux) LocalAddr() net.Addr                          { return d.m.conn.LocalAddr() }
func (d demux) SetDeadline(t time.Time) error                { return d.m.conn.SetDeadline(t) }
func (d demux) SetReadDeadline(t time.Time) error            { return d.m.conn.SetReadDeadline(t) }
func (d demux) SetWriteDeadline(t time.Time) error           { return d.m.conn.SetWriteDeadline(t) }

// kernelTime is the SO_TIMESTAMPNS control message's time (now when
// there is none).
func kernelTime(oob []byte) time.Time {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err == nil {
		for _, c := range msgs {
			if c.Header.Level == unix.SOL_SOCKET && c.Header.Type == unix.SO_TIMESTAMPNS && len(c.Data) >= 16 {
				sec := int64(binary.NativeEndian.Uint64(c.Data[:8]))
				nsec := int64(binary.NativeEndian.Uint64(c.Data[8:16]))
				return time.Unix(sec, nsec)
			}
		}
	}
	return time.Now()
}

// rtp takes one received SRTP or SRTCP packet.
func (m *media) rtp(pkt []byte, at time.Time, plain []byte) {
	s := &m.stats
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(pkt) >= 2 && pkt[1]&0x7f >= 64 && pkt[1]&0x7f <= 95 {
		s.rtcp++ // RTCP (RFC 5761 5.1.2): not measured
		return
	}
	recv := m.recv.Load()
	if recv == nil {
		s.early++
		return
	}
	var h rtp.Header
	if _, err := recv.DecryptRTP(plain[:0], pkt, &h); err != nil {
		s.authFails++
		if s.authErr == "" {
			s.authErr = fmt.Sprintf("seq %d: %v", binary.BigEndian.Uint16(pkt[2:4]), err)
		}
		return
	}
	if !m.window.has(at) {
		s.last = at
		return
	}
	if m.window.has(s.last) {
		gap := at.Sub(s.last)
		d := gap - frameInterval
		s.errs = append(s.errs, max(d, -d))
		s.maxGap = max(s.maxGap, gap)
	}
	s.last = at
	s.received++
	s.seq(h.SequenceNumber)
}

// seq extends a sequence number (wrapping every 65536) and moves the
// window's first and highest.
func (s *recvStats) seq(n uint16) {
	if s.haveSeq && n < 0x1000 && s.lastSeq > 0xf000 {
		s.cycles++
	}
	s.lastSeq = n
	ext := s.cycles<<16 | int64(n)
	if !s.haveSeq {
		s.first, s.high, s.haveSeq = ext, ext, true
		return
	}
	s.first, s.high = min(s.first, ext), max(s.high, ext)
}
