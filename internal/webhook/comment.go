package webhook

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SentryComment is a Sentry integration-platform "comment" webhook: a
// note created, updated or deleted on an issue (docs: integration
// platform, Comments; example comment.created.json).
type SentryComment struct {
	Action    string // created, updated, deleted
	Org       string
	Project   string
	IssueID   string
	CommentID string
	Text      string
	At        time.Time
	ActorType string
	ActorID   string
	ActorName string
}

// DecodeSentryComment decodes a comment webhook. defaultOrg is the org:
// the payload does not name one.
func DecodeSentryComment(body []byte, defaultOrg string) (SentryComment, error) {
	var raw struct {
		Action string `json:"action"`
		Data   *struct {
			Comment     *string         `json:"comment"`
			ProjectSlug string          `json:"project_slug"`
			CommentID   json.RawMessage `json:"comment_id"`
			IssueID     json.RawMessage `json:"issue_id"`
			Timestamp   string          `json:"timestamp"`
		} `json:"data"`
		Actor *struct {
			Type string          `json:"type"`
			ID   json.RawMessage `json:"id"`
			Name string          `json:"name"`
		} `json:"actor"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return SentryComment{}, fmt.Errorf("sentry comment webhook: %w", err)
	}
	c := SentryComment{Action: raw.Action, Org: defaultOrg}
	switch raw.Action {
	case "created", "updated", "deleted":
	case "":
		return c, errors.New("sentry comment webhook: action: missing")
	default:
		return c, fmt.Errorf("sentry comment webhook: action: %s, want created, updated or deleted", short(raw.Action))
	}
	if raw.Data == nil {
		return c, errors.New("sentry comment webhook: data: missing")
	}
	var err error
	if c.IssueID, err = numericID(raw.Data.IssueID); err != nil {
		return c, fmt.Errorf("sentry comment webhook: data.issue_id: %w", err)
	}
	if c.CommentID, err = numericID(raw.Data.CommentID); err != nil {
		return c, fmt.Errorf("sentry comment webhook: data.comment_id: %w", err)
	}
	if raw.Data.Comment == nil && raw.Action != "deleted" {
		return c, errors.New("sentry comment webhook: data.comment: missing")
	}
	if raw.Data.Comment != nil {
		c.Text = *raw.Data.Comment
	}
	c.Project = raw.Data.ProjectSlug
	if t, err := time.Parse(time.RFC3339Nano, raw.Data.Timestamp); err == nil {
		c.At = t
	}
	if raw.Actor != nil {
		c.ActorType, c.ActorName = raw.Actor.Type, raw.Actor.Name
		c.ActorID = strings.Trim(string(raw.Actor.ID), `"`)
	}
	if c.Org == "" {
		return c, ErrSentryOrgUnknown
	}
	return c, nil
}

// numericID reads an id Sentry sends as a number or a string of digits.
func numericID(raw json.RawMessage) (string, error) {
	s := strings.Trim(strings.TrimSpace(string(raw)), `"`)
	if s == "" || s == "null" {
		return "", errors.New("missing")
	}
	if _, err := strconv.ParseUint(s, 10, 64); err != nil {
		return "", fmt.Errorf("%s is not a numeric id", short(s))
	}
	return s, nil
}
