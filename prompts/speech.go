package prompts

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/ivrd/ivrd/audio"
	"github.com/ivrd/ivrd/spoken"
)

// Spoken is a prompt written as text (spoken.Prompt: its language, voice
// and the rules for their names are package spoken's, which the
// configuration checks by too).
type Spoken = spoken.Prompt

// Limits on what is handed to espeak-ng.
const (
	DefaultSpeakTimeout = 20 * time.Second // one render; espeak-ng takes milliseconds
	speechRate          = 150              // words per minute, as prompts/builtin/generate.sh
)

// Speaker renders text with espeak-ng, run as a subprocess with a
// timeout. Renders are cached by voice and text, in memory (for the
// whole process, every Speaker) and (with CacheDir) on disk, so a reload
// or a restart does not speak the same text again. Safe for concurrent
// use.
type Speaker struct {
	// Binary is the program; "" looks espeak-ng up in PATH at each render
	// (so installing it needs no restart).
	Binary string
	// Timeout bounds one render; 0 means DefaultSpeakTimeout.
	Timeout time.Duration
	// CacheDir, when set, keeps rendered audio as raw 8 kHz files.
	CacheDir string
}

// memCache is every render of the process by cacheKey: the same text in
// the same voice is the same audio, whichever configuration asked.
var memCache = struct {
	sync.Mutex
	m map[string][]int16
}{m: map[string][]int16{}}

// Speak renders text with voice to 8 kHz samples, normalised to the
// level of the bundled prompts. espeak-ng must be installed even when the
// text is cached: a configuration that only works until the cache is
// cleared would fail at the worst moment.
func (s *Speaker) Speak(text, voice string) ([]int16, error) {
	bin, err := s.binary()
	if err != nil {
		return nil, err
	}
	text = strings.TrimSpace(text)
	switch {
	case text == "":
		return nil, fmt.Errorf("%w: no text to say", ErrSpeech)
	case utf8.RuneCountInString(text) > spoken.MaxText:
		return nil, fmt.Errorf("%w: text longer than %d characters", ErrSpeech, spoken.MaxText)
	case !utf8.ValidString(text):
		return nil, fmt.Errorf("%w: text is not UTF-8", ErrSpeech)
	case !spoken.ValidVoice(voice):
		return nil, fmt.Errorf("%w: %q is not a voice name (want e.g. en-us, es, fr, en+f3)", ErrSpeech, voice)
	}
	key := cacheKey(voice, text)
	if pcm, ok := s.cached(key); ok {
		return pcm, nil
	}
	pcm, err := s.render(bin, text, voice)
	if err != nil {
		return nil, err
	}
	s.keep(key, pcm)
	return pcm, nil
}

func (s *Speaker) binary() (string, error) {
	name := s.Binary
	if name == "" {
		name = "espeak-ng"
	}
	p, err := exec.LookPath(name)
	if err != nil {
		return "", ErrNoSpeaker
	}
	return p, nil
}

// render runs espeak-ng once. The text goes in on stdin (never as an
// argument, where a leading '-' would be an option), the audio out to a
// temporary file: on a pipe espeak-ng writes placeholder WAV sizes.
func (s *Speaker) render(bin, text, voice string) ([]int16, error) {
	dir, err := os.MkdirTemp("", "ivrd-speech")
	if err != nil {
		return nil, err
	}
	defer func() { _ = os.RemoveAll(dir) }() // a temporary folder
	out := filepath.Join(dir, "speech.wav")
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = DefaultSpeakTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-v", voice, "-s", fmt.Sprint(speechRate), "-w", out, "--stdin")
	cmd.Stdin = strings.NewReader(text)
	var stderr bytes.Buffer
	cmd.Stderr, cmd.Stdout = &stderr, &stderr
	runErr := cmd.Run()
	msg := strings.TrimSpace(stderr.String())
	switch {
	case ctx.Err() != nil:
		return nil, fmt.Errorf("%w: espeak-ng took longer than %v", ErrSpeech, timeout)
	case runErr != nil && msg != "":
		return nil, fmt.Errorf("%w: espeak-ng -v %s: %s", ErrSpeech, voice, firstLine(msg))
	case runErr != nil:
		return nil, fmt.Errorf("%w: espeak-ng -v %s: %w", ErrSpeech, voice, runErr)
	}
	f, err := os.Open(out)
	if err != nil {
		return nil, fmt.Errorf("%w: espeak-ng -v %s wrote no audio: %s", ErrSpeech, voice, firstLine(msg))
	}
	defer f.Close()
	pcm, err := audio.Decode(out, f)
	if err != nil {
		return nil, fmt.Errorf("%w: espeak-ng's audio: %w", ErrSpeech, err)
	}
	if audio.RMS(pcm) < 1 {
		return nil, fmt.Errorf("%w: espeak-ng -v %s gave silence", ErrSpeech, voice)
	}
	return normalise(pcm), nil
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

// normalise brings the peak to -3 dBFS, as generate.sh's `sox ... norm -3`
// does for the bundled prompts, so spoken and bundled prompts sound alike.
func normalise(pcm []int16) []int16 {
	peak := 0
	for _, v := range pcm {
		a := int(v)
		if a < 0 {
			a = -a
		}
		peak = max(peak, a)
	}
	if peak == 0 {
		return pcm
	}
	k := 0.7079 * 32767 / float64(peak)
	out := make([]int16, len(pcm))
	for i, v := range pcm {
		out[i] = int16(float64(v) * k)
	}
	return out
}

func cacheKey(voice, text string) string {
	h := sha256.Sum256([]byte(fmt.Sprintf("espeak-ng\x00%s\x00%d\x00%s", voice, speechRate, text)))
	return hex.EncodeToString(h[:16])
}

func (s *Speaker) cached(key string) ([]int16, bool) {
	memCache.Lock()
	pcm, ok := memCache.m[key]
	memCache.Unlock()
	if ok {
		if s.CacheDir != "" {
			s.keepOnDisk(key, pcm) // a new cache folder gets what memory has
		}
		return pcm, true
	}
	if s.CacheDir == "" {
		return nil, false
	}
	data, err := os.ReadFile(filepath.Join(s.CacheDir, key+".pcm"))
	if err != nil || len(data) < 2 || len(data)%2 != 0 {
		return nil, false // absent or damaged: spoken again
	}
	pcm = make([]int16, len(data)/2)
	for i := range pcm {
		pcm[i] = int16(binary.LittleEndian.Uint16(data[2*i:]))
	}
	remember(key, pcm)
	return pcm, true
}

func remember(key string, pcm []int16) {
	memCache.Lock()
	memCache.m[key] = pcm
	memCache.Unlock()
}

// keep caches a render; a disk cache that cannot be written only costs
// speaking the text again next time.
func (s *Speaker) keep(key string, pcm []int16) {
	remember(key, pcm)
	if s.CacheDir != "" {
		s.keepOnDisk(key, pcm)
	}
}

func (s *Speaker) keepOnDisk(key string, pcm []int16) {
	file := filepath.Join(s.CacheDir, key+".pcm")
	if _, err := os.Stat(file); err == nil {
		return
	}
	if err := os.MkdirAll(s.CacheDir, 0o750); err != nil {
		return
	}
	data := make([]byte, 2*len(pcm))
	for i, v := range pcm {
		binary.LittleEndian.PutUint16(data[2*i:], uint16(v))
	}
	tmp, err := os.CreateTemp(s.CacheDir, key+".*.tmp")
	if err != nil {
		return
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if werr != nil || cerr != nil || os.Rename(tmp.Name(), file) != nil {
		_ = os.Remove(tmp.Name()) // best effort: a stray temp file
	}
}

// AddSpoken returns lib with every spoken prompt rendered and added (a
// spoken prompt replaces a file of the same name and language). Every
// prompt that cannot be spoken is reported, each as a *SpeechError; the
// library returned then holds the others.
func (s *Speaker) AddSpoken(lib *Library, list []Spoken) (*Library, []error) {
	// A few espeak-ng processes at once: each is a short, single-threaded
	// job, and a language's number fragments are a hundred of them.
	pcms, fails := make([][]int16, len(list)), make([]error, len(list))
	work := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < min(renderWorkers, len(list)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				pcms[i], fails[i] = s.Speak(list[i].Text, list[i].VoiceFor())
			}
		}()
	}
	for i := range list {
		work <- i
	}
	close(work)
	wg.Wait()
	var errs []error
	out := lib.clone()
	for i, sp := range list {
		if fails[i] != nil {
			errs = append(errs, &SpeechError{Name: sp.Name, Language: sp.Language, Err: fails[i]})
			continue
		}
		out.put(sp.Language, New(sp.Name, pcms[i]))
	}
	return out, errs
}

// renderWorkers is how many espeak-ng processes run at once.
const renderWorkers = 4

// AddNumberFragments returns lib with the number fragments SayNumber
// needs spoken for each language in langs ("" the default set) where no
// fragment of that name is recorded. They are not part of any
// configuration, so a failure (no espeak-ng) is returned for the caller
// to log, and lib is returned with what could be spoken.
func (s *Speaker) AddNumberFragments(lib *Library, langs []string) (*Library, error) {
	var todo []Spoken
	for _, lang := range langs {
		for _, sp := range SpokenNumberFragments(lang) {
			if !lib.Has(lang, sp.Name) {
				todo = append(todo, sp)
			}
		}
	}
	if len(todo) == 0 {
		return lib, nil
	}
	if _, err := s.binary(); err != nil {
		return lib, err
	}
	out, errs := s.AddSpoken(lib, todo)
	if len(errs) > 0 {
		return out, errs[0]
	}
	return out, nil
}
