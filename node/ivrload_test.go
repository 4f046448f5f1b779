package node

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ivrd/ivrd/bench/ivrload"
	"github.com/ivrd/ivrd/sip/siptest"
)

// TestIvrloadAgainstLiveIVR drives a live ivrd with the load generator:
// every call hears the menu, presses 1 and is transferred by REFER
// (ivrload answers 202, sends NOTIFY 200, and gets ivrd's BYE), with each
// of the three key methods.
func TestIvrloadAgainstLiveIVR(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		method string
		calls  int
		te     uint8
	}{
		{"rfc4733", 20, 101},
		{"inband", 5, 0}, // inband: auto listens when no telephone-event was negotiated
		{"info", 5, 101},
	} {
		t.Run(tc.method, func(t *testing.T) {
			l := startLive(t)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			res, err := ivrload.Run(ctx, ivrload.Config{
				Target: l.svc.sip.Addr("udp").String(), To: "100",
				Calls: tc.calls, Rate: 20, Hold: 6 * time.Second,
				Digit: '1', DigitAfter: 3500 * time.Millisecond, DigitMethod: tc.method,
				TelephoneEvent: tc.te, Workers: 1,
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Log(res.Summary())
			if res.Failed != 0 || res.Succeeded != tc.calls {
				t.Fatalf("failures: %v", res.Failures)
			}
			if res.Digit == nil || res.Digit.Pressed != tc.calls || res.Digit.Actions != tc.calls {
				t.Fatalf("key pressed %+v: every call should press it and be referred", res.Digit)
			}
			if res.RTP.Streams != tc.calls || res.RTP.StreamsSilent != 0 || res.RTP.Lost != 0 || res.RTP.BadPackets != 0 {
				t.Fatalf("audio: %+v", res.RTP)
			}
			// Every call heard ivrd's audio with nothing missing; how
			// regularly it came is the benchmark's business (bench/sweep.sh).
			t.Logf("%.1f packets/s per call", res.RTP.PPS)
		})
	}
}

// TestIvrloadHangupKeyAndRefusals: '#' on the live menu hangs up (ivrload
// expects ivrd's BYE and times it), and calls to a number no IVR answers
// come back as failures by SIP status.
func TestIvrloadHangupKeyAndRefusals(t *testing.T) {
	t.Parallel()
	l := startLive(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	target := l.svc.sip.Addr("udp").String()
	res, err := ivrload.Run(ctx, ivrload.Config{
		Target: target, To: "100", Calls: 5, Rate: 20, Hold: 8 * time.Second,
		Digit: '#', DigitAfter: 2 * time.Second, Expect: ivrload.ExpectBye,
		TelephoneEvent: 101, Workers: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(res.Summary())
	if res.Failed != 0 || res.Digit == nil || res.Digit.Actions != 5 {
		t.Fatalf("# should end every call with ivrd's BYE: %v %+v", res.Failures, res.Digit)
	}

	res, err = ivrload.Run(ctx, ivrload.Config{Target: target, To: "999", Calls: 3, Rate: 20, Hold: time.Second, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(res.Summary())
	if res.Failed != 3 || res.Failures["INVITE 404"] != 3 || res.Answered != 0 {
		t.Fatalf("calls to an unknown number: %+v", res.Failures)
	}
}

// TestIvrloadAnswersDigestChallenges: a server that challenges INVITEs
// (here the test far end, as a carrier trunk does) takes ivrload's calls
// with the right credentials and refuses them with wrong ones, reported
// by status.
func TestIvrloadAnswersDigestChallenges(t *testing.T) {
	t.Parallel()
	far := siptest.NewFarEnd(t, "answer")
	far.RequireAuth("load", "s3cret")
	target := strings.TrimPrefix(far.URI(), "sip:agent@")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := ivrload.Run(ctx, ivrload.Config{Target: target, To: "agent", Calls: 2, Rate: 10, Hold: time.Second,
		AuthUser: "load", AuthPassword: "s3cret", Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(res.Summary())
	if res.Failed != 0 || res.Answered != 2 {
		t.Fatalf("with credentials: %v", res.Failures)
	}
	res, err = ivrload.Run(ctx, ivrload.Config{Target: target, To: "agent", Calls: 2, Rate: 10, Hold: time.Second,
		AuthUser: "load", AuthPassword: "wrong", Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(res.Summary())
	if res.Failures["INVITE 401"] != 2 {
		t.Fatalf("with a wrong password: %v", res.Failures)
	}
}
