package action

import (
	"strings"
	"testing"

	"github.com/fixproof/fixproof/internal/sim/jirasim"
	"github.com/fixproof/fixproof/internal/sim/sentrysim"
)

// A verified fix resolves its Sentry issue in the merge commit when the
// Sentry organization has connected the repository. When it has not,
// Sentry refuses the commit (400, "Unable to find the given repository.")
// and the sweep resolves the issue plainly, saying so in the step
// summary, instead of failing.
func TestVerifiedFixResolvesInTheMergeCommitOrPlainlyWhenSentryLacksTheRepository(t *testing.T) {
	// The summary is Markdown: its parentheses are escaped.
	const fallback = `acme/101 resolved without the commit \(Sentry: statusDetails.inCommit.repository: Unable to find the given repository.\)`
	for _, c := range []struct {
		name      string
		connected bool
	}{
		{"repository connected", true},
		{"repository not connected", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t, jirasim.Cloud)
			if !c.connected {
				w.sentry.DisconnectRepository(repoFull)
			}
			w.sentryIssue("101", noisyUntilMerge())
			w.mergeFix("OPS-1", 7, "101")

			o := w.sweepAt(afterFour)
			if o.err != nil {
				t.Fatalf("%v\n%s", o.err, o.stdout)
			}
			if o.outputs["jira_closed"] != "OPS-1" || o.outputs["sentry_resolved"] != "101" || o.outputs["failed"] != "" {
				t.Errorf("outputs %v\n%s", o.outputs, o.stdout)
			}
			if w.status("OPS-1") != "Closed" {
				t.Errorf("Jira status %s", w.status("OPS-1"))
			}
			s, _ := w.sentry.Issue("101")
			inCommit := `{"status":"resolved","statusDetails":{"inCommit":{"commit":"` + mergeSHA + `","repository":"` + repoFull + `"}}}`
			if c.connected {
				if s.Status != "resolved" || s.ResolvedInCommit == nil || *s.ResolvedInCommit != (sentrysim.Commit{Commit: mergeSHA, Repository: repoFull}) ||
					len(s.UpdateBodies) != 1 || s.UpdateBodies[0] != inCommit {
					t.Errorf("Sentry: %+v", s)
				}
				if strings.Contains(o.summary, "without the commit") {
					t.Errorf("a fallback reported although Sentry took the commit:\n%s", o.summary)
				}
				return
			}
			// Refused with the commit, then resolved without it.
			if s.Status != "resolved" || s.ResolvedInCommit != nil ||
				len(s.UpdateBodies) != 2 || s.UpdateBodies[0] != inCommit || s.UpdateBodies[1] != `{"status":"resolved"}` {
				t.Errorf("Sentry: %+v", s)
			}
			if !strings.Contains(o.summary, fallback) {
				t.Errorf("the step summary does not report the fallback %q:\n%s", fallback, o.summary)
			}
		})
	}
}
