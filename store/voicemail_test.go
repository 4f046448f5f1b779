package store

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-audio/wav"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSaveAndList(t *testing.T) {
	t.Parallel()
	v := Voicemail{Dir: t.TempDir()}
	pcm := make([]int16, 8000)
	for i := range pcm {
		pcm[i] = int16(i % 100)
	}
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	m := &Message{Box: "1001", Caller: "alice", Time: at, Reason: "#"}
	require.NoError(t, v.Save(m, pcm))
	assert.Equal(t, time.Second, m.Duration)
	require.NoError(t, v.Save(&Message{Box: "1002", Caller: "bob", Time: at.Add(time.Minute)}, pcm[:800]))

	all, err := v.List("")
	require.NoError(t, err)
	require.Len(t, all, 2)
	assert.Equal(t, "alice", all[0].Caller)
	one, err := v.List("1002")
	require.NoError(t, err)
	require.Len(t, one, 1)
	assert.Equal(t, 100*time.Millisecond, one[0].Duration)

	f, err := os.Open(filepath.Join(v.Dir, "1001", m.File))
	require.NoError(t, err)
	defer f.Close()
	d := wav.NewDecoder(f)
	buf, err := d.FullPCMBuffer()
	require.NoError(t, err)
	assert.Equal(t, uint32(8000), d.SampleRate)
	assert.Len(t, buf.Data, 8000)
	assert.Equal(t, 42, buf.Data[42])

	assert.Error(t, v.Save(&Message{Box: "../etc", Time: at}, pcm), "a box name cannot leave the directory")
}
