package store

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/cdr"
)

// Rows written before the record had typed columns (a one-line outcome,
// keys only as JSON) read back typed after migration 4's conversion, and
// the filters find them.
func TestMigrationConvertsOldCallRecords(t *testing.T) {
	backends(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s, err := Open(ctx, url, Options{})
		require.NoError(t, err)
		defer s.Close()
		for _, row := range []struct{ id, outcome, keys string }{
			{"old-1", "transfer uri sip:sales@pbx (operator) done", `[{"key":"1","at_ms":900,"method":"rfc4733"},{"key":"#","at_ms":2000,"method":"inband"}]`},
			{"old-2", "hangup failure", `[]`},
			{"old-3", "ended: session timer expired", `[{"key":"5","at_ms":1,"method":"info"}]`},
		} {
			_, err := s.exec(ctx, s.db, `INSERT INTO call_records (call_id, node, state, from_user, to_user, source, invite_at, keys, outcome)
				VALUES (?, 'n', 'ended', 'a', '100', 'unknown', 1, ?, ?)`, row.id, row.keys, row.outcome)
			require.NoError(t, err)
		}
		// Migration 4's conversion, as it ran on a store that had such rows.
		var m4 migration
		for _, m := range migrations {
			if m.version == 4 {
				m4 = m
			}
		}
		for _, stmt := range strings.Split(m4.sql, ";\n") {
			if strings.HasPrefix(strings.TrimSpace(stmt), "UPDATE") {
				_, err := s.db.ExecContext(ctx, stmt)
				require.NoError(t, err, stmt)
			}
		}
		one, err := s.Call(ctx, "old-1")
		require.NoError(t, err)
		assert.Equal(t, cdr.Outcome{Kind: cdr.OutcomeTransfer, Detail: "uri sip:sales@pbx", Done: true, Operator: true}, one.Outcome)
		assert.Equal(t, "1#", one.KeySet())
		three, err := s.Call(ctx, "old-3")
		require.NoError(t, err)
		assert.Equal(t, cdr.Outcome{Kind: cdr.OutcomeEnded, Detail: "session timer expired"}, three.Outcome)
		rows, _, err := s.CallHistory(ctx, CallFilter{Key: "#"})
		require.NoError(t, err)
		require.Len(t, rows, 1)
		assert.Equal(t, "old-1", rows[0].CallID)
		rows, _, err = s.CallHistory(ctx, CallFilter{Outcome: cdr.OutcomeHangup})
		require.NoError(t, err)
		require.Len(t, rows, 1)
		assert.Equal(t, "failure", rows[0].Outcome.Detail)
	})
}
