//go:build linux

// Command floor measures what the kernel alone charges for a media core's
// packets on this machine: N "calls", each a UDP socket that sends one
// 172-byte datagram every 20 ms (spread over the 20 ms like ivrd's pacer
// slots) and receives as many from a peer process, with no media work
// at all: no RTP parsing, no coding, no digit detection. The same
// system calls as ivrd's pacer, either way it can make them:
//
//	-io epoll     a sendto a packet; epoll_wait (no wait) and a recvmmsg
//	              per ready socket each millisecond
//	-io io_uring  one io_uring_enter a millisecond (media/uring)
//
// Run the peer on one CPU and the server on another, loopback only:
//
//	taskset -c 1 floor -role peer -n 1000 &
//	taskset -c 0 floor -role server -io io_uring -n 1000 -secs 10
//
// The sockets are AF_INET on 127.0.0.1, as ivrd's are when its SIP
// listens there (the benches); -v6 makes them dual-stack IPv6 sending to
// v4-mapped addresses, as ivrd's are when it binds 0.0.0.0. -df sets
// don't-fragment (ivrd does) and -connect connects each socket to its
// peer (ivrd does not: it must hear a peer that moves), to see what each
// saves.
//
// It prints the server's CPU in ms per call-second, the unit of issue
// 21's media figures: ivrd's own figure minus this is what ivrd's code
// costs. bench/floor.sh runs both ways alternately with ivrd's sweep.
//
// It imports media/uring and nothing else of ivrd.
package main
