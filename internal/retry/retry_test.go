package retry

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func resp(status int, header ...string) *http.Response {
	h := http.Header{}
	for i := 0; i+1 < len(header); i += 2 {
		h.Set(header[i], header[i+1])
	}
	return &http.Response{StatusCode: status, Header: h, Body: http.NoBody}
}

func TestDecide(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	p := Policy{Attempts: 4, Base: time.Second, Max: 4 * time.Second, MaxWait: time.Minute}
	tests := []struct {
		name    string
		attempt int
		resp    *http.Response
		err     error
		retry   bool
		wait    time.Duration
	}{
		{"success is final", 0, resp(200), nil, false, 0},
		{"client error is final", 0, resp(400), nil, false, 0},
		{"unauthorized fails fast", 0, resp(401), nil, false, 0},
		{"plain forbidden fails fast", 0, resp(403), nil, false, 0},
		{"not found is final", 0, resp(404), nil, false, 0},
		{"not implemented is final", 0, resp(501), nil, false, 0},
		{"429 honours Retry-After seconds", 0, resp(429, "Retry-After", "7"), nil, true, 7 * time.Second},
		{"429 honours Retry-After date", 0, resp(429, "Retry-After", now.Add(3*time.Second).Format(http.TimeFormat)), nil, true, 3 * time.Second},
		{"Retry-After in the past means now", 0, resp(503, "Retry-After", now.Add(-time.Hour).Format(http.TimeFormat)), nil, true, 0},
		{"429 without Retry-After backs off", 0, resp(429), nil, true, time.Second / 2},
		{"503 backs off exponentially", 2, resp(503), nil, true, 2 * time.Second},
		{"backoff is capped", 3 - 1, resp(500), nil, true, 2 * time.Second},
		{"GitHub secondary limit 403 with Retry-After", 0, resp(403, "Retry-After", "2"), nil, true, 2 * time.Second},
		{"GitHub primary limit 403 waits for reset", 0, resp(403, "X-Ratelimit-Remaining", "0", "X-Ratelimit-Reset", "1795262405"), nil, true, 5 * time.Second},
		{"Sentry reset header", 0, resp(429, "X-Sentry-Rate-Limit-Reset", "1795262410"), nil, true, 10 * time.Second},
		{"Jira's points quota: Beta-Retry-After", 0, resp(429, "Beta-Retry-After", "4", "RateLimit-Reason", "jira-quota-tenant-based"), nil, true, 4 * time.Second},
		{"Retry-After before Beta-Retry-After", 0, resp(429, "Retry-After", "2", "Beta-Retry-After", "40"), nil, true, 2 * time.Second},
		{"Jira's reset as yyyy-MM-ddTHH:mmZ", 0, resp(429, "X-RateLimit-Reset", now.Add(time.Minute).UTC().Format("2006-01-02T15:04Z")), nil, true,
			now.Add(time.Minute).UTC().Truncate(time.Minute).Sub(now)},
		{"Retry-After longer than MaxWait is not honoured", 0, resp(429, "Retry-After", "3600"), nil, false, 0},
		{"network error retries", 1, nil, errors.New("connection reset"), true, time.Second},
		{"cancelled context is final", 0, nil, context.Canceled, false, 0},
		{"last attempt is final", 3, resp(503), nil, false, 0},
	}
	// The reset headers above are epoch seconds: 1795262400 is now.
	if now.Unix() != 1795262400 {
		t.Fatalf("fixture clock drifted: %d", now.Unix())
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := p.Decide(tt.attempt, tt.resp, tt.err, now, 0)
			if d.Retry != tt.retry || d.Wait != tt.wait {
				t.Errorf("Decide = retry %v wait %s (%s), want retry %v wait %s", d.Retry, d.Wait, d.Reason, tt.retry, tt.wait)
			}
		})
	}
}

func TestJitterStaysWithinBackoff(t *testing.T) {
	p := Policy{Attempts: 9, Base: time.Second, Max: time.Minute}
	for attempt := 0; attempt < 8; attempt++ {
		lo := p.Decide(attempt, resp(503), nil, time.Now(), 0).Wait
		hi := p.Decide(attempt, resp(503), nil, time.Now(), 0.999).Wait
		if lo <= 0 || hi < lo || hi > 2*lo {
			t.Errorf("attempt %d: wait between %s and %s", attempt, lo, hi)
		}
	}
}

func TestTransportRetriesAndResendsTheBody(t *testing.T) {
	var mu sync.Mutex
	var bodies []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		n := len(bodies)
		mu.Unlock()
		if n < 3 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.WriteHeader(http.StatusCreated)
	}))
	defer srv.Close()

	var slept []time.Duration
	tr := &Transport{Policy: Policy{Attempts: 5, Base: time.Millisecond, Max: time.Millisecond, MaxWait: time.Minute,
		Sleep: func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil }}}
	req, _ := http.NewRequest(http.MethodPost, srv.URL, io.NopCloser(strings.NewReader(`{"a":1}`)))
	res, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("status %d, want 201", res.StatusCode)
	}
	if len(bodies) != 3 || bodies[0] != `{"a":1}` || bodies[2] != `{"a":1}` {
		t.Errorf("server saw bodies %q, want the same body three times", bodies)
	}
	if len(slept) != 2 || slept[0] != time.Second || slept[1] != time.Second {
		t.Errorf("slept %v, want Retry-After 1s twice", slept)
	}
}

func TestTransportGivesUpAfterAttempts(t *testing.T) {
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		w.WriteHeader(http.StatusBadGateway)
	}))
	defer srv.Close()
	tr := &Transport{Policy: Policy{Attempts: 3, Base: time.Millisecond, Max: time.Millisecond,
		Sleep: func(context.Context, time.Duration) error { return nil }}}
	res, err := (&http.Client{Transport: tr}).Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusBadGateway || calls != 3 {
		t.Errorf("status %d after %d calls, want 502 after 3", res.StatusCode, calls)
	}
}

func TestTransportStopsWhenContextEnds(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	tr := &Transport{Policy: Policy{Attempts: 5, Base: time.Hour, Max: time.Hour,
		Sleep: func(ctx context.Context, d time.Duration) error { cancel(); return ctx.Err() }}}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	_, err := (&http.Client{Transport: tr}).Do(req)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestRequestsThatMustNotBeSentTwice(t *testing.T) {
	p := Policy{Attempts: 4, Base: time.Second, Max: 4 * time.Second, MaxWait: time.Minute}
	dial := &net.OpError{Op: "dial", Err: errors.New("connection refused")}
	reset := &net.OpError{Op: "read", Err: errors.New("connection reset by peer")}
	tests := []struct {
		name  string
		resp  *http.Response
		err   error
		retry bool
	}{
		{"429 was not processed", resp(429), nil, true},
		{"503 was not processed", resp(503), nil, true},
		{"500 may have been processed", resp(500), nil, false},
		{"502 may have been processed", resp(502), nil, false},
		{"a refused connection never reached the server", nil, dial, true},
		{"a reset connection may have", nil, reset, false},
	}
	for _, tt := range tests {
		if d := p.decide(0, false, tt.resp, tt.err, time.Now(), 0); d.Retry != tt.retry {
			t.Errorf("%s: retry %v (%s), want %v", tt.name, d.Retry, d.Reason, tt.retry)
		}
		if d := p.decide(0, true, tt.resp, tt.err, time.Now(), 0); !d.Retry {
			t.Errorf("%s: an idempotent request is always retried", tt.name)
		}
	}
}

func TestTransportDoesNotResendAPostAfter502(t *testing.T) {
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		w.WriteHeader(http.StatusBadGateway)
	}))
	defer srv.Close()
	c := &http.Client{Transport: &Transport{Policy: Policy{Attempts: 5, Base: time.Millisecond, Max: time.Millisecond,
		Sleep: func(context.Context, time.Duration) error { return nil }}}}
	res, err := c.Post(srv.URL, "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if calls != 1 {
		t.Errorf("POST sent %d times after a 502, want once", calls)
	}
	req, _ := http.NewRequestWithContext(Idempotent(context.Background()), http.MethodPost, srv.URL, strings.NewReader("{}"))
	calls = 0
	res, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if calls != 5 {
		t.Errorf("an idempotent POST was sent %d times, want 5", calls)
	}
}

// roundTrip is a base transport made of a function.
type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestTransportLeavesTheCallersRequestAsItWas: the http.RoundTripper
// contract says RoundTrip must not modify the request. Every attempt
// sends a copy with its own body, so the caller's request keeps its body
// and headers whatever the attempts and the base transport do.
func TestTransportLeavesTheCallersRequestAsItWas(t *testing.T) {
	var bodies []string
	base := roundTrip(func(r *http.Request) (*http.Response, error) {
		b, _ := io.ReadAll(r.Body)
		r.Body.Close()
		bodies = append(bodies, string(b))
		// A base that writes on the request it is given (as signing
		// transports do) must not write on the caller's.
		r.Header.Set("X-Attempt", strconv.Itoa(len(bodies)))
		if len(bodies) < 3 {
			return resp(http.StatusServiceUnavailable), nil
		}
		return resp(http.StatusOK), nil
	})
	tr := &Transport{Base: base, Policy: Policy{Attempts: 5, Base: time.Millisecond, Max: time.Millisecond,
		Sleep: func(context.Context, time.Duration) error { return nil }}}
	for _, tt := range []struct {
		name string
		body io.Reader
	}{
		{"a body that cannot be read again", io.NopCloser(strings.NewReader(`{"a":1}`))},
		{"a body with GetBody", strings.NewReader(`{"a":1}`)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			bodies = nil
			req, _ := http.NewRequest(http.MethodPut, "http://example.invalid/x", tt.body)
			closed := &closeRecorder{ReadCloser: req.Body}
			req.Body = closed
			body, hadGetBody := req.Body, req.GetBody != nil
			res, err := tr.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if len(bodies) != 3 || bodies[0] != `{"a":1}` || bodies[1] != `{"a":1}` || bodies[2] != `{"a":1}` {
				t.Errorf("attempts sent bodies %q, want the same body three times", bodies)
			}
			if req.Body != body || (req.GetBody != nil) != hadGetBody {
				t.Errorf("the caller's request body was replaced")
			}
			if len(req.Header) != 0 {
				t.Errorf("the caller's request headers were changed: %v", req.Header)
			}
			if !closed.closed {
				t.Errorf("the caller's request body was not closed (RoundTrip must close it)")
			}
		})
	}
}

type closeRecorder struct {
	io.ReadCloser
	closed bool
}

func (c *closeRecorder) Close() error {
	c.closed = true
	return c.ReadCloser.Close()
}

// A request made with Once is sent once, even where the policy would
// retry: a 503, then a connection refused.
func TestOnceSendsARequestOnce(t *testing.T) {
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	slept := 0
	tr := &Transport{Policy: Policy{Attempts: 5, Base: time.Millisecond, Max: time.Millisecond,
		Sleep: func(context.Context, time.Duration) error { slept++; return nil }}}
	c := &http.Client{Transport: tr}
	req, _ := http.NewRequestWithContext(Once(context.Background()), http.MethodGet, srv.URL, nil)
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable || calls != 1 {
		t.Errorf("status %d after %d calls, want 503 after 1", res.StatusCode, calls)
	}
	srv.Close()
	req, _ = http.NewRequestWithContext(Once(context.Background()), http.MethodGet, srv.URL, nil)
	if _, err := c.Do(req); err == nil || slept != 0 {
		t.Errorf("a closed server: err %v after %d waits, want an error and no wait", err, slept)
	}
	// Without Once the same policy retries.
	calls = 0
	srv = httptest.NewServer(srv.Config.Handler)
	defer srv.Close()
	res, err = c.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if calls != 5 {
		t.Errorf("without Once: %d calls, want 5", calls)
	}
}

// A 429 that says how long to wait is a server pacing its clients: its
// tries do not count among Attempts while the waits stay within
// Patience; past it, or without a wait, they count as any failure does.
func TestAPacingServerIsWaitedOutWithinPatience(t *testing.T) {
	for _, tt := range []struct {
		name       string
		refusals   int
		retryAfter string
		patience   time.Duration
		wantStatus int
		wantCalls  int
	}{
		{"patient enough for six waits", 6, "1", 10 * time.Second, http.StatusOK, 7},
		{"no patience: Attempts count", 6, "1", 0, http.StatusTooManyRequests, 3},
		{"patience for two waits, then Attempts", 6, "1", 2 * time.Second, http.StatusTooManyRequests, 5},
		{"a 429 that says no wait counts", 6, "", time.Hour, http.StatusTooManyRequests, 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls++
				if calls <= tt.refusals {
					if tt.retryAfter != "" {
						w.Header().Set("Retry-After", tt.retryAfter)
					}
					w.WriteHeader(http.StatusTooManyRequests)
					return
				}
				w.WriteHeader(http.StatusOK)
			}))
			defer srv.Close()
			tr := &Transport{Policy: Policy{Attempts: 3, Base: time.Millisecond, Max: time.Millisecond, MaxWait: time.Minute, Patience: tt.patience,
				Sleep: func(context.Context, time.Duration) error { return nil }}}
			req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(`{}`))
			res, err := (&http.Client{Transport: tr}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != tt.wantStatus || calls != tt.wantCalls {
				t.Errorf("status %d after %d calls, want %d after %d", res.StatusCode, calls, tt.wantStatus, tt.wantCalls)
			}
		})
	}
}
