package ivrload

import (
	"encoding/binary"
	"net/netip"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

func TestParseRTP(t *testing.T) {
	b := make([]byte, 12+160)
	putRTP(b, true, 0, 65535, 1234, 0xabcdef01)
	h, ok := parseRTP(b)
	if !ok || !h.marker || h.pt != 0 || h.seq != 65535 || h.ts != 1234 || h.ssrc != 0xabcdef01 {
		t.Fatalf("got %+v %v", h, ok)
	}
	bad := map[string][]byte{
		"short":          b[:11],
		"version 1":      append([]byte{0x40}, b[1:]...),
		"CSRCs past end": append([]byte{0x8f}, b[1:20]...),
		"extension past": append([]byte{0x90}, b[1:14]...),
		"padding 0":      append(append([]byte{0xa0}, b[1:40]...), 0),
		"padding > len":  append(append([]byte{0xa0}, b[1:20]...), 200),
	}
	for name, p := range bad {
		if _, ok := parseRTP(p); ok {
			t.Errorf("%s: accepted", name)
		}
	}
	// A header extension of one word, then payload.
	ext := append([]byte{0x90}, b[1:12]...)
	ext = append(ext, 0xbe, 0xde, 0, 1, 1, 2, 3, 4, 0xff)
	if _, ok := parseRTP(ext); !ok {
		t.Error("header with extension refused")
	}
}

func FuzzParseRTP(f *testing.F) {
	b := make([]byte, 12+4)
	putRTP(b, false, 101, 7, 8, 9)
	f.Add(b)
	f.Add([]byte{0x90, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff})
	f.Add([]byte{0xbf, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3})
	f.Fuzz(func(t *testing.T, p []byte) {
		h, ok := parseRTP(p)
		if !ok {
			return
		}
		// What parsed must survive a rewrite of the fixed header.
		q := make([]byte, 12)
		putRTP(q, h.marker, h.pt, h.seq, h.ts, h.ssrc)
		if h2, ok := parseRTP(q); !ok || h2 != h {
			t.Fatalf("round trip: %+v -> %+v", h, h2)
		}
	})
}

func TestParseAnswer(t *testing.T) {
	sdp := "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\n" +
		"m=audio 30000 RTP/AVP 0 96\r\nc=IN IP4 127.0.0.3\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:96 telephone-event/8000\r\n" +
		"m=video 5000 RTP/AVP 97\r\na=rtpmap:98 telephone-event/8000\r\n"
	a, err := parseAnswer([]byte(sdp))
	if err != nil {
		t.Fatal(err)
	}
	if a.media != netip.MustParseAddrPort("127.0.0.3:30000") || !a.pcmu || a.eventPT != 96 {
		t.Fatalf("%+v", a)
	}
	// Session-level c= and LF line ends.
	a, err = parseAnswer([]byte("v=0\nc=IN IP4 127.0.0.2\nm=audio 4000 RTP/AVP 8\n"))
	if err != nil || a.media != netip.MustParseAddrPort("127.0.0.2:4000") || a.pcmu || a.eventPT != 0 {
		t.Fatalf("%+v %v", a, err)
	}
	for name, s := range map[string]string{
		"no audio":  "v=0\r\nc=IN IP4 127.0.0.1\r\nm=video 4000 RTP/AVP 96\r\n",
		"port 0":    "v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 0 RTP/AVP 0\r\n",
		"no c=":     "v=0\r\nm=audio 4000 RTP/AVP 0\r\n",
		"IPv6 only": "v=0\r\nc=IN IP6 ::1\r\nm=audio 4000 RTP/AVP 0\r\n",
		"bad port":  "v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 70000 RTP/AVP 0\r\n",
	} {
		if _, err := parseAnswer([]byte(s)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// Our own offer parses as an answer would.
	o := offer(netip.MustParseAddr("127.0.0.1"), 40002, 101, 1, CodecPCMU, nil)
	if a, err := parseAnswer(o); err != nil || a.media.Port() != 40002 || a.eventPT != 101 || !a.pcmu {
		t.Fatalf("own offer: %+v %v", a, err)
	}
}

func FuzzParseAnswer(f *testing.F) {
	f.Add(offer(netip.MustParseAddr("127.0.0.1"), 40000, 101, 1, CodecPCMU, nil))
	f.Add([]byte("v=0\nc=IN IP4 1.2.3.4/127\nm=audio 5/2 RTP/AVP 0\na=rtpmap:127 telephone-event/48000\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := parseAnswer(b)
		if err == nil && (a.media.Port() == 0 || !a.media.Addr().Is4()) {
			t.Fatalf("accepted an unusable address %v", a.media)
		}
		if a.eventPT != 0 && (a.eventPT < 96 || a.eventPT > 127) {
			t.Fatalf("event PT %d", a.eventPT)
		}
	})
}

// cmsg builds a control buffer holding one message with data.
func cmsg(level, typ int32, data []byte) []byte {
	b := make([]byte, unix.CmsgSpace(len(data)))
	h := (*unix.Cmsghdr)(unsafe.Pointer(&b[0]))
	h.Level, h.Type = level, typ
	h.SetLen(unix.CmsgLen(len(data)))
	copy(b[unix.CmsgLen(0):], data)
	return b
}

func TestCmsgTimestamp(t *testing.T) {
	ts := make([]byte, 16)
	binary.NativeEndian.PutUint64(ts, 1700000000)
	binary.NativeEndian.PutUint64(ts[8:], 123)
	other := cmsg(unix.SOL_IP, unix.IP_TTL, []byte{64, 0, 0, 0})
	b := append(other, cmsg(unix.SOL_SOCKET, unix.SCM_TIMESTAMPNS, ts)...)
	if got := cmsgTimestamp(b); got != 1700000000*1e9+123 {
		t.Fatalf("got %d", got)
	}
	if got := cmsgTimestamp(other); got != 0 {
		t.Fatalf("no timestamp: got %d", got)
	}
	if got := cmsgTimestamp(b[:len(b)-1]); got != 0 {
		t.Fatalf("truncated: got %d", got)
	}
}

func FuzzCmsgTimestamp(f *testing.F) {
	ts := make([]byte, 16)
	f.Add(cmsg(unix.SOL_SOCKET, unix.SCM_TIMESTAMPNS, ts))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 1, 0, 0, 0, 0x23, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) { cmsgTimestamp(b) })
}

func TestParseProcStat(t *testing.T) {
	line := "4242 (ivrd (x) y) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 12 0 100 0\n"
	d, err := parseProcStat([]byte(line))
	if err != nil || d != 3*time.Second {
		t.Fatalf("%v %v", d, err)
	}
	if _, err := parseProcStat([]byte("4242 (ivrd) S 1 2")); err == nil {
		t.Fatal("short line accepted")
	}
	self, err := procCPU(unix.Getpid())
	if err != nil || self < 0 {
		t.Fatalf("own /proc stat: %v %v", self, err)
	}
}

func FuzzParseProcStat(f *testing.F) {
	f.Add([]byte("1 (a) S 1 2 3 4 5 6 7 8 9 10 250 50 0"))
	f.Fuzz(func(t *testing.T, b []byte) { parseProcStat(b) })
}
