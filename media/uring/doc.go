// Package uring is a Linux io_uring for datagram sockets, as much of it as
// ivrd's media pacer uses: one ring per pacer thread, sends with a
// destination address (IORING_OP_SEND), multishot receives into a ring of
// provided buffers (IORING_OP_RECVMSG with IORING_RECV_MULTISHOT), and
// cancels. The point is the system calls: a pacer sending and receiving a
// thousand calls' packets makes one io_uring_enter a millisecond instead
// of one sendto or recvmmsg a packet (on this project's 2-vCPU machine
// the system call around each packet cost about a sixth of the media
// core's CPU; bench/RESULTS.md).
//
// The ring is created with IORING_SETUP_SINGLE_ISSUER and
// IORING_SETUP_DEFER_TASKRUN: only the thread that made it submits (the
// caller locks its goroutine to its thread), and the kernel does the
// receives' work only inside that thread's io_uring_enter, never in an
// interrupt of it. Kernels before 6.1, or hosts that refuse io_uring
// (io_uring_disabled, a container's seccomp profile), fail New; the
// caller falls back to plain system calls. It builds on every Linux
// architecture (the structures' sizes are checked when it compiles);
// it is tested on amd64.
//
// Memory handed to the kernel (the rings, the provided buffers) is mapped
// outside the Go heap. A send's bytes and address must stay put until the
// next Submit or Wait returns: the kernel copies them then.
//
// It imports no ivrd package, and nothing but the standard library and
// golang.org/x/sys.
package uring
