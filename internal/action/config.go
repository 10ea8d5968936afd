package action

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fixproof/fixproof/internal/jirakey"
	"github.com/fixproof/fixproof/internal/loop"
	"github.com/fixproof/fixproof/internal/verify"
)

// Input is one input of the action, with the default the runner applies
// from action.yml. The code applies the same default when the variable is
// unset, so `fixproof action` run by hand behaves like the workflow step;
// a test keeps this table and action.yml in step.
type Input struct {
	Name    string
	Default string
	Secret  bool
}

// Inputs is every input the action reads.
var Inputs = []Input{
	{Name: "github_token", Default: "${{ github.token }}", Secret: true},
	{Name: "jira_base_url"},
	{Name: "jira_email", Secret: true},
	{Name: "jira_api_token", Secret: true},
	{Name: "jira_pat", Secret: true},
	{Name: "jira_projects"},
	{Name: "key_sources", Default: "title,branch,body,commits"},
	{Name: "status_open", Default: defaultStatuses(loop.Open)},
	{Name: "status_in_progress", Default: defaultStatuses(loop.InProgress)},
	{Name: "status_in_review", Default: defaultStatuses(loop.InReview)},
	{Name: "status_done", Default: defaultStatuses(loop.Done)},
	{Name: "mode", Default: "auto"},
	{Name: "pr_number"},
	{Name: "issue_keys"},
	{Name: "target_status"},
	{Name: "dry_run", Default: "false"},
	{Name: "fail_on_error", Default: "true"},
	{Name: "jira_comment", Default: "true"},
	{Name: "sentry_base_url", Default: "https://sentry.io"},
	{Name: "sentry_token", Secret: true},
	{Name: "sentry_org"},
	{Name: "error_rate_threshold", Default: "1"},
	{Name: "verify_window", Default: "1h"},
	{Name: "verify_windows", Default: "3"},
	{Name: "verify_timeout", Default: "168h"},
	{Name: "status_closed", Default: defaultStatuses(loop.Closed)},
	{Name: "verify_label", Default: loop.LabelVerify},
}

// defaultStatuses is a stage's default candidates as an input writes them.
func defaultStatuses(s loop.Stage) string { return strings.Join(loop.DefaultStatuses()[s], ",") }

// Config is the validated inputs.
type Config struct {
	GitHubToken  string
	JiraBaseURL  string
	JiraEmail    string
	JiraAPIToken string
	JiraPAT      string
	Projects     []string
	Sources      []string
	Statuses     loop.Statuses
	Mode         string
	PRNumber     int
	IssueKeys    []string
	TargetStatus string
	DryRun       bool
	FailOnError  bool
	JiraComment  bool

	SentryBaseURL string
	SentryToken   string
	SentryOrg     string
	Verify        verify.Params
	VerifyLabel   string
}

// failOnError reads fail_on_error on its own, before the other inputs are
// checked, so that with false even invalid inputs or missing secrets (as in
// a pull request from a fork) do not fail the step. A value that is not a
// boolean counts as true, the default, and LoadConfig reports it.
func failOnError(get func(string) string) bool {
	v := strings.TrimSpace(get("fail_on_error"))
	if v == "" {
		return true
	}
	b, err := strconv.ParseBool(v)
	return err != nil || b
}

// Key sources that key_sources accepts.
var allSources = []string{"title", "branch", "body", "commits", "merge_commits"}

// secrets lists the values of the secret inputs, for masking; it reads raw
// values so that masking happens before any validation message is shown.
func secrets(get func(string) string) []string {
	var out []string
	for _, in := range Inputs {
		if v := strings.TrimSpace(get(in.Name)); in.Secret && v != "" {
			out = append(out, v)
		}
	}
	return out
}

// LoadConfig reads and validates every input. get returns an input's raw
// value (empty when unset). All problems are reported at once, each naming
// the input to fix.
func LoadConfig(get func(string) string) (Config, error) {
	val := func(name string) string {
		v := strings.TrimSpace(get(name))
		if v == "" {
			for _, in := range Inputs {
				if in.Name == name && !strings.HasPrefix(in.Default, "${{") {
					return in.Default
				}
			}
		}
		return v
	}
	var errs []error
	bad := func(name, format string, args ...any) {
		errs = append(errs, fmt.Errorf("input %s: "+format, append([]any{name}, args...)...))
	}
	boolean := func(name string) bool {
		v := val(name)
		b, err := strconv.ParseBool(v)
		if err != nil {
			bad(name, "%q is not true or false", v)
		}
		return b
	}

	c := Config{
		GitHubToken:  val("github_token"),
		JiraEmail:    val("jira_email"),
		JiraAPIToken: val("jira_api_token"),
		JiraPAT:      val("jira_pat"),
		Mode:         strings.ToLower(val("mode")),
		TargetStatus: val("target_status"),
		DryRun:       boolean("dry_run"),
		FailOnError:  boolean("fail_on_error"),
		JiraComment:  boolean("jira_comment"),
	}

	base := val("jira_base_url")
	if u, err := url.Parse(base); base == "" {
		bad("jira_base_url", "required: the address of your Jira site, e.g. https://acme.atlassian.net")
	} else if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		bad("jira_base_url", "%q is not an http(s) URL like https://acme.atlassian.net", base)
	} else {
		c.JiraBaseURL = strings.TrimRight(base, "/")
	}

	cloud := c.JiraEmail != "" || c.JiraAPIToken != ""
	switch {
	case cloud && c.JiraPAT != "":
		bad("jira_pat", "set either jira_email + jira_api_token (Jira Cloud) or jira_pat (Jira Data Center), not both")
	case cloud && c.JiraEmail == "":
		bad("jira_email", "required with jira_api_token: the email of the Atlassian account the token belongs to")
	case cloud && c.JiraAPIToken == "":
		bad("jira_api_token", "required with jira_email: create one at https://id.atlassian.com/manage-profile/security/api-tokens")
	case !cloud && c.JiraPAT == "":
		bad("jira_api_token", "no Jira credentials: set jira_email + jira_api_token (Jira Cloud) or jira_pat (Jira Data Center)")
	}

	projects, err := jirakey.ParseProjects(val("jira_projects"))
	if err != nil {
		errs = append(errs, fmt.Errorf("input %w", err))
	}
	c.Projects = projects

	for _, s := range splitList(val("key_sources")) {
		s = strings.ToLower(s)
		if !slices.Contains(allSources, s) {
			bad("key_sources", "unknown source %q; use any of %s", s, strings.Join(allSources, ", "))
			continue
		}
		if !slices.Contains(c.Sources, s) {
			c.Sources = append(c.Sources, s)
		}
	}
	if len(c.Sources) == 0 {
		bad("key_sources", "empty; use any of %s", strings.Join(allSources, ", "))
	}

	c.Statuses = loop.Statuses{}
	for stage, name := range map[loop.Stage]string{loop.Open: "status_open", loop.InProgress: "status_in_progress", loop.InReview: "status_in_review", loop.Done: "status_done"} {
		list := splitStatuses(val(name))
		if len(list) == 0 {
			bad(name, "empty; list the Jira status names for this stage, e.g. %q", inputDefault(name))
		}
		c.Statuses[stage] = list
	}

	switch c.Mode {
	case "auto", "pr", "sweep":
	default:
		bad("mode", "%q is not a mode; use auto, pr or sweep", c.Mode)
	}

	c.Statuses[loop.Closed] = splitStatuses(val("status_closed"))
	if len(c.Statuses[loop.Closed]) == 0 {
		bad("status_closed", "empty; name the status a verified issue goes to, e.g. Closed")
	}
	c.SentryBaseURL = strings.TrimRight(val("sentry_base_url"), "/")
	if u, err := url.Parse(c.SentryBaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		bad("sentry_base_url", "%q is not an http(s) URL like https://sentry.io or https://sentry.example.com", c.SentryBaseURL)
	}
	c.SentryToken = val("sentry_token")
	c.SentryOrg = strings.ToLower(val("sentry_org"))
	if c.SentryOrg != "" && !orgSlug.MatchString(c.SentryOrg) {
		bad("sentry_org", "%q is not a Sentry organization slug (lower-case letters, digits, - and _)", c.SentryOrg)
	}
	c.VerifyLabel = val("verify_label")
	if strings.ContainsAny(c.VerifyLabel, " \t\n\"") || len(c.VerifyLabel) > 255 {
		bad("verify_label", "%q is not a Jira label: no spaces or quotes, at most 255 characters", c.VerifyLabel)
	}
	if v := val("error_rate_threshold"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			bad("error_rate_threshold", "%q is not a number of events per hour", v)
		}
		c.Verify.Threshold = f
	}
	c.Verify.Window = duration(val, bad, "verify_window")
	c.Verify.Timeout = duration(val, bad, "verify_timeout")
	if v := val("verify_windows"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			bad("verify_windows", "%q is not a whole number of windows", v)
		}
		c.Verify.Windows = n
	}
	if err := c.Verify.Validate(); err != nil && len(errs) == 0 {
		errs = append(errs, fmt.Errorf("input %w", err))
	}

	if v := val("pr_number"); v != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(v, "#"))
		if err != nil || n <= 0 {
			bad("pr_number", "%q is not a pull request number", v)
		}
		c.PRNumber = n
	}
	if v := val("issue_keys"); v != "" {
		for _, k := range splitList(v) {
			k = strings.ToUpper(k)
			if !jirakey.Valid(k) {
				bad("issue_keys", "%q is not a Jira issue key like OPS-123", k)
				continue
			}
			if !slices.Contains(c.IssueKeys, k) {
				c.IssueKeys = append(c.IssueKeys, k)
			}
		}
	}
	if (len(c.IssueKeys) > 0) != (c.TargetStatus != "") {
		bad("target_status", "issue_keys and target_status go together: give both or neither")
	}
	if c.PRNumber > 0 && len(c.IssueKeys) > 0 {
		bad("pr_number", "give pr_number or issue_keys + target_status, not both")
	}
	return c, errors.Join(errs...)
}

var orgSlug = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,49}$`)

// duration reads a duration input: Go's form (90m, 1h30m) or whole days
// (7d), which people write for timeouts.
func duration(val func(string) string, bad func(string, string, ...any), name string) time.Duration {
	v := val(name)
	if days, ok := strings.CutSuffix(v, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil && n > 0 {
			return time.Duration(n) * 24 * time.Hour
		}
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		bad(name, "%q is not a duration like 1h, 90m or 7d", v)
	}
	return d
}

// sweepReady reports what a sweep still needs.
func (c Config) sweepReady() error {
	var errs []error
	if c.SentryToken == "" {
		errs = append(errs, errors.New("input sentry_token: required to sweep: a Sentry auth token with event:read and event:write"))
	}
	if c.SentryOrg == "" {
		errs = append(errs, errors.New("input sentry_org: required to sweep: your Sentry organization slug"))
	}
	return errors.Join(errs...)
}

func inputDefault(name string) string {
	for _, in := range Inputs {
		if in.Name == name {
			return in.Default
		}
	}
	return ""
}

// splitList splits on commas and white space.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\t' || r == '\r' })
}

// splitStatuses splits on commas and new lines only: status names contain
// spaces ("In Review").
func splitStatuses(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' }) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// target resolves target_status for a dispatch: a stage name
// ("in_review") means that stage's status list, anything else is a list
// of literal status names.
func (c Config) target() ([]string, loop.Stage) {
	if st, ok := loop.ParseStage(c.TargetStatus); ok {
		return c.Statuses[st], st
	}
	list := splitStatuses(c.TargetStatus)
	for _, st := range []loop.Stage{loop.Open, loop.InProgress, loop.InReview, loop.Done, loop.Closed} {
		for _, s := range list {
			if slices.ContainsFunc(c.Statuses[st], func(x string) bool { return strings.EqualFold(x, s) }) {
				return list, st
			}
		}
	}
	return list, loop.None
}
