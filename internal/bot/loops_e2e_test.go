package bot

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/dashboard"
	"github.com/fixproof/fixproof/internal/jira"
	"github.com/fixproof/fixproof/internal/jirahook"
	"github.com/fixproof/fixproof/internal/loop"
	"github.com/fixproof/fixproof/internal/sim/sentrysim"
	"github.com/fixproof/fixproof/internal/webhook"
)

// A Jira event changes a loop unless it is only a comment.
func TestJiraEventsThatChangeALoop(t *testing.T) {
	for _, tt := range []struct {
		ev   jirahook.Event
		want bool
	}{
		{jirahook.Event{Kind: jirahook.PropertySet}, true},
		{jirahook.Event{Kind: jirahook.IssueUpdated, EventType: "issue_generic", StatusTo: "Done"}, true},
		{jirahook.Event{Kind: jirahook.IssueUpdated, EventType: "issue_updated"}, true},
		{jirahook.Event{Kind: jirahook.IssueUpdated}, true},
		{jirahook.Event{Kind: jirahook.IssueUpdated, EventType: "issue_commented"}, false},
		{jirahook.Event{Kind: jirahook.IssueUpdated, EventType: "issue_comment_edited"}, false},
		{jirahook.Event{Kind: jirahook.IssueUpdated, EventType: "issue_comment_deleted"}, false},
		{jirahook.Event{Kind: jirahook.CommentCreated}, false},
	} {
		if got := changesLoop(tt.ev); got != tt.want {
			t.Errorf("changesLoop(%s %q) = %v, want %v", tt.ev.Kind, tt.ev.EventType, got, tt.want)
		}
	}
}

// toucher is a dashboard that records the loops it is told changed.
type toucher struct {
	http.Handler
	mu   sync.Mutex
	keys []string
}

func (d *toucher) Touch(keys ...string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.keys = append(d.keys, keys...)
}

func (d *toucher) touched() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.keys)
}

// The bot tells its dashboard of each change to a loop as it happens:
// the issue it created, a reopen, a status change and a property write
// heard from Jira; a batch that only counts alerts changes no loop.
func TestTheBotTellsItsDashboardOfEachChangeToALoop(t *testing.T) {
	d := &toucher{Handler: http.NotFoundHandler()}
	w := newWorld(t, withDashboard(d))
	w.sentryIssue("101", "boom")
	w.eventAlert("101")
	w.drain()
	key := w.issues(fp101.Label())[0].Key
	if got := d.touched(); !slices.Equal(got, []string{key}) {
		t.Fatalf("after the create: touched %v, want [%s]", got, key)
	}

	w.clock.Advance(time.Minute)
	w.eventAlert("101") // counted: the loop is as it was
	w.drain()
	if got := d.touched(); len(got) != 1 {
		t.Errorf("a batch that only counted touched %v", got[1:])
	}

	// The action moves the issue and writes the merge into the property:
	// Jira's issue_updated and issue_property_set reach the bot.
	if err := w.jira.SetStatus(key, "Done"); err != nil {
		t.Fatal(err)
	}
	jc := w.jiraClient(t)
	if err := jc.SetProperty(context.Background(), key, loop.PropertyKey, loop.Property{Fingerprint: string(fp101),
		Merge: &loop.Merge{Repo: "acme/web", PR: 7, Commit: "a1b2c3d", At: w.clock.Now().UTC().Format(time.RFC3339)}}); err != nil {
		t.Fatal(err)
	}
	w.settle()
	if got := d.touched(); len(got) < 2 || got[len(got)-1] != key {
		t.Errorf("after Jira's status change and property write: touched %v", got)
	}

	// A regression reopens it.
	before := len(d.touched())
	w.clock.Advance(30 * 24 * time.Hour)
	body := w.sentry.IssueWebhook("unresolved", "101", sentrysim.Actor{Type: "user", ID: "1", Name: "Jane"})
	if code, _ := w.hooks.Send(context.Background(), "issue", body); code != http.StatusAccepted {
		t.Fatal(code)
	}
	w.drain()
	if got := d.touched(); len(got) <= before {
		t.Errorf("the reopen touched nothing: %v", got)
	}
}

// End to end, the bot's dashboard keeps the steps in the bot's store as
// they happen: the created issue and the deploy a sweep writes into
// Jira are in the store before the dashboard ever reads the whole list,
// and a dashboard started later, with no Jira, shows them.
func TestTheDashboardKeepsEachLoopsStepsInTheStoreAsTheyHappen(t *testing.T) {
	var dash *dashboard.Dashboard
	w := newWorld(t, beforeStart(func(w *world) {
		dash = dashboard.New(dashboard.Config{Store: w.store, Org: "acme", Now: w.clock.Now, RefreshEvery: time.Hour}, w.jiraClient(t), nil)
		w.dashboard = dash
	}))
	w.sentryIssue("101", "boom")
	w.eventAlert("101")
	w.drain()
	key := w.issues(fp101.Label())[0].Key
	stored := w.awaitStoredLoop(key, func(l dashboard.Loop) bool { return l.Summary != "" })
	if stored.Fingerprint != string(fp101) || stored.Source != "Sentry" {
		t.Errorf("the created loop as stored: %+v", stored)
	}

	// A sweep records the deploy: only the property changes.
	w.clock.Advance(time.Hour)
	at := w.clock.Now().UTC().Format(time.RFC3339)
	if err := w.jiraClient(t).SetProperty(context.Background(), key, loop.PropertyKey, loop.Property{Fingerprint: string(fp101),
		Merge:  &loop.Merge{Repo: "acme/web", PR: 7, Commit: "a1b2c3d", At: at},
		Deploy: &loop.Deploy{At: at, Commit: "a1b2c3d", Environment: "production", Source: "github"}}); err != nil {
		t.Fatal(err)
	}
	w.settle()
	w.awaitStoredLoop(key, func(l dashboard.Loop) bool { return l.Deploy != nil })

	later := dashboard.New(dashboard.Config{Store: w.store, Org: "acme", Now: w.clock.Now}, nil, nil)
	rec, req := httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/loops/"+key, nil)
	req.RemoteAddr = "127.0.0.1:4000" // the dashboard serves loopback clients without a token
	later.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "Deployed to production") || !strings.Contains(rec.Body.String(), "acme/web#7") {
		t.Errorf("a dashboard with no Jira, from the store: %d\n%s", rec.Code, rec.Body.String())
	}
}

// awaitStoredLoop waits until the store keeps key's loop as ok wants it.
func (w *world) awaitStoredLoop(key string, ok func(dashboard.Loop) bool) dashboard.Loop {
	w.t.Helper()
	var last dashboard.Loop
	await(w.t, "the store to keep "+key+" as wanted", func() bool {
		snap, found, err := w.store.LoadSnapshot(context.Background(), "loop:"+key)
		if err != nil {
			w.t.Fatal(err)
		}
		var doc struct{ Loop dashboard.Loop }
		if !found || json.Unmarshal(snap.Data, &doc) != nil {
			return false
		}
		last = doc.Loop
		return ok(last)
	})
	return last
}

// jiraClient is a client of the world's Jira, as the action's.
func (w *world) jiraClient(t *testing.T) *jira.Client {
	t.Helper()
	jc, err := jira.New(jira.Config{BaseURL: w.cfg.Jira.BaseURL, Email: w.cfg.Jira.Email, APIToken: w.cfg.Jira.APIToken})
	if err != nil {
		t.Fatal(err)
	}
	return jc
}

// Of the property writes Jira reports on a linked issue, only those of
// the fixproof property are queued; another app's property is
// acknowledged and dropped.
func TestOnlyTheFixproofPropertysWritesAreQueued(t *testing.T) {
	w := newWorld(t, withoutJiraWebhooks())
	w.sentryIssue("101", "boom")
	w.eventAlert("101")
	w.drain()
	key := w.issues(fp101.Label())[0].Key
	for _, tt := range []struct {
		property string
		code     int
	}{
		{"fixproof", http.StatusAccepted},
		{"", http.StatusAccepted}, // a body that does not say which: read the loop
		{"com.other.app", http.StatusOK},
	} {
		body := `{"timestamp": 1764000000000, "webhookEvent": "issue_property_set", "issue": {"id": "10000", "key": "` + key + `"}`
		if tt.property != "" {
			body += `, "property": {"key": "` + tt.property + `", "value": {}}`
		}
		body += "}"
		req, _ := http.NewRequest(http.MethodPost, w.urls[0]+"/webhooks/jira", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Hub-Signature", webhook.HubSignature([]byte(body), hookSecret))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != tt.code {
			t.Errorf("issue_property_set of %q: %d, want %d", tt.property, res.StatusCode, tt.code)
		}
	}
}
