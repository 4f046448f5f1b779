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
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/ivrd/ivrd/audio"
)

// Spoken is a prompt written as text: rendered once by espeak-ng into the
// same 8 kHz frames as a recorded file, when the configuration is loaded
// (never while a call waits).
type Spoken struct {
	Name     string
	Language string // "" for the default set; else the language set it belongs to
	Text     string
	Voice    string // espeak-ng voice; "" = Language's, or DefaultVoice
}

// DefaultVoice speaks prompts that name neither a voice nor a language:
// the voice the bundled prompts were made with.
const DefaultVoice = "en-us"

// Limits on what is handed to espeak-ng.
const (
	MaxSpokenText       = 4000             // characters: minutes of speech, more than any prompt
	DefaultSpeakTimeout = 20 * time.Second // one render; espeak-ng takes milliseconds
	speechRate          = 150              // words per minute, as prompts/builtin/generate.sh
)

// voiceName is what an espeak-ng voice may be called ("en-us", "es",
// "en+f3", "mb/mb-en1"): never a flag, never a path out of its folder.
var voiceName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_+-]*(/[A-Za-z0-9][A-Za-z0-9_+-]*)?$`)

// ValidVoice says whether v can name an espeak-ng voice.
func ValidVoice(v string) bool { return len(v) <= 40 && voiceName.MatchString(v) }

// VoiceFor is the voice a spoken prompt is rendered with.
func (s Spoken) VoiceFor() string {
	switch {
	case s.Voice != "":
		return s.Voice
	case s.Language != "":
		return s.Language
	}
	return DefaultVoice
}

// Speaker renders text with espeak-ng, run as a subprocess with a
// timeout. Renders are cached by voice and text, in memory and (with
// CacheDir) on disk, so a reload or a restart does not speak the same
// text again. Safe for concurrent use.
type Speaker struct {
	// Binary is the program; "" looks espeak-ng up in PATH at each render
	// (so installing it needs no restart).
	Binary string
	// Timeout bounds one render; 0 means DefaultSpeakTimeout.
	Timeout time.Duration
	// CacheDir, when set, keeps rendered audio as raw 8 kHz files.
	CacheDir string

	mu  sync.Mutex
	mem map[string][]int16
}

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
	case utf8.RuneCountInString(text) > MaxSpokenText:
		return nil, fmt.Errorf("%w: text longer than %d characters", ErrSpeech, MaxSpokenText)
	case !utf8.ValidString(text):
		return nil, fmt.Errorf("%w: text is not UTF-8", ErrSpeech)
	case !ValidVoice(voice):
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
		return nil, fmt.Errorf("%w: espeak-ng -v %s: %v", ErrSpeech, voice, runErr)
	}
	f, err := os.Open(out)
	if err != nil {
		return nil, fmt.Errorf("%w: espeak-ng -v %s wrote no audio: %s", ErrSpeech, voice, firstLine(msg))
	}
	defer f.Close()
	pcm, err := audio.Decode(out, f)
	if err != nil {
		return nil, fmt.Errorf("%w: espeak-ng's audio: %v", ErrSpeech, err)
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
	s.mu.Lock()
	pcm, ok := s.mem[key]
	s.mu.Unlock()
	if ok || s.CacheDir == "" {
		return pcm, ok
	}
	data, err := os.ReadFile(filepath.Join(s.CacheDir, key+".pcm"))
	if err != nil || len(data) < 2 || len(data)%2 != 0 {
		return nil, false // absent or damaged: spoken again
	}
	pcm = make([]int16, len(data)/2)
	for i := range pcm {
		pcm[i] = int16(binary.LittleEndian.Uint16(data[2*i:]))
	}
	s.remember(key, pcm)
	return pcm, true
}

func (s *Speaker) remember(key string, pcm []int16) {
	s.mu.Lock()
	if s.mem == nil {
		s.mem = map[string][]int16{}
	}
	s.mem[key] = pcm
	s.mu.Unlock()
}

// keep caches a render; a disk cache that cannot be written only costs
// speaking the text again next time.
func (s *Speaker) keep(key string, pcm []int16) {
	s.remember(key, pcm)
	if s.CacheDir == "" {
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
	if werr != nil || cerr != nil || os.Rename(tmp.Name(), filepath.Join(s.CacheDir, key+".pcm")) != nil {
		_ = os.Remove(tmp.Name()) // best effort: a stray temp file
	}
}

// AddSpoken returns lib with every spoken prompt rendered and added (a
// spoken prompt replaces a file of the same name and language). Every
// prompt that cannot be spoken is reported, each as a *SpeechError; the
// library returned then holds the others.
func (s *Speaker) AddSpoken(lib *Library, list []Spoken) (*Library, []error) {
	var errs []error
	out := lib.clone()
	for _, sp := range list {
		pcm, err := s.Speak(sp.Text, sp.VoiceFor())
		if err != nil {
			errs = append(errs, &SpeechError{Name: sp.Name, Language: sp.Language, Err: err})
			continue
		}
		out.put(sp.Language, New(sp.Name, pcm))
	}
	return out, errs
}
