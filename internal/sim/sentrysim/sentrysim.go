// Package sentrysim is a Sentry server in memory, for tests and the demo.
//
// It speaks the slice of Sentry's web API that fixproof uses, with
// Sentry's own response shapes (checked elsewhere against Sentry's
// published OpenAPI document) and Sentry's own behaviour where a client
// can trip:
//
//   - an issue is read and updated at /api/0/organizations/{org}/issues/{id}/;
//     an update applies only the fields sent, answers the whole updated
//     issue, and rejects an unknown status with Django REST Framework's
//     field errors; a commit to resolve in must be in a repository the
//     organization has connected (Options.Repositories); an issue
//     resolved in a commit carries the serialized commit (an object) in
//     statusDetails.inCommit;
//   - error counts (dataset=errors, one issue or the top issues of a
//     list grouped by issue.id) and transaction counts (dataset=spans,
//     is_transaction:true) come from
//     /api/0/organizations/{org}/events-timeseries/, in buckets aligned to
//     multiples of the interval since the epoch, with timestamps in
//     milliseconds, the recent buckets marked incomplete, and Sentry's own
//     fallback when the interval does not fit the range;
//   - session counts come from /api/0/organizations/{org}/sessions/ with
//     Sentry's rules on field, interval and the number of points (see
//     sessions.go);
//   - releases, their commits and their deploys are listed at
//     /api/0/organizations/{org}/releases/..., newest release first;
//   - lists (notes, releases, commits, deploys) are paginated with
//     Sentry's Link header and cursors, 100 a page unless per_page says
//     fewer, and the same note posted twice within an hour is refused;
//   - the project parameter takes numeric ids only (a slug is a 400, a
//     project the organization lacks a 403) and the environment parameter
//     only environments the organization has seen (else 404), as Sentry's
//     get_filter_params does;
//   - every request needs "Authorization: Bearer <token>" and names the
//     server's organization.
//
// Events are not stored: each issue has a Timeline per environment, a
// function scripted by the test that says how many events happened in a
// time range (see Rate, Step and Events); sessions and transactions are
// Timelines per project and environment. The server's clock is
// injectable. All state is behind one mutex, so a Server is safe for
// concurrent use; snapshots are copies.
package sentrysim

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fixproof/fixproof/internal/sim"
)

// Options configures a Server.
type Options struct {
	// Token is the only auth token accepted, as "Authorization: Bearer
	// <token>". Empty accepts any token (one must still be sent).
	Token string
	// Org is the organization's slug: requests naming another get 403.
	Org string
	// Now is the server's clock; nil means time.Now.
	Now func() time.Time
	// Repositories are the repositories the organization has connected
	// (through an integration such as GitHub's), by name as Sentry shows
	// it ("owner/name"); ConnectRepository adds more later. Resolving in
	// a commit of any other repository is refused as Sentry refuses it:
	// 400 {"statusDetails": {"inCommit": {"repository": ["Unable to find
	// the given repository."]}}}. With none, as in a new organization,
	// every inCommit is refused. A connected repository's commits are all
	// known: Sentry's integration records them as they are pushed.
	Repositories []string
	// Installation is the uuid of the integration-platform app's
	// installation (DefaultInstallation when empty): the one whose
	// external-issues endpoint is served and that webhooks name. App is
	// the app's slug (DefaultApp when empty), the serviceType of the
	// external issues it creates.
	Installation, App string
}

// Server is a simulated Sentry. Create it with New, populate it with
// AddIssue, AddRelease and AddDeploy, script its counts with SetTimeline
// (SetTimelineIn for an environment), SetSessions and SetTransactions,
// serve Handler, and inspect it with Issue.
type Server struct {
	// Control injects latency and faults (e.g. a 429 with
	// X-Sentry-Rate-Limit-Reset) and counts requests.
	Control sim.Control

	opts    Options
	now     func() time.Time
	handler http.Handler

	mu           sync.Mutex
	issues       map[string]*issue // by id
	projects     map[string]int    // project id by slug
	repos        map[string]int    // repository id by name, once seen
	connected    map[string]bool   // connected repositories, by name
	environments map[string]bool   // every environment the organization has seen
	releases     []*release        // in the order they were added
	sessions     traffic           // started sessions
	transactions traffic           // transactions (spans with is_transaction)
	nextIssue    int64
	nextActivity int
	nextExternal int
	nextDeploy   int
}

// traffic is a count per project slug and environment.
type traffic map[string]map[string]Timeline

// New returns a server without issues.
func New(o Options) *Server {
	s := &Server{
		opts:         o,
		now:          o.Now,
		issues:       map[string]*issue{},
		projects:     map[string]int{},
		repos:        map[string]int{},
		connected:    map[string]bool{},
		environments: map[string]bool{},
		sessions:     traffic{},
		transactions: traffic{},
		nextIssue:    4000000001,
		nextActivity: 100,
		nextExternal: 500,
	}
	if s.now == nil {
		s.now = time.Now
	}
	for _, name := range o.Repositories {
		s.connected[name] = true
		s.repoID(name)
	}
	s.handler = s.Control.Wrap(s.routes())
	return s
}

// Handler serves the simulated API behind s.Control.
func (s *Server) Handler() http.Handler { return s.handler }

// Issue is what AddIssue needs to know of a new issue.
type Issue struct {
	// ID is the numeric issue id; empty assigns one.
	ID string
	// ShortID defaults to the project slug in upper case, a hyphen and a
	// base-36 number, like Sentry's (SHOP-2F).
	ShortID string
	// Title defaults to "Error".
	Title string
	// Project is the project's slug; empty means "default".
	Project string
	// Status is "unresolved" (when empty), "resolved" or "ignored".
	Status string
	// Culprit is where the error happened, e.g. "shop.cart in total".
	Culprit string
	// Level defaults to "error".
	Level string
	// FirstSeen is when the issue's first event happened; zero means the
	// server's now at AddIssue. A timeline's events before it do not
	// exist: neither the issue's count, nor its time series, nor the issue
	// list counts them, as in Sentry, where the first event sets firstSeen.
	FirstSeen time.Time
}

// Commit names a commit as the update request does.
type Commit struct {
	// Commit is the SHA; Repository the repository's name in Sentry.
	Commit, Repository string
}

// IssueState is a snapshot of an issue.
type IssueState struct {
	// Status is "resolved", "unresolved" or "ignored"; Substatus is
	// Sentry's refinement of it, empty for null.
	Status    string
	Substatus string
	// ResolvedInCommit is the commit it was last resolved in, or nil.
	ResolvedInCommit *Commit
	// Updates is the number of PUT requests received for it (refused ones
	// included), and UpdateBodies their bodies, as received.
	Updates      int
	UpdateBodies []string
	// Notes are the texts of its notes, oldest first, and NoteIDs their
	// ids.
	Notes   []string
	NoteIDs []string
	// External are the external issues linked to it, oldest first.
	External []ExternalIssue
}

// ExternalIssue is a link to an issue in another service, as an
// integration-platform app creates it (POST
// /api/0/sentry-app-installations/{uuid}/external-issues/): Sentry names
// it "<Project>#<Identifier>".
type ExternalIssue struct {
	// ServiceType names the app that made the link.
	ServiceType string
	// Project and Identifier name the issue in the other service.
	Project    string
	Identifier string
	// WebURL is the issue's address there.
	WebURL string
}

type issue struct {
	id, shortID, title, project, culprit, level string
	status, substatus                           string
	details                                     map[string]any // statusDetails as rendered
	inCommit                                    *Commit
	firstSeen                                   time.Time
	events                                      map[string]Timeline // by environment
	timeline                                    Timeline            // all environments: the sum of events
	updates                                     []string
	activity                                    []*activity // oldest first
	external                                    []external
	assignee                                    *Actor // nil: unassigned
}

type activity struct {
	id      int
	kind    string         // "note", "set_resolved", ...
	data    map[string]any // rendered as is
	author  string         // "" renders user null
	created time.Time
}

type external struct {
	id int
	ExternalIssue
}

// AddIssue adds an issue. It panics when the id is taken or the status is
// not one Sentry has.
func (s *Server) AddIssue(in Issue) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if in.ID == "" {
		in.ID = strconv.FormatInt(s.nextIssue, 10)
		s.nextIssue++
	}
	if _, dup := s.issues[in.ID]; dup {
		panic("sentrysim: AddIssue: issue " + in.ID + " exists")
	}
	if in.Project == "" {
		in.Project = "default"
	}
	s.projectID(in.Project)
	if in.ShortID == "" {
		in.ShortID = strings.ToUpper(in.Project) + "-" + strings.ToUpper(strconv.FormatInt(int64(len(s.issues)+1)*37, 36))
	}
	if in.Title == "" {
		in.Title = "Error"
	}
	if in.Level == "" {
		in.Level = "error"
	}
	if in.FirstSeen.IsZero() {
		in.FirstSeen = s.now()
	}
	is := &issue{
		id: in.ID, shortID: in.ShortID, title: in.Title, project: in.Project,
		culprit: in.Culprit, level: in.Level, firstSeen: in.FirstSeen,
	}
	status := in.Status
	if status == "" {
		status = "unresolved"
	}
	if !s.setStatus(is, status, nil, "") {
		panic("sentrysim: AddIssue: unknown status " + strconv.Quote(status))
	}
	is.activity = nil // no activity for how it started
	s.issues[in.ID] = is
}

// ConnectRepository connects a repository to the organization, as adding
// it in Sentry's integration settings does: commits in it are accepted
// from then on.
func (s *Server) ConnectRepository(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.connected[name] = true
	s.repoID(name)
}

// DisconnectRepository removes a connected repository, as removing it in
// Sentry's integration settings does: resolving in its commits is refused
// from then on.
func (s *Server) DisconnectRepository(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.connected, name)
}

// DefaultEnvironment is the environment of the events SetTimeline
// scripts: "production", what Sentry's SDKs report when the application
// sets none.
const DefaultEnvironment = "production"

// SetTimeline scripts the events of an issue in DefaultEnvironment,
// replacing those scripted there before. It panics for an unknown issue.
func (s *Server) SetTimeline(issueID string, tl Timeline) {
	s.SetTimelineIn(issueID, DefaultEnvironment, tl)
}

// SetTimelineIn scripts the events of an issue in one environment,
// replacing those scripted there before; the issue's count and the
// unfiltered time series add up all its environments. The organization
// sees the environment from then on. It panics for an unknown issue or an
// environment name Sentry refuses (see SetSessions).
func (s *Server) SetTimelineIn(issueID, environment string, tl Timeline) {
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.mustIssue("SetTimelineIn", issueID)
	s.seeEnvironment("SetTimelineIn", environment)
	if is.events == nil {
		is.events = map[string]Timeline{}
	}
	is.events[environment] = tl
	is.timeline = sum(is.events)
}

// SetSessions scripts the sessions started in a project (by slug; a new
// one is created) and environment, as Sentry's release health counts
// them, replacing those scripted there before. It panics for an
// environment name Sentry refuses: empty, longer than 64 characters, or
// holding a slash or a line break (Environment.is_valid_name in Sentry's
// src/sentry/models/environment.py).
func (s *Server) SetSessions(project, environment string, tl Timeline) {
	s.setTraffic("SetSessions", s.sessions, project, environment, tl)
}

// SetTransactions scripts the transactions of a project (by slug; a new
// one is created) in an environment, what dataset=spans counts with
// is_transaction:true, replacing those scripted there before. It panics
// like SetSessions.
func (s *Server) SetTransactions(project, environment string, tl Timeline) {
	s.setTraffic("SetTransactions", s.transactions, project, environment, tl)
}

func (s *Server) setTraffic(fn string, t traffic, project, environment string, tl Timeline) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seeEnvironment(fn, environment)
	s.projectID(project)
	if t[project] == nil {
		t[project] = map[string]Timeline{}
	}
	t[project][environment] = tl
}

// ProjectID returns the numeric id of a project, by slug, creating the
// project when the organization has none of that name: the id the
// project parameter takes and issues' project.id shows.
func (s *Server) ProjectID(slug string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strconv.Itoa(s.projectID(slug))
}

// projectID returns the id of a project, creating it. s.mu is held (or
// the server is not shared yet).
func (s *Server) projectID(slug string) int {
	id, ok := s.projects[slug]
	if !ok {
		id = len(s.projects) + 2
		s.projects[slug] = id
	}
	return id
}

// seeEnvironment records that the organization has seen an environment,
// panicking in fn for a name Sentry refuses. s.mu is held.
func (s *Server) seeEnvironment(fn, name string) {
	if !validEnvironment(name) {
		panic(fmt.Sprintf("sentrysim: %s: %q is not an environment name Sentry accepts", fn, name))
	}
	s.environments[name] = true
}

// validEnvironment is Sentry's Environment.is_valid_name, made to refuse
// the empty name too: no name is no environment.
func validEnvironment(name string) bool {
	return name != "" && len(name) <= 64 && !strings.ContainsAny(name, "\n\r\f/")
}

// sum is a Timeline adding up several.
func sum(tls map[string]Timeline) Timeline {
	all := make([]Timeline, 0, len(tls))
	for _, tl := range tls {
		all = append(all, tl)
	}
	return func(from, to time.Time) int {
		n := 0
		for _, tl := range all {
			n += count(tl, from, to)
		}
		return n
	}
}

// SetStatus changes an issue's status as a person does in Sentry's UI:
// "resolved", "unresolved" or "ignored", without a commit. It panics for
// an unknown issue or status.
func (s *Server) SetStatus(issueID, status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.mustIssue("SetStatus", issueID)
	if !s.setStatus(is, status, nil, "Jane Doe") {
		panic("sentrysim: SetStatus: unknown status " + strconv.Quote(status))
	}
}

// AddNote adds a note to an issue as written by author (empty: by nobody,
// rendered as user null) at the server's now. It panics for an unknown
// issue.
func (s *Server) AddNote(issueID, author, text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.mustIssue("AddNote", issueID)
	s.addActivity(is, "note", map[string]any{"text": text}, author)
}

// AddExternalIssue links an external issue to an issue. It panics for an
// unknown issue.
func (s *Server) AddExternalIssue(issueID string, e ExternalIssue) {
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.mustIssue("AddExternalIssue", issueID)
	s.nextExternal++
	is.external = append(is.external, external{id: s.nextExternal, ExternalIssue: e})
}

// Issue returns a snapshot of an issue.
func (s *Server) Issue(id string) (IssueState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	is, ok := s.issues[id]
	if !ok {
		return IssueState{}, false
	}
	st := IssueState{
		Status:       is.status,
		Substatus:    is.substatus,
		Updates:      len(is.updates),
		UpdateBodies: slices.Clone(is.updates),
	}
	if is.inCommit != nil {
		c := *is.inCommit
		st.ResolvedInCommit = &c
	}
	for _, a := range is.activity {
		if a.kind == "note" {
			st.Notes = append(st.Notes, a.data["text"].(string))
			st.NoteIDs = append(st.NoteIDs, strconv.Itoa(a.id))
		}
	}
	for _, e := range is.external {
		st.External = append(st.External, e.ExternalIssue)
	}
	return st, true
}

// mustIssue finds an issue for a setter. s.mu is held.
func (s *Server) mustIssue(fn, id string) *issue {
	is, ok := s.issues[id]
	if !ok {
		panic(fmt.Sprintf("sentrysim: %s: no issue %q", fn, id))
	}
	return is
}

// lookup finds an issue by id or short id (Sentry accepts both in the
// path). s.mu is held.
func (s *Server) lookup(id string) *issue {
	if is, ok := s.issues[id]; ok {
		return is
	}
	for _, is := range s.issues {
		if strings.EqualFold(is.shortID, id) {
			return is
		}
	}
	return nil
}

// repoID returns the id of a repository, creating it. s.mu is held (or
// the server is not shared yet).
func (s *Server) repoID(name string) int {
	id, ok := s.repos[name]
	if !ok {
		id = len(s.repos) + 3
		s.repos[name] = id
	}
	return id
}

// addActivity records an activity on an issue. s.mu is held.
func (s *Server) addActivity(is *issue, kind string, data map[string]any, author string) *activity {
	s.nextActivity++
	a := &activity{id: s.nextActivity, kind: kind, data: data, author: author, created: s.now()}
	is.activity = append(is.activity, a)
	return a
}

// setStatus applies a status as Sentry's update does, with the commit to
// resolve in (only for "resolved"), recording the activity by author. It
// returns false for a status Sentry does not accept. s.mu is held.
func (s *Server) setStatus(is *issue, status string, in *Commit, author string) bool {
	switch status {
	case "resolved", "resolvedInNextRelease":
		is.status, is.substatus, is.inCommit = "resolved", "", nil
		switch {
		case in != nil:
			c := *in
			is.inCommit = &c
			commit := s.commit(c)
			is.details = map[string]any{"inCommit": commit}
			s.addActivity(is, "set_resolved_in_commit", map[string]any{"commit": commit}, author)
		case status == "resolvedInNextRelease":
			is.details = map[string]any{"inNextRelease": true}
			s.addActivity(is, "set_resolved_in_release", map[string]any{"version": ""}, author)
		default:
			is.details = map[string]any{}
			s.addActivity(is, "set_resolved", map[string]any{}, author)
		}
	case "unresolved":
		is.status, is.substatus, is.inCommit, is.details = "unresolved", "ongoing", nil, map[string]any{}
		s.addActivity(is, "set_unresolved", map[string]any{}, author)
	case "ignored", "muted":
		is.status, is.substatus, is.inCommit, is.details = "ignored", "archived_until_escalating", nil, map[string]any{}
		s.addActivity(is, "set_ignored", map[string]any{}, author)
	default:
		return false
	}
	return true
}

// commit renders a commit as Sentry's CommitSerializer does, with its
// repository. s.mu is held.
func (s *Server) commit(c Commit) map[string]any {
	now := s.now().UTC().Format(time.RFC3339Nano)
	return map[string]any{
		"id":          c.Commit,
		"message":     nil,
		"dateCreated": now,
		"repository": map[string]any{
			"id":            strconv.Itoa(s.repoID(c.Repository)),
			"name":          c.Repository,
			"url":           "https://github.com/" + c.Repository,
			"provider":      map[string]any{"id": "integrations:github", "name": "GitHub"},
			"status":        "active",
			"dateCreated":   now,
			"integrationId": "1",
			"externalSlug":  c.Repository,
		},
		"author": nil,
	}
}
