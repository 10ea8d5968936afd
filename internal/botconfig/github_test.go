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
