package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// migration is one schema step. Steps are only ever appended: a store
// remembers in schema_migrations which it has, and Open applies the rest
// in order, in one transaction.
type migration struct {
	version int
	sql     string // statements separated by ";\n"; {{BLOB}}, {{SERIAL}} per dialect
	// postgres holds statements run only on PostgreSQL, after sql.
	postgres string
}

var migrations = []migration{
	{1, `
CREATE TABLE config_state (
	id INTEGER PRIMARY KEY,
	version BIGINT NOT NULL
);
INSERT INTO config_state (id, version) VALUES (1, 0);
-- One row per trunk, extension, schedule or IVR: its JSON body as
-- written (the YAML model's fields), its version (the ETag), and the hash of
-- the file content it was last imported from.
CREATE TABLE resources (
	kind TEXT NOT NULL,
	id TEXT NOT NULL,
	body TEXT NOT NULL,
	version BIGINT NOT NULL,
	file_hash TEXT NOT NULL DEFAULT '',
	updated_at BIGINT NOT NULL,
	PRIMARY KEY (kind, id)
);
-- Uploaded prompts, already converted: 8 kHz mono 16-bit little-endian.
CREATE TABLE prompts (
	name TEXT PRIMARY KEY,
	pcm {{BLOB}} NOT NULL,
	samples BIGINT NOT NULL,
	peak_dbfs DOUBLE PRECISION NOT NULL,
	level_dbm0 DOUBLE PRECISION NOT NULL,
	version BIGINT NOT NULL,
	updated_at BIGINT NOT NULL
);
CREATE TABLE api_tokens (
	id {{SERIAL}},
	name TEXT NOT NULL,
	hash TEXT NOT NULL UNIQUE,
	scope TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	revoked_at BIGINT
);
CREATE TABLE audit_log (
	id {{SERIAL}},
	at BIGINT NOT NULL,
	who TEXT NOT NULL,
	action TEXT NOT NULL,
	kind TEXT NOT NULL,
	resource_id TEXT NOT NULL,
	before_version BIGINT NOT NULL,
	after_version BIGINT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
-- One row per call, inserted at the INVITE (state 'started') and completed
-- when it ends ('ended'); a row still 'started' when its node opens the
-- store again was cut off by a crash and becomes 'interrupted'. Lists are
-- JSON text (keys, transfers, quality): read whole, never queried inside.
CREATE TABLE call_records (
	call_id TEXT PRIMARY KEY,
	node TEXT NOT NULL,
	state TEXT NOT NULL,
	from_user TEXT NOT NULL,
	to_user TEXT NOT NULL,
	source TEXT NOT NULL,
	source_name TEXT NOT NULL DEFAULT '',
	invite_at BIGINT NOT NULL,
	answer_at BIGINT,
	end_at BIGINT,
	ivr TEXT NOT NULL DEFAULT '',
	path TEXT NOT NULL DEFAULT '',
	keys TEXT NOT NULL DEFAULT '[]',
	invalid INTEGER NOT NULL DEFAULT 0,
	timeouts INTEGER NOT NULL DEFAULT 0,
	schedule_branch TEXT NOT NULL DEFAULT '',
	transfers TEXT NOT NULL DEFAULT '[]',
	voicemail TEXT NOT NULL DEFAULT '',
	outcome TEXT NOT NULL DEFAULT '',
	end_reason TEXT NOT NULL DEFAULT '',
	ended_by TEXT NOT NULL DEFAULT '',
	quality TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX call_records_invite ON call_records (invite_at);
CREATE INDEX call_records_ivr ON call_records (ivr, invite_at);
-- Events waiting for webhook delivery (issue 11); kept until delivered.
CREATE TABLE webhook_outbox (
	id {{SERIAL}},
	event_id TEXT NOT NULL UNIQUE,
	call_id TEXT NOT NULL DEFAULT '',
	type TEXT NOT NULL,
	payload TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	attempts INTEGER NOT NULL DEFAULT 0,
	next_attempt_at BIGINT NOT NULL,
	delivered_at BIGINT,
	last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX webhook_outbox_due ON webhook_outbox (delivered_at, next_attempt_at)`, ""},
	// 2: the outbox as the webhooks use it (webhooks.go): one row per event
	// and target, delivered by the node that wrote it, in id order. The
	// table of step 1 was never written to, so it is replaced whole.
	{2, `
DROP TABLE webhook_outbox;
CREATE TABLE webhook_outbox (
	id {{SERIAL}},
	event_id TEXT NOT NULL,
	target TEXT NOT NULL,
	node TEXT NOT NULL,
	call_id TEXT NOT NULL DEFAULT '',
	type TEXT NOT NULL,
	payload TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	attempts INTEGER NOT NULL DEFAULT 0,
	next_attempt_at BIGINT NOT NULL,
	delivered_at BIGINT,
	last_error TEXT NOT NULL DEFAULT '',
	UNIQUE (event_id, target)
);
CREATE INDEX webhook_outbox_pending ON webhook_outbox (node, target, id) WHERE delivered_at IS NULL`, ""},
	// Several nodes on one store (cluster.go): each node's heartbeat, and
	// on PostgreSQL a NOTIFY on every configuration change, sent by the
	// database itself so that no writer (API, import, a future one) can
	// forget it; it is delivered when the change commits.
	{3, `
CREATE TABLE cluster_nodes (
	node TEXT PRIMARY KEY,
	started_at BIGINT NOT NULL,
	seen_at BIGINT NOT NULL
)`, `
CREATE FUNCTION ivrd_config_notify() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_notify('` + configChannel + `', NEW.version::text); RETURN NEW; END $$;
CREATE TRIGGER config_state_notify AFTER UPDATE OF version ON config_state FOR EACH ROW EXECUTE FUNCTION ivrd_config_notify()`},
	// 4: the call record's typed parts as columns (cdr.Record): the
	// outcome's kind, detail and flags, and the set of keys pressed, so
	// that filters compare columns instead of searching JSON text. Rows
	// written before are converted once here, from their one-line outcome
	// and their keys list.
	{4, `
ALTER TABLE call_records ADD COLUMN outcome_kind TEXT NOT NULL DEFAULT '';
ALTER TABLE call_records ADD COLUMN outcome_detail TEXT NOT NULL DEFAULT '';
ALTER TABLE call_records ADD COLUMN outcome_done INTEGER NOT NULL DEFAULT 0;
ALTER TABLE call_records ADD COLUMN outcome_operator INTEGER NOT NULL DEFAULT 0;
ALTER TABLE call_records ADD COLUMN key_set TEXT NOT NULL DEFAULT '';
UPDATE call_records SET key_set = CASE WHEN keys LIKE '%"key":"0"%' THEN '0' ELSE '' END || CASE WHEN keys LIKE '%"key":"1"%' THEN '1' ELSE '' END || CASE WHEN keys LIKE '%"key":"2"%' THEN '2' ELSE '' END || CASE WHEN keys LIKE '%"key":"3"%' THEN '3' ELSE '' END || CASE WHEN keys LIKE '%"key":"4"%' THEN '4' ELSE '' END || CASE WHEN keys LIKE '%"key":"5"%' THEN '5' ELSE '' END || CASE WHEN keys LIKE '%"key":"6"%' THEN '6' ELSE '' END || CASE WHEN keys LIKE '%"key":"7"%' THEN '7' ELSE '' END || CASE WHEN keys LIKE '%"key":"8"%' THEN '8' ELSE '' END || CASE WHEN keys LIKE '%"key":"9"%' THEN '9' ELSE '' END || CASE WHEN keys LIKE '%"key":"*"%' THEN '*' ELSE '' END || CASE WHEN keys LIKE '%"key":"#"%' THEN '#' ELSE '' END || CASE WHEN keys LIKE '%"key":"A"%' THEN 'A' ELSE '' END || CASE WHEN keys LIKE '%"key":"B"%' THEN 'B' ELSE '' END || CASE WHEN keys LIKE '%"key":"C"%' THEN 'C' ELSE '' END || CASE WHEN keys LIKE '%"key":"D"%' THEN 'D' ELSE '' END;
UPDATE call_records SET outcome_done = 1 WHERE outcome LIKE '% done';
UPDATE call_records SET outcome_operator = 1 WHERE outcome LIKE '% (operator)%';
UPDATE call_records SET outcome_kind = CASE
	WHEN outcome = 'caller hung up' THEN 'caller hung up'
	WHEN outcome LIKE 'transfer %' THEN 'transfer'
	WHEN outcome LIKE 'voicemail %' THEN 'voicemail'
	WHEN outcome LIKE 'hangup%' THEN 'hangup'
	WHEN outcome = '' THEN ''
	ELSE 'ended' END;
UPDATE call_records SET outcome_detail = CASE
	WHEN outcome_kind IN ('transfer', 'voicemail', 'hangup') AND length(outcome) > length(outcome_kind) THEN substr(outcome, length(outcome_kind) + 2)
	WHEN outcome LIKE 'ended: %' THEN substr(outcome, 8)
	WHEN outcome_kind = 'ended' THEN outcome
	ELSE '' END;
UPDATE call_records SET outcome_detail = substr(outcome_detail, 1, length(outcome_detail) - 5) WHERE outcome_done = 1 AND outcome_detail LIKE '% done';
UPDATE call_records SET outcome_detail = substr(outcome_detail, 1, length(outcome_detail) - 11) WHERE outcome_operator = 1 AND outcome_detail LIKE '% (operator)';
CREATE INDEX call_records_outcome ON call_records (outcome_kind, invite_at)`, ""},
	// 5: state a cluster shares for calls (shared.go): each voicemail
	// box's wrong-PIN count and lockout, each rotate group's next member.
	{5, `
CREATE TABLE pin_guard (
	box TEXT PRIMARY KEY,
	fails INTEGER NOT NULL DEFAULT 0,
	locked_until BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE group_rotation (
	group_id TEXT PRIMARY KEY,
	taken BIGINT NOT NULL DEFAULT 0
)`, ""},
	// 6: voicemail in the store (voicemail_db.go): every node plays every
	// message and greeting; 8 kHz mono 16-bit little-endian audio.
	{6, `
CREATE TABLE voicemail_messages (
	box TEXT NOT NULL,
	id TEXT NOT NULL,
	caller TEXT NOT NULL DEFAULT '',
	call_id TEXT NOT NULL DEFAULT '',
	at BIGINT NOT NULL,
	duration_ms BIGINT NOT NULL,
	reason TEXT NOT NULL DEFAULT '',
	old INTEGER NOT NULL DEFAULT 0,
	pcm {{BLOB}} NOT NULL,
	PRIMARY KEY (box, id)
);
CREATE INDEX voicemail_messages_at ON voicemail_messages (box, at);
CREATE TABLE voicemail_greetings (
	box TEXT PRIMARY KEY,
	pcm {{BLOB}} NOT NULL,
	updated_at BIGINT NOT NULL
)`, ""},
	// 7: queue agents' logins for the whole cluster (shared.go): an agent
	// logged out on one node is logged out on every node.
	{7, `
CREATE TABLE queue_agents (
	queue TEXT NOT NULL,
	agent TEXT NOT NULL,
	logged_in INTEGER NOT NULL,
	changed BIGINT NOT NULL,
	PRIMARY KEY (queue, agent)
)`, ""},
	// 8: an IVR's history and its draft (revisions.go). Every saved state
	// of an IVR is a revision (live writes and drafts alike); a draft is
	// the revision the editor works on without affecting calls until it
	// is published; a layout is where the editor's chart places its boxes.
	// IVRs stored before get their current body as revision 1.
	{8, `
CREATE TABLE ivr_revisions (
	ivr TEXT NOT NULL,
	n BIGINT NOT NULL,
	body TEXT NOT NULL,
	at BIGINT NOT NULL,
	who TEXT NOT NULL,
	action TEXT NOT NULL,
	changes TEXT NOT NULL DEFAULT '[]',
	restored_from BIGINT NOT NULL DEFAULT 0,
	live_version BIGINT NOT NULL DEFAULT 0,
	published_at BIGINT,
	published_by TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (ivr, n)
);
INSERT INTO ivr_revisions (ivr, n, body, at, who, action, live_version, published_at)
	SELECT id, 1, body, updated_at, '', 'stored', version, updated_at FROM resources WHERE kind = 'ivrs';
CREATE TABLE ivr_drafts (
	ivr TEXT PRIMARY KEY,
	revision BIGINT NOT NULL,
	base_version BIGINT NOT NULL
);
CREATE TABLE ivr_layouts (
	ivr TEXT PRIMARY KEY,
	positions TEXT NOT NULL,
	updated_at BIGINT NOT NULL
)`, ""},
	// 9: the index of call recordings (recordings.go): the audio is a
	// WAV file on the disk of the node that recorded it.
	{9, `
CREATE TABLE recordings (
	id TEXT PRIMARY KEY,
	call_id TEXT NOT NULL,
	node TEXT NOT NULL DEFAULT '',
	path TEXT NOT NULL,
	start_at BIGINT NOT NULL,
	duration_ms BIGINT NOT NULL,
	bytes BIGINT NOT NULL,
	format TEXT NOT NULL,
	channels INTEGER NOT NULL,
	rate INTEGER NOT NULL,
	stopped TEXT NOT NULL DEFAULT ''
);
CREATE INDEX recordings_call ON recordings (call_id);
CREATE INDEX recordings_start ON recordings (start_at)`, ""},
	// 10: which way a call went: inbound (the caller called ivrd) or
	// outbound (placed through the API).
	{10, `
ALTER TABLE call_records ADD COLUMN direction TEXT NOT NULL DEFAULT 'inbound'`, ""},
	// 11: the registrar's bindings (bindings.go), shared by every node
	// of a cluster: a phone registered through one node is called from
	// any. path holds the REGISTER's Path values, one a line.
	{11, `
CREATE TABLE sip_bindings (
	aor TEXT NOT NULL,
	contact TEXT NOT NULL,
	path TEXT NOT NULL DEFAULT '',
	source TEXT NOT NULL DEFAULT '',
	node TEXT NOT NULL DEFAULT '',
	expires_at BIGINT NOT NULL,
	PRIMARY KEY (aor, contact)
);
CREATE INDEX sip_bindings_contact ON sip_bindings (contact);
CREATE INDEX sip_bindings_expires ON sip_bindings (expires_at)`, ""},
	// 12: conference rooms' recordings beside the calls' (recordings.go):
	// the room and its session (first join to last leave); call_id is ''.
	{12, `
ALTER TABLE recordings ADD COLUMN conference TEXT NOT NULL DEFAULT '';
ALTER TABLE recordings ADD COLUMN session TEXT NOT NULL DEFAULT '';
CREATE INDEX recordings_conference ON recordings (conference)`, ""},
}

// migrate applies the migrations this store has not had yet. On
// PostgreSQL an advisory lock keeps two nodes starting together from
// applying the same step twice; SQLite's BEGIN IMMEDIATE does the same.
func (s *Store) migrate(ctx context.Context) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if s.dialect.name() == "postgres" {
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7412001)`); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
			return fmt.Errorf("schema_migrations: %w", err)
		}
		var have int
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&have); err != nil {
			return err
		}
		if have > migrations[len(migrations)-1].version {
			return fmt.Errorf("the store's schema is version %d, newer than this ivrd knows (%d): run a newer ivrd",
				have, migrations[len(migrations)-1].version)
		}
		for _, m := range migrations {
			if m.version <= have {
				continue
			}
			text := m.sql
			if s.dialect.name() == "postgres" && m.postgres != "" {
				text += ";\n" + m.postgres
			}
			for _, stmt := range strings.Split(s.dialect.types().Replace(text), ";\n") {
				if strings.TrimSpace(stmt) == "" {
					continue
				}
				if _, err := tx.ExecContext(ctx, stmt); err != nil {
					return fmt.Errorf("migration %d: %w", m.version, err)
				}
			}
			if _, err := s.exec(ctx, tx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`, m.version, time.Now().UnixMilli()); err != nil {
				return err
			}
			s.log.Info("store migrated", "version", m.version, "backend", s.dialect.name())
		}
		return nil
	})
}

// SchemaVersion is the newest migration applied.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}
