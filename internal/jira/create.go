package jira

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ctreminiom/go-atlassian/v2/pkg/infra/models"

	"github.com/fixproof/fixproof/internal/jiramarkup"
	"github.com/fixproof/fixproof/internal/retry"
	"github.com/fixproof/fixproof/internal/textcut"
)

// Jira's limits on text fields, counted in UTF-16 code units (Java's
// String.length): 255 for a summary, 32,767 for a description.
const (
	maxSummary     = 255
	maxDescription = 32767
)

// cutNote ends a description that was cut to fit maxDescription.
const cutNote = "(cut: the full details are in Sentry)"

// NewIssue is an issue to create.
type NewIssue struct {
	// Project is the project key; IssueType the issue type's name, e.g.
	// "Bug".
	Project, IssueType string
	// Summary is folded onto one line (Jira refuses line breaks in a
	// summary) and cut to 255 characters (Jira's limit) on a rune
	// boundary.
	Summary string
	// Description is rendered as ADF (Cloud) or wiki markup (Data Center).
	// When the rendered description exceeds 32,767 characters (on Cloud,
	// the ADF document's JSON text is counted, which is never less than
	// its text), its text is cut and it ends with the paragraph "(cut:
	// the full details are in Sentry)".
	Description jiramarkup.Doc
	Labels      []string
	// Components are named; they must exist in the project.
	Components []string
	// Priority is a priority's name; "" leaves Jira's default.
	Priority string
	// Properties are issue properties set in the create request itself
	// (IssueUpdateDetails.properties), so an issue never exists without
	// them.
	Properties map[string]any
}

// CreateIssue creates an issue and returns its key: POST
// /rest/api/{3,2}/issue. The request goes through go-atlassian's connector
// rather than its Issue.Create, whose payload has no room for the
// top-level "properties" that make the issue and its properties one
// atomic write.
func (c *Client) CreateIssue(ctx context.Context, n NewIssue) (string, error) {
	if n.Project == "" || n.IssueType == "" {
		return "", errors.New("jira: create issue: a project and an issue type are needed")
	}
	fields := map[string]any{
		"project":   map[string]string{"key": n.Project},
		"issuetype": map[string]string{"name": n.IssueType},
		"summary":   oneLineSummary(n.Summary),
	}
	if len(n.Description.Blocks) > 0 {
		fields["description"] = c.fit(n.Description, maxDescription)
	}
	if len(n.Labels) > 0 {
		fields["labels"] = n.Labels
	}
	if len(n.Components) > 0 {
		comps := make([]map[string]string, 0, len(n.Components))
		for _, name := range n.Components {
			comps = append(comps, map[string]string{"name": name})
		}
		fields["components"] = comps
	}
	if n.Priority != "" {
		fields["priority"] = map[string]string{"name": n.Priority}
	}
	body := map[string]any{"fields": fields}
	if len(n.Properties) > 0 {
		keys := make([]string, 0, len(n.Properties))
		for k := range n.Properties {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		props := make([]map[string]any, 0, len(keys))
		for _, k := range keys {
			props = append(props, map[string]any{"key": k, "value": n.Properties[k]})
		}
		body["properties"] = props
	}
	var out models.IssueResponseScheme
	if err := c.do(ctx, "create issue in "+n.Project, http.MethodPost, c.api+"/issue", body, &out); err != nil {
		return "", err
	}
	if out.Key == "" {
		return "", fmt.Errorf("jira: create issue in %s: Jira answered no key", n.Project)
	}
	return out.Key, nil
}

// oneLineSummary makes s a valid Jira summary: white space runs (line
// breaks included) become one space, and it is cut to maxSummary UTF-16
// code units on a rune boundary.
func oneLineSummary(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	return strings.TrimRight(textcut.UTF16(s, maxSummary), " ")
}

// textLen is the length Jira measures of a rendered body: the string (wiki
// markup), or the JSON text of an ADF document, in UTF-16 code units.
func textLen(body any) int {
	s, ok := body.(string)
	if !ok {
		b, _ := json.Marshal(body)
		s = string(b)
	}
	n := 0
	for _, r := range s {
		n++
		if r > 0xFFFF {
			n++
		}
	}
	return n
}

// fit renders doc in the site's format, cut to at most limit characters
// (see textLen) with cutNote at the end when it is longer: the most text
// that fits is found by bisection on the number of runes kept.
func (c *Client) fit(doc jiramarkup.Doc, limit int) any {
	full := c.render(doc)
	if textLen(full) <= limit {
		return full
	}
	lo, hi := 0, docRunes(doc)
	best := c.render(cut(doc, 0))
	for lo <= hi {
		mid := lo + (hi-lo)/2
		r := c.render(cut(doc, mid))
		if textLen(r) <= limit {
			best, lo = r, mid+1
		} else {
			hi = mid - 1
		}
	}
	return best
}

// docRunes counts the runes of a document's text.
func docRunes(doc jiramarkup.Doc) int {
	return utf8.RuneCountInString(doc.PlainText())
}

// cut keeps the first n runes of doc's text, in order, and ends it with
// a paragraph saying it was cut. Text is cut in the middle of a
// paragraph, heading, list item, table cell or code block; a table keeps
// its header and the rows begun within n, a list the items begun, an
// expand its title and what fits of its blocks; a kind of block cut does
// not know is kept whole or not at all.
func cut(doc jiramarkup.Doc, n int) jiramarkup.Doc {
	budget := n
	out := jiramarkup.Doc{Blocks: cutBlocks(doc.Blocks, &budget)}
	out.Blocks = append(out.Blocks, jiramarkup.P(jiramarkup.Plain(cutNote)))
	return out
}

// cutBlocks keeps blocks while *budget (runes of text) lasts.
func cutBlocks(blocks []jiramarkup.Block, budget *int) []jiramarkup.Block {
	c := cutter{budget}
	var out []jiramarkup.Block
	for _, b := range blocks {
		if c.spent() {
			break
		}
		if kept, ok := c.block(b); ok {
			out = append(out, kept)
		}
	}
	return out
}

// cutter cuts a document's text to a budget of runes, in document order.
type cutter struct{ budget *int }

func (c cutter) spent() bool { return *c.budget <= 0 }

// take keeps as much of s as the budget allows.
func (c cutter) take(s string) string {
	if c.spent() {
		return ""
	}
	kept := textcut.Runes(s, *c.budget)
	*c.budget -= utf8.RuneCountInString(kept)
	return kept
}

func (c cutter) inlines(p jiramarkup.Paragraph) jiramarkup.Paragraph {
	out := make(jiramarkup.Paragraph, 0, len(p))
	for _, in := range p {
		if c.spent() {
			break
		}
		in.Text = c.take(in.Text)
		out = append(out, in)
	}
	return out
}

// block is b cut to the budget; false when b, a block with no text to
// cut, does not fit whole (the budget is then spent).
func (c cutter) block(b jiramarkup.Block) (jiramarkup.Block, bool) {
	switch b := b.(type) {
	case jiramarkup.Paragraph:
		return c.inlines(b), true
	case jiramarkup.Heading:
		return jiramarkup.Heading(c.take(string(b))), true
	case jiramarkup.CodeBlock:
		return jiramarkup.CodeBlock(c.take(string(b))), true
	case jiramarkup.List:
		return c.list(b), true
	case jiramarkup.Expand:
		e := jiramarkup.Expand{Title: c.take(b.Title)}
		e.Blocks = cutBlocks(b.Blocks, c.budget)
		return e, true
	case jiramarkup.Table:
		return c.table(b), true
	}
	cost := docRunes(jiramarkup.Doc{Blocks: []jiramarkup.Block{b}})
	if cost > *c.budget {
		*c.budget = 0
		return nil, false
	}
	*c.budget -= cost
	return b, true
}

func (c cutter) list(b jiramarkup.List) jiramarkup.List {
	l := jiramarkup.List{Ordered: b.Ordered}
	for _, it := range b.Items {
		if c.spent() {
			break
		}
		l.Items = append(l.Items, c.inlines(it))
	}
	return l
}

func (c cutter) table(b jiramarkup.Table) jiramarkup.Table {
	t := jiramarkup.Table{Header: make([]string, len(b.Header))}
	for i, h := range b.Header {
		t.Header[i] = c.take(h)
	}
	for _, row := range b.Rows {
		if c.spent() {
			break
		}
		cells := make([]jiramarkup.Paragraph, len(row))
		for i, cell := range row {
			cells[i] = c.inlines(cell)
		}
		t.Rows = append(t.Rows, cells)
	}
	return t
}

// FindByLabel returns the keys of the issues carrying label, oldest first,
// in one JQL search (`labels = "<label>" ORDER BY created ASC`, at most
// 100 issues). It is how a crash between creating an issue and saving its
// key is recovered from; mind that Jira's search index lags behind
// creation, so an issue created a moment ago may not be found yet.
func (c *Client) FindByLabel(ctx context.Context, label string) ([]string, error) {
	if label == "" {
		return nil, errors.New("jira: find by label: no label")
	}
	ctx = retry.Idempotent(ctx) // a search sent as POST: safe to send again
	jql := "labels = " + QuoteJQL(label) + " ORDER BY created ASC"
	req := map[string]any{"jql": jql, "fields": []string{"created"}, "maxResults": 100}
	path := c.api + "/search/jql"
	if !c.Cloud() {
		path = c.api + "/search"
		req["startAt"] = 0
	}
	var raw struct {
		Issues []struct {
			Key string `json:"key"`
		} `json:"issues"`
	}
	if err := c.do(ctx, "search "+jql, http.MethodPost, path, req, &raw); err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(raw.Issues))
	for _, is := range raw.Issues {
		keys = append(keys, is.Key)
	}
	return keys, nil
}

// State is what the bot's reopen policy reads of an issue.
type State struct {
	Key string
	// Status is the status's name; Category its status category key
	// (new, indeterminate, done).
	Status, Category string
	// Resolution is the resolution's name, empty while unresolved;
	// Resolved is then zero.
	Resolution string
	Priority   string
	Resolved   time.Time
}

// stateFields are the fields IssueState reads.
var stateFields = []string{"status", "resolution", "resolutiondate", "priority"}

// IssueState reads an issue's status, resolution and priority.
func (c *Client) IssueState(ctx context.Context, key string) (State, error) {
	var (
		stat       *models.StatusScheme
		resolution *models.ResolutionScheme
		resolved   *models.DateTimeScheme
		priority   *models.PriorityScheme
		gotKey     string
		res        *models.ResponseScheme
		err        error
	)
	if c.cloud != nil {
		var is *models.IssueScheme
		if is, res, err = c.cloud.Issue.Get(ctx, key, stateFields, nil); err == nil && is.Fields != nil {
			gotKey = is.Key
			stat, resolution, resolved, priority = is.Fields.Status, is.Fields.Resolution, is.Fields.Resolutiondate, is.Fields.Priority
		}
	} else {
		var is *models.IssueSchemeV2
		if is, res, err = c.dc.Issue.Get(ctx, key, stateFields, nil); err == nil && is.Fields != nil {
			gotKey = is.Key
			stat, resolution, resolved, priority = is.Fields.Status, is.Fields.Resolution, is.Fields.ResolutionDate, is.Fields.Priority
		}
	}
	if err := check("state of "+key, res, err); err != nil {
		return State{}, err
	}
	st := State{Key: gotKey}
	if st.Key == "" {
		st.Key = key
	}
	st.Status, st.Category = status(stat)
	if resolution != nil {
		st.Resolution = resolution.Name
	}
	if resolved != nil && st.Resolution != "" {
		st.Resolved = time.Time(*resolved)
	}
	if priority != nil {
		st.Priority = priority.Name
	}
	return st, nil
}

// SetPriority sets an issue's priority by name: PUT issue with
// fields.priority.
func (c *Client) SetPriority(ctx context.Context, key, priority string) error {
	path := fmt.Sprintf("%s/issue/%s", c.api, url.PathEscape(key))
	body := map[string]any{"fields": map[string]any{"priority": map[string]string{"name": priority}}}
	return c.do(ctx, "priority of "+key, http.MethodPut, path, body, nil)
}

// Priorities lists the priority names, in Jira's order (highest first):
// GET /rest/api/{3,2}/priority, which Data Center and Cloud both serve
// (go-atlassian marks its wrapper deprecated, so the connector is used).
func (c *Client) Priorities(ctx context.Context) ([]string, error) {
	var list []models.PriorityScheme
	if err := c.do(ctx, "priorities", http.MethodGet, c.api+"/priority", nil, &list); err != nil {
		return nil, err
	}
	out := make([]string, 0, len(list))
	for _, p := range list {
		out = append(out, p.Name)
	}
	return out, nil
}

// LinkIssues links two issues with a link type named linkType (e.g.
// "Relates"): POST /rest/api/{3,2}/issueLink. inward and outward are the
// request's inwardIssue and outwardIssue; for a directed type such as
// Blocks, Jira shows inward as the one that "blocks" outward.
func (c *Client) LinkIssues(ctx context.Context, linkType, inward, outward string) error {
	var (
		res *models.ResponseScheme
		err error
	)
	typ := &models.LinkTypeScheme{Name: linkType}
	in, out := &models.LinkedIssueScheme{Key: inward}, &models.LinkedIssueScheme{Key: outward}
	if c.cloud != nil {
		res, err = c.cloud.Issue.Link.Create(ctx, &models.LinkPayloadSchemeV3{Type: typ, InwardIssue: in, OutwardIssue: out})
	} else {
		res, err = c.dc.Issue.Link.Create(ctx, &models.LinkPayloadSchemeV2{Type: typ, InwardIssue: in, OutwardIssue: out})
	}
	return check(fmt.Sprintf("link %s %s %s", inward, linkType, outward), res, err)
}

// AddComment adds a plain comment (ADF on Cloud, wiki markup on Data
// Center); UpsertComment keeps one comment per marker instead.
func (c *Client) AddComment(ctx context.Context, key string, doc jiramarkup.Doc) error {
	return c.postComment(ctx, key, commentBody{Body: c.render(doc)})
}
