package githubpr

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/contract"
	"github.com/fixproof/fixproof/internal/sim/githubsim"
)

type token struct{ base http.RoundTripper }

func (t token) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "bearer tok")
	return t.base.RoundTrip(r)
}

func TestFetchReadsEveryCommitInOneQueryPerHundred(t *testing.T) {
	gh := githubsim.New(githubsim.Options{Token: "tok"})
	merged := time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)
	commits := make([]githubsim.Commit, 250)
	for i := range commits {
		commits[i] = githubsim.Commit{Message: fmt.Sprintf("commit %d", i)}
	}
	commits[120].ParentCount = 2
	gh.AddPullRequest("acme", "api", githubsim.PullRequest{
		Number: 7, Title: "OPS-1 fix", Body: "body", HeadRefName: "fix/ops-1", State: "MERGED",
		MergedAt: &merged, MergeCommitOID: strings.Repeat("ab", 20), Author: "octocat", Commits: commits,
	})
	srv := httptest.NewServer(gh.Handler())
	defer srv.Close()

	var base http.RoundTripper = http.DefaultTransport
	var rec *contract.GraphQLRecorder
	if _, ok := contract.Available(t); ok {
		rec = contract.GraphQLTransport(t, contract.GitHubSchema(t), base)
		base = rec
	}
	c := New(srv.URL+"/graphql", &http.Client{Transport: token{base}})
	pr, err := c.Fetch(context.Background(), "acme/api", 7)
	if err != nil {
		t.Fatal(err)
	}
	if c.Queries != 3 || gh.Control.Count("POST /graphql") != 3 {
		t.Errorf("%d queries, want 3 for 250 commits", c.Queries)
	}
	if len(pr.Commits) != 250 || pr.TotalCommits != 250 || pr.Commits[249].Message != "commit 249" {
		t.Errorf("got %d of %d commits", len(pr.Commits), pr.TotalCommits)
	}
	if !pr.Commits[120].Merge || pr.Commits[119].Merge {
		t.Error("merge commits are those with two parents")
	}
	if pr.Title != "OPS-1 fix" || pr.HeadRefName != "fix/ops-1" || pr.State != "MERGED" || pr.Author != "octocat" ||
		pr.MergeCommit != strings.Repeat("ab", 20) || pr.MergedAt == nil || !pr.MergedAt.Equal(merged) ||
		pr.URL != "https://github.com/acme/api/pull/7" {
		t.Errorf("pr = %+v", pr)
	}
	if rec != nil && len(rec.Queries()) != 3 {
		t.Errorf("the schema validator saw %d queries", len(rec.Queries()))
	}
}

func TestFetchErrorsSayWhichPullRequest(t *testing.T) {
	gh := githubsim.New(githubsim.Options{Token: "tok"})
	gh.AddRepo("acme", "api")
	srv := httptest.NewServer(gh.Handler())
	defer srv.Close()
	c := New(srv.URL+"/graphql", &http.Client{Transport: token{http.DefaultTransport}})
	_, err := c.Fetch(context.Background(), "acme/api", 5)
	if err == nil || !strings.Contains(err.Error(), "acme/api#5") || !strings.Contains(err.Error(), "Could not resolve to a PullRequest") {
		t.Errorf("err = %v", err)
	}
	if _, err := c.Fetch(context.Background(), "acme", 5); err == nil || !strings.Contains(err.Error(), "not owner/name") {
		t.Errorf("err = %v", err)
	}
}
