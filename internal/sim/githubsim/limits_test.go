package githubsim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/sim"
)

// limitedFixture is restFixture with rate limits enforced.
func limitedFixture(t *testing.T, login string, l Limits) (*Server, *httptest.Server, *sim.Clock) {
	t.Helper()
	clock := sim.NewClock(base)
	s := New(Options{Token: testToken, Login: login, Now: clock.Now, Limits: l})
	s.AddPullRequest("acme", "widgets", PullRequest{Number: 7, Title: "PROJ-1 fix", Author: "octocat"})
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return s, ts, clock
}

// graphql posts a query with the test token.
func graphql(t *testing.T, ts *httptest.Server, query string) (int, http.Header, string) {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"query": query})
	return post(t, ts, "/graphql", "bearer "+testToken, string(b))
}

const (
	titleQuery = `{ repository(owner: "acme", name: "widgets") { pullRequest(number: 7) { title } } }`
	// costlyQuery costs 101 points (see TestRateLimit).
	costlyQuery = `{ repository(owner: "acme", name: "widgets") { pullRequest(number: 7) {
	  commits(first: 100) { nodes { commit { parents(first: 100) { nodes { parents(first: 1) { totalCount } } } } } } } } }`
)

func TestGraphQLBudgetSpentAnswersRateLimitedAsGitHubDoes(t *testing.T) {
	_, ts, clock := limitedFixture(t, "github-actions[bot]", Limits{GraphQLPoints: 3})
	reset := strconv.FormatInt(base.Add(time.Hour).Unix(), 10)
	for i := 1; i <= 3; i++ {
		status, h, body := graphql(t, ts, titleQuery)
		if status != 200 || !strings.Contains(body, `"title":"PROJ-1 fix"`) || h.Get("X-RateLimit-Remaining") != strconv.Itoa(3-i) {
			t.Fatalf("query %d: %d %v %s", i, status, h, body)
		}
	}
	status, h, body := graphql(t, ts, titleQuery)
	want := fmt.Sprintf(`{"errors":[{"type":"RATE_LIMITED","message":"API rate limit exceeded for installation ID %d."}]}`, userID("installation:github-actions"))
	if status != 200 || body != want {
		t.Errorf("spent: %d %s\nwant 200 %s", status, body, want)
	}
	if h.Get("X-RateLimit-Limit") != "3" || h.Get("X-RateLimit-Remaining") != "0" || h.Get("X-RateLimit-Used") != "3" ||
		h.Get("X-RateLimit-Reset") != reset || h.Get("X-RateLimit-Resource") != "graphql" {
		t.Errorf("spent: headers %v", h)
	}
	// A dry run still answers, and costs nothing.
	if status, _, body := graphql(t, ts, `{ rateLimit(dryRun: true) { remaining limit } }`); status != 200 || body != `{"data":{"rateLimit":{"remaining":0,"limit":3}}}` {
		t.Errorf("dry run: %d %s", status, body)
	}
	// The budget refills when the hour is over.
	clock.Set(base.Add(time.Hour))
	if status, h, body := graphql(t, ts, titleQuery); status != 200 || !strings.Contains(body, `"title"`) || h.Get("X-RateLimit-Remaining") != "2" {
		t.Errorf("after the reset: %d %v %s", status, h, body)
	}
}

func TestGraphQLQueryCostingMoreThanRemainsIsNotRun(t *testing.T) {
	_, ts, _ := limitedFixture(t, "octocat", Limits{GraphQLPoints: 150})
	if status, h, body := graphql(t, ts, costlyQuery); status != 200 || strings.Contains(body, "errors") || h.Get("X-RateLimit-Remaining") != "49" {
		t.Fatalf("first costly query: %d %v %s", status, h, body)
	}
	// 101 points asked, 49 left: refused, and the 49 are still there
	// (GitHub's x-ratelimit-remaining need not be 0 on a refusal).
	status, h, body := graphql(t, ts, costlyQuery)
	want := fmt.Sprintf(`{"errors":[{"type":"RATE_LIMITED","message":"API rate limit exceeded for user ID %d."}]}`, userID("octocat"))
	if status != 200 || body != want || h.Get("X-RateLimit-Remaining") != "49" {
		t.Errorf("second costly query: %d %v %s", status, h, body)
	}
	if status, _, body := graphql(t, ts, titleQuery); status != 200 || !strings.Contains(body, `"title"`) {
		t.Errorf("a cheap query within what remains: %d %s", status, body)
	}
}

func TestRESTBudgetSpentAnswers403WithNothingRemaining(t *testing.T) {
	_, ts, clock := limitedFixture(t, "fixproof-user", Limits{RESTRequests: 2})
	for i := 0; i < 2; i++ {
		if status, _, body := rest(t, ts, "GET", "/repos/acme/widgets/issues/7/comments", tok, ""); status != 200 {
			t.Fatalf("request %d: %d %s", i, status, body)
		}
	}
	status, h, body := rest(t, ts, "POST", "/repos/acme/widgets/issues/7/comments", tok, `{"body":"x"}`)
	want := fmt.Sprintf(`{"message":"API rate limit exceeded for user ID %d.","documentation_url":"%s"}`, userID("fixproof-user"), docRESTRateLimits)
	if status != 403 || body != want || h.Get("X-RateLimit-Remaining") != "0" || h.Get("X-RateLimit-Limit") != "2" ||
		h.Get("X-RateLimit-Reset") != strconv.FormatInt(base.Add(time.Hour).Unix(), 10) {
		t.Errorf("spent: %d %v %s", status, h, body)
	}
	clock.Set(base.Add(time.Hour))
	if status, _, body := rest(t, ts, "POST", "/repos/acme/widgets/issues/7/comments", tok, `{"body":"x"}`); status != 201 {
		t.Errorf("after the reset: %d %s", status, body)
	}
}

func TestSecondaryLimitAnswers403WithRetryAfterOnBothAPIs(t *testing.T) {
	s, ts, clock := limitedFixture(t, "github-actions[bot]", Limits{SecondaryRESTPoints: 10, RetryAfter: 90 * time.Second})
	// Two writes are 10 points: the limit.
	for i := 0; i < 2; i++ {
		if status, _, body := rest(t, ts, "POST", "/repos/acme/widgets/issues/7/comments", tok, `{"body":"x"}`); status != 201 {
			t.Fatalf("write %d: %d %s", i, status, body)
		}
	}
	status, h, body := rest(t, ts, "GET", "/repos/acme/widgets/issues/7/comments", tok, "")
	id := h.Get("X-GitHub-Request-Id")
	want := `{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again. ` +
		`If you reach out to GitHub Support for help, please include the request ID ` + id + `.","documentation_url":"` + docSecondary + `"}`
	if status != 403 || body != want || h.Get("Retry-After") != "90" || id == "" || h.Get("X-RateLimit-Remaining") != "4998" {
		t.Errorf("past the limit: %d %v %s\nwant 403 %s", status, h, body, want)
	}
	// Until retry-after has passed every request is refused, GraphQL too.
	clock.Advance(60 * time.Second)
	if status, h, _ := graphql(t, ts, titleQuery); status != 403 || h.Get("Retry-After") != "30" {
		t.Errorf("GraphQL during the block: %d %v", status, h)
	}
	clock.Advance(30 * time.Second)
	if status, _, body := rest(t, ts, "GET", "/repos/acme/widgets/issues/7/comments", tok, ""); status != 200 {
		t.Errorf("after retry-after: %d %s", status, body)
	}
	if n := len(s.Comments("acme", "widgets", 7)); n != 2 {
		t.Errorf("%d comments, want the 2 written before the limit", n)
	}
}

func TestSecondaryLimitsOnGraphQLPointsAndContent(t *testing.T) {
	_, ts, _ := limitedFixture(t, "octocat", Limits{SecondaryGraphQLPoints: 2, ContentPerMinute: 1})
	for i := 0; i < 2; i++ {
		if status, _, body := graphql(t, ts, titleQuery); status != 200 {
			t.Fatalf("query %d: %d %s", i, status, body)
		}
	}
	if status, h, body := graphql(t, ts, titleQuery); status != 403 || h.Get("Retry-After") != "60" || !strings.Contains(body, "secondary rate limit") {
		t.Errorf("third query: %d %v %s", status, h, body)
	}

	_, ts, _ = limitedFixture(t, "octocat", Limits{ContentPerMinute: 1})
	if status, _, _ := rest(t, ts, "POST", "/repos/acme/widgets/issues/7/comments", tok, `{"body":"x"}`); status != 201 {
		t.Fatalf("first comment: %d", status)
	}
	if status, _, _ := rest(t, ts, "GET", "/repos/acme/widgets/issues/7/comments", tok, ""); status != 200 {
		t.Errorf("a read is not content: %d", status)
	}
	if status, h, _ := rest(t, ts, "POST", "/repos/acme/widgets/issues/7/comments", tok, `{"body":"y"}`); status != 403 || h.Get("Retry-After") == "" {
		t.Errorf("second comment in the minute: %d %v", status, h)
	}
}

// ActionsLimits is GITHUB_TOKEN's budget: 1,000 GraphQL points an hour and
// 80 new comments a minute.
func TestActionsLimits(t *testing.T) {
	_, ts, _ := limitedFixture(t, "github-actions[bot]", ActionsLimits())
	for i := 0; i < 9; i++ { // 909 points
		if status, _, body := graphql(t, ts, costlyQuery); status != 200 || strings.Contains(body, "errors") {
			t.Fatalf("query %d: %d %s", i, status, body)
		}
	}
	if _, h, body := graphql(t, ts, costlyQuery); !strings.Contains(body, `"RATE_LIMITED"`) || h.Get("X-RateLimit-Limit") != "1000" || h.Get("X-RateLimit-Remaining") != "91" {
		t.Errorf("past 1,000 points: %v %s", h, body)
	}
	for i := 0; i < 80; i++ {
		if status, _, body := rest(t, ts, "POST", "/repos/acme/widgets/issues/7/comments", tok, fmt.Sprintf(`{"body":"%d"}`, i)); status != 201 {
			t.Fatalf("comment %d: %d %s", i, status, body)
		}
	}
	if status, h, _ := rest(t, ts, "POST", "/repos/acme/widgets/issues/7/comments", tok, `{"body":"81"}`); status != 403 || h.Get("Retry-After") != "60" {
		t.Errorf("81st comment in a minute: %d %v", status, h)
	}
}
