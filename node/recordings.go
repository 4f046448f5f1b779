package node

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/recording"
	"github.com/ivrd/ivrd/store"
)

// recordingsDir is where this node writes call recordings:
// server.recordings_dir, else "recordings" beside the store's SQLite
// file, else in the node's data folder.
func recordingsDir(path string, cfg *ivr.Config) string {
	if cfg.Server.RecordingsDir == "" && cfg.Server.Store == "" {
		return filepath.Join(DataDir(path), "recordings")
	}
	return cfg.RecordingsPath()
}

// newRecordings is the recorder calls and conference rooms record with:
// files under dir, each finished one indexed in the store through the
// call records' queue (a call never waits for the database).
func (c *control) newRecordings(dir string) *recording.Recorder {
	return recording.New(recording.Options{Dir: dir, Log: c.log, Index: func(i recording.Info) {
		row := store.Recording{ID: i.ID, CallID: i.CallID, Conference: i.Conference, Session: i.Session, Node: c.node, Path: i.Path,
			Start: i.Start, DurationMs: i.Duration.Milliseconds(), Bytes: i.Bytes, Format: string(i.Format), Channels: i.Channels,
			Rate: i.Rate, Stopped: i.Stopped}
		owner := i.CallID
		if owner == "" {
			owner = "conference " + i.Conference + " session " + i.Session
		}
		c.rec.enqueue(write{callID: owner, what: "recording " + i.ID, do: func(ctx context.Context) error { return c.st.AddRecording(ctx, row) }})
	}})
}

// pruneBatch bounds one retention delete of recordings.
const pruneBatch = 500

// pruneRecordings deletes this node's recordings older than cutoff,
// index and files (a file already gone is not an error), and returns how
// many. Every node of a cluster prunes its own: the files are on its disk.
func (c *control) pruneRecordings(ctx context.Context, cutoff time.Time) (int, error) {
	total := 0
	for {
		gone, err := c.st.PruneRecordings(ctx, c.node, cutoff, pruneBatch)
		if err != nil {
			return total, err
		}
		for _, r := range gone {
			if err := os.Remove(r.Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				c.log.Warn("retention: recording file not deleted", "path", r.Path, "err", err)
			}
		}
		total += len(gone)
		if len(gone) < pruneBatch {
			return total, nil
		}
	}
}
