package bench

import (
	"fmt"
	"math"
	"net/netip"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/ivrd/ivrd/audio"
	"github.com/ivrd/ivrd/media"
	"github.com/ivrd/ivrd/prompts"
	"github.com/ivrd/ivrd/recording"
)

// BenchmarkRecording records N calls at once for 5 s each: every call is
// two media sessions on loopback (the caller's and ivrd's, each sending a
// tone in 20 ms PCMU frames), and ivrd's is recorded in stereo through
// package recording. It reports what the wire lost (packets the callers
// sent that ivrd's sessions did not receive), the frames the recorders
// dropped (a disk too slow for its tap), and the disk write rate. The
// files go to a temporary folder, or to $IVRD_BENCH_RECDIR (a real disk).
//
//	go test -run '^$' -bench 'Recording/calls=500' -benchtime 1x ./bench/
//	go test -run '^$' -bench 'Recording/calls=10' -benchtime 1x ./bench/   # a quick check
func BenchmarkRecording(b *testing.B) {
	for _, n := range []int{10, 100, 500} {
		b.Run(fmt.Sprintf("calls=%d", n), func(b *testing.B) {
			for range b.N {
				recordCalls(b, n, 5*time.Second)
			}
		})
	}
}

func loopTone(s *media.Session, p *prompts.Prompt, stop <-chan struct{}) {
	var again func()
	again = func() {
		select {
		case <-stop:
		default:
			s.Play(p, again)
		}
	}
	again()
}

func benchTone(name string, freq float64) *prompts.Prompt {
	pcm := make([]int16, 50*prompts.FrameSamples)
	for i := range pcm {
		pcm[i] = int16(8000 * math.Sin(2*math.Pi*freq*float64(i)/8000))
	}
	return prompts.New(name, pcm)
}

func recordCalls(b *testing.B, n int, dur time.Duration) {
	dir := os.Getenv("IVRD_BENCH_RECDIR")
	if dir == "" {
		dir = b.TempDir()
	}
	base := 44000 + (os.Getpid()%50)*4
	e, err := media.NewEngine(media.EngineConfig{BindIP: netip.MustParseAddr("127.0.0.1"), PortMin: base, PortMax: base + 4*n + 800,
		RTCPInterval: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	var mu sync.Mutex
	var infos []recording.Info
	rec := recording.New(recording.Options{Dir: dir, Index: func(i recording.Info) {
		mu.Lock()
		infos = append(infos, i)
		mu.Unlock()
	}})
	callerTone, promptTone := benchTone("caller", 1000), benchTone("prompt", 440)
	stop := make(chan struct{})
	type pair struct {
		ivrd, caller *media.Session
		rec          *recording.Recording
	}
	pairs := make([]pair, 0, n)
	for range n {
		a, err := e.NewSession()
		if err != nil {
			b.Fatal(err)
		}
		c, err := e.NewSession()
		if err != nil {
			b.Fatal(err)
		}
		a.Start(media.Params{Remote: c.LocalAddr(), Codec: audio.PCMU, Send: true})
		c.Start(media.Params{Remote: a.LocalAddr(), Codec: audio.PCMU, Send: true})
		r, err := rec.Start(fmt.Sprintf("bench-%d", len(pairs)), a, recording.Stereo)
		if err != nil {
			b.Fatal(err)
		}
		loopTone(a, promptTone, stop)
		loopTone(c, callerTone, stop)
		pairs = append(pairs, pair{a, c, r})
	}
	b.ResetTimer()
	start := time.Now()
	time.Sleep(dur) // the calls run for dur: the measurement's length, not a wait for an event
	close(stop)
	var sent, received uint64
	for _, p := range pairs {
		p.caller.Close() // nothing more is sent to ivrd's session
		sent += p.caller.Stats().Sent
	}
	// The last packets may still be on their way: wait (bounded) until
	// ivrd's sessions stop receiving more.
	for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); {
		received = 0
		for _, p := range pairs {
			received += p.ivrd.Stats().Received
		}
		if received >= sent {
			break
		}
		time.Sleep(10 * time.Millisecond) // polling the counters, bounded by the deadline
	}
	for _, p := range pairs {
		p.rec.Stop()
		p.ivrd.Close()
	}
	elapsed := time.Since(start)
	b.StopTimer()
	var bytes int64
	var dropped uint64
	var stopped int
	var recorded time.Duration
	for _, i := range infos {
		bytes += i.Bytes
		recorded += i.Duration
		dropped += i.Dropped
		if i.Stopped != "" {
			stopped++
		}
	}
	if len(infos) != n {
		b.Fatalf("%d recordings indexed, want %d", len(infos), n)
	}
	lost := int64(sent) - int64(received)
	b.ReportMetric(float64(lost), "wire_lost_pkts")
	b.ReportMetric(float64(dropped), "rec_dropped_frames")
	b.ReportMetric(float64(stopped), "rec_stopped")
	b.ReportMetric(float64(bytes)/elapsed.Seconds()/1e6, "disk_MB/s")
	b.ReportMetric(float64(bytes)/float64(n)/1e6, "MB/call")
	// Against the run's length: less means the pacers sent fewer frames
	// than 50 a second (a machine too busy for them), not a recorder's loss.
	b.ReportMetric(recorded.Seconds()/float64(n), "recorded_s/call")
	b.ReportMetric(elapsed.Seconds(), "run_s")
}
