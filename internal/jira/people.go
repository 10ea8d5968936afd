package jira

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// User is a Jira account: Cloud names it by accountId, Data Center by name.
type User struct {
	AccountID   string `json:"accountId"`
	Name        string `json:"name"`
	DisplayName string `json:"displayName"`
}

// Is reports whether two users are the same account.
func (u User) Is(o User) bool {
	if u.AccountID != "" || o.AccountID != "" {
		return u.AccountID == o.AccountID
	}
	return u.Name != "" && u.Name == o.Name
}

// Myself is the account the client's credentials belong to: the bot, whose
// own comments are never mirrored back.
func (c *Client) Myself(ctx context.Context) (User, error) {
	var u User
	err := c.do(ctx, "myself", http.MethodGet, c.api+"/myself", nil, &u)
	return u, err
}

// Comment is a comment as comment sync reads it.
type Comment struct {
	ID               string
	Author, Updater  User
	Body             json.RawMessage // ADF object (Cloud) or JSON string (Data Center)
	Created, Updated time.Time
	Marker           string // fixproof's hidden marker, "" for people's comments
}

// Comments lists every comment of an issue, oldest first, with fixproof's
// markers.
func (c *Client) Comments(ctx context.Context, key string) ([]Comment, error) {
	var out []Comment
	for start := 0; ; {
		q := url.Values{"expand": {"properties"}, "startAt": {strconv.Itoa(start)}, "maxResults": {"100"}}
		var page struct {
			Total    int `json:"total"`
			Comments []struct {
				ID           string           `json:"id"`
				Author       User             `json:"author"`
				UpdateAuthor User             `json:"updateAuthor"`
				Body         json.RawMessage  `json:"body"`
				Created      string           `json:"created"`
				Updated      string           `json:"updated"`
				Properties   []entityProperty `json:"properties"`
			} `json:"comments"`
		}
		path := fmt.Sprintf("%s/issue/%s/comment?%s", c.api, url.PathEscape(key), q.Encode())
		if err := c.do(ctx, "comments of "+key, http.MethodGet, path, nil, &page); err != nil {
			return nil, err
		}
		for _, cm := range page.Comments {
			out = append(out, Comment{ID: cm.ID, Author: cm.Author, Updater: cm.UpdateAuthor, Body: cm.Body,
				Created: jiraTime(cm.Created), Updated: jiraTime(cm.Updated), Marker: markerOf(cm.Properties)})
		}
		start += len(page.Comments)
		if len(page.Comments) == 0 || start >= page.Total {
			return out, nil
		}
	}
}

func markerOf(props []entityProperty) string {
	for _, p := range props {
		var mv markerValue
		if p.Key == markerProperty && json.Unmarshal(p.Value, &mv) == nil {
			return mv.Marker
		}
	}
	return ""
}

// jiraTime reads Jira's timestamps ("2026-11-20T10:00:00.000+0000").
func jiraTime(s string) time.Time {
	for _, layout := range []string{"2006-01-02T15:04:05.000-0700", time.RFC3339Nano} {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	return time.Time{}
}

// DeleteMarkedComment deletes fixproof's comment carrying marker, if any.
func (c *Client) DeleteMarkedComment(ctx context.Context, key, marker string) error {
	found, err := c.findComments(ctx, key, marker)
	if err != nil {
		return err
	}
	for _, m := range found {
		path := fmt.Sprintf("%s/issue/%s/comment/%s", c.api, url.PathEscape(key), url.PathEscape(m.id))
		if err := c.do(ctx, "delete comment on "+key, http.MethodDelete, path, nil, nil); err != nil {
			return err
		}
	}
	return nil
}
