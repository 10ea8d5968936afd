package sentrysim

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// issueListPeriod is the range the issue list covers when the request
// names none (the issue stream's default statsPeriod, 14d).
const issueListPeriod = 14 * 24 * time.Hour

// statusSearches are the issue-search terms the simulator answers, and the
// statuses each selects (is:resolved, is:unresolved, is:ignored with its
// newer name is:archived; src/sentry/search/utils.py, STATUS_QUERY_CHOICES).
var statusSearches = map[string][]string{
	"is:resolved":   {"resolved", "resolvedInNextRelease"},
	"is:unresolved": {"unresolved"},
	"is:ignored":    {"ignored", "muted"},
	"is:archived":   {"ignored", "muted"},
}

// listIssues serves GET /api/0/organizations/{org}/issues/ as Sentry's
// OrganizationGroupIndexEndpoint does for the searches the simulator
// understands: issues of the selected projects with an event in the
// selected environments and range (statsPeriod, or start and end; 14 days
// by default), whose status the query selects (is:unresolved when the
// query parameter is absent, every status when it is empty), most recently
// seen first (sort=date), at most limit (100, the most) a page, with
// Sentry's cursor pagination. A search term it does not know is refused
// with 400 rather than ignored, so a client never believes a filter was
// applied that was not.
func (s *Server) listIssues(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	statuses, problem := issueSearch(q)
	if problem != "" {
		fail(w, http.StatusBadRequest, problem)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	start, end, problem := dateRange(q, now, issueListPeriod)
	if problem != "" {
		fail(w, http.StatusBadRequest, problem)
		return
	}
	sc, ok := s.scopeOf(w, q)
	if !ok {
		return
	}
	type seen struct {
		is   *issue
		last time.Time
	}
	var list []seen
	for _, is := range s.issues {
		if sc.none || !sc.hasProject(is.project) || (statuses != nil && !statuses[is.status]) {
			continue
		}
		if is.countIn(sc, start, minTime(end, now)) == 0 {
			continue
		}
		last, _ := lastEvent(is.timeline, is.firstSeen, now)
		list = append(list, seen{is, last})
	}
	sort.Slice(list, func(i, j int) bool {
		if !list[i].last.Equal(list[j].last) {
			return list[i].last.After(list[j].last)
		}
		return list[i].is.id > list[j].is.id
	})
	list, ok = pageWith(w, r, list, "limit")
	if !ok {
		return
	}
	out := []any{}
	for _, e := range list {
		out = append(out, s.renderListed(e.is))
	}
	reply(w, http.StatusOK, out)
}

// issueSearch reads the query parameter: the statuses it selects (nil for
// all), or what is wrong with it.
func issueSearch(q url.Values) (map[string]bool, string) {
	query, given := q["query"]
	if !given {
		query = []string{"is:unresolved"}
	}
	var statuses map[string]bool
	for _, term := range strings.Fields(strings.Join(query, " ")) {
		names, ok := statusSearches[strings.ToLower(term)]
		if !ok {
			return nil, "sentrysim understands only is:resolved, is:unresolved, is:ignored and is:archived in an issue search, got " + strconv.Quote(term)
		}
		// Terms are ANDed: each narrows the statuses selected so far.
		next := map[string]bool{}
		for _, n := range names {
			if statuses == nil || statuses[n] {
				next[n] = true
			}
		}
		statuses = next
	}
	if sortBy := q.Get("sort"); sortBy != "" && sortBy != "date" {
		return nil, "sentrysim supports only sort=date, got " + strconv.Quote(sortBy)
	}
	return statuses, ""
}

// renderListed serializes an issue as the issue list does
// (StreamGroupSerializerSnuba without expand): the issue's fields without
// the details endpoint's extras (activity, tags, releases, participants),
// with its lifetime totals, and no filtered totals as no search condition
// beyond the status applies. The list's documented schema names more
// fields as required (inbox, owners, sessionCount, ...) that Sentry sends
// only when asked for with expand; see the contract's errata. s.mu is held.
func (s *Server) renderListed(is *issue) map[string]any {
	m := s.render(is)
	for _, k := range []string{"activity", "seenBy", "participants", "tags", "firstRelease", "lastRelease", "userReportCount"} {
		delete(m, k)
	}
	m["lifetime"] = map[string]any{
		"count": m["count"], "userCount": m["userCount"], "firstSeen": m["firstSeen"], "lastSeen": m["lastSeen"], "stats": nil,
	}
	m["filtered"] = nil
	return m
}
