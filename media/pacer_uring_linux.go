package media

import (
	"cmp"
	"errors"
	"net/netip"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ivrd/ivrd/media/uring"
)

// A pacer on an io_uring (media/uring) does the epoll loop's work with
// one system call a millisecond instead of one a packet: the tick's
// frames are queued as sends, every watched socket has a multishot
// receive that fills the ring's buffers, and an io_uring_enter (a round
// or two a tick) sends the frames and runs the receives; the loop then
// reads the completions from shared memory. Measured on this project's
// machine at 1,000 calls: a quarter less CPU than the epoll loop
// (bench/RESULTS.md). The ring binds to the thread that made it, so
// this loop is locked to its OS thread and waits for its tick in a
// blocking read of the timerfd, as a real-time pacer does.
//
// Where the host refuses io_uring (a kernel before 6.1, io_uring_disabled,
// a container's seccomp profile) or EngineConfig.Epoll asks, the epoll
// loop runs instead; Engine.MediaIO says which, and why.

const (
	ringEntries   = 1024 // submission slots: sends, receives, cancels
	ringCQEntries = 8192
	ringBufs      = 4096 // receive buffers, a datagram each (8 MB, touched as used)
	ringBufSize   = 2048 // io_uring_recvmsg_out, a sockaddr_in6, 1500 bytes and more
	ringBufGroup  = 1
	ringFiles     = 16384 // registered sockets: 8,192 calls a pacer (more go by descriptor)
	txSlots       = 256   // frames queued between two submissions

	// user data of the ring's requests: a receive is its entry's index
	// and generation; these mark the rest.
	udSend   = 1 << 63
	udCancel = 1 << 62
)

// ringEntry is one watched socket on the ring.
type ringEntry struct {
	w     watched
	gen   uint32
	armed bool // its multishot receive is in the kernel
	dead  bool // unwatched: cancel it, then free the entry
	fails int  // receives ended in a row without a datagram
}

// fixed reports whether the entry's socket is in the ring's registered
// files (at the entry's index): the socket says so, in its ringSlot.
func (e *ringEntry) fixed() bool { return e.w.s != nil && e.w.sock().ringSlot != 0 }

// ringIO is a pacer's ring and the loop's bookkeeping of it. Only the
// loop's thread touches ring and tx; entries, arm and cancel are guarded
// by pacerSys.rx.
type ringIO struct {
	ring    *uring.Ring
	bufs    *uring.BufRing
	entries []ringEntry
	free    []uint32
	byFD    map[int32]uint32 // socket → entry
	arm     []uint32         // entries whose receive is to be queued
	cancel  []uint32         // entries to let go of: receive cancelled, file slot emptied
	files   uint32           // the registered files' table size (0: none)
	retired bool             // entries were freed since freed was last signalled
	warned  time.Time        // the last submit failure logged
	tx      txRing
	// freed is signalled (under rx) when entries were freed, so that an
	// unwatch waiting for its sockets to be let go returns.
	freed chan struct{}
}

// txRing is the tick's queued frames: each copied into a slot, so the
// session's buffer is free again at once, and sent at the next submit.
type txRing struct {
	ring  *uring.Ring
	slots [txSlots][packetSize]byte // a session's packet buffer each
	addrs [txSlots]unix.RawSockaddrInet6
	n     int
}

// send queues b (a session's packet) to to from u's socket, submitting
// first if the slots or the ring are full; false when it is dropped, as
// a full socket buffer drops a datagram. Called on the loop's thread.
func (t *txRing) send(u *udpSock, b []byte, to netip.AddrPort) bool {
	if t.n == txSlots && t.flush() != nil || !t.room() {
		return false
	}
	size := putSockaddr(&t.addrs[t.n], to, u.v6)
	if size == 0 {
		return false // a peer of the other family (errAddrFamily)
	}
	slot := t.slots[t.n][:copy(t.slots[t.n][:], b)]
	f := uring.FD(u.fd)
	if u.ringSlot > 0 {
		f = uring.Fixed(u.ringSlot - 1)
	}
	t.ring.Send(f, slot, &t.addrs[t.n], int(size), udSend) // room was made
	t.n++
	return true
}

// room reports whether a request can be queued, submitting what is
// queued first when the ring is full.
func (t *txRing) room() bool {
	if t.ring.Space() > 0 {
		return true
	}
	return t.flush() == nil && t.ring.Space() > 0
}

// flush submits the queued frames; their slots are free once it returns
// (the kernel copies a datagram when it takes the send).
func (t *txRing) flush() error {
	t.n = 0
	return t.ring.Submit()
}

// startRing makes the loop's ring on the calling thread (locked to it
// for good), or says why not.
func startRing(cfg EngineConfig) (*ringIO, string) {
	if cfg.Epoll {
		return nil, "epoll: asked for"
	}
	r, err := uring.New(ringEntries, ringCQEntries)
	if err != nil {
		return nil, "epoll: " + ringRefusal(err)
	}
	bufs, err := r.NewBufRing(cmp.Or(cfg.ringBuffers, ringBufs), ringBufSize, ringBufGroup)
	if err != nil {
		_ = r.Close() // unused
		return nil, "epoll: " + ringRefusal(err)
	}
	rio := &ringIO{ring: r, bufs: bufs, byFD: map[int32]uint32{}, freed: make(chan struct{})}
	if r.RegisterFiles(ringFiles) == nil {
		rio.files = ringFiles // else every request names its socket by descriptor
	}
	rio.tx.ring = r
	return rio, "io_uring"
}

func ringRefusal(err error) string {
	switch {
	case errors.Is(err, unix.ENOSYS):
		return "io_uring not in this kernel"
	case errors.Is(err, unix.EPERM):
		return "io_uring refused (kernel.io_uring_disabled, or a seccomp profile)"
	case errors.Is(err, unix.EINVAL):
		return "io_uring too old here (6.1 or later needed)"
	}
	return err.Error()
}

// watch adds s's sockets; the loop queues their receives next round.
// Called with rx held.
func (r *ringIO) watch(s *Session) {
	for _, w := range []watched{{s, false}, {s, true}} {
		var i uint32
		if n := len(r.free); n > 0 {
			i, r.free = r.free[n-1], r.free[:n-1]
		} else {
			i = uint32(len(r.entries))
			r.entries = append(r.entries, ringEntry{})
		}
		e := &r.entries[i]
		*e = ringEntry{w: w, gen: e.gen + 1}
		r.byFD[int32(w.sock().fd)] = i
		r.arm = append(r.arm, i)
	}
}

// unwatch marks s's entries dead and queues their cancels; it returns
// the entries still in the kernel (the caller waits for them, holds,
// before closing the sockets). Called with rx held.
func (r *ringIO) unwatch(s *Session) (pending []uint32) {
	for _, sock := range []*udpSock{s.sock, s.rtcpSock} {
		i, ok := r.byFD[int32(sock.fd)]
		if !ok || r.entries[i].w.s != s {
			continue
		}
		delete(r.byFD, int32(sock.fd))
		e := &r.entries[i]
		e.dead = true
		if e.armed || e.fixed() {
			r.cancel = append(r.cancel, i)
			pending = append(pending, i)
		} else {
			r.release(i)
		}
	}
	return pending
}

// holds reports whether any of entries still has s's receive in the
// kernel. Called with rx held.
func (r *ringIO) holds(s *Session, entries []uint32) bool {
	for _, i := range entries {
		if e := &r.entries[i]; e.dead && e.w.s == s {
			return true
		}
	}
	return false
}

// retire lets go of entry i once its receive is out of the kernel:
// its file slot emptied, the entry freed, the waiting unwatch told (at
// the end of the round). On the loop's thread, with rx held.
func (r *ringIO) retire(i uint32) {
	if e := &r.entries[i]; e.fixed() {
		_ = r.ring.SetFile(i, -1) // only fails for a slot never set
		e.w.sock().ringSlot = 0
	}
	r.release(i)
	r.retired = true
}

// file is how requests name entry i's socket.
func (r *ringIO) file(i uint32) uring.File {
	if e := &r.entries[i]; e.fixed() {
		return uring.Fixed(i)
	}
	return uring.FD(r.entries[i].w.sock().fd)
}

// release frees entry i (its receive is out of the kernel).
func (r *ringIO) release(i uint32) {
	r.entries[i].w = watched{}
	r.entries[i].armed, r.entries[i].dead = false, false
	r.free = append(r.free, i)
}

func (r *ringIO) userData(i uint32) uint64 { return uint64(r.entries[i].gen)<<32 | uint64(i) }

// queueRequests hands the kernel the receives to start and cancel.
// Called with rx held, on the loop's thread.
func (r *ringIO) queueRequests() {
	// A receive started on a socket that holds a backlog reads it at
	// once, up to a few dozen datagrams: a round starts at most
	// maxArms, so that together they cannot take every buffer (which
	// ends receives with ENOBUFS, to be started again: a loop that
	// feeds on itself on a loaded host).
	n := 0
	for _, i := range r.arm {
		if n == maxArms || !r.tx.room() {
			break // the rest next round
		}
		n++
		e := &r.entries[i]
		if e.dead || e.armed || e.w.s == nil {
			continue
		}
		if !e.fixed() && i < r.files && r.ring.SetFile(i, e.w.sock().fd) == nil {
			e.w.sock().ringSlot = i + 1
		}
		r.ring.Receive(r.file(i), ringBufGroup, r.userData(i)) // room was made
		e.armed = true
	}
	r.arm = r.arm[:copy(r.arm, r.arm[n:])]
	n = 0
	for _, i := range r.cancel {
		if r.entries[i].armed {
			if !r.tx.room() {
				break // the rest next round
			}
			r.ring.Cancel(r.userData(i), udCancel) // room was made
		} else {
			r.retire(i) // nothing in the kernel but the file slot
		}
		n++
	}
	r.cancel = r.cancel[:copy(r.cancel, r.cancel[n:])]
}

// maxArms bounds the receives a round starts (queueRequests).
const maxArms = 64

// maxRounds bounds a tick's submit-and-reap rounds.
const maxRounds = 64

// maxRingFails bounds how often a socket's receive is started again
// after ending with an error and no datagram in between.
const maxRingFails = 10

// runRing is the loop on a ring: as run, with the ring's one submit a
// tick doing the system calls.
func (p *pacer) runRing(r *ringIO) {
	defer p.wg.Done()
	defer func() { _ = r.ring.Close() }()
	rx := newRxBatch()
	var tick [8]byte
	for {
		if !p.waitTick(tick[:]) {
			p.sys.rx.Lock()
			p.sys.ring = nil // unwatch no longer waits for this loop
			close(r.freed)
			p.sys.rx.Unlock()
			return
		}
		woke := time.Now()
		p.sendDue(woke)
		p.sys.rx.Lock()
		// Each submit runs a few dozen of the receives that are due;
		// their buffers are given back (reap) before the next, so a
		// burst never drains the buffer ring. Bounded: a host that
		// floods the loop still sends on time (reap calls sendDue).
		for range maxRounds {
			r.queueRequests()
			if err := r.tx.flush(); err != nil && time.Since(r.warned) > 10*time.Second {
				r.warned = time.Now() // a line per 10 s, not per tick
				p.log.Error("media: io_uring submit failed", "err", err)
			}
			p.late.flushed()
			p.reap(r, rx)
			if !r.ring.Pending() && len(r.arm) == 0 && len(r.cancel) == 0 {
				break
			}
		}
		p.sys.rx.Unlock()
		if r.tx.n > 0 { // frames that fell due while reading
			_ = r.tx.flush()
		}
		p.late.flushed()
		p.late.load.worked(time.Since(woke))
	}
}

// reap handles every completion: datagrams delivered, receives that
// ended started again (or freed when unwatched), and slots that fall due
// meanwhile sent. Called with rx held.
func (p *pacer) reap(r *ringIO, rx *rxBatch) {
	next := p.late.next()
	for n := 0; ; n++ {
		c, ok := r.ring.Reap()
		if !ok {
			break
		}
		if c.UserData&(udSend|udCancel) != 0 {
			continue // a send that failed (dropped, as a full socket drops) or a cancel done
		}
		i, gen := uint32(c.UserData), uint32(c.UserData>>32)
		if int(i) >= len(r.entries) || r.entries[i].gen != gen {
			if id, ok := c.Buffer(); ok {
				r.bufs.Recycle(id)
			}
			continue
		}
		e := &r.entries[i]
		if id, ok := c.Buffer(); ok {
			if !e.dead && c.Res > 0 {
				if from, pkt, ok := uring.Datagram(r.bufs.Buf(id)[:c.Res]); ok {
					e.fails = 0
					p.deliver(e.w, pkt, sockaddrAddr(from), rx)
				}
			}
			r.bufs.Recycle(id)
		}
		if !c.More() {
			e.armed = false
			// Out of buffers is no fault of the socket's: started again
			// once the round has given them back.
			failed := c.Err() != nil && !errors.Is(c.Err(), unix.ENOBUFS)
			switch {
			case e.dead:
				r.retire(i)
			case failed && e.fails >= maxRingFails:
				p.log.Error("media: a session's socket keeps failing; no longer listening", "local", e.w.s.local.String(), "err", c.Err())
			default:
				if failed {
					e.fails++
				}
				r.arm = append(r.arm, i) // queued at the next round
			}
		}
		if n%32 == 31 {
			next = p.sendIfDue(next)
		}
	}
	if r.retired {
		close(r.freed)
		r.freed = make(chan struct{})
		r.retired = false
	}
}

func (p *pacer) mediaIO() string { return p.sys.io }

// txQueue is the loop's io_uring send queue, nil on the epoll loop.
func (s *pacerSys) txQueue() *txRing {
	if s.ring == nil {
		return nil
	}
	return &s.ring.tx
}
