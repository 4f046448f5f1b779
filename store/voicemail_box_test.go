package store

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/prompts"
)

func TestVoicemailNewOldDeleteGreeting(t *testing.T) {
	t.Parallel()
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

// A file's PIN is stored hashed; importing the same file again changes
// nothing; the export validates and keeps the hash.
func TestImportHashesPINs(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := openTest(t, url)
		file, err := os.ReadFile("../examples/groups-voicemail.yaml")
		require.NoError(t, err)
		_, err = s.Import(ctx, "file", file, "", prompts.Builtin().Names())
		require.NoError(t, err)
		r, err := s.Get(ctx, VoicemailBoxes, "301")
		require.NoError(t, err)
		pin, _ := r.Body["pin"].(string)
		require.True(t, strings.HasPrefix(pin, "sha256:"), pin)
		v1, _ := s.ConfigVersion(ctx)
		_, err = s.Import(ctx, "file", file, "", prompts.Builtin().Names())
		require.NoError(t, err)
		v2, _ := s.ConfigVersion(ctx)
		assert.Equal(t, v1, v2, "the same file again changes nothing")
		cfg, _, err := s.Config(ctx)
		require.NoError(t, err)
		assert.True(t, cfg.VoicemailBoxByID("301").CheckPIN("1357"))
		assert.Equal(t, "sales", cfg.GroupByID("sales").ID)
		out, err := s.ExportYAML(ctx)
		require.NoError(t, err)
		assert.NotContains(t, string(out), "1357")
		c, err := ivr.Parse(out)
		require.NoError(t, err)
		assert.False(t, ivr.HasErrors(ivr.Validate(c, prompts.Builtin().Names())), "the export validates")
	})
}
