package githubsim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The REST routes, each under / and /api/v3/:
//
//	GET    /user                                        the token's account
//	GET    /repos/{owner}/{repo}/issues/{number}/comments  list, oldest first
//	POST   /repos/{owner}/{repo}/issues/{number}/comments  create
//	GET    /repos/{owner}/{repo}/issues/comments/{id}      get one
//	PATCH  /repos/{owner}/{repo}/issues/comments/{id}      edit
//	DELETE /repos/{owner}/{repo}/issues/comments/{id}      delete
//	GET    /repos/{owner}/{repo}/compare/{base}...{head}   compare two commits (compare.go)
//	       /repos/{owner}/{repo}/check-runs...              check runs (checkruns.go)
//	GET    /repos/{owner}/{repo}/contents/{path}           a file (contents.go)
//	GET    /installation/repositories                      an installation's repositories (app.go)
//
// Only pull requests are issues here: a number that is not a stored pull
// request answers 404, as an unknown issue does on GitHub.

const (
	restDocs         = "https://docs.github.com/rest"
	docListComments  = "https://docs.github.com/rest/issues/comments#list-issue-comments"
	docCreateComment = "https://docs.github.com/rest/issues/comments#create-an-issue-comment"
	docGetComment    = "https://docs.github.com/rest/issues/comments#get-an-issue-comment"
	docUpdateComment = "https://docs.github.com/rest/issues/comments#update-an-issue-comment"
	docDeleteComment = "https://docs.github.com/rest/issues/comments#delete-an-issue-comment"
	docAuthUser      = "https://docs.github.com/rest/users/users#get-the-authenticated-user"
)

const (
	// MaxCommentBody is the longest comment body GitHub accepts, in
	// characters (not bytes).
	MaxCommentBody = 65536
	// restCoreLimit is the hourly REST budget of an authenticated request,
	// restAnonLimit that of an unauthenticated one (counted for 401s).
	restCoreLimit = 5000
	restAnonLimit = 60
	// firstCommentID is the first issue-comment id handed out: above 2^31,
	// as real ids are, so a client that keeps them in an int32 breaks here.
	firstCommentID = 2_200_000_001
	defaultPerPage = 30
	maxPerPage     = 100
)

// IssueComment is a comment on an issue or pull request as the simulator
// stores it. Times are UTC, whole seconds.
type IssueComment struct {
	ID int64
	// Body is the Markdown text; Author the login that wrote it.
	Body, Author     string
	Created, Updated time.Time
}

// restRate is the REST rate-limit windows: each token's core budget, by
// installation (0: the token of Options.Token), as every installation has
// its own on GitHub, and the anonymous one. Guarded by Server.rateMu.
type restRate struct {
	core map[int64]*budget
	anon budget
}

// budget is one hourly rate-limit window.
type budget struct {
	used  int
	reset time.Time
}

// window is b as of now: a new window once the last one has passed.
func (b *budget) window(now time.Time) *budget {
	if b.reset.IsZero() || !now.Before(b.reset) {
		b.used, b.reset = 0, now.Add(time.Hour).Truncate(time.Second)
	}
	return b
}

// budgetOf is the budget of installation id in m, made when first used.
func budgetOf(m *map[int64]*budget, id int64) *budget {
	if *m == nil {
		*m = map[int64]*budget{}
	}
	b := (*m)[id]
	if b == nil {
		b = &budget{}
		(*m)[id] = b
	}
	return b
}

// Comments returns copies of the comments on owner/repo's issue or pull
// request number, oldest first (nil when there are none).
func (s *Server) Comments(owner, repo string, number int) []IssueComment {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r := s.repos[strings.ToLower(owner+"/"+repo)]
	if r == nil {
		return nil
	}
	var out []IssueComment
	for _, c := range r.comments[number] {
		out = append(out, *c)
	}
	return out
}

// AddComment stores a comment by author (any login, e.g. a person quoting a
// bot) on pull request number of owner/repo, dated by the server's clock,
// and returns a copy. It panics when the pull request does not exist.
func (s *Server) AddComment(owner, repo string, number int, author, body string) IssueComment {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repos[strings.ToLower(owner+"/"+repo)]
	if r == nil || r.prs[number] == nil {
		panic(fmt.Sprintf("githubsim: AddComment: no pull request %s/%s#%d", owner, repo, number))
	}
	return *s.addCommentLocked(r, number, author, body)
}

// addCommentLocked stores a new comment. s.mu is held for writing.
func (s *Server) addCommentLocked(r *repoState, number int, author, body string) *IssueComment {
	s.commentSeq++
	now := s.clock()
	c := &IssueComment{ID: s.commentSeq, Body: body, Author: author, Created: now, Updated: now}
	r.comments[number] = append(r.comments[number], c)
	s.commentRepo[c.ID] = r
	return c
}

// clock is the server's time, UTC and truncated to the second as GitHub
// reports it.
func (s *Server) clock() time.Time {
	return s.now().UTC().Truncate(time.Second)
}

// restCall is one REST request being served.
type restCall struct {
	s   *Server
	who *principal
	w   http.ResponseWriter
	r   *http.Request
	// origin is scheme://host of the request; api is origin plus the path
	// prefix the request used ("" or "/api/v3"), the base of every API URL
	// in the answer.
	origin, api string
}

// stampRequest gives a request the id GitHub puts on every answer
// (X-GitHub-Request-Id), one higher each time.
func (s *Server) stampRequest(w http.ResponseWriter) {
	s.rateMu.Lock()
	s.reqSeq++
	w.Header().Set("X-GitHub-Request-Id", fmt.Sprintf("SIM0:%04X:%06X", s.reqSeq>>16, s.reqSeq))
	s.rateMu.Unlock()
}

// serveREST authenticates, charges the rate limit and routes a REST
// request.
func (s *Server) serveREST(w http.ResponseWriter, r *http.Request) {
	s.stampRequest(w)
	w.Header().Set("X-GitHub-Media-Type", "github.v3; format=json")
	w.Header().Set("X-GitHub-Api-Version-Selected", "2022-11-28")

	who, authed := s.authenticate(r)
	if !s.admitREST(w, r, who) {
		return
	}
	if !authed {
		msg := "Bad credentials"
		if strings.TrimSpace(r.Header.Get("Authorization")) == "" {
			msg = "Requires authentication"
		}
		writeMessage(w, http.StatusUnauthorized, msg, restDocs)
		return
	}

	seg := strings.Split(strings.Trim(strings.TrimPrefix(r.URL.Path, "/api/v3"), "/"), "/")
	s.conditionally(w, r, who, func(w http.ResponseWriter) { newRESTCall(s, who, w, r).route(seg) })
}

// newRESTCall is the call serving r, with the base URLs of its answer.
func newRESTCall(s *Server, who *principal, w http.ResponseWriter, r *http.Request) *restCall {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	c := &restCall{s: s, who: who, w: w, r: r, origin: scheme + "://" + r.Host}
	c.api = c.origin
	if strings.HasPrefix(r.URL.Path, "/api/v3/") {
		c.api += "/api/v3"
	}
	return c
}

// route sends an authenticated request, its path split into segments
// (without the /api/v3 prefix), to its handler.
func (c *restCall) route(seg []string) {
	if len(seg) == 1 && seg[0] == "user" && c.r.Method == http.MethodGet {
		c.getUser()
		return
	}
	if len(seg) == 2 && seg[0] == "installation" && seg[1] == "repositories" && c.r.Method == http.MethodGet {
		c.listInstallationRepos()
		return
	}
	if len(seg) < 4 || seg[0] != "repos" {
		c.notFound(restDocs)
		return
	}
	owner, repo := seg[1], seg[2]
	switch {
	case len(seg) >= 5 && seg[3] == "contents" && c.r.Method == http.MethodGet:
		c.getContent(owner, repo, strings.Join(seg[4:], "/"))
	case seg[3] == "check-runs":
		c.checkRuns(owner, repo, seg[4:])
	case len(seg) == 6 && seg[3] == "commits" && seg[5] == "check-runs" && c.r.Method == http.MethodGet:
		c.listCheckRuns(owner, repo, seg[4])
	case len(seg) < 5:
		c.notFound(restDocs)
	case seg[3] == "compare" && c.r.Method == http.MethodGet:
		// basehead may hold slashes (branch names): the rest of the path.
		c.compare(owner, repo, strings.Join(seg[4:], "/"))
	case len(seg) == 6 && seg[3] == "issues" && seg[4] == "comments":
		c.commentByID(owner, repo, seg[5])
	case len(seg) == 6 && seg[3] == "issues" && seg[5] == "comments":
		c.issueComments(owner, repo, seg[4])
	default:
		c.notFound(restDocs)
	}
}

// commentByID routes /repos/{owner}/{repo}/issues/comments/{id}.
func (c *restCall) commentByID(owner, repo, rawID string) {
	id, err := strconv.ParseInt(rawID, 10, 64)
	if err != nil || id <= 0 {
		c.notFound(restDocs)
		return
	}
	switch c.r.Method {
	case http.MethodGet:
		c.getComment(owner, repo, id)
	case http.MethodPatch:
		c.editComment(owner, repo, id)
	case http.MethodDelete:
		c.deleteComment(owner, repo, id)
	default:
		c.notFound(restDocs)
	}
}

// issueComments routes /repos/{owner}/{repo}/issues/{number}/comments.
func (c *restCall) issueComments(owner, repo, rawNumber string) {
	number, err := strconv.Atoi(rawNumber)
	if err != nil || number <= 0 {
		c.notFound(restDocs)
		return
	}
	switch c.r.Method {
	case http.MethodGet:
		c.listComments(owner, repo, number)
	case http.MethodPost:
		c.createComment(owner, repo, number)
	default:
		c.notFound(restDocs)
	}
}

// admitREST counts the request against the core budget of who (or,
// unauthorized, when who is nil, the anonymous one) and sets GitHub's rate-limit headers. When the
// limits are enforced (Options.Limits) and the request may not go on, it
// answers as GitHub does, without counting the request, and returns false:
// 403 with x-ratelimit-remaining: 0 for a spent budget, 403 with
// retry-after past a secondary limit.
func (s *Server) admitREST(w http.ResponseWriter, r *http.Request, who *principal) bool {
	authed := who != nil
	now := s.now()
	s.rateMu.Lock()
	defer s.rateMu.Unlock()
	b, limit := s.restBudget(who)
	b.window(now)
	used := &b.used
	headers := func(n int) { restRateHeaders(w, limit, n, b.reset) }
	if authed && s.limits.RESTRequests > 0 && *used >= limit {
		headers(*used)
		writeMessage(w, http.StatusForbidden, "API rate limit exceeded for "+who.rateLimitedFor()+".", docRESTRateLimits)
		return false
	}
	if authed {
		headers(*used) // as they stand, for a refusal
		if !s.admitSecondary(w, r, false) {
			return false
		}
	}
	*used++
	headers(*used)
	return true
}

// restRateHeaders sets GitHub's core rate-limit headers: limit, what is
// left of it after used, and when the window resets.
func restRateHeaders(w http.ResponseWriter, limit, used int, reset time.Time) {
	h := w.Header()
	h.Set("X-RateLimit-Limit", strconv.Itoa(limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(max(0, limit-used)))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
	h.Set("X-RateLimit-Used", strconv.Itoa(used))
	h.Set("X-RateLimit-Resource", "core")
}

// restBudget is the core budget a request of who draws on (the
// anonymous one when who is nil) and its limit. s.rateMu is held.
func (s *Server) restBudget(who *principal) (*budget, int) {
	if who == nil {
		return &s.restRate.anon, restAnonLimit
	}
	limit := restCoreLimit
	if s.limits.RESTRequests > 0 {
		limit = s.limits.RESTRequests
	}
	return budgetOf(&s.restRate.core, who.installation), limit
}

// refundREST gives back what admitREST charged an authorized request:
// GitHub does not count a conditional request it answers 304 Not Modified
// against the primary rate limit ("Use conditional requests if
// appropriate", docs.github.com rate limits best practices).
func (s *Server) refundREST(w http.ResponseWriter, who *principal) {
	if who == nil {
		return
	}
	s.rateMu.Lock()
	defer s.rateMu.Unlock()
	b, limit := s.restBudget(who)
	b.used = max(0, b.used-1)
	restRateHeaders(w, limit, b.used, b.reset)
}

func (c *restCall) notFound(doc string) {
	writeMessage(c.w, http.StatusNotFound, "Not Found", doc)
}

// getUser answers GET /user. Installation tokens (a bot login) may not call
// it, as GITHUB_TOKEN may not on GitHub.
func (c *restCall) getUser() {
	if strings.HasSuffix(c.who.login, "[bot]") {
		writeMessage(c.w, http.StatusForbidden, "Resource not accessible by integration", docAuthUser)
		return
	}
	writeBody(c.w, http.StatusOK, c.user(c.who.login))
}

// repoLocked finds owner/repo, nil when it does not exist or the token
// does not reach it (GitHub answers both alike). s.mu is held.
func (c *restCall) repoLocked(owner, repo string) *repoState {
	if !c.who.reaches(owner, repo) {
		return nil
	}
	return c.s.repos[strings.ToLower(owner+"/"+repo)]
}

// issue finds a pull request (the only kind of issue here). s.mu is held.
func (c *restCall) issue(owner, repo string, number int) *repoState {
	r := c.repoLocked(owner, repo)
	if r == nil || r.prs[number] == nil {
		return nil
	}
	return r
}

// comment finds comment id in owner/repo. s.mu is held.
func (c *restCall) comment(owner, repo string, id int64) (*repoState, int, int) {
	r := c.s.commentRepo[id]
	if r == nil || !c.who.reaches(owner, repo) || !strings.EqualFold(r.nameWithOwner(), owner+"/"+repo) {
		return nil, 0, -1
	}
	for number, list := range r.comments {
		for i, cm := range list {
			if cm.ID == id {
				return r, number, i
			}
		}
	}
	return nil, 0, -1
}

func (c *restCall) listComments(owner, repo string, number int) {
	perPage := defaultPerPage
	if v, err := strconv.Atoi(c.r.URL.Query().Get("per_page")); err == nil && v > 0 {
		perPage = min(v, maxPerPage)
	}
	page := 1
	if v, err := strconv.Atoi(c.r.URL.Query().Get("page")); err == nil && v > 0 {
		page = v
	}

	c.s.mu.RLock()
	r := c.issue(owner, repo, number)
	if r == nil {
		c.s.mu.RUnlock()
		c.notFound(docListComments)
		return
	}
	all := r.comments[number]
	last := max(1, (len(all)+perPage-1)/perPage)
	items := []any{}
	if page <= last {
		start := (page - 1) * perPage
		for _, cm := range all[start:min(start+perPage, len(all))] {
			items = append(items, c.commentJSON(r, number, cm))
		}
	}
	c.s.mu.RUnlock()

	if link := c.pageLinks(page, last); link != "" {
		c.w.Header().Set("Link", link)
	}
	writeBody(c.w, http.StatusOK, items)
}

// pageLinks is GitHub's Link header for page of last: prev, next, last,
// first, in that order, each the request's URL with page replaced. It is
// empty when everything fits on the first page.
func (c *restCall) pageLinks(page, last int) string {
	var parts []string
	add := func(n int, rel string) {
		parts = append(parts, fmt.Sprintf("<%s>; rel=%q", c.pageURL(n), rel))
	}
	if page > 1 {
		add(page-1, "prev")
	}
	if page < last {
		add(page+1, "next")
		add(last, "last")
	}
	if page > 1 {
		add(1, "first")
	}
	return strings.Join(parts, ", ")
}

// pageURL is the absolute request URL with its page parameter set to n,
// the other parameters kept in their order.
func (c *restCall) pageURL(n int) string {
	var kept []string
	for _, kv := range strings.Split(c.r.URL.RawQuery, "&") {
		k, _, _ := strings.Cut(kv, "=")
		if key, err := url.QueryUnescape(k); kv == "" || err == nil && key == "page" {
			continue
		}
		kept = append(kept, kv)
	}
	kept = append(kept, "page="+strconv.Itoa(n))
	return c.origin + c.r.URL.EscapedPath() + "?" + strings.Join(kept, "&")
}

func (c *restCall) createComment(owner, repo string, number int) {
	c.s.mu.RLock()
	found := c.issue(owner, repo, number) != nil
	c.s.mu.RUnlock()
	if !found {
		c.notFound(docCreateComment)
		return
	}
	body, ok := c.commentBody(docCreateComment)
	if !ok {
		return
	}
	c.s.mu.Lock()
	r := c.issue(owner, repo, number) // again: the lock was let go
	if r == nil {
		c.s.mu.Unlock()
		c.notFound(docCreateComment)
		return
	}
	cm := c.s.addCommentLocked(r, number, c.who.login, body)
	out := c.commentJSON(r, number, cm)
	c.s.mu.Unlock()

	c.w.Header().Set("Location", c.commentURL(r, cm.ID))
	writeBody(c.w, http.StatusCreated, out)
}

func (c *restCall) getComment(owner, repo string, id int64) {
	c.s.mu.RLock()
	defer c.s.mu.RUnlock()
	r, number, i := c.comment(owner, repo, id)
	if r == nil {
		c.notFound(docGetComment)
		return
	}
	writeBody(c.w, http.StatusOK, c.commentJSON(r, number, r.comments[number][i]))
}

func (c *restCall) editComment(owner, repo string, id int64) {
	c.s.mu.RLock()
	r, _, _ := c.comment(owner, repo, id)
	c.s.mu.RUnlock()
	if r == nil {
		c.notFound(docUpdateComment)
		return
	}
	body, ok := c.commentBody(docUpdateComment)
	if !ok {
		return
	}
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	r, number, i := c.comment(owner, repo, id)
	if r == nil { // deleted meanwhile
		c.notFound(docUpdateComment)
		return
	}
	cm := r.comments[number][i]
	cm.Body = body
	cm.Updated = c.s.clock()
	writeBody(c.w, http.StatusOK, c.commentJSON(r, number, cm))
}

func (c *restCall) deleteComment(owner, repo string, id int64) {
	c.s.mu.Lock()
	r, number, i := c.comment(owner, repo, id)
	if r == nil {
		c.s.mu.Unlock()
		c.notFound(docDeleteComment)
		return
	}
	list := r.comments[number]
	r.comments[number] = append(list[:i:i], list[i+1:]...)
	delete(c.s.commentRepo, id)
	c.s.mu.Unlock()
	c.w.WriteHeader(http.StatusNoContent)
}

// commentBody reads {"body": "..."} and checks it as GitHub does, writing
// the error answer and returning false when it is not acceptable.
func (c *restCall) commentBody(doc string) (string, bool) {
	raw, ok := c.readBody(doc)
	if !ok {
		return "", false
	}
	var in map[string]json.RawMessage
	if err := json.Unmarshal(raw, &in); err != nil || in == nil {
		writeMessage(c.w, http.StatusBadRequest, "Problems parsing JSON", doc)
		return "", false
	}
	var body string
	if v, ok := in["body"]; ok && !bytes.Equal(v, []byte("null")) {
		if err := json.Unmarshal(v, &body); err != nil {
			writeMessage(c.w, http.StatusUnprocessableEntity,
				fmt.Sprintf("Invalid request.\n\nFor 'properties/body', %s is not a string.", v), doc)
			return "", false
		}
	}
	switch {
	case body == "":
		c.validationFailed(doc, "missing_field", "")
		return "", false
	case utf8.RuneCountInString(body) > MaxCommentBody:
		c.validationFailed(doc, "custom", fmt.Sprintf("body is too long (maximum is %d characters)", MaxCommentBody))
		return "", false
	}
	return body, true
}

// readBody reads the request body, answering 400 as GitHub does and
// returning false when it cannot.
func (c *restCall) readBody(doc string) ([]byte, bool) {
	raw, err := io.ReadAll(http.MaxBytesReader(c.w, c.r.Body, 10<<20))
	if err != nil {
		writeMessage(c.w, http.StatusBadRequest, "Problems parsing JSON", doc)
		return nil, false
	}
	return raw, true
}

// validationFailed writes GitHub's 422 for a bad comment body.
func (c *restCall) validationFailed(doc, code, msg string) {
	e := &omap{}
	e.set("resource", "IssueComment")
	e.set("code", code)
	e.set("field", "body")
	if msg != "" {
		e.set("message", msg)
	}
	out := &omap{}
	out.set("message", "Validation Failed")
	out.set("errors", []any{e})
	out.set("documentation_url", doc)
	writeBody(c.w, http.StatusUnprocessableEntity, out)
}

func (c *restCall) commentURL(r *repoState, id int64) string {
	return fmt.Sprintf("%s/repos/%s/issues/comments/%d", c.api, r.nameWithOwner(), id)
}

// commentJSON is the REST issue-comment object, keys in GitHub's order.
func (c *restCall) commentJSON(r *repoState, number int, cm *IssueComment) *omap {
	reactions := &omap{}
	reactions.set("url", c.commentURL(r, cm.ID)+"/reactions")
	for _, k := range []string{"total_count", "+1", "-1", "laugh", "hooray", "confused", "heart", "rocket", "eyes"} {
		reactions.set(k, 0)
	}
	o := &omap{}
	o.set("url", c.commentURL(r, cm.ID))
	o.set("html_url", fmt.Sprintf("%s/pull/%d#issuecomment-%d", r.url(), number, cm.ID))
	o.set("issue_url", fmt.Sprintf("%s/repos/%s/issues/%d", c.api, r.nameWithOwner(), number))
	o.set("id", cm.ID)
	o.set("node_id", nodeID("IC", strconv.FormatInt(cm.ID, 10)))
	o.set("user", c.user(cm.Author))
	o.set("created_at", cm.Created.Format(time.RFC3339))
	o.set("updated_at", cm.Updated.Format(time.RFC3339))
	o.set("author_association", "NONE")
	o.set("body", cm.Body)
	o.set("reactions", reactions)
	o.set("performed_via_github_app", nil)
	return o
}

// user is the REST simple-user object for login; "x[bot]" is a Bot.
func (c *restCall) user(login string) *omap {
	return userObject(c.api, login, false)
}

// userID is a stable positive account id for login.
func userID(login string) int64 {
	h := fnv.New32a()
	h.Write([]byte(strings.ToLower(login)))
	return int64(h.Sum32()&0x7fffffff) + 1
}
