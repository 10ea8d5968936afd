package jirasim

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// call is one request being served.
type call struct {
	s    *Server
	w    http.ResponseWriter
	r    *http.Request
	v    string // API version from the path: "2" or "3"
	base string // scheme://host as the client addressed us
}

func (s *Server) newCall(w http.ResponseWriter, r *http.Request) *call {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	base := scheme + "://" + r.Host
	s.wh.noteBase(base) // webhook self links; see webhooks.go
	return &call{s: s, w: w, r: r, v: r.PathValue("v"), base: base}
}

// api is the base of this API version's URLs, for "self" links.
func (c *call) api() string { return c.base + "/rest/api/" + c.v }

// v3 reports a Cloud v3 request: rich text is ADF, not a string.
func (c *call) v3() bool { return c.v == "3" }

func (c *call) cloud() bool { return c.s.opts.Flavor == Cloud }

// reply writes a JSON response; a nil body writes none.
func (c *call) reply(status int, body any) {
	if body == nil {
		c.w.WriteHeader(status)
		return
	}
	b, err := json.Marshal(body)
	if err != nil {
		http.Error(c.w, err.Error(), http.StatusInternalServerError)
		return
	}
	c.w.Header().Set("Content-Type", "application/json")
	c.w.WriteHeader(status)
	_, _ = c.w.Write(b)
}

// fail answers with Jira's ErrorCollection carrying messages.
func (c *call) fail(status int, messages ...string) {
	if messages == nil {
		messages = []string{}
	}
	c.reply(status, map[string]any{"errorMessages": messages, "errors": map[string]string{}})
}

// failFields answers 400 with per-field errors, as Jira does for bad input.
func (c *call) failFields(errs map[string]string) {
	c.reply(http.StatusBadRequest, map[string]any{"errorMessages": []string{}, "errors": errs})
}

// invalidInput is Jira Cloud's answer to a rich-text value that is an
// object but not a valid ADF document: 400 with the bare INVALID_INPUT,
// naming no field and no node. Why the simulator refused it (which Jira
// does not say) is in the X-Jirasim-Reason header, for test failures.
func (c *call) invalidInput(why string) {
	c.w.Header().Set("X-Jirasim-Reason", headerSafe(why))
	c.fail(http.StatusBadRequest, "INVALID_INPUT")
}

// headerSafe keeps s fit for a header value: printable ASCII, bounded.
func headerSafe(s string) string {
	b := make([]byte, 0, min(len(s), 500))
	for i := 0; i < len(s) && len(b) < 500; i++ {
		if s[i] >= 0x20 && s[i] < 0x7f {
			b = append(b, s[i])
		} else {
			b = append(b, '?')
		}
	}
	return string(b)
}

func (c *call) notFound() {
	c.fail(http.StatusNotFound, "jirasim: no resource for "+c.r.Method+" "+c.r.URL.Path)
}

func (c *call) issueNotFound() {
	c.fail(http.StatusNotFound, "Issue does not exist or you do not have permission to see it.")
}

const invalidPayload = "Invalid request payload. Refer to the REST API documentation and try again."

// body reads a JSON request body: 415 unless it is sent as JSON, 400 when
// it is empty. On failure the response has been written.
func (c *call) body() ([]byte, bool) {
	mt, _, _ := mime.ParseMediaType(c.r.Header.Get("Content-Type"))
	if mt != "application/json" {
		c.fail(http.StatusUnsupportedMediaType, "Unsupported Media Type: send the body as application/json.")
		return nil, false
	}
	b, err := io.ReadAll(io.LimitReader(c.r.Body, 1<<22))
	if err != nil {
		c.fail(http.StatusBadRequest, invalidPayload)
		return nil, false
	}
	if len(bytes.TrimSpace(b)) == 0 {
		c.fail(http.StatusBadRequest, "No content to map due to end-of-input")
		return nil, false
	}
	return b, true
}

// decode reads the JSON body into dst; strict rejects unknown fields, as
// Jira does for its search request beans.
func (c *call) decode(dst any, strict bool) bool {
	b, ok := c.body()
	if !ok {
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if strict {
		dec.DisallowUnknownFields()
	}
	err := dec.Decode(dst)
	if err == nil && dec.More() {
		err = errors.New("trailing data after the JSON value")
	}
	if err != nil {
		c.fail(http.StatusBadRequest, invalidPayload+" (jirasim: "+err.Error()+")")
		return false
	}
	return true
}

func jiraTime(t time.Time) string { return t.Format("2006-01-02T15:04:05.000-0700") }

const cloudAccountID = "5b10ac8d82e05b22cc7d4ef5"

// user is the account fixproof authenticates as (Options.Account), in
// the flavor's shape.
func (c *call) user() map[string]any { return c.userJSON(c.s.account()) }

// statusJSON is a StatusDetails.
func (c *call) statusJSON(st Status) map[string]any {
	cat := categories[st.Category]
	return map[string]any{
		"self":        c.api() + "/status/" + st.ID,
		"description": "",
		"iconUrl":     c.base + "/images/icons/statuses/generic.png",
		"name":        st.Name,
		"id":          st.ID,
		"statusCategory": map[string]any{
			"self":      c.api() + "/statuscategory/" + itoa(cat.id),
			"id":        cat.id,
			"key":       cat.key,
			"colorName": cat.colorName,
			"name":      cat.name,
		},
	}
}

const issueExpand = "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations"

// issueJSON is an IssueBean with the selected fields and requested
// properties. minimal gives the enhanced search's bare {"id"} form.
func (c *call) issueJSON(is *issue, sel fieldSel, props []string, minimal bool) map[string]any {
	m := map[string]any{"id": is.id}
	if len(props) > 0 {
		pm := map[string]json.RawMessage{}
		for _, k := range props {
			if k == "*all" {
				for k, v := range is.props {
					pm[k] = v
				}
			} else if v, ok := is.props[k]; ok {
				pm[k] = v
			}
		}
		m["properties"] = pm
	}
	if minimal {
		return m
	}
	f := map[string]any{}
	if sel.want("summary") {
		f["summary"] = is.summary
	}
	if sel.want("status") {
		f["status"] = c.statusJSON(is.statusOf())
	}
	if sel.want("labels") {
		f["labels"] = append([]string{}, is.labels...)
	}
	if sel.want("project") {
		p := is.proj
		f["project"] = map[string]any{
			"self":           c.api() + "/project/" + p.id,
			"id":             p.id,
			"key":            p.key,
			"name":           p.name,
			"projectTypeKey": "software",
			"simplified":     false,
		}
	}
	if sel.want("issuetype") {
		f["issuetype"] = c.issueTypeJSON(is.typeOf())
	}
	c.moreFields(is, sel, f)
	// An unset description is left out rather than sent as null (Jira
	// sends null): clients see the same zero value, and the OpenAPI
	// document's field schema is not nullable.
	if sel.want("description") && is.desc != nil {
		f["description"] = c.richText(is.desc, is.descADF)
	}
	if sel.want("created") {
		f["created"] = jiraTime(is.created)
	}
	if sel.want("updated") {
		f["updated"] = jiraTime(is.updated)
	}
	m["expand"] = issueExpand
	m["self"] = c.api() + "/issue/" + is.id
	m["key"] = is.key
	m["fields"] = f
	return m
}

// richText renders a stored description or comment body for this API
// version: ADF on v3, a string on v2, converting when it was written
// through the other version (as Cloud does).
func (c *call) richText(raw json.RawMessage, isADF bool) any {
	if raw == nil {
		return nil
	}
	switch {
	case c.v3() && isADF, !c.v3() && !isADF:
		return raw
	case c.v3():
		var s string
		_ = json.Unmarshal(raw, &s)
		return textToADF(s)
	default:
		return adfToText(raw)
	}
}

func (c *call) commentJSON(is *issue, cm *comment, withProps bool) map[string]any {
	m := map[string]any{
		"self":         c.api() + "/issue/" + is.id + "/comment/" + cm.id,
		"id":           cm.id,
		"author":       c.userJSON(c.s.userOf(cm.author)),
		"updateAuthor": c.userJSON(c.s.userOf(cm.updateAuthor)),
		"body":         c.richText(cm.body, cm.adf),
		"created":      jiraTime(cm.created),
		"updated":      jiraTime(cm.updated),
	}
	if c.cloud() {
		m["jsdPublic"] = true
	}
	if cm.visibility != nil {
		m["visibility"] = cm.visibility
	}
	if withProps {
		props := []map[string]any{}
		for _, k := range sortedKeys(cm.props) {
			props = append(props, map[string]any{"key": k, "value": cm.props[k]})
		}
		m["properties"] = props
	}
	return m
}

func (c *call) linkSelf(is *issue, l *remoteLink) string {
	return c.api() + "/issue/" + is.key + "/remotelink/" + itoa(l.id)
}

// linkJSON is a RemoteIssueLink.
func (c *call) linkJSON(is *issue, l *remoteLink) map[string]any {
	app := l.application
	if app == nil {
		app = json.RawMessage(`{}`)
	}
	m := map[string]any{
		"id":          l.id,
		"self":        c.linkSelf(is, l),
		"application": app,
		"object":      l.object,
	}
	if l.globalID != "" {
		m["globalId"] = l.globalID
	}
	if l.relationship != "" {
		m["relationship"] = l.relationship
	}
	return m
}

func (c *call) propertySelf(is *issue, key string) string {
	return c.api() + "/issue/" + is.id + "/properties/" + url.PathEscape(key)
}

// textToADF turns plain text into an ADF document, a paragraph a line.
func textToADF(s string) map[string]any {
	content := []any{}
	if s != "" {
		for _, line := range strings.Split(s, "\n") {
			p := map[string]any{"type": "paragraph"}
			if line != "" {
				p["content"] = []any{map[string]any{"type": "text", "text": line}}
			}
			content = append(content, p)
		}
	}
	return map[string]any{"type": "doc", "version": 1, "content": content}
}

// adfToText flattens an ADF document to plain text, a line a block.
func adfToText(raw json.RawMessage) string {
	var doc any
	if json.Unmarshal(raw, &doc) != nil {
		return ""
	}
	var b strings.Builder
	var walk func(n any)
	walk = func(n any) {
		node, ok := n.(map[string]any)
		if !ok {
			return
		}
		typ, _ := node["type"].(string)
		attrs, _ := node["attrs"].(map[string]any)
		switch typ {
		case "text":
			s, _ := node["text"].(string)
			b.WriteString(s)
		case "hardBreak":
			b.WriteString("\n")
		case "mention", "emoji", "status", "date":
			if s, ok := attrs["text"].(string); ok {
				b.WriteString(s)
			} else if s, ok := attrs["shortName"].(string); ok {
				b.WriteString(s)
			}
		case "inlineCard":
			if s, ok := attrs["url"].(string); ok {
				b.WriteString(s)
			}
		}
		if content, ok := node["content"].([]any); ok {
			for _, ch := range content {
				walk(ch)
			}
		}
		switch typ {
		case "paragraph", "heading", "codeBlock", "rule":
			b.WriteString("\n")
		case "listItem", "blockquote", "panel", "tableRow":
			if !strings.HasSuffix(b.String(), "\n") {
				b.WriteString("\n")
			}
		}
	}
	walk(doc)
	return strings.TrimRight(b.String(), "\n")
}
