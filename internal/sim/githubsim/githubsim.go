// Package githubsim is GitHub's GraphQL and REST APIs in memory, for tests
// and the demo.
//
// It serves POST /graphql (github.com) and POST /api/graphql (GitHub
// Enterprise Server) with a hand-written subset of GitHub's schema (see SDL),
// validating queries with gqlparser and answering with GitHub's status
// codes, error shapes and pagination rules, so the real githubv4 client can
// be driven against it without a network.
//
// It also serves the REST endpoints for issue comments (a pull request is an
// issue), GET /user and the comparison of two commits, under / (github.com)
// and /api/v3/ (GitHub Enterprise Server); see rest.go.
//
// A repository may hold a commit graph (AddCommit) and deployments with
// their statuses (AddDeployment, AddDeploymentStatus), served by GraphQL's
// Repository.deployments and compared by REST's compare endpoint by
// walking parents, as git does; see deployments.go and compare.go.
//
// For a GitHub App (Options.App) it builds the webhooks GitHub would send
// from the same state (PullRequestWebhook, DeploymentStatusWebhook, ...;
// see webhooks.go), and Deliveries posts them to a hook as GitHub does,
// signed, with GitHub's headers, timeout and redelivery (deliveries.go).
//
// Both APIs count GitHub's rate limits and report them in the
// x-ratelimit-* headers; with Options.Limits they also refuse requests
// past them, in GitHub's words (see Limits; ActionsLimits is GITHUB_TOKEN's
// budget).
package githubsim

import (
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/fixproof/fixproof/internal/sim"
)

// Options configures a Server.
type Options struct {
	// Token is a bearer token requests may carry, as "Authorization:
	// bearer <token>" or "Authorization: token <token>". It may be empty
	// only when App is set, whose installation tokens then authenticate.
	Token string
	// Login is the account that owns Token: REST comments are written as
	// it. A login ending in "[bot]" is served as a Bot and, like an
	// installation token (GITHUB_TOKEN), cannot read GET /user. Empty
	// means "github-actions[bot]".
	Login string
	// Now is the clock for comment timestamps and the rate-limit
	// windows; nil means time.Now.
	Now func() time.Time
	// Limits are the rate limits enforced; the zero value enforces none
	// (see Limits, and ActionsLimits for GitHub's figures).
	Limits Limits
	// Permissions are the token's permissions by GitHub's names, as a
	// workflow's permissions block writes them ({"deployments": "read",
	// "contents": "read"}); a scope not listed is "none", as it is for a
	// workflow that lists any. Nil grants every permission. Reading what
	// a missing permission guards is refused as GitHub refuses it
	// ("Resource not accessible by integration"). Only deployments
	// (GraphQL) and the commit comparison (REST, contents) check it.
	Permissions map[string]string
	// App, when set, is a GitHub App that may authenticate with its JWT
	// and trade it for installation tokens (see App).
	App *App
	// AuthNow is the clock the app's JWTs and installation tokens are
	// checked and dated by; nil means Now. An app dates its JWTs by the
	// machine's clock, so a demo or test on a story clock sets time.Now.
	AuthNow func() time.Time
}

// PullRequest is a pull request as the simulator stores it.
type PullRequest struct {
	Number      int
	Title       string
	Body        string
	HeadRefName string
	BaseRefName string
	// HeadRepo is the "owner/name" of the repository HeadRefName is in
	// when it is not this one: a pull request from a fork. Empty means
	// this repository.
	HeadRepo string
	// State is "OPEN", "CLOSED" or "MERGED"; empty means "OPEN".
	State          string
	IsDraft        bool
	MergedAt       *time.Time
	MergeCommitOID string
	// CreatedAt is when it was opened; zero means the server's clock when
	// it is added (GitHub's createdAt is never null).
	CreatedAt time.Time
	// Author is the login of the user who opened it; a login ending in
	// "[bot]" (e.g. "dependabot[bot]") is served as a Bot. Empty means no
	// author (GraphQL null).
	Author string
	// URL is filled by AddPullRequest when empty:
	// https://github.com/{owner}/{name}/pull/{number}.
	URL     string
	Commits []Commit
}

// Commit is one commit of a pull request, oldest first.
type Commit struct {
	// OID is the commit SHA; AddPullRequest invents a stable one when empty.
	OID     string
	Message string
	// ParentCount is the number of parents; 0 means 1.
	ParentCount   int
	CommittedDate time.Time
}

// Server is a simulated GitHub API. Create it with New.
type Server struct {
	// Control injects latency and faults and counts requests, by route
	// ("POST /graphql").
	Control sim.Control

	token       string
	login       string
	limits      Limits
	permissions map[string]string
	app         *appState // nil without Options.App
	now         func() time.Time
	authNow     func() time.Time // JWTs and installation tokens
	resolvers   resolverTable
	router      *http.ServeMux

	mu    sync.RWMutex
	repos map[string]*repoState // key: lower-case "owner/name"
	orgs  map[string]bool       // lower-case logins served as Organization
	// commentSeq is the last issue-comment id handed out; commentRepo
	// finds the repository of a comment by id.
	commentSeq  int64
	commentRepo map[int64]*repoState
	// deploymentSeq is the last deployment id handed out; commitSeq
	// numbers commits in the order they were added, which is an order
	// parents come first in.
	deploymentSeq, commitSeq int
	checkRunSeq              int64

	rateMu sync.Mutex
	// points are each token's GraphQL budget, by installation (0: the
	// token of Options.Token): every installation has its own, as on
	// GitHub.
	points    map[int64]*budget
	reqSeq    int
	restRate  restRate       // the REST "core" budget, guarded by rateMu
	secondary secondaryState // guarded by rateMu
}

// repoState is one repository. Its fields are guarded by Server.mu.
type repoState struct {
	owner, name string
	prs         map[int]*PullRequest
	comments    map[int][]*IssueComment // by issue number, oldest first
	commits     map[string]*gitCommit   // the commit graph, by SHA
	deployments []*deploymentState      // in the order they were created
	// branch is the default branch; empty means "main".
	branch    string
	checkRuns []*CheckRun                  // oldest first
	files     map[string]map[string]string // content by ref, then path
}

// defaultBranch is the repository's default branch.
func (r *repoState) defaultBranch() string {
	if r.branch == "" {
		return "main"
	}
	return r.branch
}

func (r *repoState) nameWithOwner() string { return r.owner + "/" + r.name }
func (r *repoState) url() string           { return "https://github.com/" + r.nameWithOwner() }

// rateLimitMax is GitHub's GraphQL budget, in points per hour, for a user:
// the limit reported when Limits.GraphQLPoints is not set.
const rateLimitMax = 5000

// New returns a server that accepts o.Token and the tokens of o.App's
// installations. It panics when it would accept no token at all: GitHub's
// GraphQL API never serves anonymous requests.
func New(o Options) *Server {
	if o.Token == "" && o.App == nil {
		panic("githubsim: Options.Token or Options.App is required")
	}
	if _, err := loadSchema(); err != nil {
		panic("githubsim: bad SDL: " + err.Error())
	}
	if o.Login == "" {
		o.Login = "github-actions[bot]"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.AuthNow == nil {
		o.AuthNow = o.Now
	}
	s := &Server{
		authNow:       o.AuthNow,
		token:         o.Token,
		login:         o.Login,
		limits:        o.Limits,
		permissions:   clonePermissions(o.Permissions),
		now:           o.Now,
		resolvers:     githubResolvers(),
		repos:         map[string]*repoState{},
		orgs:          map[string]bool{},
		commentSeq:    firstCommentID - 1,
		commentRepo:   map[int64]*repoState{},
		deploymentSeq: firstDeploymentID - 1,
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /graphql", s.serveGraphQL)
	mux.HandleFunc("POST /api/graphql", s.serveGraphQL)
	for _, prefix := range []string{"", "/api/v3"} {
		mux.HandleFunc(prefix+"/repos/", s.serveREST)
		mux.HandleFunc(prefix+"/user", s.serveREST)
		mux.HandleFunc(prefix+"/installation/", s.serveREST)
		mux.HandleFunc(prefix+"/app/", s.serveApp)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeMessage(w, http.StatusNotFound, "Not Found", "https://docs.github.com/rest")
	})
	if o.App != nil {
		s.app = newAppState(o.App)
	}
	s.router = mux
	return s
}

// Handler serves the API behind s.Control.
func (s *Server) Handler() http.Handler {
	return s.Control.Wrap(s.router)
}

// AddRepo creates an empty repository (a no-op when it exists). Owner and
// name are matched case-insensitively, as on GitHub.
func (s *Server) AddRepo(owner, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.repoLocked(owner, name)
}

// AddOrganization makes the repository owner login be served as an
// Organization rather than a User.
func (s *Server) AddOrganization(login string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.orgs[strings.ToLower(login)] = true
}

func (s *Server) repoLocked(owner, name string) *repoState {
	key := strings.ToLower(owner + "/" + name)
	r := s.repos[key]
	if r == nil {
		r = &repoState{owner: owner, name: name, prs: map[int]*PullRequest{}, comments: map[int][]*IssueComment{},
			commits: map[string]*gitCommit{}}
		s.repos[key] = r
	}
	return r
}

// AddPullRequest stores a copy of pr in owner/name (creating the
// repository when needed), replacing any pull request with the same number.
// It fills URL, State and missing commit OIDs, and panics on a State other
// than OPEN, CLOSED or MERGED (in any case) or a HeadRepo that is not
// owner/name.
func (s *Server) AddPullRequest(owner, name string, pr PullRequest) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repoLocked(owner, name)
	pr = clonePR(pr)
	if pr.URL == "" {
		pr.URL = fmt.Sprintf("%s/pull/%d", r.url(), pr.Number)
	}
	if pr.CreatedAt.IsZero() {
		pr.CreatedAt = s.now().UTC()
	}
	switch pr.State = strings.ToUpper(pr.State); pr.State {
	case "":
		pr.State = "OPEN"
	case "OPEN", "CLOSED", "MERGED":
	default:
		panic(fmt.Sprintf("githubsim: pull request #%d has state %q; want OPEN, CLOSED or MERGED", pr.Number, pr.State))
	}
	if owner, name, ok := strings.Cut(pr.HeadRepo, "/"); pr.HeadRepo != "" && (!ok || owner == "" || name == "" || strings.Contains(name, "/")) {
		panic(fmt.Sprintf("githubsim: pull request #%d has HeadRepo %q; want owner/name", pr.Number, pr.HeadRepo))
	}
	for i := range pr.Commits {
		if pr.Commits[i].OID == "" {
			pr.Commits[i].OID = fakeOID(fmt.Sprintf("%s#%d/%d:%s", r.nameWithOwner(), pr.Number, i, pr.Commits[i].Message))
		}
	}
	r.prs[pr.Number] = &pr
}

// PullRequest returns a copy of the stored pull request.
func (s *Server) PullRequest(owner, name string, number int) (PullRequest, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r := s.repos[strings.ToLower(owner+"/"+name)]
	if r == nil {
		return PullRequest{}, false
	}
	pr := r.prs[number]
	if pr == nil {
		return PullRequest{}, false
	}
	return clonePR(*pr), true
}

func clonePR(pr PullRequest) PullRequest {
	pr.Commits = append([]Commit(nil), pr.Commits...)
	if pr.MergedAt != nil {
		t := *pr.MergedAt
		pr.MergedAt = &t
	}
	return pr
}

// fakeOID is a stable 40-hex-digit object ID derived from seed.
func fakeOID(seed string) string {
	sum := sha1.Sum([]byte(seed))
	return hex.EncodeToString(sum[:])
}

// nodeID is an opaque global node ID in GitHub's "<prefix>_<base64>" style.
func nodeID(prefix, key string) string {
	return prefix + "_" + base64.RawURLEncoding.EncodeToString([]byte(key))
}

// writeMessage writes GitHub's REST-style error body.
func writeMessage(w http.ResponseWriter, status int, msg, docURL string) {
	body := &omap{}
	body.set("message", msg)
	body.set("documentation_url", docURL)
	writeBody(w, status, body)
}

func writeBody(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	if err := writeJSON(&buf, v); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
