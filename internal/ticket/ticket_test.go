package ticket

import (
	"strings"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/alert"
	"github.com/fixproof/fixproof/internal/jiramarkup"
	"github.com/fixproof/fixproof/internal/loop"
)

func sentryAlert() *alert.Alert {
	seen := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	frames := []alert.Frame{{File: "vendor/lib.js", Function: "dispatch", Line: 10}}
	for i := 1; i <= 8; i++ {
		frames = append(frames, alert.Frame{File: "app/cart.js", Function: "step" + string(rune('0'+i)), Line: 100 + i, InApp: true})
	}
	return &alert.Alert{
		Source: alert.Sentry, Fingerprint: loop.SentryFingerprint("acme", "101"), Project: "web",
		ExceptionType: "TypeError", ExceptionValue: "Cannot read properties of null (reading 'id')",
		Frames: frames, Culprit: "app/cart.js in step8", Release: "web@1.4.2", Environment: "production",
		FirstSeen: seen, LastSeen: seen.Add(time.Hour), Count: 1234, Users: 56,
		Tags:        []alert.Tag{{Key: "browser", Value: "Chrome 131"}, {Key: "url", Value: "https://shop.example/cart"}},
		Breadcrumbs: []alert.Breadcrumb{{Time: seen, Category: "navigation", Message: "/ -> /cart"}, {Category: "ui.click", Message: "button#pay"}},
		Request:     &alert.Request{Method: "POST", URL: "https://shop.example/api/pay", Headers: []alert.Tag{{Key: "Content-Type", Value: "application/json"}, {Key: "Cookie", Value: "sid=1"}}},
		TraceID:     "4bf92f3577b34da6a3ce929d0e0e4736",
		IssueURL:    "https://acme.sentry.io/issues/101/", EventURL: "https://acme.sentry.io/issues/101/events/abc/",
		ReplayURL: "https://acme.sentry.io/replays/r1/",
	}
}

func TestSummaryNamesProjectTypeAndValue(t *testing.T) {
	if got := Summary(sentryAlert()); got != "[web] TypeError: Cannot read properties of null (reading 'id')" {
		t.Errorf("summary %q", got)
	}
	long := sentryAlert()
	long.ExceptionValue = strings.Repeat("é", 400)
	if got := Summary(long); len([]rune(got)) != 255 || !strings.HasSuffix(got, "…") {
		t.Errorf("long summary has %d characters", len([]rune(got)))
	}
	am := &alert.Alert{Source: alert.Alertmanager, Receiver: "payments", Title: "HighErrorRate: 5xx above 5%"}
	if got := Summary(am); got != "[payments] HighErrorRate: 5xx above 5%" {
		t.Errorf("alertmanager summary %q", got)
	}
}

func TestDescriptionHasWhatAnEngineerNeeds(t *testing.T) {
	text := Description(sentryAlert(), "network").PlainText()
	for _, want := range []string{
		"TypeError: Cannot read properties of null",
		"Where it failed", "app/cart.js:108 step8", // the crash, first
		"4 more frames", "vendor/lib.js:10 dispatch", // the rest, collapsed
		"web@1.4.2", "production", "1234", "56", "Chrome 131", "network",
		"Steps before the error", "navigation: / -> /cart", "ui.click: button#pay",
		"Sentry issue", "Replay",
		"curl -X POST 'https://shop.example/api/pay' -H 'Content-Type: application/json'",
		"trace:4bf92f3577b34da6a3ce929d0e0e4736",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("description lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "Cookie") {
		t.Error("the curl line must not carry cookies or other credentials")
	}
	// The in-app frames come first, newest (the crash) first.
	if strings.Index(text, "step8") > strings.Index(text, "step7") {
		t.Error("the crashing frame must come first")
	}
}

func TestAlertTextCannotInjectMarkup(t *testing.T) {
	a := sentryAlert()
	a.ExceptionValue = "[~accountid:123] {code}x{code} *bold*"
	a.Breadcrumbs = []alert.Breadcrumb{{Message: "h1. heading\n# item [link|javascript:x]"}}
	d := Description(a, "other")
	wiki := d.RenderWiki()
	if strings.Contains(wiki, "[~accountid") || strings.Contains(wiki, " {code}") || strings.Contains(wiki, "\nh1.") {
		t.Errorf("markup survived:\n%s", wiki)
	}
}

func TestLabels(t *testing.T) {
	got := Labels(sentryAlert(), "network")
	want := []string{"fixproof", loop.SentryFingerprint("acme", "101").Label(), "sentry-web", "error-network"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("labels %q, want %q", got, want)
	}
	for _, l := range Labels(&alert.Alert{Fingerprint: "x", Receiver: "team payments"}, "") {
		if strings.ContainsAny(l, " \t") {
			t.Errorf("label %q has a space", l)
		}
	}
}

func TestTemplatesOverrideButProduceOnlyText(t *testing.T) {
	b, err := New("{{.Alert.Project}} broke: {{.Alert.ExceptionType}}", "Class {{.Class}}\n\n{{.Alert.ExceptionValue}}")
	if err != nil {
		t.Fatal(err)
	}
	a := sentryAlert()
	a.ExceptionValue = "*not bold* [~admin]"
	tk, err := b.Build(a, "render")
	if err != nil {
		t.Fatal(err)
	}
	if tk.Summary != "web broke: TypeError" {
		t.Errorf("summary %q", tk.Summary)
	}
	if len(tk.Description.Blocks) != 2 || !strings.Contains(tk.Description.RenderWiki(), `\*not bold\* \[\~admin\]`) {
		t.Errorf("description %q", tk.Description.RenderWiki())
	}
	if _, err := New("{{.Alert.Nope", ""); err == nil {
		t.Error("a broken template must fail at start")
	}
	if _, err := b.Build(&alert.Alert{}, ""); err != nil {
		t.Errorf("empty alert: %v", err)
	}
}

func TestAlertmanagerDescription(t *testing.T) {
	a := &alert.Alert{Source: alert.Alertmanager, Receiver: "payments", Title: "HighErrorRate", Status: "firing",
		GroupLabels: map[string]string{"alertname": "HighErrorRate"}, CommonLabels: map[string]string{"alertname": "HighErrorRate", "team": "pay"},
		Annotations: map[string]string{"description": "5xx rate 7%", "runbook_url": "https://runbooks.example/5xx"},
		Alerts:      []alert.Instance{{Status: "firing", Labels: map[string]string{"alertname": "HighErrorRate", "team": "pay", "instance": "api-1"}, GeneratorURL: "https://prom.example/graph"}},
		ExternalURL: "https://am.example"}
	text := Description(a, "").PlainText()
	for _, want := range []string{"HighErrorRate", "5xx rate 7%", "firing", "instance=api-1", "Runbook", "Alertmanager"} {
		if !strings.Contains(text, want) {
			t.Errorf("lacks %q:\n%s", want, text)
		}
	}
	var _ jiramarkup.Doc = Description(a, "")
}

func TestGuanceIssueTicket(t *testing.T) {
	a := &alert.Alert{Source: alert.Guance, Fingerprint: loop.GuanceFingerprint("wksp_1", "issue_9"), Title: "Checkout errors up",
		Level: "critical", IssueID: "issue_9", Annotations: map[string]string{"description": "5xx on /pay\n[~admin] {code}", "status": "Open"}}
	if got := Summary(a); got != "[guance] Checkout errors up" {
		t.Errorf("summary %q", got)
	}
	d := Description(a, "")
	text := d.PlainText()
	for _, want := range []string{"Checkout errors up", "5xx on /pay", "critical", "issue_9", "Open"} {
		if !strings.Contains(text, want) {
			t.Errorf("lacks %q:\n%s", want, text)
		}
	}
	if w := d.RenderWiki(); strings.Contains(w, "[~admin]") || strings.Contains(w, " {code}") {
		t.Errorf("markup survived: %s", w)
	}
	if !contains(Labels(a, ""), "guance") {
		t.Errorf("labels %v", Labels(a, ""))
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
