// Package sweep closes the loop after a merge. RecordMerge puts the Jira
// issues a merged pull request names, those linked to Sentry, under
// verification (a label and the merge in the fixproof property); a sweep
// then reads, for every labelled issue, the linked Sentry issues' error
// counts since the merge, and once they have stayed low for long enough
// it resolves them, closes the Jira issue and says so on the pull request,
// with the evidence, or, past the time allowed, labels the issue
// unverified. The decisions are the verify package's; this package does
// the I/O, through small interfaces so tests and the demo can use
// simulators.
package sweep

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/fixproof/fixproof/internal/flow"
	"github.com/fixproof/fixproof/internal/jira"
	"github.com/fixproof/fixproof/internal/jiramarkup"
	"github.com/fixproof/fixproof/internal/loop"
	"github.com/fixproof/fixproof/internal/prcomment"
	"github.com/fixproof/fixproof/internal/sentry"
	"github.com/fixproof/fixproof/internal/sentrylink"
	"github.com/fixproof/fixproof/internal/uniq"
	"github.com/fixproof/fixproof/internal/verify"
)

// Jira is what the sweep needs of Jira.
type Jira interface {
	Query(ctx context.Context, jql string, properties []string, next string) (jira.Page, error)
	RemoteLinkURLs(ctx context.Context, key string) ([]string, error)
	flow.Transitions
	SetProperty(ctx context.Context, key, name string, value any) error
	EditLabels(ctx context.Context, key string, add, remove []string) error
	UpsertComment(ctx context.Context, key, marker string, doc jiramarkup.Doc, beforeWrite func(context.Context) error) (jira.Outcome, error)
	// PostMarkedComment posts a marked comment without looking for one.
	PostMarkedComment(ctx context.Context, key, marker string, doc jiramarkup.Doc) error
	BrowseURL(key string) string
}

// Sentry is what the sweep needs of Sentry, for any organization.
type Sentry interface {
	Issue(ctx context.Context, org, id string) (sentry.Issue, error)
	Resolve(ctx context.Context, org, id string, in *sentry.Commit) (sentry.Issue, error)
	// ResolvedIssues lists the organization's resolved issues Sentry
	// lists for [start, end).
	ResolvedIssues(ctx context.Context, org string, start, end time.Time) ([]sentry.Issue, error)
	// EventCountsMany counts up to 10 issues' events per window in an
	// environment ("" for all) in one request.
	EventCountsMany(ctx context.Context, org string, ids []string, environment string, start, end time.Time, interval time.Duration) (map[string][]sentry.Bucket, error)
}

// PRComments keeps one marked comment on a pull request (Upsert), or
// posts one where none can exist yet (Post).
type PRComments interface {
	Upsert(ctx context.Context, repo string, number int, marker, body string) (prcomment.Outcome, error)
	Post(ctx context.Context, repo string, number int, marker, body string) error
}

// Config is the sweep's settings.
type Config struct {
	Params   verify.Params
	Label    string   // verify_label
	Projects []string // jira_projects allow-list; empty = any
	Closed   []string // status_closed candidates
	Statuses loop.Statuses
	Links    sentrylink.Finder
	// From is verify_from; Environment is deploy_environment (default
	// production); Basis is rate_basis.
	From        verify.From
	Environment string
	Basis       verify.Basis
	DryRun      bool
	// Concurrency bounds the issues handled at once.
	Concurrency int
	// Run names this sweep in the claim it leaves on an issue it closes.
	Run string
	// Progress, when set, is called every ProgressEvery with the counts so
	// far, so a sweep over thousands of issues shows it is alive.
	Progress      func(Counts)
	ProgressEvery time.Duration
}

// Deps are what a sweep talks to.
type Deps struct {
	Jira   Jira
	Sentry Sentry
	// PRs keeps the comment on the fix's pull request; nil: none.
	PRs PRComments
	// Traffic counts sessions and transactions (rate_basis); nil: errors
	// are counted per hour.
	Traffic Traffic
	// Deploys are the sources asked when the merge reached the
	// environment (verify_from); none: the clock starts at the merge.
	Deploys []Deploys
	// Now is the clock (time.Now in production).
	Now func() time.Time
}

// Sweeper runs sweeps.
type Sweeper struct {
	cfg      Config
	jira     Jira
	sentry   Sentry
	prs      PRComments
	traffic  *trafficCache
	deploys  []Deploys
	none     noDeploys
	span     span
	counts   countBatcher
	resolved resolvedLists
	now      func() time.Time
}

// New returns a sweeper.
func New(cfg Config, d Deps) *Sweeper {
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 64
	}
	if cfg.Environment == "" {
		cfg.Environment = "production"
	}
	if cfg.Basis == "" {
		cfg.Basis = verify.BasisAuto
	}
	s := &Sweeper{cfg: cfg, jira: d.Jira, sentry: d.Sentry, prs: d.PRs, deploys: d.Deploys, now: d.Now}
	s.traffic = newTrafficCache(d.Traffic, &s.span)
	s.counts.fetch = func(ctx context.Context, k countKey, ids []string) (map[string][]sentry.Bucket, error) {
		return s.sentry.EventCountsMany(ctx, k.org, ids, k.env, k.from, s.span.to, s.span.window)
	}
	s.resolved.list = func(ctx context.Context, org string) ([]sentry.Issue, error) {
		return s.sentry.ResolvedIssues(ctx, org, s.span.from, s.span.to)
	}
	return s
}

// The words a sweep reports an issue's outcome in (results_json, the step
// summary, the log): what it did, derived from the loop's state by
// Outcome.Result.
const (
	ResultVerified   = "verified"
	ResultWaiting    = "waiting"
	ResultUnverified = "unverified"
	ResultError      = "error"
	// ResultReleased: the label was removed without verifying, because
	// the issue was reopened or closed by someone else.
	ResultReleased = "released"
	// ResultElsewhere: another sweep running at the same time took the
	// issue.
	ResultElsewhere = "taken by another sweep"
)

// Outcome is what happened to one Jira issue.
type Outcome struct {
	Key     string
	URL     string
	Summary string
	// State is where the loop stands after the sweep: watching, verified,
	// unverified, reopened or closed by hand (the last two stop the
	// watch).
	State loop.State
	// Elsewhere: another sweep running at the same time verified the
	// issue and closed it first.
	Elsewhere bool
	// Failed: the sweep could not decide or act; Reason says why.
	Failed bool
	Reason string
	Merge  *loop.Merge
	// Clock is where the verification counts from: the deploy or the merge.
	Clock    Clock
	Evidence []LinkEvidence
}

// Result is what the sweep did with the issue, in the words it reports.
func (o Outcome) Result() string {
	switch {
	case o.Failed:
		return ResultError
	case o.Elsewhere:
		return ResultElsewhere
	}
	switch o.State {
	case loop.StateVerified:
		return ResultVerified
	case loop.StateUnverified:
		return ResultUnverified
	case loop.StateReopened, loop.StateClosedByHand:
		return ResultReleased
	}
	return ResultWaiting
}

// Counts summarises a sweep.
type Counts struct {
	Seen, Verified, Waiting, Unverified, Released, Errors int
}

// Report is the result of a sweep.
type Report struct {
	Outcomes       []Outcome
	Counts         Counts
	SentryResolved []string // Sentry issue ids resolved by this sweep
	JiraClosed     []string
	Unverified     []string
}

// Run sweeps every labelled issue: one JQL query, read to its last page
// first, then every issue handled, a bounded number at once. The pages are
// read before anything is changed because closing an issue removes its
// label, which would shift the later pages of the same query under the
// page token and skip issues.
func (s *Sweeper) Run(ctx context.Context) (*Report, error) {
	s.span = spanAt(s.now(), s.cfg.Params.WithDefaults())
	var tally tally
	stop := s.progress(tally.counts)
	defer stop()
	all, err := s.watched(ctx)
	if err != nil {
		return nil, err
	}
	work := make(chan jira.Detail)
	var wg sync.WaitGroup
	for range s.cfg.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for d := range work {
				tally.record(s.one(ctx, d))
			}
		}()
	}
	for _, d := range all {
		work <- d
	}
	close(work)
	wg.Wait()
	return s.report(tally.outcomes, tally.counts()), nil
}

// query is the JQL of the watched issues: the label, within the project
// allow-list.
func (s *Sweeper) query() string {
	jql := "labels = " + jira.QuoteJQL(s.cfg.Label)
	if len(s.cfg.Projects) > 0 {
		quoted := make([]string, len(s.cfg.Projects))
		for i, p := range s.cfg.Projects {
			quoted[i] = jira.QuoteJQL(p)
		}
		jql += " AND project in (" + strings.Join(quoted, ", ") + ")"
	}
	return jql + " ORDER BY key ASC"
}

// watched reads every page of the watched issues, each issue once.
func (s *Sweeper) watched(ctx context.Context) ([]jira.Detail, error) {
	jql := s.query()
	var all []jira.Detail
	seen := map[string]bool{}
	for next := ""; ; {
		page, err := s.jira.Query(ctx, jql, []string{loop.PropertyKey}, next)
		if err != nil {
			return nil, fmt.Errorf("sweep: %w", err)
		}
		for _, d := range page.Issues {
			if !seen[d.Key] {
				seen[d.Key] = true
				all = append(all, d)
			}
		}
		if next = page.Next; next == "" {
			return all, nil
		}
	}
}

// tally gathers the outcomes of the issues swept at once.
type tally struct {
	mu       sync.Mutex
	outcomes []Outcome
	c        Counts
}

func (t *tally) record(o Outcome) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.outcomes = append(t.outcomes, o)
	t.c.Seen++
	switch o.Result() {
	case ResultVerified:
		t.c.Verified++
	case ResultWaiting, ResultElsewhere:
		t.c.Waiting++
	case ResultUnverified:
		t.c.Unverified++
	case ResultReleased:
		t.c.Released++
	default:
		t.c.Errors++
	}
}

func (t *tally) counts() Counts {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.c
}

// report sorts the outcomes and lists what the sweep changed (nothing in
// a dry run).
func (s *Sweeper) report(outcomes []Outcome, counts Counts) *Report {
	r := &Report{Outcomes: outcomes, Counts: counts}
	sort.Slice(r.Outcomes, func(i, j int) bool { return r.Outcomes[i].Key < r.Outcomes[j].Key })
	if s.cfg.DryRun {
		return r // nothing was closed, resolved or labelled
	}
	for _, o := range r.Outcomes {
		switch o.Result() {
		case ResultVerified:
			r.JiraClosed = append(r.JiraClosed, o.Key)
		case ResultUnverified:
			r.Unverified = append(r.Unverified, o.Key)
		}
		for _, e := range o.Evidence {
			if e.Resolved {
				r.SentryResolved = append(r.SentryResolved, e.Link.IssueID)
			}
		}
	}
	return r
}

// progress calls Config.Progress every ProgressEvery until stopped.
func (s *Sweeper) progress(get func() Counts) (stop func()) {
	if s.cfg.Progress == nil || s.cfg.ProgressEvery <= 0 {
		return func() {}
	}
	t := time.NewTicker(s.cfg.ProgressEvery)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-t.C:
				s.cfg.Progress(get())
			case <-done:
				return
			}
		}
	}()
	return func() { t.Stop(); close(done) }
}

// one handles one labelled issue.
func (s *Sweeper) one(ctx context.Context, d jira.Detail) Outcome {
	o := Outcome{Key: d.Key, URL: s.jira.BrowseURL(d.Key), Summary: d.Summary}
	prop, err := loop.ParseProperty(d.Properties[loop.PropertyKey])
	if err != nil {
		return o.fail(fmt.Errorf("%w; fix or delete the issue property %q", err, loop.PropertyKey))
	}
	o.Merge = prop.Merge
	if prop.Merge == nil {
		return o.fail(fmt.Errorf("labelled %q but no merge is recorded: the label is added by fixproof when a pull request naming the issue merges; remove it, or merge the fix through a PR that fixproof sees", s.cfg.Label))
	}
	merged, err := time.Parse(time.RFC3339, prop.Merge.At)
	if err != nil {
		return o.fail(fmt.Errorf("recorded merge time %q: %w", prop.Merge.At, err))
	}

	closed := containsFold(s.cfg.Closed, d.Status)
	switch {
	case closed && prop.Closing == nil:
		// Closed by a person: nothing left to verify.
		return s.release(ctx, o, loop.StateClosedByHand, "closed as "+d.Status+" by someone else")
	case !closed && d.Category != "done":
		// Reopened (or reverted) since the merge: the fix is not the fix.
		return s.release(ctx, o, loop.StateReopened, "reopened to "+d.Status+" since the merge")
	}

	return s.judge(ctx, o, d, prop, merged, closed)
}

// judge reads the linked Sentry issues from the clock start on and acts on
// the decision: close, give up, or keep watching.
func (s *Sweeper) judge(ctx context.Context, o Outcome, d jira.Detail, prop loop.Property, merged time.Time, closed bool) Outcome {
	links, err := s.links(ctx, d, &prop)
	if err != nil {
		return o.fail(err)
	}
	if len(links) == 0 {
		return o.fail(errors.New("no Sentry issue is linked any more (description, remote links or the fixproof property)"))
	}
	now := s.now()
	ks, err := s.knownIssues(ctx, d.Key, &prop, links)
	if err != nil {
		return o.fail(err)
	}
	clock, err := s.clock(ctx, d.Key, &prop, merged, ks)
	if err != nil {
		return o.fail(err)
	}
	o.Clock = clock
	if clock.Wait {
		return s.awaitDeploy(ctx, o, prop, merged, now)
	}
	states := make([]loop.State, 0, len(ks))
	for _, k := range ks {
		ev := s.evidence(ctx, k, clock, now)
		o.Evidence = append(o.Evidence, ev)
		if ev.Err != nil {
			return o.fail(ev.Err)
		}
		states = append(states, ev.Rate.State)
	}
	switch state := verify.Combine(states...); state {
	case loop.StateVerified, loop.StateUnverified:
		if err := s.confirm(ctx, &o, ks, state); err != nil {
			return o.fail(err)
		}
		if state == loop.StateVerified {
			return s.close(ctx, o, d, prop, closed)
		}
		return s.giveUp(ctx, o, prop)
	}
	o.State = loop.StateWatching
	o.Reason = waitingReason(o.Evidence)
	return o
}

func (o Outcome) fail(err error) Outcome {
	o.Failed, o.Reason = true, err.Error()
	return o
}

// linksFresh is how long remote links read into the property are
// trusted: the bot and Sentry's integration add links while a loop is
// open; after the merge new ones are rare.
const linksFresh = 24 * time.Hour

// links gathers every Sentry issue the Jira issue is linked to: its
// description, the property, and its remote links, which are read only
// when the property has not recorded them in the last day (then they are
// recorded, so the next sweeps need no request for them).
func (s *Sweeper) links(ctx context.Context, d jira.Detail, prop *loop.Property) ([]sentrylink.Link, error) {
	own := uniq.Concat(s.cfg.Links.InDescription(d.Description), sentrylink.FromProperty(*prop, s.cfg.Links.Org))
	if read, err := time.Parse(time.RFC3339, prop.LinksRead); err == nil && s.now().Sub(read) < linksFresh {
		return own, nil
	}
	urls, err := s.jira.RemoteLinkURLs(ctx, d.Key)
	if err != nil {
		return nil, err
	}
	var fromLinks []sentrylink.Link
	for _, u := range urls {
		if l, ok := s.cfg.Links.InURL(u); ok {
			fromLinks = append(fromLinks, l)
		}
	}
	all := uniq.Concat(own, fromLinks)
	if s.cfg.DryRun || len(all) == 0 {
		return all, nil
	}
	prop.Sentry = sentrylink.ToProperty(uniq.Concat(sentrylink.FromProperty(*prop, s.cfg.Links.Org), fromLinks), prop.Sentry, s.cfg.Links.Org)
	prop.LinksRead = s.now().UTC().Format(time.RFC3339)
	if err := writeProperty(ctx, s.jira, d.Key, *prop); err != nil {
		return nil, err
	}
	return all, nil
}

func waitingReason(evs []LinkEvidence) string {
	parts := make([]string, 0, len(evs))
	for _, e := range evs {
		if e.Rate.State != loop.StateVerified {
			parts = append(parts, e.Link.String()+": "+e.Rate.Reason)
		}
	}
	return strings.Join(parts, "; ")
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// writeProperty writes the property back with a change, keeping the rest.
func writeProperty(ctx context.Context, j Jira, key string, p loop.Property) error {
	raw, err := json.Marshal(p)
	if err != nil {
		return err
	}
	return j.SetProperty(ctx, key, loop.PropertyKey, json.RawMessage(raw))
}
