package sweep

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/fixproof/fixproof/internal/chart"
	"github.com/fixproof/fixproof/internal/flow"
	"github.com/fixproof/fixproof/internal/jira"
	"github.com/fixproof/fixproof/internal/jiramarkup"
	"github.com/fixproof/fixproof/internal/loop"
	"github.com/fixproof/fixproof/internal/markdown"
	"github.com/fixproof/fixproof/internal/sentry"
	"github.com/fixproof/fixproof/internal/verify"
)

// close finishes a verified issue. The Jira transition comes first and is
// the claim: Jira refuses a transition the issue's status no longer
// offers, so when two sweeps run at once only one closes the issue and
// the other stops. The claim is recorded in the property first, so that a
// sweep that dies half-way is finished by the next one (the issue is then
// closed, labelled and claimed). Everything after it is idempotent, and
// the label goes last.
func (s *Sweeper) close(ctx context.Context, o Outcome, d jira.Detail, prop loop.Property, claimed bool) Outcome {
	o.State = loop.StateVerified
	if s.cfg.DryRun {
		o.Reason = "dry run: would resolve the Sentry issues and close the Jira issue"
		return o
	}
	if !claimed {
		prop.Closing = &loop.Claim{Run: s.cfg.Run, At: s.now().UTC().Format(time.RFC3339)}
		if err := writeProperty(ctx, s.jira, d.Key, prop); err != nil {
			return o.fail(err)
		}
		goal := flow.Goal{Target: s.cfg.Closed, Stage: loop.Closed, Statuses: s.cfg.Statuses}
		if _, err := flow.Walk(ctx, s.jira, d.Key, d.Status, d.Transitions, goal); err != nil {
			if s.closedMeanwhile(ctx, d.Key, err) {
				o.Elsewhere, o.Reason = true, "another sweep closed it first"
				return o
			}
			return o.fail(err)
		}
	}
	commit := &sentry.Commit{Commit: o.Merge.Commit, Repository: o.Merge.Repo}
	var notes []string
	for i := range o.Evidence {
		ev := &o.Evidence[i]
		if ev.Status == "resolved" {
			continue
		}
		_, err := s.sentry.Resolve(ctx, ev.Link.Org, ev.Link.IssueID, commit)
		var api *sentry.APIError
		if errors.As(err, &api) && api.Status == http.StatusBadRequest {
			// Sentry refuses inCommit for a repository it has not been
			// connected to; resolve plainly and say so.
			notes = append(notes, fmt.Sprintf("%s resolved without the commit (Sentry: %s)", ev.Link, api.Detail))
			_, err = s.sentry.Resolve(ctx, ev.Link.Org, ev.Link.IssueID, nil)
		}
		if err != nil {
			return o.fail(fmt.Errorf("resolve Sentry issue %s: %w", ev.Link, err))
		}
		ev.Resolved = true
	}
	o.Reason = "resolved and closed"
	if len(notes) > 0 {
		o.Reason += "; " + strings.Join(notes, "; ")
	}
	if _, err := s.jira.UpsertComment(ctx, d.Key, "verified", s.verifiedDoc(o), nil); err != nil {
		return o.fail(err)
	}
	if err := s.commentPR(ctx, o, "verified:"+o.Key, s.prBody(o, true)); err != nil {
		return o.fail(err)
	}
	if err := s.jira.EditLabels(ctx, d.Key, nil, []string{s.cfg.Label}); err != nil {
		return o.fail(err)
	}
	return o
}

// closedMeanwhile tells a lost race from a real failure: after a refused
// transition, is the issue now closed?
func (s *Sweeper) closedMeanwhile(ctx context.Context, key string, err error) bool {
	var api *jira.APIError
	if !errors.As(err, &api) || (api.Status != http.StatusBadRequest && api.Status != http.StatusConflict) {
		return false
	}
	page, qerr := s.jira.Query(ctx, "key = "+jira.QuoteJQL(key), nil, "")
	return qerr == nil && len(page.Issues) == 1 && containsFold(s.cfg.Closed, page.Issues[0].Status)
}

// giveUp reports an issue that did not verify in time: a comment on the
// issue and the PR, the unverified label instead of the verify label, and
// nothing resolved.
func (s *Sweeper) giveUp(ctx context.Context, o Outcome) Outcome {
	o.State = loop.StateUnverified
	o.Reason = fmt.Sprintf("not below %g events per %s within %s of the merge", s.cfg.Params.Limit(), s.cfg.Params.Window, s.cfg.Params.Timeout)
	if s.cfg.DryRun {
		o.Reason = "dry run: " + o.Reason
		return o
	}
	if _, err := s.jira.UpsertComment(ctx, o.Key, "unverified", s.unverifiedDoc(o), nil); err != nil {
		return o.fail(err)
	}
	if err := s.commentPR(ctx, o, "unverified:"+o.Key, s.prBody(o, false)); err != nil {
		return o.fail(err)
	}
	if err := s.jira.EditLabels(ctx, o.Key, []string{loop.LabelUnverified}, []string{s.cfg.Label}); err != nil {
		return o.fail(err)
	}
	return o
}

// release stops watching an issue that no longer needs it: reopened since
// the merge, or closed by a person (state says which).
func (s *Sweeper) release(ctx context.Context, o Outcome, state loop.State, why string) Outcome {
	o.State, o.Reason = state, why
	if s.cfg.DryRun {
		return o
	}
	if err := s.jira.EditLabels(ctx, o.Key, nil, []string{s.cfg.Label}); err != nil {
		return o.fail(err)
	}
	return o
}

func (s *Sweeper) commentPR(ctx context.Context, o Outcome, marker, body string) error {
	if s.prs == nil || o.Merge == nil || o.Merge.Repo == "" || o.Merge.PR <= 0 {
		return nil
	}
	_, err := s.prs.Upsert(ctx, o.Merge.Repo, o.Merge.PR, marker, body)
	return err
}

// counts lists a window's counts as text.
func counts(bs []verify.Bucket) string {
	parts := make([]string, len(bs))
	for i, b := range bs {
		parts[i] = strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", b.Count), "0"), ".")
	}
	return strings.Join(parts, ", ")
}

func values(bs []verify.Bucket) []float64 {
	out := make([]float64, len(bs))
	for i, b := range bs {
		out[i] = b.Count
	}
	return out
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

func (s *Sweeper) criterion() string {
	p := s.cfg.Params
	return fmt.Sprintf("fewer than %g events per %s in each of the last %d windows after the merge", p.Limit(), p.Window, p.Windows)
}

// evidenceTable is one row per Sentry issue. Titles are Sentry's event
// titles: attacker-controlled text, kept as plain text nodes.
func (s *Sweeper) evidenceTable(o Outcome) jiramarkup.Table {
	t := jiramarkup.Table{Header: []string{"Sentry issue", "Before the merge", "After the merge", "Result"}}
	for _, ev := range o.Evidence {
		name := ev.ShortID
		if name == "" {
			name = ev.Link.String()
		}
		result := ev.Result.Reason
		if ev.Resolved {
			result = "resolved in commit " + short(o.Merge.Commit)
		}
		t.Rows = append(t.Rows, []jiramarkup.Paragraph{
			jiramarkup.P(jiramarkup.Link(name, ev.URL), jiramarkup.Plain(" "+ev.Title)),
			jiramarkup.P(jiramarkup.Plain(counts(ev.Before))),
			jiramarkup.P(jiramarkup.Plain(counts(ev.Result.After))),
			jiramarkup.P(jiramarkup.Plain(result)),
		})
	}
	return t
}

func (s *Sweeper) prRef(o Outcome) jiramarkup.Inline {
	return jiramarkup.Link(fmt.Sprintf("%s#%d", o.Merge.Repo, o.Merge.PR), o.Merge.URL)
}

func (s *Sweeper) verifiedDoc(o Outcome) jiramarkup.Doc {
	return jiramarkup.Doc{Blocks: []jiramarkup.Block{
		jiramarkup.P(jiramarkup.Strong("Verified in production. "), jiramarkup.Plain("After "), s.prRef(o),
			jiramarkup.Plain(" merged (commit "+short(o.Merge.Commit)+"), the linked Sentry issues had "+s.criterion()+".")),
		s.evidenceTable(o),
		jiramarkup.P(jiramarkup.Plain("fixproof resolved the Sentry issues in that commit (a regression reopens them) and closed this issue.")),
	}}
}

func (s *Sweeper) unverifiedDoc(o Outcome) jiramarkup.Doc {
	return jiramarkup.Doc{Blocks: []jiramarkup.Block{
		jiramarkup.P(jiramarkup.Strong("Not verified. "), jiramarkup.Plain(fmt.Sprintf("%s after ", s.cfg.Params.Timeout)), s.prRef(o),
			jiramarkup.Plain(" merged, the linked Sentry issues still did not have "+s.criterion()+".")),
		s.evidenceTable(o),
		jiramarkup.P(jiramarkup.Plain("Nothing was resolved. fixproof stopped watching and labelled this issue " + loop.LabelUnverified + ".")),
	}}
}

// prBody is the pull request comment, in markdown: the evidence, a
// sparkline per Sentry issue and a chart of events per window.
func (s *Sweeper) prBody(o Outcome, verified bool) string {
	var b strings.Builder
	if verified {
		fmt.Fprintf(&b, "### Verified in production: [%s](%s) %s\n\n", o.Key, o.URL, markdown.Escape(o.Summary))
		fmt.Fprintf(&b, "After this pull request merged, the linked Sentry issues had %s. fixproof resolved them in %s and closed %s.\n\n",
			s.criterion(), short(o.Merge.Commit), o.Key)
	} else {
		fmt.Fprintf(&b, "### Not verified: [%s](%s) %s\n\n", o.Key, o.URL, markdown.Escape(o.Summary))
		fmt.Fprintf(&b, "%s after this pull request merged, the linked Sentry issues still did not have %s. Nothing was resolved; %s is labelled `%s`.\n\n",
			s.cfg.Params.Timeout, s.criterion(), o.Key, loop.LabelUnverified)
	}
	b.WriteString("| Sentry issue | before the merge | after the merge | result |\n|---|---|---|---|\n")
	for _, ev := range o.Evidence {
		name := ev.ShortID
		if name == "" {
			name = ev.Link.String()
		}
		result := ev.Result.Reason
		if ev.Resolved {
			result = "resolved in " + short(o.Merge.Commit)
		}
		fmt.Fprintf(&b, "| [%s](%s) %s | %s %s | %s %s | %s |\n", markdown.Escape(name), ev.URL, markdown.Escape(ev.Title),
			chart.Sparkline(values(ev.Before)), counts(ev.Before), chart.Sparkline(values(ev.Result.After)), counts(ev.Result.After),
			markdown.Escape(result))
	}
	for _, ev := range o.Evidence {
		all := append(append([]verify.Bucket{}, ev.Before...), ev.Result.After...)
		labels := make([]string, len(all))
		for i, w := range all {
			labels[i] = w.Start.UTC().Format("Jan 2 15:04")
		}
		name := ev.ShortID
		if name == "" {
			name = ev.Link.String()
		}
		fmt.Fprintf(&b, "\n<details><summary>Events per %s: %s</summary>\n\n%s\n\n</details>\n",
			s.cfg.Params.Window, markdown.Escape(name),
			chart.Mermaid("Events per "+s.cfg.Params.Window.String()+", merge between "+labelAt(ev.Before, len(ev.Before)-1)+" and "+labelAt(ev.Result.After, 0),
				labels, values(all), ev.Result.Limit))
	}
	return b.String()
}

func labelAt(bs []verify.Bucket, i int) string {
	if i < 0 || i >= len(bs) {
		return "?"
	}
	return bs[i].Start.UTC().Format("Jan 2 15:04")
}
