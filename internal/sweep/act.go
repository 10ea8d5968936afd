package sweep

import (
	"context"
	"errors"
	"fmt"
	"math"
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
	// No run has claimed the issue before this one: none has commented on
	// it either (comments follow the claim and the transition), so when
	// this run wins the transition its comments are posted without
	// looking for earlier ones.
	first := !claimed && prop.Closing == nil
	if !claimed {
		prop.Closing = &loop.Claim{Run: s.cfg.Run, At: s.now().UTC().Format(time.RFC3339)}
		prop.Verification = &loop.Verification{State: loop.StateVerified, At: prop.Closing.At, Evidence: s.sentences(o)}
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
	if err := s.resolveAll(ctx, &o); err != nil {
		return o.fail(err)
	}
	if err := s.comment(ctx, o, "verified", s.evidenceDoc(o, true), s.prBody(o, true), first); err != nil {
		return o.fail(err)
	}
	if err := s.jira.EditLabels(ctx, d.Key, nil, []string{s.cfg.Label}); err != nil {
		return o.fail(err)
	}
	return o
}

// resolveAll resolves every linked Sentry issue not resolved yet, in the
// merge commit (plainly where Sentry refuses the commit, saying so in the
// reason), and describes each from Sentry's answer.
func (s *Sweeper) resolveAll(ctx context.Context, o *Outcome) error {
	commit := &sentry.Commit{Commit: o.Merge.Commit, Repository: o.Merge.Repo}
	var notes []string
	for i := range o.Evidence {
		ev := &o.Evidence[i]
		if ev.Status == "resolved" {
			continue
		}
		is, err := s.sentry.Resolve(ctx, ev.Link.Org, ev.Link.IssueID, commit)
		var api *sentry.APIError
		if errors.As(err, &api) && api.Status == http.StatusBadRequest {
			// Sentry refuses inCommit for a repository it has not been
			// connected to; resolve plainly and say so.
			notes = append(notes, fmt.Sprintf("%s resolved without the commit (Sentry: %s)", ev.Link, api.Detail))
			is, err = s.sentry.Resolve(ctx, ev.Link.Org, ev.Link.IssueID, nil)
		}
		if errors.Is(err, sentry.ErrNotFound) {
			return fmt.Errorf("Sentry issue %s does not exist (404): remove the link or fix the id; the Jira issue stays open", ev.Link)
		}
		if err != nil {
			return fmt.Errorf("resolve Sentry issue %s: %w", ev.Link, err)
		}
		ev.describe(is)
		ev.Resolved = true
	}
	o.Reason = "resolved and closed"
	if len(notes) > 0 {
		o.Reason += "; " + strings.Join(notes, "; ")
	}
	return nil
}

// comment writes the outcome's comment on the Jira issue and the pull
// request under marker (plus the key on the PR, which may fix several
// issues): posted outright when first (no run can have written one),
// else kept to one.
func (s *Sweeper) comment(ctx context.Context, o Outcome, marker string, doc jiramarkup.Doc, prBody string, first bool) error {
	prMarker := marker + ":" + o.Key
	hasPR := s.prs != nil && o.Merge != nil && o.Merge.Repo != "" && o.Merge.PR > 0
	if first {
		if err := s.jira.PostMarkedComment(ctx, o.Key, marker, doc); err != nil {
			return err
		}
		if hasPR {
			return s.prs.Post(ctx, o.Merge.Repo, o.Merge.PR, prMarker, prBody)
		}
		return nil
	}
	if _, err := s.jira.UpsertComment(ctx, o.Key, marker, doc, nil); err != nil {
		return err
	}
	if hasPR {
		_, err := s.prs.Upsert(ctx, o.Merge.Repo, o.Merge.PR, prMarker, prBody)
		return err
	}
	return nil
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
func (s *Sweeper) giveUp(ctx context.Context, o Outcome, prop loop.Property) Outcome {
	o.State = loop.StateUnverified
	if o.Reason == "" {
		o.Reason = waitingReason(o.Evidence)
	}
	if s.cfg.DryRun {
		o.Reason = "dry run: " + o.Reason
		return o
	}
	evidence := s.sentences(o)
	if len(evidence) == 0 {
		evidence = []string{upperFirst(o.Reason) + "."}
	}
	prop.Verification = &loop.Verification{State: loop.StateUnverified, At: s.now().UTC().Format(time.RFC3339), Evidence: evidence}
	if err := writeProperty(ctx, s.jira, o.Key, prop); err != nil {
		return o.fail(err)
	}
	if err := s.comment(ctx, o, "unverified", s.evidenceDoc(o, false), s.prBody(o, false), false); err != nil {
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

// counts lists windows' error counts as text.
func counts(ws []verify.Window) string {
	parts := make([]string, len(ws))
	for i, w := range ws {
		parts[i] = trim(math.Round(w.Count*100) / 100)
	}
	return strings.Join(parts, ", ")
}

// rates are windows' error rates in the basis unit (0 without traffic).
func rates(ws []verify.Window, basis verify.Basis) []float64 {
	out := make([]float64, len(ws))
	for i, w := range ws {
		if w.Exposure > 0 {
			out[i] = w.Count / w.Exposure
		}
	}
	return out
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

// sentences is every linked Sentry issue's evidence sentence.
func (s *Sweeper) sentences(o Outcome) []string {
	out := make([]string, len(o.Evidence))
	for i, ev := range o.Evidence {
		out[i] = Sentence(ev, o.Clock, s.cfg.Params)
		if len(o.Evidence) > 1 {
			out[i] = name(ev) + ": " + out[i]
		}
	}
	return out
}

func name(ev LinkEvidence) string {
	if ev.ShortID != "" {
		return ev.ShortID
	}
	return ev.Link.String()
}

// evidenceTable is one row per Sentry issue. Titles are Sentry's event
// titles: attacker-controlled text, kept as plain text nodes.
func (s *Sweeper) evidenceTable(o Outcome) jiramarkup.Table {
	t := jiramarkup.Table{Header: []string{"Sentry issue", "Before", "Since " + o.Clock.Since(), "Result"}}
	for _, ev := range o.Evidence {
		before, after := ev.Split(o.Clock.Start)
		result := ev.Rate.Reason
		if ev.Resolved {
			result = "resolved in commit " + short(o.Merge.Commit)
		}
		t.Rows = append(t.Rows, []jiramarkup.Paragraph{
			jiramarkup.P(jiramarkup.Link(name(ev), ev.URL), jiramarkup.Plain(" "+ev.Title)),
			jiramarkup.P(jiramarkup.Plain(counts(before))),
			jiramarkup.P(jiramarkup.Plain(counts(after))),
			jiramarkup.P(jiramarkup.Plain(result)),
		})
	}
	return t
}

func (s *Sweeper) prRef(o Outcome) jiramarkup.Inline {
	return jiramarkup.Link(fmt.Sprintf("%s#%d", o.Merge.Repo, o.Merge.PR), o.Merge.URL)
}

// evidenceDoc is the Jira comment: the headline, one sentence per Sentry
// issue, the table, and what fixproof did.
func (s *Sweeper) evidenceDoc(o Outcome, verified bool) jiramarkup.Doc {
	head, did := "Not verified. ", "Nothing was resolved. fixproof stopped watching and labelled this issue "+loop.LabelUnverified+"."
	if verified {
		head, did = "Verified in production. ", "fixproof resolved the Sentry issues in that commit (a regression reopens them) and closed this issue."
	}
	blocks := []jiramarkup.Block{jiramarkup.P(jiramarkup.Strong(head), jiramarkup.Plain("The fix is "), s.prRef(o),
		jiramarkup.Plain(" (commit "+short(o.Merge.Commit)+")."))}
	for _, line := range s.sentences(o) {
		blocks = append(blocks, jiramarkup.P(jiramarkup.Plain(line)))
	}
	if o.Reason != "" && len(o.Evidence) == 0 {
		blocks = append(blocks, jiramarkup.P(jiramarkup.Plain(upperFirst(o.Reason)+".")))
	}
	if len(o.Evidence) > 0 {
		blocks = append(blocks, s.evidenceTable(o))
	}
	return jiramarkup.Doc{Blocks: append(blocks, jiramarkup.P(jiramarkup.Plain(did)))}
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// prBody is the pull request comment, in markdown: the evidence sentences,
// a table with sparklines per Sentry issue and a chart of the rate per
// window.
func (s *Sweeper) prBody(o Outcome, verified bool) string {
	var b strings.Builder
	if verified {
		fmt.Fprintf(&b, "### Verified in production: [%s](%s) %s\n\n", o.Key, o.URL, markdown.Escape(o.Summary))
	} else {
		fmt.Fprintf(&b, "### Not verified: [%s](%s) %s\n\n", o.Key, o.URL, markdown.Escape(o.Summary))
	}
	for _, line := range s.sentences(o) {
		b.WriteString(markdown.Escape(line) + "\n\n")
	}
	if len(o.Evidence) == 0 {
		b.WriteString(markdown.Escape(upperFirst(o.Reason)) + ".\n\n")
	}
	if verified {
		fmt.Fprintf(&b, "fixproof resolved the Sentry issues in %s and closed %s.\n\n", short(o.Merge.Commit), o.Key)
	} else {
		fmt.Fprintf(&b, "Nothing was resolved; %s is labelled `%s`.\n\n", o.Key, loop.LabelUnverified)
	}
	if len(o.Evidence) == 0 {
		return b.String()
	}
	b.WriteString("| Sentry issue | errors per window before | since " + markdown.Escape(o.Clock.Since()) + " | result |\n|---|---|---|---|\n")
	for _, ev := range o.Evidence {
		before, after := ev.Split(o.Clock.Start)
		result := ev.Rate.Reason
		if ev.Resolved {
			result = "resolved in " + short(o.Merge.Commit)
		}
		fmt.Fprintf(&b, "| [%s](%s) %s | %s %s | %s %s | %s |\n", markdown.Escape(name(ev)), ev.URL, markdown.Escape(ev.Title),
			chart.Sparkline(rates(before, ev.Basis)), counts(before), chart.Sparkline(rates(after, ev.Basis)), counts(after),
			markdown.Escape(result))
	}
	for _, ev := range o.Evidence {
		fmt.Fprintf(&b, "\n<details><summary>Errors %s per %s: %s</summary>\n\n%s\n\n</details>\n",
			unitOf(ev.Basis), s.cfg.Params.Window, markdown.Escape(name(ev)), s.chart(o, ev))
	}
	return b.String()
}

// chart is a Mermaid chart of one Sentry issue's rate per window, titled
// with where the merge and the deploy fall, with the threshold line.
func (s *Sweeper) chart(o Outcome, ev LinkEvidence) string {
	labels := make([]string, len(ev.Windows))
	for i, w := range ev.Windows {
		labels[i] = w.Start.UTC().Format("Jan 2 15:04")
	}
	title := "Errors " + unitOf(ev.Basis) + "; merged " + clockTime(o.Clock.Merged)
	if o.Clock.Deployed {
		title += ", deployed " + clockTime(o.Clock.Start)
	}
	return chart.Mermaid(title, labels, rates(ev.Windows, ev.Basis), s.cfg.Params.Threshold)
}
