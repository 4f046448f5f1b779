package main

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// ivrdAnswer is the answer's shape as ivrd writes it (sip/webrtc.go).
const ivrdAnswer = "v=0\r\no=ivrd 1 1 IN IP4 127.0.0.1\r\ns=ivrd\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\na=ice-lite\r\n" +
	"m=audio 20002 UDP/TLS/RTP/SAVPF 0 126\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:126 telephone-event/8000\r\n" +
	"a=mid:0\r\na=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdef012345\r\na=fingerprint:sha-256 AB:CD\r\na=setup:passive\r\n" +
	"a=rtcp-mux\r\na=candidate:1 1 udp 2130706431 127.0.0.1 20002 typ host\r\na=end-of-candidates\r\n"

func TestParseAnswerReadsIvrdsAnswer(t *testing.T) {
	a, err := parseAnswer([]byte(ivrdAnswer))
	require.NoError(t, err)
	require.Equal(t, answer{PT: 0, Ufrag: "abcd", Pwd: "0123456789abcdef012345", Fingerprint: "sha-256 AB:CD",
		To: netip.MustParseAddrPort("127.0.0.1:20002")}, a)
}

func TestParseAnswerNamesWhatIsMissing(t *testing.T) {
	_, err := parseAnswer([]byte(strings.ReplaceAll(ivrdAnswer, "a=ice-pwd:", "a=x-pwd:")))
	require.ErrorContains(t, err, "a=ice-pwd")
	_, err = parseAnswer([]byte("v=0\r\n"))
	require.ErrorContains(t, err, "no m=audio")
	noCand := strings.ReplaceAll(ivrdAnswer, "a=candidate:1 1 udp 2130706431 127.0.0.1 20002 typ host\r\n", "")
	a, err := parseAnswer([]byte(noCand))
	require.NoError(t, err)
	require.Equal(t, netip.MustParseAddrPort("127.0.0.1:20002"), a.To, "without a candidate, c= and m= say where")
}

func TestOfferIsWhatABrowserSends(t *testing.T) {
	sdp := string(offer{Port: 4000, Ufrag: "uf", Pwd: "pw", Fingerprint: "AA:BB", Opus: true, SSRC: 7, SessionID: 9}.sdp())
	for _, want := range []string{"m=audio 9 UDP/TLS/RTP/SAVPF 111 0 8 126\r\n", "a=candidate:1 1 udp 2122260223 127.0.0.1 4000 typ host",
		"a=setup:actpass", "a=rtcp-mux", "a=fingerprint:sha-256 AA:BB", "a=ice-ufrag:uf", "a=ice-pwd:pw", "a=rtpmap:111 opus/48000/2"} {
		require.Contains(t, sdp, want)
	}
	require.NotContains(t, string(offer{}.sdp()), "opus", "Opus is offered only with --codec opus")
}

func TestParseSIPResponseAndRequest(t *testing.T) {
	m, err := parseSIP([]byte("SIP/2.0 200 OK\r\nv: SIP/2.0/WS x.invalid;branch=z9hG4bK1\r\nf: <sip:a@h>;tag=1\r\n" +
		"t: <sip:100@h>;tag=2\r\ni: abc\r\nCSeq: 1 INVITE\r\nm: <sip:ivrd@127.0.0.1:5060;transport=ws>\r\nl: 3\r\n\r\nv=0"))
	require.NoError(t, err)
	require.Equal(t, 200, m.Status)
	require.Equal(t, "INVITE", m.CSeqMethod)
	require.Equal(t, "2", tagOf(m.To))
	require.Equal(t, "sip:ivrd@127.0.0.1:5060;transport=ws", m.Contact)
	require.Equal(t, "v=0", string(m.Body))

	bye, err := parseSIP([]byte("BYE sip:web@x.invalid;transport=ws SIP/2.0\r\nVia: SIP/2.0/WS 127.0.0.1;branch=z9hG4bKa\r\n" +
		"Via: SIP/2.0/WS 127.0.0.2;branch=z9hG4bKb\r\nFrom: <sip:100@h>;tag=2\r\nTo: <sip:a@h>;tag=1\r\nCall-ID: abc\r\nCSeq: 5 BYE\r\nContent-Length: 0\r\n\r\n"))
	require.NoError(t, err)
	require.Equal(t, "BYE", bye.Method)
	ok := string(response(bye, 200, "OK"))
	require.Contains(t, ok, "SIP/2.0 200 OK\r\nVia: SIP/2.0/WS 127.0.0.1;branch=z9hG4bKa\r\nVia: SIP/2.0/WS 127.0.0.2;branch=z9hG4bKb\r\n")
	require.Contains(t, ok, "CSeq: 5 BYE\r\n")
}

func TestParseSIPRefusesBrokenMessages(t *testing.T) {
	for name, msg := range map[string]string{
		"no blank line":        "SIP/2.0 200 OK\r\nCall-ID: a\r\nCSeq: 1 INVITE\r\n",
		"bad status":           "SIP/2.0 20 OK\r\nCall-ID: a\r\nCSeq: 1 INVITE\r\n\r\n",
		"length mismatch":      "SIP/2.0 200 OK\r\nCall-ID: a\r\nCSeq: 1 INVITE\r\nContent-Length: 9\r\n\r\nv=0",
		"no Call-ID":           "SIP/2.0 200 OK\r\nCSeq: 1 INVITE\r\n\r\n",
		"header without colon": "SIP/2.0 200 OK\r\nCall-ID a\r\n\r\n",
	} {
		_, err := parseSIP([]byte(msg))
		require.Error(t, err, name)
	}
}

func TestPacerBucketsReadsTheHistogram(t *testing.T) {
	text := `# TYPE ivrd_pacer_lateness_seconds histogram
ivrd_pacer_lateness_seconds_bucket{le="0.0001"} 90
ivrd_pacer_lateness_seconds_bucket{le="0.001"} 99
ivrd_pacer_lateness_seconds_bucket{le="+Inf"} 100
ivrd_pacer_lateness_seconds_sum 0.01
`
	b, err := pacerBuckets(strings.NewReader(text))
	require.NoError(t, err)
	require.Len(t, b, 3)
	p := probes{pacerBuckets: b, pacerTicks: 100}
	require.InDelta(t, 0.1, p.pacerLe(0.5), 1e-9)
	require.InDelta(t, 1, p.pacerLe(0.99), 1e-9)
}

func TestSequenceLossCountsHolesAcrossTheWrap(t *testing.T) {
	var s recvStats
	for _, n := range []uint16{65534, 65535, 1, 2} { // 0 is missing
		s.seq(n)
		s.received++
	}
	require.Equal(t, int64(5), s.high-s.first+1, "five sent across the wrap, one of them lost")
	require.Equal(t, 4, s.received)
}

func FuzzParseSIP(f *testing.F) {
	f.Add([]byte("SIP/2.0 200 OK\r\nCall-ID: a\r\nCSeq: 1 INVITE\r\nm: <sip:x>\r\nContent-Length: 3\r\n\r\nv=0"))
	f.Add([]byte("BYE sip:x SIP/2.0\r\nv: a\r\ni: b\r\nCSeq: 2 BYE\r\n\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := parseSIP(b)
		if err == nil {
			_ = response(m, 200, "OK")
			_ = tagOf(m.To)
		}
	})
}

func FuzzParseAnswer(f *testing.F) {
	f.Add([]byte(ivrdAnswer))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := parseAnswer(b)
		if err == nil && !a.To.IsValid() {
			t.Fatalf("an answer without an address was accepted: %+v", a)
		}
	})
}

func FuzzPacerBuckets(f *testing.F) {
	f.Add([]byte(`ivrd_pacer_lateness_seconds_bucket{le="0.001"} 99` + "\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = pacerBuckets(strings.NewReader(string(b)))
	})
}

func TestFailuresOfOneKindAreCountedTogether(t *testing.T) {
	require.Equal(t, "dtls: read udp4 ADDR: i/o timeout", withoutAddrs("dtls: read udp4 127.0.0.1:33388: i/o timeout"))
}
