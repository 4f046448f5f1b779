package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestClusterThroughput measures what bench/RESULTS.md reports for
// "Several nodes behind Kamailio": 1, 2 and 3 nodes behind Kamailio, each
// offered short calls (bench/sipp/proxy_load_call.xml: INVITE, 200, ACK, a
// second of the menu, BYE) at a few rates for 10 s, with the CPU time of
// Kamailio (all its processes) and of the nodes over each run. Only with
// IVRD_CLUSTER_BENCH=1: it is a measurement, not a check, and loads the
// machine for a few minutes. Rates: IVRD_CLUSTER_RATES (default
// "200,400,700").
func TestClusterThroughput(t *testing.T) {
	if os.Getenv("IVRD_CLUSTER_BENCH") == "" {
		t.Skip("a measurement: run with IVRD_CLUSTER_BENCH=1 (bench/RESULTS.md)")
	}
	rates := []int{200, 400, 700}
	if env := os.Getenv("IVRD_CLUSTER_RATES"); env != "" {
		rates = nil
		for _, f := range strings.Split(env, ",") {
			r, err := strconv.Atoi(strings.TrimSpace(f))
			require.NoError(t, err)
			rates = append(rates, r)
		}
	}
	hz := clockTicks(t)
	var report strings.Builder
	fmt.Fprintln(&report, "| nodes | offered | attempted | successful | failed | retransmissions | successful/s | Kamailio CPU | Kamailio CPU per call | nodes' CPU | load average before | failures seen |")
	fmt.Fprintln(&report, "|---|---|---|---|---|---|---|---|---|---|---|---|")
	for _, n := range []int{1, 2, 3} {
		t.Run(fmt.Sprintf("%d nodes", n), func(t *testing.T) {
			c := needCluster(t)
			c.startNodes(n)
			c.startKamailio()
			for _, rate := range rates {
				const seconds = 10
				load := loadAverage(t)
				kam0, nodes0 := c.cpuTicks(t)
				start := time.Now()
				run := c.sipp("proxy_load_call.xml", float64(rate), rate*seconds, "-d", "1000", "-l", strconv.Itoa(rate*4))
				ok, failed := run.wait(t, 30*time.Second+seconds*time.Second)
				wall := time.Since(start).Seconds()
				kam1, nodes1 := c.cpuTicks(t)
				retrans := sippColumn(t, run.stat, "Retransmissions(C)")
				kamSec := float64(kam1-kam0) / hz
				nodeSec := float64(nodes1-nodes0) / hz
				perCall := 0.0
				if ok > 0 {
					perCall = kamSec / float64(ok) * 1e6
				}
				fmt.Fprintf(&report, "| %d | %d/s | %d | %d | %d | %d | %.0f | %.1f %% | %.0f µs | %.1f %% | %s | %s |\n",
					n, rate, rate*seconds, ok, failed, retrans, float64(ok)/wall, 100*kamSec/wall, perCall, 100*nodeSec/wall,
					load, failureKinds(run.stat+".err"))
				c.waitSettled(t, c.nodeIDs()...) // the last calls' records written
			}
		})
	}
	t.Logf("CPU as %% of one core over the run's wall time (sipp included in the wall time: ramp and the last calls' hold)\n%s", report.String())
}

// loadAverage is the 1-minute load average: the machine is shared, and
// what else ran shows in it.
func loadAverage(t *testing.T) string {
	data, err := os.ReadFile("/proc/loadavg")
	require.NoError(t, err)
	return strings.Fields(string(data))[0]
}

// failureKinds counts the kinds of failure in sipp's error file.
func failureKinds(path string) string {
	data, _ := os.ReadFile(path)
	s := string(data)
	var out []string
	for _, k := range []struct{ name, pattern string }{
		{"receive timeout", "receive timeout"},
		{"503 from Kamailio", "received 'SIP/2.0 503 No Node Available"},
		{"503 from a node", "received 'SIP/2.0 503 Service Unavailable"},
		{"408", "received 'SIP/2.0 408"},
		{"unexpected message (the 503s included)", "unexpected message"},
	} {
		if n := strings.Count(s, k.pattern); n > 0 {
			out = append(out, fmt.Sprintf("%s: %d", k.name, n))
		}
	}
	return strings.Join(out, ", ")
}

// cpuTicks is the user+system time so far of Kamailio (every process of
// its group) and of the nodes, in clock ticks.
func (c *cluster) cpuTicks(t *testing.T) (kamailio, nodes int64) {
	t.Helper()
	pgid := c.kam.Process.Pid
	entries, err := os.ReadDir("/proc")
	require.NoError(t, err)
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		grp, ticks, ok := procTicks(pid)
		if ok && grp == pgid {
			kamailio += ticks
		}
	}
	for _, nd := range c.nodes {
		if _, ticks, ok := procTicks(nd.cmd.Process.Pid); ok {
			nodes += ticks
		}
	}
	return kamailio, nodes
}

// procTicks reads a process's group and utime+stime from /proc/PID/stat.
func procTicks(pid int) (pgrp int, ticks int64, ok bool) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, false
	}
	// The command name may hold spaces: the fields start after its ')'.
	s := string(data)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0, 0, false
	}
	pgrp, _ = strconv.Atoi(f[2])
	u, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return pgrp, u + st, true
}

func clockTicks(t *testing.T) float64 {
	out, err := exec.Command("getconf", "CLK_TCK").Output()
	require.NoError(t, err)
	hz, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
	require.NoError(t, err)
	return hz
}
