package githubapp

import (
	"bytes"
	"encoding/json"
	"html/template"
	"strings"
)

// Permissions are what the app asks of an installation: to read pull
// requests, their commits and deployments, and the settings file
// (contents); to write check runs, and pull request comments (issues) for
// the sweep's evidence. Nothing more: it never pushes, merges or reads
// secrets.
var Permissions = map[string]string{
	"pull_requests": "read",
	"contents":      "read",
	"checks":        "write",
	"deployments":   "read",
	"issues":        "write",
	"metadata":      "read",
}

// Events are the webhooks the app subscribes to. GitHub sends an app its
// installation events whether or not it subscribes.
var Events = []string{"pull_request", "deployment_status"}

// ManifestOptions name the app and where the bot is.
type ManifestOptions struct {
	// Name is the app's name on GitHub (unique there); URL is the bot's
	// public address, whose /webhooks/github gets the webhooks.
	Name, URL string
	// Public lets other accounts install the app.
	Public bool
}

// Manifest is the app's manifest for GitHub's app-manifest flow: posted
// from a browser, it creates the app with these permissions and events in
// one click; GitHub then shows the app's id, key and webhook secret for
// the github section of the bot's config.
func Manifest(o ManifestOptions) ([]byte, error) {
	base := strings.TrimRight(o.URL, "/")
	m := map[string]any{
		"name":                o.Name,
		"url":                 base,
		"description":         "Moves the Jira issues a pull request names, and proves a fix in production before closing them.",
		"hook_attributes":     map[string]any{"url": base + "/webhooks/github", "active": true},
		"public":              o.Public,
		"default_permissions": Permissions,
		"default_events":      Events,
	}
	return json.MarshalIndent(m, "", "  ")
}

// ManifestForm is a page whose one button posts the manifest to GitHub
// (github.com, or GitHub Enterprise Server at githubURL), creating the app
// on the organization org, or on the signed-in user's account when org is
// empty.
func ManifestForm(manifest []byte, githubURL, org string) (string, error) {
	action := strings.TrimRight(githubURL, "/") + "/settings/apps/new"
	if org != "" {
		action = strings.TrimRight(githubURL, "/") + "/organizations/" + org + "/settings/apps/new"
	}
	var b bytes.Buffer
	err := manifestPage.Execute(&b, struct {
		Action   string
		Manifest string
		Org      string
	}{action, string(manifest), org})
	return b.String(), err
}

var manifestPage = template.Must(template.New("manifest").Parse(`<!doctype html>
<html lang="en"><meta charset="utf-8"><title>Create the fixproof GitHub App</title>
<body style="font:16px system-ui,sans-serif;max-width:40em;margin:2em auto">
<h1>Create the fixproof GitHub App</h1>
<p>This creates the app on {{if .Org}}the organization <b>{{.Org}}</b>{{else}}your account{{end}} with the permissions and events fixproof needs. GitHub then shows its id; generate a private key and set a webhook secret there, and put all three in the <code>github</code> section of the bot's config.</p>
<form action="{{.Action}}" method="post">
<input type="hidden" name="manifest" value="{{.Manifest}}">
<button type="submit" style="font-size:18px;padding:8px 16px">Create the app on GitHub</button>
</form>
</body></html>
`))
