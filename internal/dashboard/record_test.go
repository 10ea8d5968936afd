package dashboard

import (
	"strings"
	"testing"
	"time"
)

// merged puts the loops read one by one since the list in place of the
// list's copies, latest read first, and ignores those the list is as new
// as.
func TestMergedPutsLoopsReadSinceTheListFirstInPlaceOfTheirCopies(t *testing.T) {
	taken := t0
	l := func(key string, read time.Duration, summary string) Loop {
		lp := Loop{Key: key, Summary: summary}
		if read != 0 {
			lp.Read = taken.Add(read)
		}
		return lp
	}
	list := []Loop{l("OPS-3", 0, "list"), l("OPS-2", 0, "list"), l("OPS-1", 0, "list")}
	render := func(loops []Loop) string {
		var out []string
		for _, lp := range loops {
			out = append(out, lp.Key+"="+lp.Summary)
		}
		return strings.Join(out, " ")
	}
	for _, c := range []struct {
		name   string
		recent []Loop
		max    int
		want   string
	}{
		{"nothing read since", nil, 10, "OPS-3=list OPS-2=list OPS-1=list"},
		{"a change replaces the list's copy and comes first", []Loop{l("OPS-1", time.Second, "changed")}, 10, "OPS-1=changed OPS-3=list OPS-2=list"},
		{"a new loop comes first", []Loop{l("OPS-4", time.Second, "new")}, 10, "OPS-4=new OPS-3=list OPS-2=list OPS-1=list"},
		{"the latest read first", []Loop{l("OPS-4", time.Second, "new"), l("OPS-2", 2*time.Second, "changed")}, 10, "OPS-2=changed OPS-4=new OPS-3=list OPS-1=list"},
		{"read before the list: the list's copy stands", []Loop{l("OPS-2", -time.Second, "older")}, 10, "OPS-3=list OPS-2=list OPS-1=list"},
		{"read with the list: the list's copy stands", []Loop{l("OPS-2", 0, "same time")}, 10, "OPS-3=list OPS-2=list OPS-1=list"},
		{"bounded", []Loop{l("OPS-4", time.Second, "new")}, 2, "OPS-4=new OPS-3=list"},
	} {
		t.Run(c.name, func(t *testing.T) {
			recent := map[string]Loop{}
			for _, r := range c.recent {
				if r.Read.IsZero() {
					r.Read = taken
				}
				recent[r.Key] = r
			}
			if got := render(merged(list, taken, recent, c.max)); got != c.want {
				t.Errorf("merged = %s\nwant     %s", got, c.want)
			}
		})
	}
}

// A loop the bot touches is read at once, alone, and shown before the
// list is read again; it is kept in the store, so after a restart with
// Jira down the dashboard shows the step, with its time, that the list
// kept there before it never saw.
func TestATouchedLoopIsShownAtOnceAndKeptForARestartWithJiraDown(t *testing.T) {
	f := newFixture(t)
	f.add(t, "OPS-1", "TypeError in checkout", "Open", []string{"sentry-shop"}, `{"fingerprint":"sentry:acme:101"}`)
	st := memStore(t)
	d := f.dashboard(t, Config{Store: st, RefreshEvery: time.Hour}, nil)
	if _, err := d.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	h := d.Handler()

	// The fix merges and reaches production; a new issue is created.
	f.clock.Advance(time.Minute)
	if err := f.jira.SetProperty("OPS-1", "fixproof", []byte(`{"fingerprint":"sentry:acme:101","merge":{"repo":"acme/shop","pr":7,"sha":"a1b2c3d","at":"2026-11-20T09:00:30Z"},"deploy":{"at":"2026-11-20T09:00:50Z","sha":"a1b2c3d","environment":"production","source":"github"}}`)); err != nil {
		t.Fatal(err)
	}
	if err := f.jira.SetStatus("OPS-1", "Done"); err != nil {
		t.Fatal(err)
	}
	f.add(t, "OPS-2", "Timeout in payments", "Open", []string{"alertmanager-ops"}, `{"fingerprint":"am:payments"}`)
	before := f.count()
	if err := d.Record(t.Context(), "OPS-1", "OPS-2", "OPS-404"); err != nil {
		t.Fatalf("Record with a key Jira lacks: %v", err)
	}
	if n := f.count() - before; n != 3 {
		t.Errorf("Record made %d requests to Jira, want 3 (one per key)", n)
	}
	p := getPage(t, h, "/")
	if got := strings.Join(p.keys(), " "); got != "OPS-1 OPS-2" {
		t.Fatalf("after Record, before any refresh: keys %s, want OPS-1 OPS-2\n%s", got, p.body)
	}

	f.srv.Close()
	f.clock.Advance(time.Hour)
	again := f.dashboard(t, Config{Store: st, RefreshEvery: time.Hour}, nil)
	p = getPage(t, again.Handler(), "/loops/OPS-1")
	if p.code != 200 {
		t.Fatalf("loop page after a restart with Jira down: %d", p.code)
	}
	for _, want := range []string{"09:00 UTCFix merged: acme/shop#7", "09:00 UTCDeployed to production"} {
		if !strings.Contains(text(p.doc), want) {
			t.Errorf("loop page after a restart lacks %q:\n%s", want, text(p.doc))
		}
	}
	if p := getPage(t, again.Handler(), "/"); strings.Join(p.keys(), " ") != "OPS-1 OPS-2" {
		t.Errorf("list after a restart: keys %v, want OPS-1 OPS-2", p.keys())
	}
	waitRefresh(again)
}

// Touch gathers keys and reads them in the background, each once however
// often it was touched.
func TestTouchReadsEachKeyItGathersOnce(t *testing.T) {
	f := newFixture(t)
	d := f.dashboard(t, Config{Store: memStore(t), RefreshEvery: time.Hour}, nil)
	if _, err := d.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"OPS-1", "OPS-2", "OPS-3"} {
		f.add(t, k, "new "+k, "Open", nil, "")
	}
	f.clock.Advance(time.Second)
	before := f.count()
	d.Touch("OPS-1", "OPS-2")
	d.Touch("OPS-3", "OPS-1")
	deadline := time.Now().Add(10 * time.Second)
	for len(d.current(t.Context()).Loops) < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("Touch: the loops never showed; %+v", d.current(t.Context()).Loops)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := f.count() - before; n != 3 {
		t.Errorf("Touch of 3 keys, one twice, made %d requests to Jira, want 3", n)
	}
}
