// Package botconfig loads the bot's configuration: a YAML file, every
// key overridable from the environment (FIXPROOF_JIRA_API_TOKEN for
// jira.api_token), secrets also from files (api_token_file), defaults
// applied and everything validated at start. Every problem is reported at
// once, each naming where the setting comes from (the file and line, or
// the environment variable), its key and what to write (see Problem).
package botconfig

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fixproof/fixproof/internal/baseurl"
	"github.com/fixproof/fixproof/internal/clients"
	"github.com/fixproof/fixproof/internal/duration"
	"github.com/fixproof/fixproof/internal/guance"
	"github.com/fixproof/fixproof/internal/jira"
	"github.com/fixproof/fixproof/internal/loop"
	"github.com/fixproof/fixproof/internal/sentry"
	"github.com/fixproof/fixproof/internal/verify"
)

// Config is the whole configuration.
type Config struct {
	Listen       string       `yaml:"listen"`
	Store        string       `yaml:"store"`
	Workers      int          `yaml:"workers"`
	MaxAttempts  int          `yaml:"max_attempts"`
	UpdateEvery  Duration     `yaml:"update_every"`
	Lease        Duration     `yaml:"lease"`
	MaxBody      int          `yaml:"max_body_bytes"`
	Jira         Jira         `yaml:"jira"`
	Sentry       Sentry       `yaml:"sentry"`
	Alertmanager Alertmanager `yaml:"alertmanager"`
	Guance       Guance       `yaml:"guance"`
	GitHub       GitHub       `yaml:"github"`
	Sweep        Sweep        `yaml:"sweep"`
	Reconcile    Reconcile    `yaml:"reconcile"`
	Dashboard    Dashboard    `yaml:"dashboard"`
	Metrics      Metrics      `yaml:"metrics"`
	Routes       []Route      `yaml:"routes"`
	Escalation   Escalation   `yaml:"escalation"`
	Silences     []Silence    `yaml:"silences"`
	MuteAfter    Duration     `yaml:"mute_after_close"`
	Scrub        Scrub        `yaml:"scrub"`
	Templates    Templates    `yaml:"templates"`
}

// Jira is where issues go.
type Jira struct {
	BaseURL      string   `yaml:"base_url"`
	Email        string   `yaml:"email"`
	APIToken     string   `yaml:"api_token" secret:"true"`
	APITokenFile string   `yaml:"api_token_file"`
	PAT          string   `yaml:"pat" secret:"true"`
	PATFile      string   `yaml:"pat_file"`
	Project      string   `yaml:"project"`
	IssueType    string   `yaml:"issue_type"`
	Labels       []string `yaml:"labels"`
	ReopenWindow Duration `yaml:"reopen_window"`
	// The stages a move may pass through, as the action names them: the
	// first reachable status of a list wins.
	StatusOpen       []string `yaml:"status_open"`
	StatusInProgress []string `yaml:"status_in_progress"`
	StatusInReview   []string `yaml:"status_in_review"`
	StatusDone       []string `yaml:"status_done"`
	// WebhookSecret verifies Jira's webhooks (X-Hub-Signature) for
	// comment sync; without it POST /webhooks/jira refuses everything.
	WebhookSecret     string `yaml:"webhook_secret" secret:"true"`
	WebhookSecretFile string `yaml:"webhook_secret_file"`
	// WontFix names resolutions after which a new alert opens a new
	// issue instead of reopening.
	WontFix  []string `yaml:"wont_fix"`
	LinkType string   `yaml:"link_type"`
}

// Sentry is where Sentry webhooks come from.
type Sentry struct {
	BaseURL          string `yaml:"base_url"`
	Org              string `yaml:"org"`
	Token            string `yaml:"token" secret:"true"`
	TokenFile        string `yaml:"token_file"`
	ClientSecret     string `yaml:"client_secret" secret:"true"`
	ClientSecretFile string `yaml:"client_secret_file"`
	LegacyToken      string `yaml:"legacy_token" secret:"true"`
	LegacyTokenFile  string `yaml:"legacy_token_file"`
	// Installation is the integration's installation uuid: with it the
	// bot links Sentry issues to Jira as external issues, without it as
	// notes.
	Installation string `yaml:"installation"`
	// MaxAge refuses (400) a signed delivery whose body is dated longer
	// ago than this by its own timestamps: the signature covers only the
	// body, so a captured delivery could otherwise be replayed later. 0
	// means no limit (copies are still counted once).
	MaxAge Duration `yaml:"max_age"`
}

// Guance is Guance (观测云) exception tracking: polled as an alert source,
// replied to with Jira comments, its status kept in step with Jira.
type Guance struct {
	BaseURL    string   `yaml:"base_url"`
	APIKey     string   `yaml:"api_key" secret:"true"`
	APIKeyFile string   `yaml:"api_key_file"`
	Workspace  string   `yaml:"workspace"`
	Channels   []string `yaml:"channels"`
	Interval   Duration `yaml:"interval"`
	// Overlap is how far each poll reaches back before the previous one
	// ended, so a late or failed run loses nothing.
	Overlap Duration `yaml:"overlap"`
	// Status maps a Jira status category (new, indeterminate, done) to a
	// Guance statusType (Open 10, Working 15, Resolved 20, Closed 25,
	// Pending 30).
	Status map[string]int `yaml:"status"`
}

// GitHub is the bot as a GitHub App: installed on an organization, it
// handles the pull requests of every repository it is installed on with
// the action's code, and reports on each with a check run (githubapp).
type GitHub struct {
	// AppID and the private key (PEM) are the app's, from its settings
	// page on GitHub; 0 leaves the app mode off.
	AppID          int    `yaml:"app_id"`
	PrivateKey     string `yaml:"private_key" secret:"true"`
	PrivateKeyFile string `yaml:"private_key_file"`
	// WebhookSecret verifies the app's webhooks (X-Hub-Signature-256)
	// at POST /webhooks/github.
	WebhookSecret     string `yaml:"webhook_secret" secret:"true"`
	WebhookSecretFile string `yaml:"webhook_secret_file"`
	// APIURL and GraphQLURL are GitHub's APIs; on GitHub Enterprise
	// Server https://HOST/api/v3 and https://HOST/api/graphql.
	APIURL     string `yaml:"api_url"`
	GraphQLURL string `yaml:"graphql_url"`
	// Settings are the action's inputs every repository starts from
	// (jira_projects, key_sources, the verification settings, ...); a
	// repository's .github/fixproof.yml overrides them. The statuses
	// default to jira.status_*.
	Settings map[string]string `yaml:"settings"`
}

// Enabled reports whether the bot is a GitHub App.
func (g GitHub) Enabled() bool { return g.AppID != 0 }

// Sweep is the verification sweep run inside the bot, over every issue
// under watch, for the GitHub App's repositories.
type Sweep struct {
	// Interval is how often it runs, in one replica at a time; a
	// deployment_status webhook starts one sooner. 0 leaves it off (run
	// the action's scheduled sweep instead).
	Interval Duration `yaml:"interval"`
}

// Reconcile heals missed Jira webhooks from Jira itself.
type Reconcile struct {
	Interval Duration `yaml:"interval"` // 0 = off
	// Overlap is how far each pass reaches back before the cursor.
	Overlap Duration `yaml:"overlap"`
}

// Dashboard is the read-only page of every loop at /.
type Dashboard struct {
	// Token opens the dashboard to anyone who has it; without one it
	// answers only requests from this machine.
	Token     string `yaml:"token" secret:"true"`
	TokenFile string `yaml:"token_file"`
	// The action's verification settings (its inputs of the same
	// names), for the windows and the threshold line of the charts.
	Threshold   float64  `yaml:"error_rate_threshold"`
	Window      Duration `yaml:"verify_window"`
	Windows     int      `yaml:"verify_windows"`
	Timeout     Duration `yaml:"verify_timeout"`
	From        string   `yaml:"verify_from"`
	Environment string   `yaml:"deploy_environment"`
	Basis       string   `yaml:"rate_basis"`
	Confidence  float64  `yaml:"verify_confidence"`
	MaxRatio    float64  `yaml:"max_rate_ratio"`
	FailRatio   float64  `yaml:"fail_rate_ratio"`
	// RefreshEvery is how old the list's data may grow before a request
	// refreshes it from Jira in the background, PageRefresh how often the
	// list reloads itself in the browser; 0 means 15s and 30s.
	RefreshEvery Duration `yaml:"refresh_every"`
	PageRefresh  Duration `yaml:"page_refresh"`
	// KeepFresh is how often the bot refreshes the list with nobody
	// looking, so that the data a page shows when Jira goes down is never
	// older than that; 0 refreshes only while someone looks.
	KeepFresh Duration `yaml:"keep_fresh"`
	// MaxLoops bounds the list (500 when 0): one Jira search per 100.
	MaxLoops int `yaml:"max_loops"`
	// GitHubURL is the site pull requests are linked on: https://github.com
	// when empty, a GitHub Enterprise Server's otherwise.
	GitHubURL string `yaml:"github_url"`
}

// maxDashboardLoops is the most loops the list may hold: 100 searches.
const maxDashboardLoops = 10000

// Params are the verification settings the dashboard charts with.
func (d Dashboard) Params() verify.Params {
	return verify.Params{Threshold: d.Threshold, Window: d.Window.D(), Windows: d.Windows, Timeout: d.Timeout.D(),
		Confidence: d.Confidence, MaxRatio: d.MaxRatio, FailRatio: d.FailRatio}
}

// validate checks the verification settings, naming the key to fix.
func (d Dashboard) validate(p *problems) {
	if err := d.Params().Validate(); err != nil {
		p.add("dashboard", "%v", err)
	}
	if _, err := verify.ParseFrom(d.From); err != nil {
		p.add("dashboard.verify_from", "%q: use auto, deploy or merge", d.From)
	}
	if b, err := verify.ParseBasis(d.Basis); err != nil {
		p.add("dashboard.rate_basis", "%q: use auto, events, sessions or transactions", d.Basis)
	} else if b == verify.BasisSessions && !verify.SessionsWindow(d.Window.D()) {
		p.add("dashboard.rate_basis", "sessions needs a verify_window Sentry counts sessions in (1h, 2h, 3h, 4h, 6h, 8h, 12h or 24h), not %s", d.Window.D())
	}
	if d.Environment == "" {
		p.add("dashboard.deploy_environment", "required, e.g. production")
	}
	d.validateList(p)
}

// validateList checks how the list is read and linked.
func (d Dashboard) validateList(p *problems) {
	// Durations are never negative: parseDuration refuses them.
	if pr := d.PageRefresh.D(); pr > 0 && pr < 5*time.Second {
		p.add("dashboard.page_refresh", "%s: use 5s or more (a browser reloading faster only loads Jira), or 0 for the default 30s", pr)
	}
	if k := d.KeepFresh.D(); k > 0 && k < time.Minute {
		p.add("dashboard.keep_fresh", "%s: use 1m or more (a read of Jira per 100 loops each time), or 0 to refresh only while someone looks", k)
	}
	if d.MaxLoops < 0 || d.MaxLoops > maxDashboardLoops {
		p.add("dashboard.max_loops", "%d: use 1 to %d, or 0 for the default 500", d.MaxLoops, maxDashboardLoops)
	}
	if d.GitHubURL != "" {
		p.baseURL("dashboard.github_url", gitHubSiteRule, d.GitHubURL)
	}
}

// gitHubSiteRule is what dashboard.github_url must be: the site pull
// requests are on (GitHub Enterprise Server's), not its API root.
var gitHubSiteRule = baseurl.Rule{Service: "github", APIPath: "/api/v3", Names: "site pull requests are on", Credential: "dashboard token"}

// Metrics is GET /metrics, the Prometheus scrape.
type Metrics struct {
	// Token, when set, is required as "Authorization: Bearer <token>"
	// (Prometheus: authorization: {credentials: ...}); without one the
	// endpoint is open, as exporters usually are.
	Token     string `yaml:"token" secret:"true"`
	TokenFile string `yaml:"token_file"`
}

// Alertmanager is where Alertmanager webhooks come from.
type Alertmanager struct {
	Token     string `yaml:"token" secret:"true"`
	TokenFile string `yaml:"token_file"`
	// JiraLabels names alert labels whose values become Jira labels
	// NAME-VALUE (severity: page gives severity-page). Alerts are not
	// errors, so an Alertmanager issue has no error-class label.
	JiraLabels []string `yaml:"jira_labels"`
}

// Route sends matching alerts to another Jira project, issue type,
// labels or components. The first matching route wins.
type Route struct {
	Match       Match    `yaml:"match"`
	Project     string   `yaml:"project"`
	IssueType   string   `yaml:"issue_type"`
	Labels      []string `yaml:"labels"`
	Components  []string `yaml:"components"`
	AutoResolve bool     `yaml:"auto_resolve"`
	// StatusDone is where auto_resolve moves an issue; empty means
	// jira.status_done.
	StatusDone []string `yaml:"status_done"`
}

// Match selects alerts: every field set must match.
type Match struct {
	Source        string `yaml:"source"`         // sentry | alertmanager | guance
	SentryProject string `yaml:"sentry_project"` // project slug
	Receiver      string `yaml:"receiver"`       // Alertmanager receiver
	// Labels are Alertmanager labels, Sentry tags, or for Guance the tag
	// channels (the issue's channel uuids, joined with ", "), exact values.
	Labels map[string]string `yaml:"labels"`
}

// Escalation raises the priority as an alert's rate grows.
type Escalation struct {
	Window Duration `yaml:"window"`
	// Thresholds are events per window; crossing each raises the Jira
	// priority one level (once per level, with a comment).
	Thresholds []int `yaml:"thresholds"`
}

// Silence suppresses matching alerts until it expires. Suppressed alerts
// are counted, never silently dropped.
type Silence struct {
	Matchers map[string]string `yaml:"matchers"`
	Until    time.Time         `yaml:"until"`
	Comment  string            `yaml:"comment"`
}

// Scrub configures personal-data removal.
type Scrub struct {
	Extra    []string `yaml:"extra"`
	KeepUser bool     `yaml:"keep_user"`
}

// Templates override the issue's summary and description.
type Templates struct {
	Summary     string `yaml:"summary"`
	Description string `yaml:"description"`
}

// Duration is a time.Duration written as "90s", "1h" or "7d".
type Duration time.Duration

// D is the duration as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// parseDuration is duration.Parse, with the message the bot's settings
// give: zero is a duration here (0 turns reconcile.interval and
// sentry.max_age off).
func parseDuration(s string) (time.Duration, error) {
	d, ok := duration.Parse(s)
	if !ok {
		return 0, fmt.Errorf("%q is not a duration like 90s, 1h or 7d", strings.TrimSpace(s))
	}
	return d, nil
}

// Default is the configuration before the file is read.
func Default() Config {
	statuses := loop.DefaultStatuses()
	return Config{
		Listen:      ":8080",
		Store:       "sqlite://fixproof.db",
		Workers:     4,
		MaxAttempts: 25,
		UpdateEvery: Duration(time.Minute),
		Lease:       Duration(2 * time.Minute),
		MaxBody:     1 << 20,
		MuteAfter:   0,
		Jira: Jira{
			IssueType: "Bug", ReopenWindow: Duration(168 * time.Hour),
			StatusOpen:       statuses[loop.Open],
			StatusInProgress: statuses[loop.InProgress],
			StatusInReview:   statuses[loop.InReview],
			StatusDone:       statuses[loop.Done],
			WontFix:          []string{"Won't Do", "Won't Fix", "Duplicate", "Cannot Reproduce"},
			LinkType:         "Relates",
		},
		Sentry: Sentry{BaseURL: "https://sentry.io", MaxAge: Duration(24 * time.Hour)},
		Guance: Guance{BaseURL: "https://openapi.guance.com", Interval: Duration(time.Minute), Overlap: Duration(5 * time.Minute),
			Status: map[string]int{"new": 10, "indeterminate": 15, "done": 20}},
		GitHub:    GitHub{APIURL: "https://api.github.com", GraphQLURL: "https://api.github.com/graphql"},
		Reconcile: Reconcile{Interval: Duration(5 * time.Minute), Overlap: Duration(2 * time.Minute)},
		Dashboard: Dashboard{Threshold: 1, Window: Duration(time.Hour), Windows: 3, Timeout: Duration(168 * time.Hour),
			From: "auto", Environment: "production", Basis: "auto", Confidence: 0.95, MaxRatio: 0.2, FailRatio: 0.7,
			KeepFresh: Duration(5 * time.Minute)},
		Escalation: Escalation{Window: Duration(10 * time.Minute)},
	}
}

// Load reads the file at path (may be "" for environment only), applies
// the environment (getenv) and validates. Every problem is reported, each
// on a line of the error that names where the setting comes from (the
// file and line, or the environment variable), its key and what to write.
func Load(path string, getenv func(string) string) (Config, error) {
	cfg := Default()
	p := newProblems(path)
	if path != "" {
		raw, err := os.ReadFile(path)
		if err != nil {
			return cfg, fmt.Errorf("config: %w", err)
		}
		d := &decoder{p: p}
		doc, ok := d.parse(raw)
		if !ok {
			return cfg, p.err()
		}
		d.document(doc, &cfg)
	}
	applyEnv(reflect.ValueOf(&cfg).Elem(), getenv, func(env, key string, err error) {
		p.addEnv(env, key, "%v", err)
	}, p.fromEnv, "")
	readSecretFiles(reflect.ValueOf(&cfg).Elem(), p, "")
	cfg.validate(p)
	return cfg, p.err()
}

// FromEnvironment reports whether getenv has any FIXPROOF_* variable that
// sets a setting (FIXPROOF_CONFIG, which names the file, is not one).
func FromEnvironment(getenv func(string) string) bool {
	cfg := Default()
	set := map[string]bool{}
	applyEnv(reflect.ValueOf(&cfg).Elem(), getenv, func(string, string, error) {}, set, "")
	return len(set) > 0
}

// applyEnv sets every scalar field from FIXPROOF_<PATH> when that
// variable is set: FIXPROOF_JIRA_API_TOKEN for jira.api_token. Lists are
// comma-separated. Lists of structs (routes, silences) come only from the
// file.
func applyEnv(v reflect.Value, getenv func(string) string, bad func(env, key string, err error), set map[string]bool, keyPrefix string) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		tag := yamlName(t.Field(i))
		if tag == "" {
			continue
		}
		key := keyPrefix + tag
		fv := v.Field(i)
		if fv.Kind() == reflect.Struct && fv.Type() != timeType {
			applyEnv(fv, getenv, bad, set, key+".")
			continue
		}
		env := envName(key)
		raw := getenv(env)
		if raw == "" {
			continue
		}
		set[key] = true
		if err := setScalar(fv, raw); err != nil {
			bad(env, key, err)
		}
	}
}

// setScalar sets fv from an environment variable's value raw, by fv's
// type: a Duration ("7d", "90s"), a string, a whole number, a number, a
// bool, or a comma-separated list of strings or whole numbers.
func setScalar(fv reflect.Value, raw string) error {
	if fv.Type() == reflect.TypeOf(Duration(0)) {
		d, err := parseDuration(raw)
		if err != nil {
			return err
		}
		fv.SetInt(int64(d))
		return nil
	}
	set := scalarSetters[scalarKindOf(fv.Type())]
	if set == nil {
		return errors.New("cannot be set from the environment; use the config file")
	}
	return set(fv, raw)
}

// scalarKind is a kind of field setScalar sets: a kind, and for a slice
// the kind of its elements.
type scalarKind struct{ kind, elem reflect.Kind }

func scalarKindOf(t reflect.Type) scalarKind {
	if t.Kind() == reflect.Slice {
		return scalarKind{reflect.Slice, t.Elem().Kind()}
	}
	return scalarKind{kind: t.Kind()}
}

// scalarSetters set a field of each kind from an environment variable.
var scalarSetters = map[scalarKind]func(fv reflect.Value, raw string) error{
	{kind: reflect.String}:          setString,
	{kind: reflect.Int}:             setInt,
	{kind: reflect.Float64}:         setFloat,
	{kind: reflect.Bool}:            setBool,
	{reflect.Slice, reflect.String}: setStrings,
	{reflect.Slice, reflect.Int}:    setInts,
}

func setString(fv reflect.Value, raw string) error {
	fv.SetString(raw)
	return nil
}

func setInt(fv reflect.Value, raw string) error {
	n, err := strconv.Atoi(raw)
	if err != nil {
		return fmt.Errorf("%q is not a whole number", raw)
	}
	fv.SetInt(int64(n))
	return nil
}

func setFloat(fv reflect.Value, raw string) error {
	f, err := strconv.ParseFloat(raw, 64)
	if err != nil {
		return fmt.Errorf("%q is not a number", raw)
	}
	fv.SetFloat(f)
	return nil
}

func setBool(fv reflect.Value, raw string) error {
	b, err := strconv.ParseBool(raw)
	if err != nil {
		return fmt.Errorf("%q is not true or false", raw)
	}
	fv.SetBool(b)
	return nil
}

// setStrings sets a list of the comma-separated values, trimmed, empty
// ones left out.
func setStrings(fv reflect.Value, raw string) error {
	var list []string
	for _, s := range strings.Split(raw, ",") {
		if s = strings.TrimSpace(s); s != "" {
			list = append(list, s)
		}
	}
	fv.Set(reflect.ValueOf(list))
	return nil
}

// setInts sets a list of the comma-separated whole numbers.
func setInts(fv reflect.Value, raw string) error {
	var list []int
	for _, s := range strings.Split(raw, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("%q is not a list of whole numbers", raw)
		}
		list = append(list, n)
	}
	fv.Set(reflect.ValueOf(list))
	return nil
}

// readSecretFiles fills each empty secret field (api_token) from the file
// its sibling names (api_token_file, or FIXPROOF_JIRA_API_TOKEN_FILE),
// so secrets can come from mounted files instead of the environment.
func readSecretFiles(v reflect.Value, p *problems, keyPrefix string) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f, fv := t.Field(i), v.Field(i)
		tag := yamlName(f)
		if fv.Kind() == reflect.Struct && fv.Type() != timeType {
			readSecretFiles(fv, p, keyPrefix+tag+".")
			continue
		}
		if f.Tag.Get("secret") != "true" || fv.String() != "" {
			continue
		}
		j, ok := fieldIndex(t, tag+"_file")
		if !ok || v.Field(j).String() == "" {
			continue
		}
		b, err := os.ReadFile(v.Field(j).String())
		if err != nil {
			p.add(keyPrefix+tag+"_file", "%v", err)
			continue
		}
		fv.SetString(strings.TrimSpace(string(b)))
	}
}

var projectKey = regexp.MustCompile(`^[A-Z][A-Z0-9_]{1,9}$`)

// baseURL checks a base URL setting with the rule of the client that uses
// it. The bot's defaults are in Default, so an empty setting is one the
// file emptied, and wrong.
func (p *problems) baseURL(key string, rule baseurl.Rule, raw string) {
	rule.Default = ""
	_, err := rule.Parse(raw)
	var e *baseurl.Error
	switch {
	case !errors.As(err, &e):
	case e.NotAnHTTPURL():
		p.add(key, "%q is not an http(s) URL", e.URL)
	default:
		p.add(key, "%s", e.Detail())
	}
}

// validate checks the configuration; every problem names where the
// setting comes from and its key.
func (c *Config) validate(p *problems) {
	c.validateServer(p)
	c.Jira.validate(p)
	c.Sentry.validate(p)
	c.validateAlertSources(p)
	c.Guance.validate(p)
	c.validateGitHub(p)
	c.validateSweep(p)
	validateRoutes(p, c.Routes)
	c.Escalation.validate(p)
	validateSilences(p, c.Silences)
	c.Scrub.validate(p)
	c.Templates.validate(p)
}

// validateServer checks the settings of the bot itself.
func (c *Config) validateServer(p *problems) {
	if c.Listen == "" {
		p.add("listen", "required, e.g. \":8080\"")
	}
	if !strings.HasPrefix(c.Store, "sqlite://") && !strings.HasPrefix(c.Store, "postgres://") && !strings.HasPrefix(c.Store, "postgresql://") {
		p.add("store", "%q: use sqlite://PATH or postgres://USER@HOST:PORT/DB", c.Store)
	}
	c.Dashboard.validate(p)
	if c.Workers < 1 || c.Workers > 256 {
		p.add("workers", "%d: between 1 and 256", c.Workers)
	}
	if c.MaxAttempts < 1 {
		p.add("max_attempts", "%d: at least 1", c.MaxAttempts)
	}
	if c.Lease.D() < time.Second {
		p.add("lease", "%s: at least 1s", c.Lease.D())
	}
	if c.MaxBody < 1024 {
		p.add("max_body_bytes", "%d: at least 1024", c.MaxBody)
	}
}

func (j *Jira) validate(p *problems) {
	if j.BaseURL == "" {
		p.add("jira.base_url", "required, e.g. https://acme.atlassian.net")
	} else {
		p.baseURL("jira.base_url", jira.BaseURLRule, j.BaseURL)
	}
	switch jira.CheckCredentials(j.Email, j.APIToken, j.PAT) {
	case jira.CredentialsBoth:
		p.add("jira.pat", "set either jira.email + jira.api_token (Cloud) or jira.pat (Data Center), not both")
	case jira.CredentialsNoEmail, jira.CredentialsNoAPIToken:
		p.add("jira.api_token", "Jira Cloud needs both jira.email and jira.api_token (or api_token_file)")
	case jira.CredentialsNone:
		p.add("jira.api_token", "no Jira credentials: set jira.email + jira.api_token (Cloud) or jira.pat (Data Center)")
	}
	switch {
	case j.Project == "":
		p.add("jira.project", "required: the key of the project issues go to, e.g. OPS")
	case !projectKey.MatchString(j.Project):
		p.add("jira.project", "%q is not a Jira project key like OPS", j.Project)
	}
	if j.IssueType == "" {
		p.add("jira.issue_type", "required, e.g. Bug")
	}
	if len(j.StatusOpen) == 0 {
		p.add("jira.status_open", "required: the statuses a reopened issue may go to")
	}
}

func (s *Sentry) validate(p *problems) {
	if s.Org != "" && !loop.ValidOrgSlug(s.Org) {
		p.add("sentry.org", "%q is not a Sentry organization slug", s.Org)
	}
	p.baseURL("sentry.base_url", sentry.BaseURLRule, s.BaseURL)
	if m := s.MaxAge.D(); m != 0 && m < time.Minute {
		p.add("sentry.max_age", "%s: 0 (no limit) or at least 1m: Sentry's clock and this machine's differ by seconds", m)
	}
}

// validateAlertSources wants at least one way for alerts to come in.
func (c *Config) validateAlertSources(p *problems) {
	if c.Sentry.ClientSecret == "" && c.Sentry.LegacyToken == "" && c.Alertmanager.Token == "" && c.Guance.APIKey == "" {
		p.add("sentry.client_secret", "no alert source is configured: set sentry.client_secret, sentry.legacy_token, alertmanager.token or guance.api_key")
	}
}

// guanceStatusTypes are the issue statusType values Guance documents.
var guanceStatusTypes = []int{guance.StatusOpen, guance.StatusWorking, guance.StatusResolved, guance.StatusClosed, guance.StatusPending}

// validate checks Guance's settings when Guance is used (an API key).
func (g *Guance) validate(p *problems) {
	if g.APIKey == "" {
		return
	}
	if g.Workspace == "" {
		p.add("guance.workspace", "required with guance.api_key: the workspace uuid (it names the fingerprints)")
	}
	if g.Interval.D() < 10*time.Second {
		p.add("guance.interval", "%s: at least 10s", g.Interval.D())
	}
	p.baseURL("guance.base_url", guance.BaseURLRule, g.BaseURL)
	for _, cat := range slices.Sorted(maps.Keys(g.Status)) {
		if st := g.Status[cat]; !slices.Contains(guanceStatusTypes, st) {
			p.add("guance.status."+cat, "%d: a Guance statusType is 10, 15, 20, 25 or 30", st)
		}
	}
}

func validateRoutes(p *problems, routes []Route) {
	for i, r := range routes {
		key := fmt.Sprintf("routes[%d]", i)
		switch r.Match.Source {
		case "", "sentry", "alertmanager", "guance":
		default:
			p.add(key+".match.source", "%q: use sentry, alertmanager or guance", r.Match.Source)
		}
		if r.Project != "" && !projectKey.MatchString(r.Project) {
			p.add(key+".project", "%q is not a Jira project key", r.Project)
		}
	}
}

func (e *Escalation) validate(p *problems) {
	prev := 0
	for i, th := range e.Thresholds {
		if th <= prev {
			p.add(fmt.Sprintf("escalation.thresholds[%d]", i), "%d: thresholds must increase and be above 0", th)
		}
		prev = th
	}
	if len(e.Thresholds) > 0 && e.Window.D() < time.Minute {
		p.add("escalation.window", "%s: at least 1m", e.Window.D())
	}
}

func validateSilences(p *problems, silences []Silence) {
	for i, s := range silences {
		if len(s.Matchers) == 0 {
			p.add(fmt.Sprintf("silences[%d].matchers", i), "required: a silence without matchers would silence everything")
		}
		if s.Until.IsZero() {
			p.add(fmt.Sprintf("silences[%d].until", i), "required: an expiry like 2026-12-31T00:00:00Z")
		}
	}
}

func (s *Scrub) validate(p *problems) {
	for i, pattern := range s.Extra {
		if _, err := regexp.Compile(pattern); err != nil {
			p.add(fmt.Sprintf("scrub.extra[%d]", i), "%v", err)
		}
	}
}

func (t *Templates) validate(p *problems) {
	for _, f := range []struct{ key, path string }{{"templates.summary", t.Summary}, {"templates.description", t.Description}} {
		if f.path == "" {
			continue
		}
		if _, err := os.Stat(f.path); err != nil {
			p.add(f.key, "%v", err)
		}
	}
}

// Clients are the settings the bot's clients are built from; userAgent
// names the program and its version.
func (c *Config) Clients(userAgent string) clients.Settings {
	return clients.Settings{
		UserAgent: userAgent,
		Jira:      clients.JiraSettings{BaseURL: c.Jira.BaseURL, Email: c.Jira.Email, APIToken: c.Jira.APIToken, PAT: c.Jira.PAT},
		Sentry:    clients.SentrySettings{BaseURL: c.Sentry.BaseURL, Token: c.Sentry.Token, Org: c.Sentry.Org},
		Guance:    clients.GuanceSettings{BaseURL: c.Guance.BaseURL, APIKey: c.Guance.APIKey},
	}
}

// Secrets lists the secret values, so that logs can be checked for them.
func (c *Config) Secrets() []string {
	var out []string
	for _, s := range []string{c.Jira.APIToken, c.Jira.PAT, c.Jira.WebhookSecret, c.Sentry.Token, c.Sentry.ClientSecret, c.Sentry.LegacyToken, c.Alertmanager.Token, c.Guance.APIKey,
		c.Dashboard.Token, c.Metrics.Token} {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
