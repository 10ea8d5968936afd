package jirasim

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

func itoa(n int) string { return strconv.Itoa(n) }

// routes builds the router. Every route is served under /rest/api/{v}/...
// where v is 3 (Cloud only) or 2.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	// The create metadata has its own router: its paths would be
	// ambiguous with /issue/{key}/comment/{id} and the like in one.
	meta := http.NewServeMux()
	h := func(pattern string, fn func(*call)) {
		on := mux
		if strings.Contains(pattern, "/issue/createmeta/") {
			on = meta
		}
		on.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			c := s.newCall(w, r)
			if !s.authorized(r) {
				c.unauthorized()
				return
			}
			if c.v != "2" && (c.v != "3" || s.opts.Flavor != Cloud) {
				c.notFound()
				return
			}
			if !s.limit(c, s.credential(r), r.Pattern) {
				return
			}
			fn(c)
		})
	}
	h("GET /rest/api/{v}/myself", s.myself)
	h("GET /rest/api/{v}/serverInfo", s.serverInfo)

	h("GET /rest/api/{v}/search", s.search)
	h("POST /rest/api/{v}/search", s.search)
	h("GET /rest/api/{v}/search/jql", s.searchJQL)
	h("POST /rest/api/{v}/search/jql", s.searchJQL)

	h("POST /rest/api/{v}/issue", s.createIssue)
	h("GET /rest/api/{v}/priority", s.listPriorities)
	h("POST /rest/api/{v}/issueLink", s.createLink)
	h("GET /rest/api/{v}/issueLinkType", s.listLinkTypes)
	h("GET /rest/api/{v}/issue/{key}", s.getIssue)
	h("PUT /rest/api/{v}/issue/{key}", s.editIssue)

	h("GET /rest/api/{v}/issue/{key}/transitions", s.getTransitions)
	h("POST /rest/api/{v}/issue/{key}/transitions", s.doTransition)

	h("GET /rest/api/{v}/issue/{key}/comment", s.listComments)
	h("POST /rest/api/{v}/issue/{key}/comment", s.addComment)
	h("GET /rest/api/{v}/issue/{key}/comment/{id}", s.getComment)
	h("PUT /rest/api/{v}/issue/{key}/comment/{id}", s.updateComment)
	h("DELETE /rest/api/{v}/issue/{key}/comment/{id}", s.deleteComment)

	h("GET /rest/api/{v}/issue/{key}/remotelink", s.listLinks)
	h("POST /rest/api/{v}/issue/{key}/remotelink", s.upsertLink)
	h("DELETE /rest/api/{v}/issue/{key}/remotelink", s.deleteLink)
	h("GET /rest/api/{v}/issue/{key}/remotelink/{id}", s.getLink)
	h("PUT /rest/api/{v}/issue/{key}/remotelink/{id}", s.updateLink)
	h("DELETE /rest/api/{v}/issue/{key}/remotelink/{id}", s.deleteLink)

	h("GET /rest/api/{v}/issue/createmeta/{project}/issuetypes", s.createMetaTypes)
	h("GET /rest/api/{v}/issue/createmeta/{project}/issuetypes/{type}", s.createMetaFields)

	h("GET /rest/api/{v}/issue/{key}/properties", s.listProperties)
	h("GET /rest/api/{v}/issue/{key}/properties/{prop}", s.getProperty)
	h("PUT /rest/api/{v}/issue/{key}/properties/{prop}", s.putProperty)
	h("DELETE /rest/api/{v}/issue/{key}/properties/{prop}", s.deleteProperty)

	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		c := s.newCall(w, r)
		if !s.authorized(r) {
			c.unauthorized()
			return
		}
		c.notFound()
	})
	meta.Handle("/", mux)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/issue/createmeta/") {
			meta.ServeHTTP(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// authorized checks the flavor's only accepted credentials.
func (s *Server) authorized(r *http.Request) bool {
	eq := func(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
	switch s.opts.Flavor {
	case Cloud:
		user, pass, ok := r.BasicAuth()
		return ok && eq(user, s.opts.Email) && eq(pass, s.opts.APIToken)
	case DataCenter:
		scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
		return ok && strings.EqualFold(scheme, "Bearer") && eq(strings.TrimSpace(token), s.opts.PAT)
	}
	return false
}

// credential names whose rate-limit budget an authorized request spends.
func (s *Server) credential(r *http.Request) string {
	if user, _, ok := r.BasicAuth(); ok {
		return "basic " + user
	}
	return "bearer"
}

func (c *call) unauthorized() {
	if c.cloud() {
		c.fail(http.StatusUnauthorized, "Client must be authenticated to access this resource.")
		return
	}
	c.fail(http.StatusUnauthorized, "You are not authenticated. Authentication required to perform this operation.")
}

// issueFor locks the server and finds the path's issue. When it returns
// nil the 404 has been written and the lock released; otherwise the caller
// must unlock.
func (s *Server) issueFor(c *call) *issue {
	s.mu.Lock()
	is := s.lookup(c.r.PathValue("key"))
	if is == nil {
		s.mu.Unlock()
		c.issueNotFound()
	}
	return is
}

func (s *Server) myself(c *call) {
	u := c.user()
	u["emailAddress"] = s.opts.Email
	if !c.cloud() {
		u["emailAddress"] = "fixproof@example.com"
	}
	u["locale"] = "en_US"
	c.reply(http.StatusOK, u)
}

func (s *Server) serverInfo(c *call) {
	s.mu.Lock()
	now := s.now()
	s.mu.Unlock()
	info := map[string]any{
		"baseUrl":        c.base,
		"serverTime":     jiraTime(now),
		"serverTimeZone": "Etc/UTC",
		"serverTitle":    "Jira (jirasim)",
		"scmInfo":        "0000000000000000000000000000000000000000",
	}
	if c.cloud() {
		info["version"] = "1001.0.0-SNAPSHOT"
		info["versionNumbers"] = []int{1001, 0, 0}
		info["deploymentType"] = "Cloud"
		info["buildNumber"] = 100299
		info["buildDate"] = "2025-01-01T00:00:00.000+0000"
	} else {
		info["version"] = "9.12.15"
		info["versionNumbers"] = []int{9, 12, 15}
		info["deploymentType"] = "Server"
		info["buildNumber"] = 9120015
		info["buildDate"] = "2024-10-01T00:00:00.000+0000"
	}
	c.reply(http.StatusOK, info)
}

// getIssue is GET /issue/{key}: all fields unless ?fields says otherwise.
func (s *Server) getIssue(c *call) {
	qv := c.r.URL.Query()
	sel := parseFieldSel(qv["fields"], "*all")
	props := splitList(qv["properties"])
	is := s.issueFor(c)
	if is == nil {
		return
	}
	defer s.mu.Unlock()
	c.reply(http.StatusOK, c.issueJSON(is, sel, props, false))
}

type editRequest struct {
	Fields          map[string]json.RawMessage              `json:"fields"`
	Update          map[string][]map[string]json.RawMessage `json:"update"`
	HistoryMetadata json.RawMessage                         `json:"historyMetadata"`
	Properties      json.RawMessage                         `json:"properties"`
}

const notOnScreen = "Field '%s' cannot be set. It is not on the appropriate screen, or unknown."

// editIssue is PUT /issue/{key}: summary, labels and description, through
// "fields" (set) or "update" (operations).
func (s *Server) editIssue(c *call) {
	var req editRequest
	if !c.decode(&req, false) {
		return
	}
	is := s.issueFor(c)
	if is == nil {
		return
	}
	defer s.mu.Unlock()

	errs := map[string]string{}
	invalid := "" // why an ADF value is invalid: Jira's INVALID_INPUT
	summary, labels, desc, descADF := is.summary, append([]string{}, is.labels...), is.desc, is.descADF
	priority := s.priorityOf(is)
	setField := func(name string, raw json.RawMessage) {
		switch name {
		case "summary":
			var v string
			if json.Unmarshal(raw, &v) != nil {
				errs[name] = "Operation value must be a string"
			} else if strings.TrimSpace(v) == "" {
				errs[name] = "You must specify a summary of the issue."
			} else {
				summary = v
			}
		case "labels":
			var v []string
			if json.Unmarshal(raw, &v) != nil {
				errs[name] = "Operation value must be an array of strings"
			} else if msg := checkLabels(v); msg != "" {
				errs[name] = msg
			} else {
				labels = v
			}
		case "description":
			d, adf, msg, bad := c.parseDescription(raw)
			switch {
			case bad != "":
				invalid = bad
			case msg != "":
				errs[name] = msg
			default:
				desc, descADF = d, adf
			}
		case "priority":
			if p, msg := s.priorityRef(raw); msg != "" {
				errs[name] = msg
			} else {
				priority = p
			}
		default:
			errs[name] = fmt.Sprintf(notOnScreen, name)
		}
	}
	for _, name := range sortedKeys(req.Fields) {
		if _, both := req.Update[name]; both {
			errs[name] = fmt.Sprintf("Field '%s' cannot be specified in both 'fields' and 'update'.", name)
			continue
		}
		setField(name, req.Fields[name])
	}
	names := make([]string, 0, len(req.Update))
	for name := range req.Update {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if _, both := req.Fields[name]; both {
			continue
		}
		for _, op := range req.Update[name] {
			for verb, raw := range op {
				switch {
				case verb == "set":
					setField(name, raw)
				case name == "labels" && (verb == "add" || verb == "remove"):
					var l string
					if json.Unmarshal(raw, &l) != nil {
						errs[name] = "Operation value must be a string"
					} else if msg := checkLabels([]string{l}); msg != "" {
						errs[name] = msg
					} else if verb == "add" {
						labels = append(labels, l)
					} else {
						labels = slices.DeleteFunc(labels, func(x string) bool { return x == l })
					}
				case name == "labels" || name == "summary" || name == "description" || name == "priority":
					errs[name] = fmt.Sprintf("Field '%s' does not support operation '%s'", name, verb)
				default:
					errs[name] = fmt.Sprintf(notOnScreen, name)
				}
			}
		}
	}
	if invalid != "" {
		c.invalidInput(invalid)
		return
	}
	if len(errs) > 0 {
		c.failFields(errs)
		return
	}
	labels = normalizeLabels(labels)
	if summary != is.summary || !slices.Equal(labels, is.labels) || !bytes.Equal(desc, is.desc) || priority != s.priorityOf(is) {
		is.summary, is.labels, is.desc, is.descADF, is.priority = summary, labels, desc, descADF, priority
		is.updated = s.now()
	}
	if c.r.URL.Query().Get("returnIssue") == "true" {
		c.reply(http.StatusOK, c.issueJSON(is, parseFieldSel(nil, "*all"), nil, false))
		return
	}
	c.reply(http.StatusNoContent, nil)
}

// checkLabels applies Jira's label rules: not empty, no white space and
// no control character (Jira refuses "\r", U+00A0, U+2003, U+3000 alike,
// with the message it gives for a space), at most 255 characters as Java
// counts them (UTF-16 code units: a character beyond U+FFFF counts two).
func checkLabels(ls []string) string {
	for _, l := range ls {
		if l == "" {
			return "Labels cannot be empty."
		}
		if strings.IndexFunc(l, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
			return fmt.Sprintf("The label '%s' contains spaces which is invalid.", l)
		}
		if len(utf16.Encode([]rune(l))) > 255 {
			return fmt.Sprintf("The label '%s' exceeds the maximum length for a single label of 255 characters.", l)
		}
	}
	return ""
}

// normalizeLabels dedupes and sorts, as Jira returns labels.
func normalizeLabels(ls []string) []string {
	out := append([]string{}, ls...)
	sort.Strings(out)
	return slices.Compact(out)
}

// parseDescription validates a description for this API version: an ADF
// document (v3) or a string (v2), or null to clear it. A value of the
// wrong kind is the field's error (msg); an object that is not a valid ADF
// document is Jira's INVALID_INPUT (invalid says why, for tests).
func (c *call) parseDescription(raw json.RawMessage) (desc json.RawMessage, adf bool, msg, invalid string) {
	raw = bytes.TrimSpace(raw)
	if string(raw) == "null" {
		return nil, false, "", ""
	}
	if c.v3() {
		if !isJSONObject(raw) {
			return nil, false, "Operation value must be an Atlassian Document (see the Atlassian Document Format)", ""
		}
		if p := c.s.adfProblem(raw); p != "" {
			return nil, false, "", p
		}
		return compact(raw), true, "", ""
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return nil, false, "Operation value must be a string", ""
	}
	return compact(raw), false, "", ""
}

func compact(raw json.RawMessage) json.RawMessage {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return bytes.Clone(raw)
	}
	return b.Bytes()
}

func (c *call) transitionJSON(p *project, t Transition) map[string]any {
	to, _ := p.status(t.To)
	return map[string]any{
		"id":            t.ID,
		"name":          t.Name,
		"to":            c.statusJSON(to),
		"hasScreen":     false,
		"isGlobal":      len(t.From) == 0,
		"isInitial":     false,
		"isAvailable":   true,
		"isConditional": false,
		"isLooped":      false,
	}
}

// getTransitions lists the transitions available from the current status.
func (s *Server) getTransitions(c *call) {
	only := c.r.URL.Query().Get("transitionId")
	is := s.issueFor(c)
	if is == nil {
		return
	}
	defer s.mu.Unlock()
	list := []any{}
	for _, t := range is.proj.available(is.status) {
		if only == "" || t.ID == only {
			list = append(list, c.transitionJSON(is.proj, t))
		}
	}
	c.reply(http.StatusOK, map[string]any{"expand": "transitions", "transitions": list})
}

// doTransition performs a transition; fields and update are not applied,
// but a comment added with it must be valid ADF on v3 (Jira refuses the
// transition otherwise, INVALID_INPUT).
func (s *Server) doTransition(c *call) {
	var req struct {
		Transition *struct {
			ID json.RawMessage `json:"id"`
		} `json:"transition"`
		Update struct {
			Comment []struct {
				Add *struct {
					Body json.RawMessage `json:"body"`
				} `json:"add"`
			} `json:"comment"`
		} `json:"update"`
	}
	if !c.decode(&req, false) {
		return
	}
	for _, op := range req.Update.Comment {
		if op.Add == nil || !c.v3() || !isJSONObject(op.Add.Body) {
			continue
		}
		if p := s.adfProblem(op.Add.Body); p != "" {
			c.invalidInput(p)
			return
		}
	}
	id := ""
	if req.Transition != nil {
		var n json.Number
		if json.Unmarshal(req.Transition.ID, &id) != nil && json.Unmarshal(req.Transition.ID, &n) == nil {
			id = n.String()
		}
	}
	if id == "" {
		c.fail(http.StatusBadRequest, "Missing 'transition' identifier")
		return
	}
	is := s.issueFor(c)
	if is == nil {
		return
	}
	defer s.mu.Unlock()
	for _, t := range is.proj.available(is.status) {
		if t.ID == id {
			before, res := is.statusOf(), is.resolution
			is.status = t.To
			is.history = append(is.history, t.To)
			is.updated = s.now()
			s.settle(is, before.Category, t.Resolution, is.updated)
			s.emitStatus(is, before, res, nil)
			c.reply(http.StatusNoContent, nil)
			return
		}
	}
	c.fail(http.StatusBadRequest, fmt.Sprintf("Transition id '%s' is not valid for this issue.", id))
}

type entityProperty struct {
	Key   string          `json:"key"`
	Value json.RawMessage `json:"value"`
}

type commentRequest struct {
	Body       json.RawMessage  `json:"body"`
	Visibility json.RawMessage  `json:"visibility"`
	Properties []entityProperty `json:"properties"`
}

const maxCommentChars = 32767

// commentBody validates a comment body for this API version: an ADF
// document on v3, a string on v2. A body of the wrong kind is the
// comment's field error; an object that is not a valid ADF document is
// Jira's INVALID_INPUT. On failure the 400 has been written.
func (c *call) commentBody(raw json.RawMessage) (json.RawMessage, bool, bool) {
	raw = bytes.TrimSpace(raw)
	empty := map[string]string{"comment": "Comment body can not be empty!"}
	invalid := map[string]string{"comment": "Comment body is not valid!"}
	tooLong := map[string]string{"comment": "The entered text is too long. It exceeds the allowed limit of 32,767 characters."}
	if len(raw) == 0 || string(raw) == "null" {
		c.failFields(empty)
		return nil, false, false
	}
	if c.v3() {
		if !isJSONObject(raw) {
			c.failFields(invalid)
			return nil, false, false
		}
		if p := c.s.adfProblem(raw); p != "" {
			c.invalidInput(p)
			return nil, false, false
		}
		if adfEmpty(raw) {
			c.failFields(empty)
			return nil, false, false
		}
		if utf8.RuneCountInString(adfToText(raw)) > maxCommentChars {
			c.failFields(tooLong)
			return nil, false, false
		}
		return compact(raw), true, true
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		c.failFields(invalid)
		return nil, false, false
	}
	if strings.TrimSpace(s) == "" {
		c.failFields(empty)
		return nil, false, false
	}
	if utf8.RuneCountInString(s) > maxCommentChars {
		c.failFields(tooLong)
		return nil, false, false
	}
	return compact(raw), false, true
}

// checkProperties validates entity properties sent with a comment.
func (c *call) checkProperties(props []entityProperty) bool {
	for _, p := range props {
		if p.Key == "" || len(p.Key) > 255 {
			c.fail(http.StatusBadRequest, "The property key must be between 1 and 255 characters long.")
			return false
		}
		if len(p.Value) == 0 || !json.Valid(p.Value) {
			c.fail(http.StatusBadRequest, fmt.Sprintf("The value of property '%s' must be valid JSON.", p.Key))
			return false
		}
		if len(p.Value) > 32768 {
			c.fail(http.StatusBadRequest, fmt.Sprintf("The value of property '%s' exceeds 32768 bytes.", p.Key))
			return false
		}
	}
	return true
}

func expands(c *call, what string) bool {
	return slices.Contains(splitList(c.r.URL.Query()["expand"]), what)
}

// listComments pages through comments: 50 by default, at most 100.
func (s *Server) listComments(c *call) {
	qv := c.r.URL.Query()
	startAt, size := 0, 50
	for _, p := range []struct {
		name string
		dst  *int
	}{{"startAt", &startAt}, {"maxResults", &size}} {
		if v := qv.Get(p.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				c.fail(http.StatusBadRequest, fmt.Sprintf("The value '%s' is not valid for %s.", v, p.name))
				return
			}
			*p.dst = n
		}
	}
	size = min(size, 100)
	desc := qv.Get("orderBy") == "-created"
	withProps := expands(c, "properties")

	is := s.issueFor(c)
	if is == nil {
		return
	}
	defer s.mu.Unlock()
	all := append([]*comment(nil), is.comments...)
	if desc {
		slices.Reverse(all)
	}
	start := min(startAt, len(all))
	end := min(start+size, len(all))
	list := []any{}
	for _, cm := range all[start:end] {
		list = append(list, c.commentJSON(is, cm, withProps))
	}
	c.reply(http.StatusOK, map[string]any{
		"startAt":    startAt,
		"maxResults": size,
		"total":      len(all),
		"comments":   list,
	})
}

// readComment decodes and checks a comment body for POST and PUT; on
// false the error has been written.
func (c *call) readComment() (req commentRequest, body json.RawMessage, adf, ok bool) {
	if !c.decode(&req, false) || !c.checkVisibility(req.Visibility) {
		return req, nil, false, false
	}
	body, adf, ok = c.commentBody(req.Body)
	return req, body, adf, ok && c.checkProperties(req.Properties)
}

// checkVisibility applies Jira's Visibility bean: an object whose type,
// when given, is one of its enum, "group" or "role". Anything else fails
// to deserialize, which Jira answers with its generic invalid-payload 400.
func (c *call) checkVisibility(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return true
	}
	var v struct {
		Type       *string `json:"type"`
		Value      *string `json:"value"`
		Identifier *string `json:"identifier"`
	}
	err := json.Unmarshal(raw, &v)
	if err == nil && v.Type != nil && *v.Type != "group" && *v.Type != "role" {
		err = fmt.Errorf("visibility type %q is not one of [group, role]", *v.Type)
	}
	if err != nil || raw[0] != '{' {
		if err == nil {
			err = errors.New("visibility is not an object")
		}
		c.fail(http.StatusBadRequest, invalidPayload+" (jirasim: "+err.Error()+")")
		return false
	}
	return true
}

// write sets what a POST or PUT gives a comment: body, visibility when
// given, and properties merged into the ones it has.
func (cm *comment) write(req commentRequest, body json.RawMessage, adf bool, now time.Time) {
	cm.body, cm.adf, cm.updated = body, adf, now
	if v := bytes.TrimSpace(req.Visibility); len(v) > 0 && string(v) != "null" {
		cm.visibility = compact(v)
	}
	for _, p := range req.Properties {
		cm.props[p.Key] = compact(p.Value)
	}
}

func (s *Server) addComment(c *call) {
	req, body, adf, ok := c.readComment()
	if !ok {
		return
	}
	is := s.issueFor(c)
	if is == nil {
		return
	}
	defer s.mu.Unlock()
	now := s.now()
	cm := &comment{id: itoa(s.nextComment), props: map[string]json.RawMessage{}, created: now}
	s.nextComment++
	cm.write(req, body, adf, now)
	is.comments = append(is.comments, cm)
	is.updated = now
	s.emitComment("comment_created", is, cm, nil)
	c.reply(http.StatusCreated, c.commentJSON(is, cm, expands(c, "properties")))
}

// commentFor finds the path's comment on a locked issue; on nil the 404
// has been written.
func (c *call) commentFor(is *issue) (int, *comment) {
	id := c.r.PathValue("id")
	for i, cm := range is.comments {
		if cm.id == id {
			return i, cm
		}
	}
	c.fail(http.StatusNotFound, fmt.Sprintf("Can not find a comment for the id: %s.", id))
	return -1, nil
}

func (s *Server) getComment(c *call) {
	is := s.issueFor(c)
	if is == nil {
		return
	}
	defer s.mu.Unlock()
	if _, cm := c.commentFor(is); cm != nil {
		c.reply(http.StatusOK, c.commentJSON(is, cm, expands(c, "properties")))
	}
}

// updateComment replaces the body (and visibility, when given) and merges
// the given properties into the comment's.
func (s *Server) updateComment(c *call) {
	req, body, adf, ok := c.readComment()
	if !ok {
		return
	}
	is := s.issueFor(c)
	if is == nil {
		return
	}
	defer s.mu.Unlock()
	_, cm := c.commentFor(is)
	if cm == nil {
		return
	}
	cm.write(req, body, adf, s.now())
	cm.updateAuthor = nil // the API account
	s.emitComment("comment_updated", is, cm, nil)
	c.reply(http.StatusOK, c.commentJSON(is, cm, expands(c, "properties")))
}

func (s *Server) deleteComment(c *call) {
	is := s.issueFor(c)
	if is == nil {
		return
	}
	defer s.mu.Unlock()
	if i, cm := c.commentFor(is); cm != nil {
		is.comments = slices.Delete(is.comments, i, i+1)
		s.emitComment("comment_deleted", is, cm, nil)
		c.reply(http.StatusNoContent, nil)
	}
}

type linkRequest struct {
	GlobalID     string          `json:"globalId"`
	Application  json.RawMessage `json:"application"`
	Relationship string          `json:"relationship"`
	Object       json.RawMessage `json:"object"`
}

// checkLink validates a remote link request; on failure the 400 has been
// written.
func (c *call) checkLink(req *linkRequest) bool {
	errs := map[string]string{}
	var obj map[string]json.RawMessage
	if json.Unmarshal(req.Object, &obj) != nil {
		obj = nil
	}
	for _, name := range []string{"url", "title"} {
		var v string
		if json.Unmarshal(obj[name], &v) != nil || strings.TrimSpace(v) == "" {
			errs[name] = fmt.Sprintf("'%s' is required.", name)
		}
	}
	if a := bytes.TrimSpace(req.Application); len(a) > 0 && string(a) != "null" && a[0] != '{' {
		errs["application"] = "'application' must be an object."
	}
	if len(errs) > 0 {
		c.failFields(errs)
		return false
	}
	req.Object = compact(req.Object)
	if a := bytes.TrimSpace(req.Application); len(a) == 0 || string(a) == "null" {
		req.Application = nil
	} else {
		req.Application = compact(a)
	}
	return true
}

// listLinks lists an issue's remote links; with ?globalId it returns that
// one link (an object, not an array) or 404, as Jira does.
func (s *Server) listLinks(c *call) {
	qv := c.r.URL.Query()
	is := s.issueFor(c)
	if is == nil {
		return
	}
	defer s.mu.Unlock()
	if qv.Has("globalId") {
		gid := qv.Get("globalId")
		for _, l := range is.links {
			if l.globalID == gid {
				c.reply(http.StatusOK, c.linkJSON(is, l))
				return
			}
		}
		c.fail(http.StatusNotFound, fmt.Sprintf("No remote link with globalId '%s' exists on this issue.", gid))
		return
	}
	list := []any{}
	for _, l := range is.links {
		list = append(list, c.linkJSON(is, l))
	}
	c.reply(http.StatusOK, list)
}

// upsertLink creates a remote link (201), or replaces the one with the
// same globalId (200): Jira's idempotent re-post.
func (s *Server) upsertLink(c *call) {
	var req linkRequest
	if !c.decode(&req, false) || !c.checkLink(&req) {
		return
	}
	is := s.issueFor(c)
	if is == nil {
		return
	}
	defer s.mu.Unlock()
	if req.GlobalID != "" {
		for _, l := range is.links {
			if l.globalID == req.GlobalID {
				l.application, l.relationship, l.object = req.Application, req.Relationship, req.Object
				c.reply(http.StatusOK, map[string]any{"id": l.id, "self": c.linkSelf(is, l)})
				return
			}
		}
	}
	l := &remoteLink{
		id:           s.nextLink,
		globalID:     req.GlobalID,
		relationship: req.Relationship,
		application:  req.Application,
		object:       req.Object,
	}
	s.nextLink++
	is.links = append(is.links, l)
	c.reply(http.StatusCreated, map[string]any{"id": l.id, "self": c.linkSelf(is, l)})
}

// linkFor finds the path's remote link on a locked issue; on -1 the 404
// has been written.
func (c *call) linkFor(is *issue) int {
	id := c.r.PathValue("id")
	for i, l := range is.links {
		if itoa(l.id) == id {
			return i
		}
	}
	c.fail(http.StatusNotFound, fmt.Sprintf("No remote link with id '%s' exists on this issue.", id))
	return -1
}

func (s *Server) getLink(c *call) {
	is := s.issueFor(c)
	if is == nil {
		return
	}
	defer s.mu.Unlock()
	if i := c.linkFor(is); i >= 0 {
		c.reply(http.StatusOK, c.linkJSON(is, is.links[i]))
	}
}

func (s *Server) updateLink(c *call) {
	var req linkRequest
	if !c.decode(&req, false) || !c.checkLink(&req) {
		return
	}
	is := s.issueFor(c)
	if is == nil {
		return
	}
	defer s.mu.Unlock()
	if i := c.linkFor(is); i >= 0 {
		l := is.links[i]
		l.globalID, l.application, l.relationship, l.object = req.GlobalID, req.Application, req.Relationship, req.Object
		c.reply(http.StatusNoContent, nil)
	}
}

// deleteLink deletes by path id, or by ?globalId on the collection.
func (s *Server) deleteLink(c *call) {
	gid, byGlobal := c.r.URL.Query().Get("globalId"), c.r.PathValue("id") == ""
	if byGlobal && gid == "" {
		c.fail(http.StatusBadRequest, "The globalId parameter is required.")
		return
	}
	is := s.issueFor(c)
	if is == nil {
		return
	}
	defer s.mu.Unlock()
	i := -1
	if byGlobal {
		i = slices.IndexFunc(is.links, func(l *remoteLink) bool { return l.globalID == gid })
		if i < 0 {
			c.fail(http.StatusNotFound, fmt.Sprintf("No remote link with globalId '%s' exists on this issue.", gid))
			return
		}
	} else if i = c.linkFor(is); i < 0 {
		return
	}
	is.links = slices.Delete(is.links, i, i+1)
	c.reply(http.StatusNoContent, nil)
}

func (s *Server) listProperties(c *call) {
	is := s.issueFor(c)
	if is == nil {
		return
	}
	defer s.mu.Unlock()
	keys := []any{}
	for _, k := range sortedKeys(is.props) {
		keys = append(keys, map[string]any{"key": k, "self": c.propertySelf(is, k)})
	}
	c.reply(http.StatusOK, map[string]any{"keys": keys})
}

func (c *call) propertyNotFound(key string) {
	c.fail(http.StatusNotFound, fmt.Sprintf("The property with key '%s' does not exist.", key))
}

func (s *Server) getProperty(c *call) {
	is := s.issueFor(c)
	if is == nil {
		return
	}
	defer s.mu.Unlock()
	key := c.r.PathValue("prop")
	v, ok := is.props[key]
	if !ok {
		c.propertyNotFound(key)
		return
	}
	c.reply(http.StatusOK, map[string]any{"key": key, "value": v})
}

// putProperty stores any JSON value: 201 when new, 200 when replaced. The
// body is an empty JSON object: the OpenAPI document promises JSON content
// and clients ignore it.
func (s *Server) putProperty(c *call) {
	key := c.r.PathValue("prop")
	if len(key) > 255 {
		c.fail(http.StatusBadRequest, "The property key can not be longer than 255 characters.")
		return
	}
	b, ok := c.body()
	if !ok {
		return
	}
	if !json.Valid(b) {
		c.fail(http.StatusBadRequest, "The property value must be valid JSON.")
		return
	}
	if len(b) > 32768 {
		c.fail(http.StatusBadRequest, "The property value can not be longer than 32768 bytes.")
		return
	}
	is := s.issueFor(c)
	if is == nil {
		return
	}
	defer s.mu.Unlock()
	_, existed := is.props[key]
	is.props[key] = compact(b)
	status := http.StatusCreated
	if existed {
		status = http.StatusOK
	}
	s.emitProperty(is, key, is.props[key])
	c.reply(status, map[string]any{})
}

func (s *Server) deleteProperty(c *call) {
	is := s.issueFor(c)
	if is == nil {
		return
	}
	defer s.mu.Unlock()
	key := c.r.PathValue("prop")
	if _, ok := is.props[key]; !ok {
		c.propertyNotFound(key)
		return
	}
	delete(is.props, key)
	c.reply(http.StatusNoContent, nil)
}
