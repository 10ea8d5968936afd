// Package storetest is the behaviour every store.Store backend must have,
// as one test suite the backends run against themselves.
//
// Tests drive time with a fake clock: every lease decision uses the now
// they pass, never the wall clock.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/store"
)

// Options are the suite's optional hooks.
type Options struct {
	// Reopen, when set, creates a fresh empty database and returns a
	// function that opens a new Store on it each time it is called (and
	// closes it when the test ends). The suite uses it to restart the bot
	// (close, then open again: everything accepted is still there) and to
	// run two bot processes on one database at once. Leave it nil for a
	// database that lives only as long as its Store, like ":memory:".
	Reopen func(t *testing.T) func(t *testing.T) store.Store
}

// Run runs the suite; open must return a new Store on a fresh, empty
// database each time, closed when the test ends.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	RunWith(t, open, Options{})
}

// RunWith is Run with the optional hooks.
func RunWith(t *testing.T, open func(t *testing.T) store.Store, o Options) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"EnqueueThenNextReturnsIt", testEnqueueThenNext},
		{"NextOnAnEmptyQueueIsNil", testNextEmpty},
		{"PingAnswers", testPing},
		{"OneFingerprintComesAsOneBatchOldestFirstUpToMax", testOneBatch},
		{"OtherFingerprintsAreFreeForOtherWorkers", testOtherFingerprintsFree},
		{"OldestReadyJobDecidesWhichFingerprintIsNext", testOldestFirst},
		{"JobsAreServedInTheOrderTheyBecameDue", testDueOrder},
		{"ADelayedJobDoesNotHoldBackReadyJobsOfItsFingerprint", testDelayedDoesNotBlock},
		{"RetriedJobsWaitWhileNewerJobsOfTheirFingerprintGoAhead", testRetryNewerGoAhead},
		{"ALeasedStormDoesNotHideOtherFingerprints", testStorm},
		{"LeasedFingerprintIsInvisibleUntilTheLeaseExpires", testLeaseExpiry},
		{"CrashedWorkersJobsComeBackWhenItsLeaseExpires", testCrashedWorker},
		{"NewJobForALeasedFingerprintWaitsForTheLease", testNewJobWaits},
		{"FinishRemovesOnlyTheBatchsJobs", testFinishOnlyBatch},
		{"SavePersistsKeyAndStateAndExtendsTheLease", testSave},
		{"LeaseLostAfterExpiryAndReleaseByAnotherOwnerChangesNothing", testLeaseLost},
		{"LeaseLostWhenTheSameOwnerNameTookTheFingerprintAgain", testLeaseLostSameOwner},
		{"LeaseLostForAFinishedBatch", testLeaseLostFinished},
		{"RetryBacksOffAndCountsAttempts", testRetry},
		{"RetryDeadLettersJobsReachingMaxAttempts", testDeadLetter},
		{"UncountedRetryKeepsTheAttemptsAndNeverDeadLetters", testUncountedRetry},
		{"APermanentFailureDeadLettersTheWholeBatchAtOnce", testDeadAtOnce},
		{"RedriveBringsDeadJobsBackDueNowWithNoAttempts", testRedrive},
		{"ARedrivenJobOfALeasedFingerprintWaitsForTheLease", testRedriveWhileLeased},
		{"NotBeforeDelaysAJob", testNotBefore},
		{"UniqueReturnsThePendingTwin", testUnique},
		{"UniqueConcurrentEnqueuesAddOneJob", testUniqueConcurrent},
		{"UniqueDoesNotFoldIntoAJobBeingWorkedOn", testUniqueHeldBatch},
		{"EmptyFingerprintGetsAGroupOfItsOwn", testEmptyFingerprint},
		{"LookupReadsTheRecordWithoutLeasing", testLookup},
		{"StatsCountTheQueue", testStats},
		{"TimesAreUTCWithAtLeastMillisecondPrecision", testTimes},
		{"PayloadsRoundTripByteForByte", testPayloads},
		{"CloseTwiceIsFineAndCallsAfterCloseFail", testClose},
		{"ConcurrentWorkersFinishEveryJobOnceAndNeverShareAFingerprint", testConcurrentOneStore},
		{"LookupByJiraKeyFindsTheFingerprintHoldingTheKey", testLookupByJiraKey},
		{"SaveMirrorUpsertsAndBothLookupsFindIt", testMirrorUpsert},
		{"AMissingMirrorIsNotFound", testMirrorMissing},
		{"MarkSeenIsFirstOnlyForANewID", testMarkSeen},
		{"ConcurrentMarkSeenOfOneIDHasExactlyOneFirst", testMarkSeenConcurrent},
		{"SeenIDsAreForgottenAfterKeep", testMarkSeenForgets},
		{"CursorsAreEmptyUntilSetAndKeepTheLastValue", testCursors},
		{"NamedLeaseIsGrantedRenewedRefusedAndTakenOverAfterExpiry", testNamedLease},
		{"ConcurrentContendersForANamedLeaseHaveOneWinner", testNamedLeaseConcurrent},
		{"SnapshotsAreKeptWholeAndOnlyANewerOneReplacesOne", testSnapshots},
		{"SnapshotsAreListedByPrefixNewestFirstAfterATime", testListSnapshots},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
	shared := []struct {
		name string
		fn   func(t *testing.T, open func(t *testing.T) store.Store)
	}{
		{"EverythingAcceptedSurvivesCloseAndReopen", testReopen},
		{"TwoStoresOnOneDatabaseNeverShareAFingerprint", testConcurrentTwoStores},
		{"UniqueAcrossTwoStoresAddsOneJob", testUniqueTwoStores},
		{"MirrorsSeenIDsCursorsAndLeasesSurviveCloseAndReopen", testMirrorsReopen},
		{"MirrorsCursorsSeenIDsLeasesAndJiraKeysAreSharedByTwoStores", testMirrorsTwoStores},
		{"MarkSeenAcrossTwoStoresHasExactlyOneFirst", testMarkSeenTwoStores},
		{"NamedLeaseAcrossTwoStoresHasOneWinner", testNamedLeaseTwoStores},
		{"SnapshotsSurviveCloseAndReopen", testSnapshotsReopen},
		{"SnapshotsAreSharedByTwoStoresAndTheNewerWins", testSnapshotsTwoStores},
	}
	for _, tc := range shared {
		t.Run(tc.name, func(t *testing.T) {
			if o.Reopen == nil {
				t.Skip("no Reopen hook: the database lives only as long as one Store")
			}
			tc.fn(t, o.Reopen(t))
		})
	}
	runOnce(t, open, o)
}

// t0 is the fake clock's start; the tests move it by hand.
var t0 = time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

const lease = time.Minute

func enqueue(t *testing.T, s store.Store, d store.Delivery) int64 {
	t.Helper()
	if d.Kind == "" {
		d.Kind = "sentry"
	}
	if d.Payload == nil {
		d.Payload = []byte(fmt.Sprintf(`{"fp":%q,"at":%q}`, d.Fingerprint, d.Received))
	}
	id, added, err := s.Enqueue(t.Context(), d)
	if err != nil {
		t.Fatalf("Enqueue(%s/%s): %v", d.Kind, d.Fingerprint, err)
	}
	if !added && !d.Unique {
		t.Fatalf("Enqueue(%s/%s) without Unique: added = false", d.Kind, d.Fingerprint)
	}
	return id
}

func job(fp string, received time.Time) store.Delivery {
	return store.Delivery{Kind: "sentry", Fingerprint: fp, Received: received}
}

func next(t *testing.T, s store.Store, owner string, now time.Time, max int) *store.Batch {
	t.Helper()
	b, err := s.Next(t.Context(), owner, now, lease, max)
	if err != nil {
		t.Fatalf("Next(%s, %s): %v", owner, now, err)
	}
	return b
}

func mustNext(t *testing.T, s store.Store, owner string, now time.Time, max int, wantFP string, wantIDs ...int64) *store.Batch {
	t.Helper()
	b := next(t, s, owner, now, max)
	if b == nil {
		t.Fatalf("Next(%s, %s) = nil, want fingerprint %q with jobs %v", owner, now.Sub(t0), wantFP, wantIDs)
	}
	if b.Record.Fingerprint != wantFP {
		t.Fatalf("Next(%s, %s) leased %q, want %q", owner, now.Sub(t0), b.Record.Fingerprint, wantFP)
	}
	if got := ids(b.Jobs); wantIDs != nil && !slices.Equal(got, wantIDs) {
		t.Fatalf("Next(%s, %s) on %q gave jobs %v, want %v (oldest first)", owner, now.Sub(t0), wantFP, got, wantIDs)
	}
	if b.Owner != owner {
		t.Fatalf("batch owner %q, want %q", b.Owner, owner)
	}
	for _, j := range b.Jobs {
		if j.Fingerprint != wantFP {
			t.Fatalf("job %d in the batch of %q has fingerprint %q", j.ID, wantFP, j.Fingerprint)
		}
	}
	return b
}

func mustNone(t *testing.T, s store.Store, owner string, now time.Time) {
	t.Helper()
	if b := next(t, s, owner, now, 10); b != nil {
		t.Fatalf("Next(%s, %s) leased %q with jobs %v, want nil", owner, now.Sub(t0), b.Record.Fingerprint, ids(b.Jobs))
	}
}

func ids(jobs []store.Job) []int64 {
	out := make([]int64, len(jobs))
	for i, j := range jobs {
		out[i] = j.ID
	}
	return out
}

func finish(t *testing.T, s store.Store, b *store.Batch, key string, state []byte) {
	t.Helper()
	if err := s.Finish(t.Context(), b, key, state); err != nil {
		t.Fatalf("Finish(%s on %q): %v", b.Owner, b.Record.Fingerprint, err)
	}
}

func stats(t *testing.T, s store.Store, now time.Time) store.Stats {
	t.Helper()
	st, err := s.Stats(t.Context(), now)
	if err != nil {
		t.Fatalf("Stats: %v", err)
	}
	return st
}

func lookup(t *testing.T, s store.Store, fp string) (store.Record, bool) {
	t.Helper()
	rec, ok, err := s.Lookup(t.Context(), fp)
	if err != nil {
		t.Fatalf("Lookup(%q): %v", fp, err)
	}
	return rec, ok
}

func wantLeaseLost(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, store.ErrLeaseLost) {
		t.Fatalf("%s through a lost lease: err = %v, want store.ErrLeaseLost", what, err)
	}
}

func sameTime(a, b time.Time) bool {
	d := a.Sub(b)
	return d < time.Millisecond && d > -time.Millisecond
}

// ---- the basics ----

func testEnqueueThenNext(t *testing.T, s store.Store) {
	d := store.Delivery{Kind: "alertmanager", Fingerprint: "fp-1", Payload: []byte(`{"a":1}`), Received: at(0)}
	id, added, err := s.Enqueue(t.Context(), d)
	if err != nil || !added || id == 0 {
		t.Fatalf("Enqueue = %d, %v, %v; want a new id, true, nil", id, added, err)
	}
	b := mustNext(t, s, "w1", at(time.Second), 10, "fp-1", id)
	j := b.Jobs[0]
	if j.Kind != "alertmanager" || string(j.Payload) != `{"a":1}` || !j.Received.Equal(at(0)) || j.Attempts != 0 || j.LastError != "" {
		t.Fatalf("job = %+v, want the delivery back", j)
	}
	if !b.Until.Equal(at(time.Second + lease)) {
		t.Fatalf("batch Until = %s, want now+lease = %s", b.Until, at(time.Second+lease))
	}
	if b.Record.JiraKey != "" || b.Record.State != nil {
		t.Fatalf("new fingerprint's record = %+v, want no key and nil state", b.Record)
	}
	finish(t, s, b, "", nil)
	mustNone(t, s, "w1", at(time.Hour))
}

func testNextEmpty(t *testing.T, s store.Store) {
	mustNone(t, s, "w1", at(0))
	if st := stats(t, s, at(0)); st != (store.Stats{}) {
		t.Fatalf("Stats of an empty store = %+v, want zero", st)
	}
}

func testPing(t *testing.T, s store.Store) {
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

func testOneBatch(t *testing.T, s store.Store) {
	// Received out of insertion order: the batch is oldest first.
	a3 := enqueue(t, s, job("a", at(3*time.Second)))
	a1 := enqueue(t, s, job("a", at(1*time.Second)))
	a2 := enqueue(t, s, job("a", at(2*time.Second)))
	a4 := enqueue(t, s, job("a", at(4*time.Second)))
	b5 := enqueue(t, s, job("b", at(5*time.Second)))

	now := at(10 * time.Second)
	ba := mustNext(t, s, "w1", now, 3, "a", a1, a2, a3)
	bb := mustNext(t, s, "w2", now, 3, "b", b5)
	mustNone(t, s, "w3", now)
	finish(t, s, ba, "", nil)
	mustNext(t, s, "w3", now, 3, "a", a4)
	finish(t, s, bb, "", nil)
}

func testOtherFingerprintsFree(t *testing.T, s store.Store) {
	x := enqueue(t, s, job("x", at(0)))
	y := enqueue(t, s, job("y", at(time.Second)))
	z := enqueue(t, s, job("z", at(2*time.Second)))
	now := at(time.Minute)
	mustNext(t, s, "w1", now, 10, "x", x)
	mustNext(t, s, "w2", now, 10, "y", y)
	mustNext(t, s, "w3", now, 10, "z", z)
	mustNone(t, s, "w4", now)
	if st := stats(t, s, now); st.Leased != 3 || st.Fingerprints != 3 {
		t.Fatalf("Stats = %+v, want 3 leased of 3 fingerprints", st)
	}
}

func testOldestFirst(t *testing.T, s store.Store) {
	x := enqueue(t, s, job("x", at(2*time.Second)))
	y := enqueue(t, s, job("y", at(1*time.Second)))
	z := enqueue(t, s, job("z", at(3*time.Second)))
	// Older than all, but not ready yet.
	d := job("delayed", at(0))
	d.NotBefore = at(time.Hour)
	enqueue(t, s, d)
	now := at(time.Minute)
	mustNext(t, s, "w", now, 10, "y", y)
	mustNext(t, s, "w", now, 10, "x", x)
	mustNext(t, s, "w", now, 10, "z", z)
	mustNone(t, s, "w", now)
}

func testDueOrder(t *testing.T, s store.Store) {
	// x was received first but put off to 10s; y has been due since 5s.
	d := job("x", at(0))
	d.NotBefore = at(10 * time.Second)
	x := enqueue(t, s, d)
	y := enqueue(t, s, job("y", at(5*time.Second)))
	z := enqueue(t, s, job("z", at(15*time.Second)))
	now := at(time.Minute)
	mustNext(t, s, "w", now, 10, "y", y)
	mustNext(t, s, "w", now, 10, "x", x)
	mustNext(t, s, "w", now, 10, "z", z)
}

func testDelayedDoesNotBlock(t *testing.T, s store.Store) {
	flush := store.Delivery{Kind: "flush", Fingerprint: "a", Received: at(0), NotBefore: at(5 * time.Minute), Unique: true}
	f := enqueue(t, s, flush)
	j := enqueue(t, s, job("a", at(time.Second)))
	b := mustNext(t, s, "w", at(2*time.Second), 10, "a", j)
	finish(t, s, b, "", nil)
	mustNone(t, s, "w", at(time.Minute))
	mustNext(t, s, "w", at(5*time.Minute), 10, "a", f)
}

func testRetryNewerGoAhead(t *testing.T, s store.Store) {
	j1 := enqueue(t, s, job("a", at(0)))
	b := mustNext(t, s, "w1", at(time.Second), 10, "a", j1)
	j2 := enqueue(t, s, job("a", at(2*time.Second)))
	if err := s.Retry(t.Context(), b, "", nil, store.Failure{NotBefore: at(time.Minute), Error: "jira down", MaxAttempts: 5}); err != nil {
		t.Fatalf("Retry: %v", err)
	}
	b = mustNext(t, s, "w2", at(3*time.Second), 10, "a", j2)
	finish(t, s, b, "", nil)
	mustNone(t, s, "w2", at(time.Minute-time.Millisecond))
	b = mustNext(t, s, "w2", at(time.Minute), 10, "a", j1)
	if b.Jobs[0].Attempts != 1 {
		t.Fatalf("retried job = %+v, want 1 attempt", b.Jobs[0])
	}
}

func testStorm(t *testing.T, s store.Store) {
	var storm []int64
	for i := range 300 {
		storm = append(storm, enqueue(t, s, job("storm", at(time.Duration(i)*time.Millisecond))))
	}
	other := enqueue(t, s, job("other", at(time.Second)))
	now := at(time.Minute)
	b1 := mustNext(t, s, "w1", now, 100, "storm", storm[:100]...)
	mustNext(t, s, "w2", now, 100, "other", other)
	mustNone(t, s, "w3", now)
	finish(t, s, b1, "FIX-1", nil)
	b2 := mustNext(t, s, "w3", now, 250, "storm", storm[100:]...)
	finish(t, s, b2, "FIX-1", nil)
	if st := stats(t, s, now); st.Ready != 1 {
		t.Fatalf("Stats = %+v, want only other's job left", st)
	}
}

// ---- leases ----

func testLeaseExpiry(t *testing.T, s store.Store) {
	a := enqueue(t, s, job("a", at(0)))
	b1 := mustNext(t, s, "w1", at(0), 10, "a", a)
	mustNone(t, s, "w2", at(lease-time.Millisecond))
	if st := stats(t, s, at(lease-time.Millisecond)); st.Leased != 1 {
		t.Fatalf("Stats.Leased = %d while the lease runs, want 1", st.Leased)
	}
	if st := stats(t, s, at(lease)); st.Leased != 0 {
		t.Fatalf("Stats.Leased = %d once the lease ended, want 0", st.Leased)
	}
	// The lease ends at Until: at that instant the fingerprint is free.
	b2 := mustNext(t, s, "w2", b1.Until, 10, "a", a)
	if b2.Jobs[0].Attempts != 0 {
		t.Fatalf("a job picked again after a lease expired has Attempts %d, want 0 (expiry is not a failure)", b2.Jobs[0].Attempts)
	}
	finish(t, s, b2, "", nil)
}

func testCrashedWorker(t *testing.T, s store.Store) {
	var want []int64
	for i := range 5 {
		want = append(want, enqueue(t, s, job("storm", at(time.Duration(i)*time.Second))))
	}
	// w1 takes the batch and dies without a word.
	mustNext(t, s, "w1", at(10*time.Second), 10, "storm", want...)
	mustNone(t, s, "w2", at(30*time.Second))
	b := mustNext(t, s, "w2", at(10*time.Second+lease), 10, "storm", want...)
	finish(t, s, b, "FIX-9", nil)
	mustNone(t, s, "w3", at(time.Hour))
}

func testNewJobWaits(t *testing.T, s store.Store) {
	j1 := enqueue(t, s, job("a", at(0)))
	b1 := mustNext(t, s, "w1", at(time.Second), 10, "a", j1)
	j2 := enqueue(t, s, job("a", at(2*time.Second)))
	mustNone(t, s, "w2", at(3*time.Second))
	finish(t, s, b1, "", nil)
	mustNext(t, s, "w2", at(4*time.Second), 10, "a", j2)
}

func testFinishOnlyBatch(t *testing.T, s store.Store) {
	j1 := enqueue(t, s, job("a", at(1*time.Second)))
	j2 := enqueue(t, s, job("a", at(2*time.Second)))
	j3 := enqueue(t, s, job("a", at(3*time.Second)))
	b := mustNext(t, s, "w1", at(10*time.Second), 2, "a", j1, j2)
	j4 := enqueue(t, s, job("a", at(11*time.Second)))
	finish(t, s, b, "FIX-1", []byte(`{"n":2}`))
	if st := stats(t, s, at(20*time.Second)); st.Ready != 2 {
		t.Fatalf("after Finish, Stats.Ready = %d, want the 2 jobs outside the batch", st.Ready)
	}
	b2 := mustNext(t, s, "w2", at(20*time.Second), 10, "a", j3, j4)
	if b2.Record.JiraKey != "FIX-1" || string(b2.Record.State) != `{"n":2}` {
		t.Fatalf("next batch's record = %+v, want what Finish wrote", b2.Record)
	}
}

func testSave(t *testing.T, s store.Store) {
	j1 := enqueue(t, s, job("a", at(0)))
	b := mustNext(t, s, "w1", at(0), 10, "a", j1)
	if err := s.Save(t.Context(), b, "FIX-7", []byte(`{"level":1}`), at(10*time.Minute)); err != nil {
		t.Fatalf("Save: %v", err)
	}
	if !b.Until.Equal(at(10 * time.Minute)) {
		t.Fatalf("after Save the batch's Until = %s, want %s", b.Until, at(10*time.Minute))
	}
	rec, ok := lookup(t, s, "a")
	if !ok || rec.JiraKey != "FIX-7" || string(rec.State) != `{"level":1}` {
		t.Fatalf("Lookup after Save = %+v, %v; want the key and state", rec, ok)
	}
	// The original lease (1m) would be over; the extended one is not.
	mustNone(t, s, "w2", at(5*time.Minute))
	// Save never shortens a lease.
	if err := s.Save(t.Context(), b, "FIX-7", []byte(`{"level":2}`), at(time.Minute)); err != nil {
		t.Fatalf("second Save: %v", err)
	}
	mustNone(t, s, "w2", at(9*time.Minute))
	if rec, _ := lookup(t, s, "a"); string(rec.State) != `{"level":2}` {
		t.Fatalf("state after second Save = %s", rec.State)
	}
	// The worker finishes well past its first lease: still its lease.
	finish(t, s, b, "FIX-7", []byte(`{"level":3}`))
	j2 := enqueue(t, s, job("a", at(9*time.Minute)))
	b2 := mustNext(t, s, "w2", at(9*time.Minute), 10, "a", j2)
	if b2.Record.JiraKey != "FIX-7" || string(b2.Record.State) != `{"level":3}` {
		t.Fatalf("next batch's record = %+v, want FIX-7 and level 3", b2.Record)
	}
}

func testLeaseLost(t *testing.T, s store.Store) {
	j1 := enqueue(t, s, job("a", at(0)))
	b1 := mustNext(t, s, "w1", at(0), 10, "a", j1)
	if err := s.Save(t.Context(), b1, "FIX-1", []byte(`{"v":1}`), b1.Until); err != nil {
		t.Fatalf("Save: %v", err)
	}
	// w1 stalls past its lease; w2 takes the fingerprint.
	b2 := mustNext(t, s, "w2", at(2*time.Minute), 10, "a", j1)
	if b2.Record.JiraKey != "FIX-1" {
		t.Fatalf("w2's record = %+v, want what w1 saved", b2.Record)
	}
	until := b1.Until
	wantLeaseLost(t, "Save", s.Save(t.Context(), b1, "FIX-2", []byte(`{"v":2}`), at(time.Hour)))
	if !b1.Until.Equal(until) {
		t.Fatalf("a failed Save changed the batch's Until")
	}
	wantLeaseLost(t, "Finish", s.Finish(t.Context(), b1, "FIX-2", []byte(`{"v":2}`)))
	wantLeaseLost(t, "Retry", s.Retry(t.Context(), b1, "FIX-2", []byte(`{"v":2}`), store.Failure{NotBefore: at(3 * time.Minute), Error: "boom", MaxAttempts: 1}))
	// Nothing changed: the record, the job, its attempts, w2's lease.
	if rec, _ := lookup(t, s, "a"); rec.JiraKey != "FIX-1" || string(rec.State) != `{"v":1}` {
		t.Fatalf("record after lost-lease writes = %+v, want FIX-1 {v:1}", rec)
	}
	if st := stats(t, s, at(2*time.Minute)); st.Ready != 1 || st.Dead != 0 || st.Leased != 1 {
		t.Fatalf("Stats after lost-lease writes = %+v, want the job still queued, none dead, w2's lease", st)
	}
	mustNone(t, s, "w3", at(2*time.Minute+30*time.Second))
	if err := s.Retry(t.Context(), b2, "FIX-1", nil, store.Failure{NotBefore: at(3 * time.Minute), Error: "w2 failed", MaxAttempts: 10}); err != nil {
		t.Fatalf("w2 Retry: %v", err)
	}
	b3 := mustNext(t, s, "w3", at(3*time.Minute), 10, "a", j1)
	if b3.Jobs[0].Attempts != 1 || b3.Jobs[0].LastError != "w2 failed" {
		t.Fatalf("job = %+v, want 1 attempt by w2 only", b3.Jobs[0])
	}
}

func testLeaseLostSameOwner(t *testing.T, s store.Store) {
	j1 := enqueue(t, s, job("a", at(0)))
	old := mustNext(t, s, "bot-1", at(0), 10, "a", j1)
	// The same owner name leases it again after the first lease expired
	// (a restarted process reusing its name, say).
	cur := mustNext(t, s, "bot-1", old.Until, 10, "a", j1)
	wantLeaseLost(t, "Save (old lease)", s.Save(t.Context(), old, "OLD-1", nil, at(time.Hour)))
	wantLeaseLost(t, "Finish (old lease)", s.Finish(t.Context(), old, "OLD-1", nil))
	if rec, _ := lookup(t, s, "a"); rec.JiraKey != "" {
		t.Fatalf("old lease wrote the record: %+v", rec)
	}
	finish(t, s, cur, "NEW-1", nil)
	if rec, _ := lookup(t, s, "a"); rec.JiraKey != "NEW-1" {
		t.Fatalf("record = %+v, want NEW-1", rec)
	}
}

func testLeaseLostFinished(t *testing.T, s store.Store) {
	j1 := enqueue(t, s, job("a", at(0)))
	b1 := mustNext(t, s, "w1", at(0), 10, "a", j1)
	finish(t, s, b1, "FIX-1", nil)
	wantLeaseLost(t, "Finish twice", s.Finish(t.Context(), b1, "FIX-1", nil))
	// Same owner, same clock reading, same lease length: a new lease all
	// the same, which the finished batch must not be able to act on.
	j2 := enqueue(t, s, job("a", at(0)))
	b2 := mustNext(t, s, "w1", at(0), 10, "a", j2)
	wantLeaseLost(t, "Finish of a finished batch", s.Finish(t.Context(), b1, "STALE", nil))
	wantLeaseLost(t, "Retry of a finished batch", s.Retry(t.Context(), b1, "STALE", nil, store.Failure{NotBefore: at(0), Error: "x", MaxAttempts: 1}))
	wantLeaseLost(t, "Save of a finished batch", s.Save(t.Context(), b1, "STALE", nil, at(time.Hour)))
	if !b2.Until.After(b1.Until) {
		t.Fatalf("a later lease ends at %s, not after the earlier one's %s", b2.Until, b1.Until)
	}
	finish(t, s, b2, "FIX-1", nil)
	if rec, _ := lookup(t, s, "a"); rec.JiraKey != "FIX-1" {
		t.Fatalf("record = %+v, want FIX-1", rec)
	}
}

// ---- retries and dead letters ----

func testRetry(t *testing.T, s store.Store) {
	j1 := enqueue(t, s, job("a", at(0)))
	b := mustNext(t, s, "w1", at(0), 10, "a", j1)
	if err := s.Retry(t.Context(), b, "FIX-3", []byte(`{"tries":1}`), store.Failure{NotBefore: at(30 * time.Second), Error: "jira: 503", MaxAttempts: 5}); err != nil {
		t.Fatalf("Retry: %v", err)
	}
	if rec, _ := lookup(t, s, "a"); rec.JiraKey != "FIX-3" || string(rec.State) != `{"tries":1}` {
		t.Fatalf("record after Retry = %+v, want the key and state written", rec)
	}
	if st := stats(t, s, at(time.Second)); st.Delayed != 1 || st.Ready != 0 || st.Leased != 0 {
		t.Fatalf("Stats after Retry = %+v, want 1 delayed, lease released", st)
	}
	mustNone(t, s, "w2", at(30*time.Second-time.Millisecond))
	b = mustNext(t, s, "w2", at(30*time.Second), 10, "a", j1)
	if j := b.Jobs[0]; j.Attempts != 1 || j.LastError != "jira: 503" {
		t.Fatalf("retried job = %+v, want 1 attempt and the error", j)
	}
	if err := s.Retry(t.Context(), b, "FIX-3", nil, store.Failure{NotBefore: at(time.Minute), Error: "jira: 429", MaxAttempts: 5}); err != nil {
		t.Fatalf("Retry: %v", err)
	}
	b = mustNext(t, s, "w3", at(time.Minute), 10, "a", j1)
	if j := b.Jobs[0]; j.Attempts != 2 || j.LastError != "jira: 429" {
		t.Fatalf("retried job = %+v, want 2 attempts and the last error", j)
	}
	finish(t, s, b, "FIX-3", nil)
	if st := stats(t, s, at(time.Hour)); st.Ready+st.Delayed+st.Dead != 0 {
		t.Fatalf("Stats = %+v, want an empty queue", st)
	}
}

func testDeadLetter(t *testing.T, s store.Store) {
	old := enqueue(t, s, store.Delivery{Kind: "sentry", Fingerprint: "a", Payload: []byte("P1"), Received: at(0)})
	now := at(0)
	for attempt := 1; attempt <= 2; attempt++ {
		b := mustNext(t, s, "w", now, 10, "a", old)
		now = now.Add(time.Minute)
		if err := s.Retry(t.Context(), b, "", nil, store.Failure{NotBefore: now, Error: fmt.Sprintf("failure %d", attempt), MaxAttempts: 3}); err != nil {
			t.Fatalf("Retry %d: %v", attempt, err)
		}
	}
	// A younger job joins the group: the next failure kills only the job
	// that reaches 3 attempts.
	young := enqueue(t, s, store.Delivery{Kind: "sentry", Fingerprint: "a", Payload: []byte("P2"), Received: now})
	b := mustNext(t, s, "w", now, 10, "a", old, young)
	if err := s.Retry(t.Context(), b, "", nil, store.Failure{NotBefore: now.Add(time.Minute), Error: "failure 3", MaxAttempts: 3}); err != nil {
		t.Fatalf("Retry 3: %v", err)
	}
	dead, err := s.Dead(t.Context(), 10)
	if err != nil {
		t.Fatalf("Dead: %v", err)
	}
	if len(dead) != 1 {
		t.Fatalf("Dead = %+v, want the one job with 3 attempts", dead)
	}
	d := dead[0]
	if d.ID != old || d.Kind != "sentry" || d.Fingerprint != "a" || string(d.Payload) != "P1" ||
		!d.Received.Equal(at(0)) || d.Attempts != 3 || d.LastError != "failure 3" || d.Died.IsZero() {
		t.Fatalf("dead job = %+v, want job %d with 3 attempts and the last error", d, old)
	}
	st := stats(t, s, now.Add(time.Minute))
	if st.Dead != 1 || st.Ready != 1 {
		t.Fatalf("Stats = %+v, want 1 dead and the younger job still ready", st)
	}
	b = mustNext(t, s, "w", now.Add(time.Minute), 10, "a", young)
	if b.Jobs[0].Attempts != 1 {
		t.Fatalf("younger job = %+v, want 1 attempt", b.Jobs[0])
	}
	// It dies too, later: Dead lists the newest first.
	if err := s.Retry(t.Context(), b, "", nil, store.Failure{NotBefore: now.Add(2 * time.Minute), Error: "give up", MaxAttempts: 1}); err != nil {
		t.Fatalf("Retry: %v", err)
	}
	dead, err = s.Dead(t.Context(), 10)
	if err != nil {
		t.Fatalf("Dead: %v", err)
	}
	if got := ids(jobsOf(dead)); !slices.Equal(got, []int64{young, old}) {
		t.Fatalf("Dead = %v, want newest first %v", got, []int64{young, old})
	}
	if dead[0].Died.Before(dead[1].Died) {
		t.Fatalf("Dead not newest first: %s before %s", dead[0].Died, dead[1].Died)
	}
	dead, err = s.Dead(t.Context(), 1)
	if err != nil || len(dead) != 1 || dead[0].ID != young {
		t.Fatalf("Dead(1) = %+v, %v; want only the newest", dead, err)
	}
	mustNone(t, s, "w", at(24*time.Hour))
}

func jobsOf(dead []store.DeadJob) []store.Job {
	out := make([]store.Job, len(dead))
	for i, d := range dead {
		out[i] = d.Job
	}
	return out
}

func testNotBefore(t *testing.T, s store.Store) {
	d := job("flush:a", at(0))
	d.Kind = "flush"
	d.NotBefore = at(5 * time.Minute)
	id := enqueue(t, s, d)
	mustNone(t, s, "w", at(5*time.Minute-time.Millisecond))
	st := stats(t, s, at(time.Minute))
	if st.Delayed != 1 || st.Ready != 0 || !st.OldestReady.IsZero() {
		t.Fatalf("Stats = %+v, want 1 delayed, none ready", st)
	}
	b := mustNext(t, s, "w", at(5*time.Minute), 10, "flush:a", id)
	if !b.Jobs[0].Received.Equal(at(0)) {
		t.Fatalf("Received = %s, want the delivery's, not NotBefore", b.Jobs[0].Received)
	}
}

// ---- unique deliveries ----

func testUnique(t *testing.T, s store.Store) {
	flush := func(fp string, received time.Time) store.Delivery {
		return store.Delivery{Kind: "flush", Fingerprint: fp, Received: received, NotBefore: received.Add(time.Minute), Unique: true}
	}
	id1, added, err := s.Enqueue(t.Context(), flush("a", at(0)))
	if err != nil || !added {
		t.Fatalf("first Unique Enqueue = %d, %v, %v; want added", id1, added, err)
	}
	id2, added, err := s.Enqueue(t.Context(), flush("a", at(time.Second)))
	if err != nil || added || id2 != id1 {
		t.Fatalf("Unique twin Enqueue = %d, %v, %v; want %d, false, nil", id2, added, err, id1)
	}
	other := flush("a", at(0))
	other.Kind = "alertmanager"
	if _, added, _ := s.Enqueue(t.Context(), other); !added {
		t.Fatalf("Unique Enqueue of another kind was not added")
	}
	if _, added, _ := s.Enqueue(t.Context(), flush("b", at(0))); !added {
		t.Fatalf("Unique Enqueue of another fingerprint was not added")
	}
	plain := flush("a", at(2*time.Second))
	plain.Unique = false
	if _, added, _ := s.Enqueue(t.Context(), plain); !added {
		t.Fatalf("Enqueue without Unique was not added")
	}
	if st := stats(t, s, at(0)); st.Delayed != 4 {
		t.Fatalf("Stats.Delayed = %d, want 4 (the twin was not added)", st.Delayed)
	}
}

func testUniqueConcurrent(t *testing.T, s store.Store) {
	const n = 32
	var wg sync.WaitGroup
	got := make([]int64, n)
	addedN := make([]bool, n)
	errs := make([]error, n)
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			got[i], addedN[i], errs[i] = s.Enqueue(t.Context(), store.Delivery{
				Kind: "flush", Fingerprint: "a", Received: at(time.Duration(i) * time.Millisecond),
				NotBefore: at(time.Hour), Unique: true,
			})
		})
	}
	close(start)
	wg.Wait()
	adds := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("Enqueue %d: %v", i, errs[i])
		}
		if addedN[i] {
			adds++
		}
		if got[i] != got[0] {
			t.Fatalf("concurrent Unique enqueues returned ids %v, want one id", got)
		}
	}
	if adds != 1 {
		t.Fatalf("%d of %d concurrent Unique enqueues added a job, want 1", adds, n)
	}
	if st := stats(t, s, at(0)); st.Delayed != 1 {
		t.Fatalf("queue holds %d jobs, want 1", st.Delayed)
	}
}

func testUniqueHeldBatch(t *testing.T, s store.Store) {
	d := store.Delivery{Kind: "flush", Fingerprint: "a", Received: at(0), Unique: true}
	id1 := enqueue(t, s, d)
	b := mustNext(t, s, "w1", at(time.Second), 10, "a", id1)
	// While w1 works on the flush, the bot asks for another one: it must
	// be queued, not folded into the one Finish is about to delete.
	d.Received = at(2 * time.Second)
	id2, added, err := s.Enqueue(t.Context(), d)
	if err != nil || !added || id2 == id1 {
		t.Fatalf("Unique Enqueue while the twin is being worked on = %d, %v, %v; want a new job", id2, added, err)
	}
	// A third is a twin of the second, which nobody holds.
	d.Received = at(3 * time.Second)
	if id3, added, err := s.Enqueue(t.Context(), d); err != nil || added || id3 != id2 {
		t.Fatalf("Unique Enqueue = %d, %v, %v; want the pending twin %d", id3, added, err, id2)
	}
	finish(t, s, b, "", nil)
	mustNext(t, s, "w2", at(4*time.Second), 10, "a", id2)
}

func testUniqueTwoStores(t *testing.T, open func(t *testing.T) store.Store) {
	stores := []store.Store{open(t), open(t)}
	const n = 32
	var wg sync.WaitGroup
	var mu sync.Mutex
	seen := map[int64]bool{}
	adds := 0
	for i := range n {
		wg.Go(func() {
			id, added, err := stores[i%2].Enqueue(t.Context(), store.Delivery{
				Kind: "flush", Fingerprint: "a", Received: at(0), NotBefore: at(time.Hour), Unique: true,
			})
			if err != nil {
				t.Errorf("Enqueue: %v", err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			seen[id] = true
			if added {
				adds++
			}
		})
	}
	wg.Wait()
	if adds != 1 || len(seen) != 1 {
		t.Fatalf("two stores, %d Unique enqueues: %d added, ids %v; want 1 job", n, adds, seen)
	}
}

// ---- groups, records, stats ----

func testEmptyFingerprint(t *testing.T, s store.Store) {
	d := store.Delivery{Kind: "sentry_legacy", Received: at(0), Unique: true}
	id1, added1, err1 := s.Enqueue(t.Context(), d)
	id2, added2, err2 := s.Enqueue(t.Context(), d)
	if err1 != nil || err2 != nil || !added1 || !added2 || id1 == id2 {
		t.Fatalf("two deliveries without fingerprint = (%d %v %v) (%d %v %v); want two jobs (Unique has no twin without a fingerprint)",
			id1, added1, err1, id2, added2, err2)
	}
	fp1, fp2 := fmt.Sprintf("job:%d", id1), fmt.Sprintf("job:%d", id2)
	b1 := mustNext(t, s, "w1", at(time.Second), 10, fp1, id1)
	b2 := mustNext(t, s, "w2", at(time.Second), 10, fp2, id2)
	finish(t, s, b1, "FIX-1", nil)
	finish(t, s, b2, "FIX-2", nil)
	if rec, ok := lookup(t, s, fp1); !ok || rec.JiraKey != "FIX-1" {
		t.Fatalf("Lookup(%s) = %+v, %v", fp1, rec, ok)
	}
}

func testLookup(t *testing.T, s store.Store) {
	if rec, ok := lookup(t, s, "a"); ok {
		t.Fatalf("Lookup of an unknown fingerprint = %+v, true", rec)
	}
	j1 := enqueue(t, s, job("a", at(0)))
	b := mustNext(t, s, "w1", at(0), 10, "a", j1)
	rec, ok := lookup(t, s, "a")
	if !ok || rec.Fingerprint != "a" || rec.JiraKey != "" || rec.State != nil || rec.Created.IsZero() || rec.Updated.IsZero() {
		t.Fatalf("Lookup of a just-leased fingerprint = %+v, %v; want a record with no key, nil state, times set", rec, ok)
	}
	finish(t, s, b, "FIX-5", []byte(`{"count":5}`))
	rec, ok = lookup(t, s, "a")
	if !ok || rec.JiraKey != "FIX-5" || string(rec.State) != `{"count":5}` || rec.Updated.Before(rec.Created) {
		t.Fatalf("Lookup = %+v, %v; want FIX-5 and the state", rec, ok)
	}
	// Lookup leases nothing.
	j2 := enqueue(t, s, job("a", at(time.Second)))
	_, _ = lookup(t, s, "a")
	mustNext(t, s, "w2", at(time.Second), 10, "a", j2)
}

func testStats(t *testing.T, s store.Store) {
	enqueue(t, s, job("a", at(-10*time.Second)))
	enqueue(t, s, job("a", at(-9*time.Second)))
	enqueue(t, s, job("b", at(-5*time.Second)))
	d := job("c", at(-20*time.Second))
	d.NotBefore = at(time.Minute)
	enqueue(t, s, d)
	enqueue(t, s, job("dies", at(-30*time.Second)))
	bd := mustNext(t, s, "w0", at(0), 10, "dies")
	if err := s.Retry(t.Context(), bd, "", nil, store.Failure{NotBefore: at(0), Error: "no", MaxAttempts: 1}); err != nil {
		t.Fatalf("Retry: %v", err)
	}
	mustNext(t, s, "w1", at(0), 1, "a") // leases a with one of its two jobs
	st := stats(t, s, at(0))
	want := store.Stats{
		Ready:        3, // a's two (one handed out) and b's: all past NotBefore
		Delayed:      1,
		Leased:       1,
		Dead:         1,
		Fingerprints: 2, // a and "dies" have records; b and c were never leased
		OldestReady:  at(-10 * time.Second),
	}
	if st != want {
		t.Fatalf("Stats = %+v\nwant    %+v", st, want)
	}
	if st := stats(t, s, at(2*time.Minute)); st.Ready != 4 || st.Delayed != 0 || st.Leased != 0 || !st.OldestReady.Equal(at(-20*time.Second)) {
		t.Fatalf("Stats two minutes on = %+v, want 4 ready, lease over, oldest c", st)
	}
}

func testTimes(t *testing.T, s store.Store) {
	loc := time.FixedZone("UTC+5", 5*3600)
	received := time.Date(2031, 3, 4, 10, 6, 7, 123456789, loc)
	id := enqueue(t, s, job("a", received))
	now := received.Add(time.Second)
	b := mustNext(t, s, "w", now, 10, "a", id)
	got := b.Jobs[0].Received
	if got.Location() != time.UTC || !sameTime(got, received) {
		t.Fatalf("Received = %s, want %s in UTC to the millisecond", got, received.UTC())
	}
	if b.Until.Location() != time.UTC || !sameTime(b.Until, now.Add(lease)) {
		t.Fatalf("Until = %s, want %s in UTC to the millisecond", b.Until, now.Add(lease).UTC())
	}
	rec, _ := lookup(t, s, "a")
	if rec.Created.Location() != time.UTC || rec.Updated.Location() != time.UTC {
		t.Fatalf("record times not UTC: %+v", rec)
	}
	// The lease holds to the millisecond before Until and not at Until.
	mustNone(t, s, "w2", b.Until.Add(-time.Millisecond))
	mustNext(t, s, "w2", b.Until, 10, "a", id)
}

func testPayloads(t *testing.T, s store.Store) {
	payloads := [][]byte{
		{},
		{0, 1, 2, 0xff, 0, 0xfe},
		bytes.Repeat([]byte(`{"frame":"x"}`), 20000), // ~260 KB
		[]byte("ünïcödé ✓"),
	}
	for i, p := range payloads {
		enqueue(t, s, store.Delivery{Kind: "sentry", Fingerprint: "a", Payload: p, Received: at(time.Duration(i) * time.Second)})
	}
	b := mustNext(t, s, "w", at(time.Minute), 10, "a")
	if len(b.Jobs) != len(payloads) {
		t.Fatalf("got %d jobs, want %d", len(b.Jobs), len(payloads))
	}
	for i, j := range b.Jobs {
		if !bytes.Equal(j.Payload, payloads[i]) {
			t.Fatalf("payload %d changed: %d bytes back, %d in", i, len(j.Payload), len(payloads[i]))
		}
	}
	state := []byte{0, '{', 0xff, '}'}
	finish(t, s, b, "K", state)
	if rec, _ := lookup(t, s, "a"); !bytes.Equal(rec.State, state) {
		t.Fatalf("state changed: %q, want %q", rec.State, state)
	}
}

func testClose(t *testing.T, s store.Store) {
	enqueue(t, s, job("a", at(0)))
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, _, err := s.Enqueue(context.Background(), job("a", at(0))); err == nil {
		t.Fatalf("Enqueue after Close succeeded")
	}
	if _, err := s.Next(context.Background(), "w", at(0), lease, 1); err == nil {
		t.Fatalf("Next after Close succeeded")
	}
}

// ---- durability ----

func testReopen(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	want := map[int64]string{}
	for i := range 200 {
		fp := fmt.Sprintf("fp-%d", i%7)
		p := fmt.Sprintf("payload %d", i)
		id := enqueue(t, s, store.Delivery{Kind: "sentry", Fingerprint: fp, Payload: []byte(p), Received: at(time.Duration(i) * time.Millisecond)})
		want[id] = p
	}
	// Some state to carry over too: a record, a retried job, a held lease.
	b := mustNext(t, s, "w1", at(time.Second), 5, "fp-0")
	retried := ids(b.Jobs)
	if err := s.Retry(t.Context(), b, "FIX-1", []byte(`{"n":1}`), store.Failure{NotBefore: at(time.Second), Error: "boom", MaxAttempts: 10}); err != nil {
		t.Fatalf("Retry: %v", err)
	}
	held := next(t, s, "w1", at(time.Second), 5)
	if held == nil {
		t.Fatalf("Next = nil with 195 jobs ready")
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s = open(t)
	if rec, ok := lookup(t, s, "fp-0"); !ok || rec.JiraKey != "FIX-1" || string(rec.State) != `{"n":1}` {
		t.Fatalf("record after reopen = %+v, %v", rec, ok)
	}
	if st := stats(t, s, at(time.Second)); st.Ready != 200 || st.Leased != 1 {
		t.Fatalf("Stats after reopen = %+v, want 200 ready and the held lease", st)
	}
	// The lease taken before the restart still holds, until it expires.
	got := map[int64]store.Job{}
	drainAt := func(now time.Time) {
		for {
			b := next(t, s, "w2", now, 50)
			if b == nil {
				return
			}
			if b.Record.Fingerprint == held.Record.Fingerprint && now.Before(held.Until) {
				t.Fatalf("%s handed out while the lease from before the restart holds", held.Record.Fingerprint)
			}
			for _, j := range b.Jobs {
				got[j.ID] = j
			}
			finish(t, s, b, b.Record.JiraKey, b.Record.State)
		}
	}
	drainAt(at(2 * time.Second))
	drainAt(held.Until)
	if len(got) != len(want) {
		t.Fatalf("after reopen %d jobs came back, want %d", len(got), len(want))
	}
	for id, p := range want {
		j := got[id]
		if string(j.Payload) != p {
			t.Fatalf("job %d came back as %q, want %q", id, j.Payload, p)
		}
		wantAttempts := 0
		if slices.Contains(retried, id) {
			wantAttempts = 1
		}
		if j.Attempts != wantAttempts {
			t.Fatalf("job %d has %d attempts after reopen, want %d", id, j.Attempts, wantAttempts)
		}
	}
	// Opening again applies no migration twice and keeps the data.
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	s = open(t)
	if rec, ok := lookup(t, s, "fp-0"); !ok || rec.JiraKey != "FIX-1" {
		t.Fatalf("record after a second reopen = %+v, %v", rec, ok)
	}
}
