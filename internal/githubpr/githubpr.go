// Package githubpr reads a pull request through GitHub's GraphQL API: its
// title, branch, body, state and every commit message, in one query per
// 100 commits. REST's list of a PR's commits stops at 250; GraphQL pages
// through all of them.
package githubpr

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/shurcooL/githubv4"

	"github.com/fixproof/fixproof/internal/githublimit"
	"github.com/fixproof/fixproof/internal/retry"
)

// Commit is one commit of a pull request.
type Commit struct {
	OID     string
	Message string
	// Merge is true for a commit with more than one parent (merging the
	// base branch in): its message names other people's work.
	Merge bool
}

// PR is what fixproof reads of a pull request.
type PR struct {
	Repo        string // owner/name
	Number      int
	Title, Body string
	HeadRefName string
	URL         string
	State       string // OPEN, CLOSED, MERGED
	IsDraft     bool
	MergedAt    *time.Time
	CreatedAt   time.Time
	MergeCommit string
	Author      string
	Commits     []Commit
	// TotalCommits is GitHub's count; when it exceeds len(Commits) the
	// listing was cut short and the caller should say so.
	TotalCommits int
}

// Client fetches pull requests.
type Client struct {
	gql *githubv4.Client
	// Queries counts the GraphQL round trips made, for benchmarks.
	Queries int
}

// New returns a client for the GraphQL endpoint at url (GITHUB_GRAPHQL_URL:
// https://api.github.com/graphql, or https://HOST/api/graphql on GitHub
// Enterprise Server). httpClient must add the token, and retries as its
// transport says (fixproof's retry.Transport waits out GitHub's rate
// limits up to its MaxWait); a query GitHub still refuses for its rate
// limits fails with a *githublimit.Error.
func New(url string, httpClient *http.Client) *Client {
	hc := *httpClient
	base := hc.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	hc.Transport = limitTransport{base: base}
	return &Client{gql: githubv4.NewEnterpriseClient(url, &hc)}
}

// pageSize is GitHub's maximum for a connection page.
const pageSize = 100

// prQuery is the whole read: everything about the PR plus one page of
// commits. Later pages send the same query with a cursor; the PR fields
// cost nothing extra and keep one query shape to validate.
type prQuery struct {
	Repository struct {
		PullRequest struct {
			Number      int
			Title       string
			Body        string
			URL         githubv4.URI
			HeadRefName string
			State       githubv4.PullRequestState
			IsDraft     bool
			CreatedAt   githubv4.DateTime
			MergedAt    *githubv4.DateTime
			MergeCommit *struct {
				OID githubv4.GitObjectID
			}
			Author *struct {
				Login string
			}
			Commits struct {
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
						} `graphql:"parents(first: 1)"`
					}
				}
			} `graphql:"commits(first: $pageSize, after: $cursor)"`
		} `graphql:"pullRequest(number: $number)"`
	} `graphql:"repository(owner: $owner, name: $name)"`
}

// Fetch reads pull request number of repo ("owner/name") with all its
// commits: ceil(commits/100) round trips, at least one.
func (c *Client) Fetch(ctx context.Context, repo string, number int) (*PR, error) {
	owner, name, ok := strings.Cut(repo, "/")
	if !ok || owner == "" || name == "" {
		return nil, fmt.Errorf("github: repository %q is not owner/name", repo)
	}
	vars := map[string]any{
		"owner":    githubv4.String(owner),
		"name":     githubv4.String(name),
		"number":   githubv4.Int(number),
		"pageSize": githubv4.Int(pageSize),
		"cursor":   (*githubv4.String)(nil),
	}
	ctx = retry.Idempotent(ctx) // GraphQL queries are POSTs that read
	var pr *PR
	for {
		var q prQuery
		c.Queries++
		if err := c.gql.Query(ctx, &q, vars); err != nil {
			var limited *githublimit.Error
			if errors.As(err, &limited) {
				err = limited // without the url.Error's "Post <url>:"
			}
			return nil, fmt.Errorf("github: read pull request %s#%d: %w", repo, number, err)
		}
		p := q.Repository.PullRequest
		if pr == nil {
			pr = &PR{
				Repo: repo, Number: p.Number, Title: p.Title, Body: p.Body,
				HeadRefName: p.HeadRefName, URL: p.URL.String(), State: string(p.State), IsDraft: p.IsDraft, CreatedAt: p.CreatedAt.Time,
				Commits: make([]Commit, 0, p.Commits.TotalCount), TotalCommits: p.Commits.TotalCount,
			}
			if p.MergedAt != nil {
				t := p.MergedAt.Time
				pr.MergedAt = &t
			}
			if p.MergeCommit != nil {
				pr.MergeCommit = string(p.MergeCommit.OID)
			}
			if p.Author != nil {
				pr.Author = p.Author.Login
			}
		}
		for _, n := range p.Commits.Nodes {
			pr.Commits = append(pr.Commits, Commit{
				OID: string(n.Commit.OID), Message: n.Commit.Message, Merge: n.Commit.Parents.TotalCount > 1,
			})
		}
		if !p.Commits.PageInfo.HasNextPage || len(p.Commits.Nodes) == 0 {
			break
		}
		cursor := p.Commits.PageInfo.EndCursor
		vars["cursor"] = &cursor
	}
	return pr, nil
}
