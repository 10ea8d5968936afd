package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/fixproof/fixproof/internal/store"
)

// Each write here is one atomic upsert, like Next's lease: Postgres
// row-locks the existing row (or the key being inserted) and evaluates the
// DO UPDATE's WHERE on its latest committed version, so of two MarkSeen of
// one id, or two TryLease of one name by different owners, on any
// replicas, exactly one gets a row back; the other waits for its commit
// and then gets nothing.
const (
	// qLookupByJiraKey says jira_key <> '' so that the partial index
	// applies. Should two records hold one key, the one updated last wins.
	qLookupByJiraKey = `
SELECT fingerprint, state, created_at, updated_at FROM fingerprints
WHERE jira_key = $1 AND jira_key <> ''
ORDER BY updated_at DESC, fingerprint LIMIT 1`

	qLookupMirror = `
SELECT target_id, digest, deleted, updated_at FROM mirrors
WHERE source = $1 AND source_id = $2 AND target = $3`

	// qLookupMirrorByTarget: (target, target_id) is not unique in the
	// schema; should two records share a copy, the one saved last wins.
	qLookupMirrorByTarget = `
SELECT source, source_id, digest, deleted, updated_at FROM mirrors
WHERE target = $1 AND target_id = $2
ORDER BY updated_at DESC, source, source_id LIMIT 1`

	qSaveMirror = `
INSERT INTO mirrors (source, source_id, target, target_id, digest, deleted, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, coalesce($7, now()))
ON CONFLICT (source, source_id, target) DO UPDATE SET
	target_id = EXCLUDED.target_id, digest = EXCLUDED.digest,
	deleted = EXCLUDED.deleted, updated_at = EXCLUDED.updated_at`

	// qMarkSeen records an id, or records it again if it was seen before
	// $3 (forgotten, though not yet purged); it returns a row only then.
	qMarkSeen = `
INSERT INTO seen AS s (id, seen_at) VALUES ($1, $2)
ON CONFLICT (id) DO UPDATE SET seen_at = EXCLUDED.seen_at WHERE s.seen_at < $3
RETURNING true`

	// qPurgeSeen forgets up to $2 ids seen before $1, oldest first. It
	// skips the rows other transactions hold (a replica purging too, a
	// MarkSeen recording a forgotten id again), so it never waits and
	// never deadlocks. (= ANY (ARRAY(...)) rather than IN (...): with IN
	// the generic plan scans the whole table to join.)
	qPurgeSeen = `
DELETE FROM seen WHERE id = ANY (ARRAY(
	SELECT id FROM seen WHERE seen_at < $1 ORDER BY seen_at LIMIT $2 FOR UPDATE SKIP LOCKED))`

	qCursor = `SELECT value FROM cursors WHERE name = $1`

	qSetCursor = `
INSERT INTO cursors (name, value, updated_at) VALUES ($1, $2, now())
ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at`

	// qTryLease takes a free lease or renews the owner's own; it returns
	// a row only then.
	qTryLease = `
INSERT INTO leases AS l (name, owner, until) VALUES ($1, $2, $3)
ON CONFLICT (name) DO UPDATE SET owner = EXCLUDED.owner, until = EXCLUDED.until
WHERE l.owner = EXCLUDED.owner OR l.until <= $4
RETURNING true`
)

const (
	// purgeEvery is how often at most (by the callers' clock) MarkSeen
	// also deletes the ids it may forget, per replica.
	purgeEvery = time.Minute
	// purgeMax bounds one purge; a purge that hits it leaves the next
	// MarkSeen to go on.
	purgeMax = 1000
)

// LookupByJiraKey finds the fingerprint whose record holds jiraKey; ""
// finds nothing.
func (s *Store) LookupByJiraKey(ctx context.Context, jiraKey string) (store.Record, bool, error) {
	if jiraKey == "" {
		return store.Record{}, false, nil
	}
	rec := store.Record{JiraKey: jiraKey}
	err := s.pool.QueryRow(ctx, qLookupByJiraKey, jiraKey).Scan(&rec.Fingerprint, &rec.State, &rec.Created, &rec.Updated)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Record{}, false, nil
	}
	if err != nil {
		return store.Record{}, false, fmt.Errorf("postgres store: lookup by Jira key %s: %w", jiraKey, err)
	}
	rec.Created, rec.Updated = rec.Created.UTC(), rec.Updated.UTC()
	return rec, true, nil
}

// LookupMirror finds the copy of a source comment in a target.
func (s *Store) LookupMirror(ctx context.Context, source, sourceID, target string) (store.Mirror, bool, error) {
	m := store.Mirror{Source: source, SourceID: sourceID, Target: target}
	err := s.pool.QueryRow(ctx, qLookupMirror, source, sourceID, target).Scan(&m.TargetID, &m.Digest, &m.Deleted, &m.Updated)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Mirror{}, false, nil
	}
	if err != nil {
		return store.Mirror{}, false, fmt.Errorf("postgres store: lookup mirror %s %s in %s: %w", source, sourceID, target, err)
	}
	m.Updated = m.Updated.UTC()
	return m, true, nil
}

// LookupMirrorByTarget finds the mirror whose copy is (target, targetID);
// an empty targetID (a copy still being written) finds nothing.
func (s *Store) LookupMirrorByTarget(ctx context.Context, target, targetID string) (store.Mirror, bool, error) {
	if targetID == "" {
		return store.Mirror{}, false, nil
	}
	m := store.Mirror{Target: target, TargetID: targetID}
	err := s.pool.QueryRow(ctx, qLookupMirrorByTarget, target, targetID).Scan(&m.Source, &m.SourceID, &m.Digest, &m.Deleted, &m.Updated)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Mirror{}, false, nil
	}
	if err != nil {
		return store.Mirror{}, false, fmt.Errorf("postgres store: lookup mirror of %s %s: %w", target, targetID, err)
	}
	m.Updated = m.Updated.UTC()
	return m, true, nil
}

// SaveMirror inserts or replaces the record for (Source, SourceID,
// Target). Updated is kept as given; zero means the database's now.
func (s *Store) SaveMirror(ctx context.Context, m store.Mirror) error {
	var updated *time.Time
	if !m.Updated.IsZero() {
		u := ts(m.Updated)
		updated = &u
	}
	if _, err := s.pool.Exec(ctx, qSaveMirror, m.Source, m.SourceID, m.Target, m.TargetID, m.Digest, m.Deleted, updated); err != nil {
		return fmt.Errorf("postgres store: save mirror %s %s in %s: %w", m.Source, m.SourceID, m.Target, err)
	}
	return nil
}

// MarkSeen records id at now. An id seen more than keep before now counts
// as forgotten, whether or not it has been purged yet; about once a minute
// per replica the ids seen before now-keep are purged, in the same round
// trip. A negative keep counts as 0.
func (s *Store) MarkSeen(ctx context.Context, id string, now time.Time, keep time.Duration) (bool, error) {
	cutoff := ts(now.Add(-max(keep, 0)))
	var (
		batch  pgx.Batch
		first  bool
		purged int64
	)
	batch.Queue(qMarkSeen, id, ts(now), cutoff).QueryRow(func(row pgx.Row) error {
		err := row.Scan(&first)
		if errors.Is(err, pgx.ErrNoRows) {
			first = false
			return nil
		}
		return err
	})
	nowUS := now.UnixMicro()
	last := s.lastPurge.Load()
	purge := purgeDue(last, nowUS) && s.lastPurge.CompareAndSwap(last, nowUS)
	if purge {
		batch.Queue(qPurgeSeen, cutoff, purgeMax).Exec(func(ct pgconn.CommandTag) error {
			purged = ct.RowsAffected()
			return nil
		})
	}
	err := s.pool.SendBatch(ctx, &batch).Close()
	if purge && (err != nil || purged >= purgeMax) {
		// Not done: let the next call purge again.
		s.lastPurge.CompareAndSwap(nowUS, 0)
	}
	if err != nil {
		return false, fmt.Errorf("postgres store: mark seen %s: %w", id, err)
	}
	return first, nil
}

// purgeDue tells whether a purge is due at now (Unix microseconds) after
// one at last (0: none yet, or one that left ids behind). A clock that
// went back by more than purgeEvery starts over.
func purgeDue(last, now int64) bool {
	every := purgeEvery.Microseconds()
	return last == 0 || now >= last+every || now < last-every
}

// Cursor reads a named cursor, "" when never set.
func (s *Store) Cursor(ctx context.Context, name string) (string, error) {
	var value string
	err := s.pool.QueryRow(ctx, qCursor, name).Scan(&value)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("postgres store: cursor %s: %w", name, err)
	}
	return value, nil
}

// SetCursor writes a named cursor.
func (s *Store) SetCursor(ctx context.Context, name, value string) error {
	if _, err := s.pool.Exec(ctx, qSetCursor, name, value); err != nil {
		return fmt.Errorf("postgres store: set cursor %s: %w", name, err)
	}
	return nil
}

// TryLease takes the named lease for owner until until if nobody holds it
// past now, or renews it if owner holds it (until then replaces the
// holder's, earlier or later: a holder lets go early with until = now).
func (s *Store) TryLease(ctx context.Context, name, owner string, now, until time.Time) (bool, error) {
	var granted bool
	err := s.pool.QueryRow(ctx, qTryLease, name, owner, ts(until), ts(now)).Scan(&granted)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("postgres store: lease %s for %s: %w", name, owner, err)
	}
	return granted, nil
}
