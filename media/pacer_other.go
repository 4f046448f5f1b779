//go:build !linux

package media

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"runtime"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
)

// The portable pacer: a goroutine woken by a time.Ticker sends, and each
// session's two sockets are read by a goroutine of their own (a blocking
// read per socket through the Go netpoller). Linux has the cheaper loop.

type pacerSys struct {
	tick *time.Ticker
	last time.Time
	done chan struct{}
}

// rxState is a session's receive goroutines' end.
type rxState struct {
	recvDone, rtcpDone chan struct{}
}

func (r *rxState) init() {
	r.recvDone, r.rtcpDone = make(chan struct{}), make(chan struct{})
}

// wait returns once the receive goroutines have ended (the sockets are
// closed by then).
func (r *rxState) wait(started bool) {
	if started {
		<-r.recvDone
		<-r.rtcpDone
	}
}

// ProcessorPlan is one pacer per Go processor, GOMAXPROCS as it is:
// here the pacers never block in a system call for their tick, so none
// needs a processor kept for it.
func ProcessorPlan() (pacers, gomaxprocs int) {
	return runtime.GOMAXPROCS(0), runtime.GOMAXPROCS(0)
}

func newPacer(cfg EngineConfig) (*pacer, error) {
	p := &pacer{log: cfg.Log, late: lateness{report: cfg.OnLate}}
	if cfg.RealtimePriority > 0 {
		p.sched = "normal: real-time pacing is implemented on Linux only"
	}
	p.sys = pacerSys{tick: time.NewTicker(time.Millisecond), last: time.Now(), done: make(chan struct{})}
	p.late.epoch = p.sys.last
	p.wg.Add(1)
	go p.run()
	return p, nil
}

// run serves a slot for every millisecond elapsed: time.Ticker wakes up
// to ~1 ms late, which counting elapsed milliseconds absorbs.
func (p *pacer) run() {
	defer p.wg.Done()
	for {
		select {
		case now := <-p.sys.tick.C:
			n := int(now.Sub(p.sys.last) / time.Millisecond)
			p.sys.last = p.sys.last.Add(time.Duration(n) * time.Millisecond)
			p.late.tick(int64(n))
			for n = min(n, maxCatchUp); n > 0; n-- {
				p.serve()
			}
			p.late.load.worked(time.Since(now))
		case <-p.sys.done:
			return
		}
	}
}

func (p *pacer) stop() {
	p.sys.tick.Stop()
	close(p.sys.done)
	p.wg.Wait()
}

// watch starts reading s's sockets.
func (p *pacer) watch(s *Session) {
	go s.receive()
	go s.receiveRTCP()
}

// unwatch: the receive goroutines end when Close closes the sockets.
func (p *pacer) unwatch(*Session) {}

// txRing is Linux's io_uring send queue; there is none here.
type txRing struct{}

func (*txRing) send(u *udpSock, b []byte, to netip.AddrPort) bool { return u.writeTo(b, to) == nil }

func (*pacerSys) txQueue() *txRing { return nil }

// udpSock is a UDP socket of the Go runtime's.
type udpSock struct{ conn *net.UDPConn }

func listenUDP(a netip.AddrPort) (*udpSock, error) {
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(a))
	if err != nil {
		return nil, err
	}
	return &udpSock{conn: c}, nil
}

func (u *udpSock) localAddr() netip.AddrPort { return u.conn.LocalAddr().(*net.UDPAddr).AddrPort() }

func (u *udpSock) writeTo(b []byte, to netip.AddrPort) error {
	_, err := u.conn.WriteToUDPAddrPort(b, to)
	return err
}

func (u *udpSock) close() error { return u.conn.Close() }

// receive reads the RTP socket until Close. A panic below it (in a
// DigitSink) is logged and the loop goes on: one bad packet must not end
// the process.
func (s *Session) receive() {
	defer close(s.rx.recvDone)
	var h rtp.Header
	pcm := make([]int16, 1500)
	loop := func() {
		readPackets(s.engine.log, s.sock.conn, "RTP", &s.malformed, func(pkt []byte, from netip.AddrPort) error {
			return s.handleRTP(pkt, from, &h, pcm)
		})
	}
	for panics := 0; !survive(s.engine.log, "RTP receive", loop); panics++ {
		if panics == maxPanics {
			s.engine.log.Error("media: RTP receive keeps panicking; no longer listening", "local", s.local.String())
			return
		}
	}
}

// receiveRTCP reads the peer's reports until Close.
func (s *Session) receiveRTCP() {
	defer close(s.rx.rtcpDone)
	var rep rtcpReport
	loop := func() {
		readPackets(s.engine.log, s.rtcpSock.conn, "RTCP", &s.rtcpMalformed, func(pkt []byte, from netip.AddrPort) error {
			return s.handleRTCP(pkt, from, &rep)
		})
	}
	for panics := 0; !survive(s.engine.log, "RTCP receive", loop); panics++ {
		if panics == maxPanics {
			return
		}
	}
}

// survive runs loop and reports whether it returned normally; a panic is
// logged with its stack and reported as false.
func survive(log *slog.Logger, what string, loop func()) (ok bool) {
	defer func() {
		if p := recover(); p != nil {
			log.Error("media: "+what+" panicked", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			ok = false
		}
	}()
	loop()
	return true
}

// readPackets reads conn until it is closed and hands each datagram to
// handle (pkt is reused after it returns). One handle rejects is counted
// in bad and logged, at most every 10 s: a stream of garbage is not a
// stream of log lines.
func readPackets(log *slog.Logger, conn *net.UDPConn, kind string, bad *atomic.Uint64, handle func(pkt []byte, from netip.AddrPort) error) {
	buf := make([]byte, 1500)
	var lastWarn time.Time
	for {
		n, from, err := conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		if err := handle(buf[:n], from); err != nil {
			bad.Add(1)
			if time.Since(lastWarn) > 10*time.Second {
				lastWarn = time.Now()
				log.Warn("media: malformed "+kind+" packet dropped", "from", from.String(), "len", n, "err", err)
			}
		}
	}
}

func (p *pacer) mediaIO() string { return "" }
