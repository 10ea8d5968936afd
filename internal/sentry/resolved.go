package sentry

import (
	"context"
	"fmt"
	"net/url"
	"time"
)

// ResolvedIssues lists the organization's resolved issues (in every
// project the token can see) that had an event in [start, end):
//
//	GET /api/0/organizations/{org}/issues/?query=is:resolved&project=-1&start=...&end=...&limit=100
//
// following Sentry's pagination, at most 100 pages of 100. An issue with
// no event in the range is not listed, however it is resolved: Sentry's
// issue search selects by the events in its range.
func (c *Client) ResolvedIssues(ctx context.Context, start, end time.Time) ([]Issue, error) {
	op := "list resolved issues"
	if !start.Before(end) {
		return nil, fmt.Errorf("sentry: %s: start %s is not before end %s", op, start.Format(time.RFC3339), end.Format(time.RFC3339))
	}
	q := url.Values{
		"query":   {"is:resolved"},
		"project": {"-1"},
		"start":   {start.UTC().Format(time.RFC3339)},
		"end":     {end.UTC().Format(time.RFC3339)},
		"limit":   {"100"},
	}
	var out []Issue
	err := eachPage(ctx, c, op, c.orgPath("issues/"), q, func(batch []apiIssue) (bool, error) {
		for i := range batch {
			is, err := batch[i].issue()
			if err != nil {
				return false, fmt.Errorf("sentry: %s: issue %s: %w", op, batch[i].ID, err)
			}
			out = append(out, is)
		}
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
