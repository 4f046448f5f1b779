package ivrload

import (
	"context"
	"fmt"
	"net/netip"
	"runtime"
	"sync"
	"time"
)

// AgentConfig is the media half of calls another program places: sipp
// (bench/sippload.sh) sends the INVITEs, each offering the RTP port its
// call number gives (PortMin, PortMin+2, ...), and the agent is every
// call's phone: it binds those ports, waits for the target's first packet
// on each, then sends caller audio back to where it came from (symmetric
// RTP), its calls evenly spread over the 20 ms period as ivrload's own
// are, and measures what it receives with kernel timestamps. So the SIP
// side of the measurement is independent of ivrload; the media side is
// the same code, which is what makes the two figures comparable.
type AgentConfig struct {
	LocalIP netip.Addr    // the address the offers name (default 127.0.0.1)
	PortMin int           // call i (from 0) gets RTP port PortMin+2i
	Calls   int           // ports bound: the calls sipp places
	From    time.Duration // the measuring window, from the agent's start
	To      time.Duration //
	Until   time.Duration // when the agent stops (after the last call ended)
	PID     int           // the target's process, for its CPU (0: not measured)
	Workers int           // media workers (default GOMAXPROCS)
	Slots   int           // sending slots per 20 ms per worker, as Config.Slots
	Target  string        // named in the result only
}

func (c *AgentConfig) fill() error {
	if c.Calls <= 0 {
		return fmt.Errorf("ivrload agent: calls must be positive")
	}
	if c.PortMin <= 0 || c.PortMin+2*c.Calls > 65536 {
		return fmt.Errorf("ivrload agent: %d calls from port %d do not fit below 65536", c.Calls, c.PortMin)
	}
	if !(0 <= c.From && c.From+time.Second <= c.To && c.To <= c.Until) {
		return fmt.Errorf("ivrload agent: want 0 <= from, a window of at least 1 s, to <= until (from %v, to %v, until %v)", c.From, c.To, c.Until)
	}
	if !c.LocalIP.IsValid() {
		c.LocalIP = netip.AddrFrom4([4]byte{127, 0, 0, 1})
	}
	if c.Workers <= 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	return checkSlots(c.Slots)
}

// RunAgent binds the calls' ports, plays every call's phone until Until
// (or ctx ends) and returns the figures as a load run's: a call counts as
// answered from the target's first packet; one that never got a packet
// failed ("no RTP from target").
func RunAgent(ctx context.Context, cfg AgentConfig) (*Result, error) {
	if err := cfg.fill(); err != nil {
		return nil, err
	}
	r := &runner{cfg: Config{Target: cfg.Target, Transport: TransportUDP, Calls: cfg.Calls, PID: cfg.PID, Codec: CodecPCMU}}
	audio := callerAudio("noise", CodecPCMU)
	media := make([]*mediaCall, 0, cfg.Calls)
	closeAll := func() {
		for _, m := range media {
			m.sock.close()
		}
	}
	for i := 0; i < cfg.Calls; i++ {
		sock, err := openRTPSocket(cfg.LocalIP, uint16(cfg.PortMin+2*i))
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("ivrload agent: RTP port %d: %w", cfg.PortMin+2*i, err)
		}
		media = append(media, &mediaCall{sock: sock, ssrc: 0x5a9e0000 + uint32(i), audio: audio, audioPT: 0, latch: true, removed: make(chan struct{})})
	}

	t0 := time.Now()
	win := window{from: t0.Add(cfg.From).UnixNano(), to: t0.Add(cfg.To).UnixNano()}
	mediaCtx, stopMedia := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for i := 0; i < cfg.Workers; i++ {
		w, err := newWorker(win, cfg.Slots)
		if err != nil {
			stopMedia()
			wg.Wait()
			closeAll()
			return nil, err
		}
		r.workers = append(r.workers, w)
	}
	for i, m := range media {
		r.workers[i%len(r.workers)].add(m)
	}
	for i, w := range r.workers {
		wg.Add(1)
		go func(phase time.Duration) {
			defer wg.Done()
			w.run(mediaCtx, phase)
		}(w.phase(i, len(r.workers)))
	}

	var cpu cpuWindow
	sleepUntil(ctx, time.Unix(0, win.from))
	cpu.begin(cfg.PID)
	sleepUntil(ctx, time.Unix(0, win.to))
	cpu.end(cfg.PID)
	sleepUntil(ctx, t0.Add(cfg.Until))
	end := time.Now()
	stopMedia()
	wg.Wait() // the workers release every call they hold: its statistics are final

	if ctx.Err() != nil {
		win.to = min(win.to, end.UnixNano())
		win.from = min(win.from, win.to)
	}
	calls := make([]*sipCall, len(media))
	for i, m := range media {
		c := &sipCall{r: r, idx: i}
		c.out.m = m
		if m.latchedAt == 0 {
			c.failf("no RTP from target")
		} else {
			c.out.answeredAt = time.Unix(0, m.latchedAt)
			c.out.endedAt = time.Unix(0, m.rx.lastAt) // its last packet: the call's media end
		}
		calls[i] = c
	}
	return r.result(calls, win, false, &cpu), nil
}
