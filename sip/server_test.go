package sip

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/pion/rtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/dtmf"
	"github.com/ivrd/ivrd/media"
	"github.com/ivrd/ivrd/sip/siptest"
)

// testHandler records the calls it is given and lets a test act on them;
// each call's digits (RFC 4733 and INFO) are kept for the test to read.
type testHandler struct {
	mu     sync.Mutex
	calls  chan *Call
	digits map[*Call]chan dtmf.Digit
}

func (h *testHandler) Route(dialled string) bool { return dialled == "100" || dialled == "ivr" }

func (h *testHandler) Serve(ctx context.Context, c *Call) {
	ch := make(chan dtmf.Digit, 64)
	d := &infoDigits{deliver: func(dg dtmf.Digit) { ch <- dg }, start: time.Now()}
	h.mu.Lock()
	if h.digits == nil {
		h.digits = map[*Call]chan dtmf.Digit{}
	}
	h.digits[c] = ch
	h.mu.Unlock()
	c.Media.SetDigits(d)
	c.OnInfoDigit(d.Info)
	h.calls <- c
	<-ctx.Done()
}

// digitsOf is what the handler heard of a call's keys.
func (h *testHandler) digitsOf(c *Call) <-chan dtmf.Digit {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.digits[c]
}

// infoDigits is a minimal digit input that passes INFO and RFC 4733
// presses on.
type infoDigits struct {
	deliver func(dtmf.Digit)
	dec     dtmf.EventDecoder
	start   time.Time
}

func (d *infoDigits) TelephoneEvent(h *rtp.Header, payload []byte) {
	if key, ok, _ := d.dec.Packet(h.Timestamp, h.Marker, payload, time.Since(d.start)); ok {
		d.deliver(dtmf.Digit{Key: key, Method: dtmf.RFC4733, At: time.Since(d.start)})
	}
}
func (d *infoDigits) Audio([]int16) {}
func (d *infoDigits) Info(key byte) {
	d.deliver(dtmf.Digit{Key: key, Method: dtmf.Info, At: time.Since(d.start)})
}

type rig struct {
	t       *testing.T
	srv     *Server
	engine  *media.Engine
	handler *testHandler
}

func newRig(t *testing.T, mutate func(*Config, *media.EngineConfig)) *rig {
	t.Helper()
	return newRigWith(t, mutate, nil)
}

// newRigWith serves calls with handler (nil: a testHandler that hands each
// call to rig.nextCall), set before the server starts.
func newRigWith(t *testing.T, mutate func(*Config, *media.EngineConfig), handler Handler) *rig {
	t.Helper()
	// 100 pairs: rigs of tests running in parallel share the range (a
	// pair one holds fails to bind for the others, which draw another).
	ecfg := media.EngineConfig{BindIP: netip.MustParseAddr("127.0.0.1"), PortMin: 30000 + (os.Getpid()%100)*200, Pacers: 1}
	ecfg.PortMax = ecfg.PortMin + 199
	cfg := Config{Listen: []string{"udp://127.0.0.1:0", "tcp://127.0.0.1:0"}}
	if mutate != nil {
		mutate(&cfg, &ecfg)
	}
	engine, err := media.NewEngine(ecfg)
	require.NoError(t, err)
	h := &testHandler{calls: make(chan *Call, 8)}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	var serve Handler = h
	if handler != nil {
		serve = handler
	}
	srv, err := NewServer(cfg, engine, serve, log)
	require.NoError(t, err)
	require.NoError(t, srv.Start(context.Background()))
	t.Cleanup(func() {
		srv.Close()
		engine.Close()
	})
	return &rig{t: t, srv: srv, engine: engine, handler: h}
}

func (r *rig) caller(network string) *siptest.Caller {
	c, err := siptest.NewCaller(network)
	require.NoError(r.t, err)
	r.t.Cleanup(c.Close)
	return c
}

func (r *rig) nextCall() *Call {
	select {
	case c := <-r.handler.calls:
		return c
	case <-time.After(5 * time.Second):
		r.t.Fatal("handler got no call")
		return nil
	}
}

func ctx5(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func statusOf(err error) int {
	var de *sipgo.ErrDialogResponse
	if errors.As(err, &de) {
		return de.Res.StatusCode
	}
	return 0
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	require.Eventually(t, cond, 5*time.Second, 10*time.Millisecond, "timed out waiting for %s", what)
}

func TestCallAnsweredMediaFlowsAndCallerBye(t *testing.T) {
	t.Parallel()
	for _, network := range []string{"udp", "tcp"} {
		t.Run(network, func(t *testing.T) {
			r := newRig(t, nil)
			c := r.caller(network)
			d, err := c.Invite(ctx5(t), r.srv.Addr(network), "100", c.Offer("", 8, 0, 96))
			require.NoError(t, err)
			res := d.InviteResponse
			assert.Equal(t, 200, res.StatusCode)
			body := string(res.Body())
			assert.Contains(t, body, "m=audio ")
			assert.Contains(t, body, "RTP/AVP 0 96\r\n", "our first codec the offer has, and its event PT")
			assert.Contains(t, body, "a=rtpmap:96 telephone-event/8000")
			assert.Contains(t, body, "a=ptime:20")
			contact := res.Contact()
			require.NotNil(t, contact)
			if network == "tcp" {
				v, _ := contact.Address.UriParams.Get("transport")
				assert.Equal(t, "tcp", v)
			}
			require.NoError(t, d.Ack(ctx5(t)))
			call := r.nextCall()
			assert.Equal(t, "100", call.Dialled)
			assert.Equal(t, 1, r.srv.ActiveCalls())
			// The stream never stops: silence flows before any prompt.
			waitFor(t, "silence RTP", func() bool { return len(c.Packets()) >= 10 })
			assert.Equal(t, uint8(0), c.Packets()[0].Header.PayloadType)
			require.NoError(t, d.Bye(ctx5(t)))
			waitFor(t, "call end", func() bool { return r.srv.ActiveCalls() == 0 })
			assert.Equal(t, EndCallerBye, call.EndCause())
			// Media stops with the call: its RTP port is closed and freed.
			waitFor(t, "the call's RTP port freed", func() bool { n, _ := r.engine.Ports(); return n == 0 })
		})
	}
}

func TestInviteRejections(t *testing.T) {
	t.Parallel()
	r := newRig(t, nil)
	c := r.caller("udp")
	cases := []struct {
		name string
		user string
		sdp  []byte
		hdrs []sip.Header
		code int
		hdr  string
		want string
	}{
		{"unknown extension", "999", c.Offer("", 0), nil, 404, "", ""},
		{"no common codec", "100", c.Offer("", 9, 18), nil, 488, "", ""},
		{"100rel required", "100", c.Offer("", 0), []sip.Header{sip.NewHeader("Require", "100rel")}, 420, "Unsupported", "100rel"},
		{"session interval too small", "100", c.Offer("", 0), []sip.Header{sip.NewHeader("Session-Expires", "30"), sip.NewHeader("Supported", "timer")}, 422, "Min-SE", "90"},
		{"malformed sdp", "100", []byte("v=0\r\nbogus\r\n"), nil, 400, "Warning", "not a type=value line"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.Invite(ctx5(t), r.srv.Addr("udp"), tc.user, tc.sdp, tc.hdrs...)
			require.Error(t, err)
			assert.Equal(t, tc.code, statusOf(err), err.Error())
			if tc.hdr != "" {
				var de *sipgo.ErrDialogResponse
				require.True(t, errors.As(err, &de))
				h := de.Res.GetHeader(tc.hdr)
				require.NotNil(t, h, tc.hdr)
				assert.Contains(t, h.Value(), tc.want)
			}
		})
	}
	assert.Equal(t, 0, r.srv.ActiveCalls())
}

func TestCancelBeforeAnswerGets487(t *testing.T) {
	t.Parallel()
	r := newRig(t, func(c *Config, _ *media.EngineConfig) { c.RingTime = 3 * time.Second })
	c := r.caller("udp")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Cancelled once it rings (our 180), before the answer.
	_, err := c.InviteWith(ctx, r.srv.Addr("udp"), "100", c.Offer("", 0), func(res *sip.Response) {
		if res.StatusCode == 180 {
			cancel()
		}
	})
	require.Error(t, err)
	waitFor(t, "cancelled call cleaned up", func() bool { return r.srv.ActiveCalls() == 0 })
	r.noCall(t, "a cancelled call reached the handler")
}

func TestLateOfferAnswerInAck(t *testing.T) {
	t.Parallel()
	r := newRig(t, nil)
	c := r.caller("udp")
	d, err := c.Invite(ctx5(t), r.srv.Addr("udp"), "100", nil)
	require.NoError(t, err)
	offer := string(d.InviteResponse.Body())
	assert.Contains(t, offer, "RTP/AVP 0 8 101", "a late offer lists all our codecs")
	ack := sip.NewRequest(sip.ACK, d.InviteResponse.Contact().Address)
	ack.SetBody(c.Offer("", 8, 101))
	ack.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	require.NoError(t, d.WriteAck(ctx5(t), ack))
	call := r.nextCall()
	waitFor(t, "RTP after late answer", func() bool { return len(c.Packets()) >= 5 })
	assert.Equal(t, uint8(8), c.Packets()[0].Header.PayloadType, "codec chosen from the answer")
	assert.Equal(t, uint8(101), call.choice.EventPT)
	require.NoError(t, d.Bye(ctx5(t)))
}

func reinvite(t *testing.T, d *sipgo.DialogClientSession, sdp []byte) *sip.Response {
	t.Helper()
	req := sip.NewRequest(sip.INVITE, d.InviteResponse.Contact().Address)
	req.SetBody(sdp)
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	res, err := d.Do(ctx5(t), req)
	require.NoError(t, err)
	ack := sip.NewRequest(sip.ACK, d.InviteResponse.Contact().Address)
	ack.AppendHeader(sip.NewHeader("CSeq", fmt.Sprintf("%d ACK", req.CSeq().SeqNo)))
	require.NoError(t, d.WriteRequest(ack))
	return res
}

func TestRequestsOutsideDialogGet481AndOptions200(t *testing.T) {
	t.Parallel()
	r := newRig(t, nil)
	ua, _ := sipgo.NewUA()
	defer ua.Close()
	cl, _ := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"))
	dst := sip.Uri{Scheme: "sip", User: "100", Host: "127.0.0.1", Port: int(r.srv.Addr("udp").Port())}
	for _, m := range []sip.RequestMethod{sip.BYE, sip.INFO, sip.UPDATE, sip.NOTIFY} {
		req := sip.NewRequest(m, dst)
		req.AppendHeader(sip.NewHeader("To", "<sip:100@127.0.0.1>;tag=nosuchdialog"))
		res, err := cl.Do(ctx5(t), req)
		require.NoError(t, err, string(m))
		assert.Equal(t, 481, res.StatusCode, string(m))
	}
	res, err := cl.Do(ctx5(t), sip.NewRequest(sip.OPTIONS, dst))
	require.NoError(t, err)
	assert.Equal(t, 200, res.StatusCode)
	assert.Contains(t, res.GetHeader("Allow").Value(), "INVITE")
	assert.Contains(t, res.GetHeader("Accept").Value(), "application/sdp")
}

func TestNoFreePortGets503AndOptionsSaysSo(t *testing.T) {
	pair := freePortPair(t)
	r := newRig(t, func(_ *Config, e *media.EngineConfig) { e.PortMin, e.PortMax = pair, pair+1 })
	c := r.caller("udp")
	d, err := c.Invite(ctx5(t), r.srv.Addr("udp"), "100", c.Offer("", 0))
	require.NoError(t, err)
	require.NoError(t, d.Ack(ctx5(t)))
	r.nextCall()
	c2 := r.caller("udp")
	_, err = c2.Invite(ctx5(t), r.srv.Addr("udp"), "100", c2.Offer("", 0))
	assert.Equal(t, 503, statusOf(err))

	ua, _ := sipgo.NewUA()
	defer ua.Close()
	cl, _ := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"))
	options := func() int {
		res, err := cl.Do(ctx5(t), sip.NewRequest(sip.OPTIONS, sip.Uri{Scheme: "sip", Host: "127.0.0.1", Port: int(r.srv.Addr("udp").Port())}))
		require.NoError(t, err)
		return res.StatusCode
	}
	// At capacity the health check says 503 too, so a proxy's dispatcher
	// probing with OPTIONS sends the next calls to another node (issue 15;
	// it used to answer 200 whatever the load).
	assert.Equal(t, 503, options())
	require.NoError(t, d.Bye(ctx5(t)))
	// The port is free again.
	waitFor(t, "port freed", func() bool { return r.srv.ActiveCalls() == 0 })
	assert.Equal(t, 200, options(), "a free port again: OPTIONS 200")
	d2, err := c2.Invite(ctx5(t), r.srv.Addr("udp"), "100", c2.Offer("", 0))
	require.NoError(t, err)
	require.NoError(t, d2.Ack(ctx5(t)))
	require.NoError(t, d2.Bye(ctx5(t)))
}

// freePortPair finds an even port that, with the one above it, is free on
// loopback now: an engine with exactly one RTP/RTCP pair must not lose it
// to another test process. It looks below the kernel's ephemeral range
// (32768 up), where the sockets other tests open do not land.
func freePortPair(t *testing.T) int {
	t.Helper()
	for port := 12000 + (os.Getpid()%2000)*2; port < 32000; port += 2 {
		a, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
		if err != nil {
			continue
		}
		b, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port + 1})
		a.Close()
		if err != nil {
			continue
		}
		b.Close()
		return port
	}
	t.Fatal("no free port pair")
	return 0
}

// rawInvite sends a hand-written INVITE (repeated times, same branch, as
// a UDP retransmission) from conn, reads the 200 and ACKs it.
func rawInvite(t *testing.T, conn net.Conn, callID string, sdp []byte, repeat int, extra ...string) string {
	t.Helper()
	local := conn.LocalAddr().String()
	lines := []string{
		"INVITE sip:100@127.0.0.1 SIP/2.0",
		"Via: SIP/2.0/UDP " + local + ";branch=z9hG4bK" + callID,
	}
	lines = append(lines, extra...)
	lines = append(lines,
		"From: <sip:alice@127.0.0.1>;tag=a1",
		"To: <sip:100@127.0.0.1>",
		"Call-ID: "+callID,
		"CSeq: 1 INVITE",
		"Contact: <sip:alice@"+local+">",
		"Max-Forwards: 70",
		"Content-Type: application/sdp",
		fmt.Sprintf("Content-Length: %d", len(sdp)),
		"", string(sdp))
	msg := strings.Join(lines, "\r\n")
	for i := 0; i < repeat; i++ {
		_, err := conn.Write([]byte(msg))
		require.NoError(t, err)
		// The scenario, not a wait: copies spaced as retransmissions
		// are, so the later ones find the call being set up.
		time.Sleep(20 * time.Millisecond)
	}
	buf := make([]byte, 4096)
	var ok string
	for ok == "" {
		conn.SetReadDeadline(time.Now().Add(3 * time.Second))
		n, err := conn.Read(buf)
		require.NoError(t, err)
		if strings.HasPrefix(string(buf[:n]), "SIP/2.0 200") {
			ok = string(buf[:n])
		}
	}
	toLine := ok[strings.Index(ok, "\r\nTo:"):]
	toTag := toLine[strings.Index(toLine, "tag=")+4:]
	toTag = toTag[:strings.IndexAny(toTag, "\r;>")]
	ack := strings.Join([]string{
		"ACK sip:ivrd@127.0.0.1 SIP/2.0",
		"Via: SIP/2.0/UDP " + local + ";branch=z9hG4bKack" + callID,
		"From: <sip:alice@127.0.0.1>;tag=a1",
		"To: <sip:100@127.0.0.1>;tag=" + toTag,
		"Call-ID: " + callID,
		"CSeq: 1 ACK",
		"Max-Forwards: 70",
		"Content-Length: 0", "", ""}, "\r\n")
	_, err := conn.Write([]byte(ack))
	require.NoError(t, err)
	return ok
}

func TestRetransmittedInviteMakesOneCall(t *testing.T) {
	t.Parallel()
	r := newRig(t, nil)
	c := r.caller("udp")
	conn, err := net.Dial("udp", r.srv.Addr("udp").String())
	require.NoError(t, err)
	defer conn.Close()
	rawInvite(t, conn, "retrans1", c.Offer("", 0), 3)
	r.nextCall()
	// An OPTIONS after the copies, on the same socket, is answered only
	// once the server has read them all.
	local := conn.LocalAddr().String()
	_, err = conn.Write([]byte(strings.Join([]string{
		"OPTIONS sip:ivrd@127.0.0.1 SIP/2.0",
		"Via: SIP/2.0/UDP " + local + ";branch=z9hG4bKoptsretrans1",
		"From: <sip:alice@127.0.0.1>;tag=o1", "To: <sip:ivrd@127.0.0.1>",
		"Call-ID: opts-retrans1", "CSeq: 1 OPTIONS", "Max-Forwards: 70", "Content-Length: 0", "", ""}, "\r\n")))
	require.NoError(t, err)
	buf := make([]byte, 4096)
	for {
		require.NoError(t, conn.SetReadDeadline(time.Now().Add(3*time.Second)))
		n, err := conn.Read(buf)
		require.NoError(t, err, "no answer to the OPTIONS sent after the retransmissions")
		if strings.Contains(string(buf[:n]), "CSeq: 1 OPTIONS") {
			break
		}
	}
	assert.Equal(t, 1, r.srv.ActiveCalls(), "retransmissions make no second call")
	r.noCall(t, "second call from a retransmission")
}

func TestServerHangupSendsBye(t *testing.T) {
	t.Parallel()
	r := newRig(t, nil)
	c := r.caller("udp")
	d, err := c.Invite(ctx5(t), r.srv.Addr("udp"), "100", c.Offer("", 0))
	require.NoError(t, err)
	require.NoError(t, d.Ack(ctx5(t)))
	call := r.nextCall()
	go call.Hangup()
	bye, err := c.WaitRequest(sip.BYE, 3*time.Second)
	require.NoError(t, err)
	assert.Equal(t, d.InviteRequest.CallID().Value(), bye.CallID().Value())
	waitFor(t, "call end", func() bool { return r.srv.ActiveCalls() == 0 })
}

// TestShutdownHangsUpEveryCallAtOnce: Close sends BYE on every call
// together, so callers that have vanished (never answering) cost one
// short wait in all, not one each.
func TestShutdownHangsUpEveryCallAtOnce(t *testing.T) {
	t.Parallel()
	r := newRig(t, nil)
	var live []*siptest.Caller
	for i := 0; i < 6; i++ {
		c, err := siptest.NewCaller("udp")
		require.NoError(t, err)
		_, err = c.Call(ctx5(t), r.srv.Addr("udp"), "100")
		require.NoError(t, err)
		r.nextCall()
		if i%2 == 0 {
			c.Close() // gone without a word: its BYE will never be answered
		} else {
			t.Cleanup(c.Close)
			live = append(live, c)
		}
	}
	start := time.Now()
	require.NoError(t, r.srv.Close())
	took := time.Since(start)
	assert.Less(t, took, 3*shutdownByeWait, "three silent callers waited for together (%v)", took)
	assert.Zero(t, r.srv.ActiveCalls())
	for _, c := range live {
		_, err := c.WaitRequest(sip.BYE, time.Second)
		assert.NoError(t, err, "a live caller gets BYE")
	}
}

func notify(t *testing.T, d *sipgo.DialogClientSession, frag string) {
	req := sip.NewRequest(sip.NOTIFY, d.InviteResponse.Contact().Address)
	req.AppendHeader(sip.NewHeader("Event", "refer"))
	req.AppendHeader(sip.NewHeader("Subscription-State", "active;expires=60"))
	req.AppendHeader(sip.NewHeader("Content-Type", "message/sipfrag;version=2.0"))
	req.SetBody([]byte(frag))
	res, err := d.Do(ctx5(t), req)
	require.NoError(t, err)
	require.Equal(t, 200, res.StatusCode)
}

// noCall fails the test if a call has reached the handler.
func (r *rig) noCall(t *testing.T, why string) {
	t.Helper()
	select {
	case <-r.handler.calls:
		t.Fatal(why)
	default:
	}
}

// TestUnackedInviteReleasesItsPort: a caller that never ACKs our 200 (a
// spoofed source, a scanner) holds its RTP port only until AckTimeout, and
// the next caller gets that port, not a 503.
func TestUnackedInviteReleasesItsPort(t *testing.T) {
	pair := freePortPair(t)
	r := newRig(t, func(c *Config, e *media.EngineConfig) {
		e.PortMin, e.PortMax = pair, pair+1
		c.AckTimeout = 500 * time.Millisecond
	})
	c := r.caller("udp")
	_, err := c.Invite(ctx5(t), r.srv.Addr("udp"), "100", c.Offer("", 0)) // 200 comes; no ACK is sent
	require.NoError(t, err)
	inUse := func() int { n, _ := r.engine.Ports(); return n }
	require.Equal(t, 1, inUse(), "the unACKed call holds the one port pair")
	waitFor(t, "port given back", func() bool { return inUse() == 0 && r.srv.ActiveCalls() == 0 })
	c2 := r.caller("udp")
	d2, err := c2.Invite(ctx5(t), r.srv.Addr("udp"), "100", c2.Offer("", 0))
	require.NoError(t, err, "the next caller gets the port")
	require.NoError(t, d2.Ack(ctx5(t)))
	require.NoError(t, d2.Bye(ctx5(t)))
}
