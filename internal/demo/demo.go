// Package demo is `fixproof demo`: it plays the whole fixproof loop on one
// machine with no accounts, with simulated GitHub, Jira, Sentry and Guance
// servers (internal/sim), the real bot on a temporary SQLite file and the
// real action, all talking HTTP, on a compressed clock.
package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/fixproof/fixproof/internal/action"
	"github.com/fixproof/fixproof/internal/bot"
	"github.com/fixproof/fixproof/internal/botconfig"
	"github.com/fixproof/fixproof/internal/clients"
	"github.com/fixproof/fixproof/internal/dashboard"
	"github.com/fixproof/fixproof/internal/githubapp"
	"github.com/fixproof/fixproof/internal/guance"
	"github.com/fixproof/fixproof/internal/jira"
	"github.com/fixproof/fixproof/internal/loop"
	"github.com/fixproof/fixproof/internal/retry"
	"github.com/fixproof/fixproof/internal/scrub"
	"github.com/fixproof/fixproof/internal/sim"
	"github.com/fixproof/fixproof/internal/sim/githubsim"
	"github.com/fixproof/fixproof/internal/sim/guancesim"
	"github.com/fixproof/fixproof/internal/sim/jirasim"
	"github.com/fixproof/fixproof/internal/sim/sentrysim"
	"github.com/fixproof/fixproof/internal/store"
	"github.com/fixproof/fixproof/internal/store/sqlite"
	"github.com/fixproof/fixproof/internal/ticket"
	"github.com/fixproof/fixproof/internal/verify"
)

// The simulated world's names and credentials. They are not secrets: the
// servers exist only for the length of the demo, on loopback.
const (
	org          = "acme"
	owner, repo  = "acme", "shop"
	jiraEmail    = "fixproof-bot@acme.example"
	jiraToken    = "demo-jira-token"
	sentryToken  = "demo-sentry-token"
	clientSecret = "demo-sentry-client-secret"
	githubToken  = "demo-github-token"
	guanceKey    = "demo-guance-api-key"
	workspace    = "wksp_acme"
	project      = "OPS"
)

// Options tunes a run.
type Options struct {
	// Out receives the narration and the final table.
	Out io.Writer
	// Dir holds the bot's SQLite file; empty means a new temporary
	// directory, removed at the end.
	Dir string
	// Storm is the number of Sentry alerts in the first error storm
	// (300 when zero); the second error sends a third as many, at least
	// one.
	Storm int
	// Logs receives the bot's JSON log; nil discards it.
	Logs io.Writer
	// Terminal says that Out is a terminal: a long phase then shows how
	// far it has got on one line rewritten in place, ten times a second,
	// rather than on a line every 3 seconds.
	Terminal bool
	// Serve keeps the simulators and the bot's dashboard running after
	// the story, until ctx ends. Whenever ctx ends, Run stops, saying
	// why with context.Cause.
	Serve bool
	// AfterStory, when set, is called with the result while everything is
	// still running: tests read the dashboard there.
	AfterStory func(*Result)
}

// Loop is one error's journey, as the final table shows it.
type Loop struct {
	Source      string // Sentry or Guance
	SentryID    string // the Sentry issue, or the Guance issue's uuid
	Title       string
	Alerts      int    // alerts delivered to the bot
	Key         string // the Jira issue the bot created
	PR          int
	JiraStatus  string
	SentryState string
	Verdict     string // verified, unverified, reopened
}

// Result is what a run did, for the table and for tests.
type Result struct {
	Loops []Loop
	// Requests counts the HTTP requests each simulated service served.
	Requests map[string]int
	// JiraIssues is how many Jira issues exist at the end.
	JiraIssues int
	Wall       time.Duration
	// Dashboard is the bot's dashboard address (live only with Serve, or
	// until Run returns).
	Dashboard string
	// App is the app act: a fork's pull request handled by the bot as a
	// GitHub App.
	App *AppRun

	world *world // for tests: the running world
}

// Story time: the storm starts at 09:00 and the fixes merge at 10:20.
var (
	storyStart = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	mergedAt   = time.Date(2026, 11, 20, 10, 20, 0, 0, time.UTC)
	// deployedAt: the three fixes merged at 10:20 reach production in the
	// afternoon's deploy; verification counts from here.
	deployedAt = time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC)
)

// The two errors of the story, as their events read.
var (
	nullSession = sentrysim.Event{Type: "TypeError", Value: "Cannot read properties of null (reading 'id')",
		Frames: []sentrysim.Frame{{Filename: "app/cart.js", Function: "pay", Lineno: 42, InApp: true}}, Release: "shop@1.4.2", Environment: "production"}
	gatewayTimeout = sentrysim.Event{Type: "TimeoutError", Value: "payment gateway did not answer in 5s",
		Frames: []sentrysim.Frame{{Filename: "app/pay.js", Function: "charge", Lineno: 88, InApp: true}}, Release: "shop@1.4.2", Environment: "production"}
)

// verifyParams are the action's verification inputs in the demo, and the
// dashboard's: three quiet hours in a row, within six hours.
var verifyParams = verify.Params{Threshold: 1, Window: time.Hour, Windows: 3, Timeout: 6 * time.Hour}

// world is the simulators, the bot and the clock they share.
type world struct {
	out    io.Writer
	meter  meter
	clock  *sim.Clock
	jira   *jirasim.Server
	gh     *githubsim.Server
	sentry *sentrysim.Server
	guance *guancesim.Server
	dash   *dashboard.Dashboard
	hooks  sentrysim.Webhooks
	// servers are the simulators' and the bot's HTTP servers, by name,
	// so a test can stop one.
	servers map[string]*http.Server
	store   store.Store
	urls    map[string]string
	stops   []func()
	tmp     string
	actions int
	// jc is the bot's Jira client, for what a person does in Jira.
	jc *jira.Client
	// appRun is what the app act did.
	appRun *AppRun
}

// Run plays the story and returns what happened.
func Run(ctx context.Context, o Options) (*Result, error) {
	began := time.Now()
	o = o.withDefaults()
	w, err := start(ctx, o)
	if err != nil {
		return nil, err
	}
	defer w.stop()

	s := &story{world: w,
		crash: Loop{SentryID: "101", Title: "TypeError: Cannot read properties of null (reading 'id')"},
		leak:  Loop{SentryID: "102", Title: "TimeoutError: payment gateway did not answer in 5s"},
		slow:  Loop{Source: "Guance", Title: "Checkout latency p99 above 2s"},
		rare:  Loop{SentryID: "103", Title: "RangeError: invalid currency code \"XBT\""},
	}
	for _, chapter := range []func(context.Context) error{
		func(ctx context.Context) error { return s.sentryErrors(ctx, o.Storm) },
		s.guanceIssue, s.rareError, s.pullRequests, s.merges, s.sweeps, s.regression, s.app,
	} {
		if err := chapter(ctx); err != nil {
			if ctx.Err() != nil {
				// Whatever failed, it failed because the demo was stopped.
				return nil, fmt.Errorf("demo stopped: %w", context.Cause(ctx))
			}
			return nil, err
		}
	}
	res := s.result(began)
	w.table(res)
	if o.AfterStory != nil {
		o.AfterStory(res)
	}
	if o.Serve {
		fmt.Fprintf(w.out, "\nThe dashboard is at %s (Ctrl-C stops the demo).\n", res.Dashboard)
		<-ctx.Done()
		fmt.Fprintf(w.out, "Stopping: %v.\n", context.Cause(ctx))
		return res, nil
	}
	fmt.Fprintf(w.out, "\nRun `fixproof demo -serve` to keep the dashboard running at the end.\n")
	return res, nil
}

// withDefaults fills in what the caller left out.
func (o Options) withDefaults() Options {
	if o.Out == nil {
		o.Out = io.Discard
	}
	if o.Logs == nil {
		o.Logs = io.Discard
	}
	if o.Storm <= 0 {
		o.Storm = 300
	}
	return o
}

// story is the demo's four loops as the chapters play them.
type story struct {
	*world
	crash, leak, slow, rare Loop
}

// sentryErrors: two Sentry errors storm the bot, which makes one Jira issue
// each. The first fix ends its error once deployed; the second does
// nothing, though its errors halve with the evening's traffic.
func (s *story) sentryErrors(ctx context.Context, storm int) error {
	crash, leak := &s.crash, &s.leak
	s.sentry.AddIssue(sentrysim.Issue{ID: crash.SentryID, ShortID: "SHOP-2F", Title: crash.Title, Project: "shop", Culprit: "app/cart.js in pay"})
	s.sentry.SetTimeline(crash.SentryID, sentrysim.Step(deployedAt, sentrysim.Rate(240), sentrysim.Rate(0)))
	s.sentry.AddIssue(sentrysim.Issue{ID: leak.SentryID, ShortID: "SHOP-2G", Title: leak.Title, Project: "shop", Culprit: "app/pay.js in charge"})
	s.sentry.SetTimeline(leak.SentryID, sentrysim.Step(deployedAt, sentrysim.Rate(60), sentrysim.Rate(30)))
	// The shop's sessions: 10,000 an hour by day, half that from the
	// afternoon on.
	s.sentry.SetSessions("shop", "production", sentrysim.Step(deployedAt, sentrysim.Rate(10000), sentrysim.Rate(5000)))

	s.say("%s: Sentry sends %s for %s (%s).", stormName(storm), alerts(storm), "SHOP-2F", crash.Title)
	if err := s.alert(ctx, crash, storm, nullSession); err != nil {
		return err
	}
	s.say("The bot stored %s, and made one Jira issue: %s %q (%s).", every(crash.Alerts), crash.Key, s.summary(crash.Key), s.status(crash.Key))

	s.clock.Advance(10 * time.Minute)
	second := secondStorm(storm)
	s.say("A second error: %s for SHOP-2G (%s).", alerts(second), leak.Title)
	if err := s.alert(ctx, leak, second, gatewayTimeout); err != nil {
		return err
	}
	s.say("One Jira issue for it too: %s.", leak.Key)
	return nil
}

// secondStorm is how many alerts the second error sends when the first
// sends n: a third as many, but at least one, or it would have no Jira
// issue for its fix to name.
func secondStorm(n int) int { return max(1, n/3) }

// stormName is what the narration calls n alerts for one error.
func stormName(n int) string {
	if n < 10 {
		return "An error"
	}
	return "An error storm"
}

// alerts is "1 alert" or "n alerts".
func alerts(n int) string {
	if n == 1 {
		return "1 alert"
	}
	return fmt.Sprintf("%d alerts", n)
}

// every names all n alerts: "it", "both" or "all n".
func every(n int) string {
	switch n {
	case 1:
		return "it"
	case 2:
		return "both"
	}
	return fmt.Sprintf("all %d", n)
}

// alert storms the bot with n alerts for l's Sentry issue and learns the
// Jira issue it made.
func (s *story) alert(ctx context.Context, l *Loop, n int, ev sentrysim.Event) (err error) {
	if l.Alerts, err = s.storm(ctx, l.SentryID, n, ev); err != nil {
		return err
	}
	l.Key, err = s.jiraKeyOf(ctx, l.SentryID)
	return err
}

// guanceIssue: Guance opens an issue, and the bot's poller makes it a
// Jira issue.
func (s *story) guanceIssue(ctx context.Context) (err error) {
	s.clock.Advance(5 * time.Minute)
	slow := &s.slow
	slow.SentryID = s.guance.AddIssue(guancesim.IssueInput{Name: slow.Title, Level: "critical",
		Description: "<p>p99 of <b>POST /api/pay</b> is 2.8s over 5 minutes (threshold 2s).</p>", CreateAt: s.clock.Now()})
	s.say("Guance (观测云) exception tracking opens an issue: %s.", slow.Title)
	s.clock.Advance(time.Minute) // the poller's next window covers it
	if slow.Key, err = s.waitForLabel(ctx, "guance"); err != nil {
		return err
	}
	s.say("The bot's Guance poller found it and made %s %q.", slow.Key, s.summary(slow.Key))
	return nil
}

// rareError: an error that fired three times in the past week alerts once.
func (s *story) rareError(ctx context.Context) error {
	rare := &s.rare
	now := s.clock.Now()
	times := []time.Time{now.Add(-6 * 24 * time.Hour), now.Add(-3*24*time.Hour - 5*time.Hour), now.Add(-20 * time.Hour)}
	s.sentry.AddIssue(sentrysim.Issue{ID: rare.SentryID, ShortID: "SHOP-2H", Title: rare.Title, Project: "shop", Culprit: "app/price.js in format", FirstSeen: times[0]})
	s.sentry.SetTimeline(rare.SentryID, sentrysim.Events(times...))
	if err := s.alert(ctx, rare, 1, nullSession); err != nil {
		return err
	}
	s.say("A rare error, SHOP-2H (%s), seen 3 times this week, alerts once: %s.", rare.Title, rare.Key)
	return nil
}

// pullRequests: the fixes, a PR each, named after the key in the branch
// only; the action moves each issue to review.
func (s *story) pullRequests(ctx context.Context) error {
	s.crash.PR, s.leak.PR, s.rare.PR = 7, 8, 9
	for _, l := range s.fixed() {
		s.clock.Advance(15 * time.Minute)
		branch := "fix/" + l.Key + "-" + map[int]string{7: "null-session", 8: "gateway-timeout", 9: "currency-code"}[l.PR]
		s.gh.AddPullRequest(owner, repo, githubsim.PullRequest{Number: l.PR, Title: "Guard the checkout path", HeadRefName: branch, BaseRefName: "main",
			Author: "jane", Commits: []githubsim.Commit{{Message: "Guard against a missing session", CommittedDate: s.clock.Now()}}})
		if err := s.action(ctx, "pull_request", map[string]any{"action": "opened", "number": l.PR}); err != nil {
			return err
		}
		s.say("PR #%d opened from branch %s: the action found %s and moved it to %s.", l.PR, branch, l.Key, s.status(l.Key))
	}
	return nil
}

// fixed are the loops a pull request fixes.
func (s *story) fixed() []*Loop { return []*Loop{&s.crash, &s.leak, &s.rare} }

// Commits on main: what production ran in the morning, then the three
// merges in a line; the afternoon's deploy ships the last, so all three.
const baseSHA = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"

func mergeSHA(i int) string { return fmt.Sprintf("9f86d081884c7d659a2feaa0c55ad015a3bf4f1%d", i) }

// merges: the PRs merge; the action puts each issue under verification.
// Production was deployed in the morning, before any fix.
func (s *story) merges(ctx context.Context) error {
	s.gh.AddCommit(owner, repo, baseSHA)
	id := s.gh.AddDeployment(owner, repo, githubsim.Deployment{Environment: "production", Commit: baseSHA, CreatedAt: storyStart.Add(-time.Hour)})
	s.gh.AddDeploymentStatus(owner, repo, id, githubsim.DeploymentStatus{State: "SUCCESS", CreatedAt: storyStart.Add(-50 * time.Minute)})
	s.clock.Set(mergedAt)
	parent := baseSHA
	for i, l := range s.fixed() {
		pr, _ := s.gh.PullRequest(owner, repo, l.PR)
		at := mergedAt
		pr.State, pr.MergedAt, pr.MergeCommitOID = "MERGED", &at, mergeSHA(i)
		s.gh.AddCommit(owner, repo, mergeSHA(i), parent)
		parent = mergeSHA(i)
		s.gh.AddPullRequest(owner, repo, pr)
		if err := s.action(ctx, "pull_request", map[string]any{"action": "closed", "number": l.PR}); err != nil {
			return err
		}
		s.say("PR #%d merged: %s is %s and labelled %s; the hourly sweep waits for it to reach production.", l.PR, l.Key, s.status(l.Key), watchLabel(s.labels(l.Key)))
	}
	return nil
}

// deploy ships the three fixes to production at 14:00.
func (s *story) deploy() {
	last := mergeSHA(len(s.fixed()) - 1)
	id := s.gh.AddDeployment(owner, repo, githubsim.Deployment{Environment: "production", Commit: last, CreatedAt: deployedAt.Add(-8 * time.Minute)})
	s.gh.AddDeploymentStatus(owner, repo, id, githubsim.DeploymentStatus{State: "SUCCESS", CreatedAt: deployedAt, EnvironmentURL: "https://shop.example"})
	s.say("GitHub deployment #%d puts %s, with all three fixes, in production. The evening's traffic is half the day's.", id, last[:7])
}

// sweeps: the scheduled sweep, once an hour, on the compressed clock, with
// the deploy at 14:00. It says something only when a loop changes, and
// then what the sweep wrote: the evidence it computed.
func (s *story) sweeps(ctx context.Context) error {
	said := map[string]string{}
	for h := 1; h <= 10; h++ {
		at := mergedAt.Add(time.Duration(h)*time.Hour + 5*time.Minute)
		if !at.Before(deployedAt) && !mergedAt.Add(time.Duration(h-1)*time.Hour+5*time.Minute).After(deployedAt) {
			s.clock.Set(deployedAt)
			s.deploy()
		}
		s.clock.Set(at)
		if err := s.action(ctx, "schedule", nil); err != nil {
			return err
		}
		for _, l := range s.fixed() {
			now := s.state(l.Key)
			if said[l.Key] == now {
				continue
			}
			said[l.Key] = now
			if ev := s.evidence(l.Key); ev != "" {
				s.say("Sweep %d: %s is %s (Sentry %s). %s", h, l.Key, now, s.sentryStatus(l.SentryID), ev)
			} else if h == 1 {
				s.say("Sweep %d: %s is %s, %s.", h, l.Key, now, s.waiting(l.Key))
			}
		}
	}
	states, err := s.states(ctx)
	if err != nil {
		return err
	}
	for _, l := range s.fixed() {
		l.Verdict = outcome[states[l.Key]]
		if strings.Contains(s.evidence(l.Key), "Too few errors") {
			l.Verdict += " on thin evidence: judged by the threshold"
		}
	}
	s.say("A count rule (fewer than 40 errors an hour, say) would have closed %s when its errors halved with the evening's traffic; per 1,000 sessions they did not fall.", s.leak.Key)
	return nil
}

// evidence is what the sweep recorded when it decided: its sentence.
func (w *world) evidence(key string) string {
	is, _ := w.jira.Issue(key)
	p, err := loop.ParseProperty(is.Properties[loop.PropertyKey])
	if err != nil || p.Verification == nil {
		return ""
	}
	return strings.Join(p.Verification.Evidence, " ")
}

// waiting says what the sweep is waiting for, from its recorded deploy.
func (w *world) waiting(key string) string {
	is, _ := w.jira.Issue(key)
	if p, err := loop.ParseProperty(is.Properties[loop.PropertyKey]); err == nil && p.Deploy == nil {
		return "waiting for its fix to reach production"
	}
	return "watching its error rate"
}

// regression: the verified error comes back a day later, and the bot
// reopens its issue.
func (s *story) regression(ctx context.Context) error {
	crash := &s.crash
	s.clock.Set(mergedAt.Add(26 * time.Hour))
	s.sentry.SetStatus(crash.SentryID, "unresolved")
	// The history stays: 240 an hour until the fix, none for a day, then
	// back at 30 an hour (the dashboard charts all of it).
	s.sentry.SetTimeline(crash.SentryID, sentrysim.Step(deployedAt, sentrysim.Rate(240),
		sentrysim.Step(mergedAt.Add(25*time.Hour), sentrysim.Rate(0), sentrysim.Rate(30))))
	s.say("A day later SHOP-2F comes back: Sentry marks it a regression and sends 20 alerts.")
	n, err := s.storm(ctx, crash.SentryID, 20, nullSession)
	if err != nil {
		return err
	}
	crash.Alerts += n
	s.say("The bot reopened %s: it is %s again, with no new Jira issue.", crash.Key, s.status(crash.Key))
	states, err := s.states(ctx)
	if err != nil {
		return err
	}
	if states[crash.Key] == loop.StateReopened {
		crash.Verdict += ", then regressed and reopened"
	}
	return nil
}

// filed counts the Jira issues a person filed: the app act's.
func filed(r *Result) int {
	if r.App != nil {
		return 1
	}
	return 0
}

// result is what the story did, as the table and tests read it.
func (s *story) result(began time.Time) *Result {
	res := &Result{App: s.appRun}
	for _, l := range []*Loop{&s.crash, &s.leak} {
		l.Source, l.JiraStatus, l.SentryState = "Sentry", s.status(l.Key), s.sentryStatus(l.SentryID)
		res.Loops = append(res.Loops, *l)
	}
	slow := s.slow
	slow.JiraStatus, slow.Verdict = s.status(slow.Key), "open: no fix yet"
	if st, ok := s.guance.Issue(slow.SentryID); ok {
		slow.SentryState = guance.StatusName(st.StatusType)
	}
	rare := s.rare
	rare.Source, rare.JiraStatus, rare.SentryState = "Sentry", s.status(rare.Key), s.sentryStatus(rare.SentryID)
	res.Loops = append(res.Loops, slow, rare)
	res.Requests = map[string]int{"github": s.gh.Control.Total(), "jira": s.jira.Control.Total(), "sentry": s.sentry.Control.Total(),
		"guance": s.guance.Control.Total()}
	for i := 1; ; i++ {
		if _, ok := s.jira.Issue(fmt.Sprintf("%s-%d", project, i)); !ok {
			res.JiraIssues = i - 1
			break
		}
	}
	res.Wall = time.Since(began)
	res.Dashboard = s.urls["bot"] + "/"
	res.world = s.world
	return res
}

// outcome words the dashboard's states for the table.
var outcome = map[loop.State]string{
	loop.StateVerified: "verified", loop.StateUnverified: "unverified: errors did not fall", loop.StateWatching: "still watching",
	loop.StateOpen: "open", loop.StateInProgress: "in progress", loop.StateReopened: "reopened", loop.StateDone: "done without a verified fix",
}

// states is every loop's state as the dashboard decides it, from Jira.
func (w *world) states(ctx context.Context) (map[string]loop.State, error) {
	loops, err := w.dash.Refresh(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]loop.State, len(loops))
	for _, l := range loops {
		out[l.Key] = l.State
	}
	return out, nil
}

func watchLabel(labels []string) string {
	if slices.Contains(labels, dashboard.DefaultLabels.Watch) {
		return dashboard.DefaultLabels.Watch
	}
	return "(no watch label)"
}

// state is an issue's status, with the sweep's verdict when it gave up.
func (w *world) state(key string) string {
	if slices.Contains(w.labels(key), dashboard.DefaultLabels.Unverified) {
		return w.status(key) + ", unverified"
	}
	return w.status(key)
}

// start brings up the simulators and the bot.
func start(ctx context.Context, o Options) (w *world, err error) {
	w = &world{out: o.Out, meter: newMeter(o.Out, o.Terminal), clock: sim.NewClock(storyStart), urls: map[string]string{}, servers: map[string]*http.Server{}}
	defer func() {
		if err != nil {
			w.stop()
		}
	}()
	// Jira Cloud's search shows a new issue a few seconds after it is
	// created; the bot waits longer than that before it concludes a
	// create it is unsure of did not happen.
	appPEM, err := w.simulators()
	if err != nil {
		return nil, err
	}

	dir := o.Dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "fixproof-demo-"); err != nil {
			return nil, err
		}
		w.tmp = dir
	}
	if w.store, err = sqlite.Open(ctx, filepath.Join(dir, "fixproof.db")); err != nil {
		return nil, err
	}

	cfg := botconfig.Default()
	cfg.Jira.BaseURL, cfg.Jira.Email, cfg.Jira.APIToken, cfg.Jira.Project = w.urls["jira"], jiraEmail, jiraToken, project
	cfg.Sentry.BaseURL, cfg.Sentry.Org, cfg.Sentry.Token, cfg.Sentry.ClientSecret = w.urls["sentry"], org, sentryToken, clientSecret
	cfg.Sentry.Installation = sentrysim.DefaultInstallation
	cfg.Guance.BaseURL, cfg.Guance.APIKey, cfg.Guance.Workspace = w.urls["guance"], guanceKey, workspace
	cfg.GitHub = appConfig(w.urls["github"], appPEM)
	settings, httpc := cfg.Clients("fixproof-demo"), clients.HTTP(clients.HTTPOptions{Timeout: 10 * time.Second})
	jc, err := clients.Jira(settings, httpc)
	if err != nil {
		return nil, err
	}
	sc, err := clients.Sentry(settings, httpc)
	if err != nil {
		return nil, err
	}
	gc, err := clients.Guance(settings, httpc)
	if err != nil {
		return nil, err
	}
	scrubber, err := scrub.New(scrub.Options{})
	if err != nil {
		return nil, err
	}
	tickets, err := ticket.New("", "")
	if err != nil {
		return nil, err
	}
	// The demo's sweeps judge with the action's default rate_basis, auto.
	w.dash = dashboard.New(dashboard.Config{Org: org, Now: w.clock.Now, RefreshEvery: time.Nanosecond, Params: verifyParams, Basis: verify.BasisAuto, Store: w.store}, jc, sc)
	w.jc = jc
	log := slog.New(slog.NewJSONHandler(o.Logs, nil))
	app, err := githubapp.New(githubapp.Config{AppID: appID, PrivateKey: appPEM, APIURL: cfg.GitHub.APIURL, GraphQLURL: cfg.GitHub.GraphQLURL,
		Settings: cfg.AppSettings(), UserAgent: "fixproof-demo"}, httpc, jc, log, w.clock.Now)
	if err != nil {
		return nil, err
	}
	b, err := bot.New(bot.Deps{Config: cfg, Store: w.store, Jira: jc, Sentry: sc, Guance: gc, GuanceEvery: 10 * time.Millisecond, Tickets: tickets, Scrubber: scrubber,
		Log: log, Now: w.clock.Now, Owner: "demo", PollEvery: 5 * time.Millisecond, SearchLag: 30 * time.Second,
		Dashboard: w.dash, GitHubApp: app})
	if err != nil {
		return nil, err
	}
	if w.urls["bot"], err = w.serve("bot", b.Handler()); err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() { _ = b.Run(runCtx); close(done) }()
	w.stops = append(w.stops, func() { cancel(); <-done })
	w.hooks = sentrysim.Webhooks{URL: w.urls["bot"] + "/webhooks/sentry", ClientSecret: clientSecret, Client: http.DefaultClient, Now: w.clock.Now}
	return w, nil
}

// simulators starts the simulated Jira, GitHub (with the bot installed as
// a GitHub App; appPEM is the app's key), Sentry and Guance.
func (w *world) simulators() (appPEM []byte, err error) {
	w.jira = jirasim.New(jirasim.Options{Flavor: jirasim.Cloud, Email: jiraEmail, APIToken: jiraToken, Now: w.clock.Now, SearchLag: 5 * time.Second})
	w.jira.AddProject(project, "Operations", jirasim.DefaultWorkflow())
	appKey, appPEM, err := newAppKey()
	if err != nil {
		return nil, err
	}
	// The app dates its JWTs by the machine's clock, not the story's.
	w.gh = githubsim.New(githubsim.Options{Token: githubToken, Now: w.clock.Now, App: simApp(appKey), AuthNow: time.Now})
	w.gh.AddOrganization(owner)
	w.gh.AddRepo(owner, repo)
	w.gh.AddRepo(owner, appRepo)
	w.sentry = sentrysim.New(sentrysim.Options{Token: sentryToken, Org: org, Now: w.clock.Now})
	w.sentry.ConnectRepository(owner + "/" + repo) // the organization's GitHub integration
	w.guance = guancesim.New(guancesim.Options{APIKey: guanceKey, Workspace: workspace, Now: w.clock.Now})
	for name, h := range map[string]http.Handler{"jira": w.jira.Handler(), "github": w.gh.Handler(), "sentry": w.sentry.Handler(), "guance": w.guance.Handler()} {
		if w.urls[name], err = w.serve(name, h); err != nil {
			return nil, err
		}
	}
	return appPEM, nil
}

// serve serves h on a loopback port until the world stops.
func (w *world) serve(name string, h http.Handler) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	w.servers[name] = srv
	go func() { _ = srv.Serve(ln) }()
	w.stops = append(w.stops, func() { _ = srv.Close() })
	return "http://" + ln.Addr().String(), nil
}

// stop ends everything in the reverse order of starting.
func (w *world) stop() {
	for i := len(w.stops) - 1; i >= 0; i-- {
		w.stops[i]()
	}
	w.stops = nil
	if w.store != nil {
		w.store.Close()
	}
	if w.tmp != "" {
		os.RemoveAll(w.tmp)
	}
}

func (w *world) say(format string, args ...any) {
	fmt.Fprintf(w.out, "[%s] %s\n", w.clock.Now().Format("Jan 2 15:04"), fmt.Sprintf(format, args...))
}

// storm sends n signed event_alert webhooks for a Sentry issue from 16
// senders, then waits until the bot has processed them all, showing how
// far it has got. It returns how many the bot accepted.
func (w *world) storm(ctx context.Context, id string, n int, ev sentrysim.Event) (int, error) {
	var (
		mu       sync.Mutex
		accepted int
		firstErr error
		wg       sync.WaitGroup
		sent     atomic.Int64
	)
	stop := w.meter.start(func() string { return stormProgress(w.clock.Now(), int(sent.Load()), n, w.queued(ctx)) })
	defer stop()
	next := make(chan int)
	for range 16 {
		wg.Go(func() {
			for i := range next {
				ev := ev
				ev.User = sentrysim.User{ID: fmt.Sprintf("u-%d", i%40), Email: fmt.Sprintf("user%d@example.com", i%40)}
				body := w.sentry.EventAlertWebhook(id, ev, sentrysim.Actor{Type: "application", ID: "sentry", Name: "Sentry"})
				code, err := w.hooks.Send(ctx, "event_alert", body)
				sent.Add(1)
				mu.Lock()
				switch {
				case err != nil && firstErr == nil:
					firstErr = err
				case err == nil && code/100 == 2:
					accepted++
				case err == nil && firstErr == nil:
					firstErr = fmt.Errorf("the bot answered %d to an alert", code)
				}
				mu.Unlock()
			}
		})
	}
	send(ctx, next, n)
	wg.Wait()
	if firstErr != nil {
		return accepted, firstErr
	}
	return accepted, w.drain(ctx)
}

// send hands the numbers 0 to n-1 to the senders, then closes next; it
// stops early when ctx ends, so that an interrupted storm ends at once.
func send(ctx context.Context, next chan<- int, n int) {
	defer close(next)
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			return
		}
	}
}

// queued is how many deliveries the bot has yet to process, or -1 when
// its store cannot say.
func (w *world) queued(ctx context.Context) int {
	s, err := w.store.Stats(ctx, w.clock.Now())
	if err != nil {
		return -1
	}
	return s.Ready + s.Delayed + s.Leased
}

// drain waits until the bot's queue has nothing ready or in flight.
func (w *world) drain(ctx context.Context) error {
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		s, err := w.store.Stats(ctx, w.clock.Now())
		if err != nil {
			return err
		}
		if s.Ready == 0 && s.Leased == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
	return errors.New("the bot did not finish its queue within a minute")
}

// jiraKeyOf is the Jira issue the bot linked to a Sentry issue.
func (w *world) jiraKeyOf(ctx context.Context, id string) (string, error) {
	st, _ := w.sentry.Issue(id)
	for _, e := range st.External {
		if e.Identifier != "" {
			return e.Identifier, nil
		}
	}
	return "", fmt.Errorf("the bot linked no Jira issue to Sentry issue %s", id)
}

// waitForLabel waits until a Jira issue carries label, and names it.
func (w *world) waitForLabel(ctx context.Context, label string) (string, error) {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		for i := 1; ; i++ {
			is, ok := w.jira.Issue(fmt.Sprintf("%s-%d", project, i))
			if !ok {
				break
			}
			if slices.Contains(is.Labels, label) {
				return is.Key, w.drain(ctx)
			}
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
	return "", fmt.Errorf("no Jira issue labelled %s within 30 s", label)
}

// action runs the real action for one event, as a workflow step would.
func (w *world) action(ctx context.Context, event string, payload map[string]any) error {
	w.actions++
	dir, err := os.MkdirTemp(w.tmpDir(), "step-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	env := map[string]string{
		"GITHUB_EVENT_NAME": event, "GITHUB_REPOSITORY": owner + "/" + repo,
		"GITHUB_API_URL": w.urls["github"], "GITHUB_GRAPHQL_URL": w.urls["github"] + "/graphql", "GITHUB_SERVER_URL": "https://github.com",
		"GITHUB_OUTPUT": filepath.Join(dir, "output"), "GITHUB_STEP_SUMMARY": filepath.Join(dir, "summary"), "GITHUB_RUN_ID": fmt.Sprint(w.actions),
		"INPUT_GITHUB_TOKEN": githubToken, "INPUT_JIRA_BASE_URL": w.urls["jira"], "INPUT_JIRA_EMAIL": jiraEmail, "INPUT_JIRA_API_TOKEN": jiraToken,
		"INPUT_JIRA_PROJECTS": project, "INPUT_SENTRY_BASE_URL": w.urls["sentry"], "INPUT_SENTRY_TOKEN": sentryToken, "INPUT_SENTRY_ORG": org,
		"INPUT_ERROR_RATE_THRESHOLD": fmt.Sprint(verifyParams.Threshold), "INPUT_VERIFY_WINDOW": verifyParams.Window.String(),
		"INPUT_VERIFY_WINDOWS": fmt.Sprint(verifyParams.Windows), "INPUT_VERIFY_TIMEOUT": verifyParams.Timeout.String(),
	}
	if payload != nil {
		raw, _ := json.Marshal(payload)
		env["GITHUB_EVENT_PATH"] = filepath.Join(dir, "event.json")
		if err := os.WriteFile(env["GITHUB_EVENT_PATH"], raw, 0o600); err != nil {
			return err
		}
	}
	var log strings.Builder
	err = action.Run(ctx, action.Deps{Getenv: func(k string) string { return env[k] }, Stdout: &log, Version: "demo", Now: w.clock.Now,
		Retry: retry.Default()})
	if err != nil {
		return fmt.Errorf("the action on %s: %w\n%s", event, err, log.String())
	}
	return nil
}

func (w *world) tmpDir() string {
	if w.tmp != "" {
		return w.tmp
	}
	return os.TempDir()
}

func (w *world) status(key string) string {
	is, _ := w.jira.Issue(key)
	return is.Status
}

func (w *world) summary(key string) string {
	is, _ := w.jira.Issue(key)
	return is.Summary
}

func (w *world) labels(key string) []string {
	is, _ := w.jira.Issue(key)
	return is.Labels
}

func (w *world) sentryStatus(id string) string {
	st, _ := w.sentry.Issue(id)
	return st.Status
}

// table prints what happened.
func (w *world) table(r *Result) {
	fmt.Fprintln(w.out)
	tw := tabwriter.NewWriter(w.out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE\tALERTS\tJIRA\tPR\tJIRA STATUS\tSOURCE STATUS\tOUTCOME")
	alerts := 0
	for _, l := range r.Loops {
		pr := "-"
		if l.PR > 0 {
			pr = fmt.Sprintf("#%d", l.PR)
		}
		n := "-"
		if l.Alerts > 0 {
			n = fmt.Sprint(l.Alerts)
		}
		alerts += l.Alerts
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", l.Source, n, l.Key, pr, l.JiraStatus, l.SentryState, l.Verdict)
	}
	tw.Flush()
	fmt.Fprintf(w.out, "\n%d Jira issues for %d Sentry alerts and 1 Guance issue", r.JiraIssues-filed(r), alerts)
	if a := r.App; a != nil {
		fmt.Fprintf(w.out, "; %s, filed by a person, was fixed in %s#%d through the GitHub App", a.Key, a.Repo, a.PR)
	}
	fmt.Fprintf(w.out, ". Requests served: Jira %d, Sentry %d, GitHub %d, Guance %d. Wall time %s.\n",
		r.Requests["jira"], r.Requests["sentry"], r.Requests["github"], r.Requests["guance"], r.Wall.Round(time.Millisecond))
}
