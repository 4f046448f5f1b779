package bench

import (
	"fmt"
	"net/netip"
	"os"
	"sort"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ivrd/ivrd/audio"
	"github.com/ivrd/ivrd/media"
)

// BenchmarkDuplex runs N sessions in N/2 pairs of the same engine, each
// sending its 50 packets/s to the other: every session sends and receives
// one stream, as a call does, and everything received goes through the
// engine's receive path (latching, statistics, G.711 decode, a Listen
// hook that timestamps it). It reports the process CPU per
// session-second (pacing, sending, receiving: the media core's cost of one
// full-duplex call), the inter-arrival error at the receiving session
// (p50, p99, p999, max, ms) and loss, over 5 s, and the CPU and the
// thread wake-ups per packet sent or received.
//
//	go test -run '^$' -bench Duplex -benchtime 1x ./bench/
func BenchmarkDuplex(b *testing.B) {
	for _, n := range []int{200, 1000, 2000} {
		b.Run(fmt.Sprintf("sessions=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				duplex(b, n, 5*time.Second)
			}
		})
	}
}

// arrivals timestamps one session's received frames.
type arrivals struct {
	mu    sync.Mutex
	last  time.Time
	count int
	errs  []float64
	on    bool
}

func (a *arrivals) frame([]int16) {
	now := time.Now()
	a.mu.Lock()
	if a.on {
		if !a.last.IsZero() {
			d := now.Sub(a.last) - 20*time.Millisecond
			if d < 0 {
				d = -d
			}
			a.errs = append(a.errs, float64(d)/float64(time.Millisecond))
		}
		a.count++
	}
	a.last = now
	a.mu.Unlock()
}

func duplex(b *testing.B, n int, dur time.Duration) {
	base := 40000 + (os.Getpid()%100)*2
	e, err := media.NewEngine(media.EngineConfig{BindIP: netip.MustParseAddr("127.0.0.1"), PortMin: base, PortMax: base + 2*n + 400})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	sessions := make([]*media.Session, n)
	arr := make([]*arrivals, n)
	for i := range sessions {
		if sessions[i], err = e.NewSession(); err != nil {
			b.Fatal(err)
		}
		arr[i] = &arrivals{errs: make([]float64, 0, int(dur.Seconds()*60))}
		sessions[i].Listen(arr[i].frame)
	}
	for i := 0; i < n; i += 2 {
		a, c := sessions[i], sessions[i+1]
		a.Start(media.Params{Remote: c.LocalAddr(), Codec: audio.PCMU, Send: true})
		c.Start(media.Params{Remote: a.LocalAddr(), Codec: audio.PCMU, Send: true})
	}
	time.Sleep(500 * time.Millisecond) // warm-up before the measured window: the benchmark, not a wait
	for _, a := range arr {
		a.mu.Lock()
		a.on = true
		a.mu.Unlock()
	}
	sent := func() (n uint64) {
		for _, s := range sessions {
			n += s.Stats().Sent
		}
		return n
	}
	sent0, cpu0, sw0 := sent(), cpuTime(), contextSwitches()
	time.Sleep(dur) // the measured window itself
	cpu, sentN, switches := cpuTime()-cpu0, sent()-sent0, contextSwitches()-sw0
	var errs []float64
	got := 0
	for _, a := range arr {
		a.mu.Lock()
		a.on = false
		errs = append(errs, a.errs...)
		got += a.count
		a.mu.Unlock()
	}
	for _, s := range sessions {
		s.Close()
	}
	sort.Float64s(errs)
	q := func(p float64) float64 {
		if len(errs) == 0 {
			return 0
		}
		return errs[int(p*float64(len(errs)-1))]
	}
	expected := float64(n) * dur.Seconds() * 50
	b.ReportMetric(q(0.5), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(q(0.999), "p999-ms")
	b.ReportMetric(q(1), "max-ms")
	b.ReportMetric(100*(1-float64(got)/expected), "loss-%")
	b.ReportMetric(float64(cpu)/float64(time.Millisecond)/(float64(n)*dur.Seconds()), "cpu-ms/session-s")
	// The same CPU per packet sent or received: on a machine busy with
	// other work the engine may move fewer packets than asked, and this
	// is the figure that does not flatter it for that.
	b.ReportMetric(float64(cpu)/float64(time.Microsecond)/float64(sentN+uint64(got)), "cpu-us/packet")
	// Threads put to sleep and woken again (voluntary context switches)
	// per packet: what a goroutine woken per packet costs, counted
	// rather than timed, so other load on the machine hardly moves it.
	b.ReportMetric(float64(switches)/float64(sentN+uint64(got)), "wakeups/packet")
}

// contextSwitches is the process's voluntary context switches so far.
func contextSwitches() int64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Nvcsw
}
