package sentry

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/sim/sentrysim"
)

// TestResolvedIssuesListsOnlyResolvedIssuesSeenInTheRange adds resolved
// and unresolved issues, with and without events in the range, across two
// pages: only the resolved ones with an event in the range come back,
// and reading 150 of them takes two requests.
func TestResolvedIssuesListsOnlyResolvedIssuesSeenInTheRange(t *testing.T) {
	e := setup(t, sentrysim.Options{})
	start, end := noon.Add(-24*time.Hour), noon
	var want []string
	add := func(id string, status string, at time.Time) {
		e.s.AddIssue(sentrysim.Issue{ID: id, Project: "shop", Status: status, FirstSeen: noon.Add(-72 * time.Hour)})
		e.s.SetTimeline(id, sentrysim.Events(at))
	}
	for i := range 150 {
		id := fmt.Sprint(1000 + i)
		add(id, "resolved", start.Add(time.Duration(i)*time.Minute))
		want = append(want, id)
	}
	add("2000", "unresolved", noon.Add(-time.Hour))    // not resolved
	add("2001", "resolved", start.Add(-time.Hour))     // before the range
	add("2002", "ignored", noon.Add(-2*time.Hour))     // ignored is not resolved
	add("2003", "resolved", noon.Add(-30*time.Minute)) // resolved, in range
	want = append(want, "2003")
	got, err := e.c.ResolvedIssues(ctx, start, end)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, is := range got {
		if is.Status != "resolved" || is.ProjectID != e.s.ProjectID("shop") {
			t.Errorf("issue %s: status %q, project %q", is.ID, is.Status, is.ProjectID)
		}
		ids = append(ids, is.ID)
	}
	slices.Sort(ids)
	slices.Sort(want)
	if !slices.Equal(ids, want) {
		t.Errorf("listed %d issues %v..., want %d", len(ids), ids[:min(3, len(ids))], len(want))
	}
	if n := e.s.Control.Total(); n != 2 {
		t.Errorf("%d requests, want 2 (two pages of 100): %v", n, e.s.Control.Routes())
	}
}

// TestResolvedIssuesRefusesAnEmptyRange sends nothing for a range that is
// empty or backwards.
func TestResolvedIssuesRefusesAnEmptyRange(t *testing.T) {
	e := setup(t, sentrysim.Options{})
	for _, r := range [][2]time.Time{{noon, noon}, {noon, noon.Add(-time.Hour)}} {
		if _, err := e.c.ResolvedIssues(ctx, r[0], r[1]); err == nil {
			t.Errorf("range %v: no error", r)
		}
	}
	if n := e.s.Control.Total(); n != 0 {
		t.Errorf("%d requests, want none", n)
	}
}
