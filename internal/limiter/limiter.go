// Package limiter paces the requests sent to a service that rate-limits.
// It bounds how many are in flight at once, adapting the bound as TCP does
// its window: it starts wide, halves when the service says it is near or
// over its limit (429, Jira's near-limit warnings, or a budget count with
// less than a fifth left), and grows back by one for each bound's worth of
// answers that said nothing of the kind.
// And it paces each endpoint the service has refused (a 429): every
// request to it waits out the Retry-After, not only the refused one, and
// then goes at a rate that starts at one a second, grows by one a second
// for each second without a refusal and halves at the next, so that
// hundreds of requests at once settle at about the service's rate
// instead of earning each other longer waits.
package limiter

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fixproof/fixproof/internal/retry"
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
	// sleep waits d or until ctx ends; tests skip the waits.
	sleep func(ctx context.Context, d time.Duration) error
	// pacers are the endpoints the service has refused, by endpoint.
	pacers map[string]*pacer
}

// pacer is the pace of one endpoint.
type pacer struct {
	rate   float64   // requests a second
	next   time.Time // when the next request may go
	paused time.Time // what the last Retry-After asked for
	calm   time.Time // when the rate may halve again
	grown  time.Time // when it last grew
}

// New makes a limiter that lets start run at once, adapting between lo
// and hi (lo at least 1).
func New(start, lo, hi int) *Limiter {
	lo = max(lo, 1)
	hi = max(hi, lo)
	return &Limiter{limit: min(max(start, lo), hi), lo: lo, hi: hi, wait: make(chan struct{}), now: time.Now, sleep: sleep, pacers: map[string]*pacer{}}
}

// SetClock makes the limiter pace by now and wait with sleep (nil: the
// real ones), as the retry policy does: tests skip the waits on a
// simulated clock.
func (l *Limiter) SetClock(now func() time.Time, sleep func(ctx context.Context, d time.Duration) error) {
	if now != nil {
		l.now = now
	}
	if sleep != nil {
		l.sleep = sleep
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
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

// Watch is rt paced by l for the requests to the service at baseURL (its
// host, whatever the path): each waits for its endpoint's pace and for a
// slot in flight, and what its answer says of the service's limit steers
// l. A 429 throttles and paces its endpoint for as long as it asks
// (Retry-After, Beta-Retry-After, X-RateLimit-Reset); an answer that says
// the budget is nearly spent throttles (see limited); any other answer
// counts as a success. Requests to other hosts pass untouched, and all of
// them when baseURL has no host.
func (l *Limiter) Watch(rt http.RoundTripper, baseURL string) http.RoundTripper {
	if rt == nil {
		rt = http.DefaultTransport
	}
	var host string
	if u, err := url.Parse(baseURL); err == nil {
		host = u.Host
	}
	return roundTripFunc(func(req *http.Request) (*http.Response, error) {
		if host == "" || !strings.EqualFold(req.URL.Host, host) {
			return rt.RoundTrip(req)
		}
		ep := endpoint(req)
		if err := l.admit(req.Context(), ep); err != nil {
			return nil, err
		}
		if err := l.Acquire(req.Context()); err != nil {
			return nil, err
		}
		resp, err := rt.RoundTrip(req)
		l.Release()
		if err != nil {
			return resp, err
		}
		switch {
		case resp.StatusCode == http.StatusTooManyRequests:
			l.Throttled()
			wait, _ := retry.ServerWait(resp.Header, l.now())
			l.refused(ep, wait)
		case limited(resp):
			l.Throttled()
		default:
			l.Succeeded()
			l.passed(ep)
		}
		return resp, err
	})
}

// admit waits until endpoint ep's pace lets a request go: not before
// what its last refusal asked, and one rate's interval after the last.
// An endpoint never refused goes at once.
func (l *Limiter) admit(ctx context.Context, ep string) error {
	for {
		l.mu.Lock()
		p := l.pacers[ep]
		if p == nil {
			l.mu.Unlock()
			return nil
		}
		now := l.now()
		at := p.next
		if p.paused.After(at) {
			at = p.paused
		}
		if !now.Before(at) {
			p.next = now.Add(time.Duration(float64(time.Second) / p.rate))
			l.mu.Unlock()
			return nil
		}
		l.mu.Unlock()
		if err := l.sleep(ctx, at.Sub(now)); err != nil {
			return err
		}
	}
}

// refused paces endpoint ep after a 429 that asked to wait d: from one
// request a second the first time, else at half the rate (once a second),
// and none before the wait is out.
func (l *Limiter) refused(ep string, d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	p := l.pacers[ep]
	switch {
	case p == nil:
		p = &pacer{rate: 1, grown: now}
		l.pacers[ep] = p
	case !now.Before(p.calm):
		p.rate = max(p.rate/2, 1)
	}
	p.calm = now.Add(time.Second)
	if until := now.Add(d); until.After(p.paused) {
		p.paused = until
	}
}

// passed grows a paced endpoint's rate by one a second for each second
// it has gone without a refusal.
func (l *Limiter) passed(ep string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	p := l.pacers[ep]
	if p == nil {
		return
	}
	now := l.now()
	if now.Sub(p.grown) >= time.Second && !now.Before(p.calm) {
		p.rate++
		p.grown = now
	}
}

// idSegment is a path segment that names one object (an issue key or an
// id): the segments an endpoint's requests differ in.
var idSegment = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*-[0-9]+$|^[0-9]+$`)

// endpoint is the endpoint a request is to, as rate limits count them:
// its method and path, with the segments that name an object as {} (an
// API's version, /rest/api/3, is not one).
func endpoint(req *http.Request) string {
	parts := strings.Split(req.URL.Path, "/")
	for i, p := range parts {
		if idSegment.MatchString(p) && (i == 0 || parts[i-1] != "api") {
			parts[i] = "{}"
		}
	}
	return req.Method + " " + strings.Join(parts, "/")
}

// limited reports whether an answer says the service is at or near its
// rate limit: a 429; Jira Cloud's word that less than a fifth of a budget
// is left, X-RateLimit-NearLimit (its cost budgets) or
// X-Beta-RateLimit-NearLimit (its points quota); or less than a fifth left
// by the count X-RateLimit-Remaining of X-RateLimit-Limit, which Jira
// Cloud's burst limit and Jira Data Center's token bucket send on their
// answers without a warning of their own.
func limited(resp *http.Response) bool {
	h := resp.Header
	if resp.StatusCode == http.StatusTooManyRequests ||
		strings.EqualFold(h.Get("X-RateLimit-NearLimit"), "true") ||
		strings.EqualFold(h.Get("X-Beta-RateLimit-NearLimit"), "true") {
		return true
	}
	limit, err1 := strconv.Atoi(h.Get("X-RateLimit-Limit"))
	left, err2 := strconv.Atoi(h.Get("X-RateLimit-Remaining"))
	return err1 == nil && err2 == nil && limit > 0 && left >= 0 && left*5 < limit
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
