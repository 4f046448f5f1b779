package store

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ivrd/ivrd/audio"
)

// greetingFile is the greeting a box's owner recorded by phone.
const greetingFile = "greeting.wav"

// Counts are a box's new and old messages.
func (v Voicemail) Counts(box string) (newMsgs, oldMsgs int, err error) {
	msgs, err := v.List(box)
	for _, m := range msgs {
		if m.Old {
			oldMsgs++
		} else {
			newMsgs++
		}
	}
	return newMsgs, oldMsgs, err
}

// Audio reads a message's recording (8 kHz mono).
func (v Voicemail) Audio(m Message) ([]int16, error) {
	f, err := os.Open(filepath.Join(v.Dir, m.Box, filepath.Base(m.File)))
	if err != nil {
		return nil, fmt.Errorf("voicemail: %w", err)
	}
	defer func() { _ = f.Close() }() // read only
	return audio.Decode(m.File, f)
}

// MarkOld records that the owner has heard a message.
func (v Voicemail) MarkOld(m Message) error {
	if err := checkBox(m.Box); err != nil {
		return err
	}
	m.Old = true
	meta, _ := json.MarshalIndent(m, "", "  ")
	path := filepath.Join(v.Dir, m.Box, filepath.Base(m.ID)+".json")
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, meta, 0o640); err != nil {
		return fmt.Errorf("voicemail: %w", err)
	}
	return os.Rename(tmp, path) // a reader sees the old or the new sidecar, never half of one
}

// Delete removes a message and its recording.
func (v Voicemail) Delete(m Message) error {
	if err := checkBox(m.Box); err != nil {
		return err
	}
	dir := filepath.Join(v.Dir, m.Box)
	if err := os.Remove(filepath.Join(dir, filepath.Base(m.ID)+".json")); err != nil {
		return fmt.Errorf("voicemail: %w", err)
	}
	if err := os.Remove(filepath.Join(dir, filepath.Base(m.File))); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("voicemail: %w", err)
	}
	return nil
}

// Greeting is the greeting the owner recorded, if any.
func (v Voicemail) Greeting(box string) ([]int16, bool) {
	if checkBox(box) != nil {
		return nil, false
	}
	f, err := os.Open(filepath.Join(v.Dir, box, greetingFile))
	if err != nil {
		return nil, false
	}
	defer func() { _ = f.Close() }() // read only
	pcm, err := audio.Decode(greetingFile, f)
	return pcm, err == nil && len(pcm) > 0
}

// SaveGreeting stores a greeting recorded by phone (8 kHz mono).
func (v Voicemail) SaveGreeting(box string, pcm []int16) error {
	if err := checkBox(box); err != nil {
		return err
	}
	dir := filepath.Join(v.Dir, box)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("voicemail: %w", err)
	}
	tmp := filepath.Join(dir, greetingFile+".tmp")
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("voicemail: %w", err)
	}
	err = audio.WriteWAV(f, pcm)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("voicemail: greeting: %w", err)
	}
	return os.Rename(tmp, filepath.Join(dir, greetingFile))
}

func checkBox(box string) error {
	if box == "" || strings.ContainsAny(box, `/\.`) {
		return fmt.Errorf("voicemail: bad box %q", box)
	}
	return nil
}
