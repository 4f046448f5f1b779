package ivrload

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ivrd/ivrd/internal/testenv"
)

// freeUDPPort finds a loopback UDP port nobody holds right now.
func freeUDPPort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// waitUDPBound waits until a socket holds the loopback UDP port, as the
// kernel lists it in /proc/net/udp (reading, not binding, so the probe
// never takes the port from sipp), and fails the test when sipp ends
// first or nothing binds within 10 s.
func waitUDPBound(t *testing.T, port int, done chan error) {
	t.Helper()
	want := fmt.Sprintf(":%04X ", port)
	deadline := time.Now().Add(10 * time.Second)
	for {
		table, err := os.ReadFile("/proc/net/udp")
		if err != nil {
			t.Skipf("cannot see when sipp has bound its port: %v", err)
		}
		for _, line := range strings.Split(string(table), "\n")[1:] {
			if f := strings.Fields(line); len(f) > 1 && strings.HasSuffix(f[1]+" ", want) {
				return
			}
		}
		select {
		case err := <-done:
			done <- err // for the caller's clean-up
			t.Fatalf("sipp ended before it bound UDP port %d: %v", port, err)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing bound UDP port %d within 10 s", port)
		}
	}
}

// TestAgainstSippUAS: ivrload is a plain SIP caller, so another server's
// stock UAS (sipp -sn uas: 180, 200 with SDP, waits for our BYE) takes its
// calls without a failure. sipp's UAS sends no audio, so only our side of
// the media is checked.
func TestAgainstSippUAS(t *testing.T) {
	t.Parallel()
	testenv.SkipUnderRace(t, "five real calls through an external sipp")
	sipp, err := exec.LookPath("sipp")
	if err != nil {
		t.Skip("sipp not installed (apt-get install sip-tester)")
	}
	const calls = 5
	port := freeUDPPort(t)
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, sipp, "-sn", "uas", "-i", "127.0.0.1", "-p", strconv.Itoa(port),
		"-mi", "127.0.0.1", "-mp", strconv.Itoa(freeUDPPort(t)&^1), "-m", strconv.Itoa(calls),
		"-timeout", "30s", "-nostdin")
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	finished := false
	defer func() {
		if !finished {
			cmd.Process.Kill()
			<-done
		}
	}()
	waitUDPBound(t, port, done)

	res, err := Run(ctx, Config{
		Target: "127.0.0.1:" + strconv.Itoa(port), To: "service",
		Calls: calls, Rate: 10, Hold: 2 * time.Second, Workers: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(res.Summary())
	if res.Failed != 0 || res.Answered != calls || res.Succeeded != calls {
		t.Fatalf("against sipp's UAS: %s\nsipp: %s", res.Summary(), out.String())
	}
	if res.RTP.Sent == 0 || res.RTP.SendErrors != 0 {
		t.Fatalf("sent %d packets, %d errors", res.RTP.Sent, res.RTP.SendErrors)
	}
	// sipp exits by itself after its -m calls, all of them ended by our BYE.
	select {
	case err := <-done:
		finished = true
		if err != nil {
			t.Fatalf("sipp: %v\n%s", err, out.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("sipp did not finish its %d calls:\n%s", calls, out.String())
	}
}
