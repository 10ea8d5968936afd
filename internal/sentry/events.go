package sentry

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Bucket is the number of events (errors, transactions) or sessions in
// one interval-sized window starting at Start.
type Bucket struct {
	// Start is the window's start, in UTC, a multiple of the interval
	// since the Unix epoch.
	Start time.Time
	// Count is the number of events or sessions in the window (Sentry
	// sends a number that may be fractional: transactions are sampled and
	// extrapolated).
	Count float64
	// Incomplete is set when the window had not ended, with time for
	// ingestion, when Sentry counted it: its count may still grow.
	Incomplete bool
}

// maxBuckets is the most buckets EventCounts asks for at once; Sentry
// refuses more than 10,000 points (and then picks another interval).
const maxBuckets = 10000

// ingestionDelay is how long after a window ends Sentry still calls it
// incomplete (INGESTION_DELAY in Sentry's timeseries endpoint).
const ingestionDelay = 90 * time.Second

// EventCounts returns the number of error events of one issue, in every
// environment, per interval-sized bucket between start and end:
//
//	GET /api/0/organizations/{org}/events-timeseries/?dataset=errors&query=issue.id:<id>
//	    &yAxis=count()&interval=<seconds>&start=<RFC 3339>&end=<RFC 3339>&project=-1
//
// project=-1 asks for all projects the token can see: without it Sentry
// may search only the projects of the token user's teams and find nothing,
// which would read as an issue gone quiet.
//
// Sentry aligns buckets to multiples of the interval since the Unix epoch,
// so the first bucket may start before start; it counts only events in
// [start, end), so the first and last buckets may be partial. Timestamps in
// the response are milliseconds since the epoch. Buckets starting at or
// after end are dropped. An empty timeSeries means no events at all: the
// buckets are then made up, aligned the same way, with zero counts (and
// Incomplete when they end less than Sentry's 90 s ingestion delay before
// the client's clock). interval must be a whole number of seconds, at
// least one.
//
// Sentry replaces an interval it finds unsuitable by one of its own; the
// answer is then an error rather than buckets of another size.
func (c *Client) EventCounts(ctx context.Context, issueID string, start, end time.Time, interval time.Duration) ([]Bucket, error) {
	return c.EventCountsIn(ctx, issueID, "", start, end, interval)
}

// EventCountsIn is EventCounts in one environment (the request adds
// environment=<name>); an empty environment is every environment, as in
// EventCounts. Counting errors and the traffic they are divided by
// (SessionCounts, TransactionCounts) in the same environment keeps a rate
// honest. Sentry answers 404 (ErrNotFound) for an environment the
// organization has never seen.
func (c *Client) EventCountsIn(ctx context.Context, issueID, environment string, start, end time.Time, interval time.Duration) ([]Bucket, error) {
	if err := checkID(issueID); err != nil {
		return nil, err
	}
	op := "count events of issue " + issueID + inEnvironment(environment)
	q, err := countQuery(op, "errors", "issue.id:"+issueID, "-1", environment, start, end, interval)
	if err != nil {
		return nil, err
	}
	return c.countSeries(ctx, op, q, start, end, interval)
}

// TransactionCounts returns the number of transactions of a project (by
// its numeric id, Issue.ProjectID) in an environment (empty: every
// environment) per interval-sized bucket between start and end, the
// traffic an error rate per 1,000 transactions is divided by:
//
//	GET /api/0/organizations/{org}/events-timeseries/?dataset=spans&query=is_transaction:true
//	    &yAxis=count()&interval=<seconds>&start=...&end=...&project=<id>[&environment=<name>]
//
// Buckets are as in EventCounts. Sentry samples spans and extrapolates
// count() from the sample, so counts may be fractional. Sentry answers
// 404 (ErrNotFound) for an environment the organization has never seen
// and 403 for a project the token cannot see.
func (c *Client) TransactionCounts(ctx context.Context, projectID, environment string, start, end time.Time, interval time.Duration) ([]Bucket, error) {
	if err := checkProjectID(projectID); err != nil {
		return nil, err
	}
	op := "count transactions of project " + projectID + inEnvironment(environment)
	q, err := countQuery(op, "spans", "is_transaction:true", projectID, environment, start, end, interval)
	if err != nil {
		return nil, err
	}
	return c.countSeries(ctx, op, q, start, end, interval)
}

// maxTopEvents is the most issues EventCountsMany counts in one request:
// Sentry's topEvents is at most 10 (MAX_TOP_EVENTS; the parameter's
// description: "must be between 1 and 10").
const maxTopEvents = 10

// EventCountsMany is EventCountsIn for up to 10 issues in one request,
// the per-issue buckets by issue id, every id asked present (duplicates
// count once). It asks Sentry for the top issues among those named,
// grouped by issue:
//
//	GET .../events-timeseries/?dataset=errors&query=issue.id:[<id>,<id>,...]&groupBy=issue.id
//	    &topEvents=<number of ids>&sort=-count()&excludeOther=1&yAxis=count()&interval=...
//	    &start=...&end=...&project=-1[&environment=<name>]
//
// Sentry answers a series per issue that has events in [start, end),
// each naming its issue in groupBy ([{"key": "issue.id", "value": id}]);
// an issue without events has no series and gets zero buckets, made up as
// in EventCounts. With topEvents as large as the list, every issue with
// events is among the top ones, so excludeOther=1 drops nothing. The
// buckets are those EventCountsIn gives each issue on its own.
func (c *Client) EventCountsMany(ctx context.Context, issueIDs []string, environment string, start, end time.Time, interval time.Duration) (map[string][]Bucket, error) {
	ids, err := distinctIDs(issueIDs)
	if err != nil {
		return nil, err
	}
	op := "count events of issues " + strings.Join(ids, ",") + inEnvironment(environment)
	q, err := countQuery(op, "errors", "issue.id:["+strings.Join(ids, ",")+"]", "-1", environment, start, end, interval)
	if err != nil {
		return nil, err
	}
	q.Set("groupBy", "issue.id")
	q.Set("topEvents", strconv.Itoa(len(ids)))
	q.Set("sort", "-count()")
	q.Set("excludeOther", "1")
	var resp timeseriesAnswer
	if _, err := c.do(ctx, op, http.MethodGet, c.orgPath("events-timeseries/"), q, nil, &resp); err != nil {
		return nil, err
	}
	out, err := resp.byIssue(op, ids, end, interval)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if out[id] == nil {
			out[id] = zeroBuckets(alignDown(start, interval), end, interval, c.now())
		}
	}
	return out, nil
}

// distinctIDs checks a list of issue ids for EventCountsMany and returns
// it without duplicates, in its order.
func distinctIDs(issueIDs []string) ([]string, error) {
	var ids []string
	for _, id := range issueIDs {
		if err := checkID(id); err != nil {
			return nil, err
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 || len(ids) > maxTopEvents {
		return nil, fmt.Errorf("sentry: count events of issues: %d issues, want 1 to %d", len(ids), maxTopEvents)
	}
	return ids, nil
}

// checkCountWindow says what is wrong with asking for buckets of interval
// from start to end: an interval that is not a whole number of seconds,
// an empty window, or more buckets than Sentry gives at once. Errors name
// op.
func checkCountWindow(op string, start, end time.Time, interval time.Duration) error {
	switch {
	case interval < time.Second || interval%time.Second != 0:
		return fmt.Errorf("sentry: %s: interval %s is not a whole number of seconds", op, interval)
	case !start.Before(end):
		return fmt.Errorf("sentry: %s: start %s is not before end %s", op, start, end)
	}
	if n := end.Sub(alignDown(start, interval)) / interval; n >= maxBuckets {
		return fmt.Errorf("sentry: %s: %s to %s is more than %d buckets of %s", op, start, end, maxBuckets, interval)
	}
	return nil
}

// countQuery checks the window and environment and builds the
// events-timeseries query counting the events of query in dataset, in
// project (an id, or -1 for all) and environment (empty: all).
func countQuery(op, dataset, query, project, environment string, start, end time.Time, interval time.Duration) (url.Values, error) {
	if err := checkCountWindow(op, start, end, interval); err != nil {
		return nil, err
	}
	if err := checkEnvironment(op, environment); err != nil {
		return nil, err
	}
	q := url.Values{
		"dataset":  {dataset},
		"query":    {query},
		"yAxis":    {"count()"},
		"interval": {strconv.FormatInt(int64(interval/time.Second), 10)},
		"start":    {start.UTC().Format(time.RFC3339Nano)},
		"end":      {end.UTC().Format(time.RFC3339Nano)},
		"project":  {project},
	}
	if environment != "" {
		q.Set("environment", environment)
	}
	return q, nil
}

// countSeries sends an events-timeseries query for one ungrouped count()
// series and returns its buckets (see EventCounts).
func (c *Client) countSeries(ctx context.Context, op string, q url.Values, start, end time.Time, interval time.Duration) ([]Bucket, error) {
	var resp timeseriesAnswer
	if _, err := c.do(ctx, op, http.MethodGet, c.orgPath("events-timeseries/"), q, nil, &resp); err != nil {
		return nil, err
	}
	if len(resp.TimeSeries) == 0 {
		return zeroBuckets(alignDown(start, interval), end, interval, c.now()), nil
	}
	if len(resp.TimeSeries) != 1 || len(resp.TimeSeries[0].GroupBy) > 0 {
		return nil, fmt.Errorf("sentry: %s: want one ungrouped count() series, got %d series", op, len(resp.TimeSeries))
	}
	return resp.TimeSeries[0].buckets(op, end, interval)
}

// timeseriesAnswer is what the client reads of an events-timeseries
// answer.
type timeseriesAnswer struct {
	TimeSeries []countSeries `json:"timeSeries"`
}

type countSeries struct {
	YAxis   string       `json:"yAxis"`
	GroupBy []groupKey   `json:"groupBy"`
	Values  []countValue `json:"values"`
	Meta    struct {
		Interval float64 `json:"interval"`
		IsOther  bool    `json:"isOther"`
	} `json:"meta"`
}

// groupKey is one entry of a series' groupBy: the value is a string or a
// number, kept as sent so that an id beyond a float64's precision stays
// exact.
type groupKey struct {
	Key   string          `json:"key"`
	Value json.RawMessage `json:"value"`
}

type countValue struct {
	Timestamp  float64  `json:"timestamp"`
	Value      *float64 `json:"value"`
	Incomplete bool     `json:"incomplete"`
}

// byIssue reads a grouped answer (see EventCountsMany): the buckets of
// each series by the issue its groupBy names, which must be one of ids
// and named once. An ungrouped series is accepted only when it counts
// nothing (it then says nothing about any issue); an "Other" series is an
// error, as excludeOther=1 was asked.
func (a timeseriesAnswer) byIssue(op string, ids []string, end time.Time, interval time.Duration) (map[string][]Bucket, error) {
	out := map[string][]Bucket{}
	for _, ts := range a.TimeSeries {
		id, err := ts.issueID()
		if err != nil {
			return nil, fmt.Errorf("sentry: %s: %w", op, err)
		}
		switch {
		case id == "" && ts.counted() == 0 && !ts.Meta.IsOther:
			continue
		case id == "" || ts.Meta.IsOther:
			return nil, fmt.Errorf("sentry: %s: a series not grouped by issue", op)
		case !slices.Contains(ids, id):
			return nil, fmt.Errorf("sentry: %s: a series of issue %s, which was not asked for", op, id)
		case out[id] != nil:
			return nil, fmt.Errorf("sentry: %s: two series of issue %s", op, id)
		}
		bs, err := ts.buckets(op, end, interval)
		if err != nil {
			return nil, err
		}
		out[id] = bs
	}
	return out, nil
}

// issueID is the issue a series' groupBy names ("" when it names none):
// its issue.id entry, a string or a number of digits.
func (ts countSeries) issueID() (string, error) {
	for _, g := range ts.GroupBy {
		if g.Key != "issue.id" {
			continue
		}
		var s string
		if json.Unmarshal(g.Value, &s) != nil {
			s = string(g.Value)
		}
		if !numeric(s) {
			return "", fmt.Errorf("groupBy issue.id %s is not an issue id", g.Value)
		}
		return s, nil
	}
	return "", nil
}

// counted is the sum of a series' values.
func (ts countSeries) counted() float64 {
	n := 0.0
	for _, v := range ts.Values {
		if v.Value != nil {
			n += *v.Value
		}
	}
	return n
}

// buckets checks that the series is a count() series of buckets of
// interval, and returns its buckets starting before end, in time order.
// Errors name op.
func (ts countSeries) buckets(op string, end time.Time, interval time.Duration) ([]Bucket, error) {
	if ts.YAxis != "count()" {
		return nil, fmt.Errorf("sentry: %s: want a count() series, got %q", op, ts.YAxis)
	}
	if !sameInterval(ts.Meta.Interval, interval) {
		return nil, fmt.Errorf("sentry: %s: Sentry answered with buckets of %gms, not the %s asked for", op, ts.Meta.Interval, interval)
	}
	buckets := make([]Bucket, 0, len(ts.Values))
	for _, v := range ts.Values {
		if math.IsNaN(v.Timestamp) || math.IsInf(v.Timestamp, 0) {
			return nil, fmt.Errorf("sentry: %s: bad bucket timestamp", op)
		}
		b := v.bucket()
		if !b.Start.Before(end) {
			continue
		}
		if !alignDown(b.Start, interval).Equal(b.Start) {
			return nil, fmt.Errorf("sentry: %s: bucket at %s is not on a multiple of %s", op, b.Start, interval)
		}
		buckets = append(buckets, b)
	}
	sort.SliceStable(buckets, func(i, j int) bool { return buckets[i].Start.Before(buckets[j].Start) })
	return buckets, nil
}

// sameInterval reports whether a series' meta.interval (0 when absent)
// is interval. It is in milliseconds (Sentry sends rollup * 1000); the
// published example shows 3600 for an hour, so seconds are accepted.
func sameInterval(meta float64, interval time.Duration) bool {
	return meta == 0 || meta == float64(interval.Milliseconds()) || meta == float64(interval/time.Second)
}

// bucket is v as a bucket; its timestamp must be finite.
func (v countValue) bucket() Bucket {
	b := Bucket{Start: time.UnixMilli(int64(math.Round(v.Timestamp))).UTC(), Incomplete: v.Incomplete}
	if v.Value != nil {
		b.Count = *v.Value
	}
	return b
}

// alignDown returns the start of the interval-sized bucket holding t,
// buckets being aligned to multiples of interval since the Unix epoch (not
// time.Truncate's zero time, which differs for intervals that do not
// divide a day).
func alignDown(t time.Time, interval time.Duration) time.Time {
	ns := t.UnixNano()
	iv := int64(interval)
	r := ns % iv
	if r < 0 {
		r += iv
	}
	return time.Unix(0, ns-r).UTC()
}

// zeroBuckets returns empty buckets from first (aligned) up to end.
func zeroBuckets(first, end time.Time, interval time.Duration, now time.Time) []Bucket {
	var out []Bucket
	for b := first; b.Before(end); b = b.Add(interval) {
		out = append(out, Bucket{Start: b, Incomplete: !b.Add(interval).Before(now.Add(-ingestionDelay))})
	}
	return out
}
