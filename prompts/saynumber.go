package prompts

import (
	"fmt"
	"strconv"
	"strings"
)

// Numbers are said from fragments, as Asterisk's SayNumber plays
// digits/N sound files: number-0 ... number-19, number-20, number-30 ...
// number-90, number-hundred, number-thousand, number-million and
// number-minus, recorded (prompts_dir/number-7.wav, es/number-7.wav) or
// spoken (SpokenNumberFragments). A language may also have whole
// fragments for any number below 100 (number-21, as Spanish says
// "veintiuno" in one word) and for whole hundreds (number-200,
// "doscientos"): the largest fragment there is wins, so each language's
// numbers come out right below a thousand without rules of its own.

// FragmentPrefix starts every number fragment's name.
const FragmentPrefix = "number-"

// SayNumber is the prompts that say n in language lang ("" the default
// set), in order: "you have" + SayNumber(lang, 3) + "new messages". Each
// fragment is looked up in lang, then in the default set. A fragment
// missing in both is an error naming it (wrapping ErrMissingFragment).
func (l *Library) SayNumber(lang string, n int) ([]*Prompt, error) {
	return l.sequence(lang, l.numberNames(lang, n))
}

// SayDigits is the prompts that say each digit of s in turn (a phone
// number, a PIN, an extension): "1001" is number-1 number-0 number-0
// number-1. Anything but 0-9 is an error.
func (l *Library) SayDigits(lang, s string) ([]*Prompt, error) {
	names := make([]string, 0, len(s))
	for _, c := range s {
		if c < '0' || c > '9' {
			return nil, fmt.Errorf("say digits %q: %q is not a digit", s, c)
		}
		names = append(names, FragmentPrefix+string(c))
	}
	return l.sequence(lang, names)
}

// NumberNames is the fragment names SayNumber plays for n when a
// language has only the basic fragments (English rules): 342 is
// number-3 number-hundred number-40 number-2.
func NumberNames(n int) []string {
	return (&Library{}).numberNames("", n)
}

func (l *Library) sequence(lang string, names []string) ([]*Prompt, error) {
	out := make([]*Prompt, 0, len(names))
	var missing []string
	for _, name := range names {
		p, ok := l.Lookup(lang, name)
		if !ok {
			missing = append(missing, name)
			continue
		}
		out = append(out, p)
	}
	if len(missing) > 0 {
		where := "the default set"
		if lang != "" {
			where = "language " + lang + " or the default set"
		}
		return nil, fmt.Errorf("%w: %s not in %s (record them, or install espeak-ng to speak them)", ErrMissingFragment, strings.Join(missing, ", "), where)
	}
	return out, nil
}

// numberNames composes n from the fragments lang has.
func (l *Library) numberNames(lang string, n int) []string {
	frag := func(v int) string { return FragmentPrefix + strconv.Itoa(v) }
	has := func(name string) bool {
		return l.Has(lang, name) || (lang != "" && l.Has("", name) && !l.hasAnyFragment(lang))
	}
	var say func(n int) []string
	say = func(n int) []string {
		switch {
		case n < 0:
			return append([]string{FragmentPrefix + "minus"}, say(-n)...)
		case n < 20:
			return []string{frag(n)}
		case n < 100:
			if has(frag(n)) || n%10 == 0 {
				return []string{frag(n)}
			}
			return []string{frag(n / 10 * 10), frag(n % 10)}
		case n < 1000:
			var out []string
			if has(frag(n / 100 * 100)) {
				out = []string{frag(n / 100 * 100)}
			} else {
				out = []string{frag(n / 100), FragmentPrefix + "hundred"}
			}
			if n%100 != 0 {
				out = append(out, say(n%100)...)
			}
			return out
		case n < 1000000:
			out := append(say(n/1000), FragmentPrefix+"thousand")
			if n%1000 != 0 {
				out = append(out, say(n%1000)...)
			}
			return out
		default:
			out := append(say(n/1000000), FragmentPrefix+"million")
			if n%1000000 != 0 {
				out = append(out, say(n%1000000)...)
			}
			return out
		}
	}
	return say(n)
}

// hasAnyFragment: lang has number fragments of its own (then its whole
// fragments decide how numbers are composed, not the default set's).
func (l *Library) hasAnyFragment(lang string) bool {
	for name := range l.byLang[lang] {
		if strings.HasPrefix(name, FragmentPrefix) {
			return true
		}
	}
	return false
}

// englishNumbers are the words of the basic fragments.
var englishNumbers = []string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
	"ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"}

var englishTens = []string{"", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"}

// SpokenNumberFragments is the fragment set to speak for lang ("" or an
// English code: English words; any other language: the numerals 0-99
// and the whole hundreds, which espeak-ng reads in the language's voice,
// so "21" comes out as one word where the language says it so; no
// number-minus), voiced as Spoken.VoiceFor does. Language is "" for the
// default set.
func SpokenNumberFragments(lang string) []Spoken {
	var out []Spoken
	add := func(name, text string) {
		out = append(out, Spoken{Name: FragmentPrefix + name, Language: lang, Text: text})
	}
	if lang == "" || lang == "en" || strings.HasPrefix(lang, "en-") || strings.HasPrefix(lang, "en_") {
		for i, w := range englishNumbers {
			add(strconv.Itoa(i), w)
		}
		for i := 2; i < 10; i++ {
			add(strconv.Itoa(i*10), englishTens[i])
		}
		add("hundred", "hundred")
		add("thousand", "thousand")
		add("million", "million")
		add("minus", "minus")
		return out
	}
	for i := 0; i < 100; i++ {
		add(strconv.Itoa(i), strconv.Itoa(i))
	}
	for i := 1; i < 10; i++ {
		add(strconv.Itoa(i*100), strconv.Itoa(i*100))
	}
	add("thousand", "1000")
	add("million", "1000000")
	return out
}
