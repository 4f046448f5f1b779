package ivrload

import "time"

// histogram counts values in 10 µs buckets up to 100 ms, one overflow
// bucket above: fine enough for the p99/p999 of inter-arrival errors,
// fixed size so recording allocates nothing.
type histogram struct {
	buckets [histBuckets]uint64
	over    uint64 // values >= histMax
	n       uint64
	max     int64 // ns
}

const (
	histStep    = 10 * time.Microsecond
	histMax     = 100 * time.Millisecond
	histBuckets = int(histMax / histStep)
)

func (h *histogram) add(ns int64) {
	if ns < 0 {
		ns = -ns
	}
	h.n++
	if ns > h.max {
		h.max = ns
	}
	if i := ns / int64(histStep); i < int64(histBuckets) {
		h.buckets[i]++
	} else {
		h.over++
	}
}

func (h *histogram) merge(o *histogram) {
	for i := range h.buckets {
		h.buckets[i] += o.buckets[i]
	}
	h.over += o.over
	h.n += o.n
	h.max = max(h.max, o.max)
}

// quantile returns the upper edge of the bucket holding quantile q
// (0 < q <= 1), the maximum when it falls in the overflow bucket.
func (h *histogram) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(q*float64(h.n) + 0.5)
	rank = max(rank, 1)
	var seen uint64
	for i, c := range h.buckets {
		seen += c
		if seen >= rank {
			return min(time.Duration(i+1)*histStep, time.Duration(h.max))
		}
	}
	return time.Duration(h.max)
}

// stream is the receive accounting of one call's RTP, owned by its media
// worker. Only packets that arrive inside the measuring window count.
type stream struct {
	received   uint64 // in the window
	srcRecv    uint64 // in the window, from the current SSRC
	lostPrev   uint64 // lost from earlier SSRCs
	firstExt   int64  // extended sequence number of the first packet in the window
	maxExt     int64
	lastExt    int64 // of the previous packet received (window or not)
	lastAt     int64 // its kernel arrival time, ns
	cycles     int64
	lastSeq    uint16
	started    bool
	inWindow   bool // a packet inside the window was seen
	maxGap     int64
	maxGapAt   int64 // when the longest gap ended, ns
	ssrc       uint32
	newSSRCAt  int64 // first packet from another SSRC (a bridge, a re-INVITE), ns
	total      uint64
	badPackets uint64
	rtcp       uint64
}

// packet accounts one received datagram. err receives |Δt − 20 ms| for
// consecutive packets (sequence numbers one apart) of the same source.
func (s *stream) packet(b []byte, at int64, win *window, err *histogram) {
	h, ok := parseRTP(b)
	if !ok || at == 0 {
		s.badPackets++
		return
	}
	if h.pt >= 64 && h.pt <= 95 {
		// RTCP (RFC 5761 4: its packet types read as payload types
		// 64-95): a target sends its reports to our RTP port + 1, which
		// with kernel-chosen ports may be another call's RTP socket.
		s.rtcp++
		return
	}
	s.total++
	if !s.started {
		s.started, s.ssrc, s.lastSeq = true, h.ssrc, h.seq
		s.lastExt, s.lastAt = int64(h.seq), at
		s.count(int64(h.seq), at, win)
		return
	}
	if h.ssrc != s.ssrc {
		// Another source: a bridge or a new prompt player. Restart the
		// sequence accounting; note when it happened.
		if s.newSSRCAt == 0 {
			s.newSSRCAt = at
		}
		s.lostPrev += s.srcLost()
		s.ssrc, s.lastSeq, s.cycles = h.ssrc, h.seq, 0
		s.lastExt, s.lastAt = int64(h.seq), at
		s.inWindow, s.srcRecv = false, 0
		s.count(int64(h.seq), at, win)
		return
	}
	// Extend the 16-bit sequence number (RFC 3550 A.1's idea).
	if h.seq < s.lastSeq && s.lastSeq-h.seq > 0x8000 {
		s.cycles += 1 << 16
	} else if h.seq > s.lastSeq && h.seq-s.lastSeq > 0x8000 && s.cycles > 0 {
		ext := s.cycles - 1<<16 + int64(h.seq) // a late packet from before the wrap
		s.count(ext, at, win)
		return
	}
	ext := s.cycles + int64(h.seq)
	s.lastSeq = h.seq
	gap := at - s.lastAt
	if win.contains(at) && win.contains(s.lastAt) {
		if gap > s.maxGap {
			s.maxGap, s.maxGapAt = gap, at
		}
		if ext == s.lastExt+1 {
			err.add(gap - int64(20*time.Millisecond))
		}
	}
	s.lastExt, s.lastAt = ext, at
	s.count(ext, at, win)
}

func (s *stream) count(ext, at int64, win *window) {
	if !win.contains(at) {
		return
	}
	if !s.inWindow {
		s.inWindow, s.firstExt, s.maxExt = true, ext, ext
	}
	s.received++
	s.srcRecv++
	s.maxExt = max(s.maxExt, ext)
	s.firstExt = min(s.firstExt, ext)
}

// lost is how many packets of the window's sequence range never came
// (duplicates can make received exceed the range: then 0).
func (s *stream) lost() uint64 {
	return s.lostPrev + s.srcLost()
}

func (s *stream) srcLost() uint64 {
	if !s.inWindow {
		return 0
	}
	exp := uint64(s.maxExt - s.firstExt + 1)
	if s.srcRecv >= exp {
		return 0
	}
	return exp - s.srcRecv
}

// window is the measuring interval in Unix ns; [0, maxInt64) when the run
// has no steady part and everything counts.
type window struct{ from, to int64 }

func (w *window) contains(t int64) bool { return t >= w.from && t < w.to }
