package store

import "testing"

func TestFailureApply(t *testing.T) {
	tests := []struct {
		name               string
		f                  Failure
		counted, threshold int
		bury               bool
	}{
		{"counted, never dead", Failure{}, 1, 0, false},
		{"counted up to max", Failure{MaxAttempts: 5}, 1, 5, true},
		{"uncounted wait", Failure{Uncounted: true, MaxAttempts: 5}, 0, 5, true},
		{"permanent: every job dies now", Failure{Dead: true, MaxAttempts: 5}, 1, 0, true},
	}
	for _, tt := range tests {
		counted, bury, threshold := tt.f.Apply()
		if counted != tt.counted || bury != tt.bury || threshold != tt.threshold {
			t.Errorf("%s: Apply = %d, %v, %d; want %d, %v, %d", tt.name, counted, bury, threshold, tt.counted, tt.bury, tt.threshold)
		}
	}
}
