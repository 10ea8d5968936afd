package jira

import (
	"strings"
	"testing"
)

func TestCheckCredentialsWantsOneKindWhole(t *testing.T) {
	for _, tt := range []struct {
		email, token, pat string
		want              CredentialsProblem
	}{
		{"bot@acme.io", "tok", "", CredentialsOK},
		{"", "", "pat", CredentialsOK},
		{"bot@acme.io", "tok", "pat", CredentialsBoth},
		{"bot@acme.io", "", "pat", CredentialsBoth},
		{"", "tok", "pat", CredentialsBoth},
		{"", "tok", "", CredentialsNoEmail},
		{"bot@acme.io", "", "", CredentialsNoAPIToken},
		{"", "", "", CredentialsNone},
	} {
		if got := CheckCredentials(tt.email, tt.token, tt.pat); got != tt.want {
			t.Errorf("CheckCredentials(%q, %q, %q) = %d, want %d", tt.email, tt.token, tt.pat, got, tt.want)
		}
	}
}

func TestNewRefusesCredentialsCheckCredentialsRefuses(t *testing.T) {
	for _, tt := range []struct {
		cfg  Config
		want string
	}{
		{Config{BaseURL: "https://acme.atlassian.net", Email: "a@b.c", APIToken: "t", PAT: "p"}, "use one"},
		{Config{BaseURL: "https://acme.atlassian.net", APIToken: "t"}, "needs both an email and an API token"},
		{Config{BaseURL: "https://acme.atlassian.net", Email: "a@b.c"}, "needs both an email and an API token"},
		{Config{BaseURL: "https://acme.atlassian.net"}, "no credentials"},
	} {
		if _, err := New(tt.cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("New(%+v) = %v, want an error saying %q", tt.cfg, err, tt.want)
		}
	}
}

func TestNewRefusesABaseURLThatIsNotASite(t *testing.T) {
	for raw, want := range map[string]string{
		"":                                      "jira: no base URL",
		"acme.atlassian.net":                    `jira: base URL "acme.atlassian.net": want an http or https URL`,
		"https://acme.atlassian.net/rest/api/3": `jira: base URL "https://acme.atlassian.net/rest/api/3": give the site (without /rest/api)`,
		"https://bot:tok@acme.atlassian.net":    "jira: base URL must not carry credentials",
		"https://acme.atlassian.net/?jql=project": "must not have a query or fragment",
	} {
		if _, err := New(Config{BaseURL: raw, Email: "a@b.c", APIToken: "t"}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("New(BaseURL %q) = %v, want an error saying %q", raw, err, want)
		}
	}
	for _, raw := range []string{"https://acme.atlassian.net/", "https://jira.acme.io/jira", "http://127.0.0.1:8080"} {
		c, err := New(Config{BaseURL: raw, PAT: "p"})
		if err != nil {
			t.Errorf("New(BaseURL %q) = %v", raw, err)
			continue
		}
		if got, want := c.BrowseURL("OPS-1"), strings.TrimRight(raw, "/")+"/browse/OPS-1"; got != want {
			t.Errorf("BrowseURL for base %q = %q, want %q", raw, got, want)
		}
	}
}
