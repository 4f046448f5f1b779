package store

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestVoicemailNewOldDeleteGreeting(t *testing.T) {
	v := Voicemail{Dir: t.TempDir()}
	pcm := make([]int16, 1600)
	for i := range pcm {
		pcm[i] = int16(i*7%2000 - 1000)
	}
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	for i := 0; i < 3; i++ {
		require.NoError(t, v.Save(&Message{Box: "1001", Caller: "alice", Time: at.Add(time.Duration(i) * time.Minute)}, pcm))
	}
	n, o, err := v.Counts("1001")
	require.NoError(t, err)
	assert.Equal(t, [2]int{3, 0}, [2]int{n, o})
	msgs, _ := v.List("1001")
	require.NoError(t, v.MarkOld(msgs[0]))
	require.NoError(t, v.Delete(msgs[1]))
	n, o, _ = v.Counts("1001")
	assert.Equal(t, [2]int{1, 1}, [2]int{n, o})
	got, err := v.Audio(msgs[2])
	require.NoError(t, err)
	assert.Equal(t, pcm, got[:len(pcm)], "the recording reads back sample for sample")

	_, ok := v.Greeting("1001")
	assert.False(t, ok)
	require.NoError(t, v.SaveGreeting("1001", pcm))
	g, ok := v.Greeting("1001")
	require.True(t, ok)
	assert.Len(t, g, len(pcm))
	n, o, _ = v.Counts("1001")
	assert.Equal(t, [2]int{1, 1}, [2]int{n, o}, "the greeting is not a message")
	assert.Error(t, v.SaveGreeting("../x", pcm))
}
