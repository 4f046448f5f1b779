package store

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/cdr"
)

// The index of recordings: added, listed by call, read, deleted with an
// audit entry, pruned by age; and a call record keeps its direction.
func TestRecordingsIndexAndDirection(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := openTest(t, url)
		old := time.Now().Add(-48 * time.Hour).Truncate(time.Millisecond)
		now := time.Now().Truncate(time.Millisecond)
		require.NoError(t, s.AddRecording(ctx, Recording{ID: "r1", CallID: "c1", Node: "n", Path: "/x/r1.wav", Start: old,
			DurationMs: 1500, Bytes: 48044, Format: "stereo", Channels: 2, Rate: 8000}))
		require.NoError(t, s.AddRecording(ctx, Recording{ID: "r2", CallID: "c1", Node: "n", Path: "/x/r2.wav", Start: now,
			DurationMs: 10, Bytes: 204, Format: "mono", Channels: 1, Rate: 16000, Stopped: "write failed: no space"}))
		require.ErrorIs(t, s.AddRecording(ctx, Recording{ID: "r3"}), ErrBadInput)
		list, err := s.Recordings(ctx, "c1")
		require.NoError(t, err)
		require.Len(t, list, 2)
		assert.Equal(t, "r1", list[0].ID)
		assert.True(t, old.Equal(list[0].Start))
		assert.Equal(t, "write failed: no space", list[1].Stopped)
		assert.Equal(t, 16000, list[1].Rate)
		none, err := s.Recordings(ctx, "c2")
		require.NoError(t, err)
		assert.Empty(t, none)

		r, err := s.Recording(ctx, "c1", "r2")
		require.NoError(t, err)
		assert.Equal(t, "/x/r2.wav", r.Path)
		_, err = s.Recording(ctx, "c2", "r2")
		require.ErrorIs(t, err, ErrNotFound, "a recording is found under its own call only")

		gone, err := s.DeleteRecording(ctx, "admin", "c1", "r2")
		require.NoError(t, err)
		assert.Equal(t, "/x/r2.wav", gone.Path)
		_, err = s.DeleteRecording(ctx, "admin", "c1", "r2")
		require.ErrorIs(t, err, ErrNotFound)
		audit, err := s.Audit(ctx, 0, 10)
		require.NoError(t, err)
		require.NotEmpty(t, audit)
		assert.Equal(t, "recordings", audit[0].Kind)
		assert.Equal(t, "c1/r2", audit[0].ResourceID)
		assert.Equal(t, "admin", audit[0].Who)

		pruned, err := s.PruneRecordings(ctx, "other-node", time.Now().Add(-24*time.Hour), 100)
		require.NoError(t, err)
		require.Empty(t, pruned, "each node prunes its own: the files are on its disk")
		pruned, err = s.PruneRecordings(ctx, "n", time.Now().Add(-24*time.Hour), 100)
		require.NoError(t, err)
		require.Len(t, pruned, 1)
		assert.Equal(t, "r1", pruned[0].ID)
		list, err = s.Recordings(ctx, "c1")
		require.NoError(t, err)
		assert.Empty(t, list)

		require.NoError(t, s.CallStarted(ctx, cdr.Record{CallID: "in", Node: "n", InviteAt: now}))
		require.NoError(t, s.CallStarted(ctx, cdr.Record{CallID: "out", Node: "n", InviteAt: now, Direction: cdr.DirectionOutbound}))
		in, err := s.Call(ctx, "in")
		require.NoError(t, err)
		assert.Equal(t, cdr.DirectionInbound, in.Direction)
		out, err := s.Call(ctx, "out")
		require.NoError(t, err)
		assert.Equal(t, cdr.DirectionOutbound, out.Direction)
	})
}

// A conference room's recordings are indexed beside the calls' (no call
// id: the room and its session), listed and found by room only, deleted
// with an audit entry naming the room, and pruned by age like the calls'.
func TestRoomRecordingsIndex(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := openTest(t, url)
		old := time.Now().Add(-48 * time.Hour).Truncate(time.Millisecond)
		room := Recording{ID: "m1", Conference: "board", Session: "s1", Node: "n", Path: "/x/m1.wav", Start: old,
			DurationMs: 60000, Bytes: 960044, Format: "mono", Channels: 1, Rate: 8000}
		require.NoError(t, s.AddRecording(ctx, room))
		require.NoError(t, s.AddRecording(ctx, Recording{ID: "m2", Conference: "board", Session: "s2", Node: "n", Path: "/x/m2.wav",
			Start: time.Now(), Format: "mono", Channels: 1, Rate: 8000}))
		require.NoError(t, s.AddRecording(ctx, Recording{ID: "c1r", CallID: "c1", Node: "n", Path: "/x/c1r.wav", Start: time.Now()}))
		for _, bad := range []Recording{{ID: "x", Conference: "board"}, {ID: "x", CallID: "c", Conference: "board", Session: "s"}} {
			require.ErrorIs(t, s.AddRecording(ctx, bad), ErrBadInput, "%+v", bad)
		}
		list, err := s.RecordingsOf(ctx, RecordingOwner{Conference: "board"})
		require.NoError(t, err)
		require.Len(t, list, 2)
		got := list[0]
		assert.True(t, room.Start.Equal(got.Start))
		got.Start = room.Start
		assert.Equal(t, room, got)
		assert.Empty(t, list[0].CallID)
		calls, err := s.Recordings(ctx, "")
		require.NoError(t, err)
		assert.Empty(t, calls, "a room's recording is no call's")
		_, err = s.RecordingOf(ctx, RecordingOwner{Conference: "other"}, "m1")
		require.ErrorIs(t, err, ErrNotFound)
		_, err = s.Recording(ctx, "c1", "m1")
		require.ErrorIs(t, err, ErrNotFound)

		gone, err := s.DeleteRecordingOf(ctx, "admin", RecordingOwner{Conference: "board"}, "m2")
		require.NoError(t, err)
		assert.Equal(t, "/x/m2.wav", gone.Path)
		audit, err := s.Audit(ctx, 0, 10)
		require.NoError(t, err)
		require.NotEmpty(t, audit)
		assert.Equal(t, "conference/board/m2", audit[0].ResourceID)

		pruned, err := s.PruneRecordings(ctx, "n", time.Now().Add(-24*time.Hour), 100)
		require.NoError(t, err)
		require.Len(t, pruned, 1)
		assert.Equal(t, "m1", pruned[0].ID)
		list, err = s.RecordingsOf(ctx, RecordingOwner{Conference: "board"})
		require.NoError(t, err)
		assert.Empty(t, list)
	})
}
