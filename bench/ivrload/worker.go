package ivrload

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	"golang.org/x/sys/unix"
)

// Pacing: a worker wakes every tick and sends the packets of the calls in
// that tick's slot, so a worker's calls are spread over the 20 ms period
// (Config.Slots slots, 10 by default: a tick of 2 ms) instead of
// bursting all at once into the target.
const (
	frameInterval = 20 * time.Millisecond
	defaultSlots  = 10
	maxSlots      = 200                    // a tick of 100 µs
	frameBytes    = 160                    // 20 ms of 8 kHz G.711
	maxCatchUp    = 100 * time.Millisecond // a late worker still catches up on this much; beyond, it skips ticks
)

// digit methods
const (
	methodRFC4733 = "rfc4733"
	methodInband  = "inband"
	methodInfo    = "info"
)

// mediaCall is one call's media as a worker sees it. The fields above
// the line are set before the call is handed to a worker and only read
// by it; the worker owns the rest until it closes removed.
type mediaCall struct {
	sock    *rtpSocket
	ssrc    uint32
	audio   []byte // caller audio in the codec, a loop of whole frames (shared)
	audioPT uint8  // the codec's payload type
	// frameLen is a packet's payload in the codec (160, Opus 80),
	// frameTicks its RTP timestamp step (160, Opus 960); 0: G.711's.
	frameLen   int
	frameTicks uint32
	digitAt    int64 // Unix ns when the worker presses the key (0: it does not)
	presses    int   // how often (0 or 1: once)
	pressEvery int64 // ns between presses
	method     string
	eventCode  byte
	eventPT    uint8
	tone       []byte    // the key as frames in the codec, for in-band (shared)
	keys       *callKeys // SRTP (nil: plain RTP)
	latch      bool      // send nothing until the target's first packet, then answer its source (agent mode)

	// ---- the worker's
	seq        uint16
	ts         uint32
	audioPos   int
	sentFirst  bool
	evFrame    int // frames of the key sent so far
	pressed    int // presses finished
	evTS       uint32
	rx         stream
	sent       uint64
	sendErrs   uint64
	srtpFailed uint64 // received packets that did not authenticate, or replays

	tableIdx  int   // index in the worker's table
	latchedAt int64 // agent mode: kernel time of the target's first packet (0: none yet)

	digitSent atomic.Int64 // Unix ns the key's first packet left (read by the call's goroutine)
	removed   chan struct{}
}

// The in-band key and the RFC 4733 event both last 100 ms (5 frames);
// the event then sends its end packet three times (RFC 4733 2.5.1.4).
const (
	keyFrames = 5
	endCopies = 3
)

type workerOp struct {
	c   *mediaCall
	add bool
}

// worker owns many calls' RTP sockets: it sends their audio on a fixed
// tick and reads whatever arrived through one epoll set, one recvmmsg per
// ready socket. Nothing here allocates per packet.
//
// Sending is one sendto per packet: each call must send from its own
// port (that is what a phone does, and what the target's per-call
// sockets expect), and sendmmsg batches only datagrams of one socket, of
// which a call has one per 20 ms. The cost is the kernel's (on loopback,
// the receiver's delivery runs inside our sendto), ~1.6 µs a packet.
type worker struct {
	epfd   int
	win    window
	tick   time.Duration // frameInterval / slots
	slots  int
	calls  []*mediaCall // index is the epoll data; nil marks a free entry
	free   []int
	events []unix.EpollEvent
	rb     *recvBatch
	pkt    [12 + frameBytes + srtpOverhead]byte // SRTP's tag is added in place
	hdr    rtp.Header                           // scratch for SRTP

	mu      sync.Mutex
	inbox   []workerOp
	pending atomic.Bool

	// results, read after run returns
	errHist  histogram // |inter-arrival − 20 ms| of every stream
	lateHist histogram // how late the worker's ticks ran (its own pacing)
	skipped  uint64    // ticks skipped because the worker fell too far behind
}

// newWorker makes a worker that spreads its calls over slots slots of
// the 20 ms period (0: the default).
func newWorker(win window, slots int) (*worker, error) {
	if slots <= 0 {
		slots = defaultSlots
	}
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	return &worker{epfd: epfd, win: win, tick: frameInterval / time.Duration(slots), slots: slots,
		events: make([]unix.EpollEvent, 256), rb: newRecvBatch()}, nil
}

// phase is how far worker i of n starts after the first: a fraction of
// a tick, so that the workers' slots interleave.
func (w *worker) phase(i, n int) time.Duration { return w.tick * time.Duration(i) / time.Duration(n) }

// add hands a call to the worker; remove takes it back: the worker stops
// sending, closes the socket, and closes c.removed when c's statistics are
// final.
func (w *worker) add(c *mediaCall)    { w.post(workerOp{c: c, add: true}) }
func (w *worker) remove(c *mediaCall) { w.post(workerOp{c: c}) }

func (w *worker) post(op workerOp) {
	w.mu.Lock()
	w.inbox = append(w.inbox, op)
	w.mu.Unlock()
	w.pending.Store(true)
}

func (w *worker) applyInbox() {
	if !w.pending.Load() {
		return
	}
	w.mu.Lock()
	ops := w.inbox
	w.inbox = nil
	w.pending.Store(false)
	w.mu.Unlock()
	for _, op := range ops {
		if op.add {
			w.attach(op.c)
		} else {
			w.detach(op.c)
		}
	}
}

func (w *worker) attach(c *mediaCall) {
	idx := len(w.calls)
	if n := len(w.free); n > 0 {
		idx, w.free = w.free[n-1], w.free[:n-1]
		w.calls[idx] = c
	} else {
		w.calls = append(w.calls, c)
	}
	c.tableIdx = idx
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(idx)}
	if err := unix.EpollCtl(w.epfd, unix.EPOLL_CTL_ADD, c.sock.fd, &ev); err != nil {
		c.sendErrs++ // counted; the call gets no receive statistics
	}
}

func (w *worker) detach(c *mediaCall) {
	if c.tableIdx < len(w.calls) && w.calls[c.tableIdx] == c {
		w.calls[c.tableIdx] = nil
		w.free = append(w.free, c.tableIdx)
	}
	_ = unix.EpollCtl(w.epfd, unix.EPOLL_CTL_DEL, c.sock.fd, nil) // the close below drops it anyway
	w.readCall(c)                                                 // what arrived up to now still counts
	c.sock.close()
	close(c.removed)
}

// run paces and reads until ctx ends, then releases every call it holds.
func (w *worker) run(ctx context.Context, phase time.Duration) {
	defer func() {
		w.applyInbox()
		for _, c := range w.calls {
			if c != nil {
				w.detach(c)
			}
		}
		_ = unix.Close(w.epfd)
	}()
	start := time.Now().Add(phase)
	catchUp := int64(maxCatchUp / w.tick)
	var n int64
	for ctx.Err() == nil {
		w.applyInbox()
		now := time.Now()
		behind := int64(now.Sub(start) / w.tick)
		if behind-n > catchUp {
			w.skipped += uint64(behind - n - catchUp)
			n = behind - catchUp
		}
		for ; n <= behind; n++ {
			w.lateHist.add(int64(now.Sub(start.Add(time.Duration(n) * w.tick))))
			w.sendSlot(int(n%int64(w.slots)), now.UnixNano())
		}
		w.readReady()
		if d := time.Until(start.Add(time.Duration(n) * w.tick)); d > 0 {
			time.Sleep(d)
		}
	}
}

// sendSlot sends one frame for every call in slot s.
func (w *worker) sendSlot(s int, now int64) {
	for i := s; i < len(w.calls); i += w.slots {
		if c := w.calls[i]; c != nil && c.sock.hasTo {
			w.sendFrame(c, now)
		}
	}
}

// sendFrame sends the call's next 20 ms: caller audio, or the key when
// it is due (an RFC 4733 event or the tone pair in the audio).
func (w *worker) sendFrame(c *mediaCall, now int64) {
	if c.frameLen == 0 {
		c.frameLen, c.frameTicks = frameBytes, frameBytes
	}
	pkt := w.pkt[:12+c.frameLen]
	marker := !c.sentFirst
	pt := c.audioPT
	ts := c.ts
	c.ts += c.frameTicks
	keyDue := c.digitAt != 0 && c.pressed < max(c.presses, 1) && now >= c.digitAt+int64(c.pressed)*c.pressEvery
	switch {
	case keyDue && c.method == methodRFC4733 && c.evFrame < keyFrames+endCopies:
		if c.evFrame == 0 {
			c.evTS = ts
			marker = true
			if c.pressed == 0 {
				c.digitSent.Store(now) // latencies count from the first press
			}
		}
		dur := uint16(min(c.evFrame+1, keyFrames) * frameBytes) // telephone-event/8000
		putEvent(pkt[12:], c.eventCode, c.evFrame >= keyFrames, dur)
		pkt = pkt[:12+4]
		pt, ts = c.eventPT, c.evTS
		c.evFrame++
		c.pressDone(keyFrames + endCopies)
	case keyDue && c.method == methodInband && c.evFrame < keyFrames:
		if c.evFrame == 0 && c.pressed == 0 {
			c.digitSent.Store(now)
		}
		copy(pkt[12:], c.tone[c.evFrame*c.frameLen:])
		c.evFrame++
		c.pressDone(keyFrames)
	default:
		copy(pkt[12:], c.audio[c.audioPos:c.audioPos+c.frameLen])
		c.audioPos += c.frameLen
		if c.audioPos >= len(c.audio) {
			c.audioPos = 0
		}
	}
	c.seq++
	putRTP(pkt, marker, pt, c.seq, ts, c.ssrc)
	c.sentFirst = true
	if c.keys != nil {
		var err error
		if pkt, err = c.keys.tx.EncryptRTP(pkt, pkt, &w.hdr); err != nil {
			c.sendErrs++
			return
		}
	}
	if err := c.sock.send(pkt); err != nil {
		c.sendErrs++
		return
	}
	c.sent++
}

// pressDone counts a press whose last of frames frames went out, so that
// the next one (Presses) starts from its first frame when it is due.
func (c *mediaCall) pressDone(frames int) {
	if c.evFrame == frames {
		c.pressed++
		c.evFrame = 0
	}
}

// readReady drains every socket epoll reports readable.
func (w *worker) readReady() {
	for {
		n, err := unix.EpollWait(w.epfd, w.events, 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil || n <= 0 {
			return
		}
		for _, ev := range w.events[:n] {
			if i := int(ev.Fd); i < len(w.calls) && w.calls[i] != nil {
				w.readCall(w.calls[i])
			}
		}
		if n < len(w.events) {
			return
		}
	}
}

// readCall takes everything queued on the call's socket.
func (w *worker) readCall(c *mediaCall) {
	for {
		k, err := w.rb.read(c.sock.fd)
		for j := 0; j < k; j++ {
			b, at := w.rb.packet(j)
			if c.latch && c.latchedAt == 0 && !isRTCP(b) {
				w.rb.latch(j, c.sock)
				c.latchedAt = at
			}
			if !c.sock.connected {
				w.rb.confirm(j, c.sock)
			}
			if c.keys != nil && !isRTCP(b) {
				var err error
				if b, err = c.keys.rx.DecryptRTP(b, b, &w.hdr); err != nil {
					c.srtpFailed++
					continue
				}
			}
			c.rx.packet(b, at, &w.win, &w.errHist)
		}
		if err != nil || k < recvVlen {
			return
		}
	}
}
