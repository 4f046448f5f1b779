package media

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/pion/rtp"
	"golang.org/x/sys/unix"
)

// On Linux a pacer is one loop woken by its 1 ms timerfd, and only by it: each tick it sends that millisecond's frames
// with a sendto apiece, then asks epoll (without waiting) which of its
// sessions' sockets hold packets and reads each with one recvmmsg.
// Nothing here goes through the Go netpoller or wakes a goroutine per
// packet, and the loop itself wakes 1,000 times a second however many
// packets arrive (waking on socket readiness too was measured to wake it
// for nearly every packet at a few hundred calls): a packet costs its
// system call and its handling, the tick is not queued behind hundreds
// of receive goroutines (issue 12's profile), and a received packet
// waits at most 1 ms, well inside any jitter buffer. A slot that falls
// due while the loop is still reading is sent between two sockets (run).
// The sends are one sendto each, not one sendmmsg a slot: sendmmsg
// batches datagrams of one socket, and every call sends from its own
// port. (A profile at 800 calls: sendto 32 % of the process's CPU, of
// which about 18 points the kernel's loopback delivery; the receive
// side, recvmmsg, handling and in-band detection, 42 %.)
// Received packets are handled on the loop (handleRTP, handleRTCP: digit
// detection, recording, bridge relay), so those must not block.

type pacerSys struct {
	epfd  int      // epoll instance of the sockets, polled once a tick
	timer *os.File // 1 ms timerfd, read through the Go netpoller
	// A real-time pacer reads its timerfd (timerFD) in a blocking read
	// on its own locked thread instead: the kernel wakes that thread at
	// the tick, ahead of every normal thread, where the netpoller's wake
	// would wait for an ordinary thread to notice first. It stops at the
	// first tick after stopping is set (closing a descriptor does not end
	// a blocking read).
	blocking bool
	timerFD  int
	stopping atomic.Bool
	thread   int // the loop's OS thread (gettid), when it blocks
	// yield: a blocking loop goes through Go's scheduler every
	// yieldTicks, counted in ticksRun (only when Go has processors to
	// spare: see yieldTicks).
	yield    bool
	ticksRun uint64

	// rx is held by the loop while it reads and handles sockets, and by
	// watch/unwatch: once unwatch returns, the loop has let go of them.
	rx    sync.Mutex
	socks map[int32]watched // by file descriptor

	// ring, when the host allows it, replaces epoll and the per-packet
	// system calls (pacer_uring_linux.go). io says which the loop uses
	// ("io_uring", or "epoll: " and why).
	ring *ringIO
	io   string
}

type watched struct {
	s    *Session
	rtcp bool
}

// rxState: a session's panics on the receive side (counted by the loop,
// under pacerSys.rx).
type rxState struct {
	panics int
}

func (*rxState) init()     {}
func (*rxState) wait(bool) {}

func newPacer(cfg EngineConfig) (*pacer, error) {
	p := &pacer{log: cfg.Log, late: lateness{report: cfg.OnLate}}
	sys := &p.sys
	sys.socks = map[int32]watched{}
	var err error
	if sys.epfd, err = unix.EpollCreate1(unix.EPOLL_CLOEXEC); err != nil {
		return nil, fmt.Errorf("media: epoll: %w", err)
	}
	timer, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		_ = unix.Close(sys.epfd) // never used
		return nil, fmt.Errorf("media: timerfd: %w", err)
	}
	spec := unix.ItimerSpec{Interval: unix.Timespec{Nsec: 1_000_000}, Value: unix.Timespec{Nsec: 1_000_000}}
	p.late.epoch = time.Now()
	if err = unix.TimerfdSettime(timer, 0, &spec, nil); err != nil {
		_ = unix.Close(sys.epfd) // never used
		_ = unix.Close(timer)
		return nil, fmt.Errorf("media: timerfd settime: %w", err)
	}
	p.wg.Add(1)
	scheduled := make(chan struct{})
	go func() {
		if cfg.RealtimePriority > 0 {
			p.sched, p.realtime = realtime(cfg.RealtimePriority)
		}
		runtime.LockOSThread() // the ring binds to this thread (locks nest: a real-time one stays)
		sys.ring, sys.io = startRing(cfg)
		if sys.ring == nil {
			runtime.UnlockOSThread()
		}
		if (p.realtime || sys.ring != nil) && unix.SetNonblock(timer, false) == nil {
			sys.blocking, sys.timerFD, sys.thread = true, timer, unix.Gettid()
			sys.yield = cfg.spareProcs && !cfg.noYield
		} else {
			sys.timer = os.NewFile(uintptr(timer), "timerfd")
		}
		close(scheduled)
		if sys.ring != nil {
			p.runRing(sys.ring)
			return
		}
		p.run()
	}()
	<-scheduled
	return p, nil
}

// stop ends the loop: closing the timer ends its wait.
func (p *pacer) stop() {
	if p.sys.blocking {
		p.sys.stopping.Store(true) // the loop returns at its next tick
		p.wg.Wait()
		_ = unix.Close(p.sys.timerFD)
	} else {
		_ = p.sys.timer.Close() // the loop's read fails and it returns
		p.wg.Wait()
	}
	_ = unix.Close(p.sys.epfd) // nothing is left to report to
}

// watch registers s's sockets with the loop, unless s is already closed
// (a Close racing with Start: Close sets closed before it unwatches).
func (p *pacer) watch(s *Session) {
	p.sys.rx.Lock()
	defer p.sys.rx.Unlock()
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return
	}
	if p.sys.ring != nil {
		p.sys.ring.watch(s)
		return
	}
	for _, w := range []watched{{s, false}, {s, true}} {
		fd := w.sock().fd
		if err := unix.EpollCtl(p.sys.epfd, unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)}); err != nil {
			p.log.Error("media: cannot receive on a session's socket", "local", s.local.String(), "err", err)
			continue
		}
		p.sys.socks[int32(fd)] = w
	}
}

// unwatch takes s's sockets out of the loop; when it returns the loop no
// longer reads them, so they may be closed.
func (p *pacer) unwatch(s *Session) {
	p.sys.rx.Lock()
	defer p.sys.rx.Unlock()
	if r := p.sys.ring; r != nil {
		// The ring's receives hold the sockets open until cancelled:
		// wait for the loop to have cancelled them (a tick or two).
		pending := r.unwatch(s)
		for r.holds(s, pending) {
			freed := r.freed
			p.sys.rx.Unlock()
			<-freed
			p.sys.rx.Lock()
			if p.sys.ring == nil {
				return // the loop ended: closing the ring let go of every socket
			}
		}
		return
	}
	p.unwatchLocked(s)
}

// unwatchLocked takes s's sockets out of the loop without waiting (the
// loop itself, with rx held, giving up on a session).
func (p *pacer) unwatchLocked(s *Session) {
	if p.sys.ring != nil {
		p.sys.ring.unwatch(s)
		return
	}
	for _, sock := range []*udpSock{s.sock, s.rtcpSock} {
		if w, ok := p.sys.socks[int32(sock.fd)]; ok && w.s == s {
			delete(p.sys.socks, int32(sock.fd))
			_ = unix.EpollCtl(p.sys.epfd, unix.EPOLL_CTL_DEL, sock.fd, nil) // only fails if never added
		}
	}
}

func (w watched) sock() *udpSock {
	if w.rtcp {
		return w.s.rtcpSock
	}
	return w.s.sock
}

// rxBatch is the loop's receive memory, allocated once: recvmmsg headers,
// buffers and source addresses, and what handling a packet needs.
type rxBatch struct {
	hdrs  [rxBatchSize]mmsghdr
	iovs  [rxBatchSize]unix.Iovec
	names [rxBatchSize]unix.RawSockaddrInet6
	bufs  [rxBatchSize][1500]byte
	h     rtp.Header
	pcm   []int16
	rep   rtcpReport
	warn  time.Time // last malformed-packet log line
}

// rxBatchSize datagrams per recvmmsg: a socket rarely holds more than one
// or two 20 ms packets when the loop comes by every millisecond.
const rxBatchSize = 8

// mmsghdr is struct mmsghdr (x/sys has no Recvmmsg).
type mmsghdr struct {
	hdr unix.Msghdr
	len uint32
	_   [4]byte
}

func newRxBatch() *rxBatch {
	b := &rxBatch{pcm: make([]int16, 1500)}
	for i := range b.hdrs {
		b.iovs[i].Base = &b.bufs[i][0]
		b.iovs[i].SetLen(len(b.bufs[i]))
		b.hdrs[i].hdr.Name = (*byte)(unsafe.Pointer(&b.names[i]))
		b.hdrs[i].hdr.Iov = &b.iovs[i]
		b.hdrs[i].hdr.Iovlen = 1
	}
	return b
}

// run is the loop. It sleeps in a read of the timerfd through the Go
// netpoller: one goroutine wake-up per millisecond, whatever the number
// of calls. (Sleeping in epoll_wait on a locked thread instead was
// measured to cost more: the runtime takes the P away from a thread
// blocked in a system call and hands it to another thread, two to three
// times the futex and nanosleep calls; see bench/RESULTS.md.) The
// sockets stay out of the netpoller: they are polled once a tick, so no
// packet wakes anything.
//
// The timer only wakes the loop; the clock says which slots are owed
// (sendDue), and the loop asks it again between the sockets it reads.
// At a few thousand calls reading what arrived in a millisecond can
// take longer than the millisecond (a caller's burst, a stall of the
// host), and the next slot's frames would wait for the last socket:
// measured, the loop's lateness was nearly all its own previous turn.
// Sending as soon as a slot is due keeps the receive side's bursts off
// the send side's schedule.
func (p *pacer) run() {
	defer p.wg.Done()
	events := make([]unix.EpollEvent, 512)
	rx := newRxBatch()
	var tick [8]byte
	for {
		if !p.waitTick(tick[:]) {
			return // stopped
		}
		// The clock first: sending on time is what the callers hear.
		woke := time.Now()
		p.sendDue(woke)
		p.receive(events, rx)
		p.late.load.worked(time.Since(woke))
	}
}

// sendDue serves the slots that are due by now and not served yet (up
// to maxCatchUp after a stall) and counts them for the lateness, judged
// when their frames are handed to the kernel (lateness.sent).
func (p *pacer) sendDue(now time.Time) {
	k := p.late.owed(now)
	if k <= 0 {
		return
	}
	p.late.due(k)
	for k = min(k, maxCatchUp); k > 0; k-- {
		p.serve()
	}
	if p.sys.txQueue() == nil {
		p.late.flushed() // each frame went out in its own sendto
	} // else the ring's loop judges them once it has submitted them
}

// receive reads every socket that holds packets now, sending any slot
// that falls due meanwhile. A full events array (more ready sockets than
// it holds) is read again at once: epoll is level triggered, so what was
// not reported is reported next.
func (p *pacer) receive(events []unix.EpollEvent, rx *rxBatch) {
	p.sys.rx.Lock()
	defer p.sys.rx.Unlock()
	for {
		n, err := unix.EpollWait(p.sys.epfd, events, 0)
		if err != nil || n == 0 {
			return
		}
		next := p.late.next()
		for _, ev := range events[:n] {
			if w, ok := p.sys.socks[ev.Fd]; ok {
				p.drain(w, rx)
			}
			next = p.sendIfDue(next)
		}
		if n < len(events) {
			return
		}
	}
}

// sendIfDue sends the slots due by now when next (when the next one
// falls due) has passed, between two sockets or completions of a long
// read, and returns when the next one falls due.
func (p *pacer) sendIfDue(next time.Time) time.Time {
	if now := time.Now(); !now.Before(next) {
		p.sendDue(now)
		return p.late.next()
	}
	return next
}

// drain reads what one socket holds (up to a batch; epoll is level
// triggered, so the rest is read on the next turn) and hands it on.
func (p *pacer) drain(w watched, rx *rxBatch) {
	for i := range rx.hdrs {
		rx.hdrs[i].hdr.Namelen = unix.SizeofSockaddrInet6
		rx.hdrs[i].len = 0
	}
	r, _, e := unix.Syscall6(unix.SYS_RECVMMSG, uintptr(w.sock().fd), uintptr(unsafe.Pointer(&rx.hdrs[0])), rxBatchSize,
		unix.MSG_DONTWAIT, 0, 0)
	if e != 0 {
		return // EAGAIN: another reader was first; nothing else is expected
	}
	for i := 0; i < int(r); i++ {
		pkt := rx.bufs[i][:rx.hdrs[i].len]
		p.deliver(w, pkt, sockaddrAddr(&rx.names[i]), rx)
	}
}

// deliver handles one datagram. A panic below it (in a DigitSink) is
// logged and the loop goes on: one bad packet must not end the process,
// nor silence the other calls; a session that keeps panicking is no
// longer listened to.
func (p *pacer) deliver(w watched, pkt []byte, from netip.AddrPort, rx *rxBatch) {
	defer func() {
		if v := recover(); v != nil {
			p.log.Error("media: receive panicked", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			if w.s.rx.panics++; w.s.rx.panics >= maxPanics {
				p.log.Error("media: receive keeps panicking; no longer listening", "local", w.s.local.String())
				p.unwatchLocked(w.s)
			}
		}
	}()
	var err error
	if w.rtcp {
		err = w.s.handleRTCP(pkt, from, &rx.rep)
	} else {
		err = w.s.handleRTP(pkt, from, &rx.h, rx.pcm)
	}
	if err != nil {
		kind := "RTP"
		if w.rtcp {
			kind = "RTCP"
			w.s.rtcpMalformed.Add(1)
		} else {
			w.s.malformed.Add(1)
		}
		// One line per 10 s and loop: a stream of garbage is not a
		// stream of log lines.
		if now := time.Now(); now.Sub(rx.warn) > 10*time.Second {
			rx.warn = now
			p.log.Warn("media: malformed "+kind+" packet dropped", "from", from.String(), "len", len(pkt), "err", err)
		}
	}
}

// yieldTicks is how many ticks a blocking loop waits for between two
// passes through Go's scheduler, when Go has processors besides the
// pacers'. Go's sysmon takes a goroutine that has not been through the
// scheduler for 10 ms to be hogging its processor; a locked loop that
// only blocks in system calls never goes through it, so from then on
// every tick's wait had its processor taken and handed to another
// thread, with sysmon waking every 20 µs to do it: 3,000 sysmon
// wake-ups a second, 5 % of a core beside a pacer's 50 % at 1,000 calls
// (bench/RESULTS.md, eighth session). A yield every 5 ms costs two
// thread wake-ups, in the idle part of a tick, and the pacer keeps its
// processor while it waits. Without processors to spare that taking is
// what lets the rest of the program (SIP, the calls' logic) run while
// the pacers wait, so such a loop does not yield.
const yieldTicks = 5

// waitTick waits for the next timerfd expiry and reads its count into
// tick; false when the pacer is stopping.
func (p *pacer) waitTick(tick []byte) bool {
	if !p.sys.blocking {
		_, err := io.ReadFull(p.sys.timer, tick) // parks in the scheduler
		return err == nil                        // an error: closed by stop
	}
	if p.sys.yield && p.sys.ticksRun >= yieldTicks {
		runtime.Gosched()
		p.sys.ticksRun = 0
	}
	for {
		_, err := unix.Read(p.sys.timerFD, tick)
		if p.sys.stopping.Load() {
			return false
		}
		if err == nil {
			p.sys.ticksRun += max(binary.NativeEndian.Uint64(tick), 1)
			return true
		}
		if !errors.Is(err, unix.EINTR) {
			p.log.Error("media: pacer timer read failed; the pacer stops", "err", err)
			return false
		}
	}
}
