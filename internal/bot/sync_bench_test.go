package bot

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/loop"
	"github.com/fixproof/fixproof/internal/sim/sentrysim"
	"github.com/fixproof/fixproof/internal/store"
)

// BenchmarkMirrorLatency measures a person's Jira comment to its Sentry
// note: Jira's webhook, the bot storing it, a worker mirroring it, the
// note created. One comment at a time, each timed until the note exists.
//
//	go test ./internal/bot -run '^$' -bench MirrorLatency -benchtime 500x
func BenchmarkMirrorLatency(b *testing.B) {
	w := newWorld(b, bench())
	key := w.sentryLinked("101")
	w.settle()
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		start := time.Now()
		if _, err := w.jira.CommentAs(key, jane, adf(fmt.Sprintf("comment %d", i))); err != nil {
			b.Fatal(err)
		}
		for len(w.notes("101")) < i+1 {
			time.Sleep(200 * time.Microsecond)
			if time.Since(start) > 10*time.Second {
				b.Fatalf("comment %d never reached Sentry", i)
			}
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// BenchmarkReconcile10000 heals 10,000 linked issues whose comment
// webhooks were all lost: one reconciliation pass finds every comment that
// was never mirrored and queues it, then the workers mirror them all to
// Sentry. Reported: the pass's duration, comments healed per second from
// its start to the last note, and the Jira requests made.
//
//	go test ./internal/bot -run '^$' -bench Reconcile10000 -benchtime 1x
func BenchmarkReconcile10000(b *testing.B) {
	n := benchLinked()
	for b.Loop() {
		b.StopTimer()
		w := newWorld(b, bench(), withoutJiraWebhooks(), beforeStart(func(w *world) { arrangeLinked(b, w, n) }))
		w.jira.Control.Reset()
		w.clock.Advance(5 * time.Minute)
		b.StartTimer()
		start := time.Now()
		queued, err := w.bots[0].reconcile(context.Background())
		pass := time.Since(start)
		if err != nil || queued != n {
			b.Fatalf("queued %d, err %v", queued, err)
		}
		w.drain()
		all := time.Since(start)
		b.StopTimer()
		notes := 0
		for i := 0; i < n; i++ {
			notes += len(w.notes(fmt.Sprint(100000 + i)))
		}
		if notes != n {
			b.Fatalf("%d notes for %d lost comments", notes, n)
		}
		// The workers mirror while the pass is still queueing: the figure
		// that matters is the whole, from the pass's start to the last note.
		b.ReportMetric(pass.Seconds(), "pass-s")
		b.ReportMetric(float64(n)/all.Seconds(), "healed/s")
		b.ReportMetric(float64(w.jira.Control.Total()), "jira-req")
		b.StartTimer()
	}
}

// arrangeLinked makes n Sentry-linked Jira issues, each with one comment
// by a person that was never mirrored: the records are made through the
// store (a job per fingerprint, leased and finished with the Jira key) by
// 8 goroutines, so SQLite's group commit carries the load.
func arrangeLinked(b testing.TB, w *world, n int) {
	ctx := context.Background()
	for i := 0; i < n; i++ {
		key, id := fmt.Sprintf("OPS-%d", i+1), fmt.Sprint(100000+i)
		if err := w.jira.AddIssue(key, "Crash "+id, "Open"); err != nil {
			b.Fatal(err)
		}
		_ = w.jira.SetLabels(key, "fixproof")
		if _, err := w.jira.CommentAs(key, jane, adf("seen in prod "+id)); err != nil {
			b.Fatal(err)
		}
		w.sentry.AddIssue(sentrysim.Issue{ID: id, Title: "boom"})
	}
	run := func(f func(i int) error) {
		var wg sync.WaitGroup
		var mu sync.Mutex
		var first error
		next := 0
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					mu.Lock()
					i := next
					next++
					mu.Unlock()
					if i >= n {
						return
					}
					if err := f(i); err != nil {
						mu.Lock()
						first = cmp.Or(first, err)
						mu.Unlock()
						return
					}
				}
			}()
		}
		wg.Wait()
		if first != nil {
			b.Fatal(first)
		}
	}
	run(func(i int) error {
		_, _, err := w.store.Enqueue(ctx, store.Delivery{Kind: "arrange", Fingerprint: string(loop.SentryFingerprint("acme", fmt.Sprint(100000+i))), Payload: []byte("{}"), Received: w.clock.Now()})
		return err
	})
	run(func(i int) error {
		batch, err := w.store.Next(ctx, fmt.Sprint("arrange-", i), w.clock.Now(), time.Minute, 1)
		if err != nil {
			return err
		}
		if batch == nil {
			return fmt.Errorf("arranging: no job ready for lease %d", i)
		}
		var id int
		fmt.Sscanf(strings.TrimPrefix(batch.Record.Fingerprint, "sentry:acme:"), "%d", &id)
		return w.store.Finish(ctx, batch, fmt.Sprintf("OPS-%d", id-100000+1), []byte(`{"linked":true}`))
	})
}

// benchLinked is the number of linked issues: FIXPROOF_BENCH_LINKED, or
// 10,000.
func benchLinked() int {
	if v, err := strconv.Atoi(os.Getenv("FIXPROOF_BENCH_LINKED")); err == nil && v > 0 {
		return v
	}
	return 10000
}
