package recording

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/ivrd/ivrd/media"
)

// Format is how the two directions are laid out.
type Format string

// The formats.
const (
	Stereo Format = "stereo" // the caller left, ivrd or the bridged party right
	Mono   Format = "mono"   // both mixed
)

// Channels is the file's channel count.
func (f Format) Channels() int {
	if f == Mono {
		return 1
	}
	return 2
}

// File is where a recording's bytes go: an *os.File, or in tests a
// writer that fails (a full disk).
type File interface {
	io.Writer
	io.Seeker
	io.Closer
}

// Info is a finished recording, as the index keeps it.
type Info struct {
	ID     string
	CallID string // "" for a room's recording
	// Conference and Session say whose recording it is when it is a
	// conference room's (StartRoom): the room's id and the session (from
	// its first participant's joining to its last one's leaving).
	Conference, Session string
	Path                string // the file, as written
	Start               time.Time
	Duration            time.Duration
	Bytes               int64 // the file's size
	Format              Format
	Channels            int
	Rate                int // samples per second: 8000
	// Stopped is why the recording ended before the call ("" when it
	// ran to the end): a write error, for one.
	Stopped string
	// Dropped counts frames the writer was too slow for (0 normally).
	Dropped uint64
}

// Options configure a Recorder.
type Options struct {
	// Dir is where files are written (in a folder per day).
	Dir string
	Log *slog.Logger
	// Index, when set, hears every finished recording (on the goroutine
	// that stopped it).
	Index func(Info)
	// Create opens a new file; nil: os.Create (folders made as needed).
	Create func(path string) (File, error)
	// Poll is how often a writer takes what its tap holds; 0: 100 ms.
	Poll time.Duration
}

// Recorder starts recordings.
type Recorder struct{ opt Options }

// New makes a Recorder.
func New(opt Options) *Recorder {
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	if opt.Create == nil {
		opt.Create = createFile
	}
	if opt.Poll <= 0 {
		opt.Poll = 100 * time.Millisecond
	}
	return &Recorder{opt: opt}
}

// Dir is where recordings are written.
func (r *Recorder) Dir() string { return r.opt.Dir }

func createFile(path string) (File, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, err
	}
	return os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o640) //nolint:gosec // the path is built here from a date and a random id
}

// ringFrames is a recording's ring: 2.5 s of both directions, so a disk
// that stalls for less loses nothing.
const ringFrames = 256

// rate is the recordings' sample rate: what media's taps give (a G.722
// or Opus call's audio is narrowed to it).
const rate = 8000

// source is what a recording taps: a call's media session, or a
// conference room's mixer (its whole mix, as sent frames).
type source interface {
	AddTap(media.Tap)
	RemoveTap(media.Tap)
}

// Start records s's audio from now on in format. Stop ends it.
func (r *Recorder) Start(callID string, s *media.Session, format Format) (*Recording, error) {
	if format != Mono {
		format = Stereo
	}
	return r.start(s, Info{CallID: callID, Format: format}, "call_id", callID)
}

// StartRoom records conference room's whole mix (m's tap: everyone who
// talks, mono) from now on, as the recording of the room's session.
// Stop ends it.
func (r *Recorder) StartRoom(room, session string, m *media.Mixer) (*Recording, error) {
	return r.start(m, Info{Conference: room, Session: session, Format: Mono}, "conference", room, "session", session)
}

func (r *Recorder) start(src source, info Info, logAttrs ...any) (*Recording, error) {
	id, err := newID()
	if err != nil {
		return nil, err
	}
	now := time.Now()
	path := filepath.Join(r.opt.Dir, now.UTC().Format("2006-01-02"), id+".wav")
	f, err := r.opt.Create(path)
	if err != nil {
		return nil, fmt.Errorf("recording %s: %w", path, err)
	}
	info.ID, info.Path, info.Start, info.Channels, info.Rate = id, path, now, info.Format.Channels(), rate
	rec := &Recording{r: r, s: src, f: f, tap: newRing(ringFrames), stop: make(chan struct{}), done: make(chan struct{}),
		info: info, log: r.opt.Log.With(append(logAttrs, "recording", id)...)}
	rec.w = newWriter(f, info.Format, rate)
	if err := rec.w.header(); err != nil {
		_ = f.Close()
		_ = os.Remove(path)
		return nil, fmt.Errorf("recording %s: %w", path, err)
	}
	src.AddTap(rec.tap)
	go rec.run(r.opt.Poll)
	rec.log.Info("recording started", "path", path, "format", string(info.Format), "rate", rate)
	return rec, nil
}

func newID() (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}

// Recording is one recording in progress.
type Recording struct {
	r    *Recorder
	s    source
	f    File
	tap  *ring // the session's tap (a media.Tap)
	w    *writer
	log  *slog.Logger
	stop chan struct{}
	done chan struct{}
	once sync.Once
	info Info // the writer's until done
}

// ID is the recording's id.
func (rec *Recording) ID() string { return rec.info.ID }

// run takes the tap's frames every poll until stopped, then the rest.
func (rec *Recording) run(poll time.Duration) {
	defer close(rec.done)
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		select {
		case <-rec.stop:
			rec.s.RemoveTap(rec.tap)
			rec.drain()
			return
		case <-t.C:
			rec.drain()
		}
	}
}

// drain writes what the tap holds; a write error stops the recording
// (the tap is detached: the call goes on unrecorded).
func (rec *Recording) drain() {
	if rec.info.Stopped != "" {
		return
	}
	if err := rec.w.take(rec.tap); err != nil {
		rec.s.RemoveTap(rec.tap)
		rec.info.Stopped = "write failed: " + err.Error()
		rec.log.Error("recording stopped: the call goes on unrecorded", "reason", rec.info.Stopped, "path", rec.info.Path)
	}
}

// Stop ends the recording, completes the file and indexes it; it returns
// what was recorded. Idempotent.
func (rec *Recording) Stop() Info {
	rec.once.Do(func() {
		close(rec.stop)
		<-rec.done
		rec.finish()
	})
	return rec.info
}

func (rec *Recording) finish() {
	err := rec.w.flush()
	if err == nil {
		err = finishWAV(rec.f, rec.info.Channels, rec.info.Rate, rec.w.dataBytes())
	}
	if cerr := rec.f.Close(); err == nil {
		err = cerr
	}
	if err != nil && rec.info.Stopped == "" {
		rec.info.Stopped = "write failed: " + err.Error()
		rec.log.Error("recording stopped: the call goes on unrecorded", "reason", rec.info.Stopped, "path", rec.info.Path)
	}
	rec.info.Duration = rec.w.duration()
	rec.info.Bytes = int64(rec.w.dataBytes()) + wavHeaderLen
	rec.info.Dropped = rec.tap.dropped.Load()
	if rec.info.Dropped > 0 {
		rec.log.Warn("recording lost frames: the disk was too slow", "frames", rec.info.Dropped)
	}
	rec.log.Info("recording ended", "duration", rec.info.Duration.Round(time.Millisecond).String(), "bytes", rec.info.Bytes)
	if rec.r.opt.Index != nil {
		rec.r.opt.Index(rec.info)
	}
}
