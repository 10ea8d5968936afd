package bot

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/botconfig"
	"github.com/fixproof/fixproof/internal/contract"
	"github.com/fixproof/fixproof/internal/githubapp"
	"github.com/fixproof/fixproof/internal/jira"
	"github.com/fixproof/fixproof/internal/sim/githubsim"
)

const (
	ghAppID          = 91234
	ghInstallation   = 42
	ghWebhookSecret  = "github_AppWebhookSecret"
	ghHeadSHA        = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"
	ghForkedHeadSHA  = "f1e2d3c4b5a60718293a4b5c6d7e8f9012345678"
	ghMergeCommitSHA = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

var (
	ghKeyOnce sync.Once
	ghKey     *rsa.PrivateKey
)

// appSide is GitHub with the bot installed as an app on acme's shop and
// web repositories.
type appSide struct {
	gh      *githubsim.Server
	url     string
	host    string
	checked http.RoundTripper
	hooks   map[string]*githubsim.Deliveries // by secret
	repos   []string
}

// withGitHubApp gives the world a GitHub where the bot is an installed
// GitHub App, and configures the bot as that app. The app is installed on
// acme's repos (shop and web when none are named).
func withGitHubApp(repos ...string) worldOption {
	if len(repos) == 0 {
		repos = []string{"shop", "web"}
	}
	return func(w *world) { w.app = &appSide{repos: repos} }
}

func (a *appSide) start(w *world) {
	ghKeyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			w.t.Fatal(err)
		}
		ghKey = k
	})
	// GitHub checks the app's JWTs, which ghinstallation dates by the
	// machine's clock, against its own: real time.
	a.gh = githubsim.New(githubsim.Options{Now: time.Now, App: &githubsim.App{ID: ghAppID, PrivateKey: ghKey,
		Installations: map[int64]githubsim.Installation{ghInstallation: {Account: "acme", Repositories: a.repos,
			Permissions: githubapp.Permissions}}}})
	a.gh.AddOrganization("acme")
	for _, r := range a.repos {
		a.gh.AddRepo("acme", r)
	}
	srv := httptest.NewServer(a.gh.Handler())
	w.t.Cleanup(srv.Close)
	a.url, a.host = srv.URL, strings.TrimPrefix(srv.URL, "http://")
	w.cfg.GitHub = appConfig(srv.URL)
	a.checked = http.DefaultTransport
	if _, ok := contract.Dir(); ok && !w.noContracts {
		gql := contract.GraphQLTransport(w.t, contract.GitHubSchema(w.t), http.DefaultTransport)
		rest := contract.GitHubRESTSpec(w.t).Transport(w.t, http.DefaultTransport)
		a.checked = roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if strings.HasSuffix(r.URL.Path, "/graphql") {
				return gql.RoundTrip(r)
			}
			return rest.RoundTrip(r)
		})
	}
}

// appConfig is the bot's github section for the app on GitHub at url.
func appConfig(url string) botconfig.GitHub {
	return botconfig.GitHub{AppID: ghAppID, WebhookSecret: ghWebhookSecret, APIURL: url, GraphQLURL: url + "/graphql",
		PrivateKey: string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(ghKey)}))}
}

// newApp is a replica's app, built as the bot's main builds it.
func (a *appSide) newApp(w *world, hc *http.Client, jc *jira.Client, log *slog.Logger) GitHubApp {
	g := w.cfg.GitHub
	app, err := githubapp.New(githubapp.Config{AppID: int64(g.AppID), PrivateKey: []byte(g.PrivateKey), APIURL: g.APIURL, GraphQLURL: g.GraphQLURL,
		Settings: w.cfg.AppSettings()}, hc, jc, log, w.clock.Now)
	if err != nil {
		w.t.Fatal(err)
	}
	return app
}

// githubHooks sends the app's webhooks to the first bot, signed with
// secret; it remembers what it sent, for GitHub's "Redeliver".
func (w *world) githubHooks(secret string) *githubsim.Deliveries {
	if w.app.hooks == nil {
		w.app.hooks = map[string]*githubsim.Deliveries{}
	}
	if d, ok := w.app.hooks[secret]; ok {
		return d
	}
	d := &githubsim.Deliveries{URL: w.urls[0] + "/webhooks/github", Secret: secret, HookID: 1, AppID: ghAppID}
	w.app.hooks[secret] = d
	return d
}

// prEvent delivers a pull_request event as GitHub sends it.
func (w *world) prEvent(repo string, number int, action string) (delivery string, status int) {
	w.t.Helper()
	owner, name, _ := strings.Cut(repo, "/")
	body, err := w.app.gh.PullRequestWebhook(owner, name, number, action, ghInstallation)
	if err != nil {
		w.t.Fatal(err)
	}
	delivery, status, err = w.githubHooks(ghWebhookSecret).Send(context.Background(), "pull_request", body)
	if err != nil {
		w.t.Fatal(err)
	}
	return delivery, status
}

func (w *world) checkRuns(repo string) []githubsim.CheckRun {
	owner, name, _ := strings.Cut(repo, "/")
	var out []githubsim.CheckRun
	for _, c := range w.app.gh.CheckRuns(owner, name) {
		if c.Name == githubapp.CheckName {
			out = append(out, c)
		}
	}
	return out
}

func (w *world) jiraStatus(key string) string {
	is, _ := w.jira.Issue(key)
	return is.Status
}

// Installed once on acme, the bot handles both repositories' pull
// requests, a fork's included: each moves its Jira issue with the
// action's rules and gets one check run, updated in place when it merges;
// a redelivered webhook is handled once, and a forged one refused.
func TestTheGitHubAppHandlesEveryInstalledRepositorysPullRequests(t *testing.T) {
	w := newWorld(t, withGitHubApp())
	for _, k := range []string{"OPS-1", "OPS-2"} {
		if err := w.jira.AddIssue(k, "Summary of "+k, "Open"); err != nil {
			t.Fatal(err)
		}
	}
	shop := githubsim.PullRequest{Number: 7, Title: "OPS-1: fix the cart", HeadRefName: "fix/cart", Author: "jane",
		Commits: []githubsim.Commit{{OID: ghHeadSHA, Message: "Fix the cart"}}}
	w.app.gh.AddPullRequest("acme", "shop", shop)
	w.app.gh.AddPullRequest("acme", "web", githubsim.PullRequest{Number: 3, Title: "Fix the banner", HeadRefName: "OPS-2-banner", Author: "someone",
		HeadRepo: "someone/web", Commits: []githubsim.Commit{{OID: ghForkedHeadSHA, Message: "banner"}}})

	for _, ev := range []struct {
		repo   string
		number int
	}{{"acme/shop", 7}, {"acme/web", 3}} {
		if _, code := w.prEvent(ev.repo, ev.number, "opened"); code != http.StatusAccepted {
			t.Fatalf("%s#%d opened: %d", ev.repo, ev.number, code)
		}
	}
	w.drain()
	if w.jiraStatus("OPS-1") != "In Review" || w.jiraStatus("OPS-2") != "In Review" {
		t.Fatalf("after opened: OPS-1 %s, OPS-2 %s (the fork's); want In Review\n%s", w.jiraStatus("OPS-1"), w.jiraStatus("OPS-2"), tail(w.logs.String(), 3000))
	}
	for _, repo := range []string{"acme/shop", "acme/web"} {
		if runs := w.checkRuns(repo); len(runs) != 1 || runs[0].Conclusion != "success" {
			t.Errorf("%s: check runs %+v, want one success", repo, runs)
		}
	}

	merged := time.Date(2026, 11, 20, 11, 0, 0, 0, time.UTC)
	shop.State, shop.MergedAt, shop.MergeCommitOID = "MERGED", &merged, ghMergeCommitSHA
	w.app.gh.AddPullRequest("acme", "shop", shop)
	delivery, code := w.prEvent("acme/shop", 7, "closed")
	if code != http.StatusAccepted {
		t.Fatalf("closed: %d", code)
	}
	w.drain()
	if w.jiraStatus("OPS-1") != "Done" {
		t.Errorf("after the merge: OPS-1 %s, want Done", w.jiraStatus("OPS-1"))
	}
	runs := w.checkRuns("acme/shop")
	if len(runs) != 1 || runs[0].Conclusion != "success" || !strings.Contains(runs[0].Summary, "Done") {
		t.Errorf("after the merge: %+v, want the one check run updated", runs)
	}

	// GitHub's "Redeliver" sends the same delivery again: acknowledged,
	// not handled again.
	patches := w.app.gh.Control.Count("PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}")
	if code, err := w.githubHooks(ghWebhookSecret).Redeliver(context.Background(), delivery); err != nil || code != http.StatusOK {
		t.Errorf("a redelivery: %d, %v; want 200", code, err)
	}
	w.drain()
	if n := w.app.gh.Control.Count("PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}"); n != patches {
		t.Errorf("a redelivery was handled again: %d check run updates, want %d", n, patches)
	}

	// A delivery not signed with the app's secret is refused, and one
	// that moves nothing is acknowledged.
	body, _ := w.app.gh.PullRequestWebhook("acme", "web", 3, "opened", ghInstallation)
	if _, code, _ := w.githubHooks("not-the-secret").Send(context.Background(), "pull_request", body); code != http.StatusUnauthorized {
		t.Errorf("a forged delivery: %d, want 401", code)
	}
	ping, _ := w.app.gh.PingWebhook(githubsim.Hook{ID: 1})
	if _, code, _ := w.githubHooks(ghWebhookSecret).Send(context.Background(), "ping", ping); code != http.StatusOK {
		t.Errorf("ping: %d, want 200", code)
	}
	if !strings.Contains(w.logs.String(), `"msg":"github app: ping"`) {
		t.Errorf("the ping is not logged")
	}
}
