package store

import (
	"context"
	"errors"
	"time"
)

// Back-off of RetryWrite: a store restarting or unreachable is asked
// again after 100 ms, then twice as long each time, at most every 5 s.
const (
	retryFirst = 100 * time.Millisecond
	retryMax   = 5 * time.Second
	writeTry   = 10 * time.Second // one attempt's own bound
)

// RetryWrite runs do until it succeeds, the store refuses the input
// (ErrBadInput: asking again would not help), retryFor has passed since
// the first attempt, or stop is closed and an attempt fails: the writers
// behind a node's queues (call records, the webhook outbox) wait for a
// store that restarts instead of dropping what they hold, in order, and
// a node stopping does not wait out the back-off (stop ends the wait at
// once). retrying, when not nil, hears the first failure. It returns the
// attempts made and the last error (nil on success).
func RetryWrite(stop <-chan struct{}, retryFor time.Duration, retrying func(error), do func(context.Context) error) (int, error) {
	first, wait := time.Now(), retryFirst
	for attempt := 1; ; attempt++ {
		ctx, cancel := context.WithTimeout(context.Background(), writeTry)
		err := do(ctx)
		cancel()
		if err == nil {
			return attempt, nil
		}
		if errors.Is(err, ErrBadInput) || time.Since(first) > retryFor || closedChan(stop) {
			return attempt, err
		}
		if attempt == 1 && retrying != nil {
			retrying(err)
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-stop: // one more attempt, then give up
			t.Stop()
		}
		wait = min(2*wait, retryMax)
	}
}

func closedChan(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
