// Package limiter paces the requests sent to a service that rate-limits.
// It bounds how many are in flight at once, adapting the bound as TCP does
// its window: it starts wide, halves when the service says it is near or
// over its limit (429, or Jira's X-RateLimit-NearLimit), and grows back by
// one for each bound's worth of answers that said nothing of the kind.
// Waiting out a 429's Retry-After is the retry policy's (internal/retry).
package limiter

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Limiter is an adaptive bound on concurrent work.
type Limiter struct {
	mu     sync.Mutex
	limit  int
	lo, hi int // the bounds of the bound
	inUse  int
	// good counts answers since the bound last changed; the bound grows
	// by one when it reaches the bound.
	good int
	// calm is when the bound may halve again: one halving per burst of
	// refusals, not one per refusal (the requests already in flight when
	// the first came back answer alike).
	calm time.Time
	wait chan struct{} // closed and replaced when a slot frees or the bound grows
	now  func() time.Time
}

// New makes a limiter that lets start run at once, adapting between lo
// and hi (lo at least 1).
func New(start, lo, hi int) *Limiter {
	lo = max(lo, 1)
	hi = max(hi, lo)
	return &Limiter{limit: min(max(start, lo), hi), lo: lo, hi: hi, wait: make(chan struct{}), now: time.Now}
}

// Acquire waits for a slot, or for ctx to end.
func (l *Limiter) Acquire(ctx context.Context) error {
	for {
		l.mu.Lock()
		if l.inUse < l.limit {
			l.inUse++
			l.mu.Unlock()
			return nil
		}
		wait := l.wait
		l.mu.Unlock()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-wait:
		}
	}
}

// Release frees a slot.
func (l *Limiter) Release() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.inUse--
	l.wake()
}

// wake lets the waiters look again; l.mu is held.
func (l *Limiter) wake() {
	close(l.wait)
	l.wait = make(chan struct{})
}

// Limit is the bound now.
func (l *Limiter) Limit() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.limit
}

// Throttled halves the bound (not below lo): the service is at or near
// its limit. Refusals within a second of a halving count as one.
func (l *Limiter) Throttled() {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if now.Before(l.calm) {
		return
	}
	l.limit, l.good, l.calm = max(l.limit/2, l.lo), 0, now.Add(time.Second)
}

// Succeeded counts an answer that said nothing of the limit: after as
// many of them as the bound, the bound grows by one (not above hi).
func (l *Limiter) Succeeded() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.good++
	if l.good >= l.limit && l.limit < l.hi {
		l.limit, l.good = l.limit+1, 0
		l.wake()
	}
}

// Watch is rt paced by l for the requests to host: each waits for a slot
// in flight, and what its answer says of the service's limit steers l: a
// 429, or X-RateLimit-NearLimit: true (Jira Cloud's word that less than a
// fifth of the budget is left), throttles; any other answer counts as a
// success. Requests to other hosts pass untouched.
func (l *Limiter) Watch(rt http.RoundTripper, host string) http.RoundTripper {
	if rt == nil {
		rt = http.DefaultTransport
	}
	return roundTripFunc(func(req *http.Request) (*http.Response, error) {
		if !strings.EqualFold(req.URL.Host, host) {
			return rt.RoundTrip(req)
		}
		if err := l.Acquire(req.Context()); err != nil {
			return nil, err
		}
		resp, err := rt.RoundTrip(req)
		l.Release()
		if err != nil {
			return resp, err
		}
		if Limited(resp) {
			l.Throttled()
		} else {
			l.Succeeded()
		}
		return resp, err
	})
}

// Limited reports whether an answer says the service is at or near its
// rate limit.
func Limited(resp *http.Response) bool {
	return resp.StatusCode == http.StatusTooManyRequests || strings.EqualFold(resp.Header.Get("X-RateLimit-NearLimit"), "true")
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
