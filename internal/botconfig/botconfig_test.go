package botconfig

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/clients"
)

func write(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "fixproof.yml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

const minimal = `
jira:
  base_url: https://acme.atlassian.net
  email: bot@acme.io
  api_token: tok
  project: OPS
sentry:
  org: acme
  client_secret: s3cret
`

func TestMinimalConfigGetsDefaults(t *testing.T) {
	c, err := Load(write(t, minimal), env())
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != ":8080" || c.Store != "sqlite://fixproof.db" || c.Jira.IssueType != "Bug" || c.Jira.ReopenWindow.D() != 168*time.Hour ||
		c.Workers != 4 || c.UpdateEvery.D() != time.Minute || c.Sentry.BaseURL != "https://sentry.io" {
		t.Errorf("defaults not applied: %+v", c)
	}
}

func TestEnvironmentOverridesEveryKey(t *testing.T) {
	c, err := Load(write(t, minimal), env(
		"FIXPROOF_JIRA_API_TOKEN", "from-env",
		"FIXPROOF_LISTEN", ":9090",
		"FIXPROOF_JIRA_REOPEN_WINDOW", "7d",
		"FIXPROOF_JIRA_LABELS", "a, b",
		"FIXPROOF_ESCALATION_THRESHOLDS", "10,100",
		"FIXPROOF_WORKERS", "8",
	))
	if err != nil {
		t.Fatal(err)
	}
	if c.Jira.APIToken != "from-env" || c.Listen != ":9090" || c.Jira.ReopenWindow.D() != 7*24*time.Hour ||
		strings.Join(c.Jira.Labels, "|") != "a|b" || len(c.Escalation.Thresholds) != 2 || c.Workers != 8 {
		t.Errorf("environment not applied: %+v", c)
	}
}

func TestSecretsComeFromFiles(t *testing.T) {
	dir := t.TempDir()
	tok := filepath.Join(dir, "token")
	_ = os.WriteFile(tok, []byte("file-token\n"), 0o600)
	cfg := strings.Replace(minimal, "  api_token: tok\n", "  api_token_file: "+tok+"\n", 1)
	c, err := Load(write(t, cfg), env())
	if err != nil || c.Jira.APIToken != "file-token" {
		t.Fatalf("api_token_file: %q %v", c.Jira.APIToken, err)
	}
	secret := filepath.Join(dir, "secret")
	_ = os.WriteFile(secret, []byte("am-token"), 0o600)
	c, err = Load(write(t, minimal), env("FIXPROOF_ALERTMANAGER_TOKEN_FILE", secret))
	if err != nil || c.Alertmanager.Token != "am-token" {
		t.Fatalf("FIXPROOF_ALERTMANAGER_TOKEN_FILE: %q %v", c.Alertmanager.Token, err)
	}
	if got := c.Secrets(); len(got) != 3 {
		t.Errorf("secrets %q", got)
	}
}

func TestBadConfigNamesFileAndKey(t *testing.T) {
	tests := []struct {
		name, yaml string
		env        []string
		want       []string
	}{
		{"unknown key", minimal + "jira_url: x\n", nil, []string{"fixproof.yml:10: jira_url: unknown key; the keys of the top level are listen, store,"}},
		{"no base url", strings.Replace(minimal, "  base_url: https://acme.atlassian.net\n", "", 1), nil, []string{"fixproof.yml:2: jira.base_url: required"}},
		{"bad project", strings.Replace(minimal, "project: OPS", "project: ops-team", 1), nil, []string{"fixproof.yml:6: jira.project: \"ops-team\""}},
		{"bad store", minimal + "store: mysql://x\n", nil, []string{"fixproof.yml:10: store: \"mysql://x\""}},
		{"bad duration", minimal + "update_every: soon\n", nil, []string{"fixproof.yml:10: update_every: \"soon\" is not a duration like 90s, 1h or 7d"}},
		{"no alert source", strings.Replace(minimal, "  client_secret: s3cret\n", "", 1), nil, []string{"fixproof.yml:7: sentry.client_secret: no alert source is configured"}},
		{"thresholds must increase", minimal + "escalation: {thresholds: [100, 10]}\n", nil, []string{"fixproof.yml:10: escalation.thresholds[1]: 10"}},
		{"silence without matchers", minimal + "silences: [{until: 2030-01-01T00:00:00Z}]\n", nil, []string{"fixproof.yml:10: silences[0].matchers: required"}},
		{"bad scrub pattern", minimal + "scrub: {extra: ['(']}\n", nil, []string{"fixproof.yml:10: scrub.extra[0]"}},
		{"bad route source", minimal + "routes: [{match: {source: prometheus}}]\n", nil, []string{"fixproof.yml:10: routes[0].match.source: \"prometheus\": use sentry, alertmanager or guance"}},
		{"bad env value", minimal, []string{"FIXPROOF_WORKERS", "many"}, []string{"FIXPROOF_WORKERS: workers: \"many\""}},
		{"bad value from the env", minimal, []string{"FIXPROOF_WORKERS", "0"}, []string{"FIXPROOF_WORKERS: workers: 0: between 1 and 256"}},
		{"bad verify_from", minimal + "dashboard: {verify_from: release}\n", nil, []string{"fixproof.yml:10: dashboard.verify_from: \"release\": use auto, deploy or merge"}},
		{"bad rate_basis", minimal + "dashboard: {rate_basis: users}\n", nil, []string{"fixproof.yml:10: dashboard.rate_basis: \"users\""}},
		{"sessions in half-hour windows", minimal + "dashboard: {rate_basis: sessions, verify_window: 30m}\n", nil, []string{"fixproof.yml:10: dashboard.rate_basis: sessions needs a verify_window"}},
		{"ratios the wrong way round", minimal + "dashboard: {max_rate_ratio: 0.8, fail_rate_ratio: 0.5}\n", nil, []string{"fixproof.yml:10: dashboard: ", "fail_rate_ratio must be above max_rate_ratio"}},
		{"page reloading too fast", minimal + "dashboard: {page_refresh: 1s}\n", nil, []string{"fixproof.yml:10: dashboard.page_refresh: 1s: use 5s or more"}},
		{"keeping fresh too often", minimal + "dashboard: {keep_fresh: 10s}\n", nil, []string{"fixproof.yml:10: dashboard.keep_fresh: 10s: use 1m or more"}},
		{"too many loops", minimal + "dashboard: {max_loops: 20000}\n", nil, []string{"fixproof.yml:10: dashboard.max_loops: 20000: use 1 to 10000"}},
		{"GitHub site with a path", minimal + "dashboard: {github_url: https://github.example.com/api/v3}\n", nil, []string{"fixproof.yml:10: dashboard.github_url: base URL \"https://github.example.com/api/v3\": give the site pull requests are on (without /api/v3)"}},
		{"GitHub site without a scheme", minimal + "dashboard: {github_url: github.example.com}\n", nil, []string{"fixproof.yml:10: dashboard.github_url: \"github.example.com\""}},
		{"missing secret file", strings.Replace(minimal, "  api_token: tok\n", "  api_token_file: /nonexistent/tok\n", 1), nil, []string{"fixproof.yml:5: jira.api_token_file: open /nonexistent/tok"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := write(t, tt.yaml)
			_, err := Load(path, env(tt.env...))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if !strings.Contains(err.Error(), "fixproof.yml") && tt.env == nil {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
}

// TestAutoResolveFallsBackToJiraStatusDone: a route that resolves
// automatically needs no status_done of its own (the bot then uses
// jira.status_done), and Guance is a source a route can match.
func TestAutoResolveFallsBackToJiraStatusDone(t *testing.T) {
	c, err := Load(write(t, minimal+"routes: [{match: {source: alertmanager}, auto_resolve: true}, {match: {source: guance}, project: WEB}]\n"), env())
	if err != nil {
		t.Fatalf("auto_resolve without status_done: %v", err)
	}
	if r := c.Routes[0]; !r.AutoResolve || len(r.StatusDone) != 0 {
		t.Errorf("route %+v", r)
	}
}

func TestEnvironmentOnlyConfig(t *testing.T) {
	c, err := Load("", env("FIXPROOF_JIRA_BASE_URL", "https://x.atlassian.net", "FIXPROOF_JIRA_PAT", "p",
		"FIXPROOF_JIRA_PROJECT", "OPS", "FIXPROOF_ALERTMANAGER_TOKEN", "t"))
	if err != nil || c.Jira.PAT != "p" {
		t.Fatalf("%+v %v", c, err)
	}
}

// The example config documents every key: it must load (with the
// credentials it leaves empty filled in) and name every key the code reads.
func TestExampleConfigHasEveryKeyAndLoads(t *testing.T) {
	raw, err := os.ReadFile("../../fixproof.example.yml")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Load("../../fixproof.example.yml", env("FIXPROOF_JIRA_API_TOKEN", "t", "FIXPROOF_SENTRY_CLIENT_SECRET", "s"))
	if err != nil {
		t.Fatalf("the example does not load: %v", err)
	}
	var missing []string
	var walk func(tp reflect.Type, prefix string)
	walk = func(tp reflect.Type, prefix string) {
		for i := 0; i < tp.NumField(); i++ {
			f := tp.Field(i)
			tag := strings.Split(f.Tag.Get("yaml"), ",")[0]
			if tag == "" {
				continue
			}
			if !strings.Contains(string(raw), tag+":") {
				missing = append(missing, prefix+tag)
			}
			ft := f.Type
			if ft.Kind() == reflect.Slice {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct && ft != reflect.TypeOf(time.Time{}) {
				walk(ft, prefix+tag+".")
			}
		}
	}
	walk(reflect.TypeOf(Config{}), "")
	if len(missing) > 0 {
		t.Errorf("fixproof.example.yml does not document %v", missing)
	}
}

// The settings the clients use are checked with the clients' own rules
// (base URLs, Jira credentials, the organization slug), with messages
// that name the file and the key and never repeat a password.
func TestClientSettingsAreCheckedWithTheClientsRules(t *testing.T) {
	guanceOn := minimal + "guance:\n  api_key: k\n  workspace: wksp_1\n"
	for _, tt := range []struct {
		name, yaml, want string
	}{
		{"jira not a URL", strings.Replace(minimal, "https://acme.atlassian.net", "acme.atlassian.net", 1), `fixproof.yml:3: jira.base_url: "acme.atlassian.net" is not an http(s) URL`},
		{"jira API root", strings.Replace(minimal, "https://acme.atlassian.net", "https://acme.atlassian.net/rest/api/2", 1), `fixproof.yml:3: jira.base_url: base URL "https://acme.atlassian.net/rest/api/2": give the site (without /rest/api)`},
		{"jira with a password", strings.Replace(minimal, "https://acme.atlassian.net", "https://bot:s3cret-pw@acme.atlassian.net", 1), "fixproof.yml:3: jira.base_url: base URL must not carry credentials"},
		{"both kinds of credentials", strings.Replace(minimal, "  api_token: tok\n", "  api_token: tok\n  pat: p\n", 1), "fixproof.yml:6: jira.pat: set either jira.email + jira.api_token (Cloud) or jira.pat (Data Center), not both"},
		{"token without email", strings.Replace(minimal, "  email: bot@acme.io\n", "", 1), "fixproof.yml:4: jira.api_token: Jira Cloud needs both jira.email and jira.api_token"},
		{"email without token", strings.Replace(minimal, "  api_token: tok\n", "", 1), "fixproof.yml:2: jira.api_token: Jira Cloud needs both jira.email and jira.api_token"},
		{"no credentials", strings.Replace(strings.Replace(minimal, "  api_token: tok\n", "", 1), "  email: bot@acme.io\n", "", 1), "fixproof.yml:2: jira.api_token: no Jira credentials"},
		{"sentry emptied", minimal + "  base_url: ''\n", `fixproof.yml:10: sentry.base_url: "" is not an http(s) URL`},
		{"sentry API root", minimal + "  base_url: https://sentry.example.com/api/0/\n", `fixproof.yml:10: sentry.base_url: base URL "https://sentry.example.com/api/0/": give the site (without /api/0)`},
		{"sentry org", strings.Replace(minimal, "org: acme", "org: Acme", 1), `fixproof.yml:8: sentry.org: "Acme" is not a Sentry organization slug`},
		{"guance API root", guanceOn + "  base_url: https://openapi.guance.com/api/v1\n", `fixproof.yml:13: guance.base_url: base URL "https://openapi.guance.com/api/v1": give the endpoint (without /api/v1)`},
		{"guance not a URL", guanceOn + "  base_url: openapi.guance.com\n", `fixproof.yml:13: guance.base_url: "openapi.guance.com" is not an http(s) URL`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(write(t, tt.yaml), env())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want it to contain %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "s3cret-pw") {
				t.Errorf("error %q repeats the password", err)
			}
		})
	}
}

// Zero is a duration for the bot (it turns reconcile and the age limit of
// Sentry deliveries off), in every spelling; a number of days too large
// to hold is not.
func TestZeroIsADurationAndTooManyDaysIsNot(t *testing.T) {
	for _, zero := range []string{"0", "0s", "0d"} {
		c, err := Load(write(t, minimal+"reconcile: {interval: "+zero+"}\n"), env("FIXPROOF_SENTRY_MAX_AGE", zero))
		if err != nil || c.Reconcile.Interval != 0 || c.Sentry.MaxAge != 0 {
			t.Errorf("%s: reconcile.interval %s, sentry.max_age %s, %v; want both off", zero, c.Reconcile.Interval.D(), c.Sentry.MaxAge.D(), err)
		}
	}
	if _, err := Load(write(t, minimal+"mute_after_close: 200000d\n"), env()); err == nil || !strings.Contains(err.Error(), `"200000d" is not a duration like 90s, 1h or 7d`) {
		t.Errorf("200000d: %v", err)
	}
	if _, err := Load(write(t, minimal), env("FIXPROOF_JIRA_REOPEN_WINDOW", "200000d")); err == nil || !strings.Contains(err.Error(), `FIXPROOF_JIRA_REOPEN_WINDOW: jira.reopen_window: "200000d" is not a duration`) {
		t.Errorf("200000d from the environment: %v", err)
	}
}

func TestClientsCarriesEachServicesSettings(t *testing.T) {
	c, err := Load(write(t, minimal+"  token: sentry-tok\n  base_url: https://sentry.example.com\nguance:\n  api_key: gk\n  workspace: w\n  base_url: https://us1-openapi.guance.com\n"), env())
	if err != nil {
		t.Fatal(err)
	}
	want := clients.Settings{
		UserAgent: "fixproof-bot/1.2.3",
		Jira:      clients.JiraSettings{BaseURL: "https://acme.atlassian.net", Email: "bot@acme.io", APIToken: "tok"},
		Sentry:    clients.SentrySettings{BaseURL: "https://sentry.example.com", Token: "sentry-tok", Org: "acme"},
		Guance:    clients.GuanceSettings{BaseURL: "https://us1-openapi.guance.com", APIKey: "gk"},
	}
	if got := c.Clients("fixproof-bot/1.2.3"); got != want {
		t.Errorf("Clients =\n%+v\nwant\n%+v", got, want)
	}
}

// The dashboard's list settings are read as written; left out, they are
// zero, which the dashboard takes as its defaults.
func TestDashboardListSettingsAreRead(t *testing.T) {
	cfg, err := Load(write(t, minimal+"dashboard: {refresh_every: 1m, page_refresh: 10s, max_loops: 2000, github_url: https://github.example.com}\n"), env())
	if err != nil {
		t.Fatal(err)
	}
	d := cfg.Dashboard
	if d.RefreshEvery.D() != time.Minute || d.PageRefresh.D() != 10*time.Second || d.MaxLoops != 2000 || d.GitHubURL != "https://github.example.com" {
		t.Errorf("dashboard %+v", d)
	}
	cfg, err = Load(write(t, minimal), env())
	if err != nil {
		t.Fatal(err)
	}
	if d := cfg.Dashboard; d.RefreshEvery != 0 || d.PageRefresh != 0 || d.MaxLoops != 0 || d.GitHubURL != "" || d.KeepFresh.D() != 5*time.Minute {
		t.Errorf("defaults: %+v", d)
	}
}
