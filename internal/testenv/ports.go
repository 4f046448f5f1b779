package testenv

import (
	"fmt"
	"math/rand/v2"
	"net"
	"testing"
)

// BaresipPort is a loopback port for baresip's sip_listen. baresip binds
// UDP and TCP on it and its SIP/TLS transport on the port above, and
// fails to start ("sock_bind: Address already in use") when any of the
// three is taken; a port from the kernel's ephemeral range can be, by
// the time baresip starts, another test's outgoing connection. So the
// port is picked below that range (32768 up), at random so parallel
// test processes spread out, and all four sockets are checked free.
func BaresipPort(t testing.TB) int {
	t.Helper()
	const low, high = 20000, 32000
	for range 200 {
		port := low + rand.IntN((high-low)/2)*2
		if loopbackFree(port) && loopbackFree(port+1) {
			return port
		}
	}
	t.Fatal("testenv.BaresipPort: no free port pair below 32000 on 127.0.0.1")
	return 0
}

// loopbackFree says whether both UDP and TCP can bind port on 127.0.0.1
// now.
func loopbackFree(port int) bool {
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	u, err := net.ListenPacket("udp4", addr)
	if err != nil {
		return false
	}
	defer func() { _ = u.Close() }()
	l, err := net.Listen("tcp4", addr)
	if err != nil {
		return false
	}
	return l.Close() == nil
}
