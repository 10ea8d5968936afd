// Package guancesim is a Guance (观测云) Open API server in memory, for
// tests and the demo.
//
// It speaks the slice of the Open API that fixproof uses, with the shapes
// of Guance's published reference pages (kept in the shared contracts
// folder, guance/; see its SOURCES.md):
//
//   - every request needs the DF-API-KEY header; a missing or wrong key is
//     answered 403 with errorCode ft.InvalidAPIKey (en/open-api/
//     error-definition@4af7e274.md);
//   - every answer is the common envelope of en/open-api/index@84245ed1.md:
//     code, content, errorCode, message, success, traceId (and pageInfo);
//   - GET /api/v1/channel/quick_list lists the channels
//     (channel/quick-list@0be651a1.md);
//   - POST /api/v1/issue/list lists the issues of one channel
//     (zh/open-api/issue/list@74f6f285.md), paged with pageIndex (from 1)
//     and pageSize, filtered by startTime/endTime (epoch seconds), search
//     and filters; Options.ListShape chooses between the list page's shape
//     and the index page's;
//   - POST /api/v1/issue/reply/create adds a reply
//     (zh/open-api/issue/createissuereply@25016845.md);
//   - GET /api/v1/issue/reply/{issue_uuid}/list and POST
//     /api/v1/issue/{issue_uuid}/modify have no page in the folder: what
//     the simulator assumes of them is written at their handlers.
//
// Where the pages are silent the simulator says what it assumed, next to
// the code. All state is behind one mutex, so a Server is safe for
// concurrent use; snapshots are copies. The clock is injectable.
package guancesim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/fixproof/fixproof/internal/sim"
)

// Options configures a Server.
type Options struct {
	// APIKey is the only DF-API-KEY accepted; empty accepts any non-empty
	// key.
	APIKey string
	// Workspace is the workspaceUUID of everything; empty means
	// "wksp_sim".
	Workspace string
	// APIUser is the account the API key belongs to, the creator of the
	// replies posted and the updator of the issues modified through the
	// API; empty means "fixproof". A loop guard can recognise it.
	APIUser string
	// Now is the server's clock; nil means time.Now.
	Now func() time.Time
	// PageSize is the largest page the server answers, and its page size
	// when a request gives none; 0 means 100. Small values make tests
	// page.
	PageSize int
	// ListShape is the shape of list answers (the issue list and the
	// reply list):
	//
	//	1 (or 0): the issue list page's: content is {"data": [...],
	//	   "pageInfo": {...}};
	//	2: the index page's common response structure: content is the
	//	   list and pageInfo sits in the envelope beside it.
	ListShape int
}

// Shapes of list answers, for Options.ListShape.
const (
	ShapeListPage = 1
	ShapeIndex    = 2
)

// DefaultChannelName is the name of the workspace's default channel,
// which every issue is in: the note on extend in
// createissuereply@25016845.md says issues are associated with the default
// channel and the channels added, and stay in the default channel alone
// when none is.
const DefaultChannelName = "default"

// Server is a simulated Guance workspace. Create it with New, populate it
// with AddChannel, AddIssue and AddReply, serve Handler, and inspect it with
// Issue.
type Server struct {
	// Control injects latency and faults and counts requests. A fault's
	// Body should be a Guance envelope (ErrorBody writes one).
	Control sim.Control

	opts    Options
	now     func() time.Time
	handler http.Handler

	mu       sync.Mutex
	channels []*channel // in creation order
	issues   map[string]*issue
	nextID   int
	traces   uint64
}

// New returns a server with the default channel and no issues.
func New(o Options) *Server {
	if o.Workspace == "" {
		o.Workspace = "wksp_sim"
	}
	if o.APIUser == "" {
		o.APIUser = "fixproof"
	}
	if o.PageSize <= 0 {
		o.PageSize = 100
	}
	if o.ListShape == 0 {
		o.ListShape = ShapeListPage
	}
	if o.ListShape != ShapeListPage && o.ListShape != ShapeIndex {
		panic(fmt.Sprintf("guancesim: ListShape %d: want 1 or 2", o.ListShape))
	}
	s := &Server{opts: o, now: o.Now, issues: map[string]*issue{}, nextID: 1000}
	if s.now == nil {
		s.now = time.Now
	}
	s.addChannel(DefaultChannelName)
	s.handler = s.Control.Wrap(s.routes())
	return s
}

// Handler serves the simulated API behind s.Control.
func (s *Server) Handler() http.Handler { return s.handler }

// APIUser is the account the API key belongs to (Options.APIUser).
func (s *Server) APIUser() string { return s.opts.APIUser }

type channel struct {
	id         int
	uuid, name string
	createAt   time.Time
}

type issue struct {
	id                 int
	uuid               string
	in                 IssueInput // Channels resolved to UUIDs
	createAt, updateAt time.Time
	updator            string
	replies            []*reply
	modifies           []string
}

type reply struct {
	id                 int
	uuid, content      string
	creator            string
	extend             json.RawMessage
	createAt, updateAt time.Time
}

// IssueInput is what AddIssue needs of a new issue.
type IssueInput struct {
	Name string
	// Description is HTML, as Guance stores it.
	Description string
	// Level is the level's uuid or number (a number is answered as a JSON
	// number, as in the list page's example, anything else as a string).
	Level string
	// StatusType is 10, 15, 20, 25 or 30; 0 means 10 (Open).
	StatusType int
	// Channels are channel names or UUIDs; the default channel is always
	// added.
	Channels []string
	// CreateAt is when the issue was created; zero means now. updateAt
	// starts there.
	CreateAt time.Time
	// Creator is the creating account; empty means "acnt_sim_person".
	Creator string
}

// IssueState is a snapshot of an issue.
type IssueState struct {
	UUID, Name, Description, Level string
	StatusType                     int
	// Channels are the UUIDs of its channels, the default one first.
	Channels           []string
	Creator, Updator   string
	CreateAt, UpdateAt time.Time
	// Replies are its replies, oldest first.
	Replies []Reply
	// Modifies are the bodies of the modify requests received for it,
	// refused ones included, as received.
	Modifies []string
}

// Reply is a snapshot of a reply.
type Reply struct {
	UUID, Content, Creator string
	// Extend is the reply's extend as stored ({} when none was given).
	Extend   json.RawMessage
	CreateAt time.Time
}

// newUUID makes a Guance-looking UUID: prefix, "_", 32 hex digits. s.mu is
// held (or the server is not shared yet).
func (s *Server) newUUID(prefix string) (int, string) {
	s.nextID++
	return s.nextID, fmt.Sprintf("%s_%032x", prefix, 0x5eed0000+s.nextID)
}

func (s *Server) addChannel(name string) string {
	id, uuid := s.newUUID("chan")
	s.channels = append(s.channels, &channel{id: id, uuid: uuid, name: name, createAt: s.now()})
	return uuid
}

// AddChannel adds a channel and returns its UUID.
func (s *Server) AddChannel(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addChannel(name)
}

// DefaultChannel is the UUID of the workspace's default channel.
func (s *Server) DefaultChannel() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.channels[0].uuid
}

// channel finds a channel by UUID. s.mu is held.
func (s *Server) channel(uuid string) *channel {
	for _, c := range s.channels {
		if c.uuid == uuid {
			return c
		}
	}
	return nil
}

// resolve checks an input and turns its channel names into UUIDs, the
// default channel first. It panics on a mistake of the test. s.mu is held.
func (s *Server) resolve(fn string, in IssueInput) IssueInput {
	if in.StatusType == 0 {
		in.StatusType = 10
	}
	if !validStatus(in.StatusType) {
		panic(fmt.Sprintf("guancesim: %s: status type %d: want 10, 15, 20, 25 or 30", fn, in.StatusType))
	}
	if in.Creator == "" {
		in.Creator = "acnt_sim_person"
	}
	chans := []string{s.channels[0].uuid}
	for _, want := range in.Channels {
		var found *channel
		for _, c := range s.channels {
			if c.uuid == want || c.name == want {
				found = c
				break
			}
		}
		if found == nil {
			panic(fmt.Sprintf("guancesim: %s: no channel %q", fn, want))
		}
		if !slices.Contains(chans, found.uuid) {
			chans = append(chans, found.uuid)
		}
	}
	in.Channels = chans
	return in
}

// validStatus reports whether t is one of the status types of
// list@74f6f285.md.
func validStatus(t int) bool {
	switch t {
	case 10, 15, 20, 25, 30:
		return true
	}
	return false
}

// AddIssue adds an issue and returns its UUID. It panics for an unknown
// channel or status type.
func (s *Server) AddIssue(in IssueInput) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	in = s.resolve("AddIssue", in)
	if in.CreateAt.IsZero() {
		in.CreateAt = s.now()
	}
	id, uuid := s.newUUID("issue")
	s.issues[uuid] = &issue{id: id, uuid: uuid, in: in, createAt: in.CreateAt, updateAt: in.CreateAt, updator: in.Creator}
	return uuid
}

// UpdateIssue changes an issue as a person does in Guance's UI: f gets the
// issue as it is (Channels as UUIDs) and changes it; updateAt becomes the
// server's now. It panics for an unknown issue, channel or status type.
func (s *Server) UpdateIssue(uuid string, f func(*IssueInput)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.mustIssue("UpdateIssue", uuid)
	in := is.in
	in.Channels = slices.Clone(in.Channels)
	f(&in)
	in = s.resolve("UpdateIssue", in)
	if !in.CreateAt.IsZero() {
		is.createAt = in.CreateAt
	}
	is.in = in
	is.updateAt = s.now()
	is.updator = in.Creator
}

// AddReply adds a reply by creator (empty: "acnt_sim_person") at the
// server's now, as a person replying in Guance's UI, and returns its UUID.
// It does not change the issue's updateAt: the pages do not say whether a
// reply does, and a poller must not count on it. It panics for an unknown
// issue.
func (s *Server) AddReply(issueUUID, content, creator string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.mustIssue("AddReply", issueUUID)
	if creator == "" {
		creator = "acnt_sim_person"
	}
	return s.addReply(is, content, creator, json.RawMessage(`{}`)).uuid
}

// addReply records a reply. s.mu is held.
func (s *Server) addReply(is *issue, content, creator string, extend json.RawMessage) *reply {
	id, uuid := s.newUUID("repim")
	now := s.now()
	r := &reply{id: id, uuid: uuid, content: content, creator: creator, extend: extend, createAt: now, updateAt: now}
	is.replies = append(is.replies, r)
	return r
}

// Issue returns a snapshot of an issue.
func (s *Server) Issue(uuid string) (IssueState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	is, ok := s.issues[uuid]
	if !ok {
		return IssueState{}, false
	}
	st := IssueState{
		UUID: is.uuid, Name: is.in.Name, Description: is.in.Description, Level: is.in.Level,
		StatusType: is.in.StatusType, Channels: slices.Clone(is.in.Channels),
		Creator: is.in.Creator, Updator: is.updator, CreateAt: is.createAt, UpdateAt: is.updateAt,
		Modifies: slices.Clone(is.modifies),
	}
	for _, r := range is.replies {
		st.Replies = append(st.Replies, Reply{
			UUID: r.uuid, Content: r.content, Creator: r.creator,
			Extend: slices.Clone(r.extend), CreateAt: r.createAt,
		})
	}
	return st, true
}

// mustIssue finds an issue for a setter. s.mu is held.
func (s *Server) mustIssue(fn, uuid string) *issue {
	is, ok := s.issues[uuid]
	if !ok {
		panic(fmt.Sprintf("guancesim: %s: no issue %q", fn, uuid))
	}
	return is
}
