package action

import (
	"fmt"
	"strings"
	"testing"

	"github.com/fixproof/fixproof/internal/sim"
	"github.com/fixproof/fixproof/internal/sim/jirasim"
)

// GitHub's limit on one step's outputs together, and on its summary.
const (
	maxOutputs = 1 << 20
	maxSummary = 1 << 20
)

// A release pull request naming 300 issues, against Jira Cloud's rate
// limit, moves every issue once, with one comment each, and its outputs
// and summary stay within GitHub's limits.
func TestAReleasePullRequestMovesThreeHundredIssuesOnceEach(t *testing.T) {
	w := newWorld(t, jirasim.Cloud)
	pr := releasePR(w, 300)
	o := w.run("pull_request", w.event("pull_request/opened.payload.json", pr))
	if o.err != nil {
		t.Fatalf("%v\n%s", o.err, tailOf(o.stdout, 3000))
	}
	w.assertReleaseMoved(t, o, 300)
}

// A storm of 429s from Jira in the middle of a release pull request
// fails nothing and moves nothing twice: every refused request is sent
// again once Jira allows it, and the issues handled at once shrink.
func TestA429StormInTheMiddleOfAReleaseFailsNothingAndMovesNothingTwice(t *testing.T) {
	w := newWorld(t, jirasim.Cloud)
	pr := releasePR(w, 300)
	w.jira.Control.Inject(sim.Fault{Method: "POST", PathPrefix: "/rest/api/3/issue/", Status: 429, RetryAfter: "1", Times: 150})
	w.jira.Control.Inject(sim.Fault{Method: "GET", PathPrefix: "/rest/api/3/issue/", Status: 429, RetryAfter: "1", Times: 150})
	o := w.run("pull_request", w.event("pull_request/opened.payload.json", pr))
	if o.err != nil {
		t.Fatalf("%v\n%s", o.err, tailOf(o.stdout, 3000))
	}
	w.assertReleaseMoved(t, o, 300)
	if !strings.Contains(o.stdout, "retrying POST") || !strings.Contains(o.stdout, "(429)") {
		t.Errorf("no retry of a 429 in the log:\n%s", tailOf(o.stdout, 2000))
	}
}

// assertReleaseMoved checks a release pull request's run: every key moved
// to In Review through In Progress, each with two transitions and one
// comment, and the outputs and summary within GitHub's limits.
func (w *world) assertReleaseMoved(t *testing.T, o outcome, n int) {
	t.Helper()
	res := o.results(t)
	if len(res) != n || o.outputs["failed"] != "" {
		t.Fatalf("%d results, failed %q", len(res), o.outputs["failed"])
	}
	for i := 1; i <= n; i++ {
		key := fmt.Sprintf("OPS-%d", i)
		if r := res[key]; r.Action != Transitioned || w.status(key) != "In Review" {
			t.Fatalf("%s: %+v, status %s", key, r, w.status(key))
		}
		if got := w.jira.Control.Count("POST /rest/api/3/issue/" + key + "/transitions"); got < 2 {
			t.Fatalf("%s: %d transition requests, want 2 (Open, In Progress, In Review)", key, got)
		}
		is, _ := w.jira.Issue(key)
		if len(is.Comments) != 1 || len(is.History) != 3 {
			t.Fatalf("%s: %d comments and statuses %v, want 1 and Open, In Progress, In Review", key, len(is.Comments), is.History)
		}
	}
	// The summary lists every key, grouped by what became of it.
	if !strings.Contains(o.summary, fmt.Sprintf("**transitioned to In Review** (%d): [OPS-", n)) {
		t.Errorf("the summary does not group the moves:\n%s", tailOf(o.summary, 1500))
	}
	for i := 1; i <= n; i++ {
		if !strings.Contains(o.summary, fmt.Sprintf("[OPS-%d](", i)) {
			t.Fatalf("the summary does not list OPS-%d", i)
		}
	}
	total := 0
	for _, v := range o.outputs {
		total += len(v)
	}
	if total > maxOutputs || len(o.summary) > maxSummary {
		t.Errorf("outputs %d bytes, summary %d bytes; GitHub takes %d and %d", total, len(o.summary), maxOutputs, maxSummary)
	}
}

func tailOf(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
