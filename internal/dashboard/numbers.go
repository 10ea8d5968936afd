package dashboard

import (
	"fmt"
	"math"
	"slices"
	"time"

	"gonum.org/v1/gonum/stat"

	"github.com/fixproof/fixproof/internal/loop"
)

// Numbers sum up the loops of a range: how many, how long
// each step took from the first alert, and how the fixes fared, each with
// its trend over the range.
type Numbers struct {
	Total int
	// Started counts the loops started in each part of the range.
	Started []float64
	Times   []Timing
	Shares  []Share
}

// Timing is the time from a loop's first alert to one of its steps, over
// the loops that reached it.
type Timing struct {
	Name        string
	N           int
	Median, P90 time.Duration
	// Trend is the median in each part of the range, in hours; NaN where
	// no loop started then reached the step.
	Trend []float64
}

// Share is how many of the decided fixes came out one way.
type Share struct {
	Name string
	N    int // fixes that came out this way
	Of   int // fixes decided: verified or not
	// Trend is the share in each part of the range, in percent; NaN where
	// no fix started then was decided.
	Trend []float64
}

// Percent is the share in whole percent, 0 of none.
func (s Share) Percent() int {
	if s.Of == 0 {
		return 0
	}
	return int(math.Round(100 * float64(s.N) / float64(s.Of)))
}

// reopenWindow is how soon after its verification an error coming back
// counts against the fix.
const reopenWindow = 30 * 24 * time.Hour

// steps are the steps timed from the first alert, by name.
var steps = []struct {
	name string
	at   func(Loop) time.Time
}{
	{"first alert to issue", func(l Loop) time.Time {
		if l.FirstAlert.IsZero() {
			return time.Time{} // the store does not know the alert
		}
		return l.Created
	}},
	{"to fix merged", func(l Loop) time.Time { return l.MergedAt }},
	{"to deployed", Loop.DeployedAt},
	{"to verified (MTTR)", Loop.VerifiedAt},
}

// outcomes are the ways a decided fix comes out, by name.
var outcomes = []struct {
	name string
	is   func(Loop) bool
}{
	{"verified", func(l Loop) bool { return !l.VerifiedAt().IsZero() }},
	{"not fixed", func(l Loop) bool { return !l.UnverifiedAt().IsZero() || l.State == loop.StateUnverified }},
	{"reopened within 30 days", func(l Loop) bool { return l.ReopenedWithin(reopenWindow) }},
}

// decided reports whether a sweep decided on the loop's fix.
func decided(l Loop) bool {
	return l.Merge != nil && (!l.VerifiedAt().IsZero() || !l.UnverifiedAt().IsZero() || l.State == loop.StateUnverified)
}

// Sum works out the numbers of loops started from from to to, with trends
// of parts equal parts of the range.
func Sum(loops []Loop, from, to time.Time, parts int) Numbers {
	n := Numbers{Total: len(loops), Started: make([]float64, parts)}
	byPart := make([][]Loop, parts)
	for _, l := range loops {
		if i := Part(l.Start(), from, to, parts); i >= 0 {
			n.Started[i]++
			byPart[i] = append(byPart[i], l)
		}
	}
	for _, s := range steps {
		t := Timing{Name: s.name, Trend: make([]float64, parts)}
		all := durations(loops, s.at)
		t.N, t.Median, t.P90 = len(all), quantile(all, 0.5), quantile(all, 0.9)
		for i, ls := range byPart {
			ds := durations(ls, s.at)
			t.Trend[i] = hours(quantile(ds, 0.5), len(ds))
		}
		n.Times = append(n.Times, t)
	}
	for _, o := range outcomes {
		sh := Share{Name: o.name, Trend: make([]float64, parts)}
		sh.N, sh.Of = count(loops, o.is)
		for i, ls := range byPart {
			k, of := count(ls, o.is)
			sh.Trend[i] = percent(k, of)
		}
		n.Shares = append(n.Shares, sh)
	}
	return n
}

// Part is which of parts equal parts of [from, to) t falls in, -1 when
// outside.
func Part(t, from, to time.Time, parts int) int {
	if parts <= 0 || t.Before(from) || !t.Before(to) {
		return -1
	}
	return int(float64(t.Sub(from)) / float64(to.Sub(from)) * float64(parts))
}

// durations are the times from each loop's start to its step at, for the
// loops that reached it, in order.
func durations(loops []Loop, at func(Loop) time.Time) []float64 {
	var out []float64
	for _, l := range loops {
		end := at(l)
		if end.IsZero() || end.Before(l.Start()) {
			continue
		}
		out = append(out, float64(end.Sub(l.Start())))
	}
	slices.Sort(out)
	return out
}

// quantile is the empirical p-quantile of sorted durations: the least of
// them that at least a fraction p of them do not exceed. 0 of none.
func quantile(sorted []float64, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return time.Duration(stat.Quantile(p, stat.Empirical, sorted, nil))
}

// count is how many decided fixes among loops come out as is says, and
// how many were decided.
func count(loops []Loop, is func(Loop) bool) (n, of int) {
	for _, l := range loops {
		if !decided(l) {
			continue
		}
		of++
		if is(l) {
			n++
		}
	}
	return n, of
}

func hours(d time.Duration, n int) float64 {
	if n == 0 {
		return math.NaN()
	}
	return d.Hours()
}

func percent(n, of int) float64 {
	if of == 0 {
		return math.NaN()
	}
	return 100 * float64(n) / float64(of)
}

// Human says a duration the way a person would, to two figures at most:
// "40 s", "12 min", "3.5 h", "2.1 days".
func Human(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Round(time.Second).Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Round(time.Minute).Minutes()))
	case d < 10*time.Hour:
		return trim(fmt.Sprintf("%.1f", d.Hours())) + " h"
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h", int(math.Round(d.Hours())))
	case d < 10*24*time.Hour:
		return trim(fmt.Sprintf("%.1f", d.Hours()/24)) + " days"
	}
	return fmt.Sprintf("%d days", int(math.Round(d.Hours()/24)))
}

func trim(s string) string {
	if len(s) > 2 && s[len(s)-2:] == ".0" {
		return s[:len(s)-2]
	}
	return s
}
