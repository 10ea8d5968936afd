// Package bot is the companion service (`fixproof bot`): every problem
// (fingerprint) that Sentry or Alertmanager webhooks, or its poll of
// Guance, report becomes exactly one well-filled Jira issue, each delivery
// stored durably before it is answered, the issue kept current without a
// comment per event, escalated as the alert rate grows and reopened when
// the problem comes back. It also mirrors comments both ways between that
// Jira issue and its Sentry or Guance issue, and serves health checks,
// /metrics and the dashboard.
//
// Reading order: bot.go (the service and its workers), routes.go (every
// HTTP endpoint, storing each delivery as a job), jobs.go (the kinds of
// job and the one dispatcher of a fingerprint's batch), alerts.go (an
// alert's issue: created, reopened, resolved, escalated, counted),
// comments.go and reconcile.go (comment sync both ways), guance.go (the
// Guance poller), failure.go (what a failed batch's error means), policy.go
// (the pure decisions).
package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/fixproof/fixproof/internal/botconfig"
	"github.com/fixproof/fixproof/internal/flow"
	"github.com/fixproof/fixproof/internal/jira"
	"github.com/fixproof/fixproof/internal/jiramarkup"
	"github.com/fixproof/fixproof/internal/preflight"
	"github.com/fixproof/fixproof/internal/scrub"
	"github.com/fixproof/fixproof/internal/sentry"
	"github.com/fixproof/fixproof/internal/store"
	"github.com/fixproof/fixproof/internal/ticket"
)

// Jira is what the bot needs of Jira (*jira.Client).
type Jira interface {
	CreateIssue(ctx context.Context, n jira.NewIssue) (string, error)
	FindByLabel(ctx context.Context, label string) ([]string, error)
	IssueState(ctx context.Context, key string) (jira.State, error)
	flow.Transitions
	SetPriority(ctx context.Context, key, priority string) error
	Priorities(ctx context.Context) ([]string, error)
	LinkIssues(ctx context.Context, linkType, inward, outward string) error
	AddComment(ctx context.Context, key string, doc jiramarkup.Doc) error
	UpsertComment(ctx context.Context, key, marker string, doc jiramarkup.Doc, beforeWrite func(context.Context) error) (jira.Outcome, error)
	UpsertRemoteLink(ctx context.Context, key string, l jira.RemoteLink) error
	Property(ctx context.Context, key, name string) (json.RawMessage, error)
	SetProperty(ctx context.Context, key, name string, value any) error
	BrowseURL(key string) string
	// Comment sync.
	Myself(ctx context.Context) (jira.User, error)
	Comments(ctx context.Context, key string) ([]jira.Comment, error)
	DeleteMarkedComment(ctx context.Context, key, marker string) error
	Query(ctx context.Context, jql string, properties []string, next string) (jira.Page, error)
}

// Sentry is what the bot needs of Sentry (*sentry.Client): linking a
// Sentry issue back to its Jira issue.
type Sentry interface {
	CreateExternalIssue(ctx context.Context, installation, issueID, webURL, project, identifier string) (sentry.ExternalIssue, error)
	AddNote(ctx context.Context, issueID, text string) (sentry.Note, error)
	// Comment sync.
	Notes(ctx context.Context, issueID string) ([]sentry.Note, error)
	UpdateNote(ctx context.Context, issueID, noteID, text string) (sentry.Note, error)
	DeleteNote(ctx context.Context, issueID, noteID string) error
}

// Deps are the bot's dependencies; main builds them from the config.
type Deps struct {
	Config   botconfig.Config
	Store    store.Store
	Jira     Jira
	Sentry   Sentry // nil: Sentry issues are not linked back
	Guance   Guance // nil: no Guance
	Tickets  *ticket.Builder
	Scrubber *scrub.Scrubber
	Log      *slog.Logger
	Registry *prometheus.Registry // nil: a new one
	Now      func() time.Time     // nil: time.Now
	// GuanceEvery is the wall time between Guance polls; zero means
	// guance.interval. The demo, on a compressed clock, polls faster.
	GuanceEvery time.Duration
	// SweepTick is how often a replica looks whether a sweep is due; zero
	// means a minute. Tests look more often.
	SweepTick time.Duration
	// Dashboard serves GET / and GET /loops/{key}; nil leaves them 404.
	Dashboard http.Handler
	// GitHubApp handles the GitHub App's pull requests; nil when the bot
	// is not a GitHub App (github.app_id unset).
	GitHubApp GitHubApp
	// Owner names this process in leases (host and pid in production).
	Owner string
	// PollEvery is how often an idle worker looks for work; a delivery
	// accepted by this process wakes a worker at once.
	PollEvery time.Duration
	// SearchLag is how long Jira's search may take to show a new issue:
	// after a crash between creating an issue and saving its key, the
	// look-up is repeated for this long before creating again.
	SearchLag time.Duration
	// Checks, when set, tries the services (preflight.Run); Run calls it
	// once at start, logs what fails and sets fixproof_service_up.
	Checks func(ctx context.Context) []preflight.Result
}

// Bot is the service.
type Bot struct {
	Deps
	metrics *metrics
	// lease is how long a worker holds a fingerprint before another may
	// take it over (after a crash, its deliveries wait at most this long).
	lease time.Duration
	wake  chan struct{}
	// jiraHost is Jira's host[:port], to tell Jira's network errors from
	// Sentry's and Guance's.
	jiraHost string
	// refusals rate-limits the log lines of refused webhooks.
	refusals *logLimiter
	// me caches the bot's own Jira account.
	me struct {
		sync.Mutex
		user jira.User
	}
	// priorities caches Jira's priority names, highest first.
	priorities struct {
		sync.Mutex
		names []string
	}
}

// New checks the dependencies and builds the bot.
func New(d Deps) (*Bot, error) {
	if d.Store == nil || d.Jira == nil || d.Tickets == nil || d.Scrubber == nil {
		return nil, errors.New("bot: store, jira, tickets and scrubber are required")
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Registry == nil {
		d.Registry = prometheus.NewRegistry()
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Owner == "" {
		d.Owner = "fixproof"
	}
	if d.PollEvery <= 0 {
		d.PollEvery = 250 * time.Millisecond
	}
	if d.SearchLag <= 0 {
		d.SearchLag = 2 * time.Minute
	}
	b := &Bot{Deps: d, wake: make(chan struct{}, 1), lease: d.Config.Lease.D(), refusals: newLogLimiter(refusalLogEvery)}
	if b.lease <= 0 {
		b.lease = 2 * time.Minute
	}
	if u, err := url.Parse(d.Config.Jira.BaseURL); err == nil {
		b.jiraHost = u.Host
	}
	b.metrics = newMetrics(d.Registry, d.Store, d.Now)
	return b, nil
}

// Run processes deliveries with cfg.Workers workers until ctx ends, then
// lets every batch in flight finish (graceful shutdown) and returns.
func (b *Bot) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	wg.Add(5)
	go func() { defer wg.Done(); b.runChecks(ctx) }()
	go func() { defer wg.Done(); b.runGuance(ctx) }()
	go func() { defer wg.Done(); b.runReconcile(ctx) }()
	go func() { defer wg.Done(); b.keepDashboardFresh(ctx) }()
	go func() { defer wg.Done(); b.runSweep(ctx) }()
	for i := range b.Config.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b.work(ctx, fmt.Sprintf("%s/%d", b.Owner, i))
		}()
	}
	wg.Wait()
	return nil
}

// notify wakes an idle worker: a delivery was just stored.
func (b *Bot) notify() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// work is one worker's loop.
func (b *Bot) work(ctx context.Context, owner string) {
	idle := b.PollEvery
	for ctx.Err() == nil {
		batch, err := b.Store.Next(ctx, owner, b.Now(), b.lease, 1000)
		if err != nil {
			if ctx.Err() == nil {
				b.Log.Error("store: next", "error", err.Error())
			}
			b.sleep(ctx, time.Second)
			continue
		}
		if batch == nil {
			b.sleep(ctx, idle)
			continue
		}
		// A batch runs to its end even when shutdown starts: its jobs are
		// either finished or put back, never half-done.
		bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), b.lease)
		if isGitHub(batch.Record.Fingerprint) {
			b.processGitHub(bctx, batch)
		} else {
			b.process(bctx, batch)
		}
		cancel()
	}
}

func (b *Bot) sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	case <-b.wake:
	}
}

// pause waits d; false means ctx ended first.
func pause(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// Handler is the bot's HTTP interface.
func (b *Bot) Handler() http.Handler { return b.routes() }

// freshKeeper is a dashboard that refreshes its data in the background.
type freshKeeper interface {
	KeepFresh(ctx context.Context, every time.Duration)
}

// loopToucher is a dashboard that reads a loop again when it changes.
type loopToucher interface {
	Touch(keys ...string)
}

// touch tells the dashboard, when it listens, that the loop of key
// changed, so that it reads it from Jira and keeps it in the store.
func (b *Bot) touch(key string) {
	if t, ok := b.Dashboard.(loopToucher); ok {
		t.Touch(key)
	}
}

// keepDashboardFresh refreshes the dashboard's data every
// dashboard.keep_fresh, whether or not anyone looks, until ctx ends; with
// 0, or a dashboard that cannot, it does nothing.
func (b *Bot) keepDashboardFresh(ctx context.Context) {
	k, ok := b.Dashboard.(freshKeeper)
	if every := b.Config.Dashboard.KeepFresh.D(); ok && every > 0 {
		k.KeepFresh(ctx, every)
	}
}
