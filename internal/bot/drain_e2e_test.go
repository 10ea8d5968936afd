package bot

import (
	"context"
	"strings"
	"testing"

	"github.com/fixproof/fixproof/internal/jiramarkup"
)

// After a storm of one problem the queue holds nothing but the deferred
// counters flush, due update_every after the last write at the latest;
// once that passes the queue is empty and the counters comment says how
// many came, written once more, not once per delivery.
func TestAStormDrainsWithinUpdateEvery(t *testing.T) {
	w := newWorld(t)
	w.sentryIssue("101", "TypeError: boom")
	every := w.cfg.UpdateEvery.D()
	const storm = 300
	for i := 0; i < storm; i++ {
		if code := w.eventAlert("101"); code != 202 {
			t.Fatalf("delivery %d: %d", i, code)
		}
		if i == 0 {
			w.drain() // the issue and its first counters
		}
	}
	w.drain()
	s, err := w.store.Stats(context.Background(), w.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if s.Ready != 0 || s.Leased != 0 || s.Delayed != 1 {
		t.Fatalf("after the storm: %+v, want only the deferred flush waiting", s)
	}
	edits := w.jira.Control.CountPrefix("PUT /rest/api/3/issue/")
	w.clock.Advance(every)
	w.drain()
	s, _ = w.store.Stats(context.Background(), w.clock.Now())
	if s.Ready+s.Delayed+s.Leased != 0 {
		t.Fatalf("update_every (%s) after the storm the queue holds %+v, want nothing", every, s)
	}
	if n := w.jira.Control.CountPrefix("PUT /rest/api/3/issue/") - edits; n != 1 {
		t.Errorf("the flush edited the counters %d times, want 1", n)
	}
	is := w.issues(fp101.Label())[0]
	if len(is.Comments) != 1 || !strings.Contains(jiramarkup.Text(is.Comments[0].Body), "300") {
		t.Errorf("counters comment after the flush: %d comments, %q", len(is.Comments), jiramarkup.Text(is.Comments[0].Body))
	}
}
