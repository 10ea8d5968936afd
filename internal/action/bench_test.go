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
// the second transition, while the comment (GET comments with the remote
// link's POST alongside, POST comment, GET comments again so racing runs
// converge on one comment) runs alongside: 3 + 1 + max(3, 3) = 7 round
// trips, 140 ms.
// rtt/op is the wall time divided by the injected latency: the round trips
// on the critical path.
func BenchmarkPullRequest20Keys300Commits(b *testing.B) {
	for _, f := range []struct {
		name   string
		flavor jirasim.Flavor
	}{{"cloud", jirasim.Cloud}, {"datacenter", jirasim.DataCenter}} {
		b.Run(f.name, func(b *testing.B) {
			benchPullRequest(b, prLatency, func() (*world, githubsim.PullRequest) {
				w := newBareWorld(b, f.flavor)
				return w, benchPR(w)
			}, func(o outcome) bool {
				return o.err == nil && o.outputs["transitioned"] != "" && len(o.results(b)) == 20
			})
		})
	}
}

// prLatency is what the benchmarks add to every request: a distant data
// centre. farLatency is a Jira on another continent.
const (
	prLatency  = 20 * time.Millisecond
	farLatency = 200 * time.Millisecond
)

// benchPullRequest runs the action on the opened event of the pull
// request setUp makes, for each iteration, with latency added to
// every GitHub and Jira request; ok says whether a run did what it should.
// It reports the requests made, the most Jira requests at once, and
// rtt/op: the wall time over the latency, the round trips on the
// critical path. It returns the wall time of all the runs.
func benchPullRequest(b *testing.B, latency time.Duration, setUp func() (*world, githubsim.PullRequest), ok func(outcome) bool) time.Duration {
	var jiraReqs, ghReqs, peak int
	var wall time.Duration
	for b.Loop() {
		b.StopTimer()
		w, pr := setUp()
		w.jira.Control.SetLatency(latency)
		w.gh.Control.SetLatency(latency)
		ev := map[string]any{"action": "opened", "number": pr.Number, "pull_request": map[string]any{"number": pr.Number}}
		b.StartTimer()
		start := time.Now()
		o := w.run("pull_request", ev)
		wall += time.Since(start)
		b.StopTimer()
		if !ok(o) {
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
	return wall
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

// BenchmarkReleasePullRequest runs the action for a release pull request
// naming 100 or 300 issues, with 300 commits, against simulators that add
// 20 ms to every request and enforce no rate limit. The floor is the same
// as for 20 keys: 3 GraphQL pages, one round of searches (100 keys each,
// in parallel), then every issue at once, 3 chained requests: 7 round
// trips.
//
//   - keys=N-200ms: the same with 200 ms a request, a Jira far away.
//     There the CPU the simulators and the action share on this machine
//     is small beside the latency, so rtt/op is the structure alone: the
//     round trips on the critical path and the waits for a place among
//     the requests in flight (at most 512 at first; 300 issues want 900
//     at once).
//
//   - keys=300-ratelimited: Jira Cloud's burst rate limit on
//     (jirasim.CloudRateLimit: 10 requests a second per endpoint and
//     method, bursts of 100) in real time, with the action's own retry
//     policy: no key may fail, and wall-s/op is how long it took.
//
//     go test ./internal/action -run '^$' -bench 'ReleasePullRequest/keys=[0-9]+$' -benchtime 3x
//     go test ./internal/action -run '^$' -bench 'ReleasePullRequest/200ms' -benchtime 2x
//     go test ./internal/action -run '^$' -bench 'ReleasePullRequest/ratelimited' -benchtime 1x
func BenchmarkReleasePullRequest(b *testing.B) {
	for _, c := range []struct {
		keys    int
		latency time.Duration
		limited bool
	}{{100, prLatency, false}, {300, prLatency, false}, {100, farLatency, false}, {300, farLatency, false}, {300, prLatency, true}} {
		name, keys := fmt.Sprintf("keys=%d", c.keys), c.keys
		if c.latency != prLatency {
			name += "-" + c.latency.String()
		}
		if c.limited {
			name += "-ratelimited"
		}
		b.Run(name, func(b *testing.B) {
			wall := benchPullRequest(b, c.latency, func() (*world, githubsim.PullRequest) {
				w := buildLimitedWorld(b, jirasim.Cloud, false, c.limited)
				return w, releasePR(w, keys)
			}, func(o outcome) bool {
				return o.err == nil && len(o.results(b)) == keys && o.outputs["failed"] == ""
			})
			if c.limited {
				b.ReportMetric(wall.Seconds()/float64(b.N), "wall-s/op")
			}
		})
	}
}

// releasePR makes n Open issues and a 300-commit release pull request
// naming them: a few in the title and body, the rest one per commit, as a
// merge train's commits do.
func releasePR(w *world, n int) githubsim.PullRequest {
	commits := make([]githubsim.Commit, 300)
	for i := range commits {
		commits[i] = githubsim.Commit{Message: fmt.Sprintf("change %d", i)}
	}
	for i := 1; i <= n; i++ {
		w.issue(fmt.Sprintf("OPS-%d", i), "Open")
	}
	for i := 5; i <= n; i++ {
		c := &commits[(i-5)%300]
		c.Message += fmt.Sprintf(" OPS-%d", i)
	}
	return w.pr(githubsim.PullRequest{
		Title:       "Release 2026.11.20: OPS-1 OPS-2",
		HeadRefName: "release/2026-11-20",
		Body:        "Ships OPS-3 and OPS-4 among others.",
		Commits:     commits,
	})
}
