package githublimit

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestReadFindsTheLimitsInGitHubsAnswers(t *testing.T) {
	h := http.Header{"X-Ratelimit-Limit": {"1000"}, "X-Ratelimit-Remaining": {"4"}, "X-Ratelimit-Reset": {"1795262430"}}
	for _, c := range []struct {
		name      string
		status    int
		body      string
		limited   bool
		secondary bool
	}{
		{"RATE_LIMITED", 200, `{"errors":[{"type":"RATE_LIMITED","message":"API rate limit exceeded for installation ID 9306189."}]}`, true, false},
		{"RATE_LIMIT", 200, `{"errors":[{"type":"RATE_LIMIT","code":"graphql_rate_limit","message":"API rate limit already exceeded for user ID 1."}]}`, true, false},
		{"secondary 403", 403, `{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}`, true, true},
		{"secondary in GraphQL errors", 200, `{"errors":[{"message":"You have exceeded a secondary rate limit."}]}`, true, true},
		{"data", 200, `{"data":{"repository":null}}`, false, false},
		{"not found", 200, `{"data":{"repository":null},"errors":[{"type":"NOT_FOUND","message":"Could not resolve to a Repository with the name 'acme/rate_limit'."}]}`, false, false},
		{"a permission problem", 403, `{"message":"Resource not accessible by integration"}`, false, false},
		{"REST secondary limit as 429", 429, `{"message":"You have exceeded a secondary rate limit.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"}`, true, true},
		{"a secondary message in a 200 REST-like body", 200, `{"message":"You have exceeded a secondary rate limit."}`, false, false},
		{"not JSON", 403, `RATE_LIMITED secondary rate limit`, false, false},
	} {
		e := Read(c.status, h, []byte(c.body))
		if (e != nil) != c.limited || e != nil && (e.Secondary != c.secondary || e.Message == "" || e.Remaining != 4 || e.Limit != 1000 || e.Reset.Unix() != 1795262430) {
			t.Errorf("%s: %+v", c.name, e)
		}
	}
}

func TestErrorSaysWhenAndWhatToDo(t *testing.T) {
	reset := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		e    Error
		want []string
	}{
		{Error{API: "GraphQL", Limit: 1000, Remaining: 4, Reset: reset, Message: "API rate limit exceeded for installation ID 1."}, []string{
			"GitHub's GraphQL rate limit is spent (4 of 1000 points an hour left): API rate limit exceeded for installation ID 1.",
			"run again after 2026-11-20T10:00:00Z, when it refills", "a token with a larger budget", "GITHUB_TOKEN has 1,000 points",
		}},
		{Error{API: "REST", Limit: 1000, Reset: reset, Message: "API rate limit exceeded for user ID 7."}, []string{
			"GitHub's REST rate limit is spent (0 of 1000 requests an hour left)", "run again after 2026-11-20T10:00:00Z", "1,000 requests an hour",
		}},
		{Error{API: "REST", Message: "x"}, []string{"GitHub's REST rate limit is spent: x; run again once the hour is over"}},
		{Error{API: "REST", Secondary: true, RetryAfter: 90 * time.Second, Message: "You have exceeded a secondary rate limit."}, []string{
			"GitHub's secondary rate limit (too many requests at once): You have exceeded a secondary rate limit.; GitHub asks to wait 1m30s",
			"run again later",
		}},
		{Error{API: "GraphQL", Secondary: true, Message: "m"}, []string{"GitHub asks to wait at least a minute"}},
	} {
		for _, want := range c.want {
			if !strings.Contains(c.e.Error(), want) {
				t.Errorf("%q does not say %q", c.e.Error(), want)
			}
		}
	}
}
