// Package flow decides where Jira issues should go: which stage a pull
// request event asks for, whether an issue moves at all, and which
// transition to take next. The decisions are pure functions; Walk and Plan
// carry a move out through whatever lists and performs transitions (the
// jira adapter), one decision per hop.
package flow

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/fixproof/fixproof/internal/loop"
)

// PR is the state of a pull request that matters for the workflow.
type PR struct {
	State   string // OPEN, CLOSED or MERGED, as GitHub's GraphQL API says
	IsDraft bool
}

// StageOf is the stage a pull request in this state asks for: a draft is
// work in progress, an open PR is in review, a merged one is done, and a PR
// closed without merging sends its issues back to open.
func StageOf(pr PR) loop.Stage {
	switch strings.ToUpper(pr.State) {
	case "MERGED":
		return loop.Done
	case "CLOSED":
		return loop.Open
	}
	if pr.IsDraft {
		return loop.InProgress
	}
	return loop.InReview
}

// Intent is what one run of the action is asked to do.
type Intent struct {
	Target loop.Stage
	// Revert means the keys of the reverted pull request go back to Open,
	// even from a Done status.
	Revert bool
	// Ignore is set, with Reason, for events the action does nothing for.
	Ignore bool
	Reason string
}

// ForPullRequest maps a pull_request event action and the PR's current state
// to an intent. The PR state wins over the action where they disagree (an
// "opened" event for a PR that was merged since is treated as merged), so a
// late or re-run job never moves an issue backwards.
func ForPullRequest(action string, pr PR, revert bool) Intent {
	switch action {
	case "opened", "reopened", "ready_for_review", "converted_to_draft", "synchronize", "edited", "closed":
	default:
		return Intent{Ignore: true, Reason: fmt.Sprintf("pull_request action %q does not move issues; fixproof handles opened, reopened, ready_for_review, converted_to_draft, synchronize, edited and closed", action)}
	}
	stage := StageOf(pr)
	if stage == loop.Done && revert {
		return Intent{Target: loop.Open, Revert: true, Reason: "revert merged"}
	}
	return Intent{Target: stage, Reason: "pull request is " + describe(pr)}
}

func describe(pr PR) string {
	switch st := strings.ToUpper(pr.State); {
	case st == "MERGED":
		return "merged"
	case st == "CLOSED":
		return "closed without merging"
	case pr.IsDraft:
		return "a draft"
	default:
		return "open for review"
	}
}

var (
	revertTitle = regexp.MustCompile(`^Revert ".*"$`)
	revertBody  = regexp.MustCompile(`(?m)^Reverts ([A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)#([0-9]+)\b`)
)

// RevertOf recognises GitHub's revert pull requests (title `Revert "..."`,
// body `Reverts owner/repo#N`) and returns N. Only reverts within repo
// count: a body naming another repository is not ours to undo.
func RevertOf(title, body, repo string) (int, bool) {
	if !revertTitle.MatchString(strings.TrimSpace(title)) {
		return 0, false
	}
	m := revertBody.FindStringSubmatch(body)
	if m == nil || !strings.EqualFold(m[1], repo) {
		return 0, false
	}
	n, err := strconv.Atoi(m[2])
	if err != nil || n <= 0 {
		return 0, false
	}
	return n, true
}

// Issue is what the decision needs to know of a Jira issue.
type Issue struct {
	Key      string
	Status   string
	Category string // status category key: "new", "indeterminate" or "done"
}

// Verdict is the decision for one issue.
type Verdict int

// The verdicts.
const (
	Move Verdict = iota
	Skip
)

// Decide says whether an issue moves towards target (candidate status
// names). An issue already in a target status is skipped, which makes
// re-runs change nothing. An issue in a Done-category status is never moved
// back by a PR event (someone closed it on purpose) unless allowFromDone,
// which only the revert rule and an explicit dispatch set.
func Decide(is Issue, target []string, allowFromDone bool) (Verdict, string) {
	if containsFold(target, is.Status) {
		return Skip, "already " + is.Status
	}
	if strings.EqualFold(is.Category, "done") && !allowFromDone {
		return Skip, "already " + is.Status + " (done); pull request events do not reopen done issues"
	}
	return Move, ""
}

// NotReachableError says that no transition leads towards the target.
type NotReachableError struct {
	From      string
	Target    []string
	Reachable []string
}

func (e *NotReachableError) Error() string {
	reach := "none"
	if len(e.Reachable) > 0 {
		reach = strings.Join(e.Reachable, ", ")
	}
	return fmt.Sprintf("status %s is not reachable from %s; reachable: %s", strings.Join(e.Target, " or "), e.From, reach)
}

// NextHop picks the transition to take now to move an issue in status
// current towards one of the target statuses (which belong to stage
// targetStage). It chooses by where a transition leads (its "to" status),
// never by the transition's name, because names are free text that differ
// between workflows while statuses are what the inputs name.
//
// A transition straight to a target status wins, in the order the targets
// are listed; final is then true. Otherwise it steps to a status of
// another stage, closest to the target first: moving forwards, only a
// stage between the current one and the target; moving backwards, any
// earlier stage, because workflows reopen to the first status (Done ->
// Open -> In Progress -> In Review). Never to a Done-category status on the
// way and never back to a status already visited. Statuses outside the
// configured stages are never used as stepping stones: fixproof does not
// wander through a workflow it was not told about.
func NextHop(current string, options []loop.Transition, target []string, targetStage loop.Stage, statuses loop.Statuses, visited []string) (opt loop.Transition, final bool, err error) {
	for _, want := range target {
		for _, o := range options {
			if strings.EqualFold(o.To, want) {
				return o, true, nil
			}
		}
	}
	cur := stageOfStatus(current, statuses)
	best, bestDist := -1, 0
	for i, o := range options {
		if strings.EqualFold(o.ToCategory, "done") || containsFold(visited, o.To) || strings.EqualFold(o.To, current) {
			continue
		}
		st := stageOfStatus(o.To, statuses)
		if st == loop.None || st == targetStage || !between(st, cur, targetStage) {
			continue
		}
		dist := abs(int(targetStage) - int(st))
		if best < 0 || dist < bestDist {
			best, bestDist = i, dist
		}
	}
	if best < 0 {
		reach := make([]string, 0, len(options))
		for _, o := range options {
			reach = append(reach, o.To)
		}
		return loop.Transition{}, false, &NotReachableError{From: current, Target: target, Reachable: reach}
	}
	return options[best], false, nil
}

// between reports whether stage s may be a step from cur to target. An
// unknown current stage (a status no input names, like "Blocked") allows
// any stage.
func between(s, cur, target loop.Stage) bool {
	switch {
	case cur == loop.None:
		return true
	case cur < target:
		return s > cur && s < target
	default:
		return s < cur
	}
}

func stageOfStatus(status string, statuses loop.Statuses) loop.Stage {
	for _, st := range []loop.Stage{loop.Open, loop.InProgress, loop.InReview, loop.Done, loop.Closed} {
		if containsFold(statuses[st], status) {
			return st
		}
	}
	return loop.None
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(strings.TrimSpace(x), strings.TrimSpace(s)) {
			return true
		}
	}
	return false
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
