package siptest

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/pion/rtp"
)

// EventPayload is the 4-byte RFC 4733 telephone-event payload for key
// ('0'-'9', '*', '#', 'A'-'D'), with the end bit when end, volume in -dBm0
// and duration in timestamp units. Written here from the RFC rather than
// with ivrd's own dtmf encoder, so tests do not check the server's
// decoder against its own encoder. It panics on a key with no event code:
// tests name their keys.
func EventPayload(key byte, end bool, volume uint8, duration uint16) []byte {
	code := strings.IndexByte("0123456789*#ABCD", key)
	if code < 0 {
		panic(fmt.Sprintf("siptest: no RFC 4733 event for key %q", key))
	}
	b := make([]byte, 4)
	b[0] = byte(code)
	b[1] = volume & 0x3f
	if end {
		b[1] |= 0x80
	}
	binary.BigEndian.PutUint16(b[2:], duration)
	return b
}

// KeyPress is one RFC 4733 key press as a phone sends it: a start packet
// with the marker bit, updates every Step with the duration growing by
// 400 (50 ms), and three end packets, all with one timestamp.
type KeyPress struct {
	Key         byte
	PayloadType uint8         // the negotiated telephone-event type (101 in Call's offer)
	Timestamp   uint32        // the event's RTP timestamp: a new one per press
	Updates     int           // updates after the start packet (3 when 0: a 200 ms press)
	Step        time.Duration // real time between packets (50 ms when 0)
	SSRC        uint32
}

// PressKey sends p to the server's media address, continuing the caller's
// sequence number in *seq. The packets are paced in real time, as a phone
// paces them: the server times a key by its packets' arrival.
func (c *Caller) PressKey(to netip.AddrPort, p KeyPress, seq *uint16) error {
	updates, step := p.Updates, p.Step
	if updates == 0 {
		updates = 3
	}
	if step == 0 {
		step = 50 * time.Millisecond
	}
	send := func(marker, end bool, duration uint16) error {
		*seq++
		h := rtp.Header{Version: 2, PayloadType: p.PayloadType, SequenceNumber: *seq, Timestamp: p.Timestamp, SSRC: p.SSRC, Marker: marker}
		return c.SendRTP(to, h, EventPayload(p.Key, end, 10, duration))
	}
	duration := uint16(400)
	if err := send(true, false, duration); err != nil {
		return err
	}
	for i := 0; i < updates; i++ {
		time.Sleep(step) // a phone's pace, not a wait for the server
		duration += 400
		if err := send(false, false, duration); err != nil {
			return err
		}
	}
	for i := 0; i < 3; i++ {
		if err := send(false, true, duration); err != nil {
			return err
		}
	}
	return nil
}
