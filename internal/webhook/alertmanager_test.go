package webhook

import (
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/alert"
	"github.com/fixproof/fixproof/internal/loop"
)

// The payloads below are written from the <webhook_config> section of
// Alertmanager's docs/configuration.md (version "4"); Alertmanager
// publishes no example file.

const amFiring = `{
  "version": "4",
  "groupKey": "{}/{severity=\"page\"}:{alertname=\"HighLatency\",service=\"api\"}",
  "truncatedAlerts": 0,
  "status": "firing",
  "receiver": "fixproof",
  "groupLabels": {"alertname": "HighLatency", "service": "api"},
  "commonLabels": {"alertname": "HighLatency", "service": "api", "severity": "page"},
  "commonAnnotations": {"summary": "API p99 latency above 2s", "description": "p99 is 3.1s"},
  "externalURL": "http://alertmanager.example.com:9093",
  "notification_reason": "new_alerts",
  "alerts": [
    {
      "status": "firing",
      "labels": {"alertname": "HighLatency", "service": "api", "severity": "page", "instance": "api-1:8080"},
      "annotations": {"summary": "API p99 latency above 2s"},
      "startsAt": "2024-05-01T10:00:00.123Z",
      "endsAt": "0001-01-01T00:00:00Z",
      "generatorURL": "http://prometheus.example.com:9090/graph?g0.expr=x",
      "fingerprint": "c0ffee0000000001"
    },
    {
      "status": "firing",
      "labels": {"alertname": "HighLatency", "service": "api", "severity": "page", "instance": "api-2:8080"},
      "annotations": {},
      "startsAt": "2024-05-01T09:59:00Z",
      "endsAt": "0001-01-01T00:00:00Z",
      "generatorURL": "http://prometheus.example.com:9090/graph?g0.expr=x",
      "fingerprint": "c0ffee0000000002"
    }
  ]
}`

// The same group resolved, its group labels written in the other order.
const amResolved = `{
  "version": "4",
  "groupKey": "{}/{severity=\"page\"}:{alertname=\"HighLatency\",service=\"api\"}",
  "truncatedAlerts": 3,
  "status": "resolved",
  "receiver": "fixproof",
  "groupLabels": {"service": "api", "alertname": "HighLatency"},
  "commonLabels": {"alertname": "HighLatency"},
  "commonAnnotations": {"description": "p99 back to normal"},
  "externalURL": "http://alertmanager.example.com:9093",
  "alerts": [
    {
      "status": "resolved",
      "labels": {"alertname": "HighLatency", "instance": "api-1:8080"},
      "annotations": {},
      "startsAt": "2024-05-01T10:00:00.123Z",
      "endsAt": "2024-05-01T10:30:00+02:00",
      "generatorURL": "",
      "fingerprint": "c0ffee0000000001"
    }
  ]
}`

func decodeAM(t *testing.T, body string) alert.Alert {
	t.Helper()
	got, err := DecodeAlertmanager([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("got %d alerts, want 1", len(got))
	}
	return got[0]
}

func TestDecodeAlertmanagerFiring(t *testing.T) {
	a := decodeAM(t, amFiring)
	groupLabels := map[string]string{"alertname": "HighLatency", "service": "api"}
	want := alert.Alert{
		Source:       alert.Alertmanager,
		Fingerprint:  loop.AlertmanagerFingerprint("fixproof", groupLabels),
		Action:       alert.Fired,
		Receiver:     "fixproof",
		Title:        "HighLatency: API p99 latency above 2s",
		Level:        "page",
		FirstSeen:    ts("2024-05-01T09:59:00Z"),
		Count:        2,
		Status:       "firing",
		GroupLabels:  groupLabels,
		CommonLabels: map[string]string{"alertname": "HighLatency", "service": "api", "severity": "page"},
		Annotations:  map[string]string{"summary": "API p99 latency above 2s", "description": "p99 is 3.1s"},
		ExternalURL:  "http://alertmanager.example.com:9093",
		Alerts: []alert.Instance{
			{
				Status:       "firing",
				Labels:       map[string]string{"alertname": "HighLatency", "service": "api", "severity": "page", "instance": "api-1:8080"},
				Annotations:  map[string]string{"summary": "API p99 latency above 2s"},
				StartsAt:     ts("2024-05-01T10:00:00.123Z"),
				GeneratorURL: "http://prometheus.example.com:9090/graph?g0.expr=x",
				Fingerprint:  "c0ffee0000000001",
			},
			{
				Status:       "firing",
				Labels:       map[string]string{"alertname": "HighLatency", "service": "api", "severity": "page", "instance": "api-2:8080"},
				Annotations:  map[string]string{},
				StartsAt:     ts("2024-05-01T09:59:00Z"),
				GeneratorURL: "http://prometheus.example.com:9090/graph?g0.expr=x",
				Fingerprint:  "c0ffee0000000002",
			},
		},
	}
	if !reflect.DeepEqual(a, want) {
		t.Errorf("got  %+v\nwant %+v", a, want)
	}
	if !a.Alerts[0].EndsAt.IsZero() {
		t.Errorf("endsAt 0001-01-01 should be the zero time, got %v", a.Alerts[0].EndsAt)
	}
}

func TestDecodeAlertmanagerResolved(t *testing.T) {
	firing := decodeAM(t, amFiring)
	a := decodeAM(t, amResolved)
	if a.Action != alert.Resolved || a.Status != "resolved" {
		t.Errorf("action %q status %q", a.Action, a.Status)
	}
	// Same receiver and group labels, written in another order: same problem.
	if a.Fingerprint != firing.Fingerprint {
		t.Errorf("fingerprint %q differs from the firing one %q", a.Fingerprint, firing.Fingerprint)
	}
	// Description stands in for the summary; truncated alerts are counted.
	if a.Title != "HighLatency: p99 back to normal" || a.Count != 4 || len(a.Alerts) != 1 {
		t.Errorf("title %q count %d alerts %d", a.Title, a.Count, len(a.Alerts))
	}
	if want := time.Date(2024, 5, 1, 8, 30, 0, 0, time.UTC); !a.Alerts[0].EndsAt.Equal(want) || a.Alerts[0].EndsAt.Location() != time.UTC {
		t.Errorf("endsAt %v", a.Alerts[0].EndsAt)
	}
}

func TestDecodeAlertmanagerReceiversDiffer(t *testing.T) {
	a := decodeAM(t, amFiring)
	b := decodeAM(t, strings.Replace(amFiring, `"receiver": "fixproof"`, `"receiver": "fixproof-staging"`, 1))
	if a.Fingerprint == b.Fingerprint {
		t.Errorf("receivers fixproof and fixproof-staging share fingerprint %q", a.Fingerprint)
	}
	c := decodeAM(t, strings.Replace(amFiring, `"groupLabels": {"alertname": "HighLatency", "service": "api"}`, `"groupLabels": {"alertname": "HighLatency", "service": "web"}`, 1))
	if a.Fingerprint == c.Fingerprint {
		t.Error("different group labels share a fingerprint")
	}
}

func TestDecodeAlertmanagerTitle(t *testing.T) {
	for _, tt := range []struct{ common, annotations, want string }{
		{`{"alertname":"A"}`, `{"summary":"S","description":"D"}`, "A: S"},
		{`{"alertname":"A"}`, `{"description":"D"}`, "A: D"},
		{`{"alertname":"A"}`, `{}`, "A"},
		{`{}`, `{"summary":"S"}`, "S"},
		{`{}`, `{}`, "{}:{}"},
	} {
		body := `{"version":"4","status":"firing","receiver":"r","groupKey":"{}:{}","commonLabels":` + tt.common +
			`,"commonAnnotations":` + tt.annotations + `,"alerts":[]}`
		if a := decodeAM(t, body); a.Title != tt.want {
			t.Errorf("%s %s: title %q, want %q", tt.common, tt.annotations, a.Title, tt.want)
		}
	}
	if a := decodeAM(t, `{"version":"4","status":"firing","receiver":"r"}`); a.Title != "Alertmanager alerts for r" || a.Count != 0 {
		t.Errorf("bare: %+v", a)
	}
}

func TestDecodeAlertmanagerErrors(t *testing.T) {
	for _, tt := range []struct{ name, body, want string }{
		{"version 3", strings.Replace(amFiring, `"version": "4"`, `"version": "3"`, 1), `version: is "3", want "4"`},
		{"no version", `{"status":"firing","receiver":"r"}`, `version: missing`},
		{"numeric version", `{"version":4,"status":"firing","receiver":"r"}`, `version: is a number, want the string "4"`},
		{"bad status", `{"version":"4","status":"pending","receiver":"r"}`, `status: is "pending"`},
		{"no status", `{"version":"4","receiver":"r"}`, `status: missing`},
		{"no receiver", `{"version":"4","status":"firing"}`, `receiver: missing`},
		{"not JSON", `{"version":"4",`, `invalid JSON`},
		{"a list", `[]`, `want a JSON object`},
		{"label not a string", `{"version":"4","status":"firing","receiver":"r","groupLabels":{"a":1}}`, `groupLabels.a: is a number, want a string`},
		{"alerts not a list", `{"version":"4","status":"firing","receiver":"r","alerts":{}}`, `alerts: is an object, want a list`},
		{"alert null", `{"version":"4","status":"firing","receiver":"r","alerts":[null]}`, `alerts[0]: is null`},
		{"bad startsAt", `{"version":"4","status":"firing","receiver":"r","alerts":[{"startsAt":"now"}]}`, `alerts[0].startsAt: is "now"`},
		{"negative truncated", `{"version":"4","status":"firing","receiver":"r","truncatedAlerts":-1}`, `truncatedAlerts: is -1`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeAlertmanager([]byte(tt.body))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want it to contain %q (alerts %+v)", err, tt.want, got)
			}
		})
	}
}

func TestGroupCountAddsTruncatedAlertsWithoutOverflow(t *testing.T) {
	for _, c := range []struct {
		sent      int
		truncated int64
		want      int64
	}{
		{0, 0, 0},
		{2, 3, 5},
		{1, math.MaxInt64 - 1, math.MaxInt64},
		{2, math.MaxInt64 - 1, math.MaxInt64},
		{1, math.MaxInt64, math.MaxInt64},
	} {
		if got := groupCount(c.sent, c.truncated); got != c.want {
			t.Errorf("groupCount(%d, %d) = %d, want %d", c.sent, c.truncated, got, c.want)
		}
	}
}
