package sentry

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/sim/sentrysim"
)

// TestSessionCountsWholeAlignedBuckets reads from 06:20 to noon: Sentry
// widens the window to whole hours, so the first bucket starts at 06:00
// and counts its whole hour; the last one, ending at now, is incomplete.
func TestSessionCountsWholeAlignedBuckets(t *testing.T) {
	e, project := shop(t)
	e.s.SetSessions("shop", "production", sentrysim.Rate(120))
	e.s.SetSessions("shop", "staging", sentrysim.Rate(6))
	bs, err := e.c.SessionCounts(ctx, project, "production", at(6, 20), noon, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if want := []time.Time{at(6, 0), at(7, 0), at(8, 0), at(9, 0), at(10, 0), at(11, 0)}; !reflect.DeepEqual(starts(bs), want) {
		t.Fatalf("starts %v, want %v", starts(bs), want)
	}
	if want := []float64{120, 120, 120, 120, 120, 120}; !reflect.DeepEqual(counts(bs), want) {
		t.Errorf("counts %v, want %v", counts(bs), want)
	}
	if want := []bool{false, false, false, false, false, true}; !reflect.DeepEqual(incomplete(bs), want) {
		t.Errorf("incomplete %v, want %v", incomplete(bs), want)
	}
	all, err := e.c.SessionCounts(ctx, project, "", at(10, 0), noon, 2*time.Hour)
	if err != nil || !reflect.DeepEqual(counts(all), []float64{252}) {
		t.Errorf("every environment, 2h: %v, %v", counts(all), err)
	}
}

// TestSessionCountsZeroFilledAndCurrent: a project without sessions gets
// zero buckets, and a bucket still running counts what has happened so
// far, incomplete.
func TestSessionCountsZeroFilledAndCurrent(t *testing.T) {
	e, project := shop(t)
	e.s.SetSessions("web", "production", sentrysim.Rate(60))
	bs, err := e.c.SessionCounts(ctx, project, "production", at(9, 0), at(13, 0), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if want := []float64{0, 0, 0, 0}; !reflect.DeepEqual(counts(bs), want) {
		t.Errorf("counts %v, want %v", counts(bs), want)
	}
	e.clock.Set(at(12, 30))
	web, err := e.c.SessionCounts(ctx, e.s.ProjectID("web"), "production", at(11, 0), at(13, 0), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(counts(web), []float64{60, 30}) || !reflect.DeepEqual(incomplete(web), []bool{false, true}) {
		t.Errorf("counts %v, incomplete %v", counts(web), incomplete(web))
	}
}

// TestSessionCountsRejectsWhatSentryRefuses sends nothing Sentry would
// refuse: intervals below an hour, not dividing a day or over a day, too
// many points, a slug for a project, an impossible environment.
func TestSessionCountsRejectsWhatSentryRefuses(t *testing.T) {
	e, project := shop(t)
	for name, c := range map[string]struct {
		project, env string
		start        time.Time
		iv           time.Duration
	}{
		"30 minutes":        {project, "", at(10, 0), 30 * time.Minute},
		"90 minutes":        {project, "", at(10, 0), 90 * time.Minute},
		"5 hours":           {project, "", at(0, 0), 5 * time.Hour},
		"2 days":            {project, "", noon.Add(-96 * time.Hour), 48 * time.Hour},
		"1,001 hours":       {project, "", noon.Add(-1001 * time.Hour), time.Hour},
		"empty window":      {project, "", noon, time.Hour},
		"slug":              {"shop", "", at(10, 0), time.Hour},
		"environment slash": {project, "eu/prod", at(10, 0), time.Hour},
	} {
		if _, err := e.c.SessionCounts(ctx, c.project, c.env, c.start, noon, c.iv); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if n := e.s.Control.Total(); n != 0 {
		t.Errorf("%d requests sent", n)
	}
	if _, err := e.c.SessionCounts(ctx, project, "", noon.Add(-1000*time.Hour), noon, time.Hour); err != nil {
		t.Errorf("1,000 hours: %v", err)
	}
}

// TestSessionCountsUnknownEnvironment: Sentry answers 404 for an
// environment the organization has never seen.
func TestSessionCountsUnknownEnvironment(t *testing.T) {
	e, project := shop(t)
	if _, err := e.c.SessionCounts(ctx, project, "prod", at(10, 0), noon, time.Hour); !errors.Is(err, ErrNotFound) {
		t.Errorf("err = %v, want ErrNotFound", err)
	}
}
