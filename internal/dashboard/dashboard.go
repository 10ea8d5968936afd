package dashboard

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/fixproof/fixproof/internal/bearer"
	"github.com/fixproof/fixproof/internal/chart"
	"github.com/fixproof/fixproof/internal/jira"
	"github.com/fixproof/fixproof/internal/jirakey"
	"github.com/fixproof/fixproof/internal/loop"
	"github.com/fixproof/fixproof/internal/sentry"
	"github.com/fixproof/fixproof/internal/store"
	"github.com/fixproof/fixproof/internal/verify"
)

// Jira is what the dashboard reads from Jira.
type Jira interface {
	Query(ctx context.Context, jql string, properties []string, next string) (jira.Page, error)
	BrowseURL(key string) string
}

// Sentry is what the dashboard reads from Sentry.
type Sentry interface {
	EventCounts(ctx context.Context, issueID string, start, end time.Time, interval time.Duration) ([]sentry.Bucket, error)
}

// DeadLetters is where the dashboard reads the deliveries that failed for
// good: the bot's store.
type DeadLetters interface {
	Dead(ctx context.Context, limit int) ([]store.DeadJob, error)
}

// Config is the dashboard's settings.
type Config struct {
	// Token, when set, is required as a bearer token or once as ?token=
	// (which sets a cookie); without it only loopback clients are served.
	Token string
	// Params are the verification settings the action uses, for the
	// threshold line and the windows.
	Params verify.Params
	Labels Labels
	// Org is the Sentry organisation of links that name none.
	Org string
	// MaxLoops bounds the list (500 when zero): five Jira searches.
	MaxLoops int
	// CacheFor is how long a list is reused (15 s of wall time when
	// zero), so a refreshing browser does not search Jira each time.
	CacheFor time.Duration
	// Now is the clock for the charts' range; nil means time.Now.
	Now func() time.Time
	Log *slog.Logger
	// Dead, when set, is listed at /dead-letters.
	Dead DeadLetters
}

// Dashboard serves the pages.
type Dashboard struct {
	cfg    Config
	jira   Jira
	sentry Sentry // nil: no charts

	mu     sync.Mutex
	cached []Loop
	at     time.Time
}

// New makes a dashboard over Jira and, when not nil, Sentry.
func New(cfg Config, j Jira, s Sentry) *Dashboard {
	if cfg.MaxLoops <= 0 {
		cfg.MaxLoops = 500
	}
	if cfg.CacheFor <= 0 {
		cfg.CacheFor = 15 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Labels == (Labels{}) {
		cfg.Labels = DefaultLabels
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Dashboard{cfg: cfg, jira: j, sentry: s}
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
}).ParseFS(files, "page.html"))

// Handler serves GET / (the list, ?state= filters it), GET /loops/{key}
// and GET /dead-letters.
func (d *Dashboard) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", d.list)
	mux.HandleFunc("GET /loops/{key}", d.loop)
	mux.HandleFunc("GET /dead-letters", d.dead)
	return d.guard(mux)
}

const cookieName = "fixproof_dashboard"

// guard lets a request through with the token, or from loopback when no
// token is configured.
func (d *Dashboard) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer")
		if d.cfg.Token == "" {
			if !loopback(r) {
				http.Error(w, "the dashboard answers only on localhost, and not through a proxy; set dashboard.token to open it to others", http.StatusForbidden)
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		if q := r.URL.Query().Get("token"); q != "" && bearer.Equal(q, d.cfg.Token) {
			http.SetCookie(w, &http.Cookie{Name: cookieName, Value: d.cookieValue(), Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
			u := *r.URL
			qs := u.Query()
			qs.Del("token")
			u.RawQuery = qs.Encode()
			http.Redirect(w, r, u.RequestURI(), http.StatusSeeOther)
			return
		}
		ok := bearer.Valid(r, d.cfg.Token)
		if c, err := r.Cookie(cookieName); !ok && err == nil {
			ok = d.cookieOK(c.Value)
		}
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="fixproof"`)
			http.Error(w, "give the dashboard token: Authorization: Bearer TOKEN, or open /?token=TOKEN once", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// cookieValue is what the cookie set by ?token= holds: an HMAC keyed with
// the token, never the token itself. A cookie sits in the browser's
// profile on disk and travels with every request, where a proxy may log
// it; this one opens the dashboard and nothing else, and changing the
// token voids it.
func (d *Dashboard) cookieValue() string {
	return hex.EncodeToString(d.cookieMAC())
}

func (d *Dashboard) cookieMAC() []byte {
	m := hmac.New(sha256.New, []byte(d.cfg.Token))
	m.Write([]byte("fixproof dashboard cookie v1"))
	return m.Sum(nil)
}

// cookieOK checks a cookie's value in constant time.
func (d *Dashboard) cookieOK(v string) bool {
	got, err := hex.DecodeString(v)
	return err == nil && hmac.Equal(got, d.cookieMAC())
}

// relayHeaders are the headers proxies add to what they pass on; the
// X-Forwarded- family is matched whole (see relayed).
var relayHeaders = map[string]bool{
	"forwarded": true, "via": true, "x-real-ip": true, "true-client-ip": true, "cf-connecting-ip": true,
	"x-client-ip": true, "x-cluster-client-ip": true, "fastly-client-ip": true, "x-original-forwarded-for": true,
}

// relayed reports whether a proxy passed the request on: it carries a
// forwarding header, whatever its value (an empty X-Forwarded-For line
// counts: some proxies add one, and a second line may follow it).
// Names are compared ignoring case, with "_" as "-" (as some servers and
// CGI gateways read them).
func relayed(h http.Header) bool {
	for k := range h {
		k = strings.ReplaceAll(strings.ToLower(k), "_", "-")
		if relayHeaders[k] || strings.HasPrefix(k, "x-forwarded-") {
			return true
		}
	}
	return false
}

// loopback is a request from this machine's socket that no proxy relayed:
// behind a proxy on the same machine every request comes from loopback,
// so the socket alone proves nothing.
func loopback(r *http.Request) bool {
	if relayed(r.Header) {
		return false
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Loops lists the bot's issues, most recently updated first.
func (d *Dashboard) Loops(ctx context.Context) ([]Loop, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cached != nil && time.Since(d.at) < d.cfg.CacheFor {
		return d.cached, nil
	}
	jql := "labels = " + jira.QuoteJQL(d.cfg.Labels.Bot) + " ORDER BY updated DESC"
	var out []Loop
	next := ""
	for {
		page, err := d.jira.Query(ctx, jql, []string{loop.PropertyKey}, next)
		if err != nil {
			return nil, err
		}
		for _, is := range page.Issues {
			out = append(out, FromDetail(is, d.cfg.Labels, d.cfg.Org, d.jira.BrowseURL(is.Key)))
		}
		if page.Next == "" || len(out) >= d.cfg.MaxLoops {
			break
		}
		next = page.Next
	}
	if len(out) > d.cfg.MaxLoops {
		out = out[:d.cfg.MaxLoops]
	}
	d.cached, d.at = out, time.Now()
	return out, nil
}

type listPage struct {
	Title    string
	Loops    []Loop
	All      int
	Counts   map[loop.State]int
	States   []loop.State
	Filter   loop.State
	Sentinel string
	// AnyDead says there are dead letters to look at.
	AnyDead bool
}

func (d *Dashboard) list(w http.ResponseWriter, r *http.Request) {
	loops, err := d.Loops(r.Context())
	if err != nil {
		d.fail(w, "read the loops from Jira", err)
		return
	}
	filter := loop.State(r.URL.Query().Get("state"))
	if filter != "" && !slices.Contains(States, filter) {
		http.Error(w, fmt.Sprintf("unknown state %q; use one of %v", filter, States), http.StatusBadRequest)
		return
	}
	p := listPage{Title: "fixproof: every loop", All: len(loops), Counts: map[loop.State]int{}, States: States, Filter: filter}
	if d.cfg.Dead != nil {
		// Best effort: the list is worth showing even if the store
		// cannot say.
		dead, err := d.cfg.Dead.Dead(r.Context(), 1)
		if err != nil {
			d.cfg.Log.Warn("dashboard: read the dead letters", "error", err.Error())
		}
		p.AnyDead = len(dead) > 0
	}
	for _, l := range loops {
		p.Counts[l.State]++
		if filter == "" || l.State == filter {
			p.Loops = append(p.Loops, l)
		}
	}
	d.render(w, "list", p)
}

// Event is one line of a loop's timeline.
type Event struct {
	At   time.Time
	What string
	// Evidence are the sentences the sweep decided on, as its comments
	// print them.
	Evidence []string
}

type loopPage struct {
	Title    string
	Loop     Loop
	Timeline []Event
	Charts   []template.HTML
	Note     string
}

func (d *Dashboard) loop(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	if !jirakey.Valid(key) {
		http.Error(w, fmt.Sprintf("%q is not a Jira key (like OPS-12)", key), http.StatusBadRequest)
		return
	}
	page, err := d.jira.Query(r.Context(), "key = "+jira.QuoteJQL(key), []string{loop.PropertyKey}, "")
	// Jira answers 400 to a JQL naming a key that does not exist.
	var apiErr *jira.APIError
	if errors.As(err, &apiErr) && apiErr.Status == http.StatusBadRequest {
		err, page = nil, jira.Page{}
	}
	if err != nil {
		d.fail(w, "read "+key+" from Jira", err)
		return
	}
	if len(page.Issues) == 0 {
		http.Error(w, key+" is not in Jira, or the bot cannot see it", http.StatusNotFound)
		return
	}
	l := FromDetail(page.Issues[0], d.cfg.Labels, d.cfg.Org, d.jira.BrowseURL(key))
	p := loopPage{Title: l.Key + ": " + l.Summary, Loop: l, Timeline: Timeline(l)}
	switch {
	case d.sentry == nil:
		p.Note = "No Sentry token is configured: no chart."
	case len(l.Sentry) == 0:
		p.Note = "No Sentry issue is linked to " + l.Key + "."
	case l.MergedAt.IsZero():
		p.Note = "No fix has merged yet: the chart starts at the merge."
	default:
		now := d.cfg.Now()
		deployed := l.DeployedAt()
		from, to := ChartRange(d.cfg.Params, l.MergedAt, deployed, now)
		for _, s := range l.Sentry {
			bs, err := d.sentry.EventCounts(r.Context(), s.IssueID, from, to, d.cfg.Params.Window)
			if err != nil {
				d.cfg.Log.Warn("dashboard: events", "issue", s.IssueID, "error", err.Error())
				p.Note = "Sentry did not answer for issue " + s.IssueID + ": " + err.Error()
				continue
			}
			c := chart.Chart{ID: "sentry-" + s.IssueID, Title: fmt.Sprintf("Sentry issue %s: events per %s", s.IssueID, d.cfg.Params.Window),
				Unit: "events per " + d.cfg.Params.Window.String(), Bars: Bars(bs, l.MergedAt, deployed), Limit: d.cfg.Params.Limit()}
			p.Charts = append(p.Charts, template.HTML(chart.SVG(c, chart.Wide)))
		}
	}
	d.render(w, "loop", p)
}

// deadShown is how many dead letters the page lists, the latest first.
const deadShown = 200

type deadPage struct {
	Title     string
	Dead      []store.DeadJob
	Available bool
	More      bool // there may be more than deadShown
}

// dead lists the deliveries that failed for good, with the error each
// last failed with, and says how to put them back in the queue. The
// payloads are not shown: they are the alerts as received, before
// personal data is scrubbed.
func (d *Dashboard) dead(w http.ResponseWriter, r *http.Request) {
	p := deadPage{Title: "fixproof: dead letters", Available: d.cfg.Dead != nil}
	if d.cfg.Dead != nil {
		dead, err := d.cfg.Dead.Dead(r.Context(), deadShown)
		if err != nil {
			d.fail(w, "read the dead letters from the store", err)
			return
		}
		p.Dead, p.More = dead, len(dead) == deadShown
	}
	d.render(w, "dead", p)
}

// ChartRange is the windows a loop's chart shows: as many before the merge
// as verification needs after it, and after it up to now or the timeout
// (counted from the deploy when one is recorded).
func ChartRange(p verify.Params, merged, deployed, now time.Time) (from, to time.Time) {
	from = merged.Truncate(p.Window).Add(-time.Duration(p.Windows+1) * p.Window)
	start := merged
	if deployed.After(merged) {
		start = deployed
	}
	to = start.Add(p.Timeout)
	if now.Before(to) {
		to = now
	}
	if to.Before(merged) {
		to = merged
	}
	return from, to.Truncate(p.Window).Add(p.Window)
}

// Bars turns Sentry's windows into chart bars, marking those that start
// after the merge and after the deploy (zero: none recorded).
func Bars(bs []sentry.Bucket, merged, deployed time.Time) []chart.Bar {
	sort.Slice(bs, func(i, j int) bool { return bs[i].Start.Before(bs[j].Start) })
	out := make([]chart.Bar, len(bs))
	for i, b := range bs {
		out[i] = chart.Bar{Label: b.Start.UTC().Format("Jan 2 15:04"), Value: b.Count, After: !b.Start.Before(merged),
			Deployed: !deployed.IsZero() && !b.Start.Before(deployed)}
	}
	return out
}

// Timeline is every step of a loop with its time, in order: the first
// alert, the fix's pull request opened and merged, the deploy, the
// sweep's decision with its evidence, and every reopening. Steps come
// from the fixproof property; for issues from before the property held
// them, Jira's resolution time stands in for the decision.
func Timeline(l Loop) []Event {
	var ev []Event
	if !l.Created.IsZero() {
		what := "The first alert became " + l.Key
		if l.Source != "" {
			what += " (from " + l.Source + ")"
		}
		ev = append(ev, Event{At: l.Created, What: what})
	}
	ev = append(ev, fixEvents(l)...)
	ev = append(ev, decisionEvents(l)...)
	for _, r := range l.Reopened {
		if at, err := time.Parse(time.RFC3339, r); err == nil {
			ev = append(ev, Event{At: at, What: "Reopened: the error came back"})
		}
	}
	if l.State == loop.StateWatching && (l.Verification == nil || l.Verification.State != loop.StateVerified) {
		ev = append(ev, Event{What: "Watching the error rate"})
	}
	sort.SliceStable(ev, func(i, j int) bool {
		if ev[i].At.IsZero() || ev[j].At.IsZero() {
			return !ev[i].At.IsZero() && ev[j].At.IsZero()
		}
		return ev[i].At.Before(ev[j].At)
	})
	return ev
}

// fixEvents are the fix's steps: its pull request opened and merged, and
// its deploy.
func fixEvents(l Loop) []Event {
	if l.Merge == nil {
		return nil
	}
	var ev []Event
	pr := fmt.Sprintf("%s#%d", l.Merge.Repo, l.Merge.PR)
	if at, err := time.Parse(time.RFC3339, l.Merge.OpenedAt); err == nil {
		ev = append(ev, Event{At: at, What: "Fix opened: " + pr})
	}
	if !l.MergedAt.IsZero() {
		what := "Fix merged: " + pr
		if c := l.Merge.Commit; len(c) >= 7 {
			what += " (" + c[:7] + ")"
		}
		ev = append(ev, Event{At: l.MergedAt, What: what})
	}
	if d := l.Deploy; d != nil {
		if at, err := time.Parse(time.RFC3339, d.At); err == nil {
			what := "Deployed to " + d.Environment
			if d.Ref != "" {
				what += ": " + d.Ref
			}
			ev = append(ev, Event{At: at, What: what})
		}
	}
	return ev
}

// decisionEvents are the sweep's decision, with its evidence when it was
// recorded, else what Jira's resolution says.
func decisionEvents(l Loop) []Event {
	if v := l.Verification; v != nil {
		at, _ := time.Parse(time.RFC3339, v.At)
		what := "Not verified"
		if v.State == loop.StateVerified {
			what = "Verified in production and closed"
		}
		return []Event{{At: at, What: what, Evidence: v.Evidence}}
	}
	switch {
	case !l.Resolved.IsZero() && l.State == loop.StateVerified:
		return []Event{{At: l.Resolved, What: "Verified in production and closed"}}
	case !l.Resolved.IsZero() && l.State == loop.StateReopened:
		return []Event{{At: l.Resolved, What: "Resolved, then reopened by a new alert"}}
	case !l.Resolved.IsZero():
		return []Event{{At: l.Resolved, What: "Resolved: " + l.Status}}
	case l.State == loop.StateUnverified:
		return []Event{{What: "Not verified: the error rate did not fall within the time allowed"}}
	}
	return nil
}

func (d *Dashboard) render(w http.ResponseWriter, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := pages.ExecuteTemplate(w, name, data); err != nil {
		d.cfg.Log.Error("dashboard: render", "page", name, "error", err.Error())
	}
}

func (d *Dashboard) fail(w http.ResponseWriter, what string, err error) {
	d.cfg.Log.Warn("dashboard: "+what, "error", err.Error())
	status := http.StatusBadGateway
	if errors.Is(err, context.DeadlineExceeded) {
		status = http.StatusGatewayTimeout
	}
	http.Error(w, "could not "+what+": "+err.Error(), status)
}
