package storetest

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/store"
)

// benchPayload is a small Sentry-sized webhook body.
var benchPayload = bytes.Repeat([]byte(`{"event":"x"}`), 150) // ~2 KB

// BenchParallelism is how many goroutines per GOMAXPROCS EnqueueParallel
// runs (64 on a 2-core machine): webhook handlers, each waiting for its
// delivery to be stored.
const BenchParallelism = 32

// EnqueueParallel is the body of a backend's BenchmarkEnqueueParallel: many
// goroutines Enqueue as fast as the store lets them, over 500 fingerprints.
// Besides ns/op it reports throughput (enqueues/s) and the latency of one
// Enqueue, p50 and p99, in milliseconds.
func EnqueueParallel(b *testing.B, s store.Store) {
	ctx := context.Background()
	var (
		mu  sync.Mutex
		lat []time.Duration
		seq atomic.Int64
	)
	b.SetParallelism(BenchParallelism)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		local := make([]time.Duration, 0, 1024)
		for pb.Next() {
			i := seq.Add(1)
			t := time.Now()
			_, _, err := s.Enqueue(ctx, store.Delivery{
				Kind: "sentry", Fingerprint: fmt.Sprintf("bench-%d", i%500), Payload: benchPayload, Received: t,
			})
			if err != nil {
				b.Error(err)
				return
			}
			local = append(local, time.Since(t))
		}
		mu.Lock()
		lat = append(lat, local...)
		mu.Unlock()
	})
	elapsed := time.Since(start)
	b.StopTimer()
	report(b, lat, elapsed)
}

// EnqueueAtRate offers b.N Enqueues at a steady rate per second, each in
// a goroutine of its own (as an HTTP server would), and reports the
// latency from the moment each was due, so that a store falling behind
// shows in the figures rather than slowing the offered load.
func EnqueueAtRate(b *testing.B, s store.Store, rate int) {
	ctx := context.Background()
	lat := make([]time.Duration, b.N)
	interval := time.Second / time.Duration(rate)
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		due := start.Add(time.Duration(i) * interval)
		if d := time.Until(due); d > 0 {
			time.Sleep(d)
		}
		wg.Go(func() {
			_, _, err := s.Enqueue(ctx, store.Delivery{
				Kind: "sentry", Fingerprint: fmt.Sprintf("bench-%d", i%500), Payload: benchPayload, Received: due,
			})
			if err != nil {
				b.Error(err)
			}
			lat[i] = time.Since(due)
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	report(b, lat, elapsed)
}

func report(b *testing.B, lat []time.Duration, elapsed time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(float64(len(lat))*p))] }
	b.ReportMetric(ms(pct(0.50)), "p50-ms")
	b.ReportMetric(ms(pct(0.99)), "p99-ms")
	b.ReportMetric(ms(lat[len(lat)-1]), "max-ms")
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "enqueues/s")
}
