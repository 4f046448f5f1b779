package store

import (
	"context"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// configChannel is the PostgreSQL notification channel the config_state
// trigger (migration 2) announces each new configuration version on.
const configChannel = "ivrd_config"

// listenRetry is how long the listener waits before connecting again
// after losing its connection; the 500 ms version poll of the caller
// covers the gap.
const listenRetry = time.Second

// listener is a PostgreSQL store's own connection waiting on LISTEN: it
// turns the NOTIFY sent by any node's change into a Subscribe delivery,
// so every node hears a change as soon as it commits, without waiting
// for a poll.
type listener struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// startListener starts the LISTEN loop of a PostgreSQL store.
func (s *Store) startListener() {
	ctx, cancel := context.WithCancel(context.Background())
	l := &listener{cancel: cancel, done: make(chan struct{})}
	s.listener = l
	go func() {
		defer close(l.done)
		for ctx.Err() == nil {
			err := s.listen(ctx)
			if ctx.Err() != nil {
				return
			}
			s.log.Warn("store: configuration change listener lost its connection; polling covers until it is back", "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(listenRetry):
			}
		}
	}()
}

// listen holds one connection on LISTEN until it fails or ctx ends.
func (s *Store) listen(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, s.url)
	if err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_ = conn.Close(cctx) // the connection is being given up either way
		cancel()
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+configChannel); err != nil {
		return err
	}
	// A change made while this connection was down was not announced on
	// it: pass the current version on, the subscriber compares.
	if v, err := s.ConfigVersion(ctx); err == nil {
		s.notify(v)
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		if v, err := strconv.ParseInt(n.Payload, 10, 64); err == nil {
			s.notify(v)
		}
	}
}

// stopListener ends the LISTEN loop (nil-safe: SQLite has none).
func (l *listener) stop() {
	if l == nil {
		return
	}
	l.cancel()
	<-l.done
}
