package webhook

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/alert"
	"github.com/fixproof/fixproof/internal/contract"
	"github.com/fixproof/fixproof/internal/loop"
)

// example reads one of Sentry's example payloads from the shared
// contracts, skipping the test when they are absent.
func example(t *testing.T, name string) []byte {
	t.Helper()
	dir := contract.Require(t)
	b, err := os.ReadFile(filepath.Join(dir, "sentry", "webhooks", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

// sentryExample is what one example payload must decode to. Only the
// fields set are compared; check, when set, looks at the rest.
type sentryExample struct {
	file     string
	resource string // "" for the legacy plugin
	org      string // defaultOrg passed

	none        bool // no alerts
	fingerprint string
	action      alert.Action
	title       string
	excType     string
	excValue    string
	wantOrg     string
	project     string
	issueURL    string
	check       func(t *testing.T, a alert.Alert)
}

var sentryExamples = []sentryExample{
	{
		file: "issue.created.json", resource: "issue", org: "acme",
		fingerprint: "sentry:acme:1170820242", action: alert.Fired,
		title: "ReferenceError: blooopy is not defined", excType: "ReferenceError", excValue: "blooopy is not defined",
		wantOrg: "acme", project: "front-end",
		// The example has no URL: the link is built for sentry.io.
		issueURL: "https://acme.sentry.io/issues/1170820242/",
		check: func(t *testing.T, a alert.Alert) {
			want := alert.Alert{
				Source: alert.Sentry, Fingerprint: "sentry:acme:1170820242", Action: alert.Fired,
				ActorType: "application", ActorID: "sentry", ActorName: "Sentry",
				Org: "acme", Project: "front-end", ProjectID: "1",
				Title: "ReferenceError: blooopy is not defined", ExceptionType: "ReferenceError", ExceptionValue: "blooopy is not defined",
				Culprit: "?(runner)", Platform: "javascript", Level: "error",
				FirstSeen: ts("2019-08-19T20:58:37.391Z"), LastSeen: ts("2019-08-19T20:58:37.391Z"),
				Count: 1, Users: 1,
				IssueID: "1170820242", ShortID: "FRONT-END-9",
				IssueURL: "https://acme.sentry.io/issues/1170820242/",
				Status:   "unresolved",
			}
			if !reflect.DeepEqual(a, want) {
				t.Errorf("got  %+v\nwant %+v", a, want)
			}
		},
	},
	{
		file: "event_alert.triggered.json", resource: "event_alert", org: "acme",
		// The payload's org (from web_url) wins over the default.
		fingerprint: "sentry:test-org:1117540176", action: alert.Fired,
		title: "ReferenceError: heck is not defined", excType: "ReferenceError", excValue: "heck is not defined",
		wantOrg: "test-org", project: "front-end",
		issueURL: "https://sentry.io/organizations/test-org/issues/1117540176/",
		check: func(t *testing.T, a alert.Alert) {
			checkEvent(t, a, "e4874d664c3540c1a32eab185f12c5ab", "?(<anonymous>)", ts("2019-08-19T21:06:17.677Z"))
			if len(a.Frames) != 3 {
				t.Fatalf("frames: %+v", a.Frames)
			}
			if f := a.Frames[0]; f != (alert.Frame{File: "https://static.jsbin.com/js/prod/runner-4.1.7.min.js", Module: "prod/runner-4.1.7", Line: 1, Column: 10866}) {
				t.Errorf("first frame %+v", f)
			}
			if f := a.Frames[2]; f != (alert.Frame{File: "<anonymous>", Line: 3, Column: 5}) {
				t.Errorf("crashing frame %+v", f)
			}
		},
	},
	{
		file: "error.created.json", resource: "error", org: "",
		fingerprint: "sentry:test-org:1170820242", action: alert.Fired,
		title: "ReferenceError: blooopy is not defined", excType: "ReferenceError", excValue: "blooopy is not defined",
		wantOrg: "test-org", project: "front-end",
		issueURL: "https://sentry.io/organizations/test-org/issues/1170820242/",
		check: func(t *testing.T, a alert.Alert) {
			checkEvent(t, a, "bb78c1407cea4519aa397afc059c793d", "?(runner)", ts("2019-08-19T20:58:37.391Z"))
			want := []alert.Frame{{File: "https://null.jsbin.com/runner", Module: "runner", Line: 3, Column: 5}}
			if !reflect.DeepEqual(a.Frames, want) {
				t.Errorf("frames %+v", a.Frames)
			}
		},
	},
	{file: "comment.created.json", resource: "comment", org: "acme", none: true},
	{file: "installation.created.json", resource: "installation", org: "acme", none: true},
	{file: "metric_alert.resolved.json", resource: "metric_alert", org: "acme", none: true},
	{
		file: "legacy-webhooks-plugin.json", org: "acme",
		fingerprint: "sentry:meredith:1385042923", action: alert.Fired,
		title: "ReferenceError: hello is not defined", excType: "ReferenceError", excValue: "hello is not defined",
		wantOrg: "meredith", project: "meow",
		issueURL: "https://sentry.io/organizations/meredith/issues/1385042923/",
		check: func(t *testing.T, a alert.Alert) {
			if a.EventID != "af17d39f6a5d4c19ae5a735043a3bd97" ||
				a.EventURL != "https://sentry.io/organizations/meredith/issues/1385042923/events/af17d39f6a5d4c19ae5a735043a3bd97/" {
				t.Errorf("event %q %q", a.EventID, a.EventURL)
			}
			if a.Culprit != "?(runner)" || a.Level != "error" || a.Platform != "javascript" || a.IssueID != "1385042923" {
				t.Errorf("culprit %q level %q platform %q issue %q", a.Culprit, a.Level, a.Platform, a.IssueID)
			}
			if a.Mechanism != "onerror" || a.Handled == nil || *a.Handled {
				t.Errorf("mechanism %q handled %v", a.Mechanism, a.Handled)
			}
			if a.User == nil || *a.User != (alert.User{IP: "38.140.60.234"}) {
				t.Errorf("user %+v", a.User)
			}
			if got := a.Tag("sentry:user"); got != "ip:38.140.60.234" || len(a.Tags) != 9 {
				t.Errorf("tags %+v", a.Tags)
			}
			if want := time.Unix(1576778299, 836607000).UTC(); !a.LastSeen.Equal(want) {
				t.Errorf("last seen %v, want %v", a.LastSeen, want)
			}
			if len(a.Frames) != 1 || a.Frames[0].File != "https://null.jsbin.com/runner" {
				t.Errorf("frames %+v", a.Frames)
			}
			if a.Request == nil || a.Request.URL != "https://null.jsbin.com/runner" || len(a.Request.Headers) != 1 {
				t.Errorf("request %+v", a.Request)
			}
		},
	},
}

// checkEvent checks what the two integration-platform event examples have
// in common.
func checkEvent(t *testing.T, a alert.Alert, eventID, culprit string, at time.Time) {
	t.Helper()
	if a.ActorType != "application" || a.ActorID != "sentry" || a.ActorName != "Sentry" {
		t.Errorf("actor %q %q %q", a.ActorType, a.ActorID, a.ActorName)
	}
	if a.EventID != eventID || !strings.HasSuffix(a.EventURL, "/events/"+eventID+"/") {
		t.Errorf("event %q %q", a.EventID, a.EventURL)
	}
	if a.ProjectID != "1" {
		t.Errorf("project id %q, want the event's \"project\": 1", a.ProjectID)
	}
	if a.Culprit != culprit || a.Level != "error" || a.Platform != "javascript" || a.Release != "" {
		t.Errorf("culprit %q level %q platform %q release %q", a.Culprit, a.Level, a.Platform, a.Release)
	}
	if a.Mechanism != "onerror" || a.Handled == nil || *a.Handled {
		t.Errorf("mechanism %q handled %v", a.Mechanism, a.Handled)
	}
	if !a.LastSeen.Equal(at) {
		t.Errorf("last seen %v, want %v", a.LastSeen, at)
	}
	if len(a.Tags) != 9 || a.Tag("browser") != "Chrome 75.0.3770" || a.Tag("user") != "ip:162.217.75.90" {
		t.Errorf("tags %+v", a.Tags)
	}
	if a.Request == nil || a.Request.URL != "https://null.jsbin.com/runner" || a.Request.Method != "" || a.Request.Query != "" ||
		len(a.Request.Headers) != 1 || a.Request.Headers[0].Key != "User-Agent" {
		t.Errorf("request %+v", a.Request)
	}
	if a.User == nil || *a.User != (alert.User{IP: "162.218.85.90"}) {
		t.Errorf("user %+v", a.User)
	}
	if a.ReplayURL != "" || a.TraceID != "" || len(a.Breadcrumbs) != 0 {
		t.Errorf("replay %q trace %q breadcrumbs %v", a.ReplayURL, a.TraceID, a.Breadcrumbs)
	}
}

func decodeExample(resource string, body []byte, org string) ([]alert.Alert, error) {
	if resource == "" {
		return DecodeSentryLegacy(body, org)
	}
	return DecodeSentry(resource, body, org)
}

func TestDecodeSentryExamples(t *testing.T) {
	for _, tt := range sentryExamples {
		t.Run(tt.file, func(t *testing.T) {
			got, err := decodeExample(tt.resource, example(t, tt.file), tt.org)
			if err != nil {
				t.Fatal(err)
			}
			if tt.none {
				if len(got) != 0 {
					t.Errorf("got %d alerts, want none: %+v", len(got), got)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("got %d alerts, want 1", len(got))
			}
			a := got[0]
			if a.Source != alert.Sentry || string(a.Fingerprint) != tt.fingerprint || a.Action != tt.action {
				t.Errorf("source %q fingerprint %q action %q; want sentry %q %q", a.Source, a.Fingerprint, a.Action, tt.fingerprint, tt.action)
			}
			if a.Title != tt.title || a.ExceptionType != tt.excType || a.ExceptionValue != tt.excValue {
				t.Errorf("title %q exception %q %q; want %q %q %q", a.Title, a.ExceptionType, a.ExceptionValue, tt.title, tt.excType, tt.excValue)
			}
			if a.Org != tt.wantOrg || a.Project != tt.project || a.IssueURL != tt.issueURL {
				t.Errorf("org %q project %q issue URL %q; want %q %q %q", a.Org, a.Project, a.IssueURL, tt.wantOrg, tt.project, tt.issueURL)
			}
			if tt.check != nil {
				tt.check(t, a)
			}
		})
	}
}

// TestEveryExampleIsTested notices a new example payload in the contracts.
func TestEveryExampleIsTested(t *testing.T) {
	dir := contract.Require(t)
	files, err := filepath.Glob(filepath.Join(dir, "sentry", "webhooks", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	tested := map[string]bool{}
	for _, e := range sentryExamples {
		tested[e.file] = true
	}
	for _, f := range files {
		if !tested[filepath.Base(f)] {
			t.Errorf("example %s has no row in sentryExamples", filepath.Base(f))
		}
	}
	if len(files) == 0 {
		t.Error("no example payloads found")
	}
}

// withJSON decodes body, lets edit change it and encodes it again.
func withJSON(t *testing.T, body []byte, edit func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func dig(m map[string]any, keys ...string) map[string]any {
	for _, k := range keys {
		m = m[k].(map[string]any)
	}
	return m
}

func TestDecodeSentryIssueActions(t *testing.T) {
	body := example(t, "issue.created.json")
	for action, want := range map[string]alert.Action{
		"created":    alert.Fired,
		"resolved":   alert.Resolved,
		"unresolved": alert.Regressed,
		"assigned":   alert.Noted,
		"archived":   alert.Noted,
		"ignored":    alert.Noted,
		"something":  alert.Noted,
	} {
		b := withJSON(t, body, func(m map[string]any) { m["action"] = action })
		got, err := DecodeSentry("issue", b, "acme")
		if err != nil {
			t.Errorf("%s: %v", action, err)
			continue
		}
		if len(got) != 1 || got[0].Action != want || got[0].Fingerprint != "sentry:acme:1170820242" {
			t.Errorf("%s: %+v, want action %s", action, got, want)
		}
	}
}

func TestDecodeSentryIssueOrgFromPayload(t *testing.T) {
	body := example(t, "issue.created.json")
	for _, tt := range []struct {
		key, url, org, issueURL string
	}{
		{"web_url", "https://acme-eu.sentry.io/issues/1170820242/", "acme-eu", "https://acme-eu.sentry.io/issues/1170820242/"},
		{"web_url", "https://sentry.io/organizations/other/issues/1170820242/?project=1", "other", "https://sentry.io/organizations/other/issues/1170820242/"},
		{"permalink", "https://perm.sentry.io/issues/1170820242/", "perm", "https://perm.sentry.io/issues/1170820242/"},
		{"project_url", "https://sentry.io/api/0/projects/proj-org/front-end/", "proj-org", "https://proj-org.sentry.io/issues/1170820242/"},
		// Self-hosted: the org in the path, links built on its host.
		{"url", "https://sentry.example.com/api/0/organizations/ops/issues/1170820242/", "ops", "https://sentry.example.com/organizations/ops/issues/1170820242/"},
		// A region host is not an org: the default applies.
		{"web_url", "https://us.sentry.io/issues/1170820242/", "dflt", "https://us.sentry.io/issues/1170820242/"},
	} {
		b := withJSON(t, body, func(m map[string]any) { dig(m, "data", "issue")[tt.key] = tt.url })
		got, err := DecodeSentry("issue", b, "dflt")
		if err != nil {
			t.Errorf("%s: %v", tt.url, err)
			continue
		}
		if a := got[0]; a.Org != tt.org || a.Fingerprint != loop.SentryFingerprint(tt.org, "1170820242") || a.IssueURL != tt.issueURL {
			t.Errorf("%s=%s: org %q fp %q url %q; want %q %q", tt.key, tt.url, a.Org, a.Fingerprint, a.IssueURL, tt.org, tt.issueURL)
		}
	}
}

func TestDecodeSentryIssueLenientTypes(t *testing.T) {
	body := example(t, "issue.created.json")
	b := withJSON(t, body, func(m map[string]any) {
		is := dig(m, "data", "issue")
		is["id"] = 1170820242 // a number
		is["count"] = 12345   // a number, not a string
		is["userCount"] = "7" // a string
		is["firstSeen"] = 1566248317.391
		is["lastSeen"] = "2019-08-19T20:58:37.391" // no zone
		m["actor"] = map[string]any{"type": "user", "id": 1, "name": "colleen"}
	})
	got, err := DecodeSentry("issue", b, "acme")
	if err != nil {
		t.Fatal(err)
	}
	a := got[0]
	if a.IssueID != "1170820242" || a.Count != 12345 || a.Users != 7 || a.ActorID != "1" || a.ActorType != "user" {
		t.Errorf("%+v", a)
	}
	if want := ts("2019-08-19T20:58:37.391Z"); !a.FirstSeen.Equal(want) || !a.LastSeen.Equal(want) {
		t.Errorf("seen %v %v", a.FirstSeen, a.LastSeen)
	}
}

func TestDecodeSentryEventVariants(t *testing.T) {
	const replay = "a1b2c3d4e5f60718293a4b5c6d7e8f90"
	body := []byte(`{
	  "action": "created",
	  "actor": {"type": "application", "id": "sentry", "name": "Sentry"},
	  "data": {"error": {
	    "event_id": "0123456789abcdef0123456789abcdef",
	    "issue_id": 42,
	    "environment": "production",
	    "release": "web@1.2.3",
	    "platform": "go",
	    "level": "fatal",
	    "culprit": "main.handler",
	    "web_url": "https://acme.sentry.io/issues/42/events/0123456789abcdef0123456789abcdef/",
	    "url": "https://sentry.io/api/0/projects/acme/api/events/0123456789abcdef0123456789abcdef/",
	    "tags": [{"key": "server_name", "value": "web-1"}, {"key": "handled", "value": "no"}],
	    "exception": {"values": [
	      {"type": "*fs.PathError", "value": "open /etc/x: no such file"},
	      {"type": "*errors.errorString", "value": "wrapped: open /etc/x: no such file",
	       "mechanism": {"type": "generic", "handled": true},
	       "stacktrace": {"frames": [
	         {"filename": "main.go", "function": "main", "module": "main", "lineno": "12", "in_app": true},
	         {"abs_path": "/src/app/handler.go", "filename": "handler.go", "function": "handler", "lineno": 40, "colno": null, "in_app": null}
	       ]}}
	    ]},
	    "breadcrumbs": {"values": [
	      {"timestamp": 1700000000.5, "category": "http", "type": "http", "level": "info", "data": {"url": "/a", "status_code": 500, "ok": false}},
	      {"timestamp": "2023-11-14T22:13:21.25Z", "category": "console", "message": "hello"},
	      {"timestamp": 1700000002500, "category": "ms"}
	    ]},
	    "request": {"method": "POST", "url": "https://api.example.com/x",
	      "query_string": [["q", "a b"], ["page", "2"]],
	      "headers": {"User-Agent": "curl/8", "Accept": "*/*"}},
	    "contexts": {"trace": {"trace_id": "abcdef0123456789abcdef0123456789"}, "replay": {"replay_id": "` + replay + `"}},
	    "user": {"id": 99, "email": "jane@example.com", "username": "jane", "ip_address": "10.0.0.1"}
	  }}
	}`)
	got, err := DecodeSentry("Error", body, "")
	if err != nil {
		t.Fatal(err)
	}
	a := got[0]
	if a.Fingerprint != "sentry:acme:42" || a.Project != "api" || a.Title != "*errors.errorString: wrapped: open /etc/x: no such file" {
		t.Errorf("fp %q project %q title %q", a.Fingerprint, a.Project, a.Title)
	}
	// The last exception is the one raised; its mechanism beats the tag.
	if a.ExceptionType != "*errors.errorString" || a.Mechanism != "generic" || a.Handled == nil || !*a.Handled {
		t.Errorf("exception %q mechanism %q handled %v", a.ExceptionType, a.Mechanism, a.Handled)
	}
	wantFrames := []alert.Frame{
		{File: "main.go", Function: "main", Module: "main", Line: 12, InApp: true},
		{File: "/src/app/handler.go", Function: "handler", Line: 40},
	}
	if !reflect.DeepEqual(a.Frames, wantFrames) {
		t.Errorf("frames %+v", a.Frames)
	}
	if a.Environment != "production" || a.Release != "web@1.2.3" || a.Level != "fatal" || a.Platform != "go" || a.Culprit != "main.handler" {
		t.Errorf("%+v", a)
	}
	if a.TraceID != "abcdef0123456789abcdef0123456789" || a.ReplayURL != "https://acme.sentry.io/replays/"+replay+"/" {
		t.Errorf("trace %q replay %q", a.TraceID, a.ReplayURL)
	}
	if a.IssueURL != "https://acme.sentry.io/issues/42/" {
		t.Errorf("issue URL %q", a.IssueURL)
	}
	wantCrumbs := []alert.Breadcrumb{
		{Time: time.Unix(1700000000, 500000000).UTC(), Category: "http", Type: "http", Level: "info",
			Data: []alert.Tag{{Key: "ok", Value: "false"}, {Key: "status_code", Value: "500"}, {Key: "url", Value: "/a"}}},
		{Time: ts("2023-11-14T22:13:21.25Z"), Category: "console", Message: "hello"},
		{Time: time.Unix(1700000002, 500000000).UTC(), Category: "ms"},
	}
	if !reflect.DeepEqual(a.Breadcrumbs, wantCrumbs) {
		t.Errorf("breadcrumbs\n got %+v\nwant %+v", a.Breadcrumbs, wantCrumbs)
	}
	wantReq := &alert.Request{Method: "POST", URL: "https://api.example.com/x", Query: "q=a+b&page=2",
		Headers: []alert.Tag{{Key: "Accept", Value: "*/*"}, {Key: "User-Agent", Value: "curl/8"}}}
	if !reflect.DeepEqual(a.Request, wantReq) {
		t.Errorf("request %+v", a.Request)
	}
	if a.User == nil || *a.User != (alert.User{ID: "99", Email: "jane@example.com", Username: "jane", IP: "10.0.0.1"}) {
		t.Errorf("user %+v", a.User)
	}
}

func TestDecodeSentrySelfHostedReplay(t *testing.T) {
	body := []byte(`{"action":"triggered","data":{"event":{
	  "issue_url": "https://sentry.example.com/api/0/issues/7/",
	  "title": "boom", "tags": [["replayId", "0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f"]],
	  "request": {"query_string": "?a=1"}
	}}}`)
	got, err := DecodeSentry("event_alert", body, "ops")
	if err != nil {
		t.Fatal(err)
	}
	a := got[0]
	if a.Fingerprint != "sentry:ops:7" || a.IssueID != "7" || a.Title != "boom" {
		t.Errorf("%+v", a)
	}
	if a.IssueURL != "https://sentry.example.com/organizations/ops/issues/7/" ||
		a.ReplayURL != "https://sentry.example.com/organizations/ops/replays/0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f/" {
		t.Errorf("issue %q replay %q", a.IssueURL, a.ReplayURL)
	}
	if a.Request == nil || a.Request.Query != "a=1" {
		t.Errorf("request %+v", a.Request)
	}
}

func TestDecodeSentryErrors(t *testing.T) {
	issue := func(issueJSON string) string {
		return `{"action":"created","data":{"issue":` + issueJSON + `}}`
	}
	event := func(key, eventJSON string) string {
		return `{"action":"created","data":{"` + key + `":` + eventJSON + `}}`
	}
	const okIssue = `{"id":"1","title":"t","web_url":"https://acme.sentry.io/issues/1/"}`
	for _, tt := range []struct {
		name, resource, body, org, want string
	}{
		{"no resource", "", `{}`, "acme", "Sentry-Hook-Resource header missing"},
		{"empty body", "issue", ``, "acme", "empty body"},
		{"not JSON", "issue", `{"action":`, "acme", "invalid JSON"},
		{"trailing data", "issue", issue(okIssue) + `{}`, "acme", "data after the top-level value"},
		{"not an object", "issue", `[1,2]`, "acme", "body is a list, want a JSON object"},
		{"garbage for an ignored resource", "installation", `nope`, "acme", "invalid JSON"},
		{"no data", "issue", `{"action":"created"}`, "acme", "data: missing"},
		{"no issue", "issue", `{"action":"created","data":{}}`, "acme", "data.issue: missing"},
		{"issue is a list", "issue", `{"action":"created","data":{"issue":[]}}`, "acme", "data.issue: is a list, want an object"},
		{"no issue id", "issue", issue(`{"title":"t"}`), "acme", "data.issue.id: missing"},
		{"issue id not numeric", "issue", issue(`{"id":"abc"}`), "acme", `data.issue.id: is "abc", want a numeric issue id`},
		{"issue id an object", "issue", issue(`{"id":{}}`), "acme", "data.issue.id: is an object, want a string"},
		{"no action", "issue", `{"data":{"issue":` + okIssue + `}}`, "acme", "action: missing"},
		{"count not a number", "issue", issue(`{"id":"1","count":"many"}`), "acme", `data.issue.count: is "many", want a number`},
		{"bad firstSeen", "issue", issue(`{"id":"1","firstSeen":"yesterday"}`), "acme", "data.issue.firstSeen"},
		{"org unknown", "issue", issue(`{"id":"1"}`), "", "sentry org unknown: set sentry.org in the config"},
		{"event without issue id", "error", event("error", `{"title":"x"}`), "acme", "data.error.issue_id: missing"},
		{"event missing", "event_alert", event("error", `{"issue_id":"1"}`), "acme", "data.event: missing"},
		{"tags malformed", "event_alert", event("event", `{"issue_id":"1","tags":[["a"]]}`), "acme", "data.event.tags[0]: has 1 elements"},
		{"tags a string", "event_alert", event("event", `{"issue_id":"1","tags":"a=b"}`), "acme", "data.event.tags: is a string"},
		{"frames not a list", "error", event("error", `{"issue_id":"1","exception":{"values":[{"stacktrace":{"frames":{}}}]}}`), "acme", "data.error.exception.values[0].stacktrace.frames: is an object, want a list"},
		{"breadcrumb data a list", "error", event("error", `{"issue_id":"1","breadcrumbs":{"values":[{"data":[1]}]}}`), "acme", "data.error.breadcrumbs.values[0].data: is a list"},
		{"handled not a boolean", "error", event("error", `{"issue_id":"1","exception":{"values":[{"mechanism":{"handled":"maybe"}}]}}`), "acme", "mechanism.handled"},
		{"event org unknown", "error", event("error", `{"issue_id":"1"}`), "", "sentry org unknown"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeSentry(tt.resource, []byte(tt.body), tt.org)
			if err == nil {
				t.Fatalf("no error, got %+v", got)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to contain %q", err, tt.want)
			}
			if got != nil {
				t.Errorf("alerts with the error: %+v", got)
			}
		})
	}
	_, err := DecodeSentry("issue", []byte(issue(`{"id":"1"}`)), "")
	if !errors.Is(err, ErrSentryOrgUnknown) {
		t.Errorf("err %v is not ErrSentryOrgUnknown", err)
	}
}

func TestDecodeSentryLegacyErrors(t *testing.T) {
	for _, tt := range []struct{ body, org, want string }{
		{`{`, "acme", "invalid JSON"},
		{`{"event":{}}`, "acme", "id: missing"},
		{`{"id":"x1"}`, "acme", `id: is "x1", want a numeric issue id`},
		{`{"id":"1","event":[]}`, "acme", "event: is a list"},
		{`{"id":"1"}`, "", "sentry org unknown"},
	} {
		if _, err := DecodeSentryLegacy([]byte(tt.body), tt.org); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want %q", tt.body, err, tt.want)
		}
	}
	got, err := DecodeSentryLegacy([]byte(`{"id":"5","message":"it broke","project":"web"}`), "acme")
	if err != nil {
		t.Fatal(err)
	}
	if a := got[0]; a.Fingerprint != "sentry:acme:5" || a.Title != "it broke" || a.Project != "web" ||
		a.IssueURL != "https://acme.sentry.io/issues/5/" || a.Action != alert.Fired {
		t.Errorf("%+v", a)
	}
}

// TestDecodeSentryLegacyLinks: the legacy payload has no event web link,
// so one is made from the issue's only when the event names itself with a
// valid id and has none of its own; the top level names the project.
func TestDecodeSentryLegacyLinks(t *testing.T) {
	const issue = "https://acme.sentry.io/issues/5/"
	for _, tt := range []struct {
		name, body        string
		eventURL, project string
	}{
		{"made from the issue's link", `{"id":"5","url":"` + issue + `?referrer=webhooks_plugin","event":{"event_id":"ab12"}}`, issue + "events/ab12/", ""},
		{"the event's own link kept", `{"id":"5","event":{"event_id":"ab12","web_url":"https://acme.sentry.io/issues/5/events/x/"}}`, "https://acme.sentry.io/issues/5/events/x/", ""},
		{"no event id", `{"id":"5","event":{}}`, "", ""},
		{"invalid event id", `{"id":"5","event":{"event_id":"a/b"}}`, "", ""},
		{"no issue link for an org that is no slug", `{"id":"5","event":{"event_id":"ab12"}}`, "", ""},
		{"project_slug over project", `{"id":"5","project_slug":"web","project":"42"}`, "", "web"},
		{"project when there is no slug", `{"id":"5","project":"42"}`, "", "42"},
	} {
		org := "acme"
		if strings.Contains(tt.name, "no slug") {
			org = "Not A Slug"
		}
		got, err := DecodeSentryLegacy([]byte(tt.body), org)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if a := got[0]; a.EventURL != tt.eventURL || a.Project != tt.project {
			t.Errorf("%s: event URL %q project %q, want %q %q", tt.name, a.EventURL, a.Project, tt.eventURL, tt.project)
		}
	}
}
