package sip

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"time"
)

// SIP over WebSocket (RFC 7118): ws:// and wss:// listeners for browser
// callers. sipgo serves the WebSocket transport itself (framing, its
// connection pool, responses and in-dialog requests back over the same
// socket), but it upgrades each connection inside its accept loop and
// checks neither the Origin nor the subprotocol. So ivrd reads and checks
// every upgrade request first, on a goroutine of the connection's own
// under the TCP guard's message timeout (wsUpgrade), and hands sipgo only
// connections whose request passed, with that request replayed in front
// of them (sipgo answers it with its 101). After the upgrade the frames
// are checked as they are read (wsGuardConn): a frame no browser sends
// (reserved bits, an unknown opcode, unmasked, larger than a SIP message
// may be) closes the connection and is counted, and the TCP guard's idle
// and message timeouts apply as on tcp://.

// wsMaxRequest bounds an upgrade request: a browser's is under 2 KB.
const wsMaxRequest = 8 << 10

// wsMaxFrame is the largest frame payload taken: a SIP message's bound
// (sipgo's parser refuses more anyway).
const wsMaxFrame = 65535

// wsCounters count what the WebSocket listeners refused or closed.
type wsCounters struct {
	refused atomic.Uint64 // upgrade requests refused (origin, subprotocol, not WebSocket, too big, too slow)
	bad     atomic.Uint64 // connections closed for a bad frame
}

// WebSocketRefused counts WebSocket upgrade requests refused: a
// disallowed Origin, no "sip" subprotocol, not an upgrade at all, too
// large, or not complete within the TCP message timeout.
func (s *Server) WebSocketRefused() uint64 { return s.ws.refused.Load() }

// WebSocketBadFrames counts WebSocket connections closed because a frame
// broke RFC 6455 or exceeded the largest SIP message.
func (s *Server) WebSocketBadFrames() uint64 { return s.ws.bad.Load() }

// wsUpgrade reads c's upgrade request and checks it; it returns the
// connection for sipgo (the request replayed in front), or nil after
// answering the refusal and closing c.
func (s *Server) wsUpgrade(c net.Conn, src netip.Addr, g *tcpGuard) net.Conn {
	lim := s.limits.cfg
	timeout := lim.TCPMessageTimeout
	if timeout <= 0 {
		timeout = defaultTCPMessageTimeout
	}
	_ = c.SetReadDeadline(time.Now().Add(timeout)) // a failure shows as a read error below
	raw, err := readUpgradeRequest(c)
	if err == nil {
		err = s.checkUpgrade(raw)
	}
	if err != nil {
		s.ws.refused.Add(1)
		s.badLog.Warn("sip: websocket upgrade refused", "source", src.String(), "err", err.Error())
		var he *httpRefusal
		if errors.As(err, &he) {
			_ = c.SetWriteDeadline(time.Now().Add(time.Second))
			_, _ = fmt.Fprintf(c, "HTTP/1.1 %d %s\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", he.code, http.StatusText(he.code)) // best effort
		}
		_ = c.Close() // refused
		g.closed(src)
		return nil
	}
	_ = c.SetReadDeadline(time.Time{}) // the guard sets its own from now on
	gc := &wsGuardConn{Conn: c, guard: g, src: src, message: lim.TCPMessageTimeout, idle: lim.TCPIdleTimeout, count: &s.ws.bad}
	return &replayConn{Conn: gc, prefix: raw}
}

// httpRefusal is an upgrade refused with an HTTP status.
type httpRefusal struct {
	code int
	why  string
}

func (e *httpRefusal) Error() string { return e.why }

// readUpgradeRequest reads up to the blank line ending the request's
// head. A request has no body, so nothing follows it until the 101.
func readUpgradeRequest(c net.Conn) ([]byte, error) {
	buf := make([]byte, 0, 1024)
	var chunk [1024]byte
	for !bytes.Contains(buf, []byte("\r\n\r\n")) {
		if len(buf) > wsMaxRequest {
			return nil, &httpRefusal{code: http.StatusRequestHeaderFieldsTooLarge, why: fmt.Sprintf("upgrade request over %d bytes", wsMaxRequest)}
		}
		n, err := c.Read(chunk[:])
		buf = append(buf, chunk[:n]...)
		if err != nil {
			return nil, fmt.Errorf("upgrade request incomplete: %w", err)
		}
	}
	return buf, nil
}

// checkUpgrade accepts a WebSocket upgrade asking for the sip
// subprotocol from an allowed Origin.
func (s *Server) checkUpgrade(raw []byte) error {
	req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
	if err != nil {
		return &httpRefusal{code: http.StatusBadRequest, why: "not an HTTP request: " + err.Error()}
	}
	if req.Method != http.MethodGet || !headerHas(req.Header, "Upgrade", "websocket") || !headerHas(req.Header, "Connection", "upgrade") {
		return &httpRefusal{code: http.StatusUpgradeRequired, why: "not a WebSocket upgrade"}
	}
	if !headerHas(req.Header, "Sec-WebSocket-Protocol", "sip") {
		return &httpRefusal{code: http.StatusBadRequest, why: `no "sip" WebSocket subprotocol (RFC 7118)`}
	}
	if origin := req.Header.Get("Origin"); origin != "" && !originAllowed(origin, req.Host, s.cfg.WebSocket.Origins) {
		return &httpRefusal{code: http.StatusForbidden, why: fmt.Sprintf("origin %q is not allowed (server.sip.ws_origins)", trimForError(origin))}
	}
	return nil
}

// headerHas reports whether a comma-separated header holds token.
func headerHas(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// originAllowed: a page served by the host name it connects to (on any
// port: the UI's phone is served by the API's port), or one the
// configuration names ("*": any). A request without Origin does not come
// from a browser page and is not checked here (it authenticates like any
// SIP client).
func originAllowed(origin, host string, allowed []string) bool {
	for _, a := range allowed {
		if a == "*" || strings.EqualFold(strings.TrimRight(a, "/"), origin) {
			return true
		}
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	return strings.EqualFold(u.Hostname(), hostOnly(host))
}

// hostOnly is a Host header's name without its port.
func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return strings.Trim(hostport, "[]")
}

// replayConn reads prefix before the connection itself.
type replayConn struct {
	net.Conn
	prefix []byte
}

func (c *replayConn) Read(b []byte) (int, error) {
	if len(c.prefix) > 0 {
		n := copy(b, c.prefix)
		c.prefix = c.prefix[n:]
		return n, nil
	}
	return c.Conn.Read(b)
}

// wsGuardConn is an upgraded connection under the TCP guard: frames are
// checked as they arrive, and a frame begun must be complete within the
// message timeout; an idle connection without a call closes.
type wsGuardConn struct {
	net.Conn
	guard         *tcpGuard
	src           netip.Addr
	message, idle time.Duration
	count         *atomic.Uint64

	// Touched only by sipgo's one reader goroutine.
	frames       wsFrameReader
	messageStart time.Time
	libDeadline  time.Time
	closed       atomic.Bool
}

func (c *wsGuardConn) SetReadDeadline(t time.Time) error {
	c.libDeadline = t
	return nil
}

func (c *wsGuardConn) SetDeadline(t time.Time) error {
	c.libDeadline = t
	return c.SetWriteDeadline(t)
}

func (c *wsGuardConn) Read(b []byte) (int, error) {
	for {
		ours, why := time.Time{}, ""
		if c.frames.inFrame() {
			if c.message > 0 {
				ours, why = c.messageStart.Add(c.message), "frame incomplete"
			}
		} else if c.idle > 0 {
			ours, why = time.Now().Add(c.idle), "idle"
		}
		deadline := ours
		if !c.libDeadline.IsZero() && (deadline.IsZero() || c.libDeadline.Before(deadline)) {
			deadline, why = c.libDeadline, ""
		}
		if err := c.Conn.SetReadDeadline(deadline); err != nil {
			return 0, err
		}
		n, err := c.Conn.Read(b)
		if n > 0 {
			was := c.frames.inFrame()
			if ferr := c.frames.feed(b[:n]); ferr != nil {
				c.count.Add(1)
				c.guard.srv.badLog.Warn("sip: websocket connection closed: bad frame", "source", c.RemoteAddr().String(), "err", ferr.Error())
				_ = c.Close() // the peer broke the protocol
				return 0, errClosedByGuard
			}
			if !was && c.frames.inFrame() {
				c.messageStart = time.Now()
			}
		}
		if err != nil && why != "" && n == 0 && errors.Is(err, os.ErrDeadlineExceeded) {
			if why == "idle" && c.guard.srv.limits.busy(c.src) {
				continue // a caller's connection stays while it has a call
			}
			c.guard.srv.badLog.Info("sip: websocket connection closed", "reason", why, "source", c.RemoteAddr().String())
			_ = c.Close() // the read already failed
			return 0, errClosedByGuard
		}
		return n, err
	}
}

func (c *wsGuardConn) Close() error {
	err := c.Conn.Close()
	if !c.closed.Swap(true) {
		c.guard.closed(c.src)
	}
	return err
}

// wsFrameReader follows the frames of a client's byte stream (RFC 6455
// section 5.2) without keeping their payload: it checks each header and
// counts the payload bytes left.
type wsFrameReader struct {
	hdr     [14]byte
	have    int    // header bytes held
	payload uint64 // payload bytes still to come
}

// inFrame reports whether a frame has begun and not ended.
func (r *wsFrameReader) inFrame() bool { return r.have > 0 || r.payload > 0 }

// feed takes the next bytes of the stream.
func (r *wsFrameReader) feed(b []byte) error {
	for len(b) > 0 {
		if r.payload > 0 {
			n := min(uint64(len(b)), r.payload)
			r.payload -= n
			b = b[n:]
			continue
		}
		r.hdr[r.have] = b[0]
		r.have++
		b = b[1:]
		need, err := r.headerLen()
		if err != nil {
			return err
		}
		if r.have < need {
			continue
		}
		if err := r.finishHeader(); err != nil {
			return err
		}
		r.have = 0
	}
	return nil
}

// headerLen is the length of the header begun (2 to 14 bytes), checking
// its first two bytes as soon as they are there.
func (r *wsFrameReader) headerLen() (int, error) {
	if r.have < 2 {
		return 2, nil
	}
	b0, b1 := r.hdr[0], r.hdr[1]
	if b0&0x70 != 0 {
		return 0, errors.New("reserved bits set (no extension was agreed)")
	}
	op := b0 & 0x0f
	switch op {
	case 0x0, 0x1, 0x2, 0x8, 0x9, 0xa:
	default:
		return 0, fmt.Errorf("unknown opcode %#x", op)
	}
	if b1&0x80 == 0 {
		return 0, errors.New("unmasked client frame")
	}
	need := 2 + 4
	switch b1 & 0x7f {
	case 126:
		need += 2
	case 127:
		need += 8
	}
	if op >= 0x8 && b1&0x7f > 125 {
		return 0, errors.New("control frame over 125 bytes")
	}
	return need, nil
}

func (r *wsFrameReader) finishHeader() error {
	n := uint64(r.hdr[1] & 0x7f)
	switch n {
	case 126:
		n = uint64(r.hdr[2])<<8 | uint64(r.hdr[3])
	case 127:
		n = 0
		for _, x := range r.hdr[2:10] {
			n = n<<8 | uint64(x)
		}
	}
	if n > wsMaxFrame {
		return fmt.Errorf("frame of %d bytes (at most %d)", n, wsMaxFrame)
	}
	r.payload = n
	return nil
}
