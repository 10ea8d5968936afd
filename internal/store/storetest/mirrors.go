package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/store"
)

// ---- helpers ----

func saveMirror(t *testing.T, s store.Store, m store.Mirror) {
	t.Helper()
	if err := s.SaveMirror(t.Context(), m); err != nil {
		t.Fatalf("SaveMirror(%s %s in %s): %v", m.Source, m.SourceID, m.Target, err)
	}
}

// wantMirror looks up (source, sourceID, target) and wants want.
func wantMirror(t *testing.T, s store.Store, want store.Mirror) {
	t.Helper()
	got, ok, err := s.LookupMirror(t.Context(), want.Source, want.SourceID, want.Target)
	if err != nil {
		t.Fatalf("LookupMirror(%s, %s, %s): %v", want.Source, want.SourceID, want.Target, err)
	}
	if !ok || !sameMirror(got, want) {
		t.Fatalf("LookupMirror(%s, %s, %s) = %+v, %v\nwant %+v, true", want.Source, want.SourceID, want.Target, got, ok, want)
	}
}

// wantMirrorByTarget looks up want's copy and wants want.
func wantMirrorByTarget(t *testing.T, s store.Store, want store.Mirror) {
	t.Helper()
	got, ok, err := s.LookupMirrorByTarget(t.Context(), want.Target, want.TargetID)
	if err != nil {
		t.Fatalf("LookupMirrorByTarget(%s, %s): %v", want.Target, want.TargetID, err)
	}
	if !ok || !sameMirror(got, want) {
		t.Fatalf("LookupMirrorByTarget(%s, %s) = %+v, %v\nwant %+v, true", want.Target, want.TargetID, got, ok, want)
	}
}

func wantNoMirror(t *testing.T, s store.Store, source, sourceID, target string) {
	t.Helper()
	got, ok, err := s.LookupMirror(t.Context(), source, sourceID, target)
	if err != nil || ok {
		t.Fatalf("LookupMirror(%s, %s, %s) = %+v, %v, %v; want not found", source, sourceID, target, got, ok, err)
	}
}

func wantNoMirrorByTarget(t *testing.T, s store.Store, target, targetID string) {
	t.Helper()
	got, ok, err := s.LookupMirrorByTarget(t.Context(), target, targetID)
	if err != nil || ok {
		t.Fatalf("LookupMirrorByTarget(%s, %q) = %+v, %v, %v; want not found", target, targetID, got, ok, err)
	}
}

// sameMirror compares all fields, Updated as an instant in UTC.
func sameMirror(got, want store.Mirror) bool {
	u1, u2 := got.Updated, want.Updated
	got.Updated, want.Updated = time.Time{}, time.Time{}
	return got == want && u1.Equal(u2) && u1.Location() == time.UTC
}

func markSeen(t *testing.T, s store.Store, id string, now time.Time, keep time.Duration) bool {
	t.Helper()
	first, err := s.MarkSeen(t.Context(), id, now, keep)
	if err != nil {
		t.Fatalf("MarkSeen(%s, %s): %v", id, now.Sub(t0), err)
	}
	return first
}

func wantFirst(t *testing.T, s store.Store, id string, now time.Time, keep time.Duration, want bool) {
	t.Helper()
	if got := markSeen(t, s, id, now, keep); got != want {
		t.Fatalf("MarkSeen(%s, %s, keep %s) = %v, want %v", id, now.Sub(t0), keep, got, want)
	}
}

func wantCursor(t *testing.T, s store.Store, name, want string) {
	t.Helper()
	got, err := s.Cursor(t.Context(), name)
	if err != nil || got != want {
		t.Fatalf("Cursor(%s) = %q, %v; want %q", name, got, err, want)
	}
}

func setCursor(t *testing.T, s store.Store, name, value string) {
	t.Helper()
	if err := s.SetCursor(t.Context(), name, value); err != nil {
		t.Fatalf("SetCursor(%s, %q): %v", name, value, err)
	}
}

func wantLease(t *testing.T, s store.Store, name, owner string, now, until time.Time, want bool) {
	t.Helper()
	got, err := s.TryLease(t.Context(), name, owner, now, until)
	if err != nil {
		t.Fatalf("TryLease(%s, %s, now %s, until %s): %v", name, owner, now.Sub(t0), until.Sub(t0), err)
	}
	if got != want {
		t.Fatalf("TryLease(%s, %s, now %s, until %s) = %v, want %v", name, owner, now.Sub(t0), until.Sub(t0), got, want)
	}
}

// contend runs fn from n goroutines at once, goroutine i on
// stores[i%len(stores)], and counts those that got true.
func contend(t *testing.T, stores []store.Store, n int, fn func(s store.Store, i int) (bool, error)) int {
	t.Helper()
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		won   = make([]bool, n)
		errs  = make([]error, n)
	)
	for i := range n {
		wg.Go(func() {
			<-start
			won[i], errs[i] = fn(stores[i%len(stores)], i)
		})
	}
	close(start)
	wg.Wait()
	wins := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("contender %d: %v", i, errs[i])
		}
		if won[i] {
			wins++
		}
	}
	return wins
}

// finishWithKey gives fingerprint fp a record holding jiraKey.
func finishWithKey(t *testing.T, s store.Store, fp, jiraKey string, state []byte, now time.Time) {
	t.Helper()
	id := enqueue(t, s, job(fp, now))
	b := mustNext(t, s, "w", now, 10, fp, id)
	finish(t, s, b, jiraKey, state)
}

// ---- comment mirrors ----

func testMirrorUpsert(t *testing.T, s store.Store) {
	// The intent, saved before the copy is written: it has no copy yet,
	// so nothing comes back by target.
	m := store.Mirror{Source: "jira", SourceID: "OPS-1/10042", Target: "sentry", Digest: "d1", Updated: at(0)}
	saveMirror(t, s, m)
	wantMirror(t, s, m)
	wantNoMirrorByTarget(t, s, "sentry", "")

	// The copy written.
	m.TargetID, m.Updated = "5001", at(time.Second)
	saveMirror(t, s, m)
	wantMirror(t, s, m)
	wantMirrorByTarget(t, s, m)

	// An edit replaces the record rather than adding one.
	m.Digest, m.Updated = "d2", at(2*time.Second)
	saveMirror(t, s, m)
	wantMirror(t, s, m)
	wantMirrorByTarget(t, s, m)

	// So does a deletion.
	m.Deleted, m.Updated = true, at(3*time.Second)
	saveMirror(t, s, m)
	wantMirror(t, s, m)
	wantMirrorByTarget(t, s, m)

	// The same comment copied to another target is another record.
	g := store.Mirror{Source: "jira", SourceID: "OPS-1/10042", Target: "guance", TargetID: "reply-7", Digest: "d2", Updated: at(4 * time.Second)}
	saveMirror(t, s, g)
	wantMirror(t, s, g)
	wantMirrorByTarget(t, s, g)
	wantMirror(t, s, m)
	wantMirrorByTarget(t, s, m)
	// A copy is found in its own target only.
	wantNoMirrorByTarget(t, s, "sentry", "reply-7")
	wantNoMirrorByTarget(t, s, "guance", "5001")

	// A record saved without a time gets the time it was saved.
	before := time.Now().Add(-time.Minute)
	n := store.Mirror{Source: "sentry", SourceID: "98765", Target: "jira", TargetID: "OPS-1/10050", Digest: "d3"}
	saveMirror(t, s, n)
	got, ok, err := s.LookupMirror(t.Context(), "sentry", "98765", "jira")
	if err != nil || !ok {
		t.Fatalf("LookupMirror of a mirror saved without Updated = %+v, %v, %v", got, ok, err)
	}
	if got.Updated.Before(before) || got.Updated.After(time.Now().Add(time.Minute)) || got.Updated.Location() != time.UTC {
		t.Fatalf("mirror saved without Updated has Updated = %s, want about now in UTC", got.Updated)
	}
	n.Updated = got.Updated
	wantMirror(t, s, n)
	wantMirrorByTarget(t, s, n)
}

func testMirrorMissing(t *testing.T, s store.Store) {
	wantNoMirror(t, s, "jira", "OPS-1/10042", "sentry")
	wantNoMirrorByTarget(t, s, "sentry", "5001")
	wantNoMirrorByTarget(t, s, "sentry", "")

	saveMirror(t, s, store.Mirror{Source: "jira", SourceID: "OPS-1/10042", Target: "sentry", TargetID: "5001", Updated: at(0)})
	// Every part of the key counts.
	wantNoMirror(t, s, "jira", "OPS-1/10042", "guance")
	wantNoMirror(t, s, "jira", "OPS-1/10043", "sentry")
	wantNoMirror(t, s, "sentry", "OPS-1/10042", "sentry")
	wantNoMirror(t, s, "sentry", "5001", "jira") // the copy is not a source
	wantNoMirrorByTarget(t, s, "jira", "OPS-1/10042")
	wantNoMirrorByTarget(t, s, "sentry", "5002")
}

// ---- delivery ids ----

func testMarkSeen(t *testing.T, s store.Store) {
	const keep = 24 * time.Hour
	wantFirst(t, s, "delivery-1", at(0), keep, true)
	wantFirst(t, s, "delivery-1", at(0), keep, false)           // the sender's retry, at once
	wantFirst(t, s, "delivery-1", at(time.Minute), keep, false) // and later
	wantFirst(t, s, "delivery-2", at(time.Minute), keep, true)  // another delivery
	wantFirst(t, s, "delivery-1", at(time.Hour), keep, false)   // still remembered
	wantFirst(t, s, "Delivery-1", at(time.Hour), keep, true)    // ids are compared exactly
	wantFirst(t, s, "delivery-2", at(23*time.Hour), keep, false)
	// Exactly keep old is not older than keep.
	wantFirst(t, s, "delivery-2", at(time.Minute+keep), keep, false)
}

func testMarkSeenConcurrent(t *testing.T, s store.Store) {
	markSeenRace(t, []store.Store{s})
}

// markSeenRace has 8 goroutines mark one id at once, a few rounds over.
func markSeenRace(t *testing.T, stores []store.Store) {
	for round := range 10 {
		id := fmt.Sprintf("delivery-%d", round)
		firsts := contend(t, stores, 8, func(s store.Store, _ int) (bool, error) {
			return s.MarkSeen(t.Context(), id, at(time.Second), time.Hour)
		})
		if firsts != 1 {
			t.Fatalf("round %d: %d of 8 concurrent MarkSeen(%s) were first, want exactly 1", round, firsts, id)
		}
		for _, s := range stores {
			wantFirst(t, s, id, at(2*time.Second), time.Hour, false)
		}
	}
}

func testMarkSeenForgets(t *testing.T, s store.Store) {
	const keep = time.Hour
	for i := range 5 {
		wantFirst(t, s, fmt.Sprintf("old-%d", i), at(0), keep, true)
	}
	wantFirst(t, s, "old-0", at(30*time.Minute), keep, false)
	// Two hours on the ids are forgotten: a replay counts as first
	// again, once. (The first call finds old-0 still stored, if expired;
	// the others may find their ids purged by then.)
	wantFirst(t, s, "old-0", at(2*time.Hour), keep, true)
	wantFirst(t, s, "old-0", at(2*time.Hour+time.Second), keep, false)
	for i := 1; i < 5; i++ {
		id := fmt.Sprintf("old-%d", i)
		wantFirst(t, s, id, at(2*time.Hour+time.Second), keep, true)
		wantFirst(t, s, id, at(2*time.Hour+2*time.Second), keep, false)
	}
	// An id recorded again is kept for keep from then, purges or not.
	wantFirst(t, s, "old-0", at(2*time.Hour+59*time.Minute), keep, false)
	wantFirst(t, s, "fresh", at(3*time.Hour+30*time.Minute), keep, true)
	wantFirst(t, s, "old-0", at(3*time.Hour+30*time.Minute), keep, true)
	wantFirst(t, s, "fresh", at(4*time.Hour+29*time.Minute), keep, false)
}

// ---- cursors ----

func testCursors(t *testing.T, s store.Store) {
	wantCursor(t, s, "jira:reconcile", "")
	setCursor(t, s, "jira:reconcile", "2031-03-04T05:06:07Z")
	wantCursor(t, s, "jira:reconcile", "2031-03-04T05:06:07Z")
	setCursor(t, s, "jira:reconcile", "2031-03-04T06:00:00Z")
	wantCursor(t, s, "jira:reconcile", "2031-03-04T06:00:00Z")
	wantCursor(t, s, "guance:poll", "")
	setCursor(t, s, "guance:poll", `{"page":3,"ids":["a","ü"]}`)
	wantCursor(t, s, "guance:poll", `{"page":3,"ids":["a","ü"]}`)
	wantCursor(t, s, "jira:reconcile", "2031-03-04T06:00:00Z")
	setCursor(t, s, "jira:reconcile", "")
	wantCursor(t, s, "jira:reconcile", "")
}

// ---- named leases ----

func testNamedLease(t *testing.T, s store.Store) {
	const name = "poll:guance"
	sec := func(n int) time.Time { return at(time.Duration(n) * time.Second) }
	// Granted: nobody held it.
	wantLease(t, s, name, "replica-1", sec(0), sec(30), true)
	// Refused to another owner while held.
	wantLease(t, s, name, "replica-2", sec(10), sec(40), false)
	// Renewed by the holder, which holds it until the new until.
	wantLease(t, s, name, "replica-1", sec(20), sec(50), true)
	wantLease(t, s, name, "replica-2", sec(49), sec(80), false)
	// Another name is another lease.
	wantLease(t, s, "poll:sentry", "replica-2", sec(49), sec(80), true)
	// Taken over once expired (at until), after which the old holder is
	// refused and the new one renews.
	wantLease(t, s, name, "replica-2", sec(50), sec(80), true)
	wantLease(t, s, name, "replica-1", sec(60), sec(90), false)
	wantLease(t, s, name, "replica-2", sec(70), sec(100), true)
	// A holder lets go early by renewing until now.
	wantLease(t, s, name, "replica-2", sec(75), sec(75), true)
	wantLease(t, s, name, "replica-1", sec(75), sec(105), true)
}

func testNamedLeaseConcurrent(t *testing.T, s store.Store) {
	leaseRace(t, []store.Store{s})
}

// leaseRace has 8 owners contend for a new lease, and again for one that
// has expired, a few rounds over: exactly one wins each time.
func leaseRace(t *testing.T, stores []store.Store) {
	for round := range 10 {
		name := fmt.Sprintf("poll-%d", round)
		try := func(now, until time.Time) int {
			return contend(t, stores, 8, func(s store.Store, i int) (bool, error) {
				return s.TryLease(t.Context(), name, fmt.Sprintf("replica-%d", i), now, until)
			})
		}
		if wins := try(at(0), at(time.Minute)); wins != 1 {
			t.Fatalf("round %d: %d of 8 owners got the new lease %s, want exactly 1", round, wins, name)
		}
		if wins := try(at(30*time.Second), at(90*time.Second)); wins != 1 {
			// The holder renews; the other seven are refused.
			t.Fatalf("round %d: %d of 8 owners got the held lease %s, want exactly 1 (its holder)", round, wins, name)
		}
		if wins := try(at(90*time.Second), at(150*time.Second)); wins != 1 {
			t.Fatalf("round %d: %d of 8 owners got the expired lease %s, want exactly 1", round, wins, name)
		}
	}
}

// ---- records by Jira key ----

func testLookupByJiraKey(t *testing.T, s store.Store) {
	lookupKey := func(key string) (store.Record, bool) {
		t.Helper()
		rec, ok, err := s.LookupByJiraKey(t.Context(), key)
		if err != nil {
			t.Fatalf("LookupByJiraKey(%q): %v", key, err)
		}
		return rec, ok
	}
	if rec, ok := lookupKey("FIX-1"); ok {
		t.Fatalf("LookupByJiraKey in an empty store = %+v, true", rec)
	}
	finishWithKey(t, s, "a", "FIX-1", []byte(`{"n":1}`), at(0))
	finishWithKey(t, s, "b", "FIX-2", nil, at(0))
	finishWithKey(t, s, "no-issue-yet", "", []byte(`{}`), at(0))

	rec, ok := lookupKey("FIX-1")
	if !ok || rec.Fingerprint != "a" || rec.JiraKey != "FIX-1" || string(rec.State) != `{"n":1}` ||
		rec.Created.IsZero() || rec.Updated.Before(rec.Created) ||
		rec.Created.Location() != time.UTC || rec.Updated.Location() != time.UTC {
		t.Fatalf("LookupByJiraKey(FIX-1) = %+v, %v; want the record of a", rec, ok)
	}
	if byFP, _ := lookup(t, s, "a"); !byFP.Created.Equal(rec.Created) || !byFP.Updated.Equal(rec.Updated) {
		t.Fatalf("LookupByJiraKey(FIX-1) = %+v, Lookup(a) = %+v; want the same record", rec, byFP)
	}
	if rec, ok := lookupKey("FIX-2"); !ok || rec.Fingerprint != "b" || rec.State != nil {
		t.Fatalf("LookupByJiraKey(FIX-2) = %+v, %v; want b's record with nil state", rec, ok)
	}
	for _, key := range []string{"FIX-3", "fix-1", "FIX-", ""} {
		if rec, ok := lookupKey(key); ok {
			t.Fatalf("LookupByJiraKey(%q) = %+v, true; want not found", key, rec)
		}
	}
	// The key moves with the record.
	finishWithKey(t, s, "a", "FIX-9", nil, at(time.Minute))
	if rec, ok := lookupKey("FIX-1"); ok {
		t.Fatalf("LookupByJiraKey(FIX-1) after a's key changed = %+v, true", rec)
	}
	if rec, ok := lookupKey("FIX-9"); !ok || rec.Fingerprint != "a" {
		t.Fatalf("LookupByJiraKey(FIX-9) = %+v, %v; want a", rec, ok)
	}
}

// ---- across stores on one database ----

func testMirrorsTwoStores(t *testing.T, open func(t *testing.T) store.Store) {
	s1, s2 := open(t), open(t)
	m := store.Mirror{Source: "guance", SourceID: "issue-1/reply-3", Target: "jira", TargetID: "OPS-7/10001", Digest: "d", Updated: at(0)}
	saveMirror(t, s1, m)
	wantMirror(t, s2, m)
	wantMirrorByTarget(t, s2, m)
	m.Digest, m.Updated = "d2", at(time.Second)
	saveMirror(t, s2, m)
	wantMirror(t, s1, m)

	setCursor(t, s2, "jira:reconcile", "42")
	wantCursor(t, s1, "jira:reconcile", "42")

	finishWithKey(t, s1, "a", "FIX-1", nil, at(0))
	if rec, ok, err := s2.LookupByJiraKey(t.Context(), "FIX-1"); err != nil || !ok || rec.Fingerprint != "a" {
		t.Fatalf("LookupByJiraKey(FIX-1) on the other store = %+v, %v, %v; want a", rec, ok, err)
	}

	wantFirst(t, s1, "delivery-1", at(0), time.Hour, true)
	wantFirst(t, s2, "delivery-1", at(time.Second), time.Hour, false)
	wantLease(t, s2, "poll:sentry", "replica-2", at(0), at(time.Minute), true)
	wantLease(t, s1, "poll:sentry", "replica-1", at(time.Second), at(time.Minute), false)
}

func testMarkSeenTwoStores(t *testing.T, open func(t *testing.T) store.Store) {
	markSeenRace(t, []store.Store{open(t), open(t)})
}

func testNamedLeaseTwoStores(t *testing.T, open func(t *testing.T) store.Store) {
	leaseRace(t, []store.Store{open(t), open(t)})
}

func testMirrorsReopen(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	m := store.Mirror{Source: "jira", SourceID: "OPS-1/10042", Target: "sentry", TargetID: "5001", Digest: "d", Deleted: true, Updated: at(0)}
	saveMirror(t, s, m)
	wantFirst(t, s, "delivery-1", at(0), time.Hour, true)
	setCursor(t, s, "jira:reconcile", "42")
	wantLease(t, s, "poll:guance", "replica-1", at(0), at(time.Minute), true)
	finishWithKey(t, s, "a", "FIX-1", nil, at(0))
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s = open(t)
	wantMirror(t, s, m)
	wantMirrorByTarget(t, s, m)
	wantFirst(t, s, "delivery-1", at(time.Second), time.Hour, false)
	wantCursor(t, s, "jira:reconcile", "42")
	wantLease(t, s, "poll:guance", "replica-2", at(time.Second), at(time.Minute), false)
	if rec, ok, err := s.LookupByJiraKey(t.Context(), "FIX-1"); err != nil || !ok || rec.Fingerprint != "a" {
		t.Fatalf("LookupByJiraKey(FIX-1) after reopen = %+v, %v, %v; want a", rec, ok, err)
	}
}
