package media

import (
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"math"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/pion/dtls/v4"
	"github.com/pion/dtls/v4/pkg/crypto/fingerprint"
	"github.com/pion/dtls/v4/pkg/crypto/selfsign"
	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"
	"github.com/pion/stun/v3"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/audio"
)

// browserEnd is a Go stand-in for a browser's WebRTC transport: a UDP
// socket that makes ICE checks, runs the DTLS client, and then sends and
// reads SRTP with the keys the handshake gave.
type browserEnd struct {
	t     testing.TB
	conn  *net.UDPConn
	ufrag string
	pwd   string
	cert  dtlsCert
	rtp   chan []byte // what arrives that is RTP or RTCP (first byte 128-191)
	other chan []byte // the rest, before DTLS takes the socket over
}

type dtlsCert struct {
	fp   Fingerprint
	opts []dtls.ClientOption
}

func newBrowserEnd(t testing.TB, ip string) *browserEnd {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(ip)})
	if err != nil {
		t.Skipf("cannot bind %s (loopback aliases): %v", ip, err)
	}
	t.Cleanup(func() { c.Close() })
	cert, err := selfsign.GenerateSelfSigned()
	require.NoError(t, err)
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	require.NoError(t, err)
	v, err := fingerprint.Fingerprint(leaf, cryptoSHA256)
	require.NoError(t, err)
	return &browserEnd{t: t, conn: c, ufrag: "brws", pwd: "browserpasswordbrowserpw",
		cert: dtlsCert{fp: Fingerprint{Hash: "sha-256", Value: v}, opts: []dtls.ClientOption{dtls.WithCertificates(cert)}},
		rtp:  make(chan []byte, 256), other: make(chan []byte, 16)}
}

func (b *browserEnd) addr() netip.AddrPort { return b.conn.LocalAddr().(*net.UDPAddr).AddrPort() }

func (b *browserEnd) peer(cands ...netip.Addr) WebRTCPeer {
	return WebRTCPeer{Ufrag: b.ufrag, Pwd: b.pwd, Fingerprint: b.cert.fp, Candidates: cands}
}

// check sends one binding request signed with pwd and returns the
// answer, or nil when none came within a second.
func (b *browserEnd) check(to netip.AddrPort, local WebRTCLocal, pwd string) *stun.Message {
	b.t.Helper()
	req, err := stun.Build(stun.TransactionID, stun.BindingRequest, stun.NewUsername(local.Ufrag+":"+b.ufrag),
		stun.RawAttribute{Type: stun.AttrUseCandidate}, stun.NewShortTermIntegrity(pwd), stun.Fingerprint)
	require.NoError(b.t, err)
	_, err = b.conn.WriteToUDPAddrPort(req.Raw, to)
	require.NoError(b.t, err)
	buf := make([]byte, 1500)
	require.NoError(b.t, b.conn.SetReadDeadline(time.Now().Add(time.Second)))
	defer b.conn.SetReadDeadline(time.Time{})
	for {
		n, err := b.conn.Read(buf)
		if err != nil {
			return nil
		}
		if buf[0] >= 128 {
			continue // RTP: not before keys, see the test
		}
		m := &stun.Message{Raw: append([]byte(nil), buf[:n]...)}
		require.NoError(b.t, m.Decode())
		return m
	}
}

// handshake runs the DTLS client against the session at to, checking
// ivrd's certificate against local's fingerprint, and returns the
// exported SRTP keying material (AES_CM_128_HMAC_SHA1_80's layout) and
// the connection (while it is open, it reads the socket: RTP goes to
// b.rtp).
func (b *browserEnd) handshake(to netip.AddrPort, local WebRTCLocal) ([]byte, *dtls.Conn) {
	t := b.t
	t.Helper()
	dc := demuxConn{UDPConn: b.conn, rtp: b.rtp}
	want := local.Fingerprint.Value
	mismatch := make(chan string, 1)
	opts := append(b.cert.opts,
		dtls.WithSRTPProtectionProfiles(dtls.SRTP_AES128_CM_HMAC_SHA1_80),
		dtls.WithExtendedMasterSecret(dtls.RequireExtendedMasterSecret),
		dtls.WithInsecureSkipVerify(true),
		dtls.WithVerifyPeerCertificate(func(raw [][]byte, _ [][]*x509.Certificate) error {
			cert, err := x509.ParseCertificate(raw[0])
			if err != nil {
				return err
			}
			got, err := fingerprint.Fingerprint(cert, cryptoSHA256)
			if err != nil {
				return err
			}
			if !strings.EqualFold(got, want) {
				mismatch <- got
				return errors.New("not the answer's certificate")
			}
			return nil
		}))
	conn, err := dtls.Client(dc, net.UDPAddrFromAddrPort(to), opts...)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, conn.HandshakeContext(ctx))
	select {
	case got := <-mismatch:
		t.Fatalf("ivrd's certificate %s is not the one its answer names (%s)", got, want)
	default:
	}
	state, ok := conn.ConnectionState()
	require.True(t, ok)
	km, err := state.ExportKeyingMaterial("EXTRACTOR-dtls_srtp", nil, 2*(16+14))
	require.NoError(t, err)
	return km, conn
}

// demuxConn gives DTLS the socket's DTLS datagrams and keeps the RTP.
type demuxConn struct {
	*net.UDPConn
	rtp chan []byte
}

func (d demuxConn) ReadFrom(p []byte) (int, net.Addr, error) {
	for {
		n, a, err := d.UDPConn.ReadFrom(p)
		if err != nil || n == 0 || p[0] < 128 || p[0] > 191 {
			return n, a, err
		}
		select {
		case d.rtp <- append([]byte(nil), p[:n]...):
		default:
		}
	}
}

func (demuxConn) Close() error { return nil } // the test's cleanup closes the socket

func webrtcSession(t *testing.T) (*Engine, *Session) {
	t.Helper()
	e := testEngine(t, 4)
	s, err := e.NewSession()
	require.NoError(t, err)
	t.Cleanup(s.Close)
	return e, s
}

// A browser's connectivity check is answered, signed with our password;
// one from an address the offer did not list, or signed with another
// password, is not, and is counted as foreign.
func TestWebRTCAnswersOnlyTheOffersChecks(t *testing.T) {
	_, s := webrtcSession(t)
	b := newBrowserEnd(t, "127.0.0.1")
	local, err := s.EnableWebRTC(b.peer(netip.MustParseAddr("127.0.0.1")))
	require.NoError(t, err)
	require.Equal(t, "sha-256", local.Fingerprint.Hash)
	s.Start(Params{Codec: audio.PCMU, Send: true})
	to := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), s.LocalAddr().Port())

	res := b.check(to, local, local.Pwd)
	require.NotNil(t, res, "no answer to a good check")
	require.Equal(t, stun.BindingSuccess, res.Type)
	require.NoError(t, stun.NewShortTermIntegrity(local.Pwd).Check(res), "the answer is signed with our ice-pwd")
	var mapped stun.XORMappedAddress
	require.NoError(t, mapped.GetFrom(res))
	require.Equal(t, int(b.addr().Port()), mapped.Port)

	foreign := s.Stats().Foreign
	require.Nil(t, b.check(to, local, "not-the-password-at-all"), "a check signed with another password is answered")
	require.Eventually(t, func() bool { return s.Stats().Foreign == foreign+1 }, 5*time.Second, 10*time.Millisecond)

	stranger := newBrowserEnd(t, "127.0.0.2")
	require.Nil(t, stranger.check(to, local, local.Pwd), "a check from an address the offer did not list is answered")
	require.Eventually(t, func() bool { return s.Stats().Foreign == foreign+2 }, 5*time.Second, 10*time.Millisecond)
}

// The DTLS handshake (ivrd the server, checking the offer's fingerprint)
// gives both ends the same SRTP keys: the browser's SRTP is heard, and
// ivrd's stream, encrypted, decrypts with the browser's keys. Before the
// handshake nothing is sent.
func TestWebRTCDTLSKeysCarrySRTPBothWays(t *testing.T) {
	_, s := webrtcSession(t)
	b := newBrowserEnd(t, "127.0.0.1")
	local, err := s.EnableWebRTC(b.peer(netip.MustParseAddr("127.0.0.1")))
	require.NoError(t, err)
	heard := make(chan []int16, 64)
	s.Listen(func(pcm []int16) {
		select {
		case heard <- append([]int16(nil), pcm...):
		default:
		}
	})
	s.Start(Params{Codec: audio.PCMU, Send: true})
	to := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), s.LocalAddr().Port())
	require.NotNil(t, b.check(to, local, local.Pwd))
	require.Zero(t, s.Stats().Sent, "RTP sent before the DTLS keys")

	km, conn := b.handshake(to, local)
	defer conn.Close()
	select {
	case <-s.WebRTCReady():
	case <-time.After(5 * time.Second):
		t.Fatal("the session has no keys after the handshake")
	}
	clientKey, serverKey, clientSalt, serverSalt := km[:16], km[16:32], km[32:46], km[46:60]
	tx, err := srtp.CreateContext(clientKey, clientSalt, srtp.ProtectionProfileAes128CmHmacSha1_80)
	require.NoError(t, err)
	rx, err := srtp.CreateContext(serverKey, serverSalt, srtp.ProtectionProfileAes128CmHmacSha1_80)
	require.NoError(t, err)

	// Ours, encrypted, decrypts with the browser's keys.
	select {
	case pkt := <-b.rtp:
		var h rtp.Header
		plain, err := rx.DecryptRTP(nil, pkt, &h)
		require.NoError(t, err)
		require.Equal(t, uint8(0), h.PayloadType)
		require.Len(t, plain, 12+160)
	case <-time.After(5 * time.Second):
		t.Fatal("no SRTP from ivrd after the handshake")
	}
	// The browser's, encrypted with its key, is heard.
	payload := make([]byte, 160)
	audio.EncodeG711(payload, toneFrame(1000), audio.PCMU)
	for i := range 5 {
		pkt, err := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: uint16(i), Timestamp: uint32(i * 160), SSRC: 7}, Payload: payload}).Marshal()
		require.NoError(t, err)
		enc, err := tx.EncryptRTP(nil, pkt, nil)
		require.NoError(t, err)
		_, err = b.conn.WriteToUDPAddrPort(enc, to)
		require.NoError(t, err)
	}
	select {
	case pcm := <-heard:
		require.Len(t, pcm, 160)
	case <-time.After(5 * time.Second):
		t.Fatalf("the browser's SRTP was not heard: %+v", s.Stats())
	}
	require.Zero(t, s.Stats().SRTPAuthFailed)
}

// toneFrame is 20 ms of a sine at freq Hz.
func toneFrame(freq float64) []int16 {
	out := make([]int16, 160)
	for i := range out {
		out[i] = int16(8000 * math.Sin(2*math.Pi*freq*float64(i)/8000))
	}
	return out
}

// A handshake that never comes leaves the session waiting, and Close
// ends it (the call's owner bounds the wait: sip's un-ACKed call timeout).
func TestWebRTCCloseWithoutHandshake(t *testing.T) {
	e, s := webrtcSession(t)
	b := newBrowserEnd(t, "127.0.0.1")
	_, err := s.EnableWebRTC(b.peer(netip.MustParseAddr("127.0.0.1")))
	require.NoError(t, err)
	s.Start(Params{Codec: audio.PCMU, Send: true})
	select {
	case <-s.WebRTCReady():
		t.Fatal("ready without a handshake")
	default:
	}
	s.Close()
	n, _ := e.Ports()
	require.Zero(t, n, "the port is freed")
}

func TestWebRTCOfferChecks(t *testing.T) {
	_, s := webrtcSession(t)
	_, err := s.EnableWebRTC(WebRTCPeer{Ufrag: "a", Pwd: "b", Fingerprint: Fingerprint{Hash: "md2", Value: "00"}})
	require.ErrorContains(t, err, "unsupported hash")
	_, err = s.EnableWebRTC(WebRTCPeer{Fingerprint: Fingerprint{Hash: "sha-256", Value: "00"}})
	require.ErrorContains(t, err, "ICE credentials")
}

const cryptoSHA256 = crypto.SHA256

// BenchmarkWebRTCSetup is the media side of one browser call's setup: a
// session readied for WebRTC, one connectivity check answered, the DTLS
// handshake (ECDSA P-256, both ends in this process) to SRTP keys, and
// the session closed. A browser call's steady state is an SRTP session's
// (BenchmarkSRTPSendFrame, BenchmarkSRTPHandleRTP) plus one branch per
// packet for the demultiplexing.
//
//	go test -run '^$' -bench WebRTCSetup ./media/
func BenchmarkWebRTCSetup(b *testing.B) {
	e, err := NewEngine(EngineConfig{BindIP: netip.MustParseAddr("127.0.0.1"), PortMin: 45400, PortMax: 45499, Pacers: 1})
	require.NoError(b, err)
	defer e.Close()
	ip := netip.MustParseAddr("127.0.0.1")
	for b.Loop() {
		peer := newBrowserEnd(b, "127.0.0.1")
		s, err := e.NewSession()
		require.NoError(b, err)
		local, err := s.EnableWebRTC(peer.peer(ip))
		require.NoError(b, err)
		s.Start(Params{Codec: audio.PCMU, Send: true})
		to := netip.AddrPortFrom(ip, s.LocalAddr().Port())
		require.NotNil(b, peer.check(to, local, local.Pwd))
		_, conn := peer.handshake(to, local)
		<-s.WebRTCReady()
		_ = conn.Close() // the benchmark's own end
		s.Close()
		_ = peer.conn.Close()
	}
}
