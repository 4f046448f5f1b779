//go:build spandsp

package dtmf

// Runs ivrd's detector and spandsp's (through bench/spandsp/dtmf_rx.c) on
// the same audio and logs both figures side by side. Not part of `make
// test`: it needs libspandsp2 and a C compiler.
//
//	gcc -O2 -o /tmp/dtmf_rx bench/spandsp/dtmf_rx.c -l:libspandsp.so.2
//	SPANDSP_DTMF_RX=/tmp/dtmf_rx go test -tags spandsp -run Spandsp -v ./dtmf/

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ivrd/ivrd/dtmf/dtmftest"
)

type spandspRx struct {
	bin, raw string
}

func newSpandspRx(t *testing.T) *spandspRx {
	bin := os.Getenv("SPANDSP_DTMF_RX")
	if bin == "" {
		t.Fatal("set SPANDSP_DTMF_RX to the built bench/spandsp/dtmf_rx")
	}
	return &spandspRx{bin: bin, raw: filepath.Join(t.TempDir(), "in.raw")}
}

// detect returns spandsp's digits and the sample count fed when the first
// was reported (-1: none).
func (s *spandspRx) detect(t *testing.T, pcm []int16) (string, int) {
	var buf bytes.Buffer
	_ = binary.Write(&buf, binary.LittleEndian, pcm)
	if err := os.WriteFile(s.raw, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	digits, first := s.detectFile(t, s.raw)
	return digits, first
}

// detectFile runs spandsp over a raw 16-bit 8 kHz file.
func (s *spandspRx) detectFile(t *testing.T, raw string) (string, int) {
	out, err := exec.Command(s.bin, raw).Output()
	if err != nil {
		t.Fatal(err)
	}
	var digits []byte
	first := -1
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 2 {
			continue
		}
		if first < 0 {
			first, _ = strconv.Atoi(f[0])
		}
		digits = append(digits, f[1][0])
	}
	return string(digits), first
}

func TestSpandspComparison(t *testing.T) {
	t.Parallel()
	sp := newSpandspRx(t)
	both := func(pcm []int16) (string, string) {
		b, _ := sp.detect(t, pcm)
		return detectKeys(pcm), b
	}

	// Q.24 kinds of test: all 16 keys, heard once or not at all.
	kinds := []limitCase{
		{"nominal 50/50", spec(50, -10, -10, 0, 0), true},
		{"both +1.5%", spec(50, -10, -10, 0.015, 0.015), true},
		{"both -1.5%", spec(50, -10, -10, -0.015, -0.015), true},
		{"opposite 1.5%", spec(50, -10, -10, 0.015, -0.015), true},
		{"low +3.5% rejected", spec(50, -10, -10, 0.035, 0), false},
		{"low -3.5% rejected", spec(50, -10, -10, -0.035, 0), false},
		{"high +3.5% rejected", spec(50, -10, -10, 0, 0.035), false},
		{"high -3.5% rejected", spec(50, -10, -10, 0, -0.035), false},
		{"normal twist 8 dB", spec(50, -6, -14, 0, 0), true},
		{"reverse twist 4 dB", spec(50, -12, -8, 0, 0), true},
		{"40 ms", spec(40, -10, -10, 0, 0), true},
		{"20 ms rejected", spec(20, -10, -10, 0, 0), false},
		{"-25 dBm0", spec(50, -25, -25, 0, 0), true},
		{"-55 dBm0 ignored", spec(50, -55, -55, 0, 0), false},
	}
	for _, c := range kinds {
		okA, okB := true, true
		for i := 0; i < len(allKeys); i++ {
			k := allKeys[i]
			want := ""
			if c.want {
				want = string(k)
			}
			a, b := both(dtmftest.Ulaw(dtmftest.Signal{}.Silence(60).Tone(c.spec(k)).Silence(80).PCM()))
			okA, okB = okA && a == want, okB && b == want
		}
		t.Logf("%-22s ivrd %-5v spandsp %v", c.name, okA, okB)
	}

	// Level floor: lowest level (1 dB steps) at which all keys are heard.
	floor := func(det func([]int16) string) float64 {
		low := 0.0
		for lv := -10.0; lv > -60; lv-- {
			for i := 0; i < len(allKeys); i++ {
				k := allKeys[i]
				if det(dtmftest.Ulaw(dtmftest.Signal{}.Silence(60).Tone(spec(50, lv, lv, 0, 0)(k)).Silence(80).PCM())) != string(k) {
					return low
				}
			}
			low = lv
		}
		return low
	}
	t.Logf("level floor (dBm0 per tone): ivrd %.0f spandsp %.0f", floor(detectKeys),
		floor(func(p []int16) string { s, _ := sp.detect(t, p); return s }))

	// spandsp's own noise test: lowest per-tone SNR with 1000 of 1000 '1's.
	snrA, snrB := 99, 99
	for snr := 10; snr >= 3; snr-- {
		rng := rand.New(rand.NewPCG(1234567, 0))
		var s dtmftest.Signal
		for i := 0; i < 1000; i++ {
			s = s.Tone(dtmftest.ToneSpec{Key: '1', Ms: 50, LowDBm0: -4, HighDBm0: -4}).Silence(50)
		}
		a, b := both(dtmftest.Ulaw(s.AddNoise(float64(-4-snr), rng).PCM()))
		want := strings.Repeat("1", 1000)
		if a == want && snrA == snr+1 || a == want && snrA == 99 {
			snrA = snr
		}
		if b == want && snrB == snr+1 || b == want && snrB == 99 {
			snrB = snr
		}
	}
	t.Logf("acceptable SNR per tone (spandsp's method): ivrd %d dB spandsp %d dB", snrA, snrB)

	// White noise, pair SNR, TestLimitsNoise's material: digit errors.
	for _, snr := range []float64{10, 8, 7} {
		rng := rand.New(rand.NewPCG(7, 7))
		ea, eb, total := 0, 0, 0
		for round := 0; round < 25; round++ {
			var s dtmftest.Signal
			for i := 0; i < len(allKeys); i++ {
				s = s.Silence(60).Tone(dtmftest.Nominal(allKeys[i]))
			}
			a, b := both(dtmftest.Ulaw(s.Silence(60).AddNoise(-7-snr, rng).PCM()))
			ea, eb, total = ea+editDistance(a, allKeys), eb+editDistance(b, allKeys), total+16
		}
		t.Logf("pair SNR %.0f dB: errors ivrd %d/%d spandsp %d/%d", snr, ea, total, eb, total)
	}

	// Talk-off.
	talkOff := func(name string, seed1, seed2 uint64, minutes int, music bool) {
		rng := rand.New(rand.NewPCG(seed1, seed2))
		na, nb := 0, 0
		for m := 0; m < minutes; m++ {
			var s dtmftest.Signal
			if music {
				s = dtmftest.Signal{}.Music(60_000, -15+rng.Float64()*10, rng)
			} else {
				s = dtmftest.Signal{}.Speechlike(60_000, -12+rng.Float64()*8, rng)
			}
			a, b := both(dtmftest.Ulaw(s.PCM()))
			na, nb = na+len(a), nb+len(b)
		}
		t.Logf("talk-off %s, %d min: ivrd %d spandsp %d false digits", name, minutes, na, nb)
	}
	talkOff("speech-like (TestTalkOffSpeechlike)", 3, 9, 60, false)
	talkOff("speech-like, other seed", 33, 99, 600, false)
	talkOff("music (TestTalkOffMusic)", 11, 4, 30, true)
	if dtmftest.EspeakAvailable() {
		text := strings.Repeat("The quick brown fox jumps over the lazy dog. Please hold while we connect your call to the next available agent. Nine, eight, seven, six, five. ", 4)
		na, nb, sec := 0, 0, 0.0
		for _, voice := range []string{"en-us", "en", "de", "fr", "es", "en-us+f3", "en+m7", "it"} {
			pcm, err := dtmftest.Espeak(voice, text)
			if err != nil {
				t.Fatal(err)
			}
			sec += float64(len(pcm)) / 8000
			a, b := both(dtmftest.Ulaw(pcm))
			na, nb = na+len(a), nb+len(b)
		}
		t.Logf("talk-off espeak-ng, %.0f s: ivrd %d spandsp %d false digits", sec, na, nb)
	}

	// Talk-down, TestTalkDown's material.
	for _, ms := range []int{60, 100} {
		rng := rand.New(rand.NewPCG(5, uint64(ms)))
		ha, hb, xa, xb, total := 0, 0, 0, 0, 0
		for round := 0; round < 20; round++ {
			s := keyPresses(ms)
			a, b := both(dtmftest.Ulaw(s.Mix(dtmftest.Signal{}.Speechlike(len(s)/8, -17, rng)).PCM()))
			h1, h2 := heardInOrder(a, allKeys), heardInOrder(b, allKeys)
			ha, hb, xa, xb, total = ha+h1, hb+h2, xa+len(a)-h1, xb+len(b)-h2, total+16
		}
		t.Logf("talk-down %d ms over speech-like at -10 dB: ivrd %d/%d (+%d extra) spandsp %d/%d (+%d extra)", ms, ha, total, xa, hb, total, xb)
	}

	// Latency from tone start, 20 ms frames (TestDetectionLatency's material).
	var la, lb []int
	for off := 0; off < 160; off += 5 {
		pcm := dtmftest.Ulaw(dtmftest.Signal{}.Silence(20).Tone(dtmftest.ToneSpec{Key: '1', Ms: 100, LowDBm0: -10, HighDBm0: -10}).PCM())
		pcm = append(make([]int16, off), pcm...)
		start := off + 160
		_, b := sp.detect(t, pcm)
		la, lb = append(la, (firstReport(pcm)-start)/8), append(lb, (b-start)/8)
	}
	sortInts(la)
	sortInts(lb)
	t.Logf("latency median: ivrd %d ms spandsp %d ms", la[len(la)/2], lb[len(lb)/2])
}
