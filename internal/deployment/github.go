// Package deployment finds when a merged fix was deployed: the earliest
// successful deployment to an environment that contains the merge commit.
package deployment

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/go-github/v75/github"
	"github.com/shurcooL/githubv4"

	"github.com/fixproof/fixproof/internal/loop"
	"github.com/fixproof/fixproof/internal/retry"
)

// ClockSkew is how long before the merge a deployment may have been
// created and still be considered, for clocks that disagree (the merge
// time may come from another machine than GitHub's deployment records).
const ClockSkew = 5 * time.Minute

// ErrNoPermission is in the error when the token may not read deployments
// or the repository's contents: a setting for the user to fix, which a
// caller counting from the merge anyway may prefer to warn about.
var ErrNoPermission = errors.New("the token lacks a permission")

// pageSize is GitHub's largest GraphQL page.
const pageSize = 100

// GraphQL runs a GraphQL query, as *githubv4.Client does.
type GraphQL interface {
	Query(ctx context.Context, q any, variables map[string]any) error
}

// GitHub finds deployments in GitHub's records: it lists them through the
// GraphQL API and compares commits through the REST API.
type GitHub struct {
	gql  GraphQL
	rest *github.Client
}

// NewGitHub returns a GitHub reading deployments with gql (a
// *githubv4.Client) and comparing commits with rest. Both clients' HTTP
// clients must add the token, which needs deployments: read and
// contents: read, and own the retry policy (internal/retry): GraphQL
// queries are sent marked idempotent, so the policy may retry them.
func NewGitHub(gql GraphQL, rest *github.Client) *GitHub {
	return &GitHub{gql: gql, rest: rest}
}

// FirstDeploy finds when commit, the merge commit of a fix merged at
// since, was deployed to environment in repo ("owner/name"): the earliest
// successful deployment to environment, created at or after since minus
// ClockSkew, whose deployed commit is commit or a descendant of it. A
// deployment counts once it has a SUCCESS status, even if a later one
// made it INACTIVE; At is the time of its first SUCCESS, Ref "deployment
// #<id>", URL the status's environment URL, else its log URL, else the
// environment's deployments page. found is false when no deployment
// qualifies. known reports whether environment has any deployment at all
// (any status, any time): without one, deployments are not recorded for
// it and the caller can say so rather than wait for one. A zero since
// considers every deployment. Errors name what to fix (a permission the
// token lacks, an unknown commit); with an error the other results are
// zero.
//
// Requests per call:
//   - GraphQL: one query per 100 deployments to environment, newest first,
//     until one reaches back before since minus ClockSkew; at least one.
//     Each costs 1 point (100 deployments with up to 100 statuses each).
//   - REST: GET /repos/{owner}/{repo}/compare/{commit}...{deployed}
//     (per_page=1), once per distinct deployed commit asked about, in
//     the order of the candidates' first success, stopping at the first
//     that contains commit. None for a deployment of commit itself.
func (g *GitHub) FirstDeploy(ctx context.Context, repo, commit, environment string, since time.Time) (d loop.Deploy, found, known bool, err error) {
	owner, name, ok := strings.Cut(repo, "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return loop.Deploy{}, false, false, fmt.Errorf("deployment: repository %q is not owner/name", repo)
	}
	if commit == "" || environment == "" {
		return loop.Deploy{}, false, false, fmt.Errorf("deployment: %s: a merge commit and an environment are needed (got %q and %q)", repo, commit, environment)
	}
	notBefore := since.Add(-ClockSkew)
	listed, err := g.list(ctx, owner, name, environment, notBefore)
	if err != nil {
		return loop.Deploy{}, false, false, err
	}
	c, found, err := g.firstContaining(ctx, owner, name, commit, candidates(listed.deployments, notBefore))
	if err != nil {
		return loop.Deploy{}, false, false, err
	}
	if !found {
		return loop.Deploy{}, false, listed.total > 0, nil
	}
	return deployOf(c, environment, listed.repoURL), true, true, nil
}

// firstContaining is the first of cands whose deployed commit contains
// commit. It asks GitHub once per distinct deployed commit, and not at all
// for commit itself.
func (g *GitHub) firstContaining(ctx context.Context, owner, name, commit string, cands []candidate) (candidate, bool, error) {
	verdicts := map[string]bool{} // deployed commit (lower case): contains commit
	for _, c := range cands {
		key := strings.ToLower(c.commit)
		in, asked := verdicts[key]
		if sameCommit(c.commit, commit) {
			in, asked = true, true
		}
		if !asked {
			var err error
			if in, err = g.holds(ctx, owner, name, commit, c.commit); err != nil {
				return candidate{}, false, err
			}
			verdicts[key] = in
		}
		if in {
			return c, true, nil
		}
	}
	return candidate{}, false, nil
}

// listing is what list found.
type listing struct {
	deployments []deployment // newest first, back to before notBefore
	total       int          // every deployment to the environment, ever
	repoURL     string
}

// deploymentsQuery lists one page of deployments to an environment,
// newest first, with every status of each (not only the latest, which is
// INACTIVE for a deployment superseded after it succeeded).
type deploymentsQuery struct {
	Repository struct {
		URL         githubv4.URI
		Deployments struct {
			TotalCount int
			PageInfo   struct {
				HasNextPage bool
				EndCursor   githubv4.String
			}
			Nodes []deploymentNode
		} `graphql:"deployments(environments: $environments, first: $pageSize, after: $cursor, orderBy: {field: CREATED_AT, direction: DESC})"`
	} `graphql:"repository(owner: $owner, name: $name)"`
}

// deploymentNode is one deployment of deploymentsQuery. A deployment with
// more than 100 statuses (none has, in practice: a deploy sets a handful)
// is judged on the 100 GitHub lists.
type deploymentNode struct {
	DatabaseID *int `graphql:"databaseId"`
	CreatedAt  githubv4.DateTime
	CommitOID  string `graphql:"commitOid"`
	Statuses   *struct {
		Nodes []struct {
			State          githubv4.DeploymentStatusState
			CreatedAt      githubv4.DateTime
			EnvironmentURL *githubv4.URI `graphql:"environmentUrl"`
			LogURL         *githubv4.URI `graphql:"logUrl"`
		}
	} `graphql:"statuses(first: 100)"`
}

// deployment is the node as FirstDeploy's decisions take it.
func (n deploymentNode) deployment() deployment {
	d := deployment{createdAt: n.CreatedAt.Time, commit: n.CommitOID}
	if n.DatabaseID != nil {
		d.id = *n.DatabaseID
	}
	if n.Statuses != nil {
		for _, s := range n.Statuses.Nodes {
			d.statuses = append(d.statuses, status{state: string(s.State), at: s.CreatedAt.Time,
				environmentURL: uriString(s.EnvironmentURL), logURL: uriString(s.LogURL)})
		}
	}
	return d
}

// list reads the deployments to environment, newest first, a page of 100
// at a time, stopping at the page that reaches back before notBefore
// (whose older deployments it keeps: candidates decides what counts).
func (g *GitHub) list(ctx context.Context, owner, name, environment string, notBefore time.Time) (listing, error) {
	vars := map[string]any{
		"owner":        githubv4.String(owner),
		"name":         githubv4.String(name),
		"environments": []githubv4.String{githubv4.String(environment)},
		"pageSize":     githubv4.Int(pageSize),
		"cursor":       (*githubv4.String)(nil),
	}
	ctx = retry.Idempotent(ctx) // a GraphQL query is a POST that only reads
	var out listing
	for {
		var q deploymentsQuery
		if err := g.gql.Query(ctx, &q, vars); err != nil {
			return listing{}, listError(owner+"/"+name, environment, err)
		}
		page := q.Repository.Deployments
		out.total, out.repoURL = page.TotalCount, uriString(&q.Repository.URL)
		reachedBack := false
		for _, n := range page.Nodes {
			reachedBack = reachedBack || n.CreatedAt.Before(notBefore)
			out.deployments = append(out.deployments, n.deployment())
		}
		if reachedBack || !page.PageInfo.HasNextPage || len(page.Nodes) == 0 {
			return out, nil
		}
		cursor := page.PageInfo.EndCursor
		vars["cursor"] = &cursor
	}
}

func uriString(u *githubv4.URI) string {
	if u == nil || u.URL == nil {
		return ""
	}
	return u.String()
}

// listError says what failed listing deployments and, when GitHub's
// answer shows it, what to fix.
func listError(repo, environment string, err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "Resource not accessible by"):
		return fmt.Errorf("deployment: list %s's deployments to %q: %w: "+
			"grant it the deployments: read permission (in a workflow, permissions: deployments: read): %w", repo, environment, ErrNoPermission, err)
	case strings.Contains(msg, "Could not resolve to a Repository"):
		return fmt.Errorf("deployment: list %s's deployments to %q: no such repository, or the token cannot see it: %w", repo, environment, err)
	}
	return fmt.Errorf("deployment: list %s's deployments to %q: %w", repo, environment, err)
}

// holds asks GitHub whether deployed contains merge: compare
// merge...deployed. Deployed commits with no history in common with the
// merge (GitHub: 404 "No common ancestor") do not contain it.
func (g *GitHub) holds(ctx context.Context, owner, name, merge, deployed string) (bool, error) {
	cmp, _, err := g.rest.Repositories.CompareCommits(ctx, owner, name, merge, deployed, &github.ListOptions{PerPage: 1})
	if err == nil {
		return contains(cmp.GetStatus()), nil
	}
	where := fmt.Sprintf("deployment: compare %s...%s in %s/%s", merge, deployed, owner, name)
	var er *github.ErrorResponse
	if !errors.As(err, &er) || er.Response == nil {
		return false, fmt.Errorf("%s: %w", where, err)
	}
	switch {
	case er.Response.StatusCode == http.StatusNotFound && strings.HasPrefix(er.Message, "No common ancestor"):
		return false, nil
	case er.Response.StatusCode == http.StatusNotFound:
		return false, fmt.Errorf("%s: GitHub knows no such commit there: check the merge commit recorded for the fix, "+
			"and that the token may read the repository's contents (contents: read): %w", where, err)
	case er.Response.StatusCode == http.StatusForbidden && strings.Contains(er.Message, "not accessible by"):
		accepted := ""
		if h := er.Response.Header.Get("X-Accepted-GitHub-Permissions"); h != "" {
			accepted = " (GitHub accepts " + h + ")"
		}
		return false, fmt.Errorf("%s: %w: grant it the contents: read permission%s "+
			"(in a workflow, permissions: contents: read): %w", where, ErrNoPermission, accepted, err)
	}
	return false, fmt.Errorf("%s: %w", where, err)
}
