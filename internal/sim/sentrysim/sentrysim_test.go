package sentrysim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/contract"
	"github.com/fixproof/fixproof/internal/sim"
)

var noon = time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)

func at(hour, min int) time.Time { return time.Date(2026, 3, 2, hour, min, 0, 0, time.UTC) }

type tenv struct {
	t       *testing.T
	s       *Server
	clock   *sim.Clock
	base    string
	checked http.RoundTripper // validates against Sentry's spec when present
	spec    *contract.Spec    // nil when the contracts are absent
}

func newEnv(t *testing.T, o Options) *tenv {
	t.Helper()
	e := &tenv{t: t, clock: sim.NewClock(noon), checked: http.DefaultTransport}
	o.Token, o.Org, o.Now = "tok", "acme", e.clock.Now
	e.s = New(o)
	srv := httptest.NewServer(e.s.Handler())
	t.Cleanup(srv.Close)
	e.base = srv.URL
	if _, ok := contract.Available(t); ok {
		e.spec = contract.SentrySpec(t)
		e.checked = e.spec.Transport(t, http.DefaultTransport)
	}
	e.s.AddIssue(Issue{ID: "4711", ShortID: "SHOP-2F", Title: "ZeroDivisionError: division by zero", Project: "shop", Culprit: "shop.cart in total", FirstSeen: noon.Add(-24 * time.Hour)})
	return e
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body %s: %v", r.body, err)
	}
	return m
}

// check says what of an exchange is checked against Sentry's spec.
type check int

const (
	both      check = iota // request and response
	answer                 // the response only: the request breaks the spec on purpose
	unchecked              // nothing: the spec has no operation for the request
)

// call sends a request with the token, checked as mode says; header gives
// header names and values to set ("" deletes).
func (e *tenv) call(method, path, body string, mode check, header ...string) response {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.base+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer tok")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		if header[i+1] == "" {
			req.Header.Del(header[i])
		} else {
			req.Header.Set(header[i], header[i+1])
		}
	}
	tr := e.checked
	if mode != both {
		tr = http.DefaultTransport
	}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if mode == answer && e.spec != nil {
		if err := e.spec.ValidateResponse(req, resp.StatusCode, resp.Header, b); err != nil {
			e.t.Errorf("%v", err)
		}
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		e.t.Errorf("%s %s: Content-Type %q", method, path, ct)
	}
	return response{resp.StatusCode, resp.Header, b}
}

func (e *tenv) get(path string) response { e.t.Helper(); return e.call("GET", path, "", both) }

const issuePath = "/api/0/organizations/acme/issues/4711/"

func wantDetail(t *testing.T, r response, status int, detail string) {
	t.Helper()
	if r.status != status {
		t.Errorf("status %d, want %d (%s)", r.status, status, r.body)
		return
	}
	var got map[string]any
	if err := json.Unmarshal(r.body, &got); err != nil || got["detail"] != detail || len(got) != 1 {
		t.Errorf("body %s, want {\"detail\": %q}", r.body, detail)
	}
}

func TestAuth(t *testing.T) {
	e := newEnv(t, Options{})
	wantDetail(t, e.call("GET", issuePath, "", both, "Authorization", ""), 401, "Authentication credentials were not provided.")
	wantDetail(t, e.call("GET", issuePath, "", both, "Authorization", "Basic dG9rOg=="), 401, "Authentication credentials were not provided.")
	wantDetail(t, e.call("GET", issuePath, "", both, "Authorization", "Bearer nope"), 401, "Invalid token")
	if r := e.call("GET", issuePath, "", both, "Authorization", "bearer tok"); r.status != 200 {
		t.Errorf("lower-case scheme: %d %s", r.status, r.body)
	}
	wantDetail(t, e.get("/api/0/organizations/other/issues/4711/"), 403, "You do not have permission to perform this action.")
	wantDetail(t, e.get("/api/0/organizations/other/events-timeseries/?dataset=errors"), 403, "You do not have permission to perform this action.")
	wantDetail(t, e.call("GET", "/api/0/projects/acme/shop/", "", answer, "Authorization", "Bearer nope"), 401, "Invalid token")
	wantDetail(t, e.call("GET", "/api/0/organizations/acme/fixproof/", "", unchecked), 404, "The requested resource does not exist")
	wantDetail(t, e.call("DELETE", issuePath, "", unchecked), 405, `Method "DELETE" not allowed.`)
	wantDetail(t, e.call("PATCH", issuePath+"comments/", "", unchecked), 405, `Method "PATCH" not allowed.`)
	wantDetail(t, e.get("/api/0/organizations/acme/issues/999/"), 404, "The requested resource does not exist")
	if n := e.s.Control.Total(); n != 11 {
		t.Errorf("%d requests counted", n)
	}

	// Without the trailing slash, a GET is redirected to the path with it,
	// as on Sentry (whose Django answers 301; Go's router answers 307).
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/api/0/organizations/acme/issues/4711", nil)
	req.Header.Set("Authorization", "Bearer tok")
	e.s.Handler().ServeHTTP(rec, req)
	if rec.Code/100 != 3 || rec.Header().Get("Location") != "/api/0/organizations/acme/issues/4711/" {
		t.Errorf("no slash: %d, Location %q", rec.Code, rec.Header().Get("Location"))
	}
}

func TestAnyTokenWhenNoneConfigured(t *testing.T) {
	s := New(Options{Org: "acme"})
	s.AddIssue(Issue{ID: "1"})
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/api/0/organizations/acme/issues/1/", nil)
	req.Header.Set("Authorization", "Bearer whatever")
	s.Handler().ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Errorf("status %d", rec.Code)
	}
}

func TestGetIssue(t *testing.T) {
	e := newEnv(t, Options{})
	e.s.SetTimeline("4711", Rate(6))
	e.s.AddNote("4711", "Jane Doe", "looking")
	r := e.get(issuePath)
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	m := r.json(t)
	for k, want := range map[string]any{
		"id": "4711", "shortId": "SHOP-2F", "title": "ZeroDivisionError: division by zero", "culprit": "shop.cart in total",
		"permalink": "https://acme.sentry.io/issues/4711/", "level": "error", "status": "unresolved", "substatus": "ongoing",
		"count": "144", "userCount": 1.0, "firstSeen": "2026-03-01T12:00:00Z", "type": "error", "issueCategory": "error",
		"numComments": 1.0,
	} {
		if !reflect.DeepEqual(m[k], want) {
			t.Errorf("%s = %#v, want %#v", k, m[k], want)
		}
	}
	if p := m["project"].(map[string]any); p["slug"] != "shop" || p["name"] != "shop" || p["id"] == "" {
		t.Errorf("project %v", p)
	}
	if md := m["metadata"].(map[string]any); md["type"] != "ZeroDivisionError" || md["value"] != "division by zero" {
		t.Errorf("metadata %v", md)
	}
	if d, ok := m["statusDetails"].(map[string]any); !ok || len(d) != 0 {
		t.Errorf("statusDetails %v", m["statusDetails"])
	}
	// 6 an hour: the last event was at most 10 minutes ago.
	last, err := time.Parse(time.RFC3339Nano, m["lastSeen"].(string))
	if err != nil || last.Before(noon.Add(-10*time.Minute-time.Second)) || last.After(noon) {
		t.Errorf("lastSeen %v (%v)", m["lastSeen"], err)
	}
	stats := m["stats"].(map[string]any)["24h"].([]any)
	total := 0.0
	for _, p := range stats {
		total += p.([]any)[1].(float64)
	}
	// 24 hourly points ending with the current hour, which at noon sharp
	// has nothing yet: 23 hours of 6.
	if len(stats) != 24 || total != 138 {
		t.Errorf("24h stats: %d points, %g events", len(stats), total)
	}
	act := m["activity"].([]any)
	if len(act) != 2 || act[0].(map[string]any)["type"] != "note" || act[1].(map[string]any)["type"] != "first_seen" {
		t.Errorf("activity %v", act)
	}
	// The short id finds it too, as on Sentry.
	if r := e.get("/api/0/organizations/acme/issues/shop-2f/"); r.status != 200 || r.json(t)["id"] != "4711" {
		t.Errorf("by short id: %d %s", r.status, r.body)
	}
}

func TestPutResolveInCommit(t *testing.T) {
	e := newEnv(t, Options{Repositories: []string{"acme/shop"}})
	body := `{"status":"resolved","statusDetails":{"inCommit":{"commit":"0f1e2d","repository":"acme/shop"}}}`
	r := e.call("PUT", issuePath, body, both)
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	// The whole issue comes back, updated.
	m := r.json(t)
	if m["id"] != "4711" || m["status"] != "resolved" || m["substatus"] != nil || m["title"] == nil {
		t.Errorf("answer %s", r.body)
	}
	commit := m["statusDetails"].(map[string]any)["inCommit"].(map[string]any)
	if commit["id"] != "0f1e2d" || commit["repository"].(map[string]any)["name"] != "acme/shop" {
		t.Errorf("inCommit %v", commit)
	}
	st, _ := e.s.Issue("4711")
	want := IssueState{
		Status: "resolved", ResolvedInCommit: &Commit{Commit: "0f1e2d", Repository: "acme/shop"},
		Updates: 1, UpdateBodies: []string{body},
	}
	if !reflect.DeepEqual(st, want) {
		t.Errorf("state %+v, want %+v", st, want)
	}
	// GET shows the same, and the activity.
	g := e.get(issuePath).json(t)
	if !reflect.DeepEqual(g["statusDetails"], m["statusDetails"]) {
		t.Errorf("GET statusDetails %v, PUT %v", g["statusDetails"], m["statusDetails"])
	}
	if a := g["activity"].([]any)[0].(map[string]any); a["type"] != "set_resolved_in_commit" || a["user"].(map[string]any)["name"] != "fixproof" {
		t.Errorf("activity %v", a)
	}
}

func TestPutStatuses(t *testing.T) {
	e := newEnv(t, Options{Repositories: []string{"acme/shop"}})
	for _, c := range []struct {
		body, status, substatus string
		details                 string
	}{
		{`{"status":"resolved"}`, "resolved", "", `{}`},
		{`{"status":"unresolved"}`, "unresolved", "ongoing", `{}`},
		{`{"status":"ignored"}`, "ignored", "archived_until_escalating", `{}`},
		{`{"status":"resolvedInNextRelease"}`, "resolved", "", `{"inNextRelease":true}`},
		{`{"status":"muted"}`, "ignored", "archived_until_escalating", `{}`},
		{`{"isBookmarked":true}`, "ignored", "archived_until_escalating", `{}`},
		// statusDetails alone changes nothing.
		{`{"statusDetails":{"inCommit":{"commit":"a","repository":"acme/shop"}}}`, "ignored", "archived_until_escalating", `{}`},
	} {
		r := e.call("PUT", issuePath, c.body, both)
		m := r.json(t)
		d, _ := json.Marshal(m["statusDetails"])
		sub, _ := m["substatus"].(string)
		if r.status != 200 || m["status"] != c.status || sub != c.substatus || string(d) != c.details {
			t.Errorf("PUT %s: %d status %v substatus %v details %s", c.body, r.status, m["status"], m["substatus"], d)
		}
	}
	e.s.SetStatus("4711", "resolved")
	if st, _ := e.s.Issue("4711"); st.Status != "resolved" || st.Updates != 7 || st.ResolvedInCommit != nil {
		t.Errorf("state %+v", st)
	}
}

func TestPutRefused(t *testing.T) {
	e := newEnv(t, Options{Repositories: []string{"acme/shop"}})
	for body, want := range map[string]string{
		`{"status":"closed"}`: `{"status":["\"closed\" is not a valid choice."]}`,
		`{"status":5}`:        `{"status":["\"5\" is not a valid choice."]}`,
		`{"status":null}`:     `{"status":["This field may not be null."]}`,
		`{"status":"resolved","statusDetails":{"inCommit":{"commit":"0f"}}}`:                           `{"statusDetails":{"inCommit":{"repository":["Unable to find the given repository."]}}}`,
		`{"status":"resolved","statusDetails":{"inCommit":{"repository":"acme/shop"}}}`:                `{"statusDetails":{"inCommit":{"commit":["Unable to find the given commit."]}}}`,
		`{"status":"resolved","statusDetails":{"inCommit":null}}`:                                      `{"statusDetails":{"inCommit":["This field may not be null."]}}`,
		`{"status":"resolved","statusDetails":{"inCommit":{"commit":"0f","repository":"ACME/shop"}}}`:  `{"statusDetails":{"inCommit":{"repository":["Unable to find the given repository."]}}}`,
		`{"status":"resolved","statusDetails":{"inCommit":{"commit":"","repository":"acme/shop"}}}`:    `{"statusDetails":{"inCommit":{"commit":["This field may not be blank."]}}}`,
		`{"status":"resolved","statusDetails":{"inCommit":{"commit":"0f","repository":"acme/other"}}}`: `{"statusDetails":{"inCommit":{"repository":["Unable to find the given repository."]}}}`,
		`{"status":"resolved","statusDetails":{"inCommit":"0f"}}`:                                      `{"statusDetails":{"inCommit":{"non_field_errors":["Invalid data. Expected a dictionary."]}}}`,
		`{"status":"resolved","statusDetails":[]}`:                                                     `{"statusDetails":{"non_field_errors":["Invalid data. Expected a dictionary."]}}`,
		`[{"status":"resolved"}]`: `{"non_field_errors":["Invalid data. Expected a dictionary, but got list."]}`,
	} {
		r := e.call("PUT", issuePath, body, answer)
		if r.status != 400 || string(r.body) != want {
			t.Errorf("PUT %s: %d %s, want 400 %s", body, r.status, r.body, want)
		}
	}
	if r := e.call("PUT", issuePath, `{"status":`, answer); r.status != 400 || !strings.Contains(string(r.body), "JSON parse error") {
		t.Errorf("bad JSON: %d %s", r.status, r.body)
	}
	st, _ := e.s.Issue("4711")
	if st.Status != "unresolved" || st.Updates != 13 || st.ResolvedInCommit != nil {
		t.Errorf("state after refused updates: %+v", st)
	}
}

// TestResolveInCommitNeedsAConnectedRepository checks that, as on Sentry,
// an organization resolves in a commit only of a repository it has
// connected: none at first, then one connected, then none again once it
// is removed.
func TestResolveInCommitNeedsAConnectedRepository(t *testing.T) {
	e := newEnv(t, Options{})
	body := `{"status":"resolved","statusDetails":{"inCommit":{"commit":"0f1e2d","repository":"acme/shop"}}}`
	refused := `{"statusDetails":{"inCommit":{"repository":["Unable to find the given repository."]}}}`
	if r := e.call("PUT", issuePath, body, answer); r.status != 400 || string(r.body) != refused {
		t.Errorf("no repository connected: %d %s, want 400 %s", r.status, r.body, refused)
	}
	e.s.ConnectRepository("acme/shop")
	if r := e.call("PUT", issuePath, body, both); r.status != 200 {
		t.Errorf("connected: %d %s", r.status, r.body)
	}
	if st, _ := e.s.Issue("4711"); st.ResolvedInCommit == nil || st.ResolvedInCommit.Repository != "acme/shop" {
		t.Errorf("connected: state %+v", st)
	}
	e.s.SetStatus("4711", "unresolved")
	e.s.DisconnectRepository("acme/shop")
	if r := e.call("PUT", issuePath, body, answer); r.status != 400 || string(r.body) != refused {
		t.Errorf("disconnected: %d %s, want 400 %s", r.status, r.body, refused)
	}
	if st, _ := e.s.Issue("4711"); st.Status != "unresolved" {
		t.Errorf("a refused update changed the issue: %+v", st)
	}
}

func series(t *testing.T, r response) (meta map[string]any, values []map[string]any, interval float64) {
	t.Helper()
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	var resp struct {
		Meta       map[string]any `json:"meta"`
		TimeSeries []struct {
			YAxis  string           `json:"yAxis"`
			Values []map[string]any `json:"values"`
			Meta   map[string]any   `json:"meta"`
		} `json:"timeSeries"`
	}
	if err := json.Unmarshal(r.body, &resp); err != nil {
		t.Fatal(err)
	}
	if len(resp.TimeSeries) == 0 {
		return resp.Meta, nil, 0
	}
	if len(resp.TimeSeries) != 1 || resp.TimeSeries[0].YAxis != "count()" {
		t.Fatalf("series %s", r.body)
	}
	ts := resp.TimeSeries[0]
	if ts.Meta["valueType"] != "integer" || ts.Meta["valueUnit"] != nil {
		t.Errorf("series meta %v", ts.Meta)
	}
	return resp.Meta, ts.Values, ts.Meta["interval"].(float64)
}

const tsPath = "/api/0/organizations/acme/events-timeseries/?dataset=errors&query=issue.id%3A4711&yAxis=count%28%29"

func TestTimeseries(t *testing.T) {
	e := newEnv(t, Options{})
	e.s.SetTimeline("4711", Step(at(10, 0), Rate(60), Rate(0)))
	e.clock.Set(at(11, 30))
	meta, values, iv := series(t, e.get(tsPath+"&interval=3600&start=2026-03-02T07%3A20%3A00Z&end=2026-03-02T11%3A30%3A00Z&project=-1"))
	if meta["dataset"] != "errors" || meta["start"] != float64(at(7, 20).UnixMilli()) || meta["end"] != float64(at(11, 30).UnixMilli()) {
		t.Errorf("meta %v", meta)
	}
	if iv != 3600000 {
		t.Errorf("interval %g ms", iv)
	}
	type row struct {
		ts         time.Time
		value      float64
		incomplete bool
	}
	var got []row
	for _, v := range values {
		got = append(got, row{time.UnixMilli(int64(v["timestamp"].(float64))).UTC(), v["value"].(float64), v["incomplete"].(bool)})
		if v["incomplete"].(bool) != (v["incompleteReason"] == "INCOMPLETE_BUCKET") {
			t.Errorf("incompleteReason %v", v)
		}
	}
	want := []row{{at(7, 0), 40, false}, {at(8, 0), 60, false}, {at(9, 0), 60, false}, {at(10, 0), 0, false}, {at(11, 0), 0, true}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("values\n got %v\nwant %v", got, want)
	}
}

func TestTimeseriesCountsOnlyThePast(t *testing.T) {
	e := newEnv(t, Options{})
	e.s.SetTimeline("4711", Rate(60))
	e.clock.Set(at(11, 30))
	_, values, _ := series(t, e.get(tsPath+"&interval=3600&start=2026-03-02T10%3A00%3A00Z&end=2026-03-02T14%3A00%3A00Z"))
	var counts []float64
	for _, v := range values {
		counts = append(counts, v["value"].(float64))
	}
	if want := []float64{60, 30, 0, 0}; !reflect.DeepEqual(counts, want) {
		t.Errorf("counts %v, want %v", counts, want)
	}
}

// TestTimeseriesIngestionDelay checks Sentry's rule: a bucket that ended
// less than 90 seconds ago is still incomplete.
func TestTimeseriesIngestionDelay(t *testing.T) {
	e := newEnv(t, Options{})
	q := tsPath + "&interval=3600&start=2026-03-02T10%3A00%3A00Z&end=2026-03-02T12%3A00%3A00Z"
	for now, want := range map[time.Time][]bool{
		at(12, 0).Add(89 * time.Second): {false, true},
		at(12, 0).Add(90 * time.Second): {false, true},
		at(12, 0).Add(91 * time.Second): {false, false},
	} {
		e.clock.Set(now)
		_, values, _ := series(t, e.get(q))
		var got []bool
		for _, v := range values {
			got = append(got, v["incomplete"].(bool))
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("at %s: incomplete %v, want %v", now.Format("15:04:05"), got, want)
		}
	}
}

func TestTimeseriesRanges(t *testing.T) {
	e := newEnv(t, Options{})
	for name, c := range map[string]struct {
		query    string
		first    time.Time
		n        int
		interval time.Duration
	}{
		"statsPeriod":                   {"&statsPeriod=6h", at(6, 0), 6, time.Hour},
		"statsPeriod over start":        {"&statsPeriod=2h&start=2026-03-01T00%3A00%3A00Z&end=2026-03-01T06%3A00%3A00Z", at(10, 0), 2, time.Hour},
		"default period":                {"", at(12, 0).Add(-24 * time.Hour), 24, time.Hour},
		"naive dates are UTC":           {"&start=2026-03-02T10%3A00%3A00&end=2026-03-02T12%3A00%3A00.000", at(10, 0), 2, time.Hour},
		"interval longer than range":    {"&interval=10800&statsPeriod=2h", at(10, 0), 24, 5 * time.Minute},
		"too many points":               {"&interval=1&statsPeriod=7d", noon.Add(-7 * 24 * time.Hour), 168, time.Hour},
		"unreadable interval":           {"&interval=soon&statsPeriod=2d", noon.Add(-48 * time.Hour), 48, time.Hour},
		"zero interval, 12h":            {"&interval=0&statsPeriod=12h", at(0, 0), 48, 15 * time.Minute},
		"period interval":               {"&interval=30m&statsPeriod=2h", at(10, 0), 4, 30 * time.Minute},
		"31 days falls back to 4 hours": {"&interval=0&statsPeriod=31d", noon.Add(-31 * 24 * time.Hour), 186, 4 * time.Hour},
	} {
		t.Run(name, func(t *testing.T) {
			// Some requests break the spec on purpose: an interval that is
			// not an integer, and dates without a zone (which the spec's own
			// description gives as an example, though its format forbids it).
			mode := both
			if strings.Contains(c.query, "interval=soon") || strings.Contains(c.query, "interval=30m") || strings.Contains(c.query, "00%3A00&") {
				mode = answer
			}
			_, values, iv := series(t, e.call("GET", tsPath+c.query, "", mode))
			if time.Duration(iv)*time.Millisecond != c.interval {
				t.Errorf("interval %gms, want %s", iv, c.interval)
			}
			if len(values) != c.n {
				t.Fatalf("%d buckets, want %d", len(values), c.n)
			}
			if first := time.UnixMilli(int64(values[0]["timestamp"].(float64))); !first.Equal(c.first) {
				t.Errorf("first bucket %s, want %s", first.UTC(), c.first)
			}
		})
	}
}

// TestTimeseriesProjectParameter checks Sentry's get_filter_params: the
// project parameter takes ids only (a slug is a 400), -1 or none means
// all, and a project the organization lacks is a 403. An issue that does
// not exist gives no series.
func TestTimeseriesProjectParameter(t *testing.T) {
	e := newEnv(t, Options{})
	e.s.AddIssue(Issue{ID: "5", Project: "api"})
	shop, api := e.s.ProjectID("shop"), e.s.ProjectID("api")
	if shop != "2" || api != "3" {
		t.Fatalf("project ids %s, %s", shop, api)
	}
	for query, want := range map[string]struct {
		status int
		series bool
	}{
		"":                                     {200, true},
		"&project=-1":                          {200, true},
		"&project=" + shop:                     {200, true},
		"&project=" + api:                      {200, false},
		"&project=" + api + "&project=" + shop: {200, true},
		"&project=shop":                        {400, false},
		"&project=999":                         {403, false},
		"&project=2&project=999":               {403, false},
	} {
		r := e.call("GET", tsPath+"&statsPeriod=2h"+query, "", answer)
		if r.status != want.status {
			t.Errorf("%q: status %d, want %d (%s)", query, r.status, want.status, r.body)
			continue
		}
		if r.status != 200 {
			continue
		}
		if _, values, _ := series(t, r); (values != nil) != want.series {
			t.Errorf("%q: series present %v, want %v", query, values != nil, want.series)
		}
	}
	wantDetail(t, e.call("GET", tsPath+"&project=shop", "", answer), 400, "Invalid project parameter. Values must be numbers.")
	wantDetail(t, e.call("GET", tsPath+"&project=999", "", answer), 403, "You do not have permission to perform this action.")
	unknown := strings.Replace(tsPath, "issue.id%3A4711", "issue.id%3A999999", 1) + "&statsPeriod=2h"
	if _, values, _ := series(t, e.get(unknown)); values != nil {
		t.Errorf("unknown issue: series %v", values)
	}
}

func TestTimeseriesRefused(t *testing.T) {
	e := newEnv(t, Options{})
	base := "/api/0/organizations/acme/events-timeseries/?"
	for q, want := range map[string]string{
		"query=issue.id%3A4711":                                            "dataset is required",
		"dataset=issues&query=issue.id%3A4711":                             "dataset must be one of",
		"dataset=logs&query=issue.id%3A4711":                               "only dataset=errors and dataset=spans",
		"dataset=spans&query=issue.id%3A4711":                              "only query=is_transaction:true",
		"dataset=errors":                                                   "only query=issue.id:<numeric id>",
		"dataset=errors&query=is%3Aunresolved":                             "only query=issue.id:<numeric id>",
		"dataset=errors&query=issue.id%3AABC-1":                            "only query=issue.id:<numeric id>",
		"dataset=errors&query=issue.id%3A1&yAxis=epm":                      "only yAxis=count()",
		"dataset=errors&query=issue.id%3A1&start=2026-03-02T10%3A00%3A00Z": "start and end are both required",
		"dataset=errors&query=issue.id%3A1&start=2026-03-02T12%3A00%3A00Z&end=2026-03-02T10%3A00%3A00Z": "start must be before end",
		"dataset=errors&query=issue.id%3A1&start=yesterday&end=2026-03-02T10%3A00%3A00Z":                "ISO 8601",
		"dataset=errors&query=issue.id%3A1&statsPeriod=forever":                                         "Invalid statsPeriod",
	} {
		r := e.call("GET", base+q, "", answer)
		if r.status != 400 || !strings.Contains(string(r.body), want) {
			t.Errorf("%s: %d %s, want 400 mentioning %q", q, r.status, r.body, want)
		}
	}
}

func TestNotesPagination(t *testing.T) {
	e := newEnv(t, Options{})
	for i := 0; i < 150; i++ {
		e.clock.Set(noon.Add(time.Duration(i) * time.Minute))
		e.s.AddNote("4711", "", fmt.Sprintf("n%d", i))
	}
	path := issuePath + "comments/"
	r := e.get(path)
	var page []map[string]any
	if err := json.Unmarshal(r.body, &page); err != nil || len(page) != 100 {
		t.Fatalf("first page: %d notes, %v", len(page), err)
	}
	if page[0]["data"].(map[string]any)["text"] != "n149" || page[99]["data"].(map[string]any)["text"] != "n50" || page[0]["user"] != nil {
		t.Errorf("first page from %v to %v", page[0], page[99])
	}
	self := e.base + path
	wantLink := `<` + self + `?&cursor=0:0:1>; rel="previous"; results="false"; cursor="0:0:1", ` +
		`<` + self + `?&cursor=0:100:0>; rel="next"; results="true"; cursor="0:100:0"`
	if got := r.header.Get("Link"); got != wantLink {
		t.Errorf("Link\n got %s\nwant %s", got, wantLink)
	}
	r = e.get(path + "?cursor=0:100:0")
	if err := json.Unmarshal(r.body, &page); err != nil || len(page) != 50 || page[49]["data"].(map[string]any)["text"] != "n0" {
		t.Fatalf("second page: %d notes, %v", len(page), err)
	}
	wantLink = `<` + self + `?&cursor=0:0:1>; rel="previous"; results="true"; cursor="0:0:1", ` +
		`<` + self + `?&cursor=0:200:0>; rel="next"; results="false"; cursor="0:200:0"`
	if got := r.header.Get("Link"); got != wantLink {
		t.Errorf("Link\n got %s\nwant %s", got, wantLink)
	}
	wantDetail(t, e.get(path+"?cursor=bogus"), 400, "Invalid cursor parameter.")
}

func TestAddNote(t *testing.T) {
	e := newEnv(t, Options{})
	path := issuePath + "comments/"
	r := e.call("POST", path, `{"text":"  Fixed in acme/shop#12  "}`, both)
	m := r.json(t)
	if r.status != 201 || m["type"] != "note" || m["data"].(map[string]any)["text"] != "Fixed in acme/shop#12" ||
		m["user"].(map[string]any)["name"] != "fixproof" || m["dateCreated"] != "2026-03-02T12:00:00Z" {
		t.Errorf("created %d %s", r.status, r.body)
	}
	wantDetail(t, e.call("POST", path, `{"text":"Fixed in acme/shop#12"}`, both), 400, "You have already posted that comment.")
	// Another author's identical note does not count.
	e.s.AddNote("4711", "Jane Doe", "same")
	if r := e.call("POST", path, `{"text":"same"}`, both); r.status != 201 {
		t.Errorf("same text as another author: %d %s", r.status, r.body)
	}
	for body, want := range map[string]string{
		`{}`:              `{"text":["This field is required."]}`,
		`{"text":""}`:     `{"text":["This field may not be blank."]}`,
		`{"text":" \n "}`: `{"text":["This field may not be blank."]}`,
		`{"text":null}`:   `{"text":["This field may not be null."]}`,
		`{"text":true}`:   `{"text":["Not a valid string."]}`,
		`{"text":["a"]}`:  `{"text":["Not a valid string."]}`,
		`"a"`:             `{"non_field_errors":["Invalid data. Expected a dictionary, but got str."]}`,
	} {
		if r := e.call("POST", path, body, answer); r.status != 400 || string(r.body) != want {
			t.Errorf("POST %s: %d %s, want 400 %s", body, r.status, r.body, want)
		}
	}
	// Numbers become text, as in Django REST Framework's CharField.
	if r := e.call("POST", path, `{"text":12}`, answer); r.status != 201 {
		t.Errorf("POST text 12: %d %s", r.status, r.body)
	}
	st, _ := e.s.Issue("4711")
	if want := []string{"Fixed in acme/shop#12", "same", "same", "12"}; !reflect.DeepEqual(st.Notes, want) {
		t.Errorf("notes %q, want %q", st.Notes, want)
	}
	wantDetail(t, e.call("POST", "/api/0/organizations/acme/issues/999/comments/", `{"text":"x"}`, both), 404, "The requested resource does not exist")
}

func TestExternalIssues(t *testing.T) {
	e := newEnv(t, Options{})
	path := issuePath + "external-issues/"
	if r := e.get(path); r.status != 200 || string(r.body) != "[]" {
		t.Errorf("none: %d %s", r.status, r.body)
	}
	e.s.AddExternalIssue("4711", ExternalIssue{ServiceType: "jira-bridge", Project: "SHOP", Identifier: "SHOP-12", WebURL: "https://acme.atlassian.net/browse/SHOP-12"})
	var list []map[string]any
	r := e.get(path)
	if err := json.Unmarshal(r.body, &list); err != nil || len(list) != 1 {
		t.Fatalf("%s: %v", r.body, err)
	}
	want := map[string]any{"id": list[0]["id"], "issueId": "4711", "serviceType": "jira-bridge", "displayName": "SHOP#SHOP-12", "webUrl": "https://acme.atlassian.net/browse/SHOP-12"}
	if !reflect.DeepEqual(list[0], want) || list[0]["id"] == "" {
		t.Errorf("got %v", list[0])
	}
}

func TestSnapshotsAreCopies(t *testing.T) {
	e := newEnv(t, Options{Repositories: []string{"b"}})
	e.call("PUT", issuePath, `{"status":"resolved","statusDetails":{"inCommit":{"commit":"a","repository":"b"}}}`, both)
	e.s.AddNote("4711", "x", "note")
	st, _ := e.s.Issue("4711")
	st.UpdateBodies[0] = "changed"
	st.Notes[0] = "changed"
	st.ResolvedInCommit.Commit = "changed"
	again, _ := e.s.Issue("4711")
	if again.UpdateBodies[0] == "changed" || again.Notes[0] == "changed" || again.ResolvedInCommit.Commit == "changed" {
		t.Errorf("snapshot shares state: %+v", again)
	}
	if _, ok := e.s.Issue("999"); ok {
		t.Errorf("unknown issue found")
	}
}

func TestAddIssueDefaultsAndPanics(t *testing.T) {
	c := sim.NewClock(noon)
	s := New(Options{Org: "acme", Now: c.Now})
	s.AddIssue(Issue{})
	s.AddIssue(Issue{Project: "web", Status: "resolved"})
	st, ok := s.Issue("4000000001")
	if !ok || st.Status != "unresolved" || st.Substatus != "ongoing" {
		t.Errorf("first issue %+v, %v", st, ok)
	}
	if st, ok := s.Issue("4000000002"); !ok || st.Status != "resolved" || st.Substatus != "" {
		t.Errorf("second issue %+v, %v", st, ok)
	}
	s.mu.Lock()
	is := s.issues["4000000001"]
	if is.shortID != "DEFAULT-11" || is.level != "error" || is.title != "Error" || !is.firstSeen.Equal(noon) || len(is.activity) != 0 {
		t.Errorf("defaults: %+v", is)
	}
	s.mu.Unlock()
	for name, f := range map[string]func(){
		"duplicate":       func() { s.AddIssue(Issue{ID: "4000000001"}) },
		"bad status":      func() { s.AddIssue(Issue{Status: "closed"}) },
		"SetTimeline":     func() { s.SetTimeline("1", Rate(1)) },
		"SetStatus":       func() { s.SetStatus("1", "resolved") },
		"SetStatus value": func() { s.SetStatus("4000000001", "closed") },
		"AddNote":         func() { s.AddNote("1", "", "x") },
		"AddExternal":     func() { s.AddExternalIssue("1", ExternalIssue{}) },
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
}

// TestConcurrentUse runs every route at once with setters, for the race
// detector.
func TestConcurrentUse(t *testing.T) {
	e := newEnv(t, Options{})
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < 5; j++ {
				e.s.SetTimeline("4711", Rate(float64(i+j)))
				e.s.AddNote("4711", "", fmt.Sprint(i, j))
				e.s.SetStatus("4711", "unresolved")
				e.get(issuePath)
				e.call("PUT", issuePath, `{"status":"resolved"}`, both)
				e.call("POST", issuePath+"comments/", fmt.Sprintf(`{"text":"c%d-%d"}`, i, j), both)
				e.get(issuePath + "comments/")
				e.get(tsPath + "&statsPeriod=1d")
				e.s.SetSessions("shop", "production", Rate(float64(i)))
				e.s.SetTransactions("shop", "production", Rate(float64(j)))
				e.s.AddRelease(Release{Version: fmt.Sprintf("v%d.%d", i, j), Projects: []string{"shop"}, Commits: []string{"a"}})
				e.s.AddDeploy(fmt.Sprintf("v%d.%d", i, j), Deploy{Environment: "production"})
				e.get("/api/0/organizations/acme/sessions/?field=sum%28session%29&statsPeriod=1d")
				e.get("/api/0/organizations/acme/releases/?environment=production")
				e.get(fmt.Sprintf("/api/0/organizations/acme/releases/v%d.%d/deploys/", i, j))
				e.s.Issue("4711")
			}
		}(i)
	}
	wg.Wait()
	if st, _ := e.s.Issue("4711"); st.Updates != 40 || len(st.Notes) != 80 {
		t.Errorf("updates %d, notes %d", st.Updates, len(st.Notes))
	}
}
