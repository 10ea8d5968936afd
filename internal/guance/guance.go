// Package guance is a small context-aware client for the parts of Guance's
// (观测云) Open API that fixproof uses for exception tracking: list the
// channels, list the issues of a time window, read an issue's replies, reply
// on an issue, and change an issue's status.
//
// It is built from Guance's published API reference pages, kept outside the
// project in the shared contracts folder (guance/, see its SOURCES.md):
//
//   - en/open-api/index@84245ed1.md: the hosts, the DF-API-KEY header, the
//     common response envelope (code, content, pageInfo, errorCode,
//     message, success, traceId) and the GET list example with
//     pageIndex/pageSize;
//   - en/open-api/error-definition@4af7e274.md: the public error codes;
//   - zh/open-api/channel/quick-list@0be651a1.md (and the en page): the
//     channel list;
//   - zh/open-api/issue/list@74f6f285.md, the newer and more complete of the
//     two zh versions (statusType 10/15/20/25/30), checked against
//     list@12fc18d7.md and the en page: the issue list;
//   - zh/open-api/issue/createissuereply@25016845.md (the version that
//     documents extend), checked against @1b56dd35 and the en page: replies.
//
// The reply list and the issue modify endpoints have no page in that folder;
// what the client assumes of them is written where they are used.
//
// The client authenticates with an API key, never retries on its own (pass
// an *http.Client whose transport is fixproof's retry.Transport; reads sent
// as POST are marked retry.Idempotent), and unwraps Guance's envelope:
// Guance's refusals, including an envelope that reports an error on HTTP
// 200, are *APIError values.
package guance

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode"

	"github.com/fixproof/fixproof/internal/baseurl"
	"github.com/fixproof/fixproof/internal/jsonhttp"
)

// DefaultBaseURL is Guance's China Region 1 (Hangzhou) Open API endpoint,
// used when Config.BaseURL is empty. The index page lists the others
// (aws-openapi, cn4-openapi, us1-openapi, ... for the SaaS regions, the
// deployment's own address for a private deployment).
const DefaultBaseURL = "https://openapi.guance.com"

// BaseURLRule is what a Guance base URL must be: the Open API endpoint,
// never its API root; empty means DefaultBaseURL.
var BaseURLRule = baseurl.Rule{Service: "guance", Default: DefaultBaseURL, APIPath: "/api/v1", Names: "endpoint", Credential: "API key"}

// Config says which Guance to talk to and how.
type Config struct {
	// BaseURL is the Open API endpoint of the workspace's region, e.g.
	// https://openapi.guance.com or https://us1-openapi.guance.com; empty
	// means DefaultBaseURL. It is the endpoint, not its API root: the
	// client adds /api/v1/.
	BaseURL string
	// APIKey is sent as the DF-API-KEY header; it also selects the
	// workspace (the one the key belongs to).
	APIKey string
	// HTTPClient sends the requests; nil means http.DefaultClient. Pass
	// one whose transport is retry.Transport: the client does not retry.
	HTTPClient *http.Client
	// UserAgent, when set, is sent as the User-Agent header.
	UserAgent string
}

// Client talks to one Guance workspace. It is safe for concurrent use.
type Client struct {
	api jsonhttp.Client
}

// New builds a client. It fails when APIKey is empty or not a plain token,
// or BaseURL is not an http(s) URL of an endpoint.
func New(cfg Config) (*Client, error) {
	key := cfg.APIKey
	if strings.TrimSpace(key) == "" {
		return nil, errors.New("guance: no API key")
	}
	for _, r := range key {
		if r > unicode.MaxASCII || unicode.IsSpace(r) || unicode.IsControl(r) {
			return nil, errors.New("guance: API key has characters a header cannot carry")
		}
	}
	base, err := BaseURLRule.Parse(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	// The index page's common request headers.
	h := http.Header{headerAPIKey: {key}, "Content-Type": {"application/json"}, "Accept": {"application/json"}}
	if cfg.UserAgent != "" {
		h.Set("User-Agent", cfg.UserAgent)
	}
	return &Client{api: jsonhttp.Client{Service: "guance", Base: base, Header: h, HTTP: hc, MaxBody: maxBody}}, nil
}

// The issue status types, as zh/open-api/issue/list@74f6f285.md documents
// them for the statusType filter ([10:Open,15:Working,20:Resolved,25:Closed,
// 30:Pending]); the older list@12fc18d7.md knew only 10, 20 and 30.
const (
	StatusOpen     = 10
	StatusWorking  = 15
	StatusResolved = 20
	StatusClosed   = 25
	StatusPending  = 30
)

// StatusName is the documented name of a status type ("Open", "Working",
// "Resolved", "Closed", "Pending"), or "" for another value.
func StatusName(statusType int) string {
	switch statusType {
	case StatusOpen:
		return "Open"
	case StatusWorking:
		return "Working"
	case StatusResolved:
		return "Resolved"
	case StatusClosed:
		return "Closed"
	case StatusPending:
		return "Pending"
	}
	return ""
}

// The public error codes of error-definition@4af7e274.md. Note that Guance
// answers its rate limits with HTTP 401, not 429.
const (
	CodeInvalidAPIKey      = "ft.InvalidAPIKey"                      // HTTP 403
	CodeAKRateLimit        = "ft.TriggerApiAkCurrentLimiting"        // HTTP 401
	CodeWorkspaceRateLimit = "ft.TriggerApiWorkspaceCurrentLimiting" // HTTP 401
)

const (
	// maxReplyContent is createissuereply's $maxCustomLength of content.
	maxReplyContent = 65535
	maxUUID         = 128
	// defaultPageSize is what the client asks for when IssueQuery says
	// nothing; the server may answer smaller pages (pageInfo says).
	defaultPageSize = 100
	maxPageSize     = 1000
	maxPages        = 10000
	maxBody         = 16 << 20
	headerAPIKey    = "DF-API-KEY"
)

// The documented paths (each page's heading, e.g. "POST /api/v1/issue/list").
const (
	pathChannelList = "/api/v1/channel/quick_list"
	pathIssueList   = "/api/v1/issue/list"
	pathReplyCreate = "/api/v1/issue/reply/create"
)

// The paths the contracts folder has no page for (see Replies and
// SetStatus).
func pathReplyList(issueUUID string) string {
	return "/api/v1/issue/reply/" + url.PathEscape(issueUUID) + "/list"
}

func pathModify(issueUUID string) string {
	return "/api/v1/issue/" + url.PathEscape(issueUUID) + "/modify"
}

// ErrNotFound is what an answer with HTTP (or envelope) status 404 matches
// with errors.Is. The pages do not document Guance's answer for an unknown
// issue; 404 is assumed.
var ErrNotFound = errors.New("guance: not found")

// ErrInvalidUUID is returned, wrapped, for an issue UUID that cannot be
// Guance's, before any request is sent: UUIDs come from text people write,
// and become part of a URL path.
var ErrInvalidUUID = errors.New("guance: invalid uuid")

// APIError is an answer from Guance other than success.
type APIError struct {
	// Op says what the client was doing, e.g. "list issues".
	Op string
	// Status is the HTTP status code; for an error reported in the
	// envelope of an HTTP 2xx answer it is the envelope's code when that
	// is an error status (400-599), else the HTTP status.
	Status int
	// Code is Guance's errorCode, e.g. "ft.InvalidAPIKey"; Message its
	// message, or the start of a body that is not Guance's envelope.
	Code, Message string
	// TraceID is Guance's traceId, to quote to Guance's support.
	TraceID string
}

// Error includes the operation, the status, Guance's code and message.
func (e *APIError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	code := ""
	if e.Code != "" {
		code = " " + e.Code
	}
	return fmt.Sprintf("guance: %s: %d%s: %s", e.Op, e.Status, code, msg)
}

// Is makes errors.Is(err, ErrNotFound) true for a 404.
func (e *APIError) Is(target error) bool {
	return target == ErrNotFound && e.Status == http.StatusNotFound
}

// RateLimited reports whether Guance refused the request for its rate
// limits (per API key or per workspace). Guance answers those with 401,
// which fixproof's retry policy does not retry: the caller must back off.
func (e *APIError) RateLimited() bool {
	return e.Code == CodeAKRateLimit || e.Code == CodeWorkspaceRateLimit
}

// Auth reports whether Guance refused the API key: ft.InvalidAPIKey, or a
// 401 or 403 that is not one of Guance's rate limits.
func (e *APIError) Auth() bool {
	if e.Code == CodeInvalidAPIKey {
		return true
	}
	return (e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden) && !e.RateLimited()
}

// checkUUID returns an error wrapping ErrInvalidUUID unless id looks like
// a Guance UUID ("issue_", "chan_", ... followed by hex in the pages'
// examples): 1 to 128 ASCII letters, digits, '_' or '-'.
func checkUUID(kind, id string) error {
	ok := id != "" && len(id) <= maxUUID
	for i := 0; ok && i < len(id); i++ {
		b := id[i]
		ok = b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '_' || b == '-'
	}
	if !ok {
		return fmt.Errorf("%w: %s %q", ErrInvalidUUID, kind, id)
	}
	return nil
}

// envelope is the common response structure of the index page. pageInfo
// sits here for list interfaces per the index page; the issue list page
// puts it inside content instead (see listPage).
type envelope struct {
	Code      json.RawMessage `json:"code"`
	Content   json.RawMessage `json:"content"`
	PageInfo  *pageInfo       `json:"pageInfo"`
	ErrorCode string          `json:"errorCode"`
	Message   string          `json:"message"`
	Success   *bool           `json:"success"`
	// TraceID is a string in every example (the index table says
	// Boolean); it is kept raw.
	TraceID json.RawMessage `json:"traceId"`
}

// pageInfo is the pagination block of the index page (and of the issue
// list page).
type pageInfo struct {
	Count      int  `json:"count"`
	PageIndex  int  `json:"pageIndex"`
	PageSize   int  `json:"pageSize"`
	TotalCount *int `json:"totalCount"`
}

func (e *envelope) traceID() string {
	var s string
	if json.Unmarshal(e.TraceID, &s) == nil {
		return s
	}
	return strings.TrimSpace(string(e.TraceID))
}

// code is the envelope's code, 0 when absent or not a number.
func (e *envelope) code() int {
	n, err := strconv.Atoi(strings.TrimSpace(string(e.Code)))
	if err != nil {
		return 0
	}
	return n
}

// do sends one request and returns Guance's envelope of a successful
// answer. body, when not nil, is sent as JSON.
func (c *Client) do(ctx context.Context, op, method, path string, query url.Values, body any) (*envelope, error) {
	resp, err := c.api.Do(ctx, op, method, path, query, body)
	if err != nil {
		return nil, err
	}
	var env envelope
	envErr := json.Unmarshal(resp.Body, &env)
	if !resp.OK() {
		e := &APIError{Op: op, Status: resp.Status}
		if envErr == nil && (env.ErrorCode != "" || env.Message != "") {
			e.Code, e.Message, e.TraceID = env.ErrorCode, env.Message, env.traceID()
		} else {
			e.Message = jsonhttp.Snippet(resp.Body)
		}
		return nil, e
	}
	if envErr != nil {
		return nil, c.api.Errorf(op, "decoding response: %w", envErr)
	}
	if e := env.refusal(op, resp.Status); e != nil {
		return nil, e
	}
	if env.Success == nil {
		return nil, c.api.Errorf(op, "answer is not Guance's envelope (no success field)")
	}
	return &env, nil
}

// refusal is the error an envelope of a 2xx answer reports, or nil. The
// index page: code is "fixed at 200 when there is no error", errorCode
// "empty means no error", success "fixed at true". An envelope saying
// otherwise is an error, whatever the HTTP status.
func (e *envelope) refusal(op string, status int) *APIError {
	code := e.code()
	if e.ErrorCode == "" && (e.Success == nil || *e.Success) && (code == 0 || code >= 200 && code <= 299) {
		return nil
	}
	err := &APIError{Op: op, Status: status, Code: e.ErrorCode, Message: e.Message, TraceID: e.traceID()}
	if code >= 400 && code <= 599 {
		err.Status = code
	}
	return err
}

// listPage reads the items and the pagination of a list answer, in either
// documented shape:
//
//  1. the issue list page's: content is {"data": [...], "pageInfo": {...}};
//  2. the index page's common structure: content is the array of items and
//     pageInfo sits in the envelope beside it.
//
// Of shape 1 the client reads content.data and content.pageInfo (falling
// back to the envelope's pageInfo); of shape 2 content and the envelope's
// pageInfo. A null or absent content is an empty page.
func listPage(env *envelope) ([]json.RawMessage, *pageInfo, error) {
	raw := bytes.TrimSpace(env.Content)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, env.PageInfo, nil
	}
	switch raw[0] {
	case '[':
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, nil, fmt.Errorf("content: %w", err)
		}
		return items, env.PageInfo, nil
	case '{':
		var obj listContent
		if err := json.Unmarshal(raw, &obj); err != nil {
			return nil, nil, fmt.Errorf("content: %w", err)
		}
		var items []json.RawMessage
		if d := bytes.TrimSpace(obj.Data); len(d) > 0 && string(d) != "null" {
			if err := json.Unmarshal(d, &items); err != nil {
				return nil, nil, fmt.Errorf("content.data: %w", err)
			}
		} else if obj.Data == nil {
			return nil, nil, errors.New("content is an object without data")
		}
		pi := obj.PageInfo
		if pi == nil {
			pi = env.PageInfo
		}
		return items, pi, nil
	}
	return nil, nil, fmt.Errorf("content is neither a list nor an object: %s", jsonhttp.Snippet(raw))
}

// listContent is the content of a list answer in the issue list page's
// shape.
type listContent struct {
	Data     json.RawMessage `json:"data"`
	PageInfo *pageInfo       `json:"pageInfo"`
}

// reachesTotal reports whether page idx, which holds n items, is the last
// one by the block's totalCount (which must be set). Without a pageSize
// the pages are taken to be as long as this one.
func (pi *pageInfo) reachesTotal(idx, n int) bool {
	per := pi.PageSize
	if per <= 0 {
		per = n
	}
	return idx*per >= *pi.TotalCount
}

// pages follows every page of a list: fetch answers page pageIndex (from
// 1). It stops after the page that reaches pageInfo.totalCount, on an empty
// page, or, without pageInfo, on a page shorter than requested (size). It
// refuses an answer for another page than the one asked for and a list
// that does not end.
func pages(op string, size int, fetch func(pageIndex int) (*envelope, error)) ([]json.RawMessage, error) {
	var all []json.RawMessage
	var prev []byte
	for idx := 1; ; idx++ {
		if idx > maxPages {
			return nil, fmt.Errorf("guance: %s: more than %d pages", op, maxPages)
		}
		env, err := fetch(idx)
		if err != nil {
			return nil, err
		}
		items, pi, err := listPage(env)
		if err != nil {
			return nil, fmt.Errorf("guance: %s: page %d: %w", op, idx, err)
		}
		if len(items) == 0 {
			return all, nil
		}
		if pi != nil && pi.PageIndex != 0 && pi.PageIndex != idx {
			return nil, fmt.Errorf("guance: %s: asked for page %d, got page %d", op, idx, pi.PageIndex)
		}
		if pi != nil && pi.TotalCount != nil {
			all = append(all, items...)
			if pi.reachesTotal(idx, len(items)) {
				return all, nil
			}
			continue
		}
		// No pagination block: a server that ignores pageIndex would
		// send the same page forever.
		joined := joinItems(items)
		if bytes.Equal(joined, prev) {
			return all, nil
		}
		prev = joined
		all = append(all, items...)
		if len(items) < size {
			return all, nil
		}
	}
}

// joinItems is the items of a page, one a line, to compare two pages.
func joinItems(items []json.RawMessage) []byte {
	var joined []byte
	for _, it := range items {
		joined = append(append(joined, it...), '\n')
	}
	return joined
}
