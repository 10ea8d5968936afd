package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"regexp"

	"github.com/fixproof/fixproof/internal/githubapp"
)

var manifestHelp = help{
	usage: []string{"fixproof bot github-app-manifest --url URL [--name NAME] [--org ORG] [--html] [--github-url URL] [--public]"},
	about: `Prints the manifest of the bot's GitHub App: the permissions it needs
(pull requests, contents, deployments: read; checks, issues: write) and the
events it takes (pull_request, deployment_status), with its webhook at
URL/webhooks/github. With --html it prints a page whose one button posts
the manifest to GitHub (GitHub's app-manifest flow) and creates the app on
the organization ORG, or on your account. GitHub then shows the app's id;
generate a private key and set a webhook secret there, and put the three
in the github section of the bot's config.`,
	example: `  # a page to open in a browser: one click creates the app on acme
  fixproof bot github-app-manifest --url https://fixproof.acme.io --org acme --html > create-app.html
  # the manifest itself, for GitHub Enterprise Server's form or review
  fixproof bot github-app-manifest --url https://fixproof.acme.io --name fixproof-acme`,
}

// githubLogin is a GitHub account name: letters, digits and single
// hyphens, at most 39 characters.
var githubLogin = regexp.MustCompile(`^[A-Za-z0-9](?:-?[A-Za-z0-9]){0,38}$`)

// runManifest is `fixproof bot github-app-manifest`.
func runManifest(_ context.Context, args []string, _ func(string) string, stdout, _ io.Writer) error {
	fs := newFlagSet("bot github-app-manifest")
	base := fs.String("url", "", "the bot's public `URL`; GitHub sends the app's webhooks to URL/webhooks/github")
	name := fs.String("name", "fixproof", "the app's `NAME` on GitHub, unique there")
	org := fs.String("org", "", "the organization (`ORG`) to create the app on; without it, your account")
	page := fs.Bool("html", false, "print a page that creates the app in one click, not the manifest")
	ghURL := fs.String("github-url", "https://github.com", "GitHub's site (`URL`): https://HOST for GitHub Enterprise Server")
	public := fs.Bool("public", false, "let other accounts install the app")
	if err := parseFlags(fs, manifestHelp, args, stdout); err != nil {
		return err
	}
	line := manifestHelp.usage[0]
	switch {
	case fs.NArg() > 0:
		return badUsage("bot github-app-manifest", line, "unexpected argument %q", fs.Arg(0))
	case !httpURL(*base):
		return badUsage("bot github-app-manifest", line, "--url: want the bot's public address, like https://fixproof.acme.io, not %q", *base)
	case *org != "" && !githubLogin.MatchString(*org):
		return badUsage("bot github-app-manifest", line, "--org: %q is not a GitHub organization name", *org)
	case !httpURL(*ghURL):
		return badUsage("bot github-app-manifest", line, "--github-url: want GitHub's site, like https://github.com, not %q", *ghURL)
	}
	m, err := githubapp.Manifest(githubapp.ManifestOptions{Name: *name, URL: *base, Public: *public})
	if err != nil {
		return err
	}
	if !*page {
		_, err = fmt.Fprintf(stdout, "%s\n", m)
		return err
	}
	out, err := githubapp.ManifestForm(m, *ghURL, *org)
	if err != nil {
		return err
	}
	_, err = io.WriteString(stdout, out)
	return err
}

// httpURL reports whether s is an absolute http(s) URL with a host.
func httpURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}
