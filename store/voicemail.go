package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/ivrd/ivrd/audio"
)

// Message is one voicemail: its metadata, next to its audio.
type Message struct {
	ID       string        `json:"id"`
	Box      string        `json:"box"`
	Caller   string        `json:"caller"`
	CallID   string        `json:"call_id"`
	Time     time.Time     `json:"time"`
	Duration time.Duration `json:"duration_ns"`
	Reason   string        `json:"ended_by"` // "#", "silence", "limit", "hangup"
	File     string        `json:"file"`     // WAV path, relative to the box directory
	// Old: the owner has listened to it (Asterisk's Old folder); new
	// messages light the phone's lamp.
	Old bool `json:"old,omitempty"`
}

// Voicemail stores messages under Dir/<box>/.
type Voicemail struct{ Dir string }

// Save writes pcm (8 kHz mono) as a WAV and its metadata; it fills ID,
// Duration and File.
func (v Voicemail) Save(m *Message, pcm []int16) error {
	if m.Box == "" || strings.ContainsAny(m.Box, `/\.`) {
		return fmt.Errorf("voicemail: bad box %q", m.Box)
	}
	dir := filepath.Join(v.Dir, m.Box)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("voicemail: %w", err)
	}
	m.ID = m.Time.UTC().Format("20060102T150405.000Z")
	m.File = m.ID + ".wav"
	m.Duration = time.Duration(len(pcm)) * time.Second / 8000
	f, err := os.Create(filepath.Join(dir, m.File))
	if err != nil {
		return fmt.Errorf("voicemail: %w", err)
	}
	err = audio.WriteWAV(f, pcm)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("voicemail: writing %s: %w", m.File, err)
	}
	meta, _ := json.MarshalIndent(m, "", "  ")
	return os.WriteFile(filepath.Join(dir, m.ID+".json"), meta, 0o640)
}

// List returns every message (all boxes when box is ""), oldest first.
func (v Voicemail) List(box string) ([]Message, error) {
	pattern := filepath.Join(v.Dir, "*", "*.json")
	if box != "" {
		pattern = filepath.Join(v.Dir, box, "*.json")
	}
	files, err := filepath.Glob(pattern)
	if err != nil {
		return nil, err
	}
	var out []Message
	var errs []error
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		var m Message
		if err := json.Unmarshal(data, &m); err != nil {
			errs = append(errs, fmt.Errorf("voicemail: %s: %w", f, err))
			continue
		}
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Time.Before(out[j].Time) })
	return out, errors.Join(errs...)
}
