package sweep

import (
	"testing"

	"github.com/fixproof/fixproof/internal/loop"
)

// What a sweep reports for an issue follows from the loop's state: the
// words results_json has always used.
func TestResultNamesWhatTheSweepDid(t *testing.T) {
	tests := []struct {
		o    Outcome
		want string
	}{
		{Outcome{State: loop.StateWatching}, ResultWaiting},
		{Outcome{State: loop.StateVerified}, ResultVerified},
		{Outcome{State: loop.StateUnverified}, ResultUnverified},
		{Outcome{State: loop.StateReopened}, ResultReleased},
		{Outcome{State: loop.StateClosedByHand}, ResultReleased},
		{Outcome{State: loop.StateVerified, Elsewhere: true}, ResultElsewhere},
		{Outcome{State: loop.StateVerified, Failed: true}, ResultError},
		{Outcome{Failed: true}, ResultError},
	}
	for _, tt := range tests {
		if got := tt.o.Result(); got != tt.want {
			t.Errorf("%+v: Result = %q, want %q", tt.o, got, tt.want)
		}
	}
}
