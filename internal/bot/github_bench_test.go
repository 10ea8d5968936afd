package bot

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/botconfig"
	"github.com/fixproof/fixproof/internal/sim/githubsim"
)

// BenchmarkAppPullRequests sends 1,000 pull_request deliveries (one
// "opened" per pull request, 20 pull requests in each of 50 repositories
// of one installation, each naming its own Jira issue) to the bot as a
// GitHub App, with 20 ms added to every GitHub and Jira request, and waits
// until every check run is final. It reports the deliveries accepted per
// second (32 senders), the seconds until the last check run completed,
// the requests per event to GitHub and to Jira, and the installation
// tokens asked for (one per installation per hour is the target).
//
//	go test ./internal/bot -run '^$' -bench AppPullRequests -benchtime 1x
func BenchmarkAppPullRequests(b *testing.B) {
	const repos, perRepo, senders = 50, 20, 32
	const latency = 20 * time.Millisecond
	names := make([]string, repos)
	for i := range names {
		names[i] = fmt.Sprintf("svc%02d", i)
	}
	for range b.N {
		w := newWorld(b, bench(), withoutJiraWebhooks(), withGitHubApp(names...), withConfig(func(c *botconfig.Config) { c.Workers = 64 }))
		var bodies [][]byte
		for r, name := range names {
			for n := 1; n <= perRepo; n++ {
				key := fmt.Sprintf("OPS-%d", r*perRepo+n)
				if err := w.jira.AddIssue(key, "Summary of "+key, "Open"); err != nil {
					b.Fatal(err)
				}
				w.app.gh.AddPullRequest("acme", name, githubsim.PullRequest{Number: n, Title: key + ": fix", HeadRefName: "fix/" + key, Author: "jane",
					Commits: []githubsim.Commit{{OID: fmt.Sprintf("%040x", r*1000+n), Message: "fix"}}})
				body, err := w.app.gh.PullRequestWebhook("acme", name, n, "opened", ghInstallation)
				if err != nil {
					b.Fatal(err)
				}
				bodies = append(bodies, body)
			}
		}
		w.app.gh.Control.Reset()
		w.jira.Control.Reset()
		w.app.gh.Control.SetLatency(latency)
		w.jira.Control.SetLatency(latency)

		hooks := w.githubHooks(ghWebhookSecret)
		start := time.Now()
		var next, refused atomic.Int64
		var wg sync.WaitGroup
		for range senders {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := next.Add(1) - 1; i < int64(len(bodies)); i = next.Add(1) - 1 {
					if _, code, err := hooks.Send(context.Background(), "pull_request", bodies[i]); err != nil || code != http.StatusAccepted {
						refused.Add(1)
					}
				}
			}()
		}
		wg.Wait()
		accepted := time.Since(start)
		if refused.Load() > 0 {
			b.Fatalf("%d deliveries refused", refused.Load())
		}
		deadline := time.Now().Add(5 * time.Minute)
		for w.completedChecks(names) < len(bodies) {
			if time.Now().After(deadline) {
				b.Fatalf("%d of %d check runs final after 5 minutes", w.completedChecks(names), len(bodies))
			}
			time.Sleep(20 * time.Millisecond)
		}
		final := time.Since(start)
		events := float64(len(bodies))
		b.ReportMetric(events/accepted.Seconds(), "deliveries/s")
		b.ReportMetric(final.Seconds(), "s-to-final")
		b.ReportMetric(float64(w.app.gh.Control.Total())/events, "github-req/event")
		b.ReportMetric(float64(w.jira.Control.Total())/events, "jira-req/event")
		b.ReportMetric(float64(w.app.gh.Control.CountPrefix("POST /app/installations/")), "token-req")
		b.ReportMetric(0, "ns/op")
	}
}

// completedChecks counts the completed fixproof check runs of the repos.
func (w *world) completedChecks(repos []string) int {
	n := 0
	for _, r := range repos {
		for _, c := range w.checkRuns("acme/" + r) {
			if c.Status == "completed" {
				n++
			}
		}
	}
	return n
}
