package action

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/fixproof/fixproof/internal/sim"
	"github.com/fixproof/fixproof/internal/sim/githubsim"
	"github.com/fixproof/fixproof/internal/sim/jirasim"
)

// deadURL is the address of a server that has gone away: connections to
// it are refused.
func deadURL(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	return srv.URL
}

// annotations are the ::error:: lines of a run.
func annotations(stdout string) []string {
	var out []string
	for _, l := range strings.Split(stdout, "\n") {
		if strings.HasPrefix(l, "::error") {
			out = append(out, l)
		}
	}
	return out
}

// checkStep checks the step's result for fail_on_error: an error with
// true, none with false, and the summary saying which.
func checkStep(t *testing.T, o outcome, failOnError bool) {
	t.Helper()
	if failOnError && o.err == nil {
		t.Error("fail_on_error true: the step must fail")
	}
	if !failOnError && o.err != nil {
		t.Errorf("fail_on_error false: the step must succeed, got %v", o.err)
	}
	note := "This step fails (fail_on_error is true)."
	if !failOnError {
		note = "fail_on_error is false, so this step succeeds anyway"
	}
	if !strings.Contains(o.summary, note) {
		t.Errorf("the step summary does not say %q:\n%s", note, o.summary)
	}
}

// Jira refusing the token or not answering at all must not block a merge
// when fail_on_error is false: every key is reported failed with the
// reason, the annotation names the input to check, the summary says the
// step succeeds anyway. With true the step fails, as it always did.
func TestJiraFailuresFailEveryKeyAndTheStepOnlyWithFailOnError(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, w *world) []string // extra inputs
		hint  string                                // in every reason and the annotation
	}{
		{"jira refuses the token", func(t *testing.T, w *world) []string {
			return []string{"jira_api_token", "expired"}
		}, "check jira_email and jira_api_token"},
		{"jira is unreachable", func(t *testing.T, w *world) []string {
			return []string{"jira_base_url", deadURL(t)}
		}, "could not reach Jira; check jira_base_url"},
		{"jira answers 503 past every retry", func(t *testing.T, w *world) []string {
			w.jira.Control.Inject(sim.Fault{PathPrefix: "/rest/api/3/search", Status: http.StatusServiceUnavailable, Times: 1000})
			return nil
		}, "503"},
	}
	for _, tt := range tests {
		for _, failOnError := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/fail_on_error=%v", tt.name, failOnError), func(t *testing.T) {
				w := newWorld(t, jirasim.Cloud)
				w.issue("OPS-1", "Open")
				w.issue("OPS-2", "In Progress")
				pr := w.pr(githubsim.PullRequest{Title: "OPS-1 OPS-2 fix", HeadRefName: "x"})
				in := append(tt.setup(t, w), "fail_on_error", fmt.Sprint(failOnError))
				o := w.run("pull_request", w.event("pull_request/opened.payload.json", pr), in...)

				checkStep(t, o, failOnError)
				if o.err != nil && !strings.Contains(o.err.Error(), tt.hint) {
					t.Errorf("err %v does not say %q", o.err, tt.hint)
				}
				if o.outputs["issue_keys"] != "OPS-1 OPS-2" || o.outputs["failed"] != "OPS-1 OPS-2" || o.outputs["transitioned"] != "" {
					t.Errorf("outputs %v: every key found must be reported failed", o.outputs)
				}
				res := o.results(t)
				for _, key := range []string{"OPS-1", "OPS-2"} {
					if r := res[key]; r.Action != Failed || !strings.Contains(r.Reason, tt.hint) {
						t.Errorf("%s result %+v, want failed with a reason saying %q", key, r, tt.hint)
					}
				}
				if !strings.Contains(o.outputs["error"], tt.hint) {
					t.Errorf("error output %q does not say %q", o.outputs["error"], tt.hint)
				}
				if a := annotations(o.stdout); len(a) != 1 || !strings.Contains(a[0], tt.hint) {
					t.Errorf("want one error annotation saying %q, got %q", tt.hint, a)
				}
				if !strings.Contains(o.summary, "No issue could be updated") || !strings.Contains(o.summary, "| failed: ") {
					t.Errorf("the summary does not show the failure per key:\n%s", o.summary)
				}
				if w.status("OPS-1") != "Open" || w.status("OPS-2") != "In Progress" {
					t.Error("nothing may move when Jira cannot be searched")
				}
			})
		}
	}
}

// Without the pull request there are no keys: the run says so, names what
// to check, and with fail_on_error false still succeeds.
func TestGitHubFailuresLeaveNoKeysAndFailTheStepOnlyWithFailOnError(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, w *world) []string
		hint  string
	}{
		{"github refuses the token", func(t *testing.T, w *world) []string {
			return []string{"github_token", "ghs_revoked"}
		}, "check github_token"},
		{"github is unreachable", func(t *testing.T, w *world) []string {
			w.env = map[string]string{"GITHUB_GRAPHQL_URL": deadURL(t) + "/graphql"}
			return nil
		}, "could not reach GitHub's API at"},
	}
	for _, tt := range tests {
		for _, failOnError := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/fail_on_error=%v", tt.name, failOnError), func(t *testing.T) {
				w := newWorld(t, jirasim.Cloud)
				w.issue("OPS-1", "Open")
				pr := w.pr(githubsim.PullRequest{Title: "OPS-1 fix", HeadRefName: "x"})
				in := append(tt.setup(t, w), "fail_on_error", fmt.Sprint(failOnError))
				o := w.run("pull_request", w.event("pull_request/opened.payload.json", pr), in...)

				checkStep(t, o, failOnError)
				want := map[string]string{"issue_keys": "", "transitioned": "", "skipped": "", "failed": "", "results_json": "[]"}
				for k, v := range want {
					if o.outputs[k] != v {
						t.Errorf("output %s = %q, want %q: no keys could be found", k, o.outputs[k], v)
					}
				}
				if !strings.Contains(o.outputs["error"], tt.hint) || !strings.Contains(o.outputs["error"], "read pull request") {
					t.Errorf("error output %q must say the PR could not be read and %q", o.outputs["error"], tt.hint)
				}
				if a := annotations(o.stdout); len(a) != 1 || !strings.Contains(a[0], tt.hint) {
					t.Errorf("want one error annotation saying %q, got %q", tt.hint, a)
				}
				if !strings.Contains(o.summary, "Stopped before any Jira issue was looked at") || !strings.Contains(o.summary, "no issue was moved") {
					t.Errorf("the summary does not say that nothing was done:\n%s", o.summary)
				}
				if w.jira.Control.Total() != 0 || w.status("OPS-1") != "Open" {
					t.Error("Jira must not be touched without keys")
				}
			})
		}
	}
}

// A pull request from a fork gets no secrets: the Jira credentials are
// empty. With fail_on_error false that must not block it either.
func TestMissingSecretsFailTheStepOnlyWithFailOnError(t *testing.T) {
	for _, failOnError := range []bool{true, false} {
		t.Run(fmt.Sprint("fail_on_error=", failOnError), func(t *testing.T) {
			w := newWorld(t, jirasim.Cloud)
			pr := w.pr(githubsim.PullRequest{Title: "OPS-1 fix", HeadRefName: "x"})
			o := w.run("pull_request", w.event("pull_request/opened.payload.json", pr),
				"jira_email", "", "jira_api_token", "", "fail_on_error", fmt.Sprint(failOnError))
			checkStep(t, o, failOnError)
			if a := annotations(o.stdout); len(a) != 1 || !strings.Contains(a[0], "input jira_api_token: no Jira credentials") {
				t.Errorf("annotations %q, want one naming jira_api_token", a)
			}
			if o.outputs["results_json"] != "[]" || !strings.Contains(o.outputs["error"], "invalid inputs") {
				t.Errorf("outputs %v", o.outputs)
			}
		})
	}
	// An unreadable fail_on_error is the default, true: the step fails.
	w := newWorld(t, jirasim.Cloud)
	o := w.run("pull_request", nil, "jira_api_token", "", "fail_on_error", "nah")
	if o.err == nil || !strings.Contains(o.stdout, `input fail_on_error: "nah" is not true or false`) {
		t.Errorf("err %v\n%s", o.err, o.stdout)
	}
}

// The sweep lists its issues in Jira first: when that fails there are no
// keys, and fail_on_error decides the step as in PR mode.
func TestSweepThatCannotListIssuesFailsOnlyWithFailOnError(t *testing.T) {
	tests := []struct {
		name string
		in   func(t *testing.T) []string
		hint string
	}{
		{"jira refuses the token", func(*testing.T) []string { return []string{"jira_api_token", "expired"} }, "check jira_email and jira_api_token"},
		{"jira is unreachable", func(t *testing.T) []string { return []string{"jira_base_url", deadURL(t)} }, "could not reach Jira; check jira_base_url"},
		{"no sentry credentials", func(*testing.T) []string { return []string{"sentry_token", ""} }, "input sentry_token: required to sweep"},
	}
	for _, tt := range tests {
		for _, failOnError := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/fail_on_error=%v", tt.name, failOnError), func(t *testing.T) {
				w := newWorld(t, jirasim.Cloud)
				w.sentryIssue("101", noisyUntilMerge())
				w.mergeFix("OPS-1", 7, "101")
				o := w.sweepAt(afterFour, append(tt.in(t), "fail_on_error", fmt.Sprint(failOnError))...)

				checkStep(t, o, failOnError)
				for _, k := range []string{"issue_keys", "transitioned", "skipped", "failed", "sentry_resolved", "jira_closed", "unverified"} {
					if v, ok := o.outputs[k]; !ok || v != "" {
						t.Errorf("output %s = %q (written %v), want written and empty", k, v, ok)
					}
				}
				var rs []Result
				if err := json.Unmarshal([]byte(o.outputs["results_json"]), &rs); err != nil || len(rs) != 0 {
					t.Errorf("results_json %q, want []", o.outputs["results_json"])
				}
				if !strings.Contains(o.outputs["error"], tt.hint) {
					t.Errorf("error output %q does not say %q", o.outputs["error"], tt.hint)
				}
				if a := annotations(o.stdout); len(a) != 1 || !strings.Contains(a[0], tt.hint) {
					t.Errorf("want one error annotation saying %q, got %q", tt.hint, a)
				}
				if !strings.Contains(o.summary, "### fixproof sweep") || !strings.Contains(o.summary, "Stopped before any Jira issue was looked at") {
					t.Errorf("summary:\n%s", o.summary)
				}
				if w.status("OPS-1") != "Done" {
					t.Errorf("OPS-1 %s: nothing may change", w.status("OPS-1"))
				}
			})
		}
	}
}
