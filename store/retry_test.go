package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// A refused write is tried again until it succeeds; bad input is not;
// a closed stop ends the back-off at once and gives up after one more
// failure.
func TestRetryWrite(t *testing.T) {
	fails := 2
	var heard error
	n, err := RetryWrite(nil, time.Minute, func(e error) { heard = e }, func(context.Context) error {
		if fails > 0 {
			fails--
			return errors.New("store restarting")
		}
		return nil
	})
	assert.NoError(t, err)
	assert.Equal(t, 3, n)
	assert.EqualError(t, heard, "store restarting")

	n, err = RetryWrite(nil, time.Minute, nil, func(context.Context) error { return fmt.Errorf("%w: no", ErrBadInput) })
	assert.ErrorIs(t, err, ErrBadInput)
	assert.Equal(t, 1, n, "bad input is never asked again")

	stop := make(chan struct{})
	close(stop)
	start := time.Now()
	n, err = RetryWrite(stop, time.Hour, nil, func(context.Context) error { return errors.New("down") })
	assert.Error(t, err)
	assert.Equal(t, 1, n, "stopping: the first failure ends it")
	assert.Less(t, time.Since(start), retryFirst, "no back-off while stopping")
}
