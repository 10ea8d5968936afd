package sentrysim

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
	"time"
)

// Sentry's messages.
const (
	msgNotFound     = "The requested resource does not exist"
	msgNoCredential = "Authentication credentials were not provided."
	msgBadToken     = "Invalid token"
	msgForbidden    = "You do not have permission to perform this action."
	msgDuplicate    = "You have already posted that comment."
)

// apiUser is the user the token belongs to: the author of notes added
// through the API.
const apiUser = "fixproof"

// routes builds the router: every route needs the token and the server's
// organization.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	h := func(pattern string, fn func(w http.ResponseWriter, r *http.Request)) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			if s.allowed(w, r) {
				fn(w, r)
			}
		})
	}
	const org = "/api/0/organizations/{org}/"
	h("GET "+org+"{$}", s.getOrganization)
	h(org+"{$}", methodNotAllowed)
	h("GET "+org+"sentry-app-installations/{$}", s.listInstallations)
	h(org+"sentry-app-installations/{$}", methodNotAllowed)
	h("GET "+org+"issues/{$}", s.listIssues)
	h(org+"issues/{$}", methodNotAllowed)
	h("GET "+org+"issues/{id}/{$}", s.getIssue)
	h("PUT "+org+"issues/{id}/{$}", s.putIssue)
	h(org+"issues/{id}/{$}", methodNotAllowed)
	h("GET "+org+"issues/{id}/comments/{$}", s.listNotes)
	h("POST "+org+"issues/{id}/comments/{$}", s.addNote)
	h(org+"issues/{id}/comments/{$}", methodNotAllowed)
	h("PUT "+org+"issues/{id}/comments/{note}/{$}", s.updateNote)
	h("DELETE "+org+"issues/{id}/comments/{note}/{$}", s.deleteNote)
	h("GET "+org+"issues/{id}/external-issues/{$}", s.listExternal)
	h(org+"issues/{id}/external-issues/{$}", methodNotAllowed)
	h("POST /api/0/sentry-app-installations/{uuid}/external-issues/{$}", s.createExternal)
	h("/api/0/sentry-app-installations/{uuid}/external-issues/{$}", methodNotAllowed)
	h("GET "+org+"events-timeseries/{$}", s.timeseries)
	h(org+"events-timeseries/{$}", methodNotAllowed)
	h("GET "+org+"sessions/{$}", s.querySessions)
	h(org+"sessions/{$}", methodNotAllowed)
	h("GET "+org+"releases/{$}", s.listReleases)
	h(org+"releases/{$}", methodNotAllowed)
	h("GET "+org+"releases/{version}/commits/{$}", s.listCommits)
	h(org+"releases/{version}/commits/{$}", methodNotAllowed)
	h("GET "+org+"releases/{version}/deploys/{$}", s.listDeploys)
	h(org+"releases/{version}/deploys/{$}", methodNotAllowed)
	h("/", func(w http.ResponseWriter, r *http.Request) { fail(w, http.StatusNotFound, msgNotFound) })
	return mux
}

// allowed checks the bearer token and, for organization routes, the
// organization, answering 401 or 403 when they do not fit.
func (s *Server) allowed(w http.ResponseWriter, r *http.Request) bool {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		fail(w, http.StatusUnauthorized, msgNoCredential)
		return false
	}
	token = strings.TrimSpace(token)
	if s.opts.Token != "" && subtle.ConstantTimeCompare([]byte(token), []byte(s.opts.Token)) != 1 {
		fail(w, http.StatusUnauthorized, msgBadToken)
		return false
	}
	if org := r.PathValue("org"); org != "" && org != s.opts.Org {
		fail(w, http.StatusForbidden, msgForbidden)
		return false
	}
	return true
}

func methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	fail(w, http.StatusMethodNotAllowed, fmt.Sprintf("Method %q not allowed.", r.Method))
}

// reply writes v as JSON with status (without Go's escaping of <, > and
// &, which Sentry does not do).
func reply(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	b := []byte(`{"detail":"Internal Error"}`)
	if err := enc.Encode(v); err == nil {
		b = bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	} else {
		status = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// fail answers {"detail": msg}, as Sentry does for most errors.
func fail(w http.ResponseWriter, status int, msg string) {
	reply(w, status, map[string]any{"detail": msg})
}

// iso formats a time as Sentry does (RFC 3339, UTC, microseconds when
// there are any).
func iso(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.999999Z07:00") }

// ms is a time in milliseconds since the epoch.
func ms(t time.Time) int64 { return t.UnixMilli() }

// issueFor locks the server and finds the path's issue. When it returns
// nil the 404 has been written and the lock released; otherwise the caller
// must unlock.
func (s *Server) issueFor(w http.ResponseWriter, r *http.Request) *issue {
	s.mu.Lock()
	is := s.lookup(r.PathValue("id"))
	if is == nil {
		s.mu.Unlock()
		fail(w, http.StatusNotFound, msgNotFound)
	}
	return is
}

func (s *Server) getIssue(w http.ResponseWriter, r *http.Request) {
	is := s.issueFor(w, r)
	if is == nil {
		return
	}
	defer s.mu.Unlock()
	reply(w, http.StatusOK, s.render(is))
}

// readObject reads a JSON object body, answering 400 as Sentry (Django
// REST Framework) does when it is not one. raw is the body as received.
func readObject(w http.ResponseWriter, r *http.Request) (raw []byte, fields map[string]json.RawMessage, ok bool) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		fail(w, http.StatusBadRequest, "could not read the body")
		return nil, nil, false
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		fail(w, http.StatusBadRequest, "JSON parse error - "+err.Error())
		return raw, nil, false
	}
	if _, isObj := v.(map[string]any); !isObj {
		reply(w, http.StatusBadRequest, map[string]any{
			"non_field_errors": []string{fmt.Sprintf("Invalid data. Expected a dictionary, but got %s.", jsonKind(v))},
		})
		return raw, nil, false
	}
	_ = json.Unmarshal(raw, &fields)
	return raw, fields, true
}

// jsonKind names a decoded JSON value's type as Python would.
func jsonKind(v any) string {
	switch v.(type) {
	case []any:
		return "list"
	case string:
		return "str"
	case float64:
		return "int"
	case bool:
		return "bool"
	case nil:
		return "NoneType"
	}
	return "dict"
}

// drfString reads a value as Django REST Framework's CharField does:
// strings, and numbers turned into their text; anything else is an error
// message.
func drfString(raw json.RawMessage) (string, string) {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return "", "Not a valid string."
	}
	switch v := v.(type) {
	case string:
		return v, ""
	case float64:
		return string(bytes.TrimSpace(raw)), ""
	case nil:
		return "", "This field may not be null."
	}
	return "", "Not a valid string."
}

var statusChoices = map[string]bool{
	"resolved": true, "unresolved": true, "ignored": true, "resolvedInNextRelease": true, "muted": true,
}

// putIssue updates an issue like Sentry's GroupDetailsEndpoint.put: only
// the fields sent are applied, then the whole issue is answered.
func (s *Server) putIssue(w http.ResponseWriter, r *http.Request) {
	is := s.issueFor(w, r)
	if is == nil {
		return
	}
	defer s.mu.Unlock()
	raw, fields, ok := readObject(w, r)
	is.updates = append(is.updates, string(raw))
	if !ok {
		return
	}
	errs := map[string]any{}
	status := ""
	if v, ok := fields["status"]; ok {
		st, msg := drfString(v)
		if msg == "" && !statusChoices[st] {
			msg = fmt.Sprintf("%q is not a valid choice.", st)
		}
		if msg != "" {
			errs["status"] = []string{msg}
		}
		status = st
	}
	var in *Commit
	if v, ok := fields["statusDetails"]; ok {
		c, detailErrs := s.inCommit(v)
		if detailErrs != nil {
			errs["statusDetails"] = detailErrs
		}
		in = c
	}
	if len(errs) > 0 {
		reply(w, http.StatusBadRequest, errs)
		return
	}
	if status != "" {
		if status != "resolved" {
			in = nil
		}
		s.setStatus(is, status, in, apiUser)
	}
	reply(w, http.StatusOK, s.render(is))
}

// inCommit reads statusDetails from an update, returning the commit it
// names (if any) or the field errors Sentry would answer: those of
// InCommitValidator (src/sentry/api/helpers/group_index/validators/
// in_commit.py), run with partial=True as the update runs it, so a
// missing commit or repository is not "required" but unknown. s.mu is
// held.
func (s *Server) inCommit(raw json.RawMessage) (*Commit, map[string]any) {
	var details map[string]json.RawMessage
	if json.Unmarshal(raw, &details) != nil || details == nil {
		return nil, map[string]any{"non_field_errors": []string{"Invalid data. Expected a dictionary."}}
	}
	v, ok := details["inCommit"]
	if !ok {
		return nil, nil
	}
	if string(bytes.TrimSpace(v)) == "null" {
		return nil, map[string]any{"inCommit": []string{"This field may not be null."}}
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(v, &fields) != nil || fields == nil {
		return nil, map[string]any{"inCommit": map[string]any{"non_field_errors": []string{"Invalid data. Expected a dictionary."}}}
	}
	// Field by field first (CharField: a string, not blank), ...
	errs := map[string]any{}
	var c Commit
	for name, dst := range map[string]*string{"commit": &c.Commit, "repository": &c.Repository} {
		f, ok := fields[name]
		if !ok {
			continue
		}
		val, msg := drfString(f)
		if msg == "" && strings.TrimSpace(val) == "" {
			msg = "This field may not be blank."
		}
		if msg != "" {
			errs[name] = []string{msg}
			continue
		}
		*dst = val
	}
	// ... then the validator's own checks, one at a time.
	switch {
	case len(errs) > 0:
	case c.Repository == "" || !s.connected[c.Repository]:
		errs["repository"] = []string{"Unable to find the given repository."}
	case c.Commit == "":
		errs["commit"] = []string{"Unable to find the given commit."}
	}
	if len(errs) > 0 {
		return nil, map[string]any{"inCommit": errs}
	}
	return &c, nil
}

// render serializes an issue as Sentry's GroupSerializer (with the
// details endpoint's extras) does. s.mu is held.
func (s *Server) render(is *issue) map[string]any {
	now := s.now()
	n := count(is.timeline, is.firstSeen, now)
	last := is.firstSeen
	if t, ok := lastEvent(is.timeline, is.firstSeen, now); ok {
		last = t
	}
	users := 0
	if n > 0 {
		users = 1
	}
	var substatus any
	if is.substatus != "" {
		substatus = is.substatus
	}
	priority := "high"
	switch is.level {
	case "warning":
		priority = "medium"
	case "info", "debug", "sample":
		priority = "low"
	}
	metadata := map[string]any{"title": is.title}
	if typ, value, ok := strings.Cut(is.title, ": "); ok {
		metadata = map[string]any{"type": typ, "value": value}
	}
	var culprit any
	if is.culprit != "" {
		culprit = is.culprit
	}
	// Hourly counts over the last day, as [seconds, count] pairs.
	var day [][2]int64
	hour := now.Truncate(time.Hour)
	for i := 23; i >= 0; i-- {
		from := hour.Add(-time.Duration(i) * time.Hour)
		day = append(day, [2]int64{from.Unix(), int64(count(is.timeline, maxTime(from, is.firstSeen), minTime(from.Add(time.Hour), now)))})
	}
	activity := []any{}
	notes := 0
	for i := len(is.activity) - 1; i >= 0; i-- {
		a := is.activity[i]
		if a.kind == "note" {
			notes++
		}
		activity = append(activity, renderActivity(a))
	}
	activity = append(activity, map[string]any{
		"id": "0", "type": "first_seen", "user": nil, "data": map[string]any{}, "dateCreated": iso(is.firstSeen),
	})
	return map[string]any{
		"id":                               is.id,
		"shareId":                          nil,
		"shortId":                          is.shortID,
		"title":                            is.title,
		"culprit":                          culprit,
		"permalink":                        "https://" + s.opts.Org + ".sentry.io/issues/" + is.id + "/",
		"logger":                           nil,
		"level":                            is.level,
		"status":                           is.status,
		"statusDetails":                    is.details,
		"substatus":                        substatus,
		"isPublic":                         false,
		"platform":                         "python",
		"priority":                         priority,
		"priorityLockedAt":                 nil,
		"seerFixabilityScore":              nil,
		"seerAutofixLastTriggered":         nil,
		"seerExplorerAutofixLastTriggered": nil,
		"project": map[string]any{
			"id": strconv.Itoa(s.projects[is.project]), "name": is.project, "slug": is.project, "platform": "python",
		},
		"type":                "error",
		"issueType":           "error",
		"issueCategory":       "error",
		"metadata":            metadata,
		"numComments":         notes,
		"assignedTo":          assignedTo(is),
		"isBookmarked":        false,
		"isSubscribed":        false,
		"subscriptionDetails": nil,
		"hasSeen":             false,
		"annotations":         []any{},
		"isUnhandled":         false,
		"count":               strconv.Itoa(n),
		"userCount":           users,
		"firstSeen":           iso(is.firstSeen),
		"lastSeen":            iso(last),
		"firstRelease":        nil,
		"lastRelease":         nil,
		"tags":                []any{},
		"stats":               map[string]any{"24h": day},
		"activity":            activity,
		"seenBy":              []any{},
		"participants":        []any{},
		"userReportCount":     0,
	}
}

// renderActivity serializes an activity as Sentry's ActivitySerializer
// does.
func renderActivity(a *activity) map[string]any {
	var user any
	if a.author != "" {
		slug := strings.ToLower(strings.ReplaceAll(a.author, " ", "."))
		user = map[string]any{
			"id":       strconv.Itoa(len(a.author)*7 + 1),
			"name":     a.author,
			"username": slug,
			"email":    slug + "@example.com",
		}
	}
	return map[string]any{
		"id":          strconv.Itoa(a.id),
		"type":        a.kind,
		"user":        user,
		"data":        a.data,
		"dateCreated": iso(a.created),
	}
}

// cursor is Sentry's "value:offset:is_prev" pagination cursor; the
// simulator pages by offset.
type cursor struct {
	offset int
	prev   bool
}

func (c cursor) String() string {
	p := 0
	if c.prev {
		p = 1
	}
	return "0:" + strconv.Itoa(c.offset) + ":" + strconv.Itoa(p)
}

func parseCursor(s string) (cursor, bool) {
	parts := strings.Split(s, ":")
	if len(parts) != 3 {
		return cursor{}, false
	}
	off, err1 := strconv.Atoi(parts[1])
	prev, err2 := strconv.Atoi(parts[2])
	if _, err := strconv.ParseFloat(parts[0], 64); err != nil || err1 != nil || err2 != nil || off < 0 || prev < 0 || prev > 1 {
		return cursor{}, false
	}
	return cursor{offset: off, prev: prev == 1}, true
}

// linkHeader builds Sentry's Link header for a page of limit items at
// offset of total items.
func linkHeader(r *http.Request, offset, limit, total int) string {
	q := r.URL.Query()
	q.Del("cursor")
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	// Sentry writes "<path>?<other parameters>&cursor=...", so with no
	// other parameters the target has "?&cursor=".
	base := scheme + "://" + r.Host + r.URL.EscapedPath() + "?" + q.Encode()
	one := func(rel string, c cursor, results bool) string {
		return fmt.Sprintf(`<%s&cursor=%s>; rel="%s"; results="%t"; cursor="%s"`, base, c, rel, results, c)
	}
	prev := cursor{offset: max(offset-limit, 0), prev: true}
	next := cursor{offset: offset + limit}
	return one("previous", prev, offset > 0) + ", " + one("next", next, offset+limit < total)
}

func (s *Server) listNotes(w http.ResponseWriter, r *http.Request) {
	is := s.issueFor(w, r)
	if is == nil {
		return
	}
	defer s.mu.Unlock()
	// Newest first, as Sentry's DateTimePaginator orders by -datetime.
	var notes []*activity
	for _, a := range is.activity {
		if a.kind == "note" {
			notes = append(notes, a)
		}
	}
	sort.SliceStable(notes, func(i, j int) bool {
		if !notes[i].created.Equal(notes[j].created) {
			return notes[i].created.After(notes[j].created)
		}
		return notes[i].id > notes[j].id
	})
	notes, ok := pageOf(w, r, notes)
	if !ok {
		return
	}
	page := []any{}
	for _, a := range notes {
		page = append(page, renderActivity(a))
	}
	reply(w, http.StatusOK, page)
}

func (s *Server) addNote(w http.ResponseWriter, r *http.Request) {
	is := s.issueFor(w, r)
	if is == nil {
		return
	}
	defer s.mu.Unlock()
	_, fields, ok := readObject(w, r)
	if !ok {
		return
	}
	raw, present := fields["text"]
	if !present {
		reply(w, http.StatusBadRequest, map[string]any{"text": []string{"This field is required."}})
		return
	}
	text, msg := drfString(raw)
	// CharField trims surrounding white space and refuses blank text.
	text = strings.TrimSpace(text)
	if msg == "" && text == "" {
		msg = "This field may not be blank."
	}
	if msg != "" {
		reply(w, http.StatusBadRequest, map[string]any{"text": []string{msg}})
		return
	}
	hourAgo := s.now().Add(-time.Hour)
	for _, a := range is.activity {
		if a.kind == "note" && a.author == apiUser && a.data["text"] == text && !a.created.Before(hourAgo) {
			fail(w, http.StatusBadRequest, msgDuplicate)
			return
		}
	}
	a := s.addActivity(is, "note", map[string]any{"text": text}, apiUser)
	reply(w, http.StatusCreated, renderActivity(a))
}

func (s *Server) listExternal(w http.ResponseWriter, r *http.Request) {
	is := s.issueFor(w, r)
	if is == nil {
		return
	}
	defer s.mu.Unlock()
	out := []any{}
	for _, e := range is.external {
		out = append(out, map[string]any{
			"id":          strconv.Itoa(e.id),
			"issueId":     is.id,
			"serviceType": e.ServiceType,
			"displayName": e.Project + "#" + e.Identifier,
			"webUrl":      e.WebURL,
		})
	}
	reply(w, http.StatusOK, out)
}
