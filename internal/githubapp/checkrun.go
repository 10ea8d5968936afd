package githubapp

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/go-github/v75/github"

	"github.com/fixproof/fixproof/internal/textcut"
)

// maxOutput is the longest summary or text a check run takes, in
// characters.
const maxOutput = 65535

// startCheck finds the fixproof check run of the event's commit, or
// makes it, and marks it in progress. One run per commit: a later event
// of the same commit updates it in place (the PR's events are handled one
// at a time, so two never race to make it).
func (a *App) startCheck(ctx context.Context, c conn, ev PullRequestEvent) (int64, error) {
	owner, name, _ := strings.Cut(ev.Repo, "/")
	list, _, err := c.rest.Checks.ListCheckRunsForRef(ctx, owner, name, ev.HeadSHA,
		&github.ListCheckRunsOptions{CheckName: github.Ptr(CheckName), Filter: github.Ptr("latest")})
	if err != nil {
		return 0, fmt.Errorf("list the check runs of %s@%s: %w", ev.Repo, ev.HeadSHA, err)
	}
	for _, run := range list.CheckRuns {
		if run.GetApp().GetID() == 0 || run.GetApp().GetID() == a.cfg.AppID {
			_, _, err := c.rest.Checks.UpdateCheckRun(ctx, owner, name, run.GetID(), github.UpdateCheckRunOptions{
				Name: CheckName, Status: github.Ptr("in_progress")})
			if err != nil {
				return 0, fmt.Errorf("update check run %d of %s: %w", run.GetID(), ev.Repo, err)
			}
			return run.GetID(), nil
		}
	}
	run, _, err := c.rest.Checks.CreateCheckRun(ctx, owner, name, github.CreateCheckRunOptions{
		Name: CheckName, HeadSHA: ev.HeadSHA, Status: github.Ptr("in_progress"),
		ExternalID: github.Ptr(fmt.Sprintf("%s#%d", ev.Repo, ev.Number))})
	if err != nil {
		return 0, fmt.Errorf("create the check run of %s@%s: %w", ev.Repo, ev.HeadSHA, err)
	}
	return run.GetID(), nil
}

// finishCheck completes the check run with the verdict.
func (a *App) finishCheck(ctx context.Context, c conn, ev PullRequestEvent, id int64, v Verdict) error {
	owner, name, _ := strings.Cut(ev.Repo, "/")
	out := &github.CheckRunOutput{Title: github.Ptr(textcut.Runes(v.Title, 255)), Summary: github.Ptr(textcut.Runes(v.Summary, maxOutput))}
	if v.Text != "" {
		out.Text = github.Ptr(textcut.Runes(v.Text, maxOutput))
	}
	_, _, err := c.rest.Checks.UpdateCheckRun(ctx, owner, name, id, github.UpdateCheckRunOptions{
		Name: CheckName, Status: github.Ptr("completed"), Conclusion: github.Ptr(v.Conclusion), Output: out})
	if err != nil {
		return fmt.Errorf("complete check run %d of %s: %w", id, ev.Repo, err)
	}
	return nil
}
