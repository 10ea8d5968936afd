package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/botconfig"
	"github.com/fixproof/fixproof/internal/contract"
	"github.com/fixproof/fixproof/internal/loop"
	"github.com/fixproof/fixproof/internal/sim"
	"github.com/fixproof/fixproof/internal/sim/sentrysim"
	"github.com/fixproof/fixproof/internal/store"
	"github.com/fixproof/fixproof/internal/store/postgres"
)

var fp101 = loop.SentryFingerprint("acme", "101")

func TestSentryAlertBecomesOneWellFilledIssue(t *testing.T) {
	w := newWorld(t)
	w.sentryIssue("101", "TypeError: Cannot read properties of null (reading 'id')")
	if code := w.eventAlert("101"); code != http.StatusAccepted {
		t.Fatalf("status %d", code)
	}
	w.drain()
	got := w.issues(fp101.Label())
	if len(got) != 1 {
		t.Fatalf("%d issues, want 1\n%s", len(got), tail(w.logs.String(), 2000))
	}
	is := got[0]
	if is.Summary != "[web] TypeError: Cannot read properties of null (reading 'id')" {
		t.Errorf("summary %q", is.Summary)
	}
	desc := string(is.Description)
	for _, want := range []string{"app/cart.js:42", "web@1.4.2", "production", "4bf92f3577b34da6a3ce929d0e0e4736", "curl -X POST"} {
		if !strings.Contains(desc, want) {
			t.Errorf("description lacks %q: %s", want, desc)
		}
	}
	for _, private := range []string{"jane.doe@example.com", "203.0.113.7", "sekrit"} {
		if strings.Contains(desc, private) || strings.Contains(is.Summary, private) {
			t.Errorf("personal data %q reached Jira", private)
		}
	}
	if !strings.Contains(string(is.Properties["fixproof"]), string(fp101)) {
		t.Errorf("property %s", is.Properties["fixproof"])
	}
	for _, l := range []string{"fixproof", "sentry-web"} {
		if !contains(is.Labels, l) {
			t.Errorf("labels %v lack %s", is.Labels, l)
		}
	}
	if len(is.RemoteLinks) != 1 || !strings.Contains(string(is.RemoteLinks[0].Object), "/issues/101/") {
		t.Errorf("remote links %v: the sweep needs a link to the Sentry issue", is.RemoteLinks)
	}
	if s, _ := w.sentry.Issue("101"); len(s.External) != 1 {
		t.Errorf("Sentry issue not linked back to Jira: %+v", s)
	}
}

func TestSignaturesAndTokensAreChecked(t *testing.T) {
	w := newWorld(t)
	w.sentryIssue("101", "boom")
	body := w.sentry.IssueWebhook("created", "101", sentrysim.Actor{Type: "user", ID: "1", Name: "Jane"})
	post := func(url string, body []byte, h map[string]string) int {
		req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		for k, v := range h {
			req.Header.Set(k, v)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	bad := sentrysim.Webhooks{URL: w.urls[0] + "/webhooks/sentry", ClientSecret: "wrong", Client: http.DefaultClient}
	if code, _ := bad.Send(context.Background(), "issue", body); code != http.StatusUnauthorized {
		t.Errorf("wrong secret: %d", code)
	}
	if code := post(w.urls[0]+"/webhooks/sentry", body, map[string]string{"Sentry-Hook-Resource": "issue"}); code != http.StatusUnauthorized {
		t.Errorf("no signature: %d", code)
	}
	if code := post(w.urls[0]+"/webhooks/alertmanager", []byte(`{}`), map[string]string{"Authorization": "Bearer nope"}); code != http.StatusUnauthorized {
		t.Errorf("alertmanager token: %d", code)
	}
	if code := post(w.urls[0]+"/webhooks/sentry/legacy?token=nope", []byte(`{}`), nil); code != http.StatusUnauthorized {
		t.Errorf("legacy token: %d", code)
	}
	if s, _ := w.store.Stats(context.Background(), w.clock.Now()); s.Ready+s.Delayed != 0 {
		t.Errorf("refused deliveries were stored: %+v", s)
	}
	if code, _ := w.hooks.Send(context.Background(), "issue", body); code != http.StatusAccepted {
		t.Errorf("good signature: %d", code)
	}
}

func TestBadInputGetsAClearError(t *testing.T) {
	w := newWorld(t, withConfig(func(c *botconfig.Config) { c.MaxBody = 2048 }))
	post := func(path string, body []byte, h map[string]string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, w.urls[0]+path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		for k, v := range h {
			req.Header.Set(k, v)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var e map[string]string
		_ = json.NewDecoder(res.Body).Decode(&e)
		return res.StatusCode, e["error"]
	}
	am := map[string]string{"Authorization": "Bearer " + amToken}
	if code, msg := post("/webhooks/alertmanager", []byte(`{"version":"4",`), am); code != http.StatusBadRequest || msg == "" {
		t.Errorf("malformed JSON: %d %q", code, msg)
	}
	if code, msg := post("/webhooks/alertmanager", bytes.Repeat([]byte("x"), 4096), am); code != http.StatusRequestEntityTooLarge || !strings.Contains(msg, "max_body_bytes") {
		t.Errorf("too large: %d %q", code, msg)
	}
	if code, _ := post("/webhooks/nope", nil, nil); code != http.StatusNotFound {
		t.Errorf("unknown route: %d", code)
	}
}

func TestEveryVendorExamplePayloadIsAccepted(t *testing.T) {
	dir := contract.Require(t)
	// The examples are from 2019: no max_age, or they are refused as
	// replays (TestVendorExamplesAreTooOldForTheDefaultMaxAge).
	w := newWorld(t, withConfig(func(c *botconfig.Config) { c.Sentry.MaxAge = 0 }))
	files, _ := filepath.Glob(filepath.Join(dir, "sentry", "webhooks", "*.json"))
	if len(files) == 0 {
		contract.Missing(t, "sentry/webhooks/*.json")
	}
	for _, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(f)
		var code int
		if strings.HasPrefix(name, "legacy") {
			res, err := http.Post(w.urls[0]+"/webhooks/sentry/legacy?token="+legacyToken, "application/json", bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			code = res.StatusCode
		} else {
			resource := strings.SplitN(name, ".", 2)[0] // issue.created.json -> issue
			code, _ = w.hooks.Send(context.Background(), resource, body)
		}
		if code != http.StatusOK && code != http.StatusAccepted {
			t.Errorf("%s: status %d", name, code)
		}
	}
	w.drain()
}

func TestAlertStormMakesOneIssueAndNoCommentPerEvent(t *testing.T) {
	senders, each := 50, 200
	if raceEnabled {
		each = 40
	}
	w := newWorld(t)
	w.sentryIssue("101", "TypeError: boom")
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	for range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				// Like Sentry, a sender whose delivery got 503 sends it again.
				code := w.eventAlert("101")
				for try := 0; code == http.StatusServiceUnavailable && try < 20; try++ {
					mu.Lock()
					codes[code]++
					mu.Unlock()
					time.Sleep(time.Duration(try+1) * 20 * time.Millisecond)
					code = w.eventAlert("101")
				}
				mu.Lock()
				codes[code]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if codes[http.StatusAccepted] != senders*each {
		t.Fatalf("answers %v", codes)
	}
	t.Logf("answers: %v (503 means the store could not take it within %s; the sender retried)", codes, answerWithin)
	w.drain()
	got := w.issues(fp101.Label())
	if len(got) != 1 {
		t.Fatalf("%d issues for one fingerprint", len(got))
	}
	if n := len(got[0].Comments); n > 1 {
		t.Errorf("%d comments: the storm must be coalesced into one counters comment", n)
	}
	rec, _, _ := w.store.Lookup(context.Background(), string(fp101))
	var st State
	_ = json.Unmarshal(rec.State, &st)
	if st.Deliveries != int64(senders*each) {
		t.Errorf("state counted %d deliveries, want %d", st.Deliveries, senders*each)
	}
}

func TestJiraOutageEventuallyLandsOnce(t *testing.T) {
	w := newWorld(t)
	w.sentryIssue("101", "boom")
	w.jira.Control.Inject(sim.Fault{Method: "POST", PathPrefix: "/rest/api/3/issue", Status: 500, Times: 9})
	w.jira.Control.Inject(sim.Fault{Method: "POST", PathPrefix: "/rest/api/3/issue", Status: 429, RetryAfter: "1", Times: 3})
	if code := w.eventAlert("101"); code != http.StatusAccepted {
		t.Fatal(code)
	}
	for i := 0; i < 20 && len(w.issues(fp101.Label())) == 0; i++ {
		w.drain()
		w.clock.Advance(10 * time.Minute) // let the retry become due
	}
	if got := w.issues(fp101.Label()); len(got) != 1 {
		t.Fatalf("%d issues after the outage\n%s", len(got), tail(w.logs.String(), 2000))
	}
	// Every failed attempt was retried whole: the delivery still counts once.
	rec, _, _ := w.store.Lookup(context.Background(), string(fp101))
	var st State
	_ = json.Unmarshal(rec.State, &st)
	if st.Deliveries != 1 {
		t.Errorf("one delivery counted %d times across the retries", st.Deliveries)
	}
}

// Jira created the issue but the answer was lost (the worker crashed, or
// the connection dropped): the next attempt must find it, even though
// Jira's search only shows it after a delay, and not create a second.
func TestLostCreateAnswerDoesNotDuplicate(t *testing.T) {
	w := newWorld(t)
	w.sentryIssue("101", "boom")
	w.jira.Control.Inject(sim.Fault{Method: "POST", PathPrefix: "/rest/api/3/issue", Status: 502, After: true, Times: 3})
	if code := w.eventAlert("101"); code != http.StatusAccepted {
		t.Fatal(code)
	}
	for i := 0; i < 30; i++ {
		w.drain()
		w.clock.Advance(10 * time.Second)
		if rec, _, _ := w.store.Lookup(context.Background(), string(fp101)); rec.JiraKey != "" {
			break
		}
	}
	if got := w.issues(fp101.Label()); len(got) != 1 {
		t.Fatalf("%d issues after a lost create answer, want 1\n%s", len(got), tail(w.logs.String(), 3000))
	}
	if rec, _, _ := w.store.Lookup(context.Background(), string(fp101)); rec.JiraKey == "" {
		t.Error("the key was never saved")
	}
}

func TestCountersAreCoalescedAndFlushed(t *testing.T) {
	w := newWorld(t)
	w.sentryIssue("101", "boom")
	w.eventAlert("101")
	w.drain()
	key := w.issues(fp101.Label())[0].Key
	for range 3 {
		w.eventAlert("101")
	}
	w.drain()
	is, _ := w.jira.Issue(key)
	if len(is.Comments) != 1 || !strings.Contains(string(is.Comments[0].Body), "(1 delivery)") {
		t.Fatalf("within the minute the counters stay as first written: %v", is.Comments)
	}
	w.clock.Advance(time.Minute)
	w.drain()
	is, _ = w.jira.Issue(key)
	if len(is.Comments) != 1 || !strings.Contains(string(is.Comments[0].Body), "4 deliveries") {
		t.Errorf("a minute later the flush writes the latest counters, edited in place: %v", is.Comments)
	}
}

func TestRegressionReopensTheIssue(t *testing.T) {
	w := newWorld(t)
	w.sentryIssue("101", "boom")
	w.eventAlert("101")
	w.drain()
	key := w.issues(fp101.Label())[0].Key
	if err := w.jira.SetStatus(key, "Done"); err != nil {
		t.Fatal(err)
	}
	w.clock.Advance(30 * 24 * time.Hour) // far outside the reopen window
	body := w.sentry.IssueWebhook("unresolved", "101", sentrysim.Actor{Type: "user", ID: "1", Name: "Jane"})
	if code, _ := w.hooks.Send(context.Background(), "issue", body); code != http.StatusAccepted {
		t.Fatal(code)
	}
	w.drain()
	is, _ := w.jira.Issue(key)
	if is.Status != "Open" || len(w.issues(fp101.Label())) != 1 {
		t.Errorf("regression: %s, %d issues", is.Status, len(w.issues(fp101.Label())))
	}
	// The dashboard's timeline reads when it was reopened from the
	// property, which keeps what the bot wrote at creation.
	prop, err := loop.ParseProperty(is.Properties[loop.PropertyKey])
	if err != nil || len(prop.Reopened) != 1 || prop.Reopened[0] != w.clock.Now().UTC().Format(time.RFC3339) || prop.Fingerprint != string(fp101) {
		t.Errorf("property after the reopen: %+v, %v; want one reopen at %s and the fingerprint kept", prop, err, w.clock.Now().UTC())
	}
}

func TestReopenWindow(t *testing.T) {
	w := newWorld(t)
	w.sentryIssue("101", "boom")
	w.eventAlert("101")
	w.drain()
	first := w.issues(fp101.Label())[0].Key
	_ = w.jira.SetStatus(first, "Done")

	// A day later: reopened.
	w.clock.Advance(24 * time.Hour)
	w.eventAlert("101")
	w.drain()
	if is, _ := w.jira.Issue(first); is.Status != "Open" {
		t.Fatalf("within the window: %s", is.Status)
	}

	// Closed again, and a month later: a new issue, linked to the old.
	_ = w.jira.SetStatus(first, "Done")
	w.clock.Advance(30 * 24 * time.Hour)
	w.eventAlert("101")
	w.drain()
	got := w.issues(fp101.Label())
	if len(got) != 2 {
		t.Fatalf("%d issues, want the old and a new one", len(got))
	}
	second := got[1]
	if len(second.Links) != 1 || (second.Links[0].Inward != first && second.Links[0].Outward != first) {
		t.Errorf("new issue %s links %+v, want a link to %s", second.Key, second.Links, first)
	}
}

func TestEscalationRaisesPriorityOncePerLevel(t *testing.T) {
	w := newWorld(t, withConfig(func(c *botconfig.Config) {
		c.Escalation = botconfig.Escalation{Window: botconfig.Duration(10 * time.Minute), Thresholds: []int{5, 20}}
	}))
	w.sentryIssue("101", "boom")
	for range 25 {
		w.eventAlert("101")
		w.drain()
	}
	is := w.issues(fp101.Label())[0]
	escalations := 0
	for _, c := range is.Comments {
		if strings.Contains(string(c.Body), "Escalated") {
			escalations++
		}
	}
	if escalations != 2 || is.Priority != "Highest" {
		t.Errorf("%d escalation comments, priority %q; want 2 and Highest (Medium -> High -> Highest)", escalations, is.Priority)
	}
	for range 10 {
		w.eventAlert("101")
	}
	w.drain()
	is, _ = w.jira.Issue(is.Key)
	n := 0
	for _, c := range is.Comments {
		if strings.Contains(string(c.Body), "Escalated") {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d escalation comments after more events at the same level", n)
	}
}

func alertmanagerBody(status string) []byte {
	return []byte(`{"version":"4","groupKey":"{}:{alertname=\"HighErrorRate\"}","truncatedAlerts":0,"status":"` + status + `","receiver":"payments",
"groupLabels":{"alertname":"HighErrorRate"},"commonLabels":{"alertname":"HighErrorRate","team":"pay","severity":"page"},
"commonAnnotations":{"summary":"5xx above 5%","description":"api 5xx rate is 7% (jane@example.com reported it)"},
"externalURL":"https://am.example","alerts":[{"status":"` + status + `","labels":{"alertname":"HighErrorRate","team":"pay","instance":"api-1"},
"annotations":{"summary":"5xx above 5%"},"startsAt":"2026-11-20T09:58:00Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"https://prom.example/graph","fingerprint":"c0ffee"}]}`)
}

func (w *world) alertmanager(body []byte) int {
	req, _ := http.NewRequest(http.MethodPost, w.urls[0]+"/webhooks/alertmanager", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json") // as Alertmanager sends it
	req.Header.Set("Authorization", "Bearer "+amToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

func TestAlertmanagerGroupFiresAndResolves(t *testing.T) {
	w := newWorld(t, withConfig(func(c *botconfig.Config) {
		c.Routes = []botconfig.Route{{Match: botconfig.Match{Source: "alertmanager", Labels: map[string]string{"team": "pay"}},
			Project: "WEB", IssueType: "Incident", AutoResolve: true, StatusDone: []string{"Done"}}}
	}))
	fp := loop.AlertmanagerFingerprint("payments", map[string]string{"alertname": "HighErrorRate"})
	for range 3 { // HA pairs deliver the same group more than once
		if code := w.alertmanager(alertmanagerBody("firing")); code != http.StatusAccepted {
			t.Fatal(code)
		}
	}
	w.drain()
	got := w.issues(fp.Label())
	if len(got) != 1 || !strings.HasPrefix(got[0].Key, "WEB-") || got[0].IssueType != "Incident" {
		t.Fatalf("issues %+v", got)
	}
	if strings.Contains(string(got[0].Description), "jane@example.com") {
		t.Error("personal data in an annotation reached Jira")
	}
	w.alertmanager(alertmanagerBody("resolved"))
	w.drain()
	if is, _ := w.jira.Issue(got[0].Key); is.Status != "Done" {
		t.Errorf("auto_resolve: %s", is.Status)
	}
}

func TestSilencedAlertsAreCountedNotTicketed(t *testing.T) {
	w := newWorld(t, withConfig(func(c *botconfig.Config) {
		c.Silences = []botconfig.Silence{{Matchers: map[string]string{"team": "pay"}, Until: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}}
	}))
	for range 4 {
		w.alertmanager(alertmanagerBody("firing"))
	}
	w.drain()
	fp := loop.AlertmanagerFingerprint("payments", map[string]string{"alertname": "HighErrorRate"})
	if got := w.issues(fp.Label()); len(got) != 0 {
		t.Errorf("%d issues for a silenced alert", len(got))
	}
	rec, _, _ := w.store.Lookup(context.Background(), string(fp))
	var st State
	_ = json.Unmarshal(rec.State, &st)
	if st.Suppressed != 4 {
		t.Errorf("suppressed %d, want 4 counted", st.Suppressed)
	}
}

func TestNoSecretIsEverLogged(t *testing.T) {
	w := newWorld(t)
	w.sentryIssue("101", "boom")
	w.jira.Control.Inject(sim.Fault{Method: "POST", PathPrefix: "/rest/api/3/issue", Status: 401, Times: 1})
	w.eventAlert("101")
	w.drain()
	w.alertmanager(alertmanagerBody("firing"))
	w.drain()
	logs := w.logs.String()
	if logs == "" {
		t.Fatal("no logs to check")
	}
	for _, s := range []string{jiraToken, sentryToken, clientSecret, amToken, legacyToken} {
		if strings.Contains(logs, s) {
			t.Errorf("secret %q logged", s)
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		if msg, _ := m["msg"].(string); strings.Contains(msg, "batch") && m["fingerprint"] == nil {
			t.Errorf("a batch log line without the fingerprint: %q", line)
		}
	}
}

func TestTwoBotsOnOnePostgresMakeOneIssue(t *testing.T) {
	url := os.Getenv("FIXPROOF_TEST_POSTGRES")
	if url == "" {
		t.Skip("FIXPROOF_TEST_POSTGRES not set: skipping the two-replica test on Postgres")
	}
	schema := fmt.Sprintf("fixproof_e2e_%d", rand.Int64())
	open := func() store.Store {
		st, err := postgres.OpenOptions(context.Background(), url, postgres.Options{Schema: schema})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	w := newWorld(t, withStore(open()))
	w.startBotOn("bot-2", open())
	w.sentryIssue("101", "TypeError: boom")
	const senders, each = 50, 200
	var wg sync.WaitGroup
	var accepted atomic.Int64
	for s := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hooks := w.hooks
			hooks.URL = w.urls[s%2] + "/webhooks/sentry" // half to each replica
			for range each {
				// Each delivery is a new event: a replay of one would
				// be counted once.
				body := w.sentry.EventAlertWebhook("101", eventFor(), actorSentry())
				for try := 0; try < 20; try++ {
					if code, _ := hooks.Send(context.Background(), "event_alert", body); code == http.StatusAccepted {
						accepted.Add(1)
						break
					}
					// A 503 says the store was slow to take it (a loaded
					// machine): send again after a pause, as senders do.
					time.Sleep(time.Duration(try+1) * 20 * time.Millisecond)
				}
			}
		}()
	}
	wg.Wait()
	if accepted.Load() != senders*each {
		t.Fatalf("%d accepted", accepted.Load())
	}
	w.drain()
	if got := w.issues(fp101.Label()); len(got) != 1 {
		t.Fatalf("%d issues from two replicas, want 1", len(got))
	}
	rec, _, _ := w.store.Lookup(context.Background(), string(fp101))
	var st State
	_ = json.Unmarshal(rec.State, &st)
	if st.Deliveries != senders*each {
		t.Errorf("%d deliveries counted, want %d", st.Deliveries, senders*each)
	}
}

func TestPermanentFailuresGoToTheDeadLettersAndTheLog(t *testing.T) {
	w := newWorld(t, withConfig(func(c *botconfig.Config) { c.MaxAttempts = 2 }))
	w.sentryIssue("101", "boom")
	// Jira refuses the project: a permanent failure.
	w.jira.Control.Inject(sim.Fault{Method: "POST", PathPrefix: "/rest/api/3/issue", Status: 400, Times: 100,
		Body: `{"errorMessages":[],"errors":{"project":"valid project is required"}}`})
	w.eventAlert("101")
	for i := 0; i < 5; i++ {
		w.drain()
		w.clock.Advance(10 * time.Minute)
	}
	dead, err := w.store.Dead(context.Background(), 10)
	if err != nil || len(dead) != 1 || !strings.Contains(dead[0].LastError, "valid project is required") {
		t.Fatalf("dead letters %+v %v", dead, err)
	}
	if !strings.Contains(w.logs.String(), "dead letters") {
		t.Error("giving up is not logged")
	}
	res, err := http.Get(w.urls[0] + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	_, _ = b.ReadFrom(res.Body)
	res.Body.Close()
	if !strings.Contains(b.String(), "\nfixproof_dead_letters 1\n") {
		t.Errorf("metrics do not show the dead letter:\n%s", b.String())
	}
}

func TestJiraTimeoutsAreRetriedUntilItAnswers(t *testing.T) {
	w := newWorld(t, jiraTimeout(200*time.Millisecond))
	w.sentryIssue("101", "boom")
	w.jira.Control.SetLatency(400 * time.Millisecond) // every request times out (twice the client's 200 ms)
	if code := w.eventAlert("101"); code != http.StatusAccepted {
		t.Fatal(code)
	}
	for i := 0; i < 3; i++ {
		w.drain()
		w.clock.Advance(10 * time.Minute)
	}
	if got := w.issues(fp101.Label()); len(got) > 1 {
		t.Fatalf("%d issues while Jira timed out", len(got))
	}
	w.jira.Control.SetLatency(0) // Jira recovers
	for i := 0; i < 10 && len(w.issues(fp101.Label())) == 0; i++ {
		w.drain()
		w.clock.Advance(10 * time.Minute)
	}
	// A create that timed out may still have happened; the look-up before
	// creating again keeps it to one.
	if got := w.issues(fp101.Label()); len(got) != 1 {
		t.Fatalf("%d issues after Jira recovered, want 1\n%s", len(got), tail(w.logs.String(), 2000))
	}
}

func TestWebhooksCausedByTheBotItselfAreIgnored(t *testing.T) {
	w := newWorld(t)
	w.sentryIssue("101", "boom")
	own := w.sentry.IssueWebhook("created", "101", sentrysim.Actor{Type: "application", ID: sentrysim.DefaultInstallation, Name: "fixproof"})
	if code, _ := w.hooks.Send(context.Background(), "issue", own); code != http.StatusOK {
		t.Errorf("own webhook: %d, want 200 with nothing accepted", code)
	}
	w.drain()
	if got := w.issues(fp101.Label()); len(got) != 0 {
		t.Errorf("the bot reacted to its own change: %d issues", len(got))
	}
	other := w.sentry.IssueWebhook("created", "101", sentrysim.Actor{Type: "user", ID: "7", Name: "Jane"})
	if code, _ := w.hooks.Send(context.Background(), "issue", other); code != http.StatusAccepted {
		t.Errorf("a person's change: %d", code)
	}
}

// A browser that asks for a page the bot does not have gets the
// dashboard's HTML 404, with its way back; webhook senders and API
// clients get the JSON one.
func TestUnknownPagesAreTheDashboardsForABrowserAndJSONOtherwise(t *testing.T) {
	dash := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, `<p>There is no page `+html.EscapeString(r.URL.Path)+`.</p><a href="/">Back to every loop</a>`)
	})
	w := newWorld(t, withDashboard(dash))
	for _, tt := range []struct {
		method, accept, wantType string
	}{
		{"GET", "text/html,application/xhtml+xml,*/*;q=0.8", "text/html"},
		{"HEAD", "text/html", "text/html"},
		{"GET", "application/json", "application/json"},
		{"GET", "", "application/json"},
		{"POST", "text/html", "application/json"},
	} {
		req, _ := http.NewRequest(tt.method, w.urls[0]+"/nope", nil)
		if tt.accept != "" {
			req.Header.Set("Accept", tt.accept)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusNotFound || !strings.HasPrefix(res.Header.Get("Content-Type"), tt.wantType) {
			t.Errorf("%s /nope, Accept %q: %d %s, want 404 %s", tt.method, tt.accept, res.StatusCode, res.Header.Get("Content-Type"), tt.wantType)
		}
		if tt.method == "GET" && tt.wantType == "text/html" && !strings.Contains(string(body), `href="/"`) {
			t.Errorf("the browser's 404 has no way back: %s", body)
		}
	}
}
