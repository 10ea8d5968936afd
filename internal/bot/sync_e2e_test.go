package bot

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/guance"
	"github.com/fixproof/fixproof/internal/loop"
	"github.com/fixproof/fixproof/internal/sim/guancesim"
	"github.com/fixproof/fixproof/internal/sim/jirasim"
	"github.com/fixproof/fixproof/internal/sim/sentrysim"
)

var jane = jirasim.User{AccountID: "5b10-jane", DisplayName: "Jane Doe", Email: "jane@acme.io"}

func adf(text string) json.RawMessage {
	b, _ := json.Marshal(map[string]any{"type": "doc", "version": 1, "content": []any{
		map[string]any{"type": "paragraph", "content": []any{
			map[string]any{"type": "text", "text": text, "marks": []any{map[string]any{"type": "strong"}}}}}}})
	return b
}

// sentryLinked makes a Sentry-linked Jira issue and returns its key.
func (w *world) sentryLinked(id string) string {
	w.t.Helper()
	w.sentryIssue(id, "TypeError: boom")
	if code := w.eventAlert(id); code != http.StatusAccepted {
		w.t.Fatal(code)
	}
	w.drain()
	got := w.issues(loop.SentryFingerprint("acme", id).Label())
	if len(got) != 1 {
		w.t.Fatalf("%d issues", len(got))
	}
	return got[0].Key
}

// settle lets Jira's webhooks arrive and the bot process them.
func (w *world) settle() {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i := 0; i < 3; i++ {
		if err := w.jira.WaitWebhooks(ctx); err != nil {
			w.t.Fatal(err)
		}
		w.drain()
	}
}

func (w *world) notes(id string) []string {
	s, _ := w.sentry.Issue(id)
	return s.Notes
}

func TestJiraCommentsBecomeSentryNotesEditedAndDeleted(t *testing.T) {
	w := newWorld(t)
	key := w.sentryLinked("101")
	cid, err := w.jira.CommentAs(key, jane, adf("Fixed in the cart service"))
	if err != nil {
		t.Fatal(err)
	}
	w.settle()
	notes := w.notes("101")
	if len(notes) != 1 || !strings.Contains(notes[0], "Jane Doe commented on") || !strings.Contains(notes[0], "**Fixed in the cart service**") ||
		!strings.Contains(notes[0], "— Jira "+key+"/"+cid) {
		t.Fatalf("notes %q", notes)
	}
	if err := w.jira.EditCommentAs(key, cid, jane, adf("Fixed in the cart service, v1.4.3")); err != nil {
		t.Fatal(err)
	}
	w.settle()
	if notes := w.notes("101"); len(notes) != 1 || !strings.Contains(notes[0], "v1.4.3") {
		t.Errorf("an edit must update the note, not add one: %q", notes)
	}
	if err := w.jira.DeleteCommentAs(key, cid, jane); err != nil {
		t.Fatal(err)
	}
	w.settle()
	if notes := w.notes("101"); len(notes) != 0 {
		t.Errorf("a deleted comment's note remains: %q", notes)
	}
}

func TestSentryNotesBecomeJiraCommentsEditedAndDeleted(t *testing.T) {
	w := newWorld(t)
	key := w.sentryLinked("101")
	colleen := sentrysim.Actor{Type: "user", ID: "1", Name: "colleen"}
	send := func(action, text string) {
		body := w.sentry.CommentWebhook(action, "101", "555", text, colleen)
		if code, _ := w.hooks.Send(context.Background(), "comment", body); code != http.StatusAccepted {
			t.Fatalf("%s: %d", action, code)
		}
		w.settle()
	}
	comments := func() []jirasim.Comment { is, _ := w.jira.Issue(key); return is.Comments }
	before := len(comments())
	send("created", "seeing it again in EU")
	if c := comments(); len(c) != before+1 || !strings.Contains(commentText(c[len(c)-1]), "colleen commented in Sentry") {
		t.Fatalf("comments %v", c)
	}
	send("updated", "seeing it again in EU and US")
	if c := comments(); len(c) != before+1 || !strings.Contains(commentText(c[len(c)-1]), "EU and US") {
		t.Errorf("an edit must update the comment: %v", c)
	}
	send("created", "seeing it again in EU and US") // a replayed delivery
	if c := comments(); len(c) != before+1 {
		t.Errorf("a replay added a comment: %d", len(c))
	}
	send("deleted", "")
	if c := comments(); len(c) != before {
		t.Errorf("deleted note's comment remains: %d", len(c))
	}
	// Sentry's notes were not touched by any of it: no ping-pong.
	if n := w.notes("101"); len(n) != 0 {
		t.Errorf("notes %q", n)
	}
}

func commentText(c jirasim.Comment) string { return string(c.Body) }

// A comment goes Jira -> Sentry -> Jira at most once, whatever the timing:
// Sentry tells the bot about the note it wrote, Jira tells it about the
// comments it wrote, webhooks arrive twice, late and out of order.
func TestNoCommentLoopsWhateverTheTiming(t *testing.T) {
	w := newWorld(t)
	key := w.sentryLinked("101")
	w.jira.PauseWebhooks()
	w.jira.DuplicateNextWebhooks(3)
	for _, text := range []string{"one", "two", "three"} {
		if _, err := w.jira.CommentAs(key, jane, adf(text)); err != nil {
			t.Fatal(err)
		}
	}
	w.jira.FlushWebhooks(true) // late, twice, and in reverse order
	w.jira.ResumeWebhooks()
	w.settle()
	notes := w.notes("101")
	if len(notes) != 3 {
		t.Fatalf("%d notes for 3 comments: %q", len(notes), notes)
	}
	// Sentry now reports the bot's own notes back, once as the
	// integration and once as if from a user: neither reaches Jira.
	s, _ := w.sentry.Issue("101")
	_ = s
	before, _ := w.jira.Issue(key)
	for i, n := range w.noteIDs("101") {
		for _, actor := range []sentrysim.Actor{{Type: "application", ID: sentrysim.DefaultInstallation, Name: "fixproof"}, {Type: "user", ID: "9", Name: "someone"}} {
			body := w.sentry.CommentWebhook("created", "101", n, notes[i], actor)
			if code, _ := w.hooks.Send(context.Background(), "comment", body); code != http.StatusAccepted {
				t.Fatal(code)
			}
		}
	}
	w.settle()
	after, _ := w.jira.Issue(key)
	if len(after.Comments) != len(before.Comments) {
		t.Errorf("the bot's own notes came back to Jira: %d comments, was %d", len(after.Comments), len(before.Comments))
	}
	if len(w.notes("101")) != 3 {
		t.Errorf("notes %q", w.notes("101"))
	}
}

func (w *world) noteIDs(issueID string) []string {
	s, _ := w.sentry.Issue(issueID)
	return s.NoteIDs
}

func TestMissedWebhooksAreHealedByReconciliation(t *testing.T) {
	w := newWorld(t)
	key := w.sentryLinked("101")
	w.settle() // the webhooks about creating the issue are through
	// Each comment is two deliveries: comment_created and, as Jira does,
	// jira:issue_updated. Lose all four.
	w.jira.DropNextWebhooks(4)
	for _, text := range []string{"lost one", "lost two"} {
		if _, err := w.jira.CommentAs(key, jane, adf(text)); err != nil {
			t.Fatal(err)
		}
	}
	w.settle()
	if n := w.notes("101"); len(n) != 0 {
		t.Fatalf("the webhooks were dropped, yet notes %q", n)
	}
	w.clock.Advance(5 * time.Minute)
	n, err := w.bots[0].reconcile(context.Background())
	if err != nil || n != 2 {
		t.Fatalf("reconcile queued %d (%v), want 2", n, err)
	}
	w.drain()
	if notes := w.notes("101"); len(notes) != 2 {
		t.Errorf("after reconciliation: %q", notes)
	}
	// A second pass finds nothing more to do.
	w.clock.Advance(5 * time.Minute)
	if n, err := w.bots[0].reconcile(context.Background()); err != nil || n != 0 {
		t.Errorf("second pass queued %d (%v)", n, err)
	}
}

func TestGuanceIssuesAreAlertsAcrossPagesAndLateRuns(t *testing.T) {
	w := newWorld(t)
	created := w.clock.Now()
	var uuids []string
	for i := 0; i < 45; i++ { // three pages of 20
		uuids = append(uuids, w.guance.AddIssue(guancesim.IssueInput{Name: "Checkout errors " + string(rune('A'+i%26)),
			Description: "<p>5xx on <b>/pay</b></p>", Level: "critical", StatusType: guance.StatusOpen, CreateAt: created}))
	}
	w.clock.Advance(time.Minute)
	if err := w.bots[0].pollGuance(context.Background()); err != nil {
		t.Fatal(err)
	}
	w.drain()
	for _, u := range uuids {
		if got := w.issues(loop.GuanceFingerprint("wksp_acme", u).Label()); len(got) != 1 {
			t.Fatalf("guance issue %s: %d Jira issues", u, len(got))
		}
	}
	// A late run sees the same window again (the overlap): nothing new.
	w.clock.Advance(30 * time.Second)
	if err := w.bots[0].pollGuance(context.Background()); err != nil {
		t.Fatal(err)
	}
	w.drain()
	total := 0
	for i := 1; i < 200; i++ {
		if _, ok := w.jira.Issue("OPS-" + itoa(i)); ok {
			total++
		}
	}
	if total != 45 {
		t.Errorf("%d Jira issues for 45 Guance issues", total)
	}
}

func TestGuanceRepliesAndStatusBothWays(t *testing.T) {
	w := newWorld(t)
	u := w.guance.AddIssue(guancesim.IssueInput{Name: "Checkout errors", Description: "<p>5xx</p>", StatusType: guance.StatusOpen, CreateAt: w.clock.Now()})
	w.clock.Advance(time.Minute)
	if err := w.bots[0].pollGuance(context.Background()); err != nil {
		t.Fatal(err)
	}
	w.drain()
	key := w.issues(loop.GuanceFingerprint("wksp_acme", u).Label())[0].Key

	// Jira -> Guance: a comment becomes a reply; a status change sets the status.
	cid, err := w.jira.CommentAs(key, jane, adf("on it"))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.jira.SetStatus(key, "In Progress"); err != nil {
		t.Fatal(err)
	}
	w.settle()
	st, _ := w.guance.Issue(u)
	if len(st.Replies) != 1 || !strings.Contains(st.Replies[0].Content, "on it") || st.StatusType != guance.StatusWorking {
		t.Fatalf("guance %+v", st)
	}
	// Guance replies cannot be edited: an edit in Jira is told as a reply.
	if err := w.jira.EditCommentAs(key, cid, jane, adf("on it, fix in review")); err != nil {
		t.Fatal(err)
	}
	w.settle()
	if st, _ = w.guance.Issue(u); len(st.Replies) != 2 || !strings.HasPrefix(st.Replies[1].Content, "(edited in Jira)") {
		t.Fatalf("after an edit: %+v", st.Replies)
	}

	// Guance -> Jira: a person's reply becomes a comment; the bot's own does not.
	w.guance.AddReply(u, "customer confirms", "li.lei")
	w.clock.Advance(time.Minute)
	if err := w.bots[0].pollGuance(context.Background()); err != nil {
		t.Fatal(err)
	}
	w.drain()
	is, _ := w.jira.Issue(key)
	mirrored := 0
	for _, c := range is.Comments {
		if strings.Contains(string(c.Body), "replied in Guance") {
			mirrored++
		}
	}
	if mirrored != 1 {
		t.Errorf("%d Guance replies mirrored, want the person's only", mirrored)
	}
}

func TestJiraWebhookSignatureIsChecked(t *testing.T) {
	w := newWorld(t)
	res, err := http.Post(w.urls[0]+"/webhooks/jira", "application/json", strings.NewReader(`{"webhookEvent":"comment_created"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized {
		t.Errorf("unsigned Jira webhook: %d", res.StatusCode)
	}
}

// Two replicas on one store: Jira delivers every webhook to both (as a
// misconfigured pair of webhooks would), and both poll Guance at once.
// Each comment is still copied once and each Guance issue ticketed once.
func TestTwoReplicasMirrorOnceAndPollOnce(t *testing.T) {
	w := newWorld(t)
	w.startBot("bot-2")
	w.jira.AddWebhook(w.urls[1]+"/webhooks/jira", hookSecret)
	key := w.sentryLinked("101")
	for _, text := range []string{"one", "two", "three", "four"} {
		if _, err := w.jira.CommentAs(key, jane, adf(text)); err != nil {
			t.Fatal(err)
		}
	}
	w.settle()
	if notes := w.notes("101"); len(notes) != 4 {
		t.Errorf("%d notes for 4 comments delivered to two replicas: %q", len(notes), notes)
	}

	u := w.guance.AddIssue(guancesim.IssueInput{Name: "Checkout errors", Description: "<p>5xx</p>", StatusType: guance.StatusOpen, CreateAt: w.clock.Now()})
	w.clock.Advance(time.Minute)
	var wg sync.WaitGroup
	for _, b := range w.bots {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := b.pollGuance(context.Background()); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	w.drain()
	if got := w.issues(loop.GuanceFingerprint("wksp_acme", u).Label()); len(got) != 1 {
		t.Errorf("%d Jira issues for one Guance issue polled by two replicas", len(got))
	}
}
