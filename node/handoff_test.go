package node

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/cdr"
	"github.com/ivrd/ivrd/sip/siptest"
)

// TestAutoTransferFallsBackToBridge: the caller's phone refuses REFER
// (603), so transfer: auto bridges the call to the destination instead.
func TestAutoTransferFallsBackToBridge(t *testing.T) {
	far := siptest.NewFarEnd(t, "answer")
	svc := startConfig(t, writeConfig(t, `
server:
  sip: { listen: ["udp://127.0.0.1:0"] }
  media: { rtp_ports: "RTP_RANGE" }
prompts_dir: "PROMPTS"
ivrs:
  - id: main
    extensions: ["100"]
    prompt: beep
    transfer: auto
    keys: { "1": { uri: "FAR" } }
`, "FAR", far.URI()))
	c := newCaller(t)
	c.SetReferResponse(603)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	call, err := c.Call(ctx, svc.sip.Addr("udp"), "100")
	require.NoError(t, err)
	var seq uint16
	time.Sleep(300 * time.Millisecond)
	sendEvent(t, c, call.Media, 101, '1', &seq, 1000)
	_, err = c.WaitRequest(sip.REFER, 3*time.Second)
	require.NoError(t, err, "REFER first")
	// Then the far end rings and answers, and its audio reaches the caller.
	deadline := time.Now().Add(5 * time.Second)
	for far.Dialog() == nil && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	require.NotNil(t, far.Dialog(), "the far end was called")
	time.Sleep(800 * time.Millisecond)
	c.ResetPackets()
	time.Sleep(300 * time.Millisecond)
	require.Contains(t, heard(c.Packets()), 1000.0, "the far end's 1 kHz tone reaches the caller through the bridge")
	require.NoError(t, call.Dialog.Bye(ctx))
	select {
	case <-far.Bye:
	case <-time.After(3 * time.Second):
		t.Fatal("far end got no BYE")
	}
	// The record: one hand-off (auto: the REFER refused, the bridge taken),
	// the bridged call ended by the caller.
	id := call.Dialog.InviteRequest.CallID().Value()
	rec := endedRecord(t, svc, id)
	require.Len(t, rec.Transfers, 1, "one hand-off")
	assert.Equal(t, "auto", rec.Transfers[0].Method)
	assert.Equal(t, cdr.EndBridgeEnded, rec.EndReason)
	assert.Equal(t, cdr.EndedByCaller, rec.EndedBy)
}

// TestTrunkDialOutWithDigestAuth: a dial-out number goes out through the
// trunk: strip/prefix applied, digest challenge answered, caller id and
// P-Asserted-Identity from the trunk, audio bridged.
func TestTrunkDialOutWithDigestAuth(t *testing.T) {
	far := siptest.NewFarEnd(t, "answer")
	far.RequireAuth("acme", "s3cret")
	svc := startConfig(t, writeConfig(t, `
server:
  sip: { listen: ["udp://127.0.0.1:0"] }
  media: { rtp_ports: "RTP_RANGE" }
prompts_dir: "PROMPTS"
trunks:
  - { name: pstn, uri: "sip:FAR", username: acme, password: s3cret, from_user: "+15550100", strip: 1, prefix: "00" }
ivrs:
  - id: main
    extensions: ["100"]
    prompt: beep
    transfer: bridge
    dial_out: { trunk: pstn, allow: ["^1[2-9][0-9]{9}$"] }
`, "FAR", far.URI()[len("sip:agent@"):]))
	c := newCaller(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	call, err := c.Call(ctx, svc.sip.Addr("udp"), "100")
	require.NoError(t, err)
	var seq uint16
	time.Sleep(300 * time.Millisecond)
	for i, k := range "12125551234" {
		sendEvent(t, c, call.Media, 101, byte(k), &seq, uint32(1000+i*2000))
	}
	select {
	case inv := <-far.Invites:
		require.Equal(t, "002125551234", inv.Recipient.User, "strip 1, prefix 00")
		require.Equal(t, "+15550100", inv.From().Address.User)
		require.NotNil(t, inv.GetHeader("P-Asserted-Identity"))
		require.NotNil(t, inv.GetHeader("Authorization"), "the challenge was answered")
	case <-time.After(5 * time.Second):
		t.Fatal("the trunk got no authenticated INVITE")
	}
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) && !containsTone(heard(c.Packets()), 1000) {
		time.Sleep(50 * time.Millisecond)
	}
	require.True(t, containsTone(heard(c.Packets()), 1000), "bridged audio from the trunk")
}

func TestInboundFromUnknownSourceRefused(t *testing.T) {
	conf := `
server:
  sip: { listen: ["udp://127.0.0.1:0"] }
  media: { rtp_ports: "RTP_RANGE" }
prompts_dir: "PROMPTS"
trunks:
  - { name: pstn, uri: "sip:gw.example.net", inbound_from: ["NET"] }
ivrs:
  - { id: main, extensions: ["100"], prompt: beep }
`
	refusing := startConfig(t, writeConfig(t, conf, "NET", "203.0.113.0/24"))
	c := newCaller(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := c.Invite(ctx, refusing.sip.Addr("udp"), "100", c.Offer("", 0))
	var de *sipgo.ErrDialogResponse
	require.ErrorAs(t, err, &de)
	require.Equal(t, 403, de.Res.StatusCode)

	accepting := startConfig(t, writeConfig(t, conf, "NET", "127.0.0.0/8"))
	call, err := c.Call(ctx, accepting.sip.Addr("udp"), "100")
	require.NoError(t, err, "calls from the trunk's network come in")
	require.NoError(t, call.Dialog.Bye(ctx))
}

// TestVoicemailRecordsTheCaller: key 6 leads to mailbox 1001; after the
// beep the caller plays a 1 kHz tone for a second and presses #; the
// message is a WAV of that tone, listed by `ivrd voicemail list`.
func TestVoicemailRecordsTheCaller(t *testing.T) {
	vmDir := t.TempDir()
	path := writeConfig(t, `
server:
  sip: { listen: ["udp://127.0.0.1:0"] }
  media: { rtp_ports: "RTP_RANGE" }
prompts_dir: "PROMPTS"
voicemail_dir: "VMDIR"
extensions: [{ number: "1001", contact: "sip:1001@127.0.0.1:5999" }]
ivrs:
  - { id: main, extensions: ["100"], prompt: beep, keys: { "6": { voicemail: "1001" } } }
`, "VMDIR", vmDir)
	svc := startConfig(t, path)
	c := newCaller(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	call, err := c.Call(ctx, svc.sip.Addr("udp"), "100")
	require.NoError(t, err)
	var seq uint16 = 10
	time.Sleep(300 * time.Millisecond)
	sendEvent(t, c, call.Media, 101, '6', &seq, 1000)
	time.Sleep(800 * time.Millisecond) // the beep
	require.NoError(t, c.SendTone(call.Media, 1000, 50, &seq))
	sendEvent(t, c, call.Media, 101, '#', &seq, 900000)
	_, err = c.WaitRequest(sip.BYE, 5*time.Second)
	require.NoError(t, err, "ivrd says goodbye after the message")

	msgs, err := svc.ctl.st.Mailboxes().List("1001")
	require.NoError(t, err)
	require.Len(t, msgs, 1, "one message in box 1001, in the store")
	require.Equal(t, "#", msgs[0].Reason, "the caller ended it with #")
	pcm, err := svc.ctl.st.Mailboxes().Audio(msgs[0])
	require.NoError(t, err)
	secs := float64(len(pcm)) / 8000
	require.InDelta(t, 1.1, secs, 0.4, "about the second of tone (plus the # press)")
	files, _ := filepath.Glob(filepath.Join(vmDir, "1001", "*"))
	require.Empty(t, files, "no file in voicemail_dir: the message is in the store")
	require.Equal(t, 1000.0, toneIn(pcm[:4000], 300, 500, 1000, 2000), "the recording is the caller's 1 kHz tone")
}
