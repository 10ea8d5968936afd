package webhook

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/fixproof/fixproof/internal/alert"
	"github.com/fixproof/fixproof/internal/loop"
)

// ErrSentryOrgUnknown is returned when neither the payload nor the caller
// names the Sentry organization, without which no fingerprint can be made.
var ErrSentryOrgUnknown = errors.New("sentry org unknown: set sentry.org in the config")

// DecodeSentry decodes an integration-platform webhook. resource is the
// Sentry-Hook-Resource header ("issue", "event_alert", "error", "comment",
// "installation", "metric_alert", ...). defaultOrg fills the org when the
// payload does not name it (the bot's config). It returns the alerts the
// delivery reports: one for issue, event_alert and error, none (and no
// error) for the resources fixproof does not act on. An error says what is
// wrong with the payload; the caller answers 400 with it. The body must
// be a JSON object whatever the resource.
//
// Every alert has Source alert.Sentry and Fingerprint
// loop.SentryFingerprint(org, issue id). The org is read from the
// payload's own URLs (https://sentry.io/organizations/<org>/...,
// https://<org>.sentry.io/..., API URLs /api/0/projects/<org>/...), else
// defaultOrg; with neither the error wraps ErrSentryOrgUnknown. Actor*
// come from the top-level actor {type, id, name}.
//
// issue (docs issues.mdx, example issue.created.json): data.issue, whose
// id is required and numeric. The action maps as
//
//	created                      -> Fired
//	resolved                     -> Resolved
//	unresolved                   -> Regressed
//	assigned, archived, ignored  -> Noted
//	anything else (inferred: actions added later) -> Noted
//
// Sentry sends "unresolved" when a resolved issue regresses or is reopened
// by hand, and also when an archived issue escalates (issues.mdx:
// substatus "regressed" or "escalating"); all of these are the problem
// coming back, so all are Regressed. Status is the issue's status as sent
// ("unresolved", "resolved", "ignored"); the substatus has no field in
// alert.Alert and is not kept. Title, ShortID (shortId), Culprit, Level,
// Platform, Project (project.slug), FirstSeen, LastSeen, Count (count,
// sent as a string), Users (userCount), ExceptionType/Value
// (metadata.type/value) are filled. IssueURL is web_url (docs), else
// permalink (inferred: Sentry's issue serializer field, null in the
// example), else built (see below).
//
// event_alert (issue-alerts.mdx, event_alert.triggered.json: data.event)
// and error (errors.mdx, error.created.json: data.error) carry one event;
// the action ("triggered", "created") is Fired whatever it says. The
// issue id is issue_id (docs), else the id in issue_url or web_url. See
// fillEvent for the event fields. The project slug is not a field of the
// event (its "project" is the numeric id): it is read from the event's API
// url, /api/0/projects/<org>/<project>/events/<id>/ (inferred from the
// examples). IssueURL is web_url cut after /issues/<id>/ (a web link,
// preferred), else built.
//
// Built links (inferred; Sentry documents none): on sentry.io, whose URLs
// all work at https://<org>.sentry.io/, IssueURL is
// https://<org>.sentry.io/issues/<id>/ and ReplayURL
// https://<org>.sentry.io/replays/<replay id>/; on a self-hosted Sentry
// (any payload URL whose host is not sentry.io or a subdomain of it),
// <scheme>://<host>/organizations/<org>/issues/<id>/ and
// .../organizations/<org>/replays/<replay id>/. When the payload has no
// URL at all, sentry.io is assumed.
func DecodeSentry(resource string, body []byte, defaultOrg string) ([]alert.Alert, error) {
	alerts, _, err := decodeSentry(strings.ToLower(strings.TrimSpace(resource)), body, defaultOrg)
	return alerts, err
}

// decodeSentry is DecodeSentry of a resource already in lower case; it
// also returns the parsed body.
func decodeSentry(res string, body []byte, defaultOrg string) ([]alert.Alert, map[string]any, error) {
	if res == "" {
		return nil, nil, errors.New("sentry webhook: Sentry-Hook-Resource header missing")
	}
	root, err := parseObject(body)
	if err != nil {
		return nil, nil, fmt.Errorf("sentry %s webhook: %w", res, err)
	}
	w := &walker{}
	var a alert.Alert
	switch res {
	case "issue":
		a = decodeIssue(w, root, strings.TrimSpace(defaultOrg))
	case "event_alert":
		a = decodeEventResource(w, root, "event", strings.TrimSpace(defaultOrg))
	case "error":
		a = decodeEventResource(w, root, "error", strings.TrimSpace(defaultOrg))
	default:
		// installation, comment, metric_alert, seer, preprod_artifact...:
		// nothing for fixproof to file.
		return nil, root, nil
	}
	if w.err != nil {
		return nil, nil, fmt.Errorf("sentry %s webhook: %w", res, w.err)
	}
	return []alert.Alert{a}, root, nil
}

// DecodeSentryLegacy decodes the payload of Sentry's legacy WebHooks plugin
// (docs legacy-webhook-plugin.md, example legacy-webhooks-plugin.json),
// which Sentry sends unsigned when an alert rule with the plugin as action
// fires. The one alert is Fired; the issue id is the top-level id
// (required, numeric), Project is project_slug (else project), Culprit,
// Level and the message come from the top level, IssueURL is url (the
// issue's web link) without its query (?referrer=webhooks_plugin), and
// the org is read from that url, else defaultOrg. event is read like the
// integration platform's event (fillEvent); its top-level fields win over
// the event's where both exist, as they describe the issue. The payload
// has no event web link: EventURL is IssueURL + "events/<event id>/"
// (inferred: the form Sentry's own event web_url takes, see
// error.created.json). There is no actor.
func DecodeSentryLegacy(body []byte, defaultOrg string) ([]alert.Alert, error) {
	root, err := parseObject(body)
	if err != nil {
		return nil, fmt.Errorf("sentry legacy webhook: %w", err)
	}
	w := &walker{}
	a := alert.Alert{Source: alert.Sentry, Action: alert.Fired}
	id := issueID(w, root["id"], "id")
	replayID := ""
	ev := w.obj(root["event"], "event")
	if ev != nil {
		replayID = fillEvent(w, ev, "event", &a)
	}
	issueURL := w.str(root["url"], "url")
	fillLegacyIssue(w, root, &a)
	if w.err != nil {
		return nil, fmt.Errorf("sentry legacy webhook: %w", w.err)
	}
	org := orgFrom(defaultOrg, issueURL)
	if org == "" {
		return nil, fmt.Errorf("sentry legacy webhook: %w", ErrSentryOrgUnknown)
	}
	a.Org = org
	a.IssueID = id
	a.Fingerprint = loop.SentryFingerprint(org, id)
	fillLegacyLinks(&a, issueURL, replayID)
	if a.Title == "" {
		a.Title = "Sentry issue " + id
	}
	return []alert.Alert{a}, nil
}

// fillLegacyIssue sets what the legacy payload's top level says of the
// issue over what its event said: project (project_slug, else project),
// culprit, level, and the message as the title when the event gave none.
func fillLegacyIssue(w *walker, root map[string]any, a *alert.Alert) {
	if p := w.str(root["project_slug"], "project_slug"); p != "" {
		a.Project = p
	} else if p := w.str(root["project"], "project"); p != "" {
		a.Project = p
	}
	if c := w.str(root["culprit"], "culprit"); c != "" {
		a.Culprit = c
	}
	if l := w.str(root["level"], "level"); l != "" {
		a.Level = l
	}
	if a.Title == "" {
		a.Title = w.str(root["message"], "message")
	}
}

// fillLegacyLinks sets the web links of a's issue, its event and its
// replay, from the issue's url and a's org and ids.
func fillLegacyLinks(a *alert.Alert, issueURL, replayID string) {
	base := siteOf(issueURL)
	a.IssueURL = issueWebURL(issueURL, base, a.Org, a.IssueID)
	if a.EventURL == "" && a.IssueURL != "" && a.EventID != "" && validID.MatchString(a.EventID) {
		a.EventURL = a.IssueURL + "events/" + a.EventID + "/"
	}
	if replayID != "" {
		a.ReplayURL = replayURL(base, a.Org, replayID)
	}
}

func actor(w *walker, root map[string]any, a *alert.Alert) {
	act := w.obj(root["actor"], "actor")
	a.ActorType = w.str(act["type"], "actor.type")
	a.ActorID = w.str(act["id"], "actor.id")
	a.ActorName = w.str(act["name"], "actor.name")
}

// required reads a required object.
func required(w *walker, m map[string]any, key, path string) map[string]any {
	o := w.obj(m[key], path)
	if o == nil {
		w.fail(path, "missing")
	}
	return o
}

var digits = regexp.MustCompile(`^[0-9]{1,20}$`)

// issueID reads a required numeric issue id (a string or a number).
func issueID(w *walker, v any, path string) string {
	id := strings.TrimSpace(w.str(v, path))
	switch {
	case w.err != nil:
	case id == "":
		w.fail(path, "missing")
	case !digits.MatchString(id):
		w.fail(path, "is %s, want a numeric issue id", short(id))
	}
	return id
}

func decodeIssue(w *walker, root map[string]any, defaultOrg string) alert.Alert {
	a := alert.Alert{Source: alert.Sentry}
	action := w.str(root["action"], "action")
	switch action {
	case "created":
		a.Action = alert.Fired
	case "resolved":
		a.Action = alert.Resolved
	case "unresolved":
		a.Action = alert.Regressed
	case "":
		w.fail("action", "missing")
	default: // assigned, archived, ignored, and actions Sentry adds later
		a.Action = alert.Noted
	}
	actor(w, root, &a)
	data := required(w, root, "data", "data")
	is := required(w, data, "issue", "data.issue")
	const p = "data.issue"
	id := issueID(w, is["id"], p+".id")
	a.IssueID = id
	a.ShortID = w.str(is["shortId"], p+".shortId")
	a.Title = w.str(is["title"], p+".title")
	a.Culprit = w.str(is["culprit"], p+".culprit")
	a.Level = w.str(is["level"], p+".level")
	a.Platform = w.str(is["platform"], p+".platform")
	a.Status = w.str(is["status"], p+".status")
	a.FirstSeen = w.timestamp(is["firstSeen"], p+".firstSeen")
	a.LastSeen = w.timestamp(is["lastSeen"], p+".lastSeen")
	a.Count = w.integer(is["count"], p+".count")
	a.Users = w.integer(is["userCount"], p+".userCount")
	switch proj := is["project"].(type) {
	case map[string]any:
		a.Project = w.str(proj["slug"], p+".project.slug")
		a.ProjectID = projectID(w.str(proj["id"], p+".project.id"))
	default: // inferred: a bare slug
		a.Project = w.str(proj, p+".project")
	}
	md := w.obj(is["metadata"], p+".metadata")
	a.ExceptionType = w.str(md["type"], p+".metadata.type")
	a.ExceptionValue = w.str(md["value"], p+".metadata.value")
	if a.Title == "" {
		a.Title = titleOf(w.str(md["title"], p+".metadata.title"), a.ExceptionType, a.ExceptionValue, "", id)
	}
	webURL := w.str(is["web_url"], p+".web_url")
	permalink := w.str(is["permalink"], p+".permalink")
	apiURL := w.str(is["url"], p+".url")
	projectURL := w.str(is["project_url"], p+".project_url")
	if w.err != nil {
		return a
	}
	org := orgFrom(defaultOrg, webURL, permalink, apiURL, projectURL)
	if org == "" {
		w.errorf("%w", ErrSentryOrgUnknown)
		return a
	}
	a.Org = org
	a.Fingerprint = loop.SentryFingerprint(org, id)
	web := webURL
	if web == "" {
		web = permalink
	}
	a.IssueURL = issueWebURL(web, siteOf(webURL, permalink, apiURL, projectURL), org, id)
	return a
}

func decodeEventResource(w *walker, root map[string]any, key, defaultOrg string) alert.Alert {
	a := alert.Alert{Source: alert.Sentry, Action: alert.Fired}
	actor(w, root, &a)
	data := required(w, root, "data", "data")
	p := "data." + key
	ev := required(w, data, key, p)
	replayID := fillEvent(w, ev, p, &a)
	// The event's "project" is the project's numeric id.
	a.ProjectID = projectID(anyText(ev["project"]))
	webURL := w.str(ev["web_url"], p+".web_url")
	apiURL := w.str(ev["url"], p+".url")
	issueAPI := w.str(ev["issue_url"], p+".issue_url")
	var id string
	if v := ev["issue_id"]; v != nil {
		id = issueID(w, v, p+".issue_id")
	} else if id = issueIDInURL(issueAPI); id == "" {
		if id = issueIDInURL(webURL); id == "" {
			w.fail(p+".issue_id", "missing")
		}
	}
	if w.err != nil {
		return a
	}
	org := orgFrom(defaultOrg, webURL, apiURL, issueAPI)
	if org == "" {
		w.errorf("%w", ErrSentryOrgUnknown)
		return a
	}
	a.Org = org
	a.IssueID = id
	a.Fingerprint = loop.SentryFingerprint(org, id)
	if a.Project == "" {
		a.Project = projectInURL(apiURL)
	}
	base := siteOf(webURL, apiURL, issueAPI)
	a.IssueURL = issueWebURL(webURL, base, org, id)
	if replayID != "" {
		a.ReplayURL = replayURL(base, org, replayID)
	}
	if a.Title == "" {
		a.Title = "Sentry issue " + id
	}
	return a
}

// fillEvent reads a Sentry event (the integration platform's data.event or
// data.error, the legacy plugin's event) into a and returns the replay id,
// if any. It fills:
//
//   - EventID: event_id, else id.
//   - Title: title, else "<type>: <value>", else the message.
//   - ExceptionType, ExceptionValue, Mechanism (mechanism.type), Handled
//     (mechanism.handled) from the last of exception.values, the exception
//     raised (Sentry lists chained exceptions cause first); when there is
//     none, metadata.type/value; when the mechanism says nothing, the
//     "mechanism" and "handled" (yes/no) tags Sentry sets.
//   - Frames from that exception's stacktrace (else the event's own
//     stacktrace): File is abs_path, else filename; Function is function,
//     else raw_function; Module, Line (lineno), Column (colno), InApp.
//   - Culprit, Release (a string, or an object's version), Environment
//     (else the environment tag), Platform, Level (else the level tag).
//   - Tags: [["k","v"], ...], [{"key":..,"value":..}, ...] or {"k":"v"}.
//   - Breadcrumbs: breadcrumbs.values (or a bare list), each with timestamp
//     (float seconds or ISO text), category, type, level, message and data
//     (an object; values that are not strings are written as JSON).
//   - Request: method, url, query_string (a string, [[k,v]] or {k:v}; pairs
//     are URL-encoded into one query string), headers ([[k,v]] or {k:v}).
//     Cookies and the body (request.data) are deliberately not read.
//   - TraceID: contexts.trace.trace_id.
//   - User: id, email, username, ip_address; nil when all are empty.
//   - LastSeen: datetime, else timestamp (the event's time).
//   - EventURL: web_url.
//   - The replay id: contexts.replay.replay_id, else the replayId tag that
//     Sentry's JavaScript SDK sets (inferred).
func fillEvent(w *walker, ev map[string]any, p string, a *alert.Alert) (replayID string) {
	a.EventID = w.str(ev["event_id"], p+".event_id")
	if a.EventID == "" {
		a.EventID = w.str(ev["id"], p+".id")
	}
	a.Culprit = w.str(ev["culprit"], p+".culprit")
	switch r := ev["release"].(type) {
	case map[string]any:
		a.Release = w.str(r["version"], p+".release.version")
	default:
		a.Release = w.str(r, p+".release")
	}
	a.Environment = w.str(ev["environment"], p+".environment")
	a.Platform = w.str(ev["platform"], p+".platform")
	a.Level = w.str(ev["level"], p+".level")
	a.Tags = w.pairs(ev["tags"], p+".tags")
	a.EventURL = w.str(ev["web_url"], p+".web_url")
	a.LastSeen = w.timestamp(ev["datetime"], p+".datetime")
	if a.LastSeen.IsZero() {
		a.LastSeen = w.timestamp(ev["timestamp"], p+".timestamp")
	}

	fillException(w, ev, p, a)
	a.Breadcrumbs = breadcrumbs(w, ev["breadcrumbs"], p+".breadcrumbs")
	a.Request = request(w, ev["request"], p+".request")
	a.User = user(w, ev["user"], p+".user")

	ctx := w.obj(ev["contexts"], p+".contexts")
	trace := w.obj(ctx["trace"], p+".contexts.trace")
	a.TraceID = w.str(trace["trace_id"], p+".contexts.trace.trace_id")
	replay := w.obj(ctx["replay"], p+".contexts.replay")
	replayID = strings.TrimSpace(w.str(replay["replay_id"], p+".contexts.replay.replay_id"))

	if a.Environment == "" {
		a.Environment = a.Tag("environment")
	}
	if a.Level == "" {
		a.Level = a.Tag("level")
	}
	if a.Mechanism == "" {
		a.Mechanism = a.Tag("mechanism")
	}
	if a.Handled == nil {
		switch strings.ToLower(a.Tag("handled")) {
		case "yes", "true":
			a.Handled = boolp(true)
		case "no", "false":
			a.Handled = boolp(false)
		}
	}
	if replayID == "" {
		replayID = strings.TrimSpace(a.Tag("replayId"))
	}
	if !validID.MatchString(replayID) {
		replayID = ""
	}

	a.Title = w.str(ev["title"], p+".title")
	if a.Title == "" {
		a.Title = titleOf("", a.ExceptionType, a.ExceptionValue, message(w, ev, p), "")
	}
	return replayID
}

func boolp(b bool) *bool { return &b }

// validID is what an event or replay id may look like (hex, UUIDs) before
// it is put into a URL.
var validID = regexp.MustCompile(`^[0-9A-Fa-f-]{1,64}$`)

func fillException(w *walker, ev map[string]any, p string, a *alert.Alert) {
	var values []any
	vp := p + ".exception.values"
	switch x := ev["exception"].(type) {
	case nil:
	case map[string]any:
		values = w.list(x["values"], vp)
	case []any: // inferred: older events list the values directly
		values, vp = x, p+".exception"
	default:
		w.fail(p+".exception", "is %s, want an object", kind(x))
	}
	var frames any
	framesPath := ""
	if n := len(values); n > 0 {
		ep := index(vp, n-1)
		ex := w.obj(values[n-1], ep)
		a.ExceptionType = w.str(ex["type"], ep+".type")
		a.ExceptionValue = w.str(ex["value"], ep+".value")
		mech := w.obj(ex["mechanism"], ep+".mechanism")
		a.Mechanism = w.str(mech["type"], ep+".mechanism.type")
		a.Handled = w.boolPtr(mech["handled"], ep+".mechanism.handled")
		st := w.obj(ex["stacktrace"], ep+".stacktrace")
		frames, framesPath = st["frames"], ep+".stacktrace.frames"
	}
	if frames == nil {
		st := w.obj(ev["stacktrace"], p+".stacktrace")
		frames, framesPath = st["frames"], p+".stacktrace.frames"
	}
	for i, f := range w.list(frames, framesPath) {
		fp := index(framesPath, i)
		fr := w.obj(f, fp)
		if fr == nil {
			continue
		}
		file := w.str(fr["abs_path"], fp+".abs_path")
		if file == "" {
			file = w.str(fr["filename"], fp+".filename")
		}
		fn := w.str(fr["function"], fp+".function")
		if fn == "" {
			fn = w.str(fr["raw_function"], fp+".raw_function")
		}
		inApp := w.boolPtr(fr["in_app"], fp+".in_app")
		a.Frames = append(a.Frames, alert.Frame{
			File:     file,
			Function: fn,
			Module:   w.str(fr["module"], fp+".module"),
			Line:     clampInt(w.integer(fr["lineno"], fp+".lineno")),
			Column:   clampInt(w.integer(fr["colno"], fp+".colno")),
			InApp:    inApp != nil && *inApp,
		})
	}
	md := w.obj(ev["metadata"], p+".metadata")
	if a.ExceptionType == "" {
		a.ExceptionType = w.str(md["type"], p+".metadata.type")
	}
	if a.ExceptionValue == "" {
		a.ExceptionValue = w.str(md["value"], p+".metadata.value")
	}
}

func clampInt(n int64) int {
	const maxInt = int64(^uint(0) >> 1)
	switch {
	case n > maxInt:
		return int(maxInt)
	case n < -maxInt:
		return int(-maxInt)
	}
	return int(n)
}

// message is the event's message: a string, or a logentry-like object.
func message(w *walker, ev map[string]any, p string) string {
	for _, key := range []string{"message", "logentry"} {
		switch m := ev[key].(type) {
		case map[string]any:
			if s := w.str(m["formatted"], p+"."+key+".formatted"); s != "" {
				return s
			}
			if s := w.str(m["message"], p+"."+key+".message"); s != "" {
				return s
			}
		default:
			if s := w.str(m, p+"."+key); s != "" {
				return s
			}
		}
	}
	return ""
}

func titleOf(title, typ, value, msg, id string) string {
	switch {
	case title != "":
		return title
	case typ != "" && value != "":
		return typ + ": " + value
	case typ != "":
		return typ
	case value != "":
		return value
	case msg != "":
		return msg
	case id != "":
		return "Sentry issue " + id
	}
	return ""
}

func breadcrumbs(w *walker, v any, p string) []alert.Breadcrumb {
	var items []any
	switch b := v.(type) {
	case nil:
		return nil
	case map[string]any:
		p += ".values"
		items = w.list(b["values"], p)
	case []any:
		items = b
	default:
		w.fail(p, "is %s, want an object", kind(b))
		return nil
	}
	out := make([]alert.Breadcrumb, 0, len(items))
	for i, it := range items {
		bp := index(p, i)
		b := w.obj(it, bp)
		if b == nil {
			continue
		}
		crumb := alert.Breadcrumb{
			Time:     w.timestamp(b["timestamp"], bp+".timestamp"),
			Category: w.str(b["category"], bp+".category"),
			Type:     w.str(b["type"], bp+".type"),
			Level:    w.str(b["level"], bp+".level"),
			Message:  w.str(b["message"], bp+".message"),
		}
		if d := w.obj(b["data"], bp+".data"); len(d) > 0 {
			keys := make([]string, 0, len(d))
			for k := range d {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				crumb.Data = append(crumb.Data, alert.Tag{Key: k, Value: anyText(d[k])})
			}
		}
		out = append(out, crumb)
	}
	return out
}

func request(w *walker, v any, p string) *alert.Request {
	rq := w.obj(v, p)
	if rq == nil {
		return nil
	}
	r := &alert.Request{
		Method:  w.str(rq["method"], p+".method"),
		URL:     w.str(rq["url"], p+".url"),
		Headers: w.pairs(rq["headers"], p+".headers"),
	}
	switch q := rq["query_string"].(type) {
	case string:
		r.Query = strings.TrimPrefix(q, "?")
	default:
		var b strings.Builder
		for _, kv := range w.pairs(q, p+".query_string") {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(url.QueryEscape(kv.Key))
			b.WriteByte('=')
			b.WriteString(url.QueryEscape(kv.Value))
		}
		r.Query = b.String()
	}
	if r.Method == "" && r.URL == "" && r.Query == "" && len(r.Headers) == 0 {
		return nil
	}
	return r
}

func user(w *walker, v any, p string) *alert.User {
	u := w.obj(v, p)
	if u == nil {
		return nil
	}
	out := &alert.User{
		ID:       w.str(u["id"], p+".id"),
		Email:    w.str(u["email"], p+".email"),
		Username: w.str(u["username"], p+".username"),
		IP:       w.str(u["ip_address"], p+".ip_address"),
	}
	if *out == (alert.User{}) {
		return nil
	}
	return out
}

// --- Sentry URLs ---

var slug = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,49}$`)

// hostsNotOrgs are sentry.io subdomains that are not organizations.
var hostsNotOrgs = map[string]bool{"www": true, "us": true, "de": true, "eu": true, "api": true, "docs": true, "ingest": true}

func parseHTTP(raw string) *url.URL {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil
	}
	return u
}

func isSentryIO(host string) bool {
	host = strings.ToLower(host)
	return host == "sentry.io" || strings.HasSuffix(host, ".sentry.io")
}

func segments(u *url.URL) []string { return strings.Split(strings.Trim(u.Path, "/"), "/") }

// orgInURL reads the org slug from a Sentry URL, "" if it names none.
func orgInURL(raw string) string {
	u := parseHTTP(raw)
	if u == nil {
		return ""
	}
	s := segments(u)
	var org string
	switch {
	case len(s) >= 2 && s[0] == "organizations":
		org = s[1]
	case len(s) >= 4 && s[0] == "api" && s[1] == "0" && (s[2] == "projects" || s[2] == "organizations"):
		org = s[3]
	default:
		host := strings.ToLower(u.Hostname())
		if sub, ok := strings.CutSuffix(host, ".sentry.io"); ok && !strings.Contains(sub, ".") && !hostsNotOrgs[sub] {
			org = sub
		}
	}
	if !slug.MatchString(org) {
		return ""
	}
	return org
}

// orgFrom is the first org named by one of the URLs, else defaultOrg.
func orgFrom(defaultOrg string, urls ...string) string {
	for _, u := range urls {
		if org := orgInURL(u); org != "" {
			return org
		}
	}
	return strings.TrimSpace(defaultOrg)
}

// projectInURL reads the project slug from an API URL
// /api/0/projects/<org>/<project>/...
func projectInURL(raw string) string {
	u := parseHTTP(raw)
	if u == nil {
		return ""
	}
	s := segments(u)
	if len(s) >= 5 && s[0] == "api" && s[1] == "0" && s[2] == "projects" && slug.MatchString(s[4]) {
		return s[4]
	}
	return ""
}

// issueIDInURL reads the issue id from a URL with /issues/<id>/ in its path.
func issueIDInURL(raw string) string {
	u := parseHTTP(raw)
	if u == nil {
		return ""
	}
	s := segments(u)
	for i := 0; i+1 < len(s); i++ {
		if s[i] == "issues" && digits.MatchString(s[i+1]) {
			return s[i+1]
		}
	}
	return ""
}

// siteOf is the Sentry the first usable URL points at, nil if none does.
func siteOf(urls ...string) *url.URL {
	for _, raw := range urls {
		if u := parseHTTP(raw); u != nil {
			return &url.URL{Scheme: u.Scheme, Host: u.Host}
		}
	}
	return nil
}

// issueWebURL is the issue's web link: web (a web URL of the issue or of
// one of its events) cut after /issues/<id>/, else one built on base.
func issueWebURL(web string, base *url.URL, org, id string) string {
	if u := parseHTTP(web); u != nil {
		s := segments(u)
		for i := 0; i+1 < len(s); i++ {
			if s[i] == "issues" && s[i+1] == id && (i == 0 || s[0] == "organizations") {
				return u.Scheme + "://" + u.Host + "/" + strings.Join(s[:i+2], "/") + "/"
			}
		}
	}
	return siteURL(base, org, "issues/"+id+"/")
}

func replayURL(base *url.URL, org, id string) string {
	return siteURL(base, org, "replays/"+id+"/")
}

// siteURL builds a web link to rest in org: https://<org>.sentry.io/<rest>
// on sentry.io (and when base is unknown), <base>/organizations/<org>/<rest>
// on a self-hosted Sentry.
// It is "" when org is not a slug (a misconfigured default org).
func siteURL(base *url.URL, org, rest string) string {
	if !slug.MatchString(org) {
		return ""
	}
	if base == nil || isSentryIO(base.Hostname()) {
		return "https://" + org + ".sentry.io/" + rest
	}
	return base.Scheme + "://" + base.Host + "/organizations/" + org + "/" + rest
}

// projectID is s when it is a numeric id, else "": a project id that is
// not one is not kept, so nothing builds a request from it.
func projectID(s string) string {
	if loop.ID(s).Numeric() {
		return s
	}
	return ""
}
