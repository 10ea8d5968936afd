package preflight

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/fixproof/fixproof/internal/botconfig"
	"github.com/fixproof/fixproof/internal/contract"
	"github.com/fixproof/fixproof/internal/githubapp"
	"github.com/fixproof/fixproof/internal/guance"
	"github.com/fixproof/fixproof/internal/jira"
	"github.com/fixproof/fixproof/internal/sentry"
	"github.com/fixproof/fixproof/internal/sim/guancesim"
	"github.com/fixproof/fixproof/internal/sim/jirasim"
	"github.com/fixproof/fixproof/internal/sim/sentrysim"
	"github.com/google/go-github/v75/github"
)

func TestTargetsAreEachProjectAndIssueTypeOnceWithTheirComponents(t *testing.T) {
	cfg := botconfig.Default()
	cfg.Jira.Project = "OPS"
	cfg.Routes = []botconfig.Route{
		{Project: "PAY", IssueType: "Incident", Components: []string{"API"}},
		{Components: []string{"Web"}},                                       // OPS Bug
		{Project: "PAY", IssueType: "incident", Components: []string{"DB"}}, // the same as routes[0]
		{IssueType: "Task"},
	}
	want := []target{
		{Project: "OPS", IssueType: "Bug", Components: []string{"Web"}, ProjectKey: "jira.project", TypeKey: "jira.issue_type", ComponentsKey: "routes[1].components"},
		{Project: "PAY", IssueType: "Incident", Components: []string{"API", "DB"}, ProjectKey: "routes[0].project", TypeKey: "routes[0].issue_type", ComponentsKey: "routes[0].components, routes[2].components"},
		{Project: "OPS", IssueType: "Task", ProjectKey: "jira.project", TypeKey: "routes[3].issue_type", ComponentsKey: "routes[3].components"},
	}
	if got := targets(cfg); !reflect.DeepEqual(got, want) {
		t.Errorf("targets\n%+v\nwant\n%+v", got, want)
	}
}

func TestScreenProblemsAreWhatWouldFailTheBotsCreates(t *testing.T) {
	screen := []jira.CreateField{
		{ID: "summary", Name: "Summary", Required: true}, {ID: "issuetype", Name: "Issue Type", Required: true},
		{ID: "project", Name: "Project", Required: true}, {ID: "description", Name: "Description"},
		{ID: "labels", Name: "Labels"}, {ID: "components", Name: "Components", Allowed: []string{"API", "Web"}},
		{ID: "priority", Name: "Priority", Required: true, HasDefault: true},
	}
	without := func(id string) []jira.CreateField {
		var out []jira.CreateField
		for _, f := range screen {
			if f.ID != id {
				out = append(out, f)
			}
		}
		return out
	}
	for _, tt := range []struct {
		name   string
		fields []jira.CreateField
		t      target
		want   []string
	}{
		{"all there", screen, target{}, nil},
		{"components the project has, in any case", screen, target{Components: []string{"api", "Web"}}, nil},
		{"no labels", without("labels"), target{}, []string{"the create screen lacks labels, which the bot sets: add it to the screen"}},
		{"no components, unused", without("components"), target{}, nil},
		{"no components, used", without("components"), target{Components: []string{"API"}, ComponentsKey: "routes[0].components"},
			[]string{"the create screen lacks components, which the bot sets: add it to the screen"}},
		{"an unknown component", screen, target{Components: []string{"APi", "Mobile", "Mobile"}, ComponentsKey: "routes[0].components"},
			[]string{`no component "Mobile" (routes[0].components); the project has API, Web`}},
		{"a required custom field", append(screen, jira.CreateField{ID: "customfield_10010", Name: "Team", Required: true}), target{},
			[]string{"Team (customfield_10010) is required and the bot does not set it: give it a default value or make it optional"}},
		{"a required field with a default", append(screen, jira.CreateField{ID: "customfield_10011", Name: "Severity", Required: true, HasDefault: true}), target{}, nil},
	} {
		if got := screenProblems(tt.fields, tt.t); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestUpIsPerServiceContactedAndAWarningPasses(t *testing.T) {
	got := Up([]Result{
		{Service: "jira", Status: OK}, {Service: "jira", Status: Fail},
		{Service: "sentry", Status: OK}, {Service: "sentry", Status: Warn},
		{Service: "guance", Status: Skip},
		{Service: "webhooks", Status: Fail},
	})
	if want := map[string]bool{"jira": false, "sentry": true}; !reflect.DeepEqual(got, want) {
		t.Errorf("Up = %v, want %v", got, want)
	}
}

func TestRefusalsSayWhatToFix(t *testing.T) {
	j := botconfig.Jira{BaseURL: "https://acme.atlassian.net"}
	for _, tt := range []struct {
		got, want string
	}{
		{jiraRefusal(j, &jira.APIError{Op: "myself", Status: 401}), "Jira refuses jira.email and jira.api_token (401): check them"},
		{jiraRefusal(botconfig.Jira{PAT: "p"}, &jira.APIError{Op: "myself", Status: 403}), "Jira refuses jira.pat (403)"},
		{jiraRefusal(j, &jira.APIError{Op: "myself", Status: 404}), "https://acme.atlassian.net has no Jira REST API (404 for /myself): check jira.base_url"},
		{jiraRefusal(j, errors.New("dial tcp: connection refused")), "cannot reach Jira: dial tcp: connection refused: check jira.base_url and the network"},
		{sentryRefusal(botconfig.Sentry{Org: "acme"}, &sentry.APIError{Status: 401}), "Sentry refuses sentry.token (401)"},
		{sentryRefusal(botconfig.Sentry{Org: "acme"}, &sentry.APIError{Status: 403}), "sentry.token cannot read the organization acme (403): check sentry.org (its slug) and that the token has org:read"},
		{guanceRefusal(&guance.APIError{Status: 401, Code: guance.CodeInvalidAPIKey}), "Guance refuses guance.api_key (401): check it"},
	} {
		if !strings.HasPrefix(tt.got, tt.want) {
			t.Errorf("%q\nwant it to start %q", tt.got, tt.want)
		}
	}
}

// world is the three services, simulated, and a configuration that
// reaches them.
type world struct {
	cfg    botconfig.Config
	jira   *jirasim.Server
	sentry *sentrysim.Server
	guance *guancesim.Server
	hc     *http.Client
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{cfg: botconfig.Default()}
	w.jira = jirasim.New(jirasim.Options{Email: "bot@acme.io", APIToken: "jira-tok", Account: jirasim.User{DisplayName: "Fixproof Bot"}})
	w.jira.AddProject("OPS", "Operations", jirasim.DefaultWorkflow())
	w.jira.AddProject("PAY", "Payments", jirasim.DefaultWorkflow())
	if err := w.jira.SetComponents("PAY", "API"); err != nil {
		t.Fatal(err)
	}
	w.sentry = sentrysim.New(sentrysim.Options{Token: "sentry-tok", Org: "acme"})
	w.guance = guancesim.New(guancesim.Options{APIKey: "guance-key", Workspace: "wksp_acme"})
	w.guance.AddChannel("ops")
	serve := func(h http.Handler) string {
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		return srv.URL
	}
	jiraURL, sentryURL, guanceURL := serve(w.jira.Handler()), serve(w.sentry.Handler()), serve(w.guance.Handler())
	c := &w.cfg
	c.Jira.BaseURL, c.Jira.Email, c.Jira.APIToken, c.Jira.Project = jiraURL, "bot@acme.io", "jira-tok", "OPS"
	c.Sentry.BaseURL, c.Sentry.Org, c.Sentry.Token, c.Sentry.Installation = sentryURL, "acme", "sentry-tok", sentrysim.DefaultInstallation
	c.Sentry.ClientSecret = "whsec"
	c.Guance.BaseURL, c.Guance.APIKey, c.Guance.Workspace, c.Guance.Channels = guanceURL, "guance-key", "wksp_acme", []string{"ops"}
	c.Jira.WebhookSecret, c.Alertmanager.Token = "hook", "am"
	c.Routes = []botconfig.Route{{Match: botconfig.Match{Source: "alertmanager"}, Project: "PAY", IssueType: "Incident", Components: []string{"API"}}}

	w.hc = &http.Client{Transport: http.DefaultTransport}
	if _, ok := contract.Dir(); ok {
		jiraHost, sentryHost := strings.TrimPrefix(jiraURL, "http://"), strings.TrimPrefix(sentryURL, "http://")
		jc, sc := contract.JiraSpec(t).Transport(t, nil), contract.SentrySpec(t).Transport(t, nil)
		w.hc.Transport = roundTripFunc(func(r *http.Request) (*http.Response, error) {
			switch r.URL.Host {
			case jiraHost:
				return jc.RoundTrip(r)
			case sentryHost:
				return sc.RoundTrip(r)
			}
			return http.DefaultTransport.RoundTrip(r)
		})
	}
	return w
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// run checks the world's configuration with real clients.
func (w *world) run(t *testing.T) []Result {
	t.Helper()
	c := w.cfg
	jc, err := jira.New(jira.Config{BaseURL: c.Jira.BaseURL, Email: c.Jira.Email, APIToken: c.Jira.APIToken, HTTPClient: w.hc})
	if err != nil {
		t.Fatal(err)
	}
	s := Services{Jira: jc}
	if c.Sentry.Token != "" {
		sc, err := sentry.New(sentry.Config{BaseURL: c.Sentry.BaseURL, Token: c.Sentry.Token, Org: c.Sentry.Org, HTTPClient: w.hc})
		if err != nil {
			t.Fatal(err)
		}
		s.Sentry = sc
	}
	if c.Guance.APIKey != "" {
		gc, err := guance.New(guance.Config{BaseURL: c.Guance.BaseURL, APIKey: c.Guance.APIKey, HTTPClient: w.hc})
		if err != nil {
			t.Fatal(err)
		}
		s.Guance = gc
	}
	return Run(context.Background(), c, s)
}

func lines(rs []Result) string {
	var b strings.Builder
	for _, r := range rs {
		b.WriteString(r.Status.String() + " " + r.Service + ": " + r.Msg + "\n")
	}
	return b.String()
}

// A configuration the services agree with passes every check, each saying
// what it found.
func TestAConfigTheServicesAgreeWithPassesEveryCheck(t *testing.T) {
	w := newWorld(t)
	got := lines(w.run(t))
	want := "ok jira: " + w.cfg.Jira.BaseURL + " accepts the credentials of Fixproof Bot (5b10ac8d82e05b22cc7d4ef5)\n" +
		"ok jira: the account may create Bug in OPS with summary, description, labels\n" +
		"ok jira: the account may create Incident in PAY with summary, description, labels, components\n" +
		"ok sentry: sentry.token reads the organization acme (acme)\n" +
		"ok sentry: sentry.installation " + sentrysim.DefaultInstallation + " is the installed app fixproof\n" +
		"ok guance: guance.api_key belongs to the workspace wksp_acme (2 channels)\n" +
		"skip github: github.app_id is unset: the bot is not a GitHub App\n" +
		"ok webhooks: POST /webhooks/sentry checks signatures with sentry.client_secret\n" +
		"skip webhooks: sentry.legacy_token is unset: POST /webhooks/sentry/legacy refuses every delivery\n" +
		"ok webhooks: POST /webhooks/alertmanager takes Authorization: Bearer <alertmanager.token>\n" +
		"skip webhooks: github.webhook_secret is unset: POST /webhooks/github refuses every delivery of the GitHub App\n" +
		"ok webhooks: POST /webhooks/jira checks signatures with jira.webhook_secret\n"
	if got != want {
		t.Errorf("checks\n%s\nwant\n%s", got, want)
	}
}

// Each thing the services disagree with fails its check, saying what to
// fix; a service that fails does not stop the others being checked.
func TestEachDisagreementFailsItsCheckSayingWhatToFix(t *testing.T) {
	for _, tt := range []struct {
		name  string
		setup func(t *testing.T, w *world)
		want  string
	}{
		{"jira token", func(t *testing.T, w *world) { w.cfg.Jira.APIToken = "expired" },
			"FAIL jira: Jira refuses jira.email and jira.api_token (401): check them (Jira Cloud takes an email and an API token, Data Center a personal access token)\nok sentry:"},
		{"project", func(t *testing.T, w *world) { w.cfg.Jira.Project = "OPZ" },
			"FAIL jira: project OPZ (jira.project) does not exist, or the account may not create issues in it (400): check the key and the account's Create issues permission\n"},
		{"issue type", func(t *testing.T, w *world) { w.cfg.Routes[0].IssueType = "Incidnt" },
			`FAIL jira: project PAY has no issue type "Incidnt" the account may create (routes[0].issue_type): use one of Bug, Task, Incident` + "\n"},
		{"component", func(t *testing.T, w *world) { w.cfg.Routes[0].Components = []string{"Api", "Mobile"} },
			`FAIL jira: Incident in PAY: no component "Mobile" (routes[0].components); the project has API` + "\n"},
		{"screen", func(t *testing.T, w *world) {
			if err := w.jira.HideCreateField("OPS", "labels"); err != nil {
				t.Fatal(err)
			}
			if err := w.jira.AddRequiredField("OPS", "customfield_10010", "Team"); err != nil {
				t.Fatal(err)
			}
		}, "FAIL jira: Bug in OPS: the create screen lacks labels, which the bot sets: add it to the screen; Team (customfield_10010) is required and the bot does not set it: give it a default value or make it optional\n"},
		{"sentry org", func(t *testing.T, w *world) { w.cfg.Sentry.Org = "acme-inc" },
			"FAIL sentry: sentry.token cannot read the organization acme-inc (403): check sentry.org (its slug) and that the token has org:read\nok guance:"},
		{"sentry installation", func(t *testing.T, w *world) { w.cfg.Sentry.Installation = "01635075-3a0e-4f96-8fc8-ff9680780a13" },
			"FAIL sentry: sentry.installation 01635075-3a0e-4f96-8fc8-ff9680780a13 is not installed in acme: use one of " + sentrysim.DefaultInstallation + " (fixproof)\n"},
		{"installation without a token", func(t *testing.T, w *world) { w.cfg.Sentry.Token = "" },
			"FAIL sentry: sentry.installation is set but sentry.token is not: the bot needs the installation's token to link Sentry issues to Jira\n"},
		{"guance key", func(t *testing.T, w *world) { w.cfg.Guance.APIKey = "wrong" },
			"FAIL guance: Guance refuses guance.api_key (403): check it, and that guance.base_url is its region's endpoint\n"},
		{"guance workspace and channel", func(t *testing.T, w *world) {
			w.cfg.Guance.Workspace, w.cfg.Guance.Channels = "wksp_prod", []string{"ops", "payments"}
		}, `FAIL guance: guance.api_key belongs to the workspace wksp_acme, not guance.workspace "wksp_prod": set guance.workspace to it (it names the fingerprints); no channel "payments" (guance.channels); the workspace has default, ops` + "\n"},
		{"jira webhook secret", func(t *testing.T, w *world) { w.cfg.Jira.WebhookSecret = "" },
			"warn webhooks: jira.webhook_secret is unset: POST /webhooks/jira refuses every delivery, so Jira's comments reach Sentry and Guance only through reconcile\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			tt.setup(t, w)
			got := lines(w.run(t))
			if !strings.Contains(got, tt.want) {
				t.Errorf("checks\n%s\ndo not say\n%s", got, tt.want)
			}
		})
	}
}

// fakeApp answers the GitHub App check.
type fakeApp struct {
	insts []githubapp.Installation
	err   error
}

func (f fakeApp) Installations(context.Context) ([]githubapp.Installation, error) {
	return f.insts, f.err
}

// The GitHub App check says whether GitHub takes the app's key and where
// the app is installed.
func TestTheGitHubAppCheckSaysWhereItIsInstalledOrWhatToFix(t *testing.T) {
	on := botconfig.GitHub{AppID: 91234, APIURL: "https://api.github.com"}
	refused := &github.ErrorResponse{Response: &http.Response{StatusCode: http.StatusUnauthorized}, Message: "A JSON web token could not be decoded"}
	for _, tt := range []struct {
		name   string
		cfg    botconfig.GitHub
		gh     GitHub
		status Status
		msg    string
	}{
		{"not an app", botconfig.GitHub{}, nil, Skip, "github.app_id is unset"},
		{"a key GitHub refuses", on, fakeApp{err: refused}, Fail, "GitHub refused the app's token (401): check github.app_id"},
		{"GitHub unreachable", on, fakeApp{err: errors.New("dial tcp: connection refused")}, Fail, "cannot reach GitHub: dial tcp: connection refused: check github.api_url"},
		{"installed nowhere", on, fakeApp{}, Warn, "app 91234 is installed nowhere"},
		{"installed", on, fakeApp{insts: []githubapp.Installation{{ID: 1, Account: "acme", Selection: "all"}}}, OK, "app 91234 is installed on acme (all repositories)"},
	} {
		got := checkGitHub(context.Background(), tt.cfg, tt.gh)
		if len(got) != 1 || got[0].Status != tt.status || !strings.HasPrefix(got[0].Msg, tt.msg) || got[0].Service != "github" {
			t.Errorf("%s: %+v, want %s %q", tt.name, got, tt.status, tt.msg)
		}
	}
}
