package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/ivrd/ivrd/asterisk"
	"github.com/ivrd/ivrd/ivr"
)

// runImport is `ivrd import asterisk FILE...`.
func runImport(args []string, stdout, stderr io.Writer) int {
	usage := "Usage: ivrd import asterisk [--pbx HOST] [--prompts DIR] [--out FILE] FILE...\n\n" +
		"Reads IVRs written as Asterisk dialplan (extensions.conf and the files it\n" +
		"includes, in order) and writes them as an ivrd configuration, with a comment\n" +
		"line for each construct it could not translate. Internal numbers the\n" +
		"dialplan jumps to become extensions reached at sip:NUMBER@HOST. The result\n" +
		"is validated as `ivrd validate` would (prompts from --prompts DIR, named by\n" +
		"the sound files' base names): problems go to stderr, and the exit status is\n" +
		"1 when it has errors.\n\n"
	if len(args) == 0 || args[0] != "asterisk" {
		fmt.Fprint(stderr, usage)
		return 2
	}
	fs := flag.NewFlagSet("import asterisk", flag.ContinueOnError)
	fs.SetOutput(stderr)
	pbx := fs.String("pbx", "pbx.invalid", "host the dialplan's internal numbers are reached at")
	promptDir := fs.String("prompts", "", "the folder holding the dialplan's sound files (written as prompts_dir)")
	out := fs.String("out", "", "write the configuration to this file (default: standard output)")
	fs.Usage = func() { fmt.Fprint(stderr, usage); fs.PrintDefaults() }
	if code, done := parseFlags(fs, args[1:]); done {
		return code
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	var text bytes.Buffer
	for _, name := range fs.Args() {
		b, err := os.ReadFile(name)
		if err != nil {
			fmt.Fprintf(stderr, "ivrd import: %v\n", err)
			return 1
		}
		text.Write(b)
		text.WriteByte('\n')
	}
	d, err := asterisk.Parse(&text)
	if err != nil {
		fmt.Fprintf(stderr, "ivrd import: %v\n", err)
		return 1
	}
	dir := *promptDir
	if dir != "" && *out != "" {
		// prompts_dir is read relative to the file it is written in.
		if abs, err := filepath.Abs(dir); err == nil {
			dir = abs
		}
	}
	cfg := asterisk.Translate(d, asterisk.Options{PBX: *pbx, PromptsDir: dir})
	y, err := cfg.YAML(fmt.Sprint(fs.Args()))
	if err != nil {
		fmt.Fprintf(stderr, "ivrd import: %v\n", err)
		return 1
	}
	for _, n := range cfg.Notes {
		fmt.Fprintf(stderr, "not translated: %s\n", n)
	}
	code := validateImport(y, *out, stderr)
	if *out != "" {
		if err := os.WriteFile(*out, y, 0o644); err != nil {
			fmt.Fprintf(stderr, "ivrd import: %v\n", err)
			return 1
		}
	} else if _, err := stdout.Write(y); err != nil {
		return 1
	}
	return code
}

// validateImport checks the written configuration as `ivrd validate`
// does: 1 when it has errors.
func validateImport(y []byte, out string, stderr io.Writer) int {
	cfg, err := ivr.Parse(y)
	if err != nil {
		fmt.Fprintf(stderr, "ivrd import: the configuration written does not read back: %v\n", err)
		return 1
	}
	if out != "" {
		cfg.Dir = filepath.Dir(out)
	}
	lib, err := promptsFor(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "ivrd import: %v\n", err)
		return 1
	}
	probs := ivr.Validate(cfg, lib.AllNames())
	for _, p := range probs {
		fmt.Fprintln(stderr, p)
	}
	if ivr.HasErrors(probs) {
		return 1
	}
	return 0
}
