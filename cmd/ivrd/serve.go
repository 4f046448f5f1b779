package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"

	"github.com/ivrd/ivrd/call"
	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/media"
	"github.com/ivrd/ivrd/sip"
)

func runServe(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "configuration file (default: the bundled example IVR on 127.0.0.1:5060)")
	level := fs.String("log-level", "info", "log level: debug, info, warn, error")
	noRecords := fs.Bool("no-records", false, "write no call records to the store (only to measure what recording costs)")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: ivrd serve [--config FILE] [--log-level LEVEL]\n\nAnswers calls for the IVRs in FILE. SIGHUP reloads FILE. SIGINT/SIGTERM drain: no new calls,\ncalls in progress go on up to server.drain_timeout, then get BYE; a second signal stops at once.\n\n")
		fs.PrintDefaults()
	}
	if code, done := parseFlags(fs, args); done {
		return code
	}
	recordCalls = !*noRecords
	svc, err := newService(*cfgPath, stderr, *level)
	if err != nil {
		fmt.Fprintf(stderr, "ivrd: %v\n", err)
		return 1
	}
	stop := make(chan os.Signal, 2)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(stop)
	if err := svc.Start(context.Background()); err != nil {
		fmt.Fprintf(stderr, "ivrd: %v\n", err)
		return 1
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	for {
		select {
		case <-stop:
			force := make(chan struct{})
			go func() { <-stop; close(force) }()
			svc.drain(svc.snap.Load().Config.Server.DrainTimeout.D(), force)
			svc.log.Info("shutting down")
			svc.Close()
			return 0
		case <-hup:
			if err := svc.Reload(); err != nil {
				svc.log.Error("reload refused, keeping the running configuration", "err", err)
			}
		}
	}
}

// service wires SIP, media and the call owner together.
type service struct {
	path   string
	log    *slog.Logger
	snap   atomic.Pointer[call.Snapshot]
	engine *media.Engine
	sip    *sip.Server
	calls  *call.Handler
	ctl    *control  // the store and the management API (api.go)
	obs    *observer // live calls, metrics, health (observe.go)
}

func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), nil
}

func newService(path string, logOut io.Writer, level string) (*service, error) {
	log, err := newLogger(logOut, level)
	if err != nil {
		return nil, err
	}
	obs := newObserver()                          // live calls, metrics, health (observe.go)
	ctl, snap, err := openControl(path, log, obs) // the file imported into the store
	if err != nil {
		return nil, err
	}
	s := &service{path: path, log: log, ctl: ctl, obs: obs}
	ctl.attach(s.snap.Store, snap) // store changes swap s.snap from now on
	cfg := snap.Config
	ms := cfg.MediaSettings()
	s.engine, err = media.NewEngine(media.EngineConfig{BindIP: rtpBindIP(cfg), PortMin: ms.PortMin, PortMax: ms.PortMax, Log: log,
		OnLate: obs.metrics.PacerLateness}) // ivrd_pacer_lateness_seconds
	if err != nil {
		ctl.close()
		return nil, err
	}
	s.calls = call.NewHandler(call.Options{Snapshot: s.snap.Load, Digits: ms.Digits, Log: log,
		Records: ctl.rec.ended,              // call records into the store (records.go)
		Events:  obs.event, Live: obs.live}) // metrics, webhooks, live calls (observe.go)
	s.sip, err = sip.NewServer(sip.Config{
		Listen:       cfg.Server.SIP.Listen,
		ExternalAddr: cfg.Server.SIP.ExternalAddress,
		UserAgent:    cfg.Server.SIP.UserAgent,
		Codecs:       ms.Codecs,
		RingTime:     cfg.Server.SIP.RingTime.D(),
		Limits:       sipLimits(cfg.Server.SIP.Limits),
		Admit:        func(a netip.Addr) (string, bool) { return s.snap.Load().Config.AdmitSource(a) },
		OnResponse:   obs.metrics.SIPResponse,
		Credentials: func(ext string) (string, bool) {
			x := s.snap.Load().Config.ExtensionByNumber(ext)
			if x == nil || x.Password == "" {
				return "", false
			}
			return x.Password, true
		},
	}, s.engine, ctl.rec.wrap(s.calls), log) // started rows first (records.go)
	if err != nil {
		s.engine.Close()
		ctl.close()
		return nil, err
	}
	ctl.rec.isExtension = func(n string) bool { return s.snap.Load().Config.ExtensionByNumber(n) != nil }
	obs.svc.Store(s)
	return s, nil
}

// Start binds the listeners.
func (s *service) Start(ctx context.Context) error {
	if err := s.sip.Start(ctx); err != nil {
		return err
	}
	if err := s.ctl.start(s.snap.Load().Config); err != nil {
		return err
	}
	snap := s.snap.Load()
	s.log.Info("ivrd serving", "version", version, "ivrs", len(snap.Config.IVRs), "prompts", snap.Prompts.Len())
	return nil
}

// Close hangs up every call and stops.
func (s *service) Close() {
	if err := s.sip.Close(); err != nil {
		s.log.Warn("closing SIP", "err", err)
	}
	s.engine.Close()
	s.ctl.close()
}

// Reload swaps in a new configuration for new calls; on any error the
// running one stays.
func (s *service) Reload() error {
	if s.path != "" {
		// Settings bound at start (listeners, ports, codecs, the store...)
		// cannot change under running calls: a file that changes them is
		// refused whole, naming them, rather than half applied.
		next, err := ivr.Load(s.path)
		if err != nil {
			return err
		}
		if changed := ivr.RestartNeeded(s.snap.Load().Config, next); len(changed) > 0 {
			// The file's own errors come first: they are what to fix.
			if probs := ivr.Validate(next, s.snap.Load().Prompts.AllNames()); ivr.HasErrors(probs) {
				var b strings.Builder
				for _, p := range probs {
					if !p.Warning {
						fmt.Fprintf(&b, "\n  %s", p)
					}
				}
				return fmt.Errorf("configuration has errors:%s", b.String())
			}
			return fmt.Errorf("%w: %s", errRestartNeeded, strings.Join(changed, ", "))
		}
	}
	snap, err := s.ctl.reload() // the file imported into the store again, installed
	if err != nil {
		return err
	}
	s.log.Info("configuration reloaded", "ivrs", len(snap.Config.IVRs), "prompts", snap.Prompts.Len())
	return nil
}

// errRestartNeeded refuses a reload that changes settings bound at start.
var errRestartNeeded = errors.New("these settings take effect only on a restart; reload refused, nothing changed")

// rtpBindIP binds RTP where SIP listens when every listener names one
// address (127.0.0.1 for the example), else on all addresses.
func rtpBindIP(cfg *ivr.Config) netip.Addr {
	var ip netip.Addr
	for _, l := range cfg.Server.SIP.Listen {
		u, err := url.Parse(l)
		if err != nil {
			return netip.IPv4Unspecified()
		}
		ap, err := netip.ParseAddrPort(u.Host)
		if err != nil || (ip.IsValid() && ap.Addr() != ip) {
			return netip.IPv4Unspecified()
		}
		ip = ap.Addr()
	}
	if !ip.IsValid() {
		return netip.IPv4Unspecified()
	}
	return ip
}

// sipLimits carries server.sip.limits over to the SIP layer.
func sipLimits(l ivr.SourceLimits) sip.Limits {
	return sip.Limits{PacketRate: l.PacketRate, PacketBurst: l.PacketBurst, InviteRate: l.InviteRate, InviteBurst: l.InviteBurst,
		CallsInSetup: l.CallsInSetup, Calls: l.Calls, TCPConnections: l.TCPConnections,
		TCPMessageTimeout: l.TCPMessageTimeout.D(), TCPIdleTimeout: l.TCPIdleTimeout.D()}
}
