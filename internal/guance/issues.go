package guance

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/fixproof/fixproof/internal/jsonhttp"
	"github.com/fixproof/fixproof/internal/retry"
)

// Channel is a Guance channel (频道), the unit the issue list is asked by.
type Channel struct {
	UUID, Name string
	// Workspace is the channel's workspaceUUID: the workspace the API
	// key belongs to.
	Workspace string
}

// apiChannel is what the client reads of a channel of the quick list
// (channel/quick-list@0be651a1.md).
type apiChannel struct {
	UUID      string `json:"uuid"`
	Name      string `json:"name"`
	Workspace string `json:"workspaceUUID"`
}

// Channels lists the workspace's channels: GET /api/v1/channel/quick_list.
// The page documents no pagination for it; should an answer carry a
// pageInfo all pages are followed.
func (c *Client) Channels(ctx context.Context) ([]Channel, error) {
	const op = "list channels"
	items, err := pages(op, defaultPageSize, func(idx int) (*envelope, error) {
		var q url.Values
		if idx > 1 {
			q = url.Values{"pageIndex": {strconv.Itoa(idx)}}
		}
		return c.do(ctx, op, http.MethodGet, pathChannelList, q, nil)
	})
	if err != nil {
		return nil, err
	}
	out := make([]Channel, 0, len(items))
	seen := map[string]bool{}
	for i, raw := range items {
		var a apiChannel
		if err := json.Unmarshal(raw, &a); err != nil {
			return nil, fmt.Errorf("guance: %s: channel %d: %w", op, i, err)
		}
		if a.UUID == "" {
			return nil, fmt.Errorf("guance: %s: channel %d has no uuid", op, i)
		}
		if seen[a.UUID] {
			continue
		}
		seen[a.UUID] = true
		out = append(out, Channel(a))
	}
	return out, nil
}

// Issue is what fixproof reads of a Guance issue.
type Issue struct {
	UUID, Name string
	// Description is the HTML Guance stores (spans with data-info
	// attributes for @members and #channels in the page's example); it is
	// returned as is.
	Description string
	// Level is the issue's level: the list page documents it as the level
	// configuration's uuid (filter "level") while its example answers a
	// number (2); a number is returned as its decimal text.
	Level string
	// StatusType is 10, 15, 20, 25 or 30 (StatusOpen ...); Status is its
	// documented name (StatusName), "" for an undocumented value. The
	// record's numeric "status" field (0 in every example, meaning
	// undocumented) is not read.
	Status     string
	StatusType int
	// Channels are the UUIDs of the channels the issue is in: those of
	// extend.channels, then those it was listed under.
	Channels []string
	// CreateAt and UpdateAt are Guance's createAt and updateAt (epoch
	// seconds); zero when absent.
	CreateAt, UpdateAt time.Time
	// Creator is the creating account's UUID ("acnt_...").
	Creator string
	// Extend is the issue's extend object as Guance sent it (channels,
	// members, sourceLink, text, ... in the example); nil when absent.
	Extend json.RawMessage
	// WorkspaceUUID is the workspace ("wksp_...").
	WorkspaceUUID string
}

// IssueQuery says which issues Issues lists.
type IssueQuery struct {
	// Start and End bound the window, sent as startTime and endTime in
	// epoch seconds. Start is rounded down and End up to whole seconds, so
	// the window asked for is never narrower than [Start, End).
	Start, End time.Time
	// ChannelUUIDs are the channels to list; empty means every channel of
	// the workspace (from Channels). The list call takes one channelUUID
	// (required per the en page and the zh supplementary table), so there
	// is one listing per channel.
	ChannelUUIDs []string
	// PageSize is the page size asked for; 0 means 100. Guance may answer
	// smaller pages: the client follows pageInfo.
	PageSize int
}

// listRequest is the body of POST /api/v1/issue/list, as list@74f6f285.md
// (and list@12fc18d7.md, en) documents it. search and filters are not
// sent: both are optional and fixproof filters nothing.
type listRequest struct {
	ChannelUUID string `json:"channelUUID"`
	StartTime   int64  `json:"startTime"`
	EndTime     int64  `json:"endTime"`
	PageIndex   int    `json:"pageIndex"`
	PageSize    int    `json:"pageSize"`
}

// apiIssue is what the client reads of an issue of the list. The fields
// are the same in both zh versions and the en version of the page; the
// versions differ only in the documented statusType values.
type apiIssue struct {
	UUID          string          `json:"uuid"`
	Name          string          `json:"name"`
	Description   string          `json:"description"`
	Level         json.RawMessage `json:"level"`
	StatusType    json.RawMessage `json:"statusType"`
	CreateAt      json.RawMessage `json:"createAt"`
	UpdateAt      json.RawMessage `json:"updateAt"`
	Creator       string          `json:"creator"`
	Extend        json.RawMessage `json:"extend"`
	WorkspaceUUID string          `json:"workspaceUUID"`
}

// issueExtend is what the client reads inside an issue's extend.
type issueExtend struct {
	Channels []struct {
		UUID string `json:"uuid"`
	} `json:"channels"`
}

// Issues lists the issues of a window: POST /api/v1/issue/list for each
// channel, following every page. An issue found in several channels is
// returned once (its latest version, with the union of its channels);
// issues come oldest update first (then by UUID).
//
// The pages do not say which of createAt and updateAt startTime and endTime
// filter on, nor their unit: the unit is taken from createAt and updateAt
// (epoch seconds), and fixproof's simulator filters on updateAt in
// [startTime, endTime), which is what a poller of "issues updated in the
// window" needs. The client does not filter again: were Guance to filter
// on createAt, dropping results would not bring back the issues it left
// out. A poller should overlap its windows and de-duplicate on UUID and
// UpdateAt.
func (c *Client) Issues(ctx context.Context, q IssueQuery) ([]Issue, error) {
	const op = "list issues"
	if err := q.check(); err != nil {
		return nil, fmt.Errorf("guance: %s: %w", op, err)
	}
	channels, err := c.channelsOr(ctx, q.ChannelUUIDs)
	if err != nil {
		return nil, fmt.Errorf("guance: %s: %w", op, err)
	}
	start, end := q.window()
	// The list is a read sent as POST: safe to send again.
	ctx = retry.Idempotent(ctx)
	set := issueSet{}
	done := map[string]bool{}
	for _, ch := range channels {
		if done[ch] {
			continue
		}
		done[ch] = true
		req := listRequest{ChannelUUID: ch, StartTime: start, EndTime: end, PageSize: q.pageSize()}
		if err := c.listChannel(ctx, op+" of channel "+ch, req, set); err != nil {
			return nil, err
		}
	}
	return set.sorted(), nil
}

// check says what is wrong with q: a window without a start or an end,
// or ending before it starts or starting before 1970, a page size out of
// range, or a channel UUID that is none.
func (q IssueQuery) check() error {
	switch {
	case q.Start.IsZero() || q.End.IsZero():
		return errors.New("the window needs a start and an end")
	case !q.End.After(q.Start):
		return fmt.Errorf("window end %s is not after its start %s", q.End.Format(time.RFC3339), q.Start.Format(time.RFC3339))
	case q.Start.Unix() < 0:
		return fmt.Errorf("window start %s is before 1970", q.Start.Format(time.RFC3339))
	case q.PageSize < 0 || q.PageSize > maxPageSize:
		return fmt.Errorf("page size %d: want 1 to %d (or 0 for %d)", q.PageSize, maxPageSize, defaultPageSize)
	}
	for _, ch := range q.ChannelUUIDs {
		if err := checkUUID("channel", ch); err != nil {
			return err
		}
	}
	return nil
}

// window is q's window in whole epoch seconds: the start rounded down and
// the end up, since a fraction of a second is still in the window.
func (q IssueQuery) window() (start, end int64) {
	start, end = q.Start.Unix(), q.End.Unix()
	if q.End.After(time.Unix(end, 0)) {
		end++
	}
	return start, end
}

// pageSize is the page size to ask for.
func (q IssueQuery) pageSize() int {
	if q.PageSize == 0 {
		return defaultPageSize
	}
	return q.PageSize
}

// channelsOr returns channels, or when there are none the UUIDs of every
// channel of the workspace.
func (c *Client) channelsOr(ctx context.Context, channels []string) ([]string, error) {
	if len(channels) > 0 {
		return channels, nil
	}
	all, err := c.Channels(ctx)
	if err != nil {
		return nil, err
	}
	uuids := make([]string, 0, len(all))
	for _, ch := range all {
		uuids = append(uuids, ch.UUID)
	}
	return uuids, nil
}

// listChannel adds to set every issue of every page of the listing req
// asks for (its PageIndex set page by page); chOp names the listing in
// errors.
func (c *Client) listChannel(ctx context.Context, chOp string, req listRequest, set issueSet) error {
	items, err := pages(chOp, req.PageSize, func(idx int) (*envelope, error) {
		body := req
		body.PageIndex = idx
		return c.do(ctx, chOp, http.MethodPost, pathIssueList, nil, body)
	})
	if err != nil {
		return err
	}
	for i, raw := range items {
		is, err := decodeIssue(raw)
		if err != nil {
			return fmt.Errorf("guance: %s: issue %d: %w", chOp, i, err)
		}
		is.Channels = appendNew(is.Channels, req.ChannelUUID)
		set.add(is)
	}
	return nil
}

// issueSet gathers the issues of several listings, one per UUID.
type issueSet map[string]*Issue

// add adds is, or when its UUID is in the set already keeps the later
// version of the two (by UpdateAt, the first on a tie) with the union of
// their channels.
func (s issueSet) add(is Issue) {
	prev, ok := s[is.UUID]
	if !ok {
		s[is.UUID] = &is
		return
	}
	chans := prev.Channels
	for _, u := range is.Channels {
		chans = appendNew(chans, u)
	}
	if is.UpdateAt.After(prev.UpdateAt) {
		*prev = is
	}
	prev.Channels = chans
}

// sorted lists the set oldest update first, then by UUID.
func (s issueSet) sorted() []Issue {
	out := make([]Issue, 0, len(s))
	for _, is := range s {
		out = append(out, *is)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].UpdateAt.Equal(out[j].UpdateAt) {
			return out[i].UpdateAt.Before(out[j].UpdateAt)
		}
		return out[i].UUID < out[j].UUID
	})
	return out
}

// appendNew appends s to list unless it is there.
func appendNew(list []string, s string) []string {
	for _, e := range list {
		if e == s {
			return list
		}
	}
	return append(list, s)
}

// decodeIssue reads one issue of a list answer.
func decodeIssue(raw json.RawMessage) (Issue, error) {
	var a apiIssue
	if err := json.Unmarshal(raw, &a); err != nil {
		return Issue{}, err
	}
	if a.UUID == "" {
		return Issue{}, errors.New("no uuid")
	}
	is := Issue{
		UUID: a.UUID, Name: a.Name, Description: a.Description, Creator: a.Creator,
		WorkspaceUUID: a.WorkspaceUUID, Extend: object(a.Extend),
	}
	var err error
	if is.Level, err = text(a.Level); err != nil {
		return Issue{}, fmt.Errorf("level: %w", err)
	}
	st, err := integer(a.StatusType)
	if err != nil {
		return Issue{}, fmt.Errorf("statusType: %w", err)
	}
	is.StatusType = int(st)
	is.Status = StatusName(is.StatusType)
	if is.CreateAt, err = epoch(a.CreateAt); err != nil {
		return Issue{}, fmt.Errorf("createAt: %w", err)
	}
	if is.UpdateAt, err = epoch(a.UpdateAt); err != nil {
		return Issue{}, fmt.Errorf("updateAt: %w", err)
	}
	var ext issueExtend
	if is.Extend != nil && json.Unmarshal(is.Extend, &ext) == nil {
		for _, ch := range ext.Channels {
			if ch.UUID != "" {
				is.Channels = appendNew(is.Channels, ch.UUID)
			}
		}
	}
	return is, nil
}

// object returns raw as a fresh copy, or nil when it is absent or null.
func object(raw json.RawMessage) json.RawMessage {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	return bytes.Clone(raw)
}

// text reads a value that may be a string or a number (as its text);
// absent or null is "".
func text(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var s string
	if raw[0] == '"' {
		err := json.Unmarshal(raw, &s)
		return s, err
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err != nil {
		return "", fmt.Errorf("%s is neither a string nor a number", jsonhttp.Snippet(raw))
	}
	return n.String(), nil
}

// integer reads a whole number, sent as a number or a string of digits;
// absent or null is 0.
func integer(raw json.RawMessage) (int64, error) {
	s, err := text(raw)
	if err != nil || s == "" {
		return 0, err
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s is not a whole number", s)
	}
	return n, nil
}

// epoch reads a time in epoch seconds (createAt, updateAt in the pages'
// examples), possibly with a fraction; absent, null, 0 or negative (Guance
// writes -1 for "never", as in deleteAt) is the zero time.
func epoch(raw json.RawMessage) (time.Time, error) {
	s, err := text(raw)
	if err != nil || s == "" {
		return time.Time{}, err
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) || f > 1e12 {
		return time.Time{}, fmt.Errorf("%s is not a time in epoch seconds", s)
	}
	if f <= 0 {
		return time.Time{}, nil
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(math.Round(frac*1e9))).UTC(), nil
}
