package uring

import (
	"errors"
	"net/netip"
	"runtime"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// newTestRing makes a ring on the test's locked thread, or skips where
// the host refuses io_uring (the product falls back to system calls).
func newTestRing(t *testing.T) *Ring {
	t.Helper()
	runtime.LockOSThread()
	t.Cleanup(runtime.UnlockOSThread)
	r, err := New(64, 256)
	if errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EPERM) || errors.Is(err, unix.EINVAL) {
		t.Skipf("io_uring refused here: %v", err)
	}
	require.NoError(t, err)
	t.Cleanup(func() { _ = r.Close() })
	return r
}

func udpSocket(t *testing.T) (int, netip.AddrPort) {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET6, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	require.NoError(t, err)
	require.NoError(t, unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 0))
	require.NoError(t, unix.Bind(fd, &unix.SockaddrInet6{}))
	sa, err := unix.Getsockname(fd)
	require.NoError(t, err)
	t.Cleanup(func() { _ = unix.Close(fd) })
	return fd, netip.AddrPortFrom(netip.MustParseAddr("::ffff:127.0.0.1"), uint16(sa.(*unix.SockaddrInet6).Port))
}

func rawAddr(a netip.AddrPort) *unix.RawSockaddrInet6 {
	sa := &unix.RawSockaddrInet6{Family: unix.AF_INET6, Addr: a.Addr().As16()}
	p := (*[2]byte)(unsafe.Pointer(&sa.Port))
	p[0], p[1] = byte(a.Port()>>8), byte(a.Port())
	return sa
}

// reapUntil submits and reaps until n completions came or a second passed.
func reapUntil(t *testing.T, r *Ring, n int) []Completion {
	t.Helper()
	var got []Completion
	deadline := time.Now().Add(time.Second)
	for len(got) < n && time.Now().Before(deadline) {
		require.NoError(t, r.Submit())
		for c, ok := r.Reap(); ok; c, ok = r.Reap() {
			got = append(got, c)
		}
	}
	return got
}

// A datagram sent through the ring arrives whole at its address, with the
// sender's address, in a provided buffer; a cancelled receive ends with a
// last completion, and a send that fails says why.
func TestRingSendsAndReceivesDatagrams(t *testing.T) {
	r := newTestRing(t)
	bufs, err := r.NewBufRing(8, 2048, 3)
	require.NoError(t, err)
	a, aAddr := udpSocket(t)
	b, bAddr := udpSocket(t)
	require.True(t, r.Receive(FD(b), 3, 7))
	to := rawAddr(bAddr)
	payloads := [][]byte{[]byte("first"), []byte("second datagram"), make([]byte, 1400)}
	for _, p := range payloads {
		require.True(t, r.Send(FD(a), p, to, unix.SizeofSockaddrInet6, 9))
	}
	got := reapUntil(t, r, len(payloads))
	require.Len(t, got, len(payloads), "one completion per datagram, none for the sends")
	for i, c := range got {
		require.Equal(t, uint64(7), c.UserData)
		require.True(t, c.More(), "a multishot receive goes on")
		id, ok := c.Buffer()
		require.True(t, ok)
		from, payload, ok := Datagram(bufs.Buf(id)[:c.Res])
		require.True(t, ok)
		require.Equal(t, payloads[i], payload)
		port := (*[2]byte)(unsafe.Pointer(&from.Port))
		require.Equal(t, aAddr.Port(), uint16(port[0])<<8|uint16(port[1]), "the source is the sending socket")
		bufs.Recycle(id)
	}

	// More datagrams than buffers: the buffers recycled above keep the
	// receive going.
	for range 20 {
		require.True(t, r.Send(FD(a), payloads[0], to, unix.SizeofSockaddrInet6, 9))
		require.NoError(t, r.Submit())
		for _, c := range reapUntil(t, r, 1) {
			id, ok := c.Buffer()
			require.True(t, ok)
			bufs.Recycle(id)
			require.True(t, c.More())
		}
	}

	require.True(t, r.Cancel(7, 8))
	got = reapUntil(t, r, 2)
	require.Len(t, got, 2)
	for _, c := range got {
		switch c.UserData {
		case 7:
			require.False(t, c.More(), "the cancelled receive's last completion")
		case 8:
			require.NoError(t, c.Err(), "the cancel found its receive")
		default:
			t.Fatalf("unexpected completion %+v", c)
		}
	}

	// A send to a bad address fails and says so (successes say nothing).
	require.True(t, r.Send(FD(a), payloads[0], to, 3, 11))
	got = reapUntil(t, r, 1)
	require.Len(t, got, 1)
	require.Equal(t, uint64(11), got[0].UserData)
	require.Error(t, got[0].Err())
}

// A datagram larger than the buffer is refused, not cut.
func TestDatagramRefusesTruncated(t *testing.T) {
	buf := make([]byte, 64)
	out := (*recvmsgOut)(unsafe.Pointer(&buf[0]))
	out.payloadlen = 100
	_, _, ok := Datagram(buf)
	require.False(t, ok)
	out.payloadlen, out.flags = 4, unix.MSG_TRUNC
	_, _, ok = Datagram(buf)
	require.False(t, ok)
	out.flags = 0
	_, p, ok := Datagram(buf)
	require.True(t, ok)
	require.Len(t, p, 4)
	_, _, ok = Datagram(buf[:10])
	require.False(t, ok)
}

// Sockets named by their slot in the registered files work as by
// descriptor, and emptying the slot (after cancelling the receive) lets
// the socket go: its port can be bound again once it is closed.
func TestRegisteredFiles(t *testing.T) {
	r := newTestRing(t)
	bufs, err := r.NewBufRing(8, 2048, 1)
	require.NoError(t, err)
	require.NoError(t, r.RegisterFiles(4))
	a, _ := udpSocket(t)
	b, bAddr := udpSocket(t)
	require.NoError(t, r.SetFile(0, a))
	require.NoError(t, r.SetFile(3, b))
	require.True(t, r.Receive(Fixed(3), 1, 5))
	require.True(t, r.Send(Fixed(0), []byte("by slot"), rawAddr(bAddr), unix.SizeofSockaddrInet6, 9))
	got := reapUntil(t, r, 1)
	require.Len(t, got, 1)
	id, ok := got[0].Buffer()
	require.True(t, ok)
	_, payload, ok := Datagram(bufs.Buf(id)[:got[0].Res])
	require.True(t, ok)
	require.Equal(t, "by slot", string(payload))
	bufs.Recycle(id)

	require.True(t, r.Cancel(5, 6))
	require.Len(t, reapUntil(t, r, 2), 2)
	require.NoError(t, r.SetFile(3, -1))
	require.NoError(t, unix.Close(b))
	again, err := unix.Socket(unix.AF_INET6, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	require.NoError(t, err)
	defer unix.Close(again)
	require.NoError(t, unix.Bind(again, &unix.SockaddrInet6{Port: int(bAddr.Port())}), "the port is free again")
}

// Whatever a buffer holds, Datagram never reads past it and returns a
// payload inside it, or refuses.
func FuzzDatagram(f *testing.F) {
	ok := make([]byte, recvmsgOutSize+unix.SizeofSockaddrInet6+4)
	(*recvmsgOut)(unsafe.Pointer(&ok[0])).payloadlen = 4
	f.Add(ok)
	f.Add([]byte{})
	f.Add(make([]byte, recvmsgOutSize))
	f.Fuzz(func(t *testing.T, buf []byte) {
		if len(buf) >= recvmsgOutSize {
			// The header is read in place: give it the alignment the
			// kernel's buffers have.
			buf = append(make([]byte, 0, len(buf)+8), buf...)
		}
		from, payload, ok := Datagram(buf)
		if !ok {
			return
		}
		require.NotNil(t, from)
		require.LessOrEqual(t, len(payload), len(buf)-recvmsgOutSize-unix.SizeofSockaddrInet6)
	})
}
