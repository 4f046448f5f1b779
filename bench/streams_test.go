package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/ivrd/ivrd/audio"
	"github.com/ivrd/ivrd/media"
	"github.com/ivrd/ivrd/stream"
)

// BenchmarkStreams forks N calls' audio (8 kHz µ-law, the caller's
// track) to a local WebSocket consumer, as N stream destinations do:
// N caller sessions send 50 packets/s each to N ivrd sessions of one
// engine, each of which has a stream tapping it. It reports the media
// core's inter-arrival error at the ivrd sessions (p50, p99, max, ms:
// what the taps cost the receive path), the frames the consumer got in
// order against those captured (delivered-%, and out-of-order or missing
// ones, which must be 0), the frames dropped for a slow consumer, and
// the process CPU per stream-second, over 5 s.
//
//	go test -run '^$' -bench Streams -benchtime 1x ./bench/
//
// The figure is streams=200 on one vCPU (taskset -c 0).
func BenchmarkStreams(b *testing.B) {
	for _, n := range []int{10, 200} {
		b.Run(fmt.Sprintf("streams=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				streams(b, n, 5*time.Second)
			}
		})
	}
}

// consumer is the local far end: it reads every message of every stream
// and checks each stream's chunks come one after another.
type consumer struct {
	mu        sync.Mutex
	last      map[string]uint64 // streamSid: the last chunk
	got       uint64
	disorder  uint64
	stops     int
	connected int
}

func (c *consumer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	conn, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	defer func() { _ = conn.CloseNow() }()
	c.mu.Lock()
	c.connected++
	c.mu.Unlock()
	for {
		_, data, err := conn.Read(r.Context())
		if err != nil {
			return
		}
		switch {
		case bytes.HasPrefix(data, []byte(`{"event":"media"`)):
			c.media(data)
		case bytes.HasPrefix(data, []byte(`{"event":"stop"`)):
			c.mu.Lock()
			c.stops++
			c.mu.Unlock()
			return
		}
	}
}

// field is the string value of "name":"value" in a message ivrd built.
func field(data []byte, name string) string {
	key := []byte(`"` + name + `":"`)
	i := bytes.Index(data, key)
	if i < 0 {
		return ""
	}
	rest := data[i+len(key):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return ""
	}
	return string(rest[:j])
}

func (c *consumer) media(data []byte) {
	sid := field(data, "streamSid")
	chunk, err := strconv.ParseUint(field(data, "chunk"), 10, 64)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil || chunk != c.last[sid]+1 {
		c.disorder++
	}
	c.last[sid] = chunk
	c.got++
}

func streams(b *testing.B, n int, dur time.Duration) {
	cons := &consumer{last: map[string]uint64{}}
	srv := httptest.NewServer(cons)
	defer srv.Close()
	url := "ws" + strings.TrimPrefix(srv.URL, "http") + "/media"
	base := 42000 + (os.Getpid()%100)*2
	e, err := media.NewEngine(media.EngineConfig{BindIP: netip.MustParseAddr("127.0.0.1"), PortMin: base, PortMax: base + 4*n + 400})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	d := stream.NewDialer(stream.Options{AllowPrivate: true, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	callers, ivrs := make([]*media.Session, n), make([]*media.Session, n)
	arr := make([]*arrivals, n)
	open := make([]*stream.Stream, n)
	for i := range n {
		if callers[i], err = e.NewSession(); err != nil {
			b.Fatal(err)
		}
		if ivrs[i], err = e.NewSession(); err != nil {
			b.Fatal(err)
		}
		arr[i] = &arrivals{errs: make([]float64, 0, int(dur.Seconds()*60))}
		ivrs[i].Listen(arr[i].frame)
		open[i] = d.Open(ctx, stream.Request{URL: url, CallID: "bench-" + strconv.Itoa(i)})
		ivrs[i].AddTap(open[i])
	}
	for i := range n {
		callers[i].Start(media.Params{Remote: ivrs[i].LocalAddr(), Codec: audio.PCMU, Send: true})
		ivrs[i].Start(media.Params{Remote: callers[i].LocalAddr(), Codec: audio.PCMU, Send: true})
	}
	time.Sleep(500 * time.Millisecond) // warm-up before the measured window: the benchmark, not a wait
	for _, a := range arr {
		a.mu.Lock()
		a.on = true
		a.mu.Unlock()
	}
	cpu0 := cpuTime()
	time.Sleep(dur) // the measured window itself
	cpu := cpuTime() - cpu0
	var errs []float64
	for _, a := range arr {
		a.mu.Lock()
		a.on = false
		errs = append(errs, a.errs...)
		a.mu.Unlock()
	}
	for i := range n {
		ivrs[i].RemoveTap(open[i])
		callers[i].Close()
		open[i].Stop()
	}
	var captured uint64
	deadline := time.Now().Add(10 * time.Second)
	for { // the consumer reads what was sent until every stop came
		cons.mu.Lock()
		stops := cons.stops
		cons.mu.Unlock()
		if stops == n || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond) // polling the consumer's count, outside the measured window
	}
	for _, s := range open {
		captured += s.Sent() + s.Dropped()
	}
	for _, s := range ivrs {
		s.Close()
	}
	sort.Float64s(errs)
	q := func(p float64) float64 {
		if len(errs) == 0 {
			return 0
		}
		return errs[int(p*float64(len(errs)-1))]
	}
	cons.mu.Lock()
	got, disorder := cons.got, cons.disorder
	cons.mu.Unlock()
	b.ReportMetric(q(0.5), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(q(1), "max-ms")
	if captured > 0 {
		b.ReportMetric(100*float64(got)/float64(captured), "delivered-%")
	}
	b.ReportMetric(float64(disorder), "out-of-order")
	b.ReportMetric(float64(d.Totals().FramesDropped), "dropped")
	b.ReportMetric(float64(cpu)/float64(time.Millisecond)/(float64(n)*dur.Seconds()), "cpu-ms/stream-s")
}
