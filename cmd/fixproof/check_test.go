package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/sim/guancesim"
	"github.com/fixproof/fixproof/internal/sim/jirasim"
	"github.com/fixproof/fixproof/internal/sim/sentrysim"
)

// services are simulated Jira, Sentry and Guance, and the config of a bot
// that uses them.
type services struct {
	jira   *jirasim.Server
	sentry *sentrysim.Server
	guance *guancesim.Server
	urls   struct{ jira, sentry, guance string }
}

func newServices(t *testing.T) *services {
	t.Helper()
	s := &services{
		jira:   jirasim.New(jirasim.Options{Email: "bot@acme.io", APIToken: "jira-tok", Account: jirasim.User{DisplayName: "Fixproof Bot"}}),
		sentry: sentrysim.New(sentrysim.Options{Token: "sentry-tok", Org: "acme"}),
		guance: guancesim.New(guancesim.Options{APIKey: "guance-key", Workspace: "wksp_acme"}),
	}
	s.jira.AddProject("OPS", "Operations", jirasim.DefaultWorkflow())
	s.jira.AddProject("PAY", "Payments", jirasim.DefaultWorkflow())
	serve := func(h http.Handler) string {
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		return srv.URL
	}
	s.urls.jira, s.urls.sentry, s.urls.guance = serve(s.jira.Handler()), serve(s.sentry.Handler()), serve(s.guance.Handler())
	return s
}

// config writes the bot's config file for the services, with extra
// lines at the end.
func (s *services) config(t *testing.T, extra string) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "fixproof.yml")
	text := fmt.Sprintf(`listen: 127.0.0.1:0
store: sqlite://%s
jira:
  base_url: %s
  email: bot@acme.io
  api_token: jira-tok
  project: OPS
  webhook_secret: hook
sentry:
  base_url: %s
  org: acme
  token: sentry-tok
  installation: %s
  client_secret: whsec
guance:
  base_url: %s
  api_key: guance-key
  workspace: wksp_acme
alertmanager:
  token: am
`, filepath.Join(dir, "bot.db"), s.urls.jira, s.urls.sentry, sentrysim.DefaultInstallation, s.urls.guance) + extra
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// `fixproof bot check` prints one line per check and exits 0 when none
// fails.
func TestBotCheckPrintsALinePerCheck(t *testing.T) {
	s := newServices(t)
	cfg := s.config(t, "routes: [{match: {source: alertmanager}, project: PAY, issue_type: Incident}]\n")
	code, stdout, stderr := cliCmd(t, nil, "bot", "check", "--config", cfg)
	want := "ok    config    " + cfg + " is a valid config\n" +
		"ok    jira      " + s.urls.jira + " accepts the credentials of Fixproof Bot (5b10ac8d82e05b22cc7d4ef5)\n" +
		"ok    jira      the account may create Bug in OPS with summary, description, labels\n" +
		"ok    jira      the account may create Incident in PAY with summary, description, labels\n" +
		"ok    sentry    sentry.token reads the organization acme (acme)\n" +
		"ok    sentry    sentry.installation " + sentrysim.DefaultInstallation + " is the installed app fixproof\n" +
		"ok    guance    guance.api_key belongs to the workspace wksp_acme (1 channels)\n" +
		"skip  github    github.app_id is unset: the bot is not a GitHub App\n" +
		"ok    webhooks  POST /webhooks/sentry checks signatures with sentry.client_secret\n" +
		"skip  webhooks  sentry.legacy_token is unset: POST /webhooks/sentry/legacy refuses every delivery\n" +
		"ok    webhooks  POST /webhooks/alertmanager takes Authorization: Bearer <alertmanager.token>\n" +
		"skip  webhooks  github.webhook_secret is unset: POST /webhooks/github refuses every delivery of the GitHub App\n" +
		"ok    webhooks  POST /webhooks/jira checks signatures with jira.webhook_secret\n"
	if code != exitOK || stdout != want || stderr != "" {
		t.Errorf("exit %d, stderr %q, stdout\n%s\nwant 0 and\n%s", code, stderr, stdout, want)
	}
}

// A check that fails says what to fix on its line, the others are still
// tried, and the exit status is 1.
func TestBotCheckFailsOnWhatTheServicesRefuse(t *testing.T) {
	s := newServices(t)
	cfg := s.config(t, "routes: [{match: {source: alertmanager}, project: PAY, issue_type: Incidnt}]\n")
	code, stdout, stderr := cliCmd(t, map[string]string{"FIXPROOF_SENTRY_TOKEN": "expired"}, "bot", "check", "--config", cfg)
	for _, want := range []string{
		`FAIL  jira      project PAY has no issue type "Incidnt" the account may create (routes[0].issue_type): use one of Bug, Task, Incident` + "\n",
		"FAIL  sentry    Sentry refuses sentry.token (401): check it (an internal integration's token, or a personal one)\n",
		"ok    guance    guance.api_key belongs to the workspace wksp_acme (1 channels)\n",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks\n%s\n%s", want, stdout)
		}
	}
	if code != exitFailed || stderr != "fixproof: bot check: 2 of 11 checks failed\n" {
		t.Errorf("exit %d, stderr %q; want 1 and the count", code, stderr)
	}
}

// A config with problems is reported a problem a line, and no service is
// asked anything.
func TestBotCheckStopsAtAConfigWithProblems(t *testing.T) {
	s := newServices(t)
	cfg := s.config(t, "workers: many\nroutes: [{projct: PAY}]\n")
	code, stdout, stderr := cliCmd(t, nil, "bot", "check", "--config", cfg)
	want := "FAIL  config    " + cfg + `:21: workers: "many" is not a whole number, e.g. workers: 4` + "\n" +
		"FAIL  config    " + cfg + ":22: routes[0].projct: unknown key; did you mean routes[0].project?\n"
	if code != exitFailed || stdout != want || stderr != "fixproof: bot check: "+cfg+": 2 problems; the services were not tried\n" {
		t.Errorf("exit %d, stderr %q, stdout\n%s\nwant 1 and\n%s", code, stderr, stdout, want)
	}
	if n := s.jira.Control.Total() + s.sentry.Control.Total() + s.guance.Control.Total(); n != 0 {
		t.Errorf("%d requests to the services", n)
	}
}

// syncBuffer is a bytes.Buffer safe to read while the bot writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// At start the bot runs the same checks once: it serves whatever they
// say, logs a warning per failure and shows each service's result in
// fixproof_service_up.
func TestBotStartsWhateverItsChecksSayAndLogsEachFailure(t *testing.T) {
	s := newServices(t)
	addr := freeAddr(t)
	cfg := s.config(t, "")
	text, _ := os.ReadFile(cfg)
	if err := os.WriteFile(cfg, bytes.Replace(bytes.Replace(text, []byte("127.0.0.1:0"), []byte(addr), 1), []byte("project: OPS"), []byte("project: OPZ"), 1), 0o600); err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"bot", "--config", cfg}, func(string) string { return "" }, strings.NewReader(""), &logs, io.Discard)
	}()
	var metrics string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if res, err := http.Get("http://" + addr + "/metrics"); err == nil {
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if metrics = string(b); strings.Contains(metrics, `fixproof_service_up{service="guance"}`) {
				break
			}
		}
	}
	stop()
	if err := <-done; err != nil {
		t.Fatalf("the bot: %v\n%s", err, logs.String())
	}
	for _, want := range []string{`fixproof_service_up{service="jira"} 0`, `fixproof_service_up{service="sentry"} 1`, `fixproof_service_up{service="guance"} 1`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s:\n%s", want, metrics)
		}
	}
	want := `"level":"WARN","msg":"service check failed","service":"jira","problem":"project OPZ (jira.project) does not exist, or the account may not create issues in it (400): check the key and the account's Create issues permission"`
	if !strings.Contains(logs.String(), want) {
		t.Errorf("the log lacks\n%s\n%s", want, logs.String())
	}
}
