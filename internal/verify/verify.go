// Package verify decides whether a fix worked in production: where the
// clock starts (Start: the deploy or the merge), and whether errors per
// unit of traffic (per hour, per 1,000 sessions or transactions) fell by
// enough, proved at a stated confidence with exact bounds on the ratio of
// the rates (DecideRate, RateRatio). Pure functions only; the sweep does
// the I/O.
package verify

import (
	"fmt"
	"math"
	"time"

	"github.com/fixproof/fixproof/internal/loop"
)

// Params are the verification settings (the verify_* inputs) DecideRate
// decides with.
type Params struct {
	// Threshold is what the error rate must stay below: errors per hour,
	// or per 1,000 sessions or transactions, following the basis
	// (error_rate_threshold).
	Threshold float64
	// Window is the length of one window (verify_window).
	Window time.Duration
	// Windows is how many consecutive whole windows since the clock start
	// must have passed before anything is verified (verify_windows).
	Windows int
	// Timeout is how long to keep watching (verify_timeout), counted from
	// RateInput.TimeoutFrom.
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

// Limit is the threshold in events per window, for charts of events per
// window (rate_basis events).
func (p Params) Limit() float64 { return p.Threshold * p.Window.Hours() }

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
