package dashboard

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/fixproof/fixproof/internal/store"
)

// The list and a loop's page are served from what Jira last said when
// Jira is stopped, and say how old that is and since when Jira has been
// unreachable.
func TestThePagesStayUpWithJiraStoppedAndSayHowOldTheirDataIs(t *testing.T) {
	f := newFixture(t)
	f.add(t, "OPS-1", "TypeError in checkout", "Open", []string{"sentry-shop"}, `{"fingerprint":"sentry:acme:101","sentry":[{"issue_id":"101"}]}`)
	d := f.dashboard(t, Config{}, nil)
	if _, err := d.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	h := d.Handler()
	if p := getPage(t, h, "/"); text(byID(p.doc, "freshness")) != "Updated 0 s ago." {
		t.Errorf("fresh data: %q", text(byID(p.doc, "freshness")))
	}

	f.srv.Close()
	f.clock.Advance(5 * time.Minute)
	if _, err := d.Refresh(t.Context()); err == nil {
		t.Fatal("a refresh with Jira stopped did not fail")
	}
	f.clock.Advance(time.Minute)
	for _, target := range []string{"/", "/loops/OPS-1"} {
		p := getPage(t, h, target)
		fresh := byID(p.doc, "freshness")
		if p.code != 200 {
			t.Fatalf("GET %s with Jira stopped: %d\n%s", target, p.code, p.body)
		}
		want := "Data as of 6 min ago (Nov 20 09:00:00 UTC). Jira unreachable since Nov 20 09:05:00 UTC:"
		if !strings.HasPrefix(text(fresh), want) || !hasClass(fresh, "stale") {
			t.Errorf("GET %s: the freshness line says %q (class %q), want it to start %q", target, text(fresh), attr(fresh, "class"), want)
		}
		if !strings.Contains(p.body, "TypeError in checkout") {
			t.Errorf("GET %s with Jira stopped lacks the loop:\n%s", target, p.body)
		}
	}
	waitRefresh(d)
}

// A request never waits for Jira: with Jira holding every answer, the
// page is served from the data it has and a refresh starts in the
// background; once Jira answers the next page shows the new data.
func TestARequestNeverWaitsForJira(t *testing.T) {
	f := newFixture(t)
	f.add(t, "OPS-1", "first", "Open", nil, "")
	d := f.dashboard(t, Config{RefreshEvery: time.Minute}, nil)
	if _, err := d.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	h := d.Handler()
	f.clock.Advance(time.Second)
	f.add(t, "OPS-2", "second", "Open", nil, "")

	// Fresh enough: no refresh, no request to Jira.
	before := f.count()
	if p := getPage(t, h, "/"); len(p.keys()) != 1 || f.count() != before {
		t.Fatalf("fresh data: keys %v, %d requests to Jira, want 1 loop and none", p.keys(), f.count()-before)
	}

	entered, release := f.holdRequests()
	f.clock.Advance(time.Minute)
	p := getPage(t, h, "/") // would hang here if it waited for Jira
	if p.code != 200 || len(p.keys()) != 1 {
		t.Fatalf("while Jira holds its answers: %d, keys %v", p.code, p.keys())
	}
	awaitRequest(t, entered) // the refresh asked Jira, in the background
	// A second page while that refresh runs starts no other.
	asked := f.count()
	if p := getPage(t, h, "/"); p.code != 200 || f.count() != asked {
		t.Errorf("a page during the refresh: %d, %d more requests to Jira, want 200 and none", p.code, f.count()-asked)
	}
	release()
	waitRefresh(d)
	if p := getPage(t, h, "/"); strings.Join(p.keys(), " ") != "OPS-2 OPS-1" {
		t.Errorf("after the refresh: keys %v, want OPS-2 OPS-1", p.keys())
	}
}

// After a restart the dashboard shows at once what it last read, kept in
// the bot's store, while Jira is down.
func TestAfterARestartTheStoresSnapshotIsShownWhileJiraIsDown(t *testing.T) {
	f := newFixture(t)
	f.add(t, "OPS-1", "kept across restarts", "Open", nil, "")
	st := memStore(t)
	first := f.dashboard(t, Config{Store: st}, nil)
	if _, err := first.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}

	f.srv.Close()
	f.clock.Advance(2 * time.Hour)
	again := f.dashboard(t, Config{Store: st}, nil) // the bot restarted
	h := again.Handler()
	p := getPage(t, h, "/")
	if p.code != 200 || strings.Join(p.keys(), " ") != "OPS-1" {
		t.Fatalf("after a restart: %d, keys %v\n%s", p.code, p.keys(), p.body)
	}
	if got := text(byID(p.doc, "freshness")); got != "Updated 2 h ago." {
		t.Errorf("before the first refresh ends: %q", got)
	}
	waitRefresh(again)
	p = getPage(t, h, "/")
	if got := text(byID(p.doc, "freshness")); !strings.HasPrefix(got, "Data as of 2 h ago") || !strings.Contains(got, "Jira unreachable since Nov 20 11:00:00 UTC") {
		t.Errorf("after the refresh failed: %q", got)
	}
	waitRefresh(again)
}

// With no data and Jira down, the page says so, and reloads itself soon.
func TestWithNoDataYetThePageSaysWhy(t *testing.T) {
	f := newFixture(t)
	f.srv.Close()
	d := f.dashboard(t, Config{}, nil)
	h := d.Handler()
	p := getPage(t, h, "/")
	if p.code != 200 || text(byID(p.doc, "freshness")) != "No data yet: reading Jira for the first time. This page refreshes itself." {
		t.Errorf("%d %q", p.code, text(byID(p.doc, "freshness")))
	}
	if !strings.Contains(p.body, `<meta http-equiv="refresh" content="5">`) {
		t.Errorf("no quick reload:\n%s", p.body)
	}
	waitRefresh(d)
	if got := text(byID(getPage(t, h, "/").doc, "freshness")); !strings.HasPrefix(got, "No data yet: Jira unreachable since Nov 20 09:00:00 UTC:") {
		t.Errorf("after a failed first reading: %q", got)
	}
	waitRefresh(d)
}

func TestFresh(t *testing.T) {
	now := t0.Add(time.Hour)
	tests := []struct {
		name           string
		taken, failing time.Time
		err, want      string
		stale          bool
	}{
		{"never read", time.Time{}, time.Time{}, "", "No data yet: reading Jira for the first time. This page refreshes itself.", true},
		{"never read, Jira down", time.Time{}, now.Add(-time.Minute), "connection refused", "No data yet: Jira unreachable since Nov 20 09:59:00 UTC: connection refused. This page refreshes itself.", true},
		{"fresh", now.Add(-12 * time.Second), time.Time{}, "", "Updated 12 s ago.", false},
		{"stale", now.Add(-30 * time.Minute), now.Add(-20 * time.Minute), "jira: 503", "Data as of 30 min ago (Nov 20 09:30:00 UTC). Jira unreachable since Nov 20 09:40:00 UTC: jira: 503.", true},
	}
	for _, tt := range tests {
		got := Fresh(now, tt.taken, tt.failing, tt.err)
		if got.Text != tt.want || got.Stale != tt.stale {
			t.Errorf("%s: %+v, want %q stale %v", tt.name, got, tt.want, tt.stale)
		}
	}
}

func TestAgo(t *testing.T) {
	for d, want := range map[time.Duration]string{-time.Second: "0 s ago", 0: "0 s ago", 1500 * time.Millisecond: "1 s ago", 119 * time.Second: "119 s ago",
		2 * time.Minute: "2 min ago", 119 * time.Minute: "119 min ago", 2 * time.Hour: "2 h ago", 47 * time.Hour: "47 h ago", 50 * time.Hour: "2 days ago"} {
		if got := Ago(d); got != want {
			t.Errorf("Ago(%s) = %q, want %q", d, got, want)
		}
	}
}

// A snapshot of another version is not misread: it is read again from
// Jira.
func TestASnapshotOfAnotherVersionIsNotRead(t *testing.T) {
	b, err := encodeSnapshot([]Loop{{Key: "OPS-1", Created: t0}})
	if err != nil {
		t.Fatal(err)
	}
	if loops, ok := decodeSnapshot(b); !ok || len(loops) != 1 || loops[0].Key != "OPS-1" || !loops[0].Created.Equal(t0) {
		t.Errorf("round trip: %+v %v", loops, ok)
	}
	for _, doc := range []string{`{"version":2,"loops":[{"Key":"OPS-1"}]}`, `{"loops":[]}`, `not json`} {
		if _, ok := decodeSnapshot([]byte(doc)); ok {
			t.Errorf("%s was read", doc)
		}
	}
}

// When the first alert came is what the bot recorded for the issue's
// fingerprint: the list starts the loop there, and times the issue from
// it.
func TestTheFirstAlertComesFromTheBotsRecord(t *testing.T) {
	f := newFixture(t)
	f.clock.Advance(20 * time.Minute)
	f.add(t, "OPS-1", "TypeError", "Open", []string{"sentry-shop"}, `{"fingerprint":"sentry:acme:101"}`)
	f.add(t, "OPS-2", "no record", "Open", []string{"sentry-shop"}, `{"fingerprint":"sentry:acme:999"}`)
	st := memStore(t)
	if _, _, err := st.Enqueue(t.Context(), store.Delivery{Kind: "sentry", Fingerprint: "sentry:acme:101", Payload: []byte(`{}`), Received: t0}); err != nil {
		t.Fatal(err)
	}
	b, err := st.Next(t.Context(), "w", t0, time.Minute, 10)
	if err != nil || b == nil {
		t.Fatalf("next: %v %v", b, err)
	}
	if err := st.Finish(t.Context(), b, "OPS-1", []byte(`{"first_seen":"2026-11-20T09:05:00Z","deliveries":3}`)); err != nil {
		t.Fatal(err)
	}
	counted := &countingStore{Store: st}
	d := f.dashboard(t, Config{Store: counted}, nil)
	loops, err := d.Refresh(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]time.Time{}
	for _, l := range loops {
		got[l.Key] = l.FirstAlert
	}
	if !got["OPS-1"].Equal(t0.Add(5*time.Minute)) || !got["OPS-2"].IsZero() {
		t.Errorf("first alerts %v, want OPS-1's at 09:05 and none for OPS-2", got)
	}
	p := getPage(t, d.Handler(), "/")
	timing := all(p.doc, func(n *html.Node) bool { return attr(n, "data-name") == "first alert to issue" })
	if len(timing) != 1 || !strings.Contains(text(timing[0]), "median 15 min") || !strings.Contains(p.body, "2026-11-20 09:05 UTC") {
		t.Errorf("the list does not time the issue from the first alert:\n%s", p.body)
	}
	// A first alert never changes: the next refresh asks the store only
	// about the loop whose first alert it does not know yet.
	counted.lookups.Store(0)
	if _, err := d.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := counted.lookups.Load(); n != 1 {
		t.Errorf("the second refresh looked up %d fingerprints, want 1 (OPS-2's, still unknown)", n)
	}
}

// countingStore counts the store's Lookups.
type countingStore struct {
	Store
	lookups atomic.Int32
}

func (c *countingStore) Lookup(ctx context.Context, fp string) (store.Record, bool, error) {
	c.lookups.Add(1)
	return c.Store.Lookup(ctx, fp)
}

// With nobody looking, KeepFresh still refreshes: a loop added to Jira is
// in the data the next time the data is due, and when the context ends it
// stops.
func TestKeepFreshRefreshesWithNobodyLooking(t *testing.T) {
	f := newFixture(t)
	f.add(t, "OPS-1", "first", "Open", nil, "")
	d := f.dashboard(t, Config{RefreshEvery: time.Minute}, nil)
	entered, release := f.holdRequests()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { d.KeepFresh(ctx, time.Millisecond); close(done) }()

	awaitRequest(t, entered) // the first refresh, with no page asked for
	release()
	waitRefresh(d)
	if v := d.current(t.Context()); len(v.Loops) != 1 {
		t.Fatalf("after the first refresh: %d loops, want 1", len(v.Loops))
	}

	f.add(t, "OPS-2", "second", "Open", nil, "")
	entered, release = f.holdRequests()
	f.clock.Advance(time.Minute) // the data is due again
	awaitRequest(t, entered)
	release()
	waitRefresh(d)
	d.cache.mu.Lock()
	n := len(d.cache.view.Loops)
	d.cache.mu.Unlock()
	if n != 2 {
		t.Errorf("after the second refresh: %d loops, want 2", n)
	}

	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("KeepFresh did not return after its context ended")
	}
}

// awaitRequest waits for a held request to reach Jira, failing the test
// when none comes within 10 s.
func awaitRequest(t *testing.T, entered <-chan struct{}) {
	t.Helper()
	select {
	case <-entered:
	case <-time.After(10 * time.Second):
		t.Fatal("no request reached Jira")
	}
}
