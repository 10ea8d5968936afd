package webhook

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fixproof/fixproof/internal/alert"
	"github.com/fixproof/fixproof/internal/contract"
)

func validAction(a alert.Action) bool {
	switch a {
	case alert.Fired, alert.Resolved, alert.Regressed, alert.Noted:
		return true
	}
	return false
}

func checkAlerts(t *testing.T, got []alert.Alert, err error, prefix string) {
	t.Helper()
	if err != nil {
		if got != nil {
			t.Fatalf("alerts with an error: %v", err)
		}
		return
	}
	for _, a := range got {
		if a.Fingerprint == "" || !strings.HasPrefix(string(a.Fingerprint), prefix) {
			t.Fatalf("fingerprint %q", a.Fingerprint)
		}
		if !validAction(a.Action) {
			t.Fatalf("action %q", a.Action)
		}
	}
}

// FuzzDecodeSentry feeds both Sentry decoders: resource "legacy" means
// DecodeSentryLegacy. Seeds are the vendor examples when present.
func FuzzDecodeSentry(f *testing.F) {
	if dir, ok := contract.Dir(); ok {
		for _, e := range sentryExamples {
			b, err := os.ReadFile(filepath.Join(dir, "sentry", "webhooks", e.file))
			if err != nil {
				continue
			}
			res := e.resource
			if res == "" {
				res = "legacy"
			}
			f.Add(res, b, "acme")
			f.Add(res, b, "")
		}
	}
	f.Add("issue", []byte(`{"action":"unresolved","data":{"issue":{"id":1,"count":"3","web_url":"https://a.sentry.io/issues/1/"}}}`), "")
	f.Add("error", []byte(`{"data":{"error":{"issue_id":"2","tags":[{"key":"a","value":1}],"breadcrumbs":[{"timestamp":"1700000000"}],"exception":[{"type":"E"}]}}}`), "acme")
	f.Add("event_alert", []byte(`{"data":{"event":{"issue_url":"https://s.example.com/api/0/issues/3/","contexts":{"replay":{"replay_id":"ab"}}}}}`), "x")
	f.Add("legacy", []byte(`{"id":"4","event":{"request":{"headers":{"a":"b"},"query_string":[["x","y"]]}}}`), "acme")
	decode := func(resource string, body []byte, org string) (SentryDelivery, error) {
		if resource == "legacy" {
			return DecodeSentryLegacyDelivery(body, org)
		}
		return DecodeSentryDelivery(resource, body, org)
	}
	f.Fuzz(func(t *testing.T, resource string, body []byte, org string) {
		d, err := decode(resource, body, org)
		got := d.Alerts
		if err != nil {
			got = nil
		}
		checkAlerts(t, got, err, "sentry:")
		for _, a := range got {
			if a.Source != alert.Sentry || a.Org == "" || a.IssueID == "" {
				t.Fatalf("source %q org %q issue %q", a.Source, a.Org, a.IssueID)
			}
		}
		if err != nil || len(got) == 0 {
			return
		}
		// Every delivery that reports something is named, the same way
		// each time, and dated only with the field it was dated by.
		if again, _ := decode(resource, body, org); d.Once == "" || again.Once != d.Once {
			t.Fatalf("once %q, then %q", d.Once, again.Once)
		}
		if d.Dated.IsZero() != (d.DatedBy == "") {
			t.Fatalf("dated %s by %q", d.Dated, d.DatedBy)
		}
	})
}

func FuzzDecodeAlertmanager(f *testing.F) {
	f.Add([]byte(amFiring))
	f.Add([]byte(amResolved))
	f.Add([]byte(`{"version":"4","status":"firing","receiver":"r"}`))
	f.Add([]byte(`{"version":"4","status":"resolved","receiver":"r","truncatedAlerts":"9223372036854775807","alerts":[{}]}`))
	f.Add([]byte(`{"version":"3","status":"firing","receiver":"r"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := DecodeAlertmanager(body)
		checkAlerts(t, got, err, "alertmanager:")
		if err == nil && (len(got) != 1 || got[0].Receiver == "" || got[0].Count < int64(len(got[0].Alerts))) {
			t.Fatalf("%+v", got)
		}
	})
}

func FuzzVerifySentry(f *testing.F) {
	body := []byte(`{"action":"created"}`)
	f.Add(body, "secret", sign(body, "secret"))
	f.Add(body, "", sign(body, ""))
	f.Add([]byte{}, "s", "")
	f.Add(body, "secret", strings.ToUpper(sign(body, "secret")))
	f.Add(body, "secret", "zz"+sign(body, "secret")[2:])
	f.Fuzz(func(t *testing.T, body []byte, secret, sig string) {
		want := secret != "" && strings.EqualFold(strings.TrimSpace(sig), sign(body, secret))
		if got := VerifySentry(body, secret, sig); got != want {
			t.Fatalf("VerifySentry(%q, %q, %q) = %v, want %v", body, secret, sig, got, want)
		}
		if secret != "" && !VerifySentry(body, secret, sign(body, secret)) {
			t.Fatal("own signature does not verify")
		}
	})
}
