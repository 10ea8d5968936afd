package action

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/fixproof/fixproof/internal/loop"
	"github.com/fixproof/fixproof/internal/verify"
)

func inputs(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(name string) string { return m[name] }
}

var cloud = []string{"jira_base_url", "https://acme.atlassian.net", "jira_email", "bot@acme.io", "jira_api_token", "tok"}

func TestLoadConfigAppliesTheActionYmlDefaults(t *testing.T) {
	c, err := LoadConfig(inputs(cloud...))
	if err != nil {
		t.Fatal(err)
	}
	want := loop.Statuses{
		loop.Open:       {"Open", "To Do", "Reopened", "Backlog"},
		loop.InProgress: {"In Progress"},
		loop.InReview:   {"In Review", "Code Review", "Review"},
		loop.Done:       {"Done", "Resolved"},
		loop.Closed:     {"Closed"},
	}
	if !reflect.DeepEqual(c.Statuses, want) {
		t.Errorf("statuses = %v, want %v", c.Statuses, want)
	}
	if !reflect.DeepEqual(c.Sources, []string{"title", "branch", "body", "commits"}) || c.Mode != "auto" || c.DryRun || !c.FailOnError || !c.JiraComment {
		t.Errorf("defaults not applied: %+v", c)
	}
	wantVerify := verify.Params{Threshold: 1, Window: time.Hour, Windows: 3, Timeout: 168 * time.Hour, Confidence: 0.95, MaxRatio: 0.2, FailRatio: 0.7}
	if c.Verify != wantVerify || c.VerifyFrom != verify.FromAuto || c.DeployEnvironment != "production" || c.RateBasis != verify.BasisAuto || c.VerifyLabel != "fixproof-verify" || c.SentryBaseURL != "https://sentry.io" || !reflect.DeepEqual(c.Statuses[loop.Closed], []string{"Closed"}) {
		t.Errorf("sweep defaults not applied: %+v", c)
	}
	if err := c.sweepReady(); err == nil || !strings.Contains(err.Error(), "sentry_token") || !strings.Contains(err.Error(), "sentry_org") {
		t.Errorf("sweepReady = %v", err)
	}
	c, _ = LoadConfig(inputs(append(slices.Clone(cloud), "verify_timeout", "7d")...))
	if c.Verify.Timeout != 7*24*time.Hour {
		t.Errorf("7d = %s", c.Verify.Timeout)
	}
}

func TestLoadConfigErrorsNameTheInputToFix(t *testing.T) {
	tests := []struct {
		name  string
		in    []string
		wants []string
	}{
		{"no base url", []string{"jira_email", "a@b.c", "jira_api_token", "t"}, []string{"input jira_base_url: required"}},
		{"base url not a URL", append(slices.Clone(cloud[2:]), "jira_base_url", "acme.atlassian.net"), []string{"input jira_base_url: \"acme.atlassian.net\" is not an http(s) URL"}},
		{"no credentials", []string{"jira_base_url", "https://x.atlassian.net"}, []string{"input jira_api_token: no Jira credentials"}},
		{"email without token", []string{"jira_base_url", "https://x.atlassian.net", "jira_email", "a@b.c"}, []string{"input jira_api_token: required with jira_email"}},
		{"both kinds of credentials", append(slices.Clone(cloud), "jira_pat", "p"), []string{"input jira_pat: set either"}},
		{"bad project", append(slices.Clone(cloud), "jira_projects", "OPS,9X"), []string{`input jira_projects: "9X" is not a Jira project key`}},
		{"bad source", append(slices.Clone(cloud), "key_sources", "title,labels"), []string{`input key_sources: unknown source "labels"`}},
		{"bad bool", append(slices.Clone(cloud), "dry_run", "yes please"), []string{`input dry_run: "yes please" is not true or false`}},
		{"bad mode", append(slices.Clone(cloud), "mode", "sweeps"), []string{`input mode: "sweeps" is not a mode`}},
		{"bad window", append(slices.Clone(cloud), "verify_window", "an hour"), []string{`input verify_window: "an hour" is not a duration`}},
		{"bad threshold", append(slices.Clone(cloud), "error_rate_threshold", "low"), []string{`input error_rate_threshold: "low"`}},
		{"sessions in half-hour windows", append(slices.Clone(cloud), "rate_basis", "sessions", "verify_window", "30m"), []string{"input rate_basis: sessions needs a verify_window Sentry counts sessions in"}},
		{"an unknown clock start", append(slices.Clone(cloud), "verify_from", "release"), []string{`input verify_from: must be auto, deploy or merge, got "release"`}},
		{"an unknown basis", append(slices.Clone(cloud), "rate_basis", "users"), []string{`input rate_basis: must be auto, events, sessions or transactions, got "users"`}},
		{"confidence not a number", append(slices.Clone(cloud), "verify_confidence", "high"), []string{`input verify_confidence: "high" is not a number`}},
		{"ratios the wrong way round", append(slices.Clone(cloud), "max_rate_ratio", "0.8", "fail_rate_ratio", "0.5"), []string{"fail_rate_ratio must be above max_rate_ratio"}},
		{"timeout shorter than the windows", append(slices.Clone(cloud), "verify_timeout", "2h"), []string{"verify_timeout 2h0m0s is shorter than"}},
		{"bad org", append(slices.Clone(cloud), "sentry_org", "Acme Inc"), []string{`input sentry_org: "acme inc"`}},
		{"bad sentry url", append(slices.Clone(cloud), "sentry_base_url", "sentry"), []string{`input sentry_base_url: "sentry"`}},
		{"label with a space", append(slices.Clone(cloud), "verify_label", "fix proof"), []string{`input verify_label: "fix proof"`}},
		{"bad pr number", append(slices.Clone(cloud), "pr_number", "abc"), []string{`input pr_number: "abc"`}},
		{"bad key", append(slices.Clone(cloud), "issue_keys", "OPS-1 nope", "target_status", "done"), []string{`input issue_keys: "NOPE"`}},
		{"keys without target", append(slices.Clone(cloud), "issue_keys", "OPS-1"), []string{"input target_status: issue_keys and target_status go together"}},
		{"several problems at once", []string{"dry_run", "maybe", "mode", "x"}, []string{"jira_base_url", "dry_run", "mode"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadConfig(inputs(tt.in...))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestLoadConfigParsesLists(t *testing.T) {
	c, err := LoadConfig(inputs(append(slices.Clone(cloud),
		"jira_projects", "ops, web\nOPS",
		"key_sources", "TITLE branch,merge_commits",
		"status_in_review", "Peer Review,\n  QA Review ",
		"issue_keys", "ops-1, WEB-2 ops-1",
		"target_status", "in_review")...))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c.Projects, []string{"OPS", "WEB"}) {
		t.Errorf("projects = %q", c.Projects)
	}
	if !reflect.DeepEqual(c.Sources, []string{"title", "branch", "merge_commits"}) {
		t.Errorf("sources = %q", c.Sources)
	}
	if !reflect.DeepEqual(c.Statuses[loop.InReview], []string{"Peer Review", "QA Review"}) {
		t.Errorf("in review = %q", c.Statuses[loop.InReview])
	}
	if !reflect.DeepEqual(c.IssueKeys, []string{"OPS-1", "WEB-2"}) {
		t.Errorf("issue keys = %q", c.IssueKeys)
	}
	if target, stage := c.target(); stage != loop.InReview || !reflect.DeepEqual(target, []string{"Peer Review", "QA Review"}) {
		t.Errorf("target = %q %v", target, stage)
	}
}

func TestTargetStatusTakesStageNamesOrStatusNames(t *testing.T) {
	c, _ := LoadConfig(inputs(cloud...))
	for in, want := range map[string]loop.Stage{"done": loop.Done, "In Review": loop.InReview, "Resolved": loop.Done, "Code Review, Review": loop.InReview, "Triage": loop.None} {
		c.TargetStatus = in
		if _, got := c.target(); got != want {
			t.Errorf("target_status %q: stage %v, want %v", in, got, want)
		}
	}
}

type actionYML struct {
	Inputs map[string]struct {
		Default  *string `yaml:"default"`
		Required bool    `yaml:"required"`
	} `yaml:"inputs"`
	Outputs map[string]any `yaml:"outputs"`
	Runs    struct {
		Using string   `yaml:"using"`
		Image string   `yaml:"image"`
		Args  []string `yaml:"args"`
	} `yaml:"runs"`
}

func readActionYML(t *testing.T) actionYML {
	t.Helper()
	raw, err := os.ReadFile("../../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	var a actionYML
	if err := yaml.Unmarshal(raw, &a); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	return a
}

func TestActionYmlDeclaresExactlyTheInputsTheCodeReads(t *testing.T) {
	a := readActionYML(t)
	// Record every input LoadConfig asks for.
	read := map[string]bool{}
	_, _ = LoadConfig(func(name string) string { read[name] = true; return "" })
	var code, yml []string
	for name := range read {
		code = append(code, name)
	}
	for name := range a.Inputs {
		yml = append(yml, name)
	}
	sort.Strings(code)
	sort.Strings(yml)
	if !reflect.DeepEqual(code, yml) {
		t.Errorf("inputs differ\n code reads: %v\n action.yml: %v", code, yml)
	}
	for _, in := range Inputs {
		decl, ok := a.Inputs[in.Name]
		if !ok {
			continue
		}
		got := ""
		if decl.Default != nil {
			got = *decl.Default
		}
		if got != in.Default {
			t.Errorf("input %s: action.yml default %q, code default %q", in.Name, got, in.Default)
		}
		if strings.Contains(in.Name, "-") {
			t.Errorf("input %s: hyphenated names are unreliable in container actions", in.Name)
		}
	}
}

func TestActionYmlDeclaresTheOutputsTheCodeWrites(t *testing.T) {
	a := readActionYML(t)
	written := []string{"issue_keys", "transitioned", "skipped", "failed", "results_json", "error", "sentry_resolved", "jira_closed", "unverified"}
	for _, name := range written {
		if _, ok := a.Outputs[name]; !ok {
			t.Errorf("output %s missing from action.yml", name)
		}
	}
	if len(a.Outputs) != len(written) {
		t.Errorf("action.yml declares %d outputs, the code writes %d", len(a.Outputs), len(written))
	}
	if a.Runs.Using != "docker" || a.Runs.Image != "docker://ghcr.io/fixproof/fixproof:v1" || !reflect.DeepEqual(a.Runs.Args, []string{"action"}) {
		t.Errorf("runs = %+v, want the released v1 image running `fixproof action`", a.Runs)
	}
}

func TestResultsJSONStaysUnderGitHubsOutputLimit(t *testing.T) {
	many := make([]Result, 20000)
	for i := range many {
		many[i] = Result{Key: fmt.Sprintf("OPS-%d", i+1), Action: "waiting", Reason: strings.Repeat("r", 40)}
	}
	js, kept, err := jsonResults(many)
	if err != nil {
		t.Fatal(err)
	}
	var back []Result
	if len(js) > maxOutput || kept == 0 || kept >= len(many) || json.Unmarshal([]byte(js), &back) != nil || len(back) != kept {
		t.Errorf("%d bytes, kept %d of %d", len(js), kept, len(many))
	}
	if js, kept, _ := jsonResults(nil); js != "[]" || kept != 0 {
		t.Errorf("no results: %q", js)
	}
}

// The base URL inputs are checked with the rule of the client that uses
// them, so a URL the client would refuse is refused up front, naming the
// input; an address that carries a password is never repeated.
func TestLoadConfigChecksBaseURLsWithTheClientsRule(t *testing.T) {
	for _, tt := range []struct {
		name, input, value string
		want               string
	}{
		{"jira API root", "jira_base_url", "https://acme.atlassian.net/rest/api/3", `input jira_base_url: base URL "https://acme.atlassian.net/rest/api/3": give the site (without /rest/api)`},
		{"jira with a query", "jira_base_url", "https://acme.atlassian.net/?x=1", `input jira_base_url: base URL "https://acme.atlassian.net/?x=1" must not have a query or fragment`},
		{"jira with credentials", "jira_base_url", "https://bot:s3cret@acme.atlassian.net", "input jira_base_url: base URL must not carry credentials"},
		{"sentry API root", "sentry_base_url", "https://sentry.io/api/0/", `input sentry_base_url: base URL "https://sentry.io/api/0": give the site (without /api/0)`},
		{"sentry not http", "sentry_base_url", "ftp://u:s3cret@sentry.io", `input sentry_base_url: "ftp://u:xxxxx@sentry.io" is not an http(s) URL like https://sentry.io`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in := append(slices.Clone(cloud), tt.input, tt.value)
			if tt.input == "jira_base_url" {
				in = append(slices.Clone(cloud[2:]), tt.input, tt.value)
			}
			_, err := LoadConfig(inputs(in...))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want it to contain %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error %q repeats the password", err)
			}
		})
	}
	for _, ok := range []string{"https://jira.acme.io/jira/", "http://127.0.0.1:8080"} {
		c, err := LoadConfig(inputs(append(slices.Clone(cloud[2:]), "jira_base_url", ok)...))
		if err != nil || c.JiraBaseURL != strings.TrimRight(ok, "/") {
			t.Errorf("jira_base_url %q: %q, %v", ok, c.JiraBaseURL, err)
		}
	}
}

// A verification window or timeout of zero verifies nothing: the action
// refuses it, in every spelling, and a number of days too large to hold.
func TestLoadConfigRefusesDurationsOfNothingOrTooManyDays(t *testing.T) {
	for _, v := range []string{"0", "0s", "0d", "-1h", "200000d"} {
		_, err := LoadConfig(inputs(append(slices.Clone(cloud), "verify_timeout", v)...))
		if want := fmt.Sprintf("input verify_timeout: %q is not a duration like 1h, 90m or 7d", v); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("verify_timeout %q: %v, want %q", v, err, want)
		}
	}
}

// What a repository may set for itself under the app are inputs, and
// never a credential or where a service is.
func TestRepoSettingsAreInputsAndNoSecrets(t *testing.T) {
	for _, name := range RepoSettings {
		i := slices.IndexFunc(Inputs, func(in Input) bool { return in.Name == name })
		if i < 0 {
			t.Errorf("%s is not an input", name)
			continue
		}
		if Inputs[i].Secret || strings.HasSuffix(name, "_url") || name == "mode" || name == "github_token" {
			t.Errorf("%s is a repository setting, but a credential, an address or the mode", name)
		}
	}
}
