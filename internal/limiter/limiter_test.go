package limiter

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The bound starts where asked, within its bounds; halves once per burst
// of refusals, not below the least; and grows by one per bound's worth of
// quiet answers, not above the most.
func TestTheBoundHalvesOnRefusalsAndGrowsBackSlowly(t *testing.T) {
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	l := New(64, 4, 512)
	l.now = func() time.Time { return now }
	if l.Limit() != 64 {
		t.Fatalf("start %d, want 64", l.Limit())
	}
	l.Throttled()
	l.Throttled() // the same burst
	if l.Limit() != 32 {
		t.Fatalf("after a burst of refusals %d, want 32", l.Limit())
	}
	for _, want := range []int{16, 8, 4, 4} {
		now = now.Add(2 * time.Second)
		l.Throttled()
		if l.Limit() != want {
			t.Fatalf("after another burst %d, want %d", l.Limit(), want)
		}
	}
	for range 3 {
		l.Succeeded()
	}
	if l.Limit() != 4 {
		t.Fatalf("after 3 quiet answers at 4: %d, want 4", l.Limit())
	}
	l.Succeeded()
	if l.Limit() != 5 {
		t.Fatalf("after 4 quiet answers at 4: %d, want 5", l.Limit())
	}
	if got := New(1000, 4, 512).Limit(); got != 512 {
		t.Errorf("start above the most: %d, want 512", got)
	}
	if got := New(0, 0, 8).Limit(); got != 1 {
		t.Errorf("start below one: %d, want 1", got)
	}
	top := New(8, 1, 8)
	for range 100 {
		top.Succeeded()
	}
	if top.Limit() != 8 {
		t.Errorf("grew past the most: %d", top.Limit())
	}
}

// No more than the bound run at once, and a slot freed or a bound grown
// lets a waiter in.
func TestAcquireHoldsToTheBound(t *testing.T) {
	l := New(3, 1, 10)
	var running, peak atomic.Int64
	var wg sync.WaitGroup
	for range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := l.Acquire(context.Background()); err != nil {
				t.Error(err)
				return
			}
			n := running.Add(1)
			for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
			}
			time.Sleep(time.Millisecond)
			running.Add(-1)
			l.Release()
		}()
	}
	wg.Wait()
	if p := peak.Load(); p > 3 || p < 1 {
		t.Errorf("peak %d running, want at most 3", p)
	}
	ctx, cancel := context.WithCancel(context.Background())
	full := New(1, 1, 1)
	_ = full.Acquire(ctx)
	cancel()
	if err := full.Acquire(ctx); err == nil {
		t.Error("Acquire on a full limiter returned without a slot after its context ended")
	}
}

// Watch throttles on Jira's 429 and its near-limit warning, counts other
// answers from the host as quiet, and ignores other hosts.
func TestWatchReadsTheServicesAnswers(t *testing.T) {
	var answer atomic.Value
	answer.Store("ok")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch answer.Load() {
		case "429":
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
		case "near":
			w.Header().Set("X-RateLimit-NearLimit", "true")
		}
	}))
	defer srv.Close()
	l := New(8, 1, 16)
	now := time.Now()
	l.now = func() time.Time { now = now.Add(2 * time.Second); return now }
	c := &http.Client{Transport: l.Watch(nil, srv.Listener.Addr().String())}
	get := func() {
		t.Helper()
		resp, err := c.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	answer.Store("429")
	get()
	if l.Limit() != 4 {
		t.Fatalf("after a 429: %d, want 4", l.Limit())
	}
	answer.Store("near")
	get()
	if l.Limit() != 2 {
		t.Fatalf("after a near-limit warning: %d, want 2", l.Limit())
	}
	answer.Store("ok")
	get()
	get()
	if l.Limit() != 3 {
		t.Fatalf("after two quiet answers at 2: %d, want 3", l.Limit())
	}
	other := &http.Client{Transport: l.Watch(nil, "jira.example:443")}
	answer.Store("429")
	resp, err := other.Get(srv.URL)
	if err == nil {
		resp.Body.Close()
	}
	if l.Limit() != 3 {
		t.Errorf("another host's 429 throttled: %d", l.Limit())
	}
}
