// Package sentry is a small context-aware client for the parts of Sentry's
// web API that fixproof uses: read an issue, resolve it (in a commit),
// count its error events per time window (in an environment, or several
// issues at once), count a project's sessions and transactions, find the
// first deploy of a commit from Sentry's releases, read, add, edit and
// delete an issue's notes (comments), list and create the external
// issues linked to it, and read the organization and its integration
// platform installations (to check a configuration).
//
// It works with sentry.io and with self-hosted Sentry alike, authenticates
// with a bearer auth token, and never retries on its own: pass an
// *http.Client whose transport is fixproof's retry.Transport, which honours
// Sentry's Retry-After and X-Sentry-Rate-Limit-Reset headers. Errors that
// Sentry answers are *APIError values carrying Sentry's "detail".
package sentry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/fixproof/fixproof/internal/baseurl"
	"github.com/fixproof/fixproof/internal/jsonhttp"
)

// DefaultBaseURL is sentry.io, used when Config.BaseURL is empty.
const DefaultBaseURL = "https://sentry.io"

// BaseURLRule is what a Sentry base URL must be: the site, never its API
// root; empty means DefaultBaseURL.
var BaseURLRule = baseurl.Rule{Service: "sentry", Default: DefaultBaseURL, APIPath: "/api/0", Names: "site", Credential: "token"}

// Config says which Sentry to talk to and how.
type Config struct {
	// BaseURL is the Sentry site: "https://sentry.io" when empty. A
	// self-hosted Sentry works (e.g. https://sentry.example.com), as does a
	// region (https://de.sentry.io). It is the site, not its API root: the
	// client adds /api/0/.
	BaseURL string
	// Token is the auth token, sent as "Authorization: Bearer <token>".
	Token string
	// Org is the organization slug.
	Org string
	// HTTPClient sends the requests; nil means http.DefaultClient. Pass
	// one whose transport is retry.Transport: the client does not retry.
	HTTPClient *http.Client
	// UserAgent, when set, is sent as the User-Agent header.
	UserAgent string
}

// Client talks to one Sentry organization. It is safe for concurrent use.
type Client struct {
	api jsonhttp.Client
	org string
	// now is the clock used to mark zero-filled buckets incomplete.
	now func() time.Time
}

// New builds a client. It fails when Token or Org is empty or BaseURL is
// not an http(s) URL of a site.
func New(cfg Config) (*Client, error) {
	if strings.TrimSpace(cfg.Token) == "" {
		return nil, errors.New("sentry: no auth token")
	}
	if cfg.Org == "" {
		return nil, errors.New("sentry: no organization slug")
	}
	base, err := BaseURLRule.Parse(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	// Keep the nil check on the *http.Client itself: storing a nil pointer
	// and calling it later would panic.
	hc := cfg.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	h := http.Header{"Authorization": {"Bearer " + cfg.Token}, "Accept": {"application/json"}}
	if cfg.UserAgent != "" {
		h.Set("User-Agent", cfg.UserAgent)
	}
	api := jsonhttp.Client{Service: "sentry", Base: base, Header: h, HTTP: hc, MaxBody: maxBody}
	return &Client{api: api, org: cfg.Org, now: time.Now}, nil
}

// ErrNotFound is what a 404 from Sentry matches with errors.Is: the issue
// (or organization) does not exist, or the token cannot see it.
var ErrNotFound = errors.New("sentry: not found")

// ErrInvalidID is returned, wrapped, for an issue id that is not a
// Sentry numeric issue id, before any request is sent. Ids come from text
// people write (a Jira issue), so they are checked before they become part
// of a URL.
var ErrInvalidID = errors.New("sentry: invalid issue id")

// APIError is an answer from Sentry other than success.
type APIError struct {
	// Op says what the client was doing, e.g. "resolve issue 4711".
	Op string
	// Status is the HTTP status code.
	Status int
	// Detail is Sentry's message: its "detail", or its field errors
	// flattened ("status: \"x\" is not a valid choice."), or the start of
	// a body that is not JSON.
	Detail string
}

// Error includes the operation, the status and Sentry's detail.
func (e *APIError) Error() string {
	msg := e.Detail
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	return fmt.Sprintf("sentry: %s: %d %s", e.Op, e.Status, msg)
}

// Is makes errors.Is(err, ErrNotFound) true for a 404.
func (e *APIError) Is(target error) bool {
	return target == ErrNotFound && e.Status == http.StatusNotFound
}

// Auth reports whether Sentry refused the token (401) or its permissions
// (403).
func (e *APIError) Auth() bool {
	return e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden
}

// ErrInvalidProjectID is returned, wrapped, for a project id that is not
// Sentry's numeric project id, before any request is sent: the project
// parameter of Sentry's organization endpoints takes ids only and answers
// a slug with 400 ("Invalid project parameter. Values must be numbers.").
var ErrInvalidProjectID = errors.New("sentry: invalid project id")

// checkID returns an error wrapping ErrInvalidID unless id is a Sentry
// issue id: 1 to 19 ASCII digits (Sentry's ids are 64-bit integers).
func checkID(id string) error {
	if !numeric(id) {
		return fmt.Errorf("%w %q: want Sentry's numeric issue id", ErrInvalidID, id)
	}
	return nil
}

// checkProjectID returns an error wrapping ErrInvalidProjectID unless id
// is a Sentry project id, digits like an issue id (Issue.ProjectID).
func checkProjectID(id string) error {
	if !numeric(id) {
		return fmt.Errorf("%w %q: want Sentry's numeric project id, not its slug", ErrInvalidProjectID, id)
	}
	return nil
}

// numeric reports whether id is 1 to 19 ASCII digits, a 64-bit id.
func numeric(id string) bool {
	if id == "" || len(id) > 19 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < '0' || id[i] > '9' {
			return false
		}
	}
	return true
}

// checkEnvironment returns an error unless name is empty (every
// environment) or a name Sentry can have given an environment: at most
// 64 characters, without a slash or a line break
// (Environment.is_valid_name). Any other name cannot exist, so the request
// would be wasted.
func checkEnvironment(op, name string) error {
	if len(name) > 64 || strings.ContainsAny(name, "\n\r\f/") {
		return fmt.Errorf("sentry: %s: %q is not a Sentry environment name", op, name)
	}
	return nil
}

// inEnvironment is how an operation names its environment: nothing for
// every environment.
func inEnvironment(name string) string {
	if name == "" {
		return ""
	}
	return " in " + strconv.Quote(name)
}

// orgPath is the escaped path of an organization resource, rest being
// what follows /api/0/organizations/{org}/.
func (c *Client) orgPath(rest string) string {
	return "/api/0/organizations/" + url.PathEscape(c.org) + "/" + rest
}

// issuePath is the escaped path of an issue resource, rest being what
// follows .../issues/{id}/. id must have passed checkID.
func (c *Client) issuePath(id, rest string) string {
	return c.orgPath("issues/" + url.PathEscape(id) + "/" + rest)
}

// maxBody is the most of a response body the client reads.
const maxBody = 16 << 20

// do sends one request and decodes a successful JSON answer into out (when
// not nil). body, when not nil, is sent as JSON. It returns the response
// headers of a successful answer.
func (c *Client) do(ctx context.Context, op, method, path string, query url.Values, body, out any) (http.Header, error) {
	resp, err := c.api.Do(ctx, op, method, path, query, body)
	if err != nil {
		return nil, err
	}
	if !resp.OK() {
		return nil, &APIError{Op: op, Status: resp.Status, Detail: detail(resp.Body)}
	}
	if out != nil {
		if err := c.api.Decode(op, resp, out); err != nil {
			return nil, err
		}
	}
	return resp.Header, nil
}

// detail extracts Sentry's message from an error body: {"detail": "..."}
// (also {"detail": {"message": "..."}}), or a map of field errors as Django
// REST Framework writes them ({"status": ["..."]}, nested for nested
// fields), or a bare list of messages; any other body is returned trimmed
// and shortened.
func detail(body []byte) string {
	var v any
	if json.Unmarshal(body, &v) != nil {
		return jsonhttp.Snippet(body)
	}
	if m, ok := v.(map[string]any); ok {
		switch d := m["detail"].(type) {
		case string:
			return d
		case map[string]any:
			if msg, ok := d["message"].(string); ok {
				return msg
			}
		}
	}
	var parts []string
	flattenDetail("", v, &parts)
	return strings.Join(parts, "; ")
}

func flattenDetail(prefix string, v any, parts *[]string) {
	label := func(s string) string {
		if prefix == "" {
			return s
		}
		return prefix + ": " + s
	}
	switch v := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			flattenDetail(p, v[k], parts)
		}
	case []any:
		for _, e := range v {
			flattenDetail(prefix, e, parts)
		}
	case string:
		*parts = append(*parts, label(v))
	case nil:
	default:
		b, _ := json.Marshal(v)
		*parts = append(*parts, label(string(b)))
	}
}

// Issue is what fixproof reads of a Sentry issue.
type Issue struct {
	// ID is the numeric id, ShortID the project-scoped one (SHOP-2F);
	// Culprit is where the error happened; Level is "error", "fatal",
	// "warning", ...
	ID, ShortID, Title, Culprit, Level string
	// Status is "resolved", "unresolved", "ignored", ...
	Status string
	// Substatus refines Status ("ongoing", "regressed", "escalating",
	// "archived_until_escalating", ...); empty when Sentry sends null, as
	// it does for resolved issues.
	Substatus string
	// Permalink is the issue's page in Sentry's web UI.
	Permalink string
	// Project is the project slug, ProjectID its numeric id (what the
	// project parameter of SessionCounts, TransactionCounts and
	// FirstDeploy takes).
	Project, ProjectID string
	// Count is the number of events of the issue (Sentry sends it as a
	// string).
	Count int
	// FirstSeen and LastSeen are zero when Sentry sends null.
	FirstSeen, LastSeen time.Time
	// ResolvedInCommit is the commit the issue was resolved in, from
	// statusDetails.inCommit, or nil when it has none (or one in a shape
	// the client does not know).
	ResolvedInCommit *Commit
}

// Commit names a commit as Sentry knows it.
type Commit struct {
	// Commit is the SHA.
	Commit string
	// Repository is the repository's name as it appears in Sentry,
	// "owner/name" for GitHub.
	Repository string
}

// apiIssue is the part of Sentry's serialized issue the client reads.
type apiIssue struct {
	ID            string                    `json:"id"`
	ShortID       string                    `json:"shortId"`
	Title         string                    `json:"title"`
	Culprit       string                    `json:"culprit"`
	Level         string                    `json:"level"`
	Status        string                    `json:"status"`
	Substatus     string                    `json:"substatus"`
	Permalink     string                    `json:"permalink"`
	Project       struct{ ID, Slug string } `json:"project"`
	Count         json.RawMessage           `json:"count"`
	FirstSeen     string                    `json:"firstSeen"`
	LastSeen      string                    `json:"lastSeen"`
	StatusDetails struct {
		InCommit json.RawMessage `json:"inCommit"`
	} `json:"statusDetails"`
}

func (a *apiIssue) issue() (Issue, error) {
	is := Issue{
		ID: a.ID, ShortID: a.ShortID, Title: a.Title, Culprit: a.Culprit, Level: a.Level,
		Status: a.Status, Substatus: a.Substatus, Permalink: a.Permalink, Project: a.Project.Slug, ProjectID: a.Project.ID,
		ResolvedInCommit: inCommit(a.StatusDetails.InCommit),
	}
	var err error
	if is.Count, err = count(a.Count); err != nil {
		return Issue{}, err
	}
	if is.FirstSeen, err = timestamp("firstSeen", a.FirstSeen); err != nil {
		return Issue{}, err
	}
	if is.LastSeen, err = timestamp("lastSeen", a.LastSeen); err != nil {
		return Issue{}, err
	}
	return is, nil
}

// count reads an issue's count: a string of digits as Sentry sends it, or
// a number; absent or null is 0.
func count(raw json.RawMessage) (int, error) {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return 0, nil
	}
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal(raw, &s); err != nil {
			return 0, fmt.Errorf("count: %w", err)
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("count %s is not a number of events", raw)
	}
	return n, nil
}

// timestamp parses one of Sentry's date-times (RFC 3339, with up to
// microseconds); empty (absent or null) is the zero time.
func timestamp(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: %w", field, err)
	}
	return t, nil
}

// inCommit reads statusDetails.inCommit. Sentry sends the serialized
// commit, {"id": sha, "repository": {"name": ...}, ...}; the published
// spec documents a string (the SHA), and the update request's shape
// {"commit": sha, "repository": name} is accepted too.
func inCommit(raw json.RawMessage) *Commit {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var sha string
	if json.Unmarshal(raw, &sha) == nil {
		if sha == "" {
			return nil
		}
		return &Commit{Commit: sha}
	}
	var obj struct {
		ID         string          `json:"id"`
		Commit     string          `json:"commit"`
		Repository json.RawMessage `json:"repository"`
	}
	if json.Unmarshal(raw, &obj) != nil {
		return nil
	}
	c := &Commit{Commit: obj.ID}
	if c.Commit == "" {
		c.Commit = obj.Commit
	}
	if c.Commit == "" {
		return nil
	}
	var repo struct{ Name string }
	if json.Unmarshal(obj.Repository, &c.Repository) != nil && json.Unmarshal(obj.Repository, &repo) == nil {
		c.Repository = repo.Name
	}
	return c
}

// Issue reads one issue: GET /api/0/organizations/{org}/issues/{id}/.
func (c *Client) Issue(ctx context.Context, id string) (Issue, error) {
	if err := checkID(id); err != nil {
		return Issue{}, err
	}
	op := "read issue " + id
	var a apiIssue
	if _, err := c.do(ctx, op, http.MethodGet, c.issuePath(id, ""), nil, nil, &a); err != nil {
		return Issue{}, err
	}
	is, err := a.issue()
	if err != nil {
		return Issue{}, fmt.Errorf("sentry: %s: %w", op, err)
	}
	return is, nil
}

// commitRef is a commit in an update request.
type commitRef struct {
	Commit     string `json:"commit"`
	Repository string `json:"repository"`
}

// resolveRequest is the whole body of a resolve: nothing else of the
// issue is sent back, so fields changed meanwhile by people are kept.
type resolveRequest struct {
	Status        string `json:"status"`
	StatusDetails *struct {
		InCommit commitRef `json:"inCommit"`
	} `json:"statusDetails,omitempty"`
}

// Resolve marks an issue resolved, in the commit in when it is not nil:
// PUT /api/0/organizations/{org}/issues/{id}/ with the body
// {"status":"resolved"}, plus "statusDetails":{"inCommit":{"commit":...,
// "repository":...}} for a commit; no other field is sent. Sentry accepts
// a commit only in a repository it knows (connected through an
// integration) and answers 400 otherwise. Resolve returns the issue as
// Sentry answers it, updated.
func (c *Client) Resolve(ctx context.Context, id string, in *Commit) (Issue, error) {
	if err := checkID(id); err != nil {
		return Issue{}, err
	}
	op := "resolve issue " + id
	body := resolveRequest{Status: "resolved"}
	if in != nil {
		if in.Commit == "" || in.Repository == "" {
			return Issue{}, fmt.Errorf("sentry: %s: a commit needs both a SHA and a repository", op)
		}
		body.StatusDetails = &struct {
			InCommit commitRef `json:"inCommit"`
		}{commitRef{Commit: in.Commit, Repository: in.Repository}}
	}
	var a apiIssue
	if _, err := c.do(ctx, op, http.MethodPut, c.issuePath(id, ""), nil, body, &a); err != nil {
		return Issue{}, err
	}
	is, err := a.issue()
	if err != nil {
		return Issue{}, fmt.Errorf("sentry: %s: %w", op, err)
	}
	// The single-issue endpoint answers the whole issue; the bulk one
	// answers only what changed. Fill in what a delta lacks.
	if is.ID == "" {
		is.ID = id
	}
	return is, nil
}

// ExternalIssue is an issue in another service linked to a Sentry issue
// by an integration-platform app (Sentry's "external issues").
type ExternalIssue struct {
	// ID is the link's id in Sentry.
	ID string
	// Key is the external issue's own identifier, such as a Jira key:
	// Sentry names the link "<project>#<identifier>" in DisplayName, and
	// Key is what follows the last "#" (all of DisplayName when it has
	// none). Sentry has no separate field for it.
	Key string
	// DisplayName is Sentry's label for the link.
	DisplayName string
	// WebURL is the external issue's address.
	WebURL string
	// ServiceType names the app that made the link.
	ServiceType string
	// IssueID is the Sentry issue the link belongs to.
	IssueID string
}

// ExternalIssues lists the external issues linked to an issue:
// GET /api/0/organizations/{org}/issues/{id}/external-issues/.
func (c *Client) ExternalIssues(ctx context.Context, issueID string) ([]ExternalIssue, error) {
	if err := checkID(issueID); err != nil {
		return nil, err
	}
	var list []struct {
		ID          string `json:"id"`
		IssueID     string `json:"issueId"`
		ServiceType string `json:"serviceType"`
		DisplayName string `json:"displayName"`
		WebURL      string `json:"webUrl"`
	}
	if _, err := c.do(ctx, "list external issues of issue "+issueID, http.MethodGet, c.issuePath(issueID, "external-issues/"), nil, nil, &list); err != nil {
		return nil, err
	}
	out := make([]ExternalIssue, 0, len(list))
	for _, e := range list {
		key := e.DisplayName
		if i := strings.LastIndex(key, "#"); i >= 0 {
			key = key[i+1:]
		}
		out = append(out, ExternalIssue{
			ID: e.ID, Key: key, DisplayName: e.DisplayName, WebURL: e.WebURL,
			ServiceType: e.ServiceType, IssueID: e.IssueID,
		})
	}
	return out, nil
}
