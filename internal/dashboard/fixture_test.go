package dashboard

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/fixproof/fixproof/internal/jira"
	"github.com/fixproof/fixproof/internal/sentry"
	"github.com/fixproof/fixproof/internal/sim"
	"github.com/fixproof/fixproof/internal/sim/jirasim"
	"github.com/fixproof/fixproof/internal/store"
	"github.com/fixproof/fixproof/internal/store/sqlite"
)

// fixture is a simulated Jira behind a real server that a test can stop,
// or hold, on a clock the test moves.
type fixture struct {
	clock *sim.Clock
	jira  *jirasim.Server
	srv   *httptest.Server

	mu       sync.Mutex
	requests int
	hold     chan struct{} // when not nil, requests wait until it is closed
	entered  chan struct{} // gets a value when a held request arrives
}

var t0 = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{clock: sim.NewClock(t0)}
	f.jira = jirasim.New(jirasim.Options{Flavor: jirasim.Cloud, Email: "bot@acme.io", APIToken: "token", Now: f.clock.Now})
	f.jira.AddProject("OPS", "Operations", jirasim.DefaultWorkflow())
	f.jira.AddProject("PAY", "Payments", jirasim.DefaultWorkflow())
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.requests++
		hold, entered := f.hold, f.entered
		f.mu.Unlock()
		if hold != nil {
			entered <- struct{}{}
			<-hold
		}
		f.jira.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fixture) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests
}

// holdRequests makes Jira's answers wait until release is called.
func (f *fixture) holdRequests() (entered <-chan struct{}, release func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	hold, in := make(chan struct{}), make(chan struct{}, 16)
	f.hold, f.entered = hold, in
	return in, func() {
		f.mu.Lock()
		f.hold = nil
		f.mu.Unlock()
		close(hold)
	}
}

// add creates an issue labelled by the bot, at the clock's time.
func (f *fixture) add(t *testing.T, key, summary, status string, labels []string, property string) {
	t.Helper()
	if err := f.jira.AddIssue(key, summary, status); err != nil {
		t.Fatal(err)
	}
	if err := f.jira.SetLabels(key, append([]string{"fixproof"}, labels...)...); err != nil {
		t.Fatal(err)
	}
	if property != "" {
		if err := f.jira.SetProperty(key, "fixproof", json.RawMessage(property)); err != nil {
			t.Fatal(err)
		}
	}
}

func (f *fixture) jiraClient(t testing.TB) *jira.Client {
	t.Helper()
	jc, err := jira.New(jira.Config{BaseURL: f.srv.URL, Email: "bot@acme.io", APIToken: "token", HTTPClient: f.srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	return jc
}

// sentryLinks is a Sentry client for links only: no test here reads it.
func sentryLinks(t *testing.T) *sentry.Client {
	t.Helper()
	sc, err := sentry.New(sentry.Config{BaseURL: "https://sentry.acme.example", Token: "t", Org: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func (f *fixture) dashboard(t *testing.T, cfg Config, s Sentry) *Dashboard {
	t.Helper()
	cfg.Now = f.clock.Now
	if cfg.Params.Window == 0 {
		cfg.Params = params
	}
	return New(cfg, f.jiraClient(t), s)
}

func memStore(t *testing.T) store.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// waitRefresh waits for the refresh under way in the background, if any.
func waitRefresh(d *Dashboard) {
	d.cache.mu.Lock()
	running := d.cache.running
	d.cache.mu.Unlock()
	if running != nil {
		<-running
	}
}

// page is a rendered page, parsed.
type page struct {
	code int
	body string
	doc  *html.Node
}

func getPage(t *testing.T, h http.Handler, target string) page {
	t.Helper()
	rec := get(t, h, target, "127.0.0.1:4000")
	doc, err := html.Parse(strings.NewReader(rec.Body.String()))
	if err != nil {
		t.Fatalf("GET %s: not HTML: %v", target, err)
	}
	return page{code: rec.Code, body: rec.Body.String(), doc: doc}
}

func attr(n *html.Node, name string) string {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}

func hasClass(n *html.Node, class string) bool {
	for _, c := range strings.Fields(attr(n, "class")) {
		if c == class {
			return true
		}
	}
	return false
}

// all are the elements under n for which match is true, in document
// order.
func all(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && match(n) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

func byID(n *html.Node, id string) *html.Node {
	if found := all(n, func(n *html.Node) bool { return attr(n, "id") == id }); len(found) > 0 {
		return found[0]
	}
	return nil
}

func text(n *html.Node) string {
	if n == nil {
		return ""
	}
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}

// keys are the loops a list page shows, in order.
func (p page) keys() []string {
	var out []string
	for _, tr := range all(p.doc, func(n *html.Node) bool { return n.Data == "tr" && hasClass(n, "loop") }) {
		out = append(out, attr(tr, "data-key"))
	}
	return out
}
