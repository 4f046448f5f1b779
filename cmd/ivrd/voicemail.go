package main

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/store"
)

func runVoicemail(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("voicemail", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "configuration file (its voicemail_dir); default: ./voicemail")
	box := fs.String("box", "", "only this mailbox")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: ivrd voicemail list [--config FILE] [--box NUMBER]\n\nLists recorded messages: box, time, new or old, caller, duration, how it ended, file.\n\n")
		fs.PrintDefaults()
	}
	if len(args) == 0 || args[0] != "list" {
		if len(args) > 0 && (args[0] == "--help" || args[0] == "-h") {
			fs.Usage()
			return 0
		}
		fs.Usage()
		return 2
	}
	if code, done := parseFlags(fs, args[1:]); done {
		return code
	}
	dir := "voicemail"
	if *cfgPath != "" {
		cfg, err := ivr.Load(*cfgPath)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		dir = cfg.VoicemailPath()
	}
	msgs, err := store.Voicemail{Dir: dir}.List(*box)
	for _, m := range msgs {
		state := "new"
		if m.Old {
			state = "old"
		}
		fmt.Fprintf(stdout, "%s  %s  %s  from %-12s %6.1fs  ended by %-7s  %s\n", m.Box, m.Time.Format(time.RFC3339), state, m.Caller,
			m.Duration.Seconds(), m.Reason, filepath.Join(dir, m.Box, m.File))
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if len(msgs) == 0 {
		fmt.Fprintln(stdout, "no messages")
	}
	return 0
}
