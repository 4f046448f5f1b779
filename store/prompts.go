package store

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"time"

	"github.com/ivrd/ivrd/audio"
	"github.com/ivrd/ivrd/prompts"
)

// PromptInfo describes a stored prompt (audio already at 8 kHz).
type PromptInfo struct {
	Name       string
	Samples    int64
	PeakDBFS   float64
	ActiveDBm0 float64 // math.Inf(-1) for silence is stored as -999
	Version    int64
	UpdatedAt  time.Time
}

// Duration is the playing time.
func (p PromptInfo) Duration() time.Duration {
	return time.Duration(p.Samples) * time.Second / audio.SampleRate
}

// promptName is what a prompt may be called: it is also a file name.
var promptName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// ValidPromptName says whether name can name a prompt.
func ValidPromptName(name string) bool { return promptName.MatchString(name) }

// silenceDBm0 stands for the -Inf level of silence in the database.
const silenceDBm0 = -999

// PutPrompt stores a prompt's 8 kHz samples (creating or replacing;
// ifMatch as for Put). The configuration version moves on so running
// servers load the new audio.
func (s *Store) PutPrompt(ctx context.Context, who, name string, pcm []int16, ifMatch int64) (PromptInfo, error) {
	if !ValidPromptName(name) {
		return PromptInfo{}, fmt.Errorf("prompt name %q: want letters, digits, '.', '_' or '-' (at most 64): %w", name, ErrBadInput)
	}
	if len(pcm) == 0 {
		return PromptInfo{}, fmt.Errorf("prompt %q has no audio: %w", name, ErrBadInput)
	}
	lv := audio.MeasureLevel(pcm)
	info := PromptInfo{Name: name, Samples: int64(len(pcm)), PeakDBFS: lv.PeakDBFS, ActiveDBm0: lv.ActiveDBm0}
	if math.IsInf(info.ActiveDBm0, -1) {
		info.ActiveDBm0 = silenceDBm0
	}
	blob := make([]byte, 2*len(pcm))
	for i, v := range pcm {
		binary.LittleEndian.PutUint16(blob[2*i:], uint16(v))
	}
	now := time.Now()
	var cfgVersion int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		v, err := s.lockConfig(ctx, tx)
		if err != nil {
			return err
		}
		var cur int64
		err = s.queryRow(ctx, tx, `SELECT version FROM prompts WHERE name = ?`, name).Scan(&cur)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if ifMatch != 0 && cur != ifMatch {
			return fmt.Errorf("prompt %q is at version %d, not %d: %w", name, cur, ifMatch, ErrConflict)
		}
		info.Version, info.UpdatedAt = cur+1, now.UTC().Truncate(time.Millisecond)
		if cur == 0 {
			_, err = s.exec(ctx, tx, `INSERT INTO prompts (name, pcm, samples, peak_dbfs, level_dbm0, version, updated_at) VALUES (?, ?, ?, ?, ?, 1, ?)`,
				name, blob, info.Samples, info.PeakDBFS, info.ActiveDBm0, now.UnixMilli())
		} else {
			_, err = s.exec(ctx, tx, `UPDATE prompts SET pcm = ?, samples = ?, peak_dbfs = ?, level_dbm0 = ?, version = ?, updated_at = ? WHERE name = ?`,
				blob, info.Samples, info.PeakDBFS, info.ActiveDBm0, info.Version, now.UnixMilli(), name)
		}
		if err != nil {
			return err
		}
		cfgVersion = v + 1
		if _, err := s.exec(ctx, tx, `UPDATE config_state SET version = ? WHERE id = 1`, cfgVersion); err != nil {
			return err
		}
		return s.auditTx(ctx, tx, now.UnixMilli(), who, map[bool]string{true: "create", false: "update"}[cur == 0], "prompts", name, cur, info.Version)
	})
	if err != nil {
		return PromptInfo{}, err
	}
	s.log.Info("audit", "who", who, "action", "put", "kind", "prompts", "id", name,
		"before_version", info.Version-1, "after_version", info.Version, "config_version", cfgVersion)
	s.notify(cfgVersion)
	return info, nil
}

// DeletePrompt removes a stored prompt, unless the configuration still
// plays it and no prompt of that name is on disk (a *ValidationError).
func (s *Store) DeletePrompt(ctx context.Context, who, name string, ifMatch int64) error {
	var cfgVersion, cur int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		v, err := s.lockConfig(ctx, tx)
		if err != nil {
			return err
		}
		err = s.queryRow(ctx, tx, `SELECT version FROM prompts WHERE name = ?`, name).Scan(&cur)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("prompt %q: %w", name, ErrNotFound)
		}
		if err != nil {
			return err
		}
		if ifMatch != 0 && cur != ifMatch {
			return fmt.Errorf("prompt %q is at version %d, not %d: %w", name, cur, ifMatch, ErrConflict)
		}
		st, err := s.loadState(ctx, tx)
		if err != nil {
			return err
		}
		names, err := s.storedPromptNames(ctx, tx)
		if err != nil {
			return err
		}
		names = slices.DeleteFunc(names, func(n string) bool { return n == name })
		if _, _, err := validateState(s.getBase(), st, names); err != nil {
			return err
		}
		if _, err := s.exec(ctx, tx, `DELETE FROM prompts WHERE name = ?`, name); err != nil {
			return err
		}
		cfgVersion = v + 1
		if _, err := s.exec(ctx, tx, `UPDATE config_state SET version = ? WHERE id = 1`, cfgVersion); err != nil {
			return err
		}
		return s.auditTx(ctx, tx, time.Now().UnixMilli(), who, "delete", "prompts", name, cur, 0)
	})
	if err != nil {
		return err
	}
	s.log.Info("audit", "who", who, "action", "delete", "kind", "prompts", "id", name,
		"before_version", cur, "after_version", 0, "config_version", cfgVersion)
	s.notify(cfgVersion)
	return nil
}

// Prompts lists stored prompts by name.
func (s *Store) Prompts(ctx context.Context) ([]PromptInfo, error) {
	rows, err := s.query(ctx, s.db, `SELECT name, samples, peak_dbfs, level_dbm0, version, updated_at FROM prompts ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }() // a read error surfaces in rows.Err
	var out []PromptInfo
	for rows.Next() {
		var p PromptInfo
		var at int64
		if err := rows.Scan(&p.Name, &p.Samples, &p.PeakDBFS, &p.ActiveDBm0, &p.Version, &at); err != nil {
			return nil, err
		}
		p.UpdatedAt = time.UnixMilli(at).UTC()
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b PromptInfo) int { return cmpString(a.Name, b.Name) })
	return out, rows.Err()
}

// PromptAudio returns a stored prompt's 8 kHz samples.
func (s *Store) PromptAudio(ctx context.Context, name string) (PromptInfo, []int16, error) {
	var p PromptInfo
	var blob []byte
	var at int64
	err := s.queryRow(ctx, s.db, `SELECT name, samples, peak_dbfs, level_dbm0, version, updated_at, pcm FROM prompts WHERE name = ?`, name).
		Scan(&p.Name, &p.Samples, &p.PeakDBFS, &p.ActiveDBm0, &p.Version, &at, &blob)
	if errors.Is(err, sql.ErrNoRows) {
		return p, nil, fmt.Errorf("prompt %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return p, nil, err
	}
	p.UpdatedAt = time.UnixMilli(at).UTC()
	pcm := make([]int16, len(blob)/2)
	for i := range pcm {
		pcm[i] = int16(binary.LittleEndian.Uint16(blob[2*i:]))
	}
	return p, pcm, nil
}

// PromptLibrary is base with every stored prompt added (a stored prompt
// replaces a file of the same name): what a new snapshot plays.
func (s *Store) PromptLibrary(ctx context.Context, base *prompts.Library) (*prompts.Library, error) {
	list, err := s.Prompts(ctx)
	if err != nil {
		return nil, err
	}
	lib := base
	for _, p := range list {
		_, pcm, err := s.PromptAudio(ctx, p.Name)
		if err != nil {
			return nil, err
		}
		lib = lib.With(prompts.New(p.Name, pcm))
	}
	return lib, nil
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
