package botconfig

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeKey(t *testing.T) string {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 1024) // its size is not checked here
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "app.pem")
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// The GitHub App is off unless configured; configured, it needs its id,
// key and webhook secret, and its settings are the action's inputs.
func TestGitHubAppSettingsAreChecked(t *testing.T) {
	c, err := Load(write(t, minimal), env())
	if err != nil || c.GitHub.Enabled() {
		t.Fatalf("no github section: enabled %v, %v", c.GitHub.Enabled(), err)
	}
	key := writeKey(t)
	app := minimal + "github:\n  app_id: 91234\n  private_key_file: " + key + "\n  webhook_secret: hush\n  settings:\n    jira_projects: OPS,WEB\n"
	c, err = Load(write(t, app), env())
	if err != nil || !c.GitHub.Enabled() {
		t.Fatalf("a whole github section: %v", err)
	}
	s := c.AppSettings()
	if s["jira_projects"] != "OPS,WEB" || s["jira_email"] != "bot@acme.io" || s["fail_on_error"] != "false" || s["status_done"] == "" {
		t.Errorf("AppSettings = %v", s)
	}
	for _, tt := range []struct {
		name, config string
		want         []string
	}{
		{"no key or secret", minimal + "github:\n  app_id: 91234\n", []string{"github.private_key_file: required", "github.webhook_secret: required"}},
		{"a key that is not one", minimal + "github:\n  app_id: 91234\n  private_key: hello\n  webhook_secret: x\n", []string{"github.private_key: not an RSA private key in PEM"}},
		{"no id", minimal + "github:\n  private_key_file: " + key + "\n  webhook_secret: x\n", []string{"github.app_id: 0: the app's id"}},
		{"a typo in settings", strings.Replace(app, "jira_projects:", "jira_projcts:", 1), []string{"github.settings.jira_projcts: not a setting; did you mean jira_projects?"}},
		{"a bad setting", app + "    verify_windows: many\n", []string{"github.settings: verify_windows"}},
		{"a bad API URL", app + "  api_url: ftp://github.acme\n", []string{"github.api_url"}},
	} {
		_, err := Load(write(t, tt.config), env())
		for _, w := range tt.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %v\nwant it to say %q", tt.name, err, w)
			}
		}
	}
}

// The sweep inside the bot runs as the GitHub App and reads Sentry: it is
// off by default, and on it needs both, at an interval of a minute or more.
func TestTheSweepsSettingsAreChecked(t *testing.T) {
	c, err := Load(write(t, minimal), env())
	if err != nil || c.Sweep.Interval.D() != 0 {
		t.Fatalf("by default: interval %s, %v; want 0 (off)", c.Sweep.Interval.D(), err)
	}
	app := minimal + "  token: sentry-tok\ngithub:\n  app_id: 91234\n  private_key_file: " + writeKey(t) + "\n  webhook_secret: hush\n"
	if _, err := Load(write(t, app+"sweep:\n  interval: 30m\n"), env()); err != nil {
		t.Errorf("a sweep with the app and Sentry: %v", err)
	}
	for _, tt := range []struct{ name, config, want string }{
		{"too often", app + "sweep:\n  interval: 10s\n", "sweep.interval: 10s: 0 (off) or at least 1m"},
		{"without the app", minimal + "  token: sentry-tok\nsweep:\n  interval: 30m\n", "sweep.interval: the sweep runs as the GitHub App"},
		{"without Sentry's token", strings.Replace(app, "  token: sentry-tok\n", "", 1) + "sweep:\n  interval: 30m\n", "sweep.interval: the sweep reads Sentry: set sentry.token and sentry.org"},
	} {
		if _, err := Load(write(t, tt.config), env()); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v\nwant it to say %q", tt.name, err, tt.want)
		}
	}
}
