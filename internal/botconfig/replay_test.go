package botconfig

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSentryMaxAgeDefaultsToADayAndZeroTurnsItOff(t *testing.T) {
	c, err := Load(write(t, minimal), env())
	if err != nil || c.Sentry.MaxAge.D() != 24*time.Hour {
		t.Fatalf("default sentry.max_age %s (%v), want 24h", c.Sentry.MaxAge.D(), err)
	}
	if c, err := Load(write(t, minimal), env("FIXPROOF_SENTRY_MAX_AGE", "0")); err != nil || c.Sentry.MaxAge != 0 {
		t.Errorf("sentry.max_age 0: %s %v", c.Sentry.MaxAge.D(), err)
	}
	if c, err := Load(write(t, minimal+"  max_age: 7d\n"), env()); err != nil || c.Sentry.MaxAge.D() != 7*24*time.Hour {
		t.Errorf("sentry.max_age 7d: %s %v", c.Sentry.MaxAge.D(), err)
	}
	_, err = Load(write(t, minimal), env("FIXPROOF_SENTRY_MAX_AGE", "10s"))
	if err == nil || !strings.Contains(err.Error(), "sentry.max_age") {
		t.Errorf("a max_age shorter than clock skew must be refused, naming the key: %v", err)
	}
}

func TestMetricsTokenIsOffByDefaultAndASecret(t *testing.T) {
	c, err := Load(write(t, minimal), env())
	if err != nil || c.Metrics.Token != "" {
		t.Fatalf("metrics.token is on by default: %q %v", c.Metrics.Token, err)
	}
	file := filepath.Join(t.TempDir(), "metrics_token")
	if err := os.WriteFile(file, []byte("m3trics\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err = Load(write(t, minimal), env("FIXPROOF_METRICS_TOKEN_FILE", file, "FIXPROOF_DASHBOARD_TOKEN", "d4sh"))
	if err != nil || c.Metrics.Token != "m3trics" {
		t.Fatalf("metrics.token_file: %q %v", c.Metrics.Token, err)
	}
	if s := c.Secrets(); !slices.Contains(s, "m3trics") || !slices.Contains(s, "d4sh") {
		t.Errorf("Secrets() = %q lacks the metrics or dashboard token: the logs would not be checked for them", s)
	}
}
