package jirasim

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// This file serves a project's create metadata, what a client reads to
// know what it may create: GET /issue/createmeta/{project}/issuetypes (the
// issue types) and GET /issue/createmeta/{project}/issuetypes/{id} (the
// fields of the create screen), paged with startAt and maxResults (at
// most 200, as the OpenAPI document says). Jira Cloud lists issueTypes and
// fields; Data Center lists values, and says isLast.
//
// The create screen is the fields POST /issue accepts (see create.go),
// less those HideCreateField takes off it, plus the required custom
// fields AddRequiredField adds; a create request is checked against the
// same screen.

// maxCreateMetaPage is the largest maxResults the endpoints take.
const maxCreateMetaPage = 200

// customField is a custom field of a project's create screen.
type customField struct{ id, name string }

// HideCreateField takes a field off the create screen
// of every issue type of a project, as an admin editing the screen would:
// the create metadata leaves it out, and a create request setting it fails
// as Jira fails it ("Field 'x' cannot be set. It is not on the appropriate
// screen, or unknown.").
// Summary, project and issue type cannot be taken off.
func (s *Server) HideCreateField(projectKey, field string) error {
	if field == "summary" || field == "project" || field == "issuetype" {
		return fmt.Errorf("jirasim: %s is on every create screen", field)
	}
	return s.editProject(projectKey, func(p *project) {
		if p.hidden == nil {
			p.hidden = map[string]bool{}
		}
		p.hidden[field] = true
	})
}

// AddRequiredField adds a required text custom field without a default
// (id like customfield_10010, and its name) to the create screen of every
// issue type of a project: a create request without it fails with
// "<name> is required.".
func (s *Server) AddRequiredField(projectKey, id, name string) error {
	if n, err := strconv.Atoi(strings.TrimPrefix(id, "customfield_")); err != nil || n <= 0 || !strings.HasPrefix(id, "customfield_") {
		return fmt.Errorf("jirasim: custom field id %q: want customfield_NNNNN", id)
	}
	return s.editProject(projectKey, func(p *project) { p.required = append(p.required, customField{id, name}) })
}

// onScreen reports whether a system field is on the project's create
// screen. s.mu is held.
func (p *project) onScreen(field string) bool { return !p.hidden[field] }

// requiredField finds a custom field of the create screen.
func (p *project) requiredField(id string) (customField, bool) {
	for _, f := range p.required {
		if f.id == id {
			return f, true
		}
	}
	return customField{}, false
}

// projectRef finds a project by key or id. s.mu is held.
func (s *Server) projectRef(keyOrID string) *project {
	for _, p := range s.projectList {
		if strings.EqualFold(p.key, keyOrID) || p.id == keyOrID {
			return p
		}
	}
	return nil
}

// pageParams reads startAt and maxResults (default 50); false means the
// 400 has been answered.
func (c *call) pageParams() (start, size int, ok bool) {
	start, size = 0, 50
	q := c.r.URL.Query()
	for _, p := range []struct {
		name string
		v    *int
	}{{"startAt", &start}, {"maxResults", &size}} {
		raw := q.Get(p.name)
		if raw == "" {
			continue
		}
		n, err := strconv.Atoi(raw)
		if err != nil || n < 0 {
			c.fail(http.StatusBadRequest, fmt.Sprintf("The value '%s' is not a valid number for %s.", raw, p.name))
			return 0, 0, false
		}
		*p.v = n
	}
	if size > maxCreateMetaPage {
		c.fail(http.StatusBadRequest, fmt.Sprintf("Parameter 'maxResults' must not exceed the limit '%d'", maxCreateMetaPage))
		return 0, 0, false
	}
	return start, size, true
}

// replyPage answers the items from start, at most size of them, under
// name (issueTypes, fields) on Cloud and values on Data Center.
func (c *call) replyPage(name string, items []any, start, size int) {
	end := min(start+size, len(items))
	page := []any{}
	if start < len(items) {
		page = items[start:end]
	}
	body := map[string]any{"startAt": start, "maxResults": size, "total": len(items)}
	if c.cloud() {
		body[name] = page
	} else {
		body["values"] = page
		body["isLast"] = end >= len(items)
	}
	c.reply(http.StatusOK, body)
}

// createMetaProject finds the path's project; nil means the 400 has been
// answered (the OpenAPI document gives these endpoints no 404).
func (s *Server) createMetaProject(c *call) *project {
	key := c.r.PathValue("project")
	p := s.projectRef(key)
	if p == nil {
		c.fail(http.StatusBadRequest, fmt.Sprintf("No project could be found with key '%s'.", key))
	}
	return p
}

// createMetaTypes is GET /issue/createmeta/{project}/issuetypes.
func (s *Server) createMetaTypes(c *call) {
	s.createMeta(c, func(p *project) (string, []any, bool) {
		var items []any
		for _, t := range p.types() {
			items = append(items, c.issueTypeJSON(t))
		}
		return "issueTypes", items, true
	})
}

// createMetaFields is GET /issue/createmeta/{project}/issuetypes/{type}.
func (s *Server) createMetaFields(c *call) {
	s.createMeta(c, func(p *project) (string, []any, bool) {
		typeID := c.r.PathValue("type")
		i := slices.IndexFunc(p.types(), func(t string) bool { return issueTypeID(t) == typeID })
		if i < 0 {
			c.fail(http.StatusBadRequest, fmt.Sprintf("The issue type with id '%s' does not exist, or is not in project %s.", typeID, p.key))
			return "", nil, false
		}
		return "fields", s.screenFields(c, p, p.types()[i]), true
	})
}

// createMeta is what both create-metadata endpoints do: read the page
// parameters and the path's project, then answer the page of what list
// gives under its name (false: list has answered an error). list runs
// with s.mu held.
func (s *Server) createMeta(c *call, list func(p *project) (name string, items []any, ok bool)) {
	start, size, ok := c.pageParams()
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.createMetaProject(c)
	if p == nil {
		return
	}
	if name, items, ok := list(p); ok {
		c.replyPage(name, items, start, size)
	}
}

// screenFields are the FieldCreateMetadata of a project's create screen
// for an issue type. s.mu is held.
func (s *Server) screenFields(c *call, p *project, issueType string) []any {
	field := func(id, name string, required bool, schema map[string]any, ops ...string) map[string]any {
		if ops == nil {
			ops = []string{}
		}
		return map[string]any{"fieldId": id, "key": id, "name": name, "required": required, "schema": schema,
			"hasDefaultValue": false, "operations": ops}
	}
	system := func(typ, id string) map[string]any { return map[string]any{"type": typ, "system": id} }
	array := func(items, id string) map[string]any {
		return map[string]any{"type": "array", "items": items, "system": id}
	}

	issuetype := field("issuetype", "Issue Type", true, system("issuetype", "issuetype"))
	issuetype["allowedValues"] = []any{c.issueTypeJSON(issueType)}
	proj := field("project", "Project", true, system("project", "project"), "set")
	proj["allowedValues"] = []any{map[string]any{"self": c.api() + "/project/" + p.id, "id": p.id, "key": p.key, "name": p.name}}
	components := field("components", "Components", false, array("component", "components"), "add", "set", "remove")
	comps := []any{}
	for i, name := range p.components {
		comps = append(comps, map[string]any{"self": c.api() + "/component/" + componentID(i), "id": componentID(i), "name": name})
	}
	components["allowedValues"] = comps
	priority := field("priority", "Priority", false, system("priority", "priority"), "set")
	prios := []any{}
	for _, pr := range s.priorityList() {
		prios = append(prios, c.priorityJSON(pr))
	}
	priority["allowedValues"] = prios
	if def, ok := s.findPriority(s.defaultPriorityName()); ok {
		priority["hasDefaultValue"], priority["defaultValue"] = true, c.priorityJSON(def)
	}

	all := []map[string]any{
		field("summary", "Summary", true, system("string", "summary"), "set"),
		issuetype, proj,
		field("description", "Description", false, system("string", "description"), "set"),
		field("labels", "Labels", false, array("string", "labels"), "add", "set", "remove"),
		components, priority,
	}
	var out []any
	for _, f := range all {
		if p.onScreen(f["fieldId"].(string)) {
			out = append(out, f)
		}
	}
	for _, cf := range p.required {
		n, _ := strconv.Atoi(strings.TrimPrefix(cf.id, "customfield_"))
		out = append(out, field(cf.id, cf.name, true, map[string]any{"type": "string",
			"custom": "com.atlassian.jira.plugin.system.customfieldtypes:textfield", "customId": n}, "set"))
	}
	return out
}
