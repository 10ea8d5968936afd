package jira

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"testing"

	"github.com/fixproof/fixproof/internal/jiramarkup"
)

// The create metadata says which issue types the account may create in a
// project and which fields their create screen has: Cloud and Data
// Center alike, every request and answer checked against Jira's OpenAPI
// document.
func TestCreateMetadataListsIssueTypesAndTheirScreen(t *testing.T) {
	for _, flavor := range both {
		t.Run(flavor.String(), func(t *testing.T) {
			c, js := setup(t, flavor, nil)
			if err := js.SetComponents("OPS", "API", "Web"); err != nil {
				t.Fatal(err)
			}
			if err := js.HideCreateField("OPS", "priority"); err != nil {
				t.Fatal(err)
			}
			if err := js.AddRequiredField("OPS", "customfield_10010", "Team"); err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			types, err := c.CreateIssueTypes(ctx, "OPS")
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			bug := ""
			for _, it := range types {
				names = append(names, it.Name)
				if it.Name == "Bug" {
					bug = it.ID
				}
			}
			if !reflect.DeepEqual(names, []string{"Bug", "Task", "Incident"}) || bug == "" {
				t.Fatalf("issue types %+v", types)
			}
			fields, err := c.CreateFields(ctx, "OPS", bug)
			if err != nil {
				t.Fatal(err)
			}
			byID := map[string]CreateField{}
			for _, f := range fields {
				byID[f.ID] = f
			}
			if _, ok := byID["priority"]; ok {
				t.Error("a field taken off the screen is listed")
			}
			if f := byID["customfield_10010"]; f.Name != "Team" || !f.Required || f.HasDefault {
				t.Errorf("the required custom field: %+v", f)
			}
			if f := byID["components"]; !reflect.DeepEqual(f.Allowed, []string{"API", "Web"}) || f.Required {
				t.Errorf("components: %+v", f)
			}
			if f := byID["summary"]; !f.Required {
				t.Errorf("summary: %+v", f)
			}
			for _, id := range []string{"description", "labels", "issuetype", "project"} {
				if _, ok := byID[id]; !ok {
					t.Errorf("no %s in %+v", id, fields)
				}
			}
		})
	}
}

// What the create metadata says is what a create request meets: a field
// off the screen and a missing required field fail as Jira fails them.
func TestCreateFailsAsTheScreenSays(t *testing.T) {
	c, js := setup(t, both[0], nil)
	if err := js.HideCreateField("OPS", "labels"); err != nil {
		t.Fatal(err)
	}
	if err := js.AddRequiredField("OPS", "customfield_10010", "Team"); err != nil {
		t.Fatal(err)
	}
	_, err := c.CreateIssue(context.Background(), NewIssue{Project: "OPS", IssueType: "Bug", Summary: "crash", Labels: []string{"fixproof"},
		Description: jiramarkup.Doc{Blocks: []jiramarkup.Block{jiramarkup.P(jiramarkup.Plain("x"))}}})
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusBadRequest ||
		!slices.Contains(ae.Messages, "customfield_10010: Team is required.") ||
		!slices.Contains(ae.Messages, "labels: Field 'labels' cannot be set. It is not on the appropriate screen, or unknown.") {
		t.Errorf("create: %v", err)
	}
}

// A project that does not exist, an issue type it does not have, and
// pages of at most 200 (Jira's limit) followed to the end.
func TestCreateMetadataRefusalsAndPages(t *testing.T) {
	for _, flavor := range both {
		t.Run(flavor.String(), func(t *testing.T) {
			c, js := setup(t, flavor, nil)
			ctx := context.Background()
			var ae *APIError
			if _, err := c.CreateIssueTypes(ctx, "NOPE"); !errors.As(err, &ae) || ae.Status != http.StatusBadRequest || ae.Auth() {
				t.Errorf("an unknown project: %v", err)
			}
			if _, err := c.CreateFields(ctx, "OPS", "424242"); !errors.As(err, &ae) || ae.Status != http.StatusBadRequest {
				t.Errorf("an unknown issue type: %v", err)
			}
			var many []string
			for i := range 450 {
				many = append(many, fmt.Sprintf("Type %03d", i))
			}
			if err := js.SetIssueTypes("OPS", many...); err != nil {
				t.Fatal(err)
			}
			types, err := c.CreateIssueTypes(ctx, "OPS")
			if err != nil || len(types) != 450 || types[449].Name != "Type 449" {
				t.Fatalf("%d issue types (%v), want 450", len(types), err)
			}
			if n := js.Control.CountPrefix("GET /rest/api/"); n != 2+3 {
				t.Errorf("%d requests, want 2 refused and 3 pages of 200 for 450 issue types", n)
			}
		})
	}
}
