package githubapp

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/clients"
	"github.com/fixproof/fixproof/internal/contract"
	"github.com/fixproof/fixproof/internal/jira"
	"github.com/fixproof/fixproof/internal/retry"
	"github.com/fixproof/fixproof/internal/sim"
	"github.com/fixproof/fixproof/internal/sim/githubsim"
	"github.com/fixproof/fixproof/internal/sim/jirasim"
)

const (
	appID          = 91234
	installationID = 42
	headSHA        = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"
)

var (
	keyOnce sync.Once
	appKey  *rsa.PrivateKey
)

// testKey is the app's private key, made once: 2048-bit RSA, as GitHub's.
func testKey(t testing.TB) *rsa.PrivateKey {
	keyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		appKey = k
	})
	return appKey
}

// appWorld is GitHub with the app installed on acme's shop and web, Jira
// with OPS and WEB, and the app, every request checked against GitHub's
// and Atlassian's published contracts.
type appWorld struct {
	t     *testing.T
	gh    *githubsim.Server
	jira  *jirasim.Server
	app   *App
	clock *sim.Clock
	// settingsReads are the statuses GitHub answered the reads of
	// .github/fixproof.yml with, in order.
	settingsReads struct {
		sync.Mutex
		status []int
	}
}

func newAppWorld(t *testing.T, edit ...func(*githubsim.App)) *appWorld {
	return newAppWorldAt(t, "", "/graphql", edit...)
}

// newAppWorldAt is newAppWorld with GitHub's REST API under restPath and
// its GraphQL API at graphqlPath: "/api/v3" and "/api/graphql" on GitHub
// Enterprise Server.
func newAppWorldAt(t *testing.T, restPath, graphqlPath string, edit ...func(*githubsim.App)) *appWorld {
	t.Helper()
	contract.Require(t)
	w := &appWorld{t: t, clock: sim.NewClock(time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC))}
	key := testKey(t)
	// GitHub checks the app's JWTs, which ghinstallation dates by the
	// machine's clock, against its own: real time.
	app := &githubsim.App{ID: appID, PrivateKey: key,
		Installations: map[int64]githubsim.Installation{installationID: {Account: "acme", Repositories: []string{"shop", "web"},
			Permissions: map[string]string{"pull_requests": "read", "contents": "read", "checks": "write", "deployments": "read", "issues": "write", "metadata": "read"}}}}
	for _, e := range edit {
		e(app)
	}
	w.gh = githubsim.New(githubsim.Options{Now: time.Now, App: app})
	w.gh.AddOrganization("acme")
	w.gh.AddRepo("acme", "shop")
	w.gh.AddRepo("acme", "web")
	gsrv := httptest.NewServer(w.gh.Handler())
	t.Cleanup(gsrv.Close)
	w.jira = jirasim.New(jirasim.Options{Flavor: jirasim.Cloud, Email: "bot@acme.io", APIToken: "jt", Now: w.clock.Now})
	w.jira.AddProject("OPS", "Operations", jirasim.DefaultWorkflow())
	w.jira.AddProject("WEB", "Web", jirasim.DefaultWorkflow())
	jsrv := httptest.NewServer(w.jira.Handler())
	t.Cleanup(jsrv.Close)

	gql := contract.GraphQLTransport(t, contract.GitHubSchema(t), http.DefaultTransport)
	rest := contract.GitHubRESTSpec(t).Transport(t, http.DefaultTransport)
	jiraCheck := contract.JiraSpec(t).Transport(t, http.DefaultTransport)
	checked := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		switch {
		case strings.HasPrefix(r.URL.String(), jsrv.URL):
			return jiraCheck.RoundTrip(r)
		case strings.HasSuffix(r.URL.Path, "/graphql"):
			return gql.RoundTrip(r)
		}
		resp, err := rest.RoundTrip(r)
		if err == nil && strings.HasSuffix(r.URL.Path, "/contents/"+SettingsPath) {
			w.settingsReads.Lock()
			w.settingsReads.status = append(w.settingsReads.status, resp.StatusCode)
			w.settingsReads.Unlock()
		}
		return resp, err
	})
	hc := clients.HTTP(clients.HTTPOptions{Transport: checked, Policy: retry.Policy{Attempts: 3, Base: time.Millisecond, Max: 5 * time.Millisecond, MaxWait: time.Second}})
	jc, err := jira.New(jira.Config{BaseURL: jsrv.URL, Email: "bot@acme.io", APIToken: "jt", HTTPClient: hc})
	if err != nil {
		t.Fatal(err)
	}
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	w.app, err = New(Config{AppID: appID, PrivateKey: pemKey, APIURL: gsrv.URL + restPath, GraphQLURL: gsrv.URL + graphqlPath,
		Settings: map[string]string{"jira_base_url": jsrv.URL, "jira_email": "bot@acme.io", "jira_api_token": "jt", "github_token": "app", "fail_on_error": "false"}},
		hc, jc, nil, w.clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func (w *appWorld) issue(key, status string) {
	w.t.Helper()
	if err := w.jira.AddIssue(key, "Summary of "+key, status); err != nil {
		w.t.Fatal(err)
	}
}

// pr stores a pull request of repo ("owner/name") whose one commit is
// headSHA, the commit the events report on.
func (w *appWorld) pr(repo string, pr githubsim.PullRequest) {
	owner, name, _ := strings.Cut(repo, "/")
	pr.Commits = []githubsim.Commit{{OID: headSHA, Message: "change"}}
	w.gh.AddPullRequest(owner, name, pr)
}

func (w *appWorld) status(key string) string {
	is, _ := w.jira.Issue(key)
	return is.Status
}

func (w *appWorld) handle(repo string, number int, action string) {
	w.t.Helper()
	if err := w.app.PullRequest(context.Background(), PullRequestEvent{Installation: installationID, Repo: repo, Number: number, Action: action, HeadSHA: headSHA}); err != nil {
		w.t.Fatalf("PullRequest(%s#%d %s): %v", repo, number, action, err)
	}
}

// checks is the repository's fixproof check runs.
func (w *appWorld) checks(repo string) []githubsim.CheckRun {
	owner, name, _ := strings.Cut(repo, "/")
	var out []githubsim.CheckRun
	for _, c := range w.gh.CheckRuns(owner, name) {
		if c.Name == CheckName {
			out = append(out, c)
		}
	}
	return out
}

// One installation covers both repositories: each pull request moves its
// issues with the action's rules and gets one check run, updated in place
// as the pull request goes from open to merged.
func TestTheAppMovesIssuesAndKeepsOneCheckRunPerCommit(t *testing.T) {
	w := newAppWorld(t)
	w.issue("OPS-1", "Open")
	w.issue("WEB-2", "Open")
	w.pr("acme/shop", githubsim.PullRequest{Number: 7, Title: "OPS-1: fix the cart", HeadRefName: "fix/cart"})
	w.pr("acme/web", githubsim.PullRequest{Number: 3, Title: "Fix the banner", HeadRefName: "WEB-2-banner"})

	w.handle("acme/shop", 7, "opened")
	w.handle("acme/web", 3, "opened")
	if w.status("OPS-1") != "In Review" || w.status("WEB-2") != "In Review" {
		t.Fatalf("after opened: OPS-1 %s, WEB-2 %s; want In Review", w.status("OPS-1"), w.status("WEB-2"))
	}
	for _, repo := range []string{"acme/shop", "acme/web"} {
		runs := w.checks(repo)
		if len(runs) != 1 || runs[0].Status != "completed" || runs[0].Conclusion != "success" || runs[0].HeadSHA != headSHA {
			t.Fatalf("%s check runs after opened: %+v", repo, runs)
		}
	}
	if s := w.checks("acme/shop")[0].Summary; !strings.Contains(s, "OPS-1") || !strings.Contains(s, "In Review") {
		t.Errorf("the check run does not say what moved: %q", s)
	}

	merged := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	w.pr("acme/shop", githubsim.PullRequest{Number: 7, Title: "OPS-1: fix the cart", HeadRefName: "fix/cart", State: "MERGED", MergedAt: &merged, MergeCommitOID: strings.Repeat("b", 40)})
	w.handle("acme/shop", 7, "closed")
	if w.status("OPS-1") != "Done" {
		t.Errorf("after the merge: OPS-1 %s, want Done", w.status("OPS-1"))
	}
	if runs := w.checks("acme/shop"); len(runs) != 1 || runs[0].Conclusion != "success" || !strings.Contains(runs[0].Summary, "Done") {
		t.Errorf("after the merge: %d check runs %+v, want the one updated to Done", len(runs), runs)
	}
	if n := w.gh.Control.CountPrefix("POST /app/installations/"); n != 1 {
		t.Errorf("%d installation tokens asked for three events, want 1", n)
	}

	// An event that moves nothing makes no check run and no request.
	before := w.gh.Control.Total()
	w.handle("acme/shop", 7, "labeled")
	if w.gh.Control.Total() != before {
		t.Errorf("a labeled event made %d requests to GitHub", w.gh.Control.Total()-before)
	}
}

// A repository's .github/fixproof.yml overrides the app's settings; a
// file that is wrong is reported on the check run and moves nothing.
func TestARepositorysSettingsOverrideTheAppsAndMistakesAreReportedOnTheCheckRun(t *testing.T) {
	w := newAppWorld(t)
	w.issue("OPS-1", "Open")
	w.issue("WEB-2", "Open")
	w.pr("acme/web", githubsim.PullRequest{Number: 3, Title: "OPS-1 and WEB-2", HeadRefName: "x"})
	w.gh.PutFile("acme", "web", SettingsPath, "jira_projects: [WEB]\njira_comment: false\n")
	w.handle("acme/web", 3, "opened")
	if w.status("WEB-2") != "In Review" || w.status("OPS-1") != "Open" {
		t.Errorf("with jira_projects: [WEB]: WEB-2 %s, OPS-1 %s; want only WEB-2 moved", w.status("WEB-2"), w.status("OPS-1"))
	}
	if is, _ := w.jira.Issue("WEB-2"); len(is.Comments) != 0 {
		t.Errorf("jira_comment: false, yet WEB-2 has %d comments", len(is.Comments))
	}

	w.gh.PutFile("acme", "web", SettingsPath, "jira_projcts: [WEB]\n")
	w.handle("acme/web", 3, "edited")
	runs := w.checks("acme/web")
	if len(runs) != 1 || runs[0].Conclusion != "failure" || !strings.Contains(runs[0].Title, "Invalid .github/fixproof.yml") ||
		!strings.Contains(runs[0].Summary, `did you mean jira\_projects?`) {
		t.Fatalf("invalid settings: %+v", runs)
	}
}

// The settings file is read conditionally: unchanged, GitHub answers 304
// (which it does not count against the installation's rate limit) and the
// settings parsed before apply; changed, it is read whole and the new
// settings apply.
func TestARepositorysSettingsAreReadAgainOnlyWhenTheyChanged(t *testing.T) {
	w := newAppWorld(t)
	w.issue("OPS-1", "Open")
	w.issue("WEB-2", "Open")
	w.pr("acme/web", githubsim.PullRequest{Number: 3, Title: "OPS-1 and WEB-2", HeadRefName: "x"})
	w.gh.PutFile("acme", "web", SettingsPath, "jira_projects: [WEB]\n")
	w.handle("acme/web", 3, "opened")
	w.handle("acme/web", 3, "edited")
	if w.status("WEB-2") != "In Review" || w.status("OPS-1") != "Open" {
		t.Errorf("with jira_projects: [WEB] twice: WEB-2 %s, OPS-1 %s; want only WEB-2 moved", w.status("WEB-2"), w.status("OPS-1"))
	}
	w.gh.PutFile("acme", "web", SettingsPath, "jira_projects: [OPS, WEB]\n")
	w.handle("acme/web", 3, "edited")
	if w.status("OPS-1") != "In Review" {
		t.Errorf("after the file named OPS too: OPS-1 %s, want In Review", w.status("OPS-1"))
	}
	w.settingsReads.Lock()
	defer w.settingsReads.Unlock()
	if want := []int{200, 304, 200}; !slices.Equal(w.settingsReads.status, want) {
		t.Errorf("the settings file was answered %v, want %v", w.settingsReads.status, want)
	}
}

// An installation token is renewed before it expires, so no request
// carries an expired one (GitHub would answer 401 and the event fail),
// and a token still good is reused.
func TestAnInstallationTokenIsRenewedBeforeItExpires(t *testing.T) {
	// ghinstallation renews a token a minute before it expires: with 61.5 s
	// to live, it is due for renewal 1.5 s after it is made.
	w := newAppWorld(t, func(a *githubsim.App) { a.TokenTTL = 61*time.Second + 500*time.Millisecond })
	w.issue("OPS-1", "Open")
	w.pr("acme/shop", githubsim.PullRequest{Number: 7, Title: "OPS-1", HeadRefName: "x"})
	w.handle("acme/shop", 7, "opened")
	w.handle("acme/shop", 7, "edited")
	if n := w.gh.Control.CountPrefix("POST /app/installations/"); n != 1 {
		t.Fatalf("%d tokens for two events a moment apart, want 1", n)
	}
	time.Sleep(1600 * time.Millisecond)
	w.handle("acme/shop", 7, "edited")
	if n := w.gh.Control.CountPrefix("POST /app/installations/"); n != 2 {
		t.Errorf("%d tokens, want a second one once the first was due for renewal", n)
	}
}

// On GitHub Enterprise Server the app reaches GitHub at api_url
// (https://HOST/api/v3) and graphql_url (https://HOST/api/graphql): its
// tokens, reads and check runs all go there.
func TestTheAppWorksWithGitHubEnterpriseServersAddresses(t *testing.T) {
	w := newAppWorldAt(t, "/api/v3", "/api/graphql")
	w.issue("OPS-1", "Open")
	w.pr("acme/shop", githubsim.PullRequest{Number: 7, Title: "OPS-1: fix", HeadRefName: "x"})
	w.handle("acme/shop", 7, "opened")
	if runs := w.checks("acme/shop"); len(runs) != 1 || runs[0].Conclusion != "success" || w.status("OPS-1") != "In Review" {
		t.Errorf("on GitHub Enterprise Server: %+v, OPS-1 %s", runs, w.status("OPS-1"))
	}
}
