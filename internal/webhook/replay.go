package webhook

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/fixproof/fixproof/internal/alert"
)

// SentryDelivery is a decoded Sentry delivery: the alerts it reports, and
// what its body says about itself so that a copy of it can be told from
// news. Sentry signs only the body (Sentry-Hook-Signature); its
// Request-ID and Sentry-Hook-Timestamp headers are not signed, so a
// captured delivery can be sent again with fresh ones. The defence can
// only come from the body: Once names what the body reports, so a copy is
// counted once, and Dated says when the body was written, so an old copy
// can be refused.
type SentryDelivery struct {
	Alerts []alert.Alert
	// Once names what the delivery reports; copies of it (Sentry's
	// retries, a replay, the same event reaching the bot through two
	// alert rules or two resources) share it, and nothing else does.
	// See sentryOnce.
	Once string
	// Dated is when Sentry wrote the body, by the body's own timestamps;
	// zero when nothing in the body dates the delivery itself. DatedBy
	// is the field it was read from. See sentryDated.
	Dated   time.Time
	DatedBy string
}

// DecodeSentryDelivery is DecodeSentry, with the delivery's Once and
// Dated.
func DecodeSentryDelivery(resource string, body []byte, defaultOrg string) (SentryDelivery, error) {
	res := strings.ToLower(strings.TrimSpace(resource))
	alerts, root, err := decodeSentry(res, body, defaultOrg)
	if err != nil || len(alerts) == 0 {
		return SentryDelivery{Alerts: alerts}, err
	}
	d := SentryDelivery{Alerts: alerts}
	d.Once = sentryOnce(res, root, &alerts[0], body)
	d.Dated, d.DatedBy = sentryDated(res, root)
	return d, nil
}

// DecodeSentryLegacyDelivery is DecodeSentryLegacy, with the delivery's
// Once and Dated: the legacy plugin's event is read as the integration
// platform's is, so an event reaching the bot both ways counts once.
func DecodeSentryLegacyDelivery(body []byte, defaultOrg string) (SentryDelivery, error) {
	alerts, err := DecodeSentryLegacy(body, defaultOrg)
	if err != nil {
		return SentryDelivery{}, err
	}
	root, _ := parseObject(body) // it parsed above
	d := SentryDelivery{Alerts: alerts}
	d.Once = eventOnce(&alerts[0], body)
	d.Dated, d.DatedBy = eventDated((&walker{}).obj(root["event"], "event"), "event")
	return d, nil
}

// sentryOnce names what a delivery reports.
//
//   - event_alert and error carry one event: the event's id (event_id, a
//     uuid Sentry gives every event) in its org names it. Counting events
//     by id counts each event once, whichever resource or alert rule
//     brought it and however often.
//   - issue carries a change of an issue: its id, the action (as sent,
//     so "assigned" and "archived" differ) and the body's own time, the
//     issue's lastSeen (the time of its newest event). Sentry's retries and
//     replays repeat all three; a new event or another action changes one.
//     (Two identical changes with no event in between, an issue resolved,
//     reopened by hand and resolved again, are one: the bodies cannot be
//     told apart.)
//
// A body lacking what names it (no event id, no lastSeen) is named by its
// SHA-256: a replay is the same bytes, or its signature would not match.
func sentryOnce(resource string, root map[string]any, a *alert.Alert, body []byte) string {
	if resource != "issue" {
		return eventOnce(a, body)
	}
	w := &walker{}
	action := strings.ToLower(strings.TrimSpace(w.str(root["action"], "action")))
	if a.LastSeen.IsZero() || action == "" || w.err != nil {
		return bodyOnce(body)
	}
	return fmt.Sprintf("sentry:issue:%s:%s:%s:%s", a.Org, a.IssueID, action, a.LastSeen.UTC().Format(time.RFC3339Nano))
}

func eventOnce(a *alert.Alert, body []byte) string {
	id := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(a.EventID), "-", ""))
	if id == "" || !validID.MatchString(id) {
		return bodyOnce(body)
	}
	return "sentry:event:" + a.Org + ":" + id
}

func bodyOnce(body []byte) string {
	sum := sha256.Sum256(body)
	return "sentry:body:" + hex.EncodeToString(sum[:])
}

// sentryDated reads when Sentry wrote a body, from the body, per resource
// (docs: issue-alerts.mdx, errors.mdx, issues.mdx; examples
// event_alert.triggered.json, error.created.json, issue.created.json):
//
//   - event_alert, error: the event's "received", the time Sentry's own
//     servers received the event (Unix seconds). Sentry sends these
//     webhooks as it processes the event, seconds to minutes later, and
//     its own clock set it, unlike "datetime"/"timestamp", which the
//     client's SDK sets (a phone that was offline sends events hours
//     late). Those two stand in only when "received" is missing.
//   - issue "created": the issue's lastSeen. Sentry creates the issue as
//     it processes the issue's first event, and sends the webhook then; at
//     creation firstSeen and lastSeen are that event's time.
//   - issue "unresolved" with substatus "regressed" or "escalating": the
//     issue's lastSeen. A regression or an escalation is set off by new
//     events, so the newest of them dates the change.
//   - every other issue action (resolved, assigned, archived, ignored, an
//     issue unresolved by hand): nothing. Their bodies hold only the times
//     of the issue's events, and resolving a quiet issue is news though
//     its last event is weeks old. Copies of these are told by Once alone.
//
// A time that cannot be read counts as none: the body is signed, so it is
// Sentry's, and a field it writes differently must not make a delivery
// be refused.
func sentryDated(resource string, root map[string]any) (time.Time, string) {
	w := &walker{}
	data := w.obj(root["data"], "data")
	switch resource {
	case "event_alert":
		return eventDated(w.obj(data["event"], "data.event"), "data.event")
	case "error":
		return eventDated(w.obj(data["error"], "data.error"), "data.error")
	case "issue":
		is := w.obj(data["issue"], "data.issue")
		action := w.str(root["action"], "action")
		substatus := w.str(is["substatus"], "data.issue.substatus")
		if action == "created" || action == "unresolved" && (substatus == "regressed" || substatus == "escalating") {
			return readTime(is["lastSeen"], "data.issue.lastSeen")
		}
	}
	return time.Time{}, ""
}

// eventDated is an event's "received", else its "datetime", else its
// "timestamp".
func eventDated(ev map[string]any, p string) (time.Time, string) {
	for _, key := range []string{"received", "datetime", "timestamp"} {
		if t, by := readTime(ev[key], p+"."+key); !t.IsZero() {
			return t, by
		}
	}
	return time.Time{}, ""
}

// readTime reads a time on a walker of its own: a time it cannot read is
// none, not an error of the body.
func readTime(v any, path string) (time.Time, string) {
	w := &walker{}
	t := w.timestamp(v, path)
	if w.err != nil || t.IsZero() {
		return time.Time{}, ""
	}
	return t, path
}

// TooOld reports whether a body dated dated is older than maxAge at now.
// A zero maxAge is no limit, and a body with no date is never too old: it
// is told from a copy by its Once alone. A body dated in the future (the
// sender's clock ahead) is not old.
func TooOld(dated, now time.Time, maxAge time.Duration) bool {
	return maxAge > 0 && !dated.IsZero() && now.Sub(dated) > maxAge
}
