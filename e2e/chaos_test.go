package e2e

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/node"
	"github.com/ivrd/ivrd/node/nodetest"
	"github.com/ivrd/ivrd/sip/siptest"
)

// TestChaos is `make chaos` (issue 26), not part of make test: three
// nodes behind Kamailio on a PostgreSQL server of its own, sipp placing
// menu calls (a key after IVRD_CHAOS_HOLD seconds, a REFER) through
// Kamailio at IVRD_CHAOS_RATE calls a second and bridged calls to a sipp
// far end, and the test leaving voicemails and checking box 1001 from
// another goroutine (chaos_mix_test.go), for IVRD_CHAOS_MINUTES minutes,
// while a node is SIGKILLed at random (every 30-60 s in a short run,
// every 2-5 minutes from 10 minutes on) and started again 5-15 s later,
// PostgreSQL is paused (SIGSTOP) for 3 s once and restarted once, and
// one node's recordings disk fills up once (as root, where a tmpfs can
// be mounted: disk_full_test.go; skipped, and said so, otherwise). Then,
// with every node running again and the sweeps done, it checks what must
// hold: no call record left 'started', every webhook event in the outbox
// delivered (duplicates only with the same event id, counted), every
// call record with its call.started event, every voicemail whose caller
// heard the goodbye in the store, every call sipp completed recorded,
// every voicemail check hearing a message unless its node was killed.
// The report (a Markdown table) goes to the test log and to
// IVRD_CHAOS_REPORT when set.
func TestChaos(t *testing.T) {
	minutes, err := strconv.ParseFloat(os.Getenv("IVRD_CHAOS_MINUTES"), 64)
	if err != nil || minutes <= 0 {
		t.Skip("a chaos run: make chaos (IVRD_CHAOS_MINUTES=3; the issue's: CHAOS_MINUTES=30 CHAOS_RATE=20 CHAOS_HOLD=12 make chaos)")
	}
	knobs := chaosKnobsFromEnv(t)
	sipp, pcap := needClusterTools(t)
	pg := startPrivatePG(t)
	c := newCluster(t, pg.url, sipp, pcap)
	hooks := newHookReceiver(t)
	c.hookURL = hooks.url
	writeVoicemailPrompts(t, c.prompts)
	far := c.startFarEnd(t, knobs.hold) // the bridges' phone: c.farURI, before the nodes read it
	c.startNodes(3)
	c.startKamailio()

	run := time.Duration(minutes * float64(time.Minute))
	ch := &chaos{c: c, pg: pg, knobs: knobs, started: time.Now(), end: time.Now().Add(run), rng: rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 26))}
	ch.plan(minutes)
	seconds := int(run.Seconds())
	hold := strconv.FormatInt(knobs.hold.Milliseconds(), 10)
	limit := "-timeout" // sipp's own bound: the run, its last calls, and room for the chaos
	load := c.sipp("proxy_call.xml", knobs.rate, int(knobs.rate*float64(seconds)), limit, strconv.Itoa(seconds+180)+"s", "-d", hold, "-fd", "1")
	bridges := c.sipp("proxy_bridge_call.xml", knobs.bridgeRate, max(1, int(knobs.bridgeRate*float64(seconds))),
		limit, strconv.Itoa(seconds+180)+"s", "-d", hold, "-fd", "1", "-s", "300")
	stopPeak := ch.watchPeak()
	vmDone := ch.startVoicemailLoop(mustAddrPort(t, c.kamAddr))
	pace := time.NewTicker(200 * time.Millisecond) // the chaos plan's resolution, not a wait for anything
	defer pace.Stop()
	for time.Now().Before(ch.end) {
		ch.step(t)
		<-pace.C
	}
	<-vmDone // the voicemail caller's last call is bounded by its own timeouts
	ch.restartAll(t)
	ok, failed := load.wait(t, 10*time.Minute)
	ch.bridgeOK, ch.bridgeFailed = bridges.wait(t, 5*time.Minute)
	stopPeak()
	ch.far = far.stop(t, knobs.hold)
	ch.settle(t)
	ch.report(t, hooks, load, bridges, ok, failed)
}

// chaos is the run's plan and what happened.
type chaos struct {
	c                *cluster
	pg               *privatePG
	knobs            chaosKnobs
	mix              // the voicemail checks, bridges and peak (chaos_mix_test.go)
	rng              *rand.Rand
	started, end     time.Time
	nextKill         time.Time
	killGap          [2]time.Duration
	pauseAt, pgRstAt time.Time
	paused, pgRst    bool
	diskAt           time.Time // when a node's disk fills
	diskFilled       bool
	dead             map[*clusterNode]time.Time // killed node -> when it starts again
	starts           map[string]int             // log files per node
	events           []string                   // what the run did, when
	deposits         []string                   // Call-IDs of voicemails left to the goodbye (the voicemail loop's)
	depositsFailed   map[string]int             // why a voicemail was not left (the voicemail loop's)
	killed           map[string]int
	samples          map[string][]string // node -> "t: RSS, FDs, goroutines"
	lastSample       time.Time
}

func (ch *chaos) plan(minutes float64) {
	ch.killGap = [2]time.Duration{30 * time.Second, 60 * time.Second}
	if minutes >= 10 {
		ch.killGap = [2]time.Duration{2 * time.Minute, 5 * time.Minute}
	}
	run := ch.end.Sub(ch.started)
	ch.nextKill = ch.started.Add(ch.gap())
	ch.pauseAt = ch.started.Add(run / 3)
	ch.pgRstAt = ch.started.Add(run * 2 / 3)
	ch.diskAt = ch.started.Add(run / 2)
	ch.dead = map[*clusterNode]time.Time{}
	ch.starts = map[string]int{}
	ch.killed = map[string]int{}
	ch.samples = map[string][]string{}
	ch.depositsFailed = map[string]int{}
	ch.checksFailed = map[string]int{}
}

func (ch *chaos) gap() time.Duration {
	return ch.killGap[0] + time.Duration(ch.rng.Int64N(int64(ch.killGap[1]-ch.killGap[0])))
}

func (ch *chaos) logf(format string, args ...any) {
	ch.events = append(ch.events, fmt.Sprintf("%6.1fs ", time.Since(ch.started).Seconds())+fmt.Sprintf(format, args...))
}

// step does what is due: restart dead nodes, kill one, pause or restart
// PostgreSQL, sample the nodes.
func (ch *chaos) step(t *testing.T) {
	now := time.Now()
	for nd, at := range ch.dead {
		if now.After(at) {
			ch.restart(t, nd)
		}
	}
	if now.After(ch.nextKill) && len(ch.dead) == 0 {
		nd := ch.c.nodes[ch.rng.IntN(len(ch.c.nodes))]
		require.NoError(t, nd.cmd.Process.Signal(syscall.SIGKILL))
		<-nd.done
		ch.killed[nd.id]++
		ch.noteKill(nd.id, time.Now()) // once gone: a call the voicemail loop began before now met the kill
		ch.dead[nd] = now.Add(5*time.Second + time.Duration(ch.rng.Int64N(int64(10*time.Second))))
		ch.logf("SIGKILL %s", nd.id)
		ch.nextKill = now.Add(ch.gap())
	}
	if !ch.paused && now.After(ch.pauseAt) {
		ch.paused = true
		ch.logf("PostgreSQL paused (SIGSTOP) for 3 s")
		ch.pg.pause(3 * time.Second)
		ch.logf("PostgreSQL resumed")
	}
	if !ch.pgRst && now.After(ch.pgRstAt) {
		ch.pgRst = true
		ch.logf("PostgreSQL restart (fast)")
		ch.pg.restart()
		ch.logf("PostgreSQL back")
	}
	if !ch.diskFilled && now.After(ch.diskAt) {
		ch.diskFilled = true
		ch.fillDisk(t)
	}
	if now.Sub(ch.lastSample) > 10*time.Second {
		ch.lastSample = now
		ch.sample()
	}
}

// fillDisk fills a running node's recordings disk once and places a
// recorded call on it: the call goes on, its recording stops with the
// reason (fullDiskCall checks). The disk stays full to the end.
func (ch *chaos) fillDisk(t *testing.T) {
	var nd *clusterNode
	for _, n := range ch.c.nodes {
		if _, dead := ch.dead[n]; !dead {
			nd = n
			break
		}
	}
	if nd == nil {
		ch.logf("disk full: skipped, no node running")
		return
	}
	if why := mountFullDisk(t, nd.recordings(ch.c)); why != "" {
		ch.logf("disk full: skipped (%s)", why)
		return
	}
	ch.logf("%s's recordings disk full (tmpfs of %s)", nd.id, fullDiskSize)
	id := ch.c.fullDiskCall(t, nd)
	ch.logf("a recorded call on %s went on, its recording stopped for ENOSPC (%s)", nd.id, id)
}

func (ch *chaos) restart(t *testing.T, nd *clusterNode) {
	delete(ch.dead, nd)
	ch.starts[nd.id]++
	nd.logf = filepath.Join(ch.c.dir, fmt.Sprintf("%s.%d.log", nd.id, ch.starts[nd.id]))
	ch.c.startNode(nd)
	ch.c.waitLog(nd, "ivrd serving", 60*time.Second)
	ch.logf("%s started again", nd.id)
}

// restartAll starts the nodes still dead at the end of the run.
func (ch *chaos) restartAll(t *testing.T) {
	for nd := range ch.dead {
		ch.restart(t, nd)
	}
}

// sample notes each running node's RSS, open files and goroutines.
func (ch *chaos) sample() {
	for _, nd := range ch.c.nodes {
		if _, dead := ch.dead[nd]; dead {
			continue
		}
		pid := nd.cmd.Process.Pid
		status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		rss := "?"
		for _, line := range strings.Split(string(status), "\n") {
			if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
				rss = strings.TrimSpace(v)
			}
		}
		fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
		ch.samples[nd.id] = append(ch.samples[nd.id], fmt.Sprintf("%.0fs: %s, %d fds, %s goroutines",
			time.Since(ch.started).Seconds(), rss, len(fds), goroutines(nd)))
	}
}

// goroutines reads go_goroutines from a node's /metrics ("?" when it
// cannot).
func goroutines(nd *clusterNode) string {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(nd.api, "/api/v1")+"/metrics", nil)
	if err != nil {
		return "?"
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return "?"
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 4<<20))
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, "go_goroutines "); ok {
			return v
		}
	}
	return "?"
}

// depositVoicemail leaves a one-second message in box 1001 through
// Kamailio and says why its caller did not hear the goodbye ("" when it
// did: then the message must be in the store), and which node answered
// ("" when none did). A call cut by the chaos is not a failure of the
// run. It runs on the voicemail loop's goroutine: no t (FailNow belongs
// to the test's own).
func depositVoicemail(c *cluster, kam netip.AddrPort) (id, node, why string) {
	caller, err := siptest.NewCaller("udp")
	if err != nil {
		return "", "", "no caller socket"
	}
	defer caller.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	call, err := caller.Call(ctx, kam, "400")
	if err != nil {
		return "", "", "not answered: " + firstLine(err)
	}
	id, node = call.Dialog.InviteRequest.CallID().Value(), c.nodeAt(call.Media.Addr().String())
	bye := func() { _ = call.Dialog.Bye(ctx) } // a dead node answers nothing: the call is given up either way
	if !within(10*time.Second, func() bool { return slices.ContainsFunc(caller.Packets(), nodetest.Loud) }) {
		bye()
		return id, node, "no menu prompt"
	}
	var p presser
	if p.press(caller, call, "6") != nil {
		bye()
		return id, node, "key not sent"
	}
	if !within(15*time.Second, func() bool { return beepOver(caller) }) {
		bye()
		return id, node, "no recorder beep"
	}
	if caller.SendTone(call.Media, 700, 50, &p.seq) != nil || p.press(caller, call, "#") != nil {
		bye()
		return id, node, "message not sent"
	}
	if _, err := caller.WaitRequest("BYE", 15*time.Second); err != nil {
		bye()
		return id, node, "no goodbye"
	}
	return id, node, ""
}

// firstLine is an error's first line (sipgo's can run on).
func firstLine(err error) string {
	why, _, _ := strings.Cut(err.Error(), "\n")
	return why
}

// beepOver: the recorder's 1 kHz beep heard, then two silent packets.
func beepOver(c *siptest.Caller) bool {
	heard, quiet := false, 0
	for _, p := range c.Packets() {
		switch {
		case !nodetest.Loud(p):
			quiet++
		case nodetest.ToneIn(ulawPCM(p.Payload), vmCandidates...) == 1000:
			heard, quiet = true, 0
		default:
			quiet = 0
		}
	}
	return heard && quiet >= 2
}

// within polls cond every 20 ms for at most limit.
func within(limit time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond) // polling an observed condition, bounded
	}
	return true
}

// settle waits, bounded, for the sweeps and the webhook outbox: no record
// 'started', nothing undelivered.
func (ch *chaos) settle(t *testing.T) {
	limit := node.LostAfter + 10*node.HeartbeatEvery + 5*time.Minute
	within(limit, func() bool {
		var started, pending int
		_ = ch.c.db.QueryRow(`SELECT count(*) FROM call_records WHERE state = 'started'`).Scan(&started)
		_ = ch.c.db.QueryRow(`SELECT count(*) FROM webhook_outbox WHERE delivered_at IS NULL`).Scan(&pending)
		return started == 0 && pending == 0
	})
}

// report checks the invariants and writes the table.
func (ch *chaos) report(t *testing.T, hooks *hookReceiver, load, bridges *sippRun, ok, failed int) {
	q := func(query string, args ...any) int {
		var n int
		require.NoError(t, ch.c.db.QueryRow(query, args...).Scan(&n), query)
		return n
	}
	started := q(`SELECT count(*) FROM call_records WHERE state = 'started'`)
	undelivered := q(`SELECT count(*) FROM webhook_outbox WHERE delivered_at IS NULL`)
	rows, err := ch.c.db.Query(`SELECT DISTINCT event_id FROM webhook_outbox`)
	require.NoError(t, err)
	var missingEvents []string
	total := 0
	for rows.Next() {
		var id string
		require.NoError(t, rows.Scan(&id))
		total++
		hooks.mu.Lock()
		got := hooks.ids[id]
		hooks.mu.Unlock()
		if got == 0 {
			missingEvents = append(missingEvents, id)
		}
	}
	require.NoError(t, rows.Err())
	rows.Close()
	var noStart, noEnd []string
	rows, err = ch.c.db.Query(`SELECT call_id FROM call_records`)
	require.NoError(t, err)
	records := 0
	for rows.Next() {
		var id string
		require.NoError(t, rows.Scan(&id))
		records++
		if !slices.Contains(hooks.typesOf(id), "call.started") {
			noStart = append(noStart, id)
		}
		if !slices.Contains(hooks.typesOf(id), "call.ended") {
			noEnd = append(noEnd, id)
		}
	}
	rows.Close()
	var lostVoicemail []string
	for _, id := range ch.deposits {
		if q(`SELECT count(*) FROM voicemail_messages WHERE call_id = $1`, id) != 1 {
			lostVoicemail = append(lostVoicemail, id)
		}
	}
	byReason := ch.classify(load.failedCalls(t))
	unrecorded := 0
	for _, id := range append(completedCalls(t, load), completedCalls(t, bridges)...) {
		if _, state := ch.c.record(id); state == "" {
			unrecorded++
		}
	}

	var b strings.Builder
	fmt.Fprintf(&b, "Chaos run: %.1f min, sipp menu calls at %g calls/s and bridged calls at %g calls/s, each held %s, load average at the end %s\n\n",
		ch.end.Sub(ch.started).Minutes(), ch.knobs.rate, ch.knobs.bridgeRate, ch.knobs.hold, loadAverage(t))
	fmt.Fprintf(&b, "| what | count |\n|---|---|\n")
	table := [][2]string{
		{"sipp menu calls completed / failed", fmt.Sprintf("%d / %d", ok, failed)},
		{"voicemails left to the goodbye", strconv.Itoa(len(ch.deposits))},
		{"call records", strconv.Itoa(records)},
		{"webhook events (distinct ids) / deliveries counted twice", fmt.Sprintf("%d / %d", total, len(hooks.duplicates()))},
		{"records left 'started' (must be 0)", strconv.Itoa(started)},
		{"webhook rows undelivered (must be 0)", strconv.Itoa(undelivered)},
		{"webhook events never received (must be 0)", strconv.Itoa(len(missingEvents))},
		{"records without their call.started event (must be 0)", strconv.Itoa(len(noStart))},
		{"records without a call.ended event (a node killed within the write window of its end)", strconv.Itoa(len(noEnd))},
		{"voicemails missing (must be 0)", strconv.Itoa(len(lostVoicemail))},
		{"calls sipp completed without a record (must be 0)", strconv.Itoa(unrecorded)},
	}
	for _, row := range append(table, ch.mixRows(t, load, bridges)...) {
		fmt.Fprintf(&b, "| %s | %s |\n", row[0], row[1])
	}
	for reason, n := range byReason {
		fmt.Fprintf(&b, "| failed calls: %s | %d |\n", reason, n)
	}
	for reason, n := range ch.depositsFailed {
		fmt.Fprintf(&b, "| voicemails not left: %s | %d |\n", reason, n)
	}
	fmt.Fprintf(&b, "\nWhat the run did:\n\n")
	for _, e := range ch.events {
		fmt.Fprintf(&b, "    %s\n", e)
	}
	fmt.Fprintf(&b, "\nNodes over time (RSS, open files, goroutines):\n\n")
	for _, nd := range ch.c.nodes {
		s := ch.samples[nd.id]
		if len(s) > 0 {
			fmt.Fprintf(&b, "    %s: first %s; last %s (%d samples)\n", nd.id, s[0], s[len(s)-1], len(s))
		}
	}
	t.Log("\n" + b.String())
	if path := os.Getenv("IVRD_CHAOS_REPORT"); path != "" {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
	}
	if started != 0 || undelivered != 0 || len(missingEvents) != 0 || len(noStart) != 0 || len(lostVoicemail) != 0 || unrecorded != 0 || ch.checksDeaf != 0 {
		t.Errorf("invariants broken: %d started, %d undelivered, events missing %v, records without call.started %v, voicemails missing %v, %d completed calls unrecorded, %d voicemail checks heard no message on a node never killed mid-call",
			started, undelivered, head(missingEvents), head(noStart), head(lostVoicemail), unrecorded, ch.checksDeaf)
	}
}

// completedCalls are the Call-IDs sipp logged as completed.
func completedCalls(t *testing.T, r *sippRun) []string {
	data, err := os.ReadFile(r.stat + ".log")
	require.NoError(t, err)
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		if id, ok := strings.CutPrefix(strings.TrimSpace(line), "completed "); ok {
			out = append(out, id)
		}
	}
	return out
}

func head(s []string) []string {
	if len(s) > 5 {
		return s[:5]
	}
	return s
}
