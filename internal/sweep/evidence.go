package sweep

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fixproof/fixproof/internal/loop"
	"github.com/fixproof/fixproof/internal/sentry"
	"github.com/fixproof/fixproof/internal/sentrylink"
	"github.com/fixproof/fixproof/internal/verify"
)

// Traffic counts a Sentry project's sessions or transactions per window in
// one environment: what errors are divided by when rate_basis is not
// events.
type Traffic interface {
	SessionCounts(ctx context.Context, org, projectID, environment string, start, end time.Time, interval time.Duration) ([]sentry.Bucket, error)
	TransactionCounts(ctx context.Context, org, projectID, environment string, start, end time.Time, interval time.Duration) ([]sentry.Bucket, error)
}

// DeployQuery asks when a merge commit first reached an environment.
type DeployQuery struct {
	Repo, Commit, Environment string
	// Since is the merge: nothing deployed before it can contain it.
	Since time.Time
	// Projects are the Sentry projects of the linked issues, for sources
	// that know deploys per project (Sentry releases).
	Projects []SentryProject
}

// SentryProject names a Sentry project: its organization and numeric id.
type SentryProject struct{ Org, ID string }

// Deploys is a source of deployments (GitHub deployments, Sentry
// releases). found: a successful deployment to the environment contains
// the commit; known: the source has ever recorded a deployment to the
// environment at all.
type Deploys interface {
	FirstDeploy(ctx context.Context, q DeployQuery) (d loop.Deploy, found, known bool, err error)
}

// Clock is where one issue's verification counts from.
type Clock struct {
	verify.Clock
	Merged time.Time
	Commit string
	// Environment is deploy_environment.
	Environment string
	// Deploy is the deploy the clock starts at, when it does.
	Deploy *loop.Deploy
}

// Since names the clock start in reasons: "the deploy of 9f86d081 to
// production at Nov 20 14:00 UTC", "the merge at ...".
func (c Clock) Since() string {
	if c.Deployed && c.Deploy != nil {
		return fmt.Sprintf("%s reached %s at %s", shortSHA(c.Commit), c.Environment, clockTime(c.Start))
	}
	return fmt.Sprintf("%s merged at %s", shortSHA(c.Commit), clockTime(c.Merged))
}

// LinkEvidence is what one Sentry issue showed.
type LinkEvidence struct {
	Link    sentrylink.Link
	URL     string
	Title   string
	ShortID string
	Status  string // Sentry's status before the sweep acted
	// Basis is what errors were divided by; Window is verify_window.
	Basis  verify.Basis
	Window time.Duration
	// Windows are every complete window read, before and after the clock
	// start, oldest first: errors and traffic.
	Windows []verify.Window
	Rate    verify.RateResult
	// Resolved by this sweep.
	Resolved bool
	Err      error
}

// Split returns the windows before the clock start and those after it.
func (e LinkEvidence) Split(start time.Time) (before, after []verify.Window) {
	for _, w := range e.Windows {
		switch end := w.Start.Add(e.Window); {
		case !end.After(start):
			before = append(before, w)
		case !w.Start.Before(start):
			after = append(after, w)
		}
		// The window the clock started in holds errors from both sides:
		// it counts on neither.
	}
	return before, after
}

// baseline is how far before the clock start the before-rate is measured
// (less when the error is younger, and at most maxWindows/2 windows), and
// maxPoints the most windows a sweep reads at once (Sentry's time series
// answer at most 10,000 points).
const (
	baseline   = 7 * 24 * time.Hour
	maxWindows = 5000
	maxPoints  = 9999
)

// known is what the sweep knows of one linked Sentry issue before it
// decides: its project (recorded in the property, else read), and the
// issue itself when it had to be read.
type known struct {
	link    sentrylink.Link
	project string
	issue   *sentry.Issue
}

// knownIssues finds each link's project in the property, and reads the
// issues whose project it does not record (recording them, so the next
// sweeps need not): a waiting issue costs no request of its own.
func (s *Sweeper) knownIssues(ctx context.Context, key string, prop *loop.Property, links []sentrylink.Link) ([]known, error) {
	out := make([]known, len(links))
	learned := false
	for i, l := range links {
		out[i] = known{link: l, project: sentrylink.ProjectOf(*prop, l, s.cfg.Links.Org)}
		if out[i].project != "" {
			continue
		}
		is, err := s.readIssue(ctx, l)
		if err != nil {
			return nil, err
		}
		out[i].issue, out[i].project = &is, is.ProjectID
		learned = learned || is.ProjectID != ""
	}
	if learned && !s.cfg.DryRun {
		refs := make([]sentrylink.Link, len(out))
		for i, k := range out {
			refs[i] = k.link
		}
		prop.Sentry = sentrylink.ToProperty(refs, prop.Sentry, s.cfg.Links.Org)
		for i := range prop.Sentry {
			if p := out[i].project; p != "" {
				prop.Sentry[i].Project = loop.ID(p)
			}
		}
		if err := writeProperty(ctx, s.jira, key, *prop); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// readIssue reads one linked Sentry issue, saying what to fix when it does
// not exist.
func (s *Sweeper) readIssue(ctx context.Context, l sentrylink.Link) (sentry.Issue, error) {
	is, err := s.sentry.Issue(ctx, l.Org, l.IssueID)
	if errors.Is(err, sentry.ErrNotFound) {
		return is, fmt.Errorf("Sentry issue %s does not exist (404): remove the link or fix the id; the Jira issue stays open", l)
	}
	if err != nil {
		return is, fmt.Errorf("Sentry issue %s: %w", l, err)
	}
	return is, nil
}

// confirm reads, before the sweep acts on a decision, the linked issues
// it has to: before it gives up, every one it has not read (that it
// exists, and its title and link for the comments); before it closes,
// only those that showed no event in the counts, as Sentry counts nothing
// for an issue that does not exist. Resolving the others answers their
// title and link.
func (s *Sweeper) confirm(ctx context.Context, o *Outcome, ks []known, state loop.State) error {
	for i := range o.Evidence {
		ev := &o.Evidence[i]
		if ev.Status != "" || (state == loop.StateVerified && ev.seen()) {
			continue
		}
		is := ks[i].issue
		if is == nil {
			read, err := s.readIssue(ctx, ks[i].link)
			if err != nil {
				return err
			}
			is = &read
		}
		ev.describe(*is)
	}
	return nil
}

// seen reports whether the counts show any event of the issue.
func (e *LinkEvidence) seen() bool {
	for _, w := range e.Windows {
		if w.Count > 0 {
			return true
		}
	}
	return false
}

// describe fills what the issue says of itself.
func (e *LinkEvidence) describe(is sentry.Issue) {
	e.Title, e.ShortID, e.Status = is.Title, is.ShortID, is.Status
	if is.Permalink != "" {
		e.URL = is.Permalink
	}
}

// clock decides where the issue's verification counts from, looking up
// the deploy once and recording it in the property (prop, which later
// writes keep).
func (s *Sweeper) clock(ctx context.Context, key string, prop *loop.Property, merged time.Time, ks []known) (Clock, error) {
	c := Clock{Merged: merged, Commit: prop.Merge.Commit, Environment: s.cfg.Environment, Deploy: prop.Deploy}
	from := s.cfg.From
	if from == "" {
		from = verify.FromAuto
	}
	known := false
	if c.Deploy == nil && from != verify.FromMerge {
		dep, found, k, err := s.firstDeploy(ctx, prop.Merge, merged, ks)
		if err != nil {
			return c, err
		}
		known = k
		if found {
			c.Deploy = &dep
			if !s.cfg.DryRun {
				prop.Deploy = &dep
				if err := writeProperty(ctx, s.jira, key, *prop); err != nil {
					return c, err
				}
			}
		}
	}
	var at *time.Time
	if c.Deploy != nil {
		t, err := time.Parse(time.RFC3339, c.Deploy.At)
		if err != nil {
			return c, fmt.Errorf("recorded deploy time %q: %w", c.Deploy.At, err)
		}
		at = &t
	}
	c.Clock = verify.Start(from, merged, at, known)
	return c, nil
}

// firstDeploy asks every source once, naming the linked Sentry projects
// for the sources that know projects, and keeps the earliest deploy found.
func (s *Sweeper) firstDeploy(ctx context.Context, m *loop.Merge, merged time.Time, ks []known) (best loop.Deploy, found, knownEnv bool, err error) {
	q := DeployQuery{Repo: m.Repo, Commit: m.Commit, Environment: s.cfg.Environment, Since: merged}
	for _, k := range ks {
		if p := (SentryProject{Org: k.link.Org, ID: k.project}); p.ID != "" && !slices.Contains(q.Projects, p) {
			q.Projects = append(q.Projects, p)
		}
	}
	var bestAt time.Time
	for i, src := range s.deploys {
		if s.none.knows(i, q) {
			continue
		}
		d, f, k, err := src.FirstDeploy(ctx, q)
		if err != nil {
			return best, false, false, fmt.Errorf("when %s reached %s: %w", shortSHA(m.Commit), s.cfg.Environment, err)
		}
		if !k {
			s.none.learn(i, q)
		}
		knownEnv = knownEnv || k
		if at, perr := time.Parse(time.RFC3339, d.At); f && perr == nil && (!found || at.Before(bestAt)) {
			best, bestAt, found = d, at, true
		}
	}
	return best, found, knownEnv, nil
}

// noDeploys remembers, within one sweep, the queries a source answered
// with no deployment to the environment ever recorded: a later query of
// the same repository, environment and projects for a merge no older
// cannot find one either (it looks at fewer deployments), so it is not
// sent. A repository without deployments costs one request per sweep,
// not one per issue.
type noDeploys struct {
	mu    sync.Mutex
	since map[string]time.Time
}

func (n *noDeploys) key(source int, q DeployQuery) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d\x00%s\x00%s", source, q.Repo, q.Environment)
	for _, p := range q.Projects {
		b.WriteString("\x00" + p.Org + "/" + p.ID)
	}
	return b.String()
}

func (n *noDeploys) knows(source int, q DeployQuery) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	at, ok := n.since[n.key(source, q)]
	return ok && !q.Since.Before(at)
}

func (n *noDeploys) learn(source int, q DeployQuery) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.since == nil {
		n.since = map[string]time.Time{}
	}
	k := n.key(source, q)
	if at, ok := n.since[k]; !ok || q.Since.Before(at) {
		n.since[k] = q.Since
	}
}

// awaitDeploy handles a merge that has not reached the environment: keep
// watching until verify_timeout after the merge, then give up.
func (s *Sweeper) awaitDeploy(ctx context.Context, o Outcome, prop loop.Property, merged, now time.Time) Outcome {
	if now.Sub(merged) >= s.cfg.Params.Timeout {
		o.Reason = fmt.Sprintf("%s did not reach %s within %s of the merge", shortSHA(o.Clock.Commit), o.Clock.Environment, s.cfg.Params.Timeout)
		return s.giveUp(ctx, o, prop)
	}
	o.State = loop.StateWatching
	o.Reason = fmt.Sprintf("waiting for %s (merged at %s) to reach %s", shortSHA(o.Clock.Commit), clockTime(merged), o.Clock.Environment)
	return o
}

// evidence reads one Sentry issue's errors per window, and its project's
// traffic when the basis needs it, from the baseline before the clock
// start until now, and decides.
func (s *Sweeper) evidence(ctx context.Context, k known, c Clock, now time.Time) LinkEvidence {
	l := k.link
	ev := LinkEvidence{Link: l, URL: sentrylink.IssueURL(s.cfg.Links.BaseURL, l)}
	if k.issue != nil {
		ev.describe(*k.issue)
	}
	p := s.cfg.Params.WithDefaults()
	basis, traffic, err := s.traffic.basis(ctx, s.cfg.Basis, l.Org, k.project, c.Environment)
	if err != nil {
		ev.Err = fmt.Errorf("traffic of Sentry issue %s's project: %w", l, err)
		return ev
	}
	// Errors divided by an environment's traffic are that environment's
	// errors; per hour, every environment's count.
	env := c.Environment
	if basis == verify.BasisEvents {
		env = ""
	}
	errs, err := s.counts.load(ctx, countKey{org: l.Org, env: env, from: s.span.countFrom(c.Start, p)}, l.IssueID)
	if err != nil {
		ev.Err = fmt.Errorf("event counts of Sentry issue %s: %w", l, err)
		return ev
	}
	firstSeen := firstEvent(errs)
	if k.issue != nil {
		firstSeen = k.issue.FirstSeen
	}
	from, to := readSpan(p, c.Start, firstSeen, now)
	ev.Basis, ev.Window, ev.Windows = basis, p.Window, windows(basis, p.Window, within(errs, from, to), traffic)
	ev.Rate = verify.DecideRate(p, verify.RateInput{Start: c.Start, Now: now, Before: ev.Windows, After: ev.Windows, Basis: basis, Since: c.Since()})
	resolved, err := s.resolvedByHand(ctx, k)
	if err != nil {
		ev.Err = err
		return ev
	}
	if resolved != nil {
		ev.describe(*resolved)
	}
	if resolved != nil && ev.Rate.State != loop.StateVerified {
		// Someone resolved it in Sentry: their call stands.
		ev.Rate.State = loop.StateVerified
		ev.Rate.Reason = "resolved in Sentry by someone else"
	}
	return ev
}

// firstEvent is the start of the first window with an event, zero when
// there is none: the error's first event as far as the counts show.
func firstEvent(bs []sentry.Bucket) time.Time {
	for _, b := range bs {
		if b.Count > 0 {
			return b.Start
		}
	}
	return time.Time{}
}

// resolvedByHand finds whether the issue is resolved in Sentry: as read,
// or in the organization's list of resolved issues the sweep reads once
// (when that list cannot be read, by reading the issue). It returns the
// issue as Sentry described it when it is resolved.
func (s *Sweeper) resolvedByHand(ctx context.Context, k known) (*sentry.Issue, error) {
	if k.issue != nil {
		if k.issue.Status == "resolved" {
			return k.issue, nil
		}
		return nil, nil
	}
	is, err := s.resolved.find(ctx, k.link.Org, k.link.IssueID)
	if err == nil {
		return is, nil
	}
	read, rerr := s.readIssue(ctx, k.link)
	if rerr != nil {
		return nil, errors.Join(err, rerr)
	}
	if read.Status == "resolved" {
		return &read, nil
	}
	return nil, nil
}

// resolvedLists reads, once per organization and sweep, the issues Sentry
// lists as resolved in the sweep's span: how the sweep learns that a
// person resolved a watched issue without reading each one.
type resolvedLists struct {
	list  func(ctx context.Context, org string) ([]sentry.Issue, error)
	byOrg onceEach[string, map[string]*sentry.Issue]
}

// find returns the organization's resolved issue id, nil when it is not
// listed.
func (r *resolvedLists) find(ctx context.Context, org, id string) (*sentry.Issue, error) {
	byID, err := r.byOrg.get(org, func() (map[string]*sentry.Issue, error) {
		issues, err := r.list(ctx, org)
		byID := make(map[string]*sentry.Issue, len(issues))
		for i := range issues {
			byID[issues[i].ID] = &issues[i]
		}
		return byID, err
	})
	if err != nil {
		return nil, fmt.Errorf("the issues resolved in Sentry organization %s: %w", org, err)
	}
	return byID[id], nil
}

// readSpan is the span of windows to read: the baseline before start
// (from the error's first event when younger, at most maxWindows), to now
// or the deadline, whichever is first.
func readSpan(p verify.Params, start, firstSeen, now time.Time) (from, to time.Time) {
	span := min(baseline, time.Duration(maxWindows/2)*p.Window)
	from = start.Add(-span).Truncate(p.Window)
	if !firstSeen.IsZero() && firstSeen.After(from) && firstSeen.Before(start) {
		from = firstSeen.Truncate(p.Window)
	}
	to = now
	if end := start.Add(p.Timeout + p.Window); end.Before(to) {
		to = end
	}
	if !to.After(from) {
		to = from.Add(p.Window)
	}
	return from, to
}

// within is the buckets that start in [from, to): the issue's own span of
// the sweep's common one.
func within(bs []sentry.Bucket, from, to time.Time) []sentry.Bucket {
	out := make([]sentry.Bucket, 0, len(bs))
	for _, b := range bs {
		if !b.Start.Before(from) && b.Start.Before(to) {
			out = append(out, b)
		}
	}
	return out
}

// windows joins errors and traffic per window. Windows Sentry marks
// incomplete are left out: their counts may still grow. With traffic, a
// window whose traffic is incomplete or missing is left out too; for
// events the exposure is the window's length in hours.
func windows(basis verify.Basis, window time.Duration, errs, traffic []sentry.Bucket) []verify.Window {
	byStart := make(map[time.Time]sentry.Bucket, len(traffic))
	for _, b := range traffic {
		byStart[b.Start] = b
	}
	out := make([]verify.Window, 0, len(errs))
	for _, b := range errs {
		if b.Incomplete {
			continue
		}
		w := verify.Window{Start: b.Start, Count: b.Count, Exposure: window.Hours()}
		if basis != verify.BasisEvents {
			t, ok := byStart[b.Start]
			if !ok || t.Incomplete {
				continue
			}
			w.Exposure = t.Count / 1000
		}
		out = append(out, w)
	}
	return out
}

// span is the windows a sweep reads errors and traffic in: one span for
// every issue, so that requests can be shared, each issue keeping the
// part it needs (readSpan).
type span struct {
	from, to time.Time
	window   time.Duration
}

// spanAt is the span of a sweep at now: back from now, the timeout and
// the baseline before it (as readSpan takes it), so that every issue whose
// deadline has not passed finds all its windows; at most maxPoints.
func spanAt(now time.Time, p verify.Params) span {
	to := now.Truncate(p.Window).Add(p.Window)
	back := min(baseline, time.Duration(maxWindows/2)*p.Window) + p.Timeout
	n := min(maxPoints, int(back/p.Window)+2)
	return span{from: to.Add(-time.Duration(n) * p.Window), to: to, window: p.Window}
}

// countGrid is how many windows apart the starts of count requests are:
// issues whose clocks start within a day (of hourly windows) of each
// other share requests, and none reads more than a day's windows it does
// not need.
const countGrid = 24

// countFrom is where the counts of an issue whose clock starts at start
// begin: its whole baseline (see readSpan), moved back onto a grid of
// countGrid windows from the span's start; never before the span.
func (sp span) countFrom(start time.Time, p verify.Params) time.Time {
	need := start.Add(-min(baseline, time.Duration(maxWindows/2)*p.Window))
	if !need.After(sp.from) {
		return sp.from
	}
	step := countGrid * sp.window
	return sp.from.Add(need.Sub(sp.from) / step * step)
}

// last is the span cut to its last n windows (Sentry's sessions endpoint
// answers at most 1,000).
func (sp span) last(n int) span {
	if from := sp.to.Add(-time.Duration(n) * sp.window); from.After(sp.from) {
		sp.from = from
	}
	return sp
}

// trafficCache reads each project's traffic once per sweep, over the
// sweep's span, and shares it between every issue of the project.
type trafficCache struct {
	src    Traffic
	span   *span
	series onceEach[trafficKey, []sentry.Bucket]
}

type trafficKey struct{ kind, org, project, env string }

func newTrafficCache(src Traffic, sp *span) *trafficCache {
	return &trafficCache{src: src, span: sp}
}

// sessionsMaxPoints is the most windows Sentry's sessions endpoint
// answers at once.
const sessionsMaxPoints = 1000

// read returns one series, reading it on first use.
func (c *trafficCache) read(ctx context.Context, k trafficKey) ([]sentry.Bucket, error) {
	return c.series.get(k, func() ([]sentry.Bucket, error) {
		sp := *c.span
		if k.kind == string(verify.BasisSessions) {
			sp = sp.last(sessionsMaxPoints)
			return c.src.SessionCounts(ctx, k.org, k.project, k.env, sp.from, sp.to, sp.window)
		}
		return c.src.TransactionCounts(ctx, k.org, k.project, k.env, sp.from, sp.to, sp.window)
	})
}

// basis resolves rate_basis for a project: the traffic series errors are
// divided by (nil for events). auto takes sessions when the project has
// any in the span and Sentry counts them in windows of verify_window,
// else transactions when it has any, else events.
func (c *trafficCache) basis(ctx context.Context, want verify.Basis, org, project, env string) (verify.Basis, []sentry.Bucket, error) {
	if events, err := c.eventsOnly(want, project); events || err != nil {
		return verify.BasisEvents, nil, err
	}
	for _, kind := range []verify.Basis{verify.BasisSessions, verify.BasisTransactions} {
		if (want != verify.BasisAuto && want != kind) || (kind == verify.BasisSessions && !verify.SessionsWindow(c.span.window)) {
			continue
		}
		bs, err := c.read(ctx, trafficKey{kind: string(kind), org: org, project: project, env: env})
		if errors.Is(err, sentry.ErrNotFound) && want == verify.BasisAuto {
			continue // Sentry has never seen the environment: no traffic there
		}
		if err != nil {
			return "", nil, err
		}
		if want == kind || total(bs) > 0 {
			return kind, bs, nil // auto takes the first basis with traffic
		}
	}
	return verify.BasisEvents, nil, nil
}

// eventsOnly reports whether errors are counted per hour without reading
// traffic, or why the basis asked for cannot be had.
func (c *trafficCache) eventsOnly(want verify.Basis, project string) (bool, error) {
	switch {
	case want == verify.BasisEvents:
		return true, nil
	case (c.src == nil || project == "") && want == verify.BasisAuto:
		return true, nil
	case c.src == nil || project == "":
		return false, fmt.Errorf("rate_basis %s needs the Sentry issue's project and a Sentry client that reads traffic", want)
	case want == verify.BasisSessions && !verify.SessionsWindow(c.span.window):
		return false, fmt.Errorf("rate_basis sessions needs a verify_window Sentry counts sessions in (1h, 2h, 3h, 4h, 6h, 8h, 12h or 24h), not %s", c.span.window)
	}
	return false, nil
}

// total is the sum of the buckets' counts.
func total(bs []sentry.Bucket) float64 {
	n := 0.0
	for _, b := range bs {
		n += b.Count
	}
	return n
}

func shortSHA(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}

// clockTime is a time as the evidence prints it.
func clockTime(t time.Time) string { return t.UTC().Format("Jan 2 15:04 UTC") }
