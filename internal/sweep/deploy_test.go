package sweep

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/jira"
	"github.com/fixproof/fixproof/internal/loop"
	"github.com/fixproof/fixproof/internal/sentry"
	"github.com/fixproof/fixproof/internal/sentrylink"
	"github.com/fixproof/fixproof/internal/sim/jirasim"
	"github.com/fixproof/fixproof/internal/sim/sentrysim"
	"github.com/fixproof/fixproof/internal/verify"
)

// The fix merges Friday 10:20 and reaches production at 14:00; the error
// fires 30 an hour until the deploy (the merge alone fixes nothing) and
// stops after it.
var (
	fixMerged   = time.Date(2026, 11, 20, 10, 20, 0, 0, time.UTC)
	fixDeployed = time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC)
	fixSHA      = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b"
)

// clockWorld is one watched issue, OPS-1, linked to Sentry issue 101,
// between jirasim and sentrysim, with deploy sources and traffic the test
// supplies.
type clockWorld struct {
	t    *testing.T
	js   *jirasim.Server
	ss   *sentrysim.Server
	jc   *jira.Client
	sc   *sentry.Client
	now  time.Time
	link sentrylink.Finder
}

func newClockWorld(t *testing.T, tl sentrysim.Timeline) *clockWorld {
	w := &clockWorld{t: t, now: fixMerged}
	w.js = jirasim.New(jirasim.Options{Email: "a@b.c", APIToken: "t"})
	w.js.AddProject("OPS", "Ops", jirasim.DefaultWorkflow())
	w.ss = sentrysim.New(sentrysim.Options{Token: "s", Org: "acme", Now: func() time.Time { return w.now }})
	jsrv, ssrv := httptest.NewServer(w.js.Handler()), httptest.NewServer(w.ss.Handler())
	t.Cleanup(jsrv.Close)
	t.Cleanup(ssrv.Close)
	if err := w.js.AddIssue("OPS-1", "crash", "Done"); err != nil {
		t.Fatal(err)
	}
	prop, _ := json.Marshal(loop.Property{Merge: &loop.Merge{At: fixMerged.Format(time.RFC3339), Commit: fixSHA, Repo: "acme/api", PR: 7},
		Sentry: []loop.SentryRef{{Org: "acme", IssueID: "101"}}})
	if err := w.js.SetProperty("OPS-1", loop.PropertyKey, prop); err != nil {
		t.Fatal(err)
	}
	if err := w.js.SetLabels("OPS-1", "fixproof-verify"); err != nil {
		t.Fatal(err)
	}
	w.ss.AddIssue(sentrysim.Issue{ID: "101", Title: "boom", FirstSeen: fixMerged.Add(-7 * 24 * time.Hour)})
	w.ss.SetTimeline("101", tl)
	w.jc, _ = jira.New(jira.Config{BaseURL: jsrv.URL, Email: "a@b.c", APIToken: "t"})
	w.sc, _ = sentry.New(sentry.Config{BaseURL: ssrv.URL, Token: "s", Org: "acme"})
	w.link = sentrylink.Finder{BaseURL: ssrv.URL, Org: "acme"}
	return w
}

func (w *clockWorld) sweep(at time.Time, cfg Config, d Deps) Outcome {
	w.t.Helper()
	w.now = at
	cfg.Params = verify.Params{Threshold: 1, Window: time.Hour, Windows: 3, Timeout: 72 * time.Hour}
	cfg.Label, cfg.Closed, cfg.Links = "fixproof-verify", []string{"Closed"}, w.link
	cfg.Statuses = loop.Statuses{loop.Done: {"Done"}, loop.Closed: {"Closed"}}
	d.Jira, d.Sentry, d.Now = w.jc, oneOrg{w.sc}, func() time.Time { return w.now }
	rep, err := New(cfg, d).Run(context.Background())
	if err != nil {
		w.t.Fatal(err)
	}
	if len(rep.Outcomes) != 1 {
		w.t.Fatalf("%d outcomes, want 1", len(rep.Outcomes))
	}
	return rep.Outcomes[0]
}

func (w *clockWorld) property() loop.Property {
	is, _ := w.js.Issue("OPS-1")
	p, err := loop.ParseProperty(is.Properties[loop.PropertyKey])
	if err != nil {
		w.t.Fatal(err)
	}
	return p
}

// fakeDeploys answers FirstDeploy as a source would, counting the calls.
type fakeDeploys struct {
	dep          *loop.Deploy
	known        bool
	calls        atomic.Int32
	environments []string
}

func (f *fakeDeploys) FirstDeploy(_ context.Context, q DeployQuery) (loop.Deploy, bool, bool, error) {
	f.calls.Add(1)
	f.environments = append(f.environments, q.Environment)
	if f.dep == nil || q.Environment != f.dep.Environment || q.Commit != fixSHA {
		return loop.Deploy{}, false, f.known, nil
	}
	return *f.dep, true, true, nil
}

var productionDeploy = &loop.Deploy{At: fixDeployed.Format(time.RFC3339), Commit: fixSHA, Environment: "production", Source: loop.DeploySourceGitHub, Ref: "deployment #812"}

// Counting from the merge, the three hours of errors between the merge and
// the deploy would hide the fix; counting from the deploy it verifies
// after three quiet windows, and the deploy is recorded once.
func TestTheClockStartsAtTheDeployAndTheDeployIsRecordedOnce(t *testing.T) {
	w := newClockWorld(t, sentrysim.Step(fixDeployed, sentrysim.Rate(30), sentrysim.Rate(0)))
	src := &fakeDeploys{dep: productionDeploy, known: true}

	o := w.sweep(fixDeployed.Add(2*time.Hour+5*time.Minute), Config{}, Deps{Deploys: []Deploys{src}})
	if o.Result() != ResultWaiting || !o.Clock.Deployed || !o.Clock.Start.Equal(fixDeployed) {
		t.Fatalf("two windows after the deploy: %s (%s), clock %+v; want waiting, counting from 14:00", o.Result(), o.Reason, o.Clock)
	}
	if d := w.property().Deploy; d == nil || *d != *productionDeploy {
		t.Fatalf("property deploy %+v, want %+v", d, productionDeploy)
	}

	o = w.sweep(fixDeployed.Add(3*time.Hour+5*time.Minute), Config{}, Deps{Deploys: []Deploys{src}})
	if o.Result() != ResultVerified {
		t.Fatalf("three quiet windows after the deploy: %s (%s), want verified", o.Result(), o.Reason)
	}
	if n := src.calls.Load(); n != 1 {
		t.Errorf("FirstDeploy called %d times, want once: later sweeps read the recorded deploy", n)
	}
	if got := Sentence(o.Evidence[0], o.Clock, verify.Params{Threshold: 1, Window: time.Hour, Windows: 3, Timeout: 72 * time.Hour}); !strings.Contains(got, "in the 3h since 9f86d08 reached production at Nov 20 14:00 UTC (GitHub deployment #812); merged Nov 20 10:20 UTC.") {
		t.Errorf("sentence %q", got)
	}
	is, _ := w.js.Issue("OPS-1")
	if is.Status != "Closed" {
		t.Errorf("OPS-1 is %s, want Closed", is.Status)
	}
	// The claim and the verification are written over the property: the
	// deploy must survive them, and the decision is recorded with its
	// evidence for the dashboard.
	p := w.property()
	if p.Deploy == nil || *p.Deploy != *productionDeploy || p.Verification == nil || p.Verification.State != loop.StateVerified ||
		len(p.Verification.Evidence) != 1 || !strings.Contains(p.Verification.Evidence[0], "reached production") {
		t.Errorf("property after verifying: deploy %+v, verification %+v", p.Deploy, p.Verification)
	}
}

// The same errors judged from the merge (verify_from: merge) do not
// verify three hours after the deploy: the hours between merge and deploy
// were still failing.
func TestFromMergeCountsTheErrorsBeforeTheDeploy(t *testing.T) {
	w := newClockWorld(t, sentrysim.Step(fixDeployed, sentrysim.Rate(30), sentrysim.Rate(0)))
	src := &fakeDeploys{dep: productionDeploy, known: true}
	o := w.sweep(fixDeployed.Add(3*time.Hour+5*time.Minute), Config{From: verify.FromMerge}, Deps{Deploys: []Deploys{src}})
	if o.Result() == ResultVerified || o.Clock.Deployed {
		t.Fatalf("from the merge: %s (%s), want not verified yet", o.Result(), o.Reason)
	}
	if src.calls.Load() != 0 || w.property().Deploy != nil {
		t.Error("verify_from merge must not look deploys up")
	}
}

// auto waits for the deploy when the environment has deployments but none
// with the fix, and gives up verify_timeout after the merge; with no
// deployment ever recorded it counts from the merge and says so.
func TestAutoWaitsForTheDeployOnlyWhereDeploysAreRecorded(t *testing.T) {
	w := newClockWorld(t, sentrysim.Step(fixMerged, sentrysim.Rate(30), sentrysim.Rate(0)))
	waiting := &fakeDeploys{known: true}
	o := w.sweep(fixMerged.Add(5*time.Hour), Config{Environment: "production"}, Deps{Deploys: []Deploys{waiting}})
	if o.Result() != ResultWaiting || !o.Clock.Wait || !strings.Contains(o.Reason, "waiting for 9f86d08 (merged at Nov 20 10:20 UTC) to reach production") {
		t.Fatalf("not deployed yet: %s (%s)", o.Result(), o.Reason)
	}
	o = w.sweep(fixMerged.Add(72*time.Hour+time.Minute), Config{}, Deps{Deploys: []Deploys{waiting}})
	if o.Result() != ResultUnverified || !strings.Contains(o.Reason, "did not reach production within 72h0m0s of the merge") {
		t.Fatalf("never deployed: %s (%s)", o.Result(), o.Reason)
	}
	if l := labelsOf(t, w.js, "OPS-1"); !strings.Contains(l, loop.LabelUnverified) {
		t.Errorf("labels %s", l)
	}
	if v := w.property().Verification; v == nil || v.State != loop.StateUnverified || len(v.Evidence) != 1 ||
		v.Evidence[0] != "9f86d08 did not reach production within 72h0m0s of the merge." {
		t.Errorf("verification recorded %+v", v)
	}

	w = newClockWorld(t, sentrysim.Step(fixMerged, sentrysim.Rate(30), sentrysim.Rate(0)))
	o = w.sweep(fixMerged.Add(4*time.Hour), Config{}, Deps{Deploys: []Deploys{&fakeDeploys{}}})
	if o.Result() != ResultVerified || !o.Clock.NoDeploys {
		t.Fatalf("no deployments ever: %s (%s), want verified from the merge", o.Result(), o.Reason)
	}
	if got := Sentence(o.Evidence[0], o.Clock, verify.Params{Threshold: 1, Window: time.Hour, Windows: 3, Timeout: 72 * time.Hour}); !strings.Contains(got, "no deployments recorded for production, so counting from the merge") {
		t.Errorf("sentence %q", got)
	}
}

// verify_from deploy waits even where no deployment was ever recorded.
func TestFromDeployAlwaysWaits(t *testing.T) {
	w := newClockWorld(t, sentrysim.Step(fixMerged, sentrysim.Rate(30), sentrysim.Rate(0)))
	src := &fakeDeploys{}
	o := w.sweep(fixMerged.Add(4*time.Hour), Config{From: verify.FromDeploy, Environment: "eu-prod"}, Deps{Deploys: []Deploys{src}})
	if o.Result() != ResultWaiting || !strings.Contains(o.Reason, "to reach eu-prod") {
		t.Fatalf("%s (%s), want waiting for eu-prod", o.Result(), o.Reason)
	}
	if len(src.environments) == 0 || src.environments[0] != "eu-prod" {
		t.Errorf("asked for %v, want deploy_environment eu-prod", src.environments)
	}
}

func labelsOf(t *testing.T, js *jirasim.Server, key string) string {
	t.Helper()
	is, ok := js.Issue(key)
	if !ok {
		t.Fatalf("no %s", key)
	}
	return strings.Join(is.Labels, " ")
}

// A sweep that finds the deploy and verifies in the same run writes the
// property twice (the deploy, then the claim with the verification): the
// second write must keep the first.
func TestADeployFoundAndVerifiedInOneSweepStaysRecorded(t *testing.T) {
	w := newClockWorld(t, sentrysim.Step(fixDeployed, sentrysim.Rate(30), sentrysim.Rate(0)))
	src := &fakeDeploys{dep: productionDeploy, known: true}
	o := w.sweep(fixDeployed.Add(4*time.Hour), Config{}, Deps{Deploys: []Deploys{src}})
	if o.Result() != ResultVerified {
		t.Fatalf("%s (%s), want verified", o.Result(), o.Reason)
	}
	if p := w.property(); p.Deploy == nil || *p.Deploy != *productionDeploy || p.Verification == nil || p.Closing == nil {
		t.Errorf("property: deploy %+v, verification %+v, claim %+v; want all three", p.Deploy, p.Verification, p.Closing)
	}
}

// A source that has recorded no deployment to the environment for a merge
// has none for a later merge either; an earlier merge, another
// environment, repository, project or source is asked again.
func TestNoDeploysIsRememberedForLaterMergesOnly(t *testing.T) {
	var n noDeploys
	q := DeployQuery{Repo: "acme/api", Environment: "production", Since: fixMerged, Projects: []SentryProject{{Org: "acme", ID: "2"}}}
	if n.knows(0, q) {
		t.Fatal("knows before learning")
	}
	n.learn(0, q)
	later, earlier := q, q
	later.Since, earlier.Since = fixMerged.Add(time.Hour), fixMerged.Add(-time.Hour)
	other := func(f func(*DeployQuery)) DeployQuery { c := q; f(&c); return c }
	for name, tt := range map[string]struct {
		source int
		q      DeployQuery
		want   bool
	}{
		"the same query":    {0, q, true},
		"a later merge":     {0, later, true},
		"an earlier merge":  {0, earlier, false},
		"another source":    {1, q, false},
		"another env":       {0, other(func(c *DeployQuery) { c.Environment = "staging" }), false},
		"another repo":      {0, other(func(c *DeployQuery) { c.Repo = "acme/web" }), false},
		"another project":   {0, other(func(c *DeployQuery) { c.Projects = []SentryProject{{Org: "acme", ID: "3"}} }), false},
		"no Sentry project": {0, other(func(c *DeployQuery) { c.Projects = nil }), false},
	} {
		if got := n.knows(tt.source, tt.q); got != tt.want {
			t.Errorf("%s: knows = %v, want %v", name, got, tt.want)
		}
	}
}
