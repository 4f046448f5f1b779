//go:build linux

package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/ivrd/ivrd/media/uring"
)

// slots spreads the sends over the 20 ms period, as ivrd's pacer does.
const slots = 20

// calls is the run's sockets and where each sends.
type calls struct {
	fds    []int
	to     []unix.RawSockaddrInet6
	toSize uintptr // the size of the family's address in to
	pkt    []byte
}

// sockOpts are the ways of opening the sockets compared.
type sockOpts struct {
	v6      bool // dual-stack AF_INET6 with v4-mapped addresses (ivrd bound to 0.0.0.0), not AF_INET (bound to 127.0.0.1)
	df      bool // IP_PMTUDISC_DO: don't fragment, so the kernel skips choosing an IP ID per packet
	connect bool // connected to the peer: no route lookup per send
}

// addr is where socket i sends to: nil (and toSize 0) when connected.
func (c *calls) addr(i int) *unix.RawSockaddrInet6 {
	if c.toSize == 0 {
		return nil
	}
	return &c.to[i]
}

func open(base, peer, n int, o sockOpts) (*calls, error) {
	c := &calls{pkt: make([]byte, 172), toSize: unix.SizeofSockaddrInet4}
	if o.v6 {
		c.toSize = unix.SizeofSockaddrInet6
	}
	if o.connect {
		c.toSize = 0
	}
	for i := range n {
		fd, to, err := openOne(base+i, peer+i, o)
		if err != nil {
			return nil, err
		}
		c.fds, c.to = append(c.fds, fd), append(c.to, to)
	}
	return c, nil
}

func openOne(port, peer int, o sockOpts) (int, unix.RawSockaddrInet6, error) {
	var to unix.RawSockaddrInet6
	family := unix.AF_INET
	if o.v6 {
		family = unix.AF_INET6
	}
	fd, err := unix.Socket(family, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, to, err
	}
	var own, far unix.Sockaddr
	if o.v6 {
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 0); err != nil {
			return -1, to, err
		}
		loop := [16]byte{10: 0xff, 11: 0xff, 12: 127, 15: 1}
		own, far = &unix.SockaddrInet6{Port: port, Addr: loop}, &unix.SockaddrInet6{Port: peer, Addr: loop}
		to = unix.RawSockaddrInet6{Family: unix.AF_INET6, Addr: loop}
	} else {
		loop := [4]byte{127, 0, 0, 1}
		own, far = &unix.SockaddrInet4{Port: port, Addr: loop}, &unix.SockaddrInet4{Port: peer, Addr: loop}
		to4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(&to))
		to4.Family, to4.Addr = unix.AF_INET, loop
	}
	p := (*[2]byte)(unsafe.Pointer(&to.Port))
	p[0], p[1] = byte(peer>>8), byte(peer)
	if err := unix.Bind(fd, own); err != nil {
		return -1, to, fmt.Errorf("bind port %d: %w", port, err)
	}
	if o.df {
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_MTU_DISCOVER, unix.IP_PMTUDISC_DO); err != nil {
			return -1, to, err
		}
	}
	if o.connect {
		if err := unix.Connect(fd, far); err != nil {
			return -1, to, err
		}
	}
	return fd, to, nil
}

// io is one way of moving the packets: queue (or send) slot's datagrams,
// then do the millisecond's system calls and count what arrived.
type io interface {
	send(c *calls, slot int)
	turn(c *calls) int
}

// sys is a sendto a packet and epoll plus recvmmsg, as ivrd's epoll loop.
type sys struct {
	ep     int
	events []unix.EpollEvent
	buf    [1500]byte
	from   unix.RawSockaddrInet6
}

func newSys(c *calls) (*sys, error) {
	ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	for _, fd := range c.fds {
		if err := unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)}); err != nil {
			return nil, err
		}
	}
	return &sys{ep: ep, events: make([]unix.EpollEvent, 512)}, nil
}

func (s *sys) send(c *calls, slot int) {
	for i := slot; i < len(c.fds); i += slots {
		_, _, _ = unix.RawSyscall6(unix.SYS_SENDTO, uintptr(c.fds[i]), uintptr(unsafe.Pointer(&c.pkt[0])), uintptr(len(c.pkt)), 0,
			uintptr(unsafe.Pointer(c.addr(i))), c.toSize)
	}
}

func (s *sys) turn(*calls) int {
	got := 0
	for {
		n, err := unix.EpollWait(s.ep, s.events, 0)
		if err != nil || n == 0 {
			return got
		}
		for _, ev := range s.events[:n] {
			for {
				size := uint32(unix.SizeofSockaddrInet6)
				_, _, e := unix.RawSyscall6(unix.SYS_RECVFROM, uintptr(ev.Fd), uintptr(unsafe.Pointer(&s.buf[0])), uintptr(len(s.buf)),
					unix.MSG_DONTWAIT, uintptr(unsafe.Pointer(&s.from)), uintptr(unsafe.Pointer(&size)))
				if e != 0 {
					break
				}
				got++
			}
		}
		if n < len(s.events) {
			return got
		}
	}
}

// ring is one io_uring_enter a millisecond, as ivrd's ring loop.
type ring struct {
	r    *uring.Ring
	bufs *uring.BufRing
}

func newRing(c *calls) (*ring, error) {
	r, err := uring.New(1024, 8192)
	if err != nil {
		return nil, err
	}
	bufs, err := r.NewBufRing(4096, 2048, 1)
	if err != nil {
		return nil, err
	}
	// Each socket in the registered files at its index, as ivrd's ring
	// loop does.
	if err := r.RegisterFiles(uint32(len(c.fds))); err != nil {
		return nil, err
	}
	for i, fd := range c.fds {
		if err := r.SetFile(uint32(i), fd); err != nil {
			return nil, err
		}
		for !r.Receive(uring.Fixed(uint32(i)), 1, uint64(i)) {
			if err := r.Submit(); err != nil {
				return nil, err
			}
		}
	}
	return &ring{r: r, bufs: bufs}, r.Submit()
}

func (g *ring) send(c *calls, slot int) {
	for i := slot; i < len(c.fds); i += slots {
		for !g.r.Send(uring.Fixed(uint32(i)), c.pkt, c.addr(i), int(c.toSize), 1<<63) {
			_ = g.r.Submit() // full: a catch-up after a stall
		}
	}
}

// turn submits and reaps until no receive work is left, as ivrd's loop.
func (g *ring) turn(c *calls) int {
	got := 0
	for range 64 {
		_ = g.r.Submit()
		rearm := false
		for cq, ok := g.r.Reap(); ok; cq, ok = g.r.Reap() {
			if cq.UserData == 1<<63 {
				continue // a failed send
			}
			if id, ok := cq.Buffer(); ok {
				got++
				g.bufs.Recycle(id)
			}
			if !cq.More() {
				for !g.r.Receive(uring.Fixed(uint32(cq.UserData)), 1, cq.UserData) {
					_ = g.r.Submit() // full: make room
				}
				rearm = true
			}
		}
		if !g.r.Pending() && !rearm {
			break
		}
	}
	return got
}

func cpuTime() time.Duration {
	var ru unix.Rusage
	_ = unix.Getrusage(unix.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func main() {
	role := flag.String("role", "server", "server (measured) or peer (the far end, unmeasured)")
	mode := flag.String("io", "epoll", "epoll or io_uring")
	n := flag.Int("n", 1000, "calls (sockets)")
	base := flag.Int("port", 41000, "the server's first port; the peer's is 10000 above")
	warm := flag.Duration("warm", 2*time.Second, "before measuring")
	secs := flag.Int("secs", 10, "seconds measured")
	var o sockOpts
	flag.BoolVar(&o.v6, "v6", false, "dual-stack IPv6 sockets sending to v4-mapped addresses (ivrd with media on 0.0.0.0)")
	flag.BoolVar(&o.df, "df", false, "set IP_PMTUDISC_DO on the sockets")
	flag.BoolVar(&o.connect, "connect", false, "connect each socket to its peer")
	flag.Parse()
	if err := run(*role, *mode, *n, *base, *warm, time.Duration(*secs)*time.Second, o); err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
}

func run(role, mode string, n, base int, warm, measure time.Duration, o sockOpts) error {
	own, peer := base, base+10000
	if role == "peer" {
		own, peer, mode = peer, own, "epoll"
		measure += warm + 5*time.Second // outlives the server's run
	}
	runtime.LockOSThread() // the ring binds to this thread
	c, err := open(own, peer, n, o)
	if err != nil {
		return err
	}
	var way io
	switch mode {
	case "epoll":
		way, err = newSys(c)
	case "io_uring":
		way, err = newRing(c)
	default:
		err = errors.New("-io wants epoll or io_uring")
	}
	if err != nil {
		return err
	}
	timer, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_CLOEXEC)
	if err != nil {
		return err
	}
	ms := unix.Timespec{Nsec: int64(time.Millisecond)}
	if err := unix.TimerfdSettime(timer, 0, &unix.ItimerSpec{Interval: ms, Value: ms}, nil); err != nil {
		return err
	}
	var tick [8]byte
	start, slot, got := time.Now(), 0, 0
	var cpu0 time.Duration
	measuring := false
	for {
		if _, err := unix.Read(timer, tick[:]); err != nil {
			return err
		}
		for k := *(*uint64)(unsafe.Pointer(&tick[0])); k > 0; k-- {
			way.send(c, slot)
			slot = (slot + 1) % slots
		}
		got += way.turn(c)
		el := time.Since(start)
		if !measuring && el >= warm {
			measuring, cpu0, got = true, cpuTime(), 0
		}
		if el >= warm+measure {
			break
		}
	}
	if role == "server" {
		used := cpuTime() - cpu0
		fmt.Printf("io=%s calls=%d cpu=%.1f%% ms_per_call_s=%.3f received_per_call_s=%.1f\n", mode, n,
			100*used.Seconds()/measure.Seconds(), used.Seconds()*1000/measure.Seconds()/float64(n),
			float64(got)/measure.Seconds()/float64(n))
	}
	return nil
}
