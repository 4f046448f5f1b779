package ivrload

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"unsafe"

	"golang.org/x/sys/unix"
)

// rtpSocket is one call's RTP socket: a non-blocking UDP socket whose
// received datagrams carry the kernel's arrival time (SO_TIMESTAMPNS), so
// the figures do not depend on when a busy worker gets round to reading.
type rtpSocket struct {
	fd    int
	port  uint16
	to    unix.RawSockaddrInet4 // where our audio goes (raw: no conversion per send)
	hasTo bool
	// connected: the socket is connected to to (confirm), so a send
	// names no address.
	connected bool
}

// openRTPSocket binds ip:port (port 0: any) with timestamps on.
func openRTPSocket(ip netip.Addr, port uint16) (*rtpSocket, error) {
	if !ip.Is4() {
		return nil, fmt.Errorf("ivrload: media address %v: only IPv4 is supported", ip)
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1); err != nil {
		_ = unix.Close(fd)
		return nil, fmt.Errorf("ivrload: SO_TIMESTAMPNS: %w", err)
	}
	// Don't fragment: a voice packet never needs it, and the kernel then
	// skips an IP ID per packet. Best effort.
	_ = unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_MTU_DISCOVER, unix.IP_PMTUDISC_DO)
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: ip.As4(), Port: int(port)}); err != nil {
		_ = unix.Close(fd)
		return nil, err
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		_ = unix.Close(fd)
		return nil, err
	}
	return &rtpSocket{fd: fd, port: uint16(sa.(*unix.SockaddrInet4).Port)}, nil
}

// setRemote sets where send goes (the answer's media address). The
// socket is connected there only once the server's audio is seen coming
// from that very address (confirm): a server whose media leaves from
// another address than its SDP names is still heard and measured.
func (s *rtpSocket) setRemote(a netip.AddrPort) error {
	if !a.Addr().Unmap().Is4() {
		return fmt.Errorf("ivrload: remote media %v: only IPv4 is supported", a)
	}
	s.to = unix.RawSockaddrInet4{Family: unix.AF_INET, Addr: a.Addr().Unmap().As4()}
	p := (*[2]byte)(unsafe.Pointer(&s.to.Port))
	binary.BigEndian.PutUint16(p[:], a.Port())
	s.hasTo, s.connected = true, false
	return nil
}

// confirm connects the socket to where it sends once a datagram came
// from there, as a phone that knows its one peer may: sends then name no
// address and skip the kernel's route lookup, which keeps the generator's
// own cost per call down so that it stays ahead of the server it measures
// (a saturated generator sends late and bunched). From then on the
// kernel drops datagrams from anyone else.
func (s *rtpSocket) confirm(from *unix.RawSockaddrInet4) {
	if s.connected || !s.hasTo || *from != s.to {
		return
	}
	_, _, e := unix.RawSyscall(unix.SYS_CONNECT, uintptr(s.fd), uintptr(unsafe.Pointer(&s.to)), unix.SizeofSockaddrInet4)
	s.connected = e == 0 // else it goes on naming the address
}

// send writes one datagram, on a connected socket without an address: no
// allocation, and a raw system call (it never blocks, so the Go
// scheduler need not hear of it, nor its monitor thread wake for it). A
// full socket buffer (EAGAIN) drops the packet, as a real phone's would.
func (s *rtpSocket) send(b []byte) error {
	if !s.hasTo || len(b) == 0 {
		return nil
	}
	var e unix.Errno
	if s.connected {
		_, _, e = unix.RawSyscall6(unix.SYS_SENDTO, uintptr(s.fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)), 0, 0, 0)
	} else {
		_, _, e = unix.RawSyscall6(unix.SYS_SENDTO, uintptr(s.fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)),
			0, uintptr(unsafe.Pointer(&s.to)), unix.SizeofSockaddrInet4)
	}
	if e != 0 {
		return e
	}
	return nil
}

func (s *rtpSocket) close() { _ = unix.Close(s.fd) }

// mmsghdr is struct mmsghdr of recvmmsg(2) (x/sys/unix has no wrapper).
type mmsghdr struct {
	hdr unix.Msghdr
	n   uint32
}

// recvBatch is a worker's preallocated recvmmsg state, reused for every
// socket it reads.
type recvBatch struct {
	msgs  [recvVlen]mmsghdr
	iovs  [recvVlen]unix.Iovec
	bufs  [recvVlen][1536]byte
	ctls  [recvVlen][64]byte
	names [recvVlen]unix.RawSockaddrInet4 // each datagram's source (the agent latches on it)
}

// recvVlen: packets taken from one socket per system call; a socket holds
// one or two between reads, more only when the worker fell behind.
const recvVlen = 8

func newRecvBatch() *recvBatch {
	b := new(recvBatch)
	for i := range b.msgs {
		b.iovs[i].Base = &b.bufs[i][0]
		b.iovs[i].SetLen(len(b.bufs[i]))
		b.msgs[i].hdr.Iov = &b.iovs[i]
		b.msgs[i].hdr.SetIovlen(1)
		b.msgs[i].hdr.Control = &b.ctls[i][0]
		b.msgs[i].hdr.Name = (*byte)(unsafe.Pointer(&b.names[i]))
	}
	return b
}

// read takes up to recvVlen datagrams from fd without blocking. It returns
// how many; 0 with a nil error when the socket is empty.
func (b *recvBatch) read(fd int) (int, error) {
	for i := range b.msgs {
		b.msgs[i].hdr.SetControllen(len(b.ctls[i]))
		b.msgs[i].hdr.Namelen = unix.SizeofSockaddrInet4
		b.msgs[i].hdr.Flags = 0
	}
	// Raw: non-blocking, as send.
	n, _, e := unix.RawSyscall6(unix.SYS_RECVMMSG, uintptr(fd), uintptr(unsafe.Pointer(&b.msgs[0])), recvVlen,
		unix.MSG_DONTWAIT, 0, 0)
	switch {
	case e == unix.EAGAIN || e == unix.EINTR:
		return 0, nil
	case e != 0:
		return 0, e
	}
	return int(n), nil
}

// packet returns datagram i of the last read and its kernel arrival time
// in Unix nanoseconds (0 if the kernel gave none).
func (b *recvBatch) packet(i int) ([]byte, int64) {
	m := &b.msgs[i]
	return b.bufs[i][:m.n], cmsgTimestamp(b.ctls[i][:m.hdr.Controllen])
}

// confirm connects s once datagram i came from where s sends (see
// rtpSocket.confirm).
func (b *recvBatch) confirm(i int, s *rtpSocket) {
	if b.msgs[i].hdr.Namelen >= unix.SizeofSockaddrInet4 {
		s.confirm(&b.names[i])
	}
}

// latch makes datagram i's source where s sends from now on (symmetric
// RTP: the agent's calls learn the target's media address from its first
// packet, as a phone behind NAT is answered).
func (b *recvBatch) latch(i int, s *rtpSocket) {
	if b.msgs[i].hdr.Namelen < unix.SizeofSockaddrInet4 || b.names[i].Family != unix.AF_INET {
		return
	}
	s.to, s.hasTo = b.names[i], true
}

// cmsgTimestamp finds SCM_TIMESTAMPNS in a control-message buffer
// (struct cmsghdr: length, level, type, then the data aligned to the word
// size). It parses in place (unix.ParseSocketControlMessage allocates);
// malformed buffers give 0.
func cmsgTimestamp(b []byte) int64 {
	const word = int(unsafe.Sizeof(uintptr(0)))
	hdr := unix.SizeofCmsghdr
	for len(b) >= hdr {
		var l int
		if word == 8 {
			l = int(binary.NativeEndian.Uint64(b))
		} else {
			l = int(binary.NativeEndian.Uint32(b))
		}
		if l < hdr || l > len(b) {
			return 0
		}
		level := int32(binary.NativeEndian.Uint32(b[word:]))
		typ := int32(binary.NativeEndian.Uint32(b[word+4:]))
		if level == unix.SOL_SOCKET && typ == unix.SCM_TIMESTAMPNS && l >= hdr+16 {
			sec := int64(binary.NativeEndian.Uint64(b[hdr:]))
			nsec := int64(binary.NativeEndian.Uint64(b[hdr+8:]))
			return sec*1e9 + nsec
		}
		next := (l + word - 1) &^ (word - 1)
		if next >= len(b) {
			return 0
		}
		b = b[next:]
	}
	return 0
}
