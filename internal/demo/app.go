package demo

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/http"
	"time"

	"github.com/fixproof/fixproof/internal/botconfig"
	"github.com/fixproof/fixproof/internal/githubapp"
	"github.com/fixproof/fixproof/internal/jira"
	"github.com/fixproof/fixproof/internal/jiramarkup"
	"github.com/fixproof/fixproof/internal/sim/githubsim"
)

// The bot as a GitHub App, installed on acme's shop and api.
const (
	appID         = 424242
	installation  = 4242
	appRepo       = "api"
	webhookSecret = "demo-github-webhook-secret"
)

// AppRun is what the app act did: a pull request from a fork, handled by
// the bot as a GitHub App, and its check run.
type AppRun struct {
	Repo, Key  string
	PR         int
	JiraStatus string
	// CheckRuns counts the PR commit's fixproof check runs (one, updated
	// in place); Check is the last one's conclusion and title.
	CheckRuns int
	Check     string
}

// newAppKey is the app's private key: made for the run, as GitHub makes
// one when asked.
func newAppKey() (*rsa.PrivateKey, []byte, error) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, nil, err
	}
	return k, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}), nil
}

// simApp is the app as the simulated GitHub knows it.
func simApp(k *rsa.PrivateKey) *githubsim.App {
	return &githubsim.App{ID: appID, PrivateKey: k, Installations: map[int64]githubsim.Installation{
		installation: {Account: owner, Repositories: []string{repo, appRepo}, Permissions: githubapp.Permissions}}}
}

// appConfig is the bot's github section for the simulated GitHub at url.
func appConfig(url string, key []byte) botconfig.GitHub {
	return botconfig.GitHub{AppID: appID, PrivateKey: string(key), WebhookSecret: webhookSecret, APIURL: url, GraphQLURL: url + "/graphql",
		// A fork's branch is patch-1 by GitHub's default: without
		// jira_projects it would read as the key PATCH-1.
		Settings: map[string]string{"jira_projects": project}}
}

// app: a teammate files an issue, and a contributor's pull request from a
// fork of acme/api fixes it. No workflow runs: the bot, installed on acme
// as a GitHub App, gets GitHub's webhooks, moves the issue with the
// action's own code and reports on the pull request with a check run.
func (s *story) app(ctx context.Context) error {
	s.clock.Advance(time.Hour)
	key, err := s.jc.CreateIssue(ctx, jira.NewIssue{Project: project, IssueType: "Bug", Summary: "Retry the gateway call once on a reset connection",
		Description: jiramarkup.Doc{Blocks: []jiramarkup.Block{jiramarkup.P(jiramarkup.Plain("Filed by a person, not by the bot."))}}})
	if err != nil {
		return err
	}
	s.clock.Advance(10 * time.Minute) // Jira's search shows it by the time the PR opens
	run := &AppRun{Repo: owner + "/" + appRepo, Key: key, PR: 12}
	s.appRun = run
	pr := githubsim.PullRequest{Number: run.PR, Title: key + ": retry the gateway call", HeadRefName: "patch-1", HeadRepo: "contributor/" + appRepo,
		BaseRefName: "main", Author: "contributor", Commits: []githubsim.Commit{{Message: "Retry once on ECONNRESET", CommittedDate: s.clock.Now()}}}
	s.gh.AddPullRequest(owner, appRepo, pr)
	if err := s.appEvent(ctx, run, "opened"); err != nil {
		return err
	}
	s.say("A contributor opened %s#%d from a fork, naming %s. No workflow ran: the bot, installed on %s as a GitHub App, moved %s to %s and put a check run on the pull request: %s.",
		run.Repo, run.PR, key, owner, key, run.JiraStatus, run.Check)
	at := s.clock.Now()
	pr, _ = s.gh.PullRequest(owner, appRepo, run.PR)
	pr.State, pr.MergedAt, pr.MergeCommitOID = "MERGED", &at, "c0ffee0000000000000000000000000000000012"
	s.gh.AddPullRequest(owner, appRepo, pr)
	if err := s.appEvent(ctx, run, "closed"); err != nil {
		return err
	}
	s.say("It merged: %s is %s, and the same check run now says %s (%d check run on the commit).", key, run.JiraStatus, run.Check, run.CheckRuns)
	// The dashboard's list is read as the story ends, so it opens fresh.
	_, err = s.dash.Refresh(ctx)
	return err
}

// appEvent delivers one pull_request event to the bot as GitHub does,
// waits for the bot to handle it, and reads the result.
func (s *story) appEvent(ctx context.Context, run *AppRun, action string) error {
	body, err := s.gh.PullRequestWebhook(owner, appRepo, run.PR, action, installation)
	if err != nil {
		return err
	}
	hooks := githubsim.Deliveries{URL: s.urls["bot"] + "/webhooks/github", Secret: webhookSecret, HookID: 1, AppID: appID}
	if _, code, err := hooks.Send(ctx, "pull_request", body); err != nil || code != http.StatusAccepted {
		return fmt.Errorf("the bot took the %s webhook with %d: %v", action, code, err)
	}
	if err := s.drain(ctx); err != nil {
		return err
	}
	run.JiraStatus, run.CheckRuns = s.status(run.Key), 0
	for _, c := range s.gh.CheckRuns(owner, appRepo) {
		if c.Name == githubapp.CheckName {
			run.CheckRuns++
			run.Check = c.Conclusion + ", \u201c" + c.Title + "\u201d"
		}
	}
	return nil
}
