package botconfig

import (
	"path/filepath"
	"strings"
	"testing"
)

// loadErr loads text as fixproof.yml and returns the error with the
// temporary directory left out of the file's name.
func loadErr(t *testing.T, text string, kv ...string) string {
	t.Helper()
	path := write(t, text)
	_, err := Load(path, env(kv...))
	if err == nil {
		t.Fatalf("no error for\n%s", text)
	}
	return strings.ReplaceAll(err.Error(), filepath.Dir(path)+string(filepath.Separator), "")
}

// Every problem of a file is reported at once, in the order of the file,
// each naming the file, the line, the key and what to write: a typo gets
// the nearest key, a value of the wrong type the type and an example.
func TestEveryConfigProblemNamesFileLineKeyAndWhatToWrite(t *testing.T) {
	got := loadErr(t, `listen: ":8080"
workers: many
update_every: 5 minutes
jira:
  base_url: https://acme.atlassian.net
  email: bot@acme.io
  api_token: tok
  projct: OPS
  labels: {team: ops}
sentry:
  org: acme
  client_secret: s3cret
  project: web
escalation:
  thresholds: [10, lots]
`)
	want := strings.Join([]string{
		`fixproof.yml:2: workers: "many" is not a whole number, e.g. workers: 4`,
		`fixproof.yml:3: update_every: "5 minutes" is not a duration like 90s, 1h or 7d`,
		`fixproof.yml:4: jira.project: required: the key of the project issues go to, e.g. OPS`,
		`fixproof.yml:8: jira.projct: unknown key; did you mean jira.project?`,
		`fixproof.yml:9: jira.labels: a mapping (key: value lines) where a list is expected: write labels: [a, b], or one "- item" line each`,
		`fixproof.yml:13: sentry.project: unknown key; project is a key of jira and routes[]: move it there`,
		`fixproof.yml:15: escalation.thresholds[1]: "lots" is not a whole number`,
	}, "\n")
	if got != want {
		t.Errorf("errors\n%s\nwant\n%s", got, want)
	}
}

func TestConfigProblemsOfShapeAndSyntax(t *testing.T) {
	for _, tt := range []struct{ name, yaml, want string }{
		{"syntax error stops at its line", minimal + "routes:\n  - project: WEB\n project: x\n", "fixproof.yml:12: not valid YAML: did not find expected key"},
		{"a list for a section", minimal + "scrub: [a]\n", "fixproof.yml:10: scrub: a list where a section of settings is expected: write scrub: then its settings indented below it (extra, keep_user)"},
		{"text for a section", minimal + "dashboard: on\n", `fixproof.yml:10: dashboard: "on" where a section of settings is expected`},
		{"a list for text", strings.Replace(minimal, "project: OPS", "project: [OPS]", 1), "fixproof.yml:6: jira.project: a list where text is expected"},
		{"maybe is not a bool", minimal + "scrub: {keep_user: maybe}\n", `fixproof.yml:10: scrub.keep_user: "maybe" is not true or false`},
		{"a mapping without a line", minimal + "a: b: c\n", "fixproof.yml:10: not valid YAML: mapping values are not allowed in this context"},
		{"a tab", minimal + "\tworkers: 2\n", "fixproof.yml:10: not valid YAML: found a tab character that violates indentation"},
		{"not a time", minimal + "silences: [{matchers: {a: b}, until: tomorrow}]\n", `fixproof.yml:10: silences[0].until: "tomorrow" is not a date and time like 2030-01-01T00:00:00Z`},
		{"a map value of the wrong type", minimal + "guance:\n  status: {new: open}\n", `fixproof.yml:11: guance.status.new: "open" is not a whole number`},
		{"a key set twice", minimal + "workers: 2\nworkers: 3\n", "fixproof.yml:11: workers: set twice (first on line 10): keep one"},
		{"a file that is a list", "- jira\n", "fixproof.yml:1: a list where the settings are expected: write key: value lines, e.g. listen: \":8080\""},
		{"a wrong case", minimal + "Workers: 2\n", "fixproof.yml:10: Workers: unknown key; did you mean workers?"},
		{"a route's typo", minimal + "routes:\n  - match: {source: sentry}\n    projetc: WEB\n", "fixproof.yml:12: routes[0].projetc: unknown key; did you mean routes[0].project?"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := loadErr(t, tt.yaml); !strings.Contains(got, tt.want) {
				t.Errorf("error\n%s\ndoes not say\n%s", got, tt.want)
			}
		})
	}
}

// Anchors, aliases and merge keys read as YAML means them.
func TestConfigReadsAliasesAndMerges(t *testing.T) {
	c, err := Load(write(t, minimal+`routes:
  - &pay
    match: {source: alertmanager}
    project: PAY
    labels: &lbl [payments]
  - <<: *pay
    match: {source: sentry}
    labels: *lbl
`), env())
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Routes) != 2 || c.Routes[1].Project != "PAY" || c.Routes[1].Match.Source != "sentry" || strings.Join(c.Routes[1].Labels, ",") != "payments" {
		t.Errorf("routes %+v", c.Routes)
	}
}

// Without a file, a problem names the environment variable that sets the
// key, since that is what there is to fix.
func TestEnvironmentOnlyProblemsNameTheVariables(t *testing.T) {
	_, err := Load("", env("FIXPROOF_JIRA_BASE_URL", "https://acme.atlassian.net", "FIXPROOF_WORKERS", "0"))
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		"FIXPROOF_JIRA_API_TOKEN: jira.api_token: no Jira credentials",
		"FIXPROOF_JIRA_PROJECT: jira.project: required",
		"FIXPROOF_WORKERS: workers: 0: between 1 and 256",
		"FIXPROOF_SENTRY_CLIENT_SECRET: sentry.client_secret: no alert source is configured",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error\n%s\ndoes not say %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "environment:") {
		t.Errorf("error names no variable: %s", err)
	}
}
