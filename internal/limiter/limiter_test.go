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
	c := &http.Client{Transport: l.Watch(nil, srv.URL)}
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
	other := &http.Client{Transport: l.Watch(nil, "https://jira.example:443/jira")}
	answer.Store("429")
	resp, err := other.Get(srv.URL)
	if err == nil {
		resp.Body.Close()
	}
	if l.Limit() != 3 {
		t.Errorf("another host's 429 throttled: %d", l.Limit())
	}
}

// An endpoint the service refused is paced: every request to it waits
// out the Retry-After, then they go one interval apart, the rate growing
// by one a second without refusals and halving at the next; other
// endpoints go at once.
func TestARefusedEndpointIsPacedAndOthersAreNot(t *testing.T) {
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	var slept []time.Duration
	l := New(8, 1, 8)
	l.SetClock(func() time.Time { return now }, func(_ context.Context, d time.Duration) error {
		slept = append(slept, d)
		now = now.Add(d)
		return nil
	})
	const ep = "POST /rest/api/3/issue/{}/transitions"
	admit := func(ep string) time.Duration {
		t.Helper()
		start := now
		if err := l.admit(context.Background(), ep); err != nil {
			t.Fatal(err)
		}
		return now.Sub(start)
	}
	if d := admit(ep); d != 0 {
		t.Fatalf("before any refusal a request waited %s", d)
	}
	l.refused(ep, 2*time.Second)
	if d := admit(ep); d != 2*time.Second {
		t.Errorf("after a 429 asking for 2s: waited %s", d)
	}
	if d := admit(ep); d != time.Second {
		t.Errorf("the next, at one a second: waited %s", d)
	}
	if d := admit("GET /rest/api/3/issue/{}/comment"); d != 0 {
		t.Errorf("another endpoint waited %s", d)
	}
	l.passed(ep) // a second since the refusal, without another
	if l.pacers[ep].rate != 2 {
		t.Fatalf("rate after a quiet second: %g, want 2", l.pacers[ep].rate)
	}
	admit(ep) // the interval already set, at one a second
	if d := admit(ep); d != 500*time.Millisecond {
		t.Errorf("at two a second: waited %s", d)
	}
	now = now.Add(2 * time.Second)
	l.refused(ep, 0)
	if l.pacers[ep].rate != 1 {
		t.Errorf("rate after another refusal: %g, want 1 (halved)", l.pacers[ep].rate)
	}
}

// Endpoints are counted as rate limits count them: the objects a path
// names are one endpoint.
func TestEndpointNamesTheRouteNotTheObject(t *testing.T) {
	for path, want := range map[string]string{
		"/rest/api/3/issue/OPS-12/transitions": "POST /rest/api/3/issue/{}/transitions",
		"/rest/api/3/issue/10042/comment/7":    "POST /rest/api/3/issue/{}/comment/{}",
		"/rest/api/3/search/jql":               "POST /rest/api/3/search/jql",
	} {
		req, _ := http.NewRequest(http.MethodPost, "https://acme.atlassian.net"+path, nil)
		if got := endpoint(req); got != want {
			t.Errorf("endpoint(%s) = %q, want %q", path, got, want)
		}
	}
}

// TestLimitedReadsEveryWayJiraSaysTheBudgetIsLow: Jira Cloud warns of a
// cost budget or its points quota with a header of its own, while its
// burst limit and Jira Data Center's token bucket only count what is
// left; less than a fifth left is low.
func TestLimitedReadsEveryWayJiraSaysTheBudgetIsLow(t *testing.T) {
	for _, c := range []struct {
		name   string
		status int
		header map[string]string
		want   bool
	}{
		{"a 429", 429, nil, true},
		{"a quiet answer", 200, nil, false},
		{"cost budget warning", 200, map[string]string{"X-RateLimit-NearLimit": "true"}, true},
		{"points quota warning", 200, map[string]string{"X-Beta-RateLimit-NearLimit": "true"}, true},
		{"warning off", 200, map[string]string{"X-RateLimit-NearLimit": "false"}, false},
		{"burst bucket full", 200, map[string]string{"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "99"}, false},
		{"burst bucket at a fifth", 200, map[string]string{"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "20"}, false},
		{"burst bucket under a fifth", 200, map[string]string{"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "19"}, true},
		{"Data Center bucket empty", 200, map[string]string{"X-RateLimit-Limit": "20", "X-RateLimit-Remaining": "0", "X-RateLimit-FillRate": "10"}, true},
		{"a count without its limit", 200, map[string]string{"X-RateLimit-Remaining": "0"}, false},
		{"a count that is not a number", 200, map[string]string{"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "few"}, false},
	} {
		resp := &http.Response{StatusCode: c.status, Header: http.Header{}}
		for k, v := range c.header {
			resp.Header.Set(k, v)
		}
		if got := limited(resp); got != c.want {
			t.Errorf("%s: limited = %v, want %v", c.name, got, c.want)
		}
	}
}
