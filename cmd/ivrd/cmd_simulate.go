package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/node"
	"github.com/ivrd/ivrd/prompts"
)

func runSimulate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("simulate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "configuration file (required)")
	to := fs.String("to", "", "dialled number: selects the IVR (required)")
	from := fs.String("from", "sim", "caller number")
	at := fs.String("at", "", "call start time, RFC 3339 (default now): schedules are evaluated at it")
	input := fs.String("input", "", `what the caller does, comma-separated: "1", "1001#" (keys 100 ms apart), "wait:3s"`)
	fail := fs.Bool("transfer-fails", false, "make every transfer fail, to trace failure handling")
	answers := map[string][]byte{}
	fs.Func("answer", "URL=FILE: an ask to URL gets FILE's JSON as its answer, a stream to URL ends with it as the far end's destination (repeatable; an ask with none takes its fallback, a stream its then)", func(v string) error {
		i := strings.LastIndex(v, "=")
		if i <= 0 || i == len(v)-1 {
			return fmt.Errorf("want URL=FILE, got %q", v)
		}
		body, err := os.ReadFile(v[i+1:])
		if err != nil {
			return err
		}
		answers[v[:i]] = body
		return nil
	})
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: ivrd simulate --config FILE --to NUMBER [--from NUMBER] [--at RFC3339] --input SCRIPT [--answer URL=FILE]...\n\nRuns one call through the menus without a network, with prompt durations\nfrom the real prompt files, and prints one JSON object per event.\nSCRIPT is comma-separated steps: a digit string pressed now (\"1\",\n\"1001#\"; keys 100 ms apart) or wait:DURATION. After the last step time\nruns on until the call is handed on or hung up. The config is validated\nfirst: errors refuse to simulate.\n\n")
		fs.PrintDefaults()
	}
	if code, done := parseFlags(fs, args); done {
		return code
	}
	if *cfgPath == "" || *to == "" {
		fs.Usage()
		return 2
	}
	cfg, err := ivr.Load(*cfgPath)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	lib, err := promptsFor(cfg)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	// Simulate only what serve would run: errors refuse, warnings go to
	// stderr so stdout stays one JSON object per line.
	lib, probs := node.AddSpoken(&prompts.Speaker{}, cfg, lib)
	probs = append(probs, ivr.Validate(cfg, lib.AllNames())...)
	for _, p := range probs {
		fmt.Fprintln(stderr, p)
	}
	if ivr.HasErrors(probs) {
		return 1
	}
	opt := ivr.SimOptions{To: *to, From: *from, Script: *input, TransferFails: *fail,
		Duration: lib.DurationOf, Answers: answers}
	if *at != "" {
		if opt.At, err = time.Parse(time.RFC3339, *at); err != nil {
			fmt.Fprintf(stderr, "--at %q: want RFC 3339, e.g. 2026-12-25T10:00:00-05:00\n", *at)
			return 2
		}
	}
	trace, err := ivr.Simulate(cfg, opt)
	if werr := ivr.WriteTrace(stdout, trace); werr != nil && err == nil {
		err = werr
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return 0
}
