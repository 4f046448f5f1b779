package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ivrd/ivrd/audio"
	"github.com/ivrd/ivrd/call"
	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/media"
	"github.com/ivrd/ivrd/prompts"
	"github.com/ivrd/ivrd/sip"
)

// Options is everything a Node is built from besides its configuration
// file. The zero value serves the bundled example with the defaults a
// deployment gets.
type Options struct {
	// ConfigPath is the configuration file; "" serves the bundled
	// example IVR (examples/main.yaml) with the bundled prompts.
	ConfigPath string
	// Log receives the node's log; nil discards it.
	Log *slog.Logger
	// Version is the build's version, said in the start log line.
	Version string
	// NoRecords writes no call records to the store. Only for measuring
	// what recording costs: a node run for callers always records.
	NoRecords bool
	// QueuedStarts writes each call's started record and its
	// call.started webhook event through their queues, as ivrd did before
	// issue 26 (commit ebbf4e7) made them durable, instead of in one
	// transaction before the menu begins. Only for measuring what that
	// durability costs (bench/durability.sh, serve's --queued-starts): a
	// node run for callers writes them durably.
	QueuedStarts bool
	// APIListen, when set, replaces server.api.listen (tests bind
	// 127.0.0.1:0 so that none needs port 8080 free).
	APIListen string
	// NoOverloadGuard keeps new calls coming while the media pacers run
	// late (media/overload.go). Only for tests that run many servers in
	// one process on a shared machine, where lateness says more about the
	// machine than about the server: a node run for callers has the guard.
	NoOverloadGuard bool
	// Epoll keeps the media pacers on their epoll loop even where the
	// host allows io_uring (ivrd serve: IVRD_MEDIA_IO=epoll).
	Epoll bool
	// Pacers is the number of media pacer loops (0: GOMAXPROCS). On two
	// CPUs or more ivrd serve runs one per processor Go had and doubles
	// GOMAXPROCS, so that each pacer keeps a processor of its own while
	// it waits for its tick (media.EngineConfig.Pacers).
	Pacers int
	// WebhookRetryMin and WebhookRetryMax bound the webhook retry delay
	// (zero: the webhook package's defaults, 1 s doubling to 5 min).
	WebhookRetryMin, WebhookRetryMax time.Duration
	// BacklogHigh and BacklogLow, when set, replace the marks of the
	// writes waiting for the store at which new calls are refused and
	// taken again (admission.go): tests set them low to see the refusal.
	BacklogHigh, BacklogLow int
}

// Node is one running ivrd: SIP, media and the call owner wired to the
// store, the management API, call records, webhooks, metrics and the
// cluster.
type Node struct {
	opts    Options
	path    string
	log     *slog.Logger
	asks    *deciders        // ask steps' decision clients (ask.go)
	speaker *prompts.Speaker // spoken prompts, cached under data/speech for the node's life
	snap    atomic.Pointer[call.Snapshot]
	engine  *media.Engine
	sip     *sip.Server
	calls   *call.Handler
	rooms   *call.Conferences // conference rooms in progress (conferences.go)
	ctl     *control          // the store and the management API (control.go)
	placer  *placer           // calls placed through the API (outbound.go)
	obs     *observer         // live calls, metrics, health (observe.go)
	adm     *admission        // new calls refused while the store is far behind (admission.go)
}

// New opens the store, imports the configuration file into it and builds
// the node; Start binds its listeners.
func New(opts Options) (*Node, error) {
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	path := opts.ConfigPath
	n := &Node{opts: opts, path: path, log: log, speaker: &prompts.Speaker{CacheDir: filepath.Join(DataDir(path), "speech")}}
	obs := newObserver()                                                           // live calls, metrics, health (observe.go)
	ctl, snap, err := openControl(path, log, obs, n.speaker, opts, trunkStates{n}) // the file imported into the store
	if err != nil {
		return nil, err
	}
	n.ctl, n.obs = ctl, obs
	ctl.attach(n.apply, snap) // store changes swap n.snap from now on
	cfg := snap.Config
	ms := cfg.MediaSettings()
	n.engine, err = media.NewEngine(media.EngineConfig{BindIP: rtpBindIP(cfg), PortMin: ms.PortMin, PortMax: ms.PortMax, Log: log,
		OnLate:           obs.metrics.PacerLateness, // ivrd_pacer_lateness_seconds
		RealtimePriority: cfg.Server.Media.PacerPriority(),
		OverloadGuard:    cfg.Server.Media.Guarded() && !opts.NoOverloadGuard, // new calls refused while the pacers run late (media/overload.go)
		Epoll:            opts.Epoll,
		Pacers:           opts.Pacers})
	if err != nil {
		ctl.close()
		return nil, err
	}
	// What ivrd serve's processor plan gave (media.ProcessorPlan): an
	// operator comparing figures across hosts needs both numbers.
	log.Info("media pacers", "pacers", n.engine.Pacers(), "go_processors", runtime.GOMAXPROCS(0))
	if sched, rt := n.engine.Scheduling(); rt {
		log.Info("media pacers at real-time priority", "scheduling", sched)
	} else if sched != "" {
		log.Warn("media pacers at normal priority: under load from other processes callers may hear late frames", "scheduling", sched)
	}
	if mio := n.engine.MediaIO(); mio == "io_uring" {
		log.Info("media pacers on io_uring: a system call or two a millisecond for all the calls' packets", "media_io", mio)
	} else if mio != "" {
		log.Warn("media pacers on a system call a packet: about a third more CPU per call than on io_uring", "media_io", mio)
	}
	n.adm = newAdmission(func() (int, int) { return ctl.rec.backlog(), ctl.hooks.Backlog() }, opts.BacklogHigh, opts.BacklogLow, log)
	n.asks = &deciders{log: log}
	obs.streams.log = log                                   // before any call: stream dialers log with the node
	recorder := ctl.newRecordings(recordingsDir(path, cfg)) // calls' and rooms' recordings (recordings.go)
	n.rooms = call.NewConferences(n.engine, recorder, log)  // rooms that say record use the calls' recorder
	n.calls = call.NewHandler(call.Options{Snapshot: n.snap.Load, Digits: ms.Digits, Log: log,
		Conferences: n.rooms,                                                        // mixed on the engine's pacers
		Shared:      ctl.st,                                                         // PIN lockouts and group rotation for the whole cluster
		Voicemail:   func(*ivr.Config) call.Voicemail { return ctl.st.Mailboxes() }, // messages and greetings in the store
		Records:     ctl.rec.ended,                                                  // call records into the store (records.go)
		Events:      obs.event, Live: obs.live,                                      // metrics, webhooks, live calls (observe.go)
		Decider: n.asks.forConfig, Say: sayer(), Node: ctl.node, // ask steps (ask.go)
		Streamer:   obs.streams.forConfig, // stream destinations (streams.go)
		Recordings: recorder})             // call recordings
	n.sip, err = sip.NewServer(sip.Config{
		Listen:       cfg.Server.SIP.Listen,
		ExternalAddr: cfg.Server.SIP.ExternalAddress,
		UserAgent:    cfg.Server.SIP.UserAgent,
		Codecs:       ms.Codecs,
		RingTime:     cfg.Server.SIP.RingTime.D(),
		Limits:       sipLimits(cfg.Server.SIP.Limits),
		TLS:          sip.TLSFiles{CertFile: resolve(path, cfg.Server.SIP.TLS.Cert), KeyFile: resolve(path, cfg.Server.SIP.TLS.Key)},
		Trunks:       sipTrunks(cfg),                   // registrations and TLS checks (trunks.go)
		WebSocket:    sipWebSocket(cfg),                // browser callers (browser.go)
		SRTP:         call.SRTPPolicy(ms, n.snap.Load), // server.media.srtp and each trunk's
		TrunkCodecs:  func(name string) []audio.Codec { return n.snap.Load().Config.TrunkCodecs(name) },
		Admit:        func(a netip.Addr) (string, bool) { return n.snap.Load().Config.AdmitSource(a) },
		OnResponse:   obs.metrics.SIPResponse,
		Refuse:       n.adm.refuse,          // 503 while the store is far behind (admission.go)
		Bindings:     storeBindings{ctl.st}, // registrations shared by the cluster (bindings.go)
		Node:         ctl.node,
		Credentials: func(ext string) (string, bool) {
			x := n.snap.Load().Config.ExtensionByNumber(ext)
			if x == nil || x.Password == "" {
				return "", false
			}
			return x.Password, true
		},
	}, n.engine, ctl.rec.wrap(n.calls), log) // started rows first (records.go)
	if err != nil {
		n.engine.Close()
		ctl.close()
		return nil, err
	}
	ctl.rec.isExtension = func(num string) bool { return n.snap.Load().Config.ExtensionByNumber(num) != nil }
	n.placer = newPlacer(n)
	ctl.api.SetPlacer(n.placer)                         // POST /api/v1/calls (outbound.go)
	ctl.api.SetPromptRecorder(newPromptCalls(n.placer)) // POST /api/v1/prompts/{name}/record-by-phone (promptcall.go)
	obs.node.Store(n)
	return n, nil
}

// Start binds the listeners.
func (n *Node) Start(ctx context.Context) error {
	if err := n.sip.Start(ctx); err != nil {
		return err
	}
	if err := n.ctl.start(n.snap.Load().Config); err != nil {
		return err
	}
	snap := n.snap.Load()
	n.log.Info("ivrd serving", "version", n.opts.Version, "ivrs", len(snap.Config.IVRs), "prompts", snap.Prompts.Len())
	return nil
}

// Close hangs up every call and stops.
func (n *Node) Close() {
	n.placer.close() // calls still ringing are cancelled (outbound.go)
	if err := n.sip.Close(); err != nil {
		n.log.Warn("closing SIP", "err", err)
	}
	n.engine.Close()
	n.ctl.close()
	n.asks.close()
}

// Reload swaps in a new configuration for new calls; on any error the
// running one stays.
func (n *Node) Reload() error {
	if n.path != "" {
		// Settings bound at start (listeners, ports, codecs, the store...)
		// cannot change under running calls: a file that changes them is
		// refused whole, naming them, rather than half applied.
		next, err := ivr.Load(n.path)
		if err != nil {
			return err
		}
		if changed := ivr.RestartNeeded(n.snap.Load().Config, next); len(changed) > 0 {
			// The file's own errors come first: they are what to fix.
			if probs := ivr.Validate(next, n.snap.Load().Prompts.AllNames()); ivr.HasErrors(probs) {
				var b strings.Builder
				for _, p := range probs {
					if !p.Warning {
						fmt.Fprintf(&b, "\n  %s", p)
					}
				}
				return fmt.Errorf("configuration has errors:%s", b.String())
			}
			return fmt.Errorf("%w: %s", ErrRestartNeeded, strings.Join(changed, ", "))
		}
	}
	snap, err := n.ctl.reload() // the file imported into the store again, installed
	if err != nil {
		return err
	}
	// The TLS listeners' certificate is read again from the same files
	// (a renewed certificate): the calls and connections up carry on.
	if err := n.sip.ReloadTLS(); err != nil {
		n.log.Error("TLS certificate not reloaded; the running one stays", "err", err)
	}
	n.log.Info("configuration reloaded", "ivrs", len(snap.Config.IVRs), "prompts", snap.Prompts.Len())
	return nil
}

// ErrRestartNeeded refuses a reload that changes settings bound at start.
var ErrRestartNeeded = errors.New("these settings take effect only on a restart; reload refused, nothing changed")

// apply installs a snapshot for new calls and hands its trunks to the
// SIP layer (registrations that changed restart, the rest go on).
func (n *Node) apply(s *call.Snapshot) {
	n.snap.Store(s)
	if n.sip != nil {
		n.sip.SetTrunks(sipTrunks(s.Config))
	}
}

// DrainTimeout is server.drain_timeout of the running configuration.
func (n *Node) DrainTimeout() time.Duration { return n.snap.Load().Config.Server.DrainTimeout.D() }

// Log is the node's logger.
func (n *Node) Log() *slog.Logger { return n.log }

// APIAddr is the management API's bound address (nil before Start).
func (n *Node) APIAddr() net.Addr {
	if n.ctl.ln == nil {
		return nil
	}
	return n.ctl.ln.Addr()
}

// SIPAddr is the bound address of the SIP listener of a transport
// ("udp", "tcp"); invalid when there is none.
func (n *Node) SIPAddr(transport string) netip.AddrPort { return n.sip.Addr(transport) }

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
