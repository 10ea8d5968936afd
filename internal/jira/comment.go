package jira

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"

	"github.com/ctreminiom/go-atlassian/v2/pkg/infra/models"

	"github.com/fixproof/fixproof/internal/jiramarkup"
	"github.com/fixproof/fixproof/internal/retry"
)

// markerProperty is the comment property that marks fixproof's comments.
// Properties are invisible in Jira's UI and survive edits of the text, so
// fixproof finds its own comment again without putting markers in the body.
const markerProperty = "fixproof"

type markerValue struct {
	Marker string `json:"marker"`
	// Digest is the SHA-256 of the body fixproof rendered; comparing it
	// (rather than the stored body, which Jira normalises) tells whether
	// the comment needs an edit.
	Digest string `json:"digest"`
}

type entityProperty struct {
	Key   string          `json:"key"`
	Value json.RawMessage `json:"value"`
}

type comment struct {
	ID         string           `json:"id"`
	Properties []entityProperty `json:"properties,omitempty"`
}

type commentPage struct {
	StartAt    int       `json:"startAt"`
	MaxResults int       `json:"maxResults"`
	Total      int       `json:"total"`
	Comments   []comment `json:"comments"`
}

type commentBody struct {
	Body       any              `json:"body"`
	Properties []entityProperty `json:"properties,omitempty"`
}

// Outcome says what an upsert did.
type Outcome string

// The outcomes of an upsert.
const (
	Created   Outcome = "created"
	Updated   Outcome = "updated"
	Unchanged Outcome = "unchanged"
)

// UpsertComment keeps exactly one fixproof comment per marker on an issue
// (e.g. one per pull request): it is created the first time, edited in
// place when the document changed, and left alone when it did not, so a
// re-run posts nothing. beforeWrite, when not nil, runs only when the
// comment is about to be written: things that change together with the
// comment (a remote link) are written first, so the comment being current
// means they are too.
func (c *Client) UpsertComment(ctx context.Context, key, marker string, doc jiramarkup.Doc, beforeWrite func(context.Context) error) (Outcome, error) {
	body, want := c.marked(doc, marker)
	found, err := c.findComments(ctx, key, marker)
	if err != nil {
		return "", err
	}
	if len(found) > 0 && found[0].value.Digest == want.Digest {
		return Unchanged, nil
	}
	if beforeWrite != nil {
		if err := beforeWrite(ctx); err != nil {
			return "", err
		}
	}
	payload := markedBody(body, want)
	if len(found) == 0 {
		if err := c.postComment(ctx, key, payload); err != nil {
			return "", err
		}
		return Created, c.dedupe(ctx, key, marker)
	}
	path := fmt.Sprintf("%s/issue/%s/comment/%s", c.api, url.PathEscape(key), url.PathEscape(found[0].id))
	return Updated, c.do(ctx, "edit comment on "+key, http.MethodPut, path, payload, nil)
}

// PostMarkedComment posts the marked comment without looking for one
// first: one request, where UpsertComment takes three. It is for a caller that knows
// no comment with the marker can exist yet (the sweep that won the
// transition the comment reports); a later UpsertComment with the same
// marker finds it and keeps one.
func (c *Client) PostMarkedComment(ctx context.Context, key, marker string, doc jiramarkup.Doc) error {
	return c.postComment(ctx, key, markedBody(c.marked(doc, marker)))
}

// marked renders doc in the site's format, with the marker value that
// names it: the marker, and the digest of the rendered body.
func (c *Client) marked(doc jiramarkup.Doc, marker string) (any, markerValue) {
	body := c.render(doc)
	raw, _ := json.Marshal(body)
	sum := sha256.Sum256(raw)
	return body, markerValue{Marker: marker, Digest: hex.EncodeToString(sum[:])}
}

// markedBody is a comment's body with its marker property.
func markedBody(body any, m markerValue) commentBody {
	value, _ := json.Marshal(m)
	return commentBody{Body: body, Properties: []entityProperty{{Key: markerProperty, Value: value}}}
}

func (c *Client) postComment(ctx context.Context, key string, payload commentBody) error {
	path := fmt.Sprintf("%s/issue/%s/comment", c.api, url.PathEscape(key))
	return c.do(ctx, "comment on "+key, http.MethodPost, path, payload, nil)
}

// dedupe keeps the oldest comment carrying marker and deletes the others.
// Two runs that both found no comment and both posted one converge on the
// same survivor, whichever finishes first.
func (c *Client) dedupe(ctx context.Context, key, marker string) error {
	found, err := c.findComments(ctx, key, marker)
	if err != nil {
		return err
	}
	for _, extra := range found[min(1, len(found)):] {
		path := fmt.Sprintf("%s/issue/%s/comment/%s", c.api, url.PathEscape(key), url.PathEscape(extra.id))
		err := c.do(ctx, "delete duplicate comment on "+key, http.MethodDelete, path, nil, nil)
		if err != nil && !notFound(err) {
			return err
		}
	}
	return nil
}

// render gives the body in the site's format: ADF for Cloud, wiki markup
// for Data Center.
func (c *Client) render(doc jiramarkup.Doc) any {
	if c.Cloud() {
		return doc.RenderADF()
	}
	return doc.RenderWiki()
}

type marked struct {
	id    string
	value markerValue
}

// findComments pages through an issue's comments, with their properties,
// and returns those carrying marker, oldest first.
func (c *Client) findComments(ctx context.Context, key, marker string) ([]marked, error) {
	var out []marked
	for start := 0; ; {
		q := url.Values{"expand": {"properties"}, "startAt": {strconv.Itoa(start)}, "maxResults": {"100"}}
		path := fmt.Sprintf("%s/issue/%s/comment?%s", c.api, url.PathEscape(key), q.Encode())
		var page commentPage
		if err := c.do(ctx, "comments of "+key, http.MethodGet, path, nil, &page); err != nil {
			return nil, err
		}
		for _, cm := range page.Comments {
			for _, p := range cm.Properties {
				var mv markerValue
				if p.Key == markerProperty && json.Unmarshal(p.Value, &mv) == nil && mv.Marker == marker {
					out = append(out, marked{id: cm.ID, value: mv})
				}
			}
		}
		start += len(page.Comments)
		if len(page.Comments) == 0 || start >= page.Total {
			break
		}
	}
	// Comment ids are increasing numbers: the smallest is the oldest.
	sort.Slice(out, func(i, j int) bool {
		a, _ := strconv.ParseInt(out[i].id, 10, 64)
		b, _ := strconv.ParseInt(out[j].id, 10, 64)
		return a < b
	})
	return out, nil
}

// do sends one request through go-atlassian's connector, for the endpoints
// its typed services do not model (comment properties).
func (c *Client) do(ctx context.Context, op, method, path string, body, out any) error {
	req, err := c.conn.NewRequest(ctx, method, path, "", body)
	if err != nil {
		return fmt.Errorf("jira: %s: %w", op, err)
	}
	res, err := c.conn.Call(req, out)
	return check(op, res, err)
}

// RemoteLink is a link from a Jira issue to something elsewhere, such as
// the pull request that fixes it.
type RemoteLink struct {
	// GlobalID identifies the linked object; posting the same GlobalID
	// again updates the link instead of adding a second one.
	GlobalID     string
	URL, Title   string
	Summary      string
	Relationship string
	Resolved     bool
	IconURL      string
	IconTitle    string
}

// UpsertRemoteLink creates or updates a remote link.
func (c *Client) UpsertRemoteLink(ctx context.Context, key string, l RemoteLink) error {
	ctx = retry.Idempotent(ctx) // keyed by globalId: posting again updates the same link
	payload := &models.RemoteLinkScheme{
		GlobalID:     l.GlobalID,
		Relationship: l.Relationship,
		Application:  &models.RemoteLinkApplicationScheme{Type: "com.github", Name: "GitHub"},
		Object: &models.RemoteLinkObjectScheme{
			URL: l.URL, Title: l.Title, Summary: l.Summary,
			Status: &models.RemoteLinkObjectStatusScheme{Resolved: l.Resolved},
		},
	}
	if l.IconURL != "" {
		payload.Object.Icon = &models.RemoteLinkObjectLinkScheme{URL16X16: l.IconURL, Title: l.IconTitle}
	}
	var (
		res *models.ResponseScheme
		err error
	)
	if c.cloud != nil {
		_, res, err = c.cloud.Issue.Link.Remote.Create(ctx, key, payload)
	} else {
		_, res, err = c.dc.Issue.Link.Remote.Create(ctx, key, payload)
	}
	return check("remote link on "+key, res, err)
}
