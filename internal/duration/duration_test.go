package duration

import (
	"testing"
	"time"
)

func TestParseReadsGoDurationsAndWholeDays(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"90s", 90 * time.Second, true},
		{"1h30m", 90 * time.Minute, true},
		{"7d", 7 * 24 * time.Hour, true},
		{" 2d\n", 48 * time.Hour, true},
		{"+1d", 24 * time.Hour, true},
		// Zero is a duration: settings use it for "off"; callers that
		// need more than zero say so themselves.
		{"0", 0, true},
		{"0s", 0, true},
		{"0d", 0, true},
		{"106751d", 106751 * 24 * time.Hour, true},
		// More days than a time.Duration holds must not wrap around.
		{"106752d", 0, false},
		{"9223372036854775807d", 0, false},
		{"-1d", 0, false},
		{"-5m", 0, false},
		{"1.5d", 0, false},
		{"d", 0, false},
		{"", 0, false},
		{"soon", 0, false},
		{"an hour", 0, false},
	} {
		got, ok := Parse(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Parse(%q) = %s, %v; want %s, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
