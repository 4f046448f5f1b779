package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"

	"github.com/ivrd/ivrd/ivr"
)

// Kind is a configuration resource type, named as its list in the YAML
// file.
type Kind string

// The resource kinds the store holds, in the order of a config file.
const (
	Trunks     Kind = "trunks"
	Extensions Kind = "extensions"
	Groups     Kind = "groups" // ring groups
	// VoicemailBoxes are the PINs and greetings of boxes checked by phone.
	VoicemailBoxes Kind = "voicemail_boxes"
	Schedules      Kind = "schedules"
	IVRs           Kind = "ivrs"
)

// Kinds lists every kind.
var Kinds = []Kind{Trunks, Extensions, Groups, VoicemailBoxes, Schedules, IVRs}

// ParseKind accepts a kind's name.
func ParseKind(s string) (Kind, bool) {
	k := Kind(s)
	return k, slices.Contains(Kinds, k)
}

// IDField is the field that names a resource of this kind.
func (k Kind) IDField() string {
	switch k {
	case Trunks:
		return "name"
	case Extensions:
		return "number"
	case VoicemailBoxes:
		return "box"
	}
	return "id"
}

// Secret is the write-only field of a kind ("" for none): never returned
// by the API; a write that leaves it out keeps the stored one.
func (k Kind) Secret() string {
	if k == Trunks || k == Extensions {
		return "password"
	}
	if k == VoicemailBoxes {
		return "pin"
	}
	return ""
}

// Singular is "ivr", "trunk", ... for messages.
func (k Kind) Singular() string {
	if k == VoicemailBoxes {
		return "voicemail_box"
	}
	return string(k[:len(k)-1])
}

func (k Kind) modelType() reflect.Type {
	switch k {
	case Trunks:
		return reflect.TypeOf(ivr.Trunk{})
	case Extensions:
		return reflect.TypeOf(ivr.Extension{})
	case Schedules:
		return reflect.TypeOf(ivr.Schedule{})
	case Groups:
		return reflect.TypeOf(ivr.Group{})
	case VoicemailBoxes:
		return reflect.TypeOf(ivr.VoicemailBox{})
	}
	return reflect.TypeOf(ivr.IVR{})
}

// Base is what a running configuration takes from outside the store: the
// file's process settings (server, prompts_dir, voicemail_dir: the store
// URL cannot live in the store it names) and the prompts found on disk or
// bundled. Set by Import or SetBase.
type Base struct {
	// Settings are the file's top-level fields other than the resource
	// lists, as decoded JSON values.
	Settings map[string]any
	// Dir is the config file's folder (prompts_dir is relative to it).
	Dir string
	// Prompts are the names of the prompts loaded from prompts_dir or the
	// bundled set; stored prompts add to them.
	Prompts []string
}

// SetBase replaces the base every composed configuration starts from.
func (s *Store) SetBase(b Base) {
	s.mu.Lock()
	s.base = b
	s.mu.Unlock()
}

func (s *Store) getBase() Base {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.base
}

// DecodeBody reads a JSON object with numbers kept exact (json.Number), as
// checkShape wants them.
func DecodeBody(data []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, &ShapeError{"", "malformed JSON: " + err.Error()}
	}
	if dec.More() {
		return nil, &ShapeError{"", "malformed JSON: more than one value"}
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, &ShapeError{"", "want a JSON object, got " + jsonType(v)}
	}
	return m, nil
}

// CheckBody checks one resource body against the model (unknown fields,
// JSON types, durations) and returns its id.
func CheckBody(kind Kind, body map[string]any) (string, error) {
	if err := checkShape(body, kind.modelType(), ""); err != nil {
		return "", err
	}
	id, _ := body[kind.IDField()].(string)
	if id == "" {
		return "", &ShapeError{kind.IDField(), "required"}
	}
	// A PIN is stored hashed, whether it came from the file or the API
	// (hashing is deterministic: a file's unchanged box stays unchanged).
	if pin, ok := body["pin"].(string); ok && kind == VoicemailBoxes {
		body["pin"] = ivr.HashPIN(id, pin)
	}
	return id, nil
}

// state is every resource body by kind and id: what a change is applied
// to before the result is validated.
type state map[Kind]map[string]map[string]any

// compose builds the whole configuration document (resources sorted by
// id, so the result does not depend on storage order) and parses it
// exactly as a file would be, defaults included.
func compose(base Base, st state) (*ivr.Config, []byte, error) {
	doc := map[string]any{}
	for k, v := range base.Settings {
		doc[k] = v
	}
	for _, k := range Kinds {
		ids := make([]string, 0, len(st[k]))
		for id := range st[k] {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		list := make([]any, 0, len(ids))
		for _, id := range ids {
			list = append(list, st[k][id])
		}
		doc[string(k)] = list
	}
	data, err := json.Marshal(doc)
	if err != nil {
		return nil, nil, err
	}
	// JSON is YAML: the configuration goes through the file's own parser.
	cfg, err := ivr.Parse(data)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrBadInput, err)
	}
	cfg.Dir = base.Dir
	return cfg, data, nil
}

// validateState composes and validates; a *ValidationError lists every
// error (warnings are returned beside a valid configuration).
func validateState(base Base, st state, stored []string) (*ivr.Config, []ivr.Problem, error) {
	cfg, _, err := compose(base, st)
	if err != nil {
		return nil, nil, err
	}
	names := append(slices.Clone(base.Prompts), stored...)
	probs := ivr.Validate(cfg, names)
	if ivr.HasErrors(probs) {
		return nil, probs, &ValidationError{Problems: probs}
	}
	return cfg, probs, nil
}

// Config rebuilds the running configuration from the store, with the
// configuration version it reflects.
func (s *Store) Config(ctx context.Context) (*ivr.Config, int64, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, 0, err
	}
	defer func() { _ = tx.Rollback() }() // read-only: nothing to undo
	var version int64
	if err := tx.QueryRowContext(ctx, `SELECT version FROM config_state WHERE id = 1`).Scan(&version); err != nil {
		return nil, 0, err
	}
	st, err := s.loadState(ctx, tx)
	if err != nil {
		return nil, 0, err
	}
	cfg, _, err := compose(s.getBase(), st)
	return cfg, version, err
}

// ExportJSON is the whole configuration document as stored (secrets
// included): `ivrd config export` turns it into YAML.
func (s *Store) ExportJSON(ctx context.Context) ([]byte, error) {
	st, err := s.loadState(ctx, s.db)
	if err != nil {
		return nil, err
	}
	_, data, err := compose(s.getBase(), st)
	return data, err
}

// ConfigVersion is the configuration's version: it grows with every
// change to a resource or a prompt.
func (s *Store) ConfigVersion(ctx context.Context) (int64, error) {
	var v int64
	err := s.db.QueryRowContext(ctx, `SELECT version FROM config_state WHERE id = 1`).Scan(&v)
	return v, err
}

// Subscribe delivers the new configuration version after each change made
// through this Store and, on PostgreSQL, by any node sharing it (listen.go:
// LISTEN/NOTIFY). Only the
// latest version waits in the channel: a slow reader skips to it.
func (s *Store) Subscribe() (<-chan int64, func()) {
	ch := make(chan int64, 1)
	s.mu.Lock()
	id := s.next
	s.next++
	s.subs[id] = ch
	s.mu.Unlock()
	return ch, func() {
		s.mu.Lock()
		if _, ok := s.subs[id]; ok {
			delete(s.subs, id)
			close(ch)
		}
		s.mu.Unlock()
	}
}

func (s *Store) notify(version int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ch := range s.subs {
		select {
		case <-ch: // drop the older version not read yet
		default:
		}
		select {
		case ch <- version:
		default:
		}
	}
}
