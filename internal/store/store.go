// Package store is the bot's durable state: the queue of accepted
// deliveries and its dead letters, one record per fingerprint (the Jira
// issue it has, the bot's counters), and what comment sync and the pollers
// keep (which comment copies which, delivery ids seen, cursors, named
// leases), and the dashboard's snapshots of what it last read, of the
// whole list and of each loop as it changed. Backends live in
// sub-packages (sqlite, postgres) and pass the same suite (storetest).
//
// Jobs are grouped by fingerprint and leased a fingerprint at a time: a
// worker that holds a fingerprint's lease is the only one, across
// goroutines, processes and replicas, that acts on that problem, so there
// is one Jira issue per fingerprint and a storm of deliveries for one
// problem is handled as a few batches. A lease that expires (the worker
// died) frees the fingerprint and its jobs for another worker: nothing
// accepted is lost.
package store

import (
	"context"
	"errors"
	"time"
)

// ErrLeaseLost is returned when a worker writes through a lease another
// worker has since taken.
var ErrLeaseLost = errors.New("store: lease lost to another worker")

// Delivery is a webhook accepted for processing.
type Delivery struct {
	Kind        string // "sentry", "sentry_legacy", "alertmanager", "flush", ...
	Fingerprint string // groups jobs; "" puts the job in a group of its own
	Payload     []byte
	Received    time.Time
	// NotBefore delays the job; zero means Received.
	NotBefore time.Time
	// Unique skips the insert when a job of the same Kind and Fingerprint
	// is already pending (a deferred flush needs to be queued only once).
	Unique bool
	// Once, when set, names what the delivery reports (a Sentry event
	// id, say), so that a copy of it, a sender's retry or a replay, is
	// stored once: Enqueue skips a delivery whose Once was stored less
	// than OnceFor before this one's Received (added false, id 0, no
	// error). The id is recorded in the transaction that stores the job,
	// so it is recorded exactly when the job is: a failed Enqueue leaves
	// no trace, and the sender's retry is stored. "" means no such check.
	Once string
	// OnceFor is how long a Once id is remembered after the delivery that
	// stored it was received: as long as a copy may still be accepted.
	// It must be positive when Once is set.
	OnceFor time.Duration
}

// WithDefaults fills what a delivery may leave out: Received is now,
// NotBefore is Received, and an empty Payload is empty rather than nil.
func (d Delivery) WithDefaults(now time.Time) Delivery {
	if d.Received.IsZero() {
		d.Received = now
	}
	if d.NotBefore.IsZero() {
		d.NotBefore = d.Received
	}
	if d.Payload == nil {
		d.Payload = []byte{}
	}
	return d
}

// Job is a delivery in the queue.
type Job struct {
	ID          int64
	Kind        string
	Fingerprint string
	Payload     []byte
	Received    time.Time
	Attempts    int // failed attempts so far
	LastError   string
}

// Record is what the store keeps per fingerprint.
type Record struct {
	Fingerprint string
	JiraKey     string
	// State is the bot's own JSON (counters, escalation level, ...); the
	// store keeps it as given. Nil for a new fingerprint.
	State   []byte
	Created time.Time
	Updated time.Time
}

// Batch is a fingerprint leased to one worker with its ready jobs.
type Batch struct {
	Owner  string
	Record Record
	Jobs   []Job
	Until  time.Time // the lease ends then unless extended by Save
}

// Failure is what became of a batch that failed, for Store.Retry.
type Failure struct {
	// Error is the cause, kept with each job (and shown with dead letters).
	Error string
	// NotBefore is when the jobs are due again.
	NotBefore time.Time
	// Uncounted puts the jobs back without adding an attempt: the wait is
	// no fault of the deliveries (Jira's search has not caught up yet,
	// Jira is down for everyone).
	Uncounted bool
	// MaxAttempts sends the jobs that reach it to the dead letters; 0 means
	// never.
	MaxAttempts int
	// Dead sends every job of the batch to the dead letters at once: the
	// failure is permanent (Jira refused the request as invalid).
	Dead bool
}

// Apply says how a backend carries f out: add counted to each job's
// attempts, then, if bury, send the jobs whose attempts reach threshold to
// the dead letters.
func (f Failure) Apply() (counted int, bury bool, threshold int) {
	counted = 1
	if f.Uncounted {
		counted = 0
	}
	if f.Dead {
		return counted, true, 0
	}
	return counted, f.MaxAttempts > 0, f.MaxAttempts
}

// DeadJob is a job that failed for good.
type DeadJob struct {
	Job
	Died time.Time
}

// Stats are the queue's numbers, for metrics and /readyz.
type Stats struct {
	Ready        int // jobs that can run now
	Delayed      int // jobs waiting for their NotBefore
	Leased       int // fingerprints held by a worker
	Dead         int
	Fingerprints int
	// OldestReady is when the oldest ready job was received (zero if none).
	OldestReady time.Time
}

// Store is a backend.
type Store interface {
	// Enqueue stores a delivery durably; when it returns nil the delivery
	// survives a crash (kill -9) of the process. added is false when
	// Unique found a pending twin (id is then the twin's) or when Once
	// names a delivery already stored (id is then 0).
	Enqueue(ctx context.Context, d Delivery) (id int64, added bool, err error)

	// Next leases the fingerprint of the oldest ready job that no live
	// lease holds, with up to max of its ready jobs (oldest first), until
	// now+lease. It returns nil, nil when nothing is ready.
	Next(ctx context.Context, owner string, now time.Time, lease time.Duration, max int) (*Batch, error)

	// Save writes the fingerprint's Jira key and state while the batch's
	// lease is held, and extends the lease to until: used right before
	// and right after creating a Jira issue, so a crash in between is
	// seen by the next worker.
	Save(ctx context.Context, b *Batch, jiraKey string, state []byte, until time.Time) error

	// Finish removes the batch's jobs, writes the key and state and
	// releases the lease.
	Finish(ctx context.Context, b *Batch, jiraKey string, state []byte) error

	// Retry writes the key and state, releases the lease and puts the
	// batch's jobs back as f says: due at f.NotBefore with the error, one
	// attempt more unless f.Uncounted; a job that reaches f.MaxAttempts,
	// or every job when f.Dead, goes to the dead letters.
	Retry(ctx context.Context, b *Batch, jiraKey string, state []byte, f Failure) error

	// Redrive moves dead jobs back to the queue, due at now with no
	// attempts (their last error is kept): those of one fingerprint, or
	// all of them when fingerprint is "". It returns how many moved. It is
	// safe while workers run: a redriven job of a leased fingerprint waits
	// for the lease like any new job.
	Redrive(ctx context.Context, fingerprint string, now time.Time) (int, error)

	// Lookup reads a fingerprint's record without leasing it.
	Lookup(ctx context.Context, fingerprint string) (Record, bool, error)

	// LookupByJiraKey finds the fingerprint whose record holds a Jira key.
	LookupByJiraKey(ctx context.Context, jiraKey string) (Record, bool, error)

	Mirrors
	Snapshots

	Stats(ctx context.Context, now time.Time) (Stats, error)
	Dead(ctx context.Context, limit int) ([]DeadJob, error)
	Ping(ctx context.Context) error
	Close() error
}

// Mirror records one comment copied from one system to another, so a
// retried or replayed delivery never posts twice, an edit updates the copy
// instead of adding one, and a copy coming back is recognised as ours.
// (Source, SourceID, Target) is unique.
type Mirror struct {
	Source   string // "jira", "sentry", "guance"
	SourceID string // the comment in the source, e.g. "OPS-1/10042"
	Target   string
	// TargetID is the copy in the target; empty while the copy is being
	// written (a crash then leaves the intent, and the next attempt looks
	// the copy up in the target before writing again).
	TargetID string
	// Digest identifies the text last written, so an edit that changes
	// nothing writes nothing.
	Digest  string
	Deleted bool
	Updated time.Time
}

// Mirrors is the part of the store behind comment sync and the pollers.
type Mirrors interface {
	// LookupMirror finds the copy of a source comment in a target.
	LookupMirror(ctx context.Context, source, sourceID, target string) (Mirror, bool, error)
	// LookupMirrorByTarget finds the mirror whose copy is (target,
	// targetID): a comment arriving from target that fixproof wrote.
	LookupMirrorByTarget(ctx context.Context, target, targetID string) (Mirror, bool, error)
	// SaveMirror inserts or replaces the record for (Source, SourceID,
	// Target).
	SaveMirror(ctx context.Context, m Mirror) error

	// MarkSeen records a delivery id (such as X-Atlassian-Webhook-
	// Identifier, stable across the sender's retries); first is false when
	// it was already recorded. Ids older than keep may be forgotten.
	MarkSeen(ctx context.Context, id string, now time.Time, keep time.Duration) (first bool, err error)

	// Cursor reads a named cursor ("" when never set); SetCursor writes
	// it. Cursors mark how far a reconciliation or a poller has got.
	Cursor(ctx context.Context, name string) (string, error)
	SetCursor(ctx context.Context, name, value string) error

	// TryLease takes or renews a named lease for owner until until; false
	// when another owner holds it past now. It makes a poller run in one
	// replica at a time.
	TryLease(ctx context.Context, name, owner string, now, until time.Time) (bool, error)
}

// Snapshot is a named document kept whole with the time it describes: the
// dashboard's last reading of Jira, so that after a restart it shows what
// it knew, and how old that is, while Jira is down.
type Snapshot struct {
	Name string
	Data []byte
	// Taken is when the data was read from its source.
	Taken time.Time
}

// Snapshots is the part of the store that keeps snapshots.
type Snapshots interface {
	// SaveSnapshot stores s under s.Name unless the one stored there was
	// taken later (two replicas refreshing at once: the newer reading
	// wins, whichever is written last); saved says whether it was stored.
	SaveSnapshot(ctx context.Context, s Snapshot) (saved bool, err error)
	// LoadSnapshot reads the snapshot stored under name; found is false
	// when there is none.
	LoadSnapshot(ctx context.Context, name string) (s Snapshot, found bool, err error)
	// ListSnapshots reads the snapshots whose names start with prefix and
	// that were taken after since, newest first, at most limit of them
	// (limit 0 or less: all). The dashboard keeps one per loop, written as
	// the loop changes, and reads those newer than its last whole reading.
	ListSnapshots(ctx context.Context, prefix string, since time.Time, limit int) ([]Snapshot, error)
}
