package media

import (
	"github.com/zaf/g711"

	"github.com/ivrd/ivrd/prompts"
)

// Decode tables: one lookup per sample on the receive path.
var ulawTable, alawTable [256]int16

func init() {
	for i := 0; i < 256; i++ {
		ulawTable[i] = g711.DecodeUlawFrame(uint8(i))
		alawTable[i] = g711.DecodeAlawFrame(uint8(i))
	}
}

func decodeG711(dst []int16, src []byte, c prompts.Codec) {
	table := &ulawTable
	if c == prompts.PCMA {
		table = &alawTable
	}
	for i, b := range src {
		dst[i] = table[b]
	}
}

// DecodeG711 decodes G.711 bytes into linear samples (dst must be as long).
func DecodeG711(dst []int16, src []byte, c prompts.Codec) { decodeG711(dst, src, c) }
