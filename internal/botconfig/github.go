package botconfig

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/fixproof/fixproof/internal/errlist"

	"github.com/fixproof/fixproof/internal/action"
	"github.com/fixproof/fixproof/internal/githubapp"
	"github.com/fixproof/fixproof/internal/prcomment"
	"github.com/fixproof/fixproof/internal/typo"
)

// AppSettings are the action's inputs every repository of the GitHub App
// starts from: the bot's Jira and Sentry, its statuses, a check that
// never fails on Jira's account unless a repository asks (fail_on_error
// false), and github.settings over them.
func (c Config) AppSettings() map[string]string {
	out := map[string]string{
		"github_token":       "app", // the installation's, per request
		"jira_base_url":      c.Jira.BaseURL,
		"jira_email":         c.Jira.Email,
		"jira_api_token":     c.Jira.APIToken,
		"jira_pat":           c.Jira.PAT,
		"sentry_base_url":    c.Sentry.BaseURL,
		"sentry_token":       c.Sentry.Token,
		"sentry_org":         c.Sentry.Org,
		"status_open":        strings.Join(c.Jira.StatusOpen, ","),
		"status_in_progress": strings.Join(c.Jira.StatusInProgress, ","),
		"status_in_review":   strings.Join(c.Jira.StatusInReview, ","),
		"status_done":        strings.Join(c.Jira.StatusDone, ","),
		"fail_on_error":      "false",
	}
	for k, v := range c.GitHub.Settings {
		out[k] = v
	}
	return out
}

// validateGitHub checks the GitHub App's settings when any is set.
func (c *Config) validateGitHub(p *problems) {
	g := c.GitHub
	if !g.configured() {
		return
	}
	if g.AppID <= 0 {
		p.add("github.app_id", "%d: the app's id, a positive number on its settings page (0 leaves the app mode off: remove the github section)", g.AppID)
	}
	switch {
	case g.PrivateKey == "":
		p.add("github.private_key_file", "required: the app's private key (.pem), generated on its settings page")
	case !rsaKey(g.PrivateKey):
		p.add("github.private_key", "not an RSA private key in PEM (-----BEGIN RSA PRIVATE KEY-----): download one from the app's settings page")
	}
	if g.WebhookSecret == "" {
		p.add("github.webhook_secret", "required: the app's webhook secret; without it every delivery to POST /webhooks/github is refused")
	}
	p.baseURL("github.api_url", prcomment.APIURLRule, g.APIURL)
	p.baseURL("github.graphql_url", prcomment.APIURLRule, g.GraphQLURL)
	c.validateAppSettings(p)
}

// configured reports whether any of the app's settings is set.
func (g GitHub) configured() bool {
	d := Default().GitHub
	return g.Enabled() || g.PrivateKey != "" || g.WebhookSecret != "" || len(g.Settings) > 0 || g.APIURL != d.APIURL || g.GraphQLURL != d.GraphQLURL
}

// validateAppSettings checks github.settings: keys a repository may set,
// with values the action takes.
func (c *Config) validateAppSettings(p *problems) {
	for _, k := range slices.Sorted(maps.Keys(c.GitHub.Settings)) {
		if slices.Contains(action.RepoSettings, k) {
			continue
		}
		if near := typo.Nearest(k, action.RepoSettings); near != "" {
			p.add("github.settings."+k, "not a setting; did you mean %s?", near)
		} else {
			p.add("github.settings."+k, "not a setting a repository starts from; those are %s", strings.Join(action.RepoSettings, ", "))
		}
	}
	_, err := githubapp.ConfigFor(c.AppSettings(), nil)
	if err == nil {
		return
	}
	for _, e := range errlist.Split(err) {
		p.add("github.settings", "%s", strings.TrimPrefix(e.Error(), "input "))
	}
}

// rsaKey reports whether s is an RSA private key in PEM, as GitHub gives
// an app's (PKCS #1), or PKCS #8.
func rsaKey(s string) bool {
	b, _ := pem.Decode([]byte(s))
	if b == nil {
		return false
	}
	if _, err := x509.ParsePKCS1PrivateKey(b.Bytes); err == nil {
		return true
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	_, ok := k.(*rsa.PrivateKey)
	return err == nil && ok
}

// validateSweep checks the sweep's settings: it runs as the GitHub App,
// and verifies with Sentry.
func (c *Config) validateSweep(p *problems) {
	every := c.Sweep.Interval.D()
	switch {
	case every == 0:
		return
	case every < time.Minute:
		p.add("sweep.interval", "%s: 0 (off) or at least 1m", every)
	}
	if !c.GitHub.Enabled() {
		p.add("sweep.interval", "the sweep runs as the GitHub App: set the github section, or 0 and run the action's scheduled sweep")
	}
	if c.Sentry.Token == "" || c.Sentry.Org == "" {
		p.add("sweep.interval", "the sweep reads Sentry: set sentry.token and sentry.org")
	}
}
