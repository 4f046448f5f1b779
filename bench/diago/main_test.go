package main

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// wav builds a WAV file: format tag, bits per sample, rate and data.
func wav(format, bits uint16, rate uint32, data []byte) []byte {
	fmtChunk := make([]byte, 16)
	binary.LittleEndian.PutUint16(fmtChunk[0:], format)
	binary.LittleEndian.PutUint16(fmtChunk[2:], 1)
	binary.LittleEndian.PutUint32(fmtChunk[4:], rate)
	binary.LittleEndian.PutUint16(fmtChunk[14:], bits)
	var b []byte
	b = append(b, "RIFF\x00\x00\x00\x00WAVE"...)
	b = append(b, "fmt \x10\x00\x00\x00"...)
	b = append(b, fmtChunk...)
	b = append(b, "data"...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(data)))
	return append(b, data...)
}

// The peer plays the prompts ivrd ships (G.711 µ-law WAV) as diago's
// playback wants them, 16-bit PCM: each µ-law byte becomes one sample.
func TestReadPCMDecodesTheBundledPrompts(t *testing.T) {
	pcm, err := readPCM(filepath.Join("..", "..", "prompts", "builtin", "main-choices.wav"))
	if err != nil {
		t.Fatal(err)
	}
	if len(pcm) < 8000*2 {
		t.Fatalf("%d bytes of PCM: want over a second of audio", len(pcm))
	}
	loud := 0
	for i := 0; i+1 < len(pcm); i += 2 {
		if v := int16(binary.LittleEndian.Uint16(pcm[i:])); v > 1000 || v < -1000 {
			loud++
		}
	}
	if loud == 0 {
		t.Fatal("the decoded prompt is silent")
	}
}

func TestReadPCMRefusesWhatItCannotPlay(t *testing.T) {
	dir := t.TempDir()
	for name, tc := range map[string]struct {
		file []byte
		want string
	}{
		"empty.wav":  {nil, "not a RIFF WAVE"},
		"16k.wav":    {wav(1, 16, 16000, []byte{1, 2}), "want mono 8 kHz"},
		"alaw.wav":   {wav(6, 8, 8000, []byte{1, 2}), "want µ-law or 16-bit PCM"},
		"short.wav":  {wav(7, 8, 8000, []byte{1, 2})[:30], "runs past the end"},
		"nodata.wav": {wav(7, 8, 8000, nil)[:36], "no data chunk"},
	} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, tc.file, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := readPCM(p)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: error %v, want one naming the file and saying %q", name, err, tc.want)
		}
	}
	pcm, err := readPCM(writeFile(t, dir, "ok.wav", wav(1, 16, 8000, []byte{1, 2, 3, 4})))
	if err != nil || string(pcm) != "\x01\x02\x03\x04" {
		t.Fatalf("16-bit PCM: %q, %v: want the samples as they are", pcm, err)
	}
}

func writeFile(t *testing.T, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
