// Package jira is fixproof's Jira client, for the action, the sweep, the
// bot and the dashboard alike: a thin layer over go-atlassian that finds
// issues (by key, label or JQL), creates them, moves them through their
// workflow, edits their labels, priority, links and properties, and keeps
// comments (one per hidden marker) and remote links. The same methods
// speak Jira Cloud (REST v3, ADF bodies) and Data Center (REST v2, wiki
// markup bodies).
package jira

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"

	v2 "github.com/ctreminiom/go-atlassian/v2/jira/v2"
	v3 "github.com/ctreminiom/go-atlassian/v2/jira/v3"
	"github.com/ctreminiom/go-atlassian/v2/pkg/infra/models"

	"github.com/fixproof/fixproof/internal/baseurl"
	"github.com/fixproof/fixproof/internal/loop"
	"github.com/fixproof/fixproof/internal/retry"
)

// Config says which Jira to talk to and how. Email+APIToken select Jira
// Cloud, PAT selects Data Center.
type Config struct {
	BaseURL         string
	Email, APIToken string
	PAT             string
	HTTPClient      *http.Client // nil means http.DefaultClient; pass one with retries
	UserAgent       string
}

// connector is what both go-atlassian clients offer for requests their
// typed services do not cover (comments with properties).
type connector interface {
	NewRequest(ctx context.Context, method, urlStr, contentType string, body interface{}) (*http.Request, error)
	Call(request *http.Request, structure interface{}) (*models.ResponseScheme, error)
}

// Client talks to one Jira site.
type Client struct {
	cloud *v3.Client
	dc    *v2.Client
	conn  connector
	api   string // "rest/api/3" or "rest/api/2"
	base  string
}

// BaseURLRule is what a Jira base URL must be: the site (a Data Center
// context path such as /jira is part of it), never its REST API root.
var BaseURLRule = baseurl.Rule{Service: "jira", APIPath: "/rest/api", Names: "site",
	Credential: "email and API token, or the personal access token"}

// New builds a client. It fails when the base URL is not a Jira site's
// (BaseURLRule) or the configuration names neither or both kinds of
// credentials (CheckCredentials).
func New(cfg Config) (*Client, error) {
	if cfg.BaseURL == "" {
		return nil, errors.New("jira: no base URL")
	}
	base, err := BaseURLRule.Parse(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	switch CheckCredentials(cfg.Email, cfg.APIToken, cfg.PAT) {
	case CredentialsBoth:
		return nil, errors.New("jira: both Cloud credentials (email and API token) and a Data Center personal access token given; use one")
	case CredentialsNoEmail, CredentialsNoAPIToken:
		return nil, errors.New("jira: Jira Cloud needs both an email and an API token")
	case CredentialsNone:
		return nil, errors.New("jira: no credentials: give an email and API token (Jira Cloud) or a personal access token (Data Center)")
	}
	cloudAuth := cfg.PAT == ""
	// A nil *http.Client would reach go-atlassian as a non-nil interface
	// holding nil, which it does not replace with its default: set it here.
	httpClient := cfg.HTTPClient
	if httpClient == nil {
		httpClient = http.DefaultClient
	}
	c := &Client{base: base}
	if cloudAuth {
		cl, err := v3.New(httpClient, base)
		if err != nil {
			return nil, fmt.Errorf("jira: %w", err)
		}
		cl.Auth.SetBasicAuth(cfg.Email, cfg.APIToken)
		if cfg.UserAgent != "" {
			cl.Auth.SetUserAgent(cfg.UserAgent)
		}
		c.cloud, c.conn, c.api = cl, cl, "rest/api/3"
	} else {
		cl, err := v2.New(httpClient, base)
		if err != nil {
			return nil, fmt.Errorf("jira: %w", err)
		}
		cl.Auth.SetBearerToken(cfg.PAT)
		if cfg.UserAgent != "" {
			cl.Auth.SetUserAgent(cfg.UserAgent)
		}
		c.dc, c.conn, c.api = cl, cl, "rest/api/2"
	}
	return c, nil
}

// Cloud reports whether this is Jira Cloud (ADF bodies) rather than Data
// Center (wiki markup bodies).
func (c *Client) Cloud() bool { return c.cloud != nil }

// BrowseURL is the web address of an issue.
func (c *Client) BrowseURL(key string) string { return c.base + "/browse/" + key }

// APIError is a Jira answer other than success, with Jira's own messages.
type APIError struct {
	Op       string
	Status   int
	Messages []string
}

func (e *APIError) Error() string {
	msg := http.StatusText(e.Status)
	if len(e.Messages) > 0 {
		msg = strings.Join(e.Messages, "; ")
	}
	return fmt.Sprintf("jira: %s: %d %s", e.Op, e.Status, msg)
}

// Auth reports whether Jira refused the credentials or their permissions.
func (e *APIError) Auth() bool {
	return e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden
}

// check turns a go-atlassian result into an error carrying Jira's messages.
func check(op string, res *models.ResponseScheme, err error) error {
	if err == nil {
		return nil
	}
	if res == nil || res.Code < 300 {
		return fmt.Errorf("jira: %s: %w", op, err)
	}
	return &APIError{Op: op, Status: res.Code, Messages: messages(res.Bytes.Bytes())}
}

// messages reads Jira's error body: {"errorMessages":[...],"errors":{...}}.
func messages(body []byte) []string {
	var e struct {
		ErrorMessages []string          `json:"errorMessages"`
		Errors        map[string]string `json:"errors"`
		Message       string            `json:"message"`
	}
	if json.Unmarshal(body, &e) != nil {
		if s := strings.TrimSpace(string(body)); s != "" && len(s) < 300 {
			return []string{s}
		}
		return nil
	}
	out := slices.Clone(e.ErrorMessages)
	keys := make([]string, 0, len(e.Errors))
	for k := range e.Errors {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		out = append(out, k+": "+e.Errors[k])
	}
	if e.Message != "" {
		out = append(out, e.Message)
	}
	return out
}

// Issue is what fixproof reads of a Jira issue.
type Issue struct {
	Key, ID  string
	Summary  string
	Status   string
	Category string // status category key: new, indeterminate, done
	// Transitions are the transitions available from Status, read in the
	// same search (expand=transitions) so the first hop costs no request.
	Transitions []loop.Transition
}

// searchFields are the fields one search returns: all the action needs.
var searchFields = []string{"summary", "status"}

// searchExpand asks the search for each issue's available transitions.
var searchExpand = []string{"transitions"}

// quotedKey finds the issue keys Jira quotes in a JQL error, e.g.
// "An issue with key 'OPS-9' does not exist for field 'key'." or
// "The issue key 'ZZ-1' for field 'key' is invalid.".
var quotedKey = regexp.MustCompile(`'([A-Za-z][A-Za-z0-9_]*-[0-9]+)'`)

// Search fetches the status of every key: one query per 100 keys, the
// queries at once. Jira fails a whole `key in (...)` query when one key
// does not exist, naming it; those keys are returned as missing and their
// query is sent again without them.
func (c *Client) Search(ctx context.Context, keys []string) (found map[string]Issue, missing []string, err error) {
	var batches [][]string
	for rest := keys; len(rest) > 0; rest = rest[min(len(rest), 100):] {
		batches = append(batches, rest[:min(len(rest), 100)])
	}
	type answer struct {
		issues []Issue
		bad    []string
		err    error
	}
	answers := make([]answer, len(batches))
	var wg sync.WaitGroup
	for i, batch := range batches {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := &answers[i]
			a.issues, a.bad, a.err = c.searchBatch(ctx, batch)
		}()
	}
	wg.Wait()
	found = map[string]Issue{}
	for _, a := range answers {
		if a.err != nil {
			return nil, nil, a.err
		}
		missing = append(missing, a.bad...)
		for _, is := range a.issues {
			found[is.Key] = is
		}
	}
	// Keys Jira answered for under another key (a moved issue) count as
	// missing under the key the PR used.
	for _, k := range keys {
		if _, ok := found[k]; !ok && !slices.Contains(missing, k) {
			missing = append(missing, k)
		}
	}
	return found, missing, nil
}

// searchBatch searches for up to 100 keys, sending the query again
// without the keys Jira says do not exist until it answers.
func (c *Client) searchBatch(ctx context.Context, keys []string) (issues []Issue, missing []string, err error) {
	pending := slices.Clone(keys)
	for len(pending) > 0 {
		found, bad, err := c.searchKeys(ctx, pending)
		if err != nil {
			return nil, nil, err
		}
		if len(bad) == 0 {
			return found, missing, nil
		}
		missing = append(missing, bad...)
		pending = slices.DeleteFunc(pending, func(k string) bool { return slices.Contains(bad, k) })
	}
	return nil, missing, nil
}

// searchKeys runs one `key in (...)` query. bad lists the keys Jira said do
// not exist, in which case issues is nil.
func (c *Client) searchKeys(ctx context.Context, keys []string) (issues []Issue, bad []string, err error) {
	ctx = retry.Idempotent(ctx) // a search sent as POST: safe to send again
	// The keys were validated by jirakey (letters, digits, underscore,
	// hyphen), so they cannot inject JQL; they are quoted all the same.
	quoted := make([]string, len(keys))
	for i, k := range keys {
		quoted[i] = `"` + k + `"`
	}
	jql := "key in (" + strings.Join(quoted, ", ") + ")"
	var res *models.ResponseScheme
	if c.cloud != nil {
		issues, res, err = c.searchCloud(ctx, jql, len(keys))
	} else {
		issues, res, err = c.searchDC(ctx, jql, len(keys))
	}
	if err == nil {
		return issues, nil, nil
	}
	if bad := missingKeys(check("search", res, err), keys); len(bad) > 0 {
		return nil, bad, nil
	}
	return nil, nil, check("search "+jql, res, err)
}

// searchCloud reads every page of a JQL search on Cloud (page tokens).
func (c *Client) searchCloud(ctx context.Context, jql string, n int) (issues []Issue, res *models.ResponseScheme, err error) {
	for token := ""; ; {
		var page *models.IssueSearchJQLScheme
		page, res, err = c.cloud.Issue.Search.SearchJQL(ctx, jql, searchFields, searchExpand, n, token)
		if err != nil {
			return nil, res, err
		}
		for _, is := range page.Issues {
			issues = append(issues, fromV3(is))
		}
		if token = page.NextPageToken; token == "" {
			return issues, res, nil
		}
	}
}

// searchDC reads every page of a JQL search on Data Center (startAt).
func (c *Client) searchDC(ctx context.Context, jql string, n int) (issues []Issue, res *models.ResponseScheme, err error) {
	for start := 0; ; {
		var page *models.IssueSearchSchemeV2
		// POST /rest/api/2/search is the search Data Center has; the
		// deprecation is Cloud's.
		//lint:ignore SA1019 Data Center has no other search.
		page, res, err = c.dc.Issue.Search.Post(ctx, jql, searchFields, searchExpand, start, n, "")
		if err != nil {
			return nil, res, err
		}
		for _, is := range page.Issues {
			issues = append(issues, fromV2(is))
		}
		start += len(page.Issues)
		if len(page.Issues) == 0 || start >= page.Total {
			return issues, res, nil
		}
	}
}

// missingKeys are the keys among keys that a 400 from a search names as
// not existing (Jira fails a whole key in (...) query for one of them).
func missingKeys(err error, keys []string) []string {
	apiErr := &APIError{}
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusBadRequest {
		return nil
	}
	var bad []string
	for _, m := range apiErr.Messages {
		for _, sub := range quotedKey.FindAllStringSubmatch(m, -1) {
			k := strings.ToUpper(sub[1])
			if slices.Contains(keys, k) && !slices.Contains(bad, k) {
				bad = append(bad, k)
			}
		}
	}
	return bad
}

func fromV3(is *models.IssueScheme) Issue {
	out := Issue{Key: is.Key, ID: is.ID, Transitions: options(is.Transitions)}
	if f := is.Fields; f != nil {
		out.Summary = f.Summary
		out.Status, out.Category = status(f.Status)
	}
	return out
}

func fromV2(is *models.IssueSchemeV2) Issue {
	out := Issue{Key: is.Key, ID: is.ID, Transitions: options(is.Transitions)}
	if f := is.Fields; f != nil {
		out.Summary = f.Summary
		out.Status, out.Category = status(f.Status)
	}
	return out
}

func status(s *models.StatusScheme) (name, category string) {
	if s == nil {
		return "", ""
	}
	if s.StatusCategory != nil {
		category = s.StatusCategory.Key
	}
	return s.Name, category
}
