package e2e

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/internal/testenv"
	"github.com/ivrd/ivrd/node/nodetest"
	"github.com/ivrd/ivrd/store/storetest"
)

// A real deployment on one machine (issue 15): Debian's Kamailio with
// deploy/kamailio/kamailio.cfg on 127.0.0.1, ivrd nodes (the binary,
// built here) on 127.0.0.11, .12, .13 (loopback aliases need no set-up on
// Linux) sharing one PostgreSQL database, and sipp calling through
// Kamailio. Every process started is killed in Cleanup.

// clusterToken is the write token every node is given in its file.
const clusterToken = "cluster-test-token"

// phonePassword is extension 1001's, the phone that registers.
const phonePassword = "phone-1001-secret"

// probeInterval is the dispatcher's OPTIONS interval the test runs
// Kamailio with (kamailio.cfg: PROBE_INTERVAL), in seconds.
const probeInterval = 2

// recordings is the node's recordings_dir.
func (nd *clusterNode) recordings(c *cluster) string {
	return filepath.Join(c.dir, nd.id+"-recordings")
}

type clusterNode struct {
	id   string
	ip   string
	sip  string // IP:PORT
	api  string // http://IP:PORT/api/v1
	cfg  string
	logf string
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	err  error         // its exit status, once done
}

type cluster struct {
	t       *testing.T
	dir     string
	bin     string
	dbURL   string
	db      *sql.DB
	prompts string
	nodes   []*clusterNode
	kam     *exec.Cmd
	kamAddr string // 127.0.0.1:PORT
	kamLog  string
	sippBin string
	pcap    string
	farURI  string // the bridge menu's far end (set before startNodes)
	hookURL string // a webhook receiver for every event ("": none), set before startNodes
}

// needCluster skips, saying what is missing, unless kamailio, sipp (and
// its DTMF pcap) and a PostgreSQL server are all there.
func needCluster(t *testing.T) *cluster {
	t.Helper()
	sipp, pcap := needClusterTools(t)
	return newCluster(t, storetest.Postgres(t), sipp, pcap) // skips without a server
}

// needClusterTools skips unless kamailio and sipp (with its DTMF pcap)
// are installed, and returns sipp's path and the pcap's.
func needClusterTools(t *testing.T) (sipp, pcap string) {
	t.Helper()
	testenv.SkipUnderRace(t, "a Kamailio cluster of ivrd processes under sipp load")
	if testing.Short() {
		t.Skip("-short: the Kamailio cluster test starts real processes")
	}
	if _, err := exec.LookPath("kamailio"); err != nil {
		t.Skip("kamailio not installed (apt-get install kamailio; .ci/run does)")
	}
	sipp, err := exec.LookPath("sipp")
	if err != nil {
		t.Skip("sipp not installed (apt-get install sip-tester; .ci/run does)")
	}
	pcap = "/usr/share/sip-tester/dtmf_2833_1.pcap"
	if _, err := os.Stat(pcap); err != nil {
		t.Skip("sip-tester's dtmf_2833_1.pcap not found")
	}
	return sipp, pcap
}

// newCluster builds ivrd and the test prompts for a cluster on dbURL.
func newCluster(t *testing.T, dbURL, sipp, pcap string) *cluster {
	t.Helper()
	var err error
	c := &cluster{t: t, dir: t.TempDir(), dbURL: dbURL, sippBin: sipp, pcap: pcap, farURI: "sip:nobody@127.0.0.1:9"}
	c.db, err = sql.Open("pgx", dbURL)
	require.NoError(t, err)
	t.Cleanup(func() { c.db.Close() })
	c.bin = filepath.Join(c.dir, "ivrd")
	build := exec.Command("go", "build", "-o", c.bin, "../cmd/ivrd")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	// Two tones any call can be told by: the menu before and after the
	// change (nodetest.Heard() names 440 and 1000), and a short beep as the menu
	// prompt of the load calls.
	c.prompts = filepath.Join(c.dir, "prompts")
	require.NoError(t, os.MkdirAll(c.prompts, 0o755))
	nodetest.WriteTone(t, filepath.Join(c.prompts, "low.wav"), 440, 2*time.Second)
	nodetest.WriteTone(t, filepath.Join(c.prompts, "beep.wav"), 500, 200*time.Millisecond)
	return c
}

// freePortOn finds a UDP and TCP port free on ip now.
func freePortOn(t *testing.T, ip string) int {
	t.Helper()
	for i := 0; i < 20; i++ {
		u, err := net.ListenPacket("udp", ip+":0")
		require.NoError(t, err)
		port := u.LocalAddr().(*net.UDPAddr).Port
		l, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
		u.Close()
		if err == nil {
			l.Close()
			return port
		}
	}
	t.Fatalf("no free port on %s", ip)
	return 0
}

// nodeConfig is every node's file: the same menus, its own addresses
// and node_id, the shared store. Menu "main" (100) is what sipp's
// scenarios expect: key 1 transfers by REFER to a sales@ URI. Menu
// "probe" (200) greets with the 440 Hz prompt; the test changes it.
// No overload guard: three nodes, Kamailio and sipp share a test
// machine, whose pacers' lateness measures the machine (a p99 past
// 1.5 ms would take a node out of the dispatcher); the guard's own test
// is overload_test.go.
const nodeConfig = `
server:
  node_id: NODE
  sip: { listen: ["udp://SIPADDR"] }
  media: { rtp_ports: "20000-23999", overload_guard: false }
  api:
    listen: "APIADDR"
    tokens: [{ name: test, token: "TOKEN", scope: write }]
  store: "STORE"
  # Each node's own (disk_full_test.go fills it).
  recordings_dir: "RECDIR"
  drain_timeout: 30s
prompts_dir: "PROMPTS"
# Every call comes from Kamailio: listed as a trunk's source, it is
# exempt from the per-source limits (README, "Running several nodes").
trunks:
  - { name: proxy, uri: "sip:127.0.0.1", inbound_from: ["127.0.0.1"] }
# Voicemail (cluster_state_test.go): box 1001 takes and plays messages,
# box 1002 is the one wrong PINs lock. A phone registers as 1001
# through Kamailio (cluster_registrar_test.go): menu "reach" (500) calls
# it as an extension (key 1) and as group "desk" (key 2).
extensions: [{ number: "1001", password: "PHONEPASS" }, { number: "1002" }]
groups: [{ id: desk, members: ["1001"], strategy: ringall, timeout: 20s }]
voicemail_boxes:
  - { box: "1001", pin: "4321" }
  - { box: "1002", pin: "2468", max_attempts: 1, lockout_after: 3, lockout: 10m }
WEBHOOKS
ivrs:
  - id: vm
    extensions: ["400"]
    prompt: beep
    prompt_repeat: 5
    keys: { "6": { voicemail: "1001" }, "7": { voicemail_check: "1001" }, "8": { voicemail_check: "1002" } }
  - id: taped
    extensions: ["600"]
    record: true
    prompt: beep
    prompt_repeat: 5
    keys: { "#": hangup }
  - id: reach
    extensions: ["500"]
    prompt: beep
    prompt_repeat: 5
    transfer: bridge
    keys: { "1": { extension: "1001" }, "2": { group: desk } }
  - id: main
    extensions: ["100"]
    prompt: beep
    prompt_repeat: 5
    transfer: refer
    keys:
      "1": { uri: "sales@127.0.0.1:5070" }
  - id: bridge
    extensions: ["300"]
    prompt: beep
    prompt_repeat: 5
    transfer: bridge
    keys:
      "1": { uri: "FARURI" } # sipp's pcap key (the chaos run's bridges)
      "2": { uri: "FARURI" }
  - id: probe
    extensions: ["200"]
    greeting: low
    prompt: low
    prompt_repeat: 5
    keys:
      "#": hangup
`

// startNodes starts n nodes on 127.0.0.11, .12, ... and waits until each
// serves.
func (c *cluster) startNodes(n int) {
	for i := 1; i <= n; i++ {
		ip := fmt.Sprintf("127.0.0.%d", 10+i)
		nd := &clusterNode{id: fmt.Sprintf("node-%d", i), ip: ip}
		nd.sip = net.JoinHostPort(ip, strconv.Itoa(freePortOn(c.t, ip)))
		apiAddr := net.JoinHostPort(ip, strconv.Itoa(freePortOn(c.t, ip)))
		nd.api = "http://" + apiAddr + "/api/v1"
		nd.cfg = filepath.Join(c.dir, nd.id+".yaml")
		text := strings.NewReplacer("NODE", nd.id, "SIPADDR", nd.sip, "APIADDR", apiAddr, "TOKEN", clusterToken,
			"STORE", c.dbURL, "PROMPTS", c.prompts, "FARURI", c.farURI, "PHONEPASS", phonePassword, "RECDIR", nd.recordings(c), "WEBHOOKS", c.webhooks()).Replace(nodeConfig)
		require.NoError(c.t, os.WriteFile(nd.cfg, []byte(text), 0o600))
		nd.logf = filepath.Join(c.dir, nd.id+".log")
		c.startNode(nd)
		c.nodes = append(c.nodes, nd)
	}
	for _, nd := range c.nodes {
		c.waitLog(nd, "ivrd serving", 60*time.Second) // three nodes starting at once on a loaded machine
	}
}

// webhooks is the configuration's webhooks section: one receiver for
// every event when the test has one.
func (c *cluster) webhooks() string {
	if c.hookURL == "" {
		return ""
	}
	return `webhooks: [{ name: test, url: "` + c.hookURL + `", secret: "cluster-test-webhook-secret" }]`
}

func (c *cluster) startNode(nd *clusterNode) {
	logf, err := os.Create(nd.logf)
	require.NoError(c.t, err)
	nd.cmd = exec.Command(c.bin, "serve", "--config", nd.cfg, "--log-level", "info")
	nd.cmd.Stdout, nd.cmd.Stderr = logf, logf
	require.NoError(c.t, nd.cmd.Start())
	nd.done = make(chan struct{})
	go func() {
		nd.err = nd.cmd.Wait()
		logf.Close()
		close(nd.done)
	}()
	c.t.Cleanup(func() {
		_ = nd.cmd.Process.Kill() // already gone when the test stopped it
		<-nd.done
	})
}

// startKamailio runs deploy/kamailio/kamailio.cfg with a dispatcher list
// of the nodes and waits until it answers OPTIONS.
func (c *cluster) startKamailio() {
	var list strings.Builder
	for _, nd := range c.nodes {
		fmt.Fprintf(&list, "1 sip:%s 0 0\n", nd.sip)
	}
	listPath := filepath.Join(c.dir, "dispatcher.list")
	require.NoError(c.t, os.WriteFile(listPath, []byte(list.String()), 0o644))
	cfg, err := filepath.Abs("../deploy/kamailio/kamailio.cfg")
	require.NoError(c.t, err)
	c.kamAddr = "127.0.0.1:" + strconv.Itoa(freePortOn(c.t, "127.0.0.1"))
	run := filepath.Join(c.dir, "kamailio")
	require.NoError(c.t, os.MkdirAll(run, 0o755))
	c.kamLog = filepath.Join(c.dir, "kamailio.log")
	logf, err := os.Create(c.kamLog)
	require.NoError(c.t, err)
	c.kam = exec.Command("kamailio", "-DD", "-E", "-m", "64", "-M", "8", "-f", cfg,
		"-A", "LISTEN_ADDR=udp:"+c.kamAddr, "-A", `DISPATCHER_LIST="`+listPath+`"`,
		"-A", "PROBE_INTERVAL="+strconv.Itoa(probeInterval),
		"-Y", run, "-w", run, "-P", filepath.Join(run, "kamailio.pid"))
	c.kam.Stdout, c.kam.Stderr = logf, logf
	// Its own process group: Kamailio forks its workers, and Cleanup
	// kills the group it started, by its id, workers included.
	c.kam.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	require.NoError(c.t, c.kam.Start())
	done := make(chan struct{})
	go func() { _ = c.kam.Wait(); logf.Close(); close(done) }() // exit status: it is killed
	pgid := c.kam.Process.Pid
	c.t.Cleanup(func() {
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-done
	})
	nodetest.WaitUntil(c.t, 15*time.Second, func() bool { return c.optionsAnswered(c.kamAddr) },
		func() string {
			return fmt.Sprintf("kamailio did not answer OPTIONS on %s\n%s", c.kamAddr, tailFile(c.kamLog, 3000))
		})
}

// optionsAnswered sends one OPTIONS to addr and says whether a 200 came.
func (c *cluster) optionsAnswered(addr string) bool {
	conn, err := net.Dial("udp", addr)
	if err != nil {
		return false
	}
	defer conn.Close()
	local := conn.LocalAddr().String()
	msg := "OPTIONS sip:" + addr + " SIP/2.0\r\nVia: SIP/2.0/UDP " + local + ";branch=z9hG4bK" + strconv.FormatInt(time.Now().UnixNano(), 36) +
		"\r\nFrom: <sip:probe@" + local + ">;tag=1\r\nTo: <sip:" + addr + ">\r\nCall-ID: " + strconv.FormatInt(time.Now().UnixNano(), 36) +
		"@test\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
	if _, err := conn.Write([]byte(msg)); err != nil {
		return false
	}
	_ = conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	buf := make([]byte, 2048)
	n, err := conn.Read(buf)
	return err == nil && strings.HasPrefix(string(buf[:n]), "SIP/2.0 200")
}

// waitLog waits until a node's log has a line containing s.
func (c *cluster) waitLog(nd *clusterNode, s string, limit time.Duration) {
	c.t.Helper()
	nodetest.WaitUntil(c.t, limit, func() bool {
		data, _ := os.ReadFile(nd.logf)
		if strings.Contains(string(data), s) {
			return true
		}
		select {
		case <-nd.done:
			c.t.Fatalf("%s exited (%v) before logging %q:\n%s", nd.id, nd.err, s, tailFile(nd.logf, 3000))
		default:
		}
		return false
	}, func() string { return fmt.Sprintf("%q not in %s:\n%s", s, nd.logf, tailFile(nd.logf, 3000)) })
}

func tailFile(path string, n int) string {
	data, _ := os.ReadFile(path)
	return nodetest.Tail(string(data), n)
}

// sippRun is one sipp run through Kamailio.
type sippRun struct {
	cmd  *exec.Cmd
	stat string
	out  string
	done chan struct{}
}

// sipp starts scenario (bench/sipp/NAME with DTMF_PCAP filled in) for
// calls calls at rate per second; it is killed in Cleanup if still running.
// Its pauses without a length last sipp's -d: 1000 ms unless extra says.
func (c *cluster) sipp(scenario string, rate float64, calls int, extra ...string) *sippRun {
	text, err := os.ReadFile("../bench/sipp/" + scenario)
	require.NoError(c.t, err)
	path := filepath.Join(c.dir, scenario)
	require.NoError(c.t, os.WriteFile(path, []byte(strings.ReplaceAll(string(text), "DTMF_PCAP", c.pcap)), 0o644))
	r := &sippRun{stat: filepath.Join(c.dir, fmt.Sprintf("sipp-%d.csv", time.Now().UnixNano())), done: make(chan struct{})}
	r.out = r.stat + ".out"
	args := append([]string{"-sf", path, "-s", "100", "-i", "127.0.0.1", "-p", strconv.Itoa(freePortOn(c.t, "127.0.0.1")),
		"-mi", "127.0.0.1", "-mp", strconv.Itoa(freePortOn(c.t, "127.0.0.1") &^ 1),
		"-r", strconv.FormatFloat(rate, 'f', -1, 64), "-m", strconv.Itoa(calls), "-d", "1000", // a later -d in extra wins
		"-recv_timeout", "12000", "-timeout", "120s", "-nostdin", "-trace_stat", "-stf", r.stat,
		"-trace_err", "-error_file", r.stat + ".err", "-trace_logs", "-log_file", r.stat + ".log"}, extra...)
	args = append(args, c.kamAddr)
	out, err := os.Create(r.out)
	require.NoError(c.t, err)
	r.cmd = exec.Command(c.sippBin, args...)
	r.cmd.Stdout, r.cmd.Stderr = out, out
	require.NoError(c.t, r.cmd.Start())
	go func() { _ = r.cmd.Wait(); out.Close(); close(r.done) }() // the counts are read from its stat file
	c.t.Cleanup(func() {
		_ = r.cmd.Process.Kill() // gone already when it finished
		<-r.done
	})
	return r
}

// wait waits for sipp to finish (bounded) and returns its successful and
// failed call counts.
func (r *sippRun) wait(t *testing.T, limit time.Duration) (ok, failed int) {
	t.Helper()
	select {
	case <-r.done:
	case <-time.After(limit):
		_ = r.cmd.Process.Kill() // the test fails below either way
		<-r.done
		t.Fatalf("sipp still running after %s:\n%s", limit, tailFile(r.out, 2000))
	}
	ok, failed = sippCounts(t, r.stat)
	if failed > 0 {
		t.Logf("sipp's errors (%s):\n%s", r.stat+".err", tailFile(r.stat+".err", 4000))
	}
	return ok, failed
}

// failedCalls are the Call-IDs of the calls logged as placed but not as
// completed (bench/sipp/proxy_call.xml logs both).
func (r *sippRun) failedCalls(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile(r.stat + ".log")
	require.NoError(t, err)
	placed, completed := map[string]bool{}, map[string]bool{}
	for _, line := range strings.Split(string(data), "\n") {
		if id, ok := strings.CutPrefix(strings.TrimSpace(line), "placed "); ok {
			placed[id] = true
		}
		if id, ok := strings.CutPrefix(strings.TrimSpace(line), "completed "); ok {
			completed[id] = true
		}
	}
	var failed []string
	for id := range placed {
		if !completed[id] {
			failed = append(failed, id)
		}
	}
	return failed
}

// sippStats reads a sipp -trace_stat file: the last line's columns and
// each column's largest value.
func sippStats(t *testing.T, path string) (last, most map[string]int) {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	last, most = map[string]int{}, map[string]int{}
	var header []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		fields := strings.Split(sc.Text(), ";")
		if header == nil {
			header = fields
			continue
		}
		for i, h := range header {
			if i >= len(fields) {
				break
			}
			if n, err := strconv.Atoi(strings.TrimSpace(fields[i])); err == nil {
				last[h] = n
				most[h] = max(most[h], n)
			}
		}
	}
	require.NoError(t, sc.Err())
	return last, most
}

// sippColumn is one column of the last line of sipp's -trace_stat
// file; the test fails without it.
func sippColumn(t *testing.T, path, name string) int {
	t.Helper()
	last, _ := sippStats(t, path)
	n, ok := last[name]
	require.True(t, ok, "no %s column in sipp's statistics %s", name, path)
	return n
}

// sippCounts reads SuccessfulCall(C) and FailedCall(C) from the last
// line of sipp's -trace_stat file.
func sippCounts(t *testing.T, path string) (ok, failed int) {
	t.Helper()
	return sippColumn(t, path, "SuccessfulCall(C)"), sippColumn(t, path, "FailedCall(C)")
}

// records counts call records by node and state.
func (c *cluster) records() map[string]map[string]int {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rows, err := c.db.QueryContext(ctx, `SELECT node, state, count(*) FROM call_records GROUP BY node, state`)
	require.NoError(c.t, err)
	defer rows.Close()
	out := map[string]map[string]int{}
	for rows.Next() {
		var node, state string
		var n int
		require.NoError(c.t, rows.Scan(&node, &state, &n))
		if out[node] == nil {
			out[node] = map[string]int{}
		}
		out[node][state] = n
	}
	require.NoError(c.t, rows.Err())
	return out
}

// configVersion is the shared store's configuration version.
func (c *cluster) configVersion() int64 {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var v int64
	require.NoError(c.t, c.db.QueryRowContext(ctx, `SELECT version FROM config_state WHERE id = 1`).Scan(&v))
	return v
}

// carrying waits (bounded) until each node named has a call in progress
// (a record 'started'): the load reaches them.
func (c *cluster) carrying(t *testing.T, nodes ...string) {
	t.Helper()
	nodetest.WaitUntil(t, 20*time.Second, func() bool {
		rec := c.records()
		return !slices.ContainsFunc(nodes, func(n string) bool { return rec[n]["started"] == 0 })
	}, func() string { return fmt.Sprintf("not every one of %v carries a call: %v", nodes, c.records()) })
}

// record is one call's node and state ("", "" when there is none).
func (c *cluster) record(callID string) (node, state string) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := c.db.QueryRowContext(ctx, `SELECT node, state FROM call_records WHERE call_id = $1`, callID).Scan(&node, &state)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ""
	}
	require.NoError(c.t, err)
	return node, state
}

// interrupted lists the Call-IDs of a node's interrupted calls.
func (c *cluster) interrupted(node string) map[string]bool {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rows, err := c.db.QueryContext(ctx, `SELECT call_id FROM call_records WHERE node = $1 AND state = 'interrupted'`, node)
	require.NoError(c.t, err)
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var id string
		require.NoError(c.t, rows.Scan(&id))
		out[id] = true
	}
	require.NoError(c.t, rows.Err())
	return out
}

// total is the number of records of a node, all states.
func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// apiDo sends one API request to a node with the write token.
func (c *cluster) apiDo(nd *clusterNode, method, path, contentType string, body []byte) int {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, nd.api+path, strings.NewReader(string(body)))
	require.NoError(c.t, err)
	req.Header.Set("Authorization", "Bearer "+clusterToken)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(c.t, err)
	res.Body.Close()
	return res.StatusCode
}
