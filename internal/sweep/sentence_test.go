package sweep

import (
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/loop"
	"github.com/fixproof/fixproof/internal/sentry"
	"github.com/fixproof/fixproof/internal/verify"
)

// The sentence every comment and the dashboard lead with: numbers a person
// can check against the windows, the clock start named, and where the
// deploy came from. The bounds come from verify (checked there against
// SciPy's values); here the words around them.
func TestSentenceSaysWhatFellSinceWhenAndHowSure(t *testing.T) {
	merged := time.Date(2026, 11, 20, 10, 20, 0, 0, time.UTC)
	deployed := time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC)
	p := verify.Params{Threshold: 1, Window: time.Hour, Windows: 3, Timeout: 72 * time.Hour}
	deploy := &loop.Deploy{At: deployed.Format(time.RFC3339), Commit: "a1b2c3d4e5", Environment: "production", Source: loop.DeploySourceGitHub, Ref: "deployment #812"}
	atDeploy := Clock{Clock: verify.Clock{Start: deployed, Deployed: true}, Merged: merged, Commit: "a1b2c3d4e5f6", Environment: "production", Deploy: deploy}
	atMerge := Clock{Clock: verify.Clock{Start: merged, NoDeploys: true}, Merged: merged, Commit: "a1b2c3d4e5f6", Environment: "production"}
	hourly := func(start time.Time, counts ...float64) []verify.Window {
		out := make([]verify.Window, len(counts))
		for i, c := range counts {
			out[i] = verify.Window{Start: start.Add(time.Duration(i) * time.Hour), Count: c, Exposure: 1}
		}
		return out
	}
	decide := func(c Clock, ws []verify.Window, now time.Time) LinkEvidence {
		ev := LinkEvidence{Basis: verify.BasisEvents, Window: time.Hour, Windows: ws}
		ev.Rate = verify.DecideRate(p, verify.RateInput{Start: c.Start, Now: now, Before: ws, After: ws, Basis: ev.Basis})
		return ev
	}
	// 12 an hour for 10 hours before the deploy, then 2 in 6 hours.
	fell := append(hourly(deployed.Add(-10*time.Hour), 12, 12, 12, 12, 12, 12, 12, 12, 12, 12), hourly(deployed, 1, 0, 1, 0, 0, 0)...)
	same := append(hourly(merged.Add(-40*time.Minute-10*time.Hour), 10, 10, 10, 10, 10, 10, 10, 10, 10, 10), hourly(merged.Add(40*time.Minute), 10, 10, 10, 10, 10, 10)...)
	rare := append(hourly(merged.Add(-40*time.Minute-2*time.Hour), 1, 0), hourly(merged.Add(40*time.Minute), 0, 0, 0)...)
	for _, tt := range []struct {
		name string
		ev   LinkEvidence
		c    Clock
		want string
	}{
		{"a fall since the deploy", decide(atDeploy, fell, deployed.Add(6*time.Hour)), atDeploy,
			"Errors fell 97% per hour (95% CI 90% to 99.7%) in the 6h since a1b2c3d reached production at Nov 20 14:00 UTC (GitHub deployment #812); merged Nov 20 10:20 UTC."},
		{"no fall, counted from the merge", decide(atMerge, same, merged.Add(40*time.Minute+6*time.Hour)), atMerge,
			"Errors did not fall: 100% of the rate before, per hour (95% CI 71% to 139%), in the 6h since a1b2c3d merged at Nov 20 10:20 UTC; no deployments recorded for production, so counting from the merge."},
		{"too rare to prove", decide(atMerge, rare, merged.Add(40*time.Minute+3*time.Hour)), atMerge,
			"Too few errors before the fix to prove a cut (1 error in the 2h before), so judged by the threshold of 1 per hour over the whole 72h: 0 errors in the 3h since a1b2c3d merged at Nov 20 10:20 UTC; no deployments recorded for production, so counting from the merge."},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := Sentence(tt.ev, tt.c, p); got != tt.want {
				t.Errorf("Sentence =\n%s\nwant\n%s\n(reason: %s)", got, tt.want, tt.ev.Rate.Reason)
			}
		})
	}
}

// The tables show the windows on each side of the clock start; the window
// the clock started in holds both and shows on neither.
func TestSplitLeavesOutTheWindowTheClockStartedIn(t *testing.T) {
	start := time.Date(2026, 11, 20, 10, 20, 0, 0, time.UTC)
	var ws []verify.Window
	for h := 8; h <= 12; h++ {
		ws = append(ws, verify.Window{Start: time.Date(2026, 11, 20, h, 0, 0, 0, time.UTC), Count: float64(h)})
	}
	before, after := LinkEvidence{Window: time.Hour, Windows: ws}.Split(start)
	if counts(before) != "8, 9" || counts(after) != "11, 12" {
		t.Errorf("before %q, after %q; want 8, 9 and 11, 12", counts(before), counts(after))
	}
}

// Errors are divided by the traffic of the same window; a window whose
// errors or traffic Sentry still counts is left out.
func TestWindowsJoinErrorsAndTraffic(t *testing.T) {
	at := func(h int) time.Time { return time.Date(2026, 11, 20, h, 0, 0, 0, time.UTC) }
	errs := []sentryBucket{{at(1), 5, false}, {at(2), 4, false}, {at(3), 3, false}, {at(4), 1, true}}
	traffic := []sentryBucket{{at(1), 2000, false}, {at(2), 1000, true}, {at(4), 500, false}}
	got := windows(verify.BasisSessions, time.Hour, buckets(errs), buckets(traffic))
	if len(got) != 1 || got[0].Start != at(1) || got[0].Count != 5 || got[0].Exposure != 2 {
		t.Errorf("sessions windows %+v, want only 01:00 with 5 errors in 2k sessions", got)
	}
	got = windows(verify.BasisEvents, 30*time.Minute, buckets(errs), nil)
	if len(got) != 3 || got[2].Exposure != 0.5 {
		t.Errorf("events windows %+v, want the 3 complete ones, each half an hour", got)
	}
}

func TestReadSpanStartsAtTheBaselineOrTheFirstEvent(t *testing.T) {
	p := verify.Params{Window: time.Hour, Windows: 3, Timeout: 72 * time.Hour}
	start := time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC)
	now := start.Add(5 * time.Hour)
	if from, to := readSpan(p, start, time.Time{}, now); !from.Equal(start.Add(-7*24*time.Hour)) || !to.Equal(now) {
		t.Errorf("no first event: %s to %s, want a 7-day baseline to now", from, to)
	}
	first := start.Add(-3*time.Hour - 20*time.Minute)
	if from, _ := readSpan(p, start, first, now); !from.Equal(start.Add(-4 * time.Hour)) {
		t.Errorf("young error: from %s, want its first event's window (10:00)", from)
	}
	if _, to := readSpan(p, start, time.Time{}, start.Add(30*24*time.Hour)); !to.Equal(start.Add(73 * time.Hour)) {
		t.Errorf("late sweep: to %s, want the deadline's window end", to)
	}
	p.Window = time.Minute
	if from, _ := readSpan(p, start, time.Time{}, now); !from.Equal(start.Add(-2500 * time.Minute)) {
		t.Errorf("1m windows: from %s, want 2,500 windows back (Sentry answers at most 10,000 points)", from)
	}
}

type sentryBucket struct {
	start      time.Time
	count      float64
	incomplete bool
}

func buckets(in []sentryBucket) []sentry.Bucket {
	out := make([]sentry.Bucket, len(in))
	for i, b := range in {
		out[i] = sentry.Bucket{Start: b.start, Count: b.count, Incomplete: b.incomplete}
	}
	return out
}

// The sweep's one span reaches back over the timeout and the baseline, so
// an issue whose deadline has not passed finds every window it needs, in
// at most Sentry's 10,000 points; sessions read its last 1,000 windows.
func TestSpanCoversTheTimeoutAndTheBaseline(t *testing.T) {
	now := time.Date(2026, 11, 27, 10, 20, 0, 0, time.UTC)
	for _, tt := range []struct {
		window, timeout time.Duration
		windows         int
	}{
		{time.Hour, 168 * time.Hour, 168 + 168 + 2},
		{time.Minute, 72 * time.Hour, 2500 + 72*60 + 2},
		{time.Minute, 30 * 24 * time.Hour, 9999},
	} {
		sp := spanAt(now, verify.Params{Window: tt.window, Timeout: tt.timeout})
		if got := int(sp.to.Sub(sp.from) / tt.window); got != tt.windows || !sp.to.After(now) || sp.to.Sub(now) > tt.window {
			t.Errorf("window %s, timeout %s: %d windows to %s, want %d to the end of now's window", tt.window, tt.timeout, got, sp.to, tt.windows)
		}
		// The oldest start still inside its timeout is now - timeout:
		// its baseline must be in the span unless the cap cut it.
		from, _ := readSpan(verify.Params{Window: tt.window, Timeout: tt.timeout}, now.Add(-tt.timeout), time.Time{}, now)
		if tt.windows < 9999 && from.Before(sp.from) {
			t.Errorf("window %s, timeout %s: an issue's span starts at %s, before the sweep's %s", tt.window, tt.timeout, from, sp.from)
		}
	}
	sp := spanAt(now, verify.Params{Window: time.Hour, Timeout: 40 * 24 * time.Hour}).last(1000)
	if n := int(sp.to.Sub(sp.from) / time.Hour); n != 1000 {
		t.Errorf("sessions span: %d windows, want 1,000", n)
	}
}

// An issue's counts start at its baseline, moved back onto the sweep's
// grid of a day of windows: clocks that start on the same day share a
// request, every issue gets its whole baseline, and none reads more than a
// grid step it does not need.
func TestCountsStartAtTheBaselineOnADayGrid(t *testing.T) {
	now := time.Date(2026, 11, 27, 10, 20, 0, 0, time.UTC)
	p := verify.Params{Window: time.Hour, Timeout: 168 * time.Hour}
	sp := spanAt(now, p)
	step := countGrid * time.Hour
	var prev time.Time
	for _, start := range []time.Time{
		now.Add(-200 * time.Hour), // past its timeout: the span's start
		now.Add(-168 * time.Hour),
		now.Add(-30 * time.Hour),
		now.Add(-30*time.Hour + 5*time.Minute),
		now.Add(-4 * time.Hour),
		now,
	} {
		from := sp.countFrom(start, p)
		need, _ := readSpan(p, start, time.Time{}, now)
		switch {
		case from.Before(sp.from):
			t.Errorf("start %s: counts from %s, before the span's %s", start, from, sp.from)
		case from.After(need) && !need.Before(sp.from):
			t.Errorf("start %s: counts from %s, after the baseline's %s", start, from, need)
		case need.Sub(from) >= step && !need.Before(sp.from):
			t.Errorf("start %s: counts from %s, a whole day before the baseline's %s", start, from, need)
		case from.Sub(sp.from)%step != 0:
			t.Errorf("start %s: counts from %s, off the grid of %s from %s", start, from, step, sp.from)
		case from.Before(prev):
			t.Errorf("start %s: counts from %s, before an earlier start's %s", start, from, prev)
		}
		prev = from
	}
	if a, b := sp.countFrom(now.Add(-30*time.Hour), p), sp.countFrom(now.Add(-30*time.Hour+5*time.Minute), p); !a.Equal(b) {
		t.Errorf("clocks five minutes apart read from %s and %s: they should share requests", a, b)
	}
}
