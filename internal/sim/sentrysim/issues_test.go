package sentrysim

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

const issuesPath = "/api/0/organizations/acme/issues/"

// TestIssueListSelectsByStatusAndRange lists issue 4711 (unresolved, an
// event an hour ago) and 4712 (resolved, an event two days ago) under
// several searches and ranges.
func TestIssueListSelectsByStatusAndRange(t *testing.T) {
	e := newEnv(t, Options{})
	e.s.SetTimeline("4711", Events(noon.Add(-time.Hour)))
	e.s.AddIssue(Issue{ID: "4712", Project: "shop", Status: "resolved", FirstSeen: noon.Add(-72 * time.Hour)})
	e.s.SetTimeline("4712", Events(noon.Add(-48*time.Hour)))
	for name, tc := range map[string]struct {
		query string
		want  []string
	}{
		"default is unresolved, 14 days": {"", []string{"4711"}},
		"resolved, 14 days":              {"?query=is:resolved", []string{"4712"}},
		"every status":                   {"?query=", []string{"4711", "4712"}},
		"resolved, last day":             {"?query=is:resolved&statsPeriod=24h", nil},
		"resolved, a range":              {"?query=is:resolved&start=2026-02-28T00:00:00Z&end=2026-03-01T00:00:00Z", []string{"4712"}},
		"two statuses select none":       {"?query=is:resolved+is:unresolved", nil},
		"ignored":                        {"?query=is:ignored", nil},
	} {
		r := e.call("GET", issuesPath+tc.query, "", both)
		if r.status != http.StatusOK {
			t.Fatalf("%s: %d %s", name, r.status, r.body)
		}
		var list []struct{ ID string }
		if err := json.Unmarshal(r.body, &list); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, is := range list {
			got = append(got, is.ID)
		}
		if len(got) != len(tc.want) || (len(got) > 0 && got[0] != tc.want[0]) {
			t.Errorf("%s: listed %v, want %v (most recently seen first)", name, got, tc.want)
		}
	}
}

// TestIssueListRefusesWhatItCannotSearch: a search term the simulator
// does not implement, a page larger than 100 and another sort are 400s,
// never silently ignored.
func TestIssueListRefusesWhatItCannotSearch(t *testing.T) {
	e := newEnv(t, Options{})
	for _, q := range []string{"?query=is:resolved+release:1.0", "?limit=101", "?limit=0", "?sort=freq", "?start=2026-03-01T00:00:00Z"} {
		if r := e.call("GET", issuesPath+q, "", answer); r.status != http.StatusBadRequest {
			t.Errorf("%s: %d %s, want 400", q, r.status, r.body)
		}
	}
}

// TestNoEventBeforeFirstSeen: a timeline that reaches back before the
// issue's first event counts nothing there, in the time series or the
// list, as in Sentry, where events make firstSeen.
func TestNoEventBeforeFirstSeen(t *testing.T) {
	e := newEnv(t, Options{})
	e.s.AddIssue(Issue{ID: "4712", Project: "shop", FirstSeen: noon.Add(-90 * time.Minute)})
	e.s.SetTimeline("4712", Rate(60))
	r := e.get("/api/0/organizations/acme/events-timeseries/?dataset=errors&query=issue.id%3A4712&yAxis=count%28%29&statsPeriod=3h&interval=3600")
	var a struct {
		TimeSeries []struct {
			Values []struct{ Value float64 } `json:"values"`
		} `json:"timeSeries"`
	}
	if err := json.Unmarshal(r.body, &a); err != nil || len(a.TimeSeries) != 1 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	var got []float64
	for _, v := range a.TimeSeries[0].Values {
		got = append(got, v.Value)
	}
	if want := []float64{0, 30, 60}; !slices.Equal(got, want) {
		t.Errorf("hourly counts %v, want %v: nothing before 10:30", got, want)
	}
	r = e.call("GET", issuesPath+"?query=&start=2026-03-02T08:00:00Z&end=2026-03-02T10:00:00Z", "", both)
	if strings.Contains(string(r.body), `"id":"4712"`) {
		t.Errorf("the list has 4712 in a range before its first event: %s", r.body)
	}
}
