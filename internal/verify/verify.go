// Package verify decides whether a fix worked in production. Evaluate is
// the count decision: were a Sentry issue's events per window below the
// threshold for long enough since the merge? DecideRate is the rate
// decision: did errors per unit of traffic (per hour, per 1,000 sessions
// or transactions) fall by enough, proved at a stated confidence with
// exact bounds on the ratio of the rates (RateRatio)? Both say verified,
// still watching, or unverified. Pure functions only; the sweep does the
// I/O.
package verify

import (
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/fixproof/fixproof/internal/loop"
)

// Params are the verification settings (the verify_* inputs). Evaluate,
// the count rule, reads the first four; DecideRate, the rate rule, reads
// them all.
type Params struct {
	// Threshold is what the error rate must stay below: events per hour
	// (Evaluate scales it to the window's length), or for DecideRate errors
	// per hour or per 1,000 sessions or transactions, following the basis
	// (error_rate_threshold).
	Threshold float64
	// Window is the length of one window (verify_window).
	Window time.Duration
	// Windows is how many consecutive whole windows since the clock start
	// must have passed before anything is verified (verify_windows).
	Windows int
	// Timeout is how long to keep watching (verify_timeout), counted from
	// the merge (Evaluate) or RateInput.TimeoutFrom (DecideRate).
	Timeout time.Duration
	// Confidence is the level of every bound (verify_confidence); 0 means
	// DefaultConfidence.
	Confidence float64
	// MaxRatio is the most the after-rate may be, as a fraction of the
	// before-rate, proved at Confidence, to verify (max_rate_ratio); 0
	// means DefaultMaxRatio.
	MaxRatio float64
	// FailRatio is the fraction of the before-rate the after-rate is proved
	// to be at least, at Confidence, to call the fix not fixed before the
	// timeout (fail_rate_ratio); 0 means DefaultFailRatio.
	FailRatio float64
}

// Validate reports settings that cannot work, naming the input to fix.
// Settings left 0 that have defaults are valid (they take the default).
// Comparisons are written so that NaN fails them.
func (p Params) Validate() error {
	p = p.WithDefaults()
	switch {
	case !(p.Threshold > 0) || math.IsInf(p.Threshold, 0):
		return fmt.Errorf("error_rate_threshold must be above 0 (errors per hour, or per 1,000 sessions or transactions), got %g", p.Threshold)
	case p.Window < time.Minute:
		return fmt.Errorf("verify_window must be at least 1m, got %s", p.Window)
	case p.Windows < 1:
		return fmt.Errorf("verify_windows must be at least 1, got %d", p.Windows)
	case p.Timeout < time.Duration(p.Windows)*p.Window:
		return fmt.Errorf("verify_timeout %s is shorter than verify_windows x verify_window (%s): nothing could ever verify", p.Timeout, time.Duration(p.Windows)*p.Window)
	case !(p.Confidence >= 0.5 && p.Confidence < 1):
		// Below 0.5 a one-sided "upper" bound falls below the lower one.
		return fmt.Errorf("verify_confidence must be at least 0.5 and below 1 (0.95 is 95%%), got %g", p.Confidence)
	case !(p.MaxRatio > 0 && p.MaxRatio < 1):
		return fmt.Errorf("max_rate_ratio must be above 0 and below 1 (0.2 needs a cut of 80%%), got %g", p.MaxRatio)
	case !(p.FailRatio > p.MaxRatio) || math.IsInf(p.FailRatio, 0):
		return fmt.Errorf("fail_rate_ratio must be above max_rate_ratio (%g), got %g", p.MaxRatio, p.FailRatio)
	}
	return nil
}

// Limit is the most events a window may have and still count as quiet
// (strictly fewer pass).
func (p Params) Limit() float64 { return p.Threshold * p.Window.Hours() }

// Bucket is the number of events in one window starting at Start.
type Bucket struct {
	Start time.Time
	Count float64
}

// Result is the decision with its evidence.
type Result struct {
	// State is loop.StateWatching (not yet decided), loop.StateVerified or
	// loop.StateUnverified (timed out).
	State loop.State
	// After are the whole windows since the merge, oldest first; Checked is
	// the tail of After that decided (the last Windows of them).
	After, Checked []Bucket
	Limit          float64
	Reason         string
}

// Evaluate decides for one Sentry issue. Buckets are Sentry's windows,
// which start on multiples of the window length since the epoch; only
// windows that start at or after the merge and have ended by now count, so
// errors from before the fix, or from a window still filling, never
// decide anything.
func Evaluate(p Params, merged, now time.Time, buckets []Bucket) Result {
	r := Result{Limit: p.Limit()}
	for _, b := range buckets {
		if !b.Start.Before(merged) && !b.Start.Add(p.Window).After(now) {
			r.After = append(r.After, b)
		}
	}
	sort.Slice(r.After, func(i, j int) bool { return r.After[i].Start.Before(r.After[j].Start) })
	if len(r.After) >= p.Windows {
		r.Checked = r.After[len(r.After)-p.Windows:]
		quiet := true
		for _, b := range r.Checked {
			if b.Count >= r.Limit {
				quiet = false
				break
			}
		}
		if quiet {
			r.State = loop.StateVerified
			r.Reason = fmt.Sprintf("the last %d windows of %s each had fewer than %g events", p.Windows, p.Window, r.Limit)
			return r
		}
	}
	if now.Sub(merged) >= p.Timeout {
		r.State = loop.StateUnverified
		r.Reason = fmt.Sprintf("still at or above %g events per %s %s after the merge", r.Limit, p.Window, p.Timeout)
		return r
	}
	r.State = loop.StateWatching
	if len(r.After) < p.Windows {
		r.Reason = fmt.Sprintf("%d of %d windows since the merge have passed", len(r.After), p.Windows)
	} else {
		r.Reason = fmt.Sprintf("a window among the last %d had %g or more events", p.Windows, r.Limit)
	}
	return r
}

// Combine is the outcome for a Jira issue linked to several Sentry issues:
// verified only when every one is, unverified (timed out) when any is,
// watching otherwise.
func Combine(states ...loop.State) loop.State {
	out := loop.StateVerified
	for _, s := range states {
		switch s {
		case loop.StateUnverified:
			return loop.StateUnverified
		case loop.StateWatching:
			out = loop.StateWatching
		}
	}
	if len(states) == 0 {
		return loop.StateWatching
	}
	return out
}
