package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/ivrd/ivrd/audio"
	"github.com/ivrd/ivrd/dtmf"
	"github.com/ivrd/ivrd/prompts"
)

// runDTMF finds key presses in recordings, with the detector calls use:
// what ivrd would have heard from a caller's audio.
func runDTMF(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("dtmf", flag.ContinueOnError)
	fs.SetOutput(stderr)
	codec := fs.String("codec", "pcmu", "line codec the audio passes through first: pcmu, pcma or none")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: ivrd dtmf [--codec pcmu|pcma|none] FILE...\n\n"+
			"Lists the keys pressed in each recording (WAV at any rate, or .pcm raw\n"+
			"16-bit 8 kHz), with the time each was heard, as the in-band detector of\n"+
			"a call hears them after the line codec.\n\n")
		fs.PrintDefaults()
	}
	if code, done := parseFlags(fs, args); done {
		return code
	}
	var line func([]int16) []int16
	switch strings.ToLower(*codec) {
	case "pcmu":
		line = func(p []int16) []int16 { return audio.RoundTrip(p, audio.PCMU) }
	case "pcma":
		line = func(p []int16) []int16 { return audio.RoundTrip(p, audio.PCMA) }
	case "none":
		line = func(p []int16) []int16 { return p }
	default:
		fmt.Fprintf(stderr, "ivrd dtmf: unknown --codec %q (pcmu, pcma, none)\n", *codec)
		return 2
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	return eachAudioFile(fs.Args(), stderr, func(name string, pcm []int16) error {
		pcm = line(pcm)
		d := dtmf.NewDetector()
		var keys []byte
		for i := 0; i < len(pcm); i += prompts.FrameSamples {
			end := min(i+prompts.FrameSamples, len(pcm))
			if k, ok := d.Frame(pcm[i:end]); ok {
				keys = append(keys, k)
				fmt.Fprintf(stdout, "%s\t%.2fs\t%c\n", name, float64(end)/audio.SampleRate, k)
			}
		}
		fmt.Fprintf(stdout, "%s: %d keys %q\n", name, len(keys), keys)
		return nil
	})
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
		// What each codec's callers get of it (G.722 from the file's own
		// rate, G.711 from 8 kHz).
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
