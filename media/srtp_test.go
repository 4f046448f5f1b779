package media

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/audio"
	"github.com/ivrd/ivrd/internal/testenv"
)

// keyPair is two matching sets of keys: a's local key is b's remote one.
func keyPair(t testing.TB, p SRTPProfile) (a, b SRTPKeys, aKey, bKey []byte) {
	aKey, bKey = make([]byte, p.KeyLen()), make([]byte, p.KeyLen())
	_, _ = rand.Read(aKey)
	_, _ = rand.Read(bKey)
	a, err := NewSRTPKeys(p, aKey, bKey, nil)
	require.NoError(t, err)
	b, err = NewSRTPKeys(p, bKey, aKey, nil)
	require.NoError(t, err)
	return a, b, aKey, bKey
}

// pionContext is a context of the library's own, as a peer would hold.
func pionContext(t testing.TB, p SRTPProfile, keySalt []byte) *srtp.Context {
	n, _ := p.pion().KeyLen()
	c, err := srtp.CreateContext(keySalt[:n], keySalt[n:], p.pion())
	require.NoError(t, err)
	return c
}

func TestSRTPSessionsTalkOnLoopbackAndDropWhatDoesNotAuthenticate(t *testing.T) {
	for _, p := range []SRTPProfile{AESCM128HMACSHA1_80, AESCM128HMACSHA1_32, AEADAES128GCM} {
		t.Run(p.String(), func(t *testing.T) {
			e := testEngineRTCP(t, 4, 100*time.Millisecond)
			ka, kb, aKey, _ := keyPair(t, p)
			a, err := e.NewSession()
			require.NoError(t, err)
			defer a.Close()
			b, err := e.NewSession()
			require.NoError(t, err)
			defer b.Close()
			rec := &recorder{}
			b.SetDigits(rec)
			a.Start(Params{Remote: b.LocalAddr(), Codec: audio.PCMU, EventPT: 101, Send: true, SRTP: ka})
			b.Start(Params{Remote: a.LocalAddr(), Codec: audio.PCMU, EventPT: 101, Send: true, SRTP: kb})
			prompt := testPrompt(50)
			a.Play(prompt, nil)
			a.SendEvent([]byte{5, 0, 0, 160}, true)
			want := make([]int16, 160)
			audio.DecodeG711(want, prompt.Payload(audio.PCMU)[:160], audio.PCMU)
			eventually(t, "b hears a's prompt and key", func() bool {
				rec.mu.Lock()
				defer rec.mu.Unlock()
				return rec.audio > 5 && rec.events == 1
			})
			eventually(t, "SRTCP reports both ways", func() bool {
				return a.Stats().RTCPReceived > 0 && b.Stats().RTCPReceived > 0
			})
			for _, s := range []*Session{a, b} {
				st := s.Stats()
				assert.Zero(t, st.SRTPAuthFailed+st.SRTPRejected+st.SRTCPFailed+st.Malformed+st.RTCPMalformed, "%+v", st)
			}

			// A stranger with another key, and one sending plain RTP, are
			// dropped and counted; a's own packet sent again is a replay.
			peer := newPeer(t)
			wrong := make([]byte, p.KeyLen())
			_, _ = rand.Read(wrong)
			forged := pionContext(t, p, wrong)
			plain, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SSRC: 99, SequenceNumber: 7}, Payload: make([]byte, 160)}).Marshal()
			bad, err := forged.EncryptRTP(nil, plain, nil)
			require.NoError(t, err)
			before := b.Stats()
			send := func(pkt []byte) {
				_, err := peer.conn.WriteToUDPAddrPort(pkt, b.LocalAddr())
				require.NoError(t, err)
			}
			send(bad)
			send(plain)
			eventually(t, "forged and plain packets refused", func() bool {
				return b.Stats().SRTPAuthFailed >= before.SRTPAuthFailed+2
			})
			good, err := pionContext(t, p, aKey).EncryptRTP(nil, plain, nil)
			require.NoError(t, err)
			send(good) // authentic, but from the wrong source: the latch drops it
			send(good) // and again: a replay
			eventually(t, "replay refused", func() bool { return b.Stats().SRTPRejected == before.SRTPRejected+1 })
			assert.Equal(t, before.Foreign+1, b.Stats().Foreign, "the authentic packet from elsewhere is foreign")
		})
	}
}

func TestSRTPOnTheWireIsEncryptedAndReadableWithThePeersKey(t *testing.T) {
	e := testEngine(t, 2)
	ka, _, aKey, _ := keyPair(t, AESCM128HMACSHA1_80)
	s, err := e.NewSession()
	require.NoError(t, err)
	defer s.Close()
	p := newPeer(t)
	s.Start(Params{Remote: p.addr(), Codec: audio.PCMU, Send: true, SRTP: ka})
	prompt := testPrompt(20)
	s.Play(prompt, nil)
	eventually(t, "packets sent", func() bool { return len(p.packets()) > 3 })
	rx := pionContext(t, AESCM128HMACSHA1_80, aKey)
	payload := prompt.Payload(audio.PCMU)
	var found bool
	for _, pkt := range p.packets() {
		raw, err := pkt.Marshal()
		require.NoError(t, err)
		require.Len(t, raw, 12+160+10, "RTP header, payload and an 80-bit tag")
		assert.False(t, bytes.Contains(payload, raw[12:12+160]), "the payload is not sent in clear")
		dec, err := rx.DecryptRTP(nil, raw, nil)
		require.NoError(t, err)
		if bytes.Equal(dec[12:], payload[:160]) {
			found = true
		}
	}
	assert.True(t, found, "the prompt's first frame decrypts with the key")
}

func TestSRTPRekeyKeepsTheSendingContextWhileOurKeyStays(t *testing.T) {
	ka, _, _, _ := keyPair(t, AESCM128HMACSHA1_80)
	st, err := newSRTPState(ka)
	require.NoError(t, err)
	again, err := st.rekey(ka)
	require.NoError(t, err)
	assert.Same(t, st, again)
	other := make([]byte, 30)
	_, _ = rand.Read(other)
	kb, err := NewSRTPKeys(AESCM128HMACSHA1_80, []byte(ka.local), other, nil)
	require.NoError(t, err)
	moved, err := st.rekey(kb)
	require.NoError(t, err)
	assert.Same(t, st.tx, moved.tx, "our key did not change: our packet index goes on")
	assert.NotSame(t, st.rxRTP, moved.rxRTP, "the peer's new key is used")
}

func TestSRTPKeysNeverPrint(t *testing.T) {
	ka, _, aKey, _ := keyPair(t, AEADAES128GCM)
	p := Params{SRTP: ka}
	for _, s := range []string{ka.String(), ka.GoString(), ka.LogValue().String()} {
		assert.Equal(t, "AEAD_AES_128_GCM", s)
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(verb, p)
		assert.NotContains(t, out, string(aKey), verb)
		assert.Contains(t, out, "AEAD_AES_128_GCM", verb)
	}
}

func TestSRTPSendAndReceiveAllocateNothing(t *testing.T) {
	testenv.SkipUnderRace(t, "the race detector allocates on its own; allocations are counted in make test")
	for _, prof := range []SRTPProfile{AESCM128HMACSHA1_80, AEADAES128GCM} {
		t.Run(prof.String(), func(t *testing.T) {
			e := testEngine(t, 4)
			ka, kb, _, _ := keyPair(t, prof)
			p := newPeer(t)
			tx, err := e.NewSession()
			require.NoError(t, err)
			defer tx.Close()
			rxs, err := e.NewSession()
			require.NoError(t, err)
			defer rxs.Close()
			rxs.SetDigits(&recorder{last: make([]int16, 0, 160)})
			tx.mu.Lock()
			tx.params = Params{Remote: p.addr(), Codec: audio.PCMU, Send: true}
			tx.setKeys(ka)
			tx.mu.Unlock()
			tx.Play(testPrompt(1000), nil)
			assert.Zero(t, testenv.AllocsPerRun(300, func() { tx.sendFrame(nil) }), "send")

			from := netip.MustParseAddrPort("127.0.0.1:4000")
			rxs.mu.Lock()
			rxs.params = Params{Remote: from, Codec: audio.PCMU, Send: true}
			rxs.latch.reset(rxs.params)
			rxs.setKeys(kb)
			rxs.mu.Unlock()
			pkts := sealedStream(t, ka, 1000) // up to three measurements of 301, each packet once (a replay is refused)
			var h rtp.Header
			pcm := make([]int16, 1500)
			buf := make([]byte, 1500)
			i := 0
			allocs := testenv.AllocsPerRun(300, func() {
				n := copy(buf, pkts[i])
				i++
				_ = rxs.handleRTP(buf[:n], from, &h, pcm)
			})
			assert.Zero(t, allocs, "receive")
			assert.Zero(t, rxs.Stats().SRTPAuthFailed+rxs.Stats().SRTPRejected)
		})
	}
}

// sealedStream is n consecutive SRTP audio packets protected with k's
// local key (the stream a session with k sends).
func sealedStream(t testing.TB, k SRTPKeys, n int) [][]byte {
	st, err := newSRTPState(k)
	require.NoError(t, err)
	out := make([][]byte, n)
	for i := range out {
		raw, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SSRC: 7, SequenceNumber: uint16(i + 1), Timestamp: uint32(i * 160)},
			Payload: bytes.Repeat([]byte{0xFF}, 160)}).Marshal()
		buf := make([]byte, len(raw), len(raw)+srtpOverhead)
		copy(buf, raw)
		sealed, err := st.protectRTP(buf, len(raw))
		require.NoError(t, err)
		out[i] = sealed
	}
	return out
}

// BenchmarkSRTPSendFrame is one outbound 20 ms frame on an SRTP session:
// build, encrypt in place, sendto. Compare with BenchmarkSendFrame.
func BenchmarkSRTPSendFrame(b *testing.B) {
	for _, prof := range []SRTPProfile{AESCM128HMACSHA1_80, AEADAES128GCM} {
		b.Run(prof.String(), func(b *testing.B) {
			e, err := NewEngine(EngineConfig{BindIP: netip.MustParseAddr("127.0.0.1"), PortMin: 45200, PortMax: 45299, Pacers: 1})
			require.NoError(b, err)
			defer e.Close()
			sink, _ := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			defer sink.Close()
			go func() {
				buf := make([]byte, 2000)
				for {
					if _, err := sink.Read(buf); err != nil {
						return
					}
				}
			}()
			s, err := e.NewSession()
			require.NoError(b, err)
			defer s.Close()
			ka, _, _, _ := keyPair(b, prof)
			s.mu.Lock()
			s.params = Params{Remote: sink.LocalAddr().(*net.UDPAddr).AddrPort(), Codec: audio.PCMU, Send: true}
			s.setKeys(ka)
			s.mu.Unlock()
			prompt := testPrompt(50)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if !s.Playing() {
					s.Play(prompt, nil)
				}
				s.sendFrame(nil)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/packet")
		})
	}
}

// BenchmarkSRTPHandleRTP is the receive path of one SRTP audio packet
// after the socket read: authenticate and decrypt in place, then what
// BenchmarkHandleRTP measures.
func BenchmarkSRTPHandleRTP(b *testing.B) {
	for _, prof := range []SRTPProfile{AESCM128HMACSHA1_80, AEADAES128GCM} {
		b.Run(prof.String(), func(b *testing.B) {
			e, err := NewEngine(EngineConfig{BindIP: netip.MustParseAddr("127.0.0.1"), PortMin: 28200, PortMax: 28299, Pacers: 1, RTCPInterval: -1})
			require.NoError(b, err)
			defer e.Close()
			s, err := e.NewSession()
			require.NoError(b, err)
			s.SetDigits(&recorder{last: make([]int16, 0, 160)})
			defer s.Close()
			ka, kb, _, _ := keyPair(b, prof)
			from := netip.MustParseAddrPort("127.0.0.1:4000")
			s.mu.Lock()
			s.params = Params{Remote: from, Codec: audio.PCMU, EventPT: 101, Send: true}
			s.latch.reset(s.params)
			s.setKeys(kb)
			s.mu.Unlock()
			pkts := sealedStream(b, ka, 1<<14)
			var h rtp.Header
			pcm := make([]int16, 1500)
			buf := make([]byte, 1500)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if i > 0 && i%len(pkts) == 0 {
					// The stream starts again: so must the receiver,
					// or every packet would be a replay.
					b.StopTimer()
					s.mu.Lock()
					s.srtp, _ = newSRTPState(kb)
					s.mu.Unlock()
					b.StartTimer()
				}
				n := copy(buf, pkts[i%len(pkts)])
				_ = s.handleRTP(buf[:n], from, &h, pcm)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/packet")
		})
	}
}

// TestSRTPPeerWithMKI: a peer whose key came with an MKI (a=crypto
// "|1:4") puts it in every packet; the session reads past it.
func TestSRTPPeerWithMKI(t *testing.T) {
	local, remote := make([]byte, 30), make([]byte, 30)
	_, _ = rand.Read(local)
	_, _ = rand.Read(remote)
	mki := []byte{0, 0, 0, 1}
	k, err := NewSRTPKeys(AESCM128HMACSHA1_80, local, remote, mki)
	require.NoError(t, err)
	st, err := newSRTPState(k)
	require.NoError(t, err)
	peer, err := srtp.CreateContext(remote[:16], remote[16:], srtp.ProtectionProfileAes128CmHmacSha1_80, srtp.MasterKeyIndicator(mki))
	require.NoError(t, err)
	plain, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, SSRC: 5, SequenceNumber: 1}, Payload: []byte("hello")}).Marshal()
	sealed, err := peer.EncryptRTP(nil, plain, nil)
	require.NoError(t, err)
	require.Len(t, sealed, len(plain)+4+10, "the MKI and the tag")
	var h rtp.Header
	got, err := st.unprotectRTP(sealed, &h)
	require.NoError(t, err)
	assert.Equal(t, plain, got)
}

// A phone's STUN keep-alives on its media ports (linphone sends binding
// requests to both without ICE) are neither SRTP nor SRTCP failures.
func TestSTUNKeepAlivesAreNoSRTPFailures(t *testing.T) {
	e := testEngineRTCP(t, 4, time.Hour)
	ka, kb, _, _ := keyPair(t, AESCM128HMACSHA1_80)
	a, err := e.NewSession()
	require.NoError(t, err)
	defer a.Close()
	b, err := e.NewSession()
	require.NoError(t, err)
	defer b.Close()
	a.Start(Params{Remote: b.LocalAddr(), Codec: audio.PCMU, Send: false, SRTP: ka})
	b.Start(Params{Remote: a.LocalAddr(), Codec: audio.PCMU, Send: false, SRTP: kb})
	peer := newPeer(t)
	rtcpAddr := netip.AddrPortFrom(b.LocalAddr().Addr(), b.LocalAddr().Port()+1)
	stun := make([]byte, 20) // a binding request's header: type 0x0001, length 0, the magic cookie
	stun[1], stun[4], stun[5], stun[6], stun[7] = 0x01, 0x21, 0x12, 0xa4, 0x42
	garbage := append([]byte{0x80, 0xc8}, make([]byte, 40)...)       // an RTCP sender report that cannot authenticate
	forged := append([]byte{0x80, 0x00, 0, 1}, make([]byte, 180)...) // RTP that cannot authenticate
	before := b.Stats()
	// On each port the keep-alive, then one real failure: the port's
	// datagrams are read in order, so once the failure is counted the
	// keep-alive has been read.
	for _, p := range []struct {
		to   netip.AddrPort
		fail []byte
	}{{b.LocalAddr(), forged}, {rtcpAddr, garbage}} {
		for _, pkt := range [][]byte{stun, p.fail} {
			_, err := peer.conn.WriteToUDPAddrPort(pkt, p.to)
			require.NoError(t, err)
		}
	}
	eventually(t, "the bad packets counted", func() bool {
		st := b.Stats()
		return st.SRTCPFailed == before.SRTCPFailed+1 && st.SRTPAuthFailed+st.SRTPRejected == before.SRTPAuthFailed+before.SRTPRejected+1
	})
	st := b.Stats()
	assert.Equal(t, before.SRTCPFailed+1, st.SRTCPFailed, "only the bad SRTCP packet failed")
	assert.Equal(t, before.SRTPAuthFailed+before.SRTPRejected+1, st.SRTPAuthFailed+st.SRTPRejected, "only the forged RTP packet failed")
	assert.Equal(t, before.Malformed, st.Malformed)
}
