package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	sipgosip "github.com/emiago/sipgo/sip"

	"github.com/ivrd/ivrd/dtmf"
	"github.com/ivrd/ivrd/examples"
	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/media"
	"github.com/ivrd/ivrd/prompts"
	"github.com/ivrd/ivrd/sip"
)

func runServe(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "configuration file (default: the bundled example IVR on 127.0.0.1:5060)")
	level := fs.String("log-level", "info", "log level: debug, info, warn, error")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: ivrd serve [--config FILE] [--log-level LEVEL]\n\nAnswers calls for the IVRs in FILE. SIGHUP reloads FILE; SIGINT/SIGTERM stop.\n\n")
		fs.PrintDefaults()
	}
	if code, done := parseFlags(fs, args); done {
		return code
	}
	svc, err := newService(*cfgPath, stderr, *level)
	if err != nil {
		fmt.Fprintf(stderr, "ivrd: %v\n", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := svc.Start(ctx); err != nil {
		fmt.Fprintf(stderr, "ivrd: %v\n", err)
		return 1
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	for {
		select {
		case <-ctx.Done():
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

// snapshot is an immutable configuration with its prompts: a call keeps
// the one it started with, whatever reloads happen meanwhile.
type snapshot struct {
	cfg     *ivr.Config
	prompts *prompts.Library
}

// service wires SIP, media, digits and the menus together.
type service struct {
	path   string
	log    *slog.Logger
	snap   atomic.Pointer[snapshot]
	engine *media.Engine
	sip    *sip.Server
	dtmf   dtmf.Config
}

// loadSnapshot reads, validates and loads prompts for a config path ("" =
// the bundled example with the bundled prompts).
func loadSnapshot(path string) (*snapshot, error) {
	var cfg *ivr.Config
	var err error
	if path == "" {
		cfg, err = ivr.Parse(examples.Main)
	} else {
		cfg, err = ivr.Load(path)
	}
	if err != nil {
		return nil, err
	}
	lib := prompts.Builtin()
	if dir := cfg.PromptsPath(); dir != "" {
		if lib, err = prompts.LoadDir(dir); err != nil {
			return nil, err
		}
	}
	if probs := ivr.Validate(cfg, lib.Names()); ivr.HasErrors(probs) {
		var b strings.Builder
		for _, p := range probs {
			if !p.Warning {
				fmt.Fprintf(&b, "\n  %s", p)
			}
		}
		return nil, fmt.Errorf("configuration has errors:%s", b.String())
	}
	return &snapshot{cfg: cfg, prompts: lib}, nil
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
	snap, err := loadSnapshot(path)
	if err != nil {
		return nil, err
	}
	s := &service{path: path, log: log}
	s.snap.Store(snap)
	cfg := snap.cfg
	lo, hi, err := parsePortRange(cfg.Server.Media.RTPPorts)
	if err != nil {
		return nil, err
	}
	s.engine, err = media.NewEngine(media.EngineConfig{BindIP: rtpBindIP(cfg), PortMin: lo, PortMax: hi})
	if err != nil {
		return nil, err
	}
	s.dtmf = dtmfConfig(cfg.Server.Media)
	codecs := make([]prompts.Codec, 0, len(cfg.Server.Media.Codecs))
	for _, c := range cfg.Server.Media.Codecs {
		if strings.EqualFold(c, "PCMA") {
			codecs = append(codecs, prompts.PCMA)
		} else {
			codecs = append(codecs, prompts.PCMU)
		}
	}
	s.sip, err = sip.NewServer(sip.Config{
		Listen:       cfg.Server.SIP.Listen,
		ExternalAddr: cfg.Server.SIP.ExternalAddress,
		UserAgent:    cfg.Server.SIP.UserAgent,
		Codecs:       codecs,
		RingTime:     cfg.Server.SIP.RingTime.D(),
		Admit:        func(a netip.Addr) (string, bool) { return s.snap.Load().cfg.AdmitSource(a) },
		Credentials: func(ext string) (string, bool) {
			x := s.snap.Load().cfg.ExtensionByNumber(ext)
			if x == nil || x.Password == "" {
				return "", false
			}
			return x.Password, true
		},
	}, s.engine, s, s.newDigits, log)
	if err != nil {
		s.engine.Close()
		return nil, err
	}
	return s, nil
}

// Start binds the listeners.
func (s *service) Start(ctx context.Context) error {
	if err := s.sip.Start(ctx); err != nil {
		return err
	}
	snap := s.snap.Load()
	s.log.Info("ivrd serving", "version", version, "ivrs", len(snap.cfg.IVRs), "prompts", snap.prompts.Len())
	return nil
}

// Close hangs up every call and stops.
func (s *service) Close() {
	s.sip.Close()
	s.engine.Close()
}

// Reload swaps in a new configuration for new calls; on any error the
// running one stays.
func (s *service) Reload() error {
	snap, err := loadSnapshot(s.path)
	if err != nil {
		return err
	}
	s.snap.Store(snap)
	s.log.Info("configuration reloaded", "ivrs", len(snap.cfg.IVRs), "prompts", snap.prompts.Len())
	return nil
}

// Route implements sip.Handler.
func (s *service) Route(dialled string) bool {
	_, ok := s.snap.Load().cfg.IVRFor(dialled)
	return ok
}

// Serve implements sip.Handler: one call through the menus.
func (s *service) Serve(ctx context.Context, c *sip.Call) {
	snap := s.snap.Load()
	menu, ok := snap.cfg.IVRFor(c.Dialled)
	if !ok {
		c.Hangup("no ivr")
		return
	}
	exec := ivr.NewExecutor(snap.cfg, menu, c.Caller, time.Now())
	call := &menuCall{c: c, lib: snap.prompts, cfg: snap.cfg, ctx: ctx, hash: make(chan struct{}, 1)}
	runner := ivr.NewRunner(exec, call, c.Log.With("ivr", menu.ID))
	go func() {
		for {
			select {
			case d := <-c.Digits():
				runner.Digit(d.Key)
				call.observeDigit(d.Key)
			case <-ctx.Done():
				return
			}
		}
	}()
	runner.Run(ctx)
}

func (s *service) newDigits(eventPT uint8, deliver func(sip.Digit)) sip.Digits {
	cfg := s.dtmf
	cfg.EventNegotiated = eventPT != 0
	return dtmf.NewCollector(cfg, deliver)
}

// menuCall adapts a SIP call to what the menu runner needs.
type menuCall struct {
	c    *sip.Call
	lib  *prompts.Library
	cfg  *ivr.Config
	ctx  context.Context
	hash chan struct{} // # pressed (ends a voicemail recording)
}

func (m *menuCall) Play(name string, onDone func()) error {
	p, ok := m.lib.Get(name)
	if !ok {
		return fmt.Errorf("prompt %q not loaded", name)
	}
	m.c.Media.Play(p, onDone)
	return nil
}

func (m *menuCall) StopPlayback() { m.c.Media.StopPlayback() }

// Transfer carries out a hand-off in its own goroutine: REFER, a bridge,
// or REFER falling back to a bridge (auto) when the caller's side refuses.
func (m *menuCall) Transfer(dest *ivr.Destination, method string, result func(error)) {
	go func() {
		referred, err := m.transfer(dest, method)
		if err != nil {
			m.c.Log.Info("transfer failed", "dest", dest.String(), "method", method, "err", err)
		}
		// The menu hears the outcome before the call it ends goes away.
		result(err)
		if referred {
			m.c.Hangup("transferred")
		}
	}()
}

// transfer hands the call on; referred means a REFER succeeded and our
// side of the call is to be hung up.
func (m *menuCall) transfer(dest *ivr.Destination, method string) (referred bool, err error) {
	if dest.Kind == ivr.KindVoicemail {
		return false, m.voicemail(dest.Target)
	}
	out, err := m.outbound(dest)
	if err != nil {
		return false, err
	}
	switch method {
	case "bridge":
		_, err := m.c.Bridge(m.ctx, out)
		return false, err
	case "auto":
		err := m.c.Refer(m.ctx, out.URI)
		if err == nil {
			return true, nil
		}
		m.c.Log.Info("refer failed, bridging instead", "err", err)
		_, err = m.c.Bridge(m.ctx, out)
		return false, err
	default:
		if err := m.c.Refer(m.ctx, out.URI); err != nil {
			return false, err
		}
		return true, nil
	}
}

// outbound turns a destination into the leg to place.
func (m *menuCall) outbound(dest *ivr.Destination) (sip.Outbound, error) {
	out := sip.Outbound{RingTimeout: dest.RingTimeout.D()}
	switch dest.Kind {
	case ivr.KindURI:
		out.URI = dest.Target
	case ivr.KindExtension:
		x := m.cfg.ExtensionByNumber(dest.Target)
		if x == nil {
			return out, fmt.Errorf("unknown extension %s", dest.Target)
		}
		if contacts := m.c.Server().Contacts(x.Number); len(contacts) > 0 {
			out.Fork, out.URI = contacts, contacts[0]
		} else if x.Contact != "" {
			out.URI = x.Contact
		} else {
			return out, fmt.Errorf("extension %s is not registered", x.Number)
		}
	case ivr.KindExternal:
		t := m.cfg.TrunkByName(dest.Trunk)
		if t == nil {
			return out, fmt.Errorf("unknown trunk %q", dest.Trunk)
		}
		out.URI = sip.TrunkURI(t.URI, t.NumberAsSent(dest.Target))
		out.Username, out.Password, out.FromUser = t.Username, t.Password, t.FromUser
		if t.FromUser != "" {
			out.Headers = append(out.Headers, sipHeader("P-Asserted-Identity", "<sip:"+t.FromUser+"@"+hostOnly(t.URI)+">"))
		}
	default:
		return out, fmt.Errorf("%s is not supported yet", dest.Kind)
	}
	return out, nil
}

func (m *menuCall) Hangup(reason string) { go m.c.Hangup(reason) }

func parsePortRange(s string) (int, int, error) {
	a, b, ok := strings.Cut(strings.TrimSpace(s), "-")
	lo, err1 := strconv.Atoi(a)
	hi, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || lo < 1 || hi > 65535 || lo >= hi {
		return 0, 0, fmt.Errorf("server.media.rtp_ports %q: want LOW-HIGH, e.g. 10000-19999", s)
	}
	return lo, hi, nil
}

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

func dtmfConfig(m ivr.Media) dtmf.Config {
	var c dtmf.Config
	for _, d := range m.DTMF {
		switch strings.ToLower(d) {
		case "rfc4733":
			c.RFC4733 = true
		case "inband":
			c.Inband = true
		case "info":
			c.Info = true
		}
	}
	switch strings.ToLower(m.Inband) {
	case "always":
		c.InbandMode = dtmf.InbandAlways
	case "never":
		c.InbandMode = dtmf.InbandNever
	default:
		c.InbandMode = dtmf.InbandAuto
	}
	return c
}

func sipHeader(name, value string) sipgosip.Header { return sipgosip.NewHeader(name, value) }

// hostOnly is the host part of a SIP URI (sip:gw.example.net:5060;x=y).
func hostOnly(uri string) string {
	u := strings.TrimPrefix(strings.TrimPrefix(uri, "sip:"), "sips:")
	if at := strings.LastIndex(u, "@"); at >= 0 {
		u = u[at+1:]
	}
	u = strings.SplitN(u, ";", 2)[0]
	if h, _, ok := strings.Cut(u, ":"); ok {
		return h
	}
	return u
}
