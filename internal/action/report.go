package action

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/sethvargo/go-githubactions"

	"github.com/fixproof/fixproof/internal/githubpr"
	"github.com/fixproof/fixproof/internal/jira"
	"github.com/fixproof/fixproof/internal/jiramarkup"
	"github.com/fixproof/fixproof/internal/markdown"
	"github.com/fixproof/fixproof/internal/textcut"
)

// annotate keeps the comment about the pull request and its remote
// link to it current. The link is written only when the comment changes,
// so a re-run makes no requests beyond reading the comments.
func (r *runner) annotate(ctx context.Context, p *plan, key string) error {
	pr := p.pr
	link := jira.RemoteLink{
		GlobalID: pr.URL, URL: pr.URL, Title: textcut.Bytes(fmt.Sprintf("%s#%d: %s", pr.Repo, pr.Number, pr.Title), 255),
		Summary: describeState(pr), Relationship: "fixed in", Resolved: pr.State == "MERGED",
		IconURL: "https://github.com/favicon.ico", IconTitle: "GitHub pull request",
	}
	if p.revertOf != nil {
		link.Relationship, link.Resolved = "reverted by", false
	}
	writeLink := func(ctx context.Context) error { return r.jira.UpsertRemoteLink(ctx, key, link) }
	if !p.eagerLink {
		// The link is written only when the comment is: the comment
		// being current means the link is too.
		_, err := r.jira.UpsertComment(ctx, key, "pr:"+pr.URL, prComment(p), writeLink)
		return err
	}
	// The link is written while the comment is looked for; the comment
	// is still written only once the link is, so the rule holds.
	linked := make(chan error, 1)
	go func() { linked <- writeLink(ctx) }()
	waitLink := sync.OnceValue(func() error { return <-linked })
	_, err := r.jira.UpsertComment(ctx, key, "pr:"+pr.URL, prComment(p), func(context.Context) error { return waitLink() })
	if linkErr := waitLink(); err == nil {
		err = linkErr
	}
	return err
}

// prComment is the comment about a pull request: link, title and state,
// nothing that changes from run to run, so an unchanged PR leaves the
// comment alone.
func prComment(p *plan) jiramarkup.Doc {
	pr := p.pr
	ref := func(x *githubpr.PR) jiramarkup.Inline {
		return jiramarkup.Link(fmt.Sprintf("%s#%d", x.Repo, x.Number), x.URL)
	}
	if p.revertOf != nil {
		return jiramarkup.Doc{Blocks: []jiramarkup.Block{
			jiramarkup.P(jiramarkup.Plain("Pull request "), ref(pr), jiramarkup.Plain(" reverted "), ref(p.revertOf), jiramarkup.Plain(": "), jiramarkup.Plain(p.revertOf.Title)),
			jiramarkup.P(jiramarkup.Plain("The fix is no longer in the code, so this issue is open again.")),
		}}
	}
	return jiramarkup.Doc{Blocks: []jiramarkup.Block{
		jiramarkup.P(jiramarkup.Plain("Pull request "), ref(pr), jiramarkup.Plain(": "), jiramarkup.Plain(pr.Title)),
		jiramarkup.P(jiramarkup.Plain("State: "), jiramarkup.Strong(describeState(pr))),
	}}
}

func describeState(pr *githubpr.PR) string {
	switch {
	case pr.State == "MERGED":
		return "merged"
	case pr.State == "CLOSED":
		return "closed without merging"
	case pr.IsDraft:
		return "draft"
	default:
		return "open for review"
	}
}

// report writes the outputs, the step summary and a log line per issue.
// stop, when set, is why no issue could be handled.
func (r *runner) report(p *plan, results []Result, stop error) error {
	var transitioned, skipped, failed []string
	for _, res := range results {
		r.log.Infof("%s: %s -> %s: %s (%s)", res.Key, clean(res.From), clean(res.To), res.Action, clean(res.Reason))
		switch res.Action {
		case Transitioned:
			transitioned = append(transitioned, res.Key)
		case Skipped:
			skipped = append(skipped, res.Key)
		case Failed:
			failed = append(failed, res.Key)
		}
	}
	js, kept, err := jsonResults(results)
	if err != nil {
		return err
	}
	if kept < len(results) {
		r.log.Warningf("results_json lists the first %d of %d results: GitHub limits an output to 1 MB", kept, len(results))
	}
	outputs := [][2]string{
		{"issue_keys", strings.Join(p.keys, " ")},
		{"transitioned", strings.Join(transitioned, " ")},
		{"skipped", strings.Join(skipped, " ")},
		{"failed", strings.Join(failed, " ")},
		{"results_json", js},
		{"error", errorOutput(stop)},
	}
	if err := writeOutputs(r.getenv("GITHUB_OUTPUT"), outputs); err != nil {
		return err
	}
	return appendFile(r.getenv("GITHUB_STEP_SUMMARY"), r.summary(p, results, stop, len(failed)))
}

// errorOutput is the error output: why the run could not handle the
// issues at all, on one line; empty when it could.
func errorOutput(err error) string {
	if err == nil {
		return ""
	}
	return clean(err.Error())
}

// maxOutput keeps one output under GitHub's limit of 1 MB per output.
const maxOutput = 1000 * 1000

// jsonResults is the results_json output: always an array, and never more
// than maxOutput bytes; kept is how many results fit.
func jsonResults(results []Result) (js string, kept int, err error) {
	var b strings.Builder
	b.WriteByte('[')
	for i, r := range results {
		one, err := json.Marshal(r)
		if err != nil {
			return "", 0, err
		}
		if b.Len()+len(one)+2 > maxOutput {
			break
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(one)
		kept++
	}
	b.WriteByte(']')
	return b.String(), kept, nil
}

// writeOutputs appends the outputs to the GITHUB_OUTPUT file.
func writeOutputs(path string, outputs [][2]string) error {
	if path == "" {
		return nil
	}
	text, err := formatOutputs(outputs, randomDelimiter)
	if err != nil {
		return err
	}
	return appendFile(path, text)
}

// formatOutputs writes each output as a name<<delimiter block, which the
// runner reads up to the first line that is exactly the delimiter. Each
// delimiter is fresh from newDelim and never one the value contains, so no
// value, whoever wrote it, can end its block early and forge the next
// output. (go-githubactions' SetOutput uses one fixed delimiter,
// "_GitHubActionsFileCommandDelimeter_", so it is not used.)
func formatOutputs(outputs [][2]string, newDelim func() string) (string, error) {
	var b strings.Builder
	for _, o := range outputs {
		delim := newDelim()
		// 128 random bits are never in the value: a few tries are plenty,
		// and a source that keeps repeating itself is a bug to report,
		// not to loop on.
		for try := 1; strings.Contains(o[1], delim); try++ {
			if try == 8 {
				return "", fmt.Errorf("output %s: found no delimiter the value does not contain", o[0])
			}
			delim = newDelim()
		}
		fmt.Fprintf(&b, "%s<<%s\n%s\n%s\n", o[0], delim, o[1], delim)
	}
	return b.String(), nil
}

// randomDelimiter is 128 random bits: a value cannot guess it.
func randomDelimiter() string { return "fixproof_" + randomHex(16) }

func appendFile(path, text string) error {
	if path == "" || text == "" {
		return nil
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.WriteString(text); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b)
}

// summary is the step summary: one table row per issue, and what failed.
func (r *runner) summary(p *plan, results []Result, stop error, failed int) string {
	var b strings.Builder
	title := "fixproof"
	if p.pr != nil {
		title += fmt.Sprintf(": [%s#%d](%s) %s", markdown.Escape(p.pr.Repo), p.pr.Number, p.pr.URL, markdown.Escape(p.pr.Title))
	}
	fmt.Fprintf(&b, "### %s\n\n", title)
	fmt.Fprintf(&b, "Target: **%s** (%s)", markdown.Escape(strings.Join(p.target, " or ")), markdown.Escape(p.reason))
	if r.cfg.DryRun {
		b.WriteString(", dry run: nothing was changed")
	}
	b.WriteString("\n\n")
	if len(results) == 0 {
		b.WriteString("No Jira issue keys found.\n")
		return b.String()
	}
	if stop != nil {
		fmt.Fprintf(&b, "**No issue could be updated:** %s\n\n", markdown.Escape(stop.Error()))
	}
	if len(results) > tableRows {
		writeGrouped(&b, results)
	} else {
		writeTable(&b, results)
	}
	if failed > 0 {
		fmt.Fprintf(&b, "\n%d of %d issues could not be updated. %s\n", failed, len(results), r.failureNote())
	}
	return b.String()
}

// tableRows is the most results the summary shows as a table, a row
// each; a release pull request's hundreds are grouped by what became of
// them instead, every key still listed.
const tableRows = 25

// writeTable writes a row per result.
func writeTable(b *strings.Builder, results []Result) {
	b.WriteString("| Issue | Summary | From | To | Result |\n|---|---|---|---|---|\n")
	for _, res := range results {
		fmt.Fprintf(b, "| [%s](%s) | %s | %s | %s | %s: %s |\n",
			res.Key, res.URL, markdown.Escape(res.Summary), markdown.Escape(res.From), markdown.Escape(res.To), res.Action, markdown.Escape(res.Reason))
	}
}

// writeGrouped writes the failures as a table, with their reasons, then
// every other key in a line per outcome and status ("Transitioned to In
// Review (298): OPS-1, OPS-2, ..."), in the order first met.
func writeGrouped(b *strings.Builder, results []Result) {
	var failures []Result
	var order []string
	groups := map[string][]string{}
	for _, res := range results {
		if res.Action == Failed {
			failures = append(failures, res)
			continue
		}
		label := res.Action + " (" + res.Reason + ")"
		if res.Action == Transitioned || res.Action == Planned {
			label = res.Action + " to " + res.To
		}
		if _, ok := groups[label]; !ok {
			order = append(order, label)
		}
		groups[label] = append(groups[label], fmt.Sprintf("[%s](%s)", res.Key, res.URL))
	}
	if len(failures) > 0 {
		b.WriteString("| Failed | From | Reason |\n|---|---|---|\n")
		for _, res := range failures {
			fmt.Fprintf(b, "| [%s](%s) | %s | %s |\n", res.Key, res.URL, markdown.Escape(res.From), markdown.Escape(res.Reason))
		}
		b.WriteString("\n")
	}
	for _, label := range order {
		fmt.Fprintf(b, "**%s** (%d): %s\n\n", markdown.Escape(label), len(groups[label]), strings.Join(groups[label], ", "))
	}
}

// mask registers a secret with the runner, line by line (a mask command
// covers one line).
func mask(gha *githubactions.Action, secret string) {
	for _, line := range strings.Split(secret, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			gha.AddMask(line)
		}
	}
}

// clean folds a line of untrusted text for the log.
func clean(s string) string { return markdown.OneLine(s) }
