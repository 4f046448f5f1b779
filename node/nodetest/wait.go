package nodetest

import (
	"fmt"
	"hash/fnv"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ivrd/ivrd/sip/siptest"
	"github.com/zaf/g711"
)

// Port blocks handed to tests: portSlots blocks of portSlotSize ports
// from portFirst, below Linux's ephemeral ports (32768 up), which the
// callers, far ends and HTTP clients of the tests bind: a port of a block
// is taken by no socket bound to port 0. The first rtpPorts of a block are
// the test's RTP range, the rest its fixed ports (Port).
const (
	portFirst    = 16000
	portSlotSize = 100
	portSlots    = 160
	rtpPorts     = 80
)

// portBase is the first port of the test's block, chosen from the test's
// name and the process id: tests running in parallel, in this process or
// another package's, get different blocks. Two that happen to share one
// still run (the media engine skips RTP ports in use).
func portBase(t testing.TB) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(t.Name())) // a hash's Write never fails
	return portFirst + int((h.Sum32()+uint32(os.Getpid()))%portSlots)*portSlotSize
}

// RTPRange is the RTP port range ("min-max", 40 pairs) of the test's
// nodes.
func RTPRange(t testing.TB) string {
	base := portBase(t)
	return fmt.Sprintf("%d-%d", base, base+rtpPorts-1)
}

// Port is the test's n-th fixed port (n from 0 to 9), an even one: it and
// the odd one above are the test's, over UDP and TCP, for a peer that
// must be told its port before it starts (baresip binds SIP over UDP, TCP
// and TLS on its port and the next, sipp its media port and the next).
// Outside the ephemeral range, no socket bound to port 0 takes it between
// the test's choice and the peer's bind.
func Port(t testing.TB, n int) int {
	if n < 0 || 2*n+1 >= portSlotSize-rtpPorts {
		t.Fatalf("nodetest.Port: no fixed port %d (0 to %d)", n, (portSlotSize-rtpPorts)/2-1)
	}
	return portBase(t) + rtpPorts + 2*n
}

// Patience bounds a wait for what a call should do next (a prompt, a
// tone, a log line). Generous: it costs nothing when the call does it,
// and -race on a loaded two-core machine makes a call's steps five to
// twenty times slower.
const Patience = 30 * time.Second

// WaitUntil waits, polling every 20 ms, until cond holds, and fails the
// test with why() (evaluated then, so it can show a log as it is at the
// end) when within passes first.
func WaitUntil(t testing.TB, within time.Duration, cond func() bool, why func() string) {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline.C:
			if cond() {
				return
			}
			t.Fatalf("after %s: %s", within, why())
		}
	}
}

// Loud reports whether a µ-law packet carries sound rather than silence.
func Loud(p siptest.Packet) bool {
	for _, b := range p.Payload {
		if s := g711.DecodeUlawFrame(b); s > 100 || s < -100 {
			return true
		}
	}
	return false
}

// WaitPrompt waits (bounded) until the caller hears sound: the call's
// first prompt is playing, so its menu is listening for keys.
func WaitPrompt(t testing.TB, c *siptest.Caller) {
	t.Helper()
	WaitUntil(t, Patience, func() bool {
		for _, p := range c.Packets() {
			if Loud(p) {
				return true
			}
		}
		return false
	}, func() string {
		return fmt.Sprintf("the caller heard no prompt (%d packets, all silent)", len(c.Packets()))
	})
}

// WaitToneOver waits (bounded) until the caller has heard a tone of freq
// and then two packets of silence: the prompt has played to its end, so
// what the server does after it (record, listen) has begun. Each packet's
// tone is the nearest of candidates (Heard's when none are given).
func WaitToneOver(t testing.TB, c *siptest.Caller, freq float64, candidates ...float64) {
	t.Helper()
	if len(candidates) == 0 {
		candidates = heardCandidates()
	}
	WaitUntil(t, Patience, func() bool {
		heardIt, quiet := false, 0
		for _, p := range c.Packets() {
			switch {
			case !Loud(p):
				quiet++
			case ToneIn(ulaw(p.Payload), candidates...) == freq:
				heardIt, quiet = true, 0
			default:
				quiet = 0
			}
		}
		return heardIt && quiet >= 2
	}, func() string {
		return fmt.Sprintf("no %v Hz tone played to its end; heard %v", freq, Heard(c.Packets()))
	})
}

// ulaw decodes a µ-law payload.
func ulaw(payload []byte) []int16 {
	pcm := make([]int16, len(payload))
	for i, b := range payload {
		pcm[i] = g711.DecodeUlawFrame(b)
	}
	return pcm
}

// WaitUDPBound waits (bounded) until some socket holds the loopback UDP
// port, as the kernel lists it in /proc/net/udp: a peer started as a
// process (sipp) is ready for packets. It reads the table rather than
// binding the port, which would take it from the peer; it skips the test
// where the table cannot be read.
func WaitUDPBound(t testing.TB, port int) {
	t.Helper()
	want := fmt.Sprintf(":%04X", port)
	WaitUntil(t, 10*time.Second, func() bool {
		table, err := os.ReadFile("/proc/net/udp")
		if err != nil {
			t.Skipf("cannot see when the peer has bound UDP port %d: %v", port, err)
		}
		for _, line := range strings.Split(string(table), "\n")[1:] {
			if f := strings.Fields(line); len(f) > 1 && strings.HasSuffix(f[1], want) {
				return true
			}
		}
		return false
	}, func() string { return fmt.Sprintf("nothing bound UDP port %d", port) })
}
