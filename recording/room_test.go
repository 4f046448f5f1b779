package recording

import (
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/audio"
	"github.com/ivrd/ivrd/media"
)

// A room's recording is its whole mix, mono: two phones in a mixer, each
// sending its own tone, are both in the file, which is indexed as the
// room's session's (no call id).
func TestRoomRecordingHoldsEveryTalker(t *testing.T) {
	t.Parallel()
	base := 24000 + (os.Getpid()%10)*100
	e, err := media.NewEngine(media.EngineConfig{BindIP: netip.MustParseAddr("127.0.0.1"), PortMin: base, PortMax: base + 99,
		Pacers: 1, RTCPInterval: -1})
	require.NoError(t, err)
	t.Cleanup(e.Close)
	session := func() *media.Session {
		s, err := e.NewSession()
		require.NoError(t, err)
		t.Cleanup(s.Close)
		return s
	}
	mix := e.NewMixer()
	t.Cleanup(mix.Close)
	var phones []*media.Session
	for range 2 {
		ivrd, phone := session(), session()
		ivrd.Start(media.Params{Remote: phone.LocalAddr(), Codec: audio.PCMU, Send: true})
		phone.Start(media.Params{Remote: ivrd.LocalAddr(), Codec: audio.PCMU, Send: true})
		mix.Join(ivrd, false)
		phones = append(phones, phone)
	}
	var got []Info
	rec, err := New(Options{Dir: t.TempDir(), Poll: 20 * time.Millisecond, Index: func(i Info) { got = append(got, i) }}).
		StartRoom("room", "s1", mix)
	require.NoError(t, err)
	done := make(chan struct{}, 2)
	phones[0].Play(tone("a", 440, 40), func() { done <- struct{}{} })
	phones[1].Play(tone("b", 1000, 40), func() { done <- struct{}{} })
	<-done
	<-done
	info := rec.Stop()
	require.Len(t, got, 1, "indexed once")
	assert.Equal(t, "room", info.Conference)
	assert.Equal(t, "s1", info.Session)
	assert.Empty(t, info.CallID)
	assert.Equal(t, Mono, info.Format)
	assert.Equal(t, 1, info.Channels)
	rate, ch := readWAV(t, info.Path)
	require.Equal(t, 8000, rate)
	require.Len(t, ch, 1)
	quiet := power(ch[0], 2500, rate)
	assert.Greater(t, power(ch[0], 440, rate), 100*quiet, "the first phone's tone is recorded")
	assert.Greater(t, power(ch[0], 1000, rate), 100*quiet, "the second phone's tone is recorded")
	assert.GreaterOrEqual(t, info.Duration, 700*time.Millisecond)
}
