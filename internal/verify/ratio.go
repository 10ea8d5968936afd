package verify

import (
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// Bounds is an interval on the rate ratio (after-rate / before-rate).
// Lower is 0 and Upper is +Inf when the counts say nothing on that side.
type Bounds struct {
	Lower, Upper float64
}

// Interval is the rate ratio of after to before with its exact
// (Clopper-Pearson) bounds at Confidence.
type Interval struct {
	// Ratio is the point estimate (after/expAfter) / (before/expBefore):
	// +Inf when there were events after and none before, NaN when there
	// were none on either side.
	Ratio float64
	// OneSided holds two separate one-sided bounds, each holding at
	// Confidence on its own: Upper is the "at most" a cut is proved by,
	// Lower the "at least" a failed fix is proved by.
	OneSided Bounds
	// TwoSided is the interval at Confidence (alpha split over both
	// tails), for the evidence a person reads ("95% CI 2-6%").
	TwoSided Bounds
	// Confidence is the level all the bounds are at.
	Confidence float64
}

// RateRatio bounds the ratio of the after-rate to the before-rate from
// after events in exposure expAfter and before events in exposure
// expBefore (exposure is hours, or thousands of sessions or transactions).
//
// Conditioned on the total n = after + before, the after count is
// Binomial(n, p) with p = r*expAfter / (r*expAfter + expBefore), where r is
// the rate ratio; so exact binomial bounds on p give exact bounds on
// r = p/(1-p) * expBefore/expAfter, with no large-count approximation that
// would fail for the few events a fixed error leaves.
//
// Counts are whole numbers of events. When the inputs cannot be read
// (negative or non-finite counts, exposures not above 0, confidence outside
// (0, 1)) the result claims nothing: Ratio NaN and bounds [0, +Inf], so no
// decision can rest on it.
func RateRatio(after, expAfter, before, expBefore, confidence float64) Interval {
	out := Interval{Ratio: math.NaN(), Confidence: confidence}
	if !readable(after, expAfter, before, expBefore, confidence) {
		out.OneSided = Bounds{0, math.Inf(1)}
		out.TwoSided = out.OneSided
		return out
	}
	if before > 0 || after > 0 {
		out.Ratio = (after / expAfter) / (before / expBefore) // +Inf when before is 0
	}
	toRatio := func(p float64) float64 {
		if p >= 1 {
			return math.Inf(1)
		}
		return p / (1 - p) * expBefore / expAfter
	}
	n := after + before
	alpha := 1 - confidence
	out.OneSided = Bounds{
		Lower: toRatio(lowerP(after, n, alpha)),
		Upper: toRatio(upperP(after, n, confidence)),
	}
	out.TwoSided = Bounds{
		Lower: toRatio(lowerP(after, n, alpha/2)),
		Upper: toRatio(upperP(after, n, 1-alpha/2)),
	}
	return out
}

// readable reports whether RateRatio's inputs describe counts in real
// exposure at a real confidence. The negated comparisons also reject NaN.
func readable(after, expAfter, before, expBefore, confidence float64) bool {
	finite := !math.IsInf(after, 0) && !math.IsInf(before, 0) &&
		!math.IsInf(expAfter, 0) && !math.IsInf(expBefore, 0)
	return finite && after >= 0 && before >= 0 && expAfter > 0 && expBefore > 0 &&
		confidence > 0 && confidence < 1
}

// lowerP is the Clopper-Pearson lower bound on a binomial p with a
// successes in n, with probability q below it: 0 when a is 0, since no
// count can be below none.
func lowerP(a, n, q float64) float64 {
	if a == 0 {
		return 0
	}
	return distuv.Beta{Alpha: a, Beta: n - a + 1}.Quantile(q)
}

// upperP is the Clopper-Pearson upper bound on p with probability q
// below it: 1 when every event is after, since then nothing bounds it.
func upperP(a, n, q float64) float64 {
	if a == n {
		return 1
	}
	return distuv.Beta{Alpha: a + 1, Beta: n - a}.Quantile(q)
}
