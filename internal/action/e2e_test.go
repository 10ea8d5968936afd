package action

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/fixproof/fixproof/internal/sim"
	"github.com/fixproof/fixproof/internal/sim/githubsim"
	"github.com/fixproof/fixproof/internal/sim/jirasim"
)

var flavors = []struct {
	name   string
	flavor jirasim.Flavor
	api    string
}{
	{"cloud", jirasim.Cloud, "/rest/api/3"},
	{"datacenter", jirasim.DataCenter, "/rest/api/2"},
}

// reviewPR names OPS-1 in the title, WEB-2 in the branch, OPS-3 in a
// commit, and has a merge commit naming WEB-99 (someone else's work).
func reviewPR() githubsim.PullRequest {
	return githubsim.PullRequest{
		Title:       "OPS-1: stop the login crash",
		HeadRefName: "feature/web-2-null-session",
		Body:        "Fixes the crash.\n\n```\nOPS-77 in a code block is ignored\n```\n<!-- OPS-78 in a comment too -->",
		Commits: []githubsim.Commit{
			{Message: "guard against a nil session"},
			{Message: "OPS-3 add a regression test"},
			{Message: "Merge branch 'main' (WEB-99)", ParentCount: 2},
		},
	}
}

func TestOpenedPullRequestMovesIssuesToInReview(t *testing.T) {
	for _, f := range flavors {
		t.Run(f.name, func(t *testing.T) {
			w := newWorld(t, f.flavor)
			w.issue("OPS-1", "Open")
			w.issue("WEB-2", "In Progress")
			w.issue("OPS-3", "In Review")
			w.issue("WEB-99", "Open")
			w.issue("OPS-77", "Open")
			pr := w.pr(reviewPR())

			o := w.run("pull_request", w.event("pull_request/opened.payload.json", pr))
			if o.err != nil {
				t.Fatalf("run: %v\n%s", o.err, o.stdout)
			}
			for key, want := range map[string]string{"OPS-1": "In Review", "WEB-2": "In Review", "OPS-3": "In Review", "WEB-99": "Open", "OPS-77": "Open"} {
				if got := w.status(key); got != want {
					t.Errorf("%s is %s, want %s", key, got, want)
				}
			}
			// OPS-1 has no direct transition to In Review: it walks through In Progress.
			if is, _ := w.jira.Issue("OPS-1"); strings.Join(is.History, " > ") != "Open > In Progress > In Review" {
				t.Errorf("OPS-1 history %v, want Open > In Progress > In Review", is.History)
			}
			if got := o.outputs["issue_keys"]; got != "OPS-1 WEB-2 OPS-3" {
				t.Errorf("issue_keys = %q, want title, branch, commit order without merge commits", got)
			}
			if o.outputs["transitioned"] != "OPS-1 WEB-2" || o.outputs["skipped"] != "OPS-3" || o.outputs["failed"] != "" {
				t.Errorf("outputs %v", o.outputs)
			}
			res := o.results(t)
			if r := res["OPS-1"]; r.From != "Open" || r.To != "In Review" || r.Action != Transitioned || !strings.Contains(r.Reason, "via In Progress") {
				t.Errorf("OPS-1 result %+v", r)
			}
			if r := res["OPS-3"]; r.Action != Skipped || r.Reason != "already In Review" {
				t.Errorf("OPS-3 result %+v", r)
			}
			for _, key := range []string{"OPS-1", "WEB-2", "OPS-3"} {
				is, _ := w.jira.Issue(key)
				if len(is.Comments) != 1 || len(is.RemoteLinks) != 1 {
					t.Errorf("%s has %d comments and %d remote links, want 1 and 1", key, len(is.Comments), len(is.RemoteLinks))
					continue
				}
				body := commentText(is.Comments[0])
				if !strings.Contains(body, "OPS-1: stop the login crash") || !strings.Contains(body, pr.URL) {
					t.Errorf("%s comment does not name the PR: %s", key, body)
				}
				if f.flavor == jirasim.Cloud && !strings.Contains(body, `"type":"doc"`) {
					t.Errorf("Cloud comment is not ADF: %s", body)
				}
				if f.flavor == jirasim.DataCenter && strings.Contains(body, `"type":"doc"`) {
					t.Errorf("Data Center comment is ADF: %s", body)
				}
				if is.RemoteLinks[0].GlobalID != pr.URL {
					t.Errorf("%s remote link globalId %q, want the PR URL", key, is.RemoteLinks[0].GlobalID)
				}
			}
			if !strings.Contains(o.summary, "| [OPS-1](") || !strings.Contains(o.summary, "| Open | In Review | transitioned") {
				t.Errorf("step summary lacks the OPS-1 row:\n%s", o.summary)
			}
		})
	}
}

func TestRerunChangesNothingAndPostsNothingTwice(t *testing.T) {
	for _, f := range flavors {
		t.Run(f.name, func(t *testing.T) {
			w := newWorld(t, f.flavor)
			w.issue("OPS-1", "Open")
			w.issue("WEB-2", "In Progress")
			w.issue("OPS-3", "In Review")
			pr := w.pr(reviewPR())
			ev := w.event("pull_request/opened.payload.json", pr)
			if o := w.run("pull_request", ev); o.err != nil {
				t.Fatal(o.err)
			}
			w.jira.Control.Reset()
			w.env = map[string]string{"GITHUB_RUN_ATTEMPT": "2"} // Re-run jobs
			o := w.run("pull_request", ev)
			if o.err != nil {
				t.Fatal(o.err)
			}
			if o.outputs["transitioned"] != "" || o.outputs["skipped"] != "OPS-1 WEB-2 OPS-3" {
				t.Errorf("second run outputs %v", o.outputs)
			}
			writes := w.jira.Control.CountPrefix("POST "+f.api+"/issue/") + w.jira.Control.CountPrefix("PUT "+f.api+"/issue/")
			if writes != 0 {
				t.Errorf("second run made %d writes to Jira: %v", writes, w.jira.Control.Routes())
			}
			// One search, then one read of each issue's comments.
			if n := w.jira.Control.Total(); n != 1+3 {
				t.Errorf("second run made %d Jira requests, want 4: %v", n, w.jira.Control.Routes())
			}
			for _, key := range []string{"OPS-1", "WEB-2", "OPS-3"} {
				if is, _ := w.jira.Issue(key); len(is.Comments) != 1 || len(is.RemoteLinks) != 1 {
					t.Errorf("%s: %d comments, %d links after a re-run, want 1 and 1", key, len(is.Comments), len(is.RemoteLinks))
				}
			}
		})
	}
}

func TestReadyEventsMoveToInReview(t *testing.T) {
	for _, file := range []string{"opened.payload.json", "reopened.payload.json", "ready_for_review.payload.json", "ready_for_review.with-installation.payload.json"} {
		t.Run(file, func(t *testing.T) {
			w := newWorld(t, jirasim.Cloud)
			w.issue("OPS-1", "In Progress")
			pr := w.pr(githubsim.PullRequest{Title: "OPS-1", HeadRefName: "x"})
			if o := w.run("pull_request", w.event("pull_request/"+file, pr)); o.err != nil || w.status("OPS-1") != "In Review" {
				t.Errorf("err %v, OPS-1 %s", o.err, w.status("OPS-1"))
			}
		})
	}
}

func TestDraftsAreInProgress(t *testing.T) {
	w := newWorld(t, jirasim.Cloud)
	w.issue("OPS-1", "Open")
	w.issue("OPS-2", "In Review")
	pr := w.pr(githubsim.PullRequest{Title: "OPS-1 OPS-2 wip", IsDraft: true, HeadRefName: "wip"})

	o := w.run("pull_request", w.event("pull_request/opened.payload.json", pr))
	if o.err != nil {
		t.Fatal(o.err)
	}
	if w.status("OPS-1") != "In Progress" || w.status("OPS-2") != "In Progress" {
		t.Errorf("opened as draft: OPS-1 %s, OPS-2 %s, want In Progress", w.status("OPS-1"), w.status("OPS-2"))
	}

	// Ready for review, then back to draft.
	pr.IsDraft = false
	pr = w.pr(pr)
	if o := w.run("pull_request", w.event("pull_request/ready_for_review.payload.json", pr)); o.err != nil {
		t.Fatal(o.err)
	}
	if w.status("OPS-1") != "In Review" {
		t.Errorf("ready_for_review: OPS-1 %s", w.status("OPS-1"))
	}
	pr.IsDraft = true
	pr = w.pr(pr)
	if o := w.run("pull_request", w.event("pull_request/converted_to_draft.payload.json", pr)); o.err != nil {
		t.Fatal(o.err)
	}
	if w.status("OPS-1") != "In Progress" {
		t.Errorf("converted_to_draft: OPS-1 %s, want In Progress", w.status("OPS-1"))
	}
	// The comment follows the PR's state, edited in place.
	is, _ := w.jira.Issue("OPS-1")
	if len(is.Comments) != 1 || !strings.Contains(commentText(is.Comments[0]), "draft") {
		t.Errorf("want one comment saying draft, got %d: %s", len(is.Comments), is.Comments)
	}
}

func TestMergedPullRequestMovesIssuesToDone(t *testing.T) {
	for _, f := range flavors {
		t.Run(f.name, func(t *testing.T) {
			w := newWorld(t, f.flavor)
			w.issue("OPS-1", "In Review")
			w.issue("OPS-2", "Open")
			pr := w.pr(githubsim.PullRequest{Title: "OPS-1 and OPS-2", HeadRefName: "fix", State: "MERGED"})
			o := w.run("pull_request", w.event("pull_request/closed.payload.json", pr))
			if o.err != nil {
				t.Fatalf("%v\n%s", o.err, o.stdout)
			}
			if w.status("OPS-1") != "Done" {
				t.Errorf("OPS-1 %s, want Done", w.status("OPS-1"))
			}
			// Open -> In Progress -> In Review -> Done: the full three hops.
			if is, _ := w.jira.Issue("OPS-2"); strings.Join(is.History, " > ") != "Open > In Progress > In Review > Done" {
				t.Errorf("OPS-2 history %v", is.History)
			}
			is, _ := w.jira.Issue("OPS-1")
			if !strings.Contains(commentText(is.Comments[0]), "merged") || len(is.RemoteLinks) != 1 {
				t.Errorf("comment %s, links %d", is.Comments[0].Body, len(is.RemoteLinks))
			}
		})
	}
}

func TestClosedWithoutMergeReopensButNeverUndoesDone(t *testing.T) {
	w := newWorld(t, jirasim.Cloud)
	w.issue("OPS-1", "In Review")
	w.issue("OPS-2", "Done")
	pr := w.pr(githubsim.PullRequest{Title: "OPS-1 OPS-2", HeadRefName: "x", State: "CLOSED"})
	o := w.run("pull_request", w.event("pull_request/closed.payload.json", pr))
	if o.err != nil {
		t.Fatal(o.err)
	}
	if w.status("OPS-1") != "Open" {
		t.Errorf("OPS-1 %s, want Open", w.status("OPS-1"))
	}
	if w.status("OPS-2") != "Done" {
		t.Errorf("OPS-2 %s: a closed PR must not reopen a done issue", w.status("OPS-2"))
	}
	if r := o.results(t)["OPS-2"]; r.Action != Skipped || !strings.Contains(r.Reason, "done") {
		t.Errorf("OPS-2 result %+v", r)
	}
}

func TestSynchronizeMovesOnlyNewlyAddedKeys(t *testing.T) {
	w := newWorld(t, jirasim.Cloud)
	w.issue("OPS-1", "Open")
	w.issue("OPS-2", "Open")
	pr := w.pr(githubsim.PullRequest{Title: "OPS-1 fix", HeadRefName: "fix", Commits: []githubsim.Commit{{Message: "first"}}})
	if o := w.run("pull_request", w.event("pull_request/opened.payload.json", pr)); o.err != nil {
		t.Fatal(o.err)
	}
	pr.Commits = append(pr.Commits, githubsim.Commit{Message: "also fixes OPS-2"})
	pr = w.pr(pr)
	o := w.run("pull_request", w.event("pull_request/synchronize.payload.json", pr))
	if o.err != nil {
		t.Fatal(o.err)
	}
	if o.outputs["transitioned"] != "OPS-2" || o.outputs["skipped"] != "OPS-1" {
		t.Errorf("outputs %v, want only OPS-2 moved", o.outputs)
	}
	if w.status("OPS-2") != "In Review" {
		t.Errorf("OPS-2 %s", w.status("OPS-2"))
	}
}

func TestEditedTitleKeepsOneCommentEditedInPlace(t *testing.T) {
	w := newWorld(t, jirasim.Cloud)
	w.issue("OPS-1", "In Review")
	pr := w.pr(githubsim.PullRequest{Title: "OPS-1 first title", HeadRefName: "x"})
	if o := w.run("pull_request", w.event("pull_request/opened.payload.json", pr)); o.err != nil {
		t.Fatal(o.err)
	}
	pr.Title = "OPS-1 better title"
	pr = w.pr(pr)
	ev := w.event("pull_request/opened.payload.json", pr)
	ev["action"] = "edited" // octokit has no edited example; the envelope is the same.
	if o := w.run("pull_request", ev); o.err != nil {
		t.Fatal(o.err)
	}
	is, _ := w.jira.Issue("OPS-1")
	if len(is.Comments) != 1 || !strings.Contains(commentText(is.Comments[0]), "better title") {
		t.Errorf("want one comment with the new title, got %d: %s", len(is.Comments), is.Comments)
	}
	if len(is.RemoteLinks) != 1 || !strings.Contains(string(is.RemoteLinks[0].Object), "better title") {
		t.Errorf("want the remote link updated in place: %v", is.RemoteLinks)
	}
}

func TestMergedRevertReopensTheRevertedKeys(t *testing.T) {
	w := newWorld(t, jirasim.Cloud)
	w.issue("OPS-1", "Done")
	w.issue("OPS-2", "Done")
	w.pr(githubsim.PullRequest{Number: 7, Title: "OPS-1 fix the crash", HeadRefName: "fix/ops-2", State: "MERGED"})
	revert := w.pr(githubsim.PullRequest{Number: 9, Title: `Revert "OPS-1 fix the crash"`, HeadRefName: "revert-7-fix/ops-2",
		Body: "Reverts " + repoFull + "#7", State: "MERGED"})
	o := w.run("pull_request", w.event("pull_request/closed.payload.json", revert))
	if o.err != nil {
		t.Fatalf("%v\n%s", o.err, o.stdout)
	}
	for _, key := range []string{"OPS-1", "OPS-2"} {
		if w.status(key) != "Open" {
			t.Errorf("%s %s, want Open after the revert", key, w.status(key))
		}
		is, _ := w.jira.Issue(key)
		if len(is.Comments) != 1 || !strings.Contains(commentText(is.Comments[0]), "reverted") {
			t.Errorf("%s: want a comment about the revert, got %s", key, is.Comments)
		}
	}
	if got := o.outputs["issue_keys"]; got != "OPS-1 OPS-2" {
		t.Errorf("issue_keys %q: the reverted PR's keys (title and branch)", got)
	}
}

func TestWorkflowDispatch(t *testing.T) {
	t.Run("pr_number applies the PR's state", func(t *testing.T) {
		w := newWorld(t, jirasim.Cloud)
		w.issue("OPS-1", "In Review")
		w.pr(githubsim.PullRequest{Number: 12, Title: "OPS-1", HeadRefName: "x", State: "MERGED"})
		o := w.run("workflow_dispatch", w.dispatchEvent(), "pr_number", "12")
		if o.err != nil || w.status("OPS-1") != "Done" {
			t.Fatalf("err %v, OPS-1 %s\n%s", o.err, w.status("OPS-1"), o.stdout)
		}
	})
	t.Run("issue_keys and target_status move exactly those", func(t *testing.T) {
		w := newWorld(t, jirasim.Cloud)
		w.issue("OPS-1", "Done")
		w.issue("OPS-2", "In Progress")
		o := w.run("workflow_dispatch", w.dispatchEvent(), "issue_keys", "ops-1 OPS-2", "target_status", "in_review")
		if o.err != nil {
			t.Fatal(o.err)
		}
		// A person asked: a done issue may move back (Done -> Open -> In Progress -> In Review).
		if w.status("OPS-1") != "In Review" || w.status("OPS-2") != "In Review" {
			t.Errorf("OPS-1 %s, OPS-2 %s", w.status("OPS-1"), w.status("OPS-2"))
		}
		if is, _ := w.jira.Issue("OPS-1"); len(is.Comments) != 0 {
			t.Errorf("a key dispatch has no PR to comment about, got %d comments", len(is.Comments))
		}
	})
}

func (w *world) dispatchEvent() map[string]any {
	return w.event("workflow_dispatch/payload.json", githubsim.PullRequest{})
}

func TestOtherEventsAreANotice(t *testing.T) {
	w := newWorld(t, jirasim.Cloud)
	for _, ev := range []struct{ name, file string }{{"push", "push/payload.json"}, {"pull_request", "pull_request/labeled.payload.json"}} {
		var payload map[string]any
		if ev.file != "" {
			payload = w.event(ev.file, githubsim.PullRequest{Number: prNumber, Title: "OPS-1"})
		}
		w.pr(githubsim.PullRequest{Title: "OPS-1", HeadRefName: "x"})
		o := w.run(ev.name, payload)
		if o.err != nil || !strings.Contains(o.stdout, "::notice::") {
			t.Errorf("%s: err %v, stdout %q: want a notice and success", ev.name, o.err, o.stdout)
		}
	}
	if n := w.jira.Control.Total(); n != 0 {
		t.Errorf("ignored events made %d Jira requests", n)
	}
}

func TestUnknownKeysAreSkippedNotFound(t *testing.T) {
	for _, f := range flavors {
		t.Run(f.name, func(t *testing.T) {
			w := newWorld(t, f.flavor)
			w.issue("OPS-1", "Open")
			pr := w.pr(githubsim.PullRequest{Title: "OPS-1 OPS-404 NOPE-1 WEB-5", HeadRefName: "x"})
			o := w.run("pull_request", w.event("pull_request/opened.payload.json", pr), "jira_projects", "OPS,NOPE")
			if o.err != nil {
				t.Fatalf("%v\n%s", o.err, o.stdout)
			}
			res := o.results(t)
			for _, key := range []string{"OPS-404", "NOPE-1"} {
				if r := res[key]; r.Action != Skipped || r.Reason != "not found" {
					t.Errorf("%s: %+v, want skipped: not found", key, r)
				}
			}
			if _, ok := res["WEB-5"]; ok {
				t.Error("WEB-5 is outside jira_projects and must be dropped")
			}
			if w.status("OPS-1") != "In Review" {
				t.Errorf("OPS-1 %s: the missing keys must not stop the others", w.status("OPS-1"))
			}
			// Jira names the missing keys in its 400; one retry without them.
			if n := w.jira.Control.CountPrefix("POST " + f.api + "/search"); n != 2 {
				t.Errorf("%d searches, want 2", n)
			}
		})
	}
}

func TestDryRunChangesNothing(t *testing.T) {
	w := newWorld(t, jirasim.Cloud)
	w.issue("OPS-1", "In Progress")
	pr := w.pr(githubsim.PullRequest{Title: "OPS-1", HeadRefName: "x"})
	o := w.run("pull_request", w.event("pull_request/opened.payload.json", pr), "dry_run", "true")
	if o.err != nil {
		t.Fatal(o.err)
	}
	if w.status("OPS-1") != "In Progress" {
		t.Errorf("dry run moved OPS-1 to %s", w.status("OPS-1"))
	}
	if r := o.results(t)["OPS-1"]; r.Action != Planned || r.To != "In Review" {
		t.Errorf("dry run result %+v", r)
	}
	writes := w.jira.Control.CountPrefix("POST /rest/api/3/issue/") + w.jira.Control.CountPrefix("PUT /rest/api/3/issue/")
	if writes != 0 {
		t.Errorf("dry run wrote %d times: %v", writes, w.jira.Control.Routes())
	}
}

func TestUnreachableStatusFailsWithAnActionableMessage(t *testing.T) {
	wf := jirasim.Workflow{
		Statuses: []jirasim.Status{{ID: "1", Name: "Open", Category: "new"}, {ID: "2", Name: "Blocked", Category: "indeterminate"},
			{ID: "3", Name: "In Review", Category: "indeterminate"}, {ID: "4", Name: "Won't Do", Category: "done"}},
		Transitions: []jirasim.Transition{{ID: "11", Name: "Give up", From: []string{"Blocked"}, To: "Won't Do"},
			{ID: "12", Name: "Review", From: []string{"Open"}, To: "In Review"}},
	}
	for _, failOnError := range []bool{true, false} {
		t.Run(fmt.Sprint("fail_on_error=", failOnError), func(t *testing.T) {
			w := newWorld(t, jirasim.Cloud)
			w.jira.AddProject("SEC", "Security", wf)
			w.issue("SEC-1", "Blocked")
			w.issue("OPS-1", "In Progress")
			pr := w.pr(githubsim.PullRequest{Title: "SEC-1 OPS-1", HeadRefName: "x"})
			o := w.run("pull_request", w.event("pull_request/opened.payload.json", pr), "fail_on_error", fmt.Sprint(failOnError))
			if failOnError != errors.Is(o.err, ErrFailed) {
				t.Errorf("err = %v with fail_on_error %v", o.err, failOnError)
			}
			want := "status In Review or Code Review or Review is not reachable from Blocked; reachable: Won't Do in SEC"
			if !strings.Contains(o.stdout, "::error::SEC-1: "+want) {
				t.Errorf("no actionable annotation; stdout:\n%s", o.stdout)
			}
			if o.outputs["failed"] != "SEC-1" || o.outputs["transitioned"] != "OPS-1" {
				t.Errorf("outputs %v: one failure must not stop the others", o.outputs)
			}
		})
	}
}

func TestJiraRateLimitsAndOutagesAreRetried(t *testing.T) {
	w := newWorld(t, jirasim.Cloud)
	w.issue("OPS-1", "In Progress")
	w.jira.Control.Inject(sim.Fault{PathPrefix: "/rest/api/3/search/jql", Status: 429, RetryAfter: "1", Times: 2})
	w.jira.Control.Inject(sim.Fault{PathPrefix: "/rest/api/3/issue/OPS-1/transitions", Status: 503, Times: 2})
	pr := w.pr(githubsim.PullRequest{Title: "OPS-1", HeadRefName: "x"})
	o := w.run("pull_request", w.event("pull_request/opened.payload.json", pr))
	if o.err != nil {
		t.Fatalf("%v\n%s", o.err, o.stdout)
	}
	if w.status("OPS-1") != "In Review" {
		t.Errorf("OPS-1 %s", w.status("OPS-1"))
	}
	if n := w.jira.Control.Count("POST /rest/api/3/search/jql"); n != 3 {
		t.Errorf("search sent %d times, want 3 (two 429s)", n)
	}
	if !strings.Contains(o.stdout, "retrying POST /rest/api/3/search/jql after 1s (429)") {
		t.Errorf("retries are not logged:\n%s", o.stdout)
	}
}

func TestBadCredentialsFailFastNamingTheInputs(t *testing.T) {
	w := newWorld(t, jirasim.Cloud)
	w.issue("OPS-1", "Open")
	pr := w.pr(githubsim.PullRequest{Title: "OPS-1", HeadRefName: "x"})
	o := w.run("pull_request", w.event("pull_request/opened.payload.json", pr), "jira_api_token", "wrong")
	if o.err == nil || !strings.Contains(o.err.Error(), "check jira_email and jira_api_token") {
		t.Fatalf("err = %v", o.err)
	}
	if n := w.jira.Control.Total(); n != 1 {
		t.Errorf("%d Jira requests: a 401 must not be retried", n)
	}
	o = w.run("pull_request", w.event("pull_request/opened.payload.json", pr), "github_token", "ghs_wrong")
	if o.err == nil || !strings.Contains(o.err.Error(), "check github_token") {
		t.Fatalf("err = %v", o.err)
	}
}

func TestSecretsAreMaskedBeforeAnythingIsPrinted(t *testing.T) {
	w := newWorld(t, jirasim.Cloud)
	w.issue("OPS-1", "Open")
	pr := w.pr(githubsim.PullRequest{Title: "OPS-1", HeadRefName: "x"})
	o := w.run("pull_request", w.event("pull_request/opened.payload.json", pr))
	lines := strings.Split(o.stdout, "\n")
	masks := 0
	for _, l := range lines {
		if !strings.HasPrefix(l, "::add-mask::") {
			break
		}
		masks++
	}
	if masks != 4 { // github_token, jira_email, jira_api_token, sentry_token
		t.Errorf("stdout starts with %d mask commands, want 4:\n%s", masks, o.stdout)
	}
	rest := strings.Join(lines[masks:], "\n") + o.summary + fmt.Sprint(o.outputs)
	for _, s := range []string{ghToken, jiraToken, sentryTok} {
		if strings.Contains(rest, s) {
			t.Errorf("secret %q printed after masking", s)
		}
	}
}

func TestPullRequestTextCannotForgeOutputsOrCommands(t *testing.T) {
	w := newWorld(t, jirasim.Cloud)
	w.issue("OPS-1", "Open")
	evil := "OPS-1\nfailed<<EOF\nOPS-9\nEOF\n::set-output name=transitioned::pwned\n::add-mask::x | @admin [~admin] {code}"
	pr := w.pr(githubsim.PullRequest{Title: evil, HeadRefName: "x", Body: "ghadelimiter_1\n::error::forged"})
	o := w.run("pull_request", w.event("pull_request/opened.payload.json", pr))
	if o.err != nil {
		t.Fatal(o.err)
	}
	if o.outputs["failed"] != "" || o.outputs["transitioned"] != "OPS-1" {
		t.Errorf("outputs forged: %v", o.outputs)
	}
	for _, l := range strings.Split(o.stdout, "\n") {
		if strings.HasPrefix(l, "::set-output") || strings.HasPrefix(l, "::error::forged") || l == "::add-mask::x | @admin [~admin] {code}" {
			t.Errorf("PR text became a workflow command: %q", l)
		}
	}
	if strings.Contains(o.summary, "@admin") || strings.Contains(o.summary, "\n::") {
		t.Errorf("PR text reached the summary unescaped:\n%s", o.summary)
	}
}

func TestLongPullRequestsArePagedByGraphQL(t *testing.T) {
	w := newWorld(t, jirasim.Cloud)
	w.issue("OPS-1", "Open")
	w.issue("OPS-300", "Open")
	w.issue("OPS-500", "Open")
	commits := make([]githubsim.Commit, 300)
	for i := range commits {
		commits[i] = githubsim.Commit{Message: fmt.Sprintf("step %d", i)}
	}
	commits[0].Message = "OPS-1 start"
	commits[299].Message = "OPS-300 finish" // only on the third page
	commits[150] = githubsim.Commit{Message: "Merge main into OPS-500 work", ParentCount: 2}
	pr := w.pr(githubsim.PullRequest{Title: "big", HeadRefName: "x", Commits: commits})

	o := w.run("pull_request", w.event("pull_request/opened.payload.json", pr))
	if o.err != nil {
		t.Fatal(o.err)
	}
	if o.outputs["issue_keys"] != "OPS-1 OPS-300" {
		t.Errorf("issue_keys %q", o.outputs["issue_keys"])
	}
	if n := len(w.gql.Queries()); n != 3 {
		t.Errorf("%d GraphQL round trips for 300 commits, want 3", n)
	}
	o = w.run("pull_request", w.event("pull_request/opened.payload.json", pr), "key_sources", "commits,merge_commits")
	if o.err != nil || o.outputs["issue_keys"] != "OPS-1 OPS-500 OPS-300" {
		t.Errorf("with merge_commits: issue_keys %q, err %v", o.outputs["issue_keys"], o.err)
	}
}

func TestNullBodyEventIsHandled(t *testing.T) {
	w := newWorld(t, jirasim.Cloud)
	w.issue("OPS-1", "Open")
	pr := w.pr(githubsim.PullRequest{Title: "OPS-1", HeadRefName: "x"})
	ev := w.event("pull_request/opened.with-null-body.json", pr)
	ev["pull_request"].(map[string]any)["body"] = nil
	if o := w.run("pull_request", ev); o.err != nil || w.status("OPS-1") != "In Review" {
		t.Errorf("err %v, OPS-1 %s", o.err, w.status("OPS-1"))
	}
}

// commentText is a comment's body as a test wants to search it: the ADF
// JSON as stored (Cloud), or the wiki markup without its escapes (Data
// Center).
func commentText(c jirasim.Comment) string {
	var wiki string
	if json.Unmarshal(c.Body, &wiki) != nil {
		return string(c.Body)
	}
	return unescapeWiki(wiki)
}

// unescapeWiki drops wiki markup's backslash escapes.
func unescapeWiki(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
