package sweep

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/jira"
	"github.com/fixproof/fixproof/internal/loop"
	"github.com/fixproof/fixproof/internal/sentry"
	"github.com/fixproof/fixproof/internal/sentrylink"
	"github.com/fixproof/fixproof/internal/sim/jirasim"
	"github.com/fixproof/fixproof/internal/sim/sentrysim"
	"github.com/fixproof/fixproof/internal/verify"
)

// oneOrg adapts a single-org Sentry client to the sweep's interface.
type oneOrg struct{ c *sentry.Client }

func (o oneOrg) Issue(ctx context.Context, _, id string) (sentry.Issue, error) {
	return o.c.Issue(ctx, id)
}
func (o oneOrg) Resolve(ctx context.Context, _, id string, in *sentry.Commit) (sentry.Issue, error) {
	return o.c.Resolve(ctx, id, in)
}
func (o oneOrg) ResolvedIssues(ctx context.Context, _ string, start, end time.Time) ([]sentry.Issue, error) {
	return o.c.ResolvedIssues(ctx, start, end)
}
func (o oneOrg) EventCountsMany(ctx context.Context, _ string, ids []string, env string, start, end time.Time, every time.Duration) (map[string][]sentry.Bucket, error) {
	return o.c.EventCountsMany(ctx, ids, env, start, end, every)
}
func (o oneOrg) SessionCounts(ctx context.Context, _, project, env string, start, end time.Time, every time.Duration) ([]sentry.Bucket, error) {
	return o.c.SessionCounts(ctx, project, env, start, end, every)
}
func (o oneOrg) TransactionCounts(ctx context.Context, _, project, env string, start, end time.Time, every time.Duration) ([]sentry.Bucket, error) {
	return o.c.TransactionCounts(ctx, project, env, start, end, every)
}

func TestProgressIsReportedWhileASweepRuns(t *testing.T) {
	merged := time.Date(2026, 11, 20, 10, 20, 0, 0, time.UTC)
	now := merged.Add(2 * time.Hour) // everything still waiting: reads only
	js := jirasim.New(jirasim.Options{Email: "a@b.c", APIToken: "t"})
	js.AddProject("OPS", "Ops", jirasim.DefaultWorkflow())
	ss := sentrysim.New(sentrysim.Options{Token: "s", Org: "acme", Now: func() time.Time { return now }})
	jsrv, ssrv := httptest.NewServer(js.Handler()), httptest.NewServer(ss.Handler())
	defer jsrv.Close()
	defer ssrv.Close()
	finder := sentrylink.Finder{BaseURL: ssrv.URL, Org: "acme"}
	const n = 40
	for i := 1; i <= n; i++ {
		key, id := fmt.Sprintf("OPS-%d", i), fmt.Sprint(i)
		if err := js.AddIssue(key, "s", "Done"); err != nil {
			t.Fatal(err)
		}
		prop, _ := json.Marshal(loop.Property{Merge: &loop.Merge{At: merged.Format(time.RFC3339), Commit: "abc"},
			Sentry: []loop.SentryRef{{Org: "acme", IssueID: loop.ID(id)}}})
		_ = js.SetProperty(key, loop.PropertyKey, prop)
		_ = js.SetLabels(key, "fixproof-verify")
		ss.AddIssue(sentrysim.Issue{ID: id, Title: "boom"})
		ss.SetTimeline(id, sentrysim.Rate(1))
	}
	js.Control.SetLatency(5 * time.Millisecond)
	jc, _ := jira.New(jira.Config{BaseURL: jsrv.URL, Email: "a@b.c", APIToken: "t"})
	sc, _ := sentry.New(sentry.Config{BaseURL: ssrv.URL, Token: "s", Org: "acme"})

	var mu sync.Mutex
	var seen []int
	sw := New(Config{
		Params: verify.Params{Threshold: 1, Window: time.Hour, Windows: 3, Timeout: 168 * time.Hour},
		Label:  "fixproof-verify", Closed: []string{"Closed"}, Statuses: loop.Statuses{loop.Closed: {"Closed"}},
		Links: finder, Concurrency: 2, ProgressEvery: 10 * time.Millisecond,
		Progress: func(c Counts) { mu.Lock(); seen = append(seen, c.Seen); mu.Unlock() },
	}, Deps{Jira: jc, Sentry: oneOrg{sc}, Now: func() time.Time { return now }})
	rep, err := sw.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Counts.Seen != n || rep.Counts.Waiting != n {
		t.Errorf("counts %+v", rep.Counts)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) < 2 {
		t.Fatalf("progress reported %d times during a sweep of about %d requests at 5 ms", len(seen), 2*n)
	}
	for i := 1; i < len(seen); i++ {
		if seen[i] < seen[i-1] {
			t.Errorf("progress went backwards: %v", seen)
		}
	}
}
