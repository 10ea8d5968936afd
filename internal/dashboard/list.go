package dashboard

import (
	"fmt"
	"html/template"
	"math"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/fixproof/fixproof/internal/chart"
	"github.com/fixproof/fixproof/internal/loop"
)

// trendParts is how many parts of the range each trend line shows.
const trendParts = 12

type listPage struct {
	Title   string
	Filter  Filter
	Fresh   Freshness
	Refresh int // seconds between the page's reloads
	// All counts the loops the filters other than the state let
	// through; Chips are the state filter with each state's count.
	All      int
	AllURL   string
	Chips    []chip
	Rows     []row
	Numbers  numbersView
	Ranges   []TimeRange
	Range    TimeRange
	States   []loop.State
	Sources  []string
	Projects []string
	// AnyDead says there are dead letters to look at.
	AnyDead bool
}

type chip struct {
	State loop.State
	N     int
	URL   string
	On    bool
}

// row is one loop in the list with its links.
type row struct {
	Loop
	Page   string // the loop's page on the dashboard
	Jira   Link
	Sentry []Link
	PR     Link
}

type numbersView struct {
	Total   int
	Started template.HTML
	Times   []timingView
	Shares  []shareView
	Span    string
}

type timingView struct {
	Timing
	Spark template.HTML
}

type shareView struct {
	Share
	Spark template.HTML
}

func (d *Dashboard) list(w http.ResponseWriter, r *http.Request) {
	f, err := ParseFilter(r.URL.Query())
	if err != nil {
		d.problem(w, http.StatusBadRequest, "Bad search", err.Error())
		return
	}
	v := d.current(r.Context())
	now := d.cfg.Now()
	p := listPage{Title: "fixproof: every loop", Filter: f, Fresh: Fresh(now, v.Taken, v.Failing, v.Err), Ranges: Ranges, Range: f.TimeRange(),
		States: States, Sources: Sources, Projects: projects(v.Loops), Refresh: int(d.cfg.PageRefresh.Seconds())}
	if v.Taken.IsZero() {
		p.Refresh = min(p.Refresh, 5) // the first reading is on its way
	}
	since := f.Since(now)
	var matched []Loop
	for _, l := range v.Loops {
		if f.Match(l, since) {
			matched = append(matched, l)
		}
	}
	p.All, p.AllURL, p.Chips = len(matched), withState(f, "").URL(), d.chips(f, matched)
	var shown []Loop
	for _, l := range matched {
		if f.State == "" || l.State == f.State {
			shown = append(shown, l)
			p.Rows = append(p.Rows, d.row(l))
		}
	}
	p.Numbers = numbers(shown, rangeStart(since, shown, now), now, p.Range)
	p.AnyDead = d.anyDead(r)
	d.render(w, http.StatusOK, "list", p)
}

func withState(f Filter, s loop.State) Filter {
	f.State = s
	return f
}

// chips are the state filter: each state with how many loops the other
// filters let through are in it, linking to the list of them.
func (d *Dashboard) chips(f Filter, loops []Loop) []chip {
	counts := map[loop.State]int{}
	for _, l := range loops {
		counts[l.State]++
	}
	out := make([]chip, len(States))
	for i, s := range States {
		out[i] = chip{State: s, N: counts[s], URL: withState(f, s).URL(), On: f.State == s}
	}
	return out
}

func (d *Dashboard) row(l Loop) row {
	r := row{Loop: l, Page: "/loops/" + l.Key}
	r.Jira, r.Sentry, r.PR = d.links(l)
	return r
}

// anyDead says whether dead letters wait. Best effort: the list is worth
// showing even if the store cannot say.
func (d *Dashboard) anyDead(r *http.Request) bool {
	if d.cfg.Dead == nil {
		return false
	}
	dead, err := d.cfg.Dead.Dead(r.Context(), 1)
	if err != nil {
		d.cfg.Log.Warn("dashboard: read the dead letters", "error", err.Error())
	}
	return len(dead) > 0
}

// projects are the Jira projects of the loops, sorted.
func projects(loops []Loop) []string {
	var out []string
	for _, l := range loops {
		if p := l.Project(); p != "" && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

// rangeStart is where the trends start: the range's start, or for all
// time the first loop's.
func rangeStart(since time.Time, loops []Loop, now time.Time) time.Time {
	if !since.IsZero() {
		return since
	}
	start := now
	for _, l := range loops {
		if s := l.Start(); s.Before(start) {
			start = s
		}
	}
	return start
}

// numbers are the figures at the top of the list, with their trend lines.
func numbers(loops []Loop, from, to time.Time, r TimeRange) numbersView {
	n := Sum(loops, from, to.Add(time.Nanosecond), trendParts)
	part := to.Sub(from) / trendParts
	span := fmt.Sprintf("%s, in %d parts of %s", r.Label, trendParts, Human(part))
	v := numbersView{Total: n.Total, Span: span,
		Started: spark(fmt.Sprintf("Loops started in each part of the %s", span), n.Started, "%.0f")}
	for _, t := range n.Times {
		v.Times = append(v.Times, timingView{Timing: t, Spark: spark("Median hours "+t.Name+" in each part of the "+span, t.Trend, "%.1f")})
	}
	for _, s := range n.Shares {
		v.Shares = append(v.Shares, shareView{Share: s, Spark: spark("Percent "+s.Name+" in each part of the "+span, s.Trend, "%.0f")})
	}
	return v
}

// spark draws a trend line whose text alternative lists its values.
func spark(label string, values []float64, format string) template.HTML {
	words := make([]string, len(values))
	for i, v := range values {
		words[i] = "none"
		if !math.IsNaN(v) {
			words[i] = fmt.Sprintf(format, v)
		}
	}
	return template.HTML(chart.SparkSVG(label+": "+strings.Join(words, ", "), values))
}
