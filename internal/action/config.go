package action

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sethvargo/go-githubactions"

	"github.com/fixproof/fixproof/internal/baseurl"
	"github.com/fixproof/fixproof/internal/clients"
	"github.com/fixproof/fixproof/internal/duration"
	"github.com/fixproof/fixproof/internal/jira"
	"github.com/fixproof/fixproof/internal/jirakey"
	"github.com/fixproof/fixproof/internal/loop"
	"github.com/fixproof/fixproof/internal/sentry"
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
	{Name: "verify_from", Default: string(verify.FromAuto)},
	{Name: "deploy_environment", Default: "production"},
	{Name: "rate_basis", Default: string(verify.BasisAuto)},
	{Name: "verify_confidence", Default: "0.95"},
	{Name: "max_rate_ratio", Default: "0.2"},
	{Name: "fail_rate_ratio", Default: "0.7"},
	{Name: "status_closed", Default: defaultStatuses(loop.Closed)},
	{Name: "verify_label", Default: loop.LabelVerify},
}

// RepoSettings are the inputs a repository sets for itself, in
// .github/fixproof.yml, when the bot serves it as a GitHub App: where keys
// are found, how issues move, and how fixes are verified. Where the
// services are and the credentials stay the bot's.
var RepoSettings = []string{
	"jira_projects", "key_sources", "status_open", "status_in_progress", "status_in_review", "status_done", "status_closed",
	"jira_comment", "fail_on_error", "dry_run", "verify_label", "error_rate_threshold", "verify_window", "verify_windows",
	"verify_timeout", "verify_from", "deploy_environment", "rate_basis", "verify_confidence", "max_rate_ratio", "fail_rate_ratio",
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
	// VerifyFrom, DeployEnvironment and RateBasis say where the
	// verification's clock starts and what errors are divided by.
	VerifyFrom        verify.From
	DeployEnvironment string
	RateBasis         verify.Basis
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
	in := &inputReader{get: get}
	c := Config{
		GitHubToken:  in.val("github_token"),
		JiraEmail:    in.val("jira_email"),
		JiraAPIToken: in.val("jira_api_token"),
		JiraPAT:      in.val("jira_pat"),
		Mode:         strings.ToLower(in.val("mode")),
		TargetStatus: in.val("target_status"),
		DryRun:       in.boolean("dry_run"),
		FailOnError:  in.boolean("fail_on_error"),
		JiraComment:  in.boolean("jira_comment"),
	}
	c.JiraBaseURL = in.jiraBaseURL()
	in.jiraCredentials(c.JiraEmail, c.JiraAPIToken, c.JiraPAT)
	c.Projects = in.projects()
	c.Sources = in.sources()
	c.Statuses = in.statuses()
	in.mode(c.Mode)
	c.Statuses[loop.Closed] = in.closedStatuses()
	c.SentryBaseURL = in.sentryBaseURL()
	c.SentryToken = in.val("sentry_token")
	c.SentryOrg = in.sentryOrg()
	c.VerifyLabel = in.verifyLabel()
	c.Verify = in.verify()
	c.VerifyFrom, c.DeployEnvironment, c.RateBasis = in.verifyFrom()
	if w := c.Verify.Window; c.RateBasis == verify.BasisSessions && w > 0 && !verify.SessionsWindow(w) {
		in.bad("rate_basis", "sessions needs a verify_window Sentry counts sessions in (1h, 2h, 3h, 4h, 6h, 8h, 12h or 24h), not %s; use transactions or events for shorter windows", w)
	}
	c.PRNumber = in.prNumber()
	c.IssueKeys = in.issueKeys()
	in.dispatch(c)
	return c, errors.Join(in.errs...)
}

// inputReader reads inputs with their defaults applied and collects every
// problem, each naming its input.
type inputReader struct {
	get  func(string) string
	errs []error
}

// val is an input's value, or its action.yml default when it is unset
// (except defaults the runner computes, like ${{ github.token }}).
func (in *inputReader) val(name string) string {
	v := strings.TrimSpace(in.get(name))
	if def := inputDefault(name); v == "" && !strings.HasPrefix(def, "${{") {
		return def
	}
	return v
}

func (in *inputReader) bad(name, format string, args ...any) {
	in.errs = append(in.errs, fmt.Errorf("input %s: "+format, append([]any{name}, args...)...))
}

func (in *inputReader) boolean(name string) bool {
	v := in.val(name)
	b, err := strconv.ParseBool(v)
	if err != nil {
		in.bad(name, "%q is not true or false", v)
	}
	return b
}

// baseURL checks a base URL input with the rule of the client that will
// use it, and reports whether it passed; example shows the input's form.
func (in *inputReader) baseURL(name string, rule baseurl.Rule, raw, example string) bool {
	_, err := rule.Parse(raw)
	var e *baseurl.Error
	switch {
	case !errors.As(err, &e):
		return true
	case e.NotAnHTTPURL():
		in.bad(name, "%q is not an http(s) URL like %s", e.URL, example)
	default:
		in.bad(name, "%s", e.Detail())
	}
	return false
}

func (in *inputReader) jiraBaseURL() string {
	base := in.val("jira_base_url")
	if base == "" {
		in.bad("jira_base_url", "required: the address of your Jira site, e.g. https://acme.atlassian.net")
		return ""
	}
	if !in.baseURL("jira_base_url", jira.BaseURLRule, base, "https://acme.atlassian.net") {
		return ""
	}
	return strings.TrimRight(base, "/")
}

func (in *inputReader) jiraCredentials(email, apiToken, pat string) {
	switch jira.CheckCredentials(email, apiToken, pat) {
	case jira.CredentialsBoth:
		in.bad("jira_pat", "set either jira_email + jira_api_token (Jira Cloud) or jira_pat (Jira Data Center), not both")
	case jira.CredentialsNoEmail:
		in.bad("jira_email", "required with jira_api_token: the email of the Atlassian account the token belongs to")
	case jira.CredentialsNoAPIToken:
		in.bad("jira_api_token", "required with jira_email: create one at https://id.atlassian.com/manage-profile/security/api-tokens")
	case jira.CredentialsNone:
		in.bad("jira_api_token", "no Jira credentials: set jira_email + jira_api_token (Jira Cloud) or jira_pat (Jira Data Center)")
	}
}

func (in *inputReader) projects() []string {
	projects, err := jirakey.ParseProjects(in.val("jira_projects"))
	if err != nil {
		in.errs = append(in.errs, fmt.Errorf("input jira_projects: %w", err))
	}
	return projects
}

func (in *inputReader) sources() []string {
	var out []string
	for _, s := range splitList(in.val("key_sources")) {
		s = strings.ToLower(s)
		if !slices.Contains(allSources, s) {
			in.bad("key_sources", "unknown source %q; use any of %s", s, strings.Join(allSources, ", "))
			continue
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		in.bad("key_sources", "empty; use any of %s", strings.Join(allSources, ", "))
	}
	return out
}

// statusInputs are the inputs of the stages a pull request moves issues
// through, in workflow order.
var statusInputs = []struct {
	stage loop.Stage
	name  string
}{{loop.Open, "status_open"}, {loop.InProgress, "status_in_progress"}, {loop.InReview, "status_in_review"}, {loop.Done, "status_done"}}

func (in *inputReader) statuses() loop.Statuses {
	out := loop.Statuses{}
	for _, si := range statusInputs {
		list := splitStatuses(in.val(si.name))
		if len(list) == 0 {
			in.bad(si.name, "empty; list the Jira status names for this stage, e.g. %q", inputDefault(si.name))
		}
		out[si.stage] = list
	}
	return out
}

func (in *inputReader) mode(mode string) {
	switch mode {
	case "auto", "pr", "sweep":
	default:
		in.bad("mode", "%q is not a mode; use auto, pr or sweep", mode)
	}
}

func (in *inputReader) closedStatuses() []string {
	list := splitStatuses(in.val("status_closed"))
	if len(list) == 0 {
		in.bad("status_closed", "empty; name the status a verified issue goes to, e.g. Closed")
	}
	return list
}

func (in *inputReader) sentryBaseURL() string {
	base := strings.TrimRight(in.val("sentry_base_url"), "/")
	in.baseURL("sentry_base_url", sentry.BaseURLRule, base, "https://sentry.io or https://sentry.example.com")
	return base
}

func (in *inputReader) sentryOrg() string {
	org := strings.ToLower(in.val("sentry_org"))
	if org != "" && !loop.ValidOrgSlug(org) {
		in.bad("sentry_org", "%q is not a Sentry organization slug (lower-case letters, digits, - and _)", org)
	}
	return org
}

func (in *inputReader) verifyLabel() string {
	label := in.val("verify_label")
	if strings.ContainsAny(label, " \t\n\"") || len(label) > 255 {
		in.bad("verify_label", "%q is not a Jira label: no spaces or quotes, at most 255 characters", label)
	}
	return label
}

// verify reads the verification inputs. Their combination is checked only
// when every input so far is valid: one wrong input should not also be
// reported as a wrong combination.
func (in *inputReader) verify() verify.Params {
	var p verify.Params
	if v := in.val("error_rate_threshold"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			in.bad("error_rate_threshold", "%q is not a number of errors per hour (or per 1,000 sessions or transactions, following rate_basis)", v)
		}
		p.Threshold = f
	}
	p.Window = in.duration("verify_window")
	p.Timeout = in.duration("verify_timeout")
	if v := in.val("verify_windows"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			in.bad("verify_windows", "%q is not a whole number of windows", v)
		}
		p.Windows = n
	}
	p.Confidence = in.fraction("verify_confidence", "a confidence like 0.95")
	p.MaxRatio = in.fraction("max_rate_ratio", "a fraction of the rate before the fix like 0.2")
	p.FailRatio = in.fraction("fail_rate_ratio", "a fraction of the rate before the fix like 0.7")
	if err := p.Validate(); err != nil && len(in.errs) == 0 {
		in.errs = append(in.errs, fmt.Errorf("input jira_projects: %w", err))
	}
	return p
}

// fraction reads a number input such as verify_confidence; the range is
// checked with the other verification settings.
func (in *inputReader) fraction(name, what string) float64 {
	v := in.val(name)
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		in.bad(name, "%q is not a number: write %s", v, what)
	}
	return f
}

// verifyFrom reads where the clock starts and what errors are divided by.
func (in *inputReader) verifyFrom() (verify.From, string, verify.Basis) {
	from, err := verify.ParseFrom(in.val("verify_from"))
	if err != nil {
		in.bad("verify_from", "%s", strings.TrimPrefix(err.Error(), "verify_from "))
	}
	basis, err := verify.ParseBasis(in.val("rate_basis"))
	if err != nil {
		in.bad("rate_basis", "%s", strings.TrimPrefix(err.Error(), "rate_basis "))
	}
	env := in.val("deploy_environment")
	if env == "" || strings.ContainsAny(env, "\n\r\t") || len(env) > 255 {
		in.bad("deploy_environment", "%q is not an environment name like production", env)
	}
	return from, env, basis
}

// duration reads a duration input: Go's form (90m, 1h30m) or whole days
// (7d), which people write for timeouts. Zero is refused: a window or a
// timeout of nothing verifies nothing.
func (in *inputReader) duration(name string) time.Duration {
	v := in.val(name)
	d, ok := duration.Parse(v)
	if !ok || d == 0 {
		in.bad(name, "%q is not a duration like 1h, 90m or 7d", v)
	}
	return d
}

func (in *inputReader) prNumber() int {
	v := in.val("pr_number")
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(strings.TrimPrefix(v, "#"))
	if err != nil || n <= 0 {
		in.bad("pr_number", "%q is not a pull request number", v)
	}
	return n
}

func (in *inputReader) issueKeys() []string {
	var out []string
	for _, k := range splitList(in.val("issue_keys")) {
		k = strings.ToUpper(k)
		if !jirakey.Valid(k) {
			in.bad("issue_keys", "%q is not a Jira issue key like OPS-123", k)
			continue
		}
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}

// dispatch checks the inputs of a workflow_dispatch go together.
func (in *inputReader) dispatch(c Config) {
	if (len(c.IssueKeys) > 0) != (c.TargetStatus != "") {
		in.bad("target_status", "issue_keys and target_status go together: give both or neither")
	}
	if c.PRNumber > 0 && len(c.IssueKeys) > 0 {
		in.bad("pr_number", "give pr_number or issue_keys + target_status, not both")
	}
}

// clients are the settings the action's clients are built from: the
// inputs, and GitHub's APIs as the runner names them.
func (c Config) clients(version string, gh *githubactions.GitHubContext) clients.Settings {
	return clients.Settings{
		UserAgent: "fixproof/" + version,
		Jira:      clients.JiraSettings{BaseURL: c.JiraBaseURL, Email: c.JiraEmail, APIToken: c.JiraAPIToken, PAT: c.JiraPAT},
		Sentry:    clients.SentrySettings{BaseURL: c.SentryBaseURL, Token: c.SentryToken, Org: c.SentryOrg},
		GitHub:    clients.GitHubSettings{Token: c.GitHubToken, GraphQLURL: gh.GraphqlURL, APIURL: gh.APIURL},
	}
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
