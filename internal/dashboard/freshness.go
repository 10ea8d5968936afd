package dashboard

import (
	"fmt"
	"math"
	"time"
)

// Freshness is what the page says about the age of its data.
type Freshness struct {
	// Text is the sentence: "Updated 3 s ago." or "Data as of 5 min
	// ago (10:00 UTC). Jira unreachable since 10:02 UTC: ...".
	Text string
	// Stale is set when the last refresh failed, or none has worked yet:
	// the page shows the sentence as a warning.
	Stale bool
}

// Fresh says how old the data read at taken is at now, and since when
// Jira has failed to answer (failing; zero when the last refresh worked)
// with the last error. A zero taken means nothing was ever read.
func Fresh(now, taken, failing time.Time, lastErr string) Freshness {
	switch {
	case taken.IsZero() && failing.IsZero():
		return Freshness{Text: "No data yet: reading Jira for the first time. This page refreshes itself.", Stale: true}
	case taken.IsZero():
		return Freshness{Text: fmt.Sprintf("No data yet: Jira unreachable since %s: %s. This page refreshes itself.", clock(failing), lastErr), Stale: true}
	case failing.IsZero():
		return Freshness{Text: "Updated " + Ago(now.Sub(taken)) + "."}
	}
	return Freshness{Text: fmt.Sprintf("Data as of %s (%s). Jira unreachable since %s: %s.", Ago(now.Sub(taken)), clock(taken), clock(failing), lastErr), Stale: true}
}

func clock(t time.Time) string { return t.UTC().Format("Jan 2 15:04:05 UTC") }

// Ago says how long ago something happened: "0 s ago", "42 s ago", "5 min
// ago", "3 h ago", "2 days ago". A time ahead (another clock) is "0 s
// ago".
func Ago(d time.Duration) string {
	switch {
	case d < 0:
		return "0 s ago"
	case d < 2*time.Minute:
		return fmt.Sprintf("%d s ago", int(d.Seconds()))
	case d < 2*time.Hour:
		return fmt.Sprintf("%d min ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h ago", int(d.Hours()))
	}
	return fmt.Sprintf("%d days ago", int(math.Floor(d.Hours()/24)))
}
