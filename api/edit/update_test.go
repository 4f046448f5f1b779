package edit

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/examples"
	"github.com/ivrd/ivrd/prompts"
	"github.com/ivrd/ivrd/store"
)

func openStore(t *testing.T) *store.Store {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "ivrd.db"), store.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	_, err = st.Import(ctx, "file", examples.Main, "", prompts.Builtin().Names())
	require.NoError(t, err)
	return st
}

// A writer that gets in between is not overwritten: the change runs
// again on its version, and both changes are kept.
func TestUpdateReappliesAfterAConcurrentWrite(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	runs := 0
	_, err := Update(ctx, st, "test", store.IVRs, "main", 0, func(m *IVR) error {
		runs++
		if runs == 1 { // another client renames the menu meanwhile
			_, err := Update(ctx, st, "other", store.IVRs, "main", 0, func(m *IVR) error { m.Name = "Renamed"; return nil })
			require.NoError(t, err)
		}
		m.Tenant = "acme"
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, 2, runs)
	res, err := st.Get(ctx, store.IVRs, "main")
	require.NoError(t, err)
	require.Equal(t, "Renamed", res.Body["name"])
	require.Equal(t, "acme", res.Body["tenant"])

	_, err = Update(ctx, st, "test", store.IVRs, "main", 1, func(*IVR) error { return nil })
	require.ErrorIs(t, err, store.ErrConflict, "an If-Match version that is not the stored one")

	refuse := errors.New("no")
	_, err = Update(ctx, st, "test", store.IVRs, "main", 0, func(*IVR) error { return refuse })
	require.ErrorIs(t, err, refuse)
}

// Every example configuration reads into the typed bodies and writes back
// unchanged: the APIs that edit through them work on each.
func TestExamplesRoundTrip(t *testing.T) {
	files, err := filepath.Glob("../../examples/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			require.NoError(t, err)
			ctx := context.Background()
			st, err := store.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "ivrd.db"), store.Options{})
			require.NoError(t, err)
			t.Cleanup(func() { _ = st.Close() })
			_, err = st.Import(ctx, "file", data, filepath.Dir(f), prompts.Builtin().Names())
			require.NoError(t, err)
			roundTrip[IVR](t, st, store.IVRs)
			roundTrip[Group](t, st, store.Groups)
			roundTrip[Schedule](t, st, store.Schedules)
		})
	}
}

func roundTrip[T any](t *testing.T, st *store.Store, kind store.Kind) {
	t.Helper()
	all, err := st.List(context.Background(), kind)
	require.NoError(t, err)
	for _, res := range all {
		var v T
		require.NoError(t, Decode(res.Body, &v), "%s %s", kind, res.ID)
		out, err := Encode(&v)
		require.NoError(t, err)
		require.JSONEq(t, mustJSON(t, res.Body), mustJSON(t, out), "%s %s", kind, res.ID)
	}
}
