package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"
)

// Where the editor's chart of an IVR places its boxes, when someone
// moved them: saved with the IVR so that reopening shows the same
// layout. It is not configuration (calls never read it), so saving it
// changes no version; deleting the IVR deletes it.

// NodePosition is the centre of one box on the chart.
type NodePosition struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
}

// Layout bounds: a chart has a few hundred boxes at most.
const (
	maxLayoutNodes  = 5000
	maxLayoutNodeID = 300
	maxLayoutCoord  = 1e7
)

// Layout is the saved layout of IVR id's chart (an empty map when none
// is saved: the chart lays itself out) and when it was saved.
func (s *Store) Layout(ctx context.Context, id string) (map[string]NodePosition, time.Time, error) {
	if _, err := s.Get(ctx, IVRs, id); err != nil {
		return nil, time.Time{}, err
	}
	var text string
	var at int64
	err := s.queryRow(ctx, s.db, `SELECT positions, updated_at FROM ivr_layouts WHERE ivr = ?`, id).Scan(&text, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return map[string]NodePosition{}, time.Time{}, nil
	}
	if err != nil {
		return nil, time.Time{}, err
	}
	out := map[string]NodePosition{}
	if err := json.Unmarshal([]byte(text), &out); err != nil {
		return nil, time.Time{}, fmt.Errorf("layout of IVR %q: %w", id, err)
	}
	return out, time.UnixMilli(at).UTC(), nil
}

// SaveLayout replaces the saved layout of IVR id's chart; an empty one
// forgets it (back to the automatic layout). Audited.
func (s *Store) SaveLayout(ctx context.Context, who, id string, pos map[string]NodePosition) error {
	if len(pos) > maxLayoutNodes {
		return fmt.Errorf("layout: %d boxes, at most %d: %w", len(pos), maxLayoutNodes, ErrBadInput)
	}
	for k, p := range pos {
		if k == "" || len(k) > maxLayoutNodeID {
			return fmt.Errorf("layout: a box id of %d characters (1-%d): %w", len(k), maxLayoutNodeID, ErrBadInput)
		}
		for _, v := range []float64{p.X, p.Y} {
			if math.IsNaN(v) || math.Abs(v) > maxLayoutCoord {
				return fmt.Errorf("layout: box %q at (%g, %g), outside ±%g: %w", k, p.X, p.Y, maxLayoutCoord, ErrBadInput)
			}
		}
	}
	text, err := json.Marshal(pos)
	if err != nil {
		return err
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var version int64
		err := s.queryRow(ctx, tx, `SELECT version FROM resources WHERE kind = ? AND id = ?`, string(IVRs), id).Scan(&version)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("IVR %q: %w", id, ErrNotFound)
		}
		if err != nil {
			return err
		}
		if _, err := s.exec(ctx, tx, `DELETE FROM ivr_layouts WHERE ivr = ?`, id); err != nil {
			return err
		}
		now := time.Now().UnixMilli()
		if len(pos) > 0 {
			if _, err := s.exec(ctx, tx, `INSERT INTO ivr_layouts (ivr, positions, updated_at) VALUES (?, ?, ?)`, id, string(text), now); err != nil {
				return err
			}
		}
		return s.auditTx(ctx, tx, now, who, "layout", string(IVRs), id, version, version)
	})
	if err == nil {
		s.log.Info("audit", "who", who, "action", "layout", "kind", string(IVRs), "id", id, "boxes", len(pos))
	}
	return err
}
