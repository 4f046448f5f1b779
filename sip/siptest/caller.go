package siptest

import (
	"context"
	"fmt"
	"io"
	"math"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/pion/rtp"
	"github.com/zaf/g711"
)

// Packet is one RTP packet the caller received.
type Packet struct {
	At      time.Time
	Header  rtp.Header
	Payload []byte
}

// Caller is a SIP user agent with an RTP socket.
type Caller struct {
	Network string // "udp", "tcp", "tls" or "ws" (a client of the server's ws:// listener, as a browser is)
	SIPAddr netip.AddrPort
	RTP     *net.UDPConn

	ua     *sipgo.UserAgent
	srv    *sipgo.Server
	client *sipgo.Client
	dlgUA  *sipgo.DialogUA
	closer interface{ Close() error }

	referResponse atomic.Int32 // status the caller answers REFER with

	mu       sync.Mutex
	requests chan *sip.Request
	packets  []Packet
	rtpFrom  netip.AddrPort
}

// NewCaller listens for SIP on 127.0.0.1 (ephemeral port) over network,
// and for RTP on another ephemeral port.
func NewCaller(network string) (*Caller, error) {
	return newCaller(network)
}

func newCaller(network string, uaOpts ...sipgo.UserAgentOption) (*Caller, error) {
	c := &Caller{Network: network, requests: make(chan *sip.Request, 64)}
	c.referResponse.Store(202)
	ua, err := sipgo.NewUA(append([]sipgo.UserAgentOption{sipgo.WithUserAgent("siptest")}, uaOpts...)...)
	if err != nil {
		return nil, err
	}
	c.ua = ua
	c.srv, _ = sipgo.NewServer(ua)
	switch network {
	case "udp":
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		c.SIPAddr = pc.LocalAddr().(*net.UDPAddr).AddrPort()
		c.closer = pc
		go c.srv.ServeUDP(pc)
	case "tcp":
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		c.SIPAddr = ln.Addr().(*net.TCPAddr).AddrPort()
		c.closer = ln
		go c.srv.ServeTCP(ln)
	case "tls":
		// No listener: the caller's connection to the server carries
		// the server's requests back (tls.go).
		c.closer = noListener{}
	case "ws":
		// No listener: like a browser, the caller only connects, and
		// the server's requests come back over that connection.
		c.SIPAddr = netip.MustParseAddrPort("127.0.0.1:5")
		c.closer = io.NopCloser(nil)
	default:
		return nil, fmt.Errorf("siptest: network %q", network)
	}
	clientOpts := []sipgo.ClientOption{sipgo.WithClientHostname("127.0.0.1")}
	if c.SIPAddr.Port() != 0 {
		clientOpts = append(clientOpts, sipgo.WithClientPort(int(c.SIPAddr.Port())))
	}
	c.client, err = sipgo.NewClient(ua, clientOpts...)
	if err != nil {
		return nil, err
	}
	contact := sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "caller", Host: "127.0.0.1", Port: int(c.SIPAddr.Port())}}
	if network != "udp" {
		contact.Address.UriParams = sip.NewParams()
		contact.Address.UriParams.Add("transport", network)
	}
	c.dlgUA = &sipgo.DialogUA{Client: c.client, ContactHDR: contact}
	record := func(code int) sipgo.RequestHandler {
		return func(req *sip.Request, tx sip.ServerTransaction) {
			status := code
			if req.Method == sip.REFER {
				status = int(c.referResponse.Load())
			}
			tx.Respond(sip.NewResponseFromRequest(req, status, "OK", nil))
			select {
			case c.requests <- req:
			default:
			}
		}
	}
	c.srv.OnBye(record(200))
	c.srv.OnRefer(record(202))
	c.srv.OnUpdate(record(200))
	c.srv.OnInvite(record(200))
	c.srv.OnOptions(record(200))
	c.RTP, err = net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, err
	}
	go c.readRTP()
	return c, nil
}

func (c *Caller) readRTP() {
	buf := make([]byte, 1500)
	for {
		n, from, err := c.RTP.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		var p Packet
		if _, err := p.Header.Unmarshal(buf[:n]); err != nil {
			continue
		}
		p.At = time.Now()
		hl := p.Header.MarshalSize()
		p.Payload = append([]byte(nil), buf[hl:n]...)
		c.mu.Lock()
		c.packets = append(c.packets, p)
		c.rtpFrom = from
		c.mu.Unlock()
	}
}

// Packets returns a copy of the RTP packets received so far.
func (c *Caller) Packets() []Packet {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Packet(nil), c.packets...)
}

// ResetPackets forgets the packets received so far.
func (c *Caller) ResetPackets() {
	c.mu.Lock()
	c.packets = nil
	c.mu.Unlock()
}

// NextRequest waits for the next request the server sent us.
func (c *Caller) NextRequest(timeout time.Duration) (*sip.Request, error) {
	select {
	case r := <-c.requests:
		return r, nil
	case <-time.After(timeout):
		return nil, fmt.Errorf("siptest: no request within %v", timeout)
	}
}

// WaitRequest waits for a request of one method, skipping others.
func (c *Caller) WaitRequest(method sip.RequestMethod, timeout time.Duration) (*sip.Request, error) {
	deadline := time.Now().Add(timeout)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return nil, fmt.Errorf("siptest: no %s within %v", method, timeout)
		}
		r, err := c.NextRequest(left)
		if err != nil {
			return nil, fmt.Errorf("siptest: no %s within %v", method, timeout)
		}
		if r.Method == method {
			return r, nil
		}
	}
}

// Offer is an SDP offer for the caller's RTP socket. pts lists the
// payload types in the m= line; 96-127 are offered as telephone-event.
func (c *Caller) Offer(direction string, pts ...int) []byte {
	port := c.RTP.LocalAddr().(*net.UDPAddr).Port
	var m, attrs strings.Builder
	for _, pt := range pts {
		fmt.Fprintf(&m, " %d", pt)
		switch {
		case pt == 0:
			attrs.WriteString("a=rtpmap:0 PCMU/8000\r\n")
		case pt == 8:
			attrs.WriteString("a=rtpmap:8 PCMA/8000\r\n")
		case pt == 9:
			attrs.WriteString("a=rtpmap:9 G722/8000\r\n")
		case pt >= 96:
			fmt.Fprintf(&attrs, "a=rtpmap:%d telephone-event/8000\r\na=fmtp:%d 0-16\r\n", pt, pt)
		}
	}
	if direction == "" {
		direction = "sendrecv"
	}
	return []byte(fmt.Sprintf("v=0\r\no=caller 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio %d RTP/AVP%s\r\n%sa=ptime:20\r\na=%s\r\n",
		port, m.String(), attrs.String(), direction))
}

// Invite calls user at server and waits for the final response. A non-2xx
// final response is returned as *sipgo.ErrDialogResponse.
func (c *Caller) Invite(ctx context.Context, server netip.AddrPort, user string, sdp []byte, hdrs ...sip.Header) (*sipgo.DialogClientSession, error) {
	return c.InviteWith(ctx, server, user, sdp, nil, hdrs...)
}

// InviteWith is Invite that hands each response to onResponse (when not
// nil) as it comes: a test can act on a 180 or 183, such as cancelling
// the call once it rings.
func (c *Caller) InviteWith(ctx context.Context, server netip.AddrPort, user string, sdp []byte, onResponse func(*sip.Response), hdrs ...sip.Header) (*sipgo.DialogClientSession, error) {
	uri := sip.Uri{Scheme: "sip", User: user, Host: server.Addr().String(), Port: int(server.Port())}
	if c.Network != "udp" {
		uri.UriParams = sip.NewParams()
		uri.UriParams.Add("transport", c.Network)
	}
	if sdp != nil {
		hdrs = append(hdrs, sip.NewHeader("Content-Type", "application/sdp"))
	}
	d, err := c.dlgUA.Invite(ctx, uri, sdp, hdrs...)
	if err != nil {
		return nil, err
	}
	var opts sipgo.AnswerOptions
	if onResponse != nil {
		opts.OnResponse = func(res *sip.Response) error { onResponse(res); return nil }
	}
	if err := d.WaitAnswer(ctx, opts); err != nil {
		return d, err
	}
	return d, nil
}

// InviteAuth is Invite answering a 401 or 407 challenge with username
// and password (digest), as a phone with an account does.
func (c *Caller) InviteAuth(ctx context.Context, server netip.AddrPort, user string, sdp []byte, username, password string) (*sipgo.DialogClientSession, error) {
	uri := sip.Uri{Scheme: "sip", User: user, Host: server.Addr().String(), Port: int(server.Port())}
	if c.Network != "udp" {
		uri.UriParams = sip.NewParams()
		uri.UriParams.Add("transport", c.Network)
	}
	d, err := c.dlgUA.Invite(ctx, uri, sdp, sip.NewHeader("Content-Type", "application/sdp"))
	if err != nil {
		return nil, err
	}
	return d, d.WaitAnswer(ctx, sipgo.AnswerOptions{Username: username, Password: password})
}

// SendRTP sends one RTP packet from the caller's RTP socket.
func (c *Caller) SendRTP(to netip.AddrPort, h rtp.Header, payload []byte) error {
	pkt := rtp.Packet{Header: h, Payload: payload}
	b, err := pkt.Marshal()
	if err != nil {
		return err
	}
	_, err = c.RTP.WriteToUDPAddrPort(b, to)
	return err
}

// Close stops the caller.
// SetReferResponse sets the status the caller answers REFER with (default
// 202); safe while calls are running.
func (c *Caller) SetReferResponse(code int) { c.referResponse.Store(int32(code)) }

func (c *Caller) Close() {
	c.RTP.Close()
	c.closer.Close()
	c.ua.Close()
}

// MediaAddr reads the server's RTP address from an SDP body.
func MediaAddr(sdp []byte) (netip.AddrPort, error) {
	var ip netip.Addr
	port := 0
	for _, line := range strings.Split(string(sdp), "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "c=IN IP4 ") {
			a, err := netip.ParseAddr(strings.TrimPrefix(line, "c=IN IP4 "))
			if err != nil {
				return netip.AddrPort{}, err
			}
			ip = a
		}
		if strings.HasPrefix(line, "m=audio ") {
			fmt.Sscanf(line, "m=audio %d", &port)
		}
	}
	if !ip.IsValid() || port == 0 {
		return netip.AddrPort{}, fmt.Errorf("siptest: no media address in %q", sdp)
	}
	return netip.AddrPortFrom(ip, uint16(port)), nil
}

// Answered is an established call: the dialog and where to send RTP.
type Answered struct {
	Dialog *sipgo.DialogClientSession
	Media  netip.AddrPort // the server's RTP address from its answer
}

// Call invites user with an offer of PCMU and telephone-event/101, ACKs
// the 200 and returns the established call.
func (c *Caller) Call(ctx context.Context, server netip.AddrPort, user string) (*Answered, error) {
	d, err := c.Invite(ctx, server, user, c.Offer("", 0, 101))
	if err != nil {
		return nil, err
	}
	if err := d.Ack(ctx); err != nil {
		return nil, err
	}
	media, err := MediaAddr(d.InviteResponse.Body())
	if err != nil {
		return nil, err
	}
	return &Answered{Dialog: d, Media: media}, nil
}

// SendTone streams a sine of freq Hz as PCMU for frames × 20 ms, paced in
// real time, continuing the sequence number in *seq.
func (c *Caller) SendTone(to netip.AddrPort, freq float64, frames int, seq *uint16) error {
	for i := 0; i < frames; i++ {
		payload := make([]byte, 160)
		for j := range payload {
			payload[j] = g711.EncodeUlawFrame(int16(8000 * math.Sin(2*math.Pi*freq*float64(i*160+j)/8000)))
		}
		*seq++
		if err := c.SendRTP(to, rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: *seq, Timestamp: uint32(*seq) * 160, SSRC: 0x5e4d}, payload); err != nil {
			return err
		}
		time.Sleep(20 * time.Millisecond) // real-time pacing, as a phone sends: not a wait
	}
	return nil
}
