package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/node"
	"github.com/ivrd/ivrd/prompts"
)

func runValidate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: ivrd validate FILE\n\nChecks a configuration without serving: every problem on its own line\nwith its path. Exit status 1 on errors, 0 with warnings only.\n")
	}
	if code, done := parseFlags(fs, args); done {
		return code
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	path := fs.Arg(0)
	// A typo must not hide the file's other problems: what could be
	// read is validated too, and everything is reported at once.
	cfg, probs, err := ivr.LoadAll(path)
	if err != nil {
		fmt.Fprintln(stdout, err)
		return 1
	}
	if cfg == nil {
		for _, p := range probs {
			fmt.Fprintf(stdout, "%s: %s\n", path, p)
		}
		return 1
	}
	lib, err := promptsFor(cfg)
	if err != nil {
		fmt.Fprintln(stdout, err)
		return 1
	}
	lib, spoken := node.AddSpoken(&prompts.Speaker{}, cfg, lib)
	probs = append(probs, spoken...)
	probs = append(probs, ivr.Validate(cfg, lib.AllNames())...)
	for _, p := range probs {
		fmt.Fprintln(stdout, p)
	}
	if ivr.HasErrors(probs) {
		return 1
	}
	fmt.Fprintf(stdout, "%s: ok (%d ivrs, %d prompts)\n", path, len(cfg.IVRs), lib.Len())
	return 0
}

// promptsFor loads the config's prompts_dir, or the bundled prompts.
func promptsFor(cfg *ivr.Config) (*prompts.Library, error) {
	if dir := cfg.PromptsPath(); dir != "" {
		return prompts.LoadDir(dir)
	}
	return prompts.Builtin(), nil
}
