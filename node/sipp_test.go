package node

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/cdr"
	"github.com/ivrd/ivrd/node/nodetest"
	"github.com/ivrd/ivrd/sip/siptest"
)

// TestSippCallPressesOneAndIsReferred places the bench/sipp/ivr_call.xml
// call against a live ivrd: INVITE, ACK, RFC 4733 '1' from the pcap sipp
// ships, REFER answered 202 + NOTIFY 100/200, BYE from ivrd.
func TestSippCallPressesOneAndIsReferred(t *testing.T) {
	t.Parallel()
	sipp, err := exec.LookPath("sipp")
	if err != nil {
		t.Skip("sipp not installed (apt-get install sip-tester; .ci/run does)")
	}
	pcap := "/usr/share/sip-tester/dtmf_2833_1.pcap"
	if _, err := os.Stat(pcap); err != nil {
		t.Skip("sip-tester's dtmf_2833_1.pcap not found")
	}
	l := startLive(t)
	scenario, err := os.ReadFile("../bench/sipp/ivr_call.xml")
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "ivr_call.xml")
	require.NoError(t, os.WriteFile(path, []byte(strings.ReplaceAll(string(scenario), "DTMF_PCAP", pcap)), 0o644))

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	addr := l.svc.sip.Addr("udp")
	cmd := exec.CommandContext(ctx, sipp, "-sf", path, "-s", "100", "-m", "1",
		"-i", "127.0.0.1", "-p", strconv.Itoa(nodetest.Port(t, 0)),
		"-mi", "127.0.0.1", "-mp", strconv.Itoa(nodetest.Port(t, 1)),
		"-timeout", "20s", "-timeout_error", "-nostdin",
		addr.String())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("sipp failed: %v\n%s", err, tail(string(out), 3000))
	}
	require.Contains(t, string(out), "Successful call")
	// The call record says what sipp did: pressed 1 over RFC 4733, was
	// referred, and the transfer is why the call ended.
	require.Eventually(t, func() bool { return strings.Contains(l.logs.String(), `msg="call ended"`) }, 5*time.Second, 10*time.Millisecond)
	assert.Regexp(t, `msg="call record" call_id=\S+ ivr=main path=main keys=1 invalid=0 timeouts=0 failed_transfers=0 outcome="transfer uri sales@pbx.example.net done"`, l.logs.String())
	assert.Regexp(t, `msg=digit .*key=1 method=rfc4733`, l.logs.String())
	assert.Regexp(t, `msg="call ended" .*reason=transferred ended_by=ivrd`, l.logs.String())
}

func tail(s string, n int) string { return nodetest.Tail(s, n) }

// TestSippTrunkDemandsDigestAuth: sipp plays a carrier trunk that
// challenges the INVITE and echoes RTP; ivrd dials out through it, answers
// the challenge, bridges the caller, and the caller hears its own tone
// come back through both legs.
func TestSippTrunkDemandsDigestAuth(t *testing.T) {
	t.Parallel()
	sipp, err := exec.LookPath("sipp")
	if err != nil {
		t.Skip("sipp not installed (apt-get install sip-tester; .ci/run does)")
	}
	trunkPort := nodetest.Port(t, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, sipp, "-sf", "../bench/sipp/trunk_auth_uas.xml", "-m", "1",
		"-i", "127.0.0.1", "-p", strconv.Itoa(trunkPort), "-mi", "127.0.0.1", "-mp", strconv.Itoa(nodetest.Port(t, 1)),
		"-rtp_echo", "-timeout", "25s", "-timeout_error", "-nostdin")
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	defer cmd.Process.Kill()
	nodetest.WaitUDPBound(t, trunkPort) // sipp is listening

	svc := startConfig(t, writeConfig(t, `
server:
  sip: { listen: ["udp://127.0.0.1:0"] }
  media: { rtp_ports: "RTP_RANGE" }
prompts_dir: "PROMPTS"
trunks:
  - { name: carrier, uri: "sip:127.0.0.1:TRUNKPORT", username: acme, password: s3cret, strip: 1, prefix: "00" }
ivrs:
  - id: main
    extensions: ["100"]
    prompt: beep
    transfer: bridge
    keys: { "2": { external: "12125551234", trunk: carrier } }
`, "TRUNKPORT", strconv.Itoa(trunkPort)))
	c := newCaller(t)
	call, err := c.Call(ctx, svc.sip.Addr("udp"), "100")
	require.NoError(t, err)
	var seq uint16 = 10
	waitPrompt(t, c)
	sendEvent(t, c, call.Media, 101, '2', &seq, 1000)
	// Challenge, retry, 180, 200, then the bridge: the caller talks (1 kHz,
	// 100 ms at a time) until its tone comes back through the trunk's echo.
	c.ResetPackets()
	waitUntil(t, 15*time.Second, func() bool {
		require.NoError(t, c.SendTone(call.Media, 1000, 5, &seq))
		return containsTone(heard(c.Packets()), 1000)
	}, func() string {
		return fmt.Sprintf("the caller's tone never came back through the trunk's echo: heard %v", heard(c.Packets()))
	})
	require.NoError(t, call.Dialog.Bye(ctx))
	if err := cmd.Wait(); err != nil {
		t.Fatalf("sipp trunk scenario failed: %v\n%s", err, tail(out.String(), 3000))
	}
}

// TestSippFarEndBusyAndNoAnswerRunOverflow: sipp as a far end that answers
// 486, then one that rings forever (and must be CANCELled at the ring
// timeout); each time the caller is not dropped: the key's overflow sends
// it to the second menu, whose prompt it hears.
func TestSippFarEndBusyAndNoAnswerRunOverflow(t *testing.T) {
	t.Parallel()
	sipp, err := exec.LookPath("sipp")
	if err != nil {
		t.Skip("sipp not installed (apt-get install sip-tester; .ci/run does)")
	}
	for _, scenario := range []string{"uas_busy.xml", "uas_noanswer.xml"} {
		t.Run(scenario, func(t *testing.T) {
			farPort := nodetest.Port(t, 0)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, sipp, "-sf", "../bench/sipp/"+scenario, "-m", "1",
				"-i", "127.0.0.1", "-p", strconv.Itoa(farPort), "-timeout", "20s", "-timeout_error", "-nostdin")
			var out strings.Builder
			cmd.Stdout, cmd.Stderr = &out, &out
			require.NoError(t, cmd.Start())
			defer cmd.Process.Kill()
			nodetest.WaitUDPBound(t, farPort) // sipp is listening
			dir := t.TempDir()
			writeTone(t, filepath.Join(dir, "second.wav"), 700, 2*time.Second)
			path := writeConfig(t, `
server:
  sip: { listen: ["udp://127.0.0.1:0"] }
  media: { rtp_ports: "RTP_RANGE" }
prompts_dir: "PROMPTS"
ivrs:
  - id: main
    extensions: ["100"]
    prompt: beep
    transfer: bridge
    keys: { "4": { uri: "sip:agent@127.0.0.1:FARPORT", ring_timeout: 2s, overflow: { ivr: second } } }
  - { id: second, prompt: second }
`, "FARPORT", strconv.Itoa(farPort))
			// the second menu's prompt lives beside the config's beep
			require.NoError(t, os.Rename(filepath.Join(dir, "second.wav"), filepath.Join(filepath.Dir(path), "second.wav")))
			svc := startConfig(t, path)
			c, err := siptest.NewCaller("udp")
			require.NoError(t, err)
			defer c.Close()
			call, err := c.Call(ctx, svc.sip.Addr("udp"), "100")
			require.NoError(t, err)
			var seq uint16 = 10
			waitPrompt(t, c)
			sendEvent(t, c, call.Media, 101, '4', &seq, 1000)
			if err := cmd.Wait(); err != nil {
				t.Fatalf("sipp %s failed: %v\n%s", scenario, err, tail(out.String(), 2000))
			}
			waitUntil(t, 5*time.Second, func() bool { return containsTone(heard(c.Packets()), 700) },
				func() string {
					return fmt.Sprintf("the caller never reached the overflow menu: heard %v", heard(c.Packets()))
				})
			require.Equal(t, 1, svc.sip.ActiveCalls(), "the caller is still connected")
			// The call's record: the bridge to sipp tried and failed with
			// sipp's answer, the overflow menu entered, the caller's BYE.
			require.NoError(t, call.Dialog.Bye(ctx))
			id := call.Dialog.InviteRequest.CallID().Value()
			rec := endedRecord(t, svc, id)
			assert.Equal(t, cdr.Path{"main", "second"}, rec.Path)
			want := map[string]string{"uas_busy.xml": "486", "uas_noanswer.xml": "408"}[scenario]
			assert.Contains(t, transferDests(rec), want, "the failed bridge and its SIP result")
			assert.Equal(t, cdr.EndCallerHangup, rec.EndReason)
			assert.Equal(t, cdr.EndedByCaller, rec.EndedBy)
		})
	}
}
