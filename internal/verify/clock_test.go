package verify

import (
	"testing"
	"time"
)

func TestStartCountsFromTheDeployWhenThereIsOne(t *testing.T) {
	merged := time.Date(2026, 11, 20, 10, 20, 0, 0, time.UTC)
	deployed := time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC)
	early := merged.Add(-time.Minute)
	for _, tt := range []struct {
		name     string
		from     From
		deployed *time.Time
		known    bool
		want     Clock
	}{
		{"merge ignores the deploy", FromMerge, &deployed, true, Clock{Start: merged}},
		{"auto with a deploy counts from it", FromAuto, &deployed, true, Clock{Start: deployed, Deployed: true}},
		{"deploy with a deploy counts from it", FromDeploy, &deployed, true, Clock{Start: deployed, Deployed: true}},
		{"auto waits when the environment has deployments but none with the fix", FromAuto, nil, true, Clock{Wait: true}},
		{"deploy waits even when no deployment was ever recorded", FromDeploy, nil, false, Clock{Wait: true}},
		{"auto without any deployment recorded counts from the merge and says so", FromAuto, nil, false, Clock{Start: merged, NoDeploys: true}},
		{"a deploy stamped before the merge counts from the merge", FromAuto, &early, true, Clock{Start: merged, Deployed: true}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := Start(tt.from, merged, tt.deployed, tt.known); got != tt.want {
				t.Errorf("Start = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseFromAndBasisNameTheInput(t *testing.T) {
	if f, err := ParseFrom(""); f != FromAuto || err != nil {
		t.Errorf("ParseFrom(\"\") = %q, %v", f, err)
	}
	if _, err := ParseFrom("release"); err == nil || err.Error() != `verify_from must be auto, deploy or merge, got "release"` {
		t.Errorf("ParseFrom(release) = %v", err)
	}
	if b, err := ParseBasis("sessions"); b != BasisSessions || err != nil {
		t.Errorf("ParseBasis(sessions) = %q, %v", b, err)
	}
	if _, err := ParseBasis("users"); err == nil {
		t.Error("ParseBasis(users) accepted")
	}
}

func TestSessionsWindowIsAWholeNumberOfHoursDividingADay(t *testing.T) {
	for w, want := range map[time.Duration]bool{
		time.Hour: true, 2 * time.Hour: true, 3 * time.Hour: true, 8 * time.Hour: true, 24 * time.Hour: true,
		30 * time.Minute: false, 5 * time.Hour: false, 90 * time.Minute: false, 48 * time.Hour: false, 0: false,
	} {
		if got := SessionsWindow(w); got != want {
			t.Errorf("SessionsWindow(%s) = %v, want %v", w, got, want)
		}
	}
}
