// Package jirasim is a Jira Cloud / Data Center server in memory, for tests
// and the demo.
//
// It speaks the slice of the Jira REST API that fixproof uses, with Jira's
// own response shapes (checked elsewhere against Atlassian's OpenAPI spec)
// and Jira's own awkward behaviour where clients are known to trip: the
// workflow must be walked one transition at a time, a JQL query that names a
// missing issue key fails as a whole, the old Cloud search answers 410 Gone,
// rich text must be valid Atlassian Document Format on Cloud's v3 API (by
// Atlassian's schema, see adf.go) and plain strings on v2, page tokens
// continue only the query that made them, remote links are upserted by
// global id, and, when Options.RateLimit says so, a client past the rate
// limit gets 429 with Jira Cloud's headers (ratelimit.go).
//
// A Cloud server serves /rest/api/3 and /rest/api/2 behind HTTP basic auth
// (email and API token); a Data Center server serves only /rest/api/2 behind
// a bearer personal access token. All state is behind one mutex, so a Server
// is safe for concurrent use.
//
// Like Jira, it sends admin webhooks (AddWebhook) when comments change and
// issues change status; see webhooks.go.
package jirasim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fixproof/fixproof/internal/sim"
)

// Flavor is the kind of Jira deployment simulated.
type Flavor int

const (
	// Cloud is Jira Cloud: REST v3 (and v2), basic auth with email:token.
	Cloud Flavor = iota
	// DataCenter is Jira Data Center: REST v2 only, bearer PAT.
	DataCenter
)

// String names the flavor.
func (f Flavor) String() string {
	switch f {
	case Cloud:
		return "Cloud"
	case DataCenter:
		return "DataCenter"
	}
	return "Flavor(" + strconv.Itoa(int(f)) + ")"
}

// Options configures a Server.
type Options struct {
	Flavor Flavor
	// Email and APIToken are the only credentials a Cloud server accepts,
	// as HTTP basic auth (email:token).
	Email, APIToken string
	// PAT is the only credential a Data Center server accepts, as
	// "Authorization: Bearer <PAT>".
	PAT string
	// Now is the clock used for created/updated times; nil means time.Now.
	Now func() time.Time
	// SearchLag makes issues created through the API invisible to JQL
	// search for this long after their creation (by Now), as Jira's
	// eventually consistent search index does. GET of the issue sees it
	// at once.
	SearchLag time.Duration
	// ADF, when set, validates every ADF document the server receives
	// (descriptions and comment bodies on the v3 API) in addition to the
	// built-in check (ValidateADF); a document either refuses is answered
	// as Jira does, 400 INVALID_INPUT. Tests plug in the vendor's schema
	// here (contract.ADF); the demo, which has no contracts, relies on
	// the built-in check.
	ADF func(doc json.RawMessage) error
	// RateLimit makes the server answer 429 as Jira Cloud does past a
	// request rate, e.g. CloudRateLimit; the zero value means no limit.
	RateLimit RateLimit
	// Account is the user the credentials belong to (GET /myself, the
	// author of comments written through the API, the actor in webhooks
	// of what the API did). Zero fields get defaults: AccountID
	// 5b10ac8d82e05b22cc7d4ef5, Name "fixproof", DisplayName "Fixproof
	// Bot". See webhooks.go.
	Account User
}

// Server is a simulated Jira. Create it with New, populate it with
// AddProject and AddIssue, serve Handler, and inspect it with Issue.
type Server struct {
	// Control injects latency and faults and counts requests.
	Control sim.Control

	opts    Options
	now     func() time.Time
	handler http.Handler
	// limits holds the rate limit's buckets (ratelimit.go).
	limits limiter

	mu           sync.Mutex
	projects     map[string]*project // by upper-case key
	projectList  []*project
	issues       map[string]*issue // by upper-case key
	issuesByID   map[string]*issue
	issueList    []*issue // creation order
	statusIDs    map[string]string
	nextStatusID int
	nextProject  int
	nextIssue    int
	nextComment  int
	nextLink     int
	// See create.go.
	priorities    []priorityDef // nil: defaultPriorities
	issueLinks    []*issueLink
	nextIssueLink int
	// See webhooks.go.
	wh webhooks
}

// New returns an empty server: add projects and issues before use.
func New(o Options) *Server {
	s := &Server{
		opts:         o,
		now:          o.Now,
		projects:     map[string]*project{},
		issues:       map[string]*issue{},
		issuesByID:   map[string]*issue{},
		statusIDs:    map[string]string{},
		nextStatusID: 10100,
		nextProject:  10000,
		nextIssue:    10000,
		nextComment:  10000,
		nextLink:     10000,
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.handler = s.Control.Wrap(s.routes())
	return s
}

// Handler serves the simulated REST API behind s.Control.
func (s *Server) Handler() http.Handler { return s.handler }

// Status is a workflow status. Category is a status category key: "new"
// (To Do), "indeterminate" (In Progress) or "done" (Done). An empty ID is
// assigned by AddProject (the same name always gets the same id).
type Status struct{ ID, Name, Category string }

// Transition is a workflow transition from any status in From to To. An
// empty From makes it global: available from every status except To.
// Resolution, when set, is the resolution a transition to a done status
// sets (else "Done").
type Transition struct {
	ID, Name   string
	From       []string
	To         string
	Resolution string
}

// Workflow is a project's statuses (the first is where new issues start
// unless AddIssue says otherwise) and transitions.
type Workflow struct {
	Statuses    []Status
	Transitions []Transition
}

// DefaultWorkflow is a software workflow that forces clients to walk it:
//
//	Open(new) --11 Start progress--> In Progress --31 Submit for review--> In Review --51 Done--> Done --91 Close--> Closed
//	In Progress --21 Stop progress--> Open
//	In Review --41 Back to progress--> In Progress
//	In Progress --61 Block--> Blocked --71 Unblock--> In Progress
//	{Open, Blocked} --81 Won't do--> Won't Do (resolution Won't Do)
//	{Done, Closed, Won't Do} --101 Reopen--> Open
//
// In Progress, In Review and Blocked are "indeterminate"; Done, Closed and
// Won't Do are "done". Entering a done status sets the resolution
// ("Done", or "Won't Do" through transition 81); leaving it clears it.
// There is deliberately no direct Open -> In Review and no Open -> Done: a
// client that wants an issue in review must start progress first, as on
// a real Jira with such a workflow.
func DefaultWorkflow() Workflow {
	return Workflow{
		Statuses: []Status{
			{ID: "1", Name: "Open", Category: "new"},
			{ID: "3", Name: "In Progress", Category: "indeterminate"},
			{ID: "10000", Name: "In Review", Category: "indeterminate"},
			{ID: "10001", Name: "Blocked", Category: "indeterminate"},
			{ID: "10002", Name: "Done", Category: "done"},
			{ID: "6", Name: "Closed", Category: "done"},
			{ID: "10003", Name: "Won't Do", Category: "done"},
		},
		Transitions: []Transition{
			{ID: "11", Name: "Start progress", From: []string{"Open"}, To: "In Progress"},
			{ID: "21", Name: "Stop progress", From: []string{"In Progress"}, To: "Open"},
			{ID: "31", Name: "Submit for review", From: []string{"In Progress"}, To: "In Review"},
			{ID: "41", Name: "Back to progress", From: []string{"In Review"}, To: "In Progress"},
			{ID: "51", Name: "Done", From: []string{"In Review"}, To: "Done"},
			{ID: "61", Name: "Block", From: []string{"In Progress"}, To: "Blocked"},
			{ID: "71", Name: "Unblock", From: []string{"Blocked"}, To: "In Progress"},
			{ID: "81", Name: "Won't do", From: []string{"Open", "Blocked"}, To: "Won't Do", Resolution: "Won't Do"},
			{ID: "91", Name: "Close", From: []string{"Done"}, To: "Closed"},
			{ID: "101", Name: "Reopen", From: []string{"Done", "Closed", "Won't Do"}, To: "Open"},
		},
	}
}

// statusCategory describes a status category as real Jira numbers it.
type statusCategory struct {
	id                   int
	key, name, colorName string
}

var categories = map[string]statusCategory{
	"new":           {2, "new", "To Do", "blue-gray"},
	"indeterminate": {4, "indeterminate", "In Progress", "yellow"},
	"done":          {3, "done", "Done", "green"},
}

type project struct {
	id, key, name string
	statuses      []Status
	transitions   []Transition
	issueTypes    []string // nil: DefaultIssueTypes
	components    []string
	// The create screen (createmeta.go): system fields taken off it, and
	// required custom fields.
	hidden   map[string]bool
	required []customField
}

// status finds a status by name, ignoring case as Jira does.
func (p *project) status(name string) (Status, bool) {
	for _, st := range p.statuses {
		if strings.EqualFold(st.Name, name) {
			return st, true
		}
	}
	return Status{}, false
}

// available lists the transitions an issue in status cur can take, in
// workflow order; never one that leads back to cur.
func (p *project) available(cur string) []Transition {
	var out []Transition
	for _, t := range p.transitions {
		if t.To == cur {
			continue
		}
		if len(t.From) == 0 || contains(t.From, cur) {
			out = append(out, t)
		}
	}
	return out
}

type issue struct {
	id, key  string
	num      int
	proj     *project
	summary  string
	status   string
	labels   []string
	desc     json.RawMessage // as last written; nil when unset
	descADF  bool            // desc is an ADF document (else a JSON string)
	history  []string
	comments []*comment
	links    []*remoteLink
	props    map[string]json.RawMessage
	created  time.Time
	updated  time.Time
	// See create.go.
	issueType  string // "": defaultIssueType
	priority   string // "": the scheme's default
	components []string
	resolution string
	resolved   time.Time
	indexedAt  time.Time // search sees the issue from then on
}

type comment struct {
	id         string
	body       json.RawMessage // as written: ADF object or JSON string
	adf        bool
	visibility json.RawMessage
	props      map[string]json.RawMessage
	created    time.Time
	updated    time.Time
	// author and updateAuthor are people who wrote in Jira (CommentAs);
	// nil is the API account.
	author, updateAuthor *User
}

type remoteLink struct {
	id           int
	globalID     string
	relationship string
	application  json.RawMessage
	object       json.RawMessage
}

// AddProject adds a project with the given workflow. It panics on a
// duplicate key or an inconsistent workflow (a transition naming an unknown
// status, an unknown category, a missing or duplicate transition id):
// those are mistakes in the test, not behaviour to simulate.
func (s *Server) AddProject(key, name string, wf Workflow) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ukey := strings.ToUpper(key)
	if ukey == "" || strings.Contains(ukey, "-") {
		panic(fmt.Sprintf("jirasim: invalid project key %q", key))
	}
	if _, dup := s.projects[ukey]; dup {
		panic(fmt.Sprintf("jirasim: project %s added twice", ukey))
	}
	if len(wf.Statuses) == 0 {
		panic("jirasim: workflow of " + ukey + " has no statuses")
	}
	p := &project{id: strconv.Itoa(s.nextProject), key: ukey, name: name}
	s.nextProject++
	seen := map[string]bool{}
	for _, st := range wf.Statuses {
		if st.Name == "" || seen[strings.ToLower(st.Name)] {
			panic(fmt.Sprintf("jirasim: workflow of %s: empty or duplicate status %q", ukey, st.Name))
		}
		seen[strings.ToLower(st.Name)] = true
		if _, ok := categories[st.Category]; !ok {
			panic(fmt.Sprintf("jirasim: status %q has unknown category %q", st.Name, st.Category))
		}
		if st.ID == "" {
			id, ok := s.statusIDs[strings.ToLower(st.Name)]
			if !ok {
				id = strconv.Itoa(s.nextStatusID)
				s.nextStatusID++
			}
			st.ID = id
		}
		s.statusIDs[strings.ToLower(st.Name)] = st.ID
		p.statuses = append(p.statuses, st)
	}
	ids := map[string]bool{}
	for _, t := range wf.Transitions {
		if t.ID == "" || ids[t.ID] {
			panic(fmt.Sprintf("jirasim: workflow of %s: empty or duplicate transition id %q", ukey, t.ID))
		}
		ids[t.ID] = true
		to, ok := p.status(t.To)
		if !ok {
			panic(fmt.Sprintf("jirasim: transition %s leads to unknown status %q", t.ID, t.To))
		}
		t.To = to.Name
		from := make([]string, 0, len(t.From))
		for _, f := range t.From {
			st, ok := p.status(f)
			if !ok {
				panic(fmt.Sprintf("jirasim: transition %s starts from unknown status %q", t.ID, f))
			}
			from = append(from, st.Name)
		}
		t.From = from
		p.transitions = append(p.transitions, t)
	}
	s.projects[ukey] = p
	s.projectList = append(s.projectList, p)
}

// AddIssue adds issue key (e.g. "OPS-12": project OPS must exist, the
// number part becomes the issue's number) in the given status. An empty
// status means the workflow's first status. It fails on a malformed or
// duplicate key, an unknown project or a status not in the workflow.
func (s *Server) AddIssue(key, summary, status string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ukey := strings.ToUpper(key)
	dash := strings.LastIndexByte(ukey, '-')
	if dash <= 0 {
		return fmt.Errorf("jirasim: malformed issue key %q", key)
	}
	num, err := strconv.Atoi(ukey[dash+1:])
	if err != nil || num <= 0 || strconv.Itoa(num) != ukey[dash+1:] {
		return fmt.Errorf("jirasim: malformed issue key %q", key)
	}
	p, ok := s.projects[ukey[:dash]]
	if !ok {
		return fmt.Errorf("jirasim: issue %s: no project %s", ukey, ukey[:dash])
	}
	if _, dup := s.issues[ukey]; dup {
		return fmt.Errorf("jirasim: issue %s already exists", ukey)
	}
	st := p.statuses[0]
	if status != "" {
		if st, ok = p.status(status); !ok {
			return fmt.Errorf("jirasim: issue %s: status %q is not in the workflow of %s", ukey, status, p.key)
		}
	}
	now := s.now()
	is := &issue{
		id:      strconv.Itoa(s.nextIssue),
		key:     ukey,
		num:     num,
		proj:    p,
		summary: summary,
		status:  st.Name,
		history: []string{st.Name},
		props:   map[string]json.RawMessage{},
		created: now,
		updated: now,
	}
	s.settle(is, "new", "", now)
	s.nextIssue++
	s.issues[ukey] = is
	s.issuesByID[is.id] = is
	s.issueList = append(s.issueList, is)
	return nil
}

// Issue is a snapshot of an issue for test assertions. It shares nothing
// with the server: keep and modify it freely.
type Issue struct {
	ID, Key, Summary, Status string
	Labels                   []string
	// Description is as last written: an ADF object when written through
	// v3, a JSON string through v2; nil when never set.
	Description json.RawMessage
	// History is every status the issue has been in, in order, starting
	// with the one it was created in.
	History          []string
	Comments         []Comment
	RemoteLinks      []RemoteLink
	Properties       map[string]json.RawMessage
	Created, Updated time.Time
	// IssueType, Priority and Components are the issue's; Resolution is
	// empty while unresolved, and Resolved is then zero.
	IssueType  string
	Priority   string
	Components []string
	Resolution string
	Resolved   time.Time
	// Links are the issue links the issue takes part in, either side.
	Links []IssueLink
}

// Comment is a snapshot of a comment.
type Comment struct {
	ID string
	// Body is as written: an ADF object through v3 (Cloud), a JSON string
	// through v2 (Data Center, or Cloud's v2 API).
	Body             json.RawMessage
	Properties       map[string]json.RawMessage
	Created, Updated time.Time
	// Author wrote it and UpdateAuthor last changed it: the API account
	// (Options.Account) or a person (CommentAs).
	Author, UpdateAuthor User
}

// RemoteLink is a snapshot of a remote issue link.
type RemoteLink struct {
	ID           int
	GlobalID     string
	Relationship string
	Application  json.RawMessage
	Object       json.RawMessage
}

// Issue returns a snapshot of the issue with the given key (or id).
func (s *Server) Issue(key string) (Issue, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.lookup(key)
	if is == nil {
		return Issue{}, false
	}
	out := Issue{
		ID:          is.id,
		Key:         is.key,
		Summary:     is.summary,
		Status:      is.status,
		Labels:      append([]string{}, is.labels...),
		Description: clone(is.desc),
		History:     append([]string(nil), is.history...),
		Properties:  cloneProps(is.props),
		Created:     is.created,
		Updated:     is.updated,
	}
	s.snapshotMore(is, &out)
	for _, c := range is.comments {
		out.Comments = append(out.Comments, Comment{
			ID:           c.id,
			Body:         clone(c.body),
			Properties:   cloneProps(c.props),
			Created:      c.created,
			Updated:      c.updated,
			Author:       s.userOf(c.author),
			UpdateAuthor: s.userOf(c.updateAuthor),
		})
	}
	for _, l := range is.links {
		out.RemoteLinks = append(out.RemoteLinks, RemoteLink{
			ID:           l.id,
			GlobalID:     l.globalID,
			Relationship: l.relationship,
			Application:  clone(l.application),
			Object:       clone(l.object),
		})
	}
	return out, true
}

// lookup finds an issue by key (any case) or numeric id. s.mu is held.
func (s *Server) lookup(keyOrID string) *issue {
	if is, ok := s.issuesByID[keyOrID]; ok {
		return is
	}
	return s.issues[strings.ToUpper(keyOrID)]
}

// statusOf returns the full Status of an issue's current status.
func (is *issue) statusOf() Status {
	st, _ := is.proj.status(is.status)
	return st
}

func clone(b json.RawMessage) json.RawMessage {
	if b == nil {
		return nil
	}
	return bytes.Clone(b)
}

func cloneProps(m map[string]json.RawMessage) map[string]json.RawMessage {
	out := make(map[string]json.RawMessage, len(m))
	for k, v := range m {
		out[k] = clone(v)
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func sortedKeys(m map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
