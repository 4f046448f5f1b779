package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ivrd/ivrd/audio"
	"github.com/ivrd/ivrd/dtmf"
	"github.com/ivrd/ivrd/prompts"
)

// runDTMF finds key presses in recordings, with the detector calls use:
// what ivrd would have heard from a caller's audio, each press with the
// time its tone started and stopped.
func runDTMF(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("dtmf", flag.ContinueOnError)
	fs.SetOutput(stderr)
	codec := fs.String("codec", "pcmu", "line codec the audio passes through first at 8 kHz: pcmu, pcma or none (16 kHz: none)")
	rate := fs.Int("rate", 8000, "rate the detector runs at: 8000 (G.711 calls) or 16000 (G.722, Opus)")
	asJSON := fs.Bool("json", false, "print a JSON array of {file, digit, start, end} instead of lines")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: ivrd dtmf [--rate 8000|16000] [--codec pcmu|pcma|none] [--json] FILE...\n\n"+
			"Lists the keys pressed in each recording (WAV at any rate, or .pcm raw\n"+
			"16-bit at --rate) as the in-band detector of a call hears them after the\n"+
			"line codec, one line per press: FILE<TAB>digit<TAB>start<TAB>end, times in\n"+
			"seconds from the start of the file, to the millisecond.\n\n")
		fs.PrintDefaults()
	}
	if code, done := parseFlags(fs, args); done {
		return code
	}
	codecSet := false
	fs.Visit(func(f *flag.Flag) { codecSet = codecSet || f.Name == "codec" })
	line, err := dtmfLine(*rate, *codec, codecSet)
	if err != nil {
		fmt.Fprintf(stderr, "ivrd dtmf: %v\n", err)
		return 2
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	presses := []dtmfPress{}
	status := 0
	for _, name := range fs.Args() {
		pcm, err := decodeFileAt(name, *rate)
		if err == nil {
			var found []dtmfPress
			found, err = findPresses(name, line(pcm), *rate)
			presses = append(presses, found...)
			if !*asJSON {
				for _, p := range found {
					fmt.Fprintf(stdout, "%s\t%s\t%.3f\t%.3f\n", p.File, p.Digit, p.Start, p.End)
				}
			}
		}
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", name, err)
			status = 1
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(presses); err != nil {
			fmt.Fprintf(stderr, "ivrd dtmf: %v\n", err)
			return 1
		}
	}
	return status
}

// dtmfPress is one key press found in a file; times in seconds from its
// start, rounded to the millisecond.
type dtmfPress struct {
	File  string  `json:"file"`
	Digit string  `json:"digit"`
	Start float64 `json:"start"`
	End   float64 `json:"end"`
}

// dtmfLine is what the line does to the audio before the detector hears
// it: G.711 at 8 kHz, nothing at 16 kHz (wideband codecs are not G.711).
func dtmfLine(rate int, codec string, codecSet bool) (func([]int16) []int16, error) {
	none := func(p []int16) []int16 { return p }
	switch rate {
	case 8000:
	case 16000:
		if codecSet && !strings.EqualFold(codec, "none") {
			return nil, fmt.Errorf("--codec %s is 8 kHz only; at --rate 16000 use none", codec)
		}
		return none, nil
	default:
		return nil, fmt.Errorf("unsupported --rate %d (8000 or 16000)", rate)
	}
	switch strings.ToLower(codec) {
	case "pcmu":
		return func(p []int16) []int16 { return audio.RoundTrip(p, audio.PCMU) }, nil
	case "pcma":
		return func(p []int16) []int16 { return audio.RoundTrip(p, audio.PCMA) }, nil
	case "none":
		return none, nil
	}
	return nil, fmt.Errorf("unknown --codec %q (pcmu, pcma, none)", codec)
}

// findPresses runs a call's detector over pcm in 20 ms frames, as the
// media path feeds it, and returns every press with its start and end.
func findPresses(name string, pcm []int16, rate int) ([]dtmfPress, error) {
	d, err := dtmf.NewDetectorRate(rate)
	if err != nil {
		return nil, err
	}
	var out []dtmfPress
	add := func(ev dtmf.Event) {
		if ev.Kind == dtmf.KeyUp {
			out = append(out, dtmfPress{File: name, Digit: string(ev.Key),
				Start: ev.Start.Round(time.Millisecond).Seconds(), End: ev.End.Round(time.Millisecond).Seconds()})
		}
	}
	frame := rate / 50
	for i := 0; i < len(pcm); i += frame {
		p := pcm[i:min(i+frame, len(pcm))]
		for len(p) > 0 {
			ev, n := d.Detect(p)
			p = p[n:]
			add(ev)
		}
	}
	for ev := d.Finish(); ev.Kind != dtmf.NoEvent; ev = d.Finish() {
		add(ev)
	}
	return out, nil
}

// runPrompt checks prompt files the way serve loads them and reports what
// callers will hear: length and level; --out writes the 8 kHz version.
func runPrompt(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("prompt", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "directory to write each prompt as ivrd plays it (8 kHz mono 16-bit WAV)")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: ivrd prompt [--out DIR] FILE...\n\n"+
			"Decodes each prompt as serve does (WAV at any rate, mono or stereo,\n"+
			"16-bit, µ-law or A-law; .pcm raw 16-bit 8 kHz) and prints its length,\n"+
			"peak and speech level, with a warning for clipping or a level far\n"+
			"from the usual -20 dBm0 or so. Exit status 1 if any file cannot be used.\n\n")
		fs.PrintDefaults()
	}
	if code, done := parseFlags(fs, args); done {
		return code
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	return eachAudioFile(fs.Args(), stderr, func(name string, pcm []int16) error {
		lv := audio.MeasureLevel(pcm)
		fmt.Fprintf(stdout, "%s: %.2f s, peak %.1f dBFS, active level %.1f dBm0", name,
			float64(len(pcm))/audio.SampleRate, lv.PeakDBFS, lv.ActiveDBm0)
		switch {
		case lv.Clipped > 0:
			fmt.Fprintf(stdout, " (warning: %d clipped samples)", lv.Clipped)
		case lv.ActiveDBm0 < -35:
			fmt.Fprint(stdout, " (warning: very quiet)")
		case lv.ActiveDBm0 > -6:
			fmt.Fprint(stdout, " (warning: very loud)")
		}
		fmt.Fprintln(stdout)
		// What each codec's callers get of it (G.722 and Opus from the
		// file's own rate, G.711 from 8 kHz; Opus only in a binary built
		// with it).
		if p, err := prompts.LoadFile(name); err == nil {
			for _, c := range p.Codecs() {
				fmt.Fprintf(stdout, "  %s\n", c)
			}
		}
		if *out != "" {
			return writePrompt(*out, name, pcm)
		}
		return nil
	})
}

// eachAudioFile decodes each file as serve decodes prompts and hands it to
// f; a file that cannot be read or handled is reported on stderr by name
// and makes the status 1, and the others still run.
func eachAudioFile(names []string, stderr io.Writer, f func(name string, pcm []int16) error) int {
	status := 0
	for _, name := range names {
		pcm, err := decodeFile(name)
		if err == nil {
			err = f(name, pcm)
		}
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", name, err)
			status = 1
		}
	}
	return status
}

func decodeFile(name string) ([]int16, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return audio.Decode(name, f)
}

// decodeFileAt decodes a file at rate: a WAV resampled from its own
// rate, a raw .pcm taken to be at rate already.
func decodeFileAt(name string, rate int) ([]int16, error) {
	if rate == audio.SampleRate {
		return decodeFile(name)
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	pcm, native, err := audio.DecodeNative(name, f)
	if err != nil {
		return nil, err
	}
	if strings.EqualFold(filepath.Ext(name), ".pcm") {
		return pcm, nil
	}
	return audio.Resample(pcm, native, rate), nil
}

func writePrompt(dir, name string, pcm []int16) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	base := strings.TrimSuffix(filepath.Base(name), filepath.Ext(name)) + ".wav"
	path := filepath.Join(dir, base)
	if abs, _ := filepath.Abs(path); abs != "" {
		if src, _ := filepath.Abs(name); src == abs {
			return fmt.Errorf("--out would overwrite the input %s", path)
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	err = audio.WriteWAV(f, pcm)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
