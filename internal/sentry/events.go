package sentry

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"time"
)

// Bucket is the number of events in one interval-sized window starting at
// Start.
type Bucket struct {
	// Start is the window's start, in UTC, a multiple of the interval
	// since the Unix epoch.
	Start time.Time
	// Count is the number of events in the window (Sentry sends a number
	// that may in principle be fractional).
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

// EventCounts returns the number of error events of one issue per
// interval-sized bucket between start and end:
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
	if err := checkID(issueID); err != nil {
		return nil, err
	}
	op := "count events of issue " + issueID
	if err := checkCountWindow(op, start, end, interval); err != nil {
		return nil, err
	}
	var resp timeseriesAnswer
	if _, err := c.do(ctx, op, http.MethodGet, c.orgPath("events-timeseries/"), eventCountsQuery(issueID, start, end, interval), nil, &resp); err != nil {
		return nil, err
	}
	if len(resp.TimeSeries) == 0 {
		return zeroBuckets(alignDown(start, interval), end, interval, c.now()), nil
	}
	return resp.buckets(op, end, interval)
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

// eventCountsQuery is the events-timeseries query for the error events of
// one issue in all projects (see EventCounts).
func eventCountsQuery(issueID string, start, end time.Time, interval time.Duration) url.Values {
	return url.Values{
		"dataset":  {"errors"},
		"query":    {"issue.id:" + issueID},
		"yAxis":    {"count()"},
		"interval": {strconv.FormatInt(int64(interval/time.Second), 10)},
		"start":    {start.UTC().Format(time.RFC3339Nano)},
		"end":      {end.UTC().Format(time.RFC3339Nano)},
		"project":  {"-1"},
	}
}

// timeseriesAnswer is what EventCounts reads of an events-timeseries
// answer.
type timeseriesAnswer struct {
	TimeSeries []countSeries `json:"timeSeries"`
}

type countSeries struct {
	YAxis   string       `json:"yAxis"`
	GroupBy []any        `json:"groupBy"`
	Values  []countValue `json:"values"`
	Meta    struct {
		Interval float64 `json:"interval"`
	} `json:"meta"`
}

type countValue struct {
	Timestamp  float64  `json:"timestamp"`
	Value      *float64 `json:"value"`
	Incomplete bool     `json:"incomplete"`
}

// buckets checks that the answer is the one ungrouped count() series of
// buckets of interval asked for, and returns its buckets starting before
// end, in time order. Errors name op.
func (a timeseriesAnswer) buckets(op string, end time.Time, interval time.Duration) ([]Bucket, error) {
	if len(a.TimeSeries) != 1 || a.TimeSeries[0].YAxis != "count()" || len(a.TimeSeries[0].GroupBy) > 0 {
		return nil, fmt.Errorf("sentry: %s: want one ungrouped count() series, got %d series", op, len(a.TimeSeries))
	}
	ts := a.TimeSeries[0]
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
