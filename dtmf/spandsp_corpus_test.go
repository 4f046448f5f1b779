//go:build spandsp

package dtmf

import (
	"bufio"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSpandspCorpusTalkOff: spandsp's false digits on the same corpus
// parts as TestCorpusTalkOff, at 8 kHz (spandsp's receiver is 8 kHz only),
// beside ivrd's.
//
//	SPANDSP_DTMF_RX=/tmp/dtmf_rx DTMF_CORPUS=... go test -tags spandsp -run SpandspCorpus -v ./dtmf/
func TestSpandspCorpusTalkOff(t *testing.T) {
	dir := corpusDir(t)
	sp := newSpandspRx(t)
	sums := map[string][3]float64{}
	for _, p := range corpusParts(t, dir) {
		raw := filepath.Join(t.TempDir(), p.name+".raw")
		f, err := os.Create(raw)
		require.NoError(t, err)
		w := bufio.NewWriter(f)
		require.NoError(t, streamPart(dir, p.name, 8000, func(pcm []int16) {
			_ = binary.Write(w, binary.LittleEndian, pcm)
		}))
		require.NoError(t, w.Flush())
		require.NoError(t, f.Close())
		digits, _ := sp.detectFile(t, raw)
		_ = os.Remove(raw)
		ours := len(talkOff(t, dir, p.name, 8000))
		t.Logf("%-22s %7.2f h: ivrd %d (%.2f/h) spandsp %d (%.2f/h)", p.name, p.hours, ours, float64(ours)/p.hours, len(digits), float64(len(digits))/p.hours)
		s := sums[p.kind]
		sums[p.kind] = [3]float64{s[0] + p.hours, s[1] + float64(ours), s[2] + float64(len(digits))}
	}
	for k, s := range sums {
		t.Logf("TOTAL %-8s %7.2f h: ivrd %.0f (%.2f/h) spandsp %.0f (%.2f/h)", k, s[0], s[1], s[1]/s[0], s[2], s[2]/s[0])
	}
}

// TestSpandspCorpusTalkDown: TestCorpusTalkDown's 8 kHz material through
// both detectors.
func TestSpandspCorpusTalkDown(t *testing.T) {
	dir := corpusDir(t)
	sp := newSpandspRx(t)
	for _, ms := range []int{60, 100} {
		ha, xa, total := corpusTalkDown(t, dir, 8000, ms, func(pcm []int16) string { return detectKeysAt(8000, pcm) })
		hb, xb, _ := corpusTalkDown(t, dir, 8000, ms, func(pcm []int16) string { s, _ := sp.detect(t, pcm); return s })
		t.Logf("talk-down %d ms over real speech at +10 dB: ivrd %d/%d (%.2f%% missed, +%d extra) spandsp %d/%d (%.2f%% missed, +%d extra)",
			ms, ha, total, 100*float64(total-ha)/float64(total), xa, hb, total, 100*float64(total-hb)/float64(total), xb)
	}
}
