package sweep

import (
	"context"
	"encoding/json"
	"net/http/httptest"
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

// Sentry marks a bucket incomplete until 90 s after it ends (its ingestion
// delay): events that happened in it may not be counted yet. The third
// quiet window after the merge has ended by the sweep's clock, so the
// verify rule alone would count it; Sentry still calls it incomplete, and
// the sweep must wait for it rather than close the issue on a count that
// may still grow.
func TestABucketSentryMarksIncompleteDoesNotVerify(t *testing.T) {
	merged := time.Date(2026, 11, 20, 10, 20, 0, 0, time.UTC)
	thirdWindowEnds := time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC) // 11:00, 12:00, 13:00 windows
	now := thirdWindowEnds.Add(30 * time.Second)

	js := jirasim.New(jirasim.Options{Email: "a@b.c", APIToken: "t"})
	js.AddProject("OPS", "Ops", jirasim.DefaultWorkflow())
	ss := sentrysim.New(sentrysim.Options{Token: "s", Org: "acme", Now: func() time.Time { return now }})
	jsrv, ssrv := httptest.NewServer(js.Handler()), httptest.NewServer(ss.Handler())
	defer jsrv.Close()
	defer ssrv.Close()
	if err := js.AddIssue("OPS-1", "crash", "Done"); err != nil {
		t.Fatal(err)
	}
	prop, _ := json.Marshal(loop.Property{Merge: &loop.Merge{At: merged.Format(time.RFC3339), Commit: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b", Repo: "acme/api"},
		Sentry: []loop.SentryRef{{Org: "acme", IssueID: "101"}}})
	if err := js.SetProperty("OPS-1", loop.PropertyKey, prop); err != nil {
		t.Fatal(err)
	}
	if err := js.SetLabels("OPS-1", "fixproof-verify"); err != nil {
		t.Fatal(err)
	}
	ss.AddIssue(sentrysim.Issue{ID: "101", Title: "boom", FirstSeen: merged.Add(-24 * time.Hour)})
	ss.SetTimeline("101", sentrysim.Step(merged, sentrysim.Rate(30), sentrysim.Rate(0)))

	jc, _ := jira.New(jira.Config{BaseURL: jsrv.URL, Email: "a@b.c", APIToken: "t"})
	sc, _ := sentry.New(sentry.Config{BaseURL: ssrv.URL, Token: "s", Org: "acme"})
	params := verify.Params{Threshold: 1, Window: time.Hour, Windows: 3, Timeout: 168 * time.Hour}
	sweep := func() Outcome {
		t.Helper()
		sw := New(Config{
			Params: params, Label: "fixproof-verify", Closed: []string{"Closed"},
			Statuses: loop.Statuses{loop.Done: {"Done"}, loop.Closed: {"Closed"}},
			Links:    sentrylink.Finder{BaseURL: ssrv.URL, Org: "acme"},
		}, Deps{Jira: jc, Sentry: oneOrg{sc}, Now: func() time.Time { return now }})
		rep, err := sw.Run(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Outcomes) != 1 {
			t.Fatalf("%d outcomes, want 1", len(rep.Outcomes))
		}
		return rep.Outcomes[0]
	}

	// The premise: Sentry really does send the 13:00 bucket as incomplete,
	// and the verify rule on its own would count it.
	buckets, err := sc.EventCounts(context.Background(), "101", merged.Add(-3*time.Hour), now, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	var third *sentry.Bucket
	for i, b := range buckets {
		if b.Start.Equal(thirdWindowEnds.Add(-time.Hour)) {
			third = &buckets[i]
		}
	}
	if third == nil || !third.Incomplete || third.Count != 0 {
		t.Fatalf("13:00 bucket %+v, want incomplete with 0 events so far (buckets %+v)", third, buckets)
	}
	if !third.Start.Add(params.Window).Before(now) {
		t.Fatal("the incomplete window must have ended by the sweep's clock, or the test shows nothing")
	}

	o := sweep()
	if o.Result() != ResultWaiting {
		t.Fatalf("state %s (%s), want waiting: the 13:00 window is incomplete in Sentry", o.Result(), o.Reason)
	}
	if got := o.Evidence[0].Rate.WindowsPassed; got != 2 {
		t.Errorf("%d windows after the merge counted, want 2 (11:00 and 12:00)", got)
	}
	if is, _ := js.Issue("OPS-1"); is.Status != "Done" {
		t.Errorf("OPS-1 is %s, want Done until the window is complete", is.Status)
	}
	if st, _ := ss.Issue("101"); st.Status == "resolved" {
		t.Error("Sentry issue resolved on an incomplete window")
	}

	// Past the ingestion delay the same window counts and the fix verifies.
	now = thirdWindowEnds.Add(91 * time.Second)
	if o := sweep(); o.Result() != ResultVerified {
		t.Fatalf("state %s (%s) once the window is complete, want verified", o.Result(), o.Reason)
	}
}
