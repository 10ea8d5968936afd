package githubapp

import (
	"encoding/json"
	"html"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fixproof/fixproof/internal/contract"
)

// The manifest asks for permissions GitHub has, at levels it offers, and
// for events GitHub sends; its webhook is the bot's /webhooks/github.
func TestTheManifestAsksForRealPermissionsAndEvents(t *testing.T) {
	b, err := Manifest(ManifestOptions{Name: "fixproof-acme", URL: "https://fixproof.acme.io/"})
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Name        string            `json:"name"`
		Hook        map[string]any    `json:"hook_attributes"`
		Permissions map[string]string `json:"default_permissions"`
		Events      []string          `json:"default_events"`
		Public      bool              `json:"public"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if m.Name != "fixproof-acme" || m.Hook["url"] != "https://fixproof.acme.io/webhooks/github" || m.Hook["active"] != true || m.Public {
		t.Errorf("manifest: %s", b)
	}
	for _, want := range []string{"pull_requests", "contents", "checks", "deployments", "issues"} {
		if m.Permissions[want] == "" {
			t.Errorf("the manifest does not ask for %s", want)
		}
	}
	if !slices.Contains(m.Events, "pull_request") || !slices.Contains(m.Events, "deployment_status") {
		t.Errorf("events %v", m.Events)
	}

	dir := contract.Require(t)
	raw, err := os.ReadFile(filepath.Join(dir, "github/rest/api.github.com.json"))
	if err != nil {
		t.Fatal(err)
	}
	var spec struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]struct {
					Enum []string `json:"enum"`
				} `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(raw, &spec); err != nil {
		t.Fatal(err)
	}
	known := spec.Components.Schemas["app-permissions"].Properties
	for p, level := range m.Permissions {
		if !slices.Contains(known[p].Enum, level) {
			t.Errorf("permission %s: %s is not one GitHub describes (%v)", p, level, known[p].Enum)
		}
	}
	for _, e := range m.Events {
		if _, err := os.Stat(filepath.Join(dir, "github/webhook-schemas/api.github.com", e)); err != nil {
			t.Errorf("event %s is not one GitHub sends: %v", e, err)
		}
	}
}

// The page's one form posts the manifest, escaped, to the organization's
// new-app page.
func TestTheManifestFormPostsToTheOrganization(t *testing.T) {
	b, _ := Manifest(ManifestOptions{Name: `x"><script>`, URL: "https://fixproof.acme.io"})
	page, err := ManifestForm(b, "https://github.com", "acme")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(page, `action="https://github.com/organizations/acme/settings/apps/new"`) || strings.Contains(page, "<script>") {
		t.Errorf("page:\n%s", page)
	}
	i := strings.Index(page, `name="manifest" value="`)
	v := page[i+len(`name="manifest" value="`):]
	v = html.UnescapeString(v[:strings.Index(v, `"`)])
	var back map[string]any
	if err := json.Unmarshal([]byte(v), &back); err != nil || back["name"] != `x"><script>` {
		t.Errorf("the form's manifest does not read back: %v %v", back, err)
	}
	if page, _ := ManifestForm(b, "https://ghe.acme.io/", ""); !strings.Contains(page, `action="https://ghe.acme.io/settings/apps/new"`) {
		t.Errorf("a user's app on GitHub Enterprise Server: %s", page)
	}
}
