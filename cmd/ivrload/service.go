package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/ivrd/ivrd/bench/ivrload"
)

// runService is `ivrload service`: a local HTTP peer (a decision service
// for ask steps, a webhook receiver) that answers every POST after a
// fixed delay, until SIGINT or SIGTERM, then reports what it saw;
// SIGUSR1 starts its figures afresh.
func runService(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ivrload service", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg ivrload.ServiceConfig
	fs.StringVar(&cfg.Listen, "listen", "127.0.0.1:8090", "address to listen on, host:port")
	fs.DurationVar(&cfg.Delay, "delay", 0, "how long each answer is held back (the service's own time)")
	fs.IntVar(&cfg.Status, "status", 200, "the answers' status")
	answer := fs.String("answer", "", `the answers' body, e.g. {"uri": "sip:sales@127.0.0.1:5070"} (default: none)`)
	jsonPath := fs.String("json", "", "write the result as JSON to FILE when stopped")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	cfg.Answer = []byte(*answer)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// SIGUSR1 forgets the figures so far (bench/ask.sh's warm-up round).
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	defer signal.Stop(usr1)
	reset := make(chan struct{})
	go func() {
		for {
			select {
			case <-usr1:
				select {
				case reset <- struct{}{}:
				case <-ctx.Done():
					return
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	cfg.Reset = reset
	res, err := ivrload.RunService(ctx, cfg, func(addr string) { sayf(stderr, "ivrload service: listening on %s\n", addr) })
	if err != nil {
		say(stderr, err)
		return 1
	}
	say(stdout, res.Summary())
	if *jsonPath != "" {
		b, _ := json.MarshalIndent(res, "", "  ")
		if err := os.WriteFile(*jsonPath, append(b, '\n'), 0o644); err != nil {
			say(stderr, err)
			return 1
		}
	}
	return 0
}
