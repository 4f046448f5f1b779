package audio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/go-audio/wav"
)

// WAV format tags (the fmt chunk's wFormatTag).
const (
	wavPCM        = 1
	wavALaw       = 6
	wavULaw       = 7
	wavExtensible = 0xFFFE
)

// maxFileBytes bounds what one file may hold (10 minutes of 48 kHz stereo
// 16-bit): a prompt is seconds long, a bigger file is a mistake.
const maxFileBytes = 10 * 60 * 48000 * 2 * 2

// MaxKeptRate is the highest rate DecodeNative keeps: files above it are
// brought down to it (no codec ivrd speaks carries more).
const MaxKeptRate = 48000

// Decode reads an audio file (WAV, or raw PCM when name ends in .pcm) and
// returns 8 kHz mono samples. Errors say what is wrong with the file and
// wrap ErrMalformed or ErrUnsupported.
func Decode(name string, r io.ReadSeeker) ([]int16, error) {
	pcm, rate, err := DecodeNative(name, r)
	if err != nil {
		return nil, err
	}
	out := Resample(pcm, rate, SampleRate)
	if len(out) == 0 {
		return nil, malformed("audio too short: %d samples at %d Hz is not one sample at 8 kHz", len(pcm), rate)
	}
	return out, nil
}

// DecodeNative reads an audio file as Decode does but keeps its own
// sample rate, up to MaxKeptRate (a higher one is resampled down to it):
// mono samples and their rate. Raw .pcm files are 8 kHz.
func DecodeNative(name string, r io.ReadSeeker) (pcm []int16, rate int, err error) {
	if strings.EqualFold(filepath.Ext(name), ".pcm") {
		pcm, err = decodeRaw(r)
		return pcm, SampleRate, err
	}
	// go-audio/wav trusts header sizes; a hostile file must not take the
	// server down, so a panic in it becomes an error.
	defer func() {
		if p := recover(); p != nil {
			pcm, rate, err = nil, 0, malformed("malformed WAV (%v)", p)
		}
	}()
	pcm, rate, err = decodeWAV(r)
	if err == nil && rate > MaxKeptRate {
		pcm, rate = Resample(pcm, rate, MaxKeptRate), MaxKeptRate
	}
	return pcm, rate, err
}

func decodeRaw(r io.Reader) ([]int16, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxFileBytes {
		return nil, unsupported("raw PCM file too large")
	}
	if len(data)%2 != 0 {
		return nil, malformed("raw PCM has an odd number of bytes (%d); want 16-bit little-endian samples", len(data))
	}
	if len(data) == 0 {
		return nil, malformed("raw PCM file is empty")
	}
	pcm := make([]int16, len(data)/2)
	for i := range pcm {
		pcm[i] = int16(binary.LittleEndian.Uint16(data[2*i:]))
	}
	return pcm, nil
}

// checkChunks walks the RIFF chunk list before go-audio/wav reads it: that
// decoder allocates what a chunk header claims, so a corrupt 16-byte file
// claiming a 4 GB fmt chunk would take gigabytes. Chunks must fit in the
// file (the data chunk is checked against the size limit later).
func checkChunks(r io.ReadSeeker) error {
	size, err := r.Seek(0, io.SeekEnd)
	if err != nil {
		return err
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return err
	}
	var hdr [12]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil || string(hdr[:4]) != "RIFF" || string(hdr[8:12]) != "WAVE" {
		return errors.New("not a RIFF/WAVE file")
	}
	for pos := int64(12); pos+8 <= size; {
		var ch [8]byte
		if _, err := io.ReadFull(r, ch[:]); err != nil {
			return err
		}
		id, n := string(ch[:4]), int64(binary.LittleEndian.Uint32(ch[4:]))
		if id == "data" {
			break
		}
		if n > size-pos-8 || (id == "fmt " && n > 1024) {
			return fmt.Errorf("chunk %q claims %d bytes, the file has %d after it", id, n, size-pos-8)
		}
		pos += 8 + n + n&1
		if _, err := r.Seek(pos, io.SeekStart); err != nil {
			return err
		}
	}
	_, err = r.Seek(0, io.SeekStart)
	return err
}

// decodeWAV returns a WAV file's samples, mixed down to mono, and their
// rate.
func decodeWAV(r io.ReadSeeker) ([]int16, int, error) {
	if err := checkChunks(r); err != nil {
		return nil, 0, malformed("not a readable WAV file: %v", err)
	}
	d := wav.NewDecoder(r)
	d.ReadInfo()
	if err := d.Err(); err != nil || !d.IsValidFile() {
		if err == nil {
			err = errors.New("not a RIFF/WAVE file")
		}
		return nil, 0, malformed("not a readable WAV file: %v", err)
	}
	format := d.WavAudioFormat
	chans := int(d.NumChans)
	rate := int(d.SampleRate)
	bits := int(d.BitDepth)
	if chans < 1 || chans > 8 {
		return nil, 0, unsupported("unsupported channel count %d", chans)
	}
	if rate < 4000 || rate > 192000 {
		return nil, 0, unsupported("unsupported sample rate %d Hz", rate)
	}
	if SampleRate/gcd(rate, SampleRate) > 1000 {
		// Odd rates need thousands of filter phases; no real prompt uses one.
		return nil, 0, unsupported("unsupported sample rate %d Hz; use a common rate (8000, 16000, 22050, 44100, 48000)", rate)
	}
	if format == wavExtensible && bits == 16 {
		format = wavPCM // extensible 16-bit is plain PCM for our purpose
	}
	var decodeSample func([]byte) int16
	width := 0
	switch {
	case format == wavPCM && bits == 16:
		width = 2
		decodeSample = func(b []byte) int16 { return int16(binary.LittleEndian.Uint16(b)) }
	case format == wavULaw && bits == 8:
		width = 1
		decodeSample = func(b []byte) int16 { return ulawToLinear[b[0]] }
	case format == wavALaw && bits == 8:
		width = 1
		decodeSample = func(b []byte) int16 { return alawToLinear[b[0]] }
	case format == wavPCM:
		return nil, 0, unsupported("unsupported PCM bit depth %d; want 16-bit", bits)
	default:
		return nil, 0, unsupported("unsupported WAV format %d (%s); want 16-bit PCM, µ-law or A-law", format, formatName(format))
	}
	if err := d.FwdToPCM(); err != nil {
		return nil, 0, malformed("no audio data: %v", err)
	}
	if err := d.Err(); err != nil || d.PCMChunk == nil {
		return nil, 0, malformed("no audio data chunk")
	}
	if d.PCMSize > maxFileBytes || d.PCMSize < 0 {
		return nil, 0, unsupported("audio data too large (%d bytes)", d.PCMSize)
	}
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(d.PCMChunk, int64(d.PCMSize)))
	if err != nil {
		return nil, 0, malformed("reading audio data: %v", err)
	}
	if n < int64(d.PCMSize) {
		return nil, 0, malformed("truncated: data chunk says %d bytes, file has %d", d.PCMSize, n)
	}
	frame := width * chans
	data := buf.Bytes()
	frames := len(data) / frame
	if frames == 0 {
		return nil, 0, malformed("no audio samples")
	}
	mono := make([]int16, frames)
	for i := 0; i < frames; i++ {
		sum := 0
		for c := 0; c < chans; c++ {
			sum += int(decodeSample(data[i*frame+c*width:]))
		}
		mono[i] = int16(sum / chans) // downmix: average keeps the level of a centred source
	}
	return mono, rate, nil
}

func formatName(f uint16) string {
	switch f {
	case 2:
		return "MS ADPCM"
	case 3:
		return "IEEE float"
	case 0x11:
		return "IMA ADPCM"
	case 0x31:
		return "GSM 6.10"
	case 0x55:
		return "MP3"
	case wavExtensible:
		return "extensible"
	}
	return "unknown"
}
