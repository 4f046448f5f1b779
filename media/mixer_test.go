package media

import (
	"math"
	"testing"
	"time"
)

// constFrame is one 20 ms frame of the value v.
func constFrame(v int16) []int16 {
	f := make([]int16, frameSamples)
	for i := range f {
		f[i] = v
	}
	return f
}

// heard ticks the room once after each participant said its frame and
// returns the first sample each hears (0: nothing was pushed, silence).
func heard(t *testing.T, m *Mixer, ps []*Participant, frames [][]int16) []int16 {
	t.Helper()
	for i, p := range ps {
		if frames[i] != nil {
			p.in.Push(frames[i])
		}
	}
	m.tick()
	out := make([]int16, len(ps))
	got := make([]int16, frameSamples)
	for i, p := range ps {
		if p.out.popPCM(got) {
			out[i] = got[0]
			for _, v := range got {
				if v != got[0] {
					t.Fatalf("participant %d: a constant input gave a varying mix %v", i, got)
				}
			}
		}
	}
	return out
}

func newTestRoom(n int) (*Mixer, []*Participant) {
	m := &Mixer{}
	ps := make([]*Participant, n)
	for i := range ps {
		ps[i] = m.add(nil, false)
	}
	return m, ps
}

func TestMixerHearsTheOthersNotItself(t *testing.T) {
	m, ps := newTestRoom(3)
	got := heard(t, m, ps, [][]int16{constFrame(1000), constFrame(2000), constFrame(4000)})
	want := []int16{6000, 5000, 3000}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("participant %d hears %d, want %d (the sum of the others)", i, got[i], want[i])
		}
	}
	for i, p := range ps {
		if !p.Talking() {
			t.Errorf("participant %d above the threshold is not talking", i)
		}
	}
}

func TestMixerClips(t *testing.T) {
	m, ps := newTestRoom(3)
	got := heard(t, m, ps, [][]int16{constFrame(20000), constFrame(20000), constFrame(20000)})
	for i, v := range got {
		if v != 32767 {
			t.Errorf("participant %d hears %d, want 32767 (clipped)", i, v)
		}
	}
	got = heard(t, m, ps, [][]int16{constFrame(-20000), constFrame(-20000), constFrame(-20000)})
	for i, v := range got {
		if v != -32768 {
			t.Errorf("participant %d hears %d, want -32768 (clipped)", i, v)
		}
	}
}

func TestMixerMuteAndGain(t *testing.T) {
	m, ps := newTestRoom(3)
	ps[0].SetMuted(true)
	ps[1].SetGain(2 * UnityGain)
	got := heard(t, m, ps, [][]int16{constFrame(1000), constFrame(2000), constFrame(4000)})
	want := []int16{8000, 4000, 4000} // 0 is muted, 1 doubled
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("participant %d hears %d, want %d", i, got[i], want[i])
		}
	}
	if !ps[0].Muted() || !ps[0].Talking() {
		t.Errorf("a muted talker: muted %v talking %v, want both", ps[0].Muted(), ps[0].Talking())
	}
	ps[0].SetMuted(false)
	if got := heard(t, m, ps, [][]int16{constFrame(1000), nil, nil}); got[1] != 1000 {
		t.Errorf("after unmute participant 1 hears %d, want 1000", got[1])
	}
}

func TestMixerSilenceGate(t *testing.T) {
	m, ps := newTestRoom(3)
	quiet := constFrame(100) // below TalkThreshold
	// Quiet from the start: never in the mix.
	if got := heard(t, m, ps, [][]int16{quiet, nil, nil}); got[1] != 0 || ps[0].Talking() {
		t.Fatalf("a quiet participant is heard (%d) or talking (%v)", got[1], ps[0].Talking())
	}
	// A talker goes quiet: heard for the hangover, then gated out.
	heard(t, m, ps, [][]int16{constFrame(3000), nil, nil})
	for i := range TalkHangover - 1 {
		if got := heard(t, m, ps, [][]int16{quiet, nil, nil}); got[1] != 100 {
			t.Fatalf("hangover frame %d: participant 1 hears %d, want 100", i, got[1])
		}
	}
	if got := heard(t, m, ps, [][]int16{quiet, nil, nil}); got[1] != 0 || ps[0].Talking() {
		t.Fatalf("after the hangover participant 1 hears %d (talking %v), want the gate closed", got[1], ps[0].Talking())
	}
}

func TestMixerAnnounceAndLeave(t *testing.T) {
	m, ps := newTestRoom(3)
	tone := constFrame(500)
	m.Announce(tone, ps[2])
	got := heard(t, m, ps, [][]int16{nil, nil, nil})
	if got[0] != 500 || got[1] != 500 || got[2] != 0 {
		t.Fatalf("announcement heard as %v, want [500 500 0] (not by the one it skips)", got)
	}
	ps[1].Leave()
	ps[1].Leave()
	if m.Count() != 2 {
		t.Fatalf("count %d after a leave, want 2", m.Count())
	}
	got = heard(t, m, []*Participant{ps[0], ps[2]}, [][]int16{constFrame(1000), constFrame(3000)})
	if got[0] != 3000 || got[1] != 1000 {
		t.Fatalf("after a leave: %v, want [3000 1000]", got)
	}
}

// TestMixerOnThePacer runs a room on a real engine's pacer: what is
// pushed in comes out in the others' relays without anyone ticking it.
func TestMixerOnThePacer(t *testing.T) {
	e, err := NewEngine(EngineConfig{PortMin: 40000, PortMax: 40100, RTCPInterval: -1, Pacers: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	m := e.NewMixer()
	defer m.Close()
	a, b := m.Join(nil, false), m.Join(nil, false)
	frame := constFrame(1234)
	got := make([]int16, frameSamples)
	every := time.NewTicker(20 * time.Millisecond) // a phone's pace
	defer every.Stop()
	for range 250 { // 5 s
		a.in.Push(frame)
		if b.out.popPCM(got) && got[0] == 1234 {
			return
		}
		<-every.C
	}
	t.Fatal("the pacer never mixed a's audio into b's relay")
}

// BenchmarkMixer mixes 3 rooms of 10 participants, every participant
// talking (the worst case for the gate), one pacer tick per iteration.
func BenchmarkMixer(b *testing.B) {
	const rooms, per = 3, 10
	var ms mixerSet
	var all []*Participant
	for range rooms {
		m := &Mixer{}
		ms.add(m)
		for range per {
			all = append(all, m.add(nil, false))
		}
	}
	frames := make([][]int16, len(all))
	for i := range frames {
		frames[i] = make([]int16, frameSamples)
		f := 300 + 50*float64(i)
		for j := range frames[i] {
			frames[i][j] = int16(3000 * math.Sin(2*math.Pi*f*float64(j)/8000))
		}
	}
	sink := make([]int16, frameSamples)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		for i, p := range all {
			p.in.Push(frames[i])
		}
		ms.tick()
		for _, p := range all {
			p.out.popPCM(sink)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(all)), "ns/participant-frame")
}

// mixTap keeps the first sample of each frame it is handed.
type mixTap struct{ got []int16 }

func (m *mixTap) Inbound([]int16) { panic("a room's tap hears no inbound audio") }
func (m *mixTap) Outbound(pcm []int16) {
	if len(pcm) != frameSamples {
		panic("a room's tap gets whole frames")
	}
	m.got = append(m.got, pcm[0])
}

// A room's tap (a room recording) gets the whole mix every tick: all
// talkers (not the muted), the tones, silence when nobody talks; and
// nothing once removed. Ticking with a tap allocates nothing.
func TestMixerTapHearsTheWholeRoom(t *testing.T) {
	m, ps := newTestRoom(3)
	tap := &mixTap{got: make([]int16, 0, 2000)}
	m.AddTap(tap)
	heard(t, m, ps, [][]int16{constFrame(1000), constFrame(2000), constFrame(4000)})
	ps[2].SetMuted(true)
	heard(t, m, ps, [][]int16{constFrame(1000), constFrame(2000), constFrame(4000)})
	for range TalkHangover + 1 {
		heard(t, m, ps, [][]int16{nil, nil, nil})
	}
	m.Announce(constFrame(500), ps[0])
	heard(t, m, ps, [][]int16{nil, nil, nil})
	want := []int16{7000, 3000}
	if len(tap.got) != 2+TalkHangover+2 {
		t.Fatalf("the tap got %d frames in %d ticks: one a tick", len(tap.got), 2+TalkHangover+2)
	}
	if tap.got[0] != want[0] || tap.got[1] != want[1] {
		t.Fatalf("the tap heard %v, want %v (everyone; then without the muted one)", tap.got[:2], want)
	}
	if v := tap.got[len(tap.got)-2]; v != 0 {
		t.Fatalf("after everyone went quiet the tap heard %d, want silence", v)
	}
	if v := tap.got[len(tap.got)-1]; v != 500 {
		t.Fatalf("the join tone reached the tap as %d, want 500 (even the one it skips is in the room)", v)
	}
	allocs := testing.AllocsPerRun(100, func() { m.tick() })
	if allocs != 0 {
		t.Fatalf("a tick with a tap allocates %v", allocs)
	}
	m.RemoveTap(tap)
	n := len(tap.got)
	heard(t, m, ps, [][]int16{constFrame(1000), nil, nil})
	if len(tap.got) != n {
		t.Fatal("a removed tap is still called")
	}
}
