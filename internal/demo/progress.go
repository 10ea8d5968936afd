package demo

import (
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// How often a long phase says how far it has got: on a terminal often
// enough to look alive, in a log rarely enough to stay readable.
const (
	terminalEvery = 100 * time.Millisecond
	logEvery      = 3 * time.Second
)

// meter shows how far a long phase has got. On a terminal it keeps one
// line rewritten in place (\r) and erases it at the end, so the narration
// reads as it would without it; elsewhere it prints a line every few
// seconds, so a short phase adds nothing.
type meter struct {
	out      io.Writer
	terminal bool
	every    time.Duration
	// tick starts the meter's ticks and returns how to stop them;
	// time.NewTicker's by default, tests send their own.
	tick func(time.Duration) (<-chan time.Time, func())
}

func newMeter(out io.Writer, terminal bool) meter {
	every := logEvery
	if terminal {
		every = terminalEvery
	}
	return meter{out: out, terminal: terminal, every: every, tick: func(d time.Duration) (<-chan time.Time, func()) {
		t := time.NewTicker(d)
		return t.C, t.Stop
	}}
}

// start shows status() until the returned stop is called; stop returns
// once the meter has written its last.
func (m meter) start(status func() string) (stop func()) {
	ticks, stopTicks := m.tick(m.every)
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		shown := ""
		if m.terminal {
			shown = m.show(status(), shown)
		}
		for {
			select {
			case <-done:
				if m.terminal {
					m.show("", shown)
				}
				return
			case <-ticks:
				shown = m.show(status(), shown)
			}
		}
	}()
	return func() {
		stopTicks()
		close(done)
		<-finished
	}
}

// show writes line, over the one shown before on a terminal, and returns
// what is shown now.
func (m meter) show(line, before string) string {
	if m.terminal {
		io.WriteString(m.out, overwrite(line, before))
		return line
	}
	fmt.Fprintln(m.out, line)
	return ""
}

// overwrite is what puts line in place of before on a terminal: back to
// the start of the line, the new text, and blanks over what is left of
// the old one; an empty line erases it and leaves the cursor at the start.
func overwrite(line, before string) string {
	pad := max(0, utf8.RuneCountInString(before)-utf8.RuneCountInString(line))
	s := "\r" + line + strings.Repeat(" ", pad)
	if line == "" && before != "" {
		s += "\r"
	}
	return s
}

// stormProgress is a storm's progress line: how many of its alerts are
// sent, and how many deliveries the bot has yet to process.
func stormProgress(at time.Time, sent, total, queued int) string {
	line := fmt.Sprintf("[%s] %d of %s sent", at.Format("Jan 2 15:04"), sent, alerts(total))
	if queued >= 0 {
		line += fmt.Sprintf("; %d waiting at the bot", queued)
	}
	return line + "..."
}
