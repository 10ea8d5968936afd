package sentrysim

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

const sessionsPath = "/api/0/organizations/acme/sessions/?"

// TestSessions reads the sessions of production from 06:20 to noon: the
// range is widened to whole hours, one group with empty "by" holds the
// series and its total, only the past is counted.
func TestSessions(t *testing.T) {
	e := newEnv(t, Options{})
	e.s.SetSessions("shop", "production", Rate(60))
	e.s.SetSessions("shop", "staging", Rate(600))
	e.clock.Set(at(11, 30))
	r := e.get(sessionsPath + "field=sum%28session%29&project=2&environment=production&interval=1h&start=2026-03-02T06%3A20%3A00Z&end=2026-03-02T12%3A00%3A00Z")
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	want := `{"end":"2026-03-02T12:00:00Z","groups":[{"by":{},"series":{"sum(session)":[60,60,60,60,60,30]},"totals":{"sum(session)":330}}],` +
		`"intervals":["2026-03-02T06:00:00Z","2026-03-02T07:00:00Z","2026-03-02T08:00:00Z","2026-03-02T09:00:00Z","2026-03-02T10:00:00Z","2026-03-02T11:00:00Z"],` +
		`"query":"","start":"2026-03-02T06:00:00Z"}`
	if string(r.body) != want {
		t.Errorf("body\n got %s\nwant %s", r.body, want)
	}
	// Nothing counted still answers one group, of zeros, as Sentry's
	// metrics backend does; every environment adds up.
	e.s.SetSessions("web", "production", Rate(0))
	var a struct {
		Groups []struct {
			Series map[string][]float64 `json:"series"`
		} `json:"groups"`
	}
	for project, wantSeries := range map[string][]float64{"3": {0, 0}, "2": {660, 330}, "-1": {660, 330}} {
		r := e.get(sessionsPath + "field=sum%28session%29&project=" + project + "&interval=1h&start=2026-03-02T10%3A00%3A00Z&end=2026-03-02T12%3A00%3A00Z")
		if err := json.Unmarshal(r.body, &a); err != nil || len(a.Groups) != 1 || !reflect.DeepEqual(a.Groups[0].Series["sum(session)"], wantSeries) {
			t.Errorf("project %s: %s", project, r.body)
		}
	}
}

// TestSessionsRefused checks what Sentry refuses on the sessions
// endpoint, with its messages.
func TestSessionsRefused(t *testing.T) {
	e := newEnv(t, Options{})
	e.s.SetSessions("shop", "production", Rate(60))
	const f = "field=sum%28session%29&"
	const win = "&start=2026-03-02T10%3A00%3A00Z&end=2026-03-02T12%3A00%3A00Z"
	for q, want := range map[string]struct {
		status int
		detail string
	}{
		"project=2" + win:                     {400, `Request is missing a "field"`},
		"field=sessions&project=2" + win:      {400, `Invalid field: "sessions"`},
		f + "groupBy=country&project=2" + win: {400, `Invalid groupBy: "country"`},
		f + "interval=30m" + win:              {400, "The interval has to be a multiple of the minimum interval of one hour."},
		f + "interval=90m" + win:              {400, "The interval has to be a multiple of the minimum interval of one hour."},
		f + "interval=2d" + win:               {400, "The interval has to be less than one day."},
		f + "interval=5h" + win:               {400, "The interval should divide one day without a remainder."},
		f + "interval=1h":                     {400, "Your interval and date range would create too many results. Use a larger interval, or a smaller date range."},
		f + "interval=1h&statsPeriod=42d":     {400, "Your interval and date range would create too many results. Use a larger interval, or a smaller date range."},
		f + "project=shop" + win:              {400, "Invalid project parameter. Values must be numbers."},
		f + "project=999" + win:               {403, "You do not have permission to perform this action."},
		f + "environment=prod" + win:          {404, "The requested resource does not exist"},
		f + "start=2026-03-02T10%3A00%3A00Z":  {400, "Invalid date range: start and end are both required"},
	} {
		wantDetail(t, e.call("GET", sessionsPath+q, "", answer), want.status, want.detail)
	}
	// 1,000 hours is allowed, and an unreadable interval is an hour, as
	// in Sentry.
	for _, q := range []string{f + "interval=1h&statsPeriod=1000h", f + "interval=soon&statsPeriod=41d", f + "interval=1d&statsPeriod=90d"} {
		if r := e.call("GET", sessionsPath+q, "", answer); r.status != 200 {
			t.Errorf("%s: %d %s", q, r.status, r.body)
		}
	}
	empty := New(Options{Org: "acme"})
	r := call(t, empty, "GET", sessionsPath+f+"statsPeriod=1d")
	if r.Code != 400 || !strings.Contains(r.Body.String(), "No projects available") {
		t.Errorf("no projects: %d %s", r.Code, r.Body)
	}
}

const topPath = "/api/0/organizations/acme/events-timeseries/?dataset=errors&yAxis=count%28%29&groupBy=issue.id&sort=-count%28%29&excludeOther=1"

// TestTimeseriesTopIssues asks for the top issues of a list, grouped by
// issue.id: a series per issue with errors in the range, most first,
// each naming its issue and its order; an issue without errors, and one
// Sentry does not know, have none; topEvents cuts the list.
func TestTimeseriesTopIssues(t *testing.T) {
	e := newEnv(t, Options{})
	e.s.AddIssue(Issue{ID: "5", Project: "shop", FirstSeen: noon.Add(-24 * time.Hour)})
	e.s.AddIssue(Issue{ID: "6", Project: "shop", FirstSeen: noon.Add(-24 * time.Hour)})
	e.s.SetTimeline("4711", Rate(6))
	e.s.SetTimeline("5", Rate(60))
	e.s.SetTimelineIn("6", "staging", Rate(600))
	q := topPath + "&query=issue.id%3A%5B4711%2C5%2C6%2C7%5D&statsPeriod=2h&interval=3600&environment=production"
	var a struct {
		TimeSeries []struct {
			GroupBy []map[string]any `json:"groupBy"`
			Values  []struct {
				Value float64 `json:"value"`
			} `json:"values"`
			Meta map[string]any `json:"meta"`
		} `json:"timeSeries"`
	}
	for top, want := range map[string][]float64{"4": {5, 4711}, "1": {5}} {
		r := e.get(q + "&topEvents=" + top)
		if err := json.Unmarshal(r.body, &a); err != nil || r.status != 200 {
			t.Fatalf("%d %s", r.status, r.body)
		}
		var got []float64
		for i, s := range a.TimeSeries {
			got = append(got, s.GroupBy[0]["value"].(float64))
			if s.GroupBy[0]["key"] != "issue.id" || s.Meta["order"] != float64(i) || s.Meta["isOther"] != false || len(s.Values) != 2 {
				t.Errorf("series %d: %+v", i, s)
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("topEvents=%s: issues %v, want %v", top, got, want)
		}
	}
	if a.TimeSeries[0].Values[0].Value != 60 {
		t.Errorf("issue 5: %+v", a.TimeSeries[0].Values)
	}
}

func TestTimeseriesTopIssuesRefused(t *testing.T) {
	e := newEnv(t, Options{})
	const list = "&query=issue.id%3A%5B4711%2C5%5D"
	for q, want := range map[string]string{
		topPath + list + "&topEvents=11":                                             "Can only get up to 10 top events",
		topPath + list + "&topEvents=0":                                              "topEvents needs to be at least 1",
		topPath + list + "&topEvents=two":                                            "topEvents must be an integer",
		strings.Replace(topPath, "&groupBy=issue.id", "", 1) + list + "&topEvents=2": "groupBy is a required parameter when doing topEvents",
		strings.Replace(topPath, "&excludeOther=1", "", 1) + list + "&topEvents=2":   "sentrysim does not simulate the Other series: ask with excludeOther=1",
	} {
		wantDetail(t, e.call("GET", q, "", answer), 400, want)
	}
}

// TestTimeseriesTransactions counts a project's transactions on the spans
// dataset, with the sample count and rate Sentry's spans values carry.
func TestTimeseriesTransactions(t *testing.T) {
	e := newEnv(t, Options{})
	e.s.SetTransactions("shop", "production", Rate(600))
	e.s.SetTransactions("api", "production", Rate(6000))
	meta, values, iv := series(t, e.get("/api/0/organizations/acme/events-timeseries/?dataset=spans&query=is_transaction%3Atrue&yAxis=count%28%29&project=2&environment=production&interval=3600&statsPeriod=2h"))
	if meta["dataset"] != "spans" || iv != 3600000 || len(values) != 2 {
		t.Fatalf("meta %v, interval %g, %d values", meta, iv, len(values))
	}
	if values[0]["value"] != 600.0 || values[0]["sampleCount"] != 600.0 || values[0]["sampleRate"] != 1.0 || values[0]["confidence"] != "high" {
		t.Errorf("value %v", values[0])
	}
	wantDetail(t, e.call("GET", "/api/0/organizations/acme/events-timeseries/?dataset=spans&query=transaction%3Afoo", "", answer), 400,
		`sentrysim supports only query=is_transaction:true without topEvents on dataset=spans, got "transaction:foo"`)
	wantDetail(t, e.call("GET", "/api/0/organizations/acme/events-timeseries/?dataset=spans&query=is_transaction%3Atrue&environment=qa", "", answer), 404,
		"The requested resource does not exist")
}

// TestEnvironmentNamesSentryRefuses: the setters panic for names Sentry
// refuses, and for unknown issues and releases.
func TestEnvironmentNamesSentryRefuses(t *testing.T) {
	s := New(Options{Org: "acme"})
	s.AddIssue(Issue{ID: "1"})
	s.AddRelease(Release{Version: "v1"})
	for name, f := range map[string]func(){
		"empty":             func() { s.SetSessions("shop", "", Rate(1)) },
		"slash":             func() { s.SetTransactions("shop", "eu/prod", Rate(1)) },
		"newline":           func() { s.SetTimelineIn("1", "prod\n", Rate(1)) },
		"65 characters":     func() { s.AddDeploy("v1", Deploy{Environment: strings.Repeat("e", 65)}) },
		"unknown issue":     func() { s.SetTimelineIn("2", "production", Rate(1)) },
		"unknown release":   func() { s.AddDeploy("v2", Deploy{Environment: "production"}) },
		"duplicate release": func() { s.AddRelease(Release{Version: "v1"}) },
		"version slash":     func() { s.AddRelease(Release{Version: "a/b"}) },
		"version latest":    func() { s.AddRelease(Release{Version: "Latest"}) },
		"version ..":        func() { s.AddRelease(Release{Version: ".."}) },
		"version empty":     func() { s.AddRelease(Release{}) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s did not panic", name)
				}
			}()
			f()
		}()
	}
	s.SetSessions("shop", strings.Repeat("e", 64), Rate(1))
}
