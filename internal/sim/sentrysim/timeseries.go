package sentrysim

import (
	"net/http"
	"regexp"
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

// datasets are the datasets the endpoint documents; only errors is
// simulated.
var datasets = map[string]bool{
	"errors": true, "logs": true, "profile_functions": true, "spans": true, "tracemetrics": true, "uptime_results": true,
}

var (
	issueQuery = regexp.MustCompile(`^issue\.id:([0-9]+)$`)
	period     = regexp.MustCompile(`^([0-9]+)([smhdw]?)$`)
)

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

// timeseries serves the events-timeseries endpoint for the errors dataset
// and one issue: query=issue.id:<id>, yAxis=count().
func (s *Server) timeseries(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	switch ds := q.Get("dataset"); {
	case ds == "":
		fail(w, http.StatusBadRequest, "dataset is required: one of errors, logs, profile_functions, spans, tracemetrics, uptime_results")
		return
	case !datasets[ds]:
		fail(w, http.StatusBadRequest, "dataset must be one of errors, logs, profile_functions, spans, tracemetrics, uptime_results, got "+strconv.Quote(ds))
		return
	case ds != "errors":
		fail(w, http.StatusBadRequest, "sentrysim simulates only dataset=errors, got "+strconv.Quote(ds))
		return
	}
	if axes := q["yAxis"]; len(axes) > 0 && (len(axes) != 1 || axes[0] != "count()") {
		fail(w, http.StatusBadRequest, "sentrysim supports only yAxis=count(), got "+strconv.Quote(strings.Join(axes, ",")))
		return
	}
	m := issueQuery.FindStringSubmatch(strings.TrimSpace(q.Get("query")))
	if m == nil {
		fail(w, http.StatusBadRequest, "sentrysim supports only query=issue.id:<numeric id>, got "+strconv.Quote(q.Get("query")))
		return
	}
	id := m[1]

	now := s.now()
	var start, end time.Time
	switch sp, qs, qe := q.Get("statsPeriod"), q.Get("start"), q.Get("end"); {
	case sp != "":
		d, ok := parsePeriod(sp)
		if !ok || d <= 0 {
			fail(w, http.StatusBadRequest, "Invalid statsPeriod: "+strconv.Quote(sp))
			return
		}
		start, end = now.Add(-d), now
	case qs != "" || qe != "":
		var ok1, ok2 bool
		start, ok1 = parseDate(qs)
		end, ok2 = parseDate(qe)
		if qs == "" || qe == "" {
			fail(w, http.StatusBadRequest, "start and end are both required")
			return
		}
		if !ok1 || !ok2 {
			fail(w, http.StatusBadRequest, "start and end must be ISO 8601 date-times")
			return
		}
	default:
		start, end = now.Add(-defaultPeriod), now
	}
	if !start.Before(end) {
		fail(w, http.StatusBadRequest, "start must be before end")
		return
	}
	iv := rollup(q.Get("interval"), end.Sub(start))

	s.mu.Lock()
	defer s.mu.Unlock()
	resp := map[string]any{
		"meta":       map[string]any{"dataset": "errors", "start": ms(start), "end": ms(end)},
		"timeSeries": []any{},
	}
	is := s.issues[id]
	if is == nil || !s.projectSelected(is, q["project"]) {
		// What a search for an issue that is not there gives.
		reply(w, http.StatusOK, resp)
		return
	}
	values := []any{}
	for b := alignDown(start, iv); b.Before(end); b = b.Add(iv) {
		bucketEnd := b.Add(iv)
		n := count(is.timeline, maxTime(b, start), minTime(minTime(bucketEnd, end), now))
		v := map[string]any{"timestamp": ms(b), "value": n, "incomplete": false}
		if !bucketEnd.Before(now.Add(-ingestionDelay)) {
			v["incomplete"] = true
			v["incompleteReason"] = "INCOMPLETE_BUCKET"
		}
		values = append(values, v)
	}
	resp["timeSeries"] = []any{map[string]any{
		"yAxis":  "count()",
		"values": values,
		"meta":   map[string]any{"interval": iv.Milliseconds(), "valueType": "integer", "valueUnit": nil},
	}}
	reply(w, http.StatusOK, resp)
}

// projectSelected reports whether the project parameters (ids, slugs or
// -1 for all; none means all) include the issue's project. s.mu is held.
func (s *Server) projectSelected(is *issue, params []string) bool {
	if len(params) == 0 {
		return true
	}
	for _, p := range params {
		if p == "-1" || p == is.project || p == strconv.Itoa(s.projects[is.project]) {
			return true
		}
	}
	return false
}
