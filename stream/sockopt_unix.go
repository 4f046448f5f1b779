//go:build unix

package stream

import "syscall"

// boundSendBuffer sets a stream socket's send buffer (SO_SNDBUF), which
// also stops the kernel growing it: what a far end has not read waits
// in the stream's own queue, where the oldest is dropped, rather than
// seconds of it in the kernel.
func boundSendBuffer(c syscall.RawConn) error {
	var serr error
	if err := c.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUF, SendBuffer)
	}); err != nil {
		return err
	}
	return serr
}
