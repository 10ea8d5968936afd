package deployment

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v75/github"
	"github.com/shurcooL/githubv4"

	"github.com/fixproof/fixproof/internal/contract"
	"github.com/fixproof/fixproof/internal/loop"
	"github.com/fixproof/fixproof/internal/sim"
	"github.com/fixproof/fixproof/internal/sim/githubsim"
)

const token = "ghs_deploymenttest"

// merged is when the fix was merged, in every test.
var merged = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// sha names a commit by a word.
func sha(name string) string {
	sum := sha1.Sum([]byte("commit " + name))
	return hex.EncodeToString(sum[:])
}

type bearer struct{ base http.RoundTripper }

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "bearer "+token)
	return b.base.RoundTrip(r)
}

// world is acme/api on a simulated GitHub, with the history
//
//	root <- prev <- merge <- after       (main; merge = prev + fix)
//	root <- fix                          (the pull request)
//	prev <- side                         (a branch that never got the fix)
//
// and a GitHub (the client under test) whose every GraphQL query and
// REST call is checked against GitHub's published contracts, when they
// are there.
type world struct {
	t     *testing.T
	gh    *githubsim.Server
	clock *sim.Clock
	d     *GitHub
	rec   *contract.GraphQLRecorder
}

// worldOptions change the world: the token's permissions, and whether
// REST answers are checked (GitHub's description documents no 403 for
// the comparison, so a test of one turns the check off).
type worldOptions struct {
	permissions   map[string]string
	uncheckedREST bool
}

func newWorld(t *testing.T, o worldOptions) *world {
	t.Helper()
	clock := sim.NewClock(merged.Add(-time.Hour))
	gh := githubsim.New(githubsim.Options{Token: token, Now: clock.Now, Permissions: o.permissions})
	for _, c := range [][]string{{"root"}, {"prev", "root"}, {"fix", "root"}, {"merge", "prev", "fix"}, {"after", "merge"}, {"side", "prev"}} {
		parents := []string{}
		for _, p := range c[1:] {
			parents = append(parents, sha(p))
		}
		gh.AddCommit("acme", "api", sha(c[0]), parents...)
	}
	srv := httptest.NewServer(gh.Handler())
	t.Cleanup(srv.Close)

	var gqlBase, restBase http.RoundTripper = http.DefaultTransport, http.DefaultTransport
	var rec *contract.GraphQLRecorder
	if _, ok := contract.Available(t); ok {
		rec = contract.GraphQLTransport(t, contract.GitHubSchema(t), nil)
		gqlBase = rec
		if !o.uncheckedREST {
			restBase = contract.GitHubRESTSpec(t).Transport(t, nil)
		}
	}
	gql := githubv4.NewEnterpriseClient(srv.URL+"/graphql", &http.Client{Transport: bearer{gqlBase}})
	rest := github.NewClient(&http.Client{Transport: bearer{restBase}})
	rest.BaseURL, _ = url.Parse(srv.URL + "/")
	return &world{t: t, gh: gh, clock: clock, d: NewGitHub(gql, rest), rec: rec}
}

// st is a status: its state and its minute after the merge.
type st struct {
	state string
	min   int
}

// deploy records a deployment of commit to env created minute min after
// the merge, with the given statuses, and returns its id.
func (w *world) deploy(env, commit string, min int, statuses ...st) int {
	id := w.gh.AddDeployment("acme", "api", githubsim.Deployment{
		Environment: env, Commit: sha(commit), CreatedAt: merged.Add(time.Duration(min) * time.Minute),
	})
	for _, s := range statuses {
		w.gh.AddDeploymentStatus("acme", "api", id, githubsim.DeploymentStatus{
			State: s.state, CreatedAt: merged.Add(time.Duration(s.min) * time.Minute), EnvironmentURL: "https://" + env + ".example",
		})
	}
	return id
}

// first asks FirstDeploy about the merge in production.
func (w *world) first() (loop.Deploy, bool, bool, error) {
	return w.d.FirstDeploy(context.Background(), "acme/api", sha("merge"), "production", merged)
}

// requests are the GraphQL queries and REST comparisons GitHub received.
func (w *world) requests() (queries, compares int) {
	return w.gh.Control.Count("POST /graphql"), w.gh.Control.CountPrefix("GET /repos/acme/api/compare/")
}

// wantFound asks FirstDeploy and wants deployment id of commit, succeeded
// at minute min after the merge.
func (w *world) wantFound(min int, commit string, id int) {
	w.t.Helper()
	d, found, known, err := w.first()
	if err != nil || !found || !known {
		w.t.Fatalf("found %v known %v err %v", found, known, err)
	}
	want := loop.Deploy{
		At: merged.Add(time.Duration(min) * time.Minute).Format(time.RFC3339), Commit: sha(commit), Environment: "production",
		Source: loop.DeploySourceGitHub, Ref: "deployment #" + strconv.Itoa(id), URL: "https://production.example",
	}
	if d != want {
		w.t.Errorf("deploy\n got %+v\nwant %+v", d, want)
	}
}

func TestDeployOfTheMergeCommitItselfIsFoundWithoutComparing(t *testing.T) {
	w := newWorld(t, worldOptions{})
	w.deploy("production", "prev", -30, st{"SUCCESS", -28})
	id := w.deploy("production", "merge", 5, st{"IN_PROGRESS", 5}, st{"SUCCESS", 9})
	w.wantFound(9, "merge", id)
	if q, c := w.requests(); q != 1 || c != 0 {
		t.Errorf("%d queries and %d comparisons, want 1 and 0", q, c)
	}
	if w.rec != nil && len(w.rec.Queries()) != 1 {
		t.Errorf("the schema check saw %d queries", len(w.rec.Queries()))
	}
}

func TestDeployOfADescendantOfTheMergeIsFound(t *testing.T) {
	w := newWorld(t, worldOptions{})
	id := w.deploy("production", "after", 20, st{"SUCCESS", 24})
	w.wantFound(24, "after", id)
	if q, c := w.requests(); q != 1 || c != 1 {
		t.Errorf("%d queries and %d comparisons, want 1 and 1", q, c)
	}
}

func TestDeploymentsBeforeTheMergeAreNotCounted(t *testing.T) {
	w := newWorld(t, worldOptions{})
	// Even of the merge commit itself: a deployment made before the merge
	// (beyond ClockSkew) cannot hold it, so it is not asked about.
	w.deploy("production", "merge", -30, st{"SUCCESS", -29})
	w.deploy("production", "prev", -20, st{"SUCCESS", -19})
	_, found, known, err := w.first()
	if err != nil || found || !known {
		t.Errorf("found %v known %v err %v, want not found, known", found, known, err)
	}
	if _, c := w.requests(); c != 0 {
		t.Errorf("%d comparisons for deployments from before the merge", c)
	}
	// Within ClockSkew of the merge one counts.
	id := w.deploy("production", "merge", -4, st{"SUCCESS", -3})
	w.wantFound(-3, "merge", id)
}

func TestDeploymentOfABranchWithoutTheMergeIsNotCounted(t *testing.T) {
	w := newWorld(t, worldOptions{})
	w.deploy("production", "side", 3, st{"SUCCESS", 4}) // diverged: another line of history
	w.deploy("production", "prev", 6, st{"SUCCESS", 7}) // behind: from before the merge
	w.deploy("production", "side", 8, st{"SUCCESS", 9}) // side again: not asked twice
	id := w.deploy("production", "after", 10, st{"SUCCESS", 12})
	w.wantFound(12, "after", id)
	if _, c := w.requests(); c != 3 {
		t.Errorf("%d comparisons, want 3 (side, prev, after)", c)
	}
}

func TestAFailureThenALaterSuccessCountsFromTheSuccess(t *testing.T) {
	w := newWorld(t, worldOptions{})
	w.deploy("production", "merge", 2, st{"IN_PROGRESS", 2}, st{"FAILURE", 4})
	id := w.deploy("production", "merge", 10, st{"QUEUED", 10}, st{"FAILURE", 12}, st{"SUCCESS", 15})
	w.wantFound(15, "merge", id)
}

func TestDeploymentsThatNeverSucceededAreNotCounted(t *testing.T) {
	w := newWorld(t, worldOptions{})
	for i, s := range []string{"ERROR", "FAILURE", "INACTIVE", "IN_PROGRESS", "PENDING", "QUEUED", "WAITING"} {
		w.deploy("production", "merge", i, st{s, i + 1})
	}
	w.deploy("production", "after", 20) // no status at all
	_, found, known, err := w.first()
	if err != nil || found || !known {
		t.Errorf("found %v known %v err %v, want not found, known", found, known, err)
	}
}

func TestASupersededDeploymentStillCountsFromItsSuccess(t *testing.T) {
	w := newWorld(t, worldOptions{})
	// GitHub marks a deployment INACTIVE once a newer one to the same
	// environment succeeds; it was still deployed when it succeeded.
	id := w.deploy("production", "merge", 5, st{"SUCCESS", 8}, st{"INACTIVE", 30})
	w.deploy("production", "after", 28, st{"SUCCESS", 30})
	w.wantFound(8, "merge", id)
}

func TestStagingOnlyIsNeitherFoundNorKnownForProduction(t *testing.T) {
	w := newWorld(t, worldOptions{})
	w.deploy("staging", "merge", 5, st{"SUCCESS", 6})
	d, found, known, err := w.first()
	if err != nil || found || known || d != (loop.Deploy{}) {
		t.Errorf("%+v found %v known %v err %v, want nothing", d, found, known, err)
	}
	if q, c := w.requests(); q != 1 || c != 0 {
		t.Errorf("%d queries and %d comparisons, want 1 and 0", q, c)
	}
}

func TestProductionDeploymentsWithoutTheMergeAreKnownButNotFound(t *testing.T) {
	w := newWorld(t, worldOptions{})
	w.deploy("production", "prev", -600, st{"SUCCESS", -590}) // long before
	w.deploy("production", "side", 30, st{"SUCCESS", 31})
	_, found, known, err := w.first()
	if err != nil || found || !known {
		t.Errorf("found %v known %v err %v, want not found, known", found, known, err)
	}
}

func TestMoreThan100DeploymentsArePaged(t *testing.T) {
	w := newWorld(t, worldOptions{})
	// 250 deployments since the merge; only the oldest holds it (the
	// rest are redeploys of a branch), so every page is read.
	id := w.deploy("production", "merge", 1, st{"SUCCESS", 2})
	for i := range 249 {
		w.deploy("production", "side", 3+i, st{"SUCCESS", 3 + i})
	}
	w.wantFound(2, "merge", id)
	if q, c := w.requests(); q != 3 || c != 0 {
		t.Errorf("%d queries and %d comparisons, want 3 and 0", q, c)
	}
}

func TestPagingStopsAtDeploymentsFromBeforeTheMerge(t *testing.T) {
	w := newWorld(t, worldOptions{})
	for i := range 300 {
		w.deploy("production", "prev", -400+i, st{"SUCCESS", -400 + i})
	}
	id := w.deploy("production", "merge", 1, st{"SUCCESS", 2})
	w.wantFound(2, "merge", id)
	if q, _ := w.requests(); q != 1 {
		t.Errorf("%d queries, want 1: the first page reaches back before the merge", q)
	}
}

func TestAMissingDeploymentsPermissionIsNamed(t *testing.T) {
	w := newWorld(t, worldOptions{permissions: map[string]string{"contents": "read"}})
	_, found, known, err := w.first()
	if err == nil || found || known ||
		!strings.Contains(err.Error(), "deployments: read") || !strings.Contains(err.Error(), "Resource not accessible by integration") || !errors.Is(err, ErrNoPermission) {
		t.Errorf("found %v known %v err %v", found, known, err)
	}
}

func TestAMissingContentsPermissionIsNamed(t *testing.T) {
	w := newWorld(t, worldOptions{permissions: map[string]string{"deployments": "read"}, uncheckedREST: true})
	w.deploy("production", "after", 5, st{"SUCCESS", 6})
	_, _, _, err := w.first()
	var er *github.ErrorResponse
	if err == nil || !strings.Contains(err.Error(), "contents: read") || !strings.Contains(err.Error(), "contents=read") || !errors.As(err, &er) || !errors.Is(err, ErrNoPermission) {
		t.Errorf("err %v", err)
	}
}

func TestUnknownRepositoryAndUnknownCommitAreErrors(t *testing.T) {
	w := newWorld(t, worldOptions{})
	w.deploy("production", "after", 5, st{"SUCCESS", 6})
	if _, _, _, err := w.d.FirstDeploy(context.Background(), "acme/nope", sha("merge"), "production", merged); err == nil ||
		!strings.Contains(err.Error(), "Could not resolve to a Repository with the name 'acme/nope'") {
		t.Errorf("unknown repository: %v", err)
	}
	if _, _, _, err := w.d.FirstDeploy(context.Background(), "acme/api", sha("unknown"), "production", merged); err == nil ||
		!strings.Contains(err.Error(), "no such commit") {
		t.Errorf("unknown merge commit: %v", err)
	}
	for _, repo := range []string{"acme", "/api", "acme/", "acme/api/x"} {
		if _, _, _, err := w.d.FirstDeploy(context.Background(), repo, sha("merge"), "production", merged); err == nil ||
			!strings.Contains(err.Error(), "not owner/name") {
			t.Errorf("%q: %v", repo, err)
		}
	}
}

func TestADeploymentWithUnrelatedHistoryIsNotCounted(t *testing.T) {
	w := newWorld(t, worldOptions{})
	w.gh.AddCommit("acme", "api", sha("orphan"))
	w.deploy("production", "orphan", 5, st{"SUCCESS", 6})
	id := w.deploy("production", "after", 7, st{"SUCCESS", 8})
	w.wantFound(8, "after", id)
}
