// Package loop holds the words every part of fixproof shares for the loop
// from a production error to a proven fix: the stages a Jira issue moves
// through and their candidate status names, the transitions Jira offers,
// the labels and the `fixproof` issue property fixproof writes, and the
// states a loop can be in. It has no dependencies beyond the standard
// library and does no I/O: adapters (jira, sentry, the bot's store)
// translate to and from these words.
package loop

import (
	"strconv"
	"strings"
)

// Stage is a step of the development workflow fixproof knows about. Each
// stage maps to a list of candidate Jira status names (the status_* inputs
// and settings).
type Stage int

// The stages, in workflow order.
const (
	None Stage = iota
	Open
	InProgress
	InReview
	Done
	// Closed is after Done: the fix is verified in production.
	Closed
)

var stageNames = [...]string{"none", "open", "in_progress", "in_review", "done", "closed"}

func (s Stage) String() string {
	if s < 0 || int(s) >= len(stageNames) {
		return "stage(" + strconv.Itoa(int(s)) + ")"
	}
	return stageNames[s]
}

// ParseStage reads a stage name as written in target_status
// ("in_review", "In Review", "in-review" all work).
func ParseStage(s string) (Stage, bool) {
	norm := strings.NewReplacer(" ", "_", "-", "_").Replace(strings.ToLower(strings.TrimSpace(s)))
	for i, n := range stageNames {
		if i > 0 && n == norm {
			return Stage(i), true
		}
	}
	return None, false
}

// Statuses maps each stage to its candidate Jira status names, in order
// of preference: the first one reachable wins.
type Statuses map[Stage][]string

// DefaultStatuses are the candidate status names of Jira's own workflows
// (company-managed Scrum and Kanban, team-managed, Data Center's classic):
// the defaults of the action's status_* inputs and the bot's jira.status_*
// settings.
func DefaultStatuses() Statuses {
	return Statuses{
		Open:       {"Open", "To Do", "Reopened", "Backlog"},
		InProgress: {"In Progress"},
		InReview:   {"In Review", "Code Review", "Review"},
		Done:       {"Done", "Resolved"},
		Closed:     {"Closed"},
	}
}

// Transition is a transition Jira offers from an issue's current status:
// where it leads (To, and To's status category) is what fixproof chooses
// by, never its name.
type Transition struct {
	ID, Name   string
	To         string
	ToCategory string // "new", "indeterminate" or "done"
}

// The labels fixproof writes on Jira issues.
const (
	// LabelBot is on every issue the bot created.
	LabelBot = "fixproof"
	// LabelVerify marks an issue whose fix merged and whose error rate
	// the sweep watches (the default of verify_label).
	LabelVerify = "fixproof-verify"
	// LabelUnverified replaces LabelVerify when the error rate did not
	// fall within verify_timeout.
	LabelUnverified = "fixproof-unverified"
)

// State is where a loop stands. The dashboard lists loops by state, the
// sweep reports what it found, and verify decides between Watching,
// Verified and Unverified.
type State string

// The states, in the order a loop usually passes through them.
const (
	StateOpen       State = "open"        // an issue nobody has fixed yet
	StateInProgress State = "in-progress" // someone is on it (a PR is open or work started)
	StateWatching   State = "watching"    // the fix merged; the sweep watches the error rate
	StateVerified   State = "verified"    // the sweep proved the fix in production and closed the issue
	StateUnverified State = "unverified"  // the error rate did not fall in time
	StateReopened   State = "reopened"    // a merged fix, and the issue is open again (a regression)
	StateDone       State = "done"        // closed, but not by a verification
	// StateClosedByHand: a person closed an issue the sweep was watching;
	// the sweep stops watching and resolves nothing.
	StateClosedByHand State = "closed-by-hand"
)
