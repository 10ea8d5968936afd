package sentrysim

import (
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Sentry's messages for filter parameters (get_filter_params in
// src/sentry/api/bases/organization.py).
const (
	msgProjectNotNumber = "Invalid project parameter. Values must be numbers."
	msgNoProjects       = "No projects available"
)

// scope is what a request's project and environment parameters select: a
// nil set selects every project (by slug) or every environment.
type scope struct {
	projects, envs map[string]bool
	// none is set when the organization has no project at all, which
	// Sentry's endpoints answer each in their own way (NoProjects).
	none bool
}

// hasProject reports whether the scope selects a project.
func (sc scope) hasProject(slug string) bool { return sc.projects == nil || sc.projects[slug] }

// count adds up the counts of [from, to) of the selected environments of
// byEnv.
func (sc scope) count(byEnv map[string]Timeline, from, to time.Time) int {
	n := 0
	for env, tl := range byEnv {
		if sc.envs == nil || sc.envs[env] {
			n += count(tl, from, to)
		}
	}
	return n
}

// countTraffic adds up the counts of [from, to) of the selected projects
// and environments of t.
func (sc scope) countTraffic(t traffic, from, to time.Time) int {
	n := 0
	for project, byEnv := range t {
		if sc.hasProject(project) {
			n += sc.count(byEnv, from, to)
		}
	}
	return n
}

// scopeOf reads the project and environment parameters as Sentry does:
// project values must be integers (400 otherwise), -1 (or none) selects
// all projects, and a project the organization does not have is refused
// with 403 (_validate_fetched_projects); an environment the organization
// has never seen is a 404 (get_environments in
// src/sentry/api/helpers/environments.py). When it returns false the
// answer has been written. s.mu is held.
func (s *Server) scopeOf(w http.ResponseWriter, q url.Values) (scope, bool) {
	sc := scope{none: len(s.projects) == 0}
	ids := map[int]bool{}
	for _, v := range q["project"] {
		id, err := strconv.Atoi(v)
		if err != nil {
			fail(w, http.StatusBadRequest, msgProjectNotNumber)
			return sc, false
		}
		ids[id] = true
	}
	if len(ids) > 0 && !ids[-1] {
		sc.projects = map[string]bool{}
		for slug, id := range s.projects {
			if ids[id] {
				sc.projects[slug] = true
			}
		}
		if len(sc.projects) != len(ids) {
			fail(w, http.StatusForbidden, msgForbidden)
			return sc, false
		}
	}
	if envs := q["environment"]; len(envs) > 0 {
		sc.envs = map[string]bool{}
		for _, e := range envs {
			if !s.environments[e] {
				fail(w, http.StatusNotFound, msgNotFound)
				return sc, false
			}
			sc.envs[e] = true
		}
	}
	return sc, true
}

// maxPerPage is the most items a page holds, and the default: Sentry's
// paginate() allows per_page up to 100 (get_per_page in
// src/sentry/api/base.py).
const maxPerPage = 100

// pageOf cuts the request's page out of items, as Sentry's offset
// paginators do: the cursor parameter says where it starts, per_page how
// many it holds (100 at most, the default), and the Link header announces
// the previous and next pages. A cursor or per_page Sentry cannot read is
// a 400; when it returns false the answer has been written.
func pageOf[T any](w http.ResponseWriter, r *http.Request, items []T) ([]T, bool) {
	return pageWith(w, r, items, "per_page")
}

// pageWith is pageOf with the page size read from the parameter size
// (the issue list calls it limit).
func pageWith[T any](w http.ResponseWriter, r *http.Request, items []T, size string) ([]T, bool) {
	q := r.URL.Query()
	limit := maxPerPage
	if v := q.Get(size); v != "" {
		n, err := strconv.Atoi(v)
		switch {
		case err != nil || n < 1:
			fail(w, http.StatusBadRequest, "Invalid "+size+" parameter.")
			return nil, false
		case n > maxPerPage:
			fail(w, http.StatusBadRequest, "Invalid "+size+" value. Cannot exceed "+strconv.Itoa(maxPerPage)+".")
			return nil, false
		}
		limit = n
	}
	offset := 0
	if v := q.Get("cursor"); v != "" {
		c, ok := parseCursor(v)
		if !ok {
			fail(w, http.StatusBadRequest, "Invalid cursor parameter.")
			return nil, false
		}
		offset = c.offset
	}
	w.Header().Set("Link", linkHeader(r, offset, limit, len(items)))
	if offset >= len(items) {
		return []T{}, true
	}
	return items[offset:min(offset+limit, len(items))], true
}
