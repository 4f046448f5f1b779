package ivr

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A placed call that starts at a destination runs it with the variables
// it was given; one that would go back to a menu ends instead.
func TestStartAtWithVariables(t *testing.T) {
	t.Parallel()
	c, err := Parse([]byte("ivrs:\n  - {id: m, extensions: [\"100\"], prompt: main-choices}\n"))
	require.NoError(t, err)

	e := NewExecutor(c, nil, "15551234567", time.Now())
	e.SetVars(map[string]string{"account": "42", "bad name": "x"})
	e.StartAt(&Destination{Kind: KindURI, Target: "sip:acct-${vars.account}-${caller}@127.0.0.1"})
	acts := e.Handle(Started{})
	require.Len(t, acts, 1)
	tr, ok := acts[0].(Transfer)
	require.True(t, ok, "%#v", acts)
	assert.Equal(t, "sip:acct-42-15551234567@127.0.0.1", tr.Dest.Target)
	assert.Equal(t, map[string]string{"account": "42"}, e.Vars(), "a name that is not one is dropped")

	e = NewExecutor(c, nil, "x", time.Now())
	e.StartAt(&Destination{Kind: KindPlay, Target: "goodbye"})
	acts = e.Handle(Started{})
	play, ok := acts[len(acts)-1].(Play)
	require.True(t, ok, "%#v", acts)
	acts = e.Handle(PlaybackDone{ID: play.ID})
	require.NotEmpty(t, acts)
	_, hung := acts[len(acts)-1].(Hangup)
	assert.True(t, hung, "no menu to go back to: %#v", acts)
	assert.True(t, e.Done())
}
