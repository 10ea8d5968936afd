package action

import (
	"fmt"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/sim/githubsim"
	"github.com/fixproof/fixproof/internal/sim/jirasim"
)

// BenchmarkPullRequest20Keys300Commits runs the whole action for a pull
// request naming 20 issues (in its title, branch, body and commits) with
// 300 commits, against simulators that add 20 ms to every request, like a
// distant data centre. Every issue starts in Open and must walk
// Open -> In Progress -> In Review.
//
// The physical minimum is 3 GraphQL round trips (100 commits a page),
// 1 Jira search (which also returns each issue's transitions), then all
// issues at once: the first transition, a GET of the next transitions and
// the second transition, while the comment (GET comments, POST remote link,
// POST comment, GET comments again so racing runs converge on one comment)
// runs alongside: 3 + 1 + max(3, 4) = 8 round trips, 160 ms.
// rtt/op is the wall time divided by the injected latency: the round trips
// on the critical path.
func BenchmarkPullRequest20Keys300Commits(b *testing.B) {
	const latency = 20 * time.Millisecond
	for _, f := range []struct {
		name   string
		flavor jirasim.Flavor
	}{{"cloud", jirasim.Cloud}, {"datacenter", jirasim.DataCenter}} {
		b.Run(f.name, func(b *testing.B) {
			var jiraReqs, ghReqs, peak int
			var wall time.Duration
			for b.Loop() {
				b.StopTimer()
				w := newBareWorld(b, f.flavor)
				pr := benchPR(w)
				w.jira.Control.SetLatency(latency)
				w.gh.Control.SetLatency(latency)
				ev := map[string]any{"action": "opened", "number": pr.Number, "pull_request": map[string]any{"number": pr.Number}}
				b.StartTimer()
				start := time.Now()
				o := w.run("pull_request", ev)
				wall += time.Since(start)
				b.StopTimer()
				if o.err != nil || o.outputs["transitioned"] == "" || len(o.results(b)) != 20 {
					b.Fatalf("run failed: %v %v\n%s", o.err, o.outputs, o.stdout)
				}
				jiraReqs += w.jira.Control.Total()
				ghReqs += w.gh.Control.Total()
				peak = max(peak, w.jira.Control.PeakConcurrency())
				b.StartTimer()
			}
			n := float64(b.N)
			b.ReportMetric(float64(ghReqs)/n, "graphql-req/op")
			b.ReportMetric(float64(jiraReqs)/n, "jira-req/op")
			b.ReportMetric(float64(peak), "jira-peak-parallel")
			b.ReportMetric(float64(wall)/n/float64(latency), "rtt/op")
		})
	}
}

// benchPR makes 20 Open issues and a 300-commit pull request naming them.
func benchPR(w *world) githubsim.PullRequest {
	commits := make([]githubsim.Commit, 300)
	for i := range commits {
		commits[i] = githubsim.Commit{Message: fmt.Sprintf("change %d", i)}
	}
	for i := 1; i <= 20; i++ {
		w.issue(fmt.Sprintf("OPS-%d", i), "Open")
	}
	// Keys spread over every source, some on the last commit page.
	for i := 4; i <= 20; i++ {
		commits[(i*17)%300].Message = fmt.Sprintf("OPS-%d: part %d", i, i)
	}
	return w.pr(githubsim.PullRequest{
		Title:       "OPS-1 OPS-2: fix the session crash",
		HeadRefName: "feature/ops-3-sessions",
		Body:        "Also closes OPS-4 and OPS-5.",
		Commits:     commits,
	})
}
