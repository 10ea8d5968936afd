package verify

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/fixproof/fixproof/internal/loop"
)

// The defaults of the rate decision's settings, used where Params
// leaves them 0.
const (
	DefaultConfidence = 0.95
	// DefaultMaxRatio: verified needs the after-rate proved at most 20% of
	// the before-rate, a cut of at least 80%.
	DefaultMaxRatio = 0.2
	// DefaultFailRatio: not fixed once the after-rate is proved at least
	// 70% of the before-rate.
	DefaultFailRatio = 0.7
)

// WithDefaults fills the settings left 0 that have defaults.
func (p Params) WithDefaults() Params {
	if p.Confidence == 0 {
		p.Confidence = DefaultConfidence
	}
	if p.MaxRatio == 0 {
		p.MaxRatio = DefaultMaxRatio
	}
	if p.FailRatio == 0 {
		p.FailRatio = DefaultFailRatio
	}
	return p
}

// Window is the errors and traffic in one window starting at Start and
// lasting Params.Window.
type Window struct {
	Start time.Time
	// Count is the number of error events in the window.
	Count float64
	// Exposure is the traffic in the window in the basis unit: hours for
	// events (the window's length), thousands of sessions or transactions.
	Exposure float64
}

// Basis is what error rates are counted against.
type Basis string

// The bases: errors per hour, per 1,000 sessions, per 1,000 transactions.
const (
	BasisEvents       Basis = "events"
	BasisSessions     Basis = "sessions"
	BasisTransactions Basis = "transactions"
)

// unit is how a rate in this basis reads ("per hour").
func (b Basis) unit() string {
	if b == "" || b == BasisEvents {
		return "per hour"
	}
	return "per 1,000 " + string(b)
}

// RateInput is one error's counts around the clock start.
type RateInput struct {
	// Start is the clock start: the deploy or the merge, as the caller
	// chooses.
	Start time.Time
	// TimeoutFrom is when the timeout starts counting; zero means Start.
	TimeoutFrom time.Time
	Now         time.Time
	// Before is the baseline: only windows that end at or before Start
	// count. After: only windows that start at or after Start and have
	// ended by Now (and by the deadline) count.
	Before, After []Window
	// Basis names the unit of Exposure and Threshold; empty means events.
	Basis Basis
	// Since names the clock start in reasons ("the deploy"); empty means
	// "the clock start".
	Since string
}

// Outcome is the detailed result behind a RateResult's State.
type Outcome string

// The outcomes, with the State each stands for. The thin-evidence ones are
// for errors too rare before the fix for any cut to be proved within the
// timeout: those are judged by the threshold alone, over the whole
// timeout, since their early windows cannot tell a fix from luck.
const (
	OutcomeWatching Outcome = "watching" // watching: nothing proved yet
	OutcomeVerified Outcome = "verified" // verified: a cut proved and the rate below the threshold
	// OutcomeNotFixed is unverified as soon as the rate is proved not cut,
	// without waiting for the timeout.
	OutcomeNotFixed       Outcome = "not-fixed"
	OutcomeTimedOut       Outcome = "timed-out"                // unverified: nothing proved by the deadline
	OutcomeThinWatching   Outcome = "thin-evidence-watching"   // watching until the deadline
	OutcomeThinVerified   Outcome = "thin-evidence-verified"   // verified: below the threshold over the timeout
	OutcomeThinUnverified Outcome = "thin-evidence-unverified" // unverified: not below it, or no traffic
)

// RateResult is the rate decision with its evidence.
type RateResult struct {
	// State is loop.StateWatching, loop.StateVerified or
	// loop.StateUnverified; Outcome says which rule decided.
	State   loop.State
	Outcome Outcome
	// Interval is the after-rate / before-rate ratio: its one-sided upper
	// bound decides verified, its one-sided lower bound not fixed.
	Interval Interval
	// The pooled counts and exposure of the windows that counted, and the
	// rates from them (NaN without exposure).
	BeforeCount, BeforeExposure, BeforeRate float64
	AfterCount, AfterExposure, AfterRate    float64
	// WindowsPassed is the number of whole windows since the clock start
	// that counted; BeforeWindows the number of baseline windows.
	WindowsPassed, BeforeWindows int
	// Deadline is when the timeout passes.
	Deadline time.Time
	// Reason is one plain sentence saying what decided, with the numbers.
	Reason string
}

// DecideRate decides whether a fix cut an error's rate, from the windows
// before and after the clock start. Settings left 0 take their defaults;
// the caller validates them (Params.Validate).
//
// Verified needs Windows whole windows since the clock start, the
// after-rate proved at most MaxRatio of the before-rate at Confidence, and
// the after-rate below Threshold. Not fixed (unverified, without waiting
// for the deadline) needs the same windows and the after-rate proved at
// least FailRatio of the before-rate. Past the deadline, anything
// undecided is unverified. Rates, not counts, decide: traffic halving at night halves
// the errors too without any fix.
//
// An error too rare before the fix for even a quiet timeout to prove a cut
// is judged by the threshold alone, once the whole timeout has passed
// (the thin-evidence outcomes): its early windows cannot tell a fix from
// luck.
func DecideRate(p Params, in RateInput) RateResult {
	p = p.WithDefaults()
	r := measure(p, in)
	if !provable(p, in, r) {
		return decideThin(p, in, r)
	}
	return decideRatio(p, in, r)
}

// measure pools the windows that count on each side of the clock start
// and bounds the ratio of their rates.
func measure(p Params, in RateInput) RateResult {
	from := in.TimeoutFrom
	if from.IsZero() {
		from = in.Start
	}
	r := RateResult{Deadline: from.Add(p.Timeout)}
	// Windows ending after the deadline never count, so a sweep that runs
	// late decides as one that ran on time would have.
	end := in.Now
	if r.Deadline.Before(end) {
		end = r.Deadline
	}
	for _, w := range in.Before {
		if !w.Start.Add(p.Window).After(in.Start) {
			r.BeforeCount, r.BeforeExposure, r.BeforeWindows = r.BeforeCount+w.Count, r.BeforeExposure+w.Exposure, r.BeforeWindows+1
		}
	}
	// A window still filling, or the one the clock started in (it holds
	// errors from before the fix), never counts after.
	for _, w := range in.After {
		if !w.Start.Before(in.Start) && !w.Start.Add(p.Window).After(end) {
			r.AfterCount, r.AfterExposure, r.WindowsPassed = r.AfterCount+w.Count, r.AfterExposure+w.Exposure, r.WindowsPassed+1
		}
	}
	r.BeforeRate = rate(r.BeforeCount, r.BeforeExposure)
	r.AfterRate = rate(r.AfterCount, r.AfterExposure)
	r.Interval = RateRatio(r.AfterCount, r.AfterExposure, r.BeforeCount, r.BeforeExposure, p.Confidence)
	return r
}

// rate is count per exposure, NaN without exposure (not a division by 0:
// no traffic says nothing about the rate).
func rate(count, exposure float64) float64 {
	if !(exposure > 0) {
		return math.NaN()
	}
	return count / exposure
}

// provable reports whether the baseline could ever prove a cut to
// MaxRatio by the deadline. The best case is no events after, over the
// exposure the whole span from the clock start to the deadline brings at
// the traffic seen so far (after the clock start when there is some, else
// before). Without a baseline (no before events or traffic) nothing is
// provable.
func provable(p Params, in RateInput, r RateResult) bool {
	perHour := 0.0
	switch {
	case r.AfterExposure > 0:
		perHour = r.AfterExposure / (float64(r.WindowsPassed) * p.Window.Hours())
	case r.BeforeWindows > 0:
		perHour = r.BeforeExposure / (float64(r.BeforeWindows) * p.Window.Hours())
	}
	best := RateRatio(0, perHour*r.Deadline.Sub(in.Start).Hours(), r.BeforeCount, r.BeforeExposure, p.Confidence)
	return best.OneSided.Upper <= p.MaxRatio
}

// decideRatio is the decision by the rate ratio's bounds.
func decideRatio(p Params, in RateInput, r RateResult) RateResult {
	enough := r.WindowsPassed >= p.Windows
	cut := r.Interval.OneSided.Upper <= p.MaxRatio
	below := r.AfterRate < p.Threshold // false for NaN: no traffic proves nothing
	conf := pct(p.Confidence)
	switch {
	case enough && cut && below:
		return settle(r, OutcomeVerified, fmt.Sprintf("verified: %s; it is at most %s with %s confidence, within max_rate_ratio %s, and %s is below the threshold of %s %s",
			evidence(p, in, r), pct(r.Interval.OneSided.Upper), conf, pct(p.MaxRatio), num(r.AfterRate), num(p.Threshold), in.Basis.unit()))
	case enough && r.Interval.OneSided.Lower >= p.FailRatio:
		return settle(r, OutcomeNotFixed, fmt.Sprintf("not fixed: %s; it is at least %s with %s confidence, at or above fail_rate_ratio %s",
			evidence(p, in, r), pct(r.Interval.OneSided.Lower), conf, pct(p.FailRatio)))
	case !in.Now.Before(r.Deadline):
		return settle(r, OutcomeTimedOut, fmt.Sprintf("timed out after %s: %s; still needed: %s",
			short(p.Timeout), evidence(p, in, r), needed(p, in, r)))
	}
	return settle(r, OutcomeWatching, fmt.Sprintf("watching: %s; still needed: %s", evidence(p, in, r), needed(p, in, r)))
}

// needed lists what verified still lacks, joined by "and".
func needed(p Params, in RateInput, r RateResult) string {
	var out []string
	if r.WindowsPassed < p.Windows {
		out = append(out, fmt.Sprintf("%d whole windows of %s (%d so far)", p.Windows, short(p.Window), r.WindowsPassed))
	}
	if !(r.AfterExposure > 0) {
		out = append(out, "traffic after "+since(in))
	} else {
		if r.Interval.OneSided.Upper > p.MaxRatio {
			out = append(out, fmt.Sprintf("proof at %s confidence that the rate is at most max_rate_ratio %s of before (so far at most %s)",
				pct(p.Confidence), pct(p.MaxRatio), pct(r.Interval.OneSided.Upper)))
		}
		if !(r.AfterRate < p.Threshold) {
			out = append(out, fmt.Sprintf("a rate below the threshold of %s %s", num(p.Threshold), in.Basis.unit()))
		}
	}
	return strings.Join(out, " and ")
}

// evidence says what the windows since the clock start show, for a person
// to check against the counts.
func evidence(p Params, in RateInput, r RateResult) string {
	windows := fmt.Sprintf("%d windows of %s since %s", r.WindowsPassed, short(p.Window), since(in))
	if !(r.AfterExposure > 0) {
		return windows + " had no traffic"
	}
	return fmt.Sprintf("over %s the rate was %s %s (%s) against %s before (%s), %s of the before-rate (%s CI %s to %s)",
		windows, num(r.AfterRate), in.Basis.unit(), amount(r.AfterCount, r.AfterExposure, in.Basis),
		num(r.BeforeRate), amount(r.BeforeCount, r.BeforeExposure, in.Basis),
		pct(r.Interval.Ratio), pct(p.Confidence), pct(r.Interval.TwoSided.Lower), pct(r.Interval.TwoSided.Upper))
}

// decideThin judges an error too rare to prove a cut by the threshold over
// the whole timeout.
func decideThin(p Params, in RateInput, r RateResult) RateResult {
	why := fmt.Sprintf("too few errors before %s to prove a cut at %s (%s), so judged by the threshold over the whole %s timeout",
		since(in), pct(p.Confidence), amount(r.BeforeCount, r.BeforeExposure, in.Basis), short(p.Timeout))
	switch {
	case in.Now.Before(r.Deadline):
		return settle(r, OutcomeThinWatching, fmt.Sprintf("watching: %s, which passes at %s", why, r.Deadline.UTC().Format("2006-01-02 15:04 MST")))
	case r.WindowsPassed < p.Windows:
		return settle(r, OutcomeThinUnverified, fmt.Sprintf("unverified: %s, and only %d of %d windows of %s passed", why, r.WindowsPassed, p.Windows, short(p.Window)))
	case !(r.AfterExposure > 0):
		return settle(r, OutcomeThinUnverified, fmt.Sprintf("unverified: %s, and there was no traffic after %s to judge by", why, since(in)))
	case r.AfterRate < p.Threshold:
		return settle(r, OutcomeThinVerified, fmt.Sprintf("verified: %s: %s %s (%s) is below the threshold of %s", why, num(r.AfterRate), in.Basis.unit(), amount(r.AfterCount, r.AfterExposure, in.Basis), num(p.Threshold)))
	}
	return settle(r, OutcomeThinUnverified, fmt.Sprintf("unverified: %s: %s %s (%s) is not below the threshold of %s", why, num(r.AfterRate), in.Basis.unit(), amount(r.AfterCount, r.AfterExposure, in.Basis), num(p.Threshold)))
}

// settle sets the outcome, the state it stands for, and the reason.
func settle(r RateResult, o Outcome, reason string) RateResult {
	r.Outcome, r.Reason = o, reason
	switch o {
	case OutcomeVerified, OutcomeThinVerified:
		r.State = loop.StateVerified
	case OutcomeNotFixed, OutcomeTimedOut, OutcomeThinUnverified:
		r.State = loop.StateUnverified
	default:
		r.State = loop.StateWatching
	}
	return r
}

// since names the clock start in reasons.
func since(in RateInput) string {
	if in.Since == "" {
		return "the clock start"
	}
	return in.Since
}

// amount is a count with its exposure as a person reads it: "5 errors in
// 72h", "50 errors in 50k sessions".
func amount(count, exposure float64, b Basis) string {
	if b == "" || b == BasisEvents {
		return fmt.Sprintf("%s errors in %sh", num(count), num(exposure))
	}
	return fmt.Sprintf("%s errors in %sk %s", num(count), num(exposure), b)
}

// num prints a number with three significant digits, whole above 100
// (no exponents for the counts a person compares).
func num(x float64) string {
	if math.Abs(x) >= 100 && !math.IsInf(x, 0) {
		return strconv.FormatFloat(x, 'f', 0, 64)
	}
	return strconv.FormatFloat(x, 'g', 3, 64)
}

// pct prints a fraction as a percentage.
func pct(x float64) string {
	if math.IsInf(x, 1) {
		return "unbounded"
	}
	return num(100*x) + "%"
}

// short prints a duration without its zero minutes and seconds ("72h",
// not "72h0m0s").
func short(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}
