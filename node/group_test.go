package node

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/zaf/g711"

	"github.com/ivrd/ivrd/node/nodetest"
	"github.com/ivrd/ivrd/sip/siptest"
)

// groupCall calls 100 and presses 1, which leads to the group under test.
func groupCall(t *testing.T, svc *Node) (*siptest.Caller, *siptest.Answered) {
	t.Helper()
	c := newCaller(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	call, err := c.Call(ctx, svc.sip.Addr("udp"), "100")
	require.NoError(t, err)
	var seq uint16
	waitPrompt(t, c)
	sendEvent(t, c, call.Media, 101, '1', &seq, 1000)
	return c, call
}

// waitInvite waits (bounded) for a phone's INVITE.
func waitInvite(t *testing.T, f *siptest.FarEnd, what string) {
	t.Helper()
	select {
	case <-f.Invites:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s got no INVITE", what)
	}
}

func waitCancel(t *testing.T, f *siptest.FarEnd, what string) {
	t.Helper()
	select {
	case <-f.Cancel:
	case <-time.After(20 * time.Second):
		t.Fatalf("%s got no CANCEL", what)
	}
}

func noInvite(t *testing.T, f *siptest.FarEnd, what string) {
	t.Helper()
	select {
	case <-f.Invites:
		t.Fatalf("%s was called", what)
	default:
	}
}

// waitTone waits (bounded) for the caller to hear the far end's 1 kHz.
func waitTone(t *testing.T, c *siptest.Caller, what string) {
	t.Helper()
	waitUntil(t, nodetest.Patience, func() bool { return containsTone(heard(c.Packets()), 1000) },
		func() string { return fmt.Sprintf("%s: heard %v", what, heard(c.Packets())) })
}

// farHeard is the tones a phone received (PCMA), merging repeats.
func farHeard(f *siptest.FarEnd) []float64 {
	var out []float64
	for _, p := range f.Packets() {
		pcm := make([]int16, len(p.Payload))
		loud := false
		for i, b := range p.Payload {
			pcm[i] = g711.DecodeAlawFrame(b)
			loud = loud || pcm[i] > 100 || pcm[i] < -100
		}
		if !loud {
			continue
		}
		if tone := toneIn(pcm, 500, 1000, 440); len(out) == 0 || out[len(out)-1] != tone {
			out = append(out, tone)
		}
	}
	return out
}

const groupConf = `
server:
  sip: { listen: ["udp://127.0.0.1:0"] }
  media: { rtp_ports: "RTP_RANGE" }
prompts_dir: "PROMPTS"
extensions:
  - { number: "201", contact: "FAR1" }
  - { number: "202", contact: "FAR2" }
  - { number: "203" , password: "never-registered" }
groups:
  - GROUP
ivrs:
  - id: main
    extensions: ["100"]
    prompt: beep
    keys: { "1": DEST }
`

// TestGroupRingAllSecondAnswers: both members ring at once (203 is not
// registered and is skipped); the second answers, hears the announcement,
// and is bridged; the first gets CANCEL.
func TestGroupRingAllSecondAnswers(t *testing.T) {
	t.Parallel()
	far1, far2 := siptest.NewFarEnd(t, "noanswer"), siptest.NewFarEnd(t, "answer")
	svc := startConfig(t, writeConfig(t, groupConf, "FAR1", far1.URI(), "FAR2", far2.URI(),
		"GROUP", `{ id: sales, members: ["203", "201", "202"], strategy: ringall, announce: beep }`,
		"DEST", `{ group: sales }`))
	c, _ := groupCall(t, svc)
	waitInvite(t, far1, "member 201")
	waitInvite(t, far2, "member 202")
	waitCancel(t, far1, "member 201, once 202 answered")
	waitTone(t, c, "the caller hears member 202 through the bridge")
	require.Equal(t, 500.0, farHeard(far2)[0], "202 heard the announcement (the 500 Hz beep) first")
}

// TestGroupSequentialSkipsSilentMember: the first member rings for its
// member_timeout and is cancelled; the second is called and answers.
func TestGroupSequentialSkipsSilentMember(t *testing.T) {
	t.Parallel()
	far1, far2 := siptest.NewFarEnd(t, "noanswer"), siptest.NewFarEnd(t, "answer")
	svc := startConfig(t, writeConfig(t, groupConf, "FAR1", far1.URI(), "FAR2", far2.URI(),
		"GROUP", `{ id: sales, members: ["201", "202"], strategy: sequential, member_timeout: 1s, timeout: 20s }`,
		"DEST", `{ group: sales }`))
	c, _ := groupCall(t, svc)
	waitInvite(t, far1, "member 201")
	noInvite(t, far2, "member 202 while 201 rings")
	waitCancel(t, far1, "member 201 after its member_timeout")
	waitInvite(t, far2, "member 202")
	waitTone(t, c, "the caller hears member 202 through the bridge")
}

// TestGroupRotateAcrossCalls: three calls to a rotate group of three
// answering URIs each start at the next member.
func TestGroupRotateAcrossCalls(t *testing.T) {
	t.Parallel()
	fars := []*siptest.FarEnd{siptest.NewFarEnd(t, "answer"), siptest.NewFarEnd(t, "answer"), siptest.NewFarEnd(t, "answer")}
	svc := startConfig(t, writeConfig(t, groupConf, "FAR1", fars[0].URI(), "FAR2", fars[1].URI(),
		"GROUP", fmt.Sprintf(`{ id: desk, members: ["%s", "%s", "%s"], strategy: rotate }`, fars[0].URI(), fars[1].URI(), fars[2].URI()),
		"DEST", `{ group: desk }`))
	for i := range fars {
		c, call := groupCall(t, svc)
		waitInvite(t, fars[i], "the next member in turn")
		for j := range fars {
			if j != i {
				noInvite(t, fars[j], "another member")
			}
		}
		waitTone(t, c, "the caller is bridged to the member")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		require.NoError(t, call.Dialog.Bye(ctx))
		cancel()
		select {
		case <-fars[i].Bye:
		case <-time.After(5 * time.Second):
			t.Fatal("the member got no BYE")
		}
	}
}

// TestGroupTimeoutOverflows: nobody answers within the group's timeout:
// the ringing member is cancelled and the destination's overflow runs.
func TestGroupTimeoutOverflows(t *testing.T) {
	t.Parallel()
	far1, over := siptest.NewFarEnd(t, "noanswer"), siptest.NewFarEnd(t, "answer")
	path := writeConfig(t, groupConf, "FAR1", far1.URI(), "FAR2", "sip:202@127.0.0.1:9",
		"GROUP", `{ id: sales, members: ["201"], timeout: 2s }`,
		"DEST", fmt.Sprintf(`{ group: sales, overflow: { uri: "%s", transfer: bridge } }`, over.URI()))
	svc := startConfig(t, path)
	c, _ := groupCall(t, svc)
	waitInvite(t, far1, "member 201")
	waitCancel(t, far1, "member 201 at the group's timeout")
	waitInvite(t, over, "the overflow")
	waitTone(t, c, "the caller is bridged to the overflow")
}
