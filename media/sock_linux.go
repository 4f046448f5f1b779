package media

import (
	"fmt"
	"net/netip"
	"unsafe"

	"golang.org/x/sys/unix"
)

// udpSock is a non-blocking UDP socket the Go runtime never sees: its
// pacer's epoll loop reads it (pacer_linux.go), and writes are plain
// sendto calls. Kept out of the netpoller so that no packet wakes a
// goroutine. Open and close it only under its session's rules: nothing
// writes after Close has set closed, nothing reads after pacer.remove.
type udpSock struct {
	fd    int
	v6    bool // an AF_INET6 socket: IPv4 peers are written to as v4-mapped
	local netip.AddrPort
	// ringSlot is 1 + its slot in the pacer's io_uring registered files,
	// 0 when not there; read and written on the pacer's loop only.
	ringSlot uint32
}

// listenUDP binds a. An unspecified IPv4 address binds [::] dual-stack,
// as the Go runtime does for "udp" (falling back to IPv4 where IPv6 is
// off), so either family of peer can be reached.
func listenUDP(a netip.AddrPort) (*udpSock, error) {
	ip := a.Addr()
	v6 := ip.Is6() && !ip.Is4In6() || ip == netip.IPv4Unspecified()
	fd, err := -1, error(nil)
	if v6 {
		fd, err = unix.Socket(unix.AF_INET6, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
		if err == nil && ip.Is4() {
			err = unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 0)
		}
		if err != nil && ip.Is4() {
			if fd >= 0 {
				_ = unix.Close(fd) // retried as IPv4
			}
			v6, fd, err = false, -1, nil
		}
	}
	if !v6 {
		fd, err = unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	}
	if err != nil {
		return nil, fmt.Errorf("media: socket: %w", err)
	}
	var sa unix.Sockaddr
	if v6 {
		sa6 := &unix.SockaddrInet6{Port: int(a.Port())}
		if ip.Is6() {
			sa6.Addr = ip.As16()
		}
		sa = sa6
	} else {
		sa = &unix.SockaddrInet4{Port: int(a.Port()), Addr: ip.Unmap().As4()}
	}
	if err := unix.Bind(fd, sa); err != nil {
		_ = unix.Close(fd) // the bind error is the one to report
		return nil, fmt.Errorf("media: bind %s: %w", a, err)
	}
	dontFragment(fd, v6)
	local := a
	if v6 && ip.Is4() {
		local = netip.AddrPortFrom(netip.IPv6Unspecified(), a.Port())
	}
	return &udpSock{fd: fd, v6: v6, local: local}, nil
}

// dontFragment sets the don't-fragment bit on the socket's packets (path
// MTU discovery on), as browsers do for their media: a voice packet is far
// under any path's MTU, and with DF set the kernel skips choosing an IP ID
// for each packet (0.6 % of the kernel's cost of a call's packets,
// bench/RESULTS.md). Best effort: a socket that refuses it sends as before.
func dontFragment(fd int, v6 bool) {
	_ = unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_MTU_DISCOVER, unix.IP_PMTUDISC_DO) // IPv4, v4-mapped too
	if v6 {
		_ = unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_MTU_DISCOVER, unix.IPV6_PMTUDISC_DO)
	}
}

func (u *udpSock) localAddr() netip.AddrPort { return u.local }

func (u *udpSock) close() error { return unix.Close(u.fd) }

// writeTo sends one datagram. A full socket buffer drops it (EAGAIN), as
// UDP would a moment later anyway: the pacer never waits. It allocates
// nothing: the address is built on the stack for a raw sendto.
func (u *udpSock) writeTo(b []byte, to netip.AddrPort) error {
	if len(b) == 0 {
		return nil
	}
	var sa unix.RawSockaddrInet6 // big enough for either family
	size := putSockaddr(&sa, to, u.v6)
	if size == 0 {
		return errAddrFamily
	}
	_, _, e := unix.Syscall6(unix.SYS_SENDTO, uintptr(u.fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)), 0,
		uintptr(unsafe.Pointer(&sa)), size)
	if e != 0 {
		return e
	}
	return nil
}

// putSockaddr writes to into sa in the socket's family and returns its
// size, 0 if the family cannot carry it.
func putSockaddr(sa *unix.RawSockaddrInet6, to netip.AddrPort, v6 bool) uintptr {
	ip := to.Addr()
	port := (*[2]byte)(unsafe.Pointer(&sa.Port))
	port[0], port[1] = byte(to.Port()>>8), byte(to.Port())
	if v6 {
		sa.Family = unix.AF_INET6
		sa.Addr = ip.As16() // an IPv4 address comes out v4-mapped
		return unix.SizeofSockaddrInet6
	}
	ip = ip.Unmap()
	if !ip.Is4() {
		return 0
	}
	sa4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
	sa4.Family = unix.AF_INET
	sa4.Addr = ip.As4()
	return unix.SizeofSockaddrInet4
}

// sockaddrAddr reads the source address recvmmsg wrote.
func sockaddrAddr(sa *unix.RawSockaddrInet6) netip.AddrPort {
	port := (*[2]byte)(unsafe.Pointer(&sa.Port))
	p := uint16(port[0])<<8 | uint16(port[1])
	switch sa.Family {
	case unix.AF_INET:
		sa4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		return netip.AddrPortFrom(netip.AddrFrom4(sa4.Addr), p)
	case unix.AF_INET6:
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr).Unmap(), p)
	}
	return netip.AddrPort{}
}
