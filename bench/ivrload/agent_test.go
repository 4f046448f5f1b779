package ivrload

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// freePortRun finds n even loopback UDP ports in a row (base, base+2, ...)
// that nobody holds right now.
func freePortRun(t *testing.T, n int) int {
	t.Helper()
	for try := 0; try < 50; try++ {
		base := freeUDPPort(t) &^ 1
		if base+2*n > 65535 {
			continue
		}
		ok := true
		for i := 0; i < n && ok; i++ {
			c, err := net.ListenPacket("udp", net.JoinHostPort("127.0.0.1", strconv.Itoa(base+2*i)))
			if err != nil {
				ok = false
				continue
			}
			c.Close()
		}
		if ok {
			return base
		}
	}
	t.Skip("no run of free even UDP ports on loopback")
	return 0
}

// The agent is the phone of calls another program placed: each of its
// ports stays silent until the target's audio arrives, then answers from
// that port to wherever the audio came from, 50 packets a second, and
// measures the target's stream; a port the target never sends to is a
// failed call, named. With 40 slots (a tick of 0.5 ms) each call still
// sends 50 packets a second.
func TestAgentAnswersTheTargetsAudioAndMeasuresIt(t *testing.T) {
	t.Parallel()
	const calls = 3
	// The ports were free when probed, but parallel tests (and other
	// packages' tests) may take one before the agent binds it: a port
	// taken in between is a retry with another run of ports, not a
	// failure of the agent.
	var (
		base int
		res  *Result
		got  map[int]int
		err  error
	)
	for try := 0; try < 5; try++ {
		base = freePortRun(t, calls)
		res, got, err = agentRun(t, base, calls)
		if !errors.Is(err, syscall.EADDRINUSE) {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	if res.Answered != 2 || res.Failed != 1 || res.Failures["no RTP from target"] != 1 {
		t.Errorf("answered %d, failed %d (%v): want the two streamed calls answered, the silent one failed as 'no RTP from target'", res.Answered, res.Failed, res.Failures)
	}
	if res.RTP.Streams != 2 || res.RTP.Packets < 2*40 {
		t.Errorf("measured %d streams, %d packets in a 1.1 s window: want 2 streams of ~55 packets", res.RTP.Streams, res.RTP.Packets)
	}
	for i := 0; i < 2; i++ {
		if got[base+2*i] < 40 {
			t.Errorf("the target got %d packets back from port %d in ~2 s: want about 50 a second", got[base+2*i], base+2*i)
		}
	}
	if got[base+4] != 0 {
		t.Errorf("the silent call's port sent %d packets: it must wait for the target's audio", got[base+4])
	}
}

// agentRun streams to the first two of calls agent ports from base and
// runs the agent on them; it returns the agent's result, what the
// target got back from each port, and the agent's error.
func agentRun(t *testing.T, base, calls int) (*Result, map[int]int, error) {
	t.Helper()
	target, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer target.Close()

	// The target (a stand-in for ivrd's media) streams PCMU to the first
	// two calls' ports only, and counts what comes back from each port.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	back := make(chan map[int]int, 1)
	go func() {
		got := map[int]int{}
		buf := make([]byte, 1500)
		for {
			_ = target.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
			_, from, err := target.ReadFromUDP(buf)
			if err != nil {
				if ctx.Err() != nil {
					back <- got
					return
				}
				continue
			}
			got[from.Port]++
		}
	}()
	go func() {
		tk := time.NewTicker(20 * time.Millisecond)
		defer tk.Stop()
		pkt := make([]byte, 12+160)
		for seq := uint16(1); ; seq++ {
			select {
			case <-ctx.Done():
				return
			case <-tk.C:
			}
			for i := 0; i < 2; i++ {
				putRTP(pkt, seq == 1, 0, seq, uint32(seq)*160, 0xabc0+uint32(i))
				_, _ = target.WriteToUDP(pkt, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: base + 2*i})
			}
		}
	}()

	res, err := RunAgent(ctx, AgentConfig{PortMin: base, Calls: calls, From: 500 * time.Millisecond, To: 1600 * time.Millisecond, Until: 2 * time.Second, Workers: 1, Slots: 40})
	cancel()
	got := <-back
	return res, got, err
}

// The spread of the callers' packets takes only whole divisions of the
// 20 ms period, and says so.
func TestSlotsMustDivideThePeriod(t *testing.T) {
	for _, n := range []int{0, 1, 10, 40, 100, 200} {
		if err := checkSlots(n); err != nil {
			t.Errorf("slots %d: %v", n, err)
		}
	}
	for _, n := range []int{-1, 3, 7, 400} {
		err := checkSlots(n)
		if err == nil || !strings.Contains(err.Error(), "slots "+strconv.Itoa(n)) {
			t.Errorf("slots %d: error %v, want one naming it", n, err)
		}
	}
	c := Config{Target: "127.0.0.1:5060", Calls: 1, Rate: 1, Hold: time.Second, Slots: 3}
	if err := c.fill(); err == nil {
		t.Error("a run with 3 slots was accepted")
	}
}
