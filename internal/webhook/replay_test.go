package webhook

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// edit changes a JSON body: set receives the decoded object.
func edit(t *testing.T, body []byte, set func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	set(m)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func obj(m map[string]any, path ...string) map[string]any {
	for _, k := range path {
		m = m[k].(map[string]any)
	}
	return m
}

func decodeDelivery(t *testing.T, resource string, body []byte) SentryDelivery {
	t.Helper()
	d, err := DecodeSentryDelivery(resource, body, "acme")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// Sentry's own examples: events are named by their event id and dated by
// when Sentry received them; a new issue by its id, the action and its
// newest event, and dated by that event.
func TestSentryDeliveriesAreNamedAndDatedByTheirBodies(t *testing.T) {
	for _, tt := range []struct {
		file, resource string
		once           string
		dated          time.Time
		datedBy        string
	}{
		{"event_alert.triggered.json", "event_alert", "sentry:event:test-org:e4874d664c3540c1a32eab185f12c5ab", // the org of the payload's URLs
			time.Unix(1566248777, 677000000).UTC(), "data.event.received"},
		{"error.created.json", "error", "sentry:event:test-org:bb78c1407cea4519aa397afc059c793d",
			time.Unix(1566248317, 391000000).UTC(), "data.error.received"},
		{"issue.created.json", "issue", "sentry:issue:acme:1170820242:created:2019-08-19T20:58:37.391Z",
			ts("2019-08-19T20:58:37.391Z"), "data.issue.lastSeen"},
	} {
		d := decodeDelivery(t, tt.resource, example(t, tt.file))
		if d.Once != tt.once || !d.Dated.Equal(tt.dated) || d.DatedBy != tt.datedBy || len(d.Alerts) != 1 {
			t.Errorf("%s: once %q dated %s by %q; want %q, %s by %q", tt.file, d.Once, d.Dated, d.DatedBy, tt.once, tt.dated, tt.datedBy)
		}
	}
}

// Retries and replays are the same bytes: the same Once. Anything that
// makes the delivery news makes another.
func TestSentryOnceTellsCopiesFromNews(t *testing.T) {
	issue := example(t, "issue.created.json")
	created := decodeDelivery(t, "issue", issue).Once
	if again := decodeDelivery(t, "issue", issue).Once; again != created {
		t.Errorf("a copy is named %q, the original %q", again, created)
	}
	for name, body := range map[string][]byte{
		"another action": edit(t, issue, func(m map[string]any) { m["action"] = "resolved" }),
		"a newer event":  edit(t, issue, func(m map[string]any) { obj(m, "data", "issue")["lastSeen"] = "2019-08-19T21:00:00Z" }),
		"another issue":  edit(t, issue, func(m map[string]any) { obj(m, "data", "issue")["id"] = "1170820243" }),
	} {
		if got := decodeDelivery(t, "issue", body).Once; got == created {
			t.Errorf("%s: named %q like the original", name, got)
		}
	}
	// assigned and archived are both noted, but are different news.
	assigned := decodeDelivery(t, "issue", edit(t, issue, func(m map[string]any) { m["action"] = "assigned" })).Once
	archived := decodeDelivery(t, "issue", edit(t, issue, func(m map[string]any) { m["action"] = "archived" })).Once
	if assigned == archived {
		t.Errorf("assigned and archived share %q", assigned)
	}

	// One event is one event, whichever resource or rule brings it.
	alertBody := example(t, "event_alert.triggered.json")
	event := decodeDelivery(t, "event_alert", alertBody).Once
	otherRule := edit(t, alertBody, func(m map[string]any) { obj(m, "data")["triggered_rule"] = "Another rule" })
	if got := decodeDelivery(t, "event_alert", otherRule).Once; got != event {
		t.Errorf("the event through another rule: %q, want %q", got, event)
	}
	asError := edit(t, example(t, "error.created.json"), func(m map[string]any) {
		obj(m, "data", "error")["event_id"] = "E4874D66-4C35-40C1-A32E-AB185F12C5AB" // another spelling of the same uuid
	})
	if got := decodeDelivery(t, "error", asError).Once; got != event {
		t.Errorf("the event as an error: %q, want %q", got, event)
	}
	legacy := edit(t, example(t, "legacy-webhooks-plugin.json"), func(m map[string]any) {
		obj(m, "event")["event_id"] = "e4874d664c3540c1a32eab185f12c5ab"
		m["url"] = strings.Replace(m["url"].(string), "meredith", "test-org", 1) // the same org
	})
	ld, err := DecodeSentryLegacyDelivery(legacy, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if ld.Once != event || ld.DatedBy != "event.received" {
		t.Errorf("the event through the legacy plugin: %q dated by %q, want %q by event.received", ld.Once, ld.DatedBy, event)
	}

	// A body with nothing to name it by is named by its bytes.
	noID := edit(t, alertBody, func(m map[string]any) {
		delete(obj(m, "data", "event"), "event_id")
		delete(obj(m, "data", "event"), "id")
	})
	d := decodeDelivery(t, "event_alert", noID)
	if !strings.HasPrefix(d.Once, "sentry:body:") || d.Once != decodeDelivery(t, "event_alert", noID).Once || d.Once == decodeDelivery(t, "event_alert", append(noID, ' ')).Once {
		t.Errorf("a body without an event id: %q", d.Once)
	}
}

// Only a time that dates the delivery itself dates it: a resolve of an
// issue quiet for weeks is news.
func TestSentryIssueChangesAreDatedOnlyWhenEventsCausedThem(t *testing.T) {
	issue := example(t, "issue.created.json")
	for _, tt := range []struct {
		action, substatus string
		dated             bool
	}{
		{"created", "new", true},
		{"unresolved", "regressed", true},
		{"unresolved", "escalating", true},
		{"unresolved", "ongoing", false}, // reopened by hand
		{"resolved", "", false},
		{"assigned", "ongoing", false},
		{"archived", "archived_forever", false},
	} {
		body := edit(t, issue, func(m map[string]any) {
			m["action"] = tt.action
			obj(m, "data", "issue")["substatus"] = tt.substatus
		})
		if d := decodeDelivery(t, "issue", body); d.Dated.IsZero() == tt.dated {
			t.Errorf("%s (%s): dated %s, want dated %v", tt.action, tt.substatus, d.Dated, tt.dated)
		}
	}
}

// A time Sentry writes in a form the bot cannot read makes the delivery
// undated by that field, never refused.
func TestAnUnreadableTimeIsNoTime(t *testing.T) {
	body := edit(t, example(t, "event_alert.triggered.json"), func(m map[string]any) { obj(m, "data", "event")["received"] = "soon" })
	d := decodeDelivery(t, "event_alert", body)
	if d.DatedBy != "data.event.datetime" || !d.Dated.Equal(ts("2019-08-19T21:06:17.677Z")) {
		t.Errorf("dated %s by %q, want the event's datetime", d.Dated, d.DatedBy)
	}
}

func TestTooOld(t *testing.T) {
	now := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name   string
		dated  time.Time
		maxAge time.Duration
		want   bool
	}{
		{"a year old", now.AddDate(-1, 0, 0), 24 * time.Hour, true},
		{"just over", now.Add(-24*time.Hour - time.Second), 24 * time.Hour, true},
		{"exactly the limit", now.Add(-24 * time.Hour), 24 * time.Hour, false},
		{"fresh", now.Add(-time.Second), 24 * time.Hour, false},
		{"from the future (clock skew)", now.Add(time.Minute), 24 * time.Hour, false},
		{"no limit", now.AddDate(-1, 0, 0), 0, false},
		{"undated", time.Time{}, 24 * time.Hour, false},
	} {
		if got := TooOld(tt.dated, now, tt.maxAge); got != tt.want {
			t.Errorf("%s: TooOld = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// An event an offline phone sent days late is dated by when Sentry got
// it, not by the phone's clock.
func TestEventsAreDatedBySentrysClockNotTheClients(t *testing.T) {
	body := edit(t, example(t, "event_alert.triggered.json"), func(m map[string]any) {
		ev := obj(m, "data", "event")
		ev["datetime"] = "2019-08-16T21:06:17.677000Z"
		ev["timestamp"] = 1565989577.677
	})
	d := decodeDelivery(t, "event_alert", body)
	if d.DatedBy != "data.event.received" || !d.Dated.Equal(time.Unix(1566248777, 677000000)) {
		t.Errorf("dated %s by %q, want the received time", d.Dated, d.DatedBy)
	}
}
