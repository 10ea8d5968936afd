package sentrysim

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Release is what AddRelease needs to know of a new release.
type Release struct {
	// Version is the release's name, unique in the organization. Sentry
	// refuses an empty one, ".", "..", "latest", one longer than 200
	// characters, and one holding a slash, a backslash, a tab or a line
	// break (Release.is_valid_version; BAD_RELEASE_CHARS in
	// src/sentry/constants.py), so no version needs a slash escaped.
	Version string
	// Projects are the slugs of the projects it belongs to (created when
	// new); none means "default".
	Projects []string
	// Created is when it was created (dateCreated, what Sentry sorts the
	// list by); zero means the server's now.
	Created time.Time
	// Released is when it was finalized (dateReleased); zero is null.
	Released time.Time
	// Commits are the SHAs of its commits, in the order Sentry lists them
	// (as set-commits gave them, newest first).
	Commits []string
	// Repository names the repository the commits are in; empty leaves
	// the commits without one.
	Repository string
}

// Deploy is a deploy of a release to an environment.
type Deploy struct {
	// Environment is where it went; the organization sees it from then
	// on, as Sentry creates the environment for a deploy.
	Environment string
	// Name and URL are optional labels; empty is null.
	Name, URL string
	// Started is when it began; zero is null.
	Started time.Time
	// Finished is when it ended; zero means the server's now, as Sentry
	// fills in a deploy's date_finished when the request gives none.
	Finished time.Time
}

type release struct {
	Release
	id      int
	deploys []deploy
}

type deploy struct {
	Deploy
	id int
}

// AddRelease adds a release. It panics for a version Sentry refuses or
// one the organization has already.
func (s *Server) AddRelease(r Release) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !validVersion(r.Version) {
		panic(fmt.Sprintf("sentrysim: AddRelease: %q is not a version Sentry accepts", r.Version))
	}
	if s.release(r.Version) != nil {
		panic("sentrysim: AddRelease: release " + r.Version + " exists")
	}
	if len(r.Projects) == 0 {
		r.Projects = []string{"default"}
	}
	r.Projects = slices.Clone(r.Projects)
	for _, p := range r.Projects {
		s.projectID(p)
	}
	r.Commits = slices.Clone(r.Commits)
	if r.Created.IsZero() {
		r.Created = s.now()
	}
	s.releases = append(s.releases, &release{Release: r, id: len(s.releases) + 1})
}

// AddDeploy records a deploy of a release and returns its id. It panics
// for an unknown release or an environment name Sentry refuses (see
// SetSessions).
func (s *Server) AddDeploy(version string, d Deploy) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	rel := s.release(version)
	if rel == nil {
		panic("sentrysim: AddDeploy: no release " + strconv.Quote(version))
	}
	s.seeEnvironment("AddDeploy", d.Environment)
	if d.Finished.IsZero() {
		d.Finished = s.now()
	}
	s.nextDeploy++
	rel.deploys = append(rel.deploys, deploy{Deploy: d, id: s.nextDeploy})
	return strconv.Itoa(s.nextDeploy)
}

// validVersion is Sentry's Release.is_valid_version.
func validVersion(v string) bool {
	return v != "" && len(v) <= 200 && v != "." && v != ".." && !strings.EqualFold(v, "latest") &&
		!strings.ContainsAny(v, "\r\n\f\t/\\")
}

// release finds a release by version. s.mu is held.
func (s *Server) release(version string) *release {
	for _, r := range s.releases {
		if r.Version == version {
			return r
		}
	}
	return nil
}

// releaseFor locks the server and finds the path's release. When it
// returns nil the 404 has been written and the lock released; otherwise
// the caller must unlock.
func (s *Server) releaseFor(w http.ResponseWriter, r *http.Request) *release {
	s.mu.Lock()
	rel := s.release(r.PathValue("version"))
	if rel == nil {
		s.mu.Unlock()
		fail(w, http.StatusNotFound, msgNotFound)
	}
	return rel
}

// listReleases serves GET .../releases/ as Sentry's
// OrganizationReleasesEndpoint does with its default sort=date: releases
// of the selected projects (with a deploy to a selected environment when
// the environment parameter is given; Sentry also counts events, which
// the simulator does not tie to releases), whose version contains query
// (case-insensitive), newest dateCreated first, paginated.
func (s *Server) listReleases(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if sortBy := q.Get("sort"); sortBy != "" && sortBy != "date" {
		fail(w, http.StatusBadRequest, "sentrysim supports only sort=date, got "+strconv.Quote(sortBy))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sc, ok := s.scopeOf(w, q)
	if !ok {
		return
	}
	var list []*release
	for _, rel := range s.releases {
		if !sc.none && rel.in(sc) && strings.Contains(strings.ToLower(rel.Version), strings.ToLower(q.Get("query"))) {
			list = append(list, rel)
		}
	}
	sort.SliceStable(list, func(i, j int) bool {
		if !list[i].Created.Equal(list[j].Created) {
			return list[i].Created.After(list[j].Created)
		}
		return list[i].id > list[j].id
	})
	list, ok = pageOf(w, r, list)
	if !ok {
		return
	}
	out := []any{}
	for _, rel := range list {
		out = append(out, s.renderRelease(rel))
	}
	reply(w, http.StatusOK, out)
}

// in reports whether the release belongs to a selected project and, when
// environments are selected, was deployed to one.
func (rel *release) in(sc scope) bool {
	if !slices.ContainsFunc(rel.Projects, sc.hasProject) {
		return false
	}
	return sc.envs == nil || slices.ContainsFunc(rel.deploys, func(d deploy) bool { return sc.envs[d.Environment] })
}

// renderRelease serializes a release as Sentry's release serializer does
// for the list. s.mu is held.
func (s *Server) renderRelease(rel *release) map[string]any {
	projects := []any{}
	for _, p := range rel.Projects {
		projects = append(projects, map[string]any{
			"id": s.projects[p], "slug": p, "name": p, "newGroups": 0, "platform": "python",
			"platforms": []string{"python"}, "hasHealthData": false,
		})
	}
	var last any
	if d := rel.lastDeploy(); d != nil {
		// The schema types lastDeploy.name as a string (the deploy list
		// allows null): an unnamed deploy is "" here.
		last = map[string]any{
			"id": strconv.Itoa(d.id), "environment": d.Environment, "name": d.Name,
			"dateStarted": isoOrNull(d.Started), "dateFinished": iso(d.Finished), "url": stringOrNull(d.URL),
		}
	}
	return map[string]any{
		"id": rel.id, "version": rel.Version, "shortVersion": rel.Version, "status": "open",
		"ref": nil, "url": nil, "dateCreated": iso(rel.Created), "dateReleased": isoOrNull(rel.Released),
		"owner": nil, "lastCommit": nil, "lastDeploy": last, "firstEvent": nil, "lastEvent": nil,
		"currentProjectMeta": map[string]any{}, "userAgent": nil, "data": map[string]any{},
		"newGroups": 0, "commitCount": len(rel.Commits), "deployCount": len(rel.deploys),
		"authors": []any{}, "projects": projects, "versionInfo": versionInfo(rel.Version),
	}
}

// lastDeploy is the deploy that finished last, or nil.
func (rel *release) lastDeploy() *deploy {
	var last *deploy
	for i := range rel.deploys {
		if d := &rel.deploys[i]; last == nil || !d.Finished.Before(last.Finished) {
			last = d
		}
	}
	return last
}

// versionInfo is what Sentry makes of a "package@version" name, and null
// for a version it does not parse as one.
func versionInfo(version string) any {
	pkg, v, ok := strings.Cut(version, "@")
	if !ok || pkg == "" || v == "" {
		return nil
	}
	return map[string]any{"package": pkg, "version": map[string]any{"raw": v}, "description": v, "buildHash": nil}
}

// listCommits serves GET .../releases/{version}/commits/: the release's
// commits in their order, paginated.
func (s *Server) listCommits(w http.ResponseWriter, r *http.Request) {
	rel := s.releaseFor(w, r)
	if rel == nil {
		return
	}
	defer s.mu.Unlock()
	commits, ok := pageOf(w, r, rel.Commits)
	if !ok {
		return
	}
	out := []any{}
	for _, sha := range commits {
		c := map[string]any{
			"id": sha, "message": nil, "dateCreated": iso(rel.Created), "pullRequest": nil, "suspectCommitType": "",
			"releases": []any{map[string]any{
				"version": rel.Version, "shortVersion": rel.Version, "ref": nil, "url": nil,
				"dateReleased": isoOrNull(rel.Released), "dateCreated": iso(rel.Created),
			}},
		}
		if rel.Repository != "" {
			c["repository"] = s.commit(Commit{Commit: sha, Repository: rel.Repository})["repository"]
		}
		out = append(out, c)
	}
	reply(w, http.StatusOK, out)
}

// listDeploys serves GET .../releases/{version}/deploys/: the release's
// deploys, the last finished first (Sentry orders by -date_finished),
// paginated.
func (s *Server) listDeploys(w http.ResponseWriter, r *http.Request) {
	rel := s.releaseFor(w, r)
	if rel == nil {
		return
	}
	defer s.mu.Unlock()
	list := slices.Clone(rel.deploys)
	sort.SliceStable(list, func(i, j int) bool { return list[i].Finished.After(list[j].Finished) })
	list, ok := pageOf(w, r, list)
	if !ok {
		return
	}
	out := []any{}
	for _, d := range list {
		out = append(out, map[string]any{
			"id": strconv.Itoa(d.id), "environment": d.Environment, "name": stringOrNull(d.Name), "url": stringOrNull(d.URL),
			"dateStarted": isoOrNull(d.Started), "dateFinished": iso(d.Finished),
		})
	}
	reply(w, http.StatusOK, out)
}

// isoOrNull is iso(t), or null for the zero time.
func isoOrNull(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return iso(t)
}

// stringOrNull is s, or null when it is empty.
func stringOrNull(s string) any {
	if s == "" {
		return nil
	}
	return s
}
