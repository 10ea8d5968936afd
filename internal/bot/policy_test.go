package bot

import (
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/alert"
	"github.com/fixproof/fixproof/internal/botconfig"
)

var t0 = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

func TestObserveCountsAndCoalesces(t *testing.T) {
	var s State
	for i := 0; i < 5; i++ {
		s.observe(&alert.Alert{Count: int64(100 + i), Users: 3, LastSeen: t0.Add(time.Duration(i) * time.Second)}, t0.Add(time.Duration(i)*time.Second))
	}
	if s.Deliveries != 5 || s.Events != 104 || s.Users != 3 || !s.Pending || !s.FirstSeen.Equal(t0) || !s.LastSeen.Equal(t0.Add(4*time.Second)) {
		t.Errorf("state %+v", s)
	}
	// Events never fall below what was delivered, and never go back.
	s.observe(&alert.Alert{Count: 1}, t0.Add(time.Minute))
	if s.Events != 104 {
		t.Errorf("events went back to %d", s.Events)
	}
}

func TestRateForgetsOldMinutes(t *testing.T) {
	var s State
	for m := 0; m < 30; m++ {
		for i := 0; i < 10; i++ {
			s.observe(&alert.Alert{}, t0.Add(time.Duration(m)*time.Minute))
		}
	}
	now := t0.Add(29 * time.Minute)
	if got := s.rate(10*time.Minute, now); got != 110 { // minutes 19..29
		t.Errorf("rate %d, want 110", got)
	}
	if len(s.Minutes) != 11 {
		t.Errorf("%d minutes kept, want 11", len(s.Minutes))
	}
}

func TestLevel(t *testing.T) {
	th := []int{100, 1000, 10000}
	for rate, want := range map[int64]int{0: 0, 99: 0, 100: 1, 999: 1, 1000: 2, 50000: 3} {
		if got := level(th, rate); got != want {
			t.Errorf("level(%d) = %d, want %d", rate, got, want)
		}
	}
}

func TestDecideReopen(t *testing.T) {
	week := 168 * time.Hour
	wont := []string{"Won't Do", "Duplicate"}
	tests := []struct {
		name       string
		category   string
		resolution string
		resolved   time.Time
		want       reopenVerdict
	}{
		{"still open", "indeterminate", "", time.Time{}, stayOpen},
		{"done yesterday", "done", "Done", t0.Add(-24 * time.Hour), reopen},
		{"done long ago", "done", "Done", t0.Add(-30 * 24 * time.Hour), replace},
		{"won't do", "done", "won't do", t0.Add(-time.Hour), replace},
		{"done without a resolution date", "done", "", time.Time{}, reopen},
	}
	for _, tt := range tests {
		if got := decideReopen(tt.category, tt.resolution, tt.resolved, t0, week, wont); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestSilencesAndMute(t *testing.T) {
	a := &alert.Alert{Source: alert.Alertmanager, CommonLabels: map[string]string{"alertname": "Watchdog", "env": "staging"}}
	sil := []botconfig.Silence{{Matchers: map[string]string{"alertname": "Watchdog"}, Until: t0.Add(time.Hour)}}
	if !silenced(sil, a, t0) {
		t.Error("matching silence in force")
	}
	if silenced(sil, a, t0.Add(time.Hour)) {
		t.Error("an expired silence silences nothing")
	}
	if silenced([]botconfig.Silence{{Matchers: map[string]string{"alertname": "Watchdog", "env": "prod"}, Until: t0.Add(time.Hour)}}, a, t0) {
		t.Error("every matcher must match")
	}
	sentry := &alert.Alert{Source: alert.Sentry, Tags: []alert.Tag{{Key: "env", Value: "staging"}}}
	if !silenced([]botconfig.Silence{{Matchers: map[string]string{"env": "staging"}, Until: t0.Add(time.Hour)}}, sentry, t0) {
		t.Error("silences match Sentry tags too")
	}
	s := State{Closed: t0}
	if !muted(s, time.Hour, t0.Add(30*time.Minute)) || muted(s, time.Hour, t0.Add(2*time.Hour)) || muted(s, 0, t0) {
		t.Error("mute_after_close")
	}
}

func TestRoutesFirstMatchWins(t *testing.T) {
	routes := []botconfig.Route{
		{Match: botconfig.Match{Source: "sentry", SentryProject: "web"}, Project: "WEB"},
		{Match: botconfig.Match{Source: "alertmanager", Labels: map[string]string{"team": "pay"}}, Project: "PAY"},
		{Match: botconfig.Match{Source: "sentry"}, Project: "OPS"},
	}
	for _, tt := range []struct {
		a    *alert.Alert
		want string
	}{
		{&alert.Alert{Source: alert.Sentry, Project: "web"}, "WEB"},
		{&alert.Alert{Source: alert.Sentry, Project: "api"}, "OPS"},
		{&alert.Alert{Source: alert.Alertmanager, CommonLabels: map[string]string{"team": "pay"}}, "PAY"},
		{&alert.Alert{Source: alert.Alertmanager}, ""},
	} {
		got := ""
		if r := route(routes, tt.a); r != nil {
			got = r.Project
		}
		if got != tt.want {
			t.Errorf("%+v routed to %q, want %q", tt.a, got, tt.want)
		}
	}
}

func TestPushDue(t *testing.T) {
	every := time.Minute
	if due, _ := pushDue(State{}, every, t0); due {
		t.Error("nothing pending")
	}
	if due, _ := pushDue(State{Pending: true}, every, t0); !due {
		t.Error("never pushed: push now")
	}
	due, at := pushDue(State{Pending: true, Pushed: t0}, every, t0.Add(20*time.Second))
	if due || !at.Equal(t0.Add(time.Minute)) {
		t.Errorf("pushed 20s ago: due %v at %s, want at %s", due, at, t0.Add(time.Minute))
	}
	if due, _ := pushDue(State{Pending: true, Pushed: t0}, every, t0.Add(time.Minute)); !due {
		t.Error("a minute later: due")
	}
}
