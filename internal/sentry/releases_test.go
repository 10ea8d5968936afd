package sentry

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/sim/sentrysim"
)

// merged is when the fix was merged in the FirstDeploy tests.
var merged = at(8, 0)

const (
	fix   = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c"
	other = "aaaabbbbccccddddeeeeffff0000111122223333"
)

const releasesRoute = "GET /api/0/organizations/acme/releases/"

// shop sets up a simulator with project shop and returns its id.
func shop(t *testing.T) (*env, string) {
	t.Helper()
	e := setup(t, sentrysim.Options{})
	return e, e.s.ProjectID("shop")
}

func (e *env) release(version string, created time.Time, commits ...string) {
	e.s.AddRelease(sentrysim.Release{Version: version, Projects: []string{"shop"}, Created: created, Commits: commits, Repository: "acme/shop"})
}

func (e *env) deploy(version, environment string, finished time.Time) {
	e.s.AddDeploy(version, sentrysim.Deploy{Environment: environment, Name: version + " to " + environment, Finished: finished})
}

type firstDeploy struct {
	finished     time.Time
	release      string
	found, known bool
}

func (e *env) firstDeploy(t *testing.T, projectID, commit, environment string) firstDeploy {
	t.Helper()
	d, rel, found, known, err := e.c.FirstDeploy(ctx, projectID, commit, environment, merged)
	if err != nil {
		t.Fatal(err)
	}
	if found && (d.Environment != environment || d.ID == "") {
		t.Errorf("deploy %+v", d)
	}
	return firstDeploy{d.DateFinished, rel, found, known}
}

// TestFirstDeployIsProductionsDeployAfterStaging deploys the release with
// the fix to staging, then to production: the production deploy counts,
// at the cost of one request each for the list, the commits and the
// deploys.
func TestFirstDeployIsProductionsDeployAfterStaging(t *testing.T) {
	e, project := shop(t)
	e.release("shop@1.4.3", at(8, 20), other, fix)
	e.deploy("shop@1.4.3", "staging", at(8, 40))
	e.deploy("shop@1.4.3", "production", at(9, 30))
	got := e.firstDeploy(t, project, fix, "production")
	if want := (firstDeploy{at(9, 30), "shop@1.4.3", true, true}); got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if n := e.s.Control.Total(); n != 3 {
		t.Errorf("%d requests, want 3: %v", n, e.s.Control.Routes())
	}
	if got := e.firstDeploy(t, project, fix, "staging"); got.finished != at(8, 40) {
		t.Errorf("staging: %+v", got)
	}
}

// TestFirstDeployFindsTheCommitInALaterRelease: the first release after
// the merge does not hold the fix, a later one does, and a still later one
// (holding it too) went to production last: the earliest deploy of a
// release with the fix wins.
func TestFirstDeployFindsTheCommitInALaterRelease(t *testing.T) {
	e, project := shop(t)
	e.release("shop@1.4.3", at(8, 10), other)
	e.deploy("shop@1.4.3", "production", at(8, 30))
	e.release("shop@1.4.4", at(9, 0), fix, other)
	e.deploy("shop@1.4.4", "production", at(9, 45))
	e.release("shop@1.4.5", at(10, 0), "cccccccccccccccccccccccccccccccccccccccc", fix, other)
	e.deploy("shop@1.4.5", "production", at(10, 30))
	got := e.firstDeploy(t, project, fix, "production")
	if want := (firstDeploy{at(9, 45), "shop@1.4.4", true, true}); got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	// The deploys of shop@1.4.3, which lacks the fix, are never read.
	if n := e.s.Control.Count("GET /api/0/organizations/acme/releases/shop@1.4.3/deploys/"); n != 0 {
		t.Errorf("read the deploys of a release without the fix: %v", e.s.Control.Routes())
	}
}

// TestFirstDeployTakesTheEarliestAcrossReleases: two releases hold the
// fix; the newer one reached production first (the older one was
// deployed later, in a rollback, say), so its deploy is the first, and a
// redeploy of it later changes nothing.
func TestFirstDeployTakesTheEarliestAcrossReleases(t *testing.T) {
	e, project := shop(t)
	e.release("shop@1.4.3", at(8, 10), fix)
	e.deploy("shop@1.4.3", "production", at(11, 0))
	e.release("shop@1.4.4", at(9, 0), other, fix)
	e.deploy("shop@1.4.4", "production", at(10, 0))
	e.deploy("shop@1.4.4", "production", at(11, 30))
	got := e.firstDeploy(t, project, fix, "production")
	if want := (firstDeploy{at(10, 0), "shop@1.4.4", true, true}); got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

// TestFirstDeployWithoutTheCommitInAnyRelease: production gets deploys,
// none of a release with the fix: not found, but the environment is
// known.
func TestFirstDeployWithoutTheCommitInAnyRelease(t *testing.T) {
	e, project := shop(t)
	e.release("shop@1.4.3", at(8, 10), other)
	e.deploy("shop@1.4.3", "production", at(8, 30))
	if got, want := e.firstDeploy(t, project, fix, "production"), (firstDeploy{found: false, known: true}); got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

// TestFirstDeployToAnEnvironmentNeverDeployedTo: the fix went to staging
// only, and nothing ever went to production: not found and not known.
func TestFirstDeployToAnEnvironmentNeverDeployedTo(t *testing.T) {
	e, project := shop(t)
	e.release("shop@1.4.3", at(8, 10), fix)
	e.deploy("shop@1.4.3", "staging", at(8, 30))
	if got, want := e.firstDeploy(t, project, fix, "production"), (firstDeploy{}); got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	e2, project2 := shop(t)
	e2.release("shop@1.4.3", at(8, 10), fix)
	if got, want := e2.firstDeploy(t, project2, fix, "production"), (firstDeploy{}); got != want {
		t.Errorf("no deploys at all: got %+v, want %+v", got, want)
	}
	// A release without deploys costs no deploys request.
	if n := e2.s.Control.Total(); n != 2 {
		t.Errorf("%d requests, want 2: %v", n, e2.s.Control.Routes())
	}
}

// TestFirstDeployComparesWholeSHAsCaseInsensitively: the SHA in upper
// case matches; a short SHA matches nothing.
func TestFirstDeployComparesWholeSHAsCaseInsensitively(t *testing.T) {
	e, project := shop(t)
	e.release("shop@1.4.3", at(8, 10), fix)
	e.deploy("shop@1.4.3", "production", at(8, 30))
	if got := e.firstDeploy(t, project, strings.ToUpper(fix), "production"); !got.found {
		t.Errorf("upper case: %+v", got)
	}
	if got := e.firstDeploy(t, project, fix[:12], "production"); got.found {
		t.Errorf("short SHA: %+v", got)
	}
}

// TestFirstDeployLooksOnlyAtReleasesSinceTheMerge: a release created an
// hour before the merge cannot hold it (its commits are not even read);
// one created two minutes before, within the clock-skew slack, can.
func TestFirstDeployLooksOnlyAtReleasesSinceTheMerge(t *testing.T) {
	e, project := shop(t)
	e.release("old", merged.Add(-time.Hour), fix)
	e.deploy("old", "production", merged.Add(-30*time.Minute))
	if got, want := e.firstDeploy(t, project, fix, "production"), (firstDeploy{known: true}); got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if n := e.s.Control.Count("GET /api/0/organizations/acme/releases/old/commits/"); n != 0 {
		t.Errorf("read the commits of a release from before the merge")
	}
	e.release("skewed", merged.Add(-2*time.Minute), fix)
	e.deploy("skewed", "production", merged.Add(20*time.Minute))
	if got, want := e.firstDeploy(t, project, fix, "production"), (firstDeploy{merged.Add(20 * time.Minute), "skewed", true, true}); got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

// TestFirstDeployPagesThroughReleases: 250 releases since the merge, the
// fix only in the oldest, and 150 from before the merge: the client reads
// three pages of Sentry's 100 and stops, never reading the releases from
// before the merge beyond the page that reaches them.
func TestFirstDeployPagesThroughReleases(t *testing.T) {
	e, project := shop(t)
	for i := 0; i < 150; i++ {
		e.release(fmt.Sprintf("before-%d", i), merged.Add(-time.Duration(150-i)*time.Minute))
	}
	e.release("with-fix", merged.Add(time.Minute), fix)
	e.deploy("with-fix", "production", merged.Add(time.Hour))
	for i := 1; i < 250; i++ {
		e.release(fmt.Sprintf("after-%d", i), merged.Add(time.Minute+time.Duration(i)*time.Second))
	}
	got := e.firstDeploy(t, project, fix, "production")
	if want := (firstDeploy{merged.Add(time.Hour), "with-fix", true, true}); got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if n := e.s.Control.Count(releasesRoute); n != 3 {
		t.Errorf("%d pages of releases, want 3", n)
	}
	rs, err := e.c.Releases(ctx, project, merged)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 250 || rs[0].Version != "after-249" || rs[249].Version != "with-fix" {
		t.Errorf("%d releases since the merge, from %q to %q", len(rs), rs[0].Version, rs[len(rs)-1].Version)
	}
	all, err := e.c.Releases(ctx, project, time.Time{})
	if err != nil || len(all) != 400 {
		t.Errorf("all releases: %d, %v", len(all), err)
	}
}

// TestFirstDeployIgnoresUnfinishedDeploys serves a deploy without
// dateFinished (off Sentry's spec, which requires it, so the exchange is
// not validated): it has not finished, so it is not the first deploy,
// though production is known.
func TestFirstDeployIgnoresUnfinishedDeploys(t *testing.T) {
	mux := http.NewServeMux()
	answer := func(path, body string) {
		mux.HandleFunc("GET /api/0/organizations/acme/releases/"+path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(body))
		})
	}
	answer("{$}", `[{"version":"v2","dateCreated":"2026-03-02T08:10:00Z","commitCount":1,"deployCount":2,"lastDeploy":null}]`)
	answer("v2/commits/{$}", `[{"id":"`+fix+`"}]`)
	answer("v2/deploys/{$}", `[{"id":"1","environment":"production","dateFinished":null,"dateStarted":"2026-03-02T08:20:00Z","name":null,"url":null},`+
		`{"id":"2","environment":"production","dateStarted":null,"name":null,"url":null}]`)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c, err := New(Config{BaseURL: srv.URL, Token: "t", Org: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	d, rel, found, known, err := c.FirstDeploy(ctx, "2", fix, "production", merged)
	if err != nil || found || !known || rel != "" || d != (Deploy{}) {
		t.Errorf("FirstDeploy = %+v, %q, found %v, known %v, %v", d, rel, found, known, err)
	}
}

// TestFirstDeployRejectsBadArguments sends nothing for what Sentry cannot
// answer.
func TestFirstDeployRejectsBadArguments(t *testing.T) {
	e, project := shop(t)
	for name, args := range map[string][3]string{
		"slug for project":   {"shop", fix, "production"},
		"no commit":          {project, "", "production"},
		"commit with space":  {project, "abc def", "production"},
		"commit too long":    {project, strings.Repeat("a", 65), "production"},
		"no environment":     {project, fix, ""},
		"environment with /": {project, fix, "prod/eu"},
	} {
		if _, _, _, _, err := e.c.FirstDeploy(ctx, args[0], args[1], args[2], merged); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if n := e.s.Control.Total(); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

// TestReleaseVersionsAreEscaped reads the commits and deploys of a
// version holding "@" and "+", and of one holding " ", "#", "?" and "%";
// a version Sentry cannot have (a slash, a
// backslash) is refused before any request.
func TestReleaseVersionsAreEscaped(t *testing.T) {
	e, _ := shop(t)
	v := "shop@1.4.2+build.7"
	e.release(v, at(8, 10), fix, other)
	e.s.AddDeploy(v, sentrysim.Deploy{Environment: "production", Started: at(8, 20), Finished: at(8, 25), URL: "https://ci.example/7"})
	commits, err := e.c.ReleaseCommits(ctx, v)
	if err != nil || !reflect.DeepEqual(commits, []string{fix, other}) {
		t.Errorf("commits %v, %v", commits, err)
	}
	deploys, err := e.c.ReleaseDeploys(ctx, v)
	want := []Deploy{{ID: "1", Environment: "production", URL: "https://ci.example/7", DateStarted: at(8, 20), DateFinished: at(8, 25)}}
	if err != nil || !reflect.DeepEqual(deploys, want) {
		t.Errorf("deploys %+v, %v\nwant %+v", deploys, err, want)
	}
	// A space, "#", "?" and "%" are allowed in versions and must not
	// become a fragment, a query or an escape.
	odd := "1.0 rc#2?x=%41"
	e.release(odd, at(8, 20), other)
	if commits, err := e.c.ReleaseCommits(ctx, odd); err != nil || !reflect.DeepEqual(commits, []string{other}) {
		t.Errorf("commits of %q: %v, %v", odd, commits, err)
	}
	before := e.s.Control.Total()
	for _, bad := range []string{"a/b", `a\b`, "", strings.Repeat("v", 201)} {
		if _, err := e.c.ReleaseCommits(ctx, bad); err == nil {
			t.Errorf("commits of %q: accepted", bad)
		}
		if _, err := e.c.ReleaseDeploys(ctx, bad); err == nil {
			t.Errorf("deploys of %q: accepted", bad)
		}
	}
	if n := e.s.Control.Total() - before; n != 0 {
		t.Errorf("%d requests sent for bad versions", n)
	}
	if _, err := e.c.ReleaseCommits(ctx, "nope"); !strings.Contains(fmt.Sprint(err), "404") {
		t.Errorf("unknown release: %v", err)
	}
}

// TestReleaseCommitsReadsEveryPage: 250 commits come in three pages.
func TestReleaseCommitsReadsEveryPage(t *testing.T) {
	e, _ := shop(t)
	var shas []string
	for i := 0; i < 250; i++ {
		shas = append(shas, fmt.Sprintf("%040x", i))
	}
	e.release("big", at(8, 10), shas...)
	got, err := e.c.ReleaseCommits(ctx, "big")
	if err != nil || !reflect.DeepEqual(got, shas) {
		t.Errorf("%d commits, %v", len(got), err)
	}
	if n := e.s.Control.Count("GET /api/0/organizations/acme/releases/big/commits/"); n != 3 {
		t.Errorf("%d pages", n)
	}
}

// TestReleasesReadsDates reads a release's dates, counts and last deploy.
func TestReleasesReadsDates(t *testing.T) {
	e, project := shop(t)
	e.s.AddRelease(sentrysim.Release{Version: "v1", Projects: []string{"shop"}, Created: at(8, 10), Released: at(8, 15), Commits: []string{fix}})
	e.deploy("v1", "staging", at(8, 20))
	e.deploy("v1", "production", at(8, 30))
	rs, err := e.c.Releases(ctx, project, merged)
	if err != nil {
		t.Fatal(err)
	}
	want := []Release{{
		Version: "v1", DateCreated: at(8, 10), DateReleased: at(8, 15), CommitCount: 1, DeployCount: 2,
		LastDeploy: &Deploy{ID: "2", Environment: "production", Name: "v1 to production", DateFinished: at(8, 30)},
	}}
	if !reflect.DeepEqual(rs, want) {
		t.Errorf("releases %+v\nwant %+v", rs, want)
	}
}
