package sip

import (
	"context"
	"net/netip"
	"strconv"
	"sync"
	"time"
)

// Limits bound what one source address may take, so that one flooding
// address cannot take the capacity every caller shares. Sources that
// Config.Admit names as a trunk are exempt: a trunk carries many callers.
// A zero field takes its default; a negative one turns that limit off.
type Limits struct {
	// PacketRate and PacketBurst: UDP datagrams a second from one address
	// (a token bucket). Datagrams over it are dropped unread and
	// unanswered, before any parsing or transaction: a flood costs a
	// counter, not memory.
	PacketRate  float64
	PacketBurst int
	// InviteRate and InviteBurst: new calls (initial INVITEs) a second.
	InviteRate  float64
	InviteBurst int
	// CallsInSetup: calls not yet answered and ACKed at once; an INVITE
	// never ACKed holds an RTP port until it times out.
	CallsInSetup int
	// Calls: calls at once, in setup or answered.
	Calls int
	// TCPConnections: TCP connections open at once.
	TCPConnections int
	// TCPMessageTimeout: a TCP message begun must be complete this long
	// after its first byte, else the connection is closed.
	TCPMessageTimeout time.Duration
	// TCPIdleTimeout: a TCP connection with nothing to read this long is
	// closed (a CRLF keep-alive counts as traffic).
	TCPIdleTimeout time.Duration
}

// Defaults of Limits (README, "Security").
const (
	defaultPacketRate        = 100
	defaultPacketBurst       = 200
	defaultInviteRate        = 2
	defaultInviteBurst       = 10
	defaultCallsInSetup      = 5
	defaultCalls             = 20
	defaultTCPConnections    = 16
	defaultTCPMessageTimeout = 30 * time.Second
	defaultTCPIdleTimeout    = 5 * time.Minute
)

func (l *Limits) defaults() {
	setF := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	setI := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	setD := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	setF(&l.PacketRate, defaultPacketRate)
	setI(&l.PacketBurst, defaultPacketBurst)
	setF(&l.InviteRate, defaultInviteRate)
	setI(&l.InviteBurst, defaultInviteBurst)
	setI(&l.CallsInSetup, defaultCallsInSetup)
	setI(&l.Calls, defaultCalls)
	setI(&l.TCPConnections, defaultTCPConnections)
	setD(&l.TCPMessageTimeout, defaultTCPMessageTimeout)
	setD(&l.TCPIdleTimeout, defaultTCPIdleTimeout)
}

// Why a source was refused, for the log.
const (
	refusedInviteRate = "invite rate"
	refusedSetup      = "calls in setup"
	refusedCalls      = "calls"
)

// limiter applies Limits. It holds a bounded table of token buckets and a
// count of calls for each address that has some: no state grows with the
// number of requests.
type limiter struct {
	cfg     Limits
	trunk   func(netip.Addr) bool // exempt sources
	packets *buckets
	invites *buckets

	mu    sync.Mutex
	setup map[netip.Addr]int
	calls map[netip.Addr]int
}

func newLimiter(cfg Limits, admit func(netip.Addr) (string, bool)) *limiter {
	l := &limiter{cfg: cfg, setup: map[netip.Addr]int{}, calls: map[netip.Addr]int{},
		packets: newBuckets(cfg.PacketRate, cfg.PacketBurst, bucketTableSize),
		invites: newBuckets(cfg.InviteRate, cfg.InviteBurst, bucketTableSize)}
	l.trunk = func(netip.Addr) bool { return false }
	if admit != nil {
		l.trunk = func(a netip.Addr) bool { name, ok := admit(a); return ok && name != "" }
	}
	return l
}

// packet reports whether a datagram from src may be read.
func (l *limiter) packet(src netip.Addr, now time.Time) bool {
	if l.cfg.PacketRate < 0 || l.packets.take(src, now) {
		return true
	}
	// Asked only over the limit: Admit is not free, and most datagrams
	// are within it.
	return l.trunk(src)
}

// admitCall decides on a new call from src before anything is allocated
// for it. ok: it may go on, and release must be called when its setup is
// over (answered and ACKed, or failed). Otherwise why says which limit
// it met and retry how long to wait.
func (l *limiter) admitCall(src netip.Addr, now time.Time) (release func(), why string, retry time.Duration) {
	// A trunk's calls are counted (busy asks) but never refused.
	limited := !l.trunk(src)
	if limited && l.cfg.InviteRate > 0 && !l.invites.take(src, now) {
		return nil, refusedInviteRate, max(time.Second, time.Duration(float64(time.Second)/l.cfg.InviteRate))
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if limited && l.cfg.CallsInSetup > 0 && l.setup[src] >= l.cfg.CallsInSetup {
		return nil, refusedSetup, 5 * time.Second
	}
	if limited && l.cfg.Calls > 0 && l.setup[src]+l.calls[src] >= l.cfg.Calls {
		return nil, refusedCalls, 30 * time.Second
	}
	l.setup[src]++
	var once sync.Once
	return func() { once.Do(func() { l.add(l.setup, src, -1) }) }, "", 0
}

// callRunning counts an answered call from src until ctx ends.
func (l *limiter) callRunning(ctx context.Context, src netip.Addr) {
	l.add(l.calls, src, 1)
	context.AfterFunc(ctx, func() { l.add(l.calls, src, -1) })
}

// busy reports whether src has calls, in setup or answered.
func (l *limiter) busy(src netip.Addr) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.setup[src]+l.calls[src] > 0
}

func (l *limiter) add(m map[netip.Addr]int, src netip.Addr, d int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if m[src]+d <= 0 {
		delete(m, src) // only addresses with calls are kept
		return
	}
	m[src] += d
}

// retryAfter is a Retry-After value in whole seconds, at least 1.
func retryAfter(d time.Duration) string {
	return strconv.Itoa(max(1, int((d+time.Second-1)/time.Second)))
}

// bucketTableSize bounds the addresses a bucket table remembers. A full
// bucket is as good as no entry, so evicting one forgets nothing.
const bucketTableSize = 65536

// buckets is a bounded table of token buckets by address.
type buckets struct {
	rate, burst float64
	max         int

	mu sync.Mutex
	m  map[netip.Addr]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newBuckets(rate float64, burst, size int) *buckets {
	return &buckets{rate: rate, burst: float64(max(burst, 1)), max: size, m: map[netip.Addr]*bucket{}}
}

// take spends a token of src's bucket, if it has one.
func (b *buckets) take(src netip.Addr, now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	k := b.m[src]
	if k == nil {
		if len(b.m) >= b.max {
			b.evict(now)
		}
		k = &bucket{tokens: b.burst, last: now}
		b.m[src] = k
	}
	if el := now.Sub(k.last); el > 0 {
		k.tokens = min(b.burst, k.tokens+el.Seconds()*b.rate)
		k.last = now
	}
	if k.tokens < 1 {
		return false
	}
	k.tokens--
	return true
}

// evict drops one of a few entries (map order is random), the one that
// has waited longest: the fullest bucket.
func (b *buckets) evict(now time.Time) {
	var victim netip.Addr
	var oldest time.Time
	n := 0
	for a, k := range b.m {
		if n == 0 || k.last.Before(oldest) {
			victim, oldest = a, k.last
		}
		if n++; n >= evictProbe {
			break
		}
	}
	delete(b.m, victim)
}
