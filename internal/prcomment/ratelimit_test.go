package prcomment_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-github/v75/github"

	"github.com/fixproof/fixproof/internal/githublimit"
	"github.com/fixproof/fixproof/internal/prcomment"
	"github.com/fixproof/fixproof/internal/retry"
	"github.com/fixproof/fixproof/internal/sim"
	"github.com/fixproof/fixproof/internal/sim/githubsim"
)

// limitedWorld is a simulated GitHub enforcing limits on a simulated
// clock, and a client behind fixproof's retry policy whose waits advance
// that clock (and are recorded).
type limitedWorld struct {
	gh     *githubsim.Server
	ts     *httptest.Server
	clock  *sim.Clock
	client *prcomment.Client
	mu     sync.Mutex
	slept  []time.Duration
}

func newLimitedWorld(t *testing.T, start time.Time, l githubsim.Limits) *limitedWorld {
	t.Helper()
	w := &limitedWorld{clock: sim.NewClock(start)}
	w.gh = githubsim.New(githubsim.Options{Token: token, Login: bot, Now: w.clock.Now, Limits: l})
	w.gh.AddPullRequest("acme", "widgets", githubsim.PullRequest{Number: 7, Title: "OPS-1 fix", State: "MERGED"})
	w.ts = httptest.NewServer(w.gh.Handler())
	t.Cleanup(w.ts.Close)
	policy := retry.Default()
	policy.Now = w.clock.Now
	policy.Sleep = func(_ context.Context, d time.Duration) error {
		w.mu.Lock()
		w.slept = append(w.slept, d)
		w.mu.Unlock()
		w.clock.Advance(d)
		return nil
	}
	c, err := prcomment.New(w.ts.URL, &http.Client{Transport: auth{base: &retry.Transport{Policy: policy}}})
	if err != nil {
		t.Fatal(err)
	}
	w.client = c
	return w
}

// spend makes n requests with the same token from elsewhere (another job
// of the same repository), using up its budget.
func (w *limitedWorld) spend(t *testing.T, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		req, _ := http.NewRequest(http.MethodGet, w.ts.URL+"/repos/acme/widgets/issues/7/comments", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("spending request %d: %d", i, resp.StatusCode)
		}
	}
}

func (w *limitedWorld) waits() []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]time.Duration(nil), w.slept...)
}

var hourStart = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

// A spent REST budget that refills within the retry policy's MaxWait (two
// minutes) is waited for; one that refills later fails the upsert at once
// with an error that says when, and what to do.
func TestUpsertWaitsForTheRESTBudgetOrSaysWhenItRefills(t *testing.T) {
	ctx := context.Background()
	reset := hourStart.Add(time.Hour)

	w := newLimitedWorld(t, hourStart, githubsim.Limits{RESTRequests: 3})
	w.spend(t, 3)
	w.clock.Set(reset.Add(-40 * time.Second))
	if out, err := w.client.Upsert(ctx, "acme/widgets", 7, marker, "Verified"); err != nil || out != prcomment.Created {
		t.Fatalf("40s before the reset: %v %v", out, err)
	}
	if got := w.waits(); len(got) != 1 || got[0] != 40*time.Second {
		t.Errorf("waited %v, want once until the reset (40s)", got)
	}

	w = newLimitedWorld(t, hourStart, githubsim.Limits{RESTRequests: 3})
	w.spend(t, 3)
	_, err := w.client.Upsert(ctx, "acme/widgets", 7, marker, "Verified")
	var limited *githublimit.Error
	if !errors.As(err, &limited) || limited.Secondary || !limited.Reset.Equal(reset) || limited.Limit != 3 || limited.Remaining != 0 {
		t.Fatalf("an hour before the reset: %v (%+v)", err, limited)
	}
	for _, want := range []string{
		"prcomment: acme/widgets#7: list comments (page 1): GitHub's REST rate limit is spent (0 of 3 requests an hour left)",
		"API rate limit exceeded for installation ID",
		"run again after " + reset.Format(time.RFC3339),
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	var gh *github.RateLimitError
	if !errors.As(err, &gh) {
		t.Errorf("go-github's error is no longer wrapped: %v", err)
	}
	if got := w.waits(); len(got) != 0 || len(w.gh.Comments("acme", "widgets", 7)) != 0 {
		t.Errorf("waited %v and wrote %d comments", got, len(w.gh.Comments("acme", "widgets", 7)))
	}
}

// After an answer that spent the last of the budget, go-github refuses
// the next request itself, without asking GitHub; that too says when.
func TestUpsertAfterTheLastRequestOfTheBudgetSaysWhenItRefills(t *testing.T) {
	ctx := context.Background()
	start := time.Now().UTC().Truncate(time.Second) // go-github compares resets with the real time
	w := newLimitedWorld(t, start, githubsim.Limits{RESTRequests: 3})
	// List, create, list again: the budget's three requests.
	if out, err := w.client.Upsert(ctx, "acme/widgets", 7, marker, "Verified"); err != nil || out != prcomment.Created {
		t.Fatalf("first upsert: %v %v", out, err)
	}
	sent := w.gh.Control.Total()
	_, err := w.client.Upsert(ctx, "acme/widgets", 7, marker, "Verified again")
	var limited *githublimit.Error
	if !errors.As(err, &limited) || !limited.Reset.Equal(start.Add(time.Hour)) ||
		!strings.Contains(err.Error(), "GitHub's REST rate limit is spent") || !strings.Contains(err.Error(), "not making remote request") {
		t.Errorf("second upsert: %v", err)
	}
	if w.gh.Control.Total() != sent {
		t.Errorf("%d requests sent to a spent budget", w.gh.Control.Total()-sent)
	}
}

// A secondary limit's retry-after is waited out when it is short; a long
// one fails the upsert, saying how long GitHub asked to wait.
func TestUpsertWaitsOutASecondaryLimitOrSaysHowLong(t *testing.T) {
	ctx := context.Background()
	w := newLimitedWorld(t, hourStart, githubsim.Limits{ContentPerMinute: 1, RetryAfter: 30 * time.Second})
	if _, err := w.client.Upsert(ctx, "acme/widgets", 7, "verify/OPS-1", "one"); err != nil {
		t.Fatal(err)
	}
	if out, err := w.client.Upsert(ctx, "acme/widgets", 7, "verify/OPS-2", "two"); err != nil || out != prcomment.Created {
		t.Fatalf("second comment in the minute: %v %v", out, err)
	}
	if got := w.waits(); len(got) != 1 || got[0] != 30*time.Second {
		t.Errorf("waited %v, want the 30s GitHub asked for", got)
	}
	if n := len(w.gh.Comments("acme", "widgets", 7)); n != 2 {
		t.Errorf("%d comments, want 2", n)
	}

	w = newLimitedWorld(t, hourStart, githubsim.Limits{ContentPerMinute: 1, RetryAfter: 10 * time.Minute})
	if _, err := w.client.Upsert(ctx, "acme/widgets", 7, "verify/OPS-1", "one"); err != nil {
		t.Fatal(err)
	}
	_, err := w.client.Upsert(ctx, "acme/widgets", 7, "verify/OPS-2", "two")
	var limited *githublimit.Error
	if !errors.As(err, &limited) || !limited.Secondary || limited.RetryAfter != 10*time.Minute ||
		!strings.Contains(err.Error(), "prcomment: acme/widgets#7: create comment: GitHub's secondary rate limit") ||
		!strings.Contains(err.Error(), "GitHub asks to wait 10m0s") {
		t.Errorf("a 10-minute secondary limit: %v", err)
	}
	if got := w.waits(); len(got) != 0 || len(w.gh.Comments("acme", "widgets", 7)) != 1 {
		t.Errorf("waited %v; %d comments", got, len(w.gh.Comments("acme", "widgets", 7)))
	}
}
