package node

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/examples/decision/service"
	"github.com/ivrd/ivrd/internal/testenv"
)

// lookupNode runs examples/account-lookup.yaml as written, but for its
// listeners and the decision service's URL (an httptest server on
// 127.0.0.1: the example's allow_private lets ivrd reach it).
func lookupNode(t *testing.T, serviceURL string, logs io.Writer) *Node {
	t.Helper()
	testenv.NeedEspeak(t, "the account lookup example (its prompts are spoken)")
	b, err := os.ReadFile("../examples/account-lookup.yaml")
	require.NoError(t, err)
	text := strings.Replace(string(b), `ask: "http://127.0.0.1:8090/lookup"`, `ask: "`+serviceURL+`/lookup"`, 1)
	require.NotEqual(t, string(b), text, "the example's ask URL")
	text = "server:\n  sip: { listen: [\"udp://127.0.0.1:0\"] }\n  media: { rtp_ports: \"RTP_RANGE\" }\n" + text
	return startConfig(t, writeConfig(t, text), func(o *Options) {
		o.Log = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	})
}

// lookupCall calls the account menu, presses 1 and types account then
// #, as a phone sends RFC 4733 events, and returns where ivrd REFERs
// the call.
func lookupCall(t *testing.T, svc *Node, account string) string {
	t.Helper()
	c := newCaller(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	call, err := c.Call(ctx, svc.sip.Addr("udp"), "300")
	require.NoError(t, err)
	var seq uint16
	ts := uint32(1000)
	// Typed over the greeting: the menu and the gather take the keys
	// as they come (type-ahead).
	for _, k := range "1" + account + "#" {
		sendEvent(t, c, call.Media, 101, byte(k), &seq, ts)
		ts += 1600
	}
	ref, err := c.WaitRequest(sip.REFER, 10*time.Second)
	require.NoError(t, err, "no REFER")
	return ref.GetHeader("Refer-To").Value()
}

func TestAccountLookupGoesWhereTheServiceSays(t *testing.T) {
	svcDemo := service.Demo("s3cret") // the example's ask.secret: a request signed otherwise gets 401
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Get("X-Ivrd-Signature"))
		mu.Unlock()
		svcDemo.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	logs := &testenv.Buffer{}
	node := lookupNode(t, srv.URL, logs)

	assert.Equal(t, "<sip:premium@127.0.0.1:5070>", lookupCall(t, node, "123456"), "a gold account")
	assert.Equal(t, "<sip:collections@127.0.0.1:5070>", lookupCall(t, node, "654321"), "an overdue account")
	assert.Equal(t, "<sip:frontdesk@127.0.0.1:5070>", lookupCall(t, node, "999999"), "an unknown account: the service says the front desk")
	mu.Lock()
	assert.Len(t, seen, 3, "one request per call")
	for _, s := range seen {
		assert.Regexp(t, `^t=\d+,v1=[0-9a-f]{64}$`, s)
	}
	mu.Unlock()
	assert.NotContains(t, logs.String(), "no usable answer")
}

func TestAccountLookupFallsBack(t *testing.T) {
	// A service that is down: a port nothing listens on.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	down := "http://" + l.Addr().String()
	require.NoError(t, l.Close())
	stalled := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		select { // never answers: the call's own timer (3 s) ends the wait
		case <-r.Context().Done():
		case <-stalled:
		}
	}))
	t.Cleanup(slow.Close)
	t.Cleanup(func() { close(stalled) }) // runs before slow.Close
	garbage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, `{"extension": "9999"}`) // no such extension: refused like configuration would be
	}))
	t.Cleanup(garbage.Close)
	for name, tc := range map[string]struct{ url, reason string }{
		"service down":   {down, "connection refused"},
		"garbage answer": {garbage.URL, `bad answer: answer: unknown extension \"9999\"`},
	} {
		t.Run(name, func(t *testing.T) {
			logs := &testenv.Buffer{}
			node := lookupNode(t, tc.url, logs)
			assert.Equal(t, "<sip:frontdesk@127.0.0.1:5070>", lookupCall(t, node, "123456"), "the ask's fallback")
			require.Eventually(t, func() bool { return strings.Contains(logs.String(), "no usable answer") },
				5*time.Second, 20*time.Millisecond)
			assert.Contains(t, logs.String(), tc.reason)
			assert.NotContains(t, logs.String(), "s3cret", "the secret is never logged")
		})
	}
}

// A gather on a real call: its two timers are the driver's. Two keys
// and silence: digit_timeout ends the entry, too short; then nothing at
// all: the whole-entry timeout ends the second attempt, and the
// fallback runs.
func TestGatherTimersOnACall(t *testing.T) {
	logs := &testenv.Buffer{}
	node := startConfig(t, writeConfig(t, `
server:
  sip: { listen: ["udp://127.0.0.1:0"] }
  media: { rtp_ports: "RTP_RANGE" }
extensions:
  - { number: "1001", contact: "sip:frontdesk@127.0.0.1:5070" }
ivrs:
  - id: m
    extensions: ["300"]
    prompt: main-choices
    keys:
      "1":
        gather: { prompt: goodbye, min: 4, max: 4, digit_timeout: 500ms, timeout: 1500ms, attempts: 2 }
        then: { uri: "sip:acct-${digits}@127.0.0.1:5070" }
        fallback: { extension: "1001" }
`), func(o *Options) {
		o.Log = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	})
	c := newCaller(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	call, err := c.Call(ctx, node.sip.Addr("udp"), "300")
	require.NoError(t, err)
	var seq uint16
	ts := uint32(1000)
	for _, k := range "112" {
		sendEvent(t, c, call.Media, 101, byte(k), &seq, ts)
		ts += 1600
	}
	ref, err := c.WaitRequest(sip.REFER, 15*time.Second)
	require.NoError(t, err, "no REFER")
	assert.Equal(t, "<sip:frontdesk@127.0.0.1:5070>", ref.GetHeader("Refer-To").Value())
	out := logs.String()
	assert.Regexp(t, `msg=invalid .*digits=12 detail=gather`, out)
	assert.Regexp(t, `msg=timeout .*detail=gather`, out)
	assert.Regexp(t, `msg=failure .*detail=gather`, out)
}

// A secret gather (a PIN) on a real call: its keys reach the next step
// but not the log.
func TestSecretGatherKeepsKeysOutOfTheLog(t *testing.T) {
	logs := &testenv.Buffer{}
	node := startConfig(t, writeConfig(t, `
server:
  sip: { listen: ["udp://127.0.0.1:0"] }
  media: { rtp_ports: "RTP_RANGE" }
extensions:
  - { number: "1001", contact: "sip:frontdesk@127.0.0.1:5070" }
ivrs:
  - id: m
    extensions: ["300"]
    prompt: main-choices
    keys:
      "2":
        gather: { prompt: goodbye, min: 4, max: 4, secret: true, var: pin }
        then: { webhook: "", data: { pin: "${vars.pin}" }, then: { extension: "1001" } }
`), func(o *Options) {
		o.Log = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	c := newCaller(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	call, err := c.Call(ctx, node.sip.Addr("udp"), "300")
	require.NoError(t, err)
	var seq uint16
	ts := uint32(1000)
	for _, k := range "29753" {
		sendEvent(t, c, call.Media, 101, byte(k), &seq, ts)
		ts += 1600
	}
	ref, err := c.WaitRequest(sip.REFER, 10*time.Second)
	require.NoError(t, err, "no REFER")
	assert.Equal(t, "<sip:frontdesk@127.0.0.1:5070>", ref.GetHeader("Refer-To").Value())
	out := logs.String()
	assert.Contains(t, out, "key=2 ")
	assert.Equal(t, 4, strings.Count(out, "key=(secret)"), out)
	assert.Contains(t, out, "digits=****")
	for _, k := range []string{"key=9", "key=7", "key=5", "key=3", "9753"} {
		assert.NotContains(t, out, k)
	}
}
