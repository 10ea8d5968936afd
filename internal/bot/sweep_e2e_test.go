package bot

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/botconfig"
	"github.com/fixproof/fixproof/internal/sentrylink"
	"github.com/fixproof/fixproof/internal/sim/githubsim"
	"github.com/fixproof/fixproof/internal/sim/sentrysim"
	"github.com/fixproof/fixproof/internal/store"
	"github.com/fixproof/fixproof/internal/store/postgres"
)

func TestASweepIsDueAfterTheIntervalOrWhenADeployAsks(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name      string
		now, last time.Time
		wake      time.Time
		interval  time.Duration
		want      bool
	}{
		{"never swept", t0, time.Time{}, time.Time{}, time.Hour, true},
		{"within the interval", t0.Add(59 * time.Minute), t0, time.Time{}, time.Hour, false},
		{"the interval passed", t0.Add(time.Hour), t0, time.Time{}, time.Hour, true},
		{"a deploy asked since", t0.Add(time.Minute), t0, t0.Add(30 * time.Second), time.Hour, true},
		{"a deploy asked before the last sweep", t0.Add(time.Minute), t0, t0.Add(-time.Second), time.Hour, false},
	} {
		if got := sweepDue(tt.now, tt.last, tt.wake, tt.interval); got != tt.want {
			t.Errorf("%s: sweepDue = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// The bot, as a GitHub App, sweeps: a fix merged through the app is put
// under watch, and once production proves it the sweep the bot runs
// resolves the Sentry issue, closes the Jira issue and says so on the
// pull request through the installation's token. Two replicas share the
// work: one sweeps each interval, on one SQLite file as on Postgres (each
// replica on its own connections). A deploy's webhook starts a sweep
// before the interval is up.
func TestTheBotSweepsAsTheGitHubAppAndOneReplicaSweeps(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testBotSweeps(t, nil) })
	t.Run("postgres", func(t *testing.T) {
		url := os.Getenv("FIXPROOF_TEST_POSTGRES")
		if url == "" {
			t.Skip("FIXPROOF_TEST_POSTGRES not set: skipping the two replicas sweeping on Postgres")
		}
		schema := fmt.Sprintf("fixproof_sweep_%d", rand.Int64())
		testBotSweeps(t, func() store.Store {
			st, err := postgres.OpenOptions(context.Background(), url, postgres.Options{Schema: schema})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st
		})
	})
}

// testBotSweeps runs the sweep scenario on two replicas; open, when not
// nil, gives each replica its own store on one database.
func testBotSweeps(t *testing.T, open func() store.Store) {
	mergedAt := time.Date(2026, 11, 20, 10, 20, 0, 0, time.UTC)
	opts := []worldOption{withGitHubApp(), func(w *world) { w.sweepTick = 10 * time.Millisecond }, withConfig(func(c *botconfig.Config) {
		c.Sweep.Interval = botconfig.Duration(time.Hour)
		c.GitHub.Settings = map[string]string{"verify_from": "merge", "rate_basis": "events"}
	})}
	if open != nil {
		opts = append(opts, withStore(open()))
	}
	w := newWorld(t, opts...)
	if open != nil {
		w.startBotOn("bot-2", open())
	} else {
		w.startBot("bot-2")
	}
	w.sentry.AddIssue(sentrysim.Issue{ID: "101", ShortID: "API-101", Title: "TypeError: session is null", Project: "api", FirstSeen: mergedAt.Add(-24 * time.Hour)})
	w.sentry.SetTimeline("101", sentrysim.Step(mergedAt, sentrysim.Rate(30), sentrysim.Rate(0)))
	w.sentry.ConnectRepository("acme/shop") // so the sweep resolves in the merge commit
	if err := w.jira.AddIssue("OPS-1", "TypeError: session is null", "In Review"); err != nil {
		t.Fatal(err)
	}
	if err := w.jira.AddRemoteLink("OPS-1", sentrylink.IssueURL(w.cfg.Sentry.BaseURL, sentrylink.Link{Org: "acme", IssueID: "101"}), "API-101"); err != nil {
		t.Fatal(err)
	}
	w.app.gh.AddPullRequest("acme", "shop", githubsim.PullRequest{Number: 7, Title: "OPS-1: stop the crash", HeadRefName: "fix", Author: "jane",
		State: "MERGED", MergedAt: &mergedAt, MergeCommitOID: ghMergeCommitSHA, Commits: []githubsim.Commit{{OID: ghHeadSHA, Message: "fix"}}})
	w.clock.Set(mergedAt.Add(time.Minute))
	if _, code := w.prEvent("acme/shop", 7, "closed"); code != http.StatusAccepted {
		t.Fatalf("closed: %d", code)
	}
	w.drain()
	if is, _ := w.jira.Issue("OPS-1"); is.Status != "Done" || !strings.Contains(strings.Join(is.Labels, " "), "fixproof-verify") {
		t.Fatalf("after the merge: %s %v, want Done and under watch", is.Status, is.Labels)
	}
	sweeps := func() int { return strings.Count(w.logs.String(), `"msg":"sweep done"`) }
	await(t, "the first sweep", func() bool { return sweeps() >= 1 })
	before := sweeps()

	// Four hours on, the errors stopped: the next sweep verifies.
	w.clock.Set(mergedAt.Add(3*time.Hour + 45*time.Minute))
	defer func() {
		if t.Failed() {
			t.Log(tail(w.logs.String(), 6000))
		}
	}()
	await(t, "a sweep four hours on", func() bool { return sweeps() > before })
	if is, _ := w.jira.Issue("OPS-1"); is.Status != "Closed" {
		t.Errorf("OPS-1 is %s after the sweep, want Closed", is.Status)
	}
	if s, _ := w.sentry.Issue("101"); s.Status != "resolved" {
		t.Errorf("Sentry issue 101 is %s, want resolved", s.Status)
	}
	comments := w.app.gh.Comments("acme", "shop", 7)
	if len(comments) != 1 || !strings.Contains(comments[0].Body, "Verified in production") || comments[0].Author != "fixproof[bot]" {
		t.Errorf("PR comments %+v, want the evidence from fixproof[bot]", comments)
	}
	time.Sleep(50 * time.Millisecond) // five ticks of both replicas: no other sweep is due
	if n := sweeps() - before; n != 1 {
		t.Errorf("%d sweeps by the two replicas in one interval, want 1", n)
	}

	// A successful deploy, a minute on, asks for a sweep before the
	// interval is up.
	w.clock.Advance(time.Minute)
	swept := sweeps()
	w.app.gh.AddCommit("acme", "shop", ghMergeCommitSHA)
	id := w.app.gh.AddDeployment("acme", "shop", githubsim.Deployment{Commit: ghMergeCommitSHA})
	w.app.gh.AddDeploymentStatus("acme", "shop", id, githubsim.DeploymentStatus{State: "SUCCESS"})
	body, err := w.app.gh.DeploymentStatusWebhook("acme", "shop", id, ghInstallation)
	if err != nil {
		t.Fatal(err)
	}
	if _, code, err := w.githubHooks(ghWebhookSecret).Send(context.Background(), "deployment_status", body); err != nil || code != http.StatusAccepted {
		t.Fatalf("deployment_status: %d, %v", code, err)
	}
	await(t, "a sweep after the deploy", func() bool { return sweeps() > swept })
}

// await polls ok until it holds, for at most 10 s.
func await(t testing.TB, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
