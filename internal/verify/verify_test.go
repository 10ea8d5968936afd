package verify

import (
	"strings"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/loop"
)

var (
	hour   = time.Hour
	params = Params{Threshold: 1, Window: time.Hour, Windows: 3, Timeout: 168 * time.Hour}
)

func TestCombine(t *testing.T) {
	tests := []struct {
		in   []loop.State
		want loop.State
	}{
		{[]loop.State{loop.StateVerified, loop.StateVerified}, loop.StateVerified},
		{[]loop.State{loop.StateVerified, loop.StateWatching}, loop.StateWatching},
		{[]loop.State{loop.StateWatching, loop.StateUnverified, loop.StateVerified}, loop.StateUnverified},
		{nil, loop.StateWatching},
	}
	for _, tt := range tests {
		if got := Combine(tt.in...); got != tt.want {
			t.Errorf("Combine(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestValidateNamesTheInput(t *testing.T) {
	for _, tt := range []struct {
		p    Params
		want string
	}{
		{Params{Threshold: 0, Window: hour, Windows: 3, Timeout: 168 * hour}, "error_rate_threshold"},
		{Params{Threshold: 1, Window: time.Second, Windows: 3, Timeout: 168 * hour}, "verify_window"},
		{Params{Threshold: 1, Window: hour, Windows: 0, Timeout: 168 * hour}, "verify_windows"},
		{Params{Threshold: 1, Window: hour, Windows: 3, Timeout: 2 * hour}, "verify_timeout"},
	} {
		if err := tt.p.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Validate(%+v) = %v, want an error naming %s", tt.p, err, tt.want)
		}
	}
	if err := params.Validate(); err != nil {
		t.Errorf("defaults rejected: %v", err)
	}
}
