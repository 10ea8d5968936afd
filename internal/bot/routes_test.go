package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/fixproof/fixproof/internal/botconfig"
)

// send posts body to the bot with the headers given (none added) and
// returns the status and the error message of the answer, if any.
func (w *world) send(path string, body []byte, headers ...string) (int, string) {
	w.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, w.urls[0]+path, bytes.NewReader(body))
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer res.Body.Close()
	var e map[string]string
	_ = json.NewDecoder(res.Body).Decode(&e)
	return res.StatusCode, e["error"]
}

// Every sender the bot serves sends JSON and says so; a body declared as
// anything else is refused before it is read, with the type to send.
func TestWebhooksRefuseBodiesThatAreNotDeclaredJSON(t *testing.T) {
	w := newWorld(t)
	am := alertmanagerBody("firing")
	for _, tt := range []struct {
		name, path string
		auth       []string
	}{
		{"alertmanager", "/webhooks/alertmanager", []string{"Authorization", "Bearer " + amToken}},
		{"sentry", "/webhooks/sentry", []string{"Sentry-Hook-Resource", "event_alert"}},
		{"sentry legacy", "/webhooks/sentry/legacy?token=" + legacyToken, nil},
		{"jira", "/webhooks/jira", nil},
	} {
		for _, ct := range []string{"", "text/plain", "application/x-www-form-urlencoded", "application/json; charset=utf-16"} {
			headers := append([]string{"Content-Type", ct}, tt.auth...)
			code, msg := w.send(tt.path, am, headers...)
			if code != http.StatusUnsupportedMediaType || !strings.Contains(msg, "application/json") {
				t.Errorf("%s with Content-Type %q: %d %q, want 415 naming application/json", tt.name, ct, code, msg)
			}
		}
	}
	if s, _ := w.store.Stats(context.Background(), w.clock.Now()); s.Ready+s.Delayed != 0 {
		t.Errorf("refused deliveries were stored: %+v", s)
	}
	if code, _ := w.send("/webhooks/alertmanager", am, "Content-Type", "application/json; charset=utf-8", "Authorization", "Bearer "+amToken); code != http.StatusAccepted {
		t.Errorf("JSON with a charset: %d, want 202", code)
	}
}

// RFC 7235: the auth scheme is case-insensitive.
func TestAlertmanagerBearerSchemeIsCaseInsensitive(t *testing.T) {
	w := newWorld(t)
	for _, scheme := range []string{"Bearer", "bearer", "BEARER"} {
		if code, msg := w.send("/webhooks/alertmanager", alertmanagerBody("firing"), "Content-Type", "application/json",
			"Authorization", scheme+" "+amToken); code != http.StatusAccepted {
			t.Errorf("%s: %d %s", scheme, code, msg)
		}
	}
	if code, _ := w.send("/webhooks/alertmanager", alertmanagerBody("firing"), "Content-Type", "application/json",
		"Authorization", "Basic "+amToken); code != http.StatusUnauthorized {
		t.Errorf("another scheme with the token: %d, want 401", code)
	}
}

func getMetrics(t *testing.T, url, authorization string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url+"/metrics", nil)
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func TestMetricsAreOpenWithoutATokenAndClosedWithOne(t *testing.T) {
	open := newWorld(t)
	if code, body := getMetrics(t, open.urls[0], ""); code != http.StatusOK || !strings.Contains(body, "fixproof_queue_ready") {
		t.Errorf("without metrics.token: %d, want 200 with the metrics", code)
	}
	w := newWorld(t, withConfig(func(c *botconfig.Config) { c.Metrics.Token = "m3trics" }))
	for _, tt := range []struct {
		authorization string
		want          int
	}{
		{"", http.StatusUnauthorized},
		{"Bearer wrong", http.StatusUnauthorized},
		{"Basic m3trics", http.StatusUnauthorized},
		{"Bearer m3trics", http.StatusOK},
		{"bearer m3trics", http.StatusOK},
	} {
		code, body := getMetrics(t, w.urls[0], tt.authorization)
		if code != tt.want {
			t.Errorf("Authorization %q: %d, want %d", tt.authorization, code, tt.want)
		}
		if code == http.StatusUnauthorized && (strings.Contains(body, "fixproof_") || !strings.Contains(body, "metrics.token")) {
			t.Errorf("a refused scrape: %s", body)
		}
	}
}
