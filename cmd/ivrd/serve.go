package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"syscall"

	"github.com/ivrd/ivrd/media"
	"github.com/ivrd/ivrd/node"
)

func runServe(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "configuration file (default: the bundled example IVR on 127.0.0.1:5060)")
	level := fs.String("log-level", "info", "log level: debug, info, warn, error")
	noRecords := fs.Bool("no-records", false, "write no call records to the store (only to measure what recording costs)")
	queuedStarts := fs.Bool("queued-starts", false, "write each call's started record and call.started event through their queues, not in one transaction before the menu (only to measure what that durability costs: bench/durability.sh)")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: ivrd serve [--config FILE] [--log-level LEVEL]\n\nAnswers calls for the IVRs in FILE. SIGHUP reloads FILE. SIGINT/SIGTERM drain: no new calls,\ncalls in progress go on up to server.drain_timeout, then get BYE; a second signal stops at once.\n\n")
		fs.PrintDefaults()
	}
	if code, done := parseFlags(fs, args); done {
		return code
	}
	log, err := newLogger(stderr, *level)
	if err != nil {
		fmt.Fprintf(stderr, "ivrd: %v\n", err)
		return 1
	}
	epoll, err := epollAsked(os.Getenv(mediaIOEnv))
	if err != nil {
		fmt.Fprintf(stderr, "ivrd: %v\n", err)
		return 1
	}
	n, err := node.New(node.Options{ConfigPath: *cfgPath, Log: log, Version: version, NoRecords: *noRecords, QueuedStarts: *queuedStarts, Epoll: epoll,
		Pacers: ownProcessors()})
	if err != nil {
		fmt.Fprintf(stderr, "ivrd: %v\n", err)
		return 1
	}
	stop := make(chan os.Signal, 2)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(stop)
	if err := n.Start(context.Background()); err != nil {
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
			n.Drain(n.DrainTimeout(), force)
			log.Info("shutting down")
			n.Close()
			return 0
		case <-hup:
			if err := n.Reload(); err != nil {
				log.Error("reload refused, keeping the running configuration", "err", err)
			}
		}
	}
}

// ownProcessors sets GOMAXPROCS as the media engine's plan asks
// (media.ProcessorPlan: a Go processor of its own for each pacer where
// ivrd has two CPUs or more) and returns the pacer count.
func ownProcessors() int {
	pacers, procs := media.ProcessorPlan()
	if procs != runtime.GOMAXPROCS(0) {
		runtime.GOMAXPROCS(procs)
	}
	return pacers
}

// mediaIOEnv chooses how the media pacers move packets: io_uring where
// the host allows it (the default), or epoll, a system call a packet.
const mediaIOEnv = "IVRD_MEDIA_IO"

// epollAsked reads mediaIOEnv's value: whether it asks for the epoll loop.
func epollAsked(v string) (bool, error) {
	switch v {
	case "", "io_uring":
		return false, nil
	case "epoll":
		return true, nil
	}
	return false, fmt.Errorf("%s=%q: want io_uring (the default) or epoll", mediaIOEnv, v)
}

func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), nil
}
