package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/fixproof/fixproof/internal/store"
)

const (
	// qTwin finds a pending job of the same kind and fingerprint. A job
	// handed out in a batch whose lease is still held is not pending: it
	// is being worked on, and a delivery that asks for it to be done
	// (again) must not be folded into it, or Finish would drop both.
	qTwin = `
SELECT j.id FROM jobs j LEFT JOIN fingerprints f ON f.fingerprint = j.fingerprint
WHERE j.kind = ?1 AND j.fingerprint = ?2
  AND NOT (j.batch_seq IS NOT NULL AND f.lease_owner IS NOT NULL
           AND f.lease_seq = j.batch_seq AND f.lease_until > ?3)
ORDER BY j.id LIMIT 1`

	// qOnce records a delivery's Once id until ?2, unless a copy already
	// holds it past ?3 (the delivery's Received); it changes a row only
	// when the delivery is the first.
	qOnce = `
INSERT INTO once_ids (id, until) VALUES (?1, ?2)
ON CONFLICT (id) DO UPDATE SET until = excluded.until WHERE once_ids.until <= ?3`

	// qOncePurge forgets a few ids that no longer count (until <= ?1):
	// each Enqueue with Once clears more than it adds, so the table holds
	// about the ids still remembered, and no purge is ever long.
	qOncePurge = `
DELETE FROM once_ids WHERE id IN (SELECT id FROM once_ids WHERE until <= ?1 ORDER BY until LIMIT 8)`

	qInsert = `
INSERT INTO jobs (kind, fingerprint, payload, received_at, not_before)
VALUES (?1, ?2, ?3, ?4, ?5)`

	qOwnGroup = `UPDATE jobs SET fingerprint = 'job:' || id WHERE id = ?1`

	// qHeadPush makes a new job its fingerprint's queue head if it is
	// due before the head.
	qHeadPush = `
INSERT INTO queue_heads (fingerprint, due_at, job_id) VALUES (?1, ?2, ?3)
ON CONFLICT (fingerprint) DO UPDATE SET due_at = excluded.due_at, job_id = excluded.job_id
WHERE (excluded.due_at, excluded.job_id) < (queue_heads.due_at, queue_heads.job_id)`

	// qHeadDrop and then qHeadSet recompute a fingerprint's queue head
	// after its jobs went or were put off.
	qHeadDrop = `DELETE FROM queue_heads WHERE fingerprint = ?1`
	qHeadSet  = `
INSERT INTO queue_heads (fingerprint, due_at, job_id)
SELECT fingerprint, not_before, id FROM jobs WHERE fingerprint = ?1 ORDER BY not_before, id LIMIT 1`

	// qPick finds the fingerprint whose earliest due job has been due
	// longest among those that no live lease holds.
	qPick = `
SELECT h.fingerprint FROM queue_heads h LEFT JOIN fingerprints f ON f.fingerprint = h.fingerprint
WHERE h.due_at <= ?1 AND (f.lease_owner IS NULL OR f.lease_until <= ?1)
ORDER BY h.due_at, h.job_id LIMIT 1`

	qUnlease = `UPDATE fingerprints SET lease_owner = NULL WHERE fingerprint = ?1`

	// qLease takes the fingerprint's lease, creating its record if
	// needed. The new lease ends at least a microsecond after the last
	// one did, so (owner, until) identifies this lease among all of the
	// fingerprint's leases.
	qLease = `
INSERT INTO fingerprints (fingerprint, lease_owner, lease_until, lease_seq, created_at, updated_at)
VALUES (?1, ?2, ?3, 1, ?4, ?4)
ON CONFLICT (fingerprint) DO UPDATE SET
	lease_owner = excluded.lease_owner,
	lease_until = max(excluded.lease_until, fingerprints.lease_until + 1),
	lease_seq = fingerprints.lease_seq + 1
WHERE fingerprints.lease_owner IS NULL OR fingerprints.lease_until <= ?5
RETURNING jira_key, state, lease_until, lease_seq, created_at, updated_at`

	// qTake marks up to ?4 of the fingerprint's ready jobs, oldest first,
	// as handed out under lease ?1. (Left to itself the planner would
	// sort all of a storm's ready jobs to find the oldest few.)
	qTake = `
UPDATE jobs SET batch_seq = ?1
WHERE id IN (SELECT id FROM jobs INDEXED BY jobs_fingerprint_received
             WHERE fingerprint = ?2 AND not_before <= ?3
             ORDER BY received_at, id LIMIT ?4)
RETURNING id, kind, payload, received_at, attempts, last_error`

	qSave = `
UPDATE fingerprints SET jira_key = ?1, state = ?2, lease_until = max(lease_until, ?3), updated_at = ?4
WHERE fingerprint = ?5 AND lease_owner = ?6 AND lease_until = ?7
RETURNING lease_until, updated_at`

	qRelease = `
UPDATE fingerprints SET jira_key = ?1, state = ?2, lease_owner = NULL, updated_at = ?3
WHERE fingerprint = ?4 AND lease_owner = ?5 AND lease_until = ?6`

	// The statements on a batch's jobs find them by id: "+fingerprint"
	// keeps the planner off the fingerprint indexes, which would walk all
	// of a storm's jobs.
	qDelete = `DELETE FROM jobs WHERE +fingerprint = ?1 AND id IN (SELECT value FROM json_each(?2))`

	qPutBack = `
UPDATE jobs SET attempts = attempts + ?5, not_before = ?1, last_error = ?2, batch_seq = NULL
WHERE +fingerprint = ?3 AND id IN (SELECT value FROM json_each(?4))`

	qBury = `
INSERT INTO dead_jobs (id, kind, fingerprint, payload, received_at, attempts, last_error, died_at)
SELECT id, kind, fingerprint, payload, received_at, attempts, last_error, ?1 FROM jobs
WHERE +fingerprint = ?2 AND id IN (SELECT value FROM json_each(?3)) AND attempts >= ?4`

	qUnqueueDead = `
DELETE FROM jobs WHERE +fingerprint = ?1 AND id IN (SELECT value FROM json_each(?2)) AND attempts >= ?3`

	// qRedriven lists the fingerprints that qRedrive moves jobs of, and
	// qRedrive moves them back under their own ids (AUTOINCREMENT never
	// gave an id to another job), due at ?2 with no attempts.
	qRedriven = `SELECT DISTINCT fingerprint FROM dead_jobs WHERE ?1 = '' OR fingerprint = ?1`
	qRedrive  = `
INSERT INTO jobs (id, kind, fingerprint, payload, received_at, not_before, attempts, last_error)
SELECT id, kind, fingerprint, payload, received_at, ?2, 0, last_error FROM dead_jobs
WHERE ?1 = '' OR fingerprint = ?1`
	qRedriveDelete = `DELETE FROM dead_jobs WHERE ?1 = '' OR fingerprint = ?1`

	qLookup = `SELECT fingerprint, jira_key, state, created_at, updated_at FROM fingerprints WHERE fingerprint = ?1`

	qStats = `
SELECT
	(SELECT count(*) FROM jobs WHERE not_before <= ?1),
	(SELECT count(*) FROM jobs WHERE not_before > ?1),
	(SELECT count(*) FROM fingerprints WHERE lease_owner IS NOT NULL AND lease_until > ?1),
	(SELECT count(*) FROM dead_jobs),
	(SELECT count(*) FROM fingerprints),
	(SELECT min(received_at) FROM jobs WHERE not_before <= ?1)`

	qDead = `
SELECT id, kind, fingerprint, payload, received_at, attempts, last_error, died_at
FROM dead_jobs ORDER BY died_at DESC, id DESC LIMIT ?1`
)

// blob makes a nil state a SQL NULL.
func blob(b []byte) any {
	if b == nil {
		return nil
	}
	return b
}

// Enqueue stores d. It returns once the transaction holding it has been
// committed and synced. An empty Fingerprint becomes "job:<id>"; Unique
// never finds a twin for it. A Once id is recorded in the same operation
// as the job, so the two are committed or rolled back together.
func (s *Store) Enqueue(ctx context.Context, d store.Delivery) (int64, bool, error) {
	d = d.WithDefaults(time.Now())
	if d.Once != "" && d.OnceFor <= 0 {
		return 0, false, fmt.Errorf("sqlite store: enqueue: Once %q needs a positive OnceFor", d.Once)
	}
	var id int64
	var added bool
	err := s.submit(ctx, func(w *wtx) error {
		var err error
		id, added, err = enqueue(w, d)
		return err
	})
	if err != nil {
		return 0, false, fmt.Errorf("sqlite store: enqueue: %w", err)
	}
	return id, added, nil
}

// enqueue stores d in the writer's transaction: nothing when its Once id
// was seen, the id of its twin when d is Unique and one waits, else the
// id of the new job with added set.
func enqueue(w *wtx, d store.Delivery) (id int64, added bool, err error) {
	if d.Once != "" {
		fresh, err := recordOnce(w, d)
		if err != nil || !fresh {
			return 0, false, err // a copy: nothing more to store
		}
	}
	if d.Unique && d.Fingerprint != "" {
		twin, found, err := findTwin(w, d)
		if err != nil || found {
			return twin, false, err
		}
	}
	if id, err = insertJob(w, d); err != nil {
		return 0, false, err
	}
	return id, true, nil
}

// recordOnce records d's Once id for OnceFor and purges the expired ones;
// fresh is false when the id was already recorded (d is a copy).
func recordOnce(w *wtx, d store.Delivery) (fresh bool, err error) {
	res, err := w.exec(qOnce, d.Once, us(d.Received.Add(d.OnceFor)), us(d.Received))
	if err != nil {
		return false, err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return false, err
	}
	if _, err := w.exec(qOncePurge, us(d.Received)); err != nil {
		return false, err
	}
	return true, nil
}

// findTwin finds a waiting job of d's kind and fingerprint.
func findTwin(w *wtx, d store.Delivery) (id int64, found bool, err error) {
	err = w.queryRow(qTwin, d.Kind, d.Fingerprint, us(d.Received)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	return id, err == nil, err
}

// insertJob adds d as a job at the back of its fingerprint's queue (its
// own group when it has no fingerprint) and returns its id.
func insertJob(w *wtx, d store.Delivery) (int64, error) {
	res, err := w.exec(qInsert, d.Kind, d.Fingerprint, d.Payload, us(d.Received), us(d.NotBefore))
	if err != nil {
		return 0, err
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, err
	}
	fp := d.Fingerprint
	if fp == "" {
		fp = "job:" + strconv.FormatInt(id, 10)
		if _, err := w.exec(qOwnGroup, id); err != nil {
			return 0, err
		}
	}
	if _, err := w.exec(qHeadPush, fp, us(d.NotBefore), id); err != nil {
		return 0, err
	}
	return id, nil
}

// Next leases the fingerprint of the oldest ready job no live lease holds,
// oldest meaning due longest (NotBefore; Received for a job that was not
// delayed), ties going to the lower id. max below 1 counts as 1.
func (s *Store) Next(ctx context.Context, owner string, now time.Time, lease time.Duration, max int) (*store.Batch, error) {
	if max < 1 {
		max = 1
	}
	var b *store.Batch
	err := s.submit(ctx, func(w *wtx) error {
		b = nil
		for try := 0; try < 3; try++ {
			var fp string
			err := w.queryRow(qPick, us(now)).Scan(&fp)
			if errors.Is(err, sql.ErrNoRows) {
				return nil
			}
			if err != nil {
				return err
			}
			var (
				rec                  = store.Record{Fingerprint: fp}
				until, seq, cre, upd int64
				state                []byte
			)
			err = w.queryRow(qLease, fp, owner, us(now.Add(lease)), us(time.Now()), us(now)).
				Scan(&rec.JiraKey, &state, &until, &seq, &cre, &upd)
			if err != nil {
				// No row cannot happen with one writer per
				// transaction: the pick saw the fingerprint free.
				return err
			}
			rec.State, rec.Created, rec.Updated = state, fromUS(cre), fromUS(upd)
			jobs, err := scanJobs(w.query(qTake, seq, fp, us(now), max))
			if err != nil {
				return err
			}
			if len(jobs) == 0 {
				// The queue head was out of step (it cannot be, but
				// costs nothing to survive): let go and fix it.
				if _, err := w.exec(qUnlease, fp); err != nil {
					return err
				}
				if err := setHead(w, fp); err != nil {
					return err
				}
				continue
			}
			for i := range jobs {
				jobs[i].Fingerprint = fp
			}
			b = &store.Batch{Owner: owner, Record: rec, Jobs: jobs, Until: fromUS(until)}
			return nil
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite store: next: %w", err)
	}
	return b, nil
}

// setHead recomputes fp's queue head from its jobs.
func setHead(w *wtx, fp string) error {
	if _, err := w.exec(qHeadDrop, fp); err != nil {
		return err
	}
	_, err := w.exec(qHeadSet, fp)
	return err
}

func scanJobs(rows *sql.Rows, err error) ([]store.Job, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var jobs []store.Job
	for rows.Next() {
		var j store.Job
		var received int64
		if err := rows.Scan(&j.ID, &j.Kind, &j.Payload, &received, &j.Attempts, &j.LastError); err != nil {
			return nil, err
		}
		j.Received = fromUS(received)
		jobs = append(jobs, j)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sortJobs(jobs)
	return jobs, nil
}

func sortJobs(jobs []store.Job) {
	slices.SortFunc(jobs, func(a, b store.Job) int {
		if c := a.Received.Compare(b.Received); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
}

// Save writes the key and state and extends the lease to until (a lease is
// never shortened). On success b's Until and Record follow.
func (s *Store) Save(ctx context.Context, b *store.Batch, jiraKey string, state []byte, until time.Time) error {
	if b == nil {
		return errors.New("sqlite store: save: nil batch")
	}
	var newUntil, updated int64
	err := s.submit(ctx, func(w *wtx) error {
		err := w.queryRow(qSave, jiraKey, blob(state), us(until), us(time.Now()),
			b.Record.Fingerprint, b.Owner, us(b.Until)).Scan(&newUntil, &updated)
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrLeaseLost
		}
		return err
	})
	if err != nil {
		return wrap("save", b, err)
	}
	b.Until = fromUS(newUntil)
	b.Record.JiraKey, b.Record.State, b.Record.Updated = jiraKey, state, fromUS(updated)
	return nil
}

// wrap adds context to err, except that store.ErrLeaseLost is returned as
// is, for callers that compare with ==.
func wrap(what string, b *store.Batch, err error) error {
	if errors.Is(err, store.ErrLeaseLost) {
		return store.ErrLeaseLost
	}
	return fmt.Errorf("sqlite store: %s %s: %w", what, b.Record.Fingerprint, err)
}

// release checks that b's lease is still held, writes the key and state
// and frees the fingerprint.
func release(w *wtx, b *store.Batch, jiraKey string, state []byte) error {
	res, err := w.exec(qRelease, jiraKey, blob(state), us(time.Now()),
		b.Record.Fingerprint, b.Owner, us(b.Until))
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return store.ErrLeaseLost
	}
	return nil
}

// Finish deletes exactly b's jobs (jobs that arrived since stay), writes the
// key and state and releases the lease.
func (s *Store) Finish(ctx context.Context, b *store.Batch, jiraKey string, state []byte) error {
	if b == nil {
		return errors.New("sqlite store: finish: nil batch")
	}
	ids := idList(b.Jobs)
	err := s.submit(ctx, func(w *wtx) error {
		if err := release(w, b, jiraKey, state); err != nil {
			return err
		}
		if _, err := w.exec(qDelete, b.Record.Fingerprint, ids); err != nil {
			return err
		}
		return setHead(w, b.Record.Fingerprint)
	})
	if err != nil {
		return wrap("finish", b, err)
	}
	return nil
}

// Retry writes the key and state, releases the lease and puts b's jobs back
// as f says (see store.Failure).
func (s *Store) Retry(ctx context.Context, b *store.Batch, jiraKey string, state []byte, f store.Failure) error {
	if b == nil {
		return errors.New("sqlite store: retry: nil batch")
	}
	ids := idList(b.Jobs)
	fp := b.Record.Fingerprint
	counted, bury, threshold := f.Apply()
	err := s.submit(ctx, func(w *wtx) error {
		if err := release(w, b, jiraKey, state); err != nil {
			return err
		}
		if _, err := w.exec(qPutBack, us(f.NotBefore), f.Error, fp, ids, counted); err != nil {
			return err
		}
		if bury {
			if _, err := w.exec(qBury, us(time.Now()), fp, ids, threshold); err != nil {
				return err
			}
			if _, err := w.exec(qUnqueueDead, fp, ids, threshold); err != nil {
				return err
			}
		}
		return setHead(w, fp)
	})
	if err != nil {
		return wrap("retry", b, err)
	}
	return nil
}

// Redrive moves the dead jobs of fingerprint (of every fingerprint when it
// is "") back to the queue, due at now.
func (s *Store) Redrive(ctx context.Context, fingerprint string, now time.Time) (int, error) {
	var n int64
	err := s.submit(ctx, func(w *wtx) error {
		rows, err := w.query(qRedriven, fingerprint)
		if err != nil {
			return err
		}
		var fps []string
		for rows.Next() {
			var fp string
			if err := rows.Scan(&fp); err != nil {
				rows.Close()
				return err
			}
			fps = append(fps, fp)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		res, err := w.exec(qRedrive, fingerprint, us(now))
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil {
			return err
		}
		if _, err := w.exec(qRedriveDelete, fingerprint); err != nil {
			return err
		}
		for _, fp := range fps {
			if err := setHead(w, fp); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("sqlite store: redrive %q: %w", fingerprint, err)
	}
	return int(n), nil
}

// Lookup reads a fingerprint's record without leasing it.
func (s *Store) Lookup(ctx context.Context, fingerprint string) (store.Record, bool, error) {
	rec, ok, err := s.lookupRecord(ctx, qLookup, fingerprint)
	if err != nil {
		return store.Record{}, false, fmt.Errorf("sqlite store: lookup: %w", err)
	}
	return rec, ok, nil
}

// lookupRecord reads one record with a query selecting fingerprint,
// jira_key, state, created_at and updated_at.
func (s *Store) lookupRecord(ctx context.Context, query, arg string) (rec store.Record, found bool, err error) {
	var cre, upd int64
	found, err = s.readOne(ctx, func(q querier) error {
		return q.queryRow(query, arg).Scan(&rec.Fingerprint, &rec.JiraKey, &rec.State, &cre, &upd)
	})
	rec.Created, rec.Updated = fromUS(cre), fromUS(upd)
	return rec, found, err
}

// readOne runs a read that scans one row: found is false, and the error
// nil, when there is no row.
func (s *Store) readOne(ctx context.Context, scan func(q querier) error) (found bool, err error) {
	err = s.read(ctx, func(q querier) error {
		err := scan(q)
		found = err == nil
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		return err
	})
	return found, err
}

// Stats counts the queue at now: Ready and Delayed split all queued jobs by
// NotBefore (jobs of leased fingerprints included), Leased counts live
// leases.
func (s *Store) Stats(ctx context.Context, now time.Time) (store.Stats, error) {
	var st store.Stats
	err := s.read(ctx, func(q querier) error {
		var oldest sql.NullInt64
		if err := q.queryRow(qStats, us(now)).Scan(&st.Ready, &st.Delayed, &st.Leased, &st.Dead, &st.Fingerprints, &oldest); err != nil {
			return err
		}
		if oldest.Valid {
			st.OldestReady = fromUS(oldest.Int64)
		}
		return nil
	})
	if err != nil {
		return store.Stats{}, fmt.Errorf("sqlite store: stats: %w", err)
	}
	return st, nil
}

// Dead lists up to limit dead jobs, newest first; limit 0 or less lists all.
func (s *Store) Dead(ctx context.Context, limit int) ([]store.DeadJob, error) {
	if limit <= 0 {
		limit = -1
	}
	var dead []store.DeadJob
	err := s.read(ctx, func(q querier) error {
		dead = nil
		rows, err := q.query(qDead, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var d store.DeadJob
			var received, died int64
			if err := rows.Scan(&d.ID, &d.Kind, &d.Fingerprint, &d.Payload, &received, &d.Attempts, &d.LastError, &died); err != nil {
				return err
			}
			d.Received, d.Died = fromUS(received), fromUS(died)
			dead = append(dead, d)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite store: dead: %w", err)
	}
	return dead, nil
}
