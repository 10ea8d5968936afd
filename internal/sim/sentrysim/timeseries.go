package sentrysim

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Sentry's limits and defaults for time series.
const (
	// maxPoints is the most buckets Sentry computes (MAX_ROLLUP_POINTS);
	// an interval giving more is replaced.
	maxPoints = 10000
	// ingestionDelay: a bucket ending less than this before now is
	// incomplete (INGESTION_DELAY in Sentry's timeseries endpoint).
	ingestionDelay = 90 * time.Second
	// defaultPeriod is the range when the request gives none.
	defaultPeriod = 24 * time.Hour
)

// datasets are the datasets the endpoint documents; errors and spans
// are simulated.
var datasets = map[string]bool{
	"errors": true, "logs": true, "profile_functions": true, "spans": true, "tracemetrics": true, "uptime_results": true,
}

var (
	// issueQuery is the errors query the simulator reads: one issue id or
	// a list of them, in Sentry's search syntax.
	issueQuery = regexp.MustCompile(`^issue\.id:(?:([0-9]+)|\[([0-9]+(?:,[0-9]+)*)\])$`)
	period     = regexp.MustCompile(`^([0-9]+)([smhdw]?)$`)
)

// maxTopEvents is the most topEvents Sentry allows (MAX_TOP_EVENTS in
// src/sentry/constants.py).
const maxTopEvents = 10

// transactionQuery is the one spans query the simulator answers: the
// spans that are transactions.
const transactionQuery = "is_transaction:true"

// parsePeriod reads a period as Sentry's parse_stats_period does: a number
// followed by s, m, h, d or w; a bare number is seconds.
func parsePeriod(v string) (time.Duration, bool) {
	m := period.FindStringSubmatch(v)
	if m == nil {
		return 0, false
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil || n > 1<<31 {
		return 0, false
	}
	unit := map[string]time.Duration{
		"": time.Second, "s": time.Second, "m": time.Minute, "h": time.Hour, "d": 24 * time.Hour, "w": 7 * 24 * time.Hour,
	}[m[2]]
	return time.Duration(n) * unit, true
}

// parseDate reads start or end: RFC 3339, or ISO 8601 without a zone
// (read as UTC), as Sentry accepts ("2001-12-14T12:34:56.7890").
func parseDate(v string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// fallbackInterval is the interval Sentry picks for a range when the
// requested one does not fit it (get_interval_from_range, low fidelity).
func fallbackInterval(span time.Duration) time.Duration {
	const day = 24 * time.Hour
	switch {
	case span >= 60*day:
		return day
	case span >= 30*day:
		return 4 * time.Hour
	case span > day:
		return time.Hour
	case span > 6*time.Hour:
		return 15 * time.Minute
	}
	return 5 * time.Minute
}

// rollup is the bucket size for a request's interval parameter over span:
// seconds (or a period such as 1h), 3600 when absent, and Sentry's
// fallback when it is invalid, longer than the range or would give more
// than maxPoints buckets.
func rollup(v string, span time.Duration) time.Duration {
	iv := time.Hour
	if v != "" {
		d, ok := parsePeriod(v)
		if !ok {
			d = 0
		}
		iv = d
	}
	if iv <= 0 || iv > span || span/iv > maxPoints {
		iv = fallbackInterval(span)
	}
	return iv
}

// alignDown is the start of the bucket holding t, buckets being aligned
// to multiples of iv since the Unix epoch.
func alignDown(t time.Time, iv time.Duration) time.Time {
	ns, n := t.UnixNano(), int64(iv)
	r := ns % n
	if r < 0 {
		r += n
	}
	return time.Unix(0, ns-r).UTC()
}

// seriesRequest is an events-timeseries request, read.
type seriesRequest struct {
	dataset string
	// issues are the issue ids of an errors query.
	issues []string
	// top is topEvents: that many series grouped by issue.id; 0 for one
	// series.
	top        int
	start, end time.Time
	iv         time.Duration
}

// timeseries serves the events-timeseries endpoint for the errors dataset
// (query=issue.id:<id> or issue.id:[<id>,...], optionally the top issues
// grouped by issue.id) and for transactions (dataset=spans,
// query=is_transaction:true), yAxis=count(), as Sentry's
// OrganizationEventsTimeseriesEndpoint
// (src/sentry/api/endpoints/organization_events_timeseries.py) answers.
func (s *Server) timeseries(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	now := s.now()
	req, msg := readSeriesRequest(q, now)
	if msg != "" {
		fail(w, http.StatusBadRequest, msg)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sc, ok := s.scopeOf(w, q)
	if !ok {
		return
	}
	resp := map[string]any{
		"meta":       map[string]any{"dataset": req.dataset, "start": ms(req.start), "end": ms(req.end)},
		"timeSeries": []any{},
	}
	switch {
	case sc.none:
		// Sentry answers an organization without projects with no series.
	case req.dataset == "spans":
		resp["timeSeries"] = []any{s.transactionSeries(sc, req, now)}
	case req.top > 0:
		resp["timeSeries"] = s.topIssueSeries(sc, req, now)
	default:
		resp["timeSeries"] = s.issueSeries(sc, req, now)
	}
	reply(w, http.StatusOK, resp)
}

// readSeriesRequest reads and checks the parameters that do not depend on
// the server's state; the message says what is refused, or is "".
func readSeriesRequest(q url.Values, now time.Time) (seriesRequest, string) {
	var req seriesRequest
	var msg string
	if req.top, msg = topEventsOf(q); msg != "" {
		return req, msg
	}
	if req.dataset, msg = datasetOf(q); msg != "" {
		return req, msg
	}
	if req.issues, msg = seriesQueryOf(q, req.dataset, req.top); msg != "" {
		return req, msg
	}
	if req.start, req.end, msg = dateRange(q, now, defaultPeriod); msg != "" {
		return req, "Invalid date range: " + msg
	}
	if !req.start.Before(req.end) {
		return req, "Invalid date range: start must be before end"
	}
	req.iv = rollup(q.Get("interval"), req.end.Sub(req.start))
	return req, ""
}

// topEventsOf reads topEvents as Sentry's get_top_events does: 0 when
// absent, else an integer from 1 to 10.
func topEventsOf(q url.Values) (int, string) {
	if !q.Has("topEvents") {
		return 0, ""
	}
	n, err := strconv.Atoi(q.Get("topEvents"))
	switch {
	case err != nil:
		return 0, "topEvents must be an integer"
	case n > maxTopEvents:
		return 0, "Can only get up to " + strconv.Itoa(maxTopEvents) + " top events"
	case n <= 0:
		return 0, "topEvents needs to be at least 1"
	}
	return n, ""
}

// datasetOf reads the dataset: required, one the endpoint documents, and
// one the simulator simulates.
func datasetOf(q url.Values) (string, string) {
	switch ds := q.Get("dataset"); {
	case ds == "":
		return "", "dataset is required: one of errors, logs, profile_functions, spans, tracemetrics, uptime_results"
	case !datasets[ds]:
		return "", "dataset must be one of errors, logs, profile_functions, spans, tracemetrics, uptime_results, got " + strconv.Quote(ds)
	case ds != "errors" && ds != "spans":
		return "", "sentrysim simulates only dataset=errors and dataset=spans, got " + strconv.Quote(ds)
	default:
		return ds, ""
	}
}

// seriesQueryOf checks yAxis, query and the top-events parameters for the
// dataset, and returns the issue ids of an errors query.
func seriesQueryOf(q url.Values, dataset string, top int) ([]string, string) {
	if axes := q["yAxis"]; len(axes) > 0 && (len(axes) != 1 || axes[0] != "count()") {
		return nil, "sentrysim supports only yAxis=count(), got " + strconv.Quote(strings.Join(axes, ","))
	}
	query := strings.TrimSpace(q.Get("query"))
	if dataset == "spans" {
		if query != transactionQuery || top > 0 {
			return nil, "sentrysim supports only query=" + transactionQuery + " without topEvents on dataset=spans, got " + strconv.Quote(query)
		}
		return nil, ""
	}
	m := issueQuery.FindStringSubmatch(query)
	if m == nil {
		return nil, "sentrysim supports only query=issue.id:<numeric id> or issue.id:[<id>,...], got " + strconv.Quote(q.Get("query"))
	}
	ids := strings.Split(m[1]+m[2], ",")
	if top > 0 {
		if msg := topQueryProblem(q); msg != "" {
			return nil, msg
		}
	}
	return ids, ""
}

// topQueryProblem says what Sentry (or the simulator) refuses in the
// parameters of a topEvents query of errors, or "": Sentry requires
// groupBy; the simulator groups by issue.id only, orders by -count()
// only, and has no Other series.
func topQueryProblem(q url.Values) string {
	switch {
	case len(q["groupBy"]) == 0:
		return "groupBy is a required parameter when doing topEvents"
	case len(q["groupBy"]) != 1 || q.Get("groupBy") != "issue.id":
		return "sentrysim supports only groupBy=issue.id, got " + strconv.Quote(strings.Join(q["groupBy"], ","))
	case q.Has("sort") && q.Get("sort") != "-count()":
		return "sentrysim supports only sort=-count(), got " + strconv.Quote(q.Get("sort"))
	case q.Get("excludeOther") != "1":
		return "sentrysim does not simulate the Other series: ask with excludeOther=1"
	}
	return ""
}

// values renders the buckets of req, n counting the events of a range;
// rpc adds what Sentry's RPC datasets (spans) add to each value: the
// sample count, rate and confidence, the rate null where nothing was
// sampled. Only the past is counted, and a bucket ending within the
// ingestion delay of now is incomplete.
func values(req seriesRequest, now time.Time, rpc bool, n func(from, to time.Time) int) []any {
	out := []any{}
	for b := alignDown(req.start, req.iv); b.Before(req.end); b = b.Add(req.iv) {
		bucketEnd := b.Add(req.iv)
		c := n(maxTime(b, req.start), minTime(minTime(bucketEnd, req.end), now))
		v := map[string]any{"timestamp": ms(b), "value": c, "incomplete": false}
		if !bucketEnd.Before(now.Add(-ingestionDelay)) {
			v["incomplete"] = true
			v["incompleteReason"] = "INCOMPLETE_BUCKET"
		}
		if rpc {
			v["sampleCount"], v["sampleRate"], v["confidence"] = c, nil, nil
			if c > 0 {
				v["sampleRate"], v["confidence"] = 1, "high"
			}
		}
		out = append(out, v)
	}
	return out
}

// seriesMeta is a series' meta: the interval in milliseconds, as Sentry
// sends it (rollup * 1000).
func seriesMeta(iv time.Duration) map[string]any {
	return map[string]any{"interval": iv.Milliseconds(), "valueType": "integer", "valueUnit": nil}
}

// countIn counts the issue's events of [from, to) in the scope's
// environments from its first event on: the timeline may say more, but
// an issue has no event before its first (Sentry sets firstSeen from the
// events).
func (is *issue) countIn(sc scope, from, to time.Time) int {
	from = maxTime(from, is.firstSeen)
	if !from.Before(to) {
		return 0
	}
	return sc.count(is.events, from, to)
}

// issueSeries is the one series counting the errors of the query's
// issues in the scope; none when the query names no issue the scope
// holds (what a search for an issue that is not there gives). s.mu is
// held.
func (s *Server) issueSeries(sc scope, req seriesRequest, now time.Time) []any {
	var found []*issue
	for _, id := range req.issues {
		if is := s.issues[id]; is != nil && sc.hasProject(is.project) && !slices.Contains(found, is) {
			found = append(found, is)
		}
	}
	if len(found) == 0 {
		return []any{}
	}
	n := func(from, to time.Time) int {
		c := 0
		for _, is := range found {
			c += is.countIn(sc, from, to)
		}
		return c
	}
	return []any{map[string]any{"yAxis": "count()", "values": values(req, now, false, n), "meta": seriesMeta(req.iv)}}
}

// topIssueSeries is a series per issue of the query that has errors in
// the range and the scope, the most errors first, at most req.top of them,
// each with groupBy [{"key": "issue.id", "value": <id>}] and its order.
// An issue without errors has no series, as in Sentry's top events. s.mu
// is held.
func (s *Server) topIssueSeries(sc scope, req seriesRequest, now time.Time) []any {
	type ranked struct {
		is    *issue
		total int
	}
	var top []ranked
	for _, id := range req.issues {
		is := s.issues[id]
		if is == nil || !sc.hasProject(is.project) || slices.ContainsFunc(top, func(r ranked) bool { return r.is == is }) {
			continue
		}
		if n := is.countIn(sc, req.start, minTime(req.end, now)); n > 0 {
			top = append(top, ranked{is, n})
		}
	}
	sort.SliceStable(top, func(i, j int) bool { return top[i].total > top[j].total })
	out := []any{}
	for i, r := range top[:min(len(top), req.top)] {
		meta := seriesMeta(req.iv)
		meta["order"], meta["isOther"] = i, false
		id, _ := strconv.ParseInt(r.is.id, 10, 64)
		n := func(from, to time.Time) int { return r.is.countIn(sc, from, to) }
		out = append(out, map[string]any{
			"yAxis": "count()", "values": values(req, now, false, n), "meta": meta,
			"groupBy": []any{map[string]any{"key": "issue.id", "value": id}},
		})
	}
	return out
}

// transactionSeries is the series counting the transactions of the scope.
// s.mu is held.
func (s *Server) transactionSeries(sc scope, req seriesRequest, now time.Time) any {
	n := func(from, to time.Time) int { return sc.countTraffic(s.transactions, from, to) }
	return map[string]any{"yAxis": "count()", "values": values(req, now, true, n), "meta": seriesMeta(req.iv)}
}
