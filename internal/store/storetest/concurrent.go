package storetest

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/store"
)

func testConcurrentOneStore(t *testing.T, s store.Store) {
	drain(t, []store.Store{s})
}

// testConcurrentTwoStores models two bot processes on one database.
func testConcurrentTwoStores(t *testing.T, open func(t *testing.T) store.Store) {
	drain(t, []store.Store{open(t), open(t)})
}

// drain has producers enqueue 2,000 jobs over 50 fingerprints while 8
// workers, spread over stores, each with its own owner name, drain them:
// batches of random size, random small delays, now and then a Save or a
// Retry. Every job must be finished exactly once, and no worker may get a
// fingerprint while another is still inside it.
//
// The workers use the wall clock and an hour's lease, so no lease expires
// here: exclusion comes from the leases alone.
func drain(t *testing.T, stores []store.Store) {
	const (
		jobs      = 2000
		fps       = 50
		workers   = 8
		producers = 4
	)
	ctx := t.Context()
	deadline := time.Now().Add(3 * time.Minute)

	var (
		mu        sync.Mutex
		inside    = map[string]string{} // fingerprint -> the worker inside it
		enqueued  = map[int64]string{}  // job -> fingerprint
		finished  = map[int64]int{}
		handedOut = map[int64]string{} // job -> fingerprint of the batch it came in
		batches   int
		retries   int
		done      atomic.Int64
		produced  atomic.Int64
		stop      atomic.Bool
	)
	fail := func(format string, args ...any) {
		stop.Store(true)
		t.Errorf(format, args...)
	}

	var wg sync.WaitGroup
	for p := range producers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(p), 42))
			for i := p; i < jobs && !stop.Load(); i += producers {
				fp := fmt.Sprintf("fp-%02d", i%fps)
				s := stores[i%len(stores)]
				id, added, err := s.Enqueue(ctx, store.Delivery{
					Kind: "sentry", Fingerprint: fp, Payload: fmt.Appendf(nil, `{"n":%d}`, i), Received: time.Now(),
				})
				if err != nil || !added {
					fail("Enqueue %d: %v (added %v)", i, err, added)
					return
				}
				mu.Lock()
				if _, dup := enqueued[id]; dup {
					mu.Unlock()
					fail("Enqueue returned id %d twice", id)
					return
				}
				enqueued[id] = fp
				mu.Unlock()
				produced.Add(1)
				if rng.IntN(4) == 0 {
					time.Sleep(time.Duration(rng.Int64N(int64(300 * time.Microsecond))))
				}
			}
		})
	}
	for w := range workers {
		wg.Go(func() {
			owner := fmt.Sprintf("worker-%d", w)
			s := stores[w%len(stores)]
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			// Let a backlog build up first, so that batches are big;
			// the rest arrives while the workers drain.
			for produced.Load() < jobs/2 && !stop.Load() && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
			for done.Load() < jobs && !stop.Load() {
				if time.Now().After(deadline) {
					fail("%s: gave up with %d of %d jobs finished", owner, done.Load(), jobs)
					return
				}
				b, err := s.Next(ctx, owner, time.Now(), time.Hour, 1+rng.IntN(20))
				if err != nil {
					fail("%s: Next: %v", owner, err)
					return
				}
				if b == nil {
					time.Sleep(time.Millisecond)
					continue
				}
				fp := b.Record.Fingerprint
				mu.Lock()
				if other, ok := inside[fp]; ok {
					mu.Unlock()
					fail("%s got %q while %s is still inside it", owner, fp, other)
					return
				}
				inside[fp] = owner
				batches++
				for _, j := range b.Jobs {
					// (The producer may not have noted the id yet:
					// fingerprints are compared at the end.)
					handedOut[j.ID] = fp
					if j.Fingerprint != fp {
						mu.Unlock()
						fail("%s: batch of %q holds job %d of %q", owner, fp, j.ID, j.Fingerprint)
						return
					}
					if finished[j.ID] > 0 {
						mu.Unlock()
						fail("%s: job %d handed out again after it was finished", owner, j.ID)
						return
					}
				}
				mu.Unlock()
				if len(b.Jobs) == 0 {
					fail("%s: batch of %q without jobs", owner, fp)
					return
				}

				time.Sleep(time.Duration(rng.Int64N(int64(2 * time.Millisecond)))) // the work
				key := "FIX-" + fp
				if rng.IntN(8) == 0 {
					if err := s.Save(ctx, b, key, []byte(`{"saving":true}`), time.Now().Add(time.Hour)); err != nil {
						fail("%s: Save: %v", owner, err)
						return
					}
				}
				retry := rng.IntN(10) == 0

				// Leave before letting go: once the lease is released
				// another worker may come in at once.
				mu.Lock()
				delete(inside, fp)
				mu.Unlock()
				if retry {
					err = s.Retry(ctx, b, key, nil, store.Failure{NotBefore: time.Now(), Error: "transient"})
				} else {
					err = s.Finish(ctx, b, key, []byte(`{"done":true}`))
				}
				if err != nil {
					fail("%s: Finish/Retry of %q: %v", owner, fp, err)
					return
				}
				mu.Lock()
				if retry {
					retries++
				} else {
					for _, j := range b.Jobs {
						finished[j.ID]++
					}
				}
				mu.Unlock()
				if !retry {
					done.Add(int64(len(b.Jobs)))
				}
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	if len(enqueued) != jobs {
		t.Fatalf("%d jobs enqueued, want %d", len(enqueued), jobs)
	}
	for id, fp := range enqueued {
		if handedOut[id] != fp {
			t.Fatalf("job %d of %q came in a batch of %q", id, fp, handedOut[id])
		}
		if finished[id] != 1 {
			t.Fatalf("job %d finished %d times, want exactly once", id, finished[id])
		}
	}
	if len(finished) != jobs {
		t.Fatalf("%d distinct jobs finished, want %d", len(finished), jobs)
	}
	st, err := stores[0].Stats(ctx, time.Now())
	if err != nil {
		t.Fatalf("Stats: %v", err)
	}
	if st.Ready != 0 || st.Delayed != 0 || st.Leased != 0 || st.Dead != 0 || st.Fingerprints != fps {
		t.Fatalf("Stats after draining = %+v, want an empty queue and %d fingerprints", st, fps)
	}
	t.Logf("%d jobs in %d batches (%d retried) by %d workers on %d store(s)", jobs, batches, retries, workers, len(stores))
}
