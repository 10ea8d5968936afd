// Package action is the GitHub Action (`fixproof action`): from the inputs
// and the event the runner hands a container action, it either moves the
// Jira issues a pull request (or a dispatch's issue_keys) names, as the
// flow package decides, keeping a comment and a remote link on each and
// putting merged fixes under verification, or runs the sweep that verifies
// them (mode sweep, or a schedule); it reports through outputs, the step
// summary and annotations.
package action

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fixproof/fixproof/internal/errlist"

	"github.com/sethvargo/go-githubactions"

	"github.com/fixproof/fixproof/internal/clients"
	"github.com/fixproof/fixproof/internal/flow"
	"github.com/fixproof/fixproof/internal/githubpr"
	"github.com/fixproof/fixproof/internal/jira"
	"github.com/fixproof/fixproof/internal/jirakey"
	"github.com/fixproof/fixproof/internal/limiter"
	"github.com/fixproof/fixproof/internal/loop"
	"github.com/fixproof/fixproof/internal/markdown"
	"github.com/fixproof/fixproof/internal/retry"
	"github.com/fixproof/fixproof/internal/uniq"
)

// Deps is what the action needs from its surroundings, so a test runs the
// whole action in-process against simulated servers.
type Deps struct {
	Getenv    func(string) string
	Stdout    io.Writer
	Transport http.RoundTripper // under the retry policy; nil = http.DefaultTransport
	Retry     retry.Policy      // zero = retry.Default()
	Version   string
	Now       func() time.Time // nil = time.Now; tests move time to watch windows pass
}

// ErrFailed is returned when some issues could not be moved and
// fail_on_error is set; the details are already in the annotations.
var ErrFailed = errors.New("some Jira issues could not be updated")

// Up to maxIssues issues are handled at once: a release pull request
// naming hundreds moves them all in one wave, which is what keeps its
// critical path at a PR's three chained requests per issue. What reaches
// Jira is paced apart (limiter.Watch): up to startConcurrency requests in
// flight, halved when Jira says its budget is low down to minConcurrency
// and grown back by quiet answers, and an endpoint Jira asks to wait waits
// for every request.
const (
	maxIssues        = 512
	startConcurrency = 512
	minConcurrency   = 4
)

// Run is the action, start to end. Whatever fails is reported in the
// annotations, the outputs and the step summary; the error is returned
// only with fail_on_error true (the default). With false the step never
// fails: users set it so that a Jira outage or an expired token never
// blocks a merge.
func Run(ctx context.Context, d Deps) error {
	// Issues are handled concurrently and each logs: one lock keeps lines whole.
	gha := githubactions.New(githubactions.WithGetenv(d.Getenv), githubactions.WithWriter(&lockedWriter{w: d.Stdout}))
	input := func(name string) string {
		v := gha.GetInput(name)
		if name == "github_token" && (v == "" || strings.HasPrefix(v, "${{")) {
			// Run by hand: the runner's default is not there.
			v = strings.TrimSpace(d.Getenv("GITHUB_TOKEN"))
		}
		return v
	}
	// Mask before anything else is printed, even a validation error.
	for _, s := range secrets(input) {
		mask(gha, s)
	}
	r := &runner{log: gha, getenv: d.Getenv, version: d.Version, now: d.Now, failOnError: failOnError(input)}
	if r.now == nil {
		r.now = time.Now
	}
	cfg, err := LoadConfig(input)
	if err != nil {
		for _, e := range errlist.Split(err) {
			gha.Errorf("%s", e)
		}
		return r.abort(fmt.Errorf("invalid inputs: %w", err), false)
	}
	r.cfg = cfg
	if r.ctx, err = gha.Context(); err != nil {
		return r.abort(fmt.Errorf("read the GitHub context (GITHUB_EVENT_PATH and the GITHUB_* variables): %w", err), true)
	}
	r.limit = limiter.New(startConcurrency, minConcurrency, startConcurrency)
	r.limit.SetClock(d.Retry.Now, d.Retry.Sleep)
	base := d.Transport
	if base == nil {
		base = clients.Transport
	}
	transport := r.limit.Watch(base, cfg.JiraBaseURL)
	r.httpc = clients.HTTP(clients.HTTPOptions{Transport: transport, Policy: d.Retry, OnRetry: func(req *http.Request, dec retry.Decision) {
		gha.Infof("retrying %s %s after %s (%s)", req.Method, req.URL.Path, dec.Wait, clean(dec.Reason))
	}})
	r.clients = cfg.clients(d.Version, r.ctx)
	return r.run(ctx)
}

type runner struct {
	cfg Config
	// log is where the run says what it did: the workflow's log and
	// annotations for the action, a check run's text for the app.
	log     Log
	ctx     *githubactions.GitHubContext
	getenv  func(string) string
	httpc   *http.Client
	clients clients.Settings
	version string
	now     func() time.Time
	github  *githubpr.Client
	jira    *jira.Client
	// failOnError is fail_on_error, known even when other inputs are not
	// valid.
	failOnError bool
	// checkRun is whether the report goes on a check run (the app)
	// rather than a workflow step.
	checkRun bool
	// limit paces the requests to Jira, steered by its answers (nil: not
	// paced, as when a caller brings its own HTTP client).
	limit *limiter.Limiter
}

// plan is what the event asks for: which keys go where, and why.
type plan struct {
	keys     []string
	target   []string
	stage    loop.Stage
	fromDone bool
	reason   string
	pr       *githubpr.PR // the PR to comment about, nil for a key dispatch
	revertOf *githubpr.PR // for a revert, the PR whose keys go back
	// eagerLink writes each issue's remote link alongside the look for
	// its comment, not after it. For an event that changes the comment
	// (see changesComment) this takes a round trip off every issue's
	// chain, at the cost of a link rewritten for nothing if the comment
	// was current after all. A push, an edit (which mostly changes the
	// body, not the title the comment shows) and a re-run of a workflow
	// (GITHUB_RUN_ATTEMPT above 1) look first and write nothing when the
	// comment is current.
	eagerLink bool
}

func (r *runner) run(ctx context.Context) error {
	r.github = clients.GitHub(r.clients, r.httpc)
	jc, err := clients.Jira(r.clients, r.httpc)
	if err != nil {
		return r.abort(fmt.Errorf("%w: check jira_base_url", err), true)
	}
	r.jira = jc

	r.log.Infof("fixproof %s: %s event on %s (run %s)", r.version, clean(r.ctx.EventName), clean(r.ctx.Repository), clean(r.getenv("GITHUB_RUN_ID")))
	if r.sweeping() {
		return r.sweep(ctx)
	}
	p, err := r.plan(ctx)
	if err != nil {
		// No keys are known: there is nothing to report per issue.
		return r.abort(err, true)
	}
	if p == nil {
		return nil
	}
	results, stop := r.handle(ctx, p)
	if err := r.report(p, results, stop); err != nil {
		r.log.Errorf("%s", clean(err.Error()))
		return r.verdict(err)
	}
	if stop != nil {
		return r.verdict(stop)
	}
	if slices.ContainsFunc(results, func(res Result) bool { return res.Action == Failed }) {
		return r.verdict(ErrFailed)
	}
	return nil
}

// handle carries a plan out in Jira: each issue moved, with its comment
// and remote link, and a merged fix put under verification.
func (r *runner) handle(ctx context.Context, p *plan) (results []Result, stop error) {
	results, stop = r.apply(ctx, p)
	if stop == nil {
		r.recordMerge(ctx, p, results)
	}
	return results, stop
}

// verdict is what the step returns for a failure that has been reported:
// the error with fail_on_error, nothing without.
func (r *runner) verdict(err error) error {
	if r.failOnError || err == nil {
		return err
	}
	r.log.Noticef("fail_on_error is false: this step succeeds although fixproof failed (%s); the annotations above say what to fix", clean(err.Error()))
	return nil
}

// abort reports a failure that stopped the run before any issue could be
// handled (invalid inputs, GitHub or Jira unreachable or refusing the
// credentials): an annotation unless the caller made its own, outputs
// with no keys, the error output and a step summary that says what
// happened and whether the step fails for it.
func (r *runner) abort(err error, annotate bool) error {
	if annotate {
		r.log.Errorf("%s", clean(err.Error()))
	}
	names := []string{"issue_keys", "transitioned", "skipped", "failed"}
	title := "fixproof"
	if r.ctx != nil && r.sweeping() {
		names = append(names, "sentry_resolved", "jira_closed", "unverified")
		title = "fixproof sweep"
	}
	outputs := make([][2]string, 0, len(names)+2)
	for _, n := range names {
		outputs = append(outputs, [2]string{n, ""})
	}
	outputs = append(outputs, [2]string{"results_json", "[]"}, [2]string{"error", clean(err.Error())})
	var b strings.Builder
	fmt.Fprintf(&b, "### %s\n\n**Stopped before any Jira issue was looked at:** %s\n\nNo issue keys could be handled, so no issue was moved.\n\n%s\n",
		title, markdown.Escape(err.Error()), r.failureNote())
	werr := writeOutputs(r.getenv("GITHUB_OUTPUT"), outputs)
	if werr == nil {
		werr = appendFile(r.getenv("GITHUB_STEP_SUMMARY"), b.String())
	}
	if werr != nil {
		r.log.Errorf("%s", clean(werr.Error()))
	}
	return r.verdict(err)
}

// failureNote is the step summary's word on whether failures fail the step.
func (r *runner) failureNote() string {
	if r.checkRun {
		if r.cfg.FailOnError {
			return "The check fails (fail_on_error is true)."
		}
		return "The check is neutral (fail_on_error is false): it blocks nothing."
	}
	if r.failOnError {
		return "This step fails (fail_on_error is true)."
	}
	return "fail_on_error is false, so this step succeeds anyway and blocks nothing; fix the error and re-run the job to update the issues."
}

// plan turns the event into a plan; nil means nothing to do.
func (r *runner) plan(ctx context.Context) (*plan, error) {
	repo := r.ctx.Repository
	switch r.ctx.EventName {
	case "pull_request", "pull_request_target":
		number := eventPRNumber(r.ctx.Event)
		if number == 0 {
			return nil, errors.New("the pull_request event has no pull request number; is GITHUB_EVENT_PATH the event file?")
		}
		action, _ := r.ctx.Event["action"].(string)
		return r.planPR(ctx, repo, number, action)
	case "workflow_dispatch":
		if r.cfg.PRNumber > 0 {
			return r.planPR(ctx, repo, r.cfg.PRNumber, "synchronize")
		}
		if len(r.cfg.IssueKeys) > 0 {
			target, stage := r.cfg.target()
			return &plan{keys: r.filter(r.cfg.IssueKeys), target: target, stage: stage, fromDone: true,
				reason: "dispatched to " + r.cfg.TargetStatus}, nil
		}
		r.log.Noticef("workflow_dispatch without pr_number or issue_keys + target_status: nothing to do")
		return nil, nil
	default:
		r.log.Noticef("fixproof does nothing on %s events; run it on pull_request, workflow_dispatch or schedule (the sweep)", clean(r.ctx.EventName))
		return nil, nil
	}
}

func (r *runner) planPR(ctx context.Context, repo string, number int, action string) (*plan, error) {
	// Actions that never move issues are known before reading the PR.
	if in := flow.ForPullRequest(action, flow.PR{}, false); in.Ignore {
		r.log.Noticef("%s", clean(in.Reason))
		return nil, nil
	}
	pr, err := r.github.Fetch(ctx, repo, number)
	if err != nil {
		return nil, r.githubHint(err)
	}
	if pr.TotalCommits > len(pr.Commits) {
		r.log.Warningf("GitHub listed %d of %d commits of #%d; keys in the others were not seen", len(pr.Commits), pr.TotalCommits, number)
	}
	revertN, isRevert := flow.RevertOf(pr.Title, pr.Body, repo)
	intent := flow.ForPullRequest(action, flow.PR{State: pr.State, IsDraft: pr.IsDraft}, isRevert)
	if intent.Ignore {
		r.log.Noticef("%s", clean(intent.Reason))
		return nil, nil
	}
	p := &plan{pr: pr, stage: intent.Target, target: r.cfg.Statuses[intent.Target], reason: intent.Reason,
		eagerLink: changesComment(action) && !r.rerun()}
	source := pr
	if intent.Revert {
		reverted, err := r.github.Fetch(ctx, repo, revertN)
		if err != nil {
			return nil, fmt.Errorf("revert of #%d: %w", revertN, r.githubHint(err))
		}
		p.revertOf, p.fromDone, source = reverted, true, reverted
		p.reason = fmt.Sprintf("#%d reverted #%d", pr.Number, revertN)
	}
	p.keys = r.keysOf(source)
	return p, nil
}

// changesComment says whether a pull request event changes what the PR
// comment says (the pull request's state: open, draft, merged or closed):
// opened, reopened, ready_for_review, converted_to_draft and closed do.
func changesComment(action string) bool {
	switch action {
	case "opened", "reopened", "ready_for_review", "converted_to_draft", "closed":
		return true
	}
	return false
}

// rerun says whether this is a re-run of a workflow run: GitHub numbers
// each attempt in GITHUB_RUN_ATTEMPT, from 1.
func (r *runner) rerun() bool {
	attempt, _ := strconv.Atoi(r.getenv("GITHUB_RUN_ATTEMPT"))
	return attempt > 1
}

// keysOf collects the keys of a PR from the configured sources.
func (r *runner) keysOf(pr *githubpr.PR) []string {
	ex := jirakey.Extractor{Projects: r.cfg.Projects}
	var lists [][]string
	for _, src := range r.cfg.Sources {
		switch src {
		case "title":
			lists = append(lists, ex.Text(pr.Title))
		case "branch":
			lists = append(lists, ex.Branch(pr.HeadRefName))
		case "body":
			lists = append(lists, ex.Body(pr.Body))
		}
	}
	// Commits are walked once, in order, whether or not merges count.
	plain, merges := slices.Contains(r.cfg.Sources, "commits"), slices.Contains(r.cfg.Sources, "merge_commits")
	for _, c := range pr.Commits {
		if c.Merge && merges || !c.Merge && plain {
			lists = append(lists, ex.Text(c.Message))
		}
	}
	return uniq.Concat(lists...)
}

func (r *runner) filter(keys []string) []string {
	if len(r.cfg.Projects) == 0 {
		return keys
	}
	var out []string
	for _, k := range keys {
		if slices.Contains(r.cfg.Projects, jirakey.Project(k)) {
			out = append(out, k)
		}
	}
	return out
}

// Result actions.
const (
	Transitioned = "transitioned"
	Skipped      = "skipped"
	Failed       = "failed"
	Planned      = "planned"
)

// Result is what happened to one issue; results_json carries these.
type Result struct {
	Key     string `json:"key"`
	From    string `json:"from"`
	To      string `json:"to"`
	Action  string `json:"action"`
	Reason  string `json:"reason"`
	Summary string `json:"-"`
	URL     string `json:"-"`
}

// apply carries the plan out: one search for every key, then each issue
// concurrently. When no issue can be handled at all (Jira cannot be
// searched) every key is a failed result with the reason, and stop is that
// reason, already annotated.
func (r *runner) apply(ctx context.Context, p *plan) (results []Result, stop error) {
	if len(p.keys) == 0 {
		r.log.Noticef("no Jira issue keys found%s", r.whereLooked(p))
		return nil, nil
	}
	failAll := func(err error) ([]Result, error) {
		r.log.Errorf("%s", clean(err.Error()))
		results := make([]Result, len(p.keys))
		for i, key := range p.keys {
			results[i] = Result{Key: key, Action: Failed, Reason: err.Error(), URL: r.jira.BrowseURL(key)}
		}
		return results, err
	}
	if len(p.target) == 0 {
		return failAll(fmt.Errorf("no status names for %s: set status_%s", p.stage, p.stage))
	}
	r.log.Infof("keys: %s; target: %s (%s)", strings.Join(p.keys, " "), strings.Join(p.target, " or "), clean(p.reason))
	found, missing, err := r.jira.Search(ctx, p.keys)
	if err != nil {
		return failAll(fmt.Errorf("search Jira for %s: %w", strings.Join(p.keys, ", "), r.jiraHint(err)))
	}
	results = make([]Result, len(p.keys))
	slots := make(chan struct{}, maxIssues)
	var wg sync.WaitGroup
	for i, key := range p.keys {
		if slices.Contains(missing, key) {
			results[i] = Result{Key: key, Action: Skipped, Reason: "not found", URL: r.jira.BrowseURL(key)}
			continue
		}
		slots <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			results[i] = r.one(ctx, p, found[key])
		}()
	}
	wg.Wait()
	return results, nil
}

// one moves one issue and keeps its comment and remote link current.
func (r *runner) one(ctx context.Context, p *plan, is jira.Issue) Result {
	// The comment and link depend only on the PR, not on the move, so they
	// go in parallel with the transitions: the issue costs the longer of
	// the two chains of round trips, not their sum.
	if r.cfg.JiraComment && !r.cfg.DryRun && p.pr != nil {
		done := make(chan struct{})
		go func() {
			defer close(done)
			if err := r.annotate(ctx, p, is.Key); err != nil {
				r.log.Warningf("%s: comment or remote link not updated: %s", is.Key, clean(r.jiraHint(err).Error()))
			}
		}()
		defer func() { <-done }()
	}
	res := Result{Key: is.Key, From: is.Status, To: is.Status, Summary: is.Summary, URL: r.jira.BrowseURL(is.Key)}
	verdict, why := flow.Decide(flow.Issue{Key: is.Key, Status: is.Status, Category: is.Category}, p.target, p.fromDone)
	if verdict == flow.Skip {
		res.Action, res.Reason = Skipped, why
		return res
	}
	goal := flow.Goal{Target: p.target, Stage: p.stage, Statuses: r.cfg.Statuses}
	var path []string
	var err error
	if r.cfg.DryRun {
		// Plan, say so, change nothing.
		var next string
		if next, err = flow.Plan(ctx, r.jira, is.Key, is.Status, is.Transitions, goal); err == nil {
			path = []string{next}
		}
	} else {
		path, err = flow.Walk(ctx, r.jira, is.Key, is.Status, is.Transitions, goal)
	}
	if len(path) > 0 {
		res.To = path[len(path)-1]
	}
	switch nr := (*flow.NotReachableError)(nil); {
	case errors.As(err, &nr):
		res.Action, res.Reason = Failed, fmt.Sprintf("%s in %s", nr.Error(), jirakey.Project(is.Key))
	case err != nil:
		res.Action, res.Reason = Failed, r.jiraHint(err).Error()
	case r.cfg.DryRun:
		res.Action, res.Reason = Planned, "dry run: would move to "+res.To
		if !slices.ContainsFunc(p.target, func(s string) bool { return strings.EqualFold(s, res.To) }) {
			res.Reason += " on the way to " + strings.Join(p.target, " or ")
		}
	default:
		res.Action, res.Reason = Transitioned, p.reason
		if len(path) > 1 {
			res.Reason += " (via " + strings.Join(path[:len(path)-1], ", ") + ")"
		}
	}
	if res.Action == Failed {
		r.log.Errorf("%s: %s", is.Key, clean(res.Reason))
	}
	return res
}

func (r *runner) whereLooked(p *plan) string {
	if p.pr == nil {
		return ""
	}
	s := fmt.Sprintf(" in %s of %s#%d", strings.Join(r.cfg.Sources, ", "), p.pr.Repo, p.pr.Number)
	if len(r.cfg.Projects) > 0 {
		s += " for projects " + strings.Join(r.cfg.Projects, ", ")
	}
	return s
}

// jiraHint adds the inputs to check to failures that are the
// configuration's: refused credentials and a Jira that cannot be reached.
func (r *runner) jiraHint(err error) error {
	var api *jira.APIError
	if unreachable(err) {
		return fmt.Errorf("%w: could not reach Jira; check jira_base_url (%s) and that the runner can reach it", err, r.cfg.JiraBaseURL)
	}
	if !errors.As(err, &api) || !api.Auth() {
		return err
	}
	inputs := "jira_email and jira_api_token (the token must belong to that Atlassian account)"
	if r.cfg.JiraPAT != "" {
		inputs = "jira_pat (a Data Center personal access token)"
	}
	if api.Status == http.StatusForbidden {
		return fmt.Errorf("%w: Jira refused the request; check that the account behind %s may browse and transition issues in these projects", err, inputs)
	}
	return fmt.Errorf("%w: Jira did not accept the credentials; check %s and jira_base_url", err, inputs)
}

// hostOf is a URL's host[:port], "" when it has none.
func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Host
}

// unreachable reports whether err is a failure to reach a server at all
// (DNS, connection refused or cut, TLS), rather than an answer from it.
func unreachable(err error) bool {
	var op *net.OpError
	var dns *net.DNSError
	var ue *url.Error
	return errors.As(err, &op) || errors.As(err, &dns) || errors.As(err, &ue) && !ue.Timeout()
}

func (r *runner) githubHint(err error) error {
	if unreachable(err) {
		return fmt.Errorf("%w: could not reach GitHub's API at %s (GITHUB_GRAPHQL_URL)", err, r.ctx.GraphqlURL)
	}
	return githubHint(err)
}

func githubHint(err error) error {
	msg := err.Error()
	if strings.Contains(msg, "401") {
		return fmt.Errorf("%w: check github_token (it defaults to ${{ github.token }})", err)
	}
	if strings.Contains(msg, "403") {
		return fmt.Errorf("%w: github_token lacks permission; give the job `permissions: pull-requests: read, contents: read`", err)
	}
	return err
}

func eventPRNumber(ev map[string]any) int {
	if pr, ok := ev["pull_request"].(map[string]any); ok {
		if n, ok := pr["number"].(float64); ok {
			return int(n)
		}
	}
	if n, ok := ev["number"].(float64); ok {
		return int(n)
	}
	return 0
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
