package ivrload

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/netip"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// Config is one load run.
type Config struct {
	Target string // host:port of the SIP server
	To     string // user part of the Request-URI: the IVR's number
	From   string // our user part

	// AuthUser and AuthPassword answer a 401/407 digest challenge to the
	// INVITE, as a trunk or a registered phone would.
	AuthUser, AuthPassword string

	Calls int           // calls placed in all
	Rate  float64       // calls started per second
	Hold  time.Duration // how long each call stays up (from its 200) unless the target ends it

	Digit       byte          // key pressed after DigitAfter (0: none)
	DigitAfter  time.Duration //
	DigitMethod string        // rfc4733, inband or info
	Expect      string        // none, refer, bye or bridge (default: refer with a key, none without)
	// DigitAt, when set, has every call press its key at one moment:
	// this long after the run's start instead of DigitAfter after its
	// own answer (a call answered later presses at once). Many reactions
	// at the same time: bench/ask.sh.
	DigitAt time.Duration
	// DigitSpread spreads those presses evenly over this long after
	// DigitAt (call i of n at DigitAt + i/n of it): many reactions in
	// progress together without all starting in the same millisecond.
	DigitSpread time.Duration
	// Presses is how often the key is pressed (default 1), PressEvery
	// apart (default 1 s; RFC 4733 and in-band only): a caller typing
	// keys the IVR goes on collecting (bench/gathers.sh).
	Presses    int
	PressEvery time.Duration

	LocalIP        netip.Addr    // our SIP and RTP address (default: the one routing to Target)
	SIPPort        int           // our SIP port (0: any)
	RTPPortMin     int           // RTP ports to use (0: any the kernel gives)
	RTPPortMax     int           //
	TelephoneEvent uint8         // payload type offered for RFC 4733 (0: not offered)
	SRTP           string        // SRTP suite offered: aes_cm_80, aes_cm_32, gcm ("": plain RTP)
	Audio          string        // caller audio: noise (default), talk or silence
	Codec          string        // the one codec offered: pcmu (default) or g722
	Workers        int           // media workers (default: GOMAXPROCS)
	Slots          int           // sending slots per 20 ms per worker (default 10: a packet burst every 2 ms); more spread the calls' packets finer
	Settle         time.Duration // after the ramp, before measuring (default 1 s)
	SetupTimeout   time.Duration // for each SIP transaction (default 10 s)
	PID            int           // the target's process, for its CPU (0: not measured)

	// Transport is udp (default) or tls. Over TLS the calls are spread
	// over Connections connections (default 1), the i-th call on
	// connection i mod Connections; the target's certificate is checked
	// against TLSCAFile (PEM), or the system's CAs, unless TLSInsecure
	// (a lab) skips the check.
	Transport   string
	Connections int
	TLSCAFile   string
	TLSInsecure bool

	Log io.Writer // progress and per-call problems (nil: none)
}

func (c *Config) eventPT() uint8 { return c.TelephoneEvent }

func (c *Config) fill() error {
	if c.Calls <= 0 {
		return fmt.Errorf("ivrload: calls must be positive")
	}
	if c.Rate <= 0 {
		return fmt.Errorf("ivrload: rate must be positive")
	}
	if c.Hold <= 0 {
		return fmt.Errorf("ivrload: hold must be positive")
	}
	if c.To == "" {
		c.To = "100"
	}
	if c.From == "" {
		c.From = "ivrload"
	}
	if c.Expect == "" {
		c.Expect = ExpectNone
		if c.Digit != 0 {
			c.Expect = ExpectRefer
		}
	}
	switch c.Expect {
	case ExpectNone, ExpectRefer, ExpectBye, ExpectBridge:
	default:
		return fmt.Errorf("ivrload: expect %q: want none, refer, bye or bridge", c.Expect)
	}
	if c.Digit != 0 {
		if _, ok := eventCode(c.Digit); !ok {
			return fmt.Errorf("ivrload: digit %q: want 0-9, *, #, A-D", c.Digit)
		}
		if c.DigitMethod == "" {
			c.DigitMethod = methodRFC4733
		}
		switch c.DigitMethod {
		case methodRFC4733, methodInband, methodInfo:
		default:
			return fmt.Errorf("ivrload: digit method %q: want rfc4733, inband or info", c.DigitMethod)
		}
		if c.DigitAfter >= c.Hold && c.DigitAt == 0 {
			return fmt.Errorf("ivrload: the key (after %v) must come before the hold (%v) ends", c.DigitAfter, c.Hold)
		}
		if err := c.checkPresses(); err != nil {
			return err
		}
	}
	codec, err := checkCodec(c.Codec)
	if err != nil {
		return err
	}
	c.Codec = codec
	switch c.Audio {
	case "":
		c.Audio = "noise"
	case "noise", "talk", "silence":
	default:
		return fmt.Errorf("ivrload: audio %q: want noise, talk or silence", c.Audio)
	}
	if c.SRTP != "" {
		if _, ok := srtpSuites[c.SRTP]; !ok {
			return fmt.Errorf("ivrload: srtp %q: want aes_cm_80, aes_cm_32 or gcm", c.SRTP)
		}
	}
	if err := c.checkTransport(); err != nil {
		return err
	}
	if c.Workers <= 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	if err := checkSlots(c.Slots); err != nil {
		return err
	}
	if c.Settle <= 0 {
		c.Settle = time.Second
	}
	if c.SetupTimeout <= 0 {
		c.SetupTimeout = 10 * time.Second
	}
	if c.RTPPortMin > c.RTPPortMax || c.RTPPortMin < 0 || c.RTPPortMax > 65535 {
		return fmt.Errorf("ivrload: RTP ports %d-%d", c.RTPPortMin, c.RTPPortMax)
	}
	return c.findLocalIP()
}

// checkPresses fills in and checks DigitAt, Presses and PressEvery.
func (c *Config) checkPresses() error {
	if c.DigitAt < 0 || c.DigitSpread < 0 || (c.DigitSpread > 0 && c.DigitAt == 0) {
		return fmt.Errorf("ivrload: digit-at %v, digit-spread %v: want a time after the run's start, and a spread only with it", c.DigitAt, c.DigitSpread)
	}
	if c.Presses <= 0 {
		c.Presses = 1
	}
	if c.PressEvery <= 0 {
		c.PressEvery = time.Second
	}
	if c.Presses > 1 && c.DigitMethod == methodInfo {
		return fmt.Errorf("ivrload: presses %d: repeated keys go by rfc4733 or inband, not info", c.Presses)
	}
	// A press lasts keyFrames (+ endCopies end packets) frames: the next
	// one must not start inside it.
	if last := time.Duration(keyFrames+endCopies) * frameInterval; c.Presses > 1 && c.PressEvery <= last {
		return fmt.Errorf("ivrload: press-every %v: a press lasts %v, want more", c.PressEvery, last)
	}
	return nil
}

// findLocalIP fills in LocalIP, when not given, with the address the
// kernel would send from towards the target; a UDP "connect" sends
// nothing.
func (c *Config) findLocalIP() error {
	if c.LocalIP.IsValid() {
		return nil
	}
	conn, err := net.Dial("udp4", c.Target)
	if err != nil {
		return fmt.Errorf("ivrload: target %q: %w", c.Target, err)
	}
	c.LocalIP = conn.LocalAddr().(*net.UDPAddr).AddrPort().Addr().Unmap()
	conn.Close()
	return nil
}

// runner is one run's shared state.
type runner struct {
	cfg       Config
	t0        time.Time // the run's start (DigitAt counts from it)
	targetURI sip.Uri
	endpoints []*endpoint // SIP user agents: one over UDP, one per connection over TLS (signalling.go)
	calls     sync.Map    // Call-ID -> *sipCall
	workers   []*worker
	ports     *portPool
	audio     []byte
	tone      []byte
	logMu     sync.Mutex
}

func (r *runner) logf(format string, a ...any) {
	if r.cfg.Log == nil {
		return
	}
	r.logMu.Lock()
	_, _ = fmt.Fprintf(r.cfg.Log, "ivrload: "+format+"\n", a...) // progress only
	r.logMu.Unlock()
}

// Run places the calls and returns the figures. It stops by itself: every
// call ends at its hold (or earlier), the run when the last call is over.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.fill(); err != nil {
		return nil, err
	}
	host, portStr, err := net.SplitHostPort(cfg.Target)
	if err != nil {
		return nil, fmt.Errorf("ivrload: target %q: %w", cfg.Target, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, fmt.Errorf("ivrload: target %q: bad port", cfg.Target)
	}
	r := &runner{cfg: cfg, ports: &portPool{min: cfg.RTPPortMin, max: cfg.RTPPortMax}}
	r.targetURI = sip.Uri{Scheme: "sip", User: cfg.To, Host: host, Port: port}
	r.audio = callerAudio(cfg.Audio, cfg.Codec)
	if cfg.Digit != 0 && cfg.DigitMethod == methodInband {
		r.tone = keyTone(cfg.Digit, cfg.Codec)
	}

	if cfg.Transport == TransportTLS {
		r.targetURI.UriParams = transportTLS()
	}
	closeSignalling, err := r.openSignalling(ctx)
	if err != nil {
		return nil, err
	}
	defer closeSignalling()

	// The measuring window: from the end of the ramp (plus settling) to
	// the first moment a call may end or press its key. A run without such
	// a steady stretch of at least a second is measured whole.
	t0 := time.Now()
	r.t0 = t0
	ramp := time.Duration(float64(cfg.Calls-1) / cfg.Rate * float64(time.Second))
	// A key expected to end the call (REFER, BYE) or change its audio
	// ends the steady stretch; keys that only feed the IVR (--expect
	// none: a gather collecting) are part of it.
	steadyEnd := cfg.Hold
	switch {
	case cfg.Digit != 0 && cfg.Expect != ExpectNone && cfg.DigitAt > 0:
		steadyEnd = cfg.DigitAt
	case cfg.Digit != 0 && cfg.Expect != ExpectNone:
		steadyEnd = cfg.DigitAfter
	}
	win := window{from: t0.Add(ramp + cfg.Settle).UnixNano(), to: t0.Add(steadyEnd).UnixNano()}
	whole := win.to-win.from < int64(time.Second)
	if whole {
		win = window{from: 0, to: 1<<63 - 1}
	}

	mediaCtx, stopMedia := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for i := 0; i < cfg.Workers; i++ {
		w, err := newWorker(win, cfg.Slots)
		if err != nil {
			stopMedia()
			wg.Wait()
			return nil, err
		}
		r.workers = append(r.workers, w)
		wg.Add(1)
		go func(phase time.Duration) {
			defer wg.Done()
			w.run(mediaCtx, phase)
		}(w.phase(i, cfg.Workers))
	}

	// CPU samples at the window's edges (at the run's, when measured whole).
	var cpu cpuWindow
	cpuDone := make(chan struct{})
	go func() {
		defer close(cpuDone)
		if !whole {
			sleepUntil(ctx, time.Unix(0, win.from))
		}
		cpu.begin(cfg.PID)
		if !whole {
			sleepUntil(ctx, time.Unix(0, win.to))
		}
	}()

	calls := make([]*sipCall, cfg.Calls)
	var callsWG sync.WaitGroup
	var started atomic.Int64
	for i := range calls {
		if !sleepUntil(ctx, t0.Add(time.Duration(float64(i)/cfg.Rate*float64(time.Second)))) {
			calls = calls[:i]
			break
		}
		c := &sipCall{r: r, ep: r.endpoints[i%len(r.endpoints)], idx: i, events: make(chan *sip.Request, 8)}
		calls[i] = c
		callsWG.Add(1)
		started.Add(1)
		go func() {
			defer callsWG.Done()
			c.run(ctx)
		}()
	}
	<-cpuDone
	if whole {
		callsWG.Wait()
	}
	cpu.end(cfg.PID)
	callsWG.Wait()
	end := time.Now()
	stopMedia()
	wg.Wait()
	if whole {
		win = window{from: t0.UnixNano(), to: end.UnixNano()}
	}
	if ctx.Err() != nil { // interrupted: the window ends with the run
		win.to = min(win.to, end.UnixNano())
		win.from = min(win.from, win.to)
	}
	return r.result(calls, win, whole, &cpu), nil
}

// checkSlots: 0 (the default) or a count that divides the 20 ms period
// into whole nanoseconds, no finer than maxSlots.
func checkSlots(n int) error {
	if n < 0 || n > maxSlots || (n > 0 && frameInterval%time.Duration(n) != 0) {
		return fmt.Errorf("ivrload: slots %d: want a divisor of 20 ms up to %d (10, 20, 40, 80, 100, 200, ...)", n, maxSlots)
	}
	return nil
}

func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// handle answers what the target sends inside our calls and hands it to
// the call's goroutine. Unknown dialogs get 481.
func (r *runner) handle(srv *sipgo.Server) {
	route := func(req *sip.Request, tx sip.ServerTransaction) {
		v, ok := r.calls.Load(req.CallID().Value())
		if !ok {
			_ = tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
			return
		}
		c := v.(*sipCall)
		switch req.Method {
		case sip.BYE:
			if c.d != nil {
				_ = c.d.ReadBye(req, tx)
			} else {
				_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
			}
		case sip.REFER:
			_ = tx.Respond(sip.NewResponseFromRequest(req, 202, "Accepted", nil))
		case sip.INVITE:
			// A re-INVITE (hold, a bridge's media change): accept with
			// our unchanged offer.
			res := sip.NewResponseFromRequest(req, 200, "OK", c.sdp)
			res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
			if c.d != nil {
				if h := c.d.InviteRequest.Contact(); h != nil {
					res.AppendHeader(h.Clone())
				}
			}
			_ = tx.Respond(res)
		default:
			_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
		}
		select {
		case c.events <- req:
		default:
		}
	}
	for _, m := range []sip.RequestMethod{sip.BYE, sip.REFER, sip.INVITE, sip.NOTIFY, sip.INFO, sip.UPDATE, sip.OPTIONS, sip.MESSAGE} {
		srv.OnRequest(m, route)
	}
	srv.OnAck(func(*sip.Request, sip.ServerTransaction) {})
}

// portPool hands out RTP ports from a range, or lets the kernel pick.
type portPool struct {
	min, max int
	next     atomic.Int64
}

func (p *portPool) open(ip netip.Addr) (*rtpSocket, error) {
	if p.min == 0 {
		return openRTPSocket(ip, 0)
	}
	n := p.max - p.min + 1
	var last error
	for i := 0; i < n; i++ {
		port := p.min + int(p.next.Add(2)-2)%n&^1 // even ports, RTP's custom
		s, err := openRTPSocket(ip, uint16(port))
		if err == nil {
			return s, nil
		}
		last = err
	}
	return nil, fmt.Errorf("ivrload: no free RTP port in %d-%d: %w", p.min, p.max, last)
}

// callerAudio is a one-second loop of frames in the codec that every call
// sends. Noise (white, -45 dBm0) keeps a listening detector busy as a
// live line does without ever looking like a key; talk is the same noise
// at -25 dBm0, loud enough to pass a conference room's silence gate, so
// that every participant is mixed as a talker.
func callerAudio(kind, codec string) []byte {
	const frames = 50
	if kind == "silence" {
		return silence(codec, frames)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	level := -45.0
	if kind == "talk" {
		level = -25
	}
	rms := amplitude(level) / math.Sqrt2
	pcm := make([]int16, frames*frameBytes*rateFactor(codec))
	for i := range pcm {
		pcm[i] = int16(rng.NormFloat64() * rms)
	}
	out := make([]byte, frames*codecFrameBytes(codec))
	encode(out, pcm, codec)
	return out
}

// The keypad's row and column frequencies (ITU-T Q.23).
var (
	keyRows = [4]float64{697, 770, 852, 941}
	keyCols = [4]float64{1209, 1336, 1477, 1633}
	keypad  = [4]string{"123A", "456B", "789C", "*0#D"}
)

// amplitude is the peak of a sine at level dBm0 in 16-bit G.711 terms
// (ITU-T G.711: a full-scale sine is +3.14 dBm0).
func amplitude(dBm0 float64) float64 { return 32767 * math.Pow(10, (dBm0-3.14)/20) }

// keyTone is the key as keyFrames frames in the codec: its two tones at
// -10 dBm0 each, a clean press any Q.24 receiver takes.
func keyTone(key byte, codec string) []byte {
	key = byte(unicode.ToUpper(rune(key)))
	var lo, hi float64
	for r, row := range keypad {
		if c := strings.IndexByte(row, key); c >= 0 {
			lo, hi = keyRows[r], keyCols[c]
		}
	}
	a := amplitude(-10)
	rate := 8000 * rateFactor(codec)
	pcm := make([]int16, keyFrames*frameBytes*rateFactor(codec))
	for i := range pcm {
		t := float64(i) / float64(rate)
		pcm[i] = int16(a*math.Sin(2*math.Pi*lo*t) + a*math.Sin(2*math.Pi*hi*t))
	}
	out := make([]byte, keyFrames*codecFrameBytes(codec))
	encode(out, pcm, codec)
	return out
}
