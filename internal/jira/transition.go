package jira

import (
	"context"

	"github.com/ctreminiom/go-atlassian/v2/pkg/infra/models"

	"github.com/fixproof/fixproof/internal/loop"
)

// Transitions lists the transitions available from the issue's current
// status.
func (c *Client) Transitions(ctx context.Context, key string) ([]loop.Transition, error) {
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
func options(ts []*models.IssueTransitionScheme) []loop.Transition {
	if len(ts) == 0 {
		return nil
	}
	out := make([]loop.Transition, 0, len(ts))
	for _, t := range ts {
		o := loop.Transition{ID: t.ID, Name: t.Name}
		o.To, o.ToCategory = status(t.To)
		out = append(out, o)
	}
	return out
}

// Transition performs one transition. Which one to take is the caller's
// decision (flow.NextHop, flow.Walk).
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
