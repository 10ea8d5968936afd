package sqlite

import (
	"context"
	"fmt"
	"time"
)

// migrations are applied in order, each once, version i+1 being
// migrations[i]. Only ever append: an applied migration must not change.
//
// Times are INTEGER Unix microseconds, UTC.
var migrations = []string{
	// 1: the queue, the dead letters and the per-fingerprint records.
	`
CREATE TABLE jobs (
	id          INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused: "job:<id>" groups and dead_jobs ids stay unique
	kind        TEXT    NOT NULL,
	fingerprint TEXT    NOT NULL,                  -- "job:<id>" when the delivery had none
	payload     BLOB    NOT NULL,
	received_at INTEGER NOT NULL,
	not_before  INTEGER NOT NULL,                  -- when it is due: received_at, or later if delayed or retried
	attempts    INTEGER NOT NULL DEFAULT 0,
	last_error  TEXT    NOT NULL DEFAULT '',
	batch_seq   INTEGER                            -- fingerprints.lease_seq of the lease it was handed out under
);
CREATE INDEX jobs_fingerprint_received ON jobs (fingerprint, received_at, id); -- a batch, oldest first
CREATE INDEX jobs_fingerprint_due ON jobs (fingerprint, not_before, id);       -- a fingerprint's queue head
CREATE INDEX jobs_kind_fingerprint ON jobs (kind, fingerprint);                -- Unique's twin
CREATE INDEX jobs_due ON jobs (not_before, received_at);                       -- Stats

-- One row per fingerprint that has jobs: its earliest due job. Next walks
-- this, not the jobs, so the jobs of a leased fingerprint (a storm of
-- thousands, say) cost nothing to pass over.
CREATE TABLE queue_heads (
	fingerprint TEXT    PRIMARY KEY,
	due_at      INTEGER NOT NULL,                  -- min(not_before) of its jobs
	job_id      INTEGER NOT NULL                   -- the job due then (the lowest id on a tie)
) WITHOUT ROWID;
CREATE INDEX queue_heads_due ON queue_heads (due_at, job_id);

CREATE TABLE dead_jobs (
	id          INTEGER PRIMARY KEY,               -- the job's id
	kind        TEXT    NOT NULL,
	fingerprint TEXT    NOT NULL,
	payload     BLOB    NOT NULL,
	received_at INTEGER NOT NULL,
	attempts    INTEGER NOT NULL,
	last_error  TEXT    NOT NULL,
	died_at     INTEGER NOT NULL
);
CREATE INDEX dead_jobs_died ON dead_jobs (died_at, id);

CREATE TABLE fingerprints (
	fingerprint TEXT    PRIMARY KEY,
	jira_key    TEXT    NOT NULL DEFAULT '',
	state       BLOB,                              -- the bot's JSON; NULL until first written
	lease_owner TEXT,                              -- NULL: not leased
	lease_until INTEGER NOT NULL,                  -- end of the current or last lease; kept on release
	lease_seq   INTEGER NOT NULL DEFAULT 0,        -- counts leases; marks the jobs handed out
	created_at  INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX fingerprints_leased ON fingerprints (lease_until) WHERE lease_owner IS NOT NULL;
`,
	// 2: comment mirrors, delivery ids seen, cursors and named leases;
	// finding a fingerprint by its Jira key.
	`
-- Partial: most records have no key yet, and nobody looks up "". A query
-- must say jira_key <> '' for SQLite to use it.
CREATE INDEX fingerprints_jira_key ON fingerprints (jira_key) WHERE jira_key <> '';

CREATE TABLE mirrors (
	source     TEXT    NOT NULL,             -- "jira", "sentry", "guance"
	source_id  TEXT    NOT NULL,
	target     TEXT    NOT NULL,
	target_id  TEXT    NOT NULL DEFAULT '',  -- '' while the copy is being written
	digest     TEXT    NOT NULL DEFAULT '',
	deleted    INTEGER NOT NULL DEFAULT 0,
	updated_at INTEGER NOT NULL,
	PRIMARY KEY (source, source_id, target)
) WITHOUT ROWID;
CREATE INDEX mirrors_target ON mirrors (target, target_id); -- a copy coming back

-- Delivery ids (webhook retries carry the same one), forgotten after a while.
CREATE TABLE seen (
	id      TEXT    PRIMARY KEY,
	seen_at INTEGER NOT NULL                 -- when first recorded
) WITHOUT ROWID;
CREATE INDEX seen_seen_at ON seen (seen_at);

CREATE TABLE cursors (
	name       TEXT    PRIMARY KEY,
	value      TEXT    NOT NULL,
	updated_at INTEGER NOT NULL
) WITHOUT ROWID;

-- One row per named lease (a poller that must run in one process at a time).
CREATE TABLE leases (
	name  TEXT    PRIMARY KEY,
	owner TEXT    NOT NULL,
	until INTEGER NOT NULL                   -- free once until <= now
) WITHOUT ROWID;
`,
	// 3: what stored deliveries reported (Delivery.Once), so a copy is
	// stored once. Each row says until when it counts, so ids kept for
	// different lengths of time share the table.
	`
CREATE TABLE once_ids (
	id    TEXT    PRIMARY KEY,
	until INTEGER NOT NULL                   -- a copy received before this is a duplicate
) WITHOUT ROWID;
CREATE INDEX once_ids_until ON once_ids (until);
`,
	// 4: snapshots (the dashboard's last reading of Jira), each kept whole.
	`
CREATE TABLE snapshots (
	name     TEXT    PRIMARY KEY,
	data     BLOB    NOT NULL,
	taken_at INTEGER NOT NULL                -- when the data was read from its source
) WITHOUT ROWID;
`,
}

// migrate brings the schema up to date. It runs in one write transaction
// (BEGIN IMMEDIATE holds the write lock), so two processes opening the
// same file at once apply each migration once: the second waits for the
// lock and then finds the versions recorded.
func (s *Store) migrate(ctx context.Context) error {
	if err := s.w.begin(ctx); err != nil {
		return fmt.Errorf("migrate: begin: %w", err)
	}
	err := func() error {
		if _, err := s.w.conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER PRIMARY KEY,
	applied_at INTEGER NOT NULL
)`); err != nil {
			return err
		}
		applied := map[int]bool{}
		rows, err := s.w.conn.QueryContext(ctx, "SELECT version FROM schema_migrations")
		if err != nil {
			return err
		}
		for rows.Next() {
			var v int
			if err := rows.Scan(&v); err != nil {
				rows.Close()
				return err
			}
			applied[v] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for i, m := range migrations {
			v := i + 1
			if applied[v] {
				continue
			}
			if _, err := s.w.conn.ExecContext(ctx, m); err != nil {
				return fmt.Errorf("migration %d: %w", v, err)
			}
			if _, err := s.w.conn.ExecContext(ctx, "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)", v, us(time.Now())); err != nil {
				return fmt.Errorf("migration %d: %w", v, err)
			}
		}
		return nil
	}()
	if err != nil {
		s.w.rollback()
		return fmt.Errorf("migrate: %w", err)
	}
	if _, err := s.w.conn.ExecContext(ctx, "COMMIT"); err != nil {
		s.w.rollback()
		return fmt.Errorf("migrate: commit: %w", err)
	}
	return nil
}
