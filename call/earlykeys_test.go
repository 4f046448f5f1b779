package call_test

import (
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/call"
)

// A caller who knows the menu presses at once, while the call's start is
// still being written (a slow store holds call.started): the key waits
// for the menu and is acted on when it starts, not lost.
func TestKeyPressedBeforeTheMenuStartsIsKept(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	var once sync.Once
	r := newRigWith(t, scenarioMenu, func(o *call.Options) {
		o.Events = func(ev call.Event) {
			if ev.Type == call.EventCallStarted {
				<-release // the store writing the call's start
			}
		}
	})
	// After the rig's own clean-up is registered, so it runs first: the
	// server's close waits for the call, which waits for this.
	t.Cleanup(func() { once.Do(func() { close(release) }) })
	c, a := dial(t, r)
	var seq uint16
	press(t, c, a.Media, '1', &seq, 1000)
	select {
	case <-r.digits:
	case <-time.After(10 * time.Second):
		t.Fatal("the key was not heard while the call's start was being written")
	}
	once.Do(func() { close(release) })
	_, err := c.WaitRequest(sip.REFER, 10*time.Second)
	require.NoError(t, err, "key 1, pressed before the menu started, transfers")
	notifyRefer(t, a, "SIP/2.0 200 OK\r\n")
	assert.Equal(t, "1", keysOf(r.record(t)))
}
