package action

import (
	"context"
	"net/http"
	"time"

	"github.com/sethvargo/go-githubactions"

	"github.com/fixproof/fixproof/internal/githubpr"
	"github.com/fixproof/fixproof/internal/jira"
	"github.com/fixproof/fixproof/internal/loop"
	"github.com/fixproof/fixproof/internal/sweep"
)

// Log is where the action's code says what it did and what went wrong: a
// *githubactions.Action writes the workflow's log and annotations; the
// bot's GitHub App mode collects them for a check run.
type Log interface {
	Debugf(format string, args ...any)
	Infof(format string, args ...any)
	Noticef(format string, args ...any)
	Warningf(format string, args ...any)
	Errorf(format string, args ...any)
}

// Core runs the action's pull-request path without an Actions runner:
// the same planning, decisions and Jira code as `fixproof action`, for a
// GitHub client and settings the caller has (the bot's GitHub App mode).
type Core struct {
	// Config is the settings, as the action's inputs give them (see
	// LoadConfig); its credentials are not read.
	Config Config
	GitHub *githubpr.Client
	Jira   *jira.Client
	Log    Log
	// GraphQLURL is GitHub's GraphQL API, named in the hint about a
	// GitHub that cannot be reached.
	GraphQLURL string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// HTTP sends the sweep's requests to Sentry (with the retry policy);
	// the pull request path does not use it.
	HTTP *http.Client
}

// runner is the action's runner for the core's settings and clients.
func (c Core) runner(event, repo string) *runner {
	r := &runner{cfg: c.Config, log: c.Log, now: c.Now, github: c.GitHub, jira: c.Jira, checkRun: true, httpc: c.HTTP,
		getenv: func(string) string { return "" },
		ctx:    &githubactions.GitHubContext{EventName: event, Repository: repo, GraphqlURL: c.GraphQLURL}}
	r.clients = c.Config.clients("", r.ctx)
	if r.now == nil {
		r.now = time.Now
	}
	return r
}

// Sweep runs the verification sweep as the action's sweep does, with the
// GitHub clients given: prs keeps the comment on each fix's pull request,
// gh finds its deployments (nil: only Sentry's releases are asked). The
// error is one that stopped it before any issue was looked at (Jira could
// not list the watched issues, the Sentry settings are missing).
func (c Core) Sweep(ctx context.Context, prs sweep.PRComments, gh DeploymentFinder) (*sweep.Report, error) {
	if err := c.Config.sweepReady(); err != nil {
		return nil, err
	}
	return c.runner("schedule", "").runSweep(ctx, prs, gh)
}

// Outcome is what a pull-request event came to.
type Outcome struct {
	// Handled is false when the event moves no issue (a label change, a
	// closed draft): Reason says why, and nothing else is set.
	Handled bool
	Reason  string
	// PR is the pull request as read.
	PR *githubpr.PR
	// Keys are the Jira keys found, in the order found; Target the
	// statuses they were moved towards, at Stage.
	Keys   []string
	Target []string
	Stage  loop.Stage
	// Results are each key's move.
	Results []Result
	// Stop is why no issue could be handled at all (Jira could not be
	// searched); every key is then a failed result.
	Stop error
	// Summary is the report in Markdown, as the action's step summary
	// gives it.
	Summary string
	// Failed counts the failed results.
	Failed int
}

// PullRequest handles a pull_request event (action is the event's
// action) of pull request number in repo ("owner/name"), exactly as the
// action does: keys from the configured sources, the event's status, the
// revert rule, each issue moved with its comment and remote link, a merged
// fix put under verification. The error is one that stopped it before any
// key was known (GitHub could not be read).
func (c Core) PullRequest(ctx context.Context, repo string, number int, action string) (Outcome, error) {
	r := c.runner("pull_request", repo)
	p, err := r.planPR(ctx, repo, number, action)
	if err != nil {
		return Outcome{}, err
	}
	if p == nil {
		return Outcome{Reason: "nothing to do for a pull_request " + action + " event"}, nil
	}
	out := Outcome{Handled: true, Reason: p.reason, PR: p.pr, Keys: p.keys, Target: p.target, Stage: p.stage}
	out.Results, out.Stop = r.handle(ctx, p)
	for _, res := range out.Results {
		if res.Action == Failed {
			out.Failed++
		}
	}
	out.Summary = r.summary(p, out.Results, out.Stop, out.Failed)
	return out, nil
}
