package dtmf

import (
	"sync"
	"time"

	"github.com/pion/rtp"
)

// InbandMode says when the in-band detector listens.
type InbandMode uint8

// In-band modes (server.media.inband).
const (
	InbandAuto   InbandMode = iota // only when the peer negotiated no telephone-event
	InbandAlways                   // always, with duplicates of RFC 4733 digits suppressed
	InbandNever
)

// Config chooses a call's digit methods.
type Config struct {
	RFC4733, Inband, Info bool // methods accepted (server.media.dtmf)
	InbandMode            InbandMode
	EventNegotiated       bool // the peer's SDP had telephone-event
	// AudioRate is the rate of the frames Audio gets: 0 or 8000 for
	// narrowband calls, 16000 for wideband ones (G.722, Opus decoded at 16
	// kHz). At any other rate in-band detection is off (ListensInband
	// false): resample to 16 kHz first.
	AudioRate int
}

// DefaultConfig accepts every method with in-band on auto.
func DefaultConfig(eventNegotiated bool) Config {
	return Config{RFC4733: true, Inband: true, Info: true, InbandMode: InbandAuto, EventNegotiated: eventNegotiated}
}

// eventShadow is how long after telephone-event activity in-band digits are
// taken for the same press sent twice by a gateway, and dropped.
const eventShadow = 300 * time.Millisecond

// Collector merges a call's digit sources into one stream: each press is
// delivered once, with its method and time. Safe for concurrent use by the
// media receive goroutine and SIP handlers.
type Collector struct {
	mu        sync.Mutex
	cfg       Config
	deliver   func(Digit)
	start     time.Time
	now       func() time.Time
	events    EventDecoder
	detector  *Detector
	lastEvent time.Duration // last telephone-event packet
	sawEvent  bool
	inbandKey byte          // last in-band digit delivered
	inbandAt  time.Duration // and when
}

// NewCollector makes a call's digit stream; deliver is called for every
// digit (from the feeding goroutine: it must not block).
func NewCollector(cfg Config, deliver func(Digit)) *Collector {
	c := &Collector{cfg: cfg, deliver: deliver, start: time.Now(), now: time.Now}
	if cfg.listensInband() {
		rate := cfg.AudioRate
		if rate == 0 {
			rate = 8000
		}
		c.detector, _ = NewDetectorRate(rate) // nil at an unsupported rate: no in-band
	}
	return c
}

// listensInband: on auto, tones are the fallback when no telephone-event
// will come (not negotiated, or not accepted).
func (cfg Config) listensInband() bool {
	switch {
	case !cfg.Inband || cfg.InbandMode == InbandNever:
		return false
	case cfg.InbandMode == InbandAlways:
		return true
	}
	return !cfg.EventNegotiated || !cfg.RFC4733
}

// ListensInband reports whether the in-band detector runs on this call.
func (c *Collector) ListensInband() bool { return c.detector != nil }

func (c *Collector) elapsed() time.Duration { return c.now().Sub(c.start) }

// TelephoneEvent feeds an RFC 4733 packet.
func (c *Collector) TelephoneEvent(h *rtp.Header, payload []byte) {
	if !c.cfg.RFC4733 {
		return
	}
	c.mu.Lock()
	at := c.elapsed()
	c.lastEvent, c.sawEvent = at, true
	key, ok, err := c.events.Packet(h.Timestamp, h.Marker, payload, at)
	// The same press may have been heard in-band a moment earlier (the
	// tone reached us before the gateway's first event packet). One
	// in-band digit pairs with one event at most: the next press of the
	// same key is new.
	dup := ok && key == c.inbandKey && at-c.inbandAt < eventShadow
	if dup {
		c.inbandKey = 0
	}
	c.mu.Unlock()
	if err == nil && ok && !dup {
		c.deliver(Digit{Key: key, Method: RFC4733, At: at})
	}
}

// Audio feeds decoded inbound audio to the in-band detector; without
// one (ListensInband false) it has nothing to do, and a caller that asks
// ListensInband first need not decode the audio at all.
func (c *Collector) Audio(pcm []int16) {
	if c.detector == nil { // set once, by NewCollector
		return
	}
	c.mu.Lock()
	at := c.elapsed()
	c.events.Tick(at) // for InEvent below: a press whose end was lost no longer shadows
	key, ok := c.detector.Frame(pcm)
	// A gateway that sends RFC 4733 often leaves the tones in the audio
	// too: while events flow, the in-band copy is the same press.
	shadowed := c.sawEvent && (c.events.InEvent() || at-c.lastEvent < eventShadow)
	if ok && !shadowed {
		c.inbandKey, c.inbandAt = key, at
	}
	c.mu.Unlock()
	if ok && !shadowed {
		c.deliver(Digit{Key: key, Method: Inband, At: at})
	}
}

// Info feeds a digit from a SIP INFO request.
func (c *Collector) Info(key byte) {
	if !c.cfg.Info {
		return
	}
	c.deliver(Digit{Key: key, Method: Info, At: c.elapsed()})
}
