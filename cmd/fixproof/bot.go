package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"sort"
	"strings"
	"time"

	"github.com/fixproof/fixproof/internal/errlist"

	"github.com/fixproof/fixproof/internal/bot"
	"github.com/fixproof/fixproof/internal/botconfig"
	"github.com/fixproof/fixproof/internal/clients"
	"github.com/fixproof/fixproof/internal/dashboard"
	"github.com/fixproof/fixproof/internal/githubapp"
	"github.com/fixproof/fixproof/internal/guance"
	"github.com/fixproof/fixproof/internal/jira"
	"github.com/fixproof/fixproof/internal/limiter"
	"github.com/fixproof/fixproof/internal/preflight"
	"github.com/fixproof/fixproof/internal/retry"
	"github.com/fixproof/fixproof/internal/scrub"
	"github.com/fixproof/fixproof/internal/sentry"
	"github.com/fixproof/fixproof/internal/store"
	"github.com/fixproof/fixproof/internal/store/postgres"
	"github.com/fixproof/fixproof/internal/store/sqlite"
	"github.com/fixproof/fixproof/internal/ticket"
	"github.com/fixproof/fixproof/internal/verify"
)

// botCommands are the subcommands of `fixproof bot`, by name: `fixproof
// bot NAME [flags]` runs one, `fixproof bot [flags]` serves. Each parses
// its own flags with parseFlags, under the flag set name "bot NAME".
var botCommands = map[string]subcommand{
	"redrive":             {summary: "put dead letters back in the queue", run: runRedrive},
	"check":               {summary: "check the config, then try each service with its credentials", run: runCheck},
	"github-app-manifest": {summary: "print the GitHub App's manifest, or a page that creates the app in one click", run: runManifest},
}

var botHelp = help{
	usage: []string{"fixproof bot [--config FILE]"},
	about: `Runs the companion bot: it takes webhooks from Sentry, Prometheus
Alertmanager and Guance and keeps exactly one Jira issue per problem,
counting repeats on it and reopening it when the problem comes back. It
serves the webhooks under /webhooks/, a dashboard at /, metrics at
/metrics and health at /healthz and /readyz, until SIGINT or SIGTERM; then
it stops taking webhooks and finishes the batches in flight.

It reads the config file, then the FIXPROOF_* variables, and refuses to
start on a config with problems, listing each with its file, line and
key. Once started it tries each service as 'fixproof bot check' does,
logging a warning per failed check and serving whatever they say.`,
	more: `Environment:
  FIXPROOF_CONFIG     the config file, when --config is not given
  FIXPROOF_LOG_LEVEL  the log's level: debug, info (the default), warn or error
  FIXPROOF_*          override settings of the config file, e.g.
                      FIXPROOF_JIRA_API_TOKEN for jira.api_token (see fixproof.example.yml)

The log is JSON lines on standard output. Exit status: 0 after a clean
shutdown, 1 when the config or the store fails, 2 for a wrong command line.`,
	example: `  fixproof bot --config /etc/fixproof/fixproof.yml
  FIXPROOF_LOG_LEVEL=debug FIXPROOF_JIRA_API_TOKEN_FILE=/run/secrets/jira_token fixproof bot --config fixproof.yml`,
}

// runBot is `fixproof bot --config FILE`: it serves until ctx ends (SIGINT
// or SIGTERM), then stops taking webhooks, lets the batches in flight
// finish and closes the store. `fixproof bot NAME ...` runs a subcommand.
func runBot(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	h := botHelp
	if len(botCommands) > 0 {
		h.usage = append(h.usage, "fixproof bot COMMAND [flags]")
	}
	if isSubcommand(args) {
		sub, ok := botCommands[args[0]]
		if !ok {
			return badUsage("bot", h.usage[0], "unknown command %q; the bot serves with flags only (--config FILE)%s", args[0], botCommandList())
		}
		return sub.run(ctx, args[1:], getenv, stdout, stderr)
	}
	fs := newFlagSet("bot")
	path := fs.String("config", getenv("FIXPROOF_CONFIG"), "config `FILE` (YAML); FIXPROOF_* variables override it")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the bot to `FILE` until it stops, for go tool pprof")
	if err := parseFlagsWith(fs, h, botCommands, args, stdout); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return badUsage("bot", h.usage[0], "unexpected argument %q after the flags", fs.Arg(0))
	}
	cfg, err := loadBotConfig("bot", h.usage[0], *path, getenv)
	if err != nil {
		return err
	}
	level, err := logLevel(getenv("FIXPROOF_LOG_LEVEL"))
	if err != nil {
		return err
	}
	if *cpuProfile != "" {
		stop, err := profileCPU(*cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	return serveBot(ctx, cfg, level, stdout)
}

// profileCPU starts writing a CPU profile to path; stop ends it and closes
// the file.
func profileCPU(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile %s: %w", path, err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// loadBotConfig loads the bot's configuration for the command cmd (usage
// is its usage line) from the file at path and the environment (see
// botConfig). Problems with the configuration are one error, listing
// them one a line after how many there are.
func loadBotConfig(cmd, usage, path string, getenv func(string) string) (botconfig.Config, error) {
	cfg, problems, err := botConfig(cmd, usage, path, getenv)
	if err != nil || len(problems) == 0 {
		return cfg, err
	}
	n := len(problems)
	if path == "" {
		return cfg, fmt.Errorf("no config file (pass --config FILE), and the FIXPROOF_* variables alone are not a valid config: %d %s:\n%w", n, plural(n, "problem"), errors.Join(problems...))
	}
	return cfg, fmt.Errorf("config %s: %d %s:\n%w", path, n, plural(n, "problem"), errors.Join(problems...))
}

// botConfig loads the bot's configuration from the file at path and the
// environment, returning the problems with it apart from other errors.
// With neither a file nor a FIXPROOF_* setting there is nothing to run
// with: that is a wrong command line, which says to pass --config.
func botConfig(cmd, usage, path string, getenv func(string) string) (botconfig.Config, []error, error) {
	if path == "" && !botconfig.FromEnvironment(getenv) {
		return botconfig.Config{}, nil, badUsage(cmd, usage, "no config: pass --config FILE (or set FIXPROOF_CONFIG); fixproof.example.yml documents every setting")
	}
	cfg, err := botconfig.Load(path, getenv)
	var problem *botconfig.Problem
	if !errors.As(err, &problem) {
		return cfg, nil, err // nil, or the file could not be read
	}
	return cfg, errlist.Split(err), nil
}

// serveBot runs the bot cfg describes, logging JSON at level to stdout,
// until ctx ends.
func serveBot(ctx context.Context, cfg botconfig.Config, level slog.Level, stdout io.Writer) error {
	log := slog.New(slog.NewJSONHandler(stdout, &slog.HandlerOptions{Level: level}))
	st, err := openStore(ctx, cfg.Store, false)
	if err != nil {
		return err
	}
	defer st.Close()
	deps, err := botDeps(cfg, st, log)
	if err != nil {
		return err
	}
	b, err := bot.New(deps)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen %s: %w", cfg.Listen, err)
	}
	log.Info("fixproof bot listening", "address", ln.Addr().String(), "store", storeKind(cfg.Store), "workers", cfg.Workers, "version", version)
	return serveUntilDone(ctx, b, ln, log)
}

// botClients are the clients of the services a configuration names; nil
// for Sentry without a token and an organization, and for Guance without
// an API key.
type botClients struct {
	jira   *jira.Client
	sentry *sentry.Client
	guance *guance.Client
	app    *githubapp.App // nil when the bot is not a GitHub App
}

// newBotClients builds the clients of cfg's services, sending with httpc;
// the GitHub App logs what it does to log (nil: nowhere).
func newBotClients(cfg botconfig.Config, httpc *http.Client, log *slog.Logger) (botClients, error) {
	var c botClients
	settings := cfg.Clients("fixproof-bot/" + version)
	var err error
	if c.jira, err = clients.Jira(settings, httpc); err != nil {
		return c, err
	}
	if settings.Sentry.Configured() {
		if c.sentry, err = clients.Sentry(settings, httpc); err != nil {
			return c, err
		}
	}
	if settings.Guance.Configured() {
		if c.guance, err = clients.Guance(settings, httpc); err != nil {
			return c, err
		}
	}
	c.app, err = newGitHubApp(cfg, httpc, c.jira, log)
	return c, err
}

// services are the clients as the checks take them: an interface holds
// nil, not a nil pointer, for a service that is not configured.
func (c botClients) services() preflight.Services {
	s := preflight.Services{Jira: c.jira}
	if c.sentry != nil {
		s.Sentry = c.sentry
	}
	if c.guance != nil {
		s.Guance = c.guance
	}
	if c.app != nil {
		s.GitHub = c.app
	}
	return s
}

// The bot's bound on the requests in flight to Jira: where it starts and
// the range it adapts in (see limiter.New).
const (
	botJiraStart = 256
	botJiraMin   = 4
	botJiraMax   = 512
)

// botDeps builds what the bot works with from its configuration: the
// clients (Sentry and Guance only when configured), the checks it runs on
// them at start, the issue text and the scrubber.
func botDeps(cfg botconfig.Config, st store.Store, log *slog.Logger) (bot.Deps, error) {
	// What reaches Jira is paced as the action paces it: the workers, the
	// GitHub App's pull requests and the sweep share one adaptive bound on
	// the requests in flight, and an endpoint Jira refuses waits out its
	// Retry-After for every request, not only the refused one.
	jiraPace := limiter.New(botJiraStart, botJiraMin, botJiraMax)
	httpc := clients.HTTP(clients.HTTPOptions{Transport: jiraPace.Watch(clients.Transport, cfg.Jira.BaseURL), Timeout: 30 * time.Second, OnRetry: func(req *http.Request, d retry.Decision) {
		log.Warn("retrying", "method", req.Method, "host", req.URL.Host, "path", req.URL.Path, "after", d.Wait.String(), "reason", d.Reason)
	}})
	c, err := newBotClients(cfg, httpc, log)
	if err != nil {
		return bot.Deps{}, err
	}
	scrubber, err := scrub.New(scrub.Options{Extra: cfg.Scrub.Extra, KeepUser: cfg.Scrub.KeepUser})
	if err != nil {
		return bot.Deps{}, fmt.Errorf("scrub.extra: %w", err)
	}
	summary, description, err := readTemplates(cfg.Templates)
	if err != nil {
		return bot.Deps{}, err
	}
	tickets, err := ticket.New(summary, description)
	if err != nil {
		return bot.Deps{}, err
	}
	host, _ := os.Hostname()
	// Both the bot and the dashboard read Sentry: one client, and an
	// untyped nil for each when there is none.
	var (
		bsc bot.Sentry
		dsc dashboard.Sentry
		gc  bot.Guance
	)
	if c.sentry != nil {
		bsc, dsc = c.sentry, c.sentry
	}
	if c.guance != nil {
		gc = c.guance
	}
	checks := func(ctx context.Context) []preflight.Result { return preflight.Run(ctx, cfg, c.services()) }
	var app bot.GitHubApp
	if c.app != nil {
		app = c.app
	}
	return bot.Deps{Config: cfg, Store: st, Jira: c.jira, Sentry: bsc, Guance: gc, Tickets: tickets, Scrubber: scrubber,
		Log: log, Owner: fmt.Sprintf("%s/%d", host, os.Getpid()), Dashboard: newDashboard(cfg, c.jira, dsc, st, log), Checks: checks,
		GitHubApp: app}, nil
}

// newGitHubApp is the bot's GitHub App when github.app_id is set, else
// nil.
func newGitHubApp(cfg botconfig.Config, hc *http.Client, jc *jira.Client, log *slog.Logger) (*githubapp.App, error) {
	g := cfg.GitHub
	if !g.Enabled() {
		return nil, nil
	}
	app, err := githubapp.New(githubapp.Config{AppID: int64(g.AppID), PrivateKey: []byte(g.PrivateKey), APIURL: g.APIURL, GraphQLURL: g.GraphQLURL,
		Settings: cfg.AppSettings(), UserAgent: "fixproof/" + version}, hc, jc, log, nil)
	if err != nil {
		return nil, fmt.Errorf("github: %w", err)
	}
	return app, nil
}

// serveUntilDone serves the bot's webhooks on ln and runs its workers
// until ctx ends (SIGINT or SIGTERM); then it stops taking webhooks and
// lets the batches in flight finish.
func serveUntilDone(ctx context.Context, b *bot.Bot, ln net.Listener, log *slog.Logger) error {
	srv := &http.Server{Handler: b.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second}
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	workDone := make(chan struct{})
	go func() { _ = b.Run(workCtx); close(workDone) }()
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()

	select {
	case <-ctx.Done():
	case err := <-serveErr:
		stopWork()
		<-workDone
		return err
	}
	log.Info("shutting down: no new webhooks, finishing the batches in flight")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdownCtx)
	stopWork()
	<-workDone
	log.Info("stopped")
	return nil
}

// botCommandList is ", or one of: a, b" when the bot has subcommands.
func botCommandList() string {
	if len(botCommands) == 0 {
		return ""
	}
	names := make([]string, 0, len(botCommands))
	for name := range botCommands {
		names = append(names, name)
	}
	sort.Strings(names)
	return ", or one of its commands: " + strings.Join(names, ", ")
}

// openStore opens the store the config names. shared opens a SQLite file
// beside the bot that owns it (a tool); otherwise this process becomes its
// owner.
func openStore(ctx context.Context, url string, shared bool) (store.Store, error) {
	switch {
	case strings.HasPrefix(url, "sqlite://"):
		return sqlite.OpenOptions(ctx, strings.TrimPrefix(url, "sqlite://"), sqlite.Options{Shared: shared})
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		return postgres.Open(ctx, url)
	}
	return nil, fmt.Errorf("store %q: use sqlite://PATH or postgres://USER@HOST:PORT/DB", url)
}

// storeKind names the store without its credentials, for the log.
func storeKind(url string) string {
	kind, _, _ := strings.Cut(url, "://")
	return kind
}

func readTemplates(t botconfig.Templates) (summary, description string, err error) {
	read := func(path string) (string, error) {
		if path == "" {
			return "", nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return "", fmt.Errorf("templates: %w", err)
		}
		return string(b), nil
	}
	if summary, err = read(t.Summary); err != nil {
		return "", "", err
	}
	description, err = read(t.Description)
	return summary, description, err
}

// logLevel reads FIXPROOF_LOG_LEVEL: info when empty; a value slog does
// not know is an error, not a silent info.
func logLevel(s string) (slog.Level, error) {
	var l slog.Level
	if s == "" {
		return slog.LevelInfo, nil
	}
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return l, fmt.Errorf("FIXPROOF_LOG_LEVEL: %q is not a log level: use debug, info, warn or error", s)
	}
	return l, nil
}

// newDashboard is the page at /, reading Jira (its snapshot kept in the
// store), with a token Sentry, and the store's dead letters.
func newDashboard(cfg botconfig.Config, jc *jira.Client, sc dashboard.Sentry, st store.Store, log *slog.Logger) *dashboard.Dashboard {
	d := cfg.Dashboard
	basis, _ := verify.ParseBasis(d.Basis) // checked when the config was loaded
	return dashboard.New(dashboard.Config{Token: d.Token, Org: cfg.Sentry.Org, Log: log, Params: d.Params(), Basis: basis, Store: st, Dead: st,
		GitHubURL: d.GitHubURL, MaxLoops: d.MaxLoops, RefreshEvery: d.RefreshEvery.D(), PageRefresh: d.PageRefresh.D()},
		jc, sc)
}
