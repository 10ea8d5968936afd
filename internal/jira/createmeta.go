package jira

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// What may be created where: the create metadata of a project, read from
// GET /rest/api/{3,2}/issue/createmeta/{project}/issuetypes[/{id}] (Jira
// Cloud, and Data Center from 8.4). The answers are pages: Cloud lists
// issueTypes and fields, Data Center values; both are read.

// IssueType is an issue type the account may create in a project.
type IssueType struct {
	ID, Name string
	Subtask  bool
}

// CreateField is a field of a project's create screen for an issue type.
type CreateField struct {
	// ID is the field's id, as a create request names it: summary,
	// components, customfield_10010.
	ID, Name string
	// Required fields must be set unless they have a default.
	Required, HasDefault bool
	// Allowed are the names of the values the field takes, for fields
	// that list them (components, priority, issue type, select lists).
	Allowed []string
}

// createMetaPageSize is the largest page Jira answers (maxResults).
const createMetaPageSize = 200

// CreateIssueTypes lists the issue types the account may create in
// project (a key or an id). Jira answers a project that does not exist,
// or in which the account may not create issues, with an error or with no
// issue types.
func (c *Client) CreateIssueTypes(ctx context.Context, project string) ([]IssueType, error) {
	op := "create metadata of " + project
	path := c.api + "/issue/createmeta/" + url.PathEscape(project) + "/issuetypes"
	var out []IssueType
	err := c.createMetaPages(ctx, op, path, func(raw json.RawMessage) error {
		var t struct {
			ID      string `json:"id"`
			Name    string `json:"name"`
			Subtask bool   `json:"subtask"`
		}
		if err := json.Unmarshal(raw, &t); err != nil {
			return err
		}
		out = append(out, IssueType{ID: t.ID, Name: t.Name, Subtask: t.Subtask})
		return nil
	})
	return out, err
}

// CreateFields lists the fields of the create screen of the issue type
// (its id, from CreateIssueTypes) in project.
func (c *Client) CreateFields(ctx context.Context, project, issueTypeID string) ([]CreateField, error) {
	op := "create fields of " + project + " issue type " + issueTypeID
	path := c.api + "/issue/createmeta/" + url.PathEscape(project) + "/issuetypes/" + url.PathEscape(issueTypeID)
	var out []CreateField
	err := c.createMetaPages(ctx, op, path, func(raw json.RawMessage) error {
		var f struct {
			FieldID         string `json:"fieldId"`
			Key             string `json:"key"`
			Name            string `json:"name"`
			Required        bool   `json:"required"`
			HasDefaultValue bool   `json:"hasDefaultValue"`
			AllowedValues   []struct {
				Name  string `json:"name"`
				Value string `json:"value"`
			} `json:"allowedValues"`
		}
		if err := json.Unmarshal(raw, &f); err != nil {
			return err
		}
		cf := CreateField{ID: f.FieldID, Name: f.Name, Required: f.Required, HasDefault: f.HasDefaultValue}
		if cf.ID == "" {
			cf.ID = f.Key
		}
		for _, v := range f.AllowedValues {
			if v.Name == "" {
				v.Name = v.Value
			}
			cf.Allowed = append(cf.Allowed, v.Name)
		}
		out = append(out, cf)
		return nil
	})
	return out, err
}

// createMetaPage is one page of create metadata, as Cloud (issueTypes,
// fields) or Data Center (values) writes it.
type createMetaPage struct {
	StartAt    int               `json:"startAt"`
	Total      *int              `json:"total"`
	IsLast     *bool             `json:"isLast"`
	IssueTypes []json.RawMessage `json:"issueTypes"`
	Fields     []json.RawMessage `json:"fields"`
	Values     []json.RawMessage `json:"values"`
}

func (p *createMetaPage) items() []json.RawMessage {
	switch {
	case p.IssueTypes != nil:
		return p.IssueTypes
	case p.Fields != nil:
		return p.Fields
	}
	return p.Values
}

// last reports whether the page that started at start is the last: Data
// Center says so, Cloud gives the total; an empty page ends the list too.
func (p *createMetaPage) last(start int) bool {
	n := len(p.items())
	switch {
	case n == 0:
		return true
	case p.IsLast != nil:
		return *p.IsLast
	case p.Total != nil:
		return start+n >= *p.Total
	}
	return n < createMetaPageSize
}

// createMetaPages reads every page of a create metadata list, handing each
// item to each.
func (c *Client) createMetaPages(ctx context.Context, op, path string, each func(json.RawMessage) error) error {
	for start, pages := 0, 0; ; pages++ {
		if pages >= 100 {
			return fmt.Errorf("jira: %s: more than 100 pages", op)
		}
		q := url.Values{"startAt": {strconv.Itoa(start)}, "maxResults": {strconv.Itoa(createMetaPageSize)}}
		var page createMetaPage
		if err := c.do(ctx, op, http.MethodGet, path+"?"+q.Encode(), nil, &page); err != nil {
			return err
		}
		for i, raw := range page.items() {
			if err := each(raw); err != nil {
				return fmt.Errorf("jira: %s: item %d: %w", op, start+i, err)
			}
		}
		if page.last(start) {
			return nil
		}
		start += len(page.items())
	}
}
