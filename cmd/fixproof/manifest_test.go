package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// The manifest command prints the app's manifest, or a page that posts
// it to GitHub; what it cannot use is refused with what to give instead.
func TestGitHubAppManifestCommand(t *testing.T) {
	code, out, stderr := cliCmd(t, nil, "bot", "github-app-manifest", "--url", "https://fixproof.acme.io", "--name", "fixproof-acme")
	var m map[string]any
	if code != exitOK || stderr != "" || json.Unmarshal([]byte(out), &m) != nil || m["name"] != "fixproof-acme" {
		t.Fatalf("exit %d, stderr %q, manifest %s", code, stderr, out)
	}
	code, out, _ = cliCmd(t, nil, "bot", "github-app-manifest", "--url", "https://fixproof.acme.io", "--org", "acme", "--html")
	if code != exitOK || !strings.Contains(out, `<form action="https://github.com/organizations/acme/settings/apps/new" method="post">`) {
		t.Errorf("--html: exit %d\n%s", code, out)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{}, "--url: want the bot's public address"},
		{[]string{"--url", "fixproof.acme.io"}, "--url: want the bot's public address"},
		{[]string{"--url", "https://x.io", "--org", "acme/../evil"}, `--org: "acme/../evil" is not a GitHub organization name`},
		{[]string{"--url", "https://x.io", "extra"}, `unexpected argument "extra"`},
	} {
		code, _, stderr := cliCmd(t, nil, append([]string{"bot", "github-app-manifest"}, tt.args...)...)
		if code != exitUsage || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tt.args, code, stderr, exitUsage, tt.want)
		}
	}
}
