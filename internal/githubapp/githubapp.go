// Package githubapp is the bot's GitHub App mode: installed once on an
// organization, the bot handles every repository's pull requests with the
// action's own code (action.Core), reads each repository's settings from
// .github/fixproof.yml, and reports on the pull request with a check run.
// It authenticates as the app (a JWT signed with its private key) and as
// each installation (a token, renewed before it expires) through
// ghinstallation.
package githubapp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"
	"github.com/google/go-github/v75/github"

	"github.com/fixproof/fixproof/internal/clients"
	"github.com/fixproof/fixproof/internal/deployment"
	"github.com/fixproof/fixproof/internal/githubpr"
	"github.com/fixproof/fixproof/internal/jira"
	"github.com/fixproof/fixproof/internal/prcomment"
	"github.com/fixproof/fixproof/internal/retry"
)

// CheckName is the name of the check run on every pull request.
const CheckName = "fixproof"

// Config is the app's settings.
type Config struct {
	// AppID and PrivateKey (PEM) are the app's, as GitHub shows them on
	// the app's page.
	AppID      int64
	PrivateKey []byte
	// APIURL and GraphQLURL are GitHub's APIs: https://api.github.com and
	// https://api.github.com/graphql, or https://HOST/api/v3 and
	// https://HOST/api/graphql on GitHub Enterprise Server.
	APIURL, GraphQLURL string
	// Settings are the values of the action's inputs every repository
	// starts from: the Jira and Sentry credentials and any defaults. A
	// repository's .github/fixproof.yml overrides those in
	// action.RepoSettings.
	Settings map[string]string
	// UserAgent names the program and its version.
	UserAgent string
}

// App handles the pull requests of the app's installations.
type App struct {
	cfg  Config
	hc   *http.Client
	jira *jira.Client
	apps *ghinstallation.AppsTransport
	log  *slog.Logger
	now  func() time.Time

	mu       sync.Mutex
	installs map[int64]*installation
	settings map[string]repoSettings // by owner/name, lower case
}

// installation is one installation's token, renewed by ghinstallation a
// minute before it expires, and the clients that send it: made once and
// shared by every event and sweep of the installation.
type installation struct {
	tr   *ghinstallation.Transport
	conn conn
}

// New makes the app. hc sends every request under the retry policy (the
// installation tokens' requests too); jc is the bot's Jira.
func New(cfg Config, hc *http.Client, jc *jira.Client, log *slog.Logger, now func() time.Time) (*App, error) {
	if cfg.AppID <= 0 {
		return nil, errors.New("githubapp: no app id")
	}
	base := hc.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	apps, err := ghinstallation.NewAppsTransport(base, cfg.AppID, cfg.PrivateKey)
	if err != nil {
		return nil, fmt.Errorf("githubapp: private key: %w", err)
	}
	apps.BaseURL = strings.TrimRight(cfg.APIURL, "/")
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	return &App{cfg: cfg, hc: hc, jira: jc, apps: apps, log: log, now: now,
		installs: map[int64]*installation{}, settings: map[string]repoSettings{}}, nil
}

// tokenSource is an installation's token as the clients ask for it:
// asked of GitHub only when the one held is about to expire. Asking twice
// is harmless, so the request may be retried.
type tokenSource struct{ tr *ghinstallation.Transport }

func (t tokenSource) Token(ctx context.Context) (string, error) {
	return t.tr.Token(retry.Idempotent(ctx))
}

// conn is an installation's clients.
type conn struct {
	graphql *githubpr.Client
	rest    *github.Client
	prs     *prcomment.Client
	deploys *deployment.GitHub
}

// connect is installation id's clients, made the first time it is asked
// for; it asks GitHub nothing.
func (a *App) connect(id int64) (conn, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if in, ok := a.installs[id]; ok {
		return in.conn, nil
	}
	tr := ghinstallation.NewFromAppsTransport(a.apps, id)
	// Every permission the installation has: ghinstallation's default
	// body, null, is not what GitHub documents.
	tr.InstallationTokenOptions = &github.InstallationTokenOptions{}
	s := clients.Settings{UserAgent: a.cfg.UserAgent,
		GitHub: clients.GitHubSettings{APIURL: a.cfg.APIURL, GraphQLURL: a.cfg.GraphQLURL, Tokens: tokenSource{tr}}}
	rest, err := clients.GitHubREST(s, a.hc)
	if err != nil {
		return conn{}, err
	}
	prs, err := clients.PRComments(s, a.hc)
	if err != nil {
		return conn{}, err
	}
	deploys, err := clients.Deployments(s, a.hc)
	if err != nil {
		return conn{}, err
	}
	c := conn{graphql: clients.GitHub(s, a.hc), rest: rest, prs: prs, deploys: deploys}
	a.installs[id] = &installation{tr: tr, conn: c}
	return c, nil
}
