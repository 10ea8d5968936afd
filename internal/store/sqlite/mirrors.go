package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/fixproof/fixproof/internal/store"
)

// The writes here are single upserts sent to the writer like every other
// write, so they are group-committed with the queue's. The single writer
// (and, across processes, BEGIN IMMEDIATE) makes each one atomic: of two
// MarkSeen of one id, or two TryLease of one name, the second runs on the
// first's result.
const (
	// qLookupByJiraKey says jira_key <> '' so that the partial index
	// applies. Should two records hold one key, the one updated last wins.
	qLookupByJiraKey = `
SELECT fingerprint, jira_key, state, created_at, updated_at FROM fingerprints
WHERE jira_key = ?1 AND jira_key <> ''
ORDER BY updated_at DESC, fingerprint LIMIT 1`

	qLookupMirror = `
SELECT target_id, digest, deleted, updated_at FROM mirrors
WHERE source = ?1 AND source_id = ?2 AND target = ?3`

	// qLookupMirrorByTarget: (target, target_id) is not unique in the
	// schema; should two records share a copy, the one saved last wins.
	qLookupMirrorByTarget = `
SELECT source, source_id, digest, deleted, updated_at FROM mirrors
WHERE target = ?1 AND target_id = ?2
ORDER BY updated_at DESC, source, source_id LIMIT 1`

	qSaveMirror = `
INSERT INTO mirrors (source, source_id, target, target_id, digest, deleted, updated_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
ON CONFLICT (source, source_id, target) DO UPDATE SET
	target_id = excluded.target_id, digest = excluded.digest,
	deleted = excluded.deleted, updated_at = excluded.updated_at`

	// qMarkSeen records an id, or records it again if it was seen before
	// ?3 (forgotten, though not yet purged); it changes a row only then.
	qMarkSeen = `
INSERT INTO seen (id, seen_at) VALUES (?1, ?2)
ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at WHERE seen.seen_at < ?3`

	// qPurgeSeen forgets up to ?2 ids seen before ?1, oldest first.
	qPurgeSeen = `
DELETE FROM seen WHERE id IN (SELECT id FROM seen WHERE seen_at < ?1 ORDER BY seen_at LIMIT ?2)`

	qCursor = `SELECT value FROM cursors WHERE name = ?1`

	qSetCursor = `
INSERT INTO cursors (name, value, updated_at) VALUES (?1, ?2, ?3)
ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`

	// qTryLease takes a free lease or renews the owner's own; it changes
	// a row only then.
	qTryLease = `
INSERT INTO leases (name, owner, until) VALUES (?1, ?2, ?3)
ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, until = excluded.until
WHERE leases.owner = excluded.owner OR leases.until <= ?4`
)

const (
	// purgeEvery is how often at most (by the callers' clock) MarkSeen
	// also deletes the ids it may forget.
	purgeEvery = time.Minute
	// purgeMax bounds one purge, so that a backlog of old ids never
	// stalls a group commit; a purge that hits it leaves the next
	// MarkSeen to go on.
	purgeMax = 1000
)

// LookupByJiraKey finds the fingerprint whose record holds jiraKey; ""
// finds nothing.
func (s *Store) LookupByJiraKey(ctx context.Context, jiraKey string) (store.Record, bool, error) {
	if jiraKey == "" {
		return store.Record{}, false, nil
	}
	rec, ok, err := s.lookupRecord(ctx, qLookupByJiraKey, jiraKey)
	if err != nil {
		return store.Record{}, false, fmt.Errorf("sqlite store: lookup by Jira key %s: %w", jiraKey, err)
	}
	return rec, ok, nil
}

// LookupMirror finds the copy of a source comment in a target.
func (s *Store) LookupMirror(ctx context.Context, source, sourceID, target string) (store.Mirror, bool, error) {
	m := store.Mirror{Source: source, SourceID: sourceID, Target: target}
	var upd int64
	found, err := s.readOne(ctx, func(q querier) error {
		return q.queryRow(qLookupMirror, source, sourceID, target).Scan(&m.TargetID, &m.Digest, &m.Deleted, &upd)
	})
	m.Updated = fromUS(upd)
	if err != nil {
		return store.Mirror{}, false, fmt.Errorf("sqlite store: lookup mirror %s %s in %s: %w", source, sourceID, target, err)
	}
	if !found {
		return store.Mirror{}, false, nil
	}
	return m, true, nil
}

// LookupMirrorByTarget finds the mirror whose copy is (target, targetID);
// an empty targetID (a copy still being written) finds nothing.
func (s *Store) LookupMirrorByTarget(ctx context.Context, target, targetID string) (store.Mirror, bool, error) {
	if targetID == "" {
		return store.Mirror{}, false, nil
	}
	m := store.Mirror{Target: target, TargetID: targetID}
	var upd int64
	found, err := s.readOne(ctx, func(q querier) error {
		return q.queryRow(qLookupMirrorByTarget, target, targetID).Scan(&m.Source, &m.SourceID, &m.Digest, &m.Deleted, &upd)
	})
	m.Updated = fromUS(upd)
	if err != nil {
		return store.Mirror{}, false, fmt.Errorf("sqlite store: lookup mirror of %s %s: %w", target, targetID, err)
	}
	if !found {
		return store.Mirror{}, false, nil
	}
	return m, true, nil
}

// SaveMirror inserts or replaces the record for (Source, SourceID,
// Target). Updated is kept as given; zero means now.
func (s *Store) SaveMirror(ctx context.Context, m store.Mirror) error {
	updated := m.Updated
	if updated.IsZero() {
		updated = time.Now()
	}
	err := s.submit(ctx, func(w *wtx) error {
		_, err := w.exec(qSaveMirror, m.Source, m.SourceID, m.Target, m.TargetID, m.Digest, m.Deleted, us(updated))
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite store: save mirror %s %s in %s: %w", m.Source, m.SourceID, m.Target, err)
	}
	return nil
}

// MarkSeen records id at now. An id seen more than keep before now counts
// as forgotten, whether or not it has been purged yet; about once a minute
// the ids seen before now-keep are purged. A negative keep counts as 0.
func (s *Store) MarkSeen(ctx context.Context, id string, now time.Time, keep time.Duration) (bool, error) {
	cutoff := us(now.Add(-max(keep, 0)))
	first := false
	err := s.submit(ctx, func(w *wtx) error {
		res, err := w.exec(qMarkSeen, id, us(now), cutoff)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		first = n > 0
		// Only the writer goroutine gets here: lastPurge needs no lock.
		if !purgeDue(s.lastPurge, us(now)) {
			return nil
		}
		res, err = w.exec(qPurgeSeen, cutoff, purgeMax)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err == nil && n < purgeMax {
			s.lastPurge = us(now)
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("sqlite store: mark seen %s: %w", id, err)
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
	_, err := s.readOne(ctx, func(q querier) error { return q.queryRow(qCursor, name).Scan(&value) })
	if err != nil {
		return "", fmt.Errorf("sqlite store: cursor %s: %w", name, err)
	}
	return value, nil
}

// SetCursor writes a named cursor.
func (s *Store) SetCursor(ctx context.Context, name, value string) error {
	err := s.submit(ctx, func(w *wtx) error {
		_, err := w.exec(qSetCursor, name, value, us(time.Now()))
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite store: set cursor %s: %w", name, err)
	}
	return nil
}

// TryLease takes the named lease for owner until until if nobody holds it
// past now, or renews it if owner holds it (until then replaces the
// holder's, earlier or later: a holder lets go early with until = now).
func (s *Store) TryLease(ctx context.Context, name, owner string, now, until time.Time) (bool, error) {
	granted := false
	err := s.submit(ctx, func(w *wtx) error {
		res, err := w.exec(qTryLease, name, owner, us(until), us(now))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		granted = n > 0
		return err
	})
	if err != nil {
		return false, fmt.Errorf("sqlite store: lease %s for %s: %w", name, owner, err)
	}
	return granted, nil
}
