package clients

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/retry"
	"github.com/fixproof/fixproof/internal/sim/githubsim"
	"github.com/fixproof/fixproof/internal/sim/guancesim"
	"github.com/fixproof/fixproof/internal/sim/jirasim"
	"github.com/fixproof/fixproof/internal/sim/sentrysim"
)

// agents records the User-Agent of the requests a handler serves.
type agents struct {
	mu   sync.Mutex
	seen map[string]bool
}

func (a *agents) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		a.seen[r.UserAgent()] = true
		a.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

// services starts the four simulators and returns settings that reach
// them with the credentials they accept.
func services(t *testing.T) (Settings, map[string]*agents) {
	t.Helper()
	serve := func(h http.Handler) (string, *agents) {
		a := &agents{seen: map[string]bool{}}
		ts := httptest.NewServer(a.wrap(h))
		t.Cleanup(ts.Close)
		return ts.URL, a
	}
	js := jirasim.New(jirasim.Options{Flavor: jirasim.Cloud, Email: "bot@acme.io", APIToken: "jira-token"})
	js.AddProject("OPS", "Operations", jirasim.DefaultWorkflow())
	if err := js.AddIssue("OPS-1", "Checkout fails", "Open"); err != nil {
		t.Fatal(err)
	}
	ss := sentrysim.New(sentrysim.Options{Token: "sentry-token", Org: "acme"})
	ss.AddIssue(sentrysim.Issue{ID: "4711", Project: "shop"})
	gs := guancesim.New(guancesim.Options{APIKey: "guance-key"})
	hs := githubsim.New(githubsim.Options{Token: "github-token"})
	hs.AddPullRequest("acme", "shop", githubsim.PullRequest{Number: 7, Title: "Fix OPS-1", HeadRefName: "fix/OPS-1", BaseRefName: "main"})

	seen := map[string]*agents{}
	var s Settings
	s.UserAgent = "fixproof-test/1.0"
	s.Jira.BaseURL, seen["jira"] = serve(js.Handler())
	s.Jira.Email, s.Jira.APIToken = "bot@acme.io", "jira-token"
	s.Sentry.BaseURL, seen["sentry"] = serve(ss.Handler())
	s.Sentry.Token, s.Sentry.Org = "sentry-token", "acme"
	s.Guance.BaseURL, seen["guance"] = serve(gs.Handler())
	s.Guance.APIKey = "guance-key"
	gh, a := serve(hs.Handler())
	seen["github"] = a
	s.GitHub = GitHubSettings{Token: "github-token", GraphQLURL: gh + "/graphql", APIURL: gh}
	return s, seen
}

// each calls every client built from s once, and returns what failed.
func each(ctx context.Context, s Settings, hc *http.Client) map[string]error {
	errs := map[string]error{}
	if jc, err := Jira(s, hc); err != nil {
		errs["jira"] = err
	} else if _, _, err := jc.Search(ctx, []string{"OPS-1"}); err != nil {
		errs["jira"] = err
	}
	if sc, err := Sentry(s, hc); err != nil {
		errs["sentry"] = err
	} else if _, err := sc.Issue(ctx, "4711"); err != nil {
		errs["sentry"] = err
	}
	if gc, err := Guance(s, hc); err != nil {
		errs["guance"] = err
	} else if _, err := gc.Channels(ctx); err != nil {
		errs["guance"] = err
	}
	if _, err := GitHub(s, hc).Fetch(ctx, "acme/shop", 7); err != nil {
		errs["github"] = err
	}
	if dc, err := Deployments(s, hc); err != nil {
		errs["github deployments"] = err
	} else if _, _, _, err := dc.FirstDeploy(ctx, "acme/shop", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b", "production", time.Time{}); err != nil {
		errs["github deployments"] = err
	}
	if pc, err := PRComments(s, hc); err != nil {
		errs["github rest"] = err
	} else if _, err := pc.Upsert(ctx, "acme/shop", 7, "test", "hello"); err != nil {
		errs["github rest"] = err
	}
	return errs
}

func TestEveryClientReachesItsServiceWithTheSettingsCredentials(t *testing.T) {
	s, seen := services(t)
	for name, err := range each(t.Context(), s, HTTP(HTTPOptions{Timeout: 10 * time.Second})) {
		t.Errorf("%s: %v", name, err)
	}
	for _, name := range []string{"jira", "sentry", "guance"} {
		if a := seen[name]; !a.seen[s.UserAgent] {
			t.Errorf("%s saw user agents %v, want %q", name, a.seen, s.UserAgent)
		}
	}
}

func TestEveryClientSendsTheCredentialsOfItsOwnSettings(t *testing.T) {
	good, _ := services(t)
	for name, spoil := range map[string]func(*Settings){
		"jira":        func(s *Settings) { s.Jira.APIToken = "wrong" },
		"sentry":      func(s *Settings) { s.Sentry.Token = "wrong" },
		"guance":      func(s *Settings) { s.Guance.APIKey = "wrong" },
		"github":      func(s *Settings) { s.GitHub.Token = "wrong" },
		"github rest": func(s *Settings) { s.GitHub.Token = "wrong" },
	} {
		s := good
		spoil(&s)
		if errs := each(t.Context(), s, HTTP(HTTPOptions{Policy: noRetry})); errs[name] == nil {
			t.Errorf("%s: a wrong credential in the settings was accepted", name)
		}
	}
}

var noRetry = retry.Policy{Attempts: 1}

func TestHTTPRetriesWithThePolicyAndTellsOnRetry(t *testing.T) {
	var mu sync.Mutex
	tries := 0
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if tries++; tries == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer ts.Close()
	var retried []string
	hc := HTTP(HTTPOptions{
		Policy:  retry.Policy{Attempts: 2, Sleep: func(context.Context, time.Duration) error { return nil }},
		OnRetry: func(_ *http.Request, d retry.Decision) { retried = append(retried, d.Reason) },
	})
	resp, err := hc.Get(ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || tries != 2 || len(retried) != 1 {
		t.Errorf("status %d after %d tries, retries told %q; want 200 after 2, one retry told", resp.StatusCode, tries, retried)
	}
}

func TestHTTPWithoutAPolicyUsesTheDefault(t *testing.T) {
	tr, ok := HTTP(HTTPOptions{}).Transport.(*retry.Transport)
	if !ok {
		t.Fatalf("transport %T, want the retry transport", HTTP(HTTPOptions{}).Transport)
	}
	def := retry.Default()
	if p := tr.Policy; p.Attempts != def.Attempts || p.Base != def.Base || p.Max != def.Max || p.MaxWait != def.MaxWait {
		t.Errorf("policy %+v, want retry.Default() %+v", p, def)
	}
}
