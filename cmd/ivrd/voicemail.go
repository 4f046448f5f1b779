package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"
)

func runVoicemail(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("voicemail", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "configuration file naming the store (default: data/ivrd.db)")
	box := fs.String("box", "", "only this mailbox")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: ivrd voicemail list [--config FILE] [--box NUMBER]\n\nLists the messages the store holds: box, time, new or old, caller, duration, how it ended, id.\n\n")
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
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := storeFor(ctx, *cfgPath)
	if err != nil {
		fmt.Fprintf(stderr, "ivrd voicemail: %v\n", err)
		return 1
	}
	defer func() { _ = st.Close() }() // read only
	msgs, err := st.Mailboxes().List(*box)
	for _, m := range msgs {
		state := "new"
		if m.Old {
			state = "old"
		}
		fmt.Fprintf(stdout, "%s  %s  %s  from %-12s %6.1fs  ended by %-7s  %s\n", m.Box, m.Time.Format(time.RFC3339), state, m.Caller,
			m.Duration.Seconds(), m.Reason, m.ID)
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
