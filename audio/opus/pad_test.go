package opus

import (
	"bytes"
	"testing"

	"github.com/ivrd/ivrd/audio"
)

// unpad reads a code 3 single-frame packet back (RFC 6716 section
// 3.2.5): the TOC as a code 0 packet would have it, and the frame.
func unpad(t *testing.T, pkt []byte) (toc byte, frame []byte) {
	t.Helper()
	if len(pkt) < 2 || pkt[0]&3 != 3 || pkt[1]&0x3F != 1 {
		t.Fatalf("not a one-frame code 3 packet: % x", pkt)
	}
	body := pkt[2:]
	padding := 0
	if pkt[1]&0x40 != 0 {
		for {
			b := body[0]
			body = body[1:]
			if b < 255 {
				padding += int(b)
				break
			}
			padding += 254
		}
	}
	return pkt[0] &^ 3, body[:len(body)-padding]
}

func TestPadMakesFixedSizePacketsOfTheSameFrame(t *testing.T) {
	for _, n := range []int{1, 2, 8, 40, audio.OpusFrameBytes - 3, audio.OpusFrameBytes - 2} {
		pkt := make([]byte, audio.OpusFrameBytes)
		pkt[0] = 0x48 // SILK WB 20 ms, mono, code 0
		for i := 1; i < n; i++ {
			pkt[i] = byte(i)
		}
		want := bytes.Clone(pkt[1:n])
		if err := pad(pkt, n); err != nil {
			t.Fatalf("%d bytes: %v", n, err)
		}
		toc, frame := unpad(t, pkt)
		if toc != 0x48 || !bytes.Equal(frame, want) {
			t.Errorf("%d bytes: read back TOC %#x frame % x, want 0x48 % x", n, toc, frame, want)
		}
	}
}

func TestPadRefusesWhatItCannotPad(t *testing.T) {
	pkt := make([]byte, audio.OpusFrameBytes)
	pkt[0] = 0x49 // code 1: two frames
	if pad(pkt, 10) == nil {
		t.Error("a two-frame packet was padded as one")
	}
	pkt[0] = 0x48
	if pad(pkt, audio.OpusFrameBytes-1) == nil || pad(pkt, 0) == nil {
		t.Error("a packet with no room (or none at all) was padded")
	}
}

func TestSilenceIsOneFixedSizePacket(t *testing.T) {
	pkt := make([]byte, audio.OpusFrameBytes)
	for i := range pkt {
		pkt[i] = 0xAA
	}
	if n := Silence(pkt); n != audio.OpusFrameBytes {
		t.Fatalf("Silence wrote %d bytes", n)
	}
	toc, frame := unpad(t, pkt)
	if toc != 0x48 || string(append([]byte{toc}, frame...)) != silenceFrame {
		t.Errorf("silence reads back as % x % x", toc, frame)
	}
	if a := testing.AllocsPerRun(100, func() { Silence(pkt) }); a != 0 {
		t.Errorf("Silence allocates %v", a)
	}
}
