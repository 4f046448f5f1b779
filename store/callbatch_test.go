package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/cdr"
)

// TestWriteCallsInOneBatch: a batch of many calls' starts and ends (a
// call's start and end in the same batch, an end whose start came in an
// earlier batch, an end whose start never came) leaves each call's whole
// ended record, as CallStarted and CallEnded one at a time would; a start
// after its end changes nothing.
func TestWriteCallsInOneBatch(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := openTest(t, url)
		at := time.UnixMilli(time.Now().UnixMilli())
		start := func(id string) CallWrite {
			return CallWrite{Record: cdr.Record{CallID: id, Node: "n1", From: "alice", To: "100", Source: cdr.SourceTrunk, SourceName: "pstn",
				InviteAt: at, IVR: "main"}}
		}
		end := func(id string, i int) CallWrite {
			ans, fin := at.Add(time.Second), at.Add(time.Duration(i+2)*time.Second)
			return CallWrite{End: true, Record: cdr.Record{CallID: id, Node: "n1", From: "alice", To: "100", Source: cdr.SourceTrunk,
				InviteAt: at, AnswerAt: &ans, EndAt: &fin, IVR: "main", Path: cdr.Path{"main", "sales"},
				Keys: []cdr.Key{{Key: "1", AtMs: 900, Method: "rfc4733"}}, Invalid: i % 3, EndReason: cdr.EndCallerHangup,
				EndedBy: cdr.EndedByCaller, Outcome: cdr.Outcome{Kind: cdr.OutcomeEnded, Detail: fmt.Sprint(i)}}}
		}
		require.NoError(t, s.WriteCalls(ctx, []CallWrite{start("early")}))
		var batch []CallWrite
		for i := range 150 { // more than one chunk of each statement
			id := fmt.Sprintf("c%d", i)
			batch = append(batch, start(id), end(id, i))
		}
		batch = append(batch, end("early", 7), end("no-start", 8))
		require.NoError(t, s.WriteCalls(ctx, batch))
		require.NoError(t, s.WriteCalls(ctx, []CallWrite{start("c5")}), "a late start")

		for i := range 150 {
			r, err := s.Call(ctx, fmt.Sprintf("c%d", i))
			require.NoError(t, err)
			require.Equal(t, cdr.StateEnded, r.State)
			require.Equal(t, i%3, r.Invalid)
			require.Equal(t, fmt.Sprint(i), r.Outcome.Detail)
			require.Equal(t, at.Add(time.Duration(i+2)*time.Second).UnixMilli(), r.EndAt.UnixMilli())
			require.Equal(t, "pstn", r.SourceName, "the start's columns")
			require.Equal(t, "1", r.KeySet())
		}
		for _, id := range []string{"early", "no-start"} {
			r, err := s.Call(ctx, id)
			require.NoError(t, err)
			require.Equal(t, cdr.StateEnded, r.State, id)
			require.Equal(t, cdr.EndCallerHangup, r.EndReason, id)
		}
		require.ErrorIs(t, s.WriteCalls(ctx, []CallWrite{start("")}), ErrBadInput)
	})
}
