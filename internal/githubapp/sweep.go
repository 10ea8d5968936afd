package githubapp

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/google/go-github/v75/github"

	"github.com/fixproof/fixproof/internal/action"
	"github.com/fixproof/fixproof/internal/loop"
	"github.com/fixproof/fixproof/internal/prcomment"
	"github.com/fixproof/fixproof/internal/sweep"
	"github.com/fixproof/fixproof/internal/verify"
)

// Sweep runs the verification sweep, as the action's sweep does, over
// every issue under watch, whichever repository its fix merged in: each
// fix's pull request and deployments are read through the installation
// that covers its repository. The settings are the app's (github.settings
// over the bot's Jira and Sentry): one sweep verifies every repository's
// fixes with the same rules.
func (a *App) Sweep(ctx context.Context) (*sweep.Report, error) {
	cfg, err := ConfigFor(a.cfg.Settings, nil)
	if err != nil {
		return nil, err
	}
	repos, err := a.repositories(ctx)
	if err != nil {
		return nil, err
	}
	gh := &byRepo{app: a, repos: repos}
	var deploys action.DeploymentFinder
	if cfg.VerifyFrom != verify.FromMerge {
		deploys = gh
	}
	core := action.Core{Config: cfg, Jira: a.jira, Log: slogLog{a.log}, HTTP: a.hc, Now: a.now, GraphQLURL: a.cfg.GraphQLURL}
	return core.Sweep(ctx, gh, deploys)
}

// Installation is one of the app's installations.
type Installation struct {
	ID      int64
	Account string
	// Selection is "all" (every repository of the account) or
	// "selected".
	Selection string
}

// Installations lists the app's installations, authenticated as the app
// (its JWT): the answer says the app id and key are right.
func (a *App) Installations(ctx context.Context) ([]Installation, error) {
	apps, err := prcomment.REST(a.cfg.APIURL, &http.Client{Transport: a.apps, Timeout: a.hc.Timeout})
	if err != nil {
		return nil, err
	}
	var out []Installation
	opt := &github.ListOptions{PerPage: 100}
	for {
		insts, res, err := apps.Apps.ListInstallations(ctx, opt)
		if err != nil {
			return nil, fmt.Errorf("list the app's installations: %w", err)
		}
		for _, in := range insts {
			out = append(out, Installation{ID: in.GetID(), Account: in.GetAccount().GetLogin(), Selection: in.GetRepositorySelection()})
		}
		if res.NextPage == 0 {
			return out, nil
		}
		opt.Page = res.NextPage
	}
}

// repositories maps each repository the app's installations reach
// (owner/name, lower case) to its installation: the app's installations,
// each listing its repositories with its own token.
func (a *App) repositories(ctx context.Context) (map[string]int64, error) {
	insts, err := a.Installations(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for _, in := range insts {
		if err := a.installationRepos(ctx, in.ID, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// installationRepos adds the repositories installation id reaches to out.
func (a *App) installationRepos(ctx context.Context, id int64, out map[string]int64) error {
	c, err := a.connect(id)
	if err != nil {
		return err
	}
	opt := &github.ListOptions{PerPage: 100}
	for {
		list, res, err := c.rest.Apps.ListRepos(ctx, opt)
		if err != nil {
			return fmt.Errorf("list the repositories of installation %d: %w", id, err)
		}
		for _, r := range list.Repositories {
			out[strings.ToLower(r.GetFullName())] = id
		}
		if res.NextPage == 0 {
			return nil
		}
		opt.Page = res.NextPage
	}
}

// byRepo reaches each repository through the installation that covers it:
// the sweep's pull request comments and deployments.
type byRepo struct {
	app   *App
	repos map[string]int64
}

func (b *byRepo) conn(repo string) (conn, error) {
	id, ok := b.repos[strings.ToLower(repo)]
	if !ok {
		return conn{}, fmt.Errorf("the GitHub App is not installed on %s: install it there, or the sweep cannot comment on its pull requests or read its deployments", repo)
	}
	return b.app.connect(id)
}

func (b *byRepo) Upsert(ctx context.Context, repo string, number int, marker, body string) (prcomment.Outcome, error) {
	c, err := b.conn(repo)
	if err != nil {
		return "", err
	}
	return c.prs.Upsert(ctx, repo, number, marker, body)
}

func (b *byRepo) Post(ctx context.Context, repo string, number int, marker, body string) error {
	c, err := b.conn(repo)
	if err != nil {
		return err
	}
	return c.prs.Post(ctx, repo, number, marker, body)
}

func (b *byRepo) FirstDeploy(ctx context.Context, repo, commit, environment string, since time.Time) (loop.Deploy, bool, bool, error) {
	c, err := b.conn(repo)
	if err != nil {
		return loop.Deploy{}, false, false, err
	}
	return c.deploys.FirstDeploy(ctx, repo, commit, environment, since)
}

// slogLog is the action's Log on the bot's log.
type slogLog struct{ l *slog.Logger }

func (s slogLog) Debugf(f string, a ...any)   { s.l.Debug("sweep: " + fmt.Sprintf(f, a...)) }
func (s slogLog) Infof(f string, a ...any)    { s.l.Info("sweep: " + fmt.Sprintf(f, a...)) }
func (s slogLog) Noticef(f string, a ...any)  { s.l.Info("sweep: " + fmt.Sprintf(f, a...)) }
func (s slogLog) Warningf(f string, a ...any) { s.l.Warn("sweep: " + fmt.Sprintf(f, a...)) }
func (s slogLog) Errorf(f string, a ...any)   { s.l.Error("sweep: " + fmt.Sprintf(f, a...)) }
