package dashboard

import (
	"math"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/fixproof/fixproof/internal/loop"
	"github.com/fixproof/fixproof/internal/sentrylink"
)

func TestParseFilter(t *testing.T) {
	tests := []struct {
		query string
		want  Filter
		err   string
	}{
		{"", Filter{}, ""},
		{"q=+OPS-1+&state=verified&source=Sentry&project=OPS&range=7d", Filter{Query: "OPS-1", State: loop.StateVerified, Source: "Sentry", Project: "OPS", Range: "7d"}, ""},
		{"source=unknown&range=all", Filter{Source: "unknown", Range: "all"}, ""},
		{"state=bogus", Filter{}, `unknown state "bogus"; use one of open, in-progress, watching, verified, unverified, reopened, done`},
		{"source=sentry", Filter{}, `unknown source "sentry"; use one of Sentry, Alertmanager, Guance, unknown`},
		{"project=OPS-1", Filter{}, `"OPS-1" is not a Jira project key (like OPS)`},
		{"range=2w", Filter{}, `unknown range "2w"; use one of 24h, 7d, 30d, 90d, 1y, all`},
		{"q=" + strings.Repeat("x", 201), Filter{}, "the search is 201 characters long; search with at most 200"},
	}
	for _, tt := range tests {
		q, _ := url.ParseQuery(tt.query)
		got, err := ParseFilter(q)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("%s: error %v, want %q", tt.query, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s: %+v, %v; want %+v", tt.query, got, err, tt.want)
		}
	}
}

func TestTermReadsAPastedLink(t *testing.T) {
	for q, want := range map[string]string{
		"  NullPointer ": "nullpointer",
		"https://acme.atlassian.net/browse/OPS-12":                 "ops-12",
		"https://github.com/acme/shop/pull/7/files":                "acme/shop#7",
		"https://acme.sentry.io/issues/4711/?project=2":            "4711",
		"https://sentry.acme.example/organizations/acme/issues/9/": "9",
		"https://example.com/nothing":                              "https://example.com/nothing",
	} {
		if got := Term(q); got != want {
			t.Errorf("Term(%q) = %q, want %q", q, got, want)
		}
	}
}

// The loops a search is tried on.
var searchable = []Loop{
	{Key: "OPS-1", Summary: "TypeError: Cannot read properties of null", Fingerprint: "sentry:acme:101",
		Sentry: []sentrylink.Link{{Org: "acme", IssueID: "101"}}, Merge: &loop.Merge{Repo: "acme/shop", PR: 7}},
	{Key: "OPS-2", Summary: "TimeoutError: payment gateway", Fingerprint: "sentry:acme:102",
		Sentry: []sentrylink.Link{{Org: "acme", IssueID: "102"}}, Merge: &loop.Merge{Repo: "acme/pay", PR: 17}},
	{Key: "PAY-3", Summary: "Checkout latency p99 above 2s", Fingerprint: "guance:wksp:abc"},
	{Key: "OPS-10", Summary: "HighErrorRate", Fingerprint: "alertmanager:payments:0f3a"},
}

func TestSearchFindsALoopByKeySummaryFingerprintSentryIDOrPR(t *testing.T) {
	tests := []struct{ q, want string }{
		{"OPS-1", "OPS-1 OPS-10"},
		{"ops-10", "OPS-10"},
		{"typeerror", "OPS-1"},
		{"sentry:acme:102", "OPS-2"},
		{"0f3a", "OPS-10"},
		{"101", "OPS-1"},
		{"acme/101", "OPS-1"},
		{"acme/shop#7", "OPS-1"},
		{"shop#7", "OPS-1"},
		{"#17", "OPS-2"},
		{"#1", ""},
		{"https://acme.sentry.io/issues/102/", "OPS-2"},
		{"https://github.com/acme/pay/pull/17", "OPS-2"},
		{"https://acme.atlassian.net/browse/PAY-3", "PAY-3"},
		{"latency", "PAY-3"},
		{"nothing like it", ""},
	}
	for _, tt := range tests {
		var got []string
		for _, l := range searchable {
			if Found(l, tt.q) {
				got = append(got, l.Key)
			}
		}
		if strings.Join(got, " ") != tt.want {
			t.Errorf("search %q found %q, want %q", tt.q, strings.Join(got, " "), tt.want)
		}
	}
}

func TestFilterMatchesSourceProjectAndRange(t *testing.T) {
	now := t0.Add(100 * 24 * time.Hour)
	l := Loop{Key: "PAY-3", Source: "Guance", Created: now.Add(-10 * 24 * time.Hour), FirstAlert: now.Add(-40 * 24 * time.Hour)}
	tests := []struct {
		f    Filter
		want bool
	}{
		{Filter{}, false}, // started 40 days ago: before the default 30
		{Filter{Range: "90d"}, true},
		{Filter{Range: "all", Source: "Guance"}, true},
		{Filter{Range: "all", Source: "Sentry"}, false},
		{Filter{Range: "all", Source: "unknown"}, false},
		{Filter{Range: "all", Project: "pay"}, true},
		{Filter{Range: "all", Project: "OPS"}, false},
		{Filter{Range: "90d", Query: "pay-3"}, true},
		{Filter{Range: "7d"}, false},
	}
	for _, tt := range tests {
		if got := tt.f.Match(l, tt.f.Since(now)); got != tt.want {
			t.Errorf("%+v: %v, want %v", tt.f, got, tt.want)
		}
	}
	if !(Filter{Range: "all", Source: "unknown"}).Match(Loop{Key: "OPS-1"}, time.Time{}) {
		t.Error("a loop of no known source is not found by source=unknown")
	}
}

func TestHuman(t *testing.T) {
	for d, want := range map[time.Duration]string{0: "0 s", 40 * time.Second: "40 s", 90 * time.Second: "2 min", 59 * time.Minute: "59 min",
		time.Hour: "1 h", 210 * time.Minute: "3.5 h", 20 * time.Hour: "20 h", 50 * time.Hour: "2.1 days", 240 * time.Hour: "10 days"} {
		if got := Human(d); got != want {
			t.Errorf("Human(%s) = %q, want %q", d, got, want)
		}
	}
}

func TestPart(t *testing.T) {
	from, to := t0, t0.Add(12*time.Hour)
	for at, want := range map[time.Duration]int{-time.Second: -1, 0: 0, 59 * time.Minute: 0, time.Hour: 1, 11*time.Hour + 59*time.Minute: 11, 12 * time.Hour: -1} {
		if got := Part(t0.Add(at), from, to, 12); got != want {
			t.Errorf("Part(+%s) = %d, want %d", at, got, want)
		}
	}
	if got := Part(t0, t0, t0, 12); got != -1 {
		t.Errorf("an empty range: %d", got)
	}
}

// loopAt is a loop that started (first alert) at start, with steps at
// the given offsets from it (negative: never).
func loopAt(start time.Time, issue, merged, deployed, verified time.Duration, state loop.State, reopened time.Duration) Loop {
	rfc := func(d time.Duration) string { return start.Add(d).Format(time.RFC3339) }
	l := Loop{Key: "OPS-1", FirstAlert: start, Created: start.Add(issue), State: state}
	if merged >= 0 {
		l.Merge, l.MergedAt = &loop.Merge{At: rfc(merged), Repo: "acme/shop", PR: 1}, start.Add(merged)
	}
	if deployed >= 0 {
		l.Deploy = &loop.Deploy{At: rfc(deployed)}
	}
	if verified >= 0 {
		vs := loop.StateVerified
		if state == loop.StateUnverified {
			vs = loop.StateUnverified
		}
		l.Verification = &loop.Verification{State: vs, At: rfc(verified)}
	}
	if reopened >= 0 {
		l.Reopened = []string{rfc(reopened)}
	}
	return l
}

func TestSumGivesMedianAndP90FromTheFirstAlertAndTheShares(t *testing.T) {
	h := time.Hour
	day := 24 * h
	loops := []Loop{
		loopAt(t0, time.Minute, 2*h, 4*h, 8*h, loop.StateVerified, -1),
		loopAt(t0.Add(h), 2*time.Minute, 4*h, 6*h, 10*h, loop.StateReopened, 9*day), // came back within 30 days
		loopAt(t0.Add(2*h), 3*time.Minute, 6*h, 8*h, 14*h, loop.StateUnverified, -1),
		loopAt(t0.Add(13*h), 4*time.Minute, 8*h, -1, -1, loop.StateWatching, -1), // not decided
		loopAt(t0.Add(14*h), 5*time.Minute, -1, -1, -1, loop.StateOpen, -1),
		loopAt(t0.Add(15*h), 6*time.Minute, 20*h, 22*h, 30*h, loop.StateReopened, 40*day), // came back after 30 days
	}
	n := Sum(loops, t0, t0.Add(24*h), 2)
	if n.Total != 6 || !reflect.DeepEqual(n.Started, []float64{3, 3}) {
		t.Errorf("counts: total %d, started %v", n.Total, n.Started)
	}
	type timing struct {
		n           int
		median, p90 time.Duration
	}
	want := map[string]timing{
		"first alert to issue": {6, 3 * time.Minute, 6 * time.Minute},
		"to fix merged":        {5, 6 * h, 20 * h},
		"to deployed":          {4, 6 * h, 22 * h},
		"to verified (MTTR)":   {3, 10 * h, 30 * h}, // the unverified one never was
	}
	for _, tm := range n.Times {
		if got := (timing{tm.N, tm.Median, tm.P90}); got != want[tm.Name] {
			t.Errorf("%s: %+v, want %+v", tm.Name, got, want[tm.Name])
		}
	}
	if tm := n.Times[1]; tm.Trend[0] != 4 || tm.Trend[1] != 8 {
		t.Errorf("the trend of the median to merge: %v, want [4 8]", tm.Trend)
	}
	wantShares := map[string][2]int{"verified": {3, 4}, "not fixed": {1, 4}, "reopened within 30 days": {1, 4}}
	for _, s := range n.Shares {
		if got := [2]int{s.N, s.Of}; got != wantShares[s.Name] {
			t.Errorf("%s: %d of %d, want %v", s.Name, s.N, s.Of, wantShares[s.Name])
		}
	}
	if s := n.Shares[0]; s.Percent() != 75 || s.Trend[0] != 100*2.0/3 || s.Trend[1] != 100 {
		t.Errorf("verified: %d%%, trend %v", s.Percent(), s.Trend)
	}
	empty := Sum(nil, t0, t0.Add(h), 3)
	if empty.Times[0].N != 0 || !math.IsNaN(empty.Times[0].Trend[0]) || empty.Shares[0].Percent() != 0 || !math.IsNaN(empty.Shares[0].Trend[2]) {
		t.Errorf("no loops: %+v", empty)
	}
}

// Without the store's first alert, the time to the issue is unknown and
// the others count from the issue.
func TestALoopWithoutItsFirstAlertCountsFromItsIssue(t *testing.T) {
	l := loopAt(t0, 10*time.Minute, time.Hour, -1, -1, loop.StateWatching, -1)
	l.FirstAlert = time.Time{}
	n := Sum([]Loop{l}, t0, t0.Add(time.Hour), 1)
	if n.Times[0].N != 0 || n.Times[1].Median != 50*time.Minute {
		t.Errorf("to issue over %d, to merge %s; want none and 50 min", n.Times[0].N, n.Times[1].Median)
	}
}

// listFixture is a Jira holding four loops, one of each source, across
// two projects, with the fixproof property as the bot and the action
// write it.
func listFixture(t *testing.T) (*fixture, *Dashboard) {
	t.Helper()
	f := newFixture(t)
	f.add(t, "OPS-1", "TypeError: Cannot read properties of null", "Done", []string{"sentry-shop"},
		`{"fingerprint":"sentry:acme:101","sentry":[{"issue_id":"101"}],"merge":{"at":"2026-11-20T10:20:00Z","commit":"abc1234","repo":"acme/shop","pr":7,"url":"javascript:alert(1)"},"closing":{"run":"r","at":"2026-11-20T10:20:00Z"}}`)
	f.clock.Advance(time.Minute)
	f.add(t, "OPS-2", `TimeoutError <script>alert(1)</script>`, "Open", []string{"sentry-shop"},
		`{"fingerprint":"sentry:acme:102","sentry":[{"org":"acme","issue_id":"102"}],"merge":{"at":"2026-11-20T10:20:00Z","commit":"abc1234","repo":"evil.example/x\"y/z","pr":8,"url":"https://evil.example/"}}`)
	f.clock.Advance(time.Minute)
	f.add(t, "PAY-3", "Checkout latency p99 above 2s", "Open", []string{"guance"}, `{"fingerprint":"guance:wksp:abc"}`)
	f.clock.Advance(time.Minute)
	f.add(t, "OPS-4", "HighErrorRate", "In Progress", []string{"alertmanager-payments"}, `{"fingerprint":"alertmanager:payments:0f3a"}`)
	d := f.dashboard(t, Config{Org: "acme"}, sentryLinks(t))
	if _, err := d.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	return f, d
}

func TestTheListSearchesAndFilters(t *testing.T) {
	_, d := listFixture(t)
	h := d.Handler()
	tests := []struct{ query, want string }{
		{"", "OPS-4 PAY-3 OPS-2 OPS-1"},
		{"?q=typeerror", "OPS-1"},
		{"?q=sentry:acme:102", "OPS-2"},
		{"?q=101", "OPS-1"},
		{"?q=acme/shop%237", "OPS-1"},
		{"?q=https://github.com/acme/shop/pull/7", "OPS-1"},
		{"?state=open", "PAY-3"},
		{"?state=reopened", "OPS-2"}, // a fix merged, and the issue is open
		{"?source=Guance", "PAY-3"},
		{"?source=Alertmanager", "OPS-4"},
		{"?project=PAY", "PAY-3"},
		{"?project=OPS&state=reopened", "OPS-2"},
		{"?project=PAY&state=reopened", ""},
		{"?q=nothing", ""},
	}
	for _, tt := range tests {
		p := getPage(t, h, "/"+tt.query)
		if p.code != 200 || strings.Join(p.keys(), " ") != tt.want {
			t.Errorf("GET /%s: %d, keys %q, want %q", tt.query, p.code, p.keys(), tt.want)
		}
	}
	// The search form keeps what was asked, and the state chips keep the
	// other filters.
	p := getPage(t, h, "/?q=acme&source=Sentry&state=verified")
	input := all(p.doc, func(n *html.Node) bool { return n.Data == "input" && attr(n, "name") == "q" })
	if len(input) != 1 || attr(input[0], "value") != "acme" {
		t.Errorf("the search box does not keep the search")
	}
	chips := all(byID(p.doc, "numbers").Parent, func(n *html.Node) bool { return n.Data == "a" && n.Parent.Data == "nav" })
	if len(chips) != 8 || attr(chips[0], "href") != "/?q=acme&source=Sentry" || attr(chips[4], "href") != "/?q=acme&source=Sentry&state=verified" ||
		text(chips[0]) != "all 2" || text(chips[4]) != "verified 1" || !hasClass(chips[4], "on") {
		for _, c := range chips {
			t.Logf("chip %q -> %s", text(c), attr(c, "href"))
		}
		t.Errorf("the state chips do not keep the other filters or count right")
	}
}

// Every row links to the loop's page, its Jira issue, its Sentry issues
// and its pull request, each built from the configured addresses; no
// link comes from what the issue holds, and its text is escaped.
func TestEveryRowLinksToJiraSentryAndThePullRequest(t *testing.T) {
	f, d := listFixture(t)
	p := getPage(t, d.Handler(), "/")
	links := map[string]map[string]string{}
	for _, tr := range all(p.doc, func(n *html.Node) bool { return n.Data == "tr" && hasClass(n, "loop") }) {
		got := map[string]string{}
		for _, a := range all(tr, func(n *html.Node) bool { return n.Data == "a" }) {
			got[attr(a, "class")] += attr(a, "href")
		}
		links[attr(tr, "data-key")] = got
	}
	want := map[string]map[string]string{
		"OPS-1": {"page": "/loops/OPS-1", "jira": f.srv.URL + "/browse/OPS-1", "sentry": "https://sentry.acme.example/organizations/acme/issues/101/",
			"pr": "https://github.com/acme/shop/pull/7"},
		"OPS-2": {"page": "/loops/OPS-2", "jira": f.srv.URL + "/browse/OPS-2", "sentry": "https://sentry.acme.example/organizations/acme/issues/102/"},
		"PAY-3": {"page": "/loops/PAY-3", "jira": f.srv.URL + "/browse/PAY-3"},
		"OPS-4": {"page": "/loops/OPS-4", "jira": f.srv.URL + "/browse/OPS-4"},
	}
	if !reflect.DeepEqual(links, want) {
		t.Errorf("links\n%v\nwant\n%v", links, want)
	}
	for _, bad := range []string{"evil.example/\"", "javascript:", "<script>"} {
		if strings.Contains(p.body, bad) {
			t.Errorf("the page holds %q", bad)
		}
	}
	if !strings.Contains(p.body, "TimeoutError &lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("the summary is not shown escaped")
	}
}

// The numbers at the top: loops, the four times with their medians, the
// three shares, each with a trend line that has a text alternative.
func TestTheNumbersAreAtTheTopWithTheirTrends(t *testing.T) {
	_, d := listFixture(t)
	p := getPage(t, d.Handler(), "/?range=7d")
	nums := byID(p.doc, "numbers")
	if nums == nil {
		t.Fatalf("no numbers:\n%s", p.body)
	}
	var names []string
	for _, n := range all(nums, func(n *html.Node) bool { return hasClass(n, "num") }) {
		names = append(names, text(all(n, func(n *html.Node) bool { return n.Data == "h2" })[0]))
		sparks := all(n, func(n *html.Node) bool { return n.Data == "svg" && hasClass(n, "spark") })
		if len(sparks) != 1 || !strings.Contains(attr(sparks[0], "aria-label"), "each part of the last 7 days, in 12 parts of 14 h") {
			t.Errorf("%s: trend lines %d, label %q", names[len(names)-1], len(sparks), attr(sparks[0], "aria-label"))
		}
	}
	wantNames := []string{"Loops", "first alert to issue", "to fix merged", "to verified (MTTR)", "verified", "not fixed", "reopened within 30 days"}
	wantNames = append(wantNames[:3], append([]string{"to deployed"}, wantNames[3:]...)...)
	if !reflect.DeepEqual(names, wantNames) {
		t.Errorf("numbers %q, want %q", names, wantNames)
	}
	if got := text(byID(p.doc, "num-loops")); !strings.HasPrefix(got, "Loops4") {
		t.Errorf("loops: %q", got)
	}
	verified := all(nums, func(n *html.Node) bool { return attr(n, "data-name") == "verified" })[0]
	if got := text(verified); !strings.Contains(got, "100%") || !strings.Contains(got, "1 of 1 decided fixes") {
		t.Errorf("verified: %q", got)
	}
}

// 404 and 400 are pages a person can read, with a way back to the list.
func TestProblemPagesAreHTMLWithAWayBack(t *testing.T) {
	_, d := listFixture(t)
	h := d.Handler()
	tests := []struct {
		target string
		code   int
		says   string
	}{
		{"/loops/OPS-999", 404, "OPS-999 is not among the 4 loops read from Jira"},
		{"/loops/OPS-1%22%3E", 400, `"OPS-1\">" is not a Jira key (like OPS-12).`},
		{"/?state=bogus", 400, `unknown state "bogus"`},
		{"/?range=forever", 400, `unknown range "forever"`},
		{"/nothing/here", 404, "There is no page /nothing/here on the dashboard."},
		{"/loops/OPS-1/more", 404, "There is no page /loops/OPS-1/more"},
	}
	for _, tt := range tests {
		rec := get(t, h, tt.target, "127.0.0.1:4000")
		p := getPage(t, h, tt.target)
		back := byID(p.doc, "back")
		if p.code != tt.code || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
			t.Errorf("GET %s: %d %s, want %d HTML", tt.target, p.code, rec.Header().Get("Content-Type"), tt.code)
		}
		if !strings.Contains(text(byID(p.doc, "problem")), tt.says) || back == nil || attr(back, "href") != "/" {
			t.Errorf("GET %s: says %q, back %v; want %q and a link to /", tt.target, text(byID(p.doc, "problem")), back, tt.says)
		}
		if rec.Header().Get("Content-Security-Policy") == "" {
			t.Errorf("GET %s: no CSP", tt.target)
		}
	}
}

// A loop's page comes from the snapshot, with its links and timeline.
func TestALoopsPageComesFromTheSnapshot(t *testing.T) {
	f, d := listFixture(t)
	before := f.count()
	p := getPage(t, d.Handler(), "/loops/OPS-1")
	if p.code != 200 || f.count() != before {
		t.Fatalf("GET /loops/OPS-1: %d, %d requests to Jira", p.code, f.count()-before)
	}
	var hrefs []string
	for _, a := range all(byID(p.doc, "links"), func(n *html.Node) bool { return n.Data == "a" }) {
		hrefs = append(hrefs, attr(a, "href"))
	}
	want := []string{f.srv.URL + "/browse/OPS-1", "https://sentry.acme.example/organizations/acme/issues/101/", "https://github.com/acme/shop/pull/7"}
	if !reflect.DeepEqual(hrefs, want) {
		t.Errorf("links %q, want %q", hrefs, want)
	}
}
