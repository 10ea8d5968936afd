package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/store"
)

// runOnce is the part of the suite about Delivery.Once: a copy of a
// delivery (a sender's retry, a replay) is stored once.
func runOnce(t *testing.T, open func(t *testing.T) store.Store, o Options) {
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"OnceStoresTheFirstCopyOnly", testOnceFirstOnly},
		{"OnceOutlivesTheJobItStored", testOnceOutlivesJob},
		{"OnceIsForgottenOnceForAfterItWasStored", testOnceForgets},
		{"OnceIDsKeptForDifferentTimesShareTheStore", testOnceMixedRetention},
		{"OnceWithoutOnceForIsAnError", testOnceNeedsOnceFor},
		{"ConcurrentCopiesOfOneDeliveryStoreOneJob", testOnceConcurrent},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, open func(t *testing.T) store.Store)
	}{
		{"OnceIDsSurviveCloseAndReopen", testOnceReopen},
		{"CopiesSentToTwoStoresAtOnceStoreOneJob", testOnceTwoStores},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if o.Reopen == nil {
				t.Skip("no Reopen hook: the database lives only as long as one Store")
			}
			tc.fn(t, o.Reopen(t))
		})
	}
}

// copyOf is a delivery of what once names, received at received, kept for
// an hour unless keep says otherwise.
func copyOf(once string, received time.Time, keep ...time.Duration) store.Delivery {
	d := store.Delivery{Kind: "sentry", Fingerprint: "sentry:acme:1", Payload: []byte(`{"event":"` + once + `"}`),
		Received: received, Once: once, OnceFor: time.Hour}
	if len(keep) > 0 {
		d.OnceFor = keep[0]
	}
	return d
}

// wantAdded enqueues d and checks whether it was stored.
func wantAdded(t *testing.T, s store.Store, d store.Delivery, want bool) int64 {
	t.Helper()
	id, added, err := s.Enqueue(t.Context(), d)
	if err != nil {
		t.Fatalf("Enqueue(Once %q at %s): %v", d.Once, d.Received.Sub(t0), err)
	}
	if added != want {
		t.Fatalf("Enqueue(Once %q at %s): added = %v, want %v", d.Once, d.Received.Sub(t0), added, want)
	}
	if added && id <= 0 || !added && id != 0 {
		t.Fatalf("Enqueue(Once %q at %s): id %d with added %v: want an id only for a stored job", d.Once, d.Received.Sub(t0), id, added)
	}
	return id
}

func wantJobs(t *testing.T, s store.Store, now time.Time, n int) {
	t.Helper()
	if st := stats(t, s, now); st.Ready+st.Delayed != n {
		t.Fatalf("%d jobs stored, want %d (%+v)", st.Ready+st.Delayed, n, st)
	}
}

func testOnceFirstOnly(t *testing.T, s store.Store) {
	first := wantAdded(t, s, copyOf("event:e1", at(0)), true)
	wantAdded(t, s, copyOf("event:e1", at(time.Second)), false)
	wantAdded(t, s, copyOf("event:e1", at(59*time.Minute)), false)
	wantAdded(t, s, copyOf("event:e2", at(time.Second)), true)
	wantAdded(t, s, copyOf("Event:e1", at(time.Second)), true) // ids are compared exactly
	// Without Once every delivery is stored.
	plain := copyOf("", at(time.Second))
	wantAdded(t, s, plain, true)
	wantAdded(t, s, plain, true)
	wantJobs(t, s, at(time.Hour), 5)
	b := mustNext(t, s, "w", at(time.Hour), 10, "sentry:acme:1")
	if b.Jobs[0].ID != first || string(b.Jobs[0].Payload) != `{"event":"event:e1"}` {
		t.Errorf("the first copy is not the job stored: %+v", b.Jobs[0])
	}
}

// The id counts for OnceFor whether or not its job has been processed:
// a replay after the work is done must not be done again.
func testOnceOutlivesJob(t *testing.T, s store.Store) {
	wantAdded(t, s, copyOf("event:e1", at(0)), true)
	finish(t, s, mustNext(t, s, "w", at(time.Second), 10, "sentry:acme:1"), "FIX-1", nil)
	wantAdded(t, s, copyOf("event:e1", at(10*time.Minute)), false)
	wantJobs(t, s, at(10*time.Minute), 0)
	mustNone(t, s, "w", at(11*time.Minute))
}

func testOnceForgets(t *testing.T, s store.Store) {
	wantAdded(t, s, copyOf("event:e1", at(0)), true)
	wantAdded(t, s, copyOf("event:e1", at(time.Hour-time.Millisecond)), false)
	// Received OnceFor after the first, a copy is new again, and counts
	// from then.
	wantAdded(t, s, copyOf("event:e1", at(time.Hour)), true)
	wantAdded(t, s, copyOf("event:e1", at(90*time.Minute)), false)
	wantAdded(t, s, copyOf("event:e1", at(2*time.Hour)), true)
}

// An id kept for two days is not forgotten when ids kept for an hour are
// cleared away.
func testOnceMixedRetention(t *testing.T, s store.Store) {
	wantAdded(t, s, copyOf("long", at(0), 48*time.Hour), true)
	for i := range 20 {
		wantAdded(t, s, copyOf(fmt.Sprintf("short-%d", i), at(0)), true)
	}
	for i := range 20 { // well past the short ids' hour: each clears some
		wantAdded(t, s, copyOf(fmt.Sprintf("later-%d", i), at(3*time.Hour)), true)
	}
	wantAdded(t, s, copyOf("long", at(3*time.Hour), 48*time.Hour), false)
	wantAdded(t, s, copyOf("short-0", at(3*time.Hour)), true)
	wantAdded(t, s, copyOf("long", at(47*time.Hour), 48*time.Hour), false)
}

func testOnceNeedsOnceFor(t *testing.T, s store.Store) {
	d := copyOf("event:e1", at(0))
	d.OnceFor = 0
	if _, added, err := s.Enqueue(t.Context(), d); err == nil || added {
		t.Fatalf("Enqueue with Once and no OnceFor: added %v, err %v; want an error", added, err)
	}
	wantJobs(t, s, at(0), 0)
	// Nothing was recorded either.
	wantAdded(t, s, copyOf("event:e1", at(time.Second)), true)
}

func testOnceConcurrent(t *testing.T, s store.Store) {
	onceRace(t, []store.Store{s})
}

// onceRace has 8 goroutines store copies of one delivery at once, a few
// rounds over: one job each round.
func onceRace(t *testing.T, stores []store.Store) {
	for round := range 10 {
		once := fmt.Sprintf("event:%d", round)
		added := contend(t, stores, 8, func(s store.Store, _ int) (bool, error) {
			_, added, err := s.Enqueue(t.Context(), copyOf(once, at(time.Second)))
			return added, err
		})
		if added != 1 {
			t.Fatalf("round %d: %d of 8 concurrent copies were stored, want exactly 1", round, added)
		}
	}
	wantJobs(t, stores[0], at(time.Minute), 10)
}

func testOnceReopen(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	wantAdded(t, s, copyOf("event:e1", at(0)), true)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	s = open(t)
	wantAdded(t, s, copyOf("event:e1", at(time.Minute)), false)
	wantJobs(t, s, at(time.Minute), 1)
}

func testOnceTwoStores(t *testing.T, open func(t *testing.T) store.Store) {
	onceRace(t, []store.Store{open(t), open(t)})
}
