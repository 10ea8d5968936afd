package action

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/loop"
	"github.com/fixproof/fixproof/internal/sentrylink"
	"github.com/fixproof/fixproof/internal/sim"
	"github.com/fixproof/fixproof/internal/sim/githubsim"
	"github.com/fixproof/fixproof/internal/sim/jirasim"
	"github.com/fixproof/fixproof/internal/sim/sentrysim"
)

// The fix merges at 10:20, inside the 10:00 window, so the first whole
// window after it is 11:00-12:00 and three quiet windows end at 14:00.
var (
	mergedAt  = time.Date(2026, 11, 20, 10, 20, 0, 0, time.UTC)
	mergeSHA  = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b"
	afterFour = mergedAt.Add(3*time.Hour + 45*time.Minute) // 14:05
)

// sentryIssue adds a Sentry issue whose error rate follows tl.
func (w *world) sentryIssue(id string, tl sentrysim.Timeline) {
	w.sentry.AddIssue(sentrysim.Issue{ID: id, ShortID: "API-" + id, Title: "TypeError: session is null", Project: "api"})
	w.sentry.SetTimeline(id, tl)
}

func (w *world) sentryLink(id string) string {
	return sentrylink.IssueURL(w.sentryURL, sentrylink.Link{Org: sentryOrg, IssueID: id})
}

// noisyUntilMerge is 30 errors an hour until the fix, none after.
func noisyUntilMerge() sentrysim.Timeline {
	return sentrysim.Step(mergedAt, sentrysim.Rate(30), sentrysim.Rate(0))
}

// mergeFix merges a PR fixing key, which the bot linked to the Sentry
// issues ids (remote links), and runs the PR action on it.
func (w *world) mergeFix(key string, number int, ids ...string) {
	w.t.Helper()
	w.issue(key, "In Review")
	for _, id := range ids {
		if err := w.jira.AddRemoteLink(key, w.sentryLink(id), "API-"+id); err != nil {
			w.t.Fatal(err)
		}
	}
	at := mergedAt
	pr := w.pr(githubsim.PullRequest{Number: number, Title: key + ": stop the crash", HeadRefName: "fix", State: "MERGED", MergedAt: &at, MergeCommitOID: mergeSHA,
		CreatedAt: mergedAt.Add(-40 * time.Minute)})
	w.clock.Set(mergedAt.Add(time.Minute))
	if o := w.run("pull_request", w.event("pull_request/closed.payload.json", pr)); o.err != nil {
		w.t.Fatalf("merge: %v\n%s", o.err, o.stdout)
	}
}

func (w *world) sweepAt(at time.Time, in ...string) outcome {
	w.t.Helper()
	w.clock.Set(at)
	return w.run("schedule", nil, in...)
}

func (w *world) labels(key string) []string {
	is, _ := w.jira.Issue(key)
	return is.Labels
}

func (w *world) jiraWrites(api string) int {
	return w.jira.Control.CountPrefix("POST "+api+"/issue/") + w.jira.Control.CountPrefix("PUT "+api+"/issue/") +
		w.jira.Control.CountPrefix("DELETE "+api+"/issue/")
}

func TestMergedFixIsVerifiedAndTheLoopCloses(t *testing.T) {
	for _, f := range flavors {
		t.Run(f.name, func(t *testing.T) {
			w := newWorld(t, f.flavor)
			w.sentryIssue("101", noisyUntilMerge())
			w.mergeFix("OPS-1", 7, "101")

			// The merge put the issue under watch.
			if w.status("OPS-1") != "Done" || !slices.Contains(w.labels("OPS-1"), "fixproof-verify") {
				t.Fatalf("after the merge: %s %v", w.status("OPS-1"), w.labels("OPS-1"))
			}
			is, _ := w.jira.Issue("OPS-1")
			var prop loop.Property
			if err := json.Unmarshal(is.Properties["fixproof"], &prop); err != nil || prop.Merge == nil ||
				prop.Merge.Commit != mergeSHA || prop.Merge.At != "2026-11-20T10:20:00Z" || prop.Merge.Repo != repoFull || prop.Merge.PR != 7 ||
				prop.Merge.OpenedAt != "2026-11-20T09:40:00Z" {
				t.Fatalf("merge not recorded: %s", is.Properties["fixproof"])
			}

			// Two whole windows later: still waiting. The first sweep learns
			// the Sentry issue's project and records it in the property, the
			// one write; the next sweep writes nothing and reads no issue.
			w.jira.Control.Reset()
			o := w.sweepAt(mergedAt.Add(2*time.Hour + 10*time.Minute))
			if o.err != nil || o.outputs["jira_closed"] != "" || o.outputs["skipped"] != "OPS-1" {
				t.Fatalf("early sweep: %v %v\n%s", o.err, o.outputs, o.stdout)
			}
			if n := w.jiraWrites(f.api); n != 1 {
				t.Errorf("the first waiting sweep wrote to Jira %d times, want 1 (the project): %v", n, w.jira.Control.Routes())
			}
			is, _ = w.jira.Issue("OPS-1")
			if err := json.Unmarshal(is.Properties["fixproof"], &prop); err != nil || len(prop.Sentry) != 1 || string(prop.Sentry[0].Project) != w.sentry.ProjectID("api") {
				t.Errorf("project not recorded: %s", is.Properties["fixproof"])
			}
			w.jira.Control.Reset()
			w.sentry.Control.Reset()
			o = w.sweepAt(mergedAt.Add(2*time.Hour + 20*time.Minute))
			if o.err != nil || o.outputs["skipped"] != "OPS-1" {
				t.Fatalf("second early sweep: %v %v\n%s", o.err, o.outputs, o.stdout)
			}
			if n := w.jiraWrites(f.api); n != 0 {
				t.Errorf("a waiting sweep wrote to Jira %d times: %v", n, w.jira.Control.Routes())
			}
			if n := w.sentry.Control.Count("GET /api/0/organizations/acme/issues/101/"); n != 0 {
				t.Errorf("a waiting sweep read the Sentry issue %d times, want 0: %v", n, w.sentry.Control.Routes())
			}
			if s, _ := w.sentry.Issue("101"); s.Updates != 0 {
				t.Error("a waiting sweep touched Sentry")
			}

			// Three quiet windows: verified. The first run to close it posts
			// its comments without looking for earlier ones (none can exist).
			w.jira.Control.Reset()
			w.gh.Control.Reset()
			o = w.sweepAt(afterFour)
			if o.err != nil {
				t.Fatalf("%v\n%s", o.err, o.stdout)
			}
			if n := w.jira.Control.Count("GET " + f.api + "/issue/OPS-1/comment"); n != 0 {
				t.Errorf("the closing sweep read the Jira comments %d times, want none: %v", n, w.jira.Control.Routes())
			}
			if n := w.gh.Control.CountPrefix("GET /repos/"); n != 0 {
				t.Errorf("the closing sweep read the PR comments %d times, want none: %v", n, w.gh.Control.Routes())
			}
			if o.outputs["jira_closed"] != "OPS-1" || o.outputs["sentry_resolved"] != "101" || o.outputs["unverified"] != "" {
				t.Errorf("outputs %v", o.outputs)
			}
			if w.status("OPS-1") != "Closed" || slices.Contains(w.labels("OPS-1"), "fixproof-verify") {
				t.Errorf("Jira: %s %v", w.status("OPS-1"), w.labels("OPS-1"))
			}
			s, _ := w.sentry.Issue("101")
			if s.Status != "resolved" || s.ResolvedInCommit == nil || s.Updates != 1 {
				t.Errorf("Sentry: %+v", s)
			}
			is, _ = w.jira.Issue("OPS-1")
			var verified []string
			for _, c := range is.Comments {
				if text := commentText(c); strings.Contains(text, "Verified in production") {
					verified = append(verified, text)
				}
			}
			// 30 an hour until 10:20, none since: the evidence sentence with
			// the exact bounds (0 after in 3h against 30 in the hour
			// before), and the counts per window on each side.
			if len(verified) != 1 || !strings.Contains(verified[0], "0, 0, 0") || !strings.Contains(verified[0], "30") ||
				!strings.Contains(verified[0], "Errors fell 100% per hour (95% CI 96% to 100%) in the 3h since 9f86d08 merged at Nov 20 10:20 UTC; no deployments recorded for production, so counting from the merge.") {
				t.Errorf("want one evidence comment with counts before and after, got %q", verified)
			}
			prc := w.gh.Comments(repoOwner, repoName, 7)
			if len(prc) != 1 || !strings.Contains(prc[0].Body, "Verified in production") || !strings.Contains(prc[0].Body, "xychart-beta") {
				t.Errorf("PR comments %+v", prc)
			}
			if !strings.Contains(o.summary, "| 1 | 0 | 0 | 0 | 0 | 1 |") {
				t.Errorf("summary counts:\n%s", o.summary)
			}

			// The loop is closed: the next sweep has nothing to do.
			w.jira.Control.Reset()
			o = w.sweepAt(afterFour.Add(time.Hour))
			if o.err != nil || o.outputs["issue_keys"] != "" || w.jiraWrites(f.api) != 0 {
				t.Errorf("after closing: %v %v", o.err, o.outputs)
			}
		})
	}
}

func TestStillNoisyIsUnverifiedAfterTheTimeout(t *testing.T) {
	w := newWorld(t, jirasim.Cloud)
	w.sentryIssue("101", sentrysim.Rate(30))
	w.mergeFix("OPS-1", 7, "101")

	if o := w.sweepAt(afterFour); o.err != nil || o.outputs["skipped"] != "OPS-1" {
		t.Fatalf("noisy, before the timeout: %v %v", o.err, o.outputs)
	}
	o := w.sweepAt(mergedAt.Add(168*time.Hour + time.Minute))
	if o.err != nil || o.outputs["unverified"] != "OPS-1" || o.outputs["jira_closed"] != "" {
		t.Fatalf("at the timeout: %v %v\n%s", o.err, o.outputs, o.stdout)
	}
	if l := w.labels("OPS-1"); !slices.Contains(l, "fixproof-unverified") || slices.Contains(l, "fixproof-verify") {
		t.Errorf("labels %v", l)
	}
	if s, _ := w.sentry.Issue("101"); s.Status != "unresolved" || s.Updates != 0 {
		t.Errorf("an unverified fix must not resolve anything: %+v", s)
	}
	if w.status("OPS-1") != "Done" {
		t.Errorf("status %s", w.status("OPS-1"))
	}
	is, _ := w.jira.Issue("OPS-1")
	if last := commentText(is.Comments[len(is.Comments)-1]); !strings.Contains(last, "Not verified") {
		t.Errorf("comment %q", last)
	}
	if prc := w.gh.Comments(repoOwner, repoName, 7); len(prc) != 1 || !strings.Contains(prc[0].Body, "Not verified") {
		t.Errorf("PR comments %+v", prc)
	}
}

func TestEveryLinkedSentryIssueMustVerify(t *testing.T) {
	w := newWorld(t, jirasim.Cloud)
	w.sentryIssue("101", noisyUntilMerge())
	w.sentryIssue("102", sentrysim.Rate(5))
	w.mergeFix("OPS-1", 7, "101", "102")
	o := w.sweepAt(afterFour)
	if o.err != nil || o.outputs["jira_closed"] != "" || o.outputs["skipped"] != "OPS-1" {
		t.Fatalf("%v %v", o.err, o.outputs)
	}
	for _, id := range []string{"101", "102"} {
		if s, _ := w.sentry.Issue(id); s.Updates != 0 {
			t.Errorf("Sentry %s was touched although 102 is still noisy", id)
		}
	}
	if !strings.Contains(o.stdout, "::debug::OPS-1: waiting: acme/102: ") {
		t.Errorf("the debug log should say OPS-1 waits on the noisy issue:\n%s", o.stdout)
	}
}

func TestSentryIssueResolvedByAPersonStillClosesJira(t *testing.T) {
	w := newWorld(t, jirasim.Cloud)
	w.sentryIssue("101", sentrysim.Rate(30))
	w.mergeFix("OPS-1", 7, "101")
	w.sentry.SetStatus("101", "resolved")
	o := w.sweepAt(mergedAt.Add(30 * time.Minute))
	if o.err != nil || o.outputs["jira_closed"] != "OPS-1" || o.outputs["sentry_resolved"] != "" {
		t.Fatalf("%v %v\n%s", o.err, o.outputs, o.stdout)
	}
	if s, _ := w.sentry.Issue("101"); s.Updates != 0 {
		t.Error("an issue a person resolved must not be resolved again")
	}
	if w.status("OPS-1") != "Closed" {
		t.Errorf("status %s", w.status("OPS-1"))
	}
}

// TestResolvedByAPersonIsFoundInOneListPerSweep: once the property
// records each Sentry issue's project, a sweep reads no issue of its own
// to learn which were resolved by a person: it lists the organization's
// resolved issues once, and the list describes them for the comments.
func TestResolvedByAPersonIsFoundInOneListPerSweep(t *testing.T) {
	w := newWorld(t, jirasim.Cloud)
	w.sentryIssue("101", sentrysim.Rate(30))
	w.sentryIssue("102", sentrysim.Rate(30))
	w.mergeFix("OPS-1", 7, "101")
	w.mergeFix("OPS-2", 8, "102")
	if o := w.sweepAt(mergedAt.Add(20 * time.Minute)); o.err != nil || o.outputs["skipped"] != "OPS-1 OPS-2" {
		t.Fatalf("first sweep: %v %v\n%s", o.err, o.outputs, o.stdout)
	}
	w.sentry.SetStatus("101", "resolved")
	w.sentry.Control.Reset()
	o := w.sweepAt(mergedAt.Add(30 * time.Minute))
	if o.err != nil || o.outputs["jira_closed"] != "OPS-1" || o.outputs["skipped"] != "OPS-2" || o.outputs["sentry_resolved"] != "" {
		t.Fatalf("%v %v\n%s", o.err, o.outputs, o.stdout)
	}
	if n := w.sentry.Control.Count("GET /api/0/organizations/acme/issues/"); n != 1 {
		t.Errorf("the resolved list was read %d times, want once: %v", n, w.sentry.Control.Routes())
	}
	if n := w.sentry.Control.Count("GET /api/0/organizations/acme/issues/101/"); n != 0 {
		t.Errorf("the resolved issue was read %d times, want none (the list describes it): %v", n, w.sentry.Control.Routes())
	}
	is, _ := w.jira.Issue("OPS-1")
	if len(is.Comments) == 0 || !strings.Contains(string(is.Comments[len(is.Comments)-1].Body), "API-101") {
		t.Errorf("the verified comment does not name the Sentry issue as the list described it: %+v", is.Comments)
	}
	if n := w.sentry.Control.Count("GET /api/0/organizations/acme/issues/102/"); n != 0 {
		t.Errorf("the waiting issue was read %d times, want none: %v", n, w.sentry.Control.Routes())
	}
	if s, _ := w.sentry.Issue("101"); s.Updates != 0 {
		t.Error("an issue a person resolved must not be resolved again")
	}
}

func TestMissingSentryIssueIsReportedAndJiraStaysOpen(t *testing.T) {
	w := newWorld(t, jirasim.Cloud)
	w.sentryIssue("101", noisyUntilMerge())
	w.mergeFix("OPS-1", 7, "101", "999")
	o := w.sweepAt(afterFour)
	if !errors.Is(o.err, ErrFailed) || o.outputs["failed"] != "OPS-1" {
		t.Fatalf("err %v outputs %v", o.err, o.outputs)
	}
	if !strings.Contains(o.stdout, "::error::OPS-1: Sentry issue acme/999 does not exist (404)") {
		t.Errorf("no annotation:\n%s", o.stdout)
	}
	if w.status("OPS-1") != "Done" || !slices.Contains(w.labels("OPS-1"), "fixproof-verify") {
		t.Errorf("Jira must stay as it was: %s %v", w.status("OPS-1"), w.labels("OPS-1"))
	}
	if o := w.sweepAt(afterFour, "fail_on_error", "false"); o.err != nil {
		t.Errorf("with fail_on_error false the step succeeds: %v", o.err)
	}
}

func TestSweepRidesOutJiraRateLimits(t *testing.T) {
	w := newWorld(t, jirasim.Cloud)
	w.sentryIssue("101", noisyUntilMerge())
	w.mergeFix("OPS-1", 7, "101")
	w.jira.Control.Inject(sim.Fault{PathPrefix: "/rest/api/3/search/jql", Status: 429, RetryAfter: "0", Times: 3})
	w.jira.Control.Inject(sim.Fault{PathPrefix: "/rest/api/3/issue/OPS-1/transitions", Status: 429, RetryAfter: "0", Times: 2})
	w.sentry.Control.Inject(sim.Fault{PathPrefix: "/api/0/organizations/acme/events-timeseries/", Status: 429, Times: 2,
		Header: map[string][]string{"X-Sentry-Rate-Limit-Reset": {fmt.Sprint(afterFour.Unix())}}})
	o := w.sweepAt(afterFour)
	if o.err != nil || o.outputs["jira_closed"] != "OPS-1" {
		t.Fatalf("%v %v\n%s", o.err, o.outputs, o.stdout)
	}
	if n := w.jira.Control.Count("POST /rest/api/3/search/jql"); n < 4 {
		t.Errorf("search sent %d times, want the 3 refusals retried", n)
	}
}

func TestTwoSweepsAtOnceCloseOnceAndPostOnce(t *testing.T) {
	w := newWorld(t, jirasim.Cloud)
	w.sentryIssue("101", noisyUntilMerge())
	w.mergeFix("OPS-1", 7, "101")
	w.clock.Set(afterFour)
	w.jira.Control.Reset()
	w.jira.Control.SetLatency(10 * time.Millisecond)
	var wg sync.WaitGroup
	outs := make([]outcome, 2)
	for i := range outs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[i] = w.run("schedule", nil)
		}()
	}
	wg.Wait()
	// Both sweeps must have tried to claim the issue, or the test proves
	// nothing about the race.
	if n := w.jira.Control.Count("POST /rest/api/3/issue/OPS-1/transitions"); n != 2 {
		t.Errorf("%d transition attempts, want 2 (one wins, one is refused)", n)
	}
	closed := 0
	for _, o := range outs {
		if o.err != nil {
			t.Errorf("%v\n%s", o.err, o.stdout)
		}
		if o.outputs["jira_closed"] == "OPS-1" {
			closed++
		}
	}
	if closed != 1 {
		t.Errorf("%d sweeps say they closed OPS-1, want exactly 1", closed)
	}
	if s, _ := w.sentry.Issue("101"); s.Updates != 1 || s.Status != "resolved" {
		t.Errorf("Sentry %+v: want resolved once", s)
	}
	is, _ := w.jira.Issue("OPS-1")
	n := 0
	for _, c := range is.Comments {
		if strings.Contains(commentText(c), "Verified in production") {
			n++
		}
	}
	if n != 1 || len(w.gh.Comments(repoOwner, repoName, 7)) != 1 || w.status("OPS-1") != "Closed" {
		t.Errorf("%d Jira evidence comments, %d PR comments, status %s", n, len(w.gh.Comments(repoOwner, repoName, 7)), w.status("OPS-1"))
	}
}

func TestASweepThatDiesHalfWayIsFinishedByTheNext(t *testing.T) {
	w := newWorld(t, jirasim.Cloud)
	w.sentryIssue("101", noisyUntilMerge())
	w.mergeFix("OPS-1", 7, "101")
	// Sentry refuses every try of the first sweep's resolve, after the
	// Jira issue has been claimed (transitioned to Closed).
	w.sentry.Control.Inject(sim.Fault{Method: "PUT", PathPrefix: "/api/0/organizations/acme/issues/101/", Status: 502, Times: fastRetry.Attempts})
	o := w.sweepAt(afterFour, "fail_on_error", "false")
	if o.outputs["failed"] != "OPS-1" || w.status("OPS-1") != "Closed" || !slices.Contains(w.labels("OPS-1"), "fixproof-verify") {
		t.Fatalf("first sweep: %v, %s %v\n%s", o.outputs, w.status("OPS-1"), w.labels("OPS-1"), o.stdout)
	}
	// The next sweep sees a claimed, closed, labelled issue and finishes.
	o = w.sweepAt(afterFour.Add(30 * time.Minute))
	if o.err != nil || o.outputs["jira_closed"] != "OPS-1" || o.outputs["sentry_resolved"] != "101" {
		t.Fatalf("second sweep: %v %v\n%s", o.err, o.outputs, o.stdout)
	}
	if s, _ := w.sentry.Issue("101"); s.Status != "resolved" || slices.Contains(w.labels("OPS-1"), "fixproof-verify") {
		t.Errorf("not finished: Sentry %s, labels %v", s.Status, w.labels("OPS-1"))
	}
	if prc := w.gh.Comments(repoOwner, repoName, 7); len(prc) != 1 {
		t.Errorf("%d PR comments", len(prc))
	}
}

// A person closing a watched issue ends the watch without resolving
// anything in Sentry: only a sweep's own claim is finished by a later one.
func TestClosedByAPersonIsReleasedNotResolved(t *testing.T) {
	w := newWorld(t, jirasim.Cloud)
	w.sentryIssue("101", sentrysim.Rate(30))
	w.mergeFix("OPS-1", 7, "101")
	if err := w.jira.SetStatus("OPS-1", "Closed"); err != nil {
		t.Fatal(err)
	}
	o := w.sweepAt(afterFour)
	if r := o.results(t)["OPS-1"]; o.err != nil || r.Action != "released" || slices.Contains(w.labels("OPS-1"), "fixproof-verify") {
		t.Errorf("%v %+v %v", o.err, r, w.labels("OPS-1"))
	}
	if s, _ := w.sentry.Issue("101"); s.Updates != 0 {
		t.Error("Sentry must not be resolved for an issue a person closed")
	}
}

func TestReopenedIssueStopsBeingWatched(t *testing.T) {
	w := newWorld(t, jirasim.Cloud)
	w.sentryIssue("101", noisyUntilMerge())
	w.mergeFix("OPS-1", 7, "101")
	if err := w.jira.SetStatus("OPS-1", "Open"); err != nil {
		t.Fatal(err)
	}
	o := w.sweepAt(afterFour)
	if o.err != nil || slices.Contains(w.labels("OPS-1"), "fixproof-verify") {
		t.Fatalf("%v labels %v", o.err, w.labels("OPS-1"))
	}
	if r := o.results(t)["OPS-1"]; r.Action != "released" || !strings.Contains(r.Reason, "reopened") {
		t.Errorf("result %+v", r)
	}
	if n := w.sentry.Control.Total(); n != 0 {
		t.Errorf("%d Sentry requests for an issue no longer watched", n)
	}
}

func TestMergeFindsSentryLinksInTheDescriptionAndProperty(t *testing.T) {
	for _, f := range flavors {
		t.Run(f.name, func(t *testing.T) {
			w := newWorld(t, f.flavor)
			w.issue("OPS-1", "In Review")
			w.issue("OPS-2", "In Review")
			w.issue("OPS-3", "In Review")
			desc := fmt.Sprintf(`{"type":"doc","version":1,"content":[{"type":"paragraph","content":[{"type":"text","text":"Sentry Issue: API-1","marks":[{"type":"link","attrs":{"href":%q}}]}]}]}`, w.sentryLink("101"))
			if f.flavor == jirasim.DataCenter {
				b, _ := json.Marshal("Sentry Issue: [API-1|" + w.sentryLink("101") + "]")
				desc = string(b)
			}
			if err := w.jira.SetDescription("OPS-1", json.RawMessage(desc)); err != nil {
				t.Fatal(err)
			}
			if err := w.jira.SetProperty("OPS-2", "fixproof", json.RawMessage(`{"sentry":[{"org":"acme","issue_id":102}]}`)); err != nil {
				t.Fatal(err)
			}
			at := mergedAt
			pr := w.pr(githubsim.PullRequest{Title: "OPS-1 OPS-2 OPS-3", HeadRefName: "x", State: "MERGED", MergedAt: &at, MergeCommitOID: mergeSHA})
			if o := w.run("pull_request", w.event("pull_request/closed.payload.json", pr)); o.err != nil {
				t.Fatal(o.err)
			}
			for key, want := range map[string]bool{"OPS-1": true, "OPS-2": true, "OPS-3": false} {
				if got := slices.Contains(w.labels(key), "fixproof-verify"); got != want {
					t.Errorf("%s labelled %v, want %v", key, got, want)
				}
			}
			is, _ := w.jira.Issue("OPS-2")
			if !strings.Contains(string(is.Properties["fixproof"]), `"issue_id":102`) || !strings.Contains(string(is.Properties["fixproof"]), mergeSHA) {
				t.Errorf("OPS-2 property lost its links or has no merge: %s", is.Properties["fixproof"])
			}
			// A re-run of the merge event writes nothing more.
			w.jira.Control.Reset()
			w.env = map[string]string{"GITHUB_RUN_ATTEMPT": "2"}
			if o := w.run("pull_request", w.event("pull_request/closed.payload.json", pr)); o.err != nil {
				t.Fatal(o.err)
			}
			if n := w.jiraWrites(f.api); n != 0 {
				t.Errorf("re-run wrote %d times: %v", n, w.jira.Control.Routes())
			}
		})
	}
}

func TestSweepNeedsSentryCredentials(t *testing.T) {
	w := newWorld(t, jirasim.Cloud)
	o := w.run("workflow_dispatch", w.dispatchEvent(), "mode", "sweep", "sentry_token", "", "sentry_org", "")
	if o.err == nil || !strings.Contains(o.stdout, "::error::input sentry_token: required to sweep") || !strings.Contains(o.stdout, "input sentry_org") {
		t.Errorf("err %v\n%s", o.err, o.stdout)
	}
}

// Closing an issue removes its label, which shifts the later pages of the
// labelled query: the sweep must still see every issue.
// A sweep of 300 issues sees every one while closing some, and gets
// through Jira Cloud's rate limit: it reads one route 300 times, three
// times its burst, so Jira answers 429 and the sweep waits as told.
func TestSweepSeesEveryIssueWhileClosingSome(t *testing.T) {
	w := buildWorld(t, jirasim.Cloud, true) // strict, without the contract checks' cost per request
	var throttled atomic.Int64
	w.transport = roundTripFunc(func(r *http.Request) (*http.Response, error) {
		res, err := http.DefaultTransport.RoundTrip(r)
		if err == nil && res.StatusCode == http.StatusTooManyRequests && r.URL.Host == hostOf(w.jiraURL) {
			throttled.Add(1)
		}
		return res, err
	})
	// Links not yet recorded: the sweep reads every issue's remote links
	// (and records them).
	arrangeSweep(t, w, 300, time.Time{})
	o := w.sweepAt(afterFour)
	if o.err != nil {
		t.Fatalf("%v\n%.3000s", o.err, o.stdout)
	}
	if closed, waiting := len(splitList(o.outputs["jira_closed"])), len(splitList(o.outputs["skipped"])); closed != 30 || waiting != 270 {
		t.Errorf("closed %d and waiting %d, want 30 and 270 of 300", closed, waiting)
	}
	if throttled.Load() == 0 {
		t.Error("Jira's rate limit never answered 429: the test does not test getting through it")
	}
}

func TestDryRunSweepChangesNothing(t *testing.T) {
	w := newWorld(t, jirasim.Cloud)
	w.sentryIssue("101", noisyUntilMerge())
	w.mergeFix("OPS-1", 7, "101")
	w.jira.Control.Reset()
	o := w.sweepAt(afterFour, "dry_run", "true")
	if o.err != nil || o.outputs["jira_closed"] != "" || o.outputs["sentry_resolved"] != "" {
		t.Fatalf("%v %v", o.err, o.outputs)
	}
	if r := o.results(t)["OPS-1"]; r.Action != "verified" || !strings.Contains(r.Reason, "dry run") {
		t.Errorf("result %+v", r)
	}
	if n := w.jiraWrites("/rest/api/3"); n != 0 || w.status("OPS-1") != "Done" {
		t.Errorf("dry run wrote %d times; status %s", n, w.status("OPS-1"))
	}
	if s, _ := w.sentry.Issue("101"); s.Updates != 0 || len(w.gh.Comments(repoOwner, repoName, 7)) != 0 {
		t.Error("dry run touched Sentry or GitHub")
	}
	if !strings.Contains(o.summary, "Dry run: nothing was changed.") {
		t.Errorf("summary:\n%s", o.summary)
	}
}

// The merge records every Sentry link it found (remote links included) in
// the property with the time it read them; sweeps within a day read no
// remote links, and a link added since is found by the first sweep a day
// later, which records it.
func TestSweepReadsRemoteLinksAtMostOnceADay(t *testing.T) {
	w := newWorld(t, jirasim.Cloud)
	w.sentryIssue("101", sentrysim.Rate(5))
	w.sentryIssue("102", noisyUntilMerge())
	w.mergeFix("OPS-1", 7, "101")
	is, _ := w.jira.Issue("OPS-1")
	prop, err := loop.ParseProperty(is.Properties["fixproof"])
	if err != nil || len(prop.Sentry) != 1 || prop.Sentry[0].IssueID != "101" || prop.LinksRead != mergedAt.Add(time.Minute).Format(time.RFC3339) {
		t.Fatalf("the merge recorded %+v, %v; want link 101 read at the merge", prop, err)
	}
	remoteReads := func() int { return w.jira.Control.CountPrefix("GET /rest/api/3/issue/OPS-1/remotelink") }

	w.jira.Control.Reset()
	if o := w.sweepAt(mergedAt.Add(2 * time.Hour)); o.err != nil {
		t.Fatal(o.err)
	}
	if n := remoteReads(); n != 0 {
		t.Errorf("a sweep within a day of the merge read remote links %d times", n)
	}

	if err := w.jira.AddRemoteLink("OPS-1", w.sentryLink("102"), "API-102"); err != nil {
		t.Fatal(err)
	}
	w.jira.Control.Reset()
	w.sentry.Control.Reset()
	o := w.sweepAt(mergedAt.Add(25 * time.Hour))
	if o.err != nil {
		t.Fatal(o.err)
	}
	if n := remoteReads(); n != 1 {
		t.Errorf("a day later the sweep read remote links %d times, want 1", n)
	}
	is, _ = w.jira.Issue("OPS-1")
	prop, _ = loop.ParseProperty(is.Properties["fixproof"])
	if len(prop.Sentry) != 2 || prop.LinksRead != mergedAt.Add(25*time.Hour).Format(time.RFC3339) {
		t.Errorf("after the daily read the property has %+v, read at %s; want both links, read now", prop.Sentry, prop.LinksRead)
	}
	if n := w.sentry.Control.CountPrefix("GET /api/0/organizations/acme/issues/102/"); n != 1 {
		t.Errorf("the sweep read the new link 102 %d times, want once: %v", n, w.sentry.Control.Routes())
	}
}
