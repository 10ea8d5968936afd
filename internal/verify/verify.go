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
	"sort"
	"time"

	"github.com/fixproof/fixproof/internal/loop"
)

// Params are the verification settings (the verify_* inputs).
type Params struct {
	// Threshold is in events per hour; a window's limit is the threshold
	// scaled to the window's length.
	Threshold float64
	Window    time.Duration
	// Windows is how many consecutive whole windows after the merge must
	// all be below the limit.
	Windows int
	// Timeout is how long after the merge to keep watching.
	Timeout time.Duration
}

// Validate reports settings that cannot work, naming the input to fix.
func (p Params) Validate() error {
	switch {
	case p.Threshold <= 0:
		return fmt.Errorf("error_rate_threshold must be above 0 events per hour, got %g", p.Threshold)
	case p.Window < time.Minute:
		return fmt.Errorf("verify_window must be at least 1m, got %s", p.Window)
	case p.Windows < 1:
		return fmt.Errorf("verify_windows must be at least 1, got %d", p.Windows)
	case p.Timeout < time.Duration(p.Windows)*p.Window:
		return fmt.Errorf("verify_timeout %s is shorter than verify_windows x verify_window (%s): nothing could ever verify", p.Timeout, time.Duration(p.Windows)*p.Window)
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
