package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ivrd/ivrd/bench/ivrload"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `ivrload — load test a SIP IVR

  ivrload --target HOST:PORT [--to 100] --calls N --rate R --hold 30s
          [--digit 1 --digit-after 5s --digit-method rfc4733|inband|info --expect refer|bye|bridge|none]
          [--digit-at 8s [--digit-spread 200ms]] [--presses 3 --press-every 2s]
          [--transport tls --connections 50 --tls-ca ca.pem | --tls-insecure]
          [--pid PID] [--json FILE]
  ivrload table FILE.json...      the runs' JSON results as a markdown table
  ivrload lab-ca --dir DIR [--ip 127.0.0.1]
                                  a CA and a server certificate for a TLS lab
  ivrload agent --rtp-port-min P --calls N --from 7s --to 19s --until 30s [--pid PID] [--json FILE]
                                  the phones of calls another program (sipp) places:
                                  call i offers port P+2i (bench/sippload.sh)
  ivrload service --listen 127.0.0.1:8090 --delay 200ms --answer JSON [--json FILE]
                                  an HTTP peer of the IVR (a decision service for ask
                                  steps, a webhook receiver): answers every POST after
                                  the delay, reports what it saw when stopped

Every call: INVITE with SDP (PCMU, telephone-event), ACK, 50 packets/s of
caller audio from its own RTP port, the key if asked, BYE at the end of the
hold. The audio received back is measured with kernel timestamps.
Over TLS the calls share --connections connections, opened before the
first call; the server's requests inside a call come back over them.

`

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "table" {
		return runTable(args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "lab-ca" {
		return runLabCA(args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "agent" {
		return runAgent(args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "service" {
		return runService(args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("ivrload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { sayf(stderr, "%s", usage); fs.PrintDefaults() }
	var cfg ivrload.Config
	fs.StringVar(&cfg.Target, "target", "127.0.0.1:5060", "SIP server, host:port")
	fs.StringVar(&cfg.Transport, "transport", "udp", "SIP transport: udp or tls")
	fs.IntVar(&cfg.Connections, "connections", 1, "tls: connections the calls are spread over")
	fs.StringVar(&cfg.TLSCAFile, "tls-ca", "", "tls: PEM CA the server's certificate is checked against (default: the system's)")
	fs.BoolVar(&cfg.TLSInsecure, "tls-insecure", false, "tls: accept any certificate (a lab only)")
	fs.StringVar(&cfg.To, "to", "100", "number called (Request-URI user)")
	fs.StringVar(&cfg.From, "from", "ivrload", "our user name")
	fs.StringVar(&cfg.AuthUser, "auth-user", "", "user name for a digest challenge to the INVITE")
	fs.StringVar(&cfg.AuthPassword, "auth-password", os.Getenv("IVRLOAD_PASSWORD"), "its password (default $IVRLOAD_PASSWORD)")
	fs.IntVar(&cfg.Calls, "calls", 10, "calls placed in all")
	fs.Float64Var(&cfg.Rate, "rate", 10, "calls started per second")
	fs.DurationVar(&cfg.Hold, "hold", 10*time.Second, "how long each call stays up after its 200")
	digit := fs.String("digit", "", "key to press (0-9, *, #, A-D)")
	fs.DurationVar(&cfg.DigitAfter, "digit-after", 5*time.Second, "when to press it, after the 200")
	fs.StringVar(&cfg.DigitMethod, "digit-method", "rfc4733", "rfc4733, inband or info")
	fs.StringVar(&cfg.Expect, "expect", "", "what the key should cause: refer, bye, bridge or none (default refer with --digit)")
	fs.DurationVar(&cfg.DigitAt, "digit-at", 0, "press every call's key at this time after the run's start instead (many reactions at once)")
	fs.DurationVar(&cfg.DigitSpread, "digit-spread", 0, "with --digit-at: spread the presses evenly over this long")
	fs.IntVar(&cfg.Presses, "presses", 1, "how often each call presses its key (rfc4733, inband)")
	fs.DurationVar(&cfg.PressEvery, "press-every", time.Second, "the time between presses")
	local := fs.String("local-ip", "", "our SIP/RTP address (default: the one that routes to the target)")
	fs.IntVar(&cfg.SIPPort, "sip-port", 0, "our SIP port (default: any)")
	ports := fs.String("rtp-ports", "", "RTP port range LO-HI (default: any the kernel gives)")
	te := fs.Int("telephone-event", 101, "payload type offered for RFC 4733 events (0: offer none)")
	fs.StringVar(&cfg.Audio, "audio", "noise", "caller audio: noise (-45 dBm0), talk (noise at -25 dBm0: a conference talker) or silence")
	fs.StringVar(&cfg.SRTP, "srtp", "", "offer SRTP (RTP/SAVP, SDES key): aes_cm_80, aes_cm_32 or gcm (default: plain RTP)")
	fs.StringVar(&cfg.Codec, "codec", "pcmu", "the codec offered and sent: pcmu, g722 or opus (opus needs a binary built with Opus: make ivrload does so where libopus is installed)")
	fs.IntVar(&cfg.Workers, "workers", 0, "media workers (default GOMAXPROCS)")
	fs.IntVar(&cfg.Slots, "slots", 0, "sending slots per 20 ms per worker (default 10, a burst every 2 ms; 40, 100 or 200 spread the callers' packets finer)")
	fs.DurationVar(&cfg.Settle, "settle", time.Second, "wait after the ramp before measuring")
	fs.DurationVar(&cfg.SetupTimeout, "timeout", 10*time.Second, "per SIP transaction")
	fs.IntVar(&cfg.PID, "pid", 0, "the target's process ID, to report its CPU")
	jsonPath := fs.String("json", "", "write the full result as JSON to FILE")
	verbose := fs.Bool("v", false, "log per-call problems to stderr")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		sayf(stderr, "ivrload: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *digit != "" {
		if len(*digit) != 1 {
			say(stderr, "ivrload: --digit takes one key")
			return 2
		}
		cfg.Digit = (*digit)[0]
	}
	if *local != "" {
		a, err := netip.ParseAddr(*local)
		if err != nil {
			sayf(stderr, "ivrload: --local-ip: %v\n", err)
			return 2
		}
		cfg.LocalIP = a
	}
	if *ports != "" {
		lo, hi, ok := strings.Cut(*ports, "-")
		a, err1 := strconv.Atoi(lo)
		b, err2 := strconv.Atoi(hi)
		if !ok || err1 != nil || err2 != nil || a <= 0 || b < a || b > 65535 {
			sayf(stderr, "ivrload: --rtp-ports %q: want LO-HI\n", *ports)
			return 2
		}
		cfg.RTPPortMin, cfg.RTPPortMax = a, b
	}
	if *te < 0 || *te > 127 || (*te != 0 && *te < 96) {
		say(stderr, "ivrload: --telephone-event: 96-127, or 0 for none")
		return 2
	}
	cfg.TelephoneEvent = uint8(*te)
	if *verbose {
		cfg.Log = stderr
	} else {
		// sipgo's transport layer logs through the default logger;
		// thousands of calls make that noise.
		slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	}

	// Ctrl-C ends the calls early; what was measured is still reported.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := ivrload.Run(ctx, cfg)
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

// runTable prints the markdown table of earlier runs' --json files.
func runTable(files []string, stdout, stderr io.Writer) int {
	var runs []*ivrload.Result
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			say(stderr, err)
			return 1
		}
		r := new(ivrload.Result)
		if err := json.Unmarshal(b, r); err != nil {
			sayf(stderr, "ivrload: %s: %v\n", f, err)
			return 1
		}
		runs = append(runs, r)
	}
	sayf(stdout, "%s", ivrload.MarkdownTable(runs))
	return 0
}

// say and sayf write the command's output; a failed write to the terminal
// has no one left to be reported to.
func say(w io.Writer, a ...any)                 { _, _ = fmt.Fprintln(w, a...) }
func sayf(w io.Writer, format string, a ...any) { _, _ = fmt.Fprintf(w, format, a...) }
