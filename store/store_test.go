package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/cdr"
	"github.com/ivrd/ivrd/examples"
	"github.com/ivrd/ivrd/prompts"
	"github.com/ivrd/ivrd/store/storetest"
)

// backends runs f once against a fresh SQLite file and once against a
// fresh PostgreSQL database (skipped, saying why, when no server answers).
func backends(t *testing.T, f func(t *testing.T, url string)) {
	t.Run("sqlite", func(t *testing.T) {
		f(t, "sqlite://"+filepath.Join(t.TempDir(), "ivrd.db"))
	})
	t.Run("postgres", func(t *testing.T) {
		f(t, storetest.Postgres(t))
	})
}

func openTest(t *testing.T, url string) *Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := Open(ctx, url, Options{})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

// importExample loads the bundled example as `make run` does.
func importExample(t *testing.T, s *Store) WriteResult {
	t.Helper()
	res, err := s.Import(context.Background(), "file", examples.Main, "", prompts.Builtin().Names())
	require.NoError(t, err)
	return res
}

func body(t *testing.T, js string) map[string]any {
	t.Helper()
	m, err := DecodeBody([]byte(js))
	require.NoError(t, err)
	return m
}

func TestMigrationsAndReopen(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := openTest(t, url)
		v, err := s.SchemaVersion(ctx)
		require.NoError(t, err)
		require.Equal(t, migrations[len(migrations)-1].version, v, "every migration applied")
		importExample(t, s)
		_, err = s.Put(ctx, "t", IVRs, "extra", body(t, `{"prompt":"main-choices","extensions":["555"],"keys":{"1":"hangup"}}`), 0)
		require.NoError(t, err)
		s.Close()

		// Reopened: nothing re-migrated, everything still there, and the
		// same file imported again leaves the API's IVR and edits alone.
		s2 := openTest(t, url)
		res := importExample(t, s2)
		require.False(t, res.Changed, "re-importing an unchanged file changes nothing")
		cfg, _, err := s2.Config(ctx)
		require.NoError(t, err)
		require.NotNil(t, cfg.IVRByID("extra"))
		require.NotNil(t, cfg.IVRByID("main"))
	})
}

func TestCRUDVersionsAndConflicts(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := openTest(t, url)
		importExample(t, s)
		r, err := s.Get(ctx, IVRs, "main")
		require.NoError(t, err)
		require.EqualValues(t, 1, r.Version)

		b := r.Body
		b["response_timeout"] = "7s"
		res, err := s.Put(ctx, "alice", IVRs, "main", b, 1)
		require.NoError(t, err)
		require.EqualValues(t, 2, res.Resources[0].Version)

		// A writer still holding version 1 loses, and changes nothing.
		b["response_timeout"] = "9s"
		_, err = s.Put(ctx, "bob", IVRs, "main", b, 1)
		require.ErrorIs(t, err, ErrConflict)
		cfg, _, err := s.Config(ctx)
		require.NoError(t, err)
		require.Equal(t, 7*time.Second, cfg.IVRByID("main").ResponseTimeout.D())

		_, err = s.Create(ctx, "alice", IVRs, body(t, `{"id":"main","prompt":"welcome"}`))
		require.ErrorIs(t, err, ErrExists)
		_, err = s.Delete(ctx, "alice", IVRs, "nope", 0)
		require.ErrorIs(t, err, ErrNotFound)

		audit, err := s.Audit(ctx, 0, 10)
		require.NoError(t, err)
		require.Equal(t, "alice", audit[0].Who)
		require.EqualValues(t, 1, audit[0].BeforeVersion)
		require.EqualValues(t, 2, audit[0].AfterVersion)
	})
}

func TestInvalidChangeIsRefusedWhole(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := openTest(t, url)
		importExample(t, s)
		before, _ := s.ConfigVersion(ctx)
		// Two problems in one body: both reported, with their paths.
		_, err := s.Put(ctx, "t", IVRs, "bad", body(t, `{"prompt":"main-choices","prompt_repeat":9,"extensions":["777"],"keys":{"4":{"ivr":"sales2"}}}`), 0)
		var verr *ValidationError
		require.ErrorAs(t, err, &verr)
		msgs := verr.Error()
		require.Contains(t, msgs, `ivrs[bad].keys.4: unknown ivr "sales2"`)
		require.Contains(t, msgs, "ivrs[bad].prompt_repeat")
		_, err = s.Get(ctx, IVRs, "bad")
		require.ErrorIs(t, err, ErrNotFound)
		after, _ := s.ConfigVersion(ctx)
		require.Equal(t, before, after)

		// A menu still referred to cannot be deleted.
		_, err = s.Delete(ctx, "t", IVRs, "support", 0)
		require.ErrorIs(t, err, ErrInvalid)

		// Shape errors name the field.
		_, err = s.Put(ctx, "t", IVRs, "x", body(t, `{"prompt_repeat":"three"}`), 0)
		require.ErrorIs(t, err, ErrBadInput)
		require.Contains(t, err.Error(), "prompt_repeat: want an integer, got a string")
		_, err = s.Put(ctx, "t", IVRs, "x", body(t, `{"keys":{"1":{"urii":"x"}}}`), 0)
		require.Contains(t, err.Error(), "keys.1.urii: unknown destination field")
	})
}

func TestSecretsKeptWhenOmitted(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := openTest(t, url)
		importExample(t, s)
		_, err := s.Put(ctx, "t", Trunks, "pstn", body(t, `{"uri":"sip:gw.example.net","username":"u","password":"s3cret"}`), 0)
		require.NoError(t, err)
		_, err = s.Put(ctx, "t", Trunks, "pstn", body(t, `{"uri":"sip:gw2.example.net","username":"u"}`), 0)
		require.NoError(t, err)
		cfg, _, err := s.Config(ctx)
		require.NoError(t, err)
		require.Equal(t, "s3cret", cfg.TrunkByName("pstn").Password)
		require.Equal(t, "sip:gw2.example.net", cfg.TrunkByName("pstn").URI)
	})
}

// Writers racing on one resource with If-Match: each update either lands
// or reports a conflict; none is lost silently.
func TestConcurrentWritersNoLostUpdate(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := openTest(t, url)
		importExample(t, s)
		r0, err := s.Get(ctx, IVRs, "main")
		require.NoError(t, err)
		start := len(r0.Body["extensions"].([]any))
		const writers = 8
		var landed atomic.Int64
		errs := make(chan error, writers)
		for i := 0; i < writers; i++ {
			go func(i int) {
				for {
					r, err := s.Get(ctx, IVRs, "main")
					if err != nil {
						errs <- err
						return
					}
					r.Body["extensions"] = append(r.Body["extensions"].([]any), fmt.Sprintf("9%02d", i))
					_, err = s.Put(ctx, fmt.Sprintf("w%d", i), IVRs, "main", r.Body, r.Version)
					if errors.Is(err, ErrConflict) {
						continue // re-read and try again, as a client does on 412
					}
					if err == nil {
						landed.Add(1)
					}
					errs <- err
					return
				}
			}(i)
		}
		for i := 0; i < writers; i++ {
			require.NoError(t, <-errs)
		}
		r, err := s.Get(ctx, IVRs, "main")
		require.NoError(t, err)
		require.Len(t, r.Body["extensions"], start+writers, "every writer's extension is there")
		require.EqualValues(t, 1+writers, r.Version)
	})
}

func TestSubscribeHearsChanges(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := openTest(t, url)
		importExample(t, s)
		ch, cancel := s.Subscribe()
		defer cancel()
		res, err := s.Put(ctx, "t", Schedules, "always", body(t, `{"timezone":"UTC"}`), 0)
		require.NoError(t, err)
		select {
		case v := <-ch:
			require.Equal(t, res.Version, v)
		case <-time.After(5 * time.Second):
			t.Fatal("no notification")
		}
	})
}

func TestImportFileEditWinsUnchangedFileKeepsAPIEdit(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := openTest(t, url)
		importExample(t, s)
		r, _ := s.Get(ctx, IVRs, "main")
		r.Body["digit_timeout"] = "4s"
		_, err := s.Put(ctx, "api", IVRs, "main", r.Body, r.Version)
		require.NoError(t, err)
		// Same file again: the API edit stays.
		importExample(t, s)
		cfg, _, _ := s.Config(ctx)
		require.Equal(t, 4*time.Second, cfg.IVRByID("main").DigitTimeout.D())
		// The file edited: its version of main wins.
		edited := strings.Replace(string(examples.Main), "id: main", "id: main\n    digit_timeout: 2s", 1)
		require.NotEqual(t, string(examples.Main), edited)
		_, err = s.Import(ctx, "file", []byte(edited), "", prompts.Builtin().Names())
		require.NoError(t, err)
		cfg, _, _ = s.Config(ctx)
		require.Equal(t, 2*time.Second, cfg.IVRByID("main").DigitTimeout.D())
	})
}

func TestExportRoundTrip(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := openTest(t, url)
		importExample(t, s)
		_, err := s.Put(ctx, "t", Extensions, "1001", body(t, `{"name":"Alice","password":"pw"}`), 0)
		require.NoError(t, err)
		y, err := s.ExportYAML(ctx)
		require.NoError(t, err)
		// A fresh store imports the export and composes the same config.
		s2 := openTest(t, "sqlite://"+filepath.Join(t.TempDir(), "again.db"))
		_, err = s2.Import(ctx, "file", y, "", prompts.Builtin().Names())
		require.NoError(t, err, string(y))
		a, _ := s.ExportJSON(ctx)
		b, _ := s2.ExportJSON(ctx)
		require.JSONEq(t, string(a), string(b))
	})
}

func TestTokens(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := openTest(t, url)
		tok, info, err := s.CreateToken(ctx, "ci", "read")
		require.NoError(t, err)
		require.Equal(t, "read", info.Scope)
		got, err := s.LookupToken(ctx, HashToken(tok))
		require.NoError(t, err)
		require.Equal(t, "ci", got.Name)
		_, _, err = s.CreateToken(ctx, "ci", "write")
		require.ErrorIs(t, err, ErrExists)
		require.NoError(t, s.RevokeToken(ctx, "ci"))
		_, err = s.LookupToken(ctx, HashToken(tok))
		require.ErrorIs(t, err, ErrNotFound)
		require.ErrorIs(t, s.RevokeToken(ctx, "ci"), ErrNotFound)
	})
}

func TestPrompts(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := openTest(t, url)
		importExample(t, s)
		tone := prompts.Tone("x", 440, 0, -20, 500, 0)
		info, err := s.PutPrompt(ctx, "t", "hello", tone.PCM[:4000], 0)
		require.NoError(t, err)
		require.Equal(t, 500*time.Millisecond, info.Duration())
		require.InDelta(t, -20, info.ActiveDBm0, 1.5)
		// A menu can now play it; while it does, the prompt cannot go.
		r, _ := s.Get(ctx, IVRs, "main")
		r.Body["greeting"] = "hello"
		_, err = s.Put(ctx, "t", IVRs, "main", r.Body, 0)
		require.NoError(t, err)
		require.ErrorIs(t, s.DeletePrompt(ctx, "t", "hello", 0), ErrInvalid)
		lib, err := s.PromptLibrary(ctx, prompts.Builtin())
		require.NoError(t, err)
		p, ok := lib.Get("hello")
		require.True(t, ok)
		require.Equal(t, 500*time.Millisecond, p.Duration())
		_, err = s.PutPrompt(ctx, "t", "../etc", tone.PCM, 0)
		require.ErrorIs(t, err, ErrBadInput)
	})
}

func TestCallRecordsCrashSafe(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := openTest(t, url)
		now := time.Now().UTC().Truncate(time.Millisecond)
		require.NoError(t, s.CallStarted(ctx, cdr.Record{CallID: "a", Node: "n1", From: "200", To: "100", Source: cdr.SourceUnknown, InviteAt: now}))
		require.NoError(t, s.CallStarted(ctx, cdr.Record{CallID: "b", Node: "n1", From: "201", To: "100", Source: cdr.SourceUnknown, InviteAt: now}))
		end := now.Add(time.Minute)
		require.NoError(t, s.CallEnded(ctx, cdr.Record{CallID: "a", IVR: "main", Path: cdr.Path{"main", "support"}, EndAt: &end, EndReason: cdr.EndCallerHangup, EndedBy: cdr.EndedByCaller}))
		// The process "crashed" with b in progress: reopening settles it.
		cut, err := s.MarkInterrupted(ctx, "n1")
		require.NoError(t, err)
		require.Equal(t, []string{"b"}, cut)
		a, err := s.Call(ctx, "a")
		require.NoError(t, err)
		require.Equal(t, cdr.StateEnded, a.State)
		require.Equal(t, cdr.Path{"main", "support"}, a.Path)
		b, err := s.Call(ctx, "b")
		require.NoError(t, err)
		require.Equal(t, cdr.StateInterrupted, b.State)
	})
}
