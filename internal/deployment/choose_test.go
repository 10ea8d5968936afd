package deployment

import (
	"fmt"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/loop"
)

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func at(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }

func TestFirstSuccessIsTheEarliestSuccessWhateverCameAfter(t *testing.T) {
	for _, c := range []struct {
		name     string
		statuses []status
		want     int // minute of the success found; -1 for none
	}{
		{"none", nil, -1},
		{"only in progress", []status{{state: "QUEUED", at: at(1)}, {state: "IN_PROGRESS", at: at(2)}}, -1},
		{"failed", []status{{state: "IN_PROGRESS", at: at(1)}, {state: "FAILURE", at: at(2)}}, -1},
		{"error, pending, waiting", []status{{state: "ERROR", at: at(1)}, {state: "PENDING", at: at(2)}, {state: "WAITING", at: at(3)}}, -1},
		{"inactive without a success", []status{{state: "INACTIVE", at: at(1)}}, -1},
		{"succeeded", []status{{state: "IN_PROGRESS", at: at(1)}, {state: "SUCCESS", at: at(3)}}, 3},
		{"failure then success", []status{{state: "FAILURE", at: at(2)}, {state: "SUCCESS", at: at(7)}}, 7},
		{"superseded: success then inactive", []status{{state: "SUCCESS", at: at(4)}, {state: "INACTIVE", at: at(60)}}, 4},
		{"listed newest first", []status{{state: "INACTIVE", at: at(60)}, {state: "SUCCESS", at: at(9)}, {state: "SUCCESS", at: at(5)}}, 5},
	} {
		s, ok := firstSuccess(c.statuses)
		got := -1
		if ok {
			got = int(s.at.Sub(t0) / time.Minute)
		}
		if got != c.want {
			t.Errorf("%s: success at minute %d, want %d", c.name, got, c.want)
		}
	}
}

func TestCandidatesAreSucceededDeploymentsSinceTheMergeEarliestSuccessFirst(t *testing.T) {
	ok := func(min int) []status { return []status{{state: "SUCCESS", at: at(min)}} }
	deps := []deployment{
		{id: 1, createdAt: at(-30), commit: "before", statuses: ok(-25)},
		{id: 2, createdAt: at(-5), commit: "at the edge", statuses: ok(1)},
		{id: 3, createdAt: at(10), commit: "slow", statuses: ok(40)},
		{id: 4, createdAt: at(12), commit: "fast", statuses: ok(15)},
		{id: 5, createdAt: at(13), commit: "failed", statuses: []status{{state: "FAILURE", at: at(14)}}},
		{id: 6, createdAt: at(20), commit: "running", statuses: []status{{state: "IN_PROGRESS", at: at(21)}}},
		{id: 8, createdAt: at(30), commit: "same success, made later", statuses: ok(40)},
		{id: 7, createdAt: at(30), commit: "same success, lower id", statuses: ok(40)},
		{id: 9, createdAt: at(-6), commit: "just before the edge", statuses: ok(0)},
	}
	var got []int
	for _, c := range candidates(deps, at(-5)) {
		got = append(got, c.id)
	}
	if want := []int{2, 4, 3, 7, 8}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("candidates %v, want %v", got, want)
	}
	if got := candidates(nil, at(0)); len(got) != 0 {
		t.Errorf("no deployments: %v", got)
	}
}

func TestOnlyIdenticalOrAheadContainsTheMerge(t *testing.T) {
	for status, want := range map[string]bool{
		"identical": true,  // the merge commit itself
		"ahead":     true,  // a descendant: the merge is its ancestor
		"behind":    false, // an older commit, from before the merge
		"diverged":  false, // another line of history
		"":          false,
	} {
		if got := contains(status); got != want {
			t.Errorf("contains(%q) = %v, want %v", status, got, want)
		}
	}
}

func TestDeployRecordsTheSuccessAndTheBestLink(t *testing.T) {
	c := func(id int, env, log string) candidate {
		return candidate{
			deployment: deployment{id: id, createdAt: at(1), commit: "abc"},
			success:    status{state: "SUCCESS", at: at(3).In(time.FixedZone("CET", 3600)), environmentURL: env, logURL: log},
		}
	}
	const repo = "https://github.com/acme/api"
	for _, tc := range []struct {
		name string
		c    candidate
		env  string
		want loop.Deploy
	}{
		{"environment URL first", c(812, "https://api.example", "https://ci.example/1"), "production",
			loop.Deploy{At: "2026-03-02T10:03:00Z", Commit: "abc", Environment: "production", Source: "github", Ref: "deployment #812", URL: "https://api.example"}},
		{"then the log", c(812, "", "https://ci.example/1"), "production",
			loop.Deploy{At: "2026-03-02T10:03:00Z", Commit: "abc", Environment: "production", Source: "github", Ref: "deployment #812", URL: "https://ci.example/1"}},
		{"then the environment's deployments", c(812, "", ""), "prod eu/1",
			loop.Deploy{At: "2026-03-02T10:03:00Z", Commit: "abc", Environment: "prod eu/1", Source: "github", Ref: "deployment #812",
				URL: "https://github.com/acme/api/deployments/prod%20eu%2F1"}},
		{"no id", c(0, "", ""), "production",
			loop.Deploy{At: "2026-03-02T10:03:00Z", Commit: "abc", Environment: "production", Source: "github", Ref: "deployment of abc",
				URL: "https://github.com/acme/api/deployments/production"}},
	} {
		if got := deployOf(tc.c, tc.env, repo); got != tc.want {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.name, got, tc.want)
		}
	}
}
