package jira

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ctreminiom/go-atlassian/v2/pkg/infra/models"

	"github.com/fixproof/fixproof/internal/retry"
)

// Detail is an issue with what the sweep reads beyond its status.
type Detail struct {
	Issue
	Description json.RawMessage // ADF object (Cloud) or JSON string (Data Center); nil when empty
	Labels      []string
	Properties  map[string]json.RawMessage
	// Created is when the issue was made; Resolved is when it was last
	// resolved, zero while unresolved.
	Created, Resolved time.Time
}

// Page is one page of a query; Next is empty on the last page.
type Page struct {
	Issues []Detail
	Next   string
}

// queryPageSize is Jira Cloud's page size when fields beyond id and key
// are asked for.
const queryPageSize = 100

var queryFields = []string{"summary", "status", "description", "labels", "created", "resolutiondate"}

type queryIssue struct {
	ID     string `json:"id"`
	Key    string `json:"key"`
	Fields struct {
		Summary     string               `json:"summary"`
		Status      *models.StatusScheme `json:"status"`
		Description json.RawMessage      `json:"description"`
		Labels      []string             `json:"labels"`
		Created     string               `json:"created"`
		Resolved    string               `json:"resolutiondate"`
	} `json:"fields"`
	Properties  map[string]json.RawMessage      `json:"properties"`
	Transitions []*models.IssueTransitionScheme `json:"transitions"`
}

// Query runs one page of a JQL search that returns, with every issue, its
// summary, status, description, labels, the named issue properties and
// the transitions available: everything the sweep needs of an issue in one
// request per 100 issues. go-atlassian's search has no way to ask for
// properties, so the request goes through its connector.
func (c *Client) Query(ctx context.Context, jql string, properties []string, next string) (Page, error) {
	ctx = retry.Idempotent(ctx) // a search sent as POST: safe to send again
	var (
		raw struct {
			Issues        []queryIssue `json:"issues"`
			NextPageToken string       `json:"nextPageToken"`
			Total         int          `json:"total"`
		}
		body any
		path = c.api + "/search/jql"
		// Data Center pages with startAt; Next carries it as text.
		start = 0
	)
	if c.Cloud() {
		req := map[string]any{"jql": jql, "fields": queryFields, "expand": "transitions", "maxResults": queryPageSize}
		if next != "" {
			req["nextPageToken"] = next
		}
		// Jira rejects null for these lists: leave them out when empty.
		if len(properties) > 0 {
			req["properties"] = properties
		}
		body = req
	} else {
		if next != "" {
			n, err := strconv.Atoi(next)
			if err != nil {
				return Page{}, fmt.Errorf("jira: bad page token %q", next)
			}
			start = n
		}
		path = c.api + "/search"
		req := map[string]any{"jql": jql, "fields": queryFields, "expand": []string{"transitions"}, "maxResults": queryPageSize, "startAt": start}
		if len(properties) > 0 {
			req["properties"] = properties
		}
		body = req
	}
	if err := c.do(ctx, "search "+jql, http.MethodPost, path, body, &raw); err != nil {
		return Page{}, err
	}
	page := Page{Issues: make([]Detail, 0, len(raw.Issues)), Next: raw.NextPageToken}
	for _, is := range raw.Issues {
		page.Issues = append(page.Issues, detailOf(is))
	}
	if !c.Cloud() && start+len(raw.Issues) < raw.Total && len(raw.Issues) > 0 {
		page.Next = strconv.Itoa(start + len(raw.Issues))
	}
	return page, nil
}

// detailOf is an issue as a search or a read of it answers.
func detailOf(is queryIssue) Detail {
	d := Detail{
		Issue:       Issue{Key: is.Key, ID: is.ID, Summary: is.Fields.Summary, Transitions: options(is.Transitions)},
		Description: is.Fields.Description,
		Labels:      is.Fields.Labels,
		Properties:  is.Properties,
	}
	if string(d.Description) == "null" {
		d.Description = nil
	}
	d.Status, d.Category = status(is.Fields.Status)
	d.Created, d.Resolved = jiraTime(is.Fields.Created).UTC(), jiraTime(is.Fields.Resolved).UTC()
	return d
}

// notFound reports whether err is Jira's 404.
func notFound(err error) bool {
	var api *APIError
	return errors.As(err, &api) && api.Status == http.StatusNotFound
}

// QuoteJQL makes s one JQL string literal.
func QuoteJQL(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// Property reads an issue property's value; nil when the issue has none.
func (c *Client) Property(ctx context.Context, key, name string) (json.RawMessage, error) {
	var out struct {
		Value json.RawMessage `json:"value"`
	}
	path := fmt.Sprintf("%s/issue/%s/properties/%s", c.api, url.PathEscape(key), url.PathEscape(name))
	err := c.do(ctx, "property "+name+" of "+key, http.MethodGet, path, nil, &out)
	if notFound(err) {
		return nil, nil
	}
	return out.Value, err
}

// SetProperty writes an issue property.
func (c *Client) SetProperty(ctx context.Context, key, name string, value any) error {
	path := fmt.Sprintf("%s/issue/%s/properties/%s", c.api, url.PathEscape(key), url.PathEscape(name))
	return c.do(ctx, "set property "+name+" of "+key, http.MethodPut, path, value, nil)
}

// EditLabels adds and removes labels in one edit; labels not named stay.
func (c *Client) EditLabels(ctx context.Context, key string, add, remove []string) error {
	ops := make([]map[string]string, 0, len(add)+len(remove))
	for _, l := range add {
		ops = append(ops, map[string]string{"add": l})
	}
	for _, l := range remove {
		ops = append(ops, map[string]string{"remove": l})
	}
	if len(ops) == 0 {
		return nil
	}
	path := fmt.Sprintf("%s/issue/%s", c.api, url.PathEscape(key))
	return c.do(ctx, "labels of "+key, http.MethodPut, path, map[string]any{"update": map[string]any{"labels": ops}}, nil)
}

// RemoteLinkURLs lists the URLs of an issue's remote links.
func (c *Client) RemoteLinkURLs(ctx context.Context, key string) ([]string, error) {
	var (
		links []*models.RemoteLinkScheme
		res   *models.ResponseScheme
		err   error
	)
	if c.cloud != nil {
		links, res, err = c.cloud.Issue.Link.Remote.Gets(ctx, key, "")
	} else {
		links, res, err = c.dc.Issue.Link.Remote.Gets(ctx, key, "")
	}
	if err := check("remote links of "+key, res, err); err != nil {
		return nil, err
	}
	out := make([]string, 0, len(links))
	for _, l := range links {
		if l != nil && l.Object != nil && l.Object.URL != "" {
			out = append(out, l.Object.URL)
		}
	}
	return out, nil
}

// Details reads the issues of keys with the named properties, one request
// each, in the order given, leaving out any Jira does not have (deleted or
// moved). It reads each issue rather than searching for them: Jira's
// search lags behind a change, and Details is asked about issues that
// have just changed.
func (c *Client) Details(ctx context.Context, keys, properties []string) ([]Detail, error) {
	q := url.Values{"fields": {strings.Join(queryFields, ",")}}
	if len(properties) > 0 {
		q.Set("properties", strings.Join(properties, ","))
	}
	out := make([]Detail, 0, len(keys))
	for _, k := range keys {
		var is queryIssue
		err := c.do(ctx, "read "+k, http.MethodGet, c.api+"/issue/"+url.PathEscape(k)+"?"+q.Encode(), nil, &is)
		if notFound(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, detailOf(is))
	}
	return out, nil
}
