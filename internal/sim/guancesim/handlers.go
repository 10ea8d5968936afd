package guancesim

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Error codes. The first is documented (error-definition@4af7e274.md), as
// are the rate-limit codes, which the simulator never sends on its own
// (inject them with Control and ErrorBody). The pages document no code for
// a bad request, an unknown object or a wrong method: the last three are
// the simulator's assumption, and a client must not depend on them.
const (
	CodeInvalidAPIKey      = "ft.InvalidAPIKey"
	CodeAKRateLimit        = "ft.TriggerApiAkCurrentLimiting"
	CodeWorkspaceRateLimit = "ft.TriggerApiWorkspaceCurrentLimiting"
	CodeParam              = "ft.ParamError"
	CodeNotFound           = "ft.NotFound"
	CodeMethod             = "ft.MethodNotAllowed"
)

// maxContent is createissuereply's $maxCustomLength of content.
const maxContent = 65535

// routes builds the router; every route needs the API key.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	h := func(pattern string, fn http.HandlerFunc) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			if s.allowed(w, r) {
				fn(w, r)
			}
		})
	}
	h("GET /api/v1/channel/quick_list", s.listChannels)
	h("/api/v1/channel/quick_list", s.methodNotAllowed)
	h("POST /api/v1/issue/list", s.listIssues)
	h("/api/v1/issue/list", s.methodNotAllowed)
	h("POST /api/v1/issue/reply/create", s.createReply)
	h("/api/v1/issue/reply/create", s.methodNotAllowed)
	h("GET /api/v1/issue/reply/{issue_uuid}/list", s.listReplies)
	h("/api/v1/issue/reply/{issue_uuid}/list", s.methodNotAllowed)
	h("POST /api/v1/issue/{issue_uuid}/modify", s.modifyIssue)
	h("/api/v1/issue/{issue_uuid}/modify", s.methodNotAllowed)
	h("/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, http.StatusNotFound, CodeNotFound, "no such route: "+r.URL.Path)
	})
	return mux
}

// allowed checks the DF-API-KEY header (the index page's authentication),
// answering 403 ft.InvalidAPIKey when it is missing or wrong.
func (s *Server) allowed(w http.ResponseWriter, r *http.Request) bool {
	key := strings.TrimSpace(r.Header.Get("DF-API-KEY"))
	if key == "" || s.opts.APIKey != "" && subtle.ConstantTimeCompare([]byte(key), []byte(s.opts.APIKey)) != 1 {
		s.fail(w, http.StatusForbidden, CodeInvalidAPIKey, "Invalid API Key")
		return false
	}
	return true
}

func (s *Server) methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	s.fail(w, http.StatusMethodNotAllowed, CodeMethod, fmt.Sprintf("method %s not allowed", r.Method))
}

// traceID is the next traceId (a string of digits, as in the examples).
func (s *Server) traceID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.traces++
	return strconv.FormatUint(13848669999527981000+s.traces, 10)
}

// write sends an envelope with status, without Go's escaping of <, > and &
// (descriptions are HTML).
func write(w http.ResponseWriter, status int, env map[string]any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	b := []byte(`{"code":500,"content":null,"errorCode":"ft.InternalError","message":"encoding failed","success":false,"traceId":""}`)
	if err := enc.Encode(env); err == nil {
		b = bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	} else {
		status = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// ok answers the index page's success envelope around content.
func (s *Server) ok(w http.ResponseWriter, content any) {
	write(w, http.StatusOK, map[string]any{
		"code": 200, "content": content, "errorCode": "", "message": "", "success": true, "traceId": s.traceID(),
	})
}

// okList answers one page of a list in the configured shape.
func (s *Server) okList(w http.ResponseWriter, items []any, pageIndex, pageSize, total int) {
	info := map[string]any{"count": len(items), "pageIndex": pageIndex, "pageSize": pageSize, "totalCount": total}
	env := map[string]any{"code": 200, "errorCode": "", "message": "", "success": true, "traceId": s.traceID()}
	if s.opts.ListShape == ShapeIndex {
		env["content"] = items
		env["pageInfo"] = info
	} else {
		env["content"] = map[string]any{"data": items, "pageInfo": info}
	}
	write(w, http.StatusOK, env)
}

// fail answers an error envelope: code is the HTTP status, as the index
// page says, success false.
func (s *Server) fail(w http.ResponseWriter, status int, code, msg string) {
	write(w, status, errorEnvelope(status, code, msg, s.traceID()))
}

func errorEnvelope(status int, code, msg, trace string) map[string]any {
	return map[string]any{"code": status, "content": nil, "errorCode": code, "message": msg, "success": false, "traceId": trace}
}

// ErrorBody is a Guance error envelope, for a sim.Fault's Body: e.g.
// ErrorBody(401, CodeAKRateLimit, "rate limited").
func ErrorBody(status int, code, msg string) string {
	b, _ := json.Marshal(errorEnvelope(status, code, msg, "TRACE-SIM-FAULT"))
	return string(b)
}

// badParam answers 400 CodeParam (assumed; see the constants).
func (s *Server) badParam(w http.ResponseWriter, format string, args ...any) {
	s.fail(w, http.StatusBadRequest, CodeParam, fmt.Sprintf(format, args...))
}

// readObject reads a JSON object body, answering 400 when it is not one.
// raw is the body as received.
func (s *Server) readObject(w http.ResponseWriter, r *http.Request) (raw []byte, fields map[string]json.RawMessage, ok bool) {
	raw, fields, ok = s.readObjectQuiet(r)
	if !ok {
		s.badParam(w, "the body must be a JSON object")
	}
	return raw, fields, ok
}

// readObjectQuiet reads a JSON object body without answering.
func (s *Server) readObjectQuiet(r *http.Request) (raw []byte, fields map[string]json.RawMessage, ok bool) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return raw, nil, false
	}
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return raw, nil, false
	}
	return raw, fields, true
}

// intField reads an optional integer field: absent is ok with present
// false; anything but a whole JSON number is an error message.
func intField(fields map[string]json.RawMessage, name string) (n int64, present bool, msg string) {
	raw, ok := fields[name]
	if !ok {
		return 0, false, ""
	}
	var num json.Number
	// json.Number takes a quoted number too; Guance's pages give integers.
	if t := bytes.TrimSpace(raw); len(t) > 0 && t[0] == '"' {
		return 0, true, name + " must be an integer"
	}
	if err := json.Unmarshal(raw, &num); err != nil {
		return 0, true, name + " must be an integer"
	}
	n, err := strconv.ParseInt(num.String(), 10, 64)
	if err != nil {
		return 0, true, name + " must be an integer"
	}
	return n, true, ""
}

// stringField reads an optional string field.
func stringField(fields map[string]json.RawMessage, name string) (v string, present bool, msg string) {
	raw, ok := fields[name]
	if !ok {
		return "", false, ""
	}
	if err := json.Unmarshal(raw, &v); err != nil || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return "", true, name + " must be a string"
	}
	return v, true, ""
}

// requiredString reads a string field that must be there and not empty.
func requiredString(fields map[string]json.RawMessage, name string) (string, string) {
	v, present, msg := stringField(fields, name)
	if msg == "" && (!present || v == "") {
		msg = name + " is required"
	}
	return v, msg
}

// paging reads pageIndex (from 1, default 1) and pageSize (default and
// capped at Options.PageSize). get returns a parameter's value and whether
// it is there; msg is an error message.
func (s *Server) paging(get func(string) (int64, bool, string)) (index, size int, msg string) {
	index, size = 1, s.opts.PageSize
	if n, ok, m := get("pageIndex"); m != "" {
		return 0, 0, m
	} else if ok {
		if n < 1 || n > 1<<31 {
			return 0, 0, "pageIndex must be at least 1"
		}
		index = int(n)
	}
	if n, ok, m := get("pageSize"); m != "" {
		return 0, 0, m
	} else if ok {
		if n < 1 {
			return 0, 0, "pageSize must be at least 1"
		}
		size = int(min(n, int64(s.opts.PageSize)))
	}
	return index, size, ""
}

// page cuts page index of size out of n items: [from, to).
func page(index, size, n int) (from, to int) {
	from = min((index-1)*size, n)
	return from, min(from+size, n)
}

func (s *Server) listChannels(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	out := make([]any, 0, len(s.channels))
	for _, c := range s.channels {
		out = append(out, map[string]any{
			"createAt":      c.createAt.Unix(),
			"creator":       "acnt_sim_person",
			"deleteAt":      -1,
			"description":   "",
			"id":            c.id,
			"name":          c.name,
			"notifyTarget":  []any{},
			"status":        0,
			"subscribeType": "",
			"updateAt":      c.createAt.Unix(),
			"updator":       "acnt_sim_person",
			"uuid":          c.uuid,
			"workspaceUUID": s.opts.Workspace,
		})
	}
	s.mu.Unlock()
	s.ok(w, out)
}

// filter is one of the list's filters: {key, value, equal}.
type filter struct {
	key, value string
	equal      bool
}

// filterKeys are the keys list@74f6f285.md documents.
var filterKeys = map[string]bool{"resource": true, "level": true, "statusType": true, "creator": true, "updator": true}

// readFilters reads the list's filters: an array of {key, value, equal};
// value is compared as text (the example sends a number for statusType
// though the table says string), equal is true unless false or "false".
func readFilters(raw json.RawMessage) ([]filter, string) {
	var list []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, "filters must be an array of {key, value, equal}"
	}
	var out []filter
	for _, f := range list {
		var key string
		if json.Unmarshal(f["key"], &key) != nil || !filterKeys[key] {
			return nil, fmt.Sprintf("filters: unknown key %s", f["key"])
		}
		value := strings.TrimSpace(string(f["value"]))
		var str string
		if json.Unmarshal(f["value"], &str) == nil {
			value = str
		}
		eq := true
		if e := strings.Trim(strings.TrimSpace(string(f["equal"])), `"`); e == "false" {
			eq = false
		}
		out = append(out, filter{key: key, value: value, equal: eq})
	}
	return out, ""
}

func (is *issue) field(key string) string {
	switch key {
	case "level":
		return is.in.Level
	case "statusType":
		return strconv.Itoa(is.in.StatusType)
	case "creator":
		return is.in.Creator
	case "updator":
		return is.updator
	}
	return "" // resource: the simulator's issues have none
}

// listIssues serves POST /api/v1/issue/list (list@74f6f285.md). Where the
// page is silent the simulator assumes:
//   - channelUUID is required (the en page and the zh supplementary table
//     say so) and must name a channel (400 otherwise);
//   - startTime and endTime are epoch seconds, like createAt and updateAt,
//     and select the issues whose updateAt is in [startTime, endTime); each
//     is optional (the zh tables do not require them);
//   - issues come newest update first.
func (s *Server) listIssues(w http.ResponseWriter, r *http.Request) {
	_, fields, ok := s.readObject(w, r)
	if !ok {
		return
	}
	ch, msg := requiredString(fields, "channelUUID")
	if msg != "" {
		s.badParam(w, "%s", msg)
		return
	}
	start, hasStart, msg := intField(fields, "startTime")
	if msg == "" && hasStart && start < 0 {
		msg = "startTime must not be negative"
	}
	if msg != "" {
		s.badParam(w, "%s", msg)
		return
	}
	end, hasEnd, msg := intField(fields, "endTime")
	if msg == "" && hasEnd && hasStart && end < start {
		msg = "endTime must not be before startTime"
	}
	if msg != "" {
		s.badParam(w, "%s", msg)
		return
	}
	index, size, msg := s.paging(func(name string) (int64, bool, string) { return intField(fields, name) })
	if msg != "" {
		s.badParam(w, "%s", msg)
		return
	}
	search, _, msg := stringField(fields, "search")
	if msg != "" {
		s.badParam(w, "%s", msg)
		return
	}
	var filters []filter
	if raw, ok := fields["filters"]; ok {
		if filters, msg = readFilters(raw); msg != "" {
			s.badParam(w, "%s", msg)
			return
		}
	}

	s.mu.Lock()
	if s.channel(ch) == nil {
		s.mu.Unlock()
		s.badParam(w, "no channel %q", ch)
		return
	}
	var match []*issue
	for _, is := range s.issues {
		u := is.updateAt.Unix()
		if !containsString(is.in.Channels, ch) || hasStart && u < start || hasEnd && u >= end {
			continue
		}
		if search != "" && !strings.Contains(is.in.Name, search) && !strings.Contains(is.in.Description, search) {
			continue
		}
		keep := true
		for _, f := range filters {
			if (is.field(f.key) == f.value) != f.equal {
				keep = false
			}
		}
		if keep {
			match = append(match, is)
		}
	}
	sort.Slice(match, func(i, j int) bool {
		if !match[i].updateAt.Equal(match[j].updateAt) {
			return match[i].updateAt.After(match[j].updateAt)
		}
		return match[i].id > match[j].id
	})
	from, to := page(index, size, len(match))
	items := make([]any, 0, to-from)
	for _, is := range match[from:to] {
		items = append(items, s.renderIssue(is))
	}
	s.mu.Unlock()
	s.okList(w, items, index, size, len(match))
}

func containsString(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// person renders an account as the examples' creatorInfo does.
func person(acnt string) map[string]any {
	return map[string]any{"acntWsNickname": "", "email": acnt + "@example.com", "iconUrl": "", "name": acnt, "username": acnt + "@example.com"}
}

// renderIssue serializes an issue as the list page's example shows one.
// s.mu is held.
func (s *Server) renderIssue(is *issue) map[string]any {
	chans := make([]any, 0, len(is.in.Channels))
	for _, c := range is.in.Channels {
		chans = append(chans, map[string]any{"exists": true, "type": "#", "uuid": c})
	}
	var level any = is.in.Level
	if n, err := strconv.ParseInt(is.in.Level, 10, 64); err == nil {
		level = n
	}
	return map[string]any{
		"createAt":      is.createAt.Unix(),
		"creator":       is.in.Creator,
		"creatorInfo":   person(is.in.Creator),
		"deleteAt":      -1,
		"description":   is.in.Description,
		"extend":        map[string]any{"channels": chans, "members": []any{}},
		"id":            is.id,
		"level":         level,
		"name":          is.in.Name,
		"resource":      "",
		"resourceType":  "",
		"resourceUUID":  "",
		"status":        0,
		"statusType":    is.in.StatusType,
		"subIdentify":   "",
		"updateAt":      is.updateAt.Unix(),
		"updator":       is.updator,
		"updatorInfo":   person(is.updator),
		"uuid":          is.uuid,
		"workspaceUUID": s.opts.Workspace,
	}
}

// renderReply serializes a reply as createissuereply's answer shows one
// (whose "id" is null there; the list gives the number).
func (s *Server) renderReply(is *issue, r *reply, id any) map[string]any {
	return map[string]any{
		"content":       r.content,
		"createAt":      r.createAt.Unix(),
		"creator":       r.creator,
		"deleteAt":      -1,
		"extend":        json.RawMessage(r.extend),
		"id":            id,
		"issueUUID":     is.uuid,
		"status":        0,
		"type":          "reply",
		"updateAt":      r.updateAt.Unix(),
		"updator":       r.creator,
		"uuid":          r.uuid,
		"workspaceUUID": s.opts.Workspace,
	}
}

// createReply serves POST /api/v1/issue/reply/create
// (createissuereply@25016845.md): issueUUID and extend are required,
// extend an object or null; content is optional, may be empty and has at
// most 65535 characters; attachmentUuids, if sent, is an array. The reply's
// creator is the API key's account. Assumed: an unknown issue is 404.
func (s *Server) createReply(w http.ResponseWriter, r *http.Request) {
	_, fields, ok := s.readObject(w, r)
	if !ok {
		return
	}
	issueUUID, msg := requiredString(fields, "issueUUID")
	if msg != "" {
		s.badParam(w, "%s", msg)
		return
	}
	content := ""
	if raw, ok := fields["content"]; ok && string(bytes.TrimSpace(raw)) != "null" {
		if json.Unmarshal(raw, &content) != nil {
			s.badParam(w, "content must be a string")
			return
		}
	}
	if utf8.RuneCountInString(content) > maxContent {
		s.badParam(w, "content is longer than %d characters", maxContent)
		return
	}
	rawExt, ok := fields["extend"]
	if !ok {
		s.badParam(w, "extend is required")
		return
	}
	extend := json.RawMessage(`{}`)
	if t := bytes.TrimSpace(rawExt); string(t) != "null" {
		var obj map[string]json.RawMessage
		if json.Unmarshal(t, &obj) != nil || obj == nil {
			s.badParam(w, "extend must be a JSON object")
			return
		}
		var buf bytes.Buffer
		if json.Compact(&buf, t) != nil {
			s.badParam(w, "extend must be a JSON object")
			return
		}
		extend = buf.Bytes()
	}
	if raw, ok := fields["attachmentUuids"]; ok && string(bytes.TrimSpace(raw)) != "null" {
		var list []string
		if json.Unmarshal(raw, &list) != nil {
			s.badParam(w, "attachmentUuids must be an array of strings")
			return
		}
	}
	s.mu.Lock()
	is, ok := s.issues[issueUUID]
	if !ok {
		s.mu.Unlock()
		s.fail(w, http.StatusNotFound, CodeNotFound, "no issue "+issueUUID)
		return
	}
	rep := s.addReply(is, content, s.opts.APIUser, extend)
	out := s.renderReply(is, rep, nil)
	s.mu.Unlock()
	s.ok(w, out)
}

// listReplies serves GET /api/v1/issue/reply/{issue_uuid}/list. No page
// in the contracts folder documents it; assumed, consistent with the
// documented ones: pageIndex and pageSize query parameters as the index
// page's GET list example has them, the list in the configured shape, the
// replies as createissuereply answers them, oldest first; an unknown issue
// is 404.
func (s *Server) listReplies(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	index, size, msg := s.paging(func(name string) (int64, bool, string) {
		if !q.Has(name) {
			return 0, false, ""
		}
		n, err := strconv.ParseInt(q.Get(name), 10, 64)
		if err != nil {
			return 0, true, name + " must be an integer"
		}
		return n, true, ""
	})
	if msg != "" {
		s.badParam(w, "%s", msg)
		return
	}
	uuid := r.PathValue("issue_uuid")
	s.mu.Lock()
	is, ok := s.issues[uuid]
	if !ok {
		s.mu.Unlock()
		s.fail(w, http.StatusNotFound, CodeNotFound, "no issue "+uuid)
		return
	}
	from, to := page(index, size, len(is.replies))
	items := make([]any, 0, to-from)
	for _, rep := range is.replies[from:to] {
		items = append(items, s.renderReply(is, rep, rep.id))
	}
	total := len(is.replies)
	s.mu.Unlock()
	s.okList(w, items, index, size, total)
}

// modifyIssue serves POST /api/v1/issue/{issue_uuid}/modify. No page in the
// contracts folder documents it; assumed, consistent with the documented
// ones: a JSON object of the fields to change, of which the simulator
// applies statusType (10, 15, 20, 25 or 30 as list@74f6f285.md lists
// them), name, description and level; the others are ignored. The answer
// is the updated issue as the list renders it; updateAt becomes now and
// the updator the API key's account. An unknown issue is 404.
func (s *Server) modifyIssue(w http.ResponseWriter, r *http.Request) {
	raw, fields, bodyOK := s.readObjectQuiet(r)
	msg := "the body must be a JSON object"
	var st int64
	var hasStatus bool
	set := map[string]string{}
	if bodyOK {
		st, hasStatus, msg = intField(fields, "statusType")
		if msg == "" && hasStatus && !validStatus(int(st)) {
			msg = fmt.Sprintf("statusType %d: want 10, 15, 20, 25 or 30", st)
		}
		for _, name := range []string{"name", "description", "level"} {
			if msg != "" {
				break
			}
			v, present, m := stringField(fields, name)
			msg = m
			if present {
				set[name] = v
			}
		}
	}
	uuid := r.PathValue("issue_uuid")
	s.mu.Lock()
	is, ok := s.issues[uuid]
	if !ok {
		s.mu.Unlock()
		s.fail(w, http.StatusNotFound, CodeNotFound, "no issue "+uuid)
		return
	}
	is.modifies = append(is.modifies, string(raw))
	if msg != "" {
		s.mu.Unlock()
		s.badParam(w, "%s", msg)
		return
	}
	if hasStatus {
		is.in.StatusType = int(st)
	}
	if v, ok := set["name"]; ok {
		is.in.Name = v
	}
	if v, ok := set["description"]; ok {
		is.in.Description = v
	}
	if v, ok := set["level"]; ok {
		is.in.Level = v
	}
	is.updateAt = s.now()
	is.updator = s.opts.APIUser
	out := s.renderIssue(is)
	s.mu.Unlock()
	s.ok(w, out)
}
