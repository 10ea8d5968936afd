package sweep

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/fixproof/fixproof/internal/loop"
	"github.com/fixproof/fixproof/internal/verify"
)

// Sentence is one Sentry issue's evidence in one sentence a person can
// check against the counts: "Errors fell 96% per 1,000 sessions (95% CI 89%
// to 99%) in the 6h since 9f86d08 reached production at Nov 20 14:00 UTC
// (GitHub deployment #812); merged Nov 20 10:20 UTC." The Jira comment, the
// pull request comment and the dashboard all print it.
func Sentence(ev LinkEvidence, c Clock, p verify.Params) string {
	p = p.WithDefaults()
	r := ev.Rate
	span := fmt.Sprintf("the %s since %s", hours(time.Duration(r.WindowsPassed)*p.Window), c.Since())
	var b strings.Builder
	switch {
	case ev.Rate.Reason == "resolved in Sentry by someone else":
		b.WriteString("Resolved in Sentry by someone else")
	case !(r.AfterExposure > 0) || !(r.BeforeExposure > 0):
		fmt.Fprintf(&b, "No %s to measure a rate by in %s", trafficWord(ev.Basis), span)
	case strings.HasPrefix(string(r.Outcome), "thin-evidence"):
		fmt.Fprintf(&b, "Too few errors before the fix to prove a cut (%s in the %s before), so judged by the threshold of %s %s over the whole %s: %s in %s",
			count(r.BeforeCount), hours(time.Duration(r.BeforeWindows)*p.Window), trim(p.Threshold), unitOf(ev.Basis), hours(p.Timeout), count(r.AfterCount), span)
	case r.Outcome == verify.OutcomeNotFixed:
		fmt.Fprintf(&b, "Errors did not fall: %s of the rate before, %s (%s CI %s to %s), in %s",
			percent(r.Interval.Ratio), unitOf(ev.Basis), percent(p.Confidence), percent(r.Interval.TwoSided.Lower), percent(r.Interval.TwoSided.Upper), span)
	default:
		change, lo, hi := "fell", 1-r.Interval.TwoSided.Upper, 1-r.Interval.TwoSided.Lower
		if r.Interval.Ratio > 1 {
			change, lo, hi = "rose", r.Interval.TwoSided.Lower-1, r.Interval.TwoSided.Upper-1
		}
		fmt.Fprintf(&b, "Errors %s %s %s (%s CI %s to %s) in %s",
			change, percent(math.Abs(1-r.Interval.Ratio)), unitOf(ev.Basis), percent(p.Confidence), percent(lo), percent(hi), span)
	}
	b.WriteString(clockNote(c))
	b.WriteString(".")
	return b.String()
}

// clockNote says where the deploy came from and when the merge was, or
// why the clock starts at the merge.
func clockNote(c Clock) string {
	switch {
	case c.Deployed && c.Deploy != nil:
		return fmt.Sprintf(" (%s); merged %s", deployRef(*c.Deploy), clockTime(c.Merged))
	case c.NoDeploys:
		return fmt.Sprintf("; no deployments recorded for %s, so counting from the merge", c.Environment)
	}
	return ""
}

// deployRef names a deploy in its source: "GitHub deployment #812".
func deployRef(d loop.Deploy) string {
	src := map[string]string{loop.DeploySourceGitHub: "GitHub", loop.DeploySourceSentry: "Sentry"}[d.Source]
	if src == "" {
		src = d.Source
	}
	if d.Ref == "" {
		return src
	}
	return src + " " + d.Ref
}

func unitOf(b verify.Basis) string {
	switch b {
	case verify.BasisSessions, verify.BasisTransactions:
		return "per 1,000 " + string(b)
	}
	return "per hour"
}

func trafficWord(b verify.Basis) string {
	switch b {
	case verify.BasisSessions, verify.BasisTransactions:
		return string(b)
	}
	return "windows"
}

// hours prints a span the way the evidence reads: "6h", "90m", "3d".
func hours(d time.Duration) string {
	switch {
	case d >= 168*time.Hour && d%(24*time.Hour) == 0:
		return strconv.Itoa(int(d/(24*time.Hour))) + "d"
	case d >= time.Hour && d%time.Hour == 0:
		return strconv.Itoa(int(d/time.Hour)) + "h"
	}
	return d.String()
}

// percent prints a fraction as a whole percentage, with one decimal under
// 10% or where rounding would claim a round 0% or 100% that is not.
func percent(x float64) string {
	v := 100 * x
	r := math.Round(v)
	if v != r && (math.Abs(v) < 10 || r == 100 || r == -100) {
		return strconv.FormatFloat(v, 'f', 1, 64) + "%"
	}
	return strconv.FormatFloat(r, 'f', 0, 64) + "%"
}

func count(n float64) string {
	if n == 1 {
		return "1 error"
	}
	return trim(n) + " errors"
}

func trim(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }
