package sentrysim

import (
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Sentry's rules for the sessions endpoint, from
// get_constrained_date_range in src/sentry/snuba/sessions_v2.py (and
// QueryDefinition there), behind OrganizationSessionsEndpoint
// (src/sentry/api/endpoints/organization_sessions.py), and from the
// endpoint's published description: "The interval can at most be one day
// and at least one hour currently. It has to cleanly divide one day".
const (
	// sessionsMaxPoints is MAX_POINTS: the most intervals one answer
	// covers.
	sessionsMaxPoints = 1000
	// sessionsDefaultPeriod is the range without statsPeriod, start and
	// end (MAX_STATS_PERIOD), too long for 1h buckets: Sentry refuses it.
	sessionsDefaultPeriod = 90 * 24 * time.Hour
	// sessionsMinInterval is the documented minimum interval. Sentry's
	// newer metrics-backed code allows ten seconds
	// (AllowedResolution.ten_seconds); older releases and self-hosted
	// installations without the minute-resolution feature enforce one
	// hour, the documented rule the simulator keeps.
	sessionsMinInterval = time.Hour
	// sessionsMaxInterval is a day, which an interval must also divide.
	sessionsMaxInterval = 24 * time.Hour
)

// sessionFields are the fields Sentry's sessions endpoint knows
// (COLUMN_MAP); only sum(session) is simulated.
var sessionFields = map[string]bool{
	"sum(session)": true, "count_unique(user)": true, "avg(session.duration)": true,
	"p50(session.duration)": true, "p75(session.duration)": true, "p90(session.duration)": true,
	"p95(session.duration)": true, "p99(session.duration)": true, "max(session.duration)": true,
	"crash_rate(session)": true, "crash_rate(user)": true, "crash_free_rate(session)": true, "crash_free_rate(user)": true,
}

// sessionGroupBys are the groupBy values Sentry knows (GROUPBY_MAP); none
// is simulated.
var sessionGroupBys = map[string]bool{"project": true, "environment": true, "release": true, "session.status": true}

// querySessions serves GET .../sessions/ for field=sum(session) without
// groupBy: one group whose series counts the sessions started in each
// interval, in the selected projects and environments. The checks run in
// Sentry's order: dates, projects and environments (get_filter_params),
// then fields and groupBy, then the interval and the number of points.
func (s *Server) querySessions(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	now := s.now()
	start, end, msg := dateRange(q, now, sessionsDefaultPeriod)
	if msg != "" {
		fail(w, http.StatusBadRequest, "Invalid date range: "+msg)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sc, ok := s.scopeOf(w, q)
	if !ok {
		return
	}
	if sc.none {
		fail(w, http.StatusBadRequest, msgNoProjects)
		return
	}
	if msg := sessionQueryProblem(q); msg != "" {
		fail(w, http.StatusBadRequest, msg)
		return
	}
	iv, msg := sessionInterval(q.Get("interval"))
	if msg == "" {
		start, end, msg = sessionIntervals(minTime(start, now), end, iv)
	}
	if msg != "" {
		fail(w, http.StatusBadRequest, msg)
		return
	}
	reply(w, http.StatusOK, s.sessionsAnswer(sc, start, end, iv, now))
}

// sessionQueryProblem says what Sentry (or the simulator) refuses in the
// field, groupBy and query parameters, or "".
func sessionQueryProblem(q url.Values) string {
	fields := q["field"]
	if len(fields) == 0 {
		return `Request is missing a "field"`
	}
	for _, f := range fields {
		if !sessionFields[f] {
			return `Invalid field: "` + f + `"`
		}
	}
	for _, g := range q["groupBy"] {
		if !sessionGroupBys[g] {
			return `Invalid groupBy: "` + g + `"`
		}
	}
	switch {
	case len(fields) != 1 || fields[0] != "sum(session)":
		return "sentrysim supports only field=sum(session)"
	case len(q["groupBy"]) > 0:
		return "sentrysim does not simulate groupBy on sessions"
	case q.Get("query") != "":
		return "sentrysim does not simulate a query on sessions"
	}
	return ""
}

// sessionInterval reads the interval as get_constrained_date_range does:
// a period such as 1h (an unreadable one is taken as 1h, as Sentry does),
// a multiple of the minimum, at most a day, dividing a day.
func sessionInterval(v string) (time.Duration, string) {
	iv := time.Hour
	if v != "" {
		if d, ok := parsePeriod(v); ok {
			iv = d
		}
	}
	switch {
	case iv < sessionsMinInterval || iv%sessionsMinInterval != 0:
		return 0, "The interval has to be a multiple of the minimum interval of one hour."
	case iv > sessionsMaxInterval:
		return 0, "The interval has to be less than one day."
	case sessionsMaxInterval%iv != 0:
		return 0, "The interval should divide one day without a remainder."
	}
	return iv, ""
}

// sessionIntervals aligns [start, end) to whole intervals as Sentry's
// to_intervals does (start down, end up to a multiple of iv since the
// epoch) and refuses more than sessionsMaxPoints of them.
func sessionIntervals(start, end time.Time, iv time.Duration) (time.Time, time.Time, string) {
	first := alignDown(start, iv)
	n := end.Sub(first) / iv
	if end.Sub(first)%iv != 0 {
		n++
	}
	if n > sessionsMaxPoints {
		return first, end, "Your interval and date range would create too many results. Use a larger interval, or a smaller date range."
	}
	return first, first.Add(n * iv), ""
}

// sessionsAnswer renders the answer: Sentry's metrics backend answers one
// group with empty "by" even when nothing was counted. s.mu is held.
func (s *Server) sessionsAnswer(sc scope, start, end time.Time, iv time.Duration, now time.Time) map[string]any {
	intervals := []string{}
	series := []int{}
	total := 0
	for b := start; b.Before(end); b = b.Add(iv) {
		n := sc.countTraffic(s.sessions, b, minTime(b.Add(iv), now))
		intervals = append(intervals, isoZ(b))
		series = append(series, n)
		total += n
	}
	return map[string]any{
		"start": isoZ(start), "end": isoZ(end), "query": "", "intervals": intervals,
		"groups": []any{map[string]any{
			"by":     map[string]any{},
			"totals": map[string]any{"sum(session)": total},
			"series": map[string]any{"sum(session)": series},
		}},
	}
}

// isoZ formats a time as the sessions endpoint does: whole seconds, UTC,
// with a Z.
func isoZ(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// dateRange reads statsPeriod, or start and end, as Sentry's
// get_date_range_from_params does, defaulting to the period before now;
// the message says what is wrong, or is "".
func dateRange(q url.Values, now time.Time, period time.Duration) (time.Time, time.Time, string) {
	sp, qs, qe := q.Get("statsPeriod"), q.Get("start"), q.Get("end")
	switch {
	case sp != "":
		d, ok := parsePeriod(sp)
		if !ok || d <= 0 {
			return now, now, "Invalid statsPeriod: " + strconv.Quote(sp)
		}
		return now.Add(-d), now, ""
	case qs != "" || qe != "":
		if qs == "" || qe == "" {
			return now, now, "start and end are both required"
		}
		start, ok1 := parseDate(qs)
		end, ok2 := parseDate(qe)
		if !ok1 || !ok2 {
			return now, now, "start and end must be ISO 8601 date-times"
		}
		if start.After(end) {
			return now, now, "start must be before end"
		}
		return start, end, ""
	}
	return now.Add(-period), now, ""
}
