package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/node/nodetest"
	"github.com/ivrd/ivrd/sip/siptest"
)

// The chaos run's mix besides sipp's menu calls (issue 26 point 5: "a
// few hundred concurrent, mixed: menu keys, voicemail deposits and
// checks, bridges"): calls held in the menu to keep hundreds in
// progress, voicemail checks between the deposits, and bridged calls to
// a sipp far end.

// chaosKnobs are the run's load settings, from the environment.
type chaosKnobs struct {
	rate       float64       // IVRD_CHAOS_RATE: sipp menu calls a second
	bridgeRate float64       // IVRD_CHAOS_BRIDGE_RATE: bridged calls a second (a quarter of rate by default)
	hold       time.Duration // IVRD_CHAOS_HOLD: seconds a menu caller waits before its key, and a bridge lasts
	checkEvery int           // IVRD_CHAOS_CHECK_EVERY: a voicemail check after every this many deposits
}

// maxHold keeps a held caller inside menu 100's patience: its 200 ms
// prompt is played 5 times with the default 5 s response timeout
// between, and the call hangs up after about 26 s without a key.
const maxHold = 20 * time.Second

func chaosKnobsFromEnv(t *testing.T) chaosKnobs {
	k := chaosKnobs{rate: 4, hold: time.Second, checkEvery: 3}
	num := func(name string) (float64, bool) {
		v, err := strconv.ParseFloat(os.Getenv(name), 64)
		return v, err == nil && v > 0
	}
	if v, ok := num("IVRD_CHAOS_RATE"); ok {
		k.rate = v
	}
	k.bridgeRate = k.rate / 4
	if v, ok := num("IVRD_CHAOS_BRIDGE_RATE"); ok {
		k.bridgeRate = v
	}
	if v, ok := num("IVRD_CHAOS_HOLD"); ok {
		k.hold = time.Duration(v * float64(time.Second))
	}
	if v, ok := num("IVRD_CHAOS_CHECK_EVERY"); ok {
		k.checkEvery = int(v)
	}
	if k.hold > maxHold {
		t.Fatalf("IVRD_CHAOS_HOLD=%s: at most %s (the menu hangs up on a caller silent for about 26 s)", k.hold, maxHold)
	}
	return k
}

// mix is what the voicemail loop, the bridges and the peak watcher
// found. The voicemail loop owns its fields until its channel closes;
// kills are shared with it under mu.
type mix struct {
	mu           sync.Mutex
	kills        []chaosKill
	checks       int            // checks that heard a message
	checksCross  int            // of those, on another node than the last deposit
	checksFailed map[string]int // why a check heard no message
	checksDeaf   int            // heard no message on a node not killed during the call (an invariant)
	bridgeOK     int            // bridged callers whose BYE was answered
	bridgeFailed int
	far          farEndCounts
	peakMu       sync.Mutex
	peakNodes    int           // the most calls in progress, summed over the nodes' ivrd_calls_active
	peakAt       time.Duration // since the start
}

type chaosKill struct {
	node string
	at   time.Time
}

func (ch *chaos) noteKill(node string, at time.Time) {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	ch.kills = append(ch.kills, chaosKill{node, at})
}

// killedSince: node ("" for any) was SIGKILLed at or after since.
func (ch *chaos) killedSince(node string, since time.Time) bool {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	for _, k := range ch.kills {
		if (node == "" || k.node == node) && !k.at.Before(since) {
			return true
		}
	}
	return false
}

// lost names a failed voicemail call: why, marked as lost with a killed
// node when its node (any node, when none answered) was killed during it.
func (ch *chaos) lost(why, node string, start time.Time) (string, bool) {
	if ch.killedSince(node, start) {
		return why + " (lost with a killed node)", true
	}
	return why, false
}

// startVoicemailLoop leaves messages in box 1001 through Kamailio and,
// every checkEvery deposits, checks the box, until the run's end. It has
// a goroutine of its own so that the kills land in the middle of its
// calls, as they do in sipp's; the channel closes when its last call is
// over.
func (ch *chaos) startVoicemailLoop(kam netip.AddrPort) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		lastNode := ""
		for n := 1; time.Now().Before(ch.end); n++ {
			start := time.Now()
			id, node, why := depositVoicemail(ch.c, kam)
			if why == "" {
				ch.deposits = append(ch.deposits, id)
				lastNode = node
			} else {
				why, _ = ch.lost(why, node, start)
				ch.depositsFailed[why]++
			}
			if n%ch.knobs.checkEvery != 0 || len(ch.deposits) == 0 || !time.Now().Before(ch.end) {
				continue
			}
			start = time.Now()
			node, why = checkVoicemail(ch.c, kam)
			if why == "" {
				ch.checks++
				if node != lastNode {
					ch.checksCross++
				}
				continue
			}
			why, killed := ch.lost(why, node, start)
			ch.checksFailed[why]++
			if !killed {
				ch.checksDeaf++
			}
		}
	}()
	return done
}

// checkVoicemail calls the voicemail menu through Kamailio, logs in to
// box 1001 with its PIN and listens to the first message; it says on
// which node, and why no message was heard ("" when one was: the test's
// messages are 700 Hz, no prompt is). The box is never empty: a check
// follows a deposit heard to its goodbye.
func checkVoicemail(c *cluster, kam netip.AddrPort) (node, why string) {
	caller, err := siptest.NewCaller("udp")
	if err != nil {
		return "", "no caller socket"
	}
	defer caller.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	call, err := caller.Call(ctx, kam, "400")
	if err != nil {
		return "", "not answered: " + firstLine(err)
	}
	node = c.nodeAt(call.Media.Addr().String())
	defer func() { _ = call.Dialog.Bye(ctx) }() // a dead node answers nothing: the call is over either way
	heard := func(want ...float64) func() bool {
		return func() bool { return heardInOrder(caller, want...) }
	}
	var p presser
	switch {
	case !within(10*time.Second, heard(500)):
		return node, "no menu prompt"
	case p.press(caller, call, "7") != nil:
		return node, "key not sent"
	case !within(10*time.Second, heard(500, 400)):
		return node, "no PIN prompt"
	case p.press(caller, call, "4321#") != nil:
		return node, "key not sent"
	case !within(10*time.Second, heard(500, 400, 1200)):
		return node, "no message count after the PIN"
	case p.press(caller, call, "1") != nil:
		return node, "key not sent"
	case !within(20*time.Second, heard(500, 400, 1200, 700)):
		return node, "no message heard"
	}
	return node, ""
}

// heardInOrder: the caller heard want in that order (other tones
// between).
func heardInOrder(c *siptest.Caller, want ...float64) bool {
	i := 0
	for _, g := range vmHeard(c) {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	return i == len(want)
}

// press sends keys as RFC 4733 events, each press with its own
// timestamp (so the server tells two presses of one key apart), at a
// phone's packet pace (PressKey); it returns the first send error
// rather than failing a test (the voicemail loop's goroutine may not).
func (p *presser) press(c *siptest.Caller, to *siptest.Answered, s string) error {
	for _, k := range []byte(s) {
		p.ts += 4000
		if err := c.PressKey(to.Media, siptest.KeyPress{Key: k, PayloadType: 101, Timestamp: p.ts, SSRC: 0xCAFE}, &p.seq); err != nil {
			return err
		}
	}
	return nil
}

// farEnd is sipp answering as the bridges' phone (bench/sipp/uas_answer.xml)
// on 127.0.0.20, a loopback address of its own.
type farEnd struct {
	cmd  *exec.Cmd
	stat string
	out  string
	done chan struct{}
}

// farEndCounts are the far end's totals from its statistics.
type farEndCounts struct {
	answered, completed, failed int
}

// startFarEnd starts the far end and points the bridge menu (300) at it.
// A bridge whose node is killed never gets its BYE: hold plus a minute
// bounds such a call (it fails here).
func (c *cluster) startFarEnd(t *testing.T, hold time.Duration) *farEnd {
	t.Helper()
	const ip = "127.0.0.20"
	text, err := os.ReadFile("../bench/sipp/uas_answer.xml")
	require.NoError(t, err)
	path := filepath.Join(c.dir, "uas_answer.xml")
	require.NoError(t, os.WriteFile(path, text, 0o644))
	port := freePortOn(t, ip)
	f := &farEnd{stat: filepath.Join(c.dir, "far-end.csv"), done: make(chan struct{})}
	f.out = f.stat + ".out"
	out, err := os.Create(f.out)
	require.NoError(t, err)
	f.cmd = exec.Command(c.sippBin, "-sf", path, "-i", ip, "-p", strconv.Itoa(port),
		"-mi", ip, "-mp", strconv.Itoa(freePortOn(t, ip)&^1), "-rtp_echo",
		"-recv_timeout", strconv.FormatInt((hold+time.Minute).Milliseconds(), 10),
		"-nostdin", "-trace_stat", "-stf", f.stat, "-fd", "1", "-trace_err", "-error_file", f.stat+".err")
	f.cmd.Stdout, f.cmd.Stderr = out, out
	require.NoError(t, f.cmd.Start())
	go func() { _ = f.cmd.Wait(); out.Close(); close(f.done) }() // its counts are read from its stat file
	t.Cleanup(func() {
		_ = f.cmd.Process.Kill() // gone already when stop ended it
		<-f.done
	})
	c.farURI = fmt.Sprintf("sip:far@%s:%d", ip, port)
	nodetest.WaitUntil(t, 10*time.Second, func() bool {
		_, err := os.Stat(f.stat)
		return err == nil
	}, func() string { return "the far end wrote no statistics:\n" + tailFile(f.out, 2000) })
	return f
}

// stop asks the far end to finish (SIGUSR1: no new calls, the open ones
// run to their end or its receive timeout) and reads its totals.
func (f *farEnd) stop(t *testing.T, hold time.Duration) farEndCounts {
	t.Helper()
	_ = f.cmd.Process.Signal(syscall.SIGUSR1) // gone already if it stopped on its own
	select {
	case <-f.done:
	case <-time.After(hold + 2*time.Minute):
		_ = f.cmd.Process.Kill() // its statistics, written each second, still count
		<-f.done
	}
	last, _ := sippStats(t, f.stat)
	return farEndCounts{answered: last["TotalCallCreated"], completed: last["SuccessfulCall(C)"], failed: last["FailedCall(C)"]}
}

// watchPeak samples, each second, the calls in progress on every node
// (ivrd_calls_active, summed) and keeps the largest sum; the function it
// returns stops it.
func (ch *chaos) watchPeak() func() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(time.Second) // a sampling rate, not a wait for anything
		defer tick.Stop()
		for {
			sum := 0
			for _, nd := range ch.c.nodes {
				sum += int(metricValue(ctx, nd.api, "ivrd_calls_active")) // a dead node counts 0
			}
			ch.peakMu.Lock()
			if sum > ch.peakNodes {
				ch.peakNodes, ch.peakAt = sum, time.Since(ch.started)
			}
			ch.peakMu.Unlock()
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return func() { cancel(); <-done }
}

// metricValue reads one unlabelled metric from a node's /metrics (0 when
// it cannot).
func metricValue(ctx context.Context, api, name string) float64 {
	ctx, cancel := context.WithTimeout(ctx, 900*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(api, "/api/v1")+"/metrics", nil)
	if err != nil {
		return 0
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 4<<20))
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return f
		}
	}
	return 0
}

// classify names why each failed sipp call failed, from its record: not
// answered, or its state on a node killed during the run or never.
func (ch *chaos) classify(ids []string) map[string]int {
	byReason := map[string]int{}
	for _, id := range ids {
		node, state := ch.c.record(id)
		switch {
		case state == "":
			byReason["no record (not answered)"]++
		case ch.killed[node] > 0:
			byReason[state+" on a node killed during the run"]++
		default:
			byReason[state+" on a node never killed"]++
		}
	}
	return byReason
}

// mixRows are the report's rows for the mix: the peak, the checks, the
// bridges.
func (ch *chaos) mixRows(t *testing.T, load, bridges *sippRun) [][2]string {
	_, menuMost := sippStats(t, load.stat)
	_, bridgeMost := sippStats(t, bridges.stat)
	ch.peakMu.Lock()
	peak, at := ch.peakNodes, ch.peakAt
	ch.peakMu.Unlock()
	rows := [][2]string{
		{"peak calls in progress, the nodes' ivrd_calls_active summed (each second)", fmt.Sprintf("%d (at %.0f s)", peak, at.Seconds())},
		{"peak calls open in sipp: menu callers / bridge callers", fmt.Sprintf("%d / %d", menuMost["CurrentCall"], bridgeMost["CurrentCall"])},
		{"voicemail checks that heard a message / of them on another node than the last deposit", fmt.Sprintf("%d / %d", ch.checks, ch.checksCross)},
		{"voicemail checks that heard no message (must be 0, except with a killed node)", strconv.Itoa(ch.checksDeaf)},
		{"bridged calls completed / failed (caller side)", fmt.Sprintf("%d / %d", ch.bridgeOK, ch.bridgeFailed)},
		{"bridges answered by the far end / ended by the node's BYE / failed there", fmt.Sprintf("%d / %d / %d", ch.far.answered, ch.far.completed, ch.far.failed)},
	}
	for reason, n := range ch.checksFailed {
		rows = append(rows, [2]string{"voicemail checks failed: " + reason, strconv.Itoa(n)})
	}
	for reason, n := range ch.classify(bridges.failedCalls(t)) {
		rows = append(rows, [2]string{"failed bridged calls: " + reason, strconv.Itoa(n)})
	}
	return rows
}
