package sip

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMalformedRequestsRejectedAndServerCarriesOn: messages that do not
// parse are dropped (there is nothing to answer them with), requests
// without a mandatory header get 400 naming it, and calls go on working.
func TestMalformedRequestsRejectedAndServerCarriesOn(t *testing.T) {
	t.Parallel()
	r := newRig(t, nil)
	send := func(msg func(local string) string) string {
		conn, err := net.Dial("udp", r.srv.Addr("udp").String())
		require.NoError(t, err)
		defer conn.Close()
		_, err = conn.Write([]byte(msg(conn.LocalAddr().String())))
		require.NoError(t, err)
		buf := make([]byte, 4096)
		conn.SetReadDeadline(time.Now().Add(400 * time.Millisecond))
		n, err := conn.Read(buf)
		if err != nil {
			return ""
		}
		return string(buf[:n])
	}
	request := func(method string, skip string) func(string) string {
		return func(local string) string {
			var b strings.Builder
			b.WriteString(method + " sip:100@127.0.0.1 SIP/2.0\r\n")
			for _, h := range []string{
				"Via: SIP/2.0/UDP " + local + ";branch=z9hG4bK" + strings.ReplaceAll(skip, "-", ""),
				"From: <sip:alice@127.0.0.1>;tag=a1",
				"To: <sip:100@127.0.0.1>",
				"Call-ID: malformed-" + skip,
				"CSeq: 1 " + method,
				"Contact: <sip:alice@" + local + ">",
				"Max-Forwards: 70",
			} {
				if !strings.HasPrefix(h, skip+":") {
					b.WriteString(h + "\r\n")
				}
			}
			b.WriteString("Content-Length: 0\r\n\r\n")
			return b.String()
		}
	}
	for _, c := range []struct{ name, msg string }{
		{"binary garbage", "\x00\x01\x02\xff hello"},
		{"request line only", "INVITE\r\n\r\n"},
		{"CSeq without a method", strings.Replace(request("INVITE", "x")(""), "CSeq: 1 INVITE", "CSeq: abc", 1)},
	} {
		assert.Empty(t, send(func(string) string { return c.msg }), "%s: dropped unanswered", c.name)
	}
	for _, c := range []struct{ method, missing string }{
		{"INVITE", "Call-ID"}, {"INVITE", "From"}, {"OPTIONS", "From"}, {"OPTIONS", "To"},
	} {
		res := send(request(c.method, c.missing))
		assert.True(t, strings.HasPrefix(res, "SIP/2.0 400 Missing "+c.missing+" Header\r\n"), "%s without %s: %q", c.method, c.missing, res)
		assert.Contains(t, res, `Warning: 399 ivrd "no `+c.missing+` header"`)
	}
	// A body shorter than its Content-Length gets 400 (RFC 3261 18.3;
	// issue 13 point 14: it used to be dropped unanswered).
	res := send(func(local string) string {
		return strings.Replace(request("INVITE", "y")(local), "Content-Length: 0\r\n\r\n", "Content-Length: 500\r\n\r\nv=0\r\n", 1)
	})
	assert.True(t, strings.HasPrefix(res, "SIP/2.0 400 "), "body shorter than Content-Length: %q", res)
	// Without CSeq the transaction layer itself answers 400.
	assert.True(t, strings.HasPrefix(send(request("BYE", "CSeq")), "SIP/2.0 400 "), "BYE without CSeq")
	// And the server is still there for a real call.
	c := r.caller("udp")
	call, err := c.Call(ctx5(t), r.srv.Addr("udp"), "100")
	require.NoError(t, err)
	require.NoError(t, call.Dialog.Bye(ctx5(t)))
}

func TestBadInputLogsAreRateLimited(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := slog.New(newRateLimited(slog.NewTextHandler(&buf, nil), 3, time.Minute))
	now := time.Now()
	for i := 0; i < 10; i++ {
		r := slog.NewRecord(now, slog.LevelWarn, "bad packet", 0)
		require.NoError(t, log.Handler().Handle(context.Background(), r))
	}
	require.NoError(t, log.Handler().Handle(context.Background(), slog.NewRecord(now, slog.LevelWarn, "other", 0)))
	assert.Equal(t, 3, strings.Count(buf.String(), "bad packet"), "three per window")
	assert.Equal(t, 1, strings.Count(buf.String(), "other"), "each message has its own budget")
	later := slog.NewRecord(now.Add(2*time.Minute), slog.LevelWarn, "bad packet", 0)
	require.NoError(t, log.Handler().Handle(context.Background(), later))
	assert.Contains(t, buf.String(), "suppressed_before=7", "the next window says how many were dropped")
}

// buggyHandler panics when routing "999" and when serving "998", as bugs
// would; other numbers it serves like testHandler.
type buggyHandler struct{ testHandler }

func (h *buggyHandler) Route(dialled string) bool {
	if dialled == "999" {
		panic("routing bug")
	}
	return dialled == "100" || dialled == "998"
}

func (h *buggyHandler) Serve(ctx context.Context, c *Call) {
	if c.Dialled == "998" {
		panic("serving bug")
	}
	h.testHandler.Serve(ctx, c)
}

// TestHandlerPanicsEndOnlyTheirCall: a panic while routing gets the INVITE
// a 500, one while serving hangs that call up; the server and the calls
// beside them go on.
func TestHandlerPanicsEndOnlyTheirCall(t *testing.T) {
	t.Parallel()
	h := &buggyHandler{testHandler{calls: make(chan *Call, 8)}}
	r := newRigWith(t, nil, h)
	c := r.caller("udp")
	good, err := c.Call(ctx5(t), r.srv.Addr("udp"), "100")
	require.NoError(t, err)
	<-h.calls

	_, err = c.Call(ctx5(t), r.srv.Addr("udp"), "999")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "500")

	c2 := r.caller("udp")
	_, err = c2.Call(ctx5(t), r.srv.Addr("udp"), "998")
	require.NoError(t, err)
	_, err = c2.WaitRequest(sip.BYE, 3*time.Second)
	require.NoError(t, err, "the call whose handling failed is hung up")

	waitFor(t, "only the first call left", func() bool { return r.srv.ActiveCalls() == 1 })
	require.NoError(t, good.Dialog.Bye(ctx5(t)))
}
