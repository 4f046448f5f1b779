package media

import (
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"time"
)

// EngineConfig sizes the engine.
type EngineConfig struct {
	BindIP           netip.Addr    // address RTP sockets bind to
	PortMin, PortMax int           // RTP port range: RTP on even ports, RTCP on the odd one above
	Pacers           int           // pacing goroutines; 0 = GOMAXPROCS
	RTCPInterval     time.Duration // between RTCP reports (randomised ±50%); 0 = 5 s, < 0 = none
	Log              *slog.Logger  // nil: slog.Default()
}

// Engine owns the port pool and the pacers shared by every session.
type Engine struct {
	cfg    EngineConfig
	log    *slog.Logger
	pacers []*pacer

	mu     sync.Mutex
	inUse  map[int]bool
	next   int
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
	if cfg.RTCPInterval == 0 {
		cfg.RTCPInterval = 5 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	e := &Engine{cfg: cfg, log: cfg.Log, inUse: map[int]bool{}, next: cfg.PortMin}
	for i := 0; i < cfg.Pacers; i++ {
		p, err := newPacer()
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

// bindPort takes the next free even port and the odd one above it (RTCP)
// and binds both, skipping pairs some other program holds.
func (e *Engine) bindPort() (rtpConn, rtcpConn *net.UDPConn, port int, err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil, nil, 0, ErrEngineClosed
	}
	count := (e.cfg.PortMax-e.cfg.PortMin)/2 + 1
	for i := 0; i < count; i++ {
		port := e.next
		e.next += 2
		if e.next > e.cfg.PortMax {
			e.next = e.cfg.PortMin
		}
		if e.inUse[port] || port+1 > 65535 {
			continue
		}
		rtpConn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(e.cfg.BindIP, uint16(port))))
		if err != nil {
			continue
		}
		rtcpConn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(e.cfg.BindIP, uint16(port+1))))
		if err != nil {
			_ = rtpConn.Close() // never used: the pair is skipped
			continue
		}
		e.inUse[port] = true
		return rtpConn, rtcpConn, port, nil
	}
	return nil, nil, 0, ErrNoPorts
}

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
