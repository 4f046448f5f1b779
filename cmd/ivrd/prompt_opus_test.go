package main

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/audio"
	"github.com/ivrd/ivrd/audio/opus"
)

// ivrd prompt says what an Opus caller hears of a 16 kHz file (in a
// binary built with Opus; one without says nothing of Opus).
func TestPromptCommandReportsOpus(t *testing.T) {
	t.Parallel()
	pcm := make([]int16, 16000)
	for i := range pcm {
		pcm[i] = int16(5000 * math.Sin(2*math.Pi*5000*float64(i)/16000))
	}
	path := filepath.Join(t.TempDir(), "wide.wav")
	f, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, audio.WriteWAVAt(f, pcm, 16000))
	require.NoError(t, f.Close())

	code, out, errOut := runCLI("prompt", path)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "G722: 16 kHz wideband (50-7000 Hz), from the 16 kHz source, 8000 bytes")
	if opus.Available {
		assert.Contains(t, out, "opus: 16 kHz wideband (50-7000 Hz), from the 16 kHz source, 4000 bytes")
	} else {
		assert.NotContains(t, out, "opus")
	}
}
