package sentry

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Sentry's rules for the sessions endpoint, checked before a request is
// sent. The published description of "Retrieve Release Health Session
// Statistics" says: "The interval can at most be one day and at least one
// hour currently. It has to cleanly divide one day"; Sentry's
// get_constrained_date_range (src/sentry/snuba/sessions_v2.py) refuses
// the same, and more than MAX_POINTS (1,000) intervals.
const (
	sessionsMaxPoints   = 1000
	sessionsMinInterval = time.Hour
	sessionsMaxInterval = 24 * time.Hour
)

// SessionCounts returns the number of sessions started in a project (by
// its numeric id, Issue.ProjectID) in an environment (empty: every
// environment) per interval-sized bucket between start and end, the
// traffic an error rate per 1,000 sessions is divided by:
//
//	GET /api/0/organizations/{org}/sessions/?field=sum(session)&project=<id>
//	    [&environment=<name>]&interval=<hours>h&start=<RFC 3339>&end=<RFC 3339>
//
// interval must be a whole number of hours dividing a day (1h, 2h, 3h, 4h,
// 6h, 8h, 12h or 24h), and the window at most 1,000 intervals; anything
// else is an error before any request, as Sentry would refuse it.
//
// Unlike the events time series, Sentry widens the window to whole
// intervals (start aligned down and end up to multiples of the interval
// since the epoch) and counts the whole of each: the first and last
// buckets are not cut at start and end. Buckets starting at or after end
// are dropped. Sentry marks no bucket incomplete: the client marks those
// ending less than 90 s (the events' ingestion delay) before its clock, as
// for events. Sentry answers 404 (ErrNotFound) for an environment the
// organization has never seen and 403 for a project the token cannot see.
func (c *Client) SessionCounts(ctx context.Context, projectID, environment string, start, end time.Time, interval time.Duration) ([]Bucket, error) {
	if err := checkProjectID(projectID); err != nil {
		return nil, err
	}
	op := "count sessions of project " + projectID + inEnvironment(environment)
	if err := checkSessionWindow(op, start, end, interval); err != nil {
		return nil, err
	}
	if err := checkEnvironment(op, environment); err != nil {
		return nil, err
	}
	q := url.Values{
		"field":    {"sum(session)"},
		"project":  {projectID},
		"interval": {strconv.FormatInt(int64(interval/time.Hour), 10) + "h"},
		"start":    {start.UTC().Format(time.RFC3339Nano)},
		"end":      {end.UTC().Format(time.RFC3339Nano)},
	}
	if environment != "" {
		q.Set("environment", environment)
	}
	var a sessionsAnswer
	if _, err := c.do(ctx, op, http.MethodGet, c.orgPath("sessions/"), q, nil, &a); err != nil {
		return nil, err
	}
	return a.buckets(op, start, end, interval, c.now())
}

// checkSessionWindow says what Sentry would refuse in asking for session
// buckets of interval from start to end. Errors name op.
func checkSessionWindow(op string, start, end time.Time, interval time.Duration) error {
	switch {
	case interval < sessionsMinInterval || interval%sessionsMinInterval != 0 || interval > sessionsMaxInterval ||
		sessionsMaxInterval%interval != 0:
		return fmt.Errorf("sentry: %s: interval %s is not a whole number of hours dividing a day", op, interval)
	case !start.Before(end):
		return fmt.Errorf("sentry: %s: start %s is not before end %s", op, start, end)
	}
	first := alignDown(start, interval)
	n := end.Sub(first) / interval
	if end.Sub(first)%interval != 0 {
		n++
	}
	if n > sessionsMaxPoints {
		return fmt.Errorf("sentry: %s: %s to %s is more than %d intervals of %s", op, start, end, sessionsMaxPoints, interval)
	}
	return nil
}

// sessionsAnswer is what the client reads of a sessions answer: the
// intervals' starts and, in the one group there is without groupBy, the
// sum(session) value of each (null counts nothing).
type sessionsAnswer struct {
	Intervals []string `json:"intervals"`
	Groups    []struct {
		Series map[string][]*float64 `json:"series"`
	} `json:"groups"`
}

// buckets checks that the answer has the intervals asked for, aligned and
// evenly spaced, and a sum(session) series as long, and returns the
// buckets starting before end. No intervals at all gives the window's
// buckets with zero counts.
func (a sessionsAnswer) buckets(op string, start, end time.Time, interval time.Duration, now time.Time) ([]Bucket, error) {
	if len(a.Intervals) == 0 {
		return zeroBuckets(alignDown(start, interval), end, interval, now), nil
	}
	values, err := a.series(op)
	if err != nil {
		return nil, err
	}
	out := make([]Bucket, 0, len(a.Intervals))
	var prev time.Time
	for i, s := range a.Intervals {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return nil, fmt.Errorf("sentry: %s: interval %q: %w", op, s, err)
		}
		t = t.UTC()
		if !alignDown(t, interval).Equal(t) || (i > 0 && t.Sub(prev) != interval) {
			return nil, fmt.Errorf("sentry: %s: interval at %s is not one of the %s asked for", op, s, interval)
		}
		prev = t
		if !t.Before(end) {
			continue
		}
		b := Bucket{Start: t, Incomplete: !t.Add(interval).Before(now.Add(-ingestionDelay))}
		if values[i] != nil {
			b.Count = *values[i]
		}
		out = append(out, b)
	}
	return out, nil
}

// series is the sum(session) value of each interval, from the one group
// there is without groupBy; no group means nothing was counted (all nil).
func (a sessionsAnswer) series(op string) ([]*float64, error) {
	switch len(a.Groups) {
	case 0:
		return make([]*float64, len(a.Intervals)), nil
	case 1:
		values, ok := a.Groups[0].Series["sum(session)"]
		if !ok || len(values) != len(a.Intervals) {
			return nil, fmt.Errorf("sentry: %s: want a sum(session) series of %d values, got %d", op, len(a.Intervals), len(values))
		}
		return values, nil
	}
	return nil, fmt.Errorf("sentry: %s: want one group of sessions, got %d", op, len(a.Groups))
}
