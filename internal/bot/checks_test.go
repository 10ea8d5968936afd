package bot

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/preflight"
)

// withChecks gives the bot the checks it runs at start.
func withChecks(f func(ctx context.Context) []preflight.Result) worldOption {
	return func(w *world) { w.checks = f }
}

// waitForMetric polls the metrics until they contain want.
func (w *world) waitForMetric(t *testing.T, want string) string {
	t.Helper()
	var m string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if _, m = getMetrics(t, w.urls[0], ""); strings.Contains(m, want) {
			return m
		}
	}
	t.Fatalf("the metrics never showed %s:\n%s", want, grepLines(m, "fixproof_service_up"))
	return m
}

// The bot runs its checks once at start: each failure and warning is a
// warning in the log, each service's result a value of
// fixproof_service_up, and the bot takes webhooks whatever they say.
func TestChecksAtStartAreLoggedAndShownPerService(t *testing.T) {
	var calls atomic.Int32
	w := newWorld(t, withChecks(func(context.Context) []preflight.Result {
		calls.Add(1)
		return []preflight.Result{
			{Service: "jira", Status: preflight.OK, Msg: "accepts the credentials"},
			{Service: "jira", Status: preflight.Fail, Msg: "project OPZ (jira.project) does not exist"},
			{Service: "sentry", Status: preflight.Warn, Msg: "sentry.installation not confirmed"},
			{Service: "guance", Status: preflight.Skip, Msg: "no guance.api_key"},
			{Service: "webhooks", Status: preflight.Warn, Msg: "jira.webhook_secret is unset"},
		}
	}))
	m := w.waitForMetric(t, `fixproof_service_up{service="sentry"}`)
	for _, want := range []string{`fixproof_service_up{service="jira"} 0`, `fixproof_service_up{service="sentry"} 1`} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s:\n%s", want, grepLines(m, "fixproof_service_up"))
		}
	}
	if strings.Contains(m, `fixproof_service_up{service="guance"}`) || strings.Contains(m, `service="webhooks"`) {
		t.Errorf("a service not contacted is shown:\n%s", grepLines(m, "fixproof_service_up"))
	}
	logs := w.logs.String()
	for _, want := range []string{
		`"level":"WARN","msg":"service check failed","bot":"bot-1","service":"jira","problem":"project OPZ (jira.project) does not exist"`,
		`"level":"WARN","msg":"service check warns","bot":"bot-1","service":"sentry","problem":"sentry.installation not confirmed"`,
		`"level":"WARN","msg":"service check warns","bot":"bot-1","service":"webhooks","problem":"jira.webhook_secret is unset"`,
		`"level":"INFO","msg":"service check passed","bot":"bot-1","service":"jira","found":"accepts the credentials"`,
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("the log lacks\n%s", want)
		}
	}
	if code := w.alertmanager(alertmanagerBody("firing")); code != http.StatusAccepted {
		t.Errorf("a webhook after failed checks: %d, want 202", code)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("the checks ran %d times, want once", n)
	}
}
