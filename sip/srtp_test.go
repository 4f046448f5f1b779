package sip

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/audio"
	"github.com/ivrd/ivrd/dtmf"
	"github.com/ivrd/ivrd/media"
)

// testKey is a recognisable 30-byte key and salt, base64.
var testKey = base64.StdEncoding.EncodeToString([]byte("0123456789abcdefghijklmnopqrst"))

func TestParseCrypto(t *testing.T) {
	gcmKey := base64.StdEncoding.EncodeToString([]byte("0123456789abcdefghijklmnopqr"))
	good := []struct {
		val   string
		tag   int
		suite media.SRTPProfile
		mki   []byte
	}{
		{"1 AES_CM_128_HMAC_SHA1_80 inline:" + testKey, 1, media.AESCM128HMACSHA1_80, nil},
		{"2 AES_CM_128_HMAC_SHA1_32 inline:" + testKey + "|2^20|1:4", 2, media.AESCM128HMACSHA1_32, []byte{0, 0, 0, 1}},
		{"3 AEAD_AES_128_GCM inline:" + gcmKey, 3, media.AEADAES128GCM, nil},
		{"4 AEAD_AES_128_GCM inline:" + strings.TrimRight(gcmKey, "="), 4, media.AEADAES128GCM, nil}, // unpadded base64
		{"5 AES_CM_128_HMAC_SHA1_80 inline:" + testKey + "|1048576 KDR=0 WSH=64 -FUTURE", 5, media.AESCM128HMACSHA1_80, nil},
		{"6 AES_CM_128_HMAC_SHA1_80 inline:" + testKey + "|258:2", 6, media.AESCM128HMACSHA1_80, []byte{1, 2}},
	}
	for _, g := range good {
		a, err := ParseCrypto(g.val)
		require.NoError(t, err, g.val)
		assert.Equal(t, g.tag, a.Tag)
		assert.Equal(t, g.suite, a.Suite)
		assert.Equal(t, g.mki, a.mki)
		assert.Len(t, a.key, g.suite.KeyLen())
	}
	bad := []struct {
		val, want   string
		unsupported bool
	}{
		{"", "a=crypto: want a tag", false},
		{"1 AES_CM_128_HMAC_SHA1_80", "a=crypto:1: want a tag, a crypto suite and key parameters", false},
		{"x AES_CM_128_HMAC_SHA1_80 inline:" + testKey, "a=crypto: the tag is not 1 to 9 digits", false},
		{"1 AES_256_CM_HMAC_SHA1_80 inline:" + testKey, "a=crypto:1 AES_256_CM_HMAC_SHA1_80: unsupported crypto suite", true},
		{"1 F8_128_HMAC_SHA1_80 inline:" + testKey, "unsupported crypto suite", true},
		{"1 AES_CM_128_HMAC_SHA1_80 inline:%%%%", "a=crypto:1 AES_CM_128_HMAC_SHA1_80: key is not base64", false},
		{"1 AES_CM_128_HMAC_SHA1_80 inline:" + gcmKey, "key and salt are 28 bytes, want 30", false},
		{"1 AES_CM_128_HMAC_SHA1_80 uri:http://x", "key method is not inline", true},
		{"1 AES_CM_128_HMAC_SHA1_80 inline:" + testKey + ";inline:" + testKey, "more than one key", true},
		{"1 AES_CM_128_HMAC_SHA1_80 inline:" + testKey + "|2^99", "bad key lifetime", false},
		{"1 AES_CM_128_HMAC_SHA1_80 inline:" + testKey + "|1:4|2^20", "the MKI must come last", false},
		{"1 AES_CM_128_HMAC_SHA1_80 inline:" + testKey + "|300:1", "MKI value does not fit in 1 bytes", false},
		{"1 AES_CM_128_HMAC_SHA1_80 inline:" + testKey + "|1:200", "MKI length 200", false},
		{"1 AES_CM_128_HMAC_SHA1_80 inline:" + testKey + " UNENCRYPTED_SRTP", "UNENCRYPTED_SRTP is not supported", true},
		{"1 AES_CM_128_HMAC_SHA1_80 inline:" + testKey + " KDR=24", "key derivation rate", true},
		{"1 AES_CM_128_HMAC_SHA1_80 inline:" + testKey + " NEWTHING", "unknown session parameter", true},
	}
	for _, b := range bad {
		_, err := ParseCrypto(b.val)
		require.Error(t, err, b.val)
		assert.Contains(t, err.Error(), b.want, b.val)
		assert.NotContains(t, err.Error(), testKey[:20], "an error never quotes the key")
		var ce *CryptoError
		require.True(t, errors.As(err, &ce))
		assert.Equal(t, b.unsupported, ce.Unsupported, b.val)
	}
}

// FuzzParseCrypto: any attribute value is read or refused with an error,
// never a panic, and neither the result nor the error shows the key.
func FuzzParseCrypto(f *testing.F) {
	f.Add("1 AES_CM_128_HMAC_SHA1_80 inline:" + testKey + "|2^20|1:4")
	f.Add("1 AEAD_AES_128_GCM inline:MDEyMzQ1Njc4OWFiY2RlZmdoaWprbG1ub3Bx KDR=0")
	f.Fuzz(func(t *testing.T, val string) {
		a, err := ParseCrypto(val)
		if err != nil {
			var ce *CryptoError
			if !errors.As(err, &ce) {
				t.Fatalf("%q: error %v is not a CryptoError", val, err)
			}
			// The inline key is never quoted (unless the same text
			// also stands elsewhere in the line, as a tag, suite or
			// session parameter).
			_, after, ok := strings.Cut(val, "inline:")
			key, _, _ := strings.Cut(after, "|")
			if f := strings.Fields(key); len(f) > 0 {
				key = f[0]
			}
			if ok && len(key) >= 8 && strings.Count(val, key) == 1 && strings.Contains(err.Error(), key) {
				t.Fatalf("%q: error quotes the key: %v", val, err)
			}
			return
		}
		if len(a.key) != a.Suite.KeyLen() || a.Tag < 0 {
			t.Fatalf("%q: parsed %d bytes of key for %s, tag %d", val, len(a.key), a.Suite, a.Tag)
		}
		if s := fmt.Sprintf("%v %+v %#v", a, a, a); strings.Contains(s, "inline") {
			t.Fatalf("%q prints its key: %s", val, s)
		}
	})
}

// cryptoOffer is an offer with proto and crypto lines added.
func cryptoOffer(proto string, crypto ...string) *SessionDescription {
	lines := []string{"m=audio 4000 " + proto + " 0 101", "a=rtpmap:101 telephone-event/8000"}
	for _, c := range crypto {
		lines = append(lines, "a=crypto:"+c)
	}
	sd, err := ParseSDP(offer(lines...))
	if err != nil {
		panic(err)
	}
	return sd
}

func TestAnswerSRTP(t *testing.T) {
	c80 := "1 AES_CM_128_HMAC_SHA1_80 inline:" + testKey
	c256 := "1 AES_256_CM_HMAC_SHA1_80 inline:" + base64.StdEncoding.EncodeToString(make([]byte, 46))
	c32 := "2 AES_CM_128_HMAC_SHA1_32 inline:" + testKey
	broken := "3 AES_CM_128_HMAC_SHA1_80 inline:!!"
	tls := srtpTerms{keysAllowed: true}
	udp := srtpTerms{}
	with := func(t srtpTerms, m SRTPMode) srtpTerms { t.mode = m; return t }
	cases := []struct {
		name   string
		offer  *SessionDescription
		terms  srtpTerms
		suite  media.SRTPProfile // PlainRTP: answered without SRTP
		tag    int
		warn   int // 488 with this Warning code
		errHas string
	}{
		{"SAVP with keys, optional", cryptoOffer("RTP/SAVP", c80), with(tls, SRTPOptional), media.AESCM128HMACSHA1_80, 1, 0, ""},
		{"SAVP with keys, required", cryptoOffer("RTP/SAVP", c80), with(tls, SRTPRequired), media.AESCM128HMACSHA1_80, 1, 0, ""},
		{"SAVP, SRTP off", cryptoOffer("RTP/SAVP", c80), with(tls, SRTPOff), 0, 0, 302, "RTP/SAVP offered, but SRTP is off"},
		{"AVP with keys (SBC style), optional", cryptoOffer("RTP/AVP", c80), with(tls, SRTPOptional), media.AESCM128HMACSHA1_80, 1, 0, ""},
		{"AVP with keys, SRTP off: plain", cryptoOffer("RTP/AVP", c80), with(tls, SRTPOff), 0, 0, 0, ""},
		{"AVP without keys, optional: plain", cryptoOffer("RTP/AVP"), with(tls, SRTPOptional), 0, 0, 0, ""},
		{"AVP without keys, required", cryptoOffer("RTP/AVP"), with(tls, SRTPRequired), 0, 0, 302, "SRTP is required"},
		{"SAVP without keys (DTLS)", cryptoOffer("RTP/SAVP"), with(tls, SRTPOptional), 0, 0, 302, "DTLS-SRTP is not supported"},
		{"keys over UDP refused, SAVP", cryptoOffer("RTP/SAVP", c80), with(udp, SRTPOptional), 0, 0, 302, "over unencrypted SIP are refused"},
		{"keys over UDP refused, required", cryptoOffer("RTP/AVP", c80), with(udp, SRTPRequired), 0, 0, 302, "over unencrypted SIP are refused"},
		{"keys over UDP, optional AVP: plain, our key kept home", cryptoOffer("RTP/AVP", c80), with(udp, SRTPOptional), 0, 0, 0, ""},
		{"unsupported suite passed over", cryptoOffer("RTP/SAVP", c256, c32), with(tls, SRTPOptional), media.AESCM128HMACSHA1_32, 2, 0, ""},
		{"only unsupported suites", cryptoOffer("RTP/SAVP", c256), with(tls, SRTPOptional), 0, 0, 306, "a=crypto:1 AES_256_CM_HMAC_SHA1_80: unsupported crypto suite"},
		{"malformed line", cryptoOffer("RTP/SAVP", broken, c80), with(tls, SRTPOptional), 0, 0, 306, "a=crypto:3 AES_CM_128_HMAC_SHA1_80: key is not base64"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mc, err := Negotiate(tc.offer, ourCodecs)
			require.NoError(t, err)
			err = answerSRTP(tc.offer, tc.terms, media.SRTPKeys{}, &mc)
			if tc.warn != 0 {
				var se *SRTPError
				require.True(t, errors.As(err, &se), "%v", err)
				assert.Equal(t, tc.warn, se.Warn)
				assert.Contains(t, err.Error(), tc.errHas)
				code, _, hdrs := rejection(err)
				assert.Equal(t, 488, code)
				require.Len(t, hdrs, 1)
				assert.Contains(t, hdrs[0].Value(), fmt.Sprintf("%d ivrd", tc.warn))
				assert.NotContains(t, hdrs[0].Value(), testKey[:20], "the Warning never quotes a key")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.suite, mc.SRTP.Profile)
			assert.Equal(t, tc.tag, mc.CryptoTag)
			ans := string(SessionDescription{Addr: netip.MustParseAddr("127.0.0.1"), Port: 5000}.WithMedia([]audio.Codec{mc.Codec}, mc.EventPT).WithSRTP(mc).Marshal())
			assert.Contains(t, ans, "m=audio 5000 "+tc.offer.Proto+" 0 101\r\n", "the answer names the offer's profile")
			if tc.suite == media.PlainRTP {
				assert.NotContains(t, ans, "a=crypto")
				return
			}
			assert.Contains(t, ans, fmt.Sprintf("a=crypto:%d %s inline:", tc.tag, tc.suite))
			assert.NotContains(t, ans, testKey, "our key is our own")
		})
	}
}

func TestReofferKeepsOurKeyAndAnswerChangesTheirs(t *testing.T) {
	first := cryptoOffer("RTP/SAVP", "1 AES_CM_128_HMAC_SHA1_80 inline:"+testKey)
	terms := srtpTerms{mode: SRTPRequired, keysAllowed: true}
	mc, err := Negotiate(first, ourCodecs)
	require.NoError(t, err)
	require.NoError(t, answerSRTP(first, terms, media.SRTPKeys{}, &mc))
	other := base64.StdEncoding.EncodeToString([]byte("ZYXWVUTSRQPONMLKJIHGFEDCBA9876"))
	second := cryptoOffer("RTP/SAVP", "1 AES_CM_128_HMAC_SHA1_80 inline:"+other)
	mc2, err := Negotiate(second, ourCodecs)
	require.NoError(t, err)
	require.NoError(t, answerSRTP(second, terms, mc.SRTP, &mc2))
	assert.Equal(t, mc.SRTP.LocalKey(), mc2.SRTP.LocalKey(), "a re-INVITE keeps our key")
	assert.NotEqual(t, mc.SRTP, mc2.SRTP, "and takes the peer's new one")

	// Our re-offer offers that same key; the answer's key is taken.
	re := reofferOf(mc2)
	d := re.describe(SessionDescription{Addr: netip.MustParseAddr("127.0.0.1"), Port: 5000}.WithMedia(ourCodecs, 101))
	assert.Equal(t, "RTP/SAVP", d.Proto)
	require.Len(t, d.Crypto, 1)
	ans := cryptoOffer("RTP/SAVP", "1 AES_CM_128_HMAC_SHA1_80 inline:"+testKey)
	var got MediaChoice
	require.NoError(t, re.accept(ans, &got))
	assert.Equal(t, mc.SRTP.LocalKey(), got.SRTP.LocalKey())
}

func TestSDESOfferAndItsAnswers(t *testing.T) {
	o, err := newSDESOffer(srtpTerms{mode: SRTPOptional, keysAllowed: true})
	require.NoError(t, err)
	d := o.describe(SessionDescription{Addr: netip.MustParseAddr("127.0.0.1"), Port: 5000}.WithMedia(ourCodecs, 101))
	body := string(d.Marshal())
	assert.Contains(t, body, "m=audio 5000 RTP/AVP 0 8 101\r\n", "optional: keys on an RTP/AVP line, as SBCs send")
	assert.Contains(t, body, "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:")
	assert.Contains(t, body, "a=crypto:2 AEAD_AES_128_GCM inline:")
	assert.Contains(t, body, "a=crypto:3 AES_CM_128_HMAC_SHA1_32 inline:")
	sd, err := ParseSDP(d.Marshal())
	require.NoError(t, err)
	for _, line := range sd.Crypto {
		_, err := ParseCrypto(line)
		require.NoError(t, err, "we read what we write")
	}

	gcmKey := base64.StdEncoding.EncodeToString([]byte("0123456789abcdefghijklmnopqr"))
	var mc MediaChoice
	require.NoError(t, o.accept(cryptoOffer("RTP/AVP", "2 AEAD_AES_128_GCM inline:"+gcmKey), &mc))
	assert.Equal(t, media.AEADAES128GCM, mc.SRTP.Profile)
	require.NoError(t, o.accept(cryptoOffer("RTP/AVP"), &mc), "optional: a plain answer is plain RTP")
	assert.False(t, mc.SRTP.On())
	err = o.accept(cryptoOffer("RTP/AVP", "2 AES_CM_128_HMAC_SHA1_80 inline:"+testKey), &mc)
	assert.ErrorContains(t, err, "not one we offered", "tag 2 was GCM")

	req, err := newSDESOffer(srtpTerms{mode: SRTPRequired, keysAllowed: true})
	require.NoError(t, err)
	assert.Equal(t, "RTP/SAVP", req.describe(SessionDescription{}).Proto)
	assert.ErrorContains(t, req.accept(cryptoOffer("RTP/AVP"), &mc), "SRTP is required")

	_, err = newSDESOffer(srtpTerms{mode: SRTPRequired})
	assert.ErrorIs(t, err, errInsecureKeys, "required over UDP: no offer in clear")
	plain, err := newSDESOffer(srtpTerms{mode: SRTPOptional})
	require.NoError(t, err)
	assert.Nil(t, plain, "optional over UDP: a plain offer")
}

func TestSRTPPolicyByTrunkAndTransport(t *testing.T) {
	p := SRTPPolicy{Mode: SRTPOptional, TrunkMode: func(trunk string) (SRTPMode, bool) { return SRTPRequired, trunk == "carrier" }}
	assert.Equal(t, SRTPRequired, p.ModeFor("carrier"))
	assert.Equal(t, SRTPOptional, p.ModeFor("other"))
	assert.Equal(t, SRTPOptional, p.ModeFor(""))
	assert.True(t, p.terms("", "TLS").keysAllowed, "TLS signalling carries keys")
	assert.False(t, p.terms("", "UDP").keysAllowed)
	p.InsecureSignalling = true
	assert.True(t, p.terms("", "tcp").keysAllowed)
	for in, want := range map[string]SRTPMode{"": SRTPOff, "off": SRTPOff, "Optional": SRTPOptional, "required": SRTPRequired} {
		m, err := ParseSRTPMode(in)
		require.NoError(t, err)
		assert.Equal(t, want, m)
	}
	_, err := ParseSRTPMode("mandatory")
	assert.ErrorContains(t, err, `srtp "mandatory": want off, optional or required`)
}

// savpOffer turns a siptest offer into an RTP/SAVP one with key.
func savpOffer(plain []byte, suite media.SRTPProfile, key []byte) []byte {
	s := strings.Replace(string(plain), " RTP/AVP ", " RTP/SAVP ", 1)
	return []byte(strings.Replace(s, "a=ptime:20", fmt.Sprintf("a=crypto:7 %s inline:%s\r\na=ptime:20", suite, base64.StdEncoding.EncodeToString(key)), 1))
}

// pionCtx is an SRTP context of the caller's, as a phone would hold.
func pionCtx(t *testing.T, suite media.SRTPProfile, keySalt []byte) *srtp.Context {
	prof := map[media.SRTPProfile]srtp.ProtectionProfile{media.AESCM128HMACSHA1_80: srtp.ProtectionProfileAes128CmHmacSha1_80,
		media.AESCM128HMACSHA1_32: srtp.ProtectionProfileAes128CmHmacSha1_32, media.AEADAES128GCM: srtp.ProtectionProfileAeadAes128Gcm}[suite]
	c, err := srtp.CreateContext(keySalt[:16], keySalt[16:], prof)
	require.NoError(t, err)
	return c
}

func TestSRTPCallEndToEnd(t *testing.T) {
	for _, suite := range []media.SRTPProfile{media.AESCM128HMACSHA1_80, media.AEADAES128GCM} {
		t.Run(suite.String(), func(t *testing.T) {
			r := newRig(t, func(c *Config, _ *media.EngineConfig) {
				c.SRTP = SRTPPolicy{Mode: SRTPRequired, InsecureSignalling: true}
			})
			c := r.caller("udp")
			ourKey := make([]byte, suite.KeyLen())
			for i := range ourKey {
				ourKey[i] = byte(i * 7)
			}
			d, err := c.Invite(ctx5(t), r.srv.Addr("udp"), "100", savpOffer(c.Offer("", 0, 101), suite, ourKey))
			require.NoError(t, err)
			body := string(d.InviteResponse.Body())
			assert.Contains(t, body, "RTP/SAVP 0 101\r\n")
			sd, err := ParseSDP(d.InviteResponse.Body())
			require.NoError(t, err)
			require.Len(t, sd.Crypto, 1)
			theirs, err := ParseCrypto(sd.Crypto[0])
			require.NoError(t, err)
			assert.Equal(t, 7, theirs.Tag, "the answer keeps the offer's tag")
			assert.Equal(t, suite, theirs.Suite)
			require.NoError(t, d.Ack(ctx5(t)))
			call := r.nextCall()
			assert.Equal(t, suite, call.Negotiated().SRTP.Profile)
			assert.Equal(t, "udp", call.Transport)

			// What ivrd sends decrypts with the key its answer gave.
			waitFor(t, "SRTP from ivrd", func() bool { return len(c.Packets()) >= 5 })
			rx := pionCtx(t, suite, theirs.key)
			for _, p := range c.Packets()[:5] {
				raw, err := (&rtp.Packet{Header: p.Header, Payload: p.Payload}).Marshal()
				require.NoError(t, err)
				plain, err := rx.DecryptRTP(nil, raw, nil)
				require.NoError(t, err)
				assert.Len(t, plain, 12+160, "silence, decrypted")
			}
			// A key press sent with our key reaches the handler.
			tx := pionCtx(t, suite, ourKey)
			remote, err := netip.ParseAddrPort(fmt.Sprintf("127.0.0.1:%d", sd.Port))
			require.NoError(t, err)
			for i, end := range []bool{false, false, true, true} {
				payload := []byte{5, 10, 0, byte(160 * (i + 1))}
				if end {
					payload[1] |= 0x80
				}
				raw, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 101, SSRC: 42, SequenceNumber: uint16(i + 1), Timestamp: 800, Marker: i == 0},
					Payload: payload}).Marshal()
				sealed, err := tx.EncryptRTP(nil, raw, nil)
				require.NoError(t, err)
				_, err = c.RTP.WriteToUDPAddrPort(sealed, remote)
				require.NoError(t, err)
			}
			select {
			case dg := <-r.handler.digitsOf(call):
				assert.Equal(t, byte('5'), dg.Key)
				assert.Equal(t, dtmf.RFC4733, dg.Method)
			case <-ctx5(t).Done():
				t.Fatal("the SRTP key press never reached the handler")
			}
			assert.Zero(t, call.Media.Stats().SRTPAuthFailed)
			require.NoError(t, d.Bye(ctx5(t)))
		})
	}
}

func TestSRTPRefusalsGet488WithAWarning(t *testing.T) {
	key := []byte("0123456789abcdefghijklmnopqrst")
	cases := []struct {
		name     string
		policy   SRTPPolicy
		sdp      func(c []byte) []byte
		contains string
	}{
		{"required, plain offer", SRTPPolicy{Mode: SRTPRequired, InsecureSignalling: true},
			func(c []byte) []byte { return c }, `302 ivrd "SRTP is required here`},
		{"keys over UDP", SRTPPolicy{Mode: SRTPOptional},
			func(c []byte) []byte { return savpOffer(c, media.AESCM128HMACSHA1_80, key) }, `302 ivrd "SDES keys (a=crypto) over unencrypted SIP are refused`},
		{"SRTP off", SRTPPolicy{},
			func(c []byte) []byte { return savpOffer(c, media.AESCM128HMACSHA1_80, key) }, `302 ivrd "RTP/SAVP offered, but SRTP is off here"`},
		{"malformed crypto", SRTPPolicy{Mode: SRTPOptional, InsecureSignalling: true},
			func(c []byte) []byte { return savpOffer(c, media.AESCM128HMACSHA1_80, key[:20]) }, `306 ivrd "a=crypto:7 AES_CM_128_HMAC_SHA1_80: key and salt are 20 bytes, want 30"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, func(c *Config, _ *media.EngineConfig) { c.SRTP = tc.policy })
			c := r.caller("udp")
			_, err := c.Invite(ctx5(t), r.srv.Addr("udp"), "100", tc.sdp(c.Offer("", 0)))
			require.Error(t, err)
			assert.Equal(t, 488, statusOf(err))
			var de *sipgo.ErrDialogResponse
			require.True(t, errors.As(err, &de))
			w := de.Res.GetHeader("Warning")
			require.NotNil(t, w)
			assert.Contains(t, w.Value(), tc.contains)
			assert.Equal(t, 0, r.srv.ActiveCalls())
		})
	}
}

// TestSRTPKeysNeverLogged: a whole SRTP call, answered, re-INVITEd and
// hung up, logs the suite but neither the caller's key nor ivrd's.
func TestSRTPKeysNeverLogged(t *testing.T) {
	r, logs := newLoggedRig(t, func(c *Config, _ *media.EngineConfig) {
		c.SRTP = SRTPPolicy{Mode: SRTPOptional, InsecureSignalling: true}
	})
	c := r.caller("udp")
	key := []byte("0123456789abcdefghijklmnopqrst")
	offerBody := savpOffer(c.Offer("", 0, 101), media.AESCM128HMACSHA1_80, key)
	d, err := c.Invite(ctx5(t), r.srv.Addr("udp"), "100", offerBody)
	require.NoError(t, err)
	require.NoError(t, d.Ack(ctx5(t)))
	call := r.nextCall()
	sd, err := ParseSDP(d.InviteResponse.Body())
	require.NoError(t, err)
	require.Len(t, sd.Crypto, 1)
	res := reinvite(t, d, []byte(strings.Replace(string(offerBody), "sendrecv", "sendonly", 1)))
	assert.Equal(t, 200, res.StatusCode)
	assert.Equal(t, sd.Crypto, func() CryptoLines { s, _ := ParseSDP(res.Body()); return s.Crypto }(), "our key stays across the re-INVITE")
	require.NoError(t, d.Bye(ctx5(t)))
	waitFor(t, "call end", func() bool { return call.EndCause() != EndNotYet })
	text := strings.Join(logLines(logs), "\n")
	assert.Contains(t, text, "AES_CM_128_HMAC_SHA1_80", "the suite is logged")
	ivrdKey := strings.TrimPrefix(strings.Fields(sd.Crypto[0])[2], "inline:")
	for _, secret := range []string{base64.StdEncoding.EncodeToString(key), ivrdKey, ivrdKey[:16]} {
		assert.NotContains(t, text, secret)
	}
}

// TestLateOfferWithSRTP: an INVITE without SDP gets our offer in the 200:
// RTP/SAVP with a key per suite when SRTP is required; the ACK's answer
// picks one, and our stream is protected with the key offered under that
// tag.
func TestLateOfferWithSRTP(t *testing.T) {
	r := newRig(t, func(c *Config, _ *media.EngineConfig) {
		c.SRTP = SRTPPolicy{Mode: SRTPRequired, InsecureSignalling: true}
	})
	c := r.caller("udp")
	d, err := c.Invite(ctx5(t), r.srv.Addr("udp"), "100", nil)
	require.NoError(t, err)
	ours, err := ParseSDP(d.InviteResponse.Body())
	require.NoError(t, err)
	assert.Equal(t, "RTP/SAVP", ours.Proto)
	require.Len(t, ours.Crypto, 3)
	gcm, err := ParseCrypto(ours.Crypto[1])
	require.NoError(t, err)
	require.Equal(t, media.AEADAES128GCM, gcm.Suite)

	phoneKey := []byte("0123456789abcdefghijklmnopqr")
	answer := strings.Replace(string(c.Offer("", 0, 101)), " RTP/AVP ", " RTP/SAVP ", 1)
	answer = strings.Replace(answer, "a=ptime:20", fmt.Sprintf("a=crypto:%d AEAD_AES_128_GCM inline:%s\r\na=ptime:20", gcm.Tag, base64.StdEncoding.EncodeToString(phoneKey)), 1)
	ack := sip.NewRequest(sip.ACK, d.InviteResponse.Contact().Address)
	ack.SetBody([]byte(answer))
	ack.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	require.NoError(t, d.WriteAck(ctx5(t), ack))
	call := r.nextCall()
	assert.Equal(t, media.AEADAES128GCM, call.Negotiated().SRTP.Profile)
	waitFor(t, "SRTP from ivrd", func() bool { return len(c.Packets()) >= 3 })
	rx := pionCtx(t, media.AEADAES128GCM, gcm.key)
	p := c.Packets()[0]
	raw, _ := (&rtp.Packet{Header: p.Header, Payload: p.Payload}).Marshal()
	_, err = rx.DecryptRTP(nil, raw, nil)
	require.NoError(t, err, "protected with the GCM key we offered under that tag")
	require.NoError(t, d.Bye(ctx5(t)))
}
