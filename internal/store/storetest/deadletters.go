package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/store"
)

// retry puts b back as f says, failing the test on an error.
func retry(t *testing.T, s store.Store, b *store.Batch, f store.Failure) {
	t.Helper()
	if err := s.Retry(t.Context(), b, b.Record.JiraKey, b.Record.State, f); err != nil {
		t.Fatalf("Retry(%+v): %v", f, err)
	}
}

func dead(t *testing.T, s store.Store) []store.DeadJob {
	t.Helper()
	d, err := s.Dead(t.Context(), 0)
	if err != nil {
		t.Fatalf("Dead: %v", err)
	}
	return d
}

func redrive(t *testing.T, s store.Store, fp string, now time.Time, want int) {
	t.Helper()
	n, err := s.Redrive(t.Context(), fp, now)
	if err != nil || n != want {
		t.Fatalf("Redrive(%q) = %d, %v; want %d, nil", fp, n, err, want)
	}
}

// testUncountedRetry: a wait that is no fault of the delivery (Jira's
// search lagging, Jira down) puts the jobs back without an attempt, so it
// can never send them to the dead letters.
func testUncountedRetry(t *testing.T, s store.Store) {
	j := enqueue(t, s, job("a", at(0)))
	b := mustNext(t, s, "w", at(0), 10, "a", j)
	retry(t, s, b, store.Failure{NotBefore: at(time.Minute), Error: "jira: 500", MaxAttempts: 2})
	b = mustNext(t, s, "w", at(time.Minute), 10, "a", j)
	if got := b.Jobs[0]; got.Attempts != 1 {
		t.Fatalf("after a counted failure: %+v, want 1 attempt", got)
	}
	for i := range 5 {
		retry(t, s, b, store.Failure{NotBefore: at(time.Duration(i+2) * time.Minute), Error: "waiting for search", Uncounted: true, MaxAttempts: 2})
		mustNone(t, s, "w", at(time.Duration(i+2)*time.Minute-time.Millisecond))
		b = mustNext(t, s, "w", at(time.Duration(i+2)*time.Minute), 10, "a", j)
		if got := b.Jobs[0]; got.Attempts != 1 || got.LastError != "waiting for search" {
			t.Fatalf("after %d uncounted waits: %+v, want still 1 attempt and the last error", i+1, got)
		}
	}
	if d := dead(t, s); len(d) != 0 {
		t.Fatalf("uncounted waits sent jobs to the dead letters: %+v", d)
	}
	retry(t, s, b, store.Failure{NotBefore: at(time.Hour), Error: "jira: 500", MaxAttempts: 2})
	if d := dead(t, s); len(d) != 1 || d[0].ID != j || d[0].Attempts != 2 {
		t.Fatalf("Dead = %+v, want job %d after its second counted failure", d, j)
	}
}

// testDeadAtOnce: a permanent failure sends every job of the batch to the
// dead letters at once, whatever its attempts, with the error.
func testDeadAtOnce(t *testing.T, s store.Store) {
	j1 := enqueue(t, s, job("a", at(0)))
	j2 := enqueue(t, s, job("a", at(time.Second)))
	other := enqueue(t, s, job("b", at(time.Second)))
	b := mustNext(t, s, "w", at(time.Second), 10, "a", j1, j2)
	retry(t, s, b, store.Failure{NotBefore: at(time.Hour), Error: "jira: create issue in OPS: 400 labels: bad", MaxAttempts: 25, Dead: true})
	d := dead(t, s)
	if got := ids(jobsOf(d)); len(got) != 2 || !slices.Contains(got, j1) || !slices.Contains(got, j2) {
		t.Fatalf("Dead = %v, want both jobs of the batch", got)
	}
	for _, x := range d {
		if x.Attempts != 1 || x.LastError != "jira: create issue in OPS: 400 labels: bad" {
			t.Fatalf("dead job %+v, want 1 attempt and Jira's message", x)
		}
	}
	mustNext(t, s, "w", at(time.Second), 10, "b", other)
	if st := stats(t, s, at(2*time.Hour)); st.Dead != 2 || st.Ready != 1 {
		t.Fatalf("Stats = %+v, want 2 dead and b's job still queued", st)
	}
}

// testRedrive: dead jobs come back, one fingerprint's or all, due at once
// with no attempts, under their own ids and with their payloads.
func testRedrive(t *testing.T, s store.Store) {
	a := enqueue(t, s, store.Delivery{Kind: "alertmanager", Fingerprint: "a", Payload: []byte("PA"), Received: at(0)})
	bj := enqueue(t, s, store.Delivery{Kind: "sentry", Fingerprint: "b", Payload: []byte("PB"), Received: at(0)})
	for _, fp := range []string{"a", "b"} {
		b := mustNext(t, s, "w", at(time.Minute), 10, fp)
		retry(t, s, b, store.Failure{NotBefore: at(time.Hour), Error: "jira: 400 " + fp, Dead: true})
	}
	redrive(t, s, "nobody", at(2*time.Minute), 0)
	redrive(t, s, "a", at(2*time.Minute), 1)
	if d := dead(t, s); len(d) != 1 || d[0].ID != bj {
		t.Fatalf("Dead after redriving a = %+v, want only b's job", d)
	}
	mustNone(t, s, "w", at(2*time.Minute-time.Millisecond))
	got := mustNext(t, s, "w", at(2*time.Minute), 10, "a", a)
	if j := got.Jobs[0]; j.Kind != "alertmanager" || string(j.Payload) != "PA" || !j.Received.Equal(at(0)) || j.Attempts != 0 || j.LastError != "jira: 400 a" {
		t.Fatalf("redriven job = %+v, want the same delivery with no attempts and its last error", j)
	}
	finish(t, s, got, "FIX-1", nil)
	redrive(t, s, "", at(3*time.Minute), 1)
	mustNext(t, s, "w", at(3*time.Minute), 10, "b", bj)
	if st := stats(t, s, at(3*time.Minute)); st.Dead != 0 {
		t.Fatalf("Stats = %+v, want no dead letters left", st)
	}
	redrive(t, s, "", at(3*time.Minute), 0)
}

// testRedriveWhileLeased: a redriven job of a fingerprint a worker holds
// waits for the lease, and finishing that worker's batch does not remove it.
func testRedriveWhileLeased(t *testing.T, s store.Store) {
	old := enqueue(t, s, job("a", at(0)))
	b := mustNext(t, s, "w1", at(0), 10, "a", old)
	retry(t, s, b, store.Failure{NotBefore: at(time.Hour), Error: "jira: 400", Dead: true})
	fresh := enqueue(t, s, job("a", at(time.Second)))
	held := mustNext(t, s, "w1", at(time.Second), 10, "a", fresh)
	redrive(t, s, "a", at(2*time.Second), 1)
	mustNone(t, s, "w2", at(2*time.Second))
	finish(t, s, held, "FIX-1", nil)
	mustNext(t, s, "w2", at(2*time.Second), 10, "a", old)
}
