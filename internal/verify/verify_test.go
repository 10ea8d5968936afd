package verify

import (
	"strings"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/loop"
)

var (
	hour   = time.Hour
	merged = time.Date(2026, 11, 20, 10, 20, 0, 0, time.UTC) // mid-window on purpose
	params = Params{Threshold: 1, Window: time.Hour, Windows: 3, Timeout: 168 * time.Hour}
)

// buckets makes hourly, epoch-aligned windows from start with the counts.
func buckets(start time.Time, counts ...float64) []Bucket {
	out := make([]Bucket, len(counts))
	for i, c := range counts {
		out[i] = Bucket{Start: start.Add(time.Duration(i) * hour), Count: c}
	}
	return out
}

func TestEvaluate(t *testing.T) {
	from := merged.Truncate(hour).Add(-2 * hour) // 08:00, two windows before the merge's
	tests := []struct {
		name   string
		now    time.Time
		counts []float64
		want   loop.State
		after  int
	}{
		// 08 09 | 10 (merge at 10:20: not whole after the merge) | 11 12 13 ...
		{"quiet after the merge for three whole windows", merged.Add(4 * hour), []float64{50, 40, 30, 0, 0, 0, 0}, loop.StateVerified, 3},
		{"the merge's own window never counts", merged.Add(3*hour + 40*time.Minute), []float64{50, 40, 0, 0, 0, 0}, loop.StateVerified, 3},
		{"two windows are not enough", merged.Add(3 * hour), []float64{50, 40, 30, 0, 0, 0}, loop.StateWatching, 2},
		{"a window still filling does not count", merged.Add(3*hour + 30*time.Minute), []float64{50, 40, 30, 0, 0, 0}, loop.StateWatching, 2},
		{"one noisy window among the last three", merged.Add(5 * hour), []float64{50, 40, 30, 0, 2, 0, 0}, loop.StateWatching, 4},
		{"at the limit is not below it", merged.Add(4 * hour), []float64{50, 40, 30, 0, 1, 0}, loop.StateWatching, 3},
		{"older noise does not matter once the last three are quiet", merged.Add(6 * hour), []float64{50, 40, 30, 9, 9, 0, 0, 0}, loop.StateVerified, 5},
		{"noisy past the timeout", merged.Add(168 * hour), []float64{50, 40, 30, 5, 5, 5}, loop.StateUnverified, 3},
		{"quiet at the timeout still verifies", merged.Add(168 * hour), []float64{50, 40, 30, 0, 0, 0}, loop.StateVerified, 3},
		{"no data yet", merged.Add(time.Minute), nil, loop.StateWatching, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Evaluate(params, merged, tt.now, buckets(from, tt.counts...))
			if r.State != tt.want || len(r.After) != tt.after {
				t.Errorf("state %v with %d windows after the merge (%s), want %v with %d", r.State, len(r.After), r.Reason, tt.want, tt.after)
			}
			if r.State == loop.StateVerified && len(r.Checked) != params.Windows {
				t.Errorf("verified on %d windows", len(r.Checked))
			}
			if r.Reason == "" {
				t.Error("a decision must say why")
			}
		})
	}
}

func TestThresholdScalesWithTheWindow(t *testing.T) {
	p := Params{Threshold: 2, Window: 30 * time.Minute, Windows: 2, Timeout: time.Hour * 24}
	if p.Limit() != 1 {
		t.Fatalf("limit %g, want 1 event per 30 minutes", p.Limit())
	}
	start := merged.Truncate(30 * time.Minute).Add(30 * time.Minute)
	now := start.Add(time.Hour)
	if r := Evaluate(p, merged, now, []Bucket{{start, 0}, {start.Add(30 * time.Minute), 0.5}}); r.State != loop.StateVerified {
		t.Errorf("%v: %s", r.State, r.Reason)
	}
	if r := Evaluate(p, merged, now, []Bucket{{start, 0}, {start.Add(30 * time.Minute), 1}}); r.State != loop.StateWatching {
		t.Errorf("%v: %s", r.State, r.Reason)
	}
}

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
