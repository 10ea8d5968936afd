package webhook

import (
	"fmt"
	"math"
	"time"

	"github.com/fixproof/fixproof/internal/alert"
	"github.com/fixproof/fixproof/internal/loop"
)

// DecodeAlertmanager decodes an Alertmanager webhook: the <webhook_config>
// message of Alertmanager's docs/configuration.md, version "4" (other
// versions, and a missing version, are rejected). One delivery is one
// alert group, so it gives exactly one alert:
//
//   - Source alert.Alertmanager; Fingerprint
//     loop.AlertmanagerFingerprint(receiver, groupLabels), which does not
//     depend on the order of the labels; receiver is required.
//   - Action Fired for status "firing", Resolved for "resolved"; Status as
//     sent. Any other status is an error.
//   - Title: commonLabels.alertname and commonAnnotations.summary joined by
//     ": " (description when there is no summary). With neither summary nor
//     description, the alertname alone; with no alertname either, the
//     summary or description alone; with none of them, groupKey (inferred:
//     the alertname is a better title than an opaque group key, so the key
//     is the last resort).
//   - Receiver, GroupLabels, CommonLabels, Annotations (commonAnnotations),
//     ExternalURL; Level is commonLabels.severity (inferred, the usual
//     Prometheus convention).
//   - Alerts: the instances, with times parsed (RFC 3339; Alertmanager's
//     "0001-01-01T00:00:00Z" for "no end" is the zero time).
//   - Count is the number of alerts in the group: len(Alerts) plus
//     truncatedAlerts, the alerts Alertmanager left out because of
//     max_alerts. alert.Alert has no field for truncatedAlerts itself; it
//     is Count - len(Alerts).
//   - FirstSeen is the earliest startsAt of the instances.
//
// Label and annotation values must be strings. groupKey, routeLabels and
// notification_reason have no field in alert.Alert and are not kept
// (groupKey only as the last-resort title).
func DecodeAlertmanager(body []byte) ([]alert.Alert, error) {
	root, err := parseObject(body)
	if err != nil {
		return nil, fmt.Errorf("alertmanager webhook: %w", err)
	}
	w := &walker{}
	a := decodeAlertmanager(w, root)
	if w.err != nil {
		return nil, fmt.Errorf("alertmanager webhook: %w", w.err)
	}
	return []alert.Alert{a}, nil
}

func decodeAlertmanager(w *walker, root map[string]any) alert.Alert {
	a := alert.Alert{Source: alert.Alertmanager}
	if !amVersion(w, root["version"]) {
		return a
	}
	a.Status = w.strictStr(root["status"], "status")
	a.Action = amAction(w, a.Status)
	a.Receiver = w.strictStr(root["receiver"], "receiver")
	if a.Receiver == "" {
		w.fail("receiver", "missing")
	}
	groupKey := w.strictStr(root["groupKey"], "groupKey")
	truncated := w.integer(root["truncatedAlerts"], "truncatedAlerts")
	if truncated < 0 {
		w.fail("truncatedAlerts", "is %d, want a count", truncated)
	}
	a.GroupLabels = w.labels(root["groupLabels"], "groupLabels")
	a.CommonLabels = w.labels(root["commonLabels"], "commonLabels")
	a.Annotations = w.labels(root["commonAnnotations"], "commonAnnotations")
	a.ExternalURL = w.strictStr(root["externalURL"], "externalURL")
	a.Level = a.CommonLabels["severity"]
	a.Alerts, a.FirstSeen = amInstances(w, root["alerts"])
	if w.err != nil {
		return a
	}
	a.Count = groupCount(len(a.Alerts), truncated)
	a.Fingerprint = loop.AlertmanagerFingerprint(a.Receiver, a.GroupLabels)
	a.Title = amTitle(a.CommonLabels["alertname"], a.Annotations["summary"], a.Annotations["description"], groupKey, a.Receiver)
	return a
}

// amVersion reports whether the payload's version is "4", the only one
// fixproof reads, and records in w why not.
func amVersion(w *walker, v any) bool {
	switch v := v.(type) {
	case nil:
		w.fail("version", `missing, want "4"`)
	case string:
		if v == "4" {
			return true
		}
		w.fail("version", `is %s, want "4" (the only webhook version fixproof reads)`, short(v))
	default:
		w.fail("version", `is %s, want the string "4"`, kind(v))
	}
	return false
}

// amAction is the Action of a group's status; any status but firing and
// resolved is recorded in w as an error.
func amAction(w *walker, status string) alert.Action {
	switch status {
	case "firing":
		return alert.Fired
	case "resolved":
		return alert.Resolved
	case "":
		w.fail("status", "missing")
	default:
		w.fail("status", `is %s, want "firing" or "resolved"`, short(status))
	}
	return ""
}

// amInstances reads the group's alerts and the earliest startsAt among
// them (zero when none has one).
func amInstances(w *walker, v any) (instances []alert.Instance, firstSeen time.Time) {
	for i, v := range w.list(v, "alerts") {
		p := index("alerts", i)
		m := w.obj(v, p)
		if m == nil {
			w.fail(p, "is null, want an object")
			break
		}
		in := alert.Instance{
			Status:       w.strictStr(m["status"], p+".status"),
			Labels:       w.labels(m["labels"], p+".labels"),
			Annotations:  w.labels(m["annotations"], p+".annotations"),
			StartsAt:     rfc3339(w, m["startsAt"], p+".startsAt"),
			EndsAt:       rfc3339(w, m["endsAt"], p+".endsAt"),
			GeneratorURL: w.strictStr(m["generatorURL"], p+".generatorURL"),
			Fingerprint:  w.strictStr(m["fingerprint"], p+".fingerprint"),
		}
		if !in.StartsAt.IsZero() && (firstSeen.IsZero() || in.StartsAt.Before(firstSeen)) {
			firstSeen = in.StartsAt
		}
		instances = append(instances, in)
	}
	return instances, firstSeen
}

// groupCount is the number of alerts in a group: those sent and those
// Alertmanager left out, capped at the largest int64.
func groupCount(sent int, truncated int64) int64 {
	n := int64(sent)
	if truncated > math.MaxInt64-n {
		return math.MaxInt64
	}
	return n + truncated
}

func amTitle(name, summary, description, groupKey, receiver string) string {
	text := summary
	if text == "" {
		text = description
	}
	switch {
	case name != "" && text != "":
		return name + ": " + text
	case name != "":
		return name
	case text != "":
		return text
	case groupKey != "":
		return groupKey
	}
	return "Alertmanager alerts for " + receiver
}

// rfc3339 reads an Alertmanager time; "" and Go's zero time are zero.
func rfc3339(w *walker, v any, path string) time.Time {
	s := w.strictStr(v, path)
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		w.fail(path, "is %s, want an RFC 3339 time", short(s))
		return time.Time{}
	}
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}
