package githubsim

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/sim"
	"github.com/shurcooL/githubv4"
)

const testToken = "ghs_simulatedtoken"

// authTransport adds the Authorization header and, when target is set,
// sends every request to target's host and path prefix instead (so
// githubv4.NewClient's https://api.github.com/graphql reaches the simulator).
type authTransport struct {
	header string
	target *url.URL
}

func (t authTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", t.header)
	if t.target != nil {
		r.URL.Scheme = t.target.Scheme
		r.URL.Host = t.target.Host
		r.URL.Path = t.target.Path + r.URL.Path
		r.Host = t.target.Host
	}
	return http.DefaultTransport.RoundTrip(r)
}

func newTestServer(t *testing.T) (*Server, *httptest.Server) {
	t.Helper()
	s := New(Options{Token: testToken})
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return s, ts
}

func enterpriseClient(ts *httptest.Server, path string) *githubv4.Client {
	hc := &http.Client{Transport: authTransport{header: "bearer " + testToken}}
	return githubv4.NewEnterpriseClient(ts.URL+path, hc)
}

var base = time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)

// bigPR is a merged pull request with n commits; every 50th commit is a
// merge commit with two parents.
func bigPR(number, n int) PullRequest {
	merged := base.Add(48 * time.Hour)
	pr := PullRequest{
		Number:         number,
		Title:          "PROJ-12 Add the widget frobnicator",
		Body:           "Fixes PROJ-12.\n\nAlso touches PROJ-13.",
		HeadRefName:    "feature/PROJ-12-frobnicator",
		BaseRefName:    "main",
		State:          "MERGED",
		MergedAt:       &merged,
		MergeCommitOID: fakeOID("merge"),
		Author:         "octocat",
	}
	for i := range n {
		c := Commit{
			Message:       fmt.Sprintf("PROJ-12 step %d\n\nDetails of step %d.\n", i, i),
			CommittedDate: base.Add(time.Duration(i) * time.Minute),
		}
		if i%50 == 49 {
			c.ParentCount = 2
		}
		pr.Commits = append(pr.Commits, c)
	}
	return pr
}

// prQuery is the shape of query fixproof sends.
type prQuery struct {
	Repository struct {
		PullRequest struct {
			Number      int
			Title       string
			Body        string
			HeadRefName string
			URL         githubv4.URI
			State       githubv4.PullRequestState
			IsDraft     bool
			Merged      bool
			MergedAt    *githubv4.DateTime
			Commits     struct {
				TotalCount int
				PageInfo   struct {
					HasNextPage bool
					EndCursor   githubv4.String
				}
				Nodes []struct {
					Commit struct {
						OID     githubv4.GitObjectID
						Message string
						Parents struct {
							TotalCount int
						} `graphql:"parents(first: 2)"`
					}
				}
			} `graphql:"commits(first: 100, after: $cursor)"`
		} `graphql:"pullRequest(number: $number)"`
	} `graphql:"repository(owner: $owner, name: $name)"`
}

func TestGithubv4PaginatesThreeHundredCommits(t *testing.T) {
	s, ts := newTestServer(t)
	want := bigPR(42, 300)
	s.AddPullRequest("acme", "widgets", want)
	stored, _ := s.PullRequest("acme", "widgets", 42)

	client := enterpriseClient(ts, "/graphql")
	vars := map[string]any{
		"owner":  githubv4.String("acme"),
		"name":   githubv4.String("widgets"),
		"number": githubv4.Int(42),
		"cursor": (*githubv4.String)(nil),
	}
	var oids []string
	var q prQuery
	for page := 0; ; page++ {
		if page > 5 {
			t.Fatal("pagination does not end")
		}
		q = prQuery{}
		if err := client.Query(context.Background(), &q, vars); err != nil {
			t.Fatalf("page %d: %v", page, err)
		}
		c := q.Repository.PullRequest.Commits
		if c.TotalCount != 300 {
			t.Fatalf("totalCount = %d, want 300", c.TotalCount)
		}
		if len(c.Nodes) != 100 {
			t.Fatalf("page %d has %d nodes, want 100", page, len(c.Nodes))
		}
		for _, n := range c.Nodes {
			i := len(oids)
			oids = append(oids, string(n.Commit.OID))
			if n.Commit.Message != want.Commits[i].Message {
				t.Fatalf("commit %d message = %q", i, n.Commit.Message)
			}
			wantParents := 1
			if i%50 == 49 {
				wantParents = 2
			}
			if n.Commit.Parents.TotalCount != wantParents {
				t.Fatalf("commit %d has %d parents, want %d", i, n.Commit.Parents.TotalCount, wantParents)
			}
		}
		if !c.PageInfo.HasNextPage {
			break
		}
		vars["cursor"] = githubv4.NewString(c.PageInfo.EndCursor)
	}
	if got := s.Control.Count("POST /graphql"); got != 3 {
		t.Errorf("requests = %d, want 3 (%v)", got, s.Control.Routes())
	}
	if len(oids) != 300 {
		t.Fatalf("got %d commits, want 300", len(oids))
	}
	for i, oid := range oids {
		if oid != stored.Commits[i].OID || len(oid) != 40 {
			t.Fatalf("commit %d oid = %q, want %q", i, oid, stored.Commits[i].OID)
		}
	}
	pr := q.Repository.PullRequest
	if pr.Number != 42 || pr.Title != want.Title || pr.Body != want.Body || pr.HeadRefName != want.HeadRefName {
		t.Errorf("pull request fields = %+v", pr)
	}
	if pr.URL.String() != "https://github.com/acme/widgets/pull/42" {
		t.Errorf("url = %s", pr.URL.String())
	}
	if pr.State != githubv4.PullRequestStateMerged || !pr.Merged || pr.IsDraft {
		t.Errorf("state = %s merged = %v draft = %v", pr.State, pr.Merged, pr.IsDraft)
	}
	if pr.MergedAt == nil || !pr.MergedAt.Equal(*want.MergedAt) {
		t.Errorf("mergedAt = %v, want %v", pr.MergedAt, want.MergedAt)
	}
}

func TestGithubv4OpenPullRequestThroughEnterprisePath(t *testing.T) {
	s, ts := newTestServer(t)
	s.AddPullRequest("Acme", "Widgets", PullRequest{
		Number: 7, Title: "Draft work", HeadRefName: "wip", BaseRefName: "main", IsDraft: true,
		Commits: []Commit{{OID: strings.Repeat("a", 40), Message: "one", CommittedDate: base}},
	})
	client := enterpriseClient(ts, "/api/graphql")
	var q prQuery
	err := client.Query(context.Background(), &q, map[string]any{
		"owner": githubv4.String("acme"), "name": githubv4.String("widgets"),
		"number": githubv4.Int(7), "cursor": (*githubv4.String)(nil),
	})
	if err != nil {
		t.Fatal(err)
	}
	pr := q.Repository.PullRequest
	if pr.State != githubv4.PullRequestStateOpen || pr.Merged || !pr.IsDraft || pr.MergedAt != nil {
		t.Errorf("got state %s merged %v draft %v mergedAt %v", pr.State, pr.Merged, pr.IsDraft, pr.MergedAt)
	}
	if pr.Commits.TotalCount != 1 || pr.Commits.PageInfo.HasNextPage || string(pr.Commits.Nodes[0].Commit.OID) != strings.Repeat("a", 40) {
		t.Errorf("commits = %+v", pr.Commits)
	}
	if pr.URL.String() != "https://github.com/Acme/Widgets/pull/7" {
		t.Errorf("url = %s", pr.URL.String())
	}
	if s.Control.Count("POST /api/graphql") != 1 {
		t.Errorf("routes = %v", s.Control.Routes())
	}
}

func TestGithubv4NewClientWithRewritingTransportAndTokenScheme(t *testing.T) {
	s, ts := newTestServer(t)
	s.AddRepo("acme", "widgets")
	target, _ := url.Parse(ts.URL)
	client := githubv4.NewClient(&http.Client{Transport: authTransport{header: "Token " + testToken, target: target}})
	var q struct {
		Repository struct {
			NameWithOwner string
			Owner         struct {
				Login    string
				Typename string `graphql:"__typename"`
			}
		} `graphql:"repository(owner: \"acme\", name: \"widgets\")"`
		RateLimit struct {
			Cost, Limit, Remaining int
		}
	}
	if err := client.Query(context.Background(), &q, nil); err != nil {
		t.Fatal(err)
	}
	if q.Repository.NameWithOwner != "acme/widgets" || q.Repository.Owner.Login != "acme" || q.Repository.Owner.Typename != "User" {
		t.Errorf("repository = %+v", q.Repository)
	}
	if q.RateLimit.Cost != 1 || q.RateLimit.Limit != 5000 || q.RateLimit.Remaining != 4999 {
		t.Errorf("rateLimit = %+v", q.RateLimit)
	}
}

func TestGithubv4SeesNotFoundAndBadCredentials(t *testing.T) {
	s, ts := newTestServer(t)
	s.AddRepo("acme", "widgets")
	vars := map[string]any{
		"owner": githubv4.String("acme"), "name": githubv4.String("widgets"),
		"number": githubv4.Int(5), "cursor": (*githubv4.String)(nil),
	}
	var q prQuery
	err := enterpriseClient(ts, "/graphql").Query(context.Background(), &q, vars)
	if err == nil || err.Error() != "Could not resolve to a PullRequest with the number of 5." {
		t.Errorf("err = %v", err)
	}

	bad := githubv4.NewEnterpriseClient(ts.URL+"/graphql", &http.Client{Transport: authTransport{header: "bearer nope"}})
	err = bad.Query(context.Background(), &q, vars)
	if err == nil || !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "Bad credentials") {
		t.Errorf("err = %v", err)
	}
}

func TestControlFaultsReachTheClient(t *testing.T) {
	s, ts := newTestServer(t)
	s.AddPullRequest("acme", "widgets", bigPR(1, 3))
	s.Control.Inject(sim.Fault{PathPrefix: "/graphql", Status: http.StatusBadGateway, Body: `{"message":"Server Error"}`})
	client := enterpriseClient(ts, "/graphql")
	vars := map[string]any{
		"owner": githubv4.String("acme"), "name": githubv4.String("widgets"),
		"number": githubv4.Int(1), "cursor": (*githubv4.String)(nil),
	}
	var q prQuery
	if err := client.Query(context.Background(), &q, vars); err == nil || !strings.Contains(err.Error(), "502") {
		t.Fatalf("err = %v, want the injected 502", err)
	}
	if err := client.Query(context.Background(), &q, vars); err != nil {
		t.Fatalf("retry: %v", err)
	}
	if s.Control.Count("POST /graphql") != 2 || q.Repository.PullRequest.Commits.TotalCount != 3 {
		t.Errorf("routes %v, commits %d", s.Control.Routes(), q.Repository.PullRequest.Commits.TotalCount)
	}
}

func TestConcurrentQueriesAndUpdates(t *testing.T) {
	s, ts := newTestServer(t)
	s.AddPullRequest("acme", "widgets", bigPR(1, 150))
	client := enterpriseClient(ts, "/graphql")
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 10 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			var q prQuery
			errs <- client.Query(context.Background(), &q, map[string]any{
				"owner": githubv4.String("acme"), "name": githubv4.String("widgets"),
				"number": githubv4.Int(1), "cursor": (*githubv4.String)(nil),
			})
		}()
		go func() {
			defer wg.Done()
			pr := bigPR(1, 150)
			pr.Title = fmt.Sprintf("retitled %d", i)
			s.AddPullRequest("acme", "widgets", pr)
			_, _ = s.PullRequest("acme", "widgets", 1)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if got := s.Control.Count("POST /graphql"); got != 10 {
		t.Errorf("requests = %d", got)
	}
}
