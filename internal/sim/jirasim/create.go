package jirasim

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// This file adds what a bot that files issues needs: creating issues
// (POST /issue) with Jira's validation, issue types and components per
// project, priorities, resolutions set by transitions, issue links and
// their types, and search lag (Options.SearchLag).

// Jira's limits.
const (
	maxSummaryChars     = 255
	maxDescriptionChars = 32767
)

// Jira's validation messages for a new issue.
const (
	msgNoSummary      = "You must specify a summary of the issue."
	msgSummaryTooLong = "Summary must be less than 255 characters."
	msgSummaryNewline = "The summary is invalid because it contains newline characters."
	msgNoProject      = "valid project is required"
	msgNoIssueType    = "valid issue type is required"
	msgTextTooLong    = "The entered text is too long. It exceeds the allowed limit of 32,767 characters."
	msgBadPriority    = "The priority selected is invalid."
)

// DefaultIssueTypes are the issue types of a project until SetIssueTypes
// says otherwise.
var DefaultIssueTypes = []string{"Bug", "Task", "Incident"}

// defaultIssueType is the type of issues added with AddIssue.
const defaultIssueType = "Task"

// issueTypeInfo is how Jira Cloud describes its stock issue types.
var issueTypeInfo = map[string]struct{ id, desc, icon string }{
	"bug":      {"10004", "A problem or error.", "bug.svg"},
	"task":     {"10001", "A small, distinct piece of work.", "task.svg"},
	"incident": {"10005", "An unplanned interruption to or reduction in the quality of a service.", "incident.svg"},
	"story":    {"10002", "A user story.", "story.svg"},
	"epic":     {"10000", "A big user story that needs to be broken down.", "epic.svg"},
}

// issueTypeID gives an issue type its stock id, or a stable id derived
// from its name.
func issueTypeID(name string) string {
	if info, ok := issueTypeInfo[strings.ToLower(name)]; ok {
		return info.id
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(strings.ToLower(name)))
	return strconv.Itoa(11000 + int(h.Sum32()%9000))
}

// priorityDef is one priority of the scheme.
type priorityDef struct{ id, name, color, desc string }

// defaultPriorities is Jira's default priority scheme, highest first.
var defaultPriorities = []priorityDef{
	{"1", "Highest", "#d04437", "This problem will block progress."},
	{"2", "High", "#f15C75", "Serious problem that could block progress."},
	{"3", "Medium", "#f79232", "Has the potential to affect progress."},
	{"4", "Low", "#707070", "Minor problem or easily worked around."},
	{"5", "Lowest", "#999999", "Trivial problem with little or no impact on progress."},
}

// defaultPriority is the priority of issues created without one, when the
// scheme has it (else the scheme's middle priority).
const defaultPriority = "Medium"

// linkType is an issue link type.
type linkType struct{ id, name, inward, outward string }

// linkTypes are the issue link types every simulated Jira has.
var linkTypes = []linkType{
	{"10000", "Blocks", "is blocked by", "blocks"},
	{"10002", "Duplicate", "is duplicated by", "duplicates"},
	{"10003", "Relates", "relates to", "relates to"},
}

// issueLink links two issues. As in Jira's POST /issueLink, inward is the
// issue named inwardIssue in the request and outward the one named
// outwardIssue; each issue lists the link with the other issue.
type issueLink struct {
	id              int
	typ             linkType
	inward, outward *issue
}

// IssueLink is a snapshot of a link between two issues: Inward and
// Outward are the keys sent as inwardIssue and outwardIssue.
type IssueLink struct {
	Type            string
	Inward, Outward string
}

// resolutionIDs are the ids of Jira's stock resolutions.
var resolutionIDs = map[string]string{
	"done": "10000", "won't do": "10001", "duplicate": "10002", "cannot reproduce": "10003",
}

func resolutionID(name string) string {
	if id, ok := resolutionIDs[strings.ToLower(name)]; ok {
		return id
	}
	return issueTypeID("resolution:" + name)
}

// types are the project's issue types. s.mu is held.
func (p *project) types() []string {
	if p.issueTypes != nil {
		return p.issueTypes
	}
	return DefaultIssueTypes
}

// priorityList is the priority scheme, highest first. s.mu is held.
func (s *Server) priorityList() []priorityDef {
	if s.priorities != nil {
		return s.priorities
	}
	return defaultPriorities
}

// defaultPriorityName is the priority an issue has when none was set.
// s.mu is held.
func (s *Server) defaultPriorityName() string {
	list := s.priorityList()
	for _, p := range list {
		if p.name == defaultPriority {
			return p.name
		}
	}
	return list[len(list)/2].name
}

// priorityOf is an issue's priority. s.mu is held.
func (s *Server) priorityOf(is *issue) string {
	if is.priority != "" {
		return is.priority
	}
	return s.defaultPriorityName()
}

func (s *Server) findPriority(name string) (priorityDef, bool) {
	for _, p := range s.priorityList() {
		if strings.EqualFold(p.name, name) {
			return p, true
		}
	}
	return priorityDef{}, false
}

// typeOf is an issue's type.
func (is *issue) typeOf() string {
	if is.issueType != "" {
		return is.issueType
	}
	return defaultIssueType
}

// searchable reports whether search sees the issue at now: issues created
// through the API are indexed Options.SearchLag after their creation.
func (is *issue) searchable(now time.Time) bool {
	return !now.Before(is.indexedAt)
}

// settle sets or clears the resolution after a status change at now: a
// status in the done category gets resolution (a transition's, else
// "Done") with the resolution date when the issue was not done before or
// the transition names a resolution; leaving done clears both. s.mu is
// held.
func (s *Server) settle(is *issue, fromCategory, resolution string, now time.Time) {
	switch {
	case is.statusOf().Category != "done":
		is.resolution, is.resolved = "", time.Time{}
	case fromCategory != "done" || resolution != "":
		if resolution == "" {
			resolution = "Done"
		}
		is.resolution, is.resolved = resolution, now
	}
}

// ref is a reference to an entity by id or name (or key), as Jira's
// request beans take them.
type ref struct {
	ID   json.RawMessage `json:"id"`
	Name string          `json:"name"`
	Key  string          `json:"key"`
}

// id reads the id, which clients send as a string or a number.
func (r ref) id() string {
	var s string
	if json.Unmarshal(r.ID, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(r.ID, &n) == nil {
		return n.String()
	}
	return ""
}

func (r ref) empty() bool { return r.id() == "" && r.Name == "" && r.Key == "" }

// parseRef reads {"id"|"name"|"key": ...}; ok is false for anything else.
func parseRef(raw json.RawMessage) (ref, bool) {
	var r ref
	if json.Unmarshal(raw, &r) != nil || r.empty() {
		return ref{}, false
	}
	return r, true
}

// priorityRef resolves a priority reference ({"name"} or {"id"}) to its
// name; msg is Jira's field error when it names none. s.mu is held.
func (s *Server) priorityRef(raw json.RawMessage) (name, msg string) {
	r, ok := parseRef(raw)
	if !ok {
		return "", msgBadPriority
	}
	for _, p := range s.priorityList() {
		if (r.Name != "" && strings.EqualFold(p.name, r.Name)) || (r.id() != "" && p.id == r.id()) {
			return p.name, ""
		}
	}
	return "", msgBadPriority
}

type createRequest struct {
	Fields          map[string]json.RawMessage              `json:"fields"`
	Update          map[string][]map[string]json.RawMessage `json:"update"`
	Properties      []entityProperty                        `json:"properties"`
	Transition      json.RawMessage                         `json:"transition"`
	HistoryMetadata json.RawMessage                         `json:"historyMetadata"`
}

// newIssue is a create request's fields, validated.
type newIssue struct {
	proj       *project
	issueType  string
	summary    string
	desc       json.RawMessage
	descADF    bool
	labels     []string
	components []string
	priority   string
	// invalidADF says why the description is not a valid ADF document:
	// Jira answers INVALID_INPUT rather than a field error.
	invalidADF string
}

// createIssue is POST /issue: IssueUpdateDetails in, {id, key, self} out.
// Fields are validated as Jira does, every problem answered at once in
// errors; the issue starts in its workflow's first status.
func (s *Server) createIssue(c *call) {
	var req createRequest
	if !c.decode(&req, false) {
		return
	}
	if t := strings.TrimSpace(string(req.Transition)); t != "" && t != "null" {
		c.fail(http.StatusBadRequest, "jirasim: creating an issue with a transition is not simulated")
		return
	}
	if !c.checkProperties(req.Properties) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n, errs := s.readNewIssue(c, req)
	if n.invalidADF != "" {
		c.invalidInput(n.invalidADF)
		return
	}
	if len(errs) > 0 {
		c.failFields(errs)
		return
	}
	num := 0
	for _, other := range s.issueList {
		if other.proj == n.proj {
			num = max(num, other.num)
		}
	}
	num++
	now := s.now()
	is := &issue{
		id:         strconv.Itoa(s.nextIssue),
		key:        n.proj.key + "-" + strconv.Itoa(num),
		num:        num,
		proj:       n.proj,
		summary:    n.summary,
		status:     n.proj.statuses[0].Name,
		labels:     normalizeLabels(n.labels),
		desc:       n.desc,
		descADF:    n.descADF,
		history:    []string{n.proj.statuses[0].Name},
		props:      map[string]json.RawMessage{},
		created:    now,
		updated:    now,
		issueType:  n.issueType,
		priority:   n.priority,
		components: n.components,
		indexedAt:  now.Add(s.opts.SearchLag),
	}
	if len(is.labels) == 0 {
		is.labels = nil
	}
	for _, p := range req.Properties {
		is.props[p.Key] = compact(p.Value)
	}
	s.settle(is, "new", "", now)
	s.nextIssue++
	s.issues[is.key] = is
	s.issuesByID[is.id] = is
	s.issueList = append(s.issueList, is)
	c.reply(http.StatusCreated, map[string]any{"id": is.id, "key": is.key, "self": c.api() + "/issue/" + is.id})
}

// readNewIssue validates a create request's fields and update. s.mu is
// held.
func (s *Server) readNewIssue(c *call, req createRequest) (newIssue, map[string]string) {
	var n newIssue
	errs := map[string]string{}
	set := map[string]json.RawMessage{}
	for name, raw := range req.Fields {
		set[name] = raw
	}
	var addLabels []string
	for name, ops := range req.Update {
		if _, both := req.Fields[name]; both {
			errs[name] = fmt.Sprintf("Field '%s' cannot be specified in both 'fields' and 'update'.", name)
			continue
		}
		for _, op := range ops {
			for verb, raw := range op {
				switch {
				case verb == "set":
					set[name] = raw
				case name == "labels" && verb == "add":
					var l string
					if json.Unmarshal(raw, &l) != nil {
						errs[name] = "Operation value must be a string"
					} else {
						addLabels = append(addLabels, l)
					}
				default:
					errs[name] = fmt.Sprintf("Field '%s' does not support operation '%s'", name, verb)
				}
			}
		}
	}

	// The project comes first: issue types and components belong to it.
	if r, ok := parseRef(set["project"]); ok {
		for _, p := range s.projectList {
			if (r.Key != "" && strings.EqualFold(p.key, r.Key)) || (r.id() != "" && p.id == r.id()) {
				n.proj = p
			}
		}
	}
	if n.proj == nil {
		errs["project"] = msgNoProject
	}
	if n.proj != nil {
		if r, ok := parseRef(set["issuetype"]); ok {
			for _, t := range n.proj.types() {
				if (r.Name != "" && strings.EqualFold(t, r.Name)) || (r.id() != "" && issueTypeID(t) == r.id()) {
					n.issueType = t
				}
			}
		}
		if n.issueType == "" {
			errs["issuetype"] = msgNoIssueType
		}
	}
	if raw, ok := set["summary"]; !ok {
		errs["summary"] = msgNoSummary
	} else if json.Unmarshal(raw, &n.summary) != nil {
		errs["summary"] = "Operation value must be a string"
	} else if msg := checkSummary(n.summary); msg != "" {
		errs["summary"] = msg
	}
	if raw, ok := set["description"]; ok {
		d, adf, msg, invalid := c.parseDescription(raw)
		n.invalidADF = invalid
		if msg == "" && invalid == "" {
			text := ""
			if adf {
				text = adfToText(d)
			} else if d != nil {
				_ = json.Unmarshal(d, &text)
			}
			if utf8.RuneCountInString(text) > maxDescriptionChars {
				msg = msgTextTooLong
			}
		}
		if msg != "" {
			errs["description"] = msg
		} else if invalid == "" {
			n.desc, n.descADF = d, adf
		}
	}
	if raw, ok := set["labels"]; ok {
		if json.Unmarshal(raw, &n.labels) != nil {
			errs["labels"] = "Operation value must be an array of strings"
		}
	}
	n.labels = append(n.labels, addLabels...)
	if _, bad := errs["labels"]; !bad {
		if msg := checkLabels(n.labels); msg != "" {
			errs["labels"] = msg
		}
	}
	if raw, ok := set["components"]; ok && n.proj != nil {
		var refs []json.RawMessage
		if json.Unmarshal(raw, &refs) != nil {
			errs["components"] = "Operation value must be an array of components"
		}
		for _, raw := range refs {
			name, msg := n.proj.componentRef(raw)
			if msg != "" {
				errs["components"] = msg
				break
			}
			if !slices.Contains(n.components, name) {
				n.components = append(n.components, name)
			}
		}
	}
	if raw, ok := set["priority"]; ok {
		name, msg := s.priorityRef(raw)
		if msg != "" {
			errs["priority"] = msg
		}
		n.priority = name
	}
	checkScreen(n.proj, set, errs)
	return n, errs
}

// systemCreateFields are the system fields a create request may set.
var systemCreateFields = []string{"project", "issuetype", "summary", "description", "labels", "components", "priority"}

// checkScreen refuses what a create request sets that is not on the
// project's create screen (nil: a project that does not exist, whose
// screen has the system fields), and wants every required custom field.
func checkScreen(p *project, set map[string]json.RawMessage, errs map[string]string) {
	if p == nil {
		p = &project{}
	}
	for name := range set {
		_, custom := p.requiredField(name)
		if !custom && (!slices.Contains(systemCreateFields, name) || !p.onScreen(name)) {
			errs[name] = fmt.Sprintf(notOnScreen, name)
		}
	}
	for _, f := range p.required {
		if raw, ok := set[f.id]; !ok || string(raw) == "null" || string(raw) == `""` {
			errs[f.id] = f.name + " is required."
		}
	}
}

// checkSummary applies Jira's summary rules.
func checkSummary(s string) string {
	switch {
	case strings.TrimSpace(s) == "":
		return msgNoSummary
	case strings.ContainsAny(s, "\r\n"):
		return msgSummaryNewline
	case utf8.RuneCountInString(s) > maxSummaryChars:
		return msgSummaryTooLong
	}
	return ""
}

// componentID is a component's id: its place in the project's list.
func componentID(i int) string { return strconv.Itoa(10000 + i) }

// componentRef resolves a component reference to its name.
func (p *project) componentRef(raw json.RawMessage) (name, msg string) {
	r, ok := parseRef(raw)
	if !ok {
		return "", "Component name or id is required."
	}
	for i, comp := range p.components {
		if (r.Name != "" && strings.EqualFold(comp, r.Name)) || (r.id() != "" && componentID(i) == r.id()) {
			return comp, ""
		}
	}
	if r.Name != "" {
		return "", fmt.Sprintf("Component name '%s' is not valid", r.Name)
	}
	return "", fmt.Sprintf("Component with id '%s' does not exist.", r.id())
}

// listPriorities is GET /priority: the scheme, highest first.
func (s *Server) listPriorities(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []any{}
	for _, p := range s.priorityList() {
		out = append(out, c.priorityJSON(p))
	}
	c.reply(http.StatusOK, out)
}

func (c *call) priorityJSON(p priorityDef) map[string]any {
	return map[string]any{
		"self":        c.api() + "/priority/" + p.id,
		"id":          p.id,
		"name":        p.name,
		"iconUrl":     c.base + "/images/icons/priorities/" + strings.ToLower(strings.ReplaceAll(p.name, " ", "")) + ".svg",
		"statusColor": p.color,
		"description": p.desc,
	}
}

// listLinkTypes is GET /issueLinkType.
func (s *Server) listLinkTypes(c *call) {
	out := []any{}
	for _, lt := range linkTypes {
		out = append(out, c.linkTypeJSON(lt))
	}
	c.reply(http.StatusOK, map[string]any{"issueLinkTypes": out})
}

func (c *call) linkTypeJSON(lt linkType) map[string]any {
	return map[string]any{
		"id":      lt.id,
		"name":    lt.name,
		"inward":  lt.inward,
		"outward": lt.outward,
		"self":    c.api() + "/issueLinkType/" + lt.id,
	}
}

// createLink is POST /issueLink: 201, also when the same link exists
// already (Jira does not duplicate it). The body is an empty JSON object,
// as for putProperty: the OpenAPI document promises JSON content (of an
// empty schema) and clients ignore it.
func (s *Server) createLink(c *call) {
	var req struct {
		Type         *ref            `json:"type"`
		InwardIssue  *ref            `json:"inwardIssue"`
		OutwardIssue *ref            `json:"outwardIssue"`
		Comment      json.RawMessage `json:"comment"`
	}
	if !c.decode(&req, false) {
		return
	}
	if cm := strings.TrimSpace(string(req.Comment)); cm != "" && cm != "null" {
		c.fail(http.StatusBadRequest, "jirasim: a comment with an issue link is not simulated")
		return
	}
	if req.Type == nil || req.Type.empty() || req.InwardIssue == nil || req.InwardIssue.empty() || req.OutwardIssue == nil || req.OutwardIssue.empty() {
		c.fail(http.StatusBadRequest, "The issue link type, the inward issue and the outward issue are required.")
		return
	}
	var lt *linkType
	for i, t := range linkTypes {
		if (req.Type.Name != "" && strings.EqualFold(t.name, req.Type.Name)) || (req.Type.id() != "" && t.id == req.Type.id()) {
			lt = &linkTypes[i]
		}
	}
	if lt == nil {
		name := req.Type.Name
		if name == "" {
			name = req.Type.id()
		}
		c.fail(http.StatusNotFound, fmt.Sprintf("No issue link type with name '%s' found.", name))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	find := func(r *ref) *issue {
		if r.Key != "" {
			return s.lookup(r.Key)
		}
		return s.lookup(r.id())
	}
	in, out := find(req.InwardIssue), find(req.OutwardIssue)
	if in == nil || out == nil {
		c.issueNotFound()
		return
	}
	if in == out {
		c.fail(http.StatusBadRequest, "You cannot link an issue to itself.")
		return
	}
	for _, l := range s.issueLinks {
		if l.typ.id == lt.id && l.inward == in && l.outward == out {
			c.created()
			return
		}
	}
	s.nextIssueLink++
	s.issueLinks = append(s.issueLinks, &issueLink{id: 10000 + s.nextIssueLink, typ: *lt, inward: in, outward: out})
	now := s.now()
	in.updated, out.updated = now, now
	c.created()
}

// created answers 201 with an empty object.
func (c *call) created() { c.reply(http.StatusCreated, map[string]any{}) }

// issueTypeJSON is an IssueTypeDetails.
func (c *call) issueTypeJSON(name string) map[string]any {
	desc, icon := "", "genericissue.svg"
	if info, ok := issueTypeInfo[strings.ToLower(name)]; ok {
		desc, icon = info.desc, info.icon
	}
	id := issueTypeID(name)
	return map[string]any{
		"self":        c.api() + "/issuetype/" + id,
		"id":          id,
		"description": desc,
		"iconUrl":     c.base + "/images/icons/issuetypes/" + icon,
		"name":        name,
		"subtask":     false,
	}
}

// moreFields adds the fields of this file to an issue's selected fields:
// priority, resolution and resolutiondate (left out when unresolved, where
// Jira sends null), components and issuelinks. The caller holds s.mu.
func (c *call) moreFields(is *issue, sel fieldSel, f map[string]any) {
	s := c.s
	if sel.want("priority") {
		p, ok := s.findPriority(s.priorityOf(is))
		if !ok {
			p = priorityDef{id: "0", name: s.priorityOf(is)}
		}
		pj := c.priorityJSON(p)
		delete(pj, "description")
		delete(pj, "statusColor")
		f["priority"] = pj
	}
	if sel.want("resolution") && is.resolution != "" {
		id := resolutionID(is.resolution)
		f["resolution"] = map[string]any{
			"self":        c.api() + "/resolution/" + id,
			"id":          id,
			"description": "",
			"name":        is.resolution,
		}
	}
	if sel.want("resolutiondate") && is.resolution != "" {
		f["resolutiondate"] = jiraTime(is.resolved)
	}
	if sel.want("components") {
		comps := []any{}
		for _, name := range is.components {
			i := slices.Index(is.proj.components, name)
			comps = append(comps, map[string]any{
				"self": c.api() + "/component/" + componentID(i),
				"id":   componentID(i),
				"name": name,
			})
		}
		f["components"] = comps
	}
	if sel.want("issuelinks") {
		links := []any{}
		for _, l := range s.issueLinks {
			side, other := "", (*issue)(nil)
			switch is {
			case l.inward:
				side, other = "outwardIssue", l.outward
			case l.outward:
				side, other = "inwardIssue", l.inward
			default:
				continue
			}
			links = append(links, map[string]any{
				"id":   strconv.Itoa(l.id),
				"self": c.api() + "/issueLink/" + strconv.Itoa(l.id),
				"type": c.linkTypeJSON(l.typ),
				side: map[string]any{
					"id":   other.id,
					"key":  other.key,
					"self": c.api() + "/issue/" + other.id,
					"fields": map[string]any{
						"summary":   other.summary,
						"status":    c.statusJSON(other.statusOf()),
						"issuetype": c.issueTypeJSON(other.typeOf()),
					},
				},
			})
		}
		f["issuelinks"] = links
	}
}

// snapshotMore fills the snapshot fields of this file. s.mu is held.
func (s *Server) snapshotMore(is *issue, out *Issue) {
	out.IssueType = is.typeOf()
	out.Priority = s.priorityOf(is)
	out.Resolution = is.resolution
	out.Resolved = is.resolved
	out.Components = slices.Clone(is.components)
	for _, l := range s.issueLinks {
		if l.inward == is || l.outward == is {
			out.Links = append(out.Links, IssueLink{Type: l.typ.name, Inward: l.inward.key, Outward: l.outward.key})
		}
	}
}

// SetIssueTypes sets the issue types a project offers (by default Bug,
// Task and Incident).
func (s *Server) SetIssueTypes(projectKey string, types ...string) error {
	return s.editProject(projectKey, func(p *project) { p.issueTypes = slices.Clone(types) })
}

// SetComponents sets a project's components (by default it has none).
func (s *Server) SetComponents(projectKey string, names ...string) error {
	return s.editProject(projectKey, func(p *project) { p.components = slices.Clone(names) })
}

func (s *Server) editProject(key string, f func(p *project)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.projects[strings.ToUpper(key)]
	if !ok {
		return fmt.Errorf("jirasim: no project %s", key)
	}
	f(p)
	return nil
}

// SetPriorities replaces the priority scheme (highest first); by default
// it is Highest, High, Medium, Low, Lowest. Issues without a priority get
// Medium when the scheme has it, else its middle one.
func (s *Server) SetPriorities(names ...string) error {
	if len(names) == 0 {
		return fmt.Errorf("jirasim: a priority scheme needs a priority")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	list := make([]priorityDef, 0, len(names))
	for i, name := range names {
		p := priorityDef{id: strconv.Itoa(i + 1), name: name, color: "#999999", desc: name + "."}
		for _, d := range defaultPriorities {
			if strings.EqualFold(d.name, name) {
				p.color, p.desc = d.color, d.desc
			}
		}
		list = append(list, p)
	}
	s.priorities = list
	return nil
}

// SetPriority sets an issue's priority, which must be in the scheme.
func (s *Server) SetPriority(key, priority string) error {
	var err error
	editErr := s.edit(key, func(is *issue) {
		p, ok := s.findPriority(priority)
		if !ok {
			err = fmt.Errorf("jirasim: no priority %q", priority)
			return
		}
		is.priority = p.name
	})
	if editErr != nil {
		return editErr
	}
	return err
}

// SetResolution sets an issue's resolution and resolution date directly,
// as an admin's bulk edit could (even on an issue that is not done); an
// empty name clears both.
func (s *Server) SetResolution(key, name string, at time.Time) error {
	return s.edit(key, func(is *issue) {
		if name == "" {
			at = time.Time{}
		}
		is.resolution, is.resolved = name, at
	})
}
