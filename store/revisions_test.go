package store

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every save of an IVR is a revision; a draft changes nothing calls get
// until it is published; an older revision can be made live again.
func TestRevisionsDraftsPublishRestore(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := openTest(t, url)
		importExample(t, s)
		live, err := s.Get(ctx, IVRs, "main")
		require.NoError(t, err)
		revs, err := s.Revisions(ctx, "main")
		require.NoError(t, err)
		require.Len(t, revs, 1)
		assert.Equal(t, "import", revs[0].Action)
		assert.Equal(t, []string{"created"}, revs[0].Changes)
		assert.Equal(t, live.Version, revs[0].LiveVersion)

		// A live edit (PUT, as API clients do) is revision 2, published.
		b := live.Body
		b["response_timeout"] = "7s"
		_, err = s.Put(ctx, "alice", IVRs, "main", b, live.Version)
		require.NoError(t, err)

		// A draft: validated, stored as revision 3, but the configuration
		// calls get (and its version) stay as they were.
		_, cfgVersion, err := s.Config(ctx)
		require.NoError(t, err)
		draft := body(t, `{"id":"main","prompt":"main-choices","extensions":["100"],"keys":{"1":"hangup","9":{"ivr":"support"}}}`)
		d, _, err := s.SaveDraft(ctx, "bob", "main", draft, 2)
		require.NoError(t, err)
		assert.EqualValues(t, 3, d.Revision)
		assert.EqualValues(t, 2, d.BaseVersion)
		cfg, v, err := s.Config(ctx)
		require.NoError(t, err)
		assert.Equal(t, cfgVersion, v, "a draft changes no configuration version")
		assert.NotContains(t, cfg.IVRByID("main").Keys, "9", "calls do not get the draft")
		got, err := s.Draft(ctx, "main")
		require.NoError(t, err)
		assert.Equal(t, "bob", got.Who)
		assert.Contains(t, got.Body["keys"], "9")

		// An invalid draft is refused whole, like a live write.
		_, _, err = s.SaveDraft(ctx, "bob", "main", body(t, `{"id":"main","keys":{"1":{"ivr":"nowhere"}}}`), 0)
		var verr *ValidationError
		require.ErrorAs(t, err, &verr)
		// A draft based on an old version is refused.
		_, _, err = s.SaveDraft(ctx, "bob", "main", draft, 1)
		require.ErrorIs(t, err, ErrConflict)

		revs, err = s.Revisions(ctx, "main")
		require.NoError(t, err)
		require.Len(t, revs, 3)
		assert.Equal(t, "draft", revs[0].Action)
		assert.Zero(t, revs[0].LiveVersion)
		assert.Contains(t, revs[0].Changes, "key 9 added")
		assert.Contains(t, revs[1].Changes, "response_timeout changed")
		assert.Equal(t, "alice", revs[1].Who)

		// Publish: live now, the draft gone, revision 3 marked published.
		res, err := s.Publish(ctx, "carol", "main", 2)
		require.NoError(t, err)
		assert.EqualValues(t, 3, res.Resources[0].Version)
		cfg, _, err = s.Config(ctx)
		require.NoError(t, err)
		assert.Contains(t, cfg.IVRByID("main").Keys, "9")
		_, err = s.Draft(ctx, "main")
		require.ErrorIs(t, err, ErrNotFound)
		r3, err := s.Revision(ctx, "main", 3)
		require.NoError(t, err)
		assert.EqualValues(t, 3, r3.LiveVersion)
		assert.Equal(t, "carol", r3.PublishedBy)
		_, err = s.Publish(ctx, "carol", "main", 0)
		require.ErrorIs(t, err, ErrNotFound, "nothing left to publish")

		// A draft whose base moved on cannot be published.
		_, _, err = s.SaveDraft(ctx, "bob", "main", draft, 0)
		require.NoError(t, err)
		b["response_timeout"] = "8s"
		_, err = s.Put(ctx, "alice", IVRs, "main", b, 0)
		require.NoError(t, err)
		_, err = s.Publish(ctx, "carol", "main", 0)
		require.ErrorIs(t, err, ErrConflict)

		// Roll back to revision 2: live again, a new revision says so,
		// and the pending draft is dropped.
		res, err = s.Restore(ctx, "dave", "main", 2, 0)
		require.NoError(t, err)
		cfg, _, err = s.Config(ctx)
		require.NoError(t, err)
		assert.NotContains(t, cfg.IVRByID("main").Keys, "9")
		assert.Equal(t, "7s", cfg.IVRByID("main").ResponseTimeout.D().String())
		revs, err = s.Revisions(ctx, "main")
		require.NoError(t, err)
		assert.Equal(t, "restore", revs[0].Action)
		assert.EqualValues(t, 2, revs[0].RestoredFrom)
		assert.Equal(t, res.Resources[0].Version, revs[0].LiveVersion)
		_, err = s.Draft(ctx, "main")
		require.ErrorIs(t, err, ErrNotFound)
		_, err = s.Restore(ctx, "dave", "main", 99, 0)
		require.ErrorIs(t, err, ErrNotFound)

		audit, err := s.Audit(ctx, 0, 20)
		require.NoError(t, err)
		var actions []string
		for _, a := range audit {
			actions = append(actions, a.Who+":"+a.Action)
		}
		assert.Subset(t, actions, []string{"bob:draft", "carol:publish", "dave:restore"})
	})
}

// A chart's layout is kept with its IVR and goes with it.
func TestLayoutSavedAndDropped(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := openTest(t, url)
		importExample(t, s)
		pos, _, err := s.Layout(ctx, "support")
		require.NoError(t, err)
		assert.Empty(t, pos)
		want := map[string]NodePosition{"menu:support": {X: 10, Y: 20.5}, "entry": {X: -3, Y: 0}}
		require.NoError(t, s.SaveLayout(ctx, "alice", "support", want))
		pos, _, err = s.Layout(ctx, "support")
		require.NoError(t, err)
		assert.Equal(t, want, pos)
		require.ErrorIs(t, s.SaveLayout(ctx, "alice", "nope", want), ErrNotFound)
		require.ErrorIs(t, s.SaveLayout(ctx, "alice", "support", map[string]NodePosition{"": {}}), ErrBadInput)
		require.NoError(t, s.SaveLayout(ctx, "alice", "support", nil))
		pos, _, err = s.Layout(ctx, "support")
		require.NoError(t, err)
		assert.Empty(t, pos, "an empty layout is the automatic one again")
	})
}

func TestIVRChanges(t *testing.T) {
	a := map[string]any{"prompt": "p", "keys": map[string]any{"1": "hangup", "2": map[string]any{"ivr": "x"}}}
	b := map[string]any{"prompt": "q", "greeting": "g", "keys": map[string]any{"2": map[string]any{"ivr": "y"}, "3": "repeat"}}
	assert.Equal(t, []string{"key 1 removed", "key 2 changed", "key 3 added", "greeting added", "prompt changed"}, IVRChanges(a, b))
	assert.Equal(t, []string{"no change"}, IVRChanges(a, a))
	assert.Equal(t, []string{"created"}, IVRChanges(nil, a))
}

// An IVR stored before migration 8 gets its body as revision 1, live.
func TestMigrationGivesStoredIVRsTheirFirstRevision(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := openTest(t, url)
		_, err := s.exec(ctx, s.db, `INSERT INTO resources (kind, id, body, version, updated_at) VALUES ('ivrs', 'old', ?, 4, 1000)`,
			`{"id":"old","prompt":"main-choices","keys":{"1":"hangup"}}`)
		require.NoError(t, err)
		var m8 migration
		for _, m := range migrations {
			if m.version == 8 {
				m8 = m
			}
		}
		for _, stmt := range strings.Split(m8.sql, ";\n") {
			if strings.HasPrefix(strings.TrimSpace(stmt), "INSERT") {
				_, err := s.db.ExecContext(ctx, stmt)
				require.NoError(t, err, stmt)
			}
		}
		revs, err := s.Revisions(ctx, "old")
		require.NoError(t, err)
		require.Len(t, revs, 1)
		assert.Equal(t, "stored", revs[0].Action)
		assert.EqualValues(t, 4, revs[0].LiveVersion)
		require.NotNil(t, revs[0].PublishedAt)
		r, err := s.Revision(ctx, "old", 1)
		require.NoError(t, err)
		assert.Equal(t, "main-choices", r.Body["prompt"])
	})
}
