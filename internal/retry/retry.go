// Package retry is fixproof's one retry policy for HTTP clients: rate
// limits (429; GitHub's primary and secondary limits, whether they answer
// 403 or, for GraphQL, 200 with a RATE_LIMITED error) and server errors
// (5xx) are retried with capped exponential backoff that honours
// Retry-After and rate-limit resets, and so are network errors;
// everything else is returned at once.
//
// A request that is not idempotent (POST, PATCH) is retried only when the
// server cannot have acted on it: 429, 503, or a connection that was never
// opened. Sending "create this issue" again after a 502 or a dropped
// connection would create it twice; callers that must survive those
// recover on their own terms (look the object up, then create). Reads sent
// as POST (GraphQL, JQL search) are marked with Idempotent.
package retry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"time"
)

type idempotentKey struct{}

// Idempotent marks the requests made with ctx as safe to send twice, such
// as a search sent as POST.
func Idempotent(ctx context.Context) context.Context {
	return context.WithValue(ctx, idempotentKey{}, true)
}

type onceKey struct{}

// Once marks the requests made with ctx to be tried once, whatever the
// answer: the caller tries again on a schedule of its own (the dashboard's
// background refresh), so waiting out the backoff would only delay the
// news that the service is down.
func Once(ctx context.Context) context.Context {
	return context.WithValue(ctx, onceKey{}, true)
}

// once reports whether req is to be tried once (see Once).
func once(req *http.Request) bool {
	v, _ := req.Context().Value(onceKey{}).(bool)
	return v
}

// idempotent reports whether sending req again cannot do harm.
func idempotent(req *http.Request) bool {
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete:
		return true
	}
	v, _ := req.Context().Value(idempotentKey{}).(bool)
	return v
}

// neverSent reports whether a transport error happened before the request
// could reach the server.
func neverSent(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// Policy says how often and how long to retry.
type Policy struct {
	// Attempts is the total number of tries, first one included.
	Attempts int
	// Base is the first backoff; each later one doubles, up to Max.
	Base, Max time.Duration
	// MaxWait is the longest Retry-After the policy will honour; a server
	// asking for longer gets its response returned instead, so a run does
	// not hang for an hour on a daily quota.
	MaxWait time.Duration
	// Patience is how long in all a request may wait out 429s that said
	// how long to wait (Retry-After and its kin) without those tries
	// counting among its Attempts: a rate limit is the server pacing its
	// clients, not the request failing, and hundreds of requests at once
	// may each be told to wait more than Attempts times. Zero: every try
	// counts.
	Patience time.Duration
	// Sleep waits d or until ctx ends. Nil means a real timer; tests pass
	// one that returns at once.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock that rate-limit resets (epoch seconds, HTTP dates)
	// are measured against. Nil means time.Now; tests pass the clock of
	// the simulated server, with a Sleep that advances it.
	Now func() time.Time
}

// Default is the policy for production clients: 5 tries over about 15s of
// backoff, honouring a Retry-After of up to 2 minutes.
func Default() Policy {
	return Policy{Attempts: 5, Base: 500 * time.Millisecond, Max: 8 * time.Second, MaxWait: 2 * time.Minute, Patience: 5 * time.Minute}
}

// Decision is what to do after one try.
type Decision struct {
	Retry bool
	Wait  time.Duration
	// Reason names what went wrong, for logs: "429", "503", "network: ...".
	Reason string
}

// Decide is the policy as a pure function: given the outcome of try number
// attempt (0-based), retry or not, and after how long. jitter in [0,1)
// spreads clients that failed together.
func (p Policy) Decide(attempt int, resp *http.Response, err error, now time.Time, jitter float64) Decision {
	return p.decide(attempt, true, resp, err, now, jitter)
}

// decide is Decide for a request that is (safe) or is not idempotent.
func (p Policy) decide(attempt int, safe bool, resp *http.Response, err error, now time.Time, jitter float64) Decision {
	if attempt+1 >= p.Attempts {
		return Decision{}
	}
	backoff := p.backoff(attempt, jitter)
	if err != nil {
		return decideNetwork(safe, err, backoff)
	}
	status := resp.StatusCode
	if !retryable(safe, resp) {
		return Decision{}
	}
	wait := backoff
	if d, ok := ServerWait(resp.Header, now); ok {
		if d > p.MaxWait {
			return Decision{Reason: fmt.Sprintf("%d: server asks to wait %s, more than %s", status, d, p.MaxWait)}
		}
		wait = d
	}
	return Decision{Retry: true, Wait: wait, Reason: strconv.Itoa(status)}
}

// patient is how long to wait before sending again a request refused with
// a 429 that said how long (Retry-After and its kin), when that wait, with
// those already waited, is within Patience and MaxWait: such a try does
// not count among Attempts. ok is false otherwise.
func (p Policy) patient(resp *http.Response, waited time.Duration, now time.Time) (time.Duration, bool) {
	if resp == nil || resp.StatusCode != http.StatusTooManyRequests {
		return 0, false
	}
	d, ok := ServerWait(resp.Header, now)
	return d, ok && d <= p.MaxWait && waited+d <= p.Patience
}

// decideNetwork is decide for a request that got no answer: retried after
// backoff unless the caller gave up (its context ended) or the request
// must not be sent twice and may have reached the server.
func decideNetwork(safe bool, err error, backoff time.Duration) Decision {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return Decision{}
	}
	if !safe && !neverSent(err) {
		return Decision{Reason: "network error after a request that must not be sent twice: " + err.Error()}
	}
	return Decision{Retry: true, Wait: backoff, Reason: "network: " + err.Error()}
}

// retryable reports whether an answer is worth another try: a rate limit
// or a server error, but for a request that must not be sent twice only
// the answers that say the server did nothing (429, 503).
func retryable(safe bool, resp *http.Response) bool {
	switch status := resp.StatusCode; {
	case status == http.StatusForbidden:
		// GitHub's secondary rate limits answer 403 with Retry-After, its
		// primary limit 403 with x-ratelimit-remaining: 0. A plain 403 is a
		// permission problem and must fail fast.
		return resp.Header.Get("Retry-After") != "" || resp.Header.Get("X-Ratelimit-Remaining") == "0"
	case !safe:
		// The server may have acted before failing.
		return status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable
	default:
		return status == http.StatusTooManyRequests || status >= 500 && status != http.StatusNotImplemented
	}
}

func (p Policy) backoff(attempt int, jitter float64) time.Duration {
	d := p.Base << attempt
	if d > p.Max || d <= 0 {
		d = p.Max
	}
	// Half fixed, half jittered: never zero, never in lockstep.
	return d/2 + time.Duration(jitter*float64(d/2))
}

// ServerWait reads how long the server asked us to wait: Retry-After in
// seconds or as an HTTP date (Jira's points-based quota says it as
// Beta-Retry-After), else a rate-limit reset time: epoch seconds
// (GitHub's x-ratelimit-reset, Sentry's X-Sentry-Rate-Limit-Reset) or
// ISO 8601 (Jira's X-RateLimit-Reset, yyyy-MM-ddTHH:mmZ).
func ServerWait(h http.Header, now time.Time) (time.Duration, bool) {
	for _, name := range []string{"Retry-After", "Beta-Retry-After"} {
		if d, ok := retryAfter(h.Get(name), now); ok {
			return d, true
		}
	}
	for _, name := range []string{"X-Sentry-Rate-Limit-Reset", "X-Ratelimit-Reset"} {
		if reset, ok := resetTime(h.Get(name)); ok {
			return max(reset.Sub(now), 0), true
		}
	}
	return 0, false
}

// retryAfter reads a Retry-After value: seconds, or an HTTP date.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil && secs >= 0 {
		return time.Duration(secs * float64(time.Second)), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// resetTime reads a rate-limit reset: epoch seconds, or an ISO 8601 time
// to the minute or finer.
func resetTime(v string) (time.Time, bool) {
	if v == "" {
		return time.Time{}, false
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		return time.Unix(0, int64(secs*float64(time.Second))), true
	}
	for _, layout := range []string{"2006-01-02T15:04Z07:00", time.RFC3339Nano} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// Transport is an http.RoundTripper that applies a Policy.
type Transport struct {
	Base   http.RoundTripper // nil means http.DefaultTransport
	Policy Policy
	// OnRetry, when set, hears about every retry (for logs).
	OnRetry func(req *http.Request, d Decision)
}

// RoundTrip sends req, retrying as the policy says. Every attempt sends a
// copy of req with a body of its own, so req itself is never modified (the
// http.RoundTripper contract): a body that cannot be given again (no
// GetBody) is read once, closed, and buffered for the copies.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	getBody, err := bodies(req)
	if err != nil {
		return nil, err
	}
	var waited time.Duration // waiting out 429s, within Patience
	for attempt := 0; ; {
		try, err := copyWithBody(req, getBody)
		if err != nil {
			return nil, err
		}
		resp, err := base.RoundTrip(try)
		d := t.decide(attempt, try, resp, err)
		if w, ok := t.Policy.patient(resp, waited, t.now()); ok && !once(try) {
			// A server pacing its clients: not a failed try.
			d, waited = Decision{Retry: true, Wait: w, Reason: "429"}, waited+w
		} else {
			attempt++
		}
		if !d.Retry {
			return resp, err
		}
		if resp != nil {
			// Drain so the connection is reused.
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
		}
		if t.OnRetry != nil {
			t.OnRetry(try, d)
		}
		if err := t.sleep(req.Context(), d.Wait); err != nil {
			return nil, err
		}
	}
}

// bodies returns what gives each attempt its own copy of req's body: nil
// for a request without one, else req.GetBody, else a reader of the body
// read once. req's body is closed either way: the attempts send copies.
func bodies(req *http.Request) (func() (io.ReadCloser, error), error) {
	if req.Body == nil || req.Body == http.NoBody {
		return nil, nil
	}
	defer req.Body.Close()
	if req.GetBody != nil {
		return req.GetBody, nil
	}
	buf, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, fmt.Errorf("retry: read request body: %w", err)
	}
	return func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(buf)), nil }, nil
}

// copyWithBody is one attempt's copy of req, with a fresh body when
// getBody is not nil.
func copyWithBody(req *http.Request, getBody func() (io.ReadCloser, error)) (*http.Request, error) {
	try := req.Clone(req.Context())
	if getBody != nil {
		body, err := getBody()
		if err != nil {
			return nil, fmt.Errorf("retry: rewind request body: %w", err)
		}
		try.Body = body
	}
	return try, nil
}

// decide applies the policy to the outcome of one attempt: a GitHub rate
// limit that only the body shows, or any other answer or error.
func (t *Transport) decide(attempt int, req *http.Request, resp *http.Response, err error) Decision {
	if once(req) {
		return Decision{}
	}
	now := t.now()
	if limit := githubLimit(req, resp, err); limit != notLimited {
		return t.Policy.decideLimit(attempt, resp, limit, now, rand.Float64())
	}
	return t.Policy.decide(attempt, idempotent(req), resp, err, now, rand.Float64())
}

// now is the policy's clock.
func (t *Transport) now() time.Time {
	if t.Policy.Now != nil {
		return t.Policy.Now()
	}
	return time.Now()
}

func (t *Transport) sleep(ctx context.Context, d time.Duration) error {
	if t.Policy.Sleep != nil {
		return t.Policy.Sleep(ctx, d)
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
