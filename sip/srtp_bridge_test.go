package sip

import (
	"net/netip"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zaf/g711"

	"github.com/ivrd/ivrd/media"
	"github.com/ivrd/ivrd/sip/siptest"
)

// TestBridgeSRTPCallerToPlainFarEnd: the caller's leg is SRTP, the far
// end's plain RTP; each leg protects (or not) with its own keys, so the
// far end's tone reaches the caller encrypted, and the caller's encrypted
// audio reaches the far end in clear. An outbound leg with srtp optional
// offers its keys on RTP/AVP and carries on plain when the far end
// answers without; with required it is refused.
func TestBridgeSRTPCallerToPlainFarEnd(t *testing.T) {
	for _, mode := range []SRTPMode{SRTPOff, SRTPOptional, SRTPRequired} {
		t.Run(mode.String(), func(t *testing.T) {
			far := siptest.NewFarEnd(t, "answer")
			h := newBridgeHandler(Outbound{URI: far.URI(), SRTP: mode})
			r := newRigWith(t, func(c *Config, _ *media.EngineConfig) {
				c.SRTP = SRTPPolicy{Mode: SRTPRequired, InsecureSignalling: true}
			}, h)
			c := r.caller("udp")
			callerKey := []byte("0123456789abcdefghijklmnopqrst")
			d, err := c.Invite(ctx5(t), r.srv.Addr("udp"), "100", savpOffer(c.Offer("", 0, 101), media.AESCM128HMACSHA1_80, callerKey))
			require.NoError(t, err)
			require.NoError(t, d.Ack(ctx5(t)))
			<-h.calls
			inv := <-far.Invites
			body := string(inv.Body())
			bridgeErr := <-h.result
			switch mode {
			case SRTPOff:
				assert.NotContains(t, body, "a=crypto", "a plain leg offers no keys")
			case SRTPOptional:
				assert.Contains(t, body, " RTP/AVP ", "optional: keys on RTP/AVP, so a plain far end still answers")
				assert.Contains(t, body, "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:")
			case SRTPRequired:
				assert.Contains(t, body, " RTP/SAVP ")
				require.Error(t, bridgeErr, "the far end answered without keys")
				assert.Contains(t, bridgeErr.Error(), "SRTP is required")
				return
			}
			require.NoError(t, bridgeErr)

			sd, err := ParseSDP(d.InviteResponse.Body())
			require.NoError(t, err)
			require.Len(t, sd.Crypto, 1)
			ivrdKey, err := ParseCrypto(sd.Crypto[0])
			require.NoError(t, err)
			rx := pionCtx(t, media.AESCM128HMACSHA1_80, ivrdKey.key)
			tx := pionCtx(t, media.AESCM128HMACSHA1_80, callerKey)
			remote := siptestAddr(t, sd)

			// The caller speaks (SRTP): the far end hears it in clear.
			for seq := uint16(1); seq <= 25; seq++ {
				payload := make([]byte, 160)
				for j := range payload {
					payload[j] = g711.EncodeUlawFrame(int16(6000 * siptest.SinTable(j%8)))
				}
				raw, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: seq, Timestamp: uint32(seq) * 160, SSRC: 9}, Payload: payload}).Marshal()
				sealed, err := tx.EncryptRTP(nil, raw, nil)
				require.NoError(t, err)
				_, err = c.RTP.WriteToUDPAddrPort(sealed, remote)
				require.NoError(t, err)
			}
			waitFor(t, "the far end hears the caller in clear", func() bool {
				for _, p := range far.Packets() {
					if p.PayloadType == 8 && loud(p.Payload, true) {
						return true
					}
				}
				return false
			})
			// The far end's tone reaches the caller encrypted.
			waitFor(t, "the caller hears the far end through SRTP", func() bool {
				for _, p := range c.Packets() {
					raw, _ := (&rtp.Packet{Header: p.Header, Payload: p.Payload}).Marshal()
					plain, err := rx.DecryptRTP(nil, raw, nil)
					if err != nil {
						continue
					}
					if loud(plain[12:], false) {
						return true
					}
				}
				return false
			})
			require.NoError(t, d.Bye(ctx5(t)))
			select {
			case <-far.Bye:
			case <-time.After(5 * time.Second):
				t.Fatal("the far end got no BYE")
			}
		})
	}
}

// siptestAddr is where ivrd takes RTP, from its answer.
func siptestAddr(t *testing.T, sd *SessionDescription) netip.AddrPort {
	t.Helper()
	require.True(t, sd.Addr.IsValid())
	return netip.AddrPortFrom(sd.Addr, uint16(sd.Port))
}
