package bot

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/botconfig"
	"github.com/fixproof/fixproof/internal/webhook"
)

func TestLogLimiterLetsOneLineAKindThroughPerInterval(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	l := newLogLimiter(time.Minute)
	for i, step := range []struct {
		kind     string
		at       time.Duration // after t0
		ok       bool
		heldBack int
	}{
		{"sentry/unauthorized/missing", 0, true, 0},
		{"sentry/unauthorized/missing", time.Second, false, 0},
		{"sentry/unauthorized/mismatch", 2 * time.Second, true, 0}, // another kind is counted apart
		{"sentry/unauthorized/missing", 59 * time.Second, false, 0},
		{"sentry/unauthorized/missing", 60 * time.Second, true, 2}, // the two held back are told
		{"sentry/unauthorized/missing", 61 * time.Second, false, 0},
		{"sentry/unauthorized/missing", 10 * time.Minute, true, 1},
		{"sentry/unauthorized/missing", 20 * time.Minute, true, 0},
	} {
		ok, held := l.allow(step.kind, t0.Add(step.at))
		if ok != step.ok || held != step.heldBack {
			t.Errorf("step %d (%s at +%s): allow = %v, %d held back; want %v, %d", i, step.kind, step.at, ok, held, step.ok, step.heldBack)
		}
	}
}

func TestCredentialRefusalSaysWhichOfUnsetMissingOrWrong(t *testing.T) {
	c := credential{unset: "U", missing: "M", mismatch: "W"}
	for _, tt := range []struct {
		configured, sent, valid bool
		cause, reason           string
		refused                 bool
	}{
		{false, true, true, "unset", "U", true},
		{false, false, false, "unset", "U", true},
		{true, false, false, "missing", "M", true},
		{true, true, false, "mismatch", "W", true},
		{true, true, true, "", "", false},
	} {
		why, refused := c.with(tt.configured, tt.sent).refusal(func() bool { return tt.valid })
		if refused != tt.refused || why.cause != tt.cause || why.reason != tt.reason {
			t.Errorf("configured %v sent %v valid %v: %+v %v, want %s %q %v", tt.configured, tt.sent, tt.valid, why, refused, tt.cause, tt.reason, tt.refused)
		}
	}
}

// refusalLogs are the "webhook refused" lines of the world's log.
func (w *world) refusalLogs() []map[string]any {
	var out []map[string]any
	for _, line := range strings.Split(w.logs.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == "webhook refused" {
			out = append(out, m)
		}
	}
	return out
}

// A refused webhook is answered with the reason and logged with it: a
// missing signature says it is missing, an unset secret that it is unset,
// a wrong one that it does not match. The log never holds the body or a
// secret.
func TestEveryRefusedWebhookSaysWhyInTheAnswerAndTheLog(t *testing.T) {
	const marker = "BODY-MARKER-jane.doe@example.com"
	body := []byte(`{"marker":"` + marker + `"}`)
	signedJira := "sha256=" + jiraSignature(body, hookSecret)
	json := []string{"Content-Type", "application/json"}
	h := func(kv ...string) []string { return append(append([]string(nil), json...), kv...) }
	for _, tt := range []struct {
		name    string
		cfg     func(*botconfig.Config)
		path    string
		headers []string
		body    []byte
		status  int
		result  string
		reason  string
	}{
		{"sentry unsigned", nil, "/webhooks/sentry", h("Sentry-Hook-Resource", "event_alert"), body, 401, "unauthorized",
			"Sentry-Hook-Signature is missing: Sentry signs every delivery of an integration with its client secret; is this request from Sentry?"},
		{"sentry wrongly signed", nil, "/webhooks/sentry", h("Sentry-Hook-Resource", "event_alert", "Sentry-Hook-Signature", strings.Repeat("ab", 32)), body, 401, "unauthorized",
			"Sentry-Hook-Signature does not match the body signed with sentry.client_secret"},
		{"sentry without a client secret", func(c *botconfig.Config) { c.Sentry.ClientSecret = "" }, "/webhooks/sentry", h("Sentry-Hook-Resource", "event_alert", "Sentry-Hook-Signature", strings.Repeat("ab", 32)), body, 401, "unauthorized",
			"sentry.client_secret is unset, so every delivery of Sentry's integration is refused: set it to the integration's client secret"},
		{"jira unsigned", nil, "/webhooks/jira", h(), body, 401, "unauthorized",
			"X-Hub-Signature is missing: Jira signs a webhook's deliveries only when the webhook has a secret; give it the one in jira.webhook_secret"},
		{"jira wrongly signed", nil, "/webhooks/jira", h("X-Hub-Signature", "sha256="+strings.Repeat("ab", 32)), body, 401, "unauthorized",
			"X-Hub-Signature does not match the body signed with jira.webhook_secret"},
		{"jira without a webhook secret", func(c *botconfig.Config) { c.Jira.WebhookSecret = "" }, "/webhooks/jira", h("X-Hub-Signature", signedJira), body, 401, "unauthorized",
			"jira.webhook_secret is unset, so every Jira webhook is refused: set it to the secret of Jira's webhook (comment sync)"},
		{"github unsigned", func(c *botconfig.Config) { c.GitHub.WebhookSecret = "gh" }, "/webhooks/github", h("X-GitHub-Event", "pull_request"), body, 401, "unauthorized",
			"X-Hub-Signature-256 is missing: GitHub signs an app's deliveries only when the app has a webhook secret; give it the one in github.webhook_secret"},
		{"github wrongly signed", func(c *botconfig.Config) { c.GitHub.WebhookSecret = "gh" }, "/webhooks/github", h("X-Hub-Signature-256", "sha256="+strings.Repeat("ab", 32)), body, 401, "unauthorized",
			"X-Hub-Signature-256 does not match the body signed with github.webhook_secret"},
		{"github without a webhook secret", nil, "/webhooks/github", h("X-Hub-Signature-256", "sha256="+strings.Repeat("ab", 32)), body, 401, "unauthorized",
			"github.webhook_secret is unset, so every delivery of the GitHub App is refused: set it to the app's webhook secret"},
		{"a GitHub App delivery without its installation", func(c *botconfig.Config) { c.GitHub.WebhookSecret = "gh" }, "/webhooks/github",
			h("X-GitHub-Event", "pull_request", "X-Hub-Signature-256", webhook.HubSignature(body, "gh")), body, 400, "bad_request", "pull_request webhook without installation.id"},
		{"alertmanager without a token", nil, "/webhooks/alertmanager", h(), body, 401, "unauthorized",
			"Authorization is missing: send Authorization: Bearer <alertmanager.token> (webhook_config http_config: authorization: {credentials: <token>})"},
		{"alertmanager with a wrong token", nil, "/webhooks/alertmanager", h("Authorization", "Bearer nope"), body, 401, "unauthorized",
			"Authorization: Bearer <alertmanager.token> does not match alertmanager.token"},
		{"alertmanager unconfigured", func(c *botconfig.Config) { c.Alertmanager.Token = "" }, "/webhooks/alertmanager", h("Authorization", "Bearer "+amToken), body, 401, "unauthorized",
			"alertmanager.token is unset, so every Alertmanager delivery is refused: set it, and send it from the webhook_config (http_config: authorization: {credentials: <token>})"},
		{"legacy without a token", nil, "/webhooks/sentry/legacy", h(), body, 401, "unauthorized",
			"the token query parameter is missing: the legacy WebHooks plugin's URL must end with ?token=<sentry.legacy_token>"},
		{"legacy with a wrong token", nil, "/webhooks/sentry/legacy?token=nope", h(), body, 401, "unauthorized",
			"the token query parameter does not match sentry.legacy_token"},
		{"not JSON", nil, "/webhooks/alertmanager", []string{"Content-Type", "text/plain", "Authorization", "Bearer " + amToken}, body, 415, "unsupported_media_type",
			`Content-Type "text/plain" is not JSON: send the body as application/json`},
		{"too large", func(c *botconfig.Config) { c.MaxBody = 1024 }, "/webhooks/alertmanager", h("Authorization", "Bearer "+amToken), bytes.Repeat(body, 100), 413, "too_large",
			"body over the limit of 1024 bytes (max_body_bytes)"},
		{"not an Alertmanager body", nil, "/webhooks/alertmanager", h("Authorization", "Bearer "+amToken), body, 400, "bad_request", "alertmanager webhook: "},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var opts []worldOption
			if tt.cfg != nil {
				opts = append(opts, withConfig(tt.cfg))
			}
			w := newWorld(t, opts...)
			code, msg := w.send(tt.path, tt.body, tt.headers...)
			if code != tt.status || !strings.HasPrefix(msg, tt.reason) {
				t.Errorf("answer %d %q, want %d %q", code, msg, tt.status, tt.reason)
			}
			logs := w.refusalLogs()
			if len(logs) != 1 {
				t.Fatalf("%d log lines of the refusal, want 1:\n%s", len(logs), w.logs.String())
			}
			l := logs[0]
			if l["level"] != "WARN" || l["status"] != float64(tt.status) || l["result"] != tt.result || l["reason"] != msg ||
				l["path"] != strings.Split(tt.path, "?")[0] || l["held_back"] != float64(0) {
				t.Errorf("log line %v, want status %d, result %s, the reason and the path without its query", l, tt.status, tt.result)
			}
			for _, leak := range []string{marker, "nope", hookSecret, clientSecret, amToken, legacyToken, sentryToken, jiraToken} {
				if strings.Contains(w.logs.String(), leak) {
					t.Errorf("the log holds %q:\n%s", leak, w.logs.String())
				}
			}
		})
	}
}

// A sender with a wrong secret keeps sending: one line a minute per kind
// of refusal, the next saying how many were held back, by the bot's clock.
func TestRefusalsAreLoggedOnceAMinuteWithTheCountHeldBack(t *testing.T) {
	w := newWorld(t)
	send := func(token string) { // "" sends no Authorization
		headers := []string{"Content-Type", "application/json"}
		if token != "" {
			headers = append(headers, "Authorization", "Bearer "+token)
		}
		if code, _ := w.send("/webhooks/alertmanager", alertmanagerBody("firing"), headers...); code != http.StatusUnauthorized {
			t.Fatalf("token %q: %d, want 401", token, code)
		}
	}
	for range 5 {
		send("wrong")
	}
	w.clock.Advance(30 * time.Second)
	send("") // another kind: missing, logged at once
	send("wrong")
	if logs := w.refusalLogs(); len(logs) != 2 {
		t.Fatalf("%d lines within the minute, want one per kind (2):\n%s", len(logs), w.logs.String())
	}
	w.clock.Advance(31 * time.Second)
	send("wrong")
	logs := w.refusalLogs()
	if len(logs) != 3 {
		t.Fatalf("%d lines after the minute, want 3:\n%s", len(logs), w.logs.String())
	}
	if last := logs[2]; last["held_back"] != float64(5) || !strings.Contains(last["reason"].(string), "does not match") {
		t.Errorf("the line after the minute %v, want held_back 5 (4 in the first burst, 1 after)", last)
	}
	if m := metricsText(t, w.urls[0]); !strings.Contains(m, `fixproof_webhooks_total{result="unauthorized",source="alertmanager"} 8`) {
		t.Errorf("the metric counts every refusal:\n%s", grepLines(m, "fixproof_webhooks_total"))
	}
}

func jiraSignature(body []byte, secret string) string {
	return strings.TrimPrefix(webhook.HubSignature(body, secret), "sha256=")
}
