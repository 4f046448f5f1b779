package node

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ivrd/ivrd/api"
	"github.com/ivrd/ivrd/call"
	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/prompts"
	"github.com/ivrd/ivrd/store"
	"github.com/ivrd/ivrd/webhook"
)

// control is serve's store and management API: the configuration file is
// imported into the store at start and on SIGHUP; the store is then the
// only source of the running configuration, and every change to it (the
// file, the API, another node) becomes a new snapshot for new calls.
type control struct {
	path      string // config file ("" = the bundled example)
	node      string // server.node_id
	apiListen string // Options.APIListen
	speaker   *prompts.Speaker
	log       *slog.Logger
	st        *store.Store
	api       *api.Server
	rec       *recorder                       // call records into the store (records.go)
	starts    *starter                        // calls' starts made durable in groups (durable.go)
	obs       *observer                       // live calls, metrics, health (observe.go)
	hooks     *webhook.Dispatcher             // call events to the webhooks (webhooks.go)
	base      atomic.Pointer[prompts.Library] // prompts_dir or the bundled set
	apply     func(*call.Snapshot)            // swaps the service's snapshot (attach)
	// retention is server.store_retention_days of the running snapshot
	// (retention.go).
	retention atomic.Int64
	swept     chan struct{}

	// mu makes building a snapshot and installing it one step: builds
	// run one at a time and each reads the newest configuration, so a
	// snapshot installed is never older than the one it replaces.
	mu      sync.Mutex
	version int64 // configuration version of the installed snapshot
	// fragmentsWarned: the log has said once that numbers cannot be
	// spoken (speech.go).
	fragmentsWarned bool
	// queuedStarts is Options.QueuedStarts (durable.go): a measurement's
	// "before".
	queuedStarts bool

	srv       *http.Server
	ln        net.Listener
	cancel    context.CancelFunc
	done      chan struct{}
	nodesDone chan struct{} // watchNodes (cluster.go) ended
}

// openControl opens the store, imports the file into it and returns the
// snapshot new calls start with.
func openControl(path string, log *slog.Logger, obs *observer, sp *prompts.Speaker, opts Options, trunks api.TrunkStates) (*control, *call.Snapshot, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, cfg, _, err := FileSource(path, sp)
	if err != nil {
		return nil, nil, err
	}
	st, err := OpenStore(ctx, path, cfg, log, obs.metrics.StoreQuery)
	if err != nil {
		return nil, nil, err
	}
	c := &control{path: path, log: log, st: st, obs: obs, node: nodeName(cfg), speaker: sp, apiListen: opts.APIListen}
	snap, err := c.importFile(ctx)
	if err != nil {
		_ = st.Close() // the import's error is the one to report
		return nil, nil, err
	}
	// Messages left in voicemail_dir by an ivrd that kept them as files
	// move into the store once (the files stay where they are).
	if n, err := st.Mailboxes().Import(snap.Config.VoicemailPath(), log); err != nil {
		log.Warn("voicemail files not imported into the store", "dir", snap.Config.VoicemailPath(), "err", err)
	} else if n > 0 {
		log.Info("voicemail messages imported into the store", "messages", n, "from", snap.Config.VoicemailPath())
	}
	// Before any call is taken, so that no other node's sweep finds this
	// node's first calls under a stale heartbeat (cluster.go); and before
	// this node settles its own leftover calls: a survivor sweeping it
	// now (which locks its heartbeat row) settles them and adopts their
	// events together, or leaves both to it, never one each.
	c.beat(ctx)
	cut, err := st.MarkInterrupted(ctx, c.node)
	if err == nil && len(cut) > 0 {
		log.Warn("calls cut off by the last stop", "calls", len(cut))
	}
	c.rec = newRecorder(st, c.node, log, !opts.NoRecords)
	c.queuedStarts = opts.QueuedStarts
	c.starts = newStarter(st)
	c.hooks = webhook.New(st, snap.Config.Webhooks, webhook.Options{Node: c.node, Log: log, OnDelivery: obs.metrics.WebhookDelivery,
		RetryMin: opts.WebhookRetryMin, RetryMax: opts.WebhookRetryMax})
	obs.hooks = append(obs.hooks, c.publishEvent) // call.started with its record (durable.go)
	c.announceCut(ctx, cut)                       // call.ended for the calls the last stop cut off (cluster.go)
	c.api = api.New(api.Config{Store: st, Tokens: cfg.Server.API.Tokens, BasePrompts: c.base.Load, Log: log,
		Calls: liveControl{live: obs.live, node: c.node}, Node: c.node, // live calls (observe.go)
		Conferences: roomControl{obs: obs},   // conference rooms (conferences.go)
		Queues:      queueControl{obs: obs},  // call queues (queues.go)
		Streams:     streamControl{obs: obs}, // media streams on live calls (streams.go)
		Speaker:     sp,                      // prompts uploaded as text
		Trunks:      trunks})                 // GET /api/v1/trunks/status (trunks.go)
	return c, snap, nil
}

// nodeName is server.node_id (the host name by default): what call
// records and the store's node list call this node.
func nodeName(cfg *ivr.Config) string { return cfg.Server.NodeID }

// attach gives the control the service's snapshot setter and installs
// the first snapshot.
func (c *control) attach(apply func(*call.Snapshot), first *call.Snapshot) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.apply = apply
	apply(first)
}

// importFile applies the file to the store (see store.Import for what
// wins) and builds and installs the snapshot from the store.
func (c *control) importFile(ctx context.Context) (*call.Snapshot, error) {
	data, cfg, lib, err := FileSource(c.path, c.speaker)
	if err != nil {
		return nil, err
	}
	res, err := c.st.Import(ctx, "file", data, cfg.Dir, lib.AllNames())
	if err != nil {
		return nil, err
	}
	c.base.Store(lib)
	if c.api != nil {
		c.api.SetTokens(cfg.Server.API.Tokens)
	}
	if res.Changed {
		c.log.Info("configuration file imported into the store", "changed", len(res.Resources), "config_version", res.Version)
	}
	return c.install(ctx)
}

// install builds the running configuration from the store and hands it
// to the service (once attached).
func (c *control) install(ctx context.Context) (*call.Snapshot, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cfg, version, err := c.st.Config(ctx)
	if err != nil {
		return nil, err
	}
	lib, err := c.st.PromptLibrary(ctx, c.base.Load())
	if err != nil {
		return nil, err
	}
	lib = c.numberFragments(cfg, lib) // for the languages this configuration has now
	c.version = version
	c.retention.Store(int64(cfg.Server.StoreRetentionDays))
	if c.hooks != nil {
		c.hooks.SetTargets(cfg.Webhooks)
	}
	snap := &call.Snapshot{Config: cfg, Prompts: lib}
	if c.apply != nil {
		c.apply(snap)
	}
	return snap, nil
}

// start serves the API and follows the store: a change made here is
// heard at once; one made by another node sharing a PostgreSQL store
// arrives by LISTEN/NOTIFY (store/listen.go) as soon as it commits, and
// polling the version every 500 ms catches what a lost notification
// connection missed.
func (c *control) start(cfg *ivr.Config) error {
	if err := c.ensureToken(cfg); err != nil {
		return err
	}
	addr := cfg.Server.API.Listen
	if c.apiListen != "" {
		addr = c.apiListen
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("server.api.listen %s: %w", addr, err)
	}
	c.ln = ln
	c.srv = &http.Server{Handler: c.obs.handler(c.api), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 2 * time.Minute,
		WriteTimeout: 2 * time.Minute, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10,
		ErrorLog: slog.NewLogLogger(c.log.Handler(), slog.LevelWarn)}
	c.srv.Handler = withUI(c.srv.Handler, uiPhone(c.obs)) // the web UI at /ui (ui.go), its phone (browser.go)
	tlsOn := cfg.Server.API.TLSCert != ""
	if tlsOn {
		cert, err := tls.LoadX509KeyPair(resolve(c.path, cfg.Server.API.TLSCert), resolve(c.path, cfg.Server.API.TLSKey))
		if err != nil {
			ln.Close()
			return fmt.Errorf("server.api tls: %w", err)
		}
		c.srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	go func() {
		var err error
		if tlsOn {
			err = c.srv.ServeTLS(ln, "", "")
		} else {
			err = c.srv.Serve(ln)
		}
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			c.log.Error("api server stopped", "err", err)
		}
	}()
	scheme := "http"
	if tlsOn {
		scheme = "https"
	}
	c.log.Info("management API listening", "url", scheme+"://"+ln.Addr().String()+"/api/v1", "store", c.st.Backend())
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel, c.done, c.swept, c.nodesDone = cancel, make(chan struct{}), make(chan struct{}), make(chan struct{})
	go c.follow(ctx)
	go c.sweep(ctx, c.swept) // retention.go
	go func() { defer close(c.nodesDone); c.watchNodes(ctx) }()
	return nil
}

// follow rebuilds the snapshot whenever the configuration version moves.
func (c *control) follow(ctx context.Context) {
	defer close(c.done)
	changes, unsubscribe := c.st.Subscribe()
	defer unsubscribe()
	poll := time.NewTicker(500 * time.Millisecond)
	defer poll.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case v, ok := <-changes:
			if !ok {
				return
			}
			c.mu.Lock()
			same := v == c.version
			c.mu.Unlock()
			if same {
				continue // our own change, heard again through NOTIFY
			}
		case <-poll.C:
			if c.st.Backend() != "postgres" {
				continue
			}
			v, err := c.st.ConfigVersion(ctx)
			c.mu.Lock()
			same := err != nil || v == c.version
			c.mu.Unlock()
			if same {
				continue
			}
		}
		c.refresh(ctx)
	}
}

// refresh swaps in a snapshot of the store's current configuration.
func (c *control) refresh(ctx context.Context) {
	snap, err := c.install(ctx)
	if err != nil {
		if ctx.Err() == nil {
			c.log.Error("configuration changed in the store but could not be loaded; keeping the running one", "err", err)
		}
		return
	}
	c.log.Info("configuration applied from the store", "config_version", c.configVersion(), "ivrs", len(snap.Config.IVRs), "prompts", snap.Prompts.Len())
}

func (c *control) configVersion() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.version
}

// reload is SIGHUP: import the file again and install the result; on any
// error the running configuration stays.
func (c *control) reload() (*call.Snapshot, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return c.importFile(ctx)
}

func (c *control) close() {
	if c.cancel != nil {
		c.cancel()
		<-c.done
		<-c.swept
		<-c.nodesDone
	}
	if c.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := c.srv.Shutdown(ctx); err != nil {
			c.log.Warn("api server shutdown", "err", err)
		}
		cancel()
	}
	c.starts.close() // before the queues: a start it could not write goes to them
	c.rec.close()
	c.hooks.Close() // what calls published is in the outbox; the rest is sent after the next start
	c.leave()       // after the last records: nothing of this node is left 'started'
	if err := c.st.Close(); err != nil {
		c.log.Warn("closing the store", "err", err)
	}
}

// ensureToken: with no token in the file and none in the store (a first
// start), create a write token, keep only its hash in the store, and
// write the token to data/api-token (0600) for the operator to read.
func (c *control) ensureToken(cfg *ivr.Config) error {
	if len(cfg.Server.API.Tokens) > 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	list, err := c.st.Tokens(ctx)
	if err != nil {
		return err
	}
	for _, t := range list {
		if t.RevokedAt == nil {
			return nil
		}
	}
	dir := DataDir(c.path)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	file := filepath.Join(dir, "api-token")
	tok, _, err := c.st.CreateToken(ctx, "admin", "write")
	if err != nil {
		return fmt.Errorf("creating the first API token: %w", err)
	}
	if err := os.WriteFile(file, []byte(tok+"\n"), 0o600); err != nil {
		_ = c.st.RevokeToken(ctx, "admin") // best effort: the write error is the one to report
		return fmt.Errorf("writing the first API token: %w", err)
	}
	c.log.Info("created the first API token (write scope); read it with: cat "+file, "file", file)
	return nil
}
