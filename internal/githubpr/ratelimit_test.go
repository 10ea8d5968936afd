package githubpr

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/contract"
	"github.com/fixproof/fixproof/internal/githublimit"
	"github.com/fixproof/fixproof/internal/retry"
	"github.com/fixproof/fixproof/internal/sim"
	"github.com/fixproof/fixproof/internal/sim/githubsim"
)

// limitedWorld is a simulated GitHub enforcing limits on a simulated
// clock, and a client behind fixproof's retry policy whose waits advance
// that clock (and are recorded).
type limitedWorld struct {
	gh     *githubsim.Server
	clock  *sim.Clock
	client *Client
	mu     sync.Mutex
	slept  []time.Duration
}

var hourStart = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

func newLimitedWorld(t *testing.T, l githubsim.Limits) *limitedWorld {
	t.Helper()
	w := &limitedWorld{clock: sim.NewClock(hourStart)}
	w.gh = githubsim.New(githubsim.Options{Token: "tok", Now: w.clock.Now, Limits: l})
	w.gh.AddPullRequest("acme", "api", githubsim.PullRequest{Number: 7, Title: "OPS-1 fix", Commits: []githubsim.Commit{{Message: "fix"}}})
	srv := httptest.NewServer(w.gh.Handler())
	t.Cleanup(srv.Close)
	var base http.RoundTripper = http.DefaultTransport
	if _, ok := contract.Available(t); ok {
		base = contract.GraphQLTransport(t, contract.GitHubSchema(t), base)
	}
	policy := retry.Default()
	policy.Now = w.clock.Now
	policy.Sleep = func(_ context.Context, d time.Duration) error {
		w.mu.Lock()
		w.slept = append(w.slept, d)
		w.mu.Unlock()
		w.clock.Advance(d)
		return nil
	}
	w.client = New(srv.URL+"/graphql", &http.Client{Transport: token{&retry.Transport{Base: base, Policy: policy}}})
	return w
}

func (w *limitedWorld) waits() []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]time.Duration(nil), w.slept...)
}

// A spent GraphQL budget that refills within the retry policy's MaxWait
// (two minutes) is waited for; one that refills later fails the read at
// once with an error that says when, and what to do.
func TestFetchWaitsForTheGraphQLBudgetOrSaysWhenItRefills(t *testing.T) {
	ctx := context.Background()
	reset := hourStart.Add(time.Hour)

	w := newLimitedWorld(t, githubsim.Limits{GraphQLPoints: 2})
	for i := 0; i < 2; i++ { // one point each: the budget is spent
		if _, err := w.client.Fetch(ctx, "acme/api", 7); err != nil {
			t.Fatal(err)
		}
	}
	w.clock.Set(reset.Add(-40 * time.Second))
	pr, err := w.client.Fetch(ctx, "acme/api", 7)
	if err != nil || pr.Title != "OPS-1 fix" {
		t.Fatalf("40s before the reset: %v", err)
	}
	if got := w.waits(); len(got) != 1 || got[0] != 40*time.Second {
		t.Errorf("waited %v, want once until the reset (40s)", got)
	}

	w = newLimitedWorld(t, githubsim.Limits{GraphQLPoints: 2})
	for i := 0; i < 2; i++ {
		if _, err := w.client.Fetch(ctx, "acme/api", 7); err != nil {
			t.Fatal(err)
		}
	}
	w.gh.Control.Reset()
	_, err = w.client.Fetch(ctx, "acme/api", 7)
	var limited *githublimit.Error
	if !errors.As(err, &limited) || limited.Secondary || !limited.Reset.Equal(reset) || limited.Limit != 2 || limited.Remaining != 0 {
		t.Fatalf("an hour before the reset: %v (%+v)", err, limited)
	}
	for _, want := range []string{
		"github: read pull request acme/api#7: GitHub's GraphQL rate limit is spent (0 of 2 points an hour left)",
		"API rate limit exceeded for installation ID",
		"run again after " + reset.Format(time.RFC3339),
		"a token with a larger budget",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if got := w.waits(); len(got) != 0 || w.gh.Control.Count("POST /graphql") != 1 {
		t.Errorf("waited %v over %d requests; a reset beyond MaxWait is not waited for", got, w.gh.Control.Count("POST /graphql"))
	}
}

// A secondary limit's retry-after is waited out when it is short; a long
// one fails the read, saying how long GitHub asked to wait.
func TestFetchWaitsOutASecondaryLimitOrSaysHowLong(t *testing.T) {
	ctx := context.Background()
	w := newLimitedWorld(t, githubsim.Limits{SecondaryGraphQLPoints: 1, RetryAfter: 30 * time.Second})
	if _, err := w.client.Fetch(ctx, "acme/api", 7); err != nil {
		t.Fatal(err)
	}
	if _, err := w.client.Fetch(ctx, "acme/api", 7); err != nil {
		t.Fatalf("past the secondary limit: %v", err)
	}
	if got := w.waits(); len(got) != 1 || got[0] != 30*time.Second {
		t.Errorf("waited %v, want the 30s GitHub asked for", got)
	}

	w = newLimitedWorld(t, githubsim.Limits{SecondaryGraphQLPoints: 1, RetryAfter: 10 * time.Minute})
	if _, err := w.client.Fetch(ctx, "acme/api", 7); err != nil {
		t.Fatal(err)
	}
	_, err := w.client.Fetch(ctx, "acme/api", 7)
	var limited *githublimit.Error
	if !errors.As(err, &limited) || !limited.Secondary || limited.RetryAfter != 10*time.Minute ||
		!strings.Contains(err.Error(), "GitHub's secondary rate limit") || !strings.Contains(err.Error(), "GitHub asks to wait 10m0s") ||
		!strings.Contains(err.Error(), "You have exceeded a secondary rate limit") {
		t.Errorf("a 10-minute secondary limit: %v", err)
	}
	if got := w.waits(); len(got) != 0 {
		t.Errorf("waited %v for a retry-after beyond MaxWait", got)
	}
}
