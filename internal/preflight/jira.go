package preflight

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/fixproof/fixproof/internal/botconfig"
	"github.com/fixproof/fixproof/internal/jira"
)

// checkJira asks Jira who the credentials belong to, then, for each
// project and issue type the bot may create issues of, whether the
// account may and the create screen has what the bot sets.
func checkJira(ctx context.Context, cfg botconfig.Config, jc Jira) []Result {
	if jc == nil {
		return []Result{result("jira", Fail, "no Jira client: check jira.base_url and the credentials")}
	}
	me, err := jc.Myself(ctx)
	if err != nil {
		return []Result{result("jira", Fail, "%s", jiraRefusal(cfg.Jira, err))}
	}
	out := []Result{result("jira", OK, "%s accepts the credentials of %s", cfg.Jira.BaseURL, userName(me))}
	for _, t := range targets(cfg) {
		out = append(out, checkTarget(ctx, jc, t))
	}
	return out
}

// jiraRefusal says what to fix when Jira does not answer /myself.
func jiraRefusal(j botconfig.Jira, err error) string {
	creds := "jira.email and jira.api_token"
	if j.PAT != "" {
		creds = "jira.pat"
	}
	status, auth := apiStatus(err)
	switch {
	case auth:
		return fmt.Sprintf("Jira refuses %s (%d): check them (Jira Cloud takes an email and an API token, Data Center a personal access token)", creds, status)
	case status == 404:
		return fmt.Sprintf("%s has no Jira REST API (404 for /myself): check jira.base_url (the site, e.g. https://acme.atlassian.net)", j.BaseURL)
	case status != 0:
		return fmt.Sprintf("Jira answers /myself with %d: %v", status, err)
	}
	return fmt.Sprintf("cannot reach Jira: %v: check jira.base_url and the network", err)
}

func userName(u jira.User) string {
	id := u.AccountID
	if id == "" {
		id = u.Name
	}
	if u.DisplayName == "" {
		return id
	}
	return fmt.Sprintf("%s (%s)", u.DisplayName, id)
}

// target is a project and issue type the bot may create issues of, and
// the settings that name them.
type target struct {
	Project, IssueType string
	Components         []string
	// ProjectKey, TypeKey and ComponentsKey are the settings that give
	// them: jira.project, routes[1].issue_type.
	ProjectKey, TypeKey, ComponentsKey string
}

// targets are where the bot may create issues: jira.project with
// jira.issue_type, and each route's, a route's project and issue type
// falling back on jira's as the bot's routing does. Each pair is checked
// once, with every component asked of it.
func targets(cfg botconfig.Config) []target {
	out := []target{{Project: cfg.Jira.Project, IssueType: cfg.Jira.IssueType, ProjectKey: "jira.project", TypeKey: "jira.issue_type"}}
	for i, r := range cfg.Routes {
		t := target{Project: cfg.Jira.Project, IssueType: cfg.Jira.IssueType, ProjectKey: "jira.project", TypeKey: "jira.issue_type",
			Components: r.Components, ComponentsKey: fmt.Sprintf("routes[%d].components", i)}
		if r.Project != "" {
			t.Project, t.ProjectKey = r.Project, fmt.Sprintf("routes[%d].project", i)
		}
		if r.IssueType != "" {
			t.IssueType, t.TypeKey = r.IssueType, fmt.Sprintf("routes[%d].issue_type", i)
		}
		out = mergeTarget(out, t)
	}
	return out
}

// mergeTarget adds t to ts, or its components to the target of the same
// project and issue type.
func mergeTarget(ts []target, t target) []target {
	for i := range ts {
		if strings.EqualFold(ts[i].Project, t.Project) && strings.EqualFold(ts[i].IssueType, t.IssueType) {
			if len(t.Components) > 0 {
				ts[i].Components = append(ts[i].Components, t.Components...)
				ts[i].ComponentsKey = joinKeys(ts[i].ComponentsKey, t.ComponentsKey)
			}
			return ts
		}
	}
	return append(ts, t)
}

func joinKeys(a, b string) string {
	if a == "" || a == b {
		return b
	}
	return a + ", " + b
}

// checkTarget asks whether the account may create issues of t's type in
// its project with what the bot sets.
func checkTarget(ctx context.Context, jc Jira, t target) Result {
	types, err := jc.CreateIssueTypes(ctx, t.Project)
	if err != nil || len(types) == 0 {
		return result("jira", Fail, "%s", projectRefusal(t, err))
	}
	i := slices.IndexFunc(types, func(it jira.IssueType) bool { return strings.EqualFold(it.Name, t.IssueType) })
	if i < 0 {
		var names []string
		for _, it := range types {
			names = append(names, it.Name)
		}
		return result("jira", Fail, "project %s has no issue type %q the account may create (%s): use one of %s",
			t.Project, t.IssueType, t.TypeKey, strings.Join(names, ", "))
	}
	fields, err := jc.CreateFields(ctx, t.Project, types[i].ID)
	if err != nil {
		return result("jira", Fail, "reading the create screen of %s in %s: %v", types[i].Name, t.Project, err)
	}
	if problems := screenProblems(fields, t); len(problems) > 0 {
		return result("jira", Fail, "%s in %s: %s", types[i].Name, t.Project, strings.Join(problems, "; "))
	}
	return result("jira", OK, "the account may create %s in %s with %s", types[i].Name, t.Project, strings.Join(botFields(t), ", "))
}

// projectRefusal says what to fix when a project's issue types cannot be
// read, or none may be created.
func projectRefusal(t target, err error) string {
	if err == nil {
		return fmt.Sprintf("the account may create no issue type in %s (%s): give it the Create issues permission in the project", t.Project, t.ProjectKey)
	}
	if status, _ := apiStatus(err); status >= 400 && status < 500 {
		return fmt.Sprintf("project %s (%s) does not exist, or the account may not create issues in it (%d): check the key and the account's Create issues permission", t.Project, t.ProjectKey, status)
	}
	return fmt.Sprintf("reading what may be created in %s: %v", t.Project, err)
}

// botFields are the fields the bot sets when it creates an issue of t.
func botFields(t target) []string {
	f := []string{"summary", "description", "labels"}
	if len(t.Components) > 0 {
		f = append(f, "components")
	}
	return f
}

// alwaysSet are fields Jira fills from the request itself.
var alwaysSet = []string{"project", "issuetype", "reporter"}

// screenProblems says what in a create screen makes the bot's creates of
// t fail: a field the bot sets that is not on it, a component that is not
// in the project, a required field the bot does not set that has no
// default. Empty means the bot can create.
func screenProblems(fields []jira.CreateField, t target) []string {
	byID := map[string]jira.CreateField{}
	for _, f := range fields {
		byID[f.ID] = f
	}
	var out []string
	sets := botFields(t)
	for _, id := range sets {
		if _, ok := byID[id]; !ok {
			out = append(out, fmt.Sprintf("the create screen lacks %s, which the bot sets: add it to the screen", id))
		}
	}
	if f, ok := byID["components"]; ok && len(t.Components) > 0 {
		out = append(out, missingComponents(f, t)...)
	}
	for _, f := range fields {
		if f.Required && !f.HasDefault && !slices.Contains(sets, f.ID) && !slices.Contains(alwaysSet, f.ID) {
			out = append(out, fmt.Sprintf("%s (%s) is required and the bot does not set it: give it a default value or make it optional", f.Name, f.ID))
		}
	}
	return out
}

// missingComponents are the components t names that the project does not
// have.
func missingComponents(f jira.CreateField, t target) []string {
	var out []string
	seen := map[string]bool{}
	for _, c := range t.Components {
		if seen[c] || slices.ContainsFunc(f.Allowed, func(a string) bool { return strings.EqualFold(a, c) }) {
			continue
		}
		seen[c] = true
		has := "none"
		if len(f.Allowed) > 0 {
			has = strings.Join(f.Allowed, ", ")
		}
		out = append(out, fmt.Sprintf("no component %q (%s); the project has %s", c, t.ComponentsKey, has))
	}
	return out
}
