package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// result is a run's figures (the JSON of --json).
type result struct {
	Calls         int            `json:"calls"`
	Rate          float64        `json:"rate"`
	Hold          float64        `json:"hold_s"`
	Codec         string         `json:"codec"`
	WindowSeconds float64        `json:"window_s"`
	Established   int            `json:"established"`
	Failed        int            `json:"failed"`
	Failures      map[string]int `json:"failures,omitempty"` // by stage: first error
	ByServer      int            `json:"hung_up_by_server"`
	ByeLost       int            `json:"bye_unanswered"`

	Received     int     `json:"packets_received"`
	LossPct      float64 `json:"loss_pct"`     // holes in the sequence numbers received, as ivrload counts loss
	PPS          float64 `json:"pps_per_call"` // received per call-second: under 50 when the server sent less (no hole in the sequence)
	AuthFails    int     `json:"srtp_auth_failures"`
	AuthErr      string  `json:"srtp_first_failure,omitempty"`
	Early        int     `json:"srtp_before_keys"`
	P50ms        float64 `json:"interval_error_p50_ms"`
	P99ms        float64 `json:"interval_error_p99_ms"`
	P999ms       float64 `json:"interval_error_p999_ms"`
	Maxms        float64 `json:"interval_error_max_ms"`
	MaxGapms     float64 `json:"max_gap_ms"`
	ServerCPUMs  float64 `json:"server_cpu_ms_per_call_second,omitempty"`
	ServerCPUPct float64 `json:"server_cpu_pct_of_one_cpu,omitempty"`
	SelfCPUMs    float64 `json:"self_cpu_ms_per_call_second"`
	Load1        string  `json:"loadavg_1m"`
	PacerTicks   uint64  `json:"pacer_ticks,omitempty"`
	PacerP99ms   float64 `json:"pacer_lateness_p99_le_ms,omitempty"` // the histogram bucket's upper bound
	PacerP999ms  float64 `json:"pacer_lateness_p999_le_ms,omitempty"`
	ProbeErr     string  `json:"probe_error,omitempty"`
}

// add sums the calls' outcomes and the window's probes.
func (r *result) add(calls []callResult, p *probes) {
	var errs []time.Duration
	var seqExpected, seqLost int64
	for _, c := range calls {
		if c.Err != nil {
			r.Failed++
			if r.Failures == nil {
				r.Failures = map[string]int{}
			}
			key := c.Stage + ": " + withoutAddrs(c.Err.Error())
			if len(key) > 120 {
				key = key[:120]
			}
			r.Failures[key]++
			continue
		}
		r.Established++
		if c.ByServer {
			r.ByServer++
		}
		if c.ByeLost {
			r.ByeLost++
		}
		s := c.Stats
		s.mu.Lock()
		errs = append(errs, s.errs...)
		r.Received += s.received
		r.AuthFails += s.authFails
		if s.authErr != "" && r.AuthErr == "" {
			r.AuthErr = s.authErr
		}
		r.Early += s.early
		r.MaxGapms = max(r.MaxGapms, float64(s.maxGap)/float64(time.Millisecond))
		if s.haveSeq {
			n := s.high - s.first + 1
			seqExpected += n
			seqLost += max(n-int64(s.received), 0)
		}
		s.mu.Unlock()
	}
	if cs := float64(r.Established) * r.WindowSeconds; cs > 0 {
		r.PPS = float64(r.Received) / cs
	}
	if seqExpected > 0 {
		r.LossPct = 100 * float64(seqLost) / float64(seqExpected)
	}
	slices.Sort(errs)
	q := func(f float64) float64 {
		if len(errs) == 0 {
			return 0
		}
		return float64(errs[int(f*float64(len(errs)-1))]) / float64(time.Millisecond)
	}
	r.P50ms, r.P99ms, r.P999ms, r.Maxms = q(0.5), q(0.99), q(0.999), q(1)
	r.Load1 = p.load1
	callSeconds := float64(r.Established) * r.WindowSeconds
	if callSeconds > 0 {
		r.SelfCPUMs = p.self.Seconds() * 1000 / callSeconds
		if p.server > 0 {
			r.ServerCPUMs = p.server.Seconds() * 1000 / callSeconds
			r.ServerCPUPct = 100 * p.server.Seconds() / r.WindowSeconds
		}
	}
	r.PacerTicks = p.pacerTicks
	r.PacerP99ms, r.PacerP999ms = p.pacerLe(0.99), p.pacerLe(0.999)
	r.ProbeErr = p.err
}

func (r *result) write(w io.Writer) {
	_, _ = fmt.Fprintf(w, "calls %d (%s, %.0f/s, hold %.0fs): %d set up, %d failed, %d hung up by the server, %d BYEs unanswered\n",
		r.Calls, r.Codec, r.Rate, r.Hold, r.Established, r.Failed, r.ByServer, r.ByeLost)
	for k, n := range r.Failures {
		_, _ = fmt.Fprintf(w, "  failed %dx: %s\n", n, k)
	}
	_, _ = fmt.Fprintf(w, "window %.1fs: %d packets received, %.2f a call-second, loss %.3f %%, SRTP failures %d, before keys %d\n",
		r.WindowSeconds, r.Received, r.PPS, r.LossPct, r.AuthFails, r.Early)
	if r.AuthErr != "" {
		_, _ = fmt.Fprintf(w, "  first SRTP failure: %s\n", r.AuthErr)
	}
	_, _ = fmt.Fprintf(w, "interval error (kernel timestamps): p50 %.3f ms, p99 %.3f ms, p99.9 %.3f ms, max %.3f ms; longest gap %.1f ms\n", r.P50ms, r.P99ms, r.P999ms, r.Maxms, r.MaxGapms)
	if r.ServerCPUMs > 0 {
		_, _ = fmt.Fprintf(w, "server CPU: %.3f ms per call-second (%.1f %% of one CPU)\n", r.ServerCPUMs, r.ServerCPUPct)
	}
	_, _ = fmt.Fprintf(w, "webrtcload CPU: %.3f ms per call-second; load average %s\n", r.SelfCPUMs, r.Load1)
	if r.PacerTicks > 0 {
		_, _ = fmt.Fprintf(w, "server pacer lateness over %d ticks: p99 <= %g ms, p99.9 <= %g ms\n", r.PacerTicks, r.PacerP99ms, r.PacerP999ms)
	}
	if r.ProbeErr != "" {
		_, _ = fmt.Fprintf(w, "probe: %s\n", r.ProbeErr)
	}
}

// withoutAddrs replaces each address and port in an error (a call's
// own) with ADDR, so that failures of one kind are counted together.
func withoutAddrs(s string) string {
	f := strings.Fields(s)
	for i, w := range f {
		if _, err := netip.ParseAddrPort(strings.TrimRight(w, ":,")); err == nil {
			f[i] = "ADDR" + w[len(strings.TrimRight(w, ":,")):]
		}
	}
	return strings.Join(f, " ")
}

// probes samples, at the window's edges, the server's CPU time, this
// process's, the load average and the server's pacer lateness histogram.
type probes struct {
	server, self time.Duration
	load1        string
	pacerTicks   uint64
	pacerBuckets []bucket // the window's counts, cumulative
	err          string
}

// bucket is one histogram bucket: its upper bound and cumulative count.
type bucket struct {
	le    float64
	count uint64
}

func (p *probes) run(ctx context.Context, w *window, from, to time.Time, pid int, metricsURL string) {
	if to.Sub(from) < time.Second {
		p.err = fmt.Sprintf("no window: the first call's hold ends %s after the last call was up and settled; give a longer --hold", to.Sub(from).Round(time.Millisecond))
		return
	}
	if !sleepUntil(ctx, from) {
		return
	}
	w.set(from, to)
	s0, self0 := procCPU(pid), selfCPU()
	h0, err0 := scrape(ctx, metricsURL)
	if !sleepUntil(ctx, to) {
		return
	}
	s1, self1 := procCPU(pid), selfCPU()
	h1, err1 := scrape(ctx, metricsURL)
	p.self = self1 - self0
	if s0 >= 0 && s1 >= 0 {
		p.server = s1 - s0
	} else if pid > 0 {
		p.err = fmt.Sprintf("cannot read /proc/%d/stat", pid)
	}
	p.load1 = loadAvg()
	if err := cmpErr(err0, err1); err != nil {
		p.err = strings.TrimSpace(p.err + " " + err.Error())
		return
	}
	if len(h0) == len(h1) {
		for i := range h1 {
			p.pacerBuckets = append(p.pacerBuckets, bucket{le: h1[i].le, count: h1[i].count - h0[i].count})
		}
		if n := len(p.pacerBuckets); n > 0 {
			p.pacerTicks = p.pacerBuckets[n-1].count
		}
	}
}

func cmpErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// pacerLe is the upper bound of the bucket holding quantile q (0: no
// ticks; +Inf bucket: reported as the largest finite bound times 10).
func (p *probes) pacerLe(q float64) float64 {
	if p.pacerTicks == 0 {
		return 0
	}
	want := uint64(q * float64(p.pacerTicks))
	for _, b := range p.pacerBuckets {
		if b.count >= want {
			return b.le * 1000
		}
	}
	return 0
}

func sleepUntil(ctx context.Context, t time.Time) bool {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// scrape reads the ivrd_pacer_lateness_seconds buckets (none without a
// URL).
func scrape(ctx context.Context, url string) ([]bucket, error) {
	if url == "" {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("metrics: %s", resp.Status)
	}
	return pacerBuckets(resp.Body)
}

// pacerBuckets reads the lateness histogram's buckets from Prometheus'
// text format.
func pacerBuckets(r io.Reader) ([]bucket, error) {
	const prefix = `ivrd_pacer_lateness_seconds_bucket{le="`
	var out []bucket
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), prefix)
		if !ok {
			continue
		}
		le, count, ok := strings.Cut(rest, `"} `)
		if !ok {
			continue
		}
		bound, err := strconv.ParseFloat(le, 64)
		if err != nil {
			continue // +Inf parses; anything else is not a bound
		}
		n, err := strconv.ParseFloat(strings.Fields(count)[0], 64)
		if err != nil || n < 0 {
			continue
		}
		out = append(out, bucket{le: bound, count: uint64(n)})
	}
	return out, sc.Err()
}

// procCPU is a process's user+system time from /proc/PID/stat (-1: not
// readable). The command name may hold spaces and parentheses, so the
// fields are counted from the last ')'.
func procCPU(pid int) time.Duration {
	if pid <= 0 {
		return -1
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return -1
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return -1
	}
	f := bytes.Fields(b[i+1:])
	if len(f) < 13 {
		return -1
	}
	u, err1 := strconv.ParseUint(string(f[11]), 10, 64)
	s, err2 := strconv.ParseUint(string(f[12]), 10, 64)
	if err1 != nil || err2 != nil {
		return -1
	}
	const userHZ = 100 // /proc's clock ticks on every Linux Go runs on
	return time.Duration(u+s) * time.Second / userHZ
}

func selfCPU() time.Duration {
	var ru unix.Rusage
	if unix.Getrusage(unix.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	if f := bytes.Fields(b); len(f) > 0 {
		return string(f[0])
	}
	return ""
}
