package edit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ivrd/ivrd/store"
)

// Reader is the part of the store that reads resources.
type Reader interface {
	Get(ctx context.Context, kind store.Kind, id string) (store.Resource, error)
	List(ctx context.Context, kind store.Kind) ([]store.Resource, error)
}

// Writer reads and replaces resources.
type Writer interface {
	Reader
	Put(ctx context.Context, who string, kind store.Kind, id string, body map[string]any, ifMatch int64) (store.WriteResult, error)
}

// Resources creates and deletes resources too.
type Resources interface {
	Writer
	Create(ctx context.Context, who string, kind store.Kind, body map[string]any) (store.WriteResult, error)
	Delete(ctx context.Context, who string, kind store.Kind, id string, ifMatch int64) (store.WriteResult, error)
}

// Attempts bounds Update's re-reads: a write that loses this many races
// in a row reports the conflict.
const Attempts = 10

// Update reads kind/id as a T, lets change edit it, and stores it. When
// another writer changed the resource meanwhile, the resource is read
// again and change runs again on the new version (so change must not
// keep state between runs). ifMatch, when not 0, is the version the
// client read: a different stored version is a store.ErrConflict, with
// no retry. An error from change is returned as it is, and nothing is
// written.
func Update[T any](ctx context.Context, st Writer, who string, kind store.Kind, id string, ifMatch int64, change func(*T) error) (store.WriteResult, error) {
	for attempt := 1; ; attempt++ {
		cur, err := st.Get(ctx, kind, id)
		if err != nil {
			return store.WriteResult{}, err
		}
		if ifMatch != 0 && cur.Version != ifMatch {
			return store.WriteResult{}, fmt.Errorf("%s %q is at version %d, not %d: %w", kind.Singular(), id, cur.Version, ifMatch, store.ErrConflict)
		}
		var v T
		if err := Decode(cur.Body, &v); err != nil {
			return store.WriteResult{}, err
		}
		if err := change(&v); err != nil {
			return store.WriteResult{}, err
		}
		body, err := Encode(&v)
		if err != nil {
			return store.WriteResult{}, err
		}
		res, err := st.Put(ctx, who, kind, id, body, cur.Version)
		if errors.Is(err, store.ErrConflict) && ifMatch == 0 && attempt < Attempts {
			continue
		}
		return res, err
	}
}

// Decode reads a stored body into v: a typed body (IVR, Schedule, ...) or
// a map[string]any. A field v has no place for is an error, so that a
// typed write never drops what it does not know.
func Decode[T any](body map[string]any, v *T) error {
	data, err := json.Marshal(body)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("reading the stored %T: %w", *v, err)
	}
	return nil
}

// Encode is v as the store takes a body.
func Encode[T any](v *T) (map[string]any, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return store.DecodeBody(data)
}

// List reads every resource of a kind as Ts, with their store records.
func List[T any](ctx context.Context, st Reader, kind store.Kind) ([]Item[T], error) {
	all, err := st.List(ctx, kind)
	if err != nil {
		return nil, err
	}
	out := make([]Item[T], 0, len(all))
	for _, res := range all {
		it := Item[T]{ID: res.ID, Version: res.Version}
		if err := Decode(res.Body, &it.Body); err != nil {
			return nil, fmt.Errorf("%s %q: %w", kind.Singular(), res.ID, err)
		}
		out = append(out, it)
	}
	return out, nil
}

// Item is one stored resource read as a T.
type Item[T any] struct {
	ID      string
	Version int64
	Body    T
}
