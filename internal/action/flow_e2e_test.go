package action

import (
	"strings"
	"testing"

	"github.com/fixproof/fixproof/internal/sim/githubsim"
	"github.com/fixproof/fixproof/internal/sim/jirasim"
)

// A workflow whose only way from Blocked to In Review passes Done: the
// action must not resolve the issue in passing, even though Done is a
// status the done stage names.
func TestTheActionNeverStepsThroughDoneOnTheWay(t *testing.T) {
	wf := jirasim.Workflow{
		Statuses: []jirasim.Status{{ID: "1", Name: "Blocked", Category: "indeterminate"},
			{ID: "2", Name: "Done", Category: "done"}, {ID: "3", Name: "In Review", Category: "indeterminate"}},
		Transitions: []jirasim.Transition{{ID: "11", Name: "Resolve", From: []string{"Blocked"}, To: "Done"},
			{ID: "12", Name: "Review again", From: []string{"Done"}, To: "In Review"}},
	}
	w := newWorld(t, jirasim.Cloud)
	w.jira.AddProject("SEC", "Security", wf)
	w.issue("SEC-1", "Blocked")
	pr := w.pr(githubsim.PullRequest{Title: "SEC-1 fix", HeadRefName: "x"})
	o := w.run("pull_request", w.event("pull_request/opened.payload.json", pr), "fail_on_error", "false")
	if o.err != nil {
		t.Fatal(o.err)
	}
	if is, _ := w.jira.Issue("SEC-1"); is.Status != "Blocked" || len(is.History) > 1 {
		t.Errorf("SEC-1 went %s: it must stay Blocked rather than pass Done", strings.Join(is.History, " > "))
	}
	if r := o.results(t)["SEC-1"]; r.Action != Failed || !strings.Contains(r.Reason, "not reachable from Blocked; reachable: Done") {
		t.Errorf("SEC-1 result %+v, want failed: not reachable", r)
	}
}
