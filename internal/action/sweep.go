package action

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fixproof/fixproof/internal/errlist"

	"github.com/fixproof/fixproof/internal/chart"
	"github.com/fixproof/fixproof/internal/clients"
	"github.com/fixproof/fixproof/internal/deployment"
	"github.com/fixproof/fixproof/internal/loop"
	"github.com/fixproof/fixproof/internal/markdown"
	"github.com/fixproof/fixproof/internal/sentry"
	"github.com/fixproof/fixproof/internal/sentrylink"
	"github.com/fixproof/fixproof/internal/sweep"
	"github.com/fixproof/fixproof/internal/verify"
)

// sweeping reports whether this run sweeps rather than handles a PR.
func (r *runner) sweeping() bool {
	return r.cfg.Mode == "sweep" || r.cfg.Mode == "auto" && r.ctx.EventName == "schedule"
}

func (r *runner) finder() sentrylink.Finder {
	return sentrylink.Finder{BaseURL: r.cfg.SentryBaseURL, Org: r.cfg.SentryOrg}
}

// sweep runs the verification sweep and reports it.
func (r *runner) sweep(ctx context.Context) error {
	if err := r.cfg.sweepReady(); err != nil {
		for _, e := range errlist.Split(err) {
			r.log.Errorf("%s", e)
		}
		return r.abort(err, false)
	}
	prs, err := clients.PRComments(r.clients, r.httpc)
	if err != nil {
		return r.abort(fmt.Errorf("%w (GITHUB_API_URL)", err), true)
	}
	var gh DeploymentFinder
	if r.cfg.VerifyFrom != verify.FromMerge {
		if gh, err = clients.Deployments(r.clients, r.httpc); err != nil {
			return r.abort(fmt.Errorf("%w (GITHUB_API_URL)", err), true)
		}
	}
	rep, err := r.runSweep(ctx, prs, gh)
	if err != nil {
		// The labelled issues could not even be listed: no keys to report.
		return r.abort(err, true)
	}
	if err := r.reportSweep(rep); err != nil {
		r.log.Errorf("%s", clean(err.Error()))
		return r.verdict(err)
	}
	if rep.Counts.Errors > 0 {
		return r.verdict(ErrFailed)
	}
	return nil
}

// DeploymentFinder finds the first successful deployment of a commit to
// an environment (*deployment.GitHub): found is false when there is none
// yet, known false when the repository never recorded one there.
type DeploymentFinder interface {
	FirstDeploy(ctx context.Context, repo, commit, environment string, since time.Time) (d loop.Deploy, found, known bool, err error)
}

// runSweep runs the sweep with the GitHub clients given: prs for the
// comment on each fix's pull request, gh for its deployments (nil: none
// are asked of GitHub). The error is one that stopped it before any issue
// was looked at.
func (r *runner) runSweep(ctx context.Context, prs sweep.PRComments, gh DeploymentFinder) (*sweep.Report, error) {
	sentries := &sentryOrgs{settings: r.clients, hc: r.httpc}
	var deploys []sweep.Deploys
	if r.cfg.VerifyFrom != verify.FromMerge {
		if gh != nil {
			deploys = append(deploys, &githubDeploys{gh: gh, from: r.cfg.VerifyFrom, warn: r.log.Warningf})
		}
		deploys = append(deploys, sentries)
	}
	start := r.now()
	sw := sweep.New(sweep.Config{
		Params: r.cfg.Verify, Label: r.cfg.VerifyLabel, Projects: r.cfg.Projects,
		Closed: r.cfg.Statuses[loop.Closed], Statuses: r.cfg.Statuses, Links: r.finder(),
		From: r.cfg.VerifyFrom, Environment: r.cfg.DeployEnvironment, Basis: r.cfg.RateBasis,
		DryRun: r.cfg.DryRun, Run: r.getenv("GITHUB_RUN_ID"),
		ProgressEvery: 5 * time.Second,
		Progress: func(c sweep.Counts) {
			r.log.Infof("swept %d issues in %s: %d verified, %d waiting, %d unverified, %d released, %d errors",
				c.Seen, time.Since(start).Round(time.Second), c.Verified, c.Waiting, c.Unverified, c.Released, c.Errors)
		},
	}, sweep.Deps{Jira: r.jira, Sentry: sentries, PRs: prs, Traffic: sentries, Deploys: deploys, Now: r.now})
	rep, err := sw.Run(ctx)
	if err != nil {
		return nil, fmt.Errorf("list the issues labelled %s in Jira: %w", r.cfg.VerifyLabel, r.jiraHint(err))
	}
	return rep, nil
}

// maxAnnotations caps the error annotations of one sweep: GitHub shows only
// the first few of a step, and the summary lists the rest.
const maxAnnotations = 20

func (r *runner) reportSweep(rep *sweep.Report) error {
	c := rep.Counts
	r.log.Infof("sweep done: %d issues: %d verified, %d waiting, %d unverified, %d released, %d errors",
		c.Seen, c.Verified, c.Waiting, c.Unverified, c.Released, c.Errors)
	var keys, waiting, failed []string
	results := make([]Result, 0, len(rep.Outcomes))
	annotated := 0
	for _, o := range rep.Outcomes {
		keys = append(keys, o.Key)
		switch o.Result() {
		case sweep.ResultWaiting:
			// Thousands of these are normal: their reasons go to the debug
			// log (re-run with debug logging to see them).
			r.log.Debugf("%s: waiting: %s", o.Key, clean(o.Reason))
			waiting = append(waiting, o.Key)
		case sweep.ResultElsewhere, sweep.ResultReleased:
			r.log.Infof("%s: %s: %s", o.Key, o.Result(), clean(o.Reason))
			waiting = append(waiting, o.Key)
		case sweep.ResultError:
			failed = append(failed, o.Key)
			if annotated < maxAnnotations {
				r.log.Errorf("%s: %s", o.Key, clean(o.Reason))
				annotated++
			}
		}
		if o.Result() != sweep.ResultWaiting {
			results = append(results, Result{Key: o.Key, Action: o.Result(), Reason: o.Reason, URL: o.URL, Summary: o.Summary})
		}
	}
	if n := len(failed) - annotated; n > 0 {
		r.log.Errorf("%d more issues could not be swept; the step summary lists them", n)
	}
	outputs := [][2]string{
		{"issue_keys", strings.Join(keys, " ")},
		{"transitioned", strings.Join(rep.JiraClosed, " ")},
		{"skipped", strings.Join(waiting, " ")},
		{"failed", strings.Join(failed, " ")},
		{"sentry_resolved", strings.Join(rep.SentryResolved, " ")},
		{"jira_closed", strings.Join(rep.JiraClosed, " ")},
		{"unverified", strings.Join(rep.Unverified, " ")},
	}
	// results_json carries what changed or failed; waiting issues are
	// counted in the summary and listed in skipped.
	js, kept, err := jsonResults(results)
	if err != nil {
		return err
	}
	if kept < len(results) {
		r.log.Warningf("results_json lists the first %d of %d results: GitHub limits an output to 1 MB", kept, len(results))
	}
	outputs = append(outputs, [2]string{"results_json", js}, [2]string{"error", ""})
	if err := writeOutputs(r.getenv("GITHUB_OUTPUT"), outputs); err != nil {
		return err
	}
	return appendFile(r.getenv("GITHUB_STEP_SUMMARY"), r.sweepSummary(rep))
}

// maxSummaryRows keeps the summary readable for sweeps of thousands of
// issues: counts for everything, rows for what changed or failed.
const maxSummaryRows = 100

func (r *runner) sweepSummary(rep *sweep.Report) string {
	var b strings.Builder
	c := rep.Counts
	p := r.cfg.Verify.WithDefaults()
	fmt.Fprintf(&b, "### fixproof sweep\n\nVerified means that, after at least %d windows of %s since the fix reached %s, the error rate is proved at most %s of the rate before (at %s confidence) and is below %g; unverified means the rate is proved not cut (at least %s of before) or nothing was proved within %s.",
		p.Windows, p.Window, r.cfg.DeployEnvironment, percent(p.MaxRatio), percent(p.Confidence), p.Threshold, percent(p.FailRatio), p.Timeout)
	if r.cfg.DryRun {
		b.WriteString(" Dry run: nothing was changed.")
	}
	fmt.Fprintf(&b, "\n\n| verified | waiting | unverified | released | errors | issues |\n|---|---|---|---|---|---|\n| %d | %d | %d | %d | %d | %d |\n\n",
		c.Verified, c.Waiting, c.Unverified, c.Released, c.Errors, c.Seen)
	rows := 0
	for _, o := range rep.Outcomes {
		if o.Result() == sweep.ResultWaiting {
			continue
		}
		if rows == 0 {
			b.WriteString("| Issue | Result | Error rate per window | Why |\n|---|---|---|---|\n")
		}
		if rows == maxSummaryRows {
			fmt.Fprintf(&b, "\n%d more rows not shown.\n", countNot(rep.Outcomes, sweep.ResultWaiting)-rows)
			break
		}
		rows++
		var spark []string
		for _, ev := range o.Evidence {
			vals := make([]float64, len(ev.Windows))
			for i, w := range ev.Windows {
				if w.Exposure > 0 {
					vals[i] = w.Count / w.Exposure
				}
			}
			spark = append(spark, chart.Sparkline(vals))
		}
		fmt.Fprintf(&b, "| [%s](%s) %s | %s | %s | %s |\n", o.Key, o.URL, markdown.Escape(o.Summary), o.Result(),
			strings.Join(spark, " "), markdown.Escape(o.Reason))
	}
	if c.Errors > 0 {
		fmt.Fprintf(&b, "\n%d of %d issues could not be swept. %s\n", c.Errors, c.Seen, r.failureNote())
	}
	return b.String()
}

// percent prints a fraction as a percentage.
func percent(x float64) string { return strconv.FormatFloat(100*x, 'f', -1, 64) + "%" }

func countNot(os []sweep.Outcome, result string) int {
	n := 0
	for _, o := range os {
		if o.Result() != result {
			n++
		}
	}
	return n
}

// recordMerge puts the issues of a merged PR that are linked to Sentry
// under verification.
func (r *runner) recordMerge(ctx context.Context, p *plan, results []Result) {
	if p.stage != loop.Done || p.revertOf != nil || p.pr == nil || r.cfg.DryRun {
		return
	}
	var keys []string
	for _, res := range results {
		if res.Action != Failed && res.Reason != "not found" {
			keys = append(keys, res.Key)
		}
	}
	m := loop.Merge{Commit: p.pr.MergeCommit, Repo: p.pr.Repo, PR: p.pr.Number, URL: p.pr.URL}
	if !p.pr.CreatedAt.IsZero() {
		m.OpenedAt = p.pr.CreatedAt.UTC().Format(time.RFC3339)
	}
	if p.pr.MergedAt != nil {
		m.At = p.pr.MergedAt.UTC().Format(time.RFC3339)
	} else {
		m.At = r.now().UTC().Format(time.RFC3339)
	}
	watches, err := sweep.RecordMerge(ctx, r.jira, r.finder(), r.cfg.VerifyLabel, keys, m, r.now())
	if err != nil {
		r.log.Warningf("could not record the merge for verification: %s", clean(r.jiraHint(err).Error()))
		return
	}
	for _, w := range watches {
		switch {
		case w.Err != nil:
			r.log.Warningf("%s: could not record the merge for verification: %s", w.Key, clean(r.jiraHint(w.Err).Error()))
		case w.Changed:
			ids := make([]string, len(w.Links))
			for i, l := range w.Links {
				ids[i] = l.String()
			}
			r.log.Infof("%s: labelled %s; the sweep will verify Sentry issues %s", w.Key, r.cfg.VerifyLabel, strings.Join(ids, ", "))
		}
	}
}

// sentryOrgs is a Sentry client for every organization a link names; one
// per organization, made when first needed.
type sentryOrgs struct {
	settings clients.Settings
	hc       *http.Client
	mu       sync.Mutex
	clients  map[string]*sentry.Client
}

func (s *sentryOrgs) client(org string) (*sentry.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.clients[org]; ok {
		return c, nil
	}
	settings := s.settings
	settings.Sentry.Org = org
	c, err := clients.Sentry(settings, s.hc)
	if err != nil {
		return nil, err
	}
	if s.clients == nil {
		s.clients = map[string]*sentry.Client{}
	}
	s.clients[org] = c
	return c, nil
}

func (s *sentryOrgs) Issue(ctx context.Context, org, id string) (sentry.Issue, error) {
	c, err := s.client(org)
	if err != nil {
		return sentry.Issue{}, err
	}
	return c.Issue(ctx, id)
}

func (s *sentryOrgs) Resolve(ctx context.Context, org, id string, in *sentry.Commit) (sentry.Issue, error) {
	c, err := s.client(org)
	if err != nil {
		return sentry.Issue{}, err
	}
	return c.Resolve(ctx, id, in)
}

func (s *sentryOrgs) ResolvedIssues(ctx context.Context, org string, start, end time.Time) ([]sentry.Issue, error) {
	c, err := s.client(org)
	if err != nil {
		return nil, err
	}
	return c.ResolvedIssues(ctx, start, end)
}

func (s *sentryOrgs) EventCountsMany(ctx context.Context, org string, ids []string, environment string, start, end time.Time, interval time.Duration) (map[string][]sentry.Bucket, error) {
	c, err := s.client(org)
	if err != nil {
		return nil, err
	}
	return c.EventCountsMany(ctx, ids, environment, start, end, interval)
}

func (s *sentryOrgs) SessionCounts(ctx context.Context, org, project, environment string, start, end time.Time, interval time.Duration) ([]sentry.Bucket, error) {
	c, err := s.client(org)
	if err != nil {
		return nil, err
	}
	return c.SessionCounts(ctx, project, environment, start, end, interval)
}

func (s *sentryOrgs) TransactionCounts(ctx context.Context, org, project, environment string, start, end time.Time, interval time.Duration) ([]sentry.Bucket, error) {
	c, err := s.client(org)
	if err != nil {
		return nil, err
	}
	return c.TransactionCounts(ctx, project, environment, start, end, interval)
}

// FirstDeploy asks Sentry's releases of every linked project when the
// merge was deployed, keeping the earliest (sweep.Deploys).
func (s *sentryOrgs) FirstDeploy(ctx context.Context, q sweep.DeployQuery) (best loop.Deploy, found, known bool, err error) {
	var bestAt time.Time
	for _, p := range q.Projects {
		c, err := s.client(p.Org)
		if err != nil {
			return loop.Deploy{}, false, false, err
		}
		d, release, f, k, err := c.FirstDeploy(ctx, p.ID, q.Commit, q.Environment, q.Since)
		if err != nil {
			return loop.Deploy{}, false, false, err
		}
		known = known || k
		if f && (!found || d.DateFinished.Before(bestAt)) {
			best = loop.Deploy{At: d.DateFinished.UTC().Format(time.RFC3339), Commit: q.Commit, Environment: q.Environment,
				Source: loop.DeploySourceSentry, Ref: "release " + release, URL: d.URL}
			bestAt, found = d.DateFinished, true
		}
	}
	return best, found, known, nil
}

var (
	_ sweep.Sentry  = (*sentryOrgs)(nil)
	_ sweep.Traffic = (*sentryOrgs)(nil)
	_ sweep.Deploys = (*sentryOrgs)(nil)
)

// githubDeploys asks GitHub's deployments when a merge reached the
// environment. With verify_from auto, a token that may not read
// deployments is a warning (once) and the source counts as knowing none,
// so the sweep counts from the merge as before; with deploy it is an
// error on every issue.
type githubDeploys struct {
	gh     DeploymentFinder
	from   verify.From
	warn   func(format string, args ...any)
	warned sync.Once
}

func (g *githubDeploys) FirstDeploy(ctx context.Context, q sweep.DeployQuery) (loop.Deploy, bool, bool, error) {
	d, found, known, err := g.gh.FirstDeploy(ctx, q.Repo, q.Commit, q.Environment, q.Since)
	if errors.Is(err, deployment.ErrNoPermission) && g.from == verify.FromAuto {
		g.warned.Do(func() {
			g.warn("GitHub deployments are not read, so verification counts from the merge: %s", clean(err.Error()))
		})
		return loop.Deploy{}, false, false, nil
	}
	return d, found, known, err
}
