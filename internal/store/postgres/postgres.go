// Package postgres is the store backend for bot replicas that share one
// Postgres database.
//
// # Leases across replicas
//
// The one thing that must never happen is two workers holding one
// fingerprint. Next decides it with a single atomic statement, an upsert
// on the fingerprint's record:
//
//	INSERT INTO fingerprints ... ON CONFLICT (fingerprint) DO UPDATE SET lease_owner = ...
//	WHERE fingerprints.lease_owner IS NULL OR fingerprints.lease_until <= now
//	RETURNING ...
//
// Postgres row-locks the record (or, for a new fingerprint, the key being
// inserted) and evaluates the WHERE on its latest committed version, so of
// two workers racing for one fingerprint exactly one gets a row back; the
// other waits for the winner's commit and then gets nothing, and moves on
// to the next candidate. Picking the candidate (the oldest ready job whose
// fingerprint looks free) is a plain SELECT that locks nothing.
//
// That is instead of SELECT ... FOR UPDATE SKIP LOCKED on the jobs: a
// row lock on a job lasts only as long as the transaction, while a lease
// must last across many transactions (Save, Save, Finish) and survive a
// crash by expiring, so a lease column is needed anyway, and it must be
// changed atomically whatever locked the job. Locking the job rows as well
// would also take locks in the order job-then-fingerprint where Finish and
// Retry take fingerprint-then-job, which deadlocks when a worker finishes
// late while another picks up its expired lease. Here every transaction
// locks the fingerprint's record first and its jobs after, so there is one
// lock order and no deadlock. Each attempt in Next is its own transaction,
// so a lost race releases the record's lock at once.
//
// # Queue heads
//
// Next does not walk the jobs: behind a leased storm of thousands of jobs
// it would pass over every one of them on each call. It walks queue_heads,
// one row per fingerprint that has jobs, holding its earliest due job,
// and passes over at most the few leased fingerprints. A head must never
// be later than its fingerprint's earliest job (or missing while it has
// jobs), or jobs would wait or be stranded, so:
//
//   - Enqueue, holding a shared advisory lock on the fingerprint, inserts
//     the head if there is none and lowers it if the new job is due
//     earlier. Enqueues of one fingerprint do not wait for each other: a
//     storm's new jobs are due after its head, so the head row is not even
//     locked.
//   - Finish and Retry, which remove jobs or put them off and so may raise
//     the head, recompute it holding the exclusive form of that lock: they
//     wait for the Enqueues in flight to commit and then see their jobs.
//
// Lock order, the same everywhere: the fingerprint's record, then the
// advisory lock, then jobs and head. Enqueue takes no record lock.
//
// # Mirrors, delivery ids, cursors and named leases
//
// Each of their writes is one statement, and MarkSeen and TryLease are
// decided like Next's lease, by an upsert whose DO UPDATE has a WHERE
// (the id was forgotten; the lease is free or the owner's own) and
// RETURNING: of two replicas racing for one id or one lease, exactly one
// gets a row back. Each waits for one row at most (the purge of old ids
// that MarkSeen runs now and then skips locked rows), so none can
// deadlock.
//
// # Conventions shared with the other backends
//
// A delivery with an empty Fingerprint is put in a group of its own named
// "job:<id>". A lease is identified by its owner and its Until: each new
// lease of a fingerprint ends strictly later than any earlier one did
// (Next bumps it by a microsecond when needed, Save never shortens a
// lease), so a batch whose lease expired and was taken again, even by an
// owner of the same name, gets store.ErrLeaseLost. Lease decisions use
// the callers' now; Record.Created/Updated and DeadJob.Died are the
// database's clock, one clock for all replicas. Times have microsecond
// precision.
package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/fixproof/fixproof/internal/store"
)

// Options tune the store; the zero value gives the defaults.
type Options struct {
	// Schema keeps the store's tables in that schema, created if missing,
	// instead of the connection's default search_path. A "schema" query
	// parameter on the URL does the same.
	Schema string
}

// Store is the Postgres backend of store.Store.
type Store struct {
	pool      *pgxpool.Pool
	closeOnce sync.Once

	// lastPurge is when (by MarkSeen's clock, Unix microseconds) this
	// replica last purged old delivery ids.
	lastPurge atomic.Int64
}

var _ store.Store = (*Store)(nil)

// Open connects to the database at url (postgres://...; pgxpool's
// pool_max_conns and friends apply) and brings the schema up to date.
func Open(ctx context.Context, url string) (*Store, error) {
	return OpenOptions(ctx, url, Options{})
}

// OpenOptions is Open with options.
func OpenOptions(ctx context.Context, connURL string, o Options) (*Store, error) {
	connURL, schema, err := takeSchemaParam(connURL)
	if err != nil {
		return nil, fmt.Errorf("postgres store: %w", err)
	}
	if o.Schema == "" {
		o.Schema = schema
	}
	cfg, err := pgxpool.ParseConfig(connURL)
	if err != nil {
		return nil, fmt.Errorf("postgres store: %w", err)
	}
	if o.Schema != "" {
		cfg.ConnConfig.RuntimeParams["search_path"] = pgx.Identifier{o.Schema}.Sanitize()
	}
	if !strings.Contains(connURL, "pool_max_conns") {
		// Concurrent Enqueues are group-committed by Postgres itself
		// (one WAL flush covers every transaction waiting for it), so
		// more connections mean bigger groups.
		cfg.MaxConns = max(cfg.MaxConns, 16)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres store: %w", err)
	}
	if err := migrate(ctx, pool, o.Schema); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres store: migrate: %w", err)
	}
	return &Store{pool: pool}, nil
}

// takeSchemaParam removes a "schema" query parameter, which Postgres
// would not know, from a URL.
func takeSchemaParam(connURL string) (string, string, error) {
	if !strings.Contains(connURL, "schema=") || !strings.Contains(connURL, "://") {
		return connURL, "", nil
	}
	u, err := url.Parse(connURL)
	if err != nil {
		return "", "", err
	}
	q := u.Query()
	schema := q.Get("schema")
	q.Del("schema")
	u.RawQuery = q.Encode()
	return u.String(), schema, nil
}

// Close closes the pool.
func (s *Store) Close() error {
	s.closeOnce.Do(s.pool.Close)
	return nil
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	return s.pool.Ping(ctx)
}

// ts rounds t to what Postgres keeps, so that a time handed out compares
// equal to the one stored.
func ts(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// transient tells whether a transaction failed in a way that a retry can
// fix (it does not happen with the statements here, but costs nothing to
// cover: serialization failure, deadlock).
func transient(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

// inTx runs fn in a transaction, again if it failed transiently.
func (s *Store) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	for try := 0; ; try++ {
		err := pgx.BeginFunc(ctx, s.pool, fn)
		if err == nil || try == 4 || !transient(err) {
			return err
		}
	}
}

const (
	// Advisory locks are pg_advisory_xact_lock(class, key) with class
	// 1718644993 ("fpq\x01") for a fingerprint's queue (key
	// hashtext(fingerprint); shared by Enqueue, exclusive to recompute
	// the head) and 1718644994 for Unique's twin check (key
	// hashtext(kind, fingerprint)). A hash collision only makes two
	// fingerprints wait for each other.
	qLockQueueShared = `SELECT pg_advisory_xact_lock_shared(1718644993, hashtext($1::text))`
	qLockQueue       = `SELECT pg_advisory_xact_lock(1718644993, hashtext($1::text))`
	qLockUnique      = `SELECT pg_advisory_xact_lock(1718644994, hashtext($1::text || chr(31) || $2::text))`

	// qEnqueue inserts a job, taking its id first so that a delivery
	// without a fingerprint gets "job:<id>", and gives its fingerprint a
	// queue head if it had none. With $6 it first looks for a pending
	// twin, a job of the same kind and fingerprint that is not being
	// worked on (handed out in a batch whose lease still holds: a
	// delivery asking for the job to be done again must not be folded
	// into it, or Finish would drop both), and inserts only without one.
	qEnqueue = `
WITH twin AS (
	SELECT j.id FROM jobs j LEFT JOIN fingerprints f ON f.fingerprint = j.fingerprint
	WHERE $6 AND j.kind = $1 AND j.fingerprint = $2
	  AND NOT (j.batch_seq IS NOT NULL AND f.lease_owner IS NOT NULL
	           AND f.lease_seq = j.batch_seq AND f.lease_until > $4)
	ORDER BY j.id LIMIT 1
), n AS (
	SELECT nextval(pg_get_serial_sequence('jobs', 'id')) AS id WHERE NOT EXISTS (SELECT 1 FROM twin)
), j AS (
	INSERT INTO jobs (id, kind, fingerprint, payload, received_at, not_before)
	SELECT id, $1, CASE WHEN $2::text = '' THEN 'job:' || id ELSE $2::text END, $3, $4, $5 FROM n
	RETURNING id, fingerprint, not_before
), h AS (
	INSERT INTO queue_heads (fingerprint, due_at, job_id) SELECT fingerprint, not_before, id FROM j
	ON CONFLICT (fingerprint) DO NOTHING
)
SELECT coalesce((SELECT id FROM j), (SELECT id FROM twin)), EXISTS (SELECT 1 FROM j)`

	// qOnce records a delivery's Once id until $2, unless a copy already
	// holds it past $3 (the delivery's Received); it returns a row only
	// when the delivery is the first. Of two replicas storing copies at
	// once, the second waits on the row the first inserted and, once that
	// commits, gets nothing (or, if it rolled back, inserts it itself).
	qOnce = `
INSERT INTO once_ids AS o (id, until) VALUES ($1, $2)
ON CONFLICT (id) DO UPDATE SET until = EXCLUDED.until WHERE o.until <= $3
RETURNING true`

	// qOncePurge forgets a few ids that no longer count (until <= $1):
	// each Enqueue with Once clears more than it adds. It skips the rows
	// other transactions hold, so it never waits.
	qOncePurge = `
DELETE FROM once_ids WHERE id = ANY (ARRAY(
	SELECT id FROM once_ids WHERE until <= $1 ORDER BY until LIMIT 8 FOR UPDATE SKIP LOCKED))`

	// qHeadLower lowers a head to the fingerprint's earliest job if that
	// is due earlier; it locks the head row only then.
	qHeadLower = `
UPDATE queue_heads h SET due_at = m.not_before, job_id = m.id
FROM (SELECT not_before, id FROM jobs WHERE fingerprint = $1 ORDER BY not_before, id LIMIT 1) m
WHERE h.fingerprint = $1 AND (h.due_at, h.job_id) > (m.not_before, m.id)`

	// qHeadSet recomputes a head (under qLockQueue).
	qHeadSet = `
WITH m AS (
	SELECT fingerprint, not_before, id FROM jobs WHERE fingerprint = $1 ORDER BY not_before, id LIMIT 1
), d AS (
	DELETE FROM queue_heads WHERE fingerprint = $1 AND NOT EXISTS (SELECT 1 FROM m)
)
INSERT INTO queue_heads (fingerprint, due_at, job_id) SELECT fingerprint, not_before, id FROM m
ON CONFLICT (fingerprint) DO UPDATE SET due_at = EXCLUDED.due_at, job_id = EXCLUDED.job_id`

	// qPick finds the fingerprint whose earliest due job has been due
	// longest among those no live lease holds, leaving out those already
	// lost to other workers.
	qPick = `
SELECT h.fingerprint FROM queue_heads h LEFT JOIN fingerprints f ON f.fingerprint = h.fingerprint
WHERE h.due_at <= $1 AND (f.lease_owner IS NULL OR f.lease_until <= $1)
  AND h.fingerprint <> ALL ($2::text[])
ORDER BY h.due_at, h.job_id LIMIT 1`

	// qLease is the arbiter: see the package doc.
	qLease = `
INSERT INTO fingerprints AS f (fingerprint, lease_owner, lease_until, lease_seq, created_at, updated_at)
VALUES ($1, $2, $3, 1, now(), now())
ON CONFLICT (fingerprint) DO UPDATE SET
	lease_owner = EXCLUDED.lease_owner,
	lease_until = GREATEST(EXCLUDED.lease_until, f.lease_until + interval '1 microsecond'),
	lease_seq = f.lease_seq + 1
WHERE f.lease_owner IS NULL OR f.lease_until <= $4
RETURNING f.jira_key, f.state, f.lease_until, f.lease_seq, f.created_at, f.updated_at`

	// qTake marks up to $4 of the fingerprint's ready jobs, oldest first,
	// as handed out under lease $1.
	qTake = `
UPDATE jobs SET batch_seq = $1
WHERE id IN (SELECT id FROM jobs WHERE fingerprint = $2 AND not_before <= $3
             ORDER BY received_at, id LIMIT $4)
RETURNING id, kind, payload, received_at, attempts, last_error`

	qSave = `
UPDATE fingerprints SET jira_key = $1, state = $2, lease_until = GREATEST(lease_until, $3), updated_at = now()
WHERE fingerprint = $4 AND lease_owner = $5 AND lease_until = $6
RETURNING lease_until, updated_at`

	qRelease = `
UPDATE fingerprints SET jira_key = $1, state = $2, lease_owner = NULL, updated_at = now()
WHERE fingerprint = $3 AND lease_owner = $4 AND lease_until = $5`

	qDelete = `DELETE FROM jobs WHERE fingerprint = $1 AND id = ANY ($2::bigint[])`

	qPutBack = `
UPDATE jobs SET attempts = attempts + $5, not_before = $1, last_error = $2, batch_seq = NULL
WHERE fingerprint = $3 AND id = ANY ($4::bigint[])`

	qBury = `
WITH moved AS (
	DELETE FROM jobs WHERE fingerprint = $1 AND id = ANY ($2::bigint[]) AND attempts >= $3
	RETURNING id, kind, fingerprint, payload, received_at, attempts, last_error
)
INSERT INTO dead_jobs (id, kind, fingerprint, payload, received_at, attempts, last_error, died_at)
SELECT id, kind, fingerprint, payload, received_at, attempts, last_error, now() FROM moved`

	// qRedrive moves dead jobs back under their own ids (an identity
	// never gave an id to another job), due at $2 with no attempts, and
	// names the fingerprints whose heads must be recomputed.
	qRedrive = `
WITH moved AS (
	DELETE FROM dead_jobs WHERE $1 = '' OR fingerprint = $1
	RETURNING id, kind, fingerprint, payload, received_at, last_error
), j AS (
	INSERT INTO jobs (id, kind, fingerprint, payload, received_at, not_before, attempts, last_error)
	SELECT id, kind, fingerprint, payload, received_at, $2, 0, last_error FROM moved
	RETURNING fingerprint
)
SELECT fingerprint, count(*) FROM j GROUP BY fingerprint ORDER BY fingerprint`

	qLookup = `SELECT jira_key, state, created_at, updated_at FROM fingerprints WHERE fingerprint = $1`

	qStats = `
SELECT
	(SELECT count(*) FROM jobs WHERE not_before <= $1),
	(SELECT count(*) FROM jobs WHERE not_before > $1),
	(SELECT count(*) FROM fingerprints WHERE lease_owner IS NOT NULL AND lease_until > $1),
	(SELECT count(*) FROM dead_jobs),
	(SELECT count(*) FROM fingerprints),
	(SELECT min(received_at) FROM jobs WHERE not_before <= $1)`

	qDead = `
SELECT id, kind, fingerprint, payload, received_at, attempts, last_error, died_at
FROM dead_jobs ORDER BY died_at DESC, id DESC LIMIT $1`
)

// Enqueue stores d; when it returns nil the job is committed, which with
// the server's default synchronous_commit=on means flushed to its WAL. An
// empty
// Fingerprint becomes "job:<id>"; Unique never finds a twin for it. The
// statements go as one pipeline, one round trip, which Postgres runs as
// one transaction. Unique deliveries hold an advisory lock on (kind,
// fingerprint) across the twin check and the insert, so that two replicas
// enqueueing the same twin at once add one job. A delivery with a Once id
// takes an explicit transaction: the id first, then (if it is new) the
// same statements.
func (s *Store) Enqueue(ctx context.Context, d store.Delivery) (int64, bool, error) {
	d = d.WithDefaults(time.Now())
	received, notBefore, payload := d.Received, d.NotBefore, d.Payload
	unique := d.Unique && d.Fingerprint != ""
	var (
		id    int64
		added bool
	)
	insert := func() *pgx.Batch {
		var batch pgx.Batch
		if unique {
			batch.Queue(qLockUnique, d.Kind, d.Fingerprint)
		}
		if d.Fingerprint != "" {
			// A job of its own group has a fingerprint nobody else can
			// be using: no lock, and nothing to lower.
			batch.Queue(qLockQueueShared, d.Fingerprint)
		}
		batch.Queue(qEnqueue, d.Kind, d.Fingerprint, payload, ts(received), ts(notBefore), unique).
			QueryRow(func(row pgx.Row) error { return row.Scan(&id, &added) })
		if d.Fingerprint != "" {
			batch.Queue(qHeadLower, d.Fingerprint)
		}
		return &batch
	}
	if d.Once == "" {
		if err := s.pool.SendBatch(ctx, insert()).Close(); err != nil {
			return 0, false, fmt.Errorf("postgres store: enqueue: %w", err)
		}
		return id, added, nil
	}
	if d.OnceFor <= 0 {
		return 0, false, fmt.Errorf("postgres store: enqueue: Once %q needs a positive OnceFor", d.Once)
	}
	// The Once id and the job are written in one transaction: both or
	// neither.
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		id, added = 0, false
		var first bool
		err := tx.QueryRow(ctx, qOnce, d.Once, ts(received.Add(d.OnceFor)), ts(received)).Scan(&first)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil // a copy: nothing more to store
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, qOncePurge, ts(received)); err != nil {
			return err
		}
		return tx.SendBatch(ctx, insert()).Close()
	})
	if err != nil {
		return 0, false, fmt.Errorf("postgres store: enqueue: %w", err)
	}
	return id, added, nil
}

// Next leases the fingerprint of the oldest ready job no live lease holds,
// oldest meaning due longest (NotBefore; Received for a job that was not
// delayed), ties going to the lower id. max below 1 counts as 1.
func (s *Store) Next(ctx context.Context, owner string, now time.Time, lease time.Duration, max int) (*store.Batch, error) {
	if max < 1 {
		max = 1
	}
	lost := []string{}
	for {
		b, fp, err := s.tryNext(ctx, owner, now, lease, max, lost)
		if errors.Is(err, errNoJobs) {
			// The head promised ready jobs that are not there: fix
			// it (this does not happen while heads are kept right).
			err = s.inTx(ctx, func(tx pgx.Tx) error { return setHead(ctx, tx, fp) })
		}
		if err != nil {
			return nil, fmt.Errorf("postgres store: next: %w", err)
		}
		if b != nil || fp == "" {
			return b, nil
		}
		// Another worker got fp first: try the next candidate.
		lost = append(lost, fp)
	}
}

var (
	// errRaced rolls back an attempt of Next that lost its fingerprint.
	errRaced = errors.New("lost the race")
	// errNoJobs rolls back an attempt of Next that leased a fingerprint
	// with no ready jobs.
	errNoJobs = errors.New("no ready jobs")
)

// tryNext makes one attempt, in one transaction. It returns the batch, or
// the fingerprint it could not lease, or neither when nothing is ready.
func (s *Store) tryNext(ctx context.Context, owner string, now time.Time, lease time.Duration, max int, lost []string) (b *store.Batch, fp string, err error) {
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		b, fp = nil, ""
		err := tx.QueryRow(ctx, qPick, ts(now), lost).Scan(&fp)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		rec := store.Record{Fingerprint: fp}
		var until time.Time
		var seq int64
		err = tx.QueryRow(ctx, qLease, fp, owner, ts(now.Add(lease)), ts(now)).
			Scan(&rec.JiraKey, &rec.State, &until, &seq, &rec.Created, &rec.Updated)
		if errors.Is(err, pgx.ErrNoRows) {
			return errRaced
		}
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, qTake, seq, fp, ts(now), max)
		if err != nil {
			return err
		}
		jobs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Job, error) {
			j := store.Job{Fingerprint: fp}
			err := r.Scan(&j.ID, &j.Kind, &j.Payload, &j.Received, &j.Attempts, &j.LastError)
			j.Received = j.Received.UTC()
			return j, err
		})
		if err != nil {
			return err
		}
		if len(jobs) == 0 {
			return errNoJobs
		}
		slices.SortFunc(jobs, func(a, b store.Job) int {
			if c := a.Received.Compare(b.Received); c != 0 {
				return c
			}
			return cmp.Compare(a.ID, b.ID)
		})
		rec.Created, rec.Updated = rec.Created.UTC(), rec.Updated.UTC()
		b = &store.Batch{Owner: owner, Record: rec, Jobs: jobs, Until: until.UTC()}
		return nil
	})
	if errors.Is(err, errRaced) {
		return nil, fp, nil
	}
	if errors.Is(err, errNoJobs) {
		return nil, fp, err
	}
	if err != nil {
		return nil, "", err
	}
	return b, fp, nil
}

// setHead recomputes fp's queue head, waiting for the Enqueues of fp in
// flight to commit first.
func setHead(ctx context.Context, tx pgx.Tx, fp string) error {
	if _, err := tx.Exec(ctx, qLockQueue, fp); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, qHeadSet, fp)
	return err
}

// wrap adds context to err, except that store.ErrLeaseLost is returned as
// is, for callers that compare with ==.
func wrap(what string, b *store.Batch, err error) error {
	if errors.Is(err, store.ErrLeaseLost) {
		return store.ErrLeaseLost
	}
	return fmt.Errorf("postgres store: %s %s: %w", what, b.Record.Fingerprint, err)
}

// Save writes the key and state and extends the lease to until (a lease is
// never shortened). On success b's Until and Record follow.
func (s *Store) Save(ctx context.Context, b *store.Batch, jiraKey string, state []byte, until time.Time) error {
	if b == nil {
		return errors.New("postgres store: save: nil batch")
	}
	var newUntil, updated time.Time
	err := s.pool.QueryRow(ctx, qSave, jiraKey, state, ts(until), b.Record.Fingerprint, b.Owner, ts(b.Until)).Scan(&newUntil, &updated)
	if errors.Is(err, pgx.ErrNoRows) {
		err = store.ErrLeaseLost
	}
	if err != nil {
		return wrap("save", b, err)
	}
	b.Until = newUntil.UTC()
	b.Record.JiraKey, b.Record.State, b.Record.Updated = jiraKey, state, updated.UTC()
	return nil
}

// release checks that b's lease is still held, writes the key and state
// and frees the fingerprint; the record stays locked to the transaction's
// end.
func release(ctx context.Context, tx pgx.Tx, b *store.Batch, jiraKey string, state []byte) error {
	tag, err := tx.Exec(ctx, qRelease, jiraKey, state, b.Record.Fingerprint, b.Owner, ts(b.Until))
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return store.ErrLeaseLost
	}
	return nil
}

// Finish deletes exactly b's jobs (jobs that arrived since stay), writes the
// key and state and releases the lease.
func (s *Store) Finish(ctx context.Context, b *store.Batch, jiraKey string, state []byte) error {
	if b == nil {
		return errors.New("postgres store: finish: nil batch")
	}
	fp, ids := b.Record.Fingerprint, jobIDs(b)
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := release(ctx, tx, b, jiraKey, state); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, qDelete, fp, ids); err != nil {
			return err
		}
		return setHead(ctx, tx, fp)
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
		return errors.New("postgres store: retry: nil batch")
	}
	fp, ids := b.Record.Fingerprint, jobIDs(b)
	counted, bury, threshold := f.Apply()
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := release(ctx, tx, b, jiraKey, state); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, qPutBack, ts(f.NotBefore), f.Error, fp, ids, counted); err != nil {
			return err
		}
		if bury {
			if _, err := tx.Exec(ctx, qBury, fp, ids, threshold); err != nil {
				return err
			}
		}
		return setHead(ctx, tx, fp)
	})
	if err != nil {
		return wrap("retry", b, err)
	}
	return nil
}

// Redrive moves the dead jobs of fingerprint (of every fingerprint when it
// is "") back to the queue, due at now, and recomputes their heads in
// fingerprint order (one lock order for every redrive).
func (s *Store) Redrive(ctx context.Context, fingerprint string, now time.Time) (int, error) {
	total := 0
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		total = 0
		rows, err := tx.Query(ctx, qRedrive, fingerprint, ts(now))
		if err != nil {
			return err
		}
		var fps []string
		for rows.Next() {
			var fp string
			var n int
			if err := rows.Scan(&fp, &n); err != nil {
				rows.Close()
				return err
			}
			fps, total = append(fps, fp), total+n
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, fp := range fps {
			if err := setHead(ctx, tx, fp); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("postgres store: redrive %q: %w", fingerprint, err)
	}
	return total, nil
}

func jobIDs(b *store.Batch) []int64 {
	ids := make([]int64, len(b.Jobs))
	for i, j := range b.Jobs {
		ids[i] = j.ID
	}
	return ids
}

// Lookup reads a fingerprint's record without leasing it.
func (s *Store) Lookup(ctx context.Context, fingerprint string) (store.Record, bool, error) {
	rec := store.Record{Fingerprint: fingerprint}
	err := s.pool.QueryRow(ctx, qLookup, fingerprint).Scan(&rec.JiraKey, &rec.State, &rec.Created, &rec.Updated)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Record{}, false, nil
	}
	if err != nil {
		return store.Record{}, false, fmt.Errorf("postgres store: lookup: %w", err)
	}
	rec.Created, rec.Updated = rec.Created.UTC(), rec.Updated.UTC()
	return rec, true, nil
}

// Stats counts the queue at now: Ready and Delayed split all queued jobs by
// NotBefore (jobs of leased fingerprints included), Leased counts live
// leases.
func (s *Store) Stats(ctx context.Context, now time.Time) (store.Stats, error) {
	var st store.Stats
	var oldest *time.Time
	err := s.pool.QueryRow(ctx, qStats, ts(now)).Scan(&st.Ready, &st.Delayed, &st.Leased, &st.Dead, &st.Fingerprints, &oldest)
	if err != nil {
		return store.Stats{}, fmt.Errorf("postgres store: stats: %w", err)
	}
	if oldest != nil {
		st.OldestReady = oldest.UTC()
	}
	return st, nil
}

// Dead lists up to limit dead jobs, newest first; limit 0 or less lists all.
func (s *Store) Dead(ctx context.Context, limit int) ([]store.DeadJob, error) {
	var lim *int
	if limit > 0 {
		lim = &limit
	}
	rows, err := s.pool.Query(ctx, qDead, lim)
	if err != nil {
		return nil, fmt.Errorf("postgres store: dead: %w", err)
	}
	dead, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.DeadJob, error) {
		var d store.DeadJob
		err := r.Scan(&d.ID, &d.Kind, &d.Fingerprint, &d.Payload, &d.Received, &d.Attempts, &d.LastError, &d.Died)
		d.Received, d.Died = d.Received.UTC(), d.Died.UTC()
		return d, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres store: dead: %w", err)
	}
	return dead, nil
}
