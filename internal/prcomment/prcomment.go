// Package prcomment keeps one fixproof comment per marker on a pull
// request.
//
// A comment is fixproof's for a marker when both hold:
//
//   - Its first line is exactly the hidden HTML comment
//     "<!-- fixproof:MARKER -->" (a trailing "\r" aside). Upsert writes the
//     marker there, above the caller's body; GitHub renders nothing for it.
//     A person quoting the marker in a code block, in a reply or anywhere
//     but alone on the first line does not make a match.
//
//   - Its author is the account the token acts as. GET /user names that
//     account for personal access tokens (classic or fine-grained), OAuth
//     and GitHub App user tokens. Installation tokens, GITHUB_TOKEN among
//     them, may not call GET /user (403 "Resource not accessible by
//     integration"); what they write is authored by a bot account
//     ("github-actions[bot]", "my-app[bot]"), so for them a comment counts
//     when its author is of type "Bot" (the oldest such marked comment's
//     author is taken as ours when several bots carry the marker) — until
//     the client creates a comment, whose author then names the account
//     exactly. So a person's copy of a marked comment is never taken for
//     ours, except one posted by the very person whose token runs fixproof.
//
// GET /user is asked only when a marked comment exists to be judged; its
// answer is remembered for the life of the Client.
//
// Concurrent runs: Upsert lists, creates when it found nothing, then lists
// again and keeps the oldest marked comment (lowest id) of its author,
// deleting the others and bringing the survivor's body up to date. Two
// runs that both created converge on the same single comment. Had both
// re-lists missed the other's new comment (GitHub's reads may lag its
// writes), two comments remain, and the next Upsert removes the newer.
//
// The client never retries: the *http.Client passed to New owns
// authentication and the retry policy (see internal/retry, which waits out
// GitHub's rate limits up to its MaxWait). A request GitHub still refuses
// for its rate limits fails with a *githublimit.Error, which says when to
// run again; go-github also refuses, without asking GitHub, a request it
// knows the budget has no room for.
package prcomment

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/google/go-github/v75/github"

	"github.com/fixproof/fixproof/internal/baseurl"
	"github.com/fixproof/fixproof/internal/githublimit"
)

// Outcome says what Upsert did to the pull request's comment.
type Outcome string

const (
	// Created: no comment carried the marker; one was written.
	Created Outcome = "created"
	// Updated: the marked comment's body differed and was edited.
	Updated Outcome = "updated"
	// Unchanged: the marked comment already had the body; nothing written.
	Unchanged Outcome = "unchanged"
)

// MaxBody is the longest comment GitHub accepts, in characters, marker
// line included.
const MaxBody = 65536

// perPage is the largest page GitHub serves.
const perPage = 100

var markerRE = regexp.MustCompile(`^[A-Za-z0-9:._/-]{1,100}$`)

// Client writes pull-request comments through GitHub's REST API.
type Client struct {
	gh *github.Client

	mu   sync.Mutex
	self identity
}

// identity is what the client knows of the token's account.
type identity struct {
	known bool
	// login is the account, when known; empty with integration set means
	// "some bot": an installation token whose bot has not written yet.
	login       string
	integration bool
}

// APIURLRule is the base URL rule for GitHub's REST API. Unlike a site's
// address, it is the API root itself (/api/v3 on GitHub Enterprise
// Server), so no API path is refused.
var APIURLRule = baseurl.Rule{Service: "prcomment", Names: "API URL", Credential: "token"}

// New returns a client for the REST API at apiURL (GITHUB_API_URL:
// "https://api.github.com", or "https://HOST/api/v3" on GitHub Enterprise
// Server), used as given. httpClient must add the token (Authorization
// header) and any retries; the client adds neither.
func New(apiURL string, httpClient *http.Client) (*Client, error) {
	gh, err := REST(apiURL, httpClient)
	if err != nil {
		return nil, err
	}
	return &Client{gh: gh}, nil
}

// REST is a go-github client for the REST API at apiURL, used as given
// (see New): the one place GitHub's REST address is checked and turned
// into go-github's base URL, for every REST client fixproof builds.
func REST(apiURL string, httpClient *http.Client) (*github.Client, error) {
	if httpClient == nil {
		return nil, errors.New("prcomment: nil *http.Client; pass one whose transport adds the token")
	}
	u, err := url.Parse(strings.TrimSpace(apiURL))
	if err != nil {
		return nil, fmt.Errorf("prcomment: API URL: %w", err)
	}
	if _, err := APIURLRule.Parse(strings.TrimSpace(apiURL)); err != nil {
		return nil, fmt.Errorf("prcomment: API URL %q: want http(s)://host[/path], e.g. https://api.github.com", apiURL)
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
		if u.RawPath != "" {
			u.RawPath += "/"
		}
	}
	gh := github.NewClient(httpClient)
	gh.BaseURL = u
	return gh, nil
}

// MarkerLine is the first line Upsert writes for marker.
func MarkerLine(marker string) string { return "<!-- fixproof:" + marker + " -->" }

// Upsert keeps exactly one comment carrying marker on repo ("owner/name")
// issue or pull request number, with body below the marker line. It creates
// the comment the first time, edits it when its body differs and otherwise
// writes nothing. Marked comments of the same author beyond the oldest are
// deleted. Markers match ^[A-Za-z0-9:._/-]{1,100}$.
//
// The Outcome describes the comment that remains. A run that created a
// comment but lost a race to an older one deletes its own and reports
// what it did to the older one: Unchanged, or Updated to its body.
func (c *Client) Upsert(ctx context.Context, repo string, number int, marker, body string) (Outcome, error) {
	u, err := c.prepare(repo, number, marker, body)
	if err != nil {
		return "", err
	}
	return u.run(ctx)
}

// Post writes the marked comment without looking for one first: one
// request. It is for a caller that knows no comment with the marker can
// exist yet (the first to reach a step that only it takes, such as the
// run that won the Jira transition a comment reports); any other caller
// uses Upsert, which reads the comments and keeps one.
func (c *Client) Post(ctx context.Context, repo string, number int, marker, body string) error {
	u, err := c.prepare(repo, number, marker, body)
	if err != nil {
		return err
	}
	_, err = u.post(ctx)
	return err
}

// prepare checks an Upsert's or Post's arguments and builds the comment.
func (c *Client) prepare(repo string, number int, marker, body string) (*upsert, error) {
	owner, name, ok := strings.Cut(repo, "/")
	if !ok || owner == "" || name == "" || strings.ContainsAny(name, "/ ") || strings.ContainsAny(owner, " ") {
		return nil, fmt.Errorf("prcomment: repository %q: want \"owner/name\"", repo)
	}
	where := fmt.Sprintf("prcomment: %s/%s#%d", owner, name, number)
	if number <= 0 {
		return nil, fmt.Errorf("%s: not an issue or pull request number", where)
	}
	if !markerRE.MatchString(marker) {
		return nil, fmt.Errorf("%s: marker %q: want 1 to 100 of A-Z a-z 0-9 : . _ / -", where, marker)
	}
	u := &upsert{c: c, owner: owner, name: name, number: number, where: where,
		line: MarkerLine(marker), body: MarkerLine(marker) + "\n" + body}
	if n := utf8.RuneCountInString(u.body); n > MaxBody {
		return nil, fmt.Errorf("%s: comment is %d characters with its marker line; GitHub takes at most %d", where, n, MaxBody)
	}
	return u, nil
}

// upsert is one Upsert call.
type upsert struct {
	c                  *Client
	owner, name, where string
	number             int
	line               string // the marker line
	body               string // the full comment: marker line, "\n", body
}

func (u *upsert) errorf(format string, args ...any) error {
	return fmt.Errorf("%s: "+format, append([]any{u.where}, args...)...)
}

func (u *upsert) run(ctx context.Context) (Outcome, error) {
	marked, err := u.listMarked(ctx)
	if err != nil {
		return "", err
	}
	mine, err := u.mine(ctx, marked)
	if err != nil {
		return "", err
	}
	if len(mine) == 0 {
		return u.create(ctx)
	}
	return u.settle(ctx, mine)
}

// create writes the comment, then looks again for marked comments of the
// same author that a concurrent run may have written, and keeps the oldest.
func (u *upsert) create(ctx context.Context) (Outcome, error) {
	created, err := u.post(ctx)
	if err != nil {
		return "", err
	}
	login := created.GetUser().GetLogin()

	marked, err := u.listMarked(ctx)
	if err != nil {
		return "", err
	}
	mine := []*github.IssueComment{created}
	for _, m := range marked {
		if m.GetID() != created.GetID() && strings.EqualFold(m.GetUser().GetLogin(), login) {
			mine = append(mine, m)
		}
	}
	sortByID(mine)
	if mine[0].GetID() == created.GetID() {
		if err := u.deleteAll(ctx, mine[1:]); err != nil {
			return "", err
		}
		return Created, nil
	}
	// An older comment won the race: ours goes, the older one is kept.
	return u.settle(ctx, mine)
}

// post writes the comment, and learns the token's account from its
// author; a comment GitHub answers without an author is an error.
func (u *upsert) post(ctx context.Context) (*github.IssueComment, error) {
	created, _, err := u.c.gh.Issues.CreateComment(ctx, u.owner, u.name, u.number, &github.IssueComment{Body: github.Ptr(u.body)})
	if err != nil {
		return nil, u.errorf("create comment: %w", limited(err))
	}
	login := created.GetUser().GetLogin()
	if login == "" {
		return nil, u.errorf("created comment %d has no author", created.GetID())
	}
	u.c.learn(login)
	return created, nil
}

// settle keeps mine[0] (the oldest), deletes the rest and brings the
// survivor's body up to date. mine is sorted by id.
func (u *upsert) settle(ctx context.Context, mine []*github.IssueComment) (Outcome, error) {
	keep := mine[0]
	if err := u.deleteAll(ctx, mine[1:]); err != nil {
		return "", err
	}
	if normalize(keep.GetBody()) == normalize(u.body) {
		return Unchanged, nil
	}
	if _, _, err := u.c.gh.Issues.EditComment(ctx, u.owner, u.name, keep.GetID(), &github.IssueComment{Body: github.Ptr(u.body)}); err != nil {
		return "", u.errorf("edit comment %d: %w", keep.GetID(), limited(err))
	}
	return Updated, nil
}

// deleteAll deletes comments; one already gone (404, e.g. deleted by a
// concurrent run) is fine.
func (u *upsert) deleteAll(ctx context.Context, comments []*github.IssueComment) error {
	for _, d := range comments {
		resp, err := u.c.gh.Issues.DeleteComment(ctx, u.owner, u.name, d.GetID())
		if err != nil && !(resp != nil && resp.StatusCode == http.StatusNotFound) {
			return u.errorf("delete duplicate comment %d: %w", d.GetID(), limited(err))
		}
	}
	return nil
}

// listMarked lists every comment, following the pages, and returns those
// whose first line is the marker line, oldest (lowest id) first.
func (u *upsert) listMarked(ctx context.Context) ([]*github.IssueComment, error) {
	var marked []*github.IssueComment
	opts := &github.IssueListCommentsOptions{ListOptions: github.ListOptions{PerPage: perPage}}
	for page := 1; ; {
		opts.Page = page
		comments, resp, err := u.c.gh.Issues.ListComments(ctx, u.owner, u.name, u.number, opts)
		if err != nil {
			return nil, u.errorf("list comments (page %d): %w", page, limited(err))
		}
		for _, cm := range comments {
			if firstLine(cm.GetBody()) == u.line {
				marked = append(marked, cm)
			}
		}
		if resp.NextPage == 0 {
			break
		}
		if resp.NextPage <= page {
			return nil, u.errorf("list comments: page %d links back to page %d", page, resp.NextPage)
		}
		page = resp.NextPage
	}
	sortByID(marked)
	return marked, nil
}

// mine picks the marked comments written by the token's account (see the
// package comment). marked is sorted by id, and so is the result.
func (u *upsert) mine(ctx context.Context, marked []*github.IssueComment) ([]*github.IssueComment, error) {
	if len(marked) == 0 {
		return nil, nil
	}
	self, err := u.c.identity(ctx)
	if err != nil {
		return nil, u.errorf("%w", err)
	}
	login := self.login
	if login == "" { // an installation token whose bot we have not met
		for _, m := range marked {
			if m.GetUser().GetType() == "Bot" {
				login = m.GetUser().GetLogin()
				break
			}
		}
		if login == "" {
			return nil, nil
		}
	}
	var out []*github.IssueComment
	for _, m := range marked {
		if strings.EqualFold(m.GetUser().GetLogin(), login) {
			out = append(out, m)
		}
	}
	return out, nil
}

// identity names the token's account: GET /user, once per client, or the
// author of a comment the client created.
func (c *Client) identity(ctx context.Context) (identity, error) {
	c.mu.Lock()
	self := c.self
	c.mu.Unlock()
	if self.known {
		return self, nil
	}
	user, _, err := c.gh.Users.Get(ctx, "")
	var er *github.ErrorResponse
	switch {
	case err == nil && user.GetLogin() != "":
		self = identity{known: true, login: user.GetLogin()}
	case err == nil:
		return identity{}, errors.New("GET /user: no login in the answer")
	case errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusForbidden:
		// An installation token (GITHUB_TOKEN): it writes as a bot.
		self = identity{known: true, integration: true}
	default:
		return identity{}, fmt.Errorf("identify the token's account (GET /user): %w", limited(err))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.self.known || c.self.login == "" {
		c.self = self
	}
	return c.self, nil
}

// limited reads go-github's rate-limit errors (GitHub's answer, or
// go-github's own refusal while it knows the budget spent) into a
// *githublimit.Error, which says when to run again; other errors are
// returned as they are.
func limited(err error) error {
	var primary *github.RateLimitError
	var secondary *github.AbuseRateLimitError
	switch {
	case errors.As(err, &primary):
		return &githublimit.Error{API: "REST", Limit: primary.Rate.Limit, Remaining: primary.Rate.Remaining,
			Reset: primary.Rate.Reset.Time, Message: primary.Message, Err: err}
	case errors.As(err, &secondary):
		e := &githublimit.Error{API: "REST", Secondary: true, Message: secondary.Message, Err: err}
		if secondary.RetryAfter != nil && *secondary.RetryAfter > 0 {
			e.RetryAfter = secondary.RetryAfter.Round(time.Second)
		}
		return e
	}
	return err
}

// learn records the account that authored a comment the client created.
func (c *Client) learn(login string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.self = identity{known: true, login: login, integration: c.self.integration}
}

func firstLine(body string) string {
	line, _, _ := strings.Cut(body, "\n")
	return strings.TrimSuffix(line, "\r")
}

// normalize makes bodies comparable across line-ending styles (comments
// edited in a browser come back with CRLF).
func normalize(body string) string { return strings.ReplaceAll(body, "\r\n", "\n") }

func sortByID(cs []*github.IssueComment) {
	sort.Slice(cs, func(i, j int) bool { return cs[i].GetID() < cs[j].GetID() })
}
