package uring

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The kernel's structures (include/uapi/linux/io_uring.h), as far as used.

type sqOffsets struct {
	head, tail, ringMask, ringEntries, flags, dropped, array, resv1 uint32
	userAddr                                                        uint64
}

type cqOffsets struct {
	head, tail, ringMask, ringEntries, overflow, cqes, flags, resv1 uint32
	userAddr                                                        uint64
}

type setupParams struct {
	sqEntries, cqEntries, flags, sqThreadCPU, sqThreadIdle, features, wqFD uint32
	resv                                                                   [3]uint32
	sq                                                                     sqOffsets
	cq                                                                     cqOffsets
}

// sqe is struct io_uring_sqe (64 bytes).
type sqe struct {
	opcode   uint8
	flags    uint8
	ioprio   uint16
	fd       int32
	addr2    uint64 // off
	addr     uint64
	len      uint32
	opFlags  uint32 // msg_flags for sends and receives
	userData uint64
	bufGroup uint16
	_        uint16 // personality
	addrLen  uint16 // sends: the destination's length
	_        uint16
	_        [2]uint64
}

type cqe struct {
	userData uint64
	res      int32
	flags    uint32
}

// The kernel's layouts have the same size on every architecture; a
// constant that would be negative does not compile, so a field added or
// mistyped above fails the build, not a call.
const (
	_ = uint(unsafe.Sizeof(sqe{}) - 64)
	_ = uint(64 - unsafe.Sizeof(sqe{}))
	_ = uint(unsafe.Sizeof(cqe{}) - 16)
	_ = uint(16 - unsafe.Sizeof(cqe{}))
	_ = uint(unsafe.Sizeof(setupParams{}) - 120)
	_ = uint(120 - unsafe.Sizeof(setupParams{}))
)

const (
	opRecvmsg     = 10
	opAsyncCancel = 14
	opSend        = 26

	setupCQSize       = 1 << 3
	setupSubmitAll    = 1 << 7
	setupTaskrunFlag  = 1 << 9
	setupSingleIssuer = 1 << 12
	setupDeferTaskrun = 1 << 13

	enterGetevents = 1 << 0

	sqFlagTaskrun = 1 << 1 // IORING_SQ_TASKRUN: deferred work is waiting

	sqeFixedFile    = 1 << 0
	sqeBufferSelect = 1 << 5
	sqeCQESkip      = 1 << 6

	recvMultishot = 1 << 1 // ioprio of a receive

	cqeFBuffer = 1 << 0
	cqeFMore   = 1 << 1

	registerFilesUpdate = 6
	registerFiles2      = 13
	registerPbufRing    = 22
	rsrcRegisterSparse  = 1 << 0

	offSQRing = 0
	offCQRing = 0x8000000
	offSQEs   = 0x10000000
)

// Ring is one io_uring. Not safe for concurrent use: one thread, the one
// that made it, prepares, submits and reaps.
type Ring struct {
	fd                   int
	sqMem, cqMem, sqeMem []byte
	sqHead, sqTail       *uint32
	sqFlags              *uint32
	sqMask               uint32
	sqes                 []sqe
	cqHead, cqTail       *uint32
	cqMask               uint32
	cqes                 []cqe
	tail                 uint32 // SQEs prepared, published to the kernel at Submit
	pending              uint32 // of which not submitted yet
	cqCached             uint32 // the next CQE to read
	msg                  unix.Msghdr
	bufs                 []*BufRing
}

// New makes a ring of entries submission slots and cqEntries completion
// slots (both powers of two). The calling goroutine must stay locked to
// its thread for the ring's life: the kernel binds the ring to it.
func New(entries, cqEntries uint32) (*Ring, error) {
	p := setupParams{
		flags:     setupSingleIssuer | setupDeferTaskrun | setupTaskrunFlag | setupSubmitAll | setupCQSize,
		cqEntries: cqEntries,
	}
	fd, _, e := unix.Syscall(unix.SYS_IO_URING_SETUP, uintptr(entries), uintptr(unsafe.Pointer(&p)), 0)
	if e != 0 {
		return nil, fmt.Errorf("io_uring_setup: %w", e)
	}
	r := &Ring{fd: int(fd)}
	if err := r.mapRings(&p); err != nil {
		_ = r.Close() // the mapping error is the one to report
		return nil, err
	}
	// RECVMSG's multishot form reads only the name's room from this
	// header: the address then the payload land in the provided buffer.
	r.msg.Namelen = unix.SizeofSockaddrInet6
	return r, nil
}

func (r *Ring) mapRings(p *setupParams) error {
	mmap := func(off int64, size int) ([]byte, error) {
		b, err := unix.Mmap(r.fd, off, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
		if err != nil {
			return nil, fmt.Errorf("io_uring mmap: %w", err)
		}
		return b, nil
	}
	var err error
	if r.sqMem, err = mmap(offSQRing, int(p.sq.array+p.sqEntries*4)); err != nil {
		return err
	}
	if r.cqMem, err = mmap(offCQRing, int(p.cq.cqes+p.cqEntries*uint32(unsafe.Sizeof(cqe{})))); err != nil {
		return err
	}
	if r.sqeMem, err = mmap(offSQEs, int(p.sqEntries)*int(unsafe.Sizeof(sqe{}))); err != nil {
		return err
	}
	word := func(b []byte, off uint32) *uint32 { return (*uint32)(unsafe.Pointer(&b[off])) }
	r.sqHead, r.sqTail, r.sqFlags = word(r.sqMem, p.sq.head), word(r.sqMem, p.sq.tail), word(r.sqMem, p.sq.flags)
	r.sqMask = *word(r.sqMem, p.sq.ringMask)
	array := unsafe.Slice(word(r.sqMem, p.sq.array), p.sqEntries)
	for i := range array {
		array[i] = uint32(i) // slot i is SQE i, always
	}
	r.sqes = unsafe.Slice((*sqe)(unsafe.Pointer(&r.sqeMem[0])), p.sqEntries)
	r.cqHead, r.cqTail = word(r.cqMem, p.cq.head), word(r.cqMem, p.cq.tail)
	r.cqMask = *word(r.cqMem, p.cq.ringMask)
	r.cqes = unsafe.Slice((*cqe)(unsafe.Pointer(&r.cqMem[p.cq.cqes])), p.cqEntries)
	r.tail = atomic.LoadUint32(r.sqTail)
	r.cqCached = atomic.LoadUint32(r.cqHead)
	return nil
}

// Close closes the ring and unmaps its memory; the kernel cancels what
// is still in flight and lets go of its sockets.
func (r *Ring) Close() error {
	err := unix.Close(r.fd)
	for _, m := range [][]byte{r.sqeMem, r.cqMem, r.sqMem} {
		if m != nil {
			_ = unix.Munmap(m) // nothing else refers to it
		}
	}
	for _, b := range r.bufs {
		_ = unix.Munmap(b.mem)  // pinned by the kernel until the ring is gone
		_ = unix.Munmap(b.data) // written only inside this thread's submits
	}
	return err
}

// File names a socket in a request: its descriptor, or its slot in the
// ring's table of registered files (RegisterFiles, SetFile), which spares
// the kernel looking the descriptor up and counting a reference on every
// request (measured: about 5 % of a loaded pacer).
type File struct {
	fd    int32
	fixed bool
}

// FD is a socket named by its descriptor.
func FD(fd int) File { return File{fd: int32(fd)} }

// Fixed is the socket in slot of the registered files.
func Fixed(slot uint32) File { return File{fd: int32(slot), fixed: true} }

func (f File) set(s *sqe) {
	s.fd = f.fd
	if f.fixed {
		s.flags |= sqeFixedFile
	}
}

// RegisterFiles makes an empty table of n registered files.
func (r *Ring) RegisterFiles(n uint32) error {
	reg := struct {
		nr    uint32
		flags uint32
		_     uint64
		data  uint64
		tags  uint64
	}{nr: n, flags: rsrcRegisterSparse}
	_, _, e := unix.Syscall6(unix.SYS_IO_URING_REGISTER, uintptr(r.fd), registerFiles2, uintptr(unsafe.Pointer(&reg)), unsafe.Sizeof(reg), 0, 0)
	if e != 0 {
		return fmt.Errorf("uring: register files: %w", e)
	}
	return nil
}

// SetFile puts fd in slot of the registered files (-1 empties it; the
// table lets go of the socket once no request uses it).
func (r *Ring) SetFile(slot uint32, fd int) error {
	fds := [1]int32{int32(fd)}
	upd := struct {
		offset uint32
		_      uint32
		fds    uint64
	}{offset: slot, fds: uint64(uintptr(unsafe.Pointer(&fds[0])))}
	_, _, e := unix.Syscall6(unix.SYS_IO_URING_REGISTER, uintptr(r.fd), registerFilesUpdate, uintptr(unsafe.Pointer(&upd)), 1, 0, 0)
	if e != 0 {
		return fmt.Errorf("uring: update registered file %d: %w", slot, e)
	}
	return nil
}

// Space is how many requests can be queued before a Submit.
func (r *Ring) Space() int { return len(r.sqes) - int(r.tail-atomic.LoadUint32(r.sqHead)) }

// next returns the next free SQE, cleared, or nil when all are taken
// (Submit frees them).
func (r *Ring) next() *sqe {
	if r.tail-atomic.LoadUint32(r.sqHead) >= uint32(len(r.sqes)) {
		return nil
	}
	s := &r.sqes[r.tail&r.sqMask]
	*s = sqe{}
	r.tail++
	r.pending++
	return s
}

// Send queues one datagram from fd to the address to[:toLen], sent at
// the next Submit; b and to must not change until then. A full socket
// buffer drops it (MSG_DONTWAIT), as a plain sendto would. A send that
// succeeds posts no completion; one that fails posts userData with the
// error. False when the submission ring is full.
func (r *Ring) Send(f File, b []byte, to *unix.RawSockaddrInet6, toLen int, userData uint64) bool {
	s := r.next()
	if s == nil {
		return false
	}
	s.opcode = opSend
	f.set(s)
	s.addr, s.len = uint64(uintptr(unsafe.Pointer(unsafe.SliceData(b)))), uint32(len(b))
	s.addr2, s.addrLen = uint64(uintptr(unsafe.Pointer(to))), uint16(toLen)
	s.opFlags = unix.MSG_DONTWAIT
	s.flags |= sqeCQESkip
	s.userData = userData
	return true
}

// Receive queues a multishot receive on fd into group's buffers: every
// datagram that arrives becomes a completion carrying userData and a
// buffer (Completion.Buffer; Datagram splits it), until the receive is
// cancelled or ends (a completion without More: run out of buffers, or
// an error); then queue it again. False when the submission ring is full.
func (r *Ring) Receive(f File, group uint16, userData uint64) bool {
	s := r.next()
	if s == nil {
		return false
	}
	s.opcode = opRecvmsg
	f.set(s)
	s.addr = uint64(uintptr(unsafe.Pointer(&r.msg)))
	s.flags |= sqeBufferSelect
	s.bufGroup = group
	s.ioprio = recvMultishot
	s.userData = userData
	return true
}

// Cancel queues the cancelling of the request carrying target (a
// Receive); its own completion carries userData. The cancelled receive
// posts its last completion (without More) when the cancel runs.
func (r *Ring) Cancel(target, userData uint64) bool {
	s := r.next()
	if s == nil {
		return false
	}
	s.opcode = opAsyncCancel
	s.addr = target
	s.userData = userData
	return true
}

// Submit hands the kernel what was queued and has it do some of the
// receives' deferred work, without waiting: completions are then ready
// to Reap. The kernel does a few dozen deferred receives a call; when
// Pending says more wait, reap (giving the buffers back) and Submit
// again, or the receives run out of buffers. It never blocks (every
// socket is non-blocking and sends do not wait), so it is a raw system
// call: the Go scheduler is not told.
func (r *Ring) Submit() error {
	atomic.StoreUint32(r.sqTail, r.tail)
	n := r.pending
	r.pending = 0
	_, _, e := unix.RawSyscall6(unix.SYS_IO_URING_ENTER, uintptr(r.fd), uintptr(n), 0, enterGetevents, 0, 0)
	if e != 0 && e != unix.EINTR && e != unix.EAGAIN && e != unix.EBUSY {
		return fmt.Errorf("io_uring_enter: %w", e)
	}
	return nil
}

// Pending reports whether deferred receive work waits for a Submit.
func (r *Ring) Pending() bool { return atomic.LoadUint32(r.sqFlags)&sqFlagTaskrun != 0 }

// Completion is one finished request.
type Completion struct {
	UserData uint64
	Res      int32 // bytes, or a negated errno
	flags    uint32
}

// More reports whether the request goes on (a multishot receive).
func (c Completion) More() bool { return c.flags&cqeFMore != 0 }

// Buffer reports which provided buffer holds the data, if any. It must be
// given back (BufRing.Recycle) once read.
func (c Completion) Buffer() (uint16, bool) {
	return uint16(c.flags >> 16), c.flags&cqeFBuffer != 0
}

// Err is the request's error, nil if it succeeded.
func (c Completion) Err() error {
	if c.Res >= 0 {
		return nil
	}
	return unix.Errno(-c.Res)
}

// Reap returns the next completion, false when there is none.
func (r *Ring) Reap() (Completion, bool) {
	if r.cqCached == atomic.LoadUint32(r.cqTail) {
		return Completion{}, false
	}
	c := r.cqes[r.cqCached&r.cqMask]
	r.cqCached++
	atomic.StoreUint32(r.cqHead, r.cqCached)
	return Completion{UserData: c.userData, Res: c.res, flags: c.flags}, true
}

// BufRing is a ring of equal buffers the kernel fills with received
// datagrams (a provided-buffer ring, IORING_REGISTER_PBUF_RING).
type BufRing struct {
	mem  []byte // the ring of buffer descriptors, shared with the kernel
	data []byte // the buffers, n × size
	size int
	n    uint16
	tail uint16
}

// bufDesc is struct io_uring_buf; the ring's tail overlays the first
// descriptor's last two bytes.
type bufDesc struct {
	addr uint64
	len  uint32
	bid  uint16
	_    uint16
}

// NewBufRing registers n buffers of size bytes (n a power of two) as
// group.
func (r *Ring) NewBufRing(n uint16, size int, group uint16) (*BufRing, error) {
	if n == 0 || n&(n-1) != 0 {
		return nil, errors.New("uring: buffer count must be a power of two")
	}
	anon := func(size, populate int) ([]byte, error) {
		return unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|populate)
	}
	mem, err := anon(int(n)*int(unsafe.Sizeof(bufDesc{})), unix.MAP_POPULATE)
	if err != nil {
		return nil, fmt.Errorf("uring: buffer ring: %w", err)
	}
	data, err := anon(int(n)*size, 0) // pages come as buffers are first used
	if err != nil {
		_ = unix.Munmap(mem) // the first mapping is unused
		return nil, fmt.Errorf("uring: buffers: %w", err)
	}
	b := &BufRing{mem: mem, data: data, size: size, n: n}
	reg := struct {
		ringAddr    uint64
		ringEntries uint32
		bgid        uint16
		flags       uint16
		_           [3]uint64
	}{ringAddr: uint64(uintptr(unsafe.Pointer(&mem[0]))), ringEntries: uint32(n), bgid: group}
	_, _, e := unix.Syscall6(unix.SYS_IO_URING_REGISTER, uintptr(r.fd), registerPbufRing, uintptr(unsafe.Pointer(&reg)), 1, 0, 0)
	if e != 0 {
		_ = unix.Munmap(mem)  // never registered
		_ = unix.Munmap(data) // never registered
		return nil, fmt.Errorf("uring: register buffer ring: %w", e)
	}
	r.bufs = append(r.bufs, b)
	for id := range n {
		b.put(id)
	}
	b.publish()
	return b, nil
}

// Buf is buffer id's memory.
func (b *BufRing) Buf(id uint16) []byte {
	off := int(id) * b.size
	return b.data[off : off+b.size : off+b.size]
}

// Recycle gives buffer id back to the kernel.
func (b *BufRing) Recycle(id uint16) {
	b.put(id)
	b.publish()
}

func (b *BufRing) put(id uint16) {
	descs := unsafe.Slice((*bufDesc)(unsafe.Pointer(&b.mem[0])), b.n)
	d := &descs[b.tail&(b.n-1)]
	d.addr = uint64(uintptr(unsafe.Pointer(&b.data[int(id)*b.size])))
	d.len = uint32(b.size)
	d.bid = id
	b.tail++
}

// publish stores the tail with release order. It is a 16-bit field (the
// first descriptor's last two bytes) sharing a 32-bit word with that
// descriptor's bid, and Go has no 16-bit atomic store: the word is
// stored whole, in the machine's byte order (only this side writes
// either half).
func (b *BufRing) publish() {
	w := (*uint32)(unsafe.Pointer(&b.mem[12]))
	var word [4]byte
	binary.NativeEndian.PutUint32(word[:], atomic.LoadUint32(w))
	binary.NativeEndian.PutUint16(word[2:], b.tail)
	atomic.StoreUint32(w, binary.NativeEndian.Uint32(word[:]))
}

// recvmsgOut is struct io_uring_recvmsg_out, at the start of a multishot
// RECVMSG's buffer; the source address follows in a room of the header's
// Namelen (a sockaddr_in6), then the payload.
type recvmsgOut struct {
	namelen, controllen, payloadlen, flags uint32
}

const recvmsgOutSize = int(unsafe.Sizeof(recvmsgOut{}))

// Datagram splits a Receive's buffer into the source address and the
// payload; ok is false when the datagram did not fit the buffer (it is
// dropped, as a truncated one must be).
func Datagram(buf []byte) (from *unix.RawSockaddrInet6, payload []byte, ok bool) {
	if len(buf) < recvmsgOutSize+unix.SizeofSockaddrInet6 {
		return nil, nil, false
	}
	out := (*recvmsgOut)(unsafe.Pointer(&buf[0]))
	start := recvmsgOutSize + unix.SizeofSockaddrInet6
	if out.flags&unix.MSG_TRUNC != 0 || int(out.payloadlen) > len(buf)-start {
		return nil, nil, false
	}
	from = (*unix.RawSockaddrInet6)(unsafe.Pointer(&buf[recvmsgOutSize]))
	return from, buf[start : start+int(out.payloadlen)], true
}
