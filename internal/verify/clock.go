package verify

import (
	"fmt"
	"time"
)

// From is when a verification's clock starts (verify_from).
type From string

// The clock starts: at the deploy when one is known to the sources (auto),
// always at the deploy (deploy), or at the merge as before deploys were
// read (merge).
const (
	FromAuto   From = "auto"
	FromDeploy From = "deploy"
	FromMerge  From = "merge"
)

// ParseFrom reads verify_from; empty is auto.
func ParseFrom(s string) (From, error) {
	switch f := From(s); f {
	case "":
		return FromAuto, nil
	case FromAuto, FromDeploy, FromMerge:
		return f, nil
	}
	return "", fmt.Errorf("verify_from must be auto, deploy or merge, got %q", s)
}

// BasisAuto picks sessions when the project has session data in the
// windows, else transactions, else events (rate_basis: auto).
const BasisAuto Basis = "auto"

// ParseBasis reads rate_basis; empty is auto.
func ParseBasis(s string) (Basis, error) {
	switch b := Basis(s); b {
	case "":
		return BasisAuto, nil
	case BasisAuto, BasisEvents, BasisSessions, BasisTransactions:
		return b, nil
	}
	return "", fmt.Errorf("rate_basis must be auto, events, sessions or transactions, got %q", s)
}

// Clock is where a verification counts from, as Start decides it.
type Clock struct {
	// Start is the clock start; zero while Wait.
	Start time.Time
	// Deployed: Start is the deploy (else the merge).
	Deployed bool
	// Wait: the fix has not reached the environment yet and the settings
	// say to wait for it.
	Wait bool
	// NoDeploys: auto found no deployment to the environment ever
	// recorded, so it counts from the merge (the evidence says so).
	NoDeploys bool
}

// Start decides the clock start from verify_from, the merge, the deploy
// found (nil when none contains the merge yet) and whether any deployment
// to the environment was ever recorded by a source.
func Start(from From, merged time.Time, deployed *time.Time, known bool) Clock {
	switch {
	case from == FromMerge:
		return Clock{Start: merged}
	case deployed != nil:
		at := *deployed
		if at.Before(merged) {
			// A deploy cannot ship a commit before it exists: clocks
			// disagree; the merge is the later, safer start.
			at = merged
		}
		return Clock{Start: at, Deployed: true}
	case from == FromDeploy || known:
		return Clock{Wait: true}
	}
	return Clock{Start: merged, NoDeploys: true}
}

// SessionsWindow reports whether Sentry counts sessions in windows of w:
// a whole number of hours that divides a day (its sessions endpoint
// refuses any other interval).
func SessionsWindow(w time.Duration) bool {
	return w >= time.Hour && w <= 24*time.Hour && w%time.Hour == 0 && (24*time.Hour)%w == 0
}
