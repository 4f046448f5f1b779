package main

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/pion/dtls/v4/pkg/crypto/fingerprint"
	"github.com/pion/dtls/v4/pkg/crypto/selfsign"

	"github.com/ivrd/ivrd/audio"
	"github.com/ivrd/ivrd/audio/opus"
)

const usage = `webrtcload — load a SIP-over-WebSocket server with browser-like WebRTC calls

  webrtcload --ws ws://127.0.0.1:8088 [--to 100] --calls N --rate R --hold 30s
             [--codec pcmu|opus] [--pid PID] [--metrics http://127.0.0.1:8080/metrics] [--json FILE]

Every call: a WebSocket of its own (subprotocol sip), INVITE with a
browser's offer (UDP/TLS/RTP/SAVPF, ICE, DTLS fingerprint, rtcp-mux),
ACK, an ICE check, a DTLS handshake, then 50 SRTP packets a second each
way until the hold ends, and BYE. What is received in the window (after
the last call is up and --settle, until the first call's hold ends) is
measured: interval error with kernel timestamps, loss, SRTP failures; and
the server's CPU with --pid, its pacers' lateness with --metrics.

`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// options are the command line's.
type options struct {
	ws, to, codec, metrics, jsonPath string
	calls                            int
	rate                             float64
	hold, settle, timeout            time.Duration
	pid                              int
}

func parseOptions(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("webrtcload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { _, _ = fmt.Fprint(stderr, usage); fs.PrintDefaults() }
	fs.StringVar(&o.ws, "ws", "ws://127.0.0.1:8088", "the server's ws:// listener")
	fs.StringVar(&o.to, "to", "100", "number called (Request-URI user)")
	fs.StringVar(&o.codec, "codec", "pcmu", "pcmu (offer PCMU, PCMA) or opus (offer Opus first, as browsers do; needs a build with Opus)")
	fs.IntVar(&o.calls, "calls", 10, "calls at once")
	fs.Float64Var(&o.rate, "rate", 20, "calls started per second")
	fs.DurationVar(&o.hold, "hold", 20*time.Second, "how long each call lasts after its 200")
	fs.DurationVar(&o.settle, "settle", 2*time.Second, "wait after the last call is up before measuring")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Second, "per setup step (INVITE, ICE, DTLS) and for the BYE's 200")
	fs.IntVar(&o.pid, "pid", 0, "the server's process ID, to report its CPU (/proc/PID/stat)")
	fs.StringVar(&o.metrics, "metrics", "", "the server's /metrics URL, to report ivrd_pacer_lateness_seconds over the window")
	fs.StringVar(&o.jsonPath, "json", "", "write the result as JSON to FILE")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch {
	case fs.NArg() > 0:
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case !strings.HasPrefix(o.ws, "ws://"):
		return o, fmt.Errorf("--ws %q: want ws://HOST:PORT", o.ws)
	case o.calls < 1 || o.rate <= 0:
		return o, errors.New("--calls and --rate must be positive")
	case o.codec != "pcmu" && o.codec != "opus":
		return o, fmt.Errorf("--codec %q: want pcmu or opus", o.codec)
	case o.codec == "opus" && !opus.Available:
		return o, fmt.Errorf("--codec opus: %w (make webrtcload builds with Opus where libopus is installed)", opus.ErrNotBuilt)
	}
	return o, nil
}

func run(args []string, stdout, stderr io.Writer) int {
	o, err := parseOptions(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		_, _ = fmt.Fprintln(stderr, "webrtcload:", err)
		return 2
	}
	cfg, err := newCallConfig(o)
	if err != nil {
		_, _ = fmt.Fprintln(stderr, "webrtcload:", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res := load(ctx, o, cfg)
	res.write(stdout)
	if o.jsonPath != "" {
		b, _ := json.MarshalIndent(res, "", "  ") // plain values: cannot fail
		if err := os.WriteFile(o.jsonPath, append(b, '\n'), 0o644); err != nil {
			_, _ = fmt.Fprintln(stderr, "webrtcload:", err)
			return 1
		}
	}
	if res.Established == 0 || res.Failed > 0 {
		return 1
	}
	return 0
}

// newCallConfig makes what the calls share: one certificate (a browser
// makes one per peer connection; its cost is not what is measured), a
// second of caller audio in each codec that may be chosen, the window.
func newCallConfig(o options) (*callConfig, error) {
	cert, err := selfsign.GenerateSelfSigned()
	if err != nil {
		return nil, err
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		return nil, err
	}
	fp, err := fingerprint.Fingerprint(leaf, crypto.SHA256)
	if err != nil {
		return nil, err
	}
	host := strings.TrimPrefix(o.ws, "ws://")
	if i := strings.LastIndexByte(host, ':'); i > 0 {
		host = host[:i]
	}
	frames, err := callerAudio(o.codec == "opus")
	if err != nil {
		return nil, err
	}
	return &callConfig{WSURL: o.ws, Host: host, To: o.to, Hold: o.hold, Opus: o.codec == "opus", Cert: cert, FP: fp,
		Frames: frames, Window: &window{}, Timeout: o.timeout}, nil
}

// callerAudio is a second of quiet noise (about -45 dBm0, a caller
// listening) as 20 ms frames, per payload type offered.
func callerAudio(withOpus bool) (map[uint8][][]byte, error) {
	r := rand.New(rand.NewPCG(1, 2)) //nolint:gosec // test audio, not a secret
	pcm8 := make([]int16, 8000)
	pcm16 := make([]int16, 16000)
	for i := range pcm8 {
		pcm8[i] = int16(r.IntN(121) - 60)
	}
	for i := range pcm16 {
		pcm16[i] = int16(r.IntN(121) - 60)
	}
	out := map[uint8][][]byte{}
	for _, c := range []struct {
		pt    uint8
		codec audio.Codec
	}{{ptPCMU, audio.PCMU}, {ptPCMA, audio.PCMA}} {
		for i := range 50 {
			f := make([]byte, 160)
			audio.EncodeG711(f, pcm8[i*160:(i+1)*160], c.codec)
			out[c.pt] = append(out[c.pt], f)
		}
	}
	if withOpus {
		enc, err := opus.NewEncoder()
		if err != nil {
			return nil, err
		}
		for i := range 50 {
			f := make([]byte, audio.OpusFrameBytes)
			if err := enc.Encode(f, pcm16[i*opus.FrameSamples:(i+1)*opus.FrameSamples]); err != nil {
				return nil, err
			}
			out[ptOpus] = append(out[ptOpus], f)
		}
	}
	return out, nil
}

// load places the calls at the rate and waits for every one to end.
func load(ctx context.Context, o options, cfg *callConfig) *result {
	res := &result{Calls: o.calls, Rate: o.rate, Hold: o.hold.Seconds(), Codec: o.codec}
	var setups sync.WaitGroup
	var mu sync.Mutex
	var firstUp time.Time
	cfg.SetUp = func(ok bool) {
		if ok {
			mu.Lock()
			if firstUp.IsZero() {
				firstUp = time.Now()
			}
			mu.Unlock()
		}
		setups.Done()
	}
	setups.Add(o.calls)
	var probes probes
	var pwg sync.WaitGroup
	pwg.Go(func() {
		setups.Wait()
		mu.Lock()
		up := firstUp
		mu.Unlock()
		if up.IsZero() {
			probes.err = "no window: no call was set up"
			return
		}
		end := up.Add(o.hold - 250*time.Millisecond) // the first call's stream ends then
		probes.run(ctx, cfg.Window, time.Now().Add(o.settle), end, o.pid, o.metrics)
	})
	results := make([]callResult, o.calls)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range o.calls {
		at := start.Add(time.Duration(float64(i) / o.rate * float64(time.Second)))
		select {
		case <-time.After(time.Until(at)): // the ramp's pace
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			results[i] = callResult{Err: ctx.Err(), Stage: "interrupted", Stats: &recvStats{}}
			setups.Done()
			continue
		}
		wg.Go(func() { results[i] = placeCall(ctx, cfg) })
	}
	wg.Wait()
	pwg.Wait()
	res.WindowSeconds = max(cfg.Window.seconds(), 0)
	res.add(results, &probes)
	return res
}
