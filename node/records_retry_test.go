package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/store"
)

// TestRecorderRetriesARefusedWrite: a write the store refuses (a restart)
// is tried again until it goes in; one it can never take (bad input) is
// given up at once; when the node is stopping, a refused write gets no
// second try, so a stop with the store down does not wait out retries.
func TestRecorderRetriesARefusedWrite(t *testing.T) {
	t.Parallel()
	r := &recorder{log: slog.New(slog.DiscardHandler), stopping: make(chan struct{})}
	tries := 0
	r.perform(write{callID: "c1", what: "end", do: func(context.Context) error {
		tries++
		if tries < 3 {
			return errors.New("connection refused")
		}
		return nil
	}})
	require.Equal(t, 3, tries, "tried until the store took it")

	tries = 0
	r.perform(write{callID: "c2", what: "start", do: func(context.Context) error {
		tries++
		return fmt.Errorf("no call id: %w", store.ErrBadInput)
	}})
	require.Equal(t, 1, tries, "bad input is not retried")

	close(r.stopping)
	tries = 0
	r.perform(write{callID: "c3", what: "end", do: func(context.Context) error {
		tries++
		return errors.New("connection refused")
	}})
	require.Equal(t, 1, tries, "no retry while stopping")
}
