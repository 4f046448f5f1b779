package ivrload

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Result is a run's figures; it is also the JSON that --json writes.
// Durations are milliseconds, CPU shares percent of one core.
type Result struct {
	Target      string         `json:"target"`
	Transport   string         `json:"transport"`
	Connections int            `json:"tls_connections,omitempty"` // TLS: connections the calls were spread over
	Redialled   int64          `json:"calls_on_redialled_connections,omitempty"`
	Calls       int            `json:"calls"`
	Rate        float64        `json:"rate"`
	HoldMs      float64        `json:"hold_ms"`
	Placed      int            `json:"placed"`
	Answered    int            `json:"answered"`
	Succeeded   int            `json:"succeeded"`
	Failed      int            `json:"failed"`
	Failures    map[string]int `json:"failures"` // reason ("INVITE 503", "no REFER") -> calls
	SetupP50Ms  float64        `json:"setup_p50_ms"`
	SetupP99Ms  float64        `json:"setup_p99_ms"`
	Window      WindowResult   `json:"window"`
	RTP         RTPResult      `json:"rtp"`
	Digit       *DigitResult   `json:"digit,omitempty"`
	TargetCPU   *CPUResult     `json:"target_cpu,omitempty"`
	SelfCPU     CPUResult      `json:"self_cpu"`
	Pacing      PacingResult   `json:"pacing"`
	TargetError string         `json:"target_cpu_error,omitempty"`
	LoadAvg     [2]string      `json:"loadavg_1min"` // at the window's start and end
}

// WindowResult is the stretch the RTP and CPU figures cover.
type WindowResult struct {
	Start       time.Time `json:"start"`
	Seconds     float64   `json:"seconds"`
	Whole       bool      `json:"whole_run"` // no steady stretch: ramp and hang-ups included
	CallSeconds float64   `json:"call_seconds"`
}

// RTPResult sums up the audio received in the window, over all calls.
type RTPResult struct {
	Streams        int       `json:"streams"`
	Packets        uint64    `json:"packets"`
	Lost           uint64    `json:"lost"`
	LossPct        float64   `json:"loss_pct"`
	StreamsLossy   int       `json:"streams_with_loss"`
	StreamsSilent  int       `json:"streams_silent"` // answered calls that got nothing in the window
	PPS            float64   `json:"packets_per_second_per_call"`
	ErrP50Ms       float64   `json:"err_p50_ms"` // |inter-arrival − 20 ms|
	ErrP99Ms       float64   `json:"err_p99_ms"`
	ErrP999Ms      float64   `json:"err_p999_ms"`
	ErrMaxMs       float64   `json:"err_max_ms"`
	MaxGapMs       float64   `json:"max_gap_ms"`
	MaxGapEnd      time.Time `json:"max_gap_end"` // when the longest gap ended
	GapsOver100ms  int       `json:"streams_with_gap_over_100ms"`
	Intervals      uint64    `json:"intervals"`
	Sent           uint64    `json:"sent"` // whole run
	SendErrors     uint64    `json:"send_errors"`
	BadPackets     uint64    `json:"bad_packets"`
	RTCPPackets    uint64    `json:"rtcp_on_rtp_ports"` // the target's reports that reached an RTP socket (ignored)
	NewSourceCalls int       `json:"calls_with_new_ssrc"`
}

// DigitResult is the key press and what it caused.
type DigitResult struct {
	Key     string  `json:"key"`
	Method  string  `json:"method"`
	Expect  string  `json:"expect"`
	Pressed int     `json:"pressed"`
	Actions int     `json:"actions"`
	P50Ms   float64 `json:"latency_p50_ms"` // key sent -> REFER/BYE/re-INVITE received
	P99Ms   float64 `json:"latency_p99_ms"`
	MaxMs   float64 `json:"latency_max_ms"`
}

// CPUResult is a process's CPU over the window.
type CPUResult struct {
	PID             int     `json:"pid,omitempty"`
	Percent         float64 `json:"percent_of_one_core"`
	MsPerCallSecond float64 `json:"ms_per_call_second"`
}

// PacingResult is how well this generator kept its own 20 ms pace.
type PacingResult struct {
	Workers      int     `json:"workers"`
	LateP99Ms    float64 `json:"late_p99_ms"`
	LateMaxMs    float64 `json:"late_max_ms"`
	SkippedTicks uint64  `json:"skipped_ticks"`
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

func (r *runner) result(calls []*sipCall, win window, whole bool, cpu *cpuWindow) *Result {
	cfg := &r.cfg
	res := &Result{Target: cfg.Target, Transport: cfg.Transport, Calls: cfg.Calls, Rate: cfg.Rate, HoldMs: ms(cfg.Hold), Placed: len(calls), Failures: map[string]int{}}
	if cfg.Transport == TransportTLS {
		res.Connections = len(r.endpoints)
		for _, ep := range r.endpoints {
			res.Redialled += ep.redials.Load()
		}
	}
	winSec := float64(win.to-win.from) / 1e9
	res.Window = WindowResult{Start: time.Unix(0, win.from).UTC(), Seconds: winSec, Whole: whole}

	var err, late histogram
	for _, w := range r.workers {
		err.merge(&w.errHist)
		late.merge(&w.lateHist)
		res.Pacing.SkippedTicks += w.skipped
	}
	res.Pacing.Workers = len(r.workers)
	res.Pacing.LateP99Ms = ms(late.quantile(0.99))
	res.Pacing.LateMaxMs = ms(time.Duration(late.max))

	var setups, lat []time.Duration
	var rxPackets uint64
	for _, c := range calls {
		o := &c.out
		if o.fail != "" {
			res.Failed++
			res.Failures[o.fail]++
		} else {
			res.Succeeded++
		}
		if o.answeredAt.IsZero() {
			continue
		}
		res.Answered++
		setups = append(setups, o.setup)
		if o.m == nil {
			continue
		}
		rx := &o.m.rx
		res.RTP.Sent += o.m.sent
		res.RTP.SendErrors += o.m.sendErrs
		res.RTP.BadPackets += rx.badPackets
		res.RTP.RTCPPackets += rx.rtcp
		if rx.newSSRCAt != 0 {
			res.RTP.NewSourceCalls++
		}
		// call-seconds inside the window
		from := max(o.answeredAt.UnixNano(), win.from)
		to := min(o.endedAt.UnixNano(), win.to)
		if to > from {
			res.Window.CallSeconds += float64(to-from) / 1e9
			res.RTP.Streams++
			if rx.received == 0 {
				res.RTP.StreamsSilent++
			}
		}
		res.RTP.Packets += rx.received
		rxPackets += rx.received
		if l := rx.lost(); l > 0 {
			res.RTP.Lost += l
			res.RTP.StreamsLossy++
		}
		if g := float64(rx.maxGap) / 1e6; g > res.RTP.MaxGapMs {
			res.RTP.MaxGapMs, res.RTP.MaxGapEnd = g, time.Unix(0, rx.maxGapAt).UTC()
		}
		if rx.maxGap > int64(100*time.Millisecond) {
			res.RTP.GapsOver100ms++
		}
		if o.digitSent != 0 && o.actionAt != 0 {
			lat = append(lat, time.Duration(o.actionAt-o.digitSent))
		}
	}
	if exp := res.RTP.Packets + res.RTP.Lost; exp > 0 {
		res.RTP.LossPct = 100 * float64(res.RTP.Lost) / float64(exp)
	}
	if res.Window.CallSeconds > 0 {
		res.RTP.PPS = float64(rxPackets) / res.Window.CallSeconds
	}
	res.RTP.Intervals = err.n
	res.RTP.ErrP50Ms = ms(err.quantile(0.50))
	res.RTP.ErrP99Ms = ms(err.quantile(0.99))
	res.RTP.ErrP999Ms = ms(err.quantile(0.999))
	res.RTP.ErrMaxMs = ms(time.Duration(err.max))
	res.SetupP50Ms, res.SetupP99Ms = ms(pct(setups, 0.5)), ms(pct(setups, 0.99))

	if cfg.Digit != 0 {
		d := &DigitResult{Key: string(cfg.Digit), Method: cfg.DigitMethod, Expect: cfg.Expect, Actions: len(lat)}
		for _, c := range calls {
			if c.out.digitSent != 0 {
				d.Pressed++
			}
		}
		d.P50Ms, d.P99Ms, d.MaxMs = ms(pct(lat, 0.5)), ms(pct(lat, 0.99)), ms(pct(lat, 1))
		res.Digit = d
	}

	res.LoadAvg = [2]string{cpu.load0, cpu.load1}
	cpuSec := cpu.at1.Sub(cpu.at0).Seconds()
	share := func(d time.Duration) CPUResult {
		c := CPUResult{}
		if cpuSec > 0 {
			c.Percent = 100 * d.Seconds() / cpuSec
		}
		// The CPU window and the RTP window are the same stretch, so
		// the call-seconds in it are the denominator.
		if cs := callSecondsIn(calls, cpu.at0.UnixNano(), cpu.at1.UnixNano()); cs > 0 {
			c.MsPerCallSecond = ms(d) / cs
		}
		return c
	}
	res.SelfCPU = share(cpu.self1 - cpu.self0)
	if cpu.targetMeasured {
		t := share(cpu.target1 - cpu.target0)
		t.PID = cfg.PID
		res.TargetCPU = &t
	} else if cpu.targetErr != nil {
		res.TargetError = cpu.targetErr.Error()
	}
	return res
}

func callSecondsIn(calls []*sipCall, from, to int64) float64 {
	s := 0.0
	for _, c := range calls {
		if c.out.answeredAt.IsZero() || c.out.endedAt.IsZero() {
			continue
		}
		a := max(c.out.answeredAt.UnixNano(), from)
		b := min(c.out.endedAt.UnixNano(), to)
		if b > a {
			s += float64(b-a) / 1e9
		}
	}
	return s
}

func pct(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	i := int(q*float64(len(d))+0.5) - 1
	return d[min(max(i, 0), len(d)-1)]
}

// Summary is the one-line report.
func (r *Result) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "calls=%d answered=%d ok=%d failed=%d", r.Placed, r.Answered, r.Succeeded, r.Failed)
	if r.Connections > 0 {
		fmt.Fprintf(&b, " tls_connections=%d redialled=%d", r.Connections, r.Redialled)
	}
	if r.Answered > 0 {
		fmt.Fprintf(&b, " setup_p50=%.1fms p99=%.1fms", r.SetupP50Ms, r.SetupP99Ms)
	}
	if r.Failed > 0 {
		reasons := make([]string, 0, len(r.Failures))
		for k, v := range r.Failures {
			reasons = append(reasons, fmt.Sprintf("%s:%d", k, v))
		}
		sort.Strings(reasons)
		fmt.Fprintf(&b, " (%s)", strings.Join(reasons, ", "))
	}
	w := "window"
	if r.Window.Whole {
		w = "whole-run"
	}
	fmt.Fprintf(&b, " %s=%.1fs streams=%d pps=%.1f loss=%.3f%% err_p50=%.2fms p99=%.2fms p999=%.2fms max_gap=%.1fms",
		w, r.Window.Seconds, r.RTP.Streams, r.RTP.PPS, r.RTP.LossPct, r.RTP.ErrP50Ms, r.RTP.ErrP99Ms, r.RTP.ErrP999Ms, r.RTP.MaxGapMs)
	if d := r.Digit; d != nil {
		fmt.Fprintf(&b, " key=%s/%s pressed=%d %s=%d latency_p50=%.0fms p99=%.0fms", d.Key, d.Method, d.Pressed, d.Expect, d.Actions, d.P50Ms, d.P99Ms)
	}
	if t := r.TargetCPU; t != nil {
		fmt.Fprintf(&b, " target_cpu=%.1f%% (%.3f ms/call-s)", t.Percent, t.MsPerCallSecond)
	}
	fmt.Fprintf(&b, " self_cpu=%.1f%% (%.3f ms/call-s) self_late_p99=%.2fms loadavg=%s/%s", r.SelfCPU.Percent, r.SelfCPU.MsPerCallSecond, r.Pacing.LateP99Ms, r.LoadAvg[0], r.LoadAvg[1])
	return b.String()
}

// MarkdownTable renders runs as the capacity sweep's table, one row per
// run, in the order given. ivrload's own lateness is in it because a
// stall of the whole machine (a busy neighbour, a throttled VM) shows in
// both: a gap in the target's audio while ivrload ran late too is the
// machine's, not the target's.
func MarkdownTable(runs []*Result) string {
	var b strings.Builder
	b.WriteString("| calls | target CPU (one core) | CPU ms per call-second | RTP loss | p99 abs(Δt − 20 ms) | p999 | max gap | failed | ivrload CPU | ivrload late p99 / max | load avg |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range runs {
		cpu, per := "-", "-"
		if t := r.TargetCPU; t != nil {
			cpu, per = fmt.Sprintf("%.1f %%", t.Percent), fmt.Sprintf("%.2f", t.MsPerCallSecond)
		}
		failed := fmt.Sprint(r.Failed)
		if r.Failed > 0 {
			reasons := make([]string, 0, len(r.Failures))
			for k, v := range r.Failures {
				reasons = append(reasons, fmt.Sprintf("%s: %d", k, v))
			}
			sort.Strings(reasons)
			failed += " (" + strings.Join(reasons, ", ") + ")"
		}
		fmt.Fprintf(&b, "| %d | %s | %s | %.3f %% | %.2f ms | %.2f ms | %.1f ms | %s | %.1f %% | %.1f / %.0f ms | %s-%s |\n",
			r.Placed, cpu, per, r.RTP.LossPct, r.RTP.ErrP99Ms, r.RTP.ErrP999Ms, r.RTP.MaxGapMs, failed, r.SelfCPU.Percent,
			r.Pacing.LateP99Ms, r.Pacing.LateMaxMs, r.LoadAvg[0], r.LoadAvg[1])
	}
	return b.String()
}
