package dtmf

import (
	"encoding/binary"
	"fmt"
	"time"
)

// lostEndTimeout closes an event whose end packets never came.
const lostEndTimeout = time.Second

// rePressGap is how long after an event's end a packet with the same
// timestamp must come to count as a new press (some senders reuse the
// timestamp); earlier, it is a reordered packet of the ended event.
const rePressGap = 40 * time.Millisecond

// silentGap is how long an unended event may go without packets before a
// start packet (marker, shorter duration) with its timestamp is taken for
// a new press whose predecessor's end packets were lost.
const silentGap = 100 * time.Millisecond

// segmentMin is the least duration an event has reached before it can go
// on in a new segment: senders segment only when the 16-bit duration is
// about to wrap (RFC 4733 2.5.1.3), 4 s at 8 kHz. Shorter, a new
// timestamp with the same key is a new press whose end was lost.
const segmentMin = 0x8000

// segmentSlack is how far past the last duration seen a new segment may
// start (packets of the old segment lost): 1 s at 8 kHz.
const segmentSlack = 8000

// EventDecoder turns RFC 4733 telephone-event packets into digits: exactly
// one per event, reported on the first packet seen of it. The zero value is
// ready to use; it allocates nothing.
type EventDecoder struct {
	active   bool
	ts       uint32 // RTP timestamp of the current event (its start)
	code     byte
	duration uint16 // largest duration seen
	ended    bool
	endAt    time.Duration
	lastAt   time.Duration
}

// Packet feeds one telephone-event payload. now is the arrival time on any
// monotonic scale. It returns ok=true with the key when this packet starts
// a new key press. Events above 15 (flash, tones) are ignored.
func (d *EventDecoder) Packet(ts uint32, marker bool, payload []byte, now time.Duration) (key byte, ok bool, err error) {
	if len(payload) < 4 {
		return 0, false, fmt.Errorf("rfc4733: payload of %d bytes, want at least 4", len(payload))
	}
	code := payload[0]
	end := payload[1]&0x80 != 0
	duration := binary.BigEndian.Uint16(payload[2:4])
	k, isDigit := KeyForEvent(code)
	if !isDigit {
		return 0, false, nil
	}
	d.Tick(now)
	if d.active && ts == d.ts && code == d.code {
		// The same timestamp again after the end (or a long silence): some
		// senders reuse it for the next press of the same key.
		rePress := d.ended && (marker || duration < d.duration) && now-d.endAt >= rePressGap ||
			!d.ended && marker && duration < d.duration && now-d.lastAt >= silentGap
		if !end && rePress {
			d.start(ts, code, duration, end, now)
			return k, true, nil
		}
		d.lastAt = now
		if duration > d.duration {
			d.duration = duration
		}
		if end && !d.ended {
			d.ended, d.endAt = true, now
		}
		return 0, false, nil
	}
	if d.active {
		delta := int32(ts - d.ts)
		// A late packet of an earlier event: ignore.
		if delta < 0 && delta > -8000*10 {
			return 0, false, nil
		}
		// A long event goes on in a new segment (RFC 4733 2.5.1.3): same
		// code, not ended, no marker, the previous segment near its
		// maximum duration and the timestamp right after it.
		if code == d.code && !d.ended && !marker && d.duration >= segmentMin && delta > 0 &&
			uint32(delta) <= uint32(d.duration)+segmentSlack && now-d.lastAt < lostEndTimeout {
			d.ts, d.duration, d.lastAt = ts, duration, now
			if end {
				d.ended, d.endAt = true, now
			}
			return 0, false, nil
		}
	}
	d.start(ts, code, duration, end, now)
	return k, true, nil
}

func (d *EventDecoder) start(ts uint32, code byte, duration uint16, end bool, now time.Duration) {
	*d = EventDecoder{active: true, ts: ts, code: code, duration: duration, ended: end, lastAt: now}
	if end {
		d.endAt = now
	}
}

// Tick closes an event whose end packets were lost: it ended when
// lostEndTimeout ran out after its last packet, however late that is
// noticed. Packet ticks itself, so a decoder fed only packets (no audio
// to pace it) closes such an event when the next packet comes.
func (d *EventDecoder) Tick(now time.Duration) {
	if d.active && !d.ended && now-d.lastAt > lostEndTimeout {
		d.ended, d.endAt = true, d.lastAt+lostEndTimeout
	}
}

// InEvent reports whether an event is in progress (started, not ended).
func (d *EventDecoder) InEvent() bool { return d.active && !d.ended }

// AppendEvent appends a telephone-event payload for key (RFC 4733 2.3).
func AppendEvent(dst []byte, key byte, end bool, volume uint8, duration uint16) []byte {
	code, _ := EventForKey(key)
	flags := volume & 0x3f
	if end {
		flags |= 0x80
	}
	return append(dst, code, flags, byte(duration>>8), byte(duration))
}
