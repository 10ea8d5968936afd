package demo

import (
	"bytes"
	"strings"
	"testing"
)

// TestTheWholeLoop runs the demo and checks the simulators' state, not the
// narration: one Jira issue per error however many alerts, the fixed error
// verified and closed, the unfixed one unverified, the regression reopened.
func TestTheWholeLoop(t *testing.T) {
	var out, logs bytes.Buffer
	res, err := Run(t.Context(), Options{Out: &out, Dir: t.TempDir(), Storm: 120, Logs: &logs})
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if res.JiraIssues != 3 {
		t.Errorf("%d Jira issues, want 3 (one per error)\n%s", res.JiraIssues, out.String())
	}
	crash, leak, slow := res.Loops[0], res.Loops[1], res.Loops[2]
	if slow.Source != "Guance" || slow.Key == "" || slow.Key == crash.Key || slow.Key == leak.Key || slow.JiraStatus != "Open" {
		t.Errorf("Guance loop: %+v", slow)
	}
	if crash.Alerts != 140 || leak.Alerts != 40 {
		t.Errorf("alerts accepted: %d and %d, want 140 and 40", crash.Alerts, leak.Alerts)
	}
	if crash.Key == leak.Key || crash.Key == "" || leak.Key == "" {
		t.Errorf("keys %q and %q", crash.Key, leak.Key)
	}
	if !strings.HasPrefix(crash.Verdict, "verified, then regressed") || crash.SentryState != "unresolved" {
		t.Errorf("first error: %+v", crash)
	}
	if !strings.HasPrefix(leak.Verdict, "unverified") || leak.SentryState != "unresolved" || leak.JiraStatus != "Done" {
		t.Errorf("second error: %+v", leak)
	}
	for _, want := range []string{"moved it to In Review", "labelled", "is Closed (Sentry resolved)", "Verified in production", "reopened"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("narration lacks %q:\n%s", want, out.String())
		}
	}
	for _, secret := range []string{jiraToken, sentryToken, clientSecret, githubToken} {
		if strings.Contains(out.String(), secret) || strings.Contains(logs.String(), secret) {
			t.Errorf("secret %q printed", secret)
		}
	}
	t.Log("\n" + out.String())
}
