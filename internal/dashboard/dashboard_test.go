package dashboard

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/jira"
	"github.com/fixproof/fixproof/internal/jirakey"
	"github.com/fixproof/fixproof/internal/loop"
	"github.com/fixproof/fixproof/internal/sentry"
	"github.com/fixproof/fixproof/internal/verify"
)

func TestClassify(t *testing.T) {
	l := DefaultLabels
	tests := []struct {
		name     string
		labels   []string
		category string
		merged   bool
		swept    bool
		want     loop.State
	}{
		{"new issue", []string{"fixproof"}, "new", false, false, loop.StateOpen},
		{"someone works on it", []string{"fixproof"}, "indeterminate", false, false, loop.StateInProgress},
		{"merged, watched", []string{"fixproof", "fixproof-verify"}, "done", true, false, loop.StateWatching},
		{"the sweep verified and closed it", []string{"fixproof"}, "done", true, true, loop.StateVerified},
		{"merged, then closed by a person", []string{"fixproof"}, "done", true, false, loop.StateDone},
		{"timed out", []string{"fixproof", "fixproof-unverified"}, "done", true, false, loop.StateUnverified},
		{"unverified wins over a stale watch label", []string{"fixproof-verify", "FIXPROOF-UNVERIFIED"}, "done", true, false, loop.StateUnverified},
		{"regression reopened a verified issue", []string{"fixproof"}, "new", true, true, loop.StateReopened},
		{"merged, reopened before any verification", []string{"fixproof"}, "indeterminate", true, false, loop.StateReopened},
		{"closed by hand, no fix", []string{"fixproof"}, "done", false, false, loop.StateDone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Classify(tt.labels, tt.category, tt.merged, tt.swept, l); got != tt.want {
				t.Errorf("Classify = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestSweptClosed(t *testing.T) {
	claim := &loop.Claim{Run: "https://github.com/acme/shop/actions/runs/1", At: "2026-11-21T04:00:00Z"}
	at := time.Date(2026, 11, 21, 4, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		claim    *loop.Claim
		resolved time.Time
		want     bool
	}{
		{"no claim: a person closed it", nil, at, false},
		{"closed right after the claim", claim, at.Add(20 * time.Second), true},
		{"Jira records no resolution time", claim, time.Time{}, true},
		{"closed again long after the claim", claim, at.Add(5 * 24 * time.Hour), false},
		{"a claim whose time is unreadable", &loop.Claim{Run: "r", At: "yesterday"}, at, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SweptClosed(tt.claim, tt.resolved); got != tt.want {
				t.Errorf("SweptClosed = %v, want %v", got, tt.want)
			}
		})
	}
}

// The state comes from what Jira holds: the property the sweep writes.
func TestFromDetailReadsTheSweepsClaim(t *testing.T) {
	merge := `"merge":{"at":"2026-11-20T10:00:00Z","commit":"abc","repo":"acme/shop","pr":7,"url":""}`
	resolved := time.Date(2026, 11, 21, 4, 0, 30, 0, time.UTC)
	for _, tt := range []struct {
		name, property string
		want           loop.State
	}{
		{"verified by the sweep", `{` + merge + `,"closing":{"run":"r1","at":"2026-11-21T04:00:00Z"}}`, loop.StateVerified},
		{"closed by a person after the merge", `{` + merge + `}`, loop.StateDone},
	} {
		d := jira.Detail{Issue: jira.Issue{Key: "OPS-1", Status: "Done", Category: "done"}, Labels: []string{"fixproof", "sentry-web"},
			Properties: map[string]json.RawMessage{"fixproof": json.RawMessage(tt.property)}, Resolved: resolved}
		if got := FromDetail(d, DefaultLabels, "acme").State; got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
}

func TestSourceOf(t *testing.T) {
	for labels, want := range map[string]string{
		"fixproof sentry-shop error-null": "Sentry", "fixproof alertmanager-payments": "Alertmanager",
		"fixproof guance": "Guance", "fixproof": "",
	} {
		if got := SourceOf(strings.Fields(labels)); got != want {
			t.Errorf("SourceOf(%s) = %q, want %q", labels, got, want)
		}
	}
}

// A loop's page takes only what is a Jira key by the one rule (jirakey),
// before the key reaches JQL.
func TestOnlyJiraKeysArePages(t *testing.T) {
	for s, want := range map[string]bool{"OPS-1": true, "AB2_C-100": true, "ops-1": false, "OPS-": false, "-1": false,
		"OPS-1a": false, "OPS-1-2": false, "1OPS-2": false, "OPS-1<script>": false, "": false} {
		if got := jirakey.Valid(s); got != want {
			t.Errorf("jirakey.Valid(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestChartRange(t *testing.T) {
	p := verify.Params{Threshold: 1, Window: time.Hour, Windows: 3, Timeout: 6 * time.Hour}
	merged := time.Date(2026, 11, 20, 10, 20, 0, 0, time.UTC)
	tests := []struct {
		name     string
		now      time.Time
		from, to string
	}{
		{"while watching: up to the current window", merged.Add(2 * time.Hour), "06:00", "13:00"},
		{"after the timeout: up to the timeout", merged.Add(30 * time.Hour), "06:00", "17:00"},
		{"clock before the merge: the merge window", merged.Add(-time.Hour), "06:00", "11:00"},
		{"deployed at 14:00: up to the timeout after the deploy", merged.Add(30 * time.Hour), "06:00", "21:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var deployed time.Time
			if strings.HasPrefix(tt.name, "deployed") {
				deployed = time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC)
			}
			from, to := ChartRange(p, merged, deployed, tt.now)
			if from.Format("15:04") != tt.from || to.Format("15:04") != tt.to {
				t.Errorf("range %s-%s, want %s-%s", from.Format("15:04"), to.Format("15:04"), tt.from, tt.to)
			}
		})
	}
}

func TestBarsAndTimeline(t *testing.T) {
	merged := time.Date(2026, 11, 20, 10, 20, 0, 0, time.UTC)
	bars := Bars([]sentry.Bucket{{Start: merged.Add(40 * time.Minute), Count: 0}, {Start: merged.Add(-20 * time.Minute), Count: 9}}, merged, time.Time{})
	if len(bars) != 2 || bars[0].Value != 9 || bars[0].After || !bars[1].After || bars[1].Deployed {
		t.Errorf("bars %+v: want sorted, the merge window before the merge, nothing deployed", bars)
	}
	bars = Bars([]sentry.Bucket{{Start: merged.Add(40 * time.Minute)}, {Start: merged.Add(3*time.Hour + 40*time.Minute)}}, merged, merged.Add(3*time.Hour+40*time.Minute))
	if !bars[0].After || bars[0].Deployed || !bars[1].Deployed {
		t.Errorf("bars %+v: want the 14:00 window the first deployed", bars)
	}
	l := Loop{Key: "OPS-1", Source: "Sentry", State: loop.StateVerified, Created: merged.Add(-time.Hour), MergedAt: merged,
		Resolved: merged.Add(4 * time.Hour)}
	got := Timeline(l)
	if len(got) != 2 || !strings.Contains(got[0].What, "from Sentry") || !strings.Contains(got[1].What, "Verified") {
		t.Errorf("timeline %+v", got)
	}
}

// Every step of a loop, from what the action, the sweep and the bot
// recorded in the property, in time order, the decision with its
// evidence; a loop reopened after it was verified shows both.
func TestTimelineShowsEveryStepWithItsTime(t *testing.T) {
	at := func(h, m int) time.Time { return time.Date(2026, 11, 20, h, m, 0, 0, time.UTC) }
	rfc := func(t time.Time) string { return t.Format(time.RFC3339) }
	l := Loop{Key: "OPS-1", Source: "Sentry", State: loop.StateReopened, Created: at(9, 0), MergedAt: at(10, 20),
		Merge:        &loop.Merge{At: rfc(at(10, 20)), OpenedAt: rfc(at(9, 40)), Repo: "acme/shop", PR: 7, Commit: "a1b2c3d4e5f6"},
		Deploy:       &loop.Deploy{At: rfc(at(14, 0)), Environment: "production", Ref: "deployment #812"},
		Verification: &loop.Verification{State: loop.StateVerified, At: rfc(at(17, 5)), Evidence: []string{"Errors fell 97% per hour."}},
		Reopened:     []string{rfc(at(23, 0))}}
	got := Timeline(l)
	want := []Event{
		{At: at(9, 0), What: "The first alert became OPS-1 (from Sentry)"},
		{At: at(9, 40), What: "Fix opened: acme/shop#7"},
		{At: at(10, 20), What: "Fix merged: acme/shop#7 (a1b2c3d)"},
		{At: at(14, 0), What: "Deployed to production: deployment #812"},
		{At: at(17, 5), What: "Verified in production and closed", Evidence: []string{"Errors fell 97% per hour."}},
		{At: at(23, 0), What: "Reopened: the error came back"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("timeline\n%+v\nwant\n%+v", got, want)
	}
	l.State, l.Verification, l.Reopened = loop.StateUnverified, &loop.Verification{State: loop.StateUnverified, At: rfc(at(16, 20)), Evidence: []string{"Errors did not fall."}}, nil
	if got := Timeline(l); got[len(got)-1].What != "Not verified" || got[len(got)-1].Evidence[0] != "Errors did not fall." {
		t.Errorf("unverified: %+v", got)
	}
	l.State, l.Verification = loop.StateWatching, nil
	if got := Timeline(l); got[len(got)-1].What != "Watching the error rate" || !got[len(got)-1].At.IsZero() {
		t.Errorf("watching: %+v", got)
	}
}

func TestGuard(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("page")) })
	cookie := New(Config{Token: "s3cret"}, nil, nil).cookieValue()
	type hdr = [][2]string
	tests := []struct {
		name   string
		token  string
		remote string
		header hdr
		target string
		want   int
	}{
		{"no token, loopback", "", "127.0.0.1:5000", nil, "/", 200},
		{"no token, loopback v6", "", "[::1]:5000", nil, "/", 200},
		{"no token, another machine", "", "10.0.0.8:5000", nil, "/", 403},
		{"no token, through a proxy", "", "127.0.0.1:5000", hdr{{"X-Forwarded-For", "203.0.113.9"}}, "/", 403},
		{"no token, an empty X-Forwarded-For line then a real one", "", "127.0.0.1:5000",
			hdr{{"X-Forwarded-For", ""}, {"X-Forwarded-For", "203.0.113.9"}}, "/", 403},
		{"no token, an empty X-Forwarded-For alone", "", "127.0.0.1:5000", hdr{{"X-Forwarded-For", ""}}, "/", 403},
		{"no token, Forwarded", "", "127.0.0.1:5000", hdr{{"Forwarded", "for=203.0.113.9"}}, "/", 403},
		{"no token, X-Real-IP", "", "127.0.0.1:5000", hdr{{"X-Real-IP", "203.0.113.9"}}, "/", 403},
		{"no token, True-Client-IP", "", "127.0.0.1:5000", hdr{{"True-Client-IP", "203.0.113.9"}}, "/", 403},
		{"no token, CF-Connecting-IP", "", "127.0.0.1:5000", hdr{{"CF-Connecting-IP", "203.0.113.9"}}, "/", 403},
		{"no token, Via", "", "127.0.0.1:5000", hdr{{"Via", "1.1 proxy"}}, "/", 403},
		{"no token, X-Forwarded-Host", "", "127.0.0.1:5000", hdr{{"X-Forwarded-Host", "bot.example"}}, "/", 403},
		{"no token, X-Forwarded-Proto", "", "127.0.0.1:5000", hdr{{"X-Forwarded-Proto", "https"}}, "/", 403},
		{"no token, underscores for dashes", "", "127.0.0.1:5000", hdr{{"X_Forwarded_For", "203.0.113.9"}}, "/", 403},
		{"token as bearer", "s3cret", "10.0.0.8:5000", hdr{{"Authorization", "Bearer s3cret"}}, "/", 200},
		{"token as bearer, scheme in lower case", "s3cret", "10.0.0.8:5000", hdr{{"Authorization", "bearer s3cret"}}, "/", 200},
		{"token behind a proxy", "s3cret", "127.0.0.1:5000", hdr{{"Authorization", "Bearer s3cret"}, {"X-Forwarded-For", "203.0.113.9"}}, "/", 200},
		{"the cookie ?token= set", "s3cret", "10.0.0.8:5000", hdr{{"Cookie", cookieName + "=" + cookie}}, "/", 200},
		{"the token itself as the cookie", "s3cret", "10.0.0.8:5000", hdr{{"Cookie", cookieName + "=s3cret"}}, "/", 401},
		{"a cookie made with another token", "other", "10.0.0.8:5000", hdr{{"Cookie", cookieName + "=" + cookie}}, "/", 401},
		{"wrong token", "s3cret", "10.0.0.8:5000", hdr{{"Authorization", "Bearer s3cre"}}, "/", 401},
		{"token required even on loopback", "s3cret", "127.0.0.1:5000", nil, "/", 401},
		{"token in the query sets a cookie", "s3cret", "10.0.0.8:5000", nil, "/?state=open&token=s3cret", 303},
		{"wrong token in the query", "s3cret", "10.0.0.8:5000", nil, "/?token=nope", 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := New(Config{Token: tt.token, Params: verify.Params{Threshold: 1, Window: time.Hour, Windows: 3, Timeout: time.Hour * 6}}, nil, nil)
			r := httptest.NewRequest("GET", tt.target, nil)
			r.RemoteAddr = tt.remote
			for _, h := range tt.header {
				r.Header.Add(h[0], h[1])
			}
			rec := httptest.NewRecorder()
			d.guard(ok).ServeHTTP(rec, r)
			if rec.Code != tt.want {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.want, rec.Body)
			}
			if rec.Code == 303 {
				c := rec.Result().Cookies()
				if len(c) != 1 || c[0].Value != cookie || !c[0].HttpOnly || rec.Header().Get("Location") != "/?state=open" {
					t.Errorf("cookie %+v, location %q", c, rec.Header().Get("Location"))
				}
				if len(c) == 1 && strings.Contains(c[0].Value, tt.token) {
					t.Errorf("the cookie %q holds the token", c[0].Value)
				}
			}
			if rec.Header().Get("Content-Security-Policy") == "" {
				t.Error("no Content-Security-Policy")
			}
		})
	}
}

// The header lines as a proxy writes them, read by Go's own server: an
// empty X-Forwarded-For line followed by a real one is relayed.
func TestGuardReadsEveryForwardingLineOffTheWire(t *testing.T) {
	d := New(Config{Params: verify.Params{Threshold: 1, Window: time.Hour, Windows: 3, Timeout: 6 * time.Hour}}, nil, nil)
	srv := httptest.NewServer(d.guard(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("page")) })))
	defer srv.Close()
	for head, want := range map[string]string{
		"": "200 OK",
		"X-Forwarded-For:\r\nX-Forwarded-For: 203.0.113.9\r\n": "403 Forbidden",
		"X-Forwarded-For: \r\n":                                "403 Forbidden",
		"x-real-ip: 203.0.113.9\r\n":                           "403 Forbidden",
	} {
		conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: localhost\r\n%sConnection: close\r\n\r\n", head)
		status, err := bufio.NewReader(conn).ReadString('\n')
		conn.Close()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(status, want) {
			t.Errorf("headers %q: %s, want %s", head, strings.TrimSpace(status), want)
		}
	}
}

// A GitHub site configured with a trailing slash links pull requests
// without doubling it.
func TestGitHubURLLosesItsTrailingSlash(t *testing.T) {
	for in, want := range map[string]string{"": "https://github.com", "https://ghe.example.com/": "https://ghe.example.com", "https://ghe.example.com": "https://ghe.example.com"} {
		if got := withDefaults(Config{GitHubURL: in}).GitHubURL; got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}
