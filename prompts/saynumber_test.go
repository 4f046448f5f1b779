package prompts

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/internal/testenv"
)

func names(ps []*Prompt) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Name
	}
	return out
}

// fragments is a library holding the basic fragments (silent frames).
func fragments() *Library {
	lib := &Library{byName: map[string]*Prompt{}}
	for _, sp := range SpokenNumberFragments("") {
		lib.put("", New(sp.Name, make([]int16, 160)))
	}
	return lib
}

func TestNumberNamesEnglishRules(t *testing.T) {
	t.Parallel()
	for n, want := range map[int][]string{
		0:       {"number-0"},
		7:       {"number-7"},
		13:      {"number-13"},
		40:      {"number-40"},
		42:      {"number-40", "number-2"},
		100:     {"number-1", "number-hundred"},
		342:     {"number-3", "number-hundred", "number-40", "number-2"},
		1001:    {"number-1", "number-thousand", "number-1"},
		2500000: {"number-2", "number-million", "number-5", "number-hundred", "number-thousand"},
		-3:      {"number-minus", "number-3"},
	} {
		assert.Equal(t, want, NumberNames(n), "%d", n)
	}
}

func TestSayNumberAndDigits(t *testing.T) {
	t.Parallel()
	lib := fragments()
	got, err := lib.SayNumber("", 3)
	require.NoError(t, err)
	assert.Equal(t, []string{"number-3"}, names(got))
	got, err = lib.SayDigits("", "1001")
	require.NoError(t, err)
	assert.Equal(t, []string{"number-1", "number-0", "number-0", "number-1"}, names(got))
	_, err = lib.SayDigits("", "12a")
	assert.Error(t, err)

	// A language with fragments of its own composes from them, whole
	// numbers first: Spanish 21 is one word, 35 is not recorded whole.
	for _, n := range []int{1, 5, 21, 30, 100, 200} {
		lib = lib.WithIn("es", New(FragmentPrefix+itoa(n), make([]int16, 160)))
	}
	got, err = lib.SayNumber("es", 21)
	require.NoError(t, err)
	assert.Equal(t, []string{"number-21"}, names(got))
	got, err = lib.SayNumber("es", 235)
	require.NoError(t, err)
	assert.Equal(t, []string{"number-200", "number-30", "number-5"}, names(got))
	// number-30 and number-5 are the Spanish ones, not the default set's.
	assert.Same(t, mustLookup(t, lib, "es", "number-30"), got[1])

	// A language without fragments uses the default set's.
	got, err = lib.SayNumber("fr", 42)
	require.NoError(t, err)
	assert.Equal(t, []string{"number-40", "number-2"}, names(got))

	_, err = (&Library{byName: map[string]*Prompt{}}).SayNumber("es", 3)
	assert.ErrorIs(t, err, ErrMissingFragment)
	assert.Contains(t, err.Error(), "number-3")
}

func itoa(n int) string { return strconv.Itoa(n) }

func mustLookup(t *testing.T, l *Library, lang, name string) *Prompt {
	t.Helper()
	p, ok := l.Lookup(lang, name)
	require.True(t, ok, name)
	return p
}

// Spoken fragments: espeak-ng speaks the set, and SayNumber plays them.
func TestSpokenNumberFragments(t *testing.T) {
	t.Parallel()
	testenv.NeedEspeak(t, "spoken prompts")
	lib, err := (&Speaker{}).AddNumberFragments(&Library{byName: map[string]*Prompt{}}, []string{"", "es"})
	require.NoError(t, err)
	got, err := lib.SayNumber("", 342)
	require.NoError(t, err)
	assert.Equal(t, []string{"number-3", "number-hundred", "number-40", "number-2"}, names(got))
	for _, p := range got {
		assert.Greater(t, p.Duration().Seconds(), 0.1, p.Name)
	}
	got, err = lib.SayNumber("es", 21)
	require.NoError(t, err)
	assert.Equal(t, []string{"number-21"}, names(got))
	en, _ := lib.Lookup("", "number-3")
	es, _ := lib.Lookup("es", "number-3")
	assert.NotEqual(t, en.PCM, es.PCM, "tres, not three")
}

func TestJoinPlaysPartsInTurn(t *testing.T) {
	t.Parallel()
	a := New("a", tone(1000, 8000, 0.02, 8000))
	b := New("b", tone(500, 8000, 0.04, 8000))
	j := Join("you-have-3", a, b, a)
	assert.Equal(t, "you-have-3", j.Name)
	assert.Equal(t, a.Frames()*2+b.Frames(), j.Frames())
	assert.Equal(t, append(append(append([]byte{}, a.PCMU...), b.PCMU...), a.PCMU...), j.PCMU)
	assert.Equal(t, b.PCMA, j.PCMA[len(a.PCMA):len(a.PCMA)+len(b.PCMA)])
	assert.Equal(t, 1, Join("empty").Frames(), "one silent frame, as New gives")
}
