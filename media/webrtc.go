package media

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"

	"github.com/pion/dtls/v4"
	"github.com/pion/dtls/v4/pkg/crypto/fingerprint"
	"github.com/pion/dtls/v4/pkg/crypto/selfsign"
)

// WebRTC media (a browser's call): the same session, socket and pacer as
// any call, with three more kinds of datagram on its RTP port, told apart
// by their first byte (RFC 7983): STUN (0-3) answered as an ICE-lite
// agent (ice.go), DTLS (20-63) fed to a DTLS server whose handshake
// yields the SRTP keys (RFC 5764), and RTP with RTCP multiplexed on the
// same port (128-191, RFC 5761). Until the handshake is done the session
// sends nothing and takes nothing in: it has no keys, and plain RTP is
// never sent on a WebRTC call.

// Fingerprint is a certificate fingerprint as SDP's a=fingerprint gives
// it (RFC 8122): the hash's name ("sha-256") and the colon-separated
// upper-case hex of the digest.
type Fingerprint struct {
	Hash, Value string
}

func (f Fingerprint) String() string { return f.Hash + " " + f.Value }

// WebRTCPeer is what a browser's offer says of its end.
type WebRTCPeer struct {
	// Ufrag and Pwd are its ICE credentials (a=ice-ufrag, a=ice-pwd).
	Ufrag, Pwd string
	// Fingerprint is its DTLS certificate's (a=fingerprint): the
	// handshake fails with any other certificate.
	Fingerprint Fingerprint
	// Candidates are the addresses its offer lists (a=candidate) and its
	// signalling source: connectivity checks from anywhere else are
	// ignored.
	Candidates []netip.Addr
}

// WebRTCLocal is what ivrd's answer says of its own end.
type WebRTCLocal struct {
	Ufrag, Pwd  string
	Fingerprint Fingerprint
}

// ErrAwaitingDTLS is what a WebRTC session's sends and receives are
// refused with until its DTLS handshake has given it keys.
var ErrAwaitingDTLS = errors.New("media: WebRTC: no SRTP keys before the DTLS handshake")

// identity is the engine's DTLS certificate, made at the first WebRTC
// call and kept for the engine's life (its fingerprint goes in every
// answer; a browser checks it against the handshake).
type identity struct {
	once sync.Once
	cert tls.Certificate
	fp   Fingerprint
	err  error
}

func (e *Engine) dtlsIdentity() (*identity, error) {
	id := &e.identity
	id.once.Do(func() {
		cert, err := selfsign.GenerateSelfSigned()
		if err != nil {
			id.err = fmt.Errorf("media: DTLS certificate: %w", err)
			return
		}
		leaf, err := x509.ParseCertificate(cert.Certificate[0])
		if err != nil {
			id.err = fmt.Errorf("media: DTLS certificate: %w", err)
			return
		}
		v, err := fingerprint.Fingerprint(leaf, crypto.SHA256)
		if err != nil {
			id.err = fmt.Errorf("media: DTLS fingerprint: %w", err)
			return
		}
		id.cert, id.fp = cert, Fingerprint{Hash: "sha-256", Value: strings.ToUpper(v)}
	})
	return id, id.err
}

// webrtcState is a WebRTC session's ICE and DTLS side.
type webrtcState struct {
	local WebRTCLocal
	peer  WebRTCPeer
	ice   iceLite
	conn  *dtlsPacketConn
	ready chan struct{} // closed once the keys are in
	done  chan struct{} // closed when the handshake goroutine ends
	err   error         // why the handshake failed (read after done)
	rep   rtcpReport    // the receive side's scratch for multiplexed RTCP
	stop  context.CancelFunc
}

// EnableWebRTC makes the session a WebRTC one, before Start: it will
// answer peer's connectivity checks, run the DTLS handshake as the
// server (a=setup:passive) and take its SRTP keys from it. It returns
// what the answer must say of ivrd's end.
func (s *Session) EnableWebRTC(peer WebRTCPeer) (WebRTCLocal, error) {
	id, err := s.engine.dtlsIdentity()
	if err != nil {
		return WebRTCLocal{}, err
	}
	hash, err := fingerprint.HashFromString(strings.ToLower(peer.Fingerprint.Hash))
	if err != nil || peer.Fingerprint.Value == "" {
		return WebRTCLocal{}, fmt.Errorf("media: WebRTC: fingerprint %q: unsupported hash", peer.Fingerprint.Hash)
	}
	if peer.Ufrag == "" || peer.Pwd == "" {
		return WebRTCLocal{}, errors.New("media: WebRTC: the offer has no ICE credentials")
	}
	local := WebRTCLocal{Ufrag: rand.Text()[:8], Pwd: rand.Text(), Fingerprint: id.fp}
	w := &webrtcState{local: local, peer: peer, ready: make(chan struct{}), done: make(chan struct{})}
	w.ice.init(local, peer)
	w.conn = newDTLSPacketConn(s)
	s.mu.Lock()
	if s.started || s.closed || s.webrtc != nil {
		s.mu.Unlock()
		return WebRTCLocal{}, errors.New("media: WebRTC must be enabled once, before Start")
	}
	s.webrtc = w
	s.srtp, s.srtpErr = nil, ErrAwaitingDTLS
	s.mu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	w.stop = cancel
	go s.handshake(ctx, id, hash)
	return local, nil
}

// WebRTCReady is closed once a WebRTC session's DTLS handshake has given
// it keys; nil for another session. A caller that waits on it bounds the
// wait itself and closes the session when it is over.
func (s *Session) WebRTCReady() <-chan struct{} {
	if w := s.webRTC(); w != nil {
		return w.ready
	}
	return nil
}

func (s *Session) webRTC() *webrtcState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.webrtc
}

// handshake runs the DTLS server until it has the keys, or the session
// closes.
func (s *Session) handshake(ctx context.Context, id *identity, hash crypto.Hash) {
	w := s.webrtc
	defer close(w.done)
	want := strings.ToUpper(w.peer.Fingerprint.Value)
	verify := func(raw [][]byte, _ [][]*x509.Certificate) error {
		if len(raw) == 0 {
			return errors.New("no certificate")
		}
		cert, err := x509.ParseCertificate(raw[0])
		if err != nil {
			return err
		}
		got, err := fingerprint.Fingerprint(cert, hash)
		if err != nil {
			return err
		}
		if !strings.EqualFold(got, want) {
			return errors.New("the certificate is not the one the offer's a=fingerprint names")
		}
		return nil
	}
	conn, err := dtls.Server(w.conn, w.conn.RemoteAddr(),
		dtls.WithCertificates(id.cert),
		dtls.WithSRTPProtectionProfiles(dtls.SRTP_AEAD_AES_128_GCM, dtls.SRTP_AES128_CM_HMAC_SHA1_80),
		dtls.WithExtendedMasterSecret(dtls.RequireExtendedMasterSecret),
		dtls.WithClientAuth(dtls.RequireAnyClientCert),
		dtls.WithInsecureSkipVerify(true), // no CA: the fingerprint is the check
		dtls.WithVerifyPeerCertificate(verify))
	if err == nil {
		err = conn.HandshakeContext(ctx)
	}
	if err == nil {
		err = s.takeKeys(conn)
	}
	if err != nil {
		w.err = err
		s.engine.log.Info("media: WebRTC: DTLS handshake did not complete", "local", s.local.String(), "err", err)
		if conn != nil {
			_ = conn.Close() // nothing more to say to the peer
		}
		return
	}
	close(w.ready)
	// The conn stays open and is read: a peer that missed our last flight
	// repeats its own, and only a reading conn answers it again. What it
	// reads otherwise (a data channel's SCTP: none is offered) is dropped;
	// its close_notify ends nothing here (the call's BYE does).
	go func() {
		<-ctx.Done()
		_ = conn.Close() // the session is closing: the read below ends
	}()
	buf := make([]byte, 1500)
	for {
		if _, err := conn.Read(buf); err != nil {
			break
		}
	}
	<-ctx.Done()
}

// takeKeys exports the SRTP keys (RFC 5764 section 4.2) and hands them to
// the session: from now on it sends and receives SRTP.
func (s *Session) takeKeys(conn *dtls.Conn) error {
	prof, ok := conn.SelectedSRTPProtectionProfile()
	if !ok {
		return errors.New("no SRTP profile agreed (use_srtp)")
	}
	var p SRTPProfile
	keyLen, saltLen := 16, 14
	switch prof {
	case dtls.SRTP_AES128_CM_HMAC_SHA1_80:
		p = AESCM128HMACSHA1_80
	case dtls.SRTP_AEAD_AES_128_GCM:
		p, saltLen = AEADAES128GCM, 12
	default:
		return fmt.Errorf("SRTP profile %#x not supported", uint16(prof))
	}
	state, ok := conn.ConnectionState()
	if !ok {
		return errors.New("no connection state")
	}
	km, err := state.ExportKeyingMaterial("EXTRACTOR-dtls_srtp", nil, 2*(keyLen+saltLen))
	if err != nil {
		return fmt.Errorf("keying material: %w", err)
	}
	clientKey, serverKey := km[:keyLen], km[keyLen:2*keyLen]
	clientSalt, serverSalt := km[2*keyLen:2*keyLen+saltLen], km[2*keyLen+saltLen:]
	// ivrd is the DTLS server: it sends with the server's key.
	local := append(append([]byte{}, serverKey...), serverSalt...)
	remote := append(append([]byte{}, clientKey...), clientSalt...)
	keys, err := NewSRTPKeys(p, local, remote, nil)
	if err != nil {
		return err
	}
	st, err := newSRTPState(keys)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("session closed")
	}
	s.srtp, s.srtpErr = st, nil
	return nil
}

// closeWebRTC ends the handshake or the DTLS connection (Close).
func (w *webrtcState) close() {
	w.stop()
	w.conn.shut()
	<-w.done
}

// demux takes a datagram on a WebRTC session's RTP socket that is not
// RTP: STUN, DTLS, or multiplexed RTCP. handled false: it is RTP (or
// garbage), for handleRTP to read.
func (w *webrtcState) demux(s *Session, pkt []byte, from netip.AddrPort) (handled bool, err error) {
	switch demuxKind(pkt) {
	case muxSTUN:
		s.answerSTUN(pkt, from)
		return true, nil
	case muxDTLS:
		if w.ice.validated(from) {
			w.conn.deliver(pkt, from)
		}
		return true, nil
	case muxRTCP:
		return true, s.handleRTCP(pkt, from, &w.rep)
	case muxRTP, muxOther:
	}
	return false, nil
}
