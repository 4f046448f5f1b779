package bench

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"runtime"
	"sort"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/ivrd/ivrd/audio"
	"github.com/ivrd/ivrd/media"
)

// BenchmarkPacing runs N paced streams for 5 s into one receiving socket
// and reports the inter-packet interval error per stream (p50, p99, max,
// in ms), packets lost, and the process CPU per stream-second.
//
//	go test -run '^$' -bench Pacing -benchtime 1x ./bench/
func BenchmarkPacing(b *testing.B) {
	for _, n := range []int{100, 500, 1000, 2000} {
		b.Run(fmt.Sprintf("streams=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				pace(b, n, 5*time.Second)
			}
		})
	}
}

func pace(b *testing.B, n int, dur time.Duration) {
	base := 40000 + (os.Getpid()%100)*2
	e, err := media.NewEngine(media.EngineConfig{BindIP: netip.MustParseAddr("127.0.0.1"), PortMin: base, PortMax: base + 2*n + 400})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	sink, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	sink.SetReadBuffer(8 << 20)
	defer sink.Close()
	var mu sync.Mutex
	last := map[uint32]time.Time{}
	count := map[uint32]int{}
	var errs []float64
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 1500)
		var h rtp.Header
		for {
			nr, err := sink.Read(buf)
			if err != nil {
				return
			}
			now := time.Now()
			if _, err := h.Unmarshal(buf[:nr]); err != nil {
				continue
			}
			mu.Lock()
			if t, ok := last[h.SSRC]; ok {
				d := now.Sub(t) - 20*time.Millisecond
				if d < 0 {
					d = -d
				}
				errs = append(errs, float64(d)/float64(time.Millisecond))
			}
			last[h.SSRC] = now
			count[h.SSRC]++
			mu.Unlock()
		}
	}()
	var sessions []*media.Session
	for i := 0; i < n; i++ {
		s, err := e.NewSession()
		if err != nil {
			b.Fatal(err)
		}
		s.Start(media.Params{Remote: sink.LocalAddr().(*net.UDPAddr).AddrPort(), Codec: audio.PCMU, Send: true})
		sessions = append(sessions, s)
	}
	time.Sleep(500 * time.Millisecond) // warm-up before the measured window: the benchmark, not a wait
	mu.Lock()
	errs = errs[:0]
	for k := range count {
		count[k] = 0
	}
	mu.Unlock()
	cpu0 := cpuTime()
	time.Sleep(dur) // the measured window itself
	cpu := cpuTime() - cpu0
	// The window ends here: closing thousands of sessions takes a while,
	// and what the others send meanwhile is not part of it.
	mu.Lock()
	got := 0
	for _, c := range count {
		got += c
	}
	errs = append([]float64(nil), errs...)
	mu.Unlock()
	for _, s := range sessions {
		s.Close()
	}
	sink.Close()
	<-done
	sort.Float64s(errs)
	expected := float64(n) * dur.Seconds() * 50
	q := func(p float64) float64 {
		if len(errs) == 0 {
			return 0
		}
		return errs[int(p*float64(len(errs)-1))]
	}
	b.ReportMetric(q(0.5), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(q(1), "max-ms")
	b.ReportMetric(100*(1-float64(got)/expected), "loss-%")
	b.ReportMetric(cpu.Seconds()/dur.Seconds()*100/float64(runtime.NumCPU()), "cpu-%-of-machine")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
