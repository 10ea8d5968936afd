package action

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/loop"
	"github.com/fixproof/fixproof/internal/sim/githubsim"
	"github.com/fixproof/fixproof/internal/sim/jirasim"
	"github.com/fixproof/fixproof/internal/sim/sentrysim"
)

// The fix merged at 10:20 reaches production at 14:00 in a later commit
// (a GitHub deployment of a descendant of the merge commit); the error
// fires until the deploy.
var (
	deployedAt = time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC)
	deploySHA  = "c0ffee1884c7d659a2feaa0c55ad015a3bf4f1b0"
)

// deploy records the merge commit, a descendant of it, a failed deployment
// of the descendant to production at 12:00 and a successful one at 14:00.
func (w *world) deploy() int {
	w.gh.AddCommit(repoOwner, repoName, mergeSHA)
	w.gh.AddCommit(repoOwner, repoName, deploySHA, mergeSHA)
	failed := w.gh.AddDeployment(repoOwner, repoName, githubsim.Deployment{Environment: "production", Commit: deploySHA, CreatedAt: deployedAt.Add(-2 * time.Hour)})
	w.gh.AddDeploymentStatus(repoOwner, repoName, failed, githubsim.DeploymentStatus{State: "FAILURE", CreatedAt: deployedAt.Add(-2*time.Hour + 5*time.Minute)})
	id := w.gh.AddDeployment(repoOwner, repoName, githubsim.Deployment{Environment: "production", Commit: deploySHA, CreatedAt: deployedAt.Add(-10 * time.Minute)})
	w.gh.AddDeploymentStatus(repoOwner, repoName, id, githubsim.DeploymentStatus{State: "SUCCESS", CreatedAt: deployedAt, EnvironmentURL: "https://shop.example"})
	return id
}

// Counting from the deploy: three quiet windows after 14:00 verify the
// fix, the evidence names the deployment, and the deploy is in the
// property. Counting from the merge (verify_from: merge) the same sweep
// sees errors after the merge and does not verify.
func TestVerificationCountsFromTheDeployment(t *testing.T) {
	for _, from := range []string{"auto", "merge"} {
		t.Run(from, func(t *testing.T) {
			w := newWorld(t, jirasim.Cloud)
			id := w.deploy()
			w.sentryIssue("101", sentrysim.Step(deployedAt, sentrysim.Rate(30), sentrysim.Rate(0)))
			w.mergeFix("OPS-1", 7, "101")

			o := w.sweepAt(deployedAt.Add(3*time.Hour+5*time.Minute), "verify_from", from)
			if o.err != nil {
				t.Fatalf("%v\n%s", o.err, o.stdout)
			}
			if from == "merge" {
				if o.outputs["jira_closed"] != "" {
					t.Fatalf("verify_from merge closed %s although errors went on for 3h40m after the merge", o.outputs["jira_closed"])
				}
				is, _ := w.jira.Issue("OPS-1")
				if p, _ := loop.ParseProperty(is.Properties["fixproof"]); p.Deploy != nil {
					t.Errorf("verify_from merge recorded a deploy: %+v", p.Deploy)
				}
				return
			}
			if o.outputs["jira_closed"] != "OPS-1" {
				t.Fatalf("three quiet windows after the deploy: outputs %v\n%s", o.outputs, o.stdout)
			}
			is, _ := w.jira.Issue("OPS-1")
			p, _ := loop.ParseProperty(is.Properties["fixproof"])
			want := loop.Deploy{At: "2026-11-20T14:00:00Z", Commit: deploySHA, Environment: "production", Source: loop.DeploySourceGitHub,
				Ref: "deployment #" + strconv.Itoa(id), URL: "https://shop.example"}
			if p.Deploy == nil || *p.Deploy != want {
				t.Errorf("property deploy %+v, want %+v", p.Deploy, want)
			}
			sentence := "in the 3h since 9f86d08 reached production at Nov 20 14:00 UTC (GitHub deployment #" + strconv.Itoa(id) + "); merged Nov 20 10:20 UTC."
			var found bool
			for _, c := range is.Comments {
				found = found || strings.Contains(commentText(c), sentence)
			}
			if !found {
				t.Errorf("no Jira comment says %q", sentence)
			}
			if prc := w.gh.Comments(repoOwner, repoName, 7); len(prc) != 1 || !strings.Contains(prc[0].Body, "reached production at Nov 20 14:00 UTC") {
				t.Errorf("PR comment %+v", prc)
			}
		})
	}
}

// With deployments to production recorded but none holding the fix, auto
// waits for the deploy and then gives up verify_timeout after the merge.
func TestAFixThatNeverShipsIsNotVerified(t *testing.T) {
	w := newWorld(t, jirasim.Cloud)
	w.gh.AddCommit(repoOwner, repoName, mergeSHA)
	w.gh.AddCommit(repoOwner, repoName, deploySHA) // another line of history
	id := w.gh.AddDeployment(repoOwner, repoName, githubsim.Deployment{Environment: "production", Commit: deploySHA, CreatedAt: deployedAt})
	w.gh.AddDeploymentStatus(repoOwner, repoName, id, githubsim.DeploymentStatus{State: "SUCCESS", CreatedAt: deployedAt})
	// Quiet after the merge: the quiet night a count rule would verify.
	w.sentryIssue("101", noisyUntilMerge())
	w.mergeFix("OPS-1", 7, "101")

	o := w.sweepAt(deployedAt.Add(6 * time.Hour))
	if o.err != nil || o.outputs["skipped"] != "OPS-1" || !strings.Contains(o.stdout, "waiting for 9f86d08 (merged at Nov 20 10:20 UTC) to reach production") {
		t.Fatalf("not deployed: %v %v\n%s", o.err, o.outputs, o.stdout)
	}
	o = w.sweepAt(mergedAt.Add(168*time.Hour + time.Minute))
	if o.err != nil || o.outputs["unverified"] != "OPS-1" {
		t.Fatalf("a week later: %v %v\n%s", o.err, o.outputs, o.stdout)
	}
	if l := w.labels("OPS-1"); !slices.Contains(l, "fixproof-unverified") {
		t.Errorf("labels %v", l)
	}
	if s, _ := w.sentry.Issue("101"); s.Status == "resolved" {
		t.Error("a fix that never shipped resolved its Sentry issue")
	}
}

// Where no deployment was ever recorded, auto counts from the merge and
// says so; verify_from deploy waits for one all the same.
func TestVerifyFromDeployWaitsWhereAutoCountsFromTheMerge(t *testing.T) {
	for _, from := range []string{"auto", "deploy"} {
		t.Run(from, func(t *testing.T) {
			w := newWorld(t, jirasim.Cloud)
			w.sentryIssue("101", noisyUntilMerge())
			w.mergeFix("OPS-1", 7, "101")
			o := w.sweepAt(afterFour, "verify_from", from)
			if o.err != nil {
				t.Fatalf("%v\n%s", o.err, o.stdout)
			}
			if from == "deploy" {
				if o.outputs["skipped"] != "OPS-1" || !strings.Contains(o.stdout, "waiting for 9f86d08 (merged at Nov 20 10:20 UTC) to reach production") {
					t.Errorf("deploy: %v\n%s", o.outputs, o.stdout)
				}
				return
			}
			is, _ := w.jira.Issue("OPS-1")
			p, _ := loop.ParseProperty(is.Properties["fixproof"])
			if o.outputs["jira_closed"] != "OPS-1" || p.Verification == nil ||
				!strings.HasSuffix(p.Verification.Evidence[0], "; no deployments recorded for production, so counting from the merge.") {
				t.Errorf("auto: %v, verification %+v", o.outputs, p.Verification)
			}
		})
	}
}
