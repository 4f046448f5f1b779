package decide

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/webhook"
)

const testConfig = `
extensions:
  - { number: "1001", contact: "sip:a@127.0.0.1" }
  - { number: "1002", contact: "sip:b@127.0.0.1" }
ivrs:
  - id: main
    extensions: ["300"]
    prompt: main-choices
    keys:
      "1": { ask: "http://127.0.0.1/x", fallback: { extension: "1001" } }
`

func config(t testing.TB) *ivr.Config {
	t.Helper()
	c, err := ivr.Parse([]byte(testConfig))
	require.NoError(t, err)
	return c
}

// server is a decision service on 127.0.0.1 answering with h.
func server(t testing.TB, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s
}

// stall is a service that never answers: it waits until the client
// goes (or the test ends).
func stall(t testing.TB) http.HandlerFunc {
	done := make(chan struct{})
	t.Cleanup(func() { close(done) }) // before the server's Close: cleanups run last first
	return func(_ http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // the server watches the connection once the body is read
		select {
		case <-r.Context().Done():
		case <-done:
		}
	}
}

func ask(u string) ivr.Ask {
	return ivr.Ask{ID: 7, URL: u, Timeout: 2 * time.Second, Request: ivr.AskRequest{CallID: "c1", IVR: "main",
		Caller: "555", Dialled: "300", Digits: "123456", Vars: map[string]string{"account": "123456"}}}
}

func TestDecideSignsAndRunsTheAnswer(t *testing.T) {
	var got ivr.AskRequest
	var sigErr error
	s := server(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		sigErr = webhook.Verify("s3cret", r.Header.Get(SignatureHeader), body, time.Now(), time.Minute)
		_ = json.Unmarshal(body, &got)
		_, _ = io.WriteString(w, `{"extension": "1002", "vars": {"tier": "gold"}, "say": "hello"}`)
	})
	c := New(Options{Secret: "s3cret", AllowPrivate: true})
	res := c.Decide(context.Background(), config(t), ask(s.URL+"/lookup"), nil)
	require.NoError(t, res.Err)
	assert.Equal(t, 7, res.ID)
	assert.Equal(t, "extension 1002", res.Answer.Dest.String())
	assert.Equal(t, "gold", res.Answer.Vars["tier"])
	assert.Equal(t, "hello", res.Answer.Say)
	require.NoError(t, sigErr, "the webhooks' Verify accepts the signature")
	assert.Equal(t, "123456", got.Digits)
	assert.Equal(t, "c1", got.CallID)
	assert.Equal(t, map[string]string{"account": "123456"}, got.Vars)
}

func TestDecideRefusesBadAnswers(t *testing.T) {
	big := bytes.Repeat([]byte("x"), 30<<20)
	mux := http.NewServeMux()
	mux.HandleFunc("/garbage", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "<html>") })
	mux.HandleFunc("/unknown", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, `{"extension": "9"}`) })
	mux.HandleFunc("/500", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(500) })
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop", http.StatusFound) })
	mux.HandleFunc("/huge", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(big) })
	s := server(t, mux.ServeHTTP)
	mux.HandleFunc("/slow", stall(t))
	c := New(Options{AllowPrivate: true, BreakerFailures: 100})
	for path, want := range map[string]error{
		"/garbage": ivr.ErrBadAnswer, "/unknown": ivr.ErrBadAnswer, "/500": ErrStatus, "/loop": ErrStatus, "/huge": ErrTooLarge,
	} {
		res := c.Decide(context.Background(), config(t), ask(s.URL+path), nil)
		assert.ErrorIs(t, res.Err, want, path)
		assert.Nil(t, res.Answer, path)
	}
	a := ask(s.URL + "/slow")
	a.Timeout = 200 * time.Millisecond
	res := c.Decide(context.Background(), config(t), a, nil)
	assert.ErrorContains(t, res.Err, "no answer within 200ms")
}

func TestDecideRefusesPrivateTargets(t *testing.T) {
	var hits atomic.Int32
	s := server(t, func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		_, _ = io.WriteString(w, `{"extension": "1002"}`)
	})
	c := New(Options{})
	for _, u := range []string{s.URL, "http://169.254.169.254/latest/meta-data/", "http://[::1]:1/", "http://10.1.2.3:9/"} {
		res := c.Decide(context.Background(), config(t), ask(u), nil)
		assert.ErrorIs(t, res.Err, ErrRefusedTarget, u)
	}
	assert.Zero(t, hits.Load(), "nothing reached the service")
	for addr, private := range map[string]bool{"127.0.0.1": true, "10.0.0.1": true, "192.168.1.1": true, "172.16.0.1": true,
		"169.254.169.254": true, "100.100.100.200": true, "::1": true, "fd00:ec2::254": true, "fe80::1": true, "0.0.0.0": true,
		"::ffff:127.0.0.1": true, "8.8.8.8": false, "2001:4860:4860::8888": false} {
		assert.Equal(t, private, Private(netip.MustParseAddr(addr)), addr)
	}
}

func TestDecideLimitsRequestsInFlight(t *testing.T) {
	release := make(chan struct{})
	arrived := make(chan struct{}, 10)
	s := server(t, func(w http.ResponseWriter, _ *http.Request) {
		arrived <- struct{}{}
		<-release
		_, _ = io.WriteString(w, `{"extension": "1002"}`)
	})
	c := New(Options{AllowPrivate: true, MaxConcurrent: 2})
	var wg sync.WaitGroup
	results := make(chan ivr.AskResult, 2)
	for range 2 {
		wg.Add(1)
		go func() { defer wg.Done(); results <- c.Decide(context.Background(), config(t), ask(s.URL), nil) }()
	}
	<-arrived
	<-arrived
	res := c.Decide(context.Background(), config(t), ask(s.URL+"?other=query"), nil) // the same URL, another query
	assert.ErrorIs(t, res.Err, ErrBusy)
	close(release)
	wg.Wait()
	close(results)
	for r := range results {
		assert.NoError(t, r.Err)
	}
}

func TestDecideCircuitBreaker(t *testing.T) {
	var hits atomic.Int32
	var healthy atomic.Bool
	s := server(t, func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		if !healthy.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, `{"extension": "1002"}`)
	})
	now := time.Unix(1000, 0)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	c := New(Options{AllowPrivate: true, BreakerFailures: 3, BreakerCooldown: 10 * time.Second, Now: clock})
	for range 3 {
		assert.ErrorIs(t, c.Decide(context.Background(), config(t), ask(s.URL), nil).Err, ErrStatus)
	}
	// Open: the fallback at once, the service is left alone.
	assert.ErrorIs(t, c.Decide(context.Background(), config(t), ask(s.URL), nil).Err, ErrCircuitOpen)
	assert.EqualValues(t, 3, hits.Load())
	// After the cooldown one request tries; the service is back.
	mu.Lock()
	now = now.Add(11 * time.Second)
	mu.Unlock()
	healthy.Store(true)
	require.NoError(t, c.Decide(context.Background(), config(t), ask(s.URL), nil).Err)
	require.NoError(t, c.Decide(context.Background(), config(t), ask(s.URL), nil).Err)
	assert.EqualValues(t, 5, hits.Load())
}

func TestDecideReusesConnections(t *testing.T) {
	var conns atomic.Int32
	s := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, `{"extension": "1002"}`)
	}))
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			conns.Add(1)
		}
	}
	s.Start()
	t.Cleanup(s.Close)
	c := New(Options{AllowPrivate: true})
	for range 20 {
		require.NoError(t, c.Decide(context.Background(), config(t), ask(s.URL), nil).Err)
	}
	assert.EqualValues(t, 1, conns.Load())
}

func TestDecideCallGone(t *testing.T) {
	mux := http.NewServeMux()
	s := server(t, mux.ServeHTTP)
	mux.HandleFunc("/", stall(t))
	c := New(Options{AllowPrivate: true})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res := c.Decide(ctx, config(t), ask(s.URL), nil)
	assert.True(t, errors.Is(res.Err, context.Canceled), "%v", res.Err)
}

// BenchmarkAsk is what an ask costs beyond the service's own time: a
// service on loopback that answers at once, the whole Decide (request,
// signature, answer decoded and validated). Run it quietly:
// go test -run x -bench Ask -benchtime 5000x ./decide/
func BenchmarkAsk(b *testing.B) {
	s := server(b, func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, `{"extension": "1002"}`) })
	c := New(Options{Secret: "s", AllowPrivate: true})
	cfg := config(b)
	a := ask(s.URL)
	// As a call asks: prompt names checked against its snapshot's set
	// (about a hundred built-in names).
	names := make([]string, 100)
	for i := range names {
		names[i] = fmt.Sprintf("prompt-%d", i)
	}
	known := cfg.AnswerPrompts(names)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if res := c.Decide(context.Background(), cfg, a, known); res.Err != nil {
				b.Fatal(res.Err)
			}
		}
	})
}
