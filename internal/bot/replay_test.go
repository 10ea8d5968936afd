package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/botconfig"
	"github.com/fixproof/fixproof/internal/contract"
	"github.com/fixproof/fixproof/internal/loop"
	"github.com/fixproof/fixproof/internal/sim/sentrysim"
)

// deliveries is how many deliveries the bot has counted for fp.
func (w *world) deliveries(fp string) int64 {
	w.t.Helper()
	return w.state(string(fp)).Deliveries
}

// sendSentry signs and sends a body as Sentry does (a fresh Request-ID and
// Sentry-Hook-Timestamp each time, as a replayer would send them) and
// returns the status and the answer's error.
func (w *world) sendSentry(resource string, body []byte) (int, string) {
	w.t.Helper()
	var got struct {
		Error     string `json:"error"`
		Duplicate bool   `json:"duplicate"`
	}
	rec := &recorder{}
	hooks := w.hooks
	hooks.Client = &http.Client{Transport: rec}
	code, err := hooks.Send(context.Background(), resource, body)
	if err != nil {
		w.t.Fatal(err)
	}
	_ = json.Unmarshal(rec.body, &got)
	return code, got.Error
}

// recorder keeps the body of the last answer.
type recorder struct{ body []byte }

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	res, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	_, _ = b.ReadFrom(res.Body)
	res.Body.Close()
	r.body = b.Bytes()
	res.Body = readCloser{bytes.NewReader(r.body)}
	return res, nil
}

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }

// A captured signed delivery sent again is acknowledged and counted once,
// whenever it comes within sentry.max_age.
func TestAReplayedSentryEventIsCountedOnce(t *testing.T) {
	w := newWorld(t)
	w.sentryIssue("101", "TypeError: boom")
	body := w.sentry.EventAlertWebhook("101", sentrysim.Event{Type: "TypeError", Value: "boom"}, sentrysim.SentryActor)
	if code, msg := w.sendSentry("event_alert", body); code != http.StatusAccepted {
		t.Fatalf("the delivery: %d %s", code, msg)
	}
	w.drain()
	for _, after := range []time.Duration{time.Second, time.Hour, 22 * time.Hour} { // 23h in all: within max_age
		w.clock.Advance(after)
		if code, msg := w.sendSentry("event_alert", body); code != http.StatusOK {
			t.Errorf("the replay %s later: %d %s, want 200 (acknowledged, not stored)", after, code, msg)
		}
	}
	// The same event through the other resource Sentry sends events as.
	asError := bytes.Replace(bytes.Replace(body, []byte(`"event":`), []byte(`"error":`), 1), []byte(`"action":"triggered"`), []byte(`"action":"created"`), 1)
	if code, msg := w.sendSentry("error", asError); code != http.StatusOK {
		t.Errorf("the same event as an error: %d %s, want 200", code, msg)
	}
	w.drain()
	if n := w.deliveries(string(fp101)); n != 1 {
		t.Errorf("%d deliveries counted, want 1", n)
	}
	if got := len(w.issues(loop.Fingerprint(fp101).Label())); got != 1 {
		t.Errorf("%d issues", got)
	}
	// A new event is news.
	next := w.sentry.EventAlertWebhook("101", sentrysim.Event{Type: "TypeError", Value: "boom"}, sentrysim.SentryActor)
	if code, msg := w.sendSentry("event_alert", next); code != http.StatusAccepted {
		t.Errorf("a new event: %d %s", code, msg)
	}
	w.drain()
	if n := w.deliveries(string(fp101)); n != 2 {
		t.Errorf("%d deliveries counted after a new event, want 2", n)
	}
	if m := metricsText(t, w.urls[0]); !strings.Contains(m, `fixproof_webhooks_total{result="duplicate",source="sentry"} 4`) {
		t.Errorf("the duplicates are not in the metrics:\n%s", grepLines(m, "fixproof_webhooks_total"))
	}
}

// A signed body dated longer ago than sentry.max_age is refused, naming
// the key; with max_age 0 it is taken (once).
func TestAnOldSignedSentryDeliveryIsRefused(t *testing.T) {
	for _, tt := range []struct {
		name   string
		maxAge time.Duration
		want   int
	}{
		{"default max_age", 24 * time.Hour, http.StatusBadRequest},
		{"max_age 0", 0, http.StatusAccepted},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, withConfig(func(c *botconfig.Config) { c.Sentry.MaxAge = botconfig.Duration(tt.maxAge) }))
			w.sentryIssue("101", "TypeError: boom")
			body := w.sentry.EventAlertWebhook("101", sentrysim.Event{Type: "TypeError", Value: "boom"}, sentrysim.SentryActor)
			w.clock.Advance(24*time.Hour + time.Minute)
			code, msg := w.sendSentry("event_alert", body)
			if code != tt.want {
				t.Fatalf("a day-old body: %d %s, want %d", code, msg, tt.want)
			}
			if code == http.StatusBadRequest && (!strings.Contains(msg, "sentry.max_age") || !strings.Contains(msg, "data.event.received")) {
				t.Errorf("the refusal does not say why: %s", msg)
			}
			w.drain()
			if got := len(w.issues(loop.Fingerprint(fp101).Label())); got != map[bool]int{true: 0, false: 1}[code == http.StatusBadRequest] {
				t.Errorf("%d issues after answer %d", got, code)
			}
		})
	}
}

// Issue webhooks are told apart by issue, action and the body's own
// time: a copy is counted once, a change is news, and a change whose body
// dates nothing (a resolve) is still told by its id long after.
func TestSentryIssueWebhookCopiesCountOnce(t *testing.T) {
	w := newWorld(t)
	w.sentryIssue("101", "TypeError: boom")
	created := w.sentry.IssueWebhook("created", "101", sentrysim.SentryActor)
	for i, want := range []int{http.StatusAccepted, http.StatusOK} {
		if code, msg := w.sendSentry("issue", created); code != want {
			t.Errorf("created, copy %d: %d %s, want %d", i, code, msg, want)
		}
	}
	user := sentrysim.Actor{Type: "user", ID: "7", Name: "Jane"}
	resolved := w.sentry.IssueWebhook("resolved", "101", user)
	if code, msg := w.sendSentry("issue", resolved); code != http.StatusAccepted {
		t.Errorf("resolved: %d %s", code, msg)
	}
	w.drain()
	w.clock.Advance(20 * 24 * time.Hour) // long past max_age: the body has no date to refuse it by
	if code, msg := w.sendSentry("issue", resolved); code != http.StatusOK {
		t.Errorf("the resolve replayed 20 days later: %d %s, want 200", code, msg)
	}
	w.drain()
	if n := w.deliveries(string(fp101)); n != 2 {
		t.Errorf("%d deliveries counted, want 2 (created, resolved)", n)
	}
}

// Sentry's own examples are from 2019: with the default max_age they are
// refused as replays, with a reason.
func TestVendorExamplesAreTooOldForTheDefaultMaxAge(t *testing.T) {
	dir := contract.Require(t)
	w := newWorld(t)
	body, err := os.ReadFile(filepath.Join(dir, "sentry", "webhooks", "event_alert.triggered.json"))
	if err != nil {
		t.Fatal(err)
	}
	if code, msg := w.sendSentry("event_alert", body); code != http.StatusBadRequest || !strings.Contains(msg, "2019-08-19T21:06:17Z") {
		t.Errorf("a 2019 event: %d %s", code, msg)
	}
	if !strings.Contains(w.logs.String(), "older than sentry.max_age") {
		t.Error("the refusal is not logged")
	}
	if m := metricsText(t, w.urls[0]); !strings.Contains(m, `fixproof_webhooks_total{result="too_old",source="sentry"} 1`) {
		t.Errorf("the refusal is not in the metrics:\n%s", grepLines(m, "fixproof_webhooks_total"))
	}
}

func metricsText(t *testing.T, url string) string {
	t.Helper()
	_, body := getMetrics(t, url, "")
	return body
}

func grepLines(s, substr string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
