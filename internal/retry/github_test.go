package retry

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestDecideLimit(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC) // 1795262400
	p := Policy{Attempts: 4, Base: time.Second, Max: 4 * time.Second, MaxWait: 2 * time.Minute}
	tests := []struct {
		name    string
		attempt int
		kind    limitKind
		resp    *http.Response
		retry   bool
		wait    time.Duration
	}{
		{"primary: wait for the reset", 0, primaryLimit, resp(200, "X-Ratelimit-Remaining", "4", "X-Ratelimit-Reset", "1795262430"), true, 30 * time.Second},
		{"primary: a reset past MaxWait is not waited for", 0, primaryLimit, resp(200, "X-Ratelimit-Remaining", "0", "X-Ratelimit-Reset", "1795266000"), false, 0},
		{"primary without a reset backs off", 1, primaryLimit, resp(200), true, time.Second},
		{"secondary: Retry-After", 0, secondaryLimit, resp(403, "Retry-After", "5"), true, 5 * time.Second},
		{"secondary without Retry-After waits a minute", 0, secondaryLimit, resp(403), true, time.Minute},
		{"last attempt is final", 3, primaryLimit, resp(200, "X-Ratelimit-Reset", "1795262401"), false, 0},
	}
	for _, tt := range tests {
		d := p.decideLimit(tt.attempt, tt.resp, tt.kind, now, 0)
		if d.Retry != tt.retry || d.Wait != tt.wait || d.Reason == "" {
			t.Errorf("%s: retry %v wait %s (%q), want retry %v wait %s", tt.name, d.Retry, d.Wait, d.Reason, tt.retry, tt.wait)
		}
	}
}

// A GraphQL query whose budget is spent is sent again once the budget
// resets, however long the reset is away (up to MaxWait), and a query
// that is not limited reaches the caller whole.
func TestTransportWaitsForAGraphQLBudgetReset(t *testing.T) {
	var mu sync.Mutex
	now := time.Unix(1795262400, 0)
	reset := now.Add(40 * time.Second)
	calls := 0
	data := `{"data":{"viewer":{"login":"` + strings.Repeat("x", 100_000) + `"}}}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		w.Header().Set("X-Ratelimit-Reset", strconv.FormatInt(reset.Unix(), 10))
		if now.Before(reset) {
			w.Header().Set("X-Ratelimit-Remaining", "0")
			_, _ = io.WriteString(w, `{"errors":[{"type":"RATE_LIMITED","message":"API rate limit exceeded for installation ID 1."}]}`)
			return
		}
		_, _ = io.WriteString(w, data)
	}))
	defer srv.Close()

	var slept []time.Duration
	policy := Policy{Attempts: 3, Base: time.Millisecond, Max: time.Millisecond, MaxWait: time.Minute,
		Now: func() time.Time { mu.Lock(); defer mu.Unlock(); return now },
		Sleep: func(_ context.Context, d time.Duration) error {
			mu.Lock()
			defer mu.Unlock()
			slept = append(slept, d)
			now = now.Add(d)
			return nil
		}}
	c := &http.Client{Transport: &Transport{Policy: policy}}
	res, err := c.Post(srv.URL+"/graphql", "application/json", strings.NewReader(`{"query":"{viewer{login}}"}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if string(b) != data || calls != 2 || len(slept) != 1 || slept[0] != 40*time.Second {
		t.Errorf("got %d bytes after %d calls, slept %v; want the data after 2 calls and one 40s wait", len(b), calls, slept)
	}

	// The same answer elsewhere than a GraphQL endpoint is not GitHub's
	// rate limit.
	mu.Lock()
	now, calls, slept = time.Unix(1795262400, 0), 0, nil
	mu.Unlock()
	res, err = c.Post(srv.URL+"/api/other", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if calls != 1 || len(slept) != 0 {
		t.Errorf("a non-GraphQL answer was retried: %d calls, slept %v", calls, slept)
	}
}

// A secondary limit announced without retry-after is waited out for a
// minute, as GitHub asks; a 403 for want of permission is not retried.
func TestTransportWaitsAMinuteForASecondaryLimitWithoutRetryAfter(t *testing.T) {
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		switch {
		case r.URL.Path == "/forbidden":
			w.WriteHeader(http.StatusForbidden)
			_, _ = io.WriteString(w, `{"message":"Resource not accessible by integration"}`)
		case calls == 1:
			w.WriteHeader(http.StatusForbidden)
			_, _ = io.WriteString(w, `{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}`)
		default:
			_, _ = io.WriteString(w, `[]`)
		}
	}))
	defer srv.Close()
	var slept []time.Duration
	c := &http.Client{Transport: &Transport{Policy: Policy{Attempts: 3, Base: time.Millisecond, Max: time.Millisecond, MaxWait: 2 * time.Minute,
		Sleep: func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil }}}}
	res, err := c.Get(srv.URL + "/repos/acme/widgets/issues/7/comments")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || calls != 2 || len(slept) != 1 || slept[0] != time.Minute {
		t.Errorf("status %d after %d calls, slept %v; want 200 after a minute's wait", res.StatusCode, calls, slept)
	}
	calls, slept = 0, nil
	res, err = c.Get(srv.URL + "/forbidden")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 403 || calls != 1 || len(slept) != 0 || !strings.Contains(string(b), "Resource not accessible") {
		t.Errorf("permission 403: status %d after %d calls, slept %v, body %q", res.StatusCode, calls, slept, b)
	}
}
