package dashboard

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/fixproof/fixproof/internal/chart"
	"github.com/fixproof/fixproof/internal/jirakey"
	"github.com/fixproof/fixproof/internal/loop"
	"github.com/fixproof/fixproof/internal/retry"
	"github.com/fixproof/fixproof/internal/sentry"
	"github.com/fixproof/fixproof/internal/sentrylink"
	"github.com/fixproof/fixproof/internal/verify"
)

// Event is one line of a loop's timeline.
type Event struct {
	At   time.Time
	What string
	// Evidence are the sentences the sweep decided on, as its comments
	// print them.
	Evidence []string
}

type loopPage struct {
	Title    string
	Refresh  int // 0: the page does not reload itself
	Loop     row
	Fresh    Freshness
	Timeline []Event
	Charts   []figure
	Note     string
}

// figure is one chart, at both widths, with its numbers as a table.
type figure struct {
	Wide, Narrow template.HTML
	Unit         string
	Bars         []chart.Bar
	// Caption says why the threshold is not drawn, when it is not.
	Caption string
}

func (d *Dashboard) loop(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	if !jirakey.Valid(key) {
		d.problem(w, http.StatusBadRequest, "Not a Jira key", fmt.Sprintf("%q is not a Jira key (like OPS-12).", key))
		return
	}
	v := d.current(r.Context())
	l, ok := find(v.Loops, key)
	if !ok {
		d.problem(w, http.StatusNotFound, key+" not found", fmt.Sprintf("%s is not among the %d loops read from Jira (%s): it does not exist, the bot cannot see it, or it is newer than the data.",
			key, len(v.Loops), Fresh(d.cfg.Now(), v.Taken, v.Failing, v.Err).Text))
		return
	}
	p := loopPage{Title: l.Key + ": " + l.Summary, Loop: d.row(l), Fresh: Fresh(d.cfg.Now(), v.Taken, v.Failing, v.Err), Timeline: Timeline(l)}
	p.Charts, p.Note = d.figures(r.Context(), l)
	d.render(w, http.StatusOK, "loop", p)
}

func find(loops []Loop, key string) (Loop, bool) {
	for _, l := range loops {
		if l.Key == key {
			return l, true
		}
	}
	return Loop{}, false
}

// figures are the charts of a loop's Sentry issues, or a note saying why
// there is none. Sentry is asked once, within SentryTimeout; when it does
// not answer the last chart drawn for the issue is shown, with its age.
func (d *Dashboard) figures(ctx context.Context, l Loop) ([]figure, string) {
	switch {
	case d.sentry == nil:
		return nil, "No Sentry token is configured: no chart."
	case len(l.Sentry) == 0:
		return nil, "No Sentry issue is linked to " + l.Key + "."
	case l.MergedAt.IsZero():
		return nil, "No fix has merged yet: the chart starts at the merge."
	}
	ctx, cancel := context.WithTimeout(retry.Once(ctx), d.cfg.SentryTimeout)
	defer cancel()
	from, to := ChartRange(d.cfg.Params, l.MergedAt, l.DeployedAt(), d.cfg.Now())
	var out []figure
	note := ""
	for _, s := range l.Sentry {
		bars, err := d.bars(ctx, l, s, from, to)
		if err != nil {
			note = err.Error()
			if bars == nil {
				continue
			}
		}
		out = append(out, d.figure(s, bars))
	}
	return out, note
}

// bars are the chart's bars for one Sentry issue: read now, or when Sentry
// does not answer, those read last, with an error saying how old they are.
func (d *Dashboard) bars(ctx context.Context, l Loop, s sentrylink.Link, from, to time.Time) ([]chart.Bar, error) {
	bs, err := d.sentry.EventCounts(ctx, s.IssueID, from, to, d.cfg.Params.Window)
	d.charts.mu.Lock()
	defer d.charts.mu.Unlock()
	if err == nil {
		bars := Bars(bs, l.MergedAt, l.DeployedAt())
		if len(d.charts.byIssue) > 1000 {
			clear(d.charts.byIssue)
		}
		d.charts.byIssue[s.IssueID] = drawn{bars: bars, at: d.cfg.Now()}
		return bars, nil
	}
	d.cfg.Log.Warn("dashboard: events", "issue", s.IssueID, "error", err.Error())
	if last, ok := d.charts.byIssue[s.IssueID]; ok {
		return last.bars, fmt.Errorf("Sentry did not answer for issue %s (%v): the chart is as of %s", s.IssueID, err, Ago(d.cfg.Now().Sub(last.at)))
	}
	return nil, fmt.Errorf("Sentry did not answer for issue %s: %v", s.IssueID, err)
}

func (d *Dashboard) figure(s sentrylink.Link, bars []chart.Bar) figure {
	unit := "events per " + windowName(d.cfg.Params.Window)
	byEvents := d.cfg.Basis == "" || d.cfg.Basis == verify.BasisEvents
	c := chart.Chart{ID: "sentry-" + s.IssueID, Title: fmt.Sprintf("Sentry issue %s: %s", s.IssueID, unit),
		Unit: unit, XTitle: windowName(d.cfg.Params.Window) + " starting, UTC", Bars: bars, Limit: d.cfg.Params.Limit(), NoLimit: !byEvents}
	f := figure{Wide: template.HTML(chart.SVG(c, chart.Wide)), Narrow: template.HTML(chart.SVG(c, chart.Narrow)), Unit: unit, Bars: bars}
	if !byEvents {
		f.Caption = fmt.Sprintf("The sweep judges the error rate per 1,000 sessions or transactions where Sentry has them (rate_basis %s), so its threshold of %s is in that unit and not drawn over these counts of events; the timeline says what it decided.", d.cfg.Basis, strconv.FormatFloat(d.cfg.Params.Threshold, 'g', -1, 64))
	}
	return f
}

// windowName says a verification window in words: "hour", "30 min",
// "6 h", "day".
func windowName(w time.Duration) string {
	switch w {
	case time.Hour:
		return "hour"
	case 24 * time.Hour:
		return "day"
	}
	return Human(w)
}

// ChartRange is the windows a loop's chart shows: as many before the merge
// as verification needs after it, and after it up to now or the timeout
// (counted from the deploy when one is recorded).
func ChartRange(p verify.Params, merged, deployed, now time.Time) (from, to time.Time) {
	from = merged.Truncate(p.Window).Add(-time.Duration(p.Windows+1) * p.Window)
	start := merged
	if deployed.After(merged) {
		start = deployed
	}
	to = start.Add(p.Timeout)
	if now.Before(to) {
		to = now
	}
	if to.Before(merged) {
		to = merged
	}
	return from, to.Truncate(p.Window).Add(p.Window)
}

// Bars turns Sentry's windows into chart bars, marking those that start
// after the merge and after the deploy (zero: none recorded).
func Bars(bs []sentry.Bucket, merged, deployed time.Time) []chart.Bar {
	sort.Slice(bs, func(i, j int) bool { return bs[i].Start.Before(bs[j].Start) })
	out := make([]chart.Bar, len(bs))
	for i, b := range bs {
		at := b.Start.UTC()
		out[i] = chart.Bar{Label: at.Format("Jan 2 15:04"), Tick: at.Format("15:04"), Day: at.Format("Jan 2"), Value: b.Count, After: !b.Start.Before(merged),
			Deployed: !deployed.IsZero() && !b.Start.Before(deployed)}
	}
	return out
}

// Timeline is every step of a loop with its time, in order: the first
// alert, the fix's pull request opened and merged, the deploy, the
// sweep's decision with its evidence, and every reopening. Steps come
// from the fixproof property; for issues from before the property held
// them, Jira's resolution time stands in for the decision.
func Timeline(l Loop) []Event {
	var ev []Event
	if !l.Created.IsZero() {
		what := "The first alert became " + l.Key
		if l.Source != "" {
			what += " (from " + l.Source + ")"
		}
		ev = append(ev, Event{At: l.Created, What: what})
	}
	ev = append(ev, fixEvents(l)...)
	ev = append(ev, decisionEvents(l)...)
	for _, r := range l.Reopened {
		if at, err := time.Parse(time.RFC3339, r); err == nil {
			ev = append(ev, Event{At: at, What: "Reopened: the error came back"})
		}
	}
	if l.State == loop.StateWatching && (l.Verification == nil || l.Verification.State != loop.StateVerified) {
		ev = append(ev, Event{What: "Watching the error rate"})
	}
	sort.SliceStable(ev, func(i, j int) bool {
		if ev[i].At.IsZero() || ev[j].At.IsZero() {
			return !ev[i].At.IsZero() && ev[j].At.IsZero()
		}
		return ev[i].At.Before(ev[j].At)
	})
	return ev
}

// fixEvents are the fix's steps: its pull request opened and merged, and
// its deploy.
func fixEvents(l Loop) []Event {
	if l.Merge == nil {
		return nil
	}
	var ev []Event
	pr := fmt.Sprintf("%s#%d", l.Merge.Repo, l.Merge.PR)
	if at, err := time.Parse(time.RFC3339, l.Merge.OpenedAt); err == nil {
		ev = append(ev, Event{At: at, What: "Fix opened: " + pr})
	}
	if !l.MergedAt.IsZero() {
		what := "Fix merged: " + pr
		if c := l.Merge.Commit; len(c) >= 7 {
			what += " (" + c[:7] + ")"
		}
		ev = append(ev, Event{At: l.MergedAt, What: what})
	}
	if d := l.Deploy; d != nil {
		if at, err := time.Parse(time.RFC3339, d.At); err == nil {
			what := "Deployed to " + d.Environment
			if d.Ref != "" {
				what += ": " + d.Ref
			}
			ev = append(ev, Event{At: at, What: what})
		}
	}
	return ev
}

// decisionEvents are the sweep's decision, with its evidence when it was
// recorded, else what Jira's resolution says.
func decisionEvents(l Loop) []Event {
	if v := l.Verification; v != nil {
		at, _ := time.Parse(time.RFC3339, v.At)
		what := "Not verified"
		if v.State == loop.StateVerified {
			what = "Verified in production and closed"
		}
		return []Event{{At: at, What: what, Evidence: v.Evidence}}
	}
	switch {
	case !l.Resolved.IsZero() && l.State == loop.StateVerified:
		return []Event{{At: l.Resolved, What: "Verified in production and closed"}}
	case !l.Resolved.IsZero() && l.State == loop.StateReopened:
		return []Event{{At: l.Resolved, What: "Resolved, then reopened by a new alert"}}
	case !l.Resolved.IsZero():
		return []Event{{At: l.Resolved, What: "Resolved: " + l.Status}}
	case l.State == loop.StateUnverified:
		return []Event{{What: "Not verified: the error rate did not fall within the time allowed"}}
	}
	return nil
}
