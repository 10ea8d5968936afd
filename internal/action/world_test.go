package action

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/contract"
	"github.com/fixproof/fixproof/internal/retry"
	"github.com/fixproof/fixproof/internal/sim"
	"github.com/fixproof/fixproof/internal/sim/githubsim"
	"github.com/fixproof/fixproof/internal/sim/jirasim"
	"github.com/fixproof/fixproof/internal/sim/sentrysim"
)

// Secrets used by the simulated world; tests assert none of them leaks.
const (
	ghToken    = "ghs_e2eSecretToken123"
	jiraEmail  = "bot@acme.io"
	jiraToken  = "ATATT3xSecretJiraToken"
	jiraPAT    = "NjIwMDk3DataCenterPAT"
	sentryTok  = "sntrys_e2eSecretSentryToken"
	sentryOrg  = "acme"
	repoOwner  = "Codertocat"
	repoName   = "Hello-World"
	repoFull   = repoOwner + "/" + repoName
	prNumber   = 2
	serverURL  = "https://github.com"
	eventsRoot = "github/events"
)

// world is a simulated GitHub and Jira with the real action pointed at them.
type world struct {
	t         testing.TB
	jira      *jirasim.Server
	gh        *githubsim.Server
	sentry    *sentrysim.Server
	jiraURL   string
	ghURL     string
	sentryURL string
	clock     *sim.Clock
	flavor    jirasim.Flavor
	contracts string
	transport http.RoundTripper
	gql       *contract.GraphQLRecorder
	env       map[string]string // set over the defaults in every run
	// wall is the time Jira's rate limit runs on; retry skips its
	// waits there instead of sleeping.
	wall  *sim.Wall
	retry retry.Policy
}

// newWorld starts both simulators with projects OPS, WEB and SEC, and a
// transport that validates every request the action sends and every
// response the simulators give against GitHub's schema and Atlassian's
// OpenAPI spec.
func newWorld(t *testing.T, flavor jirasim.Flavor) *world {
	t.Helper()
	w := buildWorld(t, flavor, true)
	w.contracts = contract.Require(t)
	jiraHost, sentryHost := hostOf(w.jiraURL), hostOf(w.sentryURL)
	w.gql = contract.GraphQLTransport(t, contract.GitHubSchema(t), http.DefaultTransport)
	jiraCheck := contract.JiraSpec(t).Transport(t, http.DefaultTransport)
	sentryCheck := contract.SentrySpec(t).Transport(t, http.DefaultTransport)
	w.transport = roundTripFunc(func(r *http.Request) (*http.Response, error) {
		switch {
		case r.URL.Host == jiraHost:
			return jiraCheck.RoundTrip(r)
		case r.URL.Host == sentryHost:
			return sentryCheck.RoundTrip(r)
		case strings.HasSuffix(r.URL.Path, "/graphql"):
			return w.gql.RoundTrip(r)
		}
		// GitHub's REST API: its OpenAPI description is not among our
		// contracts; githubsim's comment objects are checked against the
		// webhook schema in its own tests.
		return http.DefaultTransport.RoundTrip(r)
	})
	return w
}

// newBareWorld is the same world without contract validation, for
// benchmarks: validating a 2.4 MB spec per request would be what they
// measure.
func newBareWorld(t testing.TB, flavor jirasim.Flavor) *world {
	t.Helper()
	return buildWorld(t, flavor, false)
}

// buildWorld starts the simulators. strict makes them as strict as the
// services: Jira Cloud's rate limit, its search lagging a few seconds
// behind a create, ADF checked against Atlassian's schema where the
// contracts are, and GITHUB_TOKEN's rate limits. Benchmarks leave them
// off: they measure the action, not the limits.
func buildWorld(t testing.TB, flavor jirasim.Flavor, strict bool) *world {
	return buildLimitedWorld(t, flavor, strict, false)
}

// buildLimitedWorld is buildWorld; realLimit puts Jira Cloud's rate limit
// on in real time, with the action's own retry policy, which really
// waits: a world to time, not to test in.
func buildLimitedWorld(t testing.TB, flavor jirasim.Flavor, strict, realLimit bool) *world {
	t.Helper()
	w := &world{t: t, flavor: flavor, wall: &sim.Wall{}, clock: sim.NewClock(time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC))}
	w.retry = fastRetry
	w.retry.Sleep = func(ctx context.Context, d time.Duration) error { w.wall.Skip(d); return ctx.Err() }
	w.retry.Now = w.wall.Now // the clock the waits are skipped on
	jo := jirasim.Options{Flavor: flavor, Email: jiraEmail, APIToken: jiraToken, PAT: jiraPAT}
	var gl githubsim.Limits
	if realLimit {
		jo.RateLimit = jirasim.CloudRateLimit
		w.retry = retry.Default()
	}
	if strict {
		jo.RateLimit = jirasim.CloudRateLimit
		jo.RateLimit.Clock = w.wall.Now
		jo.Now, jo.SearchLag = w.clock.Now, 5*time.Second
		jo.ADF = contract.ADFIfPresent(t)
		gl = githubsim.ActionsLimits()
	}
	w.jira = jirasim.New(jo)
	w.jira.AddProject("OPS", "Operations", jirasim.DefaultWorkflow())
	w.jira.AddProject("WEB", "Web", jirasim.DefaultWorkflow())
	jsrv := httptest.NewServer(w.jira.Handler())
	t.Cleanup(jsrv.Close)
	w.jiraURL = jsrv.URL

	w.gh = githubsim.New(githubsim.Options{Token: ghToken, Limits: gl})
	w.gh.AddRepo(repoOwner, repoName)
	gsrv := httptest.NewServer(w.gh.Handler())
	t.Cleanup(gsrv.Close)
	w.ghURL = gsrv.URL

	w.sentry = sentrysim.New(sentrysim.Options{Token: sentryTok, Org: sentryOrg, Now: w.clock.Now})
	w.sentry.ConnectRepository(repoFull) // so sweeps resolve in the merge commit
	ssrv := httptest.NewServer(w.sentry.Handler())
	t.Cleanup(ssrv.Close)
	w.sentryURL = ssrv.URL
	return w
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// issue adds a Jira issue in a status.
func (w *world) issue(key, status string) {
	w.t.Helper()
	if err := w.jira.AddIssue(key, "Summary of "+key, status); err != nil {
		w.t.Fatal(err)
	}
}

// status is an issue's current status in the simulator.
func (w *world) status(key string) string {
	w.t.Helper()
	is, ok := w.jira.Issue(key)
	if !ok {
		w.t.Fatalf("no issue %s", key)
	}
	return is.Status
}

// pr stores the pull request on the simulated GitHub. Commits get
// generated object ids.
func (w *world) pr(pr githubsim.PullRequest) githubsim.PullRequest {
	for i := range pr.Commits {
		if pr.Commits[i].OID == "" {
			pr.Commits[i].OID = strings.Repeat("0", 32) + hex8(pr.Number*1000+i)
		}
	}
	if pr.Number == 0 {
		pr.Number = prNumber
	}
	if pr.State == "" {
		pr.State = "OPEN"
	}
	if pr.State == "MERGED" && pr.MergedAt == nil {
		at := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
		pr.MergedAt = &at
	}
	w.gh.AddPullRequest(repoOwner, repoName, pr)
	got, _ := w.gh.PullRequest(repoOwner, repoName, pr.Number)
	return got
}

func hex8(n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, 8)
	for i := 7; i >= 0; i-- {
		b[i] = digits[n&15]
		n >>= 4
	}
	return string(b)
}

// event loads a real octokit pull_request payload and edits it to match
// the pull request: the action must cope with exactly what GitHub sends.
func (w *world) event(name string, pr githubsim.PullRequest) map[string]any {
	w.t.Helper()
	raw, err := os.ReadFile(filepath.Join(w.contracts, eventsRoot, name))
	if err != nil {
		w.t.Fatal(err)
	}
	var ev map[string]any
	if err := json.Unmarshal(raw, &ev); err != nil {
		w.t.Fatal(err)
	}
	if p, ok := ev["pull_request"].(map[string]any); ok {
		p["number"] = pr.Number
		p["title"] = pr.Title
		p["body"] = pr.Body
		p["draft"] = pr.IsDraft
		p["merged"] = pr.State == "MERGED"
		p["state"] = map[bool]string{true: "open", false: "closed"}[pr.State == "OPEN"]
		p["head"].(map[string]any)["ref"] = pr.HeadRefName
		ev["number"] = pr.Number
	}
	return ev
}

// outcome is what one run of the action left behind.
type outcome struct {
	err     error
	stdout  string
	outputs map[string]string
	summary string
}

func (o outcome) results(t testing.TB) map[string]Result {
	t.Helper()
	var rs []Result
	if err := json.Unmarshal([]byte(o.outputs["results_json"]), &rs); err != nil {
		t.Fatalf("results_json %q: %v", o.outputs["results_json"], err)
	}
	m := map[string]Result{}
	for _, r := range rs {
		m[r.Key] = r
	}
	return m
}

// run runs `fixproof action` for one event with the given inputs
// (name, value pairs) on top of the credentials for the world's flavor.
func (w *world) run(eventName string, event map[string]any, in ...string) outcome {
	w.t.Helper()
	dir := w.t.TempDir()
	env := map[string]string{
		"GITHUB_EVENT_NAME":     eventName,
		"GITHUB_REPOSITORY":     repoFull,
		"GITHUB_API_URL":        w.ghURL,
		"GITHUB_GRAPHQL_URL":    w.ghURL + "/graphql",
		"GITHUB_SERVER_URL":     serverURL,
		"GITHUB_OUTPUT":         filepath.Join(dir, "output"),
		"GITHUB_STEP_SUMMARY":   filepath.Join(dir, "summary"),
		"GITHUB_RUN_ID":         "4242",
		"INPUT_GITHUB_TOKEN":    ghToken,
		"INPUT_JIRA_BASE_URL":   w.jiraURL,
		"INPUT_SENTRY_BASE_URL": w.sentryURL,
		"INPUT_SENTRY_TOKEN":    sentryTok,
		"INPUT_SENTRY_ORG":      sentryOrg,
	}
	if event != nil {
		raw, _ := json.Marshal(event)
		env["GITHUB_EVENT_PATH"] = filepath.Join(dir, "event.json")
		if err := os.WriteFile(env["GITHUB_EVENT_PATH"], raw, 0o600); err != nil {
			w.t.Fatal(err)
		}
	}
	if w.flavor == jirasim.Cloud {
		env["INPUT_JIRA_EMAIL"], env["INPUT_JIRA_API_TOKEN"] = jiraEmail, jiraToken
	} else {
		env["INPUT_JIRA_PAT"] = jiraPAT
	}
	maps.Copy(env, w.env)
	for i := 0; i+1 < len(in); i += 2 {
		env["INPUT_"+strings.ToUpper(in[i])] = in[i+1]
	}
	var stdout bytes.Buffer
	err := Run(context.Background(), Deps{
		Getenv:    func(k string) string { return env[k] },
		Stdout:    &stdout,
		Transport: w.transport,
		Retry:     w.retry,
		Version:   "test",
		Now:       w.clock.Now,
	})
	o := outcome{err: err, stdout: stdout.String(), outputs: readOutputs(w.t, env["GITHUB_OUTPUT"])}
	if b, err := os.ReadFile(env["GITHUB_STEP_SUMMARY"]); err == nil {
		o.summary = string(b)
	}
	return o
}

// fastRetry is the production policy without the waiting.
var fastRetry = retry.Policy{Attempts: 5, Base: time.Millisecond, Max: time.Millisecond, MaxWait: time.Minute, Patience: retry.Default().Patience,
	Sleep: func(ctx context.Context, d time.Duration) error { return ctx.Err() }}

// readOutputs parses a GITHUB_OUTPUT file the way the runner does:
// name<<DELIMITER, the value's lines, DELIMITER.
func readOutputs(t testing.TB, path string) map[string]string {
	t.Helper()
	out := map[string]string{}
	f, err := os.Open(path)
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 4<<20)
	for sc.Scan() {
		name, delim, ok := strings.Cut(sc.Text(), "<<")
		if !ok {
			t.Fatalf("GITHUB_OUTPUT line %q is not name<<delimiter", sc.Text())
		}
		var lines []string
		for sc.Scan() && sc.Text() != delim {
			lines = append(lines, sc.Text())
		}
		if _, dup := out[name]; dup {
			t.Errorf("output %s written twice", name)
		}
		out[name] = strings.Join(lines, "\n")
	}
	return out
}
