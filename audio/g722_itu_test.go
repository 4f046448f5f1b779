package audio

import (
	"bufio"
	"encoding/binary"
	"hash/crc32"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The ITU-T G.722 digital test sequences (G.722 Appendix II) check the
// codec bit for bit with the QMF bypassed: the encoder's input words feed
// both sub-bands (shifted to 15 bits), each output word carries a code in
// its high byte; the decoder's outputs are each band's reconstructed
// signal (shifted back to 16 bits). Each file begins and ends with reset
// words (bit 0 set) around the data.
//
// The short sequences (T1C2, T2R2, T3L2.RC1, T3H2.RC0; 800 words each)
// are kept in testdata/g722 in ITU's ASCII form. The long ones (16,416
// words) are not: set G722_ITU_VECTORS to a directory holding the binary
// little-endian set (bt1c1.xmt, bt2r1.cod, ...), as ITU's software package
// for G.722 (T-REC-G.722-201209, folder
// Software/G.722_MB-testvectors/g722-ts-le/bin) ships them, for example:
//
//	curl -fLo g722.zip 'https://www.itu.int/rec/dologin_pub.asp?lang=e&id=T-REC-G.722-201209-I!!SOFT-ZST-E&type=items'
//	unzip -j g722.zip 'Software/G.722_MB-testvectors/g722-ts-le/bin/*' -d /tmp/g722
//	G722_ITU_VECTORS=/tmp/g722 go test -run ITU ./audio/
//
// Every file is checked against the CRC-32 ITU publishes for it first.

// ituCRC is ITU's published CRC-32 of each little-endian binary sequence.
var ituCRC = map[string]uint32{
	"bt1c1.xmt": 0x0C3BFCA7, "bt1c2.xmt": 0x2D604685, "bt1d3.cod": 0x7398964F,
	"bt2r1.cod": 0xD1DAA1D1, "bt2r2.cod": 0x344EA5D0,
	"bt3h1.rc0": 0xE9250851, "bt3h2.rc0": 0x5330AE2E, "bt3h3.rc0": 0x3731AD7F,
	"bt3l1.rc1": 0xED1B3993, "bt3l2.rc1": 0xAF00F31F, "bt3l3.rc1": 0xA5374659,
}

// readITUASCII reads one of ITU's ASCII sequence files: comment lines,
// then lines of 16 four-digit hex words and a two-digit line checksum.
func readITUASCII(t *testing.T, name string) []uint16 {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "g722", name))
	require.NoError(t, err)
	defer func() { _ = f.Close() }()
	var words []uint16
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "/*") {
			continue
		}
		require.GreaterOrEqual(t, len(line), 64, "%s: short line %q", name, line)
		for i := 0; i < 16; i++ {
			w, err := strconv.ParseUint(line[4*i:4*i+4], 16, 16)
			require.NoError(t, err, "%s: line %q", name, line)
			words = append(words, uint16(w))
		}
	}
	require.NoError(t, sc.Err())
	return words
}

// checkITUCRC verifies the words are ITU's file (CRC-32 of the
// little-endian binary form).
func checkITUCRC(t *testing.T, binName string, words []uint16) {
	t.Helper()
	buf := make([]byte, 2*len(words))
	for i, w := range words {
		binary.LittleEndian.PutUint16(buf[2*i:], w)
	}
	require.Equal(t, ituCRC[binName], crc32.ChecksumIEEE(buf), "%s is not ITU's sequence", binName)
}

// dataSpan is where the data lies between the reset words.
func dataSpan(words []uint16) (start, end int) {
	for start < len(words) && words[start]&1 != 0 {
		start++
	}
	end = start
	for end < len(words) && words[end]&1 == 0 {
		end++
	}
	return start, end
}

func checkITUEncoder(t *testing.T, in, want []uint16) {
	t.Helper()
	require.Len(t, want, len(in))
	start, end := dataSpan(in)
	require.Greater(t, end-start, 100)
	var e G722Encoder
	bad := 0
	for k := start; k < end; k++ {
		x := int32(int16(in[k])) >> 1
		got := e.encodeBands(x, x)
		if exp := byte(want[k] >> 8); got != exp {
			if bad < 5 {
				t.Errorf("word %d: code %02x, want %02x", k, got, exp)
			}
			bad++
		}
	}
	require.Zero(t, bad, "codes differing from ITU's, of %d", end-start)
}

func checkITUDecoder(t *testing.T, in, wantLow, wantHigh []uint16) {
	t.Helper()
	require.Len(t, wantLow, len(in))
	require.Len(t, wantHigh, len(in))
	start, end := dataSpan(in)
	require.Greater(t, end-start, 100)
	var d G722Decoder
	bad := 0
	for k := start; k < end; k++ {
		rl, rh := d.decodeBands(byte(in[k] >> 8))
		gl, gh := uint16(int16(rl<<1)), uint16(int16(rh<<1))
		if gl != wantLow[k] || gh != wantHigh[k] {
			if bad < 5 {
				t.Errorf("word %d: low %04x high %04x, want %04x %04x", k, gl, gh, wantLow[k], wantHigh[k])
			}
			bad++
		}
	}
	require.Zero(t, bad, "samples differing from ITU's, of %d", end-start)
}

func TestG722ITUShortSequences(t *testing.T) {
	xmt := readITUASCII(t, "T1C2.XMT")
	cod := readITUASCII(t, "T2R2.COD")
	low := readITUASCII(t, "T3L2.RC1")
	high := readITUASCII(t, "T3H2.RC0")
	checkITUCRC(t, "bt1c2.xmt", xmt)
	checkITUCRC(t, "bt2r2.cod", cod)
	checkITUCRC(t, "bt3l2.rc1", low)
	checkITUCRC(t, "bt3h2.rc0", high)
	t.Run("encoder", func(t *testing.T) { checkITUEncoder(t, xmt, cod) })
	t.Run("decoder", func(t *testing.T) { checkITUDecoder(t, cod, low, high) })
}

func readITUBinary(t *testing.T, dir, name string) []uint16 {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, name))
	require.NoError(t, err)
	require.Zero(t, len(raw)%2, name)
	words := make([]uint16, len(raw)/2)
	for i := range words {
		words[i] = binary.LittleEndian.Uint16(raw[2*i:])
	}
	checkITUCRC(t, name, words)
	return words
}

func TestG722ITUFullSequences(t *testing.T) {
	dir := os.Getenv("G722_ITU_VECTORS")
	if dir == "" {
		t.Skip("G722_ITU_VECTORS not set: the long ITU sequences are not kept in the repository (see g722_itu_test.go for how to get them)")
	}
	rd := func(name string) []uint16 { return readITUBinary(t, dir, name) }
	t.Run("encoder bt1c1", func(t *testing.T) { checkITUEncoder(t, rd("bt1c1.xmt"), rd("bt2r1.cod")) })
	t.Run("encoder bt1c2", func(t *testing.T) { checkITUEncoder(t, rd("bt1c2.xmt"), rd("bt2r2.cod")) })
	t.Run("decoder bt2r1", func(t *testing.T) { checkITUDecoder(t, rd("bt2r1.cod"), rd("bt3l1.rc1"), rd("bt3h1.rc0")) })
	t.Run("decoder bt2r2", func(t *testing.T) { checkITUDecoder(t, rd("bt2r2.cod"), rd("bt3l2.rc1"), rd("bt3h2.rc0")) })
	t.Run("decoder bt1d3", func(t *testing.T) { checkITUDecoder(t, rd("bt1d3.cod"), rd("bt3l3.rc1"), rd("bt3h3.rc0")) })
}
