package jira

import (
	"context"
	"fmt"
	"strings"

	"github.com/ctreminiom/go-atlassian/v2/pkg/infra/models"

	"github.com/fixproof/fixproof/internal/flow"
)

// MaxHops is how many transitions one move may take: enough for
// Open -> In Progress -> In Review -> Done, short enough that a workflow
// fixproof misunderstands is not wandered through.
const MaxHops = 3

// Transitions lists the transitions available from the issue's current
// status.
func (c *Client) Transitions(ctx context.Context, key string) ([]flow.Option, error) {
	var (
		page *models.IssueTransitionsScheme
		res  *models.ResponseScheme
		err  error
	)
	if c.cloud != nil {
		page, res, err = c.cloud.Issue.Transitions(ctx, key)
	} else {
		page, res, err = c.dc.Issue.Transitions(ctx, key)
	}
	if err := check("transitions of "+key, res, err); err != nil {
		return nil, err
	}
	return options(page.Transitions), nil
}

// options converts Jira's transitions. None in, nil out: a search that
// did not return transitions must not look like an issue that has none.
func options(ts []*models.IssueTransitionScheme) []flow.Option {
	if len(ts) == 0 {
		return nil
	}
	out := make([]flow.Option, 0, len(ts))
	for _, t := range ts {
		o := flow.Option{ID: t.ID, Name: t.Name}
		o.To, o.ToCategory = status(t.To)
		out = append(out, o)
	}
	return out
}

// Transition performs one transition.
func (c *Client) Transition(ctx context.Context, key, id string) error {
	var (
		res *models.ResponseScheme
		err error
	)
	if c.cloud != nil {
		res, err = c.cloud.Issue.Move(ctx, key, id, nil)
	} else {
		res, err = c.dc.Issue.Move(ctx, key, id, nil)
	}
	return check("transition "+key+" with "+id, res, err)
}

// Goal is where a move should take an issue.
type Goal struct {
	Target   []string // candidate status names, first reachable wins
	Stage    flow.Stage
	Statuses flow.Statuses
}

// MoveTo walks an issue from its current status to one of the goal's
// statuses, at most MaxHops transitions, choosing each hop with
// flow.NextHop. It returns the statuses passed through, the last being
// where the issue ended. With dryRun it plans the first hop only (the next
// hops depend on what Jira offers from there) and changes nothing. The
// first hop uses is.Transitions when the search returned them.
func (c *Client) MoveTo(ctx context.Context, is Issue, g Goal, dryRun bool) (path []string, err error) {
	current := is.Status
	visited := []string{current}
	options := is.Transitions
	for hop := 0; hop < MaxHops; hop++ {
		if options == nil || hop > 0 {
			if options, err = c.Transitions(ctx, is.Key); err != nil {
				return path, err
			}
		}
		next, final, err := flow.NextHop(current, options, g.Target, g.Stage, g.Statuses, visited)
		if err != nil {
			return path, err
		}
		path = append(path, next.To)
		if dryRun {
			return path, nil
		}
		if err := c.Transition(ctx, is.Key, next.ID); err != nil {
			return path[:len(path)-1], err
		}
		if final {
			return path, nil
		}
		current = next.To
		visited = append(visited, current)
	}
	return path, fmt.Errorf("status %s not reached from %s in %d transitions (went through %s)",
		strings.Join(g.Target, " or "), is.Status, MaxHops, strings.Join(path, ", "))
}
