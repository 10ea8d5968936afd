package bot

import (
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/fixproof/fixproof/internal/alert"
	"github.com/fixproof/fixproof/internal/botconfig"
)

// State is what the bot remembers per fingerprint, kept by the store as
// JSON next to the Jira key.
type State struct {
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	// Deliveries counts webhooks received; Events is the source's own
	// event count (Sentry's), which can be far higher.
	Deliveries int64 `json:"deliveries"`
	Events     int64 `json:"events"`
	Users      int64 `json:"users"`
	Suppressed int64 `json:"suppressed"`
	// Pushed is when the counters were last written to Jira, Pending that
	// they changed since.
	Pushed  time.Time `json:"pushed"`
	Pending bool      `json:"pending"`
	// Level is the escalation level reached (0 = none).
	Level int `json:"level"`
	// Minutes counts deliveries per minute over the escalation window,
	// keyed by the minute's Unix time.
	Minutes map[int64]int64 `json:"minutes,omitempty"`
	// CreatingSince is set just before an issue is created and cleared
	// once its key is saved: if a worker died in between, the next one
	// looks the fingerprint up in Jira before creating again.
	CreatingSince time.Time `json:"creating_since"`
	// Closed is when the bot last saw the issue done (for mute_after_close).
	Closed time.Time `json:"closed"`
	// Previous are the keys of earlier issues of this fingerprint, most
	// recent last (a new issue is created when reopening is not allowed).
	Previous []string `json:"previous,omitempty"`
	// Linked is true once the Sentry issue links back to the Jira issue.
	Linked bool `json:"linked"`
	// GuanceUpdate is the last Guance updateAt counted.
	GuanceUpdate time.Time `json:"guance_update"`
	// CreateError is how the create of CreatingSince failed when Jira may
	// still have acted on it (a timeout, a lost answer, a 502 or 504).
	CreateError string `json:"create_error,omitempty"`
	// Outages counts the uncounted waits in a row while Jira was down, for
	// their backoff.
	Outages int `json:"outages,omitempty"`
	// Source is the alert source ("sentry", "alertmanager", "guance").
	Source string `json:"source,omitempty"`
	// Status is the source's last word on the problem: for Alertmanager
	// "firing" or "resolved".
	Status string `json:"status,omitempty"`
	// Firing lists an Alertmanager group's alerts firing at the last
	// notification, one line each (their own labels and summary), so the
	// counters comment shows the group as it is now.
	Firing []string `json:"firing,omitempty"`
	// Applied is the job of the newest delivery whose word (firing,
	// resolved, the alerts listed) the issue shows: an older delivery
	// processed later is counted but changes nothing.
	Applied int64 `json:"applied,omitempty"`
}

// durable is base (the state before this batch) with the facts this
// batch established in Jira carried over from st: an issue being or having
// been created, earlier issues, the back link, closing, the escalation
// level and the last push. The batch's observations (counters) are not
// carried: a batch that fails is retried whole, and counting its
// deliveries now would count them twice.
func durable(base, st State) State {
	out := base
	out.CreatingSince, out.CreateError, out.Previous, out.Linked = st.CreatingSince, st.CreateError, st.Previous, st.Linked
	out.Closed, out.Level, out.Pushed = st.Closed, st.Level, st.Pushed
	return out
}

// describe keeps what the counters comment says of the problem as its
// source last reported it.
func (s *State) describe(a *alert.Alert) {
	s.Source = a.Source
	if a.Source != alert.Alertmanager {
		return
	}
	s.Status = a.Status
	s.Firing = firingLines(a)
}

// maxFiringLines caps the alerts listed in the counters comment; the
// count says how many more there are.
const maxFiringLines = 50

// firingLines describes the firing alerts of an Alertmanager group: the
// labels each has beyond the group's common ones, and its summary.
func firingLines(a *alert.Alert) []string {
	var out []string
	for _, in := range a.Alerts {
		if in.Status != "" && in.Status != "firing" {
			continue
		}
		var kv []string
		for _, k := range slices.Sorted(maps.Keys(in.Labels)) {
			if _, common := a.CommonLabels[k]; !common {
				kv = append(kv, k+"="+in.Labels[k])
			}
		}
		line := strings.Join(kv, " ")
		if sum := in.Annotations["summary"]; sum != "" {
			if line != "" {
				line += ": "
			}
			line += sum
		}
		if line == "" {
			line = "(no labels beyond the group's)"
		}
		out = append(out, line)
	}
	return out
}

// observe counts one alert into the state.
func (s *State) observe(a *alert.Alert, now time.Time) {
	s.Deliveries++
	if s.FirstSeen.IsZero() {
		s.FirstSeen = firstNonZero(a.FirstSeen, now)
	}
	seen := firstNonZero(a.LastSeen, now)
	if seen.After(s.LastSeen) {
		s.LastSeen = seen
	}
	s.Events = max(s.Events, a.Count, s.Deliveries)
	s.Users = max(s.Users, a.Users)
	if s.Minutes == nil {
		s.Minutes = map[int64]int64{}
	}
	s.Minutes[now.Truncate(time.Minute).Unix()]++
	s.Pending = true
}

// rate is the number of deliveries in the window ending at now; older
// minutes are forgotten.
func (s *State) rate(window time.Duration, now time.Time) int64 {
	var n int64
	from := now.Add(-window).Truncate(time.Minute).Unix()
	for m, c := range s.Minutes {
		if m < from {
			delete(s.Minutes, m)
			continue
		}
		n += c
	}
	return n
}

func firstNonZero(ts ...time.Time) time.Time {
	for _, t := range ts {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}

// route picks the first route whose match holds.
func route(routes []botconfig.Route, a *alert.Alert) *botconfig.Route {
	for i := range routes {
		if matches(routes[i].Match, a) {
			return &routes[i]
		}
	}
	return nil
}

func matches(m botconfig.Match, a *alert.Alert) bool {
	if m.Source != "" && m.Source != a.Source {
		return false
	}
	if m.SentryProject != "" && !strings.EqualFold(m.SentryProject, a.Project) {
		return false
	}
	if m.Receiver != "" && m.Receiver != a.Receiver {
		return false
	}
	for k, v := range m.Labels {
		if value(a, k) != v {
			return false
		}
	}
	return true
}

// value is an alert's label (Alertmanager) or tag (Sentry) by name.
func value(a *alert.Alert, key string) string {
	if v, ok := a.CommonLabels[key]; ok {
		return v
	}
	if v, ok := a.GroupLabels[key]; ok {
		return v
	}
	return a.Tag(key)
}

// silenced says whether a silence in force at now matches the alert.
func silenced(silences []botconfig.Silence, a *alert.Alert, now time.Time) bool {
	for _, s := range silences {
		if !now.Before(s.Until) {
			continue
		}
		all := true
		for k, v := range s.Matchers {
			if value(a, k) != v {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

// muted says whether the issue was closed less than muteFor ago: alerts
// then are counted, not acted on (the fix may still be rolling out).
func muted(s State, muteFor time.Duration, now time.Time) bool {
	return muteFor > 0 && !s.Closed.IsZero() && now.Sub(s.Closed) < muteFor
}

// level is how many thresholds the rate has crossed.
func level(thresholds []int, rate int64) int {
	n := 0
	for _, th := range thresholds {
		if rate >= int64(th) {
			n++
		}
	}
	return n
}

// Reopen decisions.
type reopenVerdict int

const (
	stayOpen reopenVerdict = iota // the issue is not done: just update it
	reopen                        // done recently, not won't-fix: reopen it
	replace                       // done long ago or won't-fix: a new issue, linked
)

// decideReopen applies the reopen policy to an issue in Jira.
func decideReopen(category, resolution string, resolved, now time.Time, window time.Duration, wontFix []string) reopenVerdict {
	if !strings.EqualFold(category, "done") {
		return stayOpen
	}
	if slices.ContainsFunc(wontFix, func(w string) bool { return strings.EqualFold(w, resolution) }) {
		return replace
	}
	if resolved.IsZero() || now.Sub(resolved) < window {
		return reopen
	}
	return replace
}

// pushDue says whether the coalesced counters should be written now, and
// if not, when.
func pushDue(s State, every time.Duration, now time.Time) (bool, time.Time) {
	if !s.Pending {
		return false, time.Time{}
	}
	next := s.Pushed.Add(every)
	if s.Pushed.IsZero() || !now.Before(next) {
		return true, time.Time{}
	}
	return false, next
}
