package dashboard

import (
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/sim"
	"github.com/fixproof/fixproof/internal/sim/jirasim"
)

// BenchmarkListWithJiraStopped is the time to serve the list of 500
// loops, their numbers and trends, with Jira stopped: the page comes from
// the snapshot and says how old it is. The refresh each request would
// start is not measured: one runs at a time, in the background.
func BenchmarkListWithJiraStopped(b *testing.B) {
	clock := sim.NewClock(t0)
	js := jirasim.New(jirasim.Options{Flavor: jirasim.Cloud, Email: "bot@acme.io", APIToken: "token", Now: clock.Now})
	js.AddProject("OPS", "Operations", jirasim.DefaultWorkflow())
	for i := 1; i <= 500; i++ {
		key := fmt.Sprintf("OPS-%d", i)
		clock.Advance(time.Minute)
		if err := js.AddIssue(key, "TypeError in checkout "+key, "Open"); err != nil {
			b.Fatal(err)
		}
		_ = js.SetLabels(key, "fixproof", "sentry-shop")
		_ = js.SetProperty(key, "fixproof", []byte(fmt.Sprintf(`{"fingerprint":"sentry:acme:%d","sentry":[{"issue_id":"%d"}],"merge":{"at":"2026-11-20T10:20:00Z","commit":"abc1234","repo":"acme/shop","pr":%d}}`, i, i, i)))
	}
	srv := httptest.NewServer(js.Handler())
	f := &fixture{clock: clock, jira: js, srv: srv}
	d := New(Config{Now: clock.Now, Params: params, Org: "acme"}, f.jiraClient(b), nil)
	if _, err := d.Refresh(b.Context()); err != nil {
		b.Fatal(err)
	}
	srv.Close()
	clock.Advance(time.Minute)
	h := d.Handler()
	for b.Loop() {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = "127.0.0.1:4000"
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code != 200 {
			b.Fatalf("GET /: %d", rec.Code)
		}
	}
	waitRefresh(d)
}
