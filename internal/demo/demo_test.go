package demo

import (
	"bytes"
	"fmt"
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
	if res.JiraIssues != 5 {
		t.Errorf("%d Jira issues, want 5 (one per error, and one a person filed)\n%s", res.JiraIssues, out.String())
	}
	// The app act: a fork's pull request, handled by the bot as a GitHub
	// App, with one check run updated in place.
	if a := res.App; a == nil || a.JiraStatus != "Done" || a.CheckRuns != 1 || !strings.HasPrefix(a.Check, "success") {
		t.Errorf("app act: %+v", a)
	}
	crash, leak, slow, rare := res.Loops[0], res.Loops[1], res.Loops[2], res.Loops[3]
	if rare.Key == "" || rare.Alerts != 1 || rare.JiraStatus != "Closed" || !strings.HasPrefix(rare.Verdict, "verified on thin evidence") {
		t.Errorf("rare error: %+v", rare)
	}
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
	// The story's three lessons, in the numbers the sweep computed: the
	// clock starts at the deploy, a rate that falls with traffic is not a
	// fix, and thin evidence is said plainly.
	for _, want := range []string{"moved it to In Review", "labelled", "waiting for its fix to reach production",
		crash.Key + " is Closed (Sentry resolved). Errors fell 100% per 1,000 sessions (95% CI", "since 9f86d08 reached production at Nov 20 14:00 UTC (GitHub deployment #",
		leak.Key + " is Done, unverified (Sentry unresolved). Errors did not fall: 100% of the rate before, per 1,000 sessions",
		rare.Key + " is Closed (Sentry resolved). Too few errors before the fix to prove a cut (3 errors in the", "reopened",
		"from a fork", "No workflow ran: the bot, installed on acme as a GitHub App, moved"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("narration lacks %q:\n%s", want, out.String())
		}
	}
	for _, secret := range []string{jiraToken, sentryToken, clientSecret, githubToken, webhookSecret} {
		if strings.Contains(out.String(), secret) || strings.Contains(logs.String(), secret) {
			t.Errorf("secret %q printed", secret)
		}
	}
	t.Log("\n" + out.String())
}

// Every storm size tells the whole story: with one or two alerts the
// second error still alerts once, so its fix has a Jira issue to name.
func TestEveryStormSizeTellsTheWholeStory(t *testing.T) {
	for _, tt := range []struct {
		storm         int
		first, second string // the narration's lines about the storms
		crashN, leakN int
	}{
		{1, "An error: Sentry sends 1 alert for SHOP-2F", "A second error: 1 alert for SHOP-2G", 21, 1},
		{2, "An error: Sentry sends 2 alerts for SHOP-2F", "A second error: 1 alert for SHOP-2G", 22, 1},
		{3, "The bot stored all 3, and made one Jira issue", "A second error: 1 alert for SHOP-2G", 23, 1},
	} {
		t.Run(fmt.Sprint(tt.storm), func(t *testing.T) {
			var out bytes.Buffer
			res, err := Run(t.Context(), Options{Out: &out, Dir: t.TempDir(), Storm: tt.storm})
			if err != nil {
				t.Fatalf("%v\n%s", err, out.String())
			}
			crash, leak := res.Loops[0], res.Loops[1]
			if res.JiraIssues != 5 || crash.Alerts != tt.crashN || leak.Alerts != tt.leakN {
				t.Errorf("%d Jira issues, %d and %d alerts; want 5 (4 from alerts, 1 a person filed), %d and %d", res.JiraIssues, crash.Alerts, leak.Alerts, tt.crashN, tt.leakN)
			}
			if !strings.HasPrefix(crash.Verdict, "verified, then regressed") || !strings.HasPrefix(leak.Verdict, "unverified") {
				t.Errorf("verdicts %q and %q", crash.Verdict, leak.Verdict)
			}
			for _, want := range []string{tt.first, tt.second, "One Jira issue for it too: " + leak.Key} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("narration lacks %q:\n%s", want, out.String())
				}
			}
		})
	}
}

func TestTheNarrationCountsAlertsInWords(t *testing.T) {
	for _, tt := range []struct {
		n                   int
		second              int
		name, alerts, every string
	}{
		{1, 1, "An error", "1 alert", "it"},
		{2, 1, "An error", "2 alerts", "both"},
		{5, 1, "An error", "5 alerts", "all 5"},
		{10, 3, "An error storm", "10 alerts", "all 10"},
		{300, 100, "An error storm", "300 alerts", "all 300"},
	} {
		if got := secondStorm(tt.n); got != tt.second {
			t.Errorf("secondStorm(%d) = %d, want %d", tt.n, got, tt.second)
		}
		if got := stormName(tt.n); got != tt.name {
			t.Errorf("stormName(%d) = %q, want %q", tt.n, got, tt.name)
		}
		if got := alerts(tt.n); got != tt.alerts {
			t.Errorf("alerts(%d) = %q, want %q", tt.n, got, tt.alerts)
		}
		if got := every(tt.n); got != tt.every {
			t.Errorf("every(%d) = %q, want %q", tt.n, got, tt.every)
		}
	}
}
