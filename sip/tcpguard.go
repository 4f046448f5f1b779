package sip

import (
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"sync"
	"time"
)

// tcpGuard wraps a TCP listener handed to sipgo: it refuses a source's
// connections beyond Limits.TCPConnections, and the connections it hands
// out close themselves when a message stays incomplete too long after its
// first byte (a half-sent request holds a reader and a buffer) or when
// nothing comes for the idle timeout. sipgo owns the connections; this is
// the one place ivrd can see them (sipgo's own ReadTimeout resets on
// every read, so a trickle would keep a half message alive forever).
type tcpGuard struct {
	net.Listener
	srv *Server

	mu   sync.Mutex
	open map[netip.Addr]int
}

func (s *Server) guardTCP(ln net.Listener) net.Listener {
	return &tcpGuard{Listener: ln, srv: s, open: map[netip.Addr]int{}}
}

// Accept returns the next connection within its source's limit; sipgo
// stops serving on an error, so refused ones are closed here, not
// reported.
func (g *tcpGuard) Accept() (net.Conn, error) {
	lim := g.srv.limits.cfg
	for {
		c, err := g.Listener.Accept()
		if err != nil {
			return nil, err
		}
		src := sourceOf(c.RemoteAddr())
		if !g.admit(src, lim.TCPConnections) {
			g.srv.badLog.Warn("sip: tcp connection refused: source has too many open", "source", src.String(), "limit", lim.TCPConnections)
			_ = c.Close() // refused: nothing was read or written
			continue
		}
		return &guardedConn{Conn: c, guard: g, src: src, message: lim.TCPMessageTimeout, idle: lim.TCPIdleTimeout}, nil
	}
}

func (g *tcpGuard) admit(src netip.Addr, limit int) bool {
	if g.srv.limits.trunk(src) {
		limit = -1
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if limit > 0 && g.open[src] >= limit {
		return false
	}
	g.open[src]++
	return true
}

func (g *tcpGuard) closed(src netip.Addr) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.open[src] <= 1 {
		delete(g.open, src)
		return
	}
	g.open[src]--
}

// errClosedByGuard is what a read returns once the guard has closed a
// connection: io.EOF, so that sipgo treats it as the peer going away
// (quietly) and the reason is logged here once.
var errClosedByGuard = io.EOF

// guardedConn is one accepted connection under the guard's deadlines.
type guardedConn struct {
	net.Conn
	guard         *tcpGuard
	src           netip.Addr
	message, idle time.Duration

	// Touched only by sipgo's one reader goroutine.
	framer       streamFramer
	messageStart time.Time
	libDeadline  time.Time // what sipgo asked for (its ReadTimeout)

	closeOnce sync.Once
}

// SetReadDeadline keeps sipgo's deadline to combine with ours at the
// next Read.
func (c *guardedConn) SetReadDeadline(t time.Time) error {
	c.libDeadline = t
	return nil
}

func (c *guardedConn) SetDeadline(t time.Time) error {
	c.libDeadline = t
	return c.SetWriteDeadline(t)
}

func (c *guardedConn) Read(b []byte) (int, error) {
	for {
		n, idle, err := c.read(b)
		// A caller's connection stays while it has a call: our BYE or
		// re-INVITE may need it to cross the caller's NAT.
		if idle && c.guard.srv.limits.busy(c.src) {
			continue
		}
		if idle {
			c.guard.srv.badLog.Info("sip: tcp connection closed", "reason", "idle", "source", c.RemoteAddr().String())
			// The read already failed; a close error adds nothing to act on.
			_ = c.Close()
			return n, errClosedByGuard
		}
		return n, err
	}
}

// read is one Read under our deadlines; idle reports that the idle one
// ended it (the caller decides), an incomplete message closes here.
func (c *guardedConn) read(b []byte) (n int, idle bool, err error) {
	now := time.Now()
	ours, why := time.Time{}, ""
	if c.framer.inMessage() {
		if c.message > 0 {
			ours, why = c.messageStart.Add(c.message), "message incomplete"
		}
	} else if c.idle > 0 {
		ours, why = now.Add(c.idle), "idle"
	}
	deadline := ours
	if !c.libDeadline.IsZero() && (deadline.IsZero() || c.libDeadline.Before(deadline)) {
		deadline, why = c.libDeadline, ""
	}
	if err := c.Conn.SetReadDeadline(deadline); err != nil {
		return 0, false, err
	}
	n, err = c.Conn.Read(b)
	if n > 0 {
		was := c.framer.started
		c.framer.feed(b[:n])
		if c.framer.started != was {
			c.messageStart = time.Now()
		}
	}
	if err != nil && why != "" && errors.Is(err, os.ErrDeadlineExceeded) {
		if why == "idle" && n == 0 {
			return 0, true, err
		}
		c.guard.srv.badLog.Info("sip: tcp connection closed", "reason", why, "source", c.RemoteAddr().String())
		// The read already failed; a close error adds nothing to act on.
		_ = c.Close()
		return n, false, errClosedByGuard
	}
	return n, false, err
}

func (c *guardedConn) Close() error {
	err := c.Conn.Close()
	c.closeOnce.Do(func() { c.guard.closed(c.src) })
	return err
}
