package dashboard

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/sentry"
	"github.com/fixproof/fixproof/internal/sim/sentrysim"
	"github.com/fixproof/fixproof/internal/verify"
)

// A loop's page draws its chart from Sentry, once within SentryTimeout;
// when Sentry stops answering the page still renders, with the last
// chart drawn and its age, or with a note when there is none.
func TestALoopsChartSurvivesSentryStopping(t *testing.T) {
	f := newFixture(t)
	f.add(t, "OPS-1", "TypeError", "Open", []string{"sentry-shop"},
		`{"sentry":[{"issue_id":"101"},{"issue_id":"102"}],"merge":{"at":"2026-11-20T10:20:00Z","commit":"abc1234","repo":"acme/shop","pr":7}}`)
	f.clock.Set(t0.Add(4 * time.Hour))
	sc, srv := sentryWith101(t, f)
	d := f.dashboard(t, Config{Org: "acme"}, sc)
	if _, err := d.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	h := d.Handler()
	p := getPage(t, h, "/loops/OPS-1")
	if n := strings.Count(p.body, `class="chart wide"`); p.code != 200 || n != 2 || !strings.Contains(p.body, "60 events per hour") {
		t.Fatalf("with Sentry up: %d, %d charts\n%s", p.code, n, p.body)
	}

	srv.Close()
	f.clock.Advance(10 * time.Minute)
	p = getPage(t, h, "/loops/OPS-1")
	note := text(byID(p.doc, "chart-note"))
	if n := strings.Count(p.body, `class="chart wide"`); p.code != 200 || n != 2 || !strings.Contains(note, "the chart is as of 10 min ago") {
		t.Errorf("with Sentry stopped: %d, %d charts, note %q", p.code, n, note)
	}

	fresh := f.dashboard(t, Config{Org: "acme"}, sc) // nothing drawn yet
	if _, err := fresh.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	p = getPage(t, fresh.Handler(), "/loops/OPS-1")
	note = text(byID(p.doc, "chart-note"))
	if strings.Contains(p.body, `class="chart wide"`) || p.code != 200 || !strings.HasPrefix(note, "Sentry did not answer for issue 102") {
		t.Errorf("with Sentry stopped and no chart drawn before: %d, note %q", p.code, note)
	}
}

// The chart counts events, so it draws the threshold only when the sweep
// judges by events; under a rate basis the threshold is per 1,000
// sessions or transactions, and the figure says why there is no line.
func TestTheThresholdIsDrawnOnlyInTheChartsUnit(t *testing.T) {
	f := newFixture(t)
	f.add(t, "OPS-1", "TypeError", "Open", []string{"sentry-shop"},
		`{"sentry":[{"issue_id":"101"}],"merge":{"at":"2026-11-20T10:20:00Z","commit":"abc1234","repo":"acme/shop","pr":7}}`)
	f.clock.Set(t0.Add(4 * time.Hour))
	sc, _ := sentryWith101(t, f)
	for _, tt := range []struct {
		basis   verify.Basis
		line    bool
		caption string
	}{
		{verify.BasisEvents, true, ""},
		{"", true, ""},
		{verify.BasisAuto, false, "per 1,000 sessions or transactions"},
		{verify.BasisSessions, false, "rate_basis sessions"},
	} {
		d := f.dashboard(t, Config{Org: "acme", Basis: tt.basis}, sc)
		if _, err := d.Refresh(t.Context()); err != nil {
			t.Fatal(err)
		}
		p := getPage(t, d.Handler(), "/loops/OPS-1")
		if got := strings.Contains(p.body, `class="threshold"`); got != tt.line {
			t.Errorf("basis %q: threshold line drawn %v, want %v", tt.basis, got, tt.line)
		}
		if got := strings.Contains(p.body, "<figcaption"); got != (tt.caption != "") || !strings.Contains(p.body, tt.caption) {
			t.Errorf("basis %q: caption %v, want one saying %q", tt.basis, got, tt.caption)
		}
	}
}

// sentryWith101 is a simulated Sentry on f's clock holding issue 101,
// 60 events an hour since a day before t0, and a client for it; the
// server is closed when the test ends (or earlier, by the test).
func sentryWith101(t *testing.T, f *fixture) (*sentry.Client, *httptest.Server) {
	t.Helper()
	ss := sentrysim.New(sentrysim.Options{Token: "t", Org: "acme", Now: f.clock.Now})
	ss.AddIssue(sentrysim.Issue{ID: "101", ShortID: "SHOP-1", Title: "TypeError", Project: "shop", FirstSeen: t0.Add(-24 * time.Hour)})
	ss.SetTimeline("101", sentrysim.Rate(60))
	srv := httptest.NewServer(ss.Handler())
	t.Cleanup(srv.Close)
	sc, err := sentry.New(sentry.Config{BaseURL: srv.URL, Token: "t", Org: "acme", HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	return sc, srv
}
