package bot

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/botconfig"
	"github.com/fixproof/fixproof/internal/contract"
	"github.com/fixproof/fixproof/internal/guance"
	"github.com/fixproof/fixproof/internal/jira"
	"github.com/fixproof/fixproof/internal/preflight"
	"github.com/fixproof/fixproof/internal/retry"
	"github.com/fixproof/fixproof/internal/scrub"
	"github.com/fixproof/fixproof/internal/sentry"
	"github.com/fixproof/fixproof/internal/sim"
	"github.com/fixproof/fixproof/internal/sim/guancesim"
	"github.com/fixproof/fixproof/internal/sim/jirasim"
	"github.com/fixproof/fixproof/internal/sim/sentrysim"
	"github.com/fixproof/fixproof/internal/store"
	"github.com/fixproof/fixproof/internal/store/sqlite"
	"github.com/fixproof/fixproof/internal/ticket"
)

// Secrets of the simulated world; a test checks none reaches the logs.
const (
	jiraToken    = "ATATT3xBotJiraToken"
	sentryToken  = "sntrys_BotSentryToken"
	clientSecret = "whsec_BotClientSecret"
	amToken      = "am_BotAlertmanagerToken"
	legacyToken  = "legacy_BotToken"
	hookSecret   = "jira_BotWebhookSecret"
	guanceKey    = "guance_BotApiKey"
)

// world is a bot between a simulated Sentry and a simulated Jira.
type world struct {
	t       testing.TB
	jira    *jirasim.Server
	sentry  *sentrysim.Server
	guance  *guancesim.Server
	hooks   sentrysim.Webhooks
	clock   *sim.Clock
	wall    *sim.Wall // the time Jira's rate limit runs on
	store   store.Store
	cfg     botconfig.Config
	bots    []*Bot
	urls    []string
	logs    *lockedBuffer
	stops   []func()
	checked http.RoundTripper

	noContracts bool
	noLimits    bool
	timeout     time.Duration
	noHooks     bool
	before      func(*world)
	checks      func(ctx context.Context) []preflight.Result
	dashboard   http.Handler
	// app is the GitHub side of the bot's GitHub App mode, when the
	// world has it (withGitHubApp).
	app *appSide
	// sweepTick is how often the bots look whether a sweep is due.
	sweepTick time.Duration
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type worldOption func(*world)

// withConfig edits the bot's configuration before it starts.
func withConfig(f func(*botconfig.Config)) worldOption { return func(w *world) { f(&w.cfg) } }

// jiraTimeout sets the bot's HTTP timeout (10 s otherwise).
func jiraTimeout(d time.Duration) worldOption { return func(w *world) { w.timeout = d } }

// withDashboard serves h as the bot's dashboard.
func withDashboard(h http.Handler) worldOption { return func(w *world) { w.dashboard = h } }

// withoutJiraWebhooks leaves Jira's webhooks unregistered.
func withoutJiraWebhooks() worldOption { return func(w *world) { w.noHooks = true } }

// beforeStart runs f once the simulators and the store exist, before the
// bot starts: for arranging a scenario the workers must not see half-done.
func beforeStart(f func(w *world)) worldOption { return func(w *world) { w.before = f } }

// unchecked skips contract validation (of requests, responses and ADF),
// for a test about something else that makes many requests.
func unchecked() worldOption { return func(w *world) { w.noContracts = true } }

// bench is unchecked without Jira's rate limit: benchmarks measure the bot,
// not the validator or the limit.
func bench() worldOption { return func(w *world) { w.noContracts, w.noLimits = true, true } }

// withStore runs the bot on the given store instead of a SQLite file.
func withStore(st store.Store) worldOption { return func(w *world) { w.store = st } }

// jiraSearchLag is how long the simulated Jira's search takes to show a
// new issue, by the world's clock; botSearchLag is how long the bot waits
// for it, with room to spare, as in production (2 minutes against Jira
// Cloud's few seconds).
const (
	jiraSearchLag = 10 * time.Second
	botSearchLag  = 30 * time.Second
)

// newWorld starts Jira, Sentry and one bot on a SQLite file. Every request
// the bot sends and every simulated answer is validated against the
// vendors' specs when the contracts are present.
func newWorld(t testing.TB, opts ...worldOption) *world {
	t.Helper()
	w := &world{t: t, clock: sim.NewClock(time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)), logs: &lockedBuffer{}, wall: &sim.Wall{}}
	w.cfg = botconfig.Default()
	w.cfg.Jira.Email, w.cfg.Jira.APIToken, w.cfg.Jira.Project = "bot@acme.io", jiraToken, "OPS"
	w.cfg.Sentry.Org, w.cfg.Sentry.Token = "acme", sentryToken
	w.cfg.Sentry.ClientSecret, w.cfg.Sentry.LegacyToken, w.cfg.Alertmanager.Token = clientSecret, legacyToken, amToken
	w.cfg.Sentry.Installation = sentrysim.DefaultInstallation
	w.cfg.Jira.WebhookSecret = hookSecret
	w.cfg.Guance.APIKey, w.cfg.Guance.Workspace = guanceKey, "wksp_acme"
	for _, o := range opts {
		o(w)
	}

	// Jira's search shows a new issue some seconds after it is created,
	// as Jira Cloud's index does: the bot must wait for it before it
	// concludes that a create it is unsure of did not happen. Jira
	// Cloud's burst rate limit runs on wall time: the bot's retries skip
	// their waits on w.wall instead of sleeping.
	jo := jirasim.Options{Flavor: jirasim.Cloud, Email: "bot@acme.io", APIToken: jiraToken, Now: w.clock.Now, SearchLag: jiraSearchLag}
	if !w.noLimits {
		jo.RateLimit = jirasim.CloudRateLimit
		jo.RateLimit.Clock = w.wall.Now
	}
	if !w.noContracts {
		jo.ADF = contract.ADFIfPresent(t)
	}
	w.jira = jirasim.New(jo)
	w.jira.AddProject("OPS", "Operations", jirasim.DefaultWorkflow())
	w.jira.AddProject("WEB", "Web", jirasim.DefaultWorkflow())
	jsrv := httptest.NewServer(w.jira.Handler())
	t.Cleanup(jsrv.Close)
	w.sentry = sentrysim.New(sentrysim.Options{Token: sentryToken, Org: "acme", Now: w.clock.Now})
	ssrv := httptest.NewServer(w.sentry.Handler())
	t.Cleanup(ssrv.Close)
	w.guance = guancesim.New(guancesim.Options{APIKey: guanceKey, Workspace: "wksp_acme", Now: w.clock.Now, PageSize: 20})
	gsrv := httptest.NewServer(w.guance.Handler())
	t.Cleanup(gsrv.Close)
	w.cfg.Jira.BaseURL, w.cfg.Sentry.BaseURL, w.cfg.Guance.BaseURL = jsrv.URL, ssrv.URL, gsrv.URL

	if w.app != nil {
		w.app.start(w)
	}
	w.checked = http.DefaultTransport
	if _, ok := contract.Dir(); ok && !w.noContracts {
		jiraHost, sentryHost := strings.TrimPrefix(jsrv.URL, "http://"), strings.TrimPrefix(ssrv.URL, "http://")
		jc, sc := contract.JiraSpec(t).Transport(t, http.DefaultTransport), contract.SentrySpec(t).Transport(t, http.DefaultTransport)
		w.checked = roundTripFunc(func(r *http.Request) (*http.Response, error) {
			switch r.URL.Host {
			case jiraHost:
				return jc.RoundTrip(r)
			case sentryHost:
				return sc.RoundTrip(r)
			}
			if w.app != nil && r.URL.Host == w.app.host {
				return w.app.checked.RoundTrip(r)
			}
			// Guance publishes no OpenAPI document; the guance package's
			// tests check its fields against Guance's API pages.
			return http.DefaultTransport.RoundTrip(r)
		})
	}
	if w.store == nil {
		st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "bot.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		w.store = st
	}
	if w.before != nil {
		w.before(w)
	}
	w.startBot("bot-1")
	if !w.noHooks {
		w.jira.AddWebhook(w.urls[0]+"/webhooks/jira", hookSecret)
	}
	w.hooks = sentrysim.Webhooks{URL: w.urls[0] + "/webhooks/sentry", ClientSecret: clientSecret, Client: http.DefaultClient, Now: w.clock.Now}
	return w
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// startBot starts one more bot on the world's store.
func (w *world) startBot(owner string) *Bot { return w.startBotOn(owner, w.store) }

// startBotOn starts one more bot on st: replicas share one database, each
// through its own store (its own connections), like separate processes.
func (w *world) startBotOn(owner string, st store.Store) *Bot {
	w.t.Helper()
	timeout := w.timeout
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	httpc := &http.Client{Timeout: timeout, Transport: &retry.Transport{Base: w.checked,
		Policy: retry.Policy{Attempts: 3, Base: time.Millisecond, Max: 5 * time.Millisecond, MaxWait: time.Minute,
			Sleep: func(ctx context.Context, d time.Duration) error { w.wall.Skip(d); return ctx.Err() }}}}
	jc, err := jira.New(jira.Config{BaseURL: w.cfg.Jira.BaseURL, Email: w.cfg.Jira.Email, APIToken: w.cfg.Jira.APIToken, HTTPClient: httpc})
	if err != nil {
		w.t.Fatal(err)
	}
	sc, err := sentry.New(sentry.Config{BaseURL: w.cfg.Sentry.BaseURL, Token: sentryToken, Org: "acme", HTTPClient: httpc})
	if err != nil {
		w.t.Fatal(err)
	}
	scrubber, err := scrub.New(scrub.Options{Extra: w.cfg.Scrub.Extra, KeepUser: w.cfg.Scrub.KeepUser})
	if err != nil {
		w.t.Fatal(err)
	}
	tickets, _ := ticket.New("", "")
	gc, err := guance.New(guance.Config{BaseURL: w.cfg.Guance.BaseURL, APIKey: w.cfg.Guance.APIKey, HTTPClient: httpc})
	if err != nil {
		w.t.Fatal(err)
	}
	log := slog.New(slog.NewJSONHandler(w.logs, &slog.HandlerOptions{Level: slog.LevelDebug})).With("bot", owner)
	var app GitHubApp
	if w.app != nil {
		app = w.app.newApp(w, httpc, jc, log)
	}
	b, err := New(Deps{Config: w.cfg, Store: st, Jira: jc, Sentry: sc, Guance: gc, Tickets: tickets, Scrubber: scrubber,
		Log: log, Now: w.clock.Now, Owner: owner, PollEvery: 5 * time.Millisecond, SearchLag: botSearchLag, Checks: w.checks, Dashboard: w.dashboard,
		GitHubApp: app, SweepTick: w.sweepTick})
	if err != nil {
		w.t.Fatal(err)
	}
	srv := httptest.NewServer(b.Handler())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = b.Run(ctx); close(done) }()
	stop := func() { cancel(); <-done; srv.Close() }
	w.t.Cleanup(stop)
	w.bots = append(w.bots, b)
	w.urls = append(w.urls, srv.URL)
	w.stops = append(w.stops, stop)
	return b
}

// drain waits until every delivery that can run now has been processed
// and no simulator is still serving a request (one whose client gave up
// included): only then may the test move the clock, or a request sent
// "before" would land "after".
func (w *world) drain() {
	w.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		s, err := w.store.Stats(context.Background(), w.clock.Now())
		if err != nil {
			w.t.Fatal(err)
		}
		if s.Ready == 0 && s.Leased == 0 && w.jira.Control.InFlight()+w.sentry.Control.InFlight()+w.guance.Control.InFlight() == 0 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	s, _ := w.store.Stats(context.Background(), w.clock.Now())
	w.t.Fatalf("queue did not drain: %+v\n%s", s, tail(w.logs.String(), 3000))
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// sentryIssue adds a Sentry issue.
func (w *world) sentryIssue(id, title string) {
	w.sentry.AddIssue(sentrysim.Issue{ID: id, ShortID: "WEB-" + id, Title: title, Project: "web", Culprit: "app/cart.js in pay", Level: "error"})
}

// eventAlert sends an event_alert webhook for a Sentry issue.
func (w *world) eventAlert(id string) int {
	w.t.Helper()
	body := w.sentry.EventAlertWebhook(id, sentrysim.Event{
		Type: "TypeError", Value: "Cannot read properties of null (reading 'id')",
		Frames:  []sentrysim.Frame{{Filename: "app/cart.js", Function: "pay", Lineno: 42, InApp: true}},
		User:    sentrysim.User{ID: "u-1", Email: "jane.doe@example.com", IP: "203.0.113.7"},
		Request: sentrysim.Request{Method: "POST", URL: "https://shop.example/api/pay?token=sekrit"},
		Release: "web@1.4.2", Environment: "production", TraceID: "4bf92f3577b34da6a3ce929d0e0e4736",
	}, sentrysim.Actor{Type: "application", ID: "sentry", Name: "Sentry"})
	code, err := w.hooks.Send(context.Background(), "event_alert", body)
	if err != nil {
		w.t.Fatal(err)
	}
	return code
}

// issues lists the Jira issues carrying a label.
func (w *world) issues(label string) []jirasim.Issue {
	var out []jirasim.Issue
	for i := 1; i < 1000; i++ {
		for _, p := range []string{"OPS", "WEB"} {
			if is, ok := w.jira.Issue(fmt.Sprintf("%s-%d", p, i)); ok {
				for _, l := range is.Labels {
					if l == label {
						out = append(out, is)
					}
				}
			}
		}
	}
	return out
}

func eventFor() sentrysim.Event {
	return sentrysim.Event{Type: "TypeError", Value: "boom", Frames: []sentrysim.Frame{{Filename: "app/cart.js", Function: "pay", Lineno: 42, InApp: true}}}
}

func actorSentry() sentrysim.Actor {
	return sentrysim.Actor{Type: "application", ID: "sentry", Name: "Sentry"}
}
