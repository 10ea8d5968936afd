package action

import (
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/sim"
	"github.com/fixproof/fixproof/internal/sim/githubsim"
)

// TestAnOpenedEventWritesTheLinkWhileItLooksForTheComment holds Jira's
// answer to the look for OPS-1's comment until the remote link's write
// has been sent: an action that writes the link only after the look
// would wait out the hold. A push (synchronize) and an edit that change
// nothing in the comment then look first and write nothing, link
// included.
func TestAnOpenedEventWritesTheLinkWhileItLooksForTheComment(t *testing.T) {
	for _, f := range flavors {
		t.Run(f.name, func(t *testing.T) {
			w := newWorld(t, f.flavor)
			w.issue("OPS-1", "In Progress")
			pr := w.pr(githubsim.PullRequest{Title: "OPS-1: fix the session crash", HeadRefName: "fix/sessions"})
			linkSent := make(chan struct{})
			var once, hold sync.Once
			var waited atomic.Int64 // how long the held look waited, in ns
			inner := w.transport
			w.transport = roundTripFunc(func(r *http.Request) (*http.Response, error) {
				switch path := r.URL.Path; {
				case r.Method == http.MethodPost && strings.HasSuffix(path, "/issue/OPS-1/remotelink"):
					once.Do(func() { close(linkSent) })
				case r.Method == http.MethodGet && strings.HasSuffix(path, "/issue/OPS-1/comment"):
					hold.Do(func() {
						start := time.Now()
						select {
						case <-linkSent:
						case <-time.After(3 * time.Second):
						}
						waited.Store(int64(time.Since(start)))
					})
				}
				return inner.RoundTrip(r)
			})
			if o := w.run("pull_request", w.event("pull_request/opened.payload.json", pr)); o.err != nil {
				t.Fatal(o.err)
			}
			if d := time.Duration(waited.Load()); d >= 3*time.Second {
				t.Errorf("the look for the comment waited %s: the link was not written alongside it", d)
			}
			is, _ := w.jira.Issue("OPS-1")
			if len(is.Comments) != 1 || len(is.RemoteLinks) != 1 {
				t.Fatalf("after opened: %d comments, %d links, want 1 and 1", len(is.Comments), len(is.RemoteLinks))
			}

			// octokit has no edited example: the body edit is written
			// here, as GitHub sends it (changes.body.from).
			edited := map[string]any{"action": "edited", "number": pr.Number, "pull_request": map[string]any{"number": pr.Number},
				"changes": map[string]any{"body": map[string]any{"from": "before"}}}
			for name, ev := range map[string]map[string]any{
				"synchronize": w.event("pull_request/synchronize.payload.json", pr),
				"edited":      edited,
			} {
				w.jira.Control.Reset()
				if o := w.run("pull_request", ev); o.err != nil {
					t.Fatal(o.err)
				}
				if n := w.jiraWrites(f.api); n != 0 {
					t.Errorf("%s, which changes nothing in the comment, wrote %d times: %v", name, n, w.jira.Control.Routes())
				}
			}
		})
	}
}

// TestALinkThatFailsKeepsTheCommentUnwritten: the link is written
// alongside the look for the comment, but the comment still waits for
// it, so a current comment still means a current link. Jira refusing the
// link leaves the issue without the comment, with a warning; the next
// event writes both.
func TestALinkThatFailsKeepsTheCommentUnwritten(t *testing.T) {
	for _, f := range flavors {
		t.Run(f.name, func(t *testing.T) {
			w := newWorld(t, f.flavor)
			w.issue("OPS-1", "In Progress")
			pr := w.pr(githubsim.PullRequest{Title: "OPS-1: fix the session crash", HeadRefName: "fix/sessions"})
			w.jira.Control.Inject(sim.Fault{Method: http.MethodPost, PathPrefix: f.api + "/issue/OPS-1/remotelink", Status: http.StatusBadRequest, Times: 1,
				Body: `{"errorMessages":["The remote link could not be saved"],"errors":{}}`})
			o := w.run("pull_request", w.event("pull_request/opened.payload.json", pr))
			if o.err != nil {
				t.Fatal(o.err)
			}
			if !strings.Contains(o.stdout, "OPS-1: comment or remote link not updated") {
				t.Errorf("no warning about the link:\n%s", o.stdout)
			}
			if is, _ := w.jira.Issue("OPS-1"); len(is.Comments) != 0 || len(is.RemoteLinks) != 0 {
				t.Fatalf("after the refused link: %d comments, %d links, want none", len(is.Comments), len(is.RemoteLinks))
			}
			if got := w.status("OPS-1"); got != "In Review" {
				t.Errorf("OPS-1 is %s, want In Review: the move does not wait for the comment", got)
			}
			if o := w.run("pull_request", w.event("pull_request/synchronize.payload.json", pr)); o.err != nil {
				t.Fatal(o.err)
			}
			if is, _ := w.jira.Issue("OPS-1"); len(is.Comments) != 1 || len(is.RemoteLinks) != 1 {
				t.Errorf("after the next event: %d comments, %d links, want 1 and 1", len(is.Comments), len(is.RemoteLinks))
			}
		})
	}
}

// The events whose comment changes, the state line with it: what the PR
// is (open, draft, merged, closed) changes with them, and with nothing
// else.
func TestChangesComment(t *testing.T) {
	for action, want := range map[string]bool{
		"opened": true, "reopened": true, "ready_for_review": true, "converted_to_draft": true, "closed": true,
		"synchronize": false, "edited": false, "labeled": false, "assigned": false, "review_requested": false, "": false,
	} {
		if got := changesComment(action); got != want {
			t.Errorf("changesComment(%q) = %v, want %v", action, got, want)
		}
	}
}
