package dtmf

import (
	"encoding/binary"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

func TestExpLatency(t *testing.T) {
	var la, lb []int
	for off := 0; off < 160; off += 5 {
		d := NewDetector()
		pcm := Ulaw(Signal{}.Silence(20).Silence(0).Tone(ToneSpec{Key: '1', Ms: 100, LowDBm0: -10, HighDBm0: -10}).PCM())
		pcm = append(make([]int16, off), pcm...)
		start := off + 160
		for i := 0; i < len(pcm); i += 160 {
			if _, ok := d.Frame(pcm[i:min(i+160, len(pcm))]); ok {
				la = append(la, (min(i+160, len(pcm))-start)/8)
				break
			}
		}
		f, _ := os.Create("/tmp/sp/lat.raw")
		binary.Write(f, binary.LittleEndian, pcm)
		f.Close()
		out, _ := exec.Command("/tmp/sp/spl", "/tmp/sp/lat.raw").Output()
		n, _ := strconv.Atoi(strings.TrimSpace(string(out)))
		lb = append(lb, (n-start)/8)
	}
	sortInts(la)
	sortInts(lb)
	t.Logf("ivrd %v median %d\nspandsp %v median %d", la, la[len(la)/2], lb, lb[len(lb)/2])
}
