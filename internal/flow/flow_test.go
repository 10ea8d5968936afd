package flow

import (
	"github.com/fixproof/fixproof/internal/loop"

	"errors"
	"testing"
)

func TestForPullRequestMapsEventsToStages(t *testing.T) {
	open := PR{State: "OPEN"}
	draft := PR{State: "OPEN", IsDraft: true}
	merged := PR{State: "MERGED"}
	closed := PR{State: "CLOSED"}
	tests := []struct {
		action string
		pr     PR
		revert bool
		want   loop.Stage
		rev    bool
		ignore bool
	}{
		{"opened", open, false, loop.InReview, false, false},
		{"reopened", open, false, loop.InReview, false, false},
		{"ready_for_review", open, false, loop.InReview, false, false},
		{"opened", draft, false, loop.InProgress, false, false},
		{"converted_to_draft", draft, false, loop.InProgress, false, false},
		{"synchronize", open, false, loop.InReview, false, false},
		{"synchronize", draft, false, loop.InProgress, false, false},
		{"edited", open, false, loop.InReview, false, false},
		{"closed", merged, false, loop.Done, false, false},
		{"closed", closed, false, loop.Open, false, false},
		{"closed", merged, true, loop.Open, true, false},
		// A revert that is still open is an ordinary PR: its keys go to review.
		{"opened", open, true, loop.InReview, false, false},
		// The PR state wins over a stale action.
		{"opened", merged, false, loop.Done, false, false},
		{"labeled", open, false, loop.None, false, true},
		{"assigned", open, false, loop.None, false, true},
	}
	for _, tt := range tests {
		got := ForPullRequest(tt.action, tt.pr, tt.revert)
		if got.Target != tt.want || got.Revert != tt.rev || got.Ignore != tt.ignore {
			t.Errorf("ForPullRequest(%q, %+v, revert=%v) = %+v, want target %v revert %v ignore %v", tt.action, tt.pr, tt.revert, got, tt.want, tt.rev, tt.ignore)
		}
		if got.Ignore && got.Reason == "" {
			t.Errorf("ignored action %q has no reason for the notice", tt.action)
		}
	}
}

func TestRevertOfRecognisesGitHubRevertPullRequests(t *testing.T) {
	tests := []struct {
		title, body, repo string
		want              int
		ok                bool
	}{
		{`Revert "OPS-1 fix the thing"`, "Reverts acme/api#42", "acme/api", 42, true},
		{`Revert "OPS-1 fix the thing"`, "Reverts acme/api#42\n\nbecause it broke prod", "acme/api", 42, true},
		{`Revert "OPS-1 fix the thing"`, "Reverts ACME/Api#42", "acme/api", 42, true},
		{`Revert "x"`, "Some text\nReverts acme/api#7", "acme/api", 7, true},
		{`Revert "x"`, "Reverts other/repo#42", "acme/api", 0, false},
		{`Revert "x"`, "no marker", "acme/api", 0, false},
		{`Revert x`, "Reverts acme/api#42", "acme/api", 0, false},
		{`OPS-1 Revert "x"`, "Reverts acme/api#42", "acme/api", 0, false},
		{`Revert "x"`, "Reverts acme/api#0", "acme/api", 0, false},
		{`Revert "x"`, "It Reverts acme/api#42", "acme/api", 0, false},
	}
	for _, tt := range tests {
		got, ok := RevertOf(tt.title, tt.body, tt.repo)
		if got != tt.want || ok != tt.ok {
			t.Errorf("RevertOf(%q, %q) = %d %v, want %d %v", tt.title, tt.body, got, ok, tt.want, tt.ok)
		}
	}
}

func TestDecideSkipsIssuesAlreadyThereAndNeverReopensDone(t *testing.T) {
	review := []string{"In Review", "Code Review"}
	open := []string{"Open", "To Do"}
	tests := []struct {
		name     string
		is       Issue
		target   []string
		fromDone bool
		want     Verdict
	}{
		{"moves from open", Issue{"OPS-1", "Open", "new"}, review, false, Move},
		{"already there", Issue{"OPS-1", "In Review", "indeterminate"}, review, false, Skip},
		{"already there, any candidate, any case", Issue{"OPS-1", "code review", "indeterminate"}, review, false, Skip},
		{"done is not reopened by a PR", Issue{"OPS-1", "Done", "done"}, review, false, Skip},
		{"done is not sent back to open by a closed PR", Issue{"OPS-1", "Closed", "done"}, open, false, Skip},
		{"revert reopens done", Issue{"OPS-1", "Done", "done"}, open, true, Move},
		{"revert skips an issue already open", Issue{"OPS-1", "To Do", "new"}, open, true, Skip},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, reason := Decide(tt.is, tt.target, tt.fromDone)
			if got != tt.want {
				t.Errorf("Decide = %v (%s), want %v", got, reason, tt.want)
			}
			if got == Skip && reason == "" {
				t.Error("a skip must say why")
			}
		})
	}
}

var statuses = loop.Statuses{
	loop.Open:       {"Open", "To Do", "Reopened", "Backlog"},
	loop.InProgress: {"In Progress"},
	loop.InReview:   {"In Review", "Code Review", "Review"},
	loop.Done:       {"Done", "Resolved"},
	loop.Closed:     {"Closed"},
}

func opt(id, to, cat string) loop.Transition {
	return loop.Transition{ID: id, Name: "go " + to, To: to, ToCategory: cat}
}

func TestNextHopChoosesByTargetStatusNotTransitionName(t *testing.T) {
	options := []loop.Transition{
		{ID: "1", Name: "In Review", To: "Blocked", ToCategory: "indeterminate"},
		{ID: "2", Name: "Submit", To: "In Review", ToCategory: "indeterminate"},
	}
	got, final, err := NextHop("In Progress", options, statuses[loop.InReview], loop.InReview, statuses, nil)
	if err != nil || !final || got.ID != "2" {
		t.Fatalf("NextHop = %+v final=%v err=%v, want transition 2 (to In Review)", got, final, err)
	}
}

func TestNextHop(t *testing.T) {
	tests := []struct {
		name    string
		current string
		options []loop.Transition
		stage   loop.Stage
		visited []string
		wantID  string
		final   bool
		err     bool
	}{
		{"first candidate that is reachable wins", "In Progress",
			[]loop.Transition{opt("1", "Code Review", "indeterminate"), opt("2", "Review", "indeterminate")}, loop.InReview, nil, "1", true, false},
		{"candidate order beats option order", "In Progress",
			[]loop.Transition{opt("1", "Review", "indeterminate"), opt("2", "In Review", "indeterminate")}, loop.InReview, nil, "2", true, false},
		{"status names match case-insensitively", "In Progress",
			[]loop.Transition{opt("1", "IN REVIEW", "indeterminate")}, loop.InReview, nil, "1", true, false},
		{"steps through in progress to reach review", "Open",
			[]loop.Transition{opt("1", "In Progress", "indeterminate"), opt("2", "Won't Do", "done")}, loop.InReview, nil, "1", false, false},
		{"never steps through done", "Open",
			[]loop.Transition{opt("2", "Won't Do", "done")}, loop.InReview, nil, "", false, true},
		// loop.Done and Resolved are statuses the done stage names: stepping
		// through one on the way would resolve the issue in passing.
		{"never steps through a done status a stage names, from an unknown status", "Blocked",
			[]loop.Transition{opt("1", "Done", "done")}, loop.InReview, nil, "", false, true},
		{"never steps through a done status a stage names, on the way to closed", "In Review",
			[]loop.Transition{opt("1", "Resolved", "done")}, loop.Closed, nil, "", false, true},
		{"steps round a done status when another way exists", "Blocked",
			[]loop.Transition{opt("1", "Resolved", "done"), opt("2", "In Progress", "indeterminate")}, loop.InReview, nil, "2", false, false},
		{"never steps through an unknown status", "Open",
			[]loop.Transition{opt("3", "Blocked", "indeterminate")}, loop.InReview, nil, "", false, true},
		{"prefers the step closest to the target", "Open",
			[]loop.Transition{opt("1", "In Progress", "indeterminate"), opt("2", "In Review", "indeterminate")}, loop.Done, nil, "2", false, false},
		{"does not go back to a visited status", "In Progress",
			[]loop.Transition{opt("1", "Open", "new")}, loop.InReview, []string{"Open"}, "", false, true},
		{"does not step backwards when moving forwards", "In Progress",
			[]loop.Transition{opt("1", "Open", "new")}, loop.InReview, nil, "", false, true},
		{"from an unknown status any stage may be a step", "Blocked",
			[]loop.Transition{opt("1", "In Progress", "indeterminate")}, loop.InReview, nil, "1", false, false},
		{"backwards for a revert: done to open through review", "Done",
			[]loop.Transition{opt("1", "In Review", "indeterminate")}, loop.Open, nil, "1", false, false},
		{"backwards may reopen past the target: done to review through open", "Done",
			[]loop.Transition{opt("1", "Open", "new"), opt("2", "Closed", "done")}, loop.InReview, nil, "1", false, false},
		{"backwards prefers the step closest to the target", "Done",
			[]loop.Transition{opt("1", "Open", "new"), opt("2", "In Progress", "indeterminate")}, loop.InReview, nil, "2", false, false},
		{"backwards never steps forwards", "In Review",
			[]loop.Transition{opt("1", "Done", "done")}, loop.Open, nil, "", false, true},
		{"done target may be reached directly even though it is done", "In Review",
			[]loop.Transition{opt("1", "Done", "done")}, loop.Done, nil, "1", true, false},
		{"closed follows done directly", "Done",
			[]loop.Transition{opt("1", "Closed", "done"), opt("2", "Open", "new")}, loop.Closed, nil, "1", true, false},
		{"closed is never reached through a reopen", "Done",
			[]loop.Transition{opt("2", "Open", "new")}, loop.Closed, nil, "", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, final, err := NextHop(tt.current, tt.options, statuses[tt.stage], tt.stage, statuses, tt.visited)
			if (err != nil) != tt.err {
				t.Fatalf("err = %v, want error %v", err, tt.err)
			}
			if got.ID != tt.wantID || final != tt.final {
				t.Errorf("NextHop = %+v final=%v, want id %q final=%v", got, final, tt.wantID, tt.final)
			}
		})
	}
}

func TestNotReachableSaysWhatIsReachable(t *testing.T) {
	_, _, err := NextHop("Blocked", []loop.Transition{opt("1", "In Progress", "indeterminate"), opt("2", "Won't Do", "done")},
		[]string{"In Review"}, loop.InReview, loop.Statuses{loop.InReview: {"In Review"}}, []string{"In Progress"})
	var nr *NotReachableError
	if !errors.As(err, &nr) {
		t.Fatalf("err = %v, want NotReachableError", err)
	}
	want := "status In Review is not reachable from Blocked; reachable: In Progress, Won't Do"
	if err.Error() != want {
		t.Errorf("message\n got %q\nwant %q", err.Error(), want)
	}
}

func TestParseStage(t *testing.T) {
	for in, want := range map[string]loop.Stage{"in_review": loop.InReview, "In Review": loop.InReview, "in-progress": loop.InProgress, "DONE": loop.Done, " open ": loop.Open, "closed": loop.Closed} {
		if got, ok := loop.ParseStage(in); !ok || got != want {
			t.Errorf("ParseStage(%q) = %v %v, want %v", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "none", "QA"} {
		if _, ok := loop.ParseStage(in); ok {
			t.Errorf("ParseStage(%q) accepted, want rejected", in)
		}
	}
}
