package action

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/loop"
	"github.com/fixproof/fixproof/internal/sim/githubsim"
	"github.com/fixproof/fixproof/internal/sim/jirasim"
	"github.com/fixproof/fixproof/internal/sim/sentrysim"
)

// BenchmarkSweep10000 runs a scheduled sweep over 10,000 labelled Jira
// issues, each linked to its own Sentry issue and merged through its own
// PR, with 10 ms added to every request to Jira, Sentry and GitHub. One in
// ten fixes has been quiet for three windows and is verified (claim,
// transition, resolve, two comments, label); the rest are still waiting
// (read only). It reports the requests made to each service and the wall
// time; run it with -benchtime 1x, it takes about a minute.
func BenchmarkSweep10000(b *testing.B) {
	const (
		issues  = 10000
		latency = 10 * time.Millisecond
	)
	var wall time.Duration
	var jiraReqs, sentryReqs, ghReqs, closed int
	for b.Loop() {
		b.StopTimer()
		w := newBareWorld(b, jirasim.Cloud)
		arrangeSweep(b, w, issues, mergedAt)
		for _, c := range []interface{ SetLatency(time.Duration) }{&w.jira.Control, &w.sentry.Control, &w.gh.Control} {
			c.SetLatency(latency)
		}
		w.clock.Set(afterFour)
		b.StartTimer()
		start := time.Now()
		o := w.run("schedule", nil)
		wall += time.Since(start)
		b.StopTimer()
		if o.err != nil {
			b.Fatalf("%v\n%.2000s", o.err, o.stdout)
		}
		var res []Result
		_ = json.Unmarshal([]byte(o.outputs["results_json"]), &res)
		if len(res) != issues/10 || len(splitList(o.outputs["skipped"])) != issues-issues/10 {
			b.Fatalf("%d results and %d waiting, want %d and %d", len(res), len(splitList(o.outputs["skipped"])), issues/10, issues-issues/10)
		}
		closed += len(splitList(o.outputs["jira_closed"]))
		jiraReqs += w.jira.Control.Total()
		sentryReqs += w.sentry.Control.Total()
		ghReqs += w.gh.Control.Total()
		b.StartTimer()
	}
	n := float64(b.N)
	b.ReportMetric(float64(closed)/n, "verified/op")
	b.ReportMetric(float64(jiraReqs)/n, "jira-req/op")
	b.ReportMetric(float64(sentryReqs)/n, "sentry-req/op")
	b.ReportMetric(float64(ghReqs)/n, "github-req/op")
	b.ReportMetric(wall.Seconds()/n, "wall-s/op")
}

// arrangeSweep makes n labelled issues as a merged PR and the first sweep
// leave them: Done, labelled, a remote link to a Sentry issue, and the
// merge and the link with its Sentry project (read at linksRead, as the
// merge records it; zero: not recorded, as by a release before links were
// recorded) in the property. Every tenth fix is
// quiet since its merge; the others are still noisy.
func arrangeSweep(b testing.TB, w *world, n int, linksRead time.Time) {
	w.jira.AddProject("BIG", "Big", jirasim.DefaultWorkflow())
	for i := 1; i <= n; i++ {
		key := fmt.Sprintf("BIG-%d", i)
		id := fmt.Sprint(100000 + i)
		if err := w.jira.AddIssue(key, "Crash "+id, "Done"); err != nil {
			b.Fatal(err)
		}
		tl := sentrysim.Rate(30)
		if i%10 == 0 {
			tl = noisyUntilMerge()
		}
		w.sentryIssue(id, tl)
		p := loop.Property{Merge: &loop.Merge{
			At: mergedAt.Format(time.RFC3339), Commit: mergeSHA, Repo: repoFull, PR: i,
			URL: fmt.Sprintf("https://github.com/%s/pull/%d", repoFull, i)},
			Sentry: []loop.SentryRef{{Org: sentryOrg, IssueID: loop.ID(id), Project: loop.ID(w.sentry.ProjectID("api"))}}}
		if !linksRead.IsZero() {
			p.LinksRead = linksRead.Format(time.RFC3339)
		}
		prop, _ := json.Marshal(p)
		if err := w.jira.SetProperty(key, "fixproof", prop); err != nil {
			b.Fatal(err)
		}
		if err := w.jira.SetLabels(key, "fixproof-verify"); err != nil {
			b.Fatal(err)
		}
		if err := w.jira.AddRemoteLink(key, w.sentryLink(id), "API-"+id); err != nil {
			b.Fatal(err)
		}
		w.gh.AddPullRequest(repoOwner, repoName, githubsim.PullRequest{Number: i, Title: key, HeadRefName: "fix", State: "MERGED"})
	}
}
