package githubapp

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/fixproof/fixproof/internal/errlist"

	"github.com/fixproof/fixproof/internal/action"
	"github.com/fixproof/fixproof/internal/flow"
	"github.com/fixproof/fixproof/internal/markdown"
)

// PullRequestEvent is what the app needs of a pull_request webhook: the
// bot stores it, and a worker hands it to PullRequest.
type PullRequestEvent struct {
	Installation int64  `json:"installation"`
	Repo         string `json:"repo"` // owner/name, as GitHub spells it
	Number       int    `json:"number"`
	Action       string `json:"action"`
	// HeadSHA is the commit the check run reports on.
	HeadSHA string `json:"head_sha"`
}

// DecodePullRequest reads a pull_request webhook's body; the error names
// what is missing.
func DecodePullRequest(body []byte) (PullRequestEvent, error) {
	var w struct {
		Action       string `json:"action"`
		Installation *struct {
			ID int64 `json:"id"`
		} `json:"installation"`
		Repository struct {
			FullName string `json:"full_name"`
		} `json:"repository"`
		PullRequest struct {
			Number int `json:"number"`
			Head   struct {
				SHA string `json:"sha"`
			} `json:"head"`
		} `json:"pull_request"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return PullRequestEvent{}, fmt.Errorf("pull_request webhook: %w", err)
	}
	ev := PullRequestEvent{Repo: w.Repository.FullName, Number: w.PullRequest.Number, Action: w.Action, HeadSHA: w.PullRequest.Head.SHA}
	var missing []string
	if w.Installation == nil || w.Installation.ID <= 0 {
		missing = append(missing, "installation.id (is this the app's webhook, not a repository's?)")
	} else {
		ev.Installation = w.Installation.ID
	}
	for _, f := range []struct {
		name string
		ok   bool
	}{{"action", ev.Action != ""}, {"repository.full_name", strings.Count(ev.Repo, "/") == 1}, {"pull_request.number", ev.Number > 0}, {"pull_request.head.sha", ev.HeadSHA != ""}} {
		if !f.ok {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return ev, fmt.Errorf("pull_request webhook without %s", strings.Join(missing, ", "))
	}
	return ev, nil
}

// Moves reports whether a pull_request action can move issues at all:
// the others (labeled, assigned, ...) get no check run and no work.
func Moves(action string) bool {
	return !flow.ForPullRequest(action, flow.PR{}, false).Ignore
}

// PullRequest handles one event with the action's code and reports it
// on the pull request's check run, made or updated in place. An error
// means the event should be tried again (GitHub or the repository's
// settings could not be read); what went wrong with Jira is the check
// run's to say.
func (a *App) PullRequest(ctx context.Context, ev PullRequestEvent) error {
	if !Moves(ev.Action) {
		return nil
	}
	c, err := a.connect(ev.Installation)
	if err != nil {
		return err
	}
	run, err := a.startCheck(ctx, c, ev)
	if err != nil {
		return err
	}
	cfg, invalid, err := a.repoConfig(ctx, c, ev.Repo)
	if err != nil {
		return err
	}
	if invalid != nil {
		return a.finishCheck(ctx, c, ev, run, Verdict{Conclusion: "failure", Title: "Invalid " + SettingsPath,
			Summary: "fixproof did not run: the repository's settings are not valid. Fix these and push to the default branch:\n\n" +
				bulleted(invalid)})
	}
	notes := &notes{}
	out, err := action.Core{Config: cfg, GitHub: c.graphql, Jira: a.jira, Log: notes, GraphQLURL: a.cfg.GraphQLURL, Now: a.now}.
		PullRequest(ctx, ev.Repo, ev.Number, ev.Action)
	if err != nil {
		return err
	}
	v := Decide(out, cfg.FailOnError)
	v.Text = notes.text()
	a.log.Info("pull request handled", "repo", ev.Repo, "pr", ev.Number, "action", ev.Action, "keys", len(out.Keys), "failed", out.Failed, "conclusion", v.Conclusion)
	return a.finishCheck(ctx, c, ev, run, v)
}

// Verdict is what a check run says when it completes.
type Verdict struct {
	Conclusion           string // success, neutral or failure
	Title, Summary, Text string
}

// Decide is the check run of an outcome: success when every issue found
// moved or was where it should be (the title says where they are now,
// and how many keys Jira does not have); neutral when none of the keys
// found is a Jira issue; neutral when there was nothing to do
// (no keys, or only keys outside jira_projects, or an event that moves
// nothing); failure when an issue could not be moved and failOnError is
// set (the repository's fail_on_error), else neutral, so that a Jira
// outage blocks no merge unless the repository asks it to.
func Decide(out action.Outcome, failOnError bool) Verdict {
	switch {
	case !out.Handled:
		return Verdict{Conclusion: "neutral", Title: "Nothing to move", Summary: markdown.Escape(out.Reason)}
	case len(out.Keys) == 0:
		return Verdict{Conclusion: "neutral", Title: "No Jira issue keys found", Summary: out.Summary}
	case out.Stop != nil || out.Failed > 0:
		c := "neutral"
		if failOnError {
			c = "failure"
		}
		return Verdict{Conclusion: c, Title: fmt.Sprintf("%d of %d Jira issues could not be moved", max(out.Failed, 1), len(out.Keys)), Summary: out.Summary}
	}
	var to []string
	found := 0
	for _, res := range out.Results {
		if res.Action == action.Skipped && res.To == "" {
			continue // a key Jira does not have
		}
		found++
		if !slices.Contains(to, res.To) {
			to = append(to, res.To)
		}
	}
	missing := len(out.Results) - found
	if found == 0 {
		return Verdict{Conclusion: "neutral", Title: fmt.Sprintf("%s found, none in Jira", plural(missing, "key")), Summary: out.Summary}
	}
	title := fmt.Sprintf("%s: %s", plural(found, "Jira issue"), strings.Join(to, ", "))
	if missing > 0 {
		title += fmt.Sprintf(" (%s not in Jira)", plural(missing, "key"))
	}
	return Verdict{Conclusion: "success", Title: title, Summary: out.Summary}
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func bulleted(err error) string {
	var b strings.Builder
	for _, e := range errlist.Split(err) {
		fmt.Fprintf(&b, "- %s\n", markdown.Escape(e.Error()))
	}
	return b.String()
}

// notes collects what the action's code warns about, for the check run's
// text; information lines are not kept.
type notes struct {
	mu    sync.Mutex
	lines []string
}

func (n *notes) add(kind, format string, args ...any) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.lines = append(n.lines, "- **"+kind+":** "+markdown.Escape(markdown.OneLine(fmt.Sprintf(format, args...))))
}

func (n *notes) Debugf(string, ...any)               {}
func (n *notes) Infof(string, ...any)                {}
func (n *notes) Noticef(format string, args ...any)  { n.add("Note", format, args...) }
func (n *notes) Warningf(format string, args ...any) { n.add("Warning", format, args...) }
func (n *notes) Errorf(format string, args ...any)   { n.add("Error", format, args...) }
func (n *notes) text() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return strings.Join(n.lines, "\n")
}
