package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCmd(t *testing.T, stdin string, env map[string]string, args ...string) (string, string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), args, func(k string) string { return env[k] }, strings.NewReader(stdin), &stdout, &stderr)
	return stdout.String(), stderr.String(), err
}

func TestKeysPrintsOneKeyPerLineFromEverySource(t *testing.T) {
	dir := t.TempDir()
	event := filepath.Join(dir, "event.json")
	if err := os.WriteFile(event, []byte(`{"action":"opened","pull_request":{"title":"WEB-7 tidy","body":"see https://acme.atlassian.net/browse/OPS-9\n`+"```\\nOPS-10\\n```"+`","head":{"ref":"bugfix/ops-8-crash"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _, err := runCmd(t, "Body mentions OPS-11.", nil,
		"keys", "-branch", "feature/ops-123-fix", "-body", "-", "-event", event, "OPS-1: fix UTF-8 handling (RFC-2119, TLS-1.3)")
	if err != nil {
		t.Fatal(err)
	}
	want := "OPS-1\nOPS-123\nOPS-11\nWEB-7\nOPS-8\nOPS-9\n"
	if out != want {
		t.Errorf("keys printed\n%s\nwant\n%s", out, want)
	}
}

func TestKeysHonoursTheProjectAllowList(t *testing.T) {
	out, _, err := runCmd(t, "", nil, "keys", "-projects", "web", "OPS-1 WEB-2")
	if err != nil || out != "WEB-2\n" {
		t.Errorf("out %q err %v", out, err)
	}
	_, _, err = runCmd(t, "", nil, "keys", "-projects", "9X", "OPS-1")
	if err == nil || !strings.Contains(err.Error(), "9X") {
		t.Errorf("a bad allow-list must be named in the error, got %v", err)
	}
}

func TestKeysTakesFlagsAnywhereOnTheCommandLine(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"WEB-9", "-branch", "feature/ops-1"}, "WEB-9\nOPS-1\n"},
		{[]string{"-branch", "feature/ops-1", "WEB-9"}, "WEB-9\nOPS-1\n"},
		{[]string{"WEB-9", "-projects", "ops", "fixes OPS-2", "-branch=feature/ops-1"}, "OPS-2\nOPS-1\n"},
		// "--" ends the flags: what follows is text, even "-projects".
		{[]string{"WEB-1", "--", "-projects", "OPS"}, "WEB-1\n"},
		{[]string{"--", "WEB-1", "-projects", "OPS"}, "WEB-1\n"},
		{[]string{"-projects", "OPS", "--", "WEB-1", "OPS-1"}, "OPS-1\n"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, stdout, stderr := cliCmd(t, nil, append([]string{"keys"}, tt.args...)...)
			if code != exitOK || stdout != tt.want {
				t.Errorf("exit %d, printed %q, want %q; stderr %q", code, stdout, tt.want, stderr)
			}
		})
	}
	// A flag after the text is still checked.
	code, _, stderr := cliCmd(t, nil, "keys", "WEB-9", "-nope")
	if code != exitUsage || !strings.Contains(stderr, "fixproof keys: flag provided but not defined: -nope") {
		t.Errorf("keys WEB-9 -nope: exit %d stderr %q", code, stderr)
	}
}

// The error names the flag that was typed, not the action input the same
// list goes into.
func TestKeysNamesTheProjectsFlagInItsError(t *testing.T) {
	code, _, stderr := cliCmd(t, nil, "keys", "-projects", "ops-team", "WEB-1")
	if code != exitUsage || !strings.Contains(stderr, `fixproof keys: -projects: "ops-team" is not a Jira project key: it may contain only letters`) ||
		strings.Contains(stderr, "jira_projects") {
		t.Errorf("exit %d stderr %q, want 2 naming -projects and not jira_projects", code, stderr)
	}
}

func TestKeysWithoutInputIsAUsageError(t *testing.T) {
	code, _, stderr := cliCmd(t, nil, "keys")
	if code != exitUsage || !strings.Contains(stderr, "give a TEXT, -branch, -body or -event") || !strings.Contains(stderr, "Usage: fixproof keys") {
		t.Errorf("exit %d stderr %q", code, stderr)
	}
}

func TestUnknownCommandShowsUsage(t *testing.T) {
	code, _, stderr := cliCmd(t, nil, "deploy")
	if code != exitUsage || !strings.Contains(stderr, `unknown command "deploy"`) || !strings.Contains(stderr, "Commands:") {
		t.Errorf("exit %d stderr %q", code, stderr)
	}
}

func TestActionWithoutInputsSaysWhatToSet(t *testing.T) {
	stdout, _, err := runCmd(t, "", map[string]string{"GITHUB_EVENT_NAME": "pull_request"}, "action")
	if err == nil {
		t.Fatal("want an error")
	}
	for _, want := range []string{"::error::input jira_base_url: required", "::error::input jira_api_token: no Jira credentials"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
}

func TestVersion(t *testing.T) {
	out, _, err := runCmd(t, "", nil, "version")
	if err != nil || out != "fixproof dev\n" {
		t.Errorf("out %q err %v", out, err)
	}
}

func TestDemoPlaysTheLoopAndPrintsTheTable(t *testing.T) {
	out, _, err := runCmd(t, "", nil, "demo", "-storm", "30")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, want := range []string{"4 Jira issues for 61 Sentry alerts and 1 Guance issue", "verified, then regressed and reopened", "unverified: errors did not fall"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	// Not on a terminal: no progress counter rewriting its line.
	if strings.Contains(out, "\r") {
		t.Errorf("demo output to a buffer has carriage returns:\n%q", out)
	}
	// The smallest storm is a storm too.
	if code, stdout, stderr := cliCmd(t, nil, "demo", "-storm", "1"); code != exitOK || stderr != "" || !strings.Contains(stdout, "4 Jira issues for 23 Sentry alerts") {
		t.Errorf("-storm 1: exit %d, stderr %q\n%s", code, stderr, stdout)
	}
	if _, _, err := runCmd(t, "", nil, "demo", "-storm", "0"); !errors.Is(err, errUsage) {
		t.Errorf("-storm 0: %v, want a usage error", err)
	}
}
