package sentrysim

import (
	"math"
	"slices"
	"sort"
	"time"
)

// Timeline is the number of events of an issue in [from, to). It is
// scripted per issue with SetTimeline; the server asks it only about the
// past (up to its clock's now). A Timeline must be additive: the count of
// [a, c) is the count of [a, b) plus that of [b, c).
type Timeline func(from, to time.Time) int

// count asks tl about [from, to), which may be empty or inverted.
func count(tl Timeline, from, to time.Time) int {
	if tl == nil || !from.Before(to) {
		return 0
	}
	return tl(from, to)
}

// Rate is a steady rate of perHour events an hour, spread evenly from the
// Unix epoch on. With r the rate per second and times in seconds since the
// epoch, the count of [from, to) is floor(to*r) - floor(from*r): the floor
// of the integral over the range when from is on an event's boundary,
// never more than one off otherwise, and adjacent ranges always add up
// exactly (no event is counted twice or lost). The events fall at the
// instants where the integral from the epoch reaches a whole number, and
// each is counted in the range that ends at its instant (for whole-number
// rates that is on bucket boundaries).
func Rate(perHour float64) Timeline {
	if perHour <= 0 || math.IsNaN(perHour) || math.IsInf(perHour, 0) {
		return func(from, to time.Time) int { return 0 }
	}
	perSecond := perHour / 3600
	// cum is the number of events in [epoch, t): monotone in t, as float
	// addition and multiplication are.
	cum := func(t time.Time) int64 {
		return int64(math.Floor((float64(t.Unix()) + float64(t.Nanosecond())/1e9) * perSecond))
	}
	return func(from, to time.Time) int {
		if !from.Before(to) {
			return 0
		}
		return int(max(cum(to)-cum(from), 0))
	}
}

// Step is one timeline before at and another from at on: a fix deployed
// at at, say, with Step(merge, Rate(40), Rate(0)).
func Step(at time.Time, before, after Timeline) Timeline {
	return func(from, to time.Time) int {
		n := 0
		if from.Before(at) {
			n += count(before, from, minTime(to, at))
		}
		if to.After(at) {
			n += count(after, maxTime(from, at), to)
		}
		return n
	}
}

// Events is one event at each of the given times.
func Events(times ...time.Time) Timeline {
	ts := slices.Clone(times)
	sort.Slice(ts, func(i, j int) bool { return ts[i].Before(ts[j]) })
	// index returns how many events happened before t.
	index := func(t time.Time) int {
		return sort.Search(len(ts), func(i int) bool { return !ts[i].Before(t) })
	}
	return func(from, to time.Time) int {
		if !from.Before(to) {
			return 0
		}
		return index(to) - index(from)
	}
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// lastEvent finds the time of the last event of tl in [from, now), to
// the nanosecond, by bisection (tl(t, now) only shrinks as t grows). ok is
// false when there is none.
func lastEvent(tl Timeline, from, now time.Time) (time.Time, bool) {
	if count(tl, from, now) == 0 {
		return time.Time{}, false
	}
	lo, hi := from, now // count(lo, now) > 0, count(hi, now) == 0
	for hi.Sub(lo) > 1 {
		mid := lo.Add(hi.Sub(lo) / 2)
		if count(tl, mid, now) > 0 {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo, true
}
