package ivrload

import (
	"bytes"
	"context"
	"net"
	"os/exec"
	"strconv"
	"testing"
	"time"
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

// TestAgainstSippUAS: ivrload is a plain SIP caller, so another server's
// stock UAS (sipp -sn uas: 180, 200 with SDP, waits for our BYE) takes its
// calls without a failure. sipp's UAS sends no audio, so only our side of
// the media is checked.
func TestAgainstSippUAS(t *testing.T) {
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
	time.Sleep(300 * time.Millisecond) // sipp binds its port

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
