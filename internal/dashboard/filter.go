package dashboard

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fixproof/fixproof/internal/jirakey"
	"github.com/fixproof/fixproof/internal/loop"
)

// Filter is what the list shows, as the query string says: a search and
// the filters. The zero value shows every loop started in DefaultRange.
type Filter struct {
	// Query (q) finds a loop by its key, summary, fingerprint, Sentry
	// issue id or pull request ("acme/shop#7", "#7"), or by a pasted
	// link to its Jira issue, Sentry issue or pull request.
	Query string
	// State (state), Source (source: Sentry, Alertmanager, Guance or
	// unknown) and Project (project: a Jira project key) are exact.
	State   loop.State
	Source  string
	Project string
	// Range (range) is one of Ranges: loops started within it.
	Range string
}

// TimeRange is a span the list can show, back from now.
type TimeRange struct {
	Name  string
	Label string
	Span  time.Duration // 0: all time
}

// Ranges are the spans offered; DefaultRange is the list's when none is
// asked for.
var Ranges = []TimeRange{{"24h", "last 24 hours", 24 * time.Hour}, {"7d", "last 7 days", 7 * 24 * time.Hour},
	{"30d", "last 30 days", 30 * 24 * time.Hour}, {"90d", "last 90 days", 90 * 24 * time.Hour},
	{"1y", "last year", 365 * 24 * time.Hour}, {"all", "all time", 0}}

// DefaultRange is the list's range when the query names none.
const DefaultRange = "30d"

// Sources are the sources a loop can come from, "unknown" for an issue
// whose labels do not say.
var Sources = []string{"Sentry", "Alertmanager", "Guance", "unknown"}

// maxQuery bounds the search: longer is no key, summary or link.
const maxQuery = 200

// ParseFilter reads the list's query string; an error says which
// parameter is wrong and what it takes (the page answers 400).
func ParseFilter(q url.Values) (Filter, error) {
	f := Filter{Query: strings.TrimSpace(q.Get("q")), State: loop.State(q.Get("state")), Source: q.Get("source"),
		Project: strings.TrimSpace(q.Get("project")), Range: q.Get("range")}
	switch {
	case len(f.Query) > maxQuery:
		return Filter{}, fmt.Errorf("the search is %d characters long; search with at most %d", len(f.Query), maxQuery)
	case f.State != "" && !slices.Contains(States, f.State):
		return Filter{}, fmt.Errorf("unknown state %q; use one of %s", f.State, joinStates(States))
	case f.Source != "" && !slices.Contains(Sources, f.Source):
		return Filter{}, fmt.Errorf("unknown source %q; use one of %s", f.Source, strings.Join(Sources, ", "))
	case f.Project != "" && !jirakey.Valid(f.Project+"-1"):
		return Filter{}, fmt.Errorf("%q is not a Jira project key (like OPS)", f.Project)
	case f.Range != "" && f.span() < 0:
		return Filter{}, fmt.Errorf("unknown range %q; use one of %s", f.Range, rangeNames())
	}
	return f, nil
}

func joinStates(states []loop.State) string {
	s := make([]string, len(states))
	for i, st := range states {
		s[i] = string(st)
	}
	return strings.Join(s, ", ")
}

func rangeNames() string {
	s := make([]string, len(Ranges))
	for i, r := range Ranges {
		s[i] = r.Name
	}
	return strings.Join(s, ", ")
}

// TimeRange is the filter's range, DefaultRange's when it names none.
func (f Filter) TimeRange() TimeRange {
	name := f.Range
	if name == "" {
		name = DefaultRange
	}
	for _, r := range Ranges {
		if r.Name == name {
			return r
		}
	}
	return TimeRange{Span: -1}
}

func (f Filter) span() time.Duration { return f.TimeRange().Span }

// Since is when the range starts at now; zero for all time.
func (f Filter) Since(now time.Time) time.Time {
	if s := f.span(); s > 0 {
		return now.Add(-s)
	}
	return time.Time{}
}

// Values is the filter as a query string, leaving out what is unset.
func (f Filter) Values() url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"q": f.Query, "state": string(f.State), "source": f.Source, "project": f.Project, "range": f.Range} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return v
}

// URL is the list's address with the filter, "/" for none.
func (f Filter) URL() string {
	if q := f.Values().Encode(); q != "" {
		return "/?" + q
	}
	return "/"
}

// Match reports whether l passes every filter but the state: the state
// chips count what the others let through.
func (f Filter) Match(l Loop, since time.Time) bool {
	switch {
	case !since.IsZero() && l.Start().Before(since):
		return false
	case f.Source != "" && f.Source != sourceName(l.Source):
		return false
	case f.Project != "" && !strings.EqualFold(f.Project, l.Project()):
		return false
	}
	return f.Query == "" || Found(l, f.Query)
}

func sourceName(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

var (
	jiraBrowse = regexp.MustCompile(`/browse/([A-Za-z][A-Za-z0-9_]*-[0-9]+)`)
	pullPath   = regexp.MustCompile(`^/([^/]+/[^/]+)/pull/([0-9]+)`)
	issuePath  = regexp.MustCompile(`/issues/([0-9]+)`)
)

// Term is what a search looks for: the text itself, in lower case, or
// for a pasted link what it names (a Jira key, "repo#N" for a pull
// request, a Sentry issue id).
func Term(q string) string {
	q = strings.ToLower(strings.TrimSpace(q))
	u, err := url.Parse(q)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return q
	}
	for _, link := range []struct {
		re   *regexp.Regexp
		term func(m []string) string
	}{
		{jiraBrowse, func(m []string) string { return m[1] }},
		{pullPath, func(m []string) string { return m[1] + "#" + m[2] }},
		{issuePath, func(m []string) string { return m[1] }},
	} {
		if m := link.re.FindStringSubmatch(u.Path); m != nil {
			return link.term(m)
		}
	}
	return q
}

// Found reports whether a search for q finds l: its term is in its key,
// summary or fingerprint, is one of its Sentry issues (by id, or
// org/id), or names its pull request ("acme/shop#7", "shop#7", "#7").
func Found(l Loop, q string) bool {
	t := Term(q)
	return t == "" || foundTerm(l, t)
}

func foundTerm(l Loop, t string) bool {
	for _, field := range []string{l.Key, l.Summary, l.Fingerprint} {
		if strings.Contains(strings.ToLower(field), t) {
			return true
		}
	}
	for _, s := range l.Sentry {
		if t == s.IssueID || t == strings.ToLower(s.String()) {
			return true
		}
	}
	if m := l.Merge; m != nil {
		pr := "#" + strconv.Itoa(m.PR)
		repo := strings.ToLower(m.Repo)
		_, name, _ := strings.Cut(repo, "/")
		return t == pr || t == repo+pr || t == name+pr
	}
	return false
}
