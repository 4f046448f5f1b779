package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/netip"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/ivrd/ivrd/bench/ivrload"
)

// runAgent is `ivrload agent`: the media of calls sipp places
// (bench/sippload.sh), measured as a load run's and reported the same way.
func runAgent(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ivrload agent", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg ivrload.AgentConfig
	fs.IntVar(&cfg.PortMin, "rtp-port-min", 40000, "call i (from 0) offers RTP port MIN+2i")
	fs.IntVar(&cfg.Calls, "calls", 10, "calls (ports bound)")
	fs.DurationVar(&cfg.From, "from", 5*time.Second, "the measuring window starts this long after the agent")
	fs.DurationVar(&cfg.To, "to", 15*time.Second, "and ends this long after it")
	fs.DurationVar(&cfg.Until, "until", 30*time.Second, "the agent stops this long after it started")
	fs.IntVar(&cfg.PID, "pid", 0, "the target's process ID, to report its CPU")
	fs.StringVar(&cfg.Target, "target", "sipp-placed calls", "what the result names as the target")
	fs.IntVar(&cfg.Workers, "workers", 0, "media workers (default GOMAXPROCS)")
	fs.IntVar(&cfg.Slots, "slots", 0, "sending slots per 20 ms per worker, as ivrload's --slots")
	local := fs.String("local-ip", "127.0.0.1", "the media address the offers name")
	jsonPath := fs.String("json", "", "write the full result as JSON to FILE")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	a, err := netip.ParseAddr(*local)
	if err != nil {
		sayf(stderr, "ivrload agent: --local-ip: %v\n", err)
		return 2
	}
	cfg.LocalIP = a
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := ivrload.RunAgent(ctx, cfg)
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
	if res.Failed > 0 {
		return 1
	}
	return 0
}
