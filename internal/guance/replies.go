package guance

import (
	"bytes"
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
	"unicode/utf8"

	"github.com/fixproof/fixproof/internal/retry"
)

// Reply is a reply (回复) on a Guance issue.
type Reply struct {
	UUID, IssueUUID string
	// Content is the reply's text as Guance stores it.
	Content string
	// Creator is the replying account's UUID; for replies posted through
	// the Open API, the account the API key belongs to.
	Creator string
	// CreateAt and UpdateAt are Guance's createAt and updateAt (epoch
	// seconds); zero when absent.
	CreateAt, UpdateAt time.Time
	// Extend is the reply's extend object as Guance sent it; nil when
	// absent.
	Extend json.RawMessage
	// Type is Guance's type of the entry: "reply" for a reply, as the
	// create answer of createissuereply@25016845.md shows. Other values
	// may appear in the reply list (it is not documented in the contracts
	// folder); callers mirroring people's replies should keep "reply".
	Type string
}

// apiReply is what the client reads of a reply, as the create answer of
// createissuereply@25016845.md (and @1b56dd35, en) shows it; the reply list
// is assumed to answer the same objects.
type apiReply struct {
	UUID      string          `json:"uuid"`
	IssueUUID string          `json:"issueUUID"`
	Content   string          `json:"content"`
	Creator   string          `json:"creator"`
	CreateAt  json.RawMessage `json:"createAt"`
	UpdateAt  json.RawMessage `json:"updateAt"`
	Extend    json.RawMessage `json:"extend"`
	Type      string          `json:"type"`
}

func decodeReply(raw json.RawMessage) (Reply, error) {
	var a apiReply
	if err := json.Unmarshal(raw, &a); err != nil {
		return Reply{}, err
	}
	if a.UUID == "" {
		return Reply{}, errors.New("no uuid")
	}
	r := Reply{UUID: a.UUID, IssueUUID: a.IssueUUID, Content: a.Content, Creator: a.Creator, Extend: object(a.Extend), Type: a.Type}
	var err error
	if r.CreateAt, err = epoch(a.CreateAt); err != nil {
		return Reply{}, fmt.Errorf("createAt: %w", err)
	}
	if r.UpdateAt, err = epoch(a.UpdateAt); err != nil {
		return Reply{}, fmt.Errorf("updateAt: %w", err)
	}
	return r, nil
}

// Replies lists every reply of an issue, oldest first:
// GET /api/v1/issue/reply/{issue_uuid}/list?pageIndex=N&pageSize=100,
// following every page.
//
// This endpoint has no page in the contracts folder. Assumed, consistent
// with the documented ones: a GET list interface paged with pageIndex and
// pageSize query parameters, as the index page's GET list example is;
// either list shape (listPage) is accepted; the items are reply objects
// like createissuereply's answer. Replies are de-duplicated on UUID (a
// reply added while paging can shift a page) and sorted by createAt, the
// server's order kept for equal times.
func (c *Client) Replies(ctx context.Context, issueUUID string) ([]Reply, error) {
	if err := checkUUID("issue", issueUUID); err != nil {
		return nil, err
	}
	op := "list replies of issue " + issueUUID
	path := pathReplyList(issueUUID)
	items, err := pages(op, defaultPageSize, func(idx int) (*envelope, error) {
		q := url.Values{"pageIndex": {strconv.Itoa(idx)}, "pageSize": {strconv.Itoa(defaultPageSize)}}
		return c.do(ctx, op, http.MethodGet, path, q, nil)
	})
	if err != nil {
		return nil, err
	}
	out := make([]Reply, 0, len(items))
	seen := map[string]bool{}
	for i, raw := range items {
		r, err := decodeReply(raw)
		if err != nil {
			return nil, fmt.Errorf("guance: %s: reply %d: %w", op, i, err)
		}
		if seen[r.UUID] {
			continue
		}
		seen[r.UUID] = true
		if r.IssueUUID == "" {
			r.IssueUUID = issueUUID
		}
		out = append(out, r)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].CreateAt.Before(out[j].CreateAt) })
	return out, nil
}

// replyRequest is the body of POST /api/v1/issue/reply/create as
// createissuereply@25016845.md documents it: issueUUID and extend are
// required (extend "defaults to {}"), content optional. attachmentUuids is
// not sent.
type replyRequest struct {
	IssueUUID string          `json:"issueUUID"`
	Content   string          `json:"content"`
	Extend    json.RawMessage `json:"extend"`
}

// Reply posts a reply on an issue: POST /api/v1/issue/reply/create with
// {"issueUUID", "content", "extend"}. extend is sent as given ({} when nil;
// the page documents channels, members and extra.creator in it), e.g. to
// mark the reply as fixproof's. content must not be blank (Guance would
// take it; fixproof has no use for it) and may have up to 65535
// characters, the page's $maxCustomLength. Reply returns the reply as
// Guance answers it.
//
// Posting is not idempotent: a retrying transport does not send it again
// after the server may have acted.
func (c *Client) Reply(ctx context.Context, issueUUID, content string, extend map[string]any) (Reply, error) {
	if err := checkUUID("issue", issueUUID); err != nil {
		return Reply{}, err
	}
	op := "reply on issue " + issueUUID
	if strings.TrimSpace(content) == "" {
		return Reply{}, fmt.Errorf("guance: %s: empty reply", op)
	}
	if n := utf8.RuneCountInString(content); n > maxReplyContent {
		return Reply{}, fmt.Errorf("guance: %s: reply has %d characters, Guance takes at most %d", op, n, maxReplyContent)
	}
	if !utf8.ValidString(content) {
		return Reply{}, fmt.Errorf("guance: %s: reply is not valid UTF-8", op)
	}
	ext := json.RawMessage(`{}`)
	if extend != nil {
		b, err := json.Marshal(extend)
		if err != nil {
			return Reply{}, fmt.Errorf("guance: %s: extend: %w", op, err)
		}
		ext = b
	}
	env, err := c.do(ctx, op, http.MethodPost, pathReplyCreate, nil, replyRequest{IssueUUID: issueUUID, Content: content, Extend: ext})
	if err != nil {
		return Reply{}, err
	}
	r, err := decodeReply(env.Content)
	if err != nil {
		return Reply{}, fmt.Errorf("guance: %s: decoding the reply: %w", op, err)
	}
	if r.IssueUUID == "" {
		r.IssueUUID = issueUUID
	}
	return r, nil
}

// modifyRequest is the body SetStatus sends to the modify endpoint.
type modifyRequest struct {
	StatusType int `json:"statusType"`
}

// SetStatus sets an issue's status type (StatusOpen, StatusWorking,
// StatusResolved, StatusClosed or StatusPending):
// POST /api/v1/issue/{issue_uuid}/modify with {"statusType": n}.
//
// This endpoint has no page in the contracts folder. Assumed, consistent
// with the documented ones: only the fields sent are changed, so nothing
// but statusType is sent (an extend with empty channels could move the
// issue, per the note on extend in createissuereply@25016845.md); the
// answer is the envelope, whose content, when it is an issue with a
// statusType, must show the new status. Setting a status twice is harmless,
// so the request is marked safe to send again.
func (c *Client) SetStatus(ctx context.Context, issueUUID string, statusType int) error {
	if err := checkUUID("issue", issueUUID); err != nil {
		return err
	}
	op := "set status of issue " + issueUUID
	if StatusName(statusType) == "" {
		return fmt.Errorf("guance: %s: status type %d: want 10, 15, 20, 25 or 30", op, statusType)
	}
	path := pathModify(issueUUID)
	env, err := c.do(retry.Idempotent(ctx), op, http.MethodPost, path, nil, modifyRequest{StatusType: statusType})
	if err != nil {
		return err
	}
	if raw := bytes.TrimSpace(env.Content); len(raw) > 0 && raw[0] == '{' {
		var got struct {
			StatusType json.RawMessage `json:"statusType"`
		}
		if json.Unmarshal(raw, &got) == nil {
			if s, err := text(got.StatusType); err == nil && s != "" && s != strconv.Itoa(statusType) {
				return fmt.Errorf("guance: %s: Guance answered statusType %s", op, s)
			}
		}
	}
	return nil
}
