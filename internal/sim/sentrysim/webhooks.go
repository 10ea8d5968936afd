package sentrysim

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/fixproof/fixproof/internal/sim"
)

// Webhooks signs and sends integration-platform webhooks like Sentry does.
type Webhooks struct {
	// URL is the app's webhook URL; ClientSecret its client secret, the
	// HMAC key of the signature.
	URL, ClientSecret string
	// Client sends the requests; nil means http.DefaultClient.
	Client *http.Client
	// Now stamps Sentry-Hook-Timestamp; nil means time.Now.
	Now func() time.Time
}

// Send posts body with headers Content-Type: application/json, Request-ID
// (a random uuid), Sentry-Hook-Resource: resource, Sentry-Hook-Timestamp:
// unix seconds, and Sentry-Hook-Signature: the hex HMAC-SHA256 of body
// keyed with ClientSecret. It returns the response status; the response
// body is read and discarded.
func (w Webhooks) Send(ctx context.Context, resource string, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("sentrysim: webhook: %w", err)
	}
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	mac := hmac.New(sha256.New, []byte(w.ClientSecret))
	mac.Write(body)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Request-ID", sim.UUID())
	req.Header.Set("Sentry-Hook-Resource", resource)
	req.Header.Set("Sentry-Hook-Timestamp", strconv.FormatInt(now().Unix(), 10))
	req.Header.Set("Sentry-Hook-Signature", hex.EncodeToString(mac.Sum(nil)))
	hc := w.Client
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, fmt.Errorf("sentrysim: webhook %s: %w", resource, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, nil
}

// Actor is who triggered a webhook: a user (Type "user", ID the user's
// numeric id, sent as a number), the app itself (Type "application", ID
// its uuid) or Sentry (SentryActor). As an assignee (Assign) it is a user
// or a team, and Email is sent when set.
type Actor struct {
	Type, ID, Name string
	Email          string
}

// SentryActor is the actor of what Sentry does on its own, such as
// creating an issue or firing an alert.
var SentryActor = Actor{Type: "application", ID: "sentry", Name: "Sentry"}

// json renders the actor as webhooks carry it: {type, id, name}, a user's
// id as a number; with email, an assignee's email too.
func (a Actor) json(email bool) map[string]any {
	m := map[string]any{"type": a.Type, "id": a.ID, "name": a.Name}
	if n, err := strconv.ParseInt(a.ID, 10, 64); err == nil && a.Type == "user" {
		m["id"] = n
	}
	if email && a.Email != "" {
		m["email"] = a.Email
	}
	return m
}

// webhookIssueKeys are the keys of the issue in Sentry's documented issue
// webhook (issue.created): a subset of what GroupSerializer renders.
var webhookIssueKeys = []string{
	"annotations", "assignedTo", "count", "culprit", "firstSeen", "hasSeen", "id", "isBookmarked", "isPublic",
	"isSubscribed", "lastSeen", "level", "logger", "metadata", "numComments", "permalink", "platform", "project",
	"shareId", "shortId", "status", "statusDetails", "subscriptionDetails", "substatus", "title", "type", "userCount",
}

// apiBase is where webhook bodies point API and web links.
const apiBase = "https://sentry.io"

// marshal encodes a webhook body as Sentry does (no HTML escaping).
func marshal(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic("sentrysim: webhook body: " + err.Error())
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// IssueWebhook builds an "issue" webhook body for action ("created",
// "resolved", "unresolved", "assigned" or "archived") about an issue the
// simulator knows, as it is now: data.issue has the keys of Sentry's
// documented example (issue.created) plus the documented url, web_url and
// project_url. As Sentry does, "resolved" adds data.resolution_type
// (resolved, resolved_in_commit or resolved_in_next_release) and
// "assigned" adds data.assignee, the issue's assignee (see Assign). It
// panics for an unknown issue or action, or an "assigned" webhook about
// an unassigned issue.
func (s *Server) IssueWebhook(action, issueID string, actor Actor) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.mustIssue("IssueWebhook", issueID)
	full := s.render(is)
	issue := map[string]any{}
	for _, k := range webhookIssueKeys {
		issue[k] = full[k]
	}
	issue["project"] = map[string]any{
		"id": strconv.Itoa(s.projects[is.project]), "name": is.project, "slug": is.project, "platform": "python",
	}
	issue["url"] = apiBase + "/api/0/organizations/" + s.opts.Org + "/issues/" + is.id + "/"
	issue["web_url"] = "https://" + s.opts.Org + ".sentry.io/issues/" + is.id + "/"
	issue["project_url"] = "https://" + s.opts.Org + ".sentry.io/issues/?project=" + strconv.Itoa(s.projects[is.project])
	data := map[string]any{"issue": issue}
	switch action {
	case "created", "unresolved", "archived":
	case "resolved":
		typ := "resolved"
		switch {
		case is.inCommit != nil:
			typ = "resolved_in_commit"
		case is.details["inNextRelease"] == true:
			typ = "resolved_in_next_release"
		}
		data["resolution_type"] = typ
	case "assigned":
		if is.assignee == nil {
			panic("sentrysim: IssueWebhook: issue " + issueID + " is not assigned (call Assign first)")
		}
		data["assignee"] = is.assignee.json(true)
	default:
		panic("sentrysim: IssueWebhook: unknown action " + strconv.Quote(action))
	}
	return marshal(map[string]any{
		"action":       action,
		"actor":        actor.json(false),
		"data":         data,
		"installation": map[string]any{"uuid": s.Installation()},
	})
}

// Event is one event of an issue, for EventAlertWebhook: what a Jira
// ticket needs of it. Zero fields get defaults.
type Event struct {
	// ID is the event id (32 hex digits); empty makes one.
	ID string
	// Time is when it happened; zero is the server's now.
	Time time.Time
	// Type and Value are the exception's; empty takes them from the
	// issue's title ("Type: value").
	Type, Value string
	// Frames are the stack trace, oldest call first as Sentry orders
	// them: the last frame is where the exception was raised.
	Frames []Frame
	// Breadcrumbs are what happened before, oldest first.
	Breadcrumbs []Breadcrumb
	// Tags are the event's own tags; environment, level, release, url and
	// user tags are added from the fields below, as Sentry does.
	Tags map[string]string
	// Request is the HTTP request being served, if any.
	Request Request
	// User is who was affected.
	User User
	// TraceID (32 hex digits) becomes contexts.trace.trace_id.
	TraceID string
	// Release and Environment; empty sends null and leaves them out of
	// the tags.
	Release, Environment string
	// Level defaults to the issue's level.
	Level string
	// Rule is the name of the alert rule that fired; empty is "Send a
	// notification to fixproof".
	Rule string
}

// Frame is a stack frame.
type Frame struct {
	Filename, AbsPath, Module, Function string
	Lineno, Colno                       int
	InApp                               bool
	// ContextLine is the source line; Pre and PostContext the lines
	// around it.
	ContextLine             string
	PreContext, PostContext []string
}

// Breadcrumb is a breadcrumb: Type is "default", "http", "query", ...
type Breadcrumb struct {
	Time                           time.Time
	Type, Category, Level, Message string
	Data                           map[string]any
}

// Request is the HTTP request of an event.
type Request struct {
	Method, URL string
	// Query is the query string (without "?"); Headers are sent as
	// [name, value] pairs, sorted by name.
	Query   string
	Headers map[string]string
}

// User is the user of an event.
type User struct {
	ID, Email, IP, Username string
}

// EventAlertWebhook builds an "event_alert" webhook body (action
// "triggered") for a new event of an issue the simulator knows, shaped
// like Sentry's documented example (event_alert.triggered.json): the same
// keys, and beyond them the event's breadcrumbs and environment, the
// user's id, email and username, and contexts.trace. It panics for an
// unknown issue.
func (s *Server) EventAlertWebhook(issueID string, ev Event, actor Actor) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.mustIssue("EventAlertWebhook", issueID)
	if ev.Time.IsZero() {
		ev.Time = s.now()
	}
	if ev.ID == "" {
		ev.ID = strings.ReplaceAll(sim.UUID(), "-", "")
	}
	if ev.Type == "" && ev.Value == "" {
		ev.Type, ev.Value, _ = strings.Cut(is.title, ": ")
	}
	if ev.Level == "" {
		ev.Level = is.level
	}
	if ev.Rule == "" {
		ev.Rule = "Send a notification to fixproof"
	}
	project := s.projects[is.project]
	title := ev.Type
	if ev.Value != "" {
		title += ": " + ev.Value
	}
	location, filename := is.culprit, ""
	if n := len(ev.Frames); n > 0 {
		location, filename = ev.Frames[n-1].Filename, ev.Frames[n-1].Filename
	}
	seconds := float64(ev.Time.UnixMilli()) / 1000
	event := map[string]any{
		"_ref":         project,
		"_ref_version": 2,
		"contexts":     eventContexts(ev),
		"culprit":      is.culprit,
		"datetime":     iso(ev.Time),
		"dist":         nil,
		"event_id":     ev.ID,
		"exception": map[string]any{"values": []any{map[string]any{
			"mechanism": map[string]any{
				"data":        map[string]any{"message": ev.Value, "mode": "stack", "name": ev.Type},
				"description": nil, "handled": false, "help_link": nil, "meta": nil, "synthetic": nil, "type": "generic",
			},
			"stacktrace": map[string]any{"frames": framesJSON(ev.Frames)},
			"type":       ev.Type,
			"value":      ev.Value,
		}}},
		"fingerprint":     []string{"{{ default }}"},
		"grouping_config": map[string]any{"enhancements": "sentrysim", "id": "newstyle:2023-01-11"},
		"hashes":          []string{fmt.Sprintf("%x", md5.Sum([]byte(is.id)))},
		"issue_url":       apiBase + "/api/0/issues/" + is.id + "/",
		"issue_id":        is.id,
		"key_id":          strconv.Itoa(project*1000 + 1),
		"level":           ev.Level,
		"location":        location,
		"logger":          "",
		"message":         "",
		"metadata":        map[string]any{"filename": filename, "type": ev.Type, "value": ev.Value},
		"platform":        "python",
		"project":         project,
		"received":        seconds,
		"release":         nullable(ev.Release),
		"environment":     nullable(ev.Environment),
		"request":         requestJSON(ev.Request),
		"sdk": map[string]any{
			"integrations": []string{"argv", "atexit", "dedupe", "excepthook", "logging", "modules", "stdlib", "threading"},
			"name":         "sentry.python",
			"packages":     []any{map[string]any{"name": "pypi:sentry-sdk", "version": "2.19.2"}},
			"version":      "2.19.2",
		},
		"tags":        eventTags(ev),
		"time_spent":  nil,
		"timestamp":   seconds,
		"title":       title,
		"type":        "error",
		"url":         apiBase + "/api/0/projects/" + s.opts.Org + "/" + is.project + "/events/" + ev.ID + "/",
		"user":        userJSON(ev.User),
		"version":     "7",
		"web_url":     apiBase + "/organizations/" + s.opts.Org + "/issues/" + is.id + "/events/" + ev.ID + "/",
		"breadcrumbs": map[string]any{"values": breadcrumbsJSON(ev.Breadcrumbs)},
	}
	return marshal(map[string]any{
		"action": "triggered",
		"actor":  actor.json(false),
		"data": map[string]any{
			"event":          event,
			"triggered_rule": ev.Rule,
			"issue_alert":    map[string]any{"title": ev.Rule, "settings": []any{}},
		},
		"installation": map[string]any{"uuid": s.Installation()},
	})
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullableList(l []string) any {
	if l == nil {
		return nil
	}
	return l
}

func eventContexts(ev Event) map[string]any {
	ctx := map[string]any{}
	if ev.TraceID != "" {
		span := fmt.Sprintf("%x", md5.Sum([]byte(ev.TraceID+ev.ID)))[:16]
		ctx["trace"] = map[string]any{"trace_id": ev.TraceID, "span_id": span, "op": "http.server", "status": "internal_error", "type": "trace"}
	}
	return ctx
}

func framesJSON(frames []Frame) []any {
	out := []any{}
	for _, f := range frames {
		orig := 0
		if f.InApp {
			orig = 1
		}
		var lineno, colno any
		if f.Lineno > 0 {
			lineno = f.Lineno
		}
		if f.Colno > 0 {
			colno = f.Colno
		}
		out = append(out, map[string]any{
			"abs_path":         nullable(f.AbsPath),
			"colno":            colno,
			"context_line":     nullable(f.ContextLine),
			"data":             map[string]any{"orig_in_app": orig},
			"errors":           nil,
			"filename":         nullable(f.Filename),
			"function":         nullable(f.Function),
			"image_addr":       nil,
			"in_app":           f.InApp,
			"instruction_addr": nil,
			"lineno":           lineno,
			"module":           nullable(f.Module),
			"package":          nil,
			"platform":         nil,
			"post_context":     nullableList(f.PostContext),
			"pre_context":      nullableList(f.PreContext),
			"raw_function":     nil,
			"symbol":           nil,
			"symbol_addr":      nil,
			"trust":            nil,
			"vars":             nil,
		})
	}
	return out
}

func breadcrumbsJSON(bs []Breadcrumb) []any {
	out := []any{}
	for _, b := range bs {
		typ, level := b.Type, b.Level
		if typ == "" {
			typ = "default"
		}
		if level == "" {
			level = "info"
		}
		var data any
		if b.Data != nil {
			data = b.Data
		}
		out = append(out, map[string]any{
			"timestamp": float64(b.Time.UnixMilli()) / 1000,
			"type":      typ,
			"category":  nullable(b.Category),
			"level":     level,
			"message":   nullable(b.Message),
			"data":      data,
			"event_id":  nil,
		})
	}
	return out
}

func requestJSON(r Request) map[string]any {
	headers := [][2]string{}
	names := make([]string, 0, len(r.Headers))
	for k := range r.Headers {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		headers = append(headers, [2]string{k, r.Headers[k]})
	}
	query := [][2]string{}
	if q, err := url.ParseQuery(r.Query); err == nil {
		keys := make([]string, 0, len(q))
		for k := range q {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			for _, v := range q[k] {
				query = append(query, [2]string{k, v})
			}
		}
	}
	return map[string]any{
		"cookies":               nil,
		"data":                  nil,
		"env":                   nil,
		"fragment":              nil,
		"headers":               headers,
		"inferred_content_type": nil,
		"method":                nullable(r.Method),
		"query_string":          query,
		"url":                   nullable(r.URL),
	}
}

func userJSON(u User) map[string]any {
	return map[string]any{
		"id":         nullable(u.ID),
		"email":      nullable(u.Email),
		"ip_address": nullable(u.IP),
		"username":   nullable(u.Username),
	}
}

// eventTags are the event's tags as [key, value] pairs sorted by key,
// with the ones Sentry derives from the event.
func eventTags(ev Event) [][2]string {
	tags := map[string]string{"level": ev.Level}
	if ev.Environment != "" {
		tags["environment"] = ev.Environment
	}
	if ev.Release != "" {
		tags["release"] = ev.Release
	}
	if ev.Request.URL != "" {
		tags["url"] = ev.Request.URL
	}
	switch u := ev.User; {
	case u.ID != "":
		tags["user"] = "id:" + u.ID
	case u.Email != "":
		tags["user"] = "email:" + u.Email
	case u.IP != "":
		tags["user"] = "ip:" + u.IP
	}
	for k, v := range ev.Tags {
		tags[k] = v
	}
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([][2]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, [2]string{k, tags[k]})
	}
	return out
}
