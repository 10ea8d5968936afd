package action

import (
	"strings"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/loop"
	"github.com/fixproof/fixproof/internal/sim/jirasim"
	"github.com/fixproof/fixproof/internal/sim/sentrysim"
)

// Night falls at the merge: traffic halves and the errors halve with it,
// from 100 an hour in 10,000 sessions to 50 in 5,000. The fix did nothing:
// per 1,000 sessions the rate is 10 before and after. A count rule (50 an
// hour is below a threshold of 60) would call it fixed; the rate does not,
// and says so early: the fix is proved not to cut the rate.
func TestErrorsThatFallWithTrafficAreNotAFix(t *testing.T) {
	w := newWorld(t, jirasim.Cloud)
	w.sentryIssue("101", sentrysim.Step(mergedAt, sentrysim.Rate(100), sentrysim.Rate(50)))
	w.sentry.SetSessions("api", "production", sentrysim.Step(mergedAt, sentrysim.Rate(10000), sentrysim.Rate(5000)))
	w.mergeFix("OPS-1", 7, "101")

	o := w.sweepAt(mergedAt.Add(6*time.Hour), "error_rate_threshold", "60")
	if o.err != nil {
		t.Fatalf("%v\n%s", o.err, o.stdout)
	}
	if o.outputs["jira_closed"] != "" || o.outputs["unverified"] != "OPS-1" {
		t.Fatalf("outputs %v, want OPS-1 unverified (not fixed) and nothing closed\n%s", o.outputs, o.stdout)
	}
	is, _ := w.jira.Issue("OPS-1")
	p, _ := loop.ParseProperty(is.Properties["fixproof"])
	if p.Verification == nil || len(p.Verification.Evidence) != 1 ||
		!strings.HasPrefix(p.Verification.Evidence[0], "Errors did not fall: 100% of the rate before, per 1,000 sessions") {
		t.Errorf("evidence %+v, want the rate per 1,000 sessions unchanged", p.Verification)
	}
	if s, _ := w.sentry.Issue("101"); s.Status == "resolved" {
		t.Error("a fix proved not to work resolved its Sentry issue")
	}
}

// A real fix on the same night: errors stop while traffic halves. Per
// 1,000 sessions the rate fell to nothing and the evidence says so in
// sessions, and the fix verifies.
func TestAFixVerifiesPerThousandSessions(t *testing.T) {
	w := newWorld(t, jirasim.Cloud)
	w.sentryIssue("101", noisyUntilMerge())
	w.sentry.SetSessions("api", "production", sentrysim.Step(mergedAt, sentrysim.Rate(10000), sentrysim.Rate(5000)))
	w.mergeFix("OPS-1", 7, "101")
	o := w.sweepAt(afterFour)
	if o.err != nil || o.outputs["jira_closed"] != "OPS-1" {
		t.Fatalf("%v %v\n%s", o.err, o.outputs, o.stdout)
	}
	is, _ := w.jira.Issue("OPS-1")
	p, _ := loop.ParseProperty(is.Properties["fixproof"])
	if p.Verification == nil || !strings.HasPrefix(p.Verification.Evidence[0], "Errors fell 100% per 1,000 sessions (95% CI") {
		t.Errorf("evidence %+v", p.Verification)
	}
}

// Without session data, auto divides by transactions; rate_basis events
// ignores traffic.
func TestAutoFallsBackToTransactionsThenEvents(t *testing.T) {
	for _, tt := range []struct {
		basis, want string
		traffic     bool
	}{
		{"auto", "per 1,000 transactions", true},
		{"events", "per hour", true},
		{"auto", "per hour", false},
	} {
		w := newWorld(t, jirasim.Cloud)
		w.sentryIssue("101", noisyUntilMerge())
		if tt.traffic {
			w.sentry.SetTransactions("api", "production", sentrysim.Rate(20000))
		}
		w.mergeFix("OPS-1", 7, "101")
		if o := w.sweepAt(afterFour, "rate_basis", tt.basis); o.err != nil || o.outputs["jira_closed"] != "OPS-1" {
			t.Fatalf("%s: %v %v\n%s", tt.basis, o.err, o.outputs, o.stdout)
		}
		is, _ := w.jira.Issue("OPS-1")
		p, _ := loop.ParseProperty(is.Properties["fixproof"])
		if p.Verification == nil || !strings.Contains(p.Verification.Evidence[0], tt.want) {
			t.Errorf("rate_basis %s (transactions %v): evidence %+v, want %q", tt.basis, tt.traffic, p.Verification, tt.want)
		}
	}
}

// A Sentry release holding the merge commit, deployed to production at
// 14:00, starts the clock when GitHub records no deployments.
func TestASentryReleaseDeployStartsTheClock(t *testing.T) {
	w := newWorld(t, jirasim.Cloud)
	w.sentryIssue("101", sentrysim.Step(deployedAt, sentrysim.Rate(30), sentrysim.Rate(0)))
	w.sentry.AddRelease(sentrysim.Release{Version: "shop@1.4.2", Projects: []string{"api"}, Created: deployedAt.Add(-time.Hour), Commits: []string{mergeSHA}})
	w.sentry.AddDeploy("shop@1.4.2", sentrysim.Deploy{Environment: "production", Finished: deployedAt})
	w.mergeFix("OPS-1", 7, "101")
	o := w.sweepAt(deployedAt.Add(3*time.Hour + 5*time.Minute))
	if o.err != nil || o.outputs["jira_closed"] != "OPS-1" {
		t.Fatalf("%v %v\n%s", o.err, o.outputs, o.stdout)
	}
	is, _ := w.jira.Issue("OPS-1")
	p, _ := loop.ParseProperty(is.Properties["fixproof"])
	if p.Deploy == nil || p.Deploy.Source != loop.DeploySourceSentry || p.Deploy.Ref != "release shop@1.4.2" || p.Deploy.At != "2026-11-20T14:00:00Z" {
		t.Errorf("deploy %+v", p.Deploy)
	}
	if !strings.Contains(p.Verification.Evidence[0], "reached production at Nov 20 14:00 UTC (Sentry release shop@1.4.2)") {
		t.Errorf("evidence %q", p.Verification.Evidence)
	}
}

// Traffic is read once per project and environment in a sweep, whatever
// the number of issues dividing by it.
func TestTrafficIsReadOncePerProjectPerSweep(t *testing.T) {
	w := newWorld(t, jirasim.Cloud)
	w.sentryIssue("101", noisyUntilMerge())
	w.sentryIssue("102", noisyUntilMerge())
	w.sentry.SetSessions("api", "production", sentrysim.Rate(10000))
	w.mergeFix("OPS-1", 7, "101")
	w.mergeFix("OPS-2", 8, "102")
	w.sentry.Control.Reset()
	if o := w.sweepAt(afterFour); o.err != nil || o.outputs["jira_closed"] != "OPS-1 OPS-2" {
		t.Fatalf("%v %v\n%s", o.err, o.outputs, o.stdout)
	}
	if n := w.sentry.Control.CountPrefix("GET /api/0/organizations/acme/sessions/"); n != 1 {
		t.Errorf("%d sessions requests for two issues of one project, want 1", n)
	}
}

// An error that fired about once a day cannot prove a cut in any number of
// quiet hours: it is judged by the threshold over the whole timeout, and
// the waiting reason and the evidence say so.
func TestARareErrorIsJudgedByTheThresholdOverTheTimeout(t *testing.T) {
	w := newWorld(t, jirasim.Cloud)
	w.sentry.AddIssue(sentrysim.Issue{ID: "101", ShortID: "API-101", Title: "RangeError", Project: "api", FirstSeen: mergedAt.Add(-7 * 24 * time.Hour)})
	w.sentry.SetTimeline("101", sentrysim.Step(mergedAt, sentrysim.Rate(0.05), sentrysim.Rate(0)))
	w.mergeFix("OPS-1", 7, "101")
	o := w.sweepAt(afterFour)
	if o.err != nil || o.outputs["skipped"] != "OPS-1" || !strings.Contains(o.stdout, "too few errors before") {
		t.Fatalf("rare error after 3 quiet hours: %v %v\n%s", o.err, o.outputs, o.stdout)
	}
	o = w.sweepAt(mergedAt.Add(168*time.Hour + 2*time.Hour))
	if o.err != nil || o.outputs["jira_closed"] != "OPS-1" {
		t.Fatalf("after the timeout: %v %v\n%s", o.err, o.outputs, o.stdout)
	}
	is, _ := w.jira.Issue("OPS-1")
	p, _ := loop.ParseProperty(is.Properties["fixproof"])
	if p.Verification == nil || !strings.Contains(p.Verification.Evidence[0], "Too few errors before the fix to prove a cut (") ||
		!strings.Contains(p.Verification.Evidence[0], "so judged by the threshold of 1 per hour over the whole 7d: 0 errors in the ") ||
		strings.Contains(p.Verification.Evidence[0], "(0 errors in") {
		t.Errorf("evidence %+v", p.Verification)
	}
}
