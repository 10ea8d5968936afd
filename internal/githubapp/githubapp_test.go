package githubapp

import (
	"errors"
	"strings"
	"testing"

	"github.com/fixproof/fixproof/internal/action"
)

func TestDecodePullRequestReadsWhatTheAppNeedsAndNamesWhatIsMissing(t *testing.T) {
	full := `{"action": "opened", "installation": {"id": 42, "node_id": "x"}, "repository": {"full_name": "acme/shop"},
		"pull_request": {"number": 7, "head": {"sha": "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"}}}`
	ev, err := DecodePullRequest([]byte(full))
	want := PullRequestEvent{Installation: 42, Repo: "acme/shop", Number: 7, Action: "opened", HeadSHA: "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"}
	if err != nil || ev != want {
		t.Fatalf("DecodePullRequest = %+v, %v; want %+v", ev, err, want)
	}
	for _, tt := range []struct{ name, body, want string }{
		{"a repository's webhook", `{"action": "opened", "repository": {"full_name": "acme/shop"}, "pull_request": {"number": 7, "head": {"sha": "a"}}}`, "installation.id (is this the app's webhook"},
		{"no number", `{"action": "opened", "installation": {"id": 1}, "repository": {"full_name": "acme/shop"}, "pull_request": {"head": {"sha": "a"}}}`, "pull_request.number"},
		{"no repository", `{"action": "opened", "installation": {"id": 1}, "pull_request": {"number": 7, "head": {"sha": "a"}}}`, "repository.full_name"},
		{"no head", `{"action": "opened", "installation": {"id": 1}, "repository": {"full_name": "acme/shop"}, "pull_request": {"number": 7}}`, "pull_request.head.sha"},
		{"not JSON", `{`, "pull_request webhook:"},
	} {
		if _, err := DecodePullRequest([]byte(tt.body)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want it to name %q", tt.name, err, tt.want)
		}
	}
}

func TestOnlyActionsThatMoveIssuesAreWorkedOn(t *testing.T) {
	for action, want := range map[string]bool{"opened": true, "synchronize": true, "closed": true, "ready_for_review": true,
		"labeled": false, "assigned": false, "review_requested": false} {
		if got := Moves(action); got != want {
			t.Errorf("Moves(%q) = %v, want %v", action, got, want)
		}
	}
}

// A check run concludes success when every key moved, neutral when there
// was nothing to move, and failure only when the repository asks for it.
func TestDecideConcludesTheCheckRun(t *testing.T) {
	moved := action.Outcome{Handled: true, Keys: []string{"OPS-1", "OPS-2"}, Target: []string{"In Review"},
		Results: []action.Result{{Key: "OPS-1", To: "In Review", Action: action.Transitioned}, {Key: "OPS-2", To: "Done", Action: action.Skipped}}, Summary: "table"}
	failed := moved
	failed.Results = []action.Result{{Key: "OPS-1", Action: action.Transitioned}, {Key: "OPS-2", Action: action.Failed}}
	failed.Failed = 1
	stopped := moved
	stopped.Stop = errors.New("jira: 503")
	partly := moved
	partly.Keys = []string{"OPS-1", "PATCH-1"}
	partly.Results = []action.Result{{Key: "OPS-1", To: "In Review", Action: action.Transitioned}, {Key: "PATCH-1", Action: action.Skipped, Reason: "not found"}}
	none := partly
	none.Keys, none.Results = []string{"PATCH-1"}, partly.Results[1:]
	for _, tt := range []struct {
		name        string
		out         action.Outcome
		failOnError bool
		conclusion  string
		title       string
	}{
		{"every key moved", moved, true, "success", "2 Jira issues: In Review, Done"},
		{"no keys", action.Outcome{Handled: true, Summary: "No Jira issue keys found."}, true, "neutral", "No Jira issue keys found"},
		{"an event that moves nothing", action.Outcome{Reason: "closed draft"}, true, "neutral", "Nothing to move"},
		{"a key failed, repository fails on error", failed, true, "failure", "1 of 2 Jira issues could not be moved"},
		{"a key failed, repository does not", failed, false, "neutral", "1 of 2 Jira issues could not be moved"},
		{"Jira could not be searched", stopped, true, "failure", "1 of 2 Jira issues could not be moved"},
		{"a key Jira does not have", partly, true, "success", "1 Jira issue: In Review (1 key not in Jira)"},
		{"no key Jira has", none, true, "neutral", "1 key found, none in Jira"},
	} {
		v := Decide(tt.out, tt.failOnError)
		if v.Conclusion != tt.conclusion || v.Title != tt.title {
			t.Errorf("%s: %s %q, want %s %q", tt.name, v.Conclusion, v.Title, tt.conclusion, tt.title)
		}
	}
}

func TestParseSettingsTakesTheRepositorysInputsAndNamesEveryProblem(t *testing.T) {
	set, err := ParseSettings([]byte("jira_projects: [OPS, WEB]\nstatus_in_review: Code Review\njira_comment: false\nverify_windows: 4\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"jira_projects": "OPS,WEB", "status_in_review": "Code Review", "jira_comment": "false", "verify_windows": "4"}
	if len(set) != len(want) {
		t.Fatalf("ParseSettings = %v, want %v", set, want)
	}
	for k, v := range want {
		if set[k] != v {
			t.Errorf("%s = %q, want %q", k, set[k], v)
		}
	}
	if set, err := ParseSettings(nil); err != nil || len(set) != 0 {
		t.Errorf("an empty file: %v, %v; want no settings", set, err)
	}
	_, err = ParseSettings([]byte("jira_projcts: OPS\njira_api_token: x\nkey_sources: {a: b}\njira_projects: [\"A,B\"]\n"))
	for _, want := range []string{
		".github/fixproof.yml:1: jira_projcts: unknown setting; did you mean jira_projects?",
		".github/fixproof.yml:2: jira_api_token: not a setting a repository may set",
		".github/fixproof.yml:3: key_sources: want a value or a list of values",
		".github/fixproof.yml:4: jira_projects: line 4: a list item is one value without commas",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v\nwant it to say %q", err, want)
		}
	}
	if _, err := ParseSettings([]byte("- a\n")); err == nil || !strings.Contains(err.Error(), "want a mapping of settings") {
		t.Errorf("a list: %v", err)
	}
	if _, err := ParseSettings([]byte("a: [")); err == nil || !strings.HasPrefix(err.Error(), SettingsPath) {
		t.Errorf("not YAML: %v", err)
	}
}

// A repository's settings override the app's, and are checked as the
// action checks its inputs.
func TestConfigForPutsTheRepositoryOverTheApp(t *testing.T) {
	base := map[string]string{"jira_base_url": "https://acme.atlassian.net", "jira_email": "bot@acme.io", "jira_api_token": "t",
		"github_token": "app", "jira_projects": "OPS", "fail_on_error": "false"}
	cfg, err := ConfigFor(base, map[string]string{"jira_projects": "WEB,PAY", "fail_on_error": "true"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(cfg.Projects, ",") != "WEB,PAY" || !cfg.FailOnError || cfg.JiraEmail != "bot@acme.io" {
		t.Errorf("ConfigFor = projects %v, fail_on_error %v, email %q", cfg.Projects, cfg.FailOnError, cfg.JiraEmail)
	}
	if cfg, _ := ConfigFor(base, nil); strings.Join(cfg.Projects, ",") != "OPS" || cfg.FailOnError {
		t.Errorf("without settings: projects %v, fail_on_error %v; want the app's", cfg.Projects, cfg.FailOnError)
	}
	if _, err := ConfigFor(base, map[string]string{"verify_windows": "many"}); err == nil || !strings.Contains(err.Error(), "verify_windows") {
		t.Errorf("a bad value: %v, want it named", err)
	}
}
