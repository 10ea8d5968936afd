package verify

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/fixproof/fixproof/internal/loop"
)

var (
	// deploy is on a window boundary; TestDecideRate also starts a clock
	// mid-window.
	deploy     = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	rateParams = Params{Threshold: 1, Window: hour, Windows: 3, Timeout: 72 * hour}
)

// spread makes n hourly windows from start holding total whole events,
// spread as evenly as whole events allow, each with exposure exp.
func spread(start time.Time, n int, total, exp float64) []Window {
	out := make([]Window, n)
	for i := range out {
		lo := math.Floor(float64(i) * total / float64(n))
		hi := math.Floor(float64(i+1) * total / float64(n))
		out[i] = Window{Start: start.Add(time.Duration(i) * hour), Count: hi - lo, Exposure: exp}
	}
	return out
}

// baseline is n hourly windows ending at the deploy.
func baseline(n int, total, exp float64) []Window {
	return spread(deploy.Add(-time.Duration(n)*hour), n, total, exp)
}

// sinceDeploy is n hourly windows from the deploy.
func sinceDeploy(n int, total, exp float64) []Window { return spread(deploy, n, total, exp) }

// decideRateCases are the rules of the issue, one case each.
var decideRateCases = []struct {
	name    string
	p       Params
	in      RateInput
	want    Outcome
	windows int
	reason  string // a part the reason must hold
}{
	{
		name: "120 events in 10h before, 2 in 10h after: verified at 95%",
		p:    rateParams,
		in:   RateInput{Start: deploy, Now: deploy.Add(10 * hour), Before: baseline(10, 120, 1), After: sinceDeploy(10, 2, 1)},
		want: OutcomeVerified, windows: 10, reason: "it is at most 5.34% with 95% confidence",
	},
	{
		name: "fewer whole windows than verify_windows: watching although the cut is proved",
		p:    rateParams,
		in:   RateInput{Start: deploy, Now: deploy.Add(2 * hour), Before: baseline(10, 120, 1), After: sinceDeploy(2, 0, 1)},
		want: OutcomeWatching, windows: 2, reason: "3 whole windows of 1h (2 so far)",
	},
	{
		name: "a window still filling does not count",
		p:    rateParams,
		in:   RateInput{Start: deploy, Now: deploy.Add(2*hour + 30*time.Minute), Before: baseline(10, 120, 1), After: sinceDeploy(3, 0, 1)},
		want: OutcomeWatching, windows: 2,
	},
	{
		name: "the window the clock started in never counts (its 50 errors are from before the fix)",
		p:    rateParams,
		in: RateInput{Start: deploy.Add(20 * time.Minute), Now: deploy.Add(4 * hour), Before: baseline(10, 120, 1),
			After: append([]Window{{Start: deploy, Count: 50, Exposure: 1}}, spread(deploy.Add(hour), 3, 0, 1)...)},
		want: OutcomeVerified, windows: 3,
	},
	{
		name: "ratio proved but the rate is not below the threshold: watching",
		p:    rateParams,
		in:   RateInput{Start: deploy, Now: deploy.Add(10 * hour), Before: baseline(10, 1200, 1), After: sinceDeploy(10, 20, 1)},
		want: OutcomeWatching, windows: 10, reason: "a rate below the threshold of 1 per hour",
	},
	{
		name: "still above the threshold at the timeout: unverified; windows after the deadline do not count",
		p:    rateParams,
		in:   RateInput{Start: deploy, Now: deploy.Add(80 * hour), Before: baseline(10, 1200, 1), After: sinceDeploy(80, 160, 1)},
		want: OutcomeTimedOut, windows: 72, reason: "timed out after 72h",
	},
	{
		name: "halved, neither proved cut nor proved not, at the timeout: unverified",
		p:    Params{Threshold: 6, Window: hour, Windows: 3, Timeout: 72 * hour},
		in:   RateInput{Start: deploy, Now: deploy.Add(72 * hour), Before: baseline(10, 100, 1), After: sinceDeploy(72, 360, 1)},
		want: OutcomeTimedOut, windows: 72, reason: "at most max_rate_ratio 20%",
	},
	{
		name: "the timeout counts from TimeoutFrom (the merge, a day before the deploy)",
		p:    Params{Threshold: 6, Window: hour, Windows: 3, Timeout: 72 * hour},
		in: RateInput{Start: deploy, TimeoutFrom: deploy.Add(-24 * hour), Now: deploy.Add(48 * hour),
			Before: baseline(10, 100, 1), After: sinceDeploy(48, 240, 1)},
		want: OutcomeTimedOut, windows: 48,
	},
	{
		name: "equal rates, 100 and 100 in 10h: not fixed, before the timeout",
		p:    rateParams,
		in:   RateInput{Start: deploy, Now: deploy.Add(10 * hour), Before: baseline(10, 100, 1), After: sinceDeploy(10, 100, 1)},
		want: OutcomeNotFixed, windows: 10, reason: "at least 78.5% with 95% confidence, at or above fail_rate_ratio 70%",
	},
	{
		name: "equal rates, 30 and 30 in 10h: too few events to tell yet",
		p:    rateParams,
		in:   RateInput{Start: deploy, Now: deploy.Add(10 * hour), Before: baseline(10, 30, 1), After: sinceDeploy(10, 30, 1)},
		want: OutcomeWatching, windows: 10,
	},
	{
		name: "equal rates but fewer windows than verify_windows: watching",
		p:    rateParams,
		in:   RateInput{Start: deploy, Now: deploy.Add(2 * hour), Before: baseline(10, 1000, 1), After: sinceDeploy(2, 200, 1)},
		want: OutcomeWatching, windows: 2,
	},
	{
		name: "no sessions since the deploy: watching, no division by zero",
		p:    rateParams,
		in: RateInput{Start: deploy, Now: deploy.Add(3 * hour), Basis: BasisSessions, Since: "the deploy",
			Before: baseline(10, 120, 10), After: sinceDeploy(3, 0, 0)},
		want: OutcomeWatching, windows: 3, reason: "had no traffic; still needed: traffic after the deploy",
	},
	{
		name: "no sessions before: no baseline, judged by the threshold",
		p:    rateParams,
		in: RateInput{Start: deploy, Now: deploy.Add(3 * hour), Basis: BasisSessions,
			Before: baseline(10, 0, 0), After: sinceDeploy(3, 0, 5)},
		want: OutcomeThinWatching, windows: 3,
	},
}

func TestDecideRate(t *testing.T) {
	for _, tt := range decideRateCases {
		t.Run(tt.name, func(t *testing.T) {
			r := DecideRate(tt.p, tt.in)
			if r.Outcome != tt.want || r.WindowsPassed != tt.windows {
				t.Errorf("%s with %d windows, want %s with %d\n%s", r.Outcome, r.WindowsPassed, tt.want, tt.windows, r.Reason)
			}
			if !strings.Contains(r.Reason, tt.reason) {
				t.Errorf("reason %q does not say %q", r.Reason, tt.reason)
			}
			t.Log(r.Reason)
		})
	}
}

// TestDecideRateVerifiedEvidence checks the numbers behind the issue's
// example against SciPy's (the rate-ratio known answers: 2,10,120,10).
func TestDecideRateVerifiedEvidence(t *testing.T) {
	r := DecideRate(rateParams, RateInput{Start: deploy, Now: deploy.Add(10 * hour), Before: baseline(10, 120, 1), After: sinceDeploy(10, 2, 1), Since: "the deploy"})
	if r.State != loop.StateVerified {
		t.Fatalf("%s: %s", r.State, r.Reason)
	}
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"before count", r.BeforeCount, 120}, {"before exposure", r.BeforeExposure, 10}, {"before rate", r.BeforeRate, 12},
		{"after count", r.AfterCount, 2}, {"after exposure", r.AfterExposure, 10}, {"after rate", r.AfterRate, 0.2},
		{"ratio", r.Interval.Ratio, 1.0 / 60}, {"one-sided upper", r.Interval.OneSided.Upper, 0.05341198094},
		{"two-sided lower", r.Interval.TwoSided.Lower, 0.00199549861}, {"two-sided upper", r.Interval.TwoSided.Upper, 0.06153075777},
	} {
		if !near(c.got, c.want) {
			t.Errorf("%s %.10g, want %.10g", c.name, c.got, c.want)
		}
	}
	for _, part := range []string{"since the deploy", "0.2 per hour (2 errors in 10h) against 12 before (120 errors in 10h)", "1.67% of the before-rate (95% CI 0.2% to 6.15%)", "below the threshold of 1 per hour"} {
		if !strings.Contains(r.Reason, part) {
			t.Errorf("reason %q does not say %q", r.Reason, part)
		}
	}
}

// TestDecideRateThinEvidence: 5 errors in the 72h before the deploy is too
// rare for even 72 quiet hours to prove an 80% cut at 95% (the bound is
// 82%), so the threshold decides at the timeout. 5 errors in 3h is not
// rare: 13 quiet hours prove the cut.
func TestDecideRateThinEvidence(t *testing.T) {
	rare := baseline(72, 5, 1)
	tests := []struct {
		name  string
		in    RateInput
		want  Outcome
		state loop.State
	}{
		{"5 in 72h before, 0 in 3h after: watching until the timeout", RateInput{Now: deploy.Add(3 * hour), Before: rare, After: sinceDeploy(3, 0, 1)}, OutcomeThinWatching, loop.StateWatching},
		{"still watching an hour before the timeout", RateInput{Now: deploy.Add(71 * hour), Before: rare, After: sinceDeploy(71, 0, 1)}, OutcomeThinWatching, loop.StateWatching},
		{"quiet at the timeout: verified by the threshold", RateInput{Now: deploy.Add(72 * hour), Before: rare, After: sinceDeploy(72, 3, 1)}, OutcomeThinVerified, loop.StateVerified},
		{"at the threshold over the timeout: unverified", RateInput{Now: deploy.Add(72 * hour), Before: rare, After: sinceDeploy(72, 72, 1)}, OutcomeThinUnverified, loop.StateUnverified},
		{"no errors before at all: nothing to cut, judged by the threshold", RateInput{Now: deploy.Add(3 * hour), Before: baseline(72, 0, 1), After: sinceDeploy(3, 0, 1)}, OutcomeThinWatching, loop.StateWatching},
		{"5 in 3h before, 0 in 3h after: provable, so the ratio decides (not yet)", RateInput{Now: deploy.Add(3 * hour), Before: baseline(3, 5, 1), After: sinceDeploy(3, 0, 1)}, OutcomeWatching, loop.StateWatching},
		{"5 in 3h before, 0 in 13h after: verified by the ratio", RateInput{Now: deploy.Add(13 * hour), Before: baseline(3, 5, 1), After: sinceDeploy(13, 0, 1)}, OutcomeVerified, loop.StateVerified},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.Start, tt.in.Since = deploy, "the fix"
			r := DecideRate(rateParams, tt.in)
			if r.Outcome != tt.want || r.State != tt.state {
				t.Errorf("%s (%s), want %s (%s)\n%s", r.Outcome, r.State, tt.want, tt.state, r.Reason)
			}
			thin := strings.Contains(r.Reason, "too few errors before the fix to prove a cut at 95%") && strings.Contains(r.Reason, "the whole 72h timeout")
			if thin != strings.HasPrefix(string(r.Outcome), "thin-evidence") {
				t.Errorf("the reason must say the threshold decides exactly on the thin-evidence path: %s", r.Reason)
			}
			t.Log(r.Reason)
		})
	}
}

// TestDecideRateCountsRatesNotEvents: at night the traffic halves and the
// errors with it. Counted per hour (a count rule, which fixproof used
// before) that looks fixed; per 1,000 sessions the rate did not move, and the rate
// decision says not fixed. Even per hour, a 50% fall is far from the 80%
// cut max_rate_ratio asks for.
func TestDecideRateCountsRatesNotEvents(t *testing.T) {
	before := baseline(10, 100, 10) // 10 errors in 10k sessions an hour
	after := sinceDeploy(10, 50, 5) // 5 errors in 5k sessions an hour
	now := deploy.Add(10 * hour)

	// The count rule fixproof used before: every one of the last 3 windows
	// after the clock start below the threshold (6 an hour).
	quiet := 0
	for _, w := range after {
		if w.Count < 6 {
			quiet++
		}
	}
	if quiet < 3 {
		t.Fatalf("the count rule should be fooled here (5 events an hour is below 6): %d quiet windows", quiet)
	}

	p := Params{Threshold: 6, Window: hour, Windows: 3, Timeout: 72 * hour}
	bySessions := DecideRate(p, RateInput{Start: deploy, Now: now, Basis: BasisSessions, Before: before, After: after})
	if bySessions.State == loop.StateVerified || bySessions.Outcome != OutcomeNotFixed || bySessions.Interval.Ratio != 1 {
		t.Errorf("per 1,000 sessions: %s with ratio %g, want not fixed with ratio 1\n%s", bySessions.Outcome, bySessions.Interval.Ratio, bySessions.Reason)
	}
	if !strings.Contains(bySessions.Reason, "1 per 1,000 sessions (50 errors in 50k sessions)") {
		t.Errorf("reason %q does not give the rate per 1,000 sessions", bySessions.Reason)
	}

	hours := func(ws []Window) []Window {
		out := append([]Window(nil), ws...)
		for i := range out {
			out[i].Exposure = 1
		}
		return out
	}
	byHours := DecideRate(p, RateInput{Start: deploy, Now: now, Before: hours(before), After: hours(after)})
	if byHours.State != loop.StateWatching || byHours.Interval.Ratio != 0.5 {
		t.Errorf("per hour: %s with ratio %g, want watching with ratio 0.5\n%s", byHours.State, byHours.Interval.Ratio, byHours.Reason)
	}
}

// TestDecideRateInvariants runs the decision over random counts and
// traffic, including hours without any, and checks what each outcome
// promises.
func TestDecideRateInvariants(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 11))
	seen := map[Outcome]int{}
	for range 3000 {
		p := Params{Threshold: []float64{0.001, 0.01, 0.1, 1, 10}[rng.IntN(5)], Window: hour, Windows: 1 + rng.IntN(5), Timeout: time.Duration(10+rng.IntN(60)) * hour}
		in := RateInput{Start: deploy, Now: deploy.Add(time.Duration(rng.IntN(80)) * hour), Basis: BasisTransactions}
		// Rare to frequent errors, and fixes from none to making it worse.
		before := []float64{0.005, 0.05, 0.5, 5}[rng.IntN(4)]
		after := before * []float64{0, 0.02, 0.5, 1, 3}[rng.IntN(5)]
		in.Before = randomWindows(rng, deploy.Add(-24*hour), 24, before)
		in.After = randomWindows(rng, deploy, 80, after)
		r := DecideRate(p, in)
		ok := r.Reason != "" && r.WindowsPassed <= int(p.Timeout/hour) && keepsPromise(p, in, r)
		if !ok {
			t.Fatalf("%+v\n%+v", p, r)
		}
		seen[r.Outcome]++
	}
	// The random cases must reach every rule, or they check little.
	for _, o := range []Outcome{OutcomeWatching, OutcomeVerified, OutcomeNotFixed, OutcomeTimedOut, OutcomeThinWatching, OutcomeThinVerified, OutcomeThinUnverified} {
		if seen[o] == 0 {
			t.Errorf("no random case reached %s: %v", o, seen)
		}
	}
}

// keepsPromise reports whether r's state holds what it promises.
func keepsPromise(p Params, in RateInput, r RateResult) bool {
	switch r.State {
	case loop.StateVerified:
		cut := r.Outcome == OutcomeThinVerified || r.Interval.OneSided.Upper <= DefaultMaxRatio
		return cut && r.WindowsPassed >= p.Windows && r.AfterRate < p.Threshold
	case loop.StateUnverified:
		// Only a proof that the rate was not cut decides before the
		// deadline; at or past it, that proof still names the outcome.
		if r.Outcome == OutcomeNotFixed {
			return r.Interval.OneSided.Lower >= DefaultFailRatio
		}
		return !in.Now.Before(r.Deadline)
	case loop.StateWatching:
		return in.Now.Before(r.Deadline)
	}
	return false
}

// randomWindows makes n hourly windows from start with random traffic,
// about a tenth of them without any, and Poisson errors at rate per unit
// of traffic.
func randomWindows(rng *rand.Rand, start time.Time, n int, rate float64) []Window {
	out := make([]Window, n)
	for i := range out {
		exp := rng.Float64() * 20
		if rng.IntN(10) == 0 {
			exp = 0
		}
		count := 0.0
		if rate*exp > 0 {
			count = distuv.Poisson{Lambda: rate * exp, Src: rng}.Rand()
		}
		out[i] = Window{Start: start.Add(time.Duration(i) * hour), Count: count, Exposure: exp}
	}
	return out
}

func TestParamsWithDefaults(t *testing.T) {
	got := Params{}.WithDefaults()
	if got.Confidence != 0.95 || got.MaxRatio != 0.2 || got.FailRatio != 0.7 {
		t.Errorf("defaults %+v", got)
	}
	set := Params{Confidence: 0.99, MaxRatio: 0.1, FailRatio: 0.5}
	if got := set.WithDefaults(); got != set {
		t.Errorf("WithDefaults changed settings given: %+v", got)
	}
}

func TestParamsValidateNamesTheInput(t *testing.T) {
	with := func(f func(*Params)) Params {
		p := rateParams
		f(&p)
		return p
	}
	for _, tt := range []struct {
		p    Params
		want string
	}{
		{with(func(p *Params) { p.Threshold = 0 }), "error_rate_threshold"},
		{with(func(p *Params) { p.Threshold = math.NaN() }), "error_rate_threshold"},
		{with(func(p *Params) { p.Window = time.Second }), "verify_window"},
		{with(func(p *Params) { p.Windows = 0 }), "verify_windows"},
		{with(func(p *Params) { p.Timeout = 2 * hour }), "verify_timeout"},
		{with(func(p *Params) { p.Confidence = 1 }), "verify_confidence"},
		{with(func(p *Params) { p.Confidence = 0.3 }), "verify_confidence"},
		{with(func(p *Params) { p.MaxRatio = -0.2 }), "max_rate_ratio"},
		{with(func(p *Params) { p.MaxRatio = 1 }), "max_rate_ratio"},
		{with(func(p *Params) { p.MaxRatio, p.FailRatio = 0.5, 0.4 }), "fail_rate_ratio"},
		{with(func(p *Params) { p.FailRatio = math.Inf(1) }), "fail_rate_ratio"},
	} {
		if err := tt.p.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Validate(%+v) = %v, want an error naming %s", tt.p, err, tt.want)
		}
	}
	if err := rateParams.Validate(); err != nil {
		t.Errorf("defaults rejected: %v", err)
	}
}
