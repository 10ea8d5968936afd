package webhook

import (
	"fmt"
	"math"
	"time"

	"github.com/fixproof/fixproof/internal/alert"
)

// DecodeAlertmanager decodes an Alertmanager webhook: the <webhook_config>
// message of Alertmanager's docs/configuration.md, version "4" (other
// versions, and a missing version, are rejected). One delivery is one
// alert group, so it gives exactly one alert:
//
//   - Source alert.Alertmanager; Fingerprint
//     alert.AlertmanagerFingerprint(receiver, groupLabels), which does not
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
	switch v := root["version"].(type) {
	case nil:
		w.fail("version", `missing, want "4"`)
		return a
	case string:
		if v != "4" {
			w.fail("version", `is %s, want "4" (the only webhook version fixproof reads)`, short(v))
			return a
		}
	default:
		w.fail("version", `is %s, want the string "4"`, kind(v))
		return a
	}
	a.Status = w.strictStr(root["status"], "status")
	switch a.Status {
	case "firing":
		a.Action = alert.Fired
	case "resolved":
		a.Action = alert.Resolved
	case "":
		w.fail("status", "missing")
	default:
		w.fail("status", `is %s, want "firing" or "resolved"`, short(a.Status))
	}
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

	for i, v := range w.list(root["alerts"], "alerts") {
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
		if !in.StartsAt.IsZero() && (a.FirstSeen.IsZero() || in.StartsAt.Before(a.FirstSeen)) {
			a.FirstSeen = in.StartsAt
		}
		a.Alerts = append(a.Alerts, in)
	}
	if w.err != nil {
		return a
	}
	a.Count = int64(len(a.Alerts))
	if truncated > math.MaxInt64-a.Count {
		a.Count = math.MaxInt64
	} else {
		a.Count += truncated
	}
	a.Fingerprint = alert.AlertmanagerFingerprint(a.Receiver, a.GroupLabels)
	a.Title = amTitle(a.CommonLabels["alertname"], a.Annotations["summary"], a.Annotations["description"], groupKey, a.Receiver)
	return a
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
