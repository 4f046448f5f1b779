package media

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"runtime"
	"sync"
	"time"
)

// EngineConfig sizes the engine.
type EngineConfig struct {
	BindIP           netip.Addr // address RTP sockets bind to
	PortMin, PortMax int        // RTP port range: RTP on even ports, RTCP on the odd one above
	// Pacers is the number of pacing loops; 0 = GOMAXPROCS. Fewer than
	// GOMAXPROCS leaves Go processors for the rest of the program, and
	// then a pacer that blocks for its tick keeps its own (see
	// yieldTicks): ivrd serve on two CPUs or more runs one per CPU and
	// doubles GOMAXPROCS.
	Pacers       int
	RTCPInterval time.Duration // between RTCP reports (randomised ±50%); 0 = 5 s, < 0 = none
	Log          *slog.Logger  // nil: slog.Default()
	// OnLate, when set, hears how late each pacer turn's frames went out
	// (the last of them handed to the kernel) against its 1 ms schedule
	// (the metrics' pacer lateness); it runs on the pacer
	// loop, so it must be quick and must not block.
	OnLate func(late time.Duration)
	// RealtimePriority, when above 0, has each pacer lock its loop to an
	// OS thread and ask for SCHED_FIFO at that priority (Linux): sending
	// on time is what callers hear, and a busy host's other processes
	// then wait for the pacers rather than the other way round. Refused
	// (no RLIMIT_RTPRIO, no CAP_SYS_NICE), the pacers run as before and
	// Scheduling says why.
	RealtimePriority int
	// OverloadGuard makes Overloaded report the pacers' lateness
	// (overload.go); off, it is always false (an engine used without the
	// server's admission, as in the SIP layer's own tests).
	OverloadGuard bool
	// Epoll keeps the pacers on their epoll loop, a system call a packet,
	// even where the host allows io_uring (a kernel whose io_uring the
	// operator does not trust); MediaIO says which loop runs.
	Epoll bool

	// spareProcs: Go has processors beyond the pacers' (set by
	// NewEngine from Pacers and GOMAXPROCS).
	spareProcs bool
	// noYield keeps a blocking loop from its yield even with processors
	// to spare (a test measures what the yield saves).
	noYield bool
	// ringBuffers replaces the io_uring pacers' receive buffer count
	// (tests run a ring short of buffers); 0 is ringBufs.
	ringBuffers uint16
}

// Engine owns the port pool and the pacers shared by every session.
type Engine struct {
	cfg    EngineConfig
	log    *slog.Logger
	pacers []*pacer

	identity identity // the DTLS certificate of WebRTC calls (webrtc.go)

	mu     sync.Mutex
	inUse  map[int]bool
	closed bool
}

// NewEngine validates the port range and starts the pacers.
func NewEngine(cfg EngineConfig) (*Engine, error) {
	if !cfg.BindIP.IsValid() {
		cfg.BindIP = netip.IPv4Unspecified()
	}
	if cfg.PortMin%2 == 1 {
		cfg.PortMin++
	}
	if cfg.PortMin <= 0 || cfg.PortMax > 65535 || cfg.PortMin > cfg.PortMax {
		return nil, fmt.Errorf("media: bad RTP port range %d-%d", cfg.PortMin, cfg.PortMax)
	}
	if cfg.Pacers <= 0 {
		cfg.Pacers = runtime.GOMAXPROCS(0)
	}
	cfg.spareProcs = runtime.GOMAXPROCS(0) > cfg.Pacers
	if cfg.RTCPInterval == 0 {
		cfg.RTCPInterval = 5 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	e := &Engine{cfg: cfg, log: cfg.Log, inUse: map[int]bool{}}
	for i := 0; i < cfg.Pacers; i++ {
		p, err := newPacer(cfg)
		if err != nil {
			e.Close() // stops the pacers already started
			return nil, err
		}
		e.pacers = append(e.pacers, p)
	}
	return e, nil
}

// Close stops the pacers. Sessions should be closed first.
func (e *Engine) Close() {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return
	}
	e.closed = true
	e.mu.Unlock()
	for _, p := range e.pacers {
		p.stop()
	}
}

// bindPort binds a free even port chosen at random and the odd one above
// it (RTCP), skipping pairs some other program holds. Random, not in
// order: a port handed out next is a port a stranger can guess and send
// RTP to (issue 13). A few random draws find a free pair while the range
// is mostly free; after them a scan from a random start finds the last
// free pairs of a nearly full range.
func (e *Engine) bindPort() (rtpSock, rtcpSock *udpSock, port int, err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil, nil, 0, ErrEngineClosed
	}
	count := (e.cfg.PortMax-e.cfg.PortMin)/2 + 1
	try := func(i int) bool {
		port = e.cfg.PortMin + 2*i
		if e.inUse[port] || port+1 > 65535 {
			return false
		}
		rtpSock, err = listenUDP(netip.AddrPortFrom(e.cfg.BindIP, uint16(port)))
		if err != nil {
			return false
		}
		rtcpSock, err = listenUDP(netip.AddrPortFrom(e.cfg.BindIP, uint16(port+1)))
		if err != nil {
			_ = rtpSock.close() // never used: the pair is skipped
			return false
		}
		e.inUse[port] = true
		return true
	}
	for range randomDraws {
		if try(rand.IntN(count)) {
			return rtpSock, rtcpSock, port, nil
		}
	}
	start := rand.IntN(count)
	for i := range count {
		if try((start + i) % count) {
			return rtpSock, rtcpSock, port, nil
		}
	}
	return nil, nil, 0, ErrNoPorts
}

// randomDraws is how many random pairs bindPort tries before it scans.
const randomDraws = 16

func (e *Engine) freePort(port int) {
	e.mu.Lock()
	delete(e.inUse, port)
	e.mu.Unlock()
}

// leastLoaded picks the pacer with the fewest streams.
func (e *Engine) leastLoaded() *pacer {
	best := e.pacers[0]
	for _, p := range e.pacers[1:] {
		if p.load() < best.load() {
			best = p
		}
	}
	return best
}
