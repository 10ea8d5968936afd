package demo

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// fakeTicks is a meter's clock that ticks when the test says.
func fakeTicks(m meter) (meter, chan<- time.Time) {
	ticks := make(chan time.Time)
	m.tick = func(time.Duration) (<-chan time.Time, func()) { return ticks, func() {} }
	return m, ticks
}

// statuses returns each of lines in turn, then the last again.
func statuses(lines ...string) func() string {
	i := 0
	return func() string {
		s := lines[min(i, len(lines)-1)]
		i++
		return s
	}
}

// shown is what a terminal shows of raw: each \r goes back to the start
// of the line, and what follows overwrites what was there.
func shown(raw string) string {
	var lines []string
	for _, l := range strings.Split(raw, "\n") {
		var cur []rune
		for _, seg := range strings.Split(l, "\r") {
			r := []rune(seg)
			if len(r) > len(cur) {
				cur = append(cur, make([]rune, len(r)-len(cur))...)
			}
			copy(cur, r)
		}
		lines = append(lines, strings.TrimRight(string(cur), " "))
	}
	return strings.Join(lines, "\n")
}

func TestInALogTheMeterPrintsALineAtEachTickAndNothingElse(t *testing.T) {
	var out bytes.Buffer
	m, ticks := fakeTicks(newMeter(&out, false))
	if m.every != logEvery {
		t.Errorf("every %s, want %s", m.every, logEvery)
	}
	stop := m.start(statuses("10 of 300 sent", "250 of 300 sent"))
	ticks <- time.Time{}
	ticks <- time.Time{}
	stop()
	if want := "10 of 300 sent\n250 of 300 sent\n"; out.String() != want {
		t.Errorf("printed %q, want %q", out.String(), want)
	}
	// A phase over before the first tick prints nothing.
	out.Reset()
	m.start(statuses("never"))()
	if out.Len() > 0 {
		t.Errorf("a short phase printed %q", out.String())
	}
}

func TestOnATerminalTheMeterRewritesOneLineAndErasesIt(t *testing.T) {
	var out bytes.Buffer
	m, ticks := fakeTicks(newMeter(&out, true))
	if m.every != terminalEvery {
		t.Errorf("every %s, want %s", m.every, terminalEvery)
	}
	stop := m.start(statuses("0 of 30 sent", "30 of 30 sent; 12 waiting", "30 of 30 sent"))
	ticks <- time.Time{}
	ticks <- time.Time{}
	stop()
	// The erase blanks what shows of the last line: its padding is blank.
	want := "\r0 of 30 sent" + "\r30 of 30 sent; 12 waiting" + "\r30 of 30 sent" + strings.Repeat(" ", 12) + "\r" + strings.Repeat(" ", 13) + "\r"
	if out.String() != want {
		t.Errorf("wrote %q, want %q", out.String(), want)
	}
	if s := shown("story\n" + out.String() + "more story\n"); s != "story\nmore story\n" {
		t.Errorf("the terminal shows %q, want the story alone", s)
	}
}

func TestOverwriteBlanksWhatTheLastLineLeaves(t *testing.T) {
	for _, tt := range []struct{ line, before, want string }{
		{"abc", "", "\rabc"},
		{"abcdef", "abc", "\rabcdef"},
		{"ab", "abcd", "\rab  "},
		{"é", "éé", "\ré "}, // widths in characters, not bytes
		{"", "abc", "\r   \r"},
		{"", "", "\r"},
	} {
		if got := overwrite(tt.line, tt.before); got != tt.want {
			t.Errorf("overwrite(%q, %q) = %q, want %q", tt.line, tt.before, got, tt.want)
		}
	}
}

func TestStormProgressSaysWhatIsSentAndWhatTheBotHasLeft(t *testing.T) {
	at := time.Date(2026, 11, 20, 9, 10, 0, 0, time.UTC)
	for _, tt := range []struct {
		sent, total, queued int
		want                string
	}{
		{3023, 20000, 31, "[Nov 20 09:10] 3023 of 20000 alerts sent; 31 waiting at the bot..."},
		{0, 1, 0, "[Nov 20 09:10] 0 of 1 alert sent; 0 waiting at the bot..."},
		{5, 20, -1, "[Nov 20 09:10] 5 of 20 alerts sent..."},
	} {
		if got := stormProgress(at, tt.sent, tt.total, tt.queued); got != tt.want {
			t.Errorf("stormProgress(%d, %d, %d) = %q, want %q", tt.sent, tt.total, tt.queued, got, tt.want)
		}
	}
}

// On a terminal the storms show their progress on the line the narration
// then writes over: what stays on the screen is the story a log gets.
func TestOnATerminalTheStormsShowProgressThatTheNarrationOverwrites(t *testing.T) {
	var tty, log bytes.Buffer
	if _, err := Run(t.Context(), Options{Out: &tty, Dir: t.TempDir(), Storm: 30, Terminal: true}); err != nil {
		t.Fatalf("%v\n%s", err, tty.String())
	}
	for _, want := range []string{"\r[Nov 20 09:00] ", " of 30 alerts sent", "\r[Nov 20 09:10] ", " of 10 alerts sent"} {
		if !strings.Contains(tty.String(), want) {
			t.Errorf("on a terminal the output lacks %q:\n%q", want, tty.String())
		}
	}
	if _, err := Run(t.Context(), Options{Out: &log, Dir: t.TempDir(), Storm: 30}); err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	if strings.Contains(log.String(), "\r") || strings.Contains(log.String(), "alerts sent") {
		t.Errorf("in a log a short storm shows progress:\n%s", log.String())
	}
	if got, want := narration(shown(tty.String())), narration(log.String()); got != want {
		t.Errorf("the terminal shows\n%s\nwant the story a log gets\n%s", got, want)
	}
}

// narration is the narration's lines, without the table and the figures that
// change from run to run.
func narration(out string) string {
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "[") {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}
