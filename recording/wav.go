package recording

import (
	"encoding/binary"
	"io"
)

// wavHeaderLen is the canonical 44-byte header of a 16-bit PCM WAV file.
const wavHeaderLen = 44

// wavHeader is the header of a 16-bit PCM file of dataBytes bytes of
// audio: written first with 0 (a file cut short by a crash still opens),
// then again with the size when the recording ends.
func wavHeader(b *[wavHeaderLen]byte, channels, rate int, dataBytes uint32) {
	le := binary.LittleEndian
	copy(b[0:4], "RIFF")
	le.PutUint32(b[4:8], 36+dataBytes)
	copy(b[8:12], "WAVE")
	copy(b[12:16], "fmt ")
	le.PutUint32(b[16:20], 16)
	le.PutUint16(b[20:22], 1) // PCM
	le.PutUint16(b[22:24], uint16(channels))
	le.PutUint32(b[24:28], uint32(rate))
	le.PutUint32(b[28:32], uint32(rate*channels*2))
	le.PutUint16(b[32:34], uint16(channels*2))
	le.PutUint16(b[34:36], 16)
	copy(b[36:40], "data")
	le.PutUint32(b[40:44], dataBytes)
}

// finishWAV rewrites the header of f with the size written.
func finishWAV(f io.WriteSeeker, channels, rate int, dataBytes uint32) error {
	var h [wavHeaderLen]byte
	wavHeader(&h, channels, rate, dataBytes)
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	_, err := f.Write(h[:])
	return err
}
