package flow

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/fixproof/fixproof/internal/loop"
)

// workflow is a Jira workflow in memory: from each status, the statuses a
// transition leads to. It records what it was asked.
type workflow struct {
	status   string
	edges    map[string][]string
	category map[string]string
	listed   int
	taken    []string
	fail     string // a transition to this status fails
}

func (w *workflow) Transitions(_ context.Context, _ string) ([]loop.Transition, error) {
	w.listed++
	var out []loop.Transition
	for _, to := range w.edges[w.status] {
		out = append(out, loop.Transition{ID: "to " + to, Name: "Go", To: to, ToCategory: w.category[to]})
	}
	return out, nil
}

func (w *workflow) Transition(_ context.Context, _ string, id string) error {
	to := strings.TrimPrefix(id, "to ")
	if to == w.fail {
		return errors.New("jira: transition refused")
	}
	w.taken = append(w.taken, to)
	w.status = to
	return nil
}

func simpleWorkflow() *workflow {
	return &workflow{status: "Open",
		edges:    map[string][]string{"Open": {"In Progress"}, "In Progress": {"In Review", "Open"}, "In Review": {"Done", "In Progress"}, "Done": {"Open"}},
		category: map[string]string{"Open": "new", "In Progress": "indeterminate", "In Review": "indeterminate", "Done": "done"}}
}

var walkStatuses = loop.Statuses{loop.Open: {"Open"}, loop.InProgress: {"In Progress"}, loop.InReview: {"In Review"}, loop.Done: {"Done"}}

func TestWalkTakesOneDecisionPerHop(t *testing.T) {
	w := simpleWorkflow()
	path, err := Walk(context.Background(), w, "OPS-1", "Open", nil, Goal{Target: []string{"Done"}, Stage: loop.Done, Statuses: walkStatuses})
	if err != nil || !slices.Equal(path, []string{"In Progress", "In Review", "Done"}) || w.status != "Done" {
		t.Fatalf("path %v, err %v, status %s", path, err, w.status)
	}
	if w.listed != 3 {
		t.Errorf("listed the transitions %d times, want once per hop", w.listed)
	}
}

func TestWalkUsesTheTransitionsAlreadyKnownForTheFirstHop(t *testing.T) {
	w := simpleWorkflow()
	offered, _ := w.Transitions(context.Background(), "OPS-1")
	w.listed = 0
	if _, err := Walk(context.Background(), w, "OPS-1", "Open", offered, Goal{Target: []string{"In Progress"}, Stage: loop.InProgress, Statuses: walkStatuses}); err != nil {
		t.Fatal(err)
	}
	if w.listed != 0 {
		t.Errorf("listed the transitions %d times, want none: the search had them", w.listed)
	}
}

func TestPlanChangesNothing(t *testing.T) {
	w := simpleWorkflow()
	next, err := Plan(context.Background(), w, "OPS-1", "Open", nil, Goal{Target: []string{"Done"}, Stage: loop.Done, Statuses: walkStatuses})
	if err != nil || next != "In Progress" || len(w.taken) != 0 || w.status != "Open" {
		t.Fatalf("plan %q, err %v, taken %v", next, err, w.taken)
	}
}

func TestWalkReportsWhereItStopped(t *testing.T) {
	w := simpleWorkflow()
	w.fail = "In Review"
	path, err := Walk(context.Background(), w, "OPS-1", "Open", nil, Goal{Target: []string{"Done"}, Stage: loop.Done, Statuses: walkStatuses})
	if err == nil || !slices.Equal(path, []string{"In Progress"}) {
		t.Fatalf("path %v, err %v: want the hops taken before the refused one", path, err)
	}
	w = simpleWorkflow()
	w.edges["Open"] = []string{"Blocked"}
	_, err = Walk(context.Background(), w, "OPS-1", "Open", nil, Goal{Target: []string{"Done"}, Stage: loop.Done, Statuses: walkStatuses})
	var nr *NotReachableError
	if !errors.As(err, &nr) || len(w.taken) != 0 {
		t.Fatalf("err %v, taken %v: want not reachable and nothing taken", err, w.taken)
	}
}

func TestWalkStopsAfterMaxHops(t *testing.T) {
	w := &workflow{status: "A", category: map[string]string{},
		edges: map[string][]string{"A": {"B"}, "B": {"C"}, "C": {"D"}, "D": {"Closed"}}}
	st := loop.Statuses{loop.Open: {"A"}, loop.InProgress: {"B"}, loop.InReview: {"C"}, loop.Done: {"D"}, loop.Closed: {"Closed"}}
	path, err := Walk(context.Background(), w, "OPS-1", "A", nil, Goal{Target: []string{"Closed"}, Stage: loop.Closed, Statuses: st})
	if err == nil || len(path) != MaxHops || !strings.Contains(err.Error(), "not reached from A in 3 transitions") {
		t.Fatalf("path %v, err %v", path, err)
	}
}
