package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// `fixproof bot` with neither --config nor a FIXPROOF_* setting is a
// wrong command line: it says to pass --config, not that four settings
// are missing from "the environment".
func TestBotWithoutAConfigSaysToPassConfig(t *testing.T) {
	for _, args := range [][]string{{"bot"}, {"bot", "redrive"}, {"bot", "check"}} {
		code, stdout, stderr := cliCmd(t, nil, args...)
		cmd := strings.Join(args, " ")
		want := "fixproof " + cmd + ": no config: pass --config FILE (or set FIXPROOF_CONFIG); fixproof.example.yml documents every setting\n" +
			"Usage: fixproof " + cmd + " [--config FILE]"
		if code != exitUsage || stdout != "" || !strings.HasPrefix(stderr, want) {
			t.Errorf("%s: exit %d, stderr\n%s\nwant 2 and\n%s", cmd, code, stderr, want)
		}
		if strings.Contains(stderr, "environment:") {
			t.Errorf("%s: %s", cmd, stderr)
		}
	}
}

// With FIXPROOF_* settings but no file, the problems name the variables to
// set, and the message says a file can be given instead.
func TestBotWithAnIncompleteEnvironmentNamesTheVariables(t *testing.T) {
	code, _, stderr := cliCmd(t, map[string]string{"FIXPROOF_JIRA_BASE_URL": "https://acme.atlassian.net"}, "bot")
	for _, want := range []string{
		"fixproof: no config file (pass --config FILE), and the FIXPROOF_* variables alone are not a valid config: 3 problems:\n",
		"FIXPROOF_JIRA_API_TOKEN: jira.api_token: no Jira credentials",
		"FIXPROOF_JIRA_PROJECT: jira.project: required",
		"FIXPROOF_SENTRY_CLIENT_SECRET: sentry.client_secret: no alert source is configured",
	} {
		if code != exitFailed || !strings.Contains(stderr, want) {
			t.Errorf("exit %d, stderr\n%s\nwant 1 and %q", code, stderr, want)
		}
	}
}

// A config file's problems are listed all at once, one a line, each with
// the file's name, the line and the key.
func TestBotListsEveryProblemOfItsConfigFile(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "fixproof.yml")
	if err := os.WriteFile(cfg, []byte(`workers: many
jira:
  base_url: https://acme.atlassian.net
  email: bot@acme.io
  api_token: tok
  projct: OPS
alertmanager: {token: am}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := cliCmd(t, nil, "bot", "--config", cfg)
	want := "fixproof: config " + cfg + ": 3 problems:\n" +
		cfg + `:1: workers: "many" is not a whole number, e.g. workers: 4` + "\n" +
		cfg + `:2: jira.project: required: the key of the project issues go to, e.g. OPS` + "\n" +
		cfg + `:6: jira.projct: unknown key; did you mean jira.project?` + "\n"
	if code != exitFailed || stderr != want {
		t.Errorf("exit %d, stderr\n%s\nwant 1 and\n%s", code, stderr, want)
	}
}
