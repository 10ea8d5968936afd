package dashboard

import (
	"context"
	"embed"
	"html/template"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fixproof/fixproof/internal/chart"
	"github.com/fixproof/fixproof/internal/jira"
	"github.com/fixproof/fixproof/internal/sentry"
	"github.com/fixproof/fixproof/internal/store"
	"github.com/fixproof/fixproof/internal/verify"
)

// Jira is what the dashboard reads from Jira.
type Jira interface {
	Query(ctx context.Context, jql string, properties []string, next string) (jira.Page, error)
	// Details reads the issues of keys, leaving out those Jira lacks.
	Details(ctx context.Context, keys, properties []string) ([]jira.Detail, error)
	BrowseURL(key string) string
}

// Sentry is what the dashboard reads from Sentry.
type Sentry interface {
	EventCounts(ctx context.Context, issueID string, start, end time.Time, interval time.Duration) ([]sentry.Bucket, error)
	// IssueWebURL is an issue's page on the configured Sentry, "" when
	// org or id cannot be one.
	IssueWebURL(org, id string) string
}

// DeadLetters is where the dashboard reads the deliveries that failed for
// good: the bot's store.
type DeadLetters interface {
	Dead(ctx context.Context, limit int) ([]store.DeadJob, error)
}

// Store is what the dashboard keeps in the bot's store and reads from it:
// its snapshot, the dead letters and the first alert of each fingerprint.
// store.Store has it all.
type Store interface {
	DeadLetters
	store.Snapshots
	Lookup(ctx context.Context, fingerprint string) (store.Record, bool, error)
}

// Config is the dashboard's settings.
type Config struct {
	// Token, when set, is required as a bearer token or once as ?token=
	// (which sets a cookie); without it only loopback clients are served.
	Token string
	// Params are the verification settings the action uses, for the
	// threshold line and the windows.
	Params verify.Params
	// Basis is the sweep's rate_basis: the chart counts events, so it
	// draws the threshold only when the sweep judges by events ("" counts
	// as events); under auto, sessions or transactions the threshold is
	// per 1,000 of those, and a line among events would mislead.
	Basis  verify.Basis
	Labels Labels
	// Org is the Sentry organisation of links that name none.
	Org string
	// GitHubURL is where pull requests are linked to: https://github.com
	// when empty.
	GitHubURL string
	// MaxLoops bounds the list (500 when zero): five Jira searches.
	MaxLoops int
	// RefreshEvery is how old the data may grow before a request starts
	// a refresh in the background (15 s when zero); RefreshTimeout bounds
	// a refresh (1 min when zero); PageRefresh is how often the list
	// reloads itself (30 s when zero).
	RefreshEvery, RefreshTimeout, PageRefresh time.Duration
	// SentryTimeout bounds the Sentry reads of a loop's page (5 s when
	// zero): past it the page shows the last chart it drew, or none.
	SentryTimeout time.Duration
	// Now is the dashboard's clock; nil means time.Now.
	Now func() time.Time
	Log *slog.Logger
	// Store, when set, keeps the dashboard's snapshot, so that after a
	// restart it shows what it knew while Jira is down, and says when
	// each loop's first alert came.
	Store Store
	// Dead, when set, is listed at /dead-letters; nil means Store.
	Dead DeadLetters
}

// Dashboard serves the pages.
type Dashboard struct {
	cfg    Config
	jira   Jira
	sentry Sentry // nil: no charts

	cache  cache
	charts charts

	handler http.Handler // Handler's, which ServeHTTP serves
}

// New makes a dashboard over Jira and, when not nil, Sentry.
func New(cfg Config, j Jira, s Sentry) *Dashboard {
	d := &Dashboard{cfg: withDefaults(cfg), jira: j, sentry: s, charts: charts{byIssue: map[string]drawn{}}}
	d.handler = d.Handler()
	return d
}

func withDefaults(cfg Config) Config {
	if cfg.MaxLoops <= 0 {
		cfg.MaxLoops = 500
	}
	for _, d := range []struct {
		v   *time.Duration
		def time.Duration
	}{{&cfg.RefreshEvery, 15 * time.Second}, {&cfg.RefreshTimeout, time.Minute}, {&cfg.PageRefresh, 30 * time.Second}, {&cfg.SentryTimeout, 5 * time.Second}} {
		if *d.v <= 0 {
			*d.v = d.def
		}
	}
	if cfg.GitHubURL == "" {
		cfg.GitHubURL = "https://github.com"
	}
	// Links are GitHubURL + "/" + repo: a configured trailing slash would
	// double it.
	cfg.GitHubURL = strings.TrimRight(cfg.GitHubURL, "/")
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Labels == (Labels{}) {
		cfg.Labels = DefaultLabels
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Dead == nil && cfg.Store != nil {
		cfg.Dead = cfg.Store
	}
	return cfg
}

//go:embed page.html
var files embed.FS

var pages = template.Must(template.New("page.html").Funcs(template.FuncMap{
	"when": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04 MST")
	},
	"human": Human,
}).ParseFS(files, "page.html"))

// ServeHTTP serves the dashboard's pages (see Handler): a *Dashboard is
// itself the handler a server mounts.
func (d *Dashboard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d.handler.ServeHTTP(w, r)
}

// Handler serves GET / (the list, with its search and filters), GET
// /loops/{key} and GET /dead-letters; any other page is a 404 page.
func (d *Dashboard) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", d.list)
	mux.HandleFunc("GET /loops/{key}", d.loop)
	mux.HandleFunc("GET /dead-letters", d.dead)
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		d.problem(w, http.StatusNotFound, "Page not found", "There is no page "+r.URL.Path+" on the dashboard.")
	})
	return d.guard(mux)
}

func (d *Dashboard) render(w http.ResponseWriter, status int, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := pages.ExecuteTemplate(w, name, data); err != nil {
		d.cfg.Log.Error("dashboard: render", "page", name, "error", err.Error())
	}
}

type problemPage struct {
	Title, Message  string
	Status, Refresh int
}

// problem answers an HTML page that says what went wrong, with a way back
// to the list.
func (d *Dashboard) problem(w http.ResponseWriter, status int, title, message string) {
	d.render(w, status, "problem", problemPage{Title: title, Message: message, Status: status})
}

// repoName is a GitHub repository's owner/name, the only form a pull
// request link is built from.
var repoName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$`)

// Link is a link a page shows; URL is "" when there is nothing to link to.
type Link struct{ Text, URL string }

// links are a loop's links: its Jira issue, Sentry issues and pull
// request, each built from the configured address and checked parts of
// the loop, never from a URL its data holds.
func (d *Dashboard) links(l Loop) (jiraLink Link, sentryLinks []Link, pr Link) {
	jiraLink = Link{Text: l.Key}
	if d.jira != nil {
		jiraLink.URL = d.jira.BrowseURL(l.Key)
	}
	for _, s := range l.Sentry {
		sl := Link{Text: s.IssueID}
		if d.sentry != nil {
			sl.URL = d.sentry.IssueWebURL(s.Org, s.IssueID)
		}
		sentryLinks = append(sentryLinks, sl)
	}
	if m := l.Merge; m != nil {
		pr = Link{Text: m.Repo + "#" + strconv.Itoa(m.PR)}
		if repoName.MatchString(m.Repo) && m.PR > 0 {
			pr.URL = d.cfg.GitHubURL + "/" + m.Repo + "/pull/" + strconv.Itoa(m.PR)
		}
	}
	return jiraLink, sentryLinks, pr
}

// charts keeps the last chart drawn for each Sentry issue, to show when
// Sentry does not answer.
type charts struct {
	mu      sync.Mutex
	byIssue map[string]drawn
}

type drawn struct {
	bars []chart.Bar
	at   time.Time
}
