package jirasim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/sim"
)

// tick is a clock that advances a second every time it is read.
type tick struct {
	mu sync.Mutex
	t  time.Time
}

func (c *tick) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Second)
	return c.t
}

type client struct {
	t    *testing.T
	base string
	auth func(*http.Request)
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request. A string body is sent verbatim as JSON text; any
// other non-nil body is marshalled.
func (c *client) do(method, path string, body any) response {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, ok := body.(string)
		if !ok {
			raw, err := json.Marshal(body)
			if err != nil {
				c.t.Fatal(err)
			}
			b = string(raw)
		}
		rd = strings.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.auth != nil {
		c.auth(req)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return response{res.StatusCode, res.Header, b}
}

// want sends a request, checks the status and decodes the JSON reply.
func (c *client) want(status int, method, path string, body any) any {
	c.t.Helper()
	r := c.do(method, path, body)
	if r.status != status {
		c.t.Fatalf("%s %s: status %d, want %d; body %s", method, path, r.status, status, r.body)
	}
	if len(r.body) == 0 {
		return nil
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		c.t.Errorf("%s %s: Content-Type %q", method, path, ct)
	}
	var v any
	if err := json.Unmarshal(r.body, &v); err != nil {
		c.t.Fatalf("%s %s: body is not JSON: %v: %s", method, path, err, r.body)
	}
	return v
}

func obj(t *testing.T, v any) map[string]any {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("not a JSON object: %#v", v)
	}
	return m
}

func list(t *testing.T, v any) []any {
	t.Helper()
	l, ok := v.([]any)
	if !ok {
		t.Fatalf("not a JSON array: %#v", v)
	}
	return l
}

// errorMessages checks v is Jira's ErrorCollection and returns its parts.
func errorMessages(t *testing.T, v any) ([]string, map[string]string) {
	t.Helper()
	m := obj(t, v)
	raw, _ := json.Marshal(m)
	var ec struct {
		ErrorMessages []string          `json:"errorMessages"`
		Errors        map[string]string `json:"errors"`
	}
	if err := json.Unmarshal(raw, &ec); err != nil || ec.ErrorMessages == nil || ec.Errors == nil || len(m) != 2 {
		t.Fatalf("not an ErrorCollection: %s", raw)
	}
	return ec.ErrorMessages, ec.Errors
}

const (
	email    = "bot@example.com"
	apiToken = "api-token"
	pat      = "personal-access-token"
)

func newServer(t *testing.T, flavor Flavor, issues ...string) (*Server, *client) {
	t.Helper()
	clk := &tick{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	srv := New(Options{Flavor: flavor, Email: email, APIToken: apiToken, PAT: pat, Now: clk.Now})
	srv.AddProject("OPS", "Operations", DefaultWorkflow())
	for _, k := range issues {
		if err := srv.AddIssue(k, "Summary of "+k, ""); err != nil {
			t.Fatal(err)
		}
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	c := &client{t: t, base: ts.URL}
	if flavor == Cloud {
		c.auth = func(r *http.Request) { r.SetBasicAuth(email, apiToken) }
	} else {
		c.auth = func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+pat) }
	}
	return srv, c
}

func adfDoc(text string) map[string]any {
	return map[string]any{"type": "doc", "version": 1, "content": []any{
		map[string]any{"type": "paragraph", "content": []any{map[string]any{"type": "text", "text": text}}},
	}}
}

func TestAuth(t *testing.T) {
	basic := func(u, p string) func(*http.Request) { return func(r *http.Request) { r.SetBasicAuth(u, p) } }
	bearer := func(tok string) func(*http.Request) {
		return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
	}
	tests := []struct {
		name   string
		flavor Flavor
		auth   func(*http.Request)
		path   string
		want   int
	}{
		{"cloud ok v3", Cloud, basic(email, apiToken), "/rest/api/3/myself", 200},
		{"cloud ok v2", Cloud, basic(email, apiToken), "/rest/api/2/myself", 200},
		{"cloud none", Cloud, nil, "/rest/api/3/myself", 401},
		{"cloud wrong token", Cloud, basic(email, "nope"), "/rest/api/3/myself", 401},
		{"cloud wrong email", Cloud, basic("x@example.com", apiToken), "/rest/api/3/myself", 401},
		{"cloud bearer", Cloud, bearer(apiToken), "/rest/api/3/myself", 401},
		{"cloud none unknown route", Cloud, nil, "/rest/api/3/nope", 401},
		{"dc ok", DataCenter, bearer(pat), "/rest/api/2/myself", 200},
		{"dc v3 is absent", DataCenter, bearer(pat), "/rest/api/3/myself", 404},
		{"dc none", DataCenter, nil, "/rest/api/2/myself", 401},
		{"dc wrong pat", DataCenter, bearer("nope"), "/rest/api/2/myself", 401},
		{"dc basic", DataCenter, basic("fixproof", pat), "/rest/api/2/myself", 401},
		{"unknown version", Cloud, basic(email, apiToken), "/rest/api/4/myself", 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, c := newServer(t, tt.flavor)
			c.auth = tt.auth
			v := c.want(tt.want, "GET", tt.path, nil)
			if tt.want == 401 {
				msgs, _ := errorMessages(t, v)
				if len(msgs) != 1 || !strings.Contains(msgs[0], "uthenticat") {
					t.Errorf("401 body: %v", msgs)
				}
			}
		})
	}
}

func TestMyselfAndServerInfo(t *testing.T) {
	_, cloud := newServer(t, Cloud)
	me := obj(t, cloud.want(200, "GET", "/rest/api/3/myself", nil))
	if me["accountId"] == nil || me["emailAddress"] != email || me["accountType"] != "atlassian" {
		t.Errorf("cloud myself: %v", me)
	}
	info := obj(t, cloud.want(200, "GET", "/rest/api/3/serverInfo", nil))
	if info["deploymentType"] != "Cloud" || info["baseUrl"] != cloud.base || info["version"] == nil {
		t.Errorf("cloud serverInfo: %v", info)
	}

	_, dc := newServer(t, DataCenter)
	me = obj(t, dc.want(200, "GET", "/rest/api/2/myself", nil))
	if me["name"] == nil || me["key"] == nil || me["accountId"] != nil {
		t.Errorf("dc myself: %v", me)
	}
	info = obj(t, dc.want(200, "GET", "/rest/api/2/serverInfo", nil))
	if info["deploymentType"] != "Server" || info["baseUrl"] != dc.base {
		t.Errorf("dc serverInfo: %v", info)
	}
}

func TestUnknownRoute(t *testing.T) {
	_, c := newServer(t, Cloud, "OPS-1")
	for _, p := range []string{"/rest/api/3/nope", "/", "/rest/api/3/issue/OPS-1/worklog", "/rest/agile/1.0/board"} {
		v := c.want(404, "GET", p, nil)
		if msgs, _ := errorMessages(t, v); len(msgs) != 1 {
			t.Errorf("%s: %v", p, msgs)
		}
	}
	// A known path with an unsupported method is not found either.
	c.want(404, "PATCH", "/rest/api/3/issue/OPS-1", map[string]any{})
}

func TestOldSearchIsGoneOnCloud(t *testing.T) {
	_, c := newServer(t, Cloud, "OPS-1")
	for _, v := range []string{"2", "3"} {
		for _, m := range []string{"GET", "POST"} {
			var body any
			if m == "POST" {
				body = map[string]any{"jql": "project = OPS"}
			}
			got := c.want(410, m, "/rest/api/"+v+"/search?jql=project%3DOPS", body)
			msgs, _ := errorMessages(t, got)
			if len(msgs) != 1 || msgs[0] != removedSearch {
				t.Errorf("%s v%s: %v", m, v, msgs)
			}
		}
	}
	// Data Center has no enhanced search.
	_, dc := newServer(t, DataCenter, "OPS-1")
	dc.want(404, "POST", "/rest/api/2/search/jql", map[string]any{"jql": "project = OPS"})
	dc.want(404, "GET", "/rest/api/2/search/jql?jql=project%3DOPS", nil)
}

func issueKeys(t *testing.T, issues any) []string {
	t.Helper()
	var keys []string
	for _, is := range list(t, issues) {
		k, _ := obj(t, is)["key"].(string)
		keys = append(keys, k)
	}
	return keys
}

func TestSearchJQLCloud(t *testing.T) {
	var keys []string
	for i := 1; i <= 120; i++ {
		keys = append(keys, fmt.Sprintf("OPS-%d", i))
	}
	srv, c := newServer(t, Cloud, keys...)

	// Default fields: ids only.
	res := obj(t, c.want(200, "POST", "/rest/api/3/search/jql", map[string]any{"jql": "key = OPS-7"}))
	issues := list(t, res["issues"])
	if len(issues) != 1 || !reflect.DeepEqual(issues[0], map[string]any{"id": "10006"}) || res["isLast"] != true {
		t.Errorf("id-only search: %v", res)
	}
	if _, ok := res["nextPageToken"]; ok {
		t.Errorf("last page has a nextPageToken: %v", res)
	}

	// Requested fields, and the self link names the request's host.
	res = obj(t, c.want(200, "POST", "/rest/api/3/search/jql",
		map[string]any{"jql": "key = OPS-7", "fields": []string{"summary", "status", "key"}}))
	is := obj(t, list(t, res["issues"])[0])
	f := obj(t, is["fields"])
	st := obj(t, f["status"])
	cat := obj(t, st["statusCategory"])
	if is["key"] != "OPS-7" || is["self"] != c.base+"/rest/api/3/issue/10006" || f["summary"] != "Summary of OPS-7" ||
		st["name"] != "Open" || cat["key"] != "new" || cat["colorName"] != "blue-gray" || cat["id"] != float64(2) {
		t.Errorf("fields search: %v", is)
	}
	if _, ok := f["labels"]; ok {
		t.Errorf("unrequested field returned: %v", f)
	}

	// Paging with nextPageToken, in ORDER BY key DESC order.
	var got []string
	tok := ""
	pages := 0
	for {
		body := map[string]any{"jql": "project = OPS ORDER BY key DESC", "fields": []string{"key"}, "maxResults": 50}
		if tok != "" {
			body["nextPageToken"] = tok
		}
		res := obj(t, c.want(200, "POST", "/rest/api/3/search/jql", body))
		got = append(got, issueKeys(t, res["issues"])...)
		pages++
		next, hasNext := res["nextPageToken"].(string)
		if res["isLast"] == true {
			if hasNext {
				t.Errorf("last page has nextPageToken")
			}
			break
		}
		if !hasNext || pages > 5 {
			t.Fatalf("page %d: isLast false without nextPageToken: %v", pages, res)
		}
		tok = next
	}
	if pages != 3 || len(got) != 120 || got[0] != "OPS-120" || got[119] != "OPS-1" {
		t.Errorf("paging: %d pages, %d issues, first %v last %v", pages, len(got), got[0], got[len(got)-1])
	}

	// GET form; maxResults is capped at 100 when fields beyond id/key are asked for.
	res = obj(t, c.want(200, "GET", "/rest/api/3/search/jql?jql=project%20%3D%20OPS&fields=summary,status&maxResults=500", nil))
	if n := len(list(t, res["issues"])); n != 100 || res["isLast"] != false {
		t.Errorf("capped page: %d issues, isLast %v", n, res["isLast"])
	}
	res = obj(t, c.want(200, "GET", "/rest/api/3/search/jql?jql=project%20%3D%20OPS&fields=key&maxResults=500", nil))
	if n := len(list(t, res["issues"])); n != 120 || res["isLast"] != true {
		t.Errorf("key-only page: %d issues", n)
	}

	// Cloud's v2 enhanced search renders descriptions as strings.
	c.want(204, "PUT", "/rest/api/3/issue/OPS-1", map[string]any{"fields": map[string]any{"description": adfDoc("broken")}})
	res = obj(t, c.want(200, "POST", "/rest/api/2/search/jql", map[string]any{"jql": "key = OPS-1", "fields": []string{"*all"}}))
	if d := obj(t, obj(t, list(t, res["issues"])[0])["fields"])["description"]; d != "broken" {
		t.Errorf("v2 description: %#v", d)
	}

	// Properties requested in the search.
	c.want(201, "PUT", "/rest/api/3/issue/OPS-2/properties/fixproof", map[string]any{"sha": "abc"})
	res = obj(t, c.want(200, "POST", "/rest/api/3/search/jql",
		map[string]any{"jql": "key in (OPS-2, OPS-3)", "properties": []string{"fixproof"}, "fields": []string{"key"}}))
	is = obj(t, list(t, res["issues"])[0])
	if !reflect.DeepEqual(is["properties"], map[string]any{"fixproof": map[string]any{"sha": "abc"}}) {
		t.Errorf("properties: %v", is)
	}

	// Bad requests.
	for _, tt := range []struct {
		body any
		want string
	}{
		{map[string]any{"jql": ""}, "Unbounded JQL queries are not allowed here."},
		{map[string]any{"jql": "ORDER BY key"}, "Unbounded JQL queries are not allowed here."},
		{map[string]any{"jql": "project = OPS", "startAt": 50}, "Invalid request payload."},
		{map[string]any{"jql": "project = OPS", "expand": []string{"names"}}, "Invalid request payload."},
		{map[string]any{"jql": "project = OPS", "nextPageToken": "garbage!"}, "next page token"},
		{map[string]any{"jql": "project = OPS OR project = X"}, "Error in the JQL Query: jirasim does not support OR."},
	} {
		msgs, _ := errorMessages(t, c.want(400, "POST", "/rest/api/3/search/jql", tt.body))
		if len(msgs) != 1 || !strings.Contains(msgs[0], tt.want) {
			t.Errorf("%v: %v, want %q", tt.body, msgs, tt.want)
		}
	}
	if srv.Control.Count("POST /rest/api/3/search/jql") == 0 {
		t.Errorf("Control did not count requests: %v", srv.Control.Routes())
	}
}

func TestSearchMissingValuesFailTheQuery(t *testing.T) {
	_, c := newServer(t, Cloud, "OPS-1", "OPS-2")
	tests := []struct {
		jql  string
		want []string
	}{
		{`key in (OPS-1, OPS-9, "ops-10")`, []string{
			"An issue with key 'OPS-9' does not exist for field 'key'.",
			"An issue with key 'ops-10' does not exist for field 'key'."}},
		{`issuekey = OPS-404 AND key = NOPE-1`, []string{
			"An issue with key 'OPS-404' does not exist for field 'issuekey'.",
			"An issue with key 'NOPE-1' does not exist for field 'key'."}},
		{`key = banana`, []string{"The issue key 'banana' for field 'key' is invalid."}},
		{`project = NOPE`, []string{"The value 'NOPE' does not exist for the field 'project'."}},
		{`status = "Triage" AND statusCategory = Limbo`, []string{
			"The value 'Triage' does not exist for the field 'status'.",
			"The value 'Limbo' does not exist for the field 'statusCategory'."}},
	}
	for _, tt := range tests {
		msgs, _ := errorMessages(t, c.want(400, "POST", "/rest/api/3/search/jql", map[string]any{"jql": tt.jql}))
		if !reflect.DeepEqual(msgs, tt.want) {
			t.Errorf("%s:\n got %q\nwant %q", tt.jql, msgs, tt.want)
		}
	}
	// Stripping the missing keys makes the query work.
	res := obj(t, c.want(200, "POST", "/rest/api/3/search/jql", map[string]any{"jql": "key in (OPS-1, ops-2)", "fields": []string{"key"}}))
	if got := issueKeys(t, res["issues"]); !reflect.DeepEqual(got, []string{"OPS-1", "OPS-2"}) {
		t.Errorf("stripped query: %v", got)
	}
}

func TestJQLSemantics(t *testing.T) {
	srv, c := newServer(t, Cloud, "OPS-1", "OPS-2", "OPS-3", "OPS-4")
	srv.AddProject("WEB", "Web", DefaultWorkflow())
	if err := srv.AddIssue("WEB-1", "web", "In Review"); err != nil {
		t.Fatal(err)
	}
	c.want(204, "PUT", "/rest/api/3/issue/OPS-1", map[string]any{"fields": map[string]any{"labels": []string{"fixproof", "backend"}}})
	c.want(204, "PUT", "/rest/api/3/issue/OPS-2", map[string]any{"fields": map[string]any{"labels": []string{"frontend"}}})
	c.want(204, "POST", "/rest/api/3/issue/OPS-3/transitions", map[string]any{"transition": map[string]any{"id": "81"}})
	tests := []struct {
		jql  string
		want []string
	}{
		{`project = OPS`, []string{"OPS-1", "OPS-2", "OPS-3", "OPS-4"}},
		{`project in (ops, "Web")`, []string{"OPS-1", "OPS-2", "OPS-3", "OPS-4", "WEB-1"}},
		{`project not in (OPS)`, []string{"WEB-1"}},
		{`id = 10001`, []string{"OPS-2"}},
		{`labels = FIXPROOF`, []string{"OPS-1"}},
		{`labels in (backend, frontend)`, []string{"OPS-1", "OPS-2"}},
		{`labels != fixproof`, []string{"OPS-2"}}, // never matches issues without labels
		{`labels not in (frontend)`, []string{"OPS-1"}},
		{`project = OPS AND labels is EMPTY`, []string{"OPS-3", "OPS-4"}},
		{`labels is not EMPTY`, []string{"OPS-1", "OPS-2"}},
		{`project = OPS AND labels in (frontend, EMPTY)`, []string{"OPS-2", "OPS-3", "OPS-4"}},
		{`status = "in review"`, []string{"WEB-1"}},
		{`status in (Open, "Won't Do") AND project = OPS`, []string{"OPS-1", "OPS-2", "OPS-3", "OPS-4"}},
		{`status = 10003`, []string{"OPS-3"}},
		{`statusCategory = Done`, []string{"OPS-3"}},
		{`statusCategory != done AND statusCategory != "To Do"`, []string{"WEB-1"}},
		{`statusCategory = indeterminate`, []string{"WEB-1"}},
		{`statusCategory in (2)`, []string{"OPS-1", "OPS-2", "OPS-4"}},
		{`key != OPS-1 and project = OPS`, []string{"OPS-2", "OPS-3", "OPS-4"}},
		{`project = OPS ORDER BY key DESC`, []string{"OPS-4", "OPS-3", "OPS-2", "OPS-1"}},
		{`key in (WEB-1, OPS-2) ORDER BY key`, []string{"OPS-2", "WEB-1"}},
		{`key in (WEB-1, OPS-2)`, []string{"OPS-2", "WEB-1"}},
		{`key in (OPS-4, OPS-1, OPS-3) ORDER BY created DESC`, []string{"OPS-4", "OPS-3", "OPS-1"}},
		// OPS-3 was transitioned last, OPS-1 and OPS-2 edited before it.
		{`project = OPS ORDER BY updated DESC`, []string{"OPS-3", "OPS-2", "OPS-1", "OPS-4"}},
	}
	for _, tt := range tests {
		res := obj(t, c.want(200, "POST", "/rest/api/3/search/jql", map[string]any{"jql": tt.jql, "fields": []string{"key"}}))
		if got := issueKeys(t, res["issues"]); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.jql, got, tt.want)
		}
	}
}

func TestSearchDataCenter(t *testing.T) {
	_, c := newServer(t, DataCenter, "OPS-1", "OPS-2", "OPS-3", "OPS-4", "OPS-5")
	c.want(204, "PUT", "/rest/api/2/issue/OPS-3", map[string]any{"fields": map[string]any{"description": "It crashes."}})
	res := obj(t, c.want(200, "GET", "/rest/api/2/search?jql=project%3DOPS&startAt=2&maxResults=2", nil))
	if res["total"] != float64(5) || res["startAt"] != float64(2) || res["maxResults"] != float64(2) {
		t.Errorf("dc search page: %v", res)
	}
	if got := issueKeys(t, res["issues"]); !reflect.DeepEqual(got, []string{"OPS-3", "OPS-4"}) {
		t.Errorf("dc page keys: %v", got)
	}
	// Default fields: all navigable ones.
	f := obj(t, obj(t, list(t, res["issues"])[0])["fields"])
	for _, name := range []string{"summary", "status", "labels", "project", "issuetype", "description", "created", "updated"} {
		if _, ok := f[name]; !ok {
			t.Errorf("dc default fields lack %s: %v", name, f)
		}
	}
	if f["description"] != "It crashes." {
		t.Errorf("dc description: %#v", f["description"])
	}
	res = obj(t, c.want(200, "POST", "/rest/api/2/search",
		map[string]any{"jql": "key in (OPS-5, OPS-1) ORDER BY key DESC", "startAt": 0, "maxResults": 10, "fields": []string{"status"}, "validateQuery": "strict"}))
	if got := issueKeys(t, res["issues"]); !reflect.DeepEqual(got, []string{"OPS-5", "OPS-1"}) || res["total"] != float64(2) {
		t.Errorf("dc POST: %v", res)
	}
	f = obj(t, obj(t, list(t, res["issues"])[0])["fields"])
	if _, ok := f["summary"]; ok || f["status"] == nil {
		t.Errorf("dc fields=status: %v", f)
	}
	// maxResults=0 counts without returning issues.
	res = obj(t, c.want(200, "GET", "/rest/api/2/search?jql=project%3DOPS&maxResults=0", nil))
	if res["total"] != float64(5) || len(list(t, res["issues"])) != 0 {
		t.Errorf("dc count: %v", res)
	}
	// Strict validation fails on a missing key; warn drops it with a warning.
	msgs, _ := errorMessages(t, c.want(400, "GET", "/rest/api/2/search?jql=key+in+(OPS-1,OPS-77)", nil))
	if !reflect.DeepEqual(msgs, []string{"An issue with key 'OPS-77' does not exist for field 'key'."}) {
		t.Errorf("dc strict: %v", msgs)
	}
	res = obj(t, c.want(200, "POST", "/rest/api/2/search", map[string]any{"jql": "key in (OPS-1,OPS-77)", "validateQuery": false}))
	if got := issueKeys(t, res["issues"]); !reflect.DeepEqual(got, []string{"OPS-1"}) ||
		!reflect.DeepEqual(res["warningMessages"], []any{"An issue with key 'OPS-77' does not exist for field 'key'."}) {
		t.Errorf("dc warn: %v", res)
	}
	c.want(400, "POST", "/rest/api/2/search", map[string]any{"jql": "project = OPS", "nextPageToken": "x"})
}

func TestGetIssue(t *testing.T) {
	_, c := newServer(t, Cloud, "OPS-1")
	is := obj(t, c.want(200, "GET", "/rest/api/3/issue/OPS-1", nil))
	f := obj(t, is["fields"])
	if is["id"] != "10000" || is["key"] != "OPS-1" || is["self"] != c.base+"/rest/api/3/issue/10000" {
		t.Errorf("issue: %v", is)
	}
	proj := obj(t, f["project"])
	it := obj(t, f["issuetype"])
	if proj["key"] != "OPS" || proj["name"] != "Operations" || proj["self"] != c.base+"/rest/api/3/project/10000" ||
		it["subtask"] != false || f["labels"] == nil || f["created"] != "2025-03-01T12:00:01.000+0000" {
		t.Errorf("fields: %v", f)
	}
	if d, ok := f["description"]; ok {
		t.Errorf("unset description returned: %#v", d)
	}
	// By id, lower-case key, and v2 self links.
	c.want(200, "GET", "/rest/api/3/issue/10000", nil)
	is = obj(t, c.want(200, "GET", "/rest/api/2/issue/ops-1?fields=summary,-status", nil))
	f = obj(t, is["fields"])
	if is["self"] != c.base+"/rest/api/2/issue/10000" || len(f) != 1 || f["summary"] == nil {
		t.Errorf("v2 issue with fields: %v", is)
	}
	msgs, _ := errorMessages(t, c.want(404, "GET", "/rest/api/3/issue/OPS-2", nil))
	if !reflect.DeepEqual(msgs, []string{"Issue does not exist or you do not have permission to see it."}) {
		t.Errorf("404: %v", msgs)
	}
	// Properties are returned when asked for.
	c.want(201, "PUT", "/rest/api/3/issue/OPS-1/properties/a", `1`)
	c.want(201, "PUT", "/rest/api/3/issue/OPS-1/properties/b", `"two"`)
	is = obj(t, c.want(200, "GET", "/rest/api/3/issue/OPS-1?properties=b,missing&fields=summary", nil))
	if !reflect.DeepEqual(is["properties"], map[string]any{"b": "two"}) {
		t.Errorf("properties: %v", is["properties"])
	}
}

func TestEditIssue(t *testing.T) {
	srv, c := newServer(t, Cloud, "OPS-1")
	before, _ := srv.Issue("OPS-1")
	c.want(204, "PUT", "/rest/api/3/issue/OPS-1", map[string]any{"update": map[string]any{
		"labels": []any{map[string]any{"add": "fixproof"}, map[string]any{"add": "pr-12"}, map[string]any{"add": "fixproof"}},
	}})
	c.want(204, "PUT", "/rest/api/3/issue/OPS-1", map[string]any{"update": map[string]any{
		"labels": []any{map[string]any{"remove": "pr-12"}, map[string]any{"add": "awaiting-sentry"}, map[string]any{"remove": "absent"}},
	}})
	is, _ := srv.Issue("OPS-1")
	if !reflect.DeepEqual(is.Labels, []string{"awaiting-sentry", "fixproof"}) || !is.Updated.After(before.Updated) {
		t.Errorf("labels after update: %v (updated %v -> %v)", is.Labels, before.Updated, is.Updated)
	}
	c.want(204, "PUT", "/rest/api/3/issue/OPS-1", map[string]any{"update": map[string]any{
		"labels": []any{map[string]any{"set": []string{"z", "a"}}},
	}})
	c.want(204, "PUT", "/rest/api/3/issue/OPS-1", map[string]any{"fields": map[string]any{"summary": "New summary", "labels": []string{"only"}}})
	is, _ = srv.Issue("OPS-1")
	if !reflect.DeepEqual(is.Labels, []string{"only"}) || is.Summary != "New summary" {
		t.Errorf("after fields: %+v", is)
	}
	// A no-op edit does not touch updated.
	c.want(204, "PUT", "/rest/api/3/issue/OPS-1", map[string]any{"fields": map[string]any{"labels": []string{"only"}}})
	if again, _ := srv.Issue("OPS-1"); !again.Updated.Equal(is.Updated) {
		t.Errorf("no-op edit bumped updated")
	}
	// Description per version.
	c.want(204, "PUT", "/rest/api/2/issue/OPS-1", map[string]any{"fields": map[string]any{"description": "line one\nline two"}})
	d := obj(t, obj(t, c.want(200, "GET", "/rest/api/3/issue/OPS-1?fields=description", nil))["fields"])["description"]
	if obj(t, d)["type"] != "doc" || len(list(t, obj(t, d)["content"])) != 2 {
		t.Errorf("v3 rendering of a v2 description: %v", d)
	}

	for _, tt := range []struct {
		path  string
		body  any
		field string
		want  string
	}{
		{"/rest/api/3/issue/OPS-1", map[string]any{"fields": map[string]any{"labels": []string{"has space"}}}, "labels", "The label 'has space' contains spaces which is invalid."},
		{"/rest/api/3/issue/OPS-1", map[string]any{"update": map[string]any{"labels": []any{map[string]any{"add": "a b"}}}}, "labels", "contains spaces"},
		{"/rest/api/3/issue/OPS-1", map[string]any{"fields": map[string]any{"assignee": map[string]any{"accountId": "x"}}}, "assignee", "Field 'assignee' cannot be set. It is not on the appropriate screen, or unknown."},
		{"/rest/api/3/issue/OPS-1", map[string]any{"fields": map[string]any{"summary": " "}}, "summary", "You must specify a summary of the issue."},
		{"/rest/api/3/issue/OPS-1", map[string]any{"fields": map[string]any{"description": "plain"}}, "description", "Operation value must be an Atlassian Document"},
		{"/rest/api/2/issue/OPS-1", map[string]any{"fields": map[string]any{"description": adfDoc("x")}}, "description", "Operation value must be a string"},
		{"/rest/api/3/issue/OPS-1", map[string]any{"fields": map[string]any{"labels": []string{"a"}}, "update": map[string]any{"labels": []any{map[string]any{"add": "b"}}}}, "labels", "both"},
	} {
		_, errs := errorMessages(t, c.want(400, "PUT", tt.path, tt.body))
		if !strings.Contains(errs[tt.field], tt.want) {
			t.Errorf("%v: errors %v, want %s: %q", tt.body, errs, tt.field, tt.want)
		}
	}
	if is, _ := srv.Issue("OPS-1"); !reflect.DeepEqual(is.Labels, []string{"only"}) {
		t.Errorf("a rejected edit changed labels: %v", is.Labels)
	}
	c.want(404, "PUT", "/rest/api/3/issue/OPS-9", map[string]any{"fields": map[string]any{"summary": "x"}})
	// Bodies must be JSON.
	r := c.do("PUT", "/rest/api/3/issue/OPS-1", nil)
	if r.status != 415 {
		t.Errorf("PUT without a JSON body: %d", r.status)
	}
	c.want(400, "PUT", "/rest/api/3/issue/OPS-1", `{"fields":`)
}

func transitionIDs(t *testing.T, v any) []string {
	t.Helper()
	var ids []string
	for _, tr := range list(t, obj(t, v)["transitions"]) {
		ids = append(ids, obj(t, tr)["id"].(string))
	}
	return ids
}

func TestTransitions(t *testing.T) {
	srv, c := newServer(t, Cloud, "OPS-1")
	v := c.want(200, "GET", "/rest/api/3/issue/OPS-1/transitions", nil)
	if got := transitionIDs(t, v); !reflect.DeepEqual(got, []string{"11", "81"}) {
		t.Errorf("from Open: %v", got)
	}
	tr := obj(t, list(t, obj(t, v)["transitions"])[0])
	to := obj(t, tr["to"])
	if tr["name"] != "Start progress" || to["name"] != "In Progress" || to["id"] != "3" || tr["isGlobal"] != false ||
		tr["hasScreen"] != false || tr["isAvailable"] != true || obj(t, to["statusCategory"])["key"] != "indeterminate" {
		t.Errorf("transition: %v", tr)
	}

	// No shortcut from Open to In Review or Done.
	for _, id := range []string{"31", "51", "999"} {
		msgs, _ := errorMessages(t, c.want(400, "POST", "/rest/api/3/issue/OPS-1/transitions",
			map[string]any{"transition": map[string]any{"id": id}}))
		if !reflect.DeepEqual(msgs, []string{"Transition id '" + id + "' is not valid for this issue."}) {
			t.Errorf("invalid transition %s: %v", id, msgs)
		}
	}
	for _, body := range []any{map[string]any{}, map[string]any{"transition": map[string]any{}}, map[string]any{"transition": map[string]any{"id": ""}}} {
		c.want(400, "POST", "/rest/api/3/issue/OPS-1/transitions", body)
	}
	before, _ := srv.Issue("OPS-1")

	// Walk: Start progress, Submit for review (fields/update ignored), Done.
	c.want(204, "POST", "/rest/api/3/issue/OPS-1/transitions", map[string]any{"transition": map[string]any{"id": "11"}})
	c.want(204, "POST", "/rest/api/2/issue/OPS-1/transitions", map[string]any{
		"transition": map[string]any{"id": "31"},
		"fields":     map[string]any{"resolution": map[string]any{"name": "Fixed"}},
		"update":     map[string]any{"comment": []any{map[string]any{"add": map[string]any{"body": "x"}}}},
	})
	if got := transitionIDs(t, c.want(200, "GET", "/rest/api/3/issue/OPS-1/transitions", nil)); !reflect.DeepEqual(got, []string{"41", "51"}) {
		t.Errorf("from In Review: %v", got)
	}
	c.want(204, "POST", "/rest/api/3/issue/OPS-1/transitions", `{"transition":{"id":51}}`)
	is, _ := srv.Issue("OPS-1")
	if is.Status != "Done" || !reflect.DeepEqual(is.History, []string{"Open", "In Progress", "In Review", "Done"}) || !is.Updated.After(before.Updated) {
		t.Errorf("after walk: %+v", is)
	}
	f := obj(t, obj(t, c.want(200, "GET", "/rest/api/3/issue/OPS-1?fields=status", nil))["fields"])
	if obj(t, obj(t, f["status"])["statusCategory"])["colorName"] != "green" {
		t.Errorf("status: %v", f)
	}
	c.want(404, "GET", "/rest/api/3/issue/OPS-2/transitions", nil)
	c.want(404, "POST", "/rest/api/3/issue/OPS-2/transitions", map[string]any{"transition": map[string]any{"id": "11"}})
}

func TestGlobalTransitions(t *testing.T) {
	clk := &tick{}
	srv := New(Options{Flavor: DataCenter, PAT: pat, Now: clk.Now})
	srv.AddProject("KAN", "Kanban", Workflow{
		Statuses: []Status{{Name: "To Do", Category: "new"}, {Name: "Doing", Category: "indeterminate"}, {Name: "Done", Category: "done"}},
		Transitions: []Transition{
			{ID: "1", Name: "Any to Doing", To: "Doing"},
			{ID: "2", Name: "Any to Done", To: "done"},
			{ID: "3", Name: "Loop", From: []string{"Doing"}, To: "Doing"},
		},
	})
	if err := srv.AddIssue("KAN-3", "x", "doing"); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	c := &client{t: t, base: ts.URL, auth: func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+pat) }}
	v := c.want(200, "GET", "/rest/api/2/issue/KAN-3/transitions", nil)
	if got := transitionIDs(t, v); !reflect.DeepEqual(got, []string{"2"}) {
		t.Errorf("from Doing: %v", got)
	}
	if tr := obj(t, list(t, obj(t, v)["transitions"])[0]); tr["isGlobal"] != true || obj(t, tr["to"])["self"] == nil {
		t.Errorf("global transition: %v", tr)
	}
	c.want(204, "POST", "/rest/api/2/issue/KAN-3/transitions", map[string]any{"transition": map[string]any{"id": "2"}})
	if got := transitionIDs(t, c.want(200, "GET", "/rest/api/2/issue/KAN-3/transitions", nil)); !reflect.DeepEqual(got, []string{"1"}) {
		t.Errorf("from Done: %v", got)
	}
	is, _ := srv.Issue("KAN-3")
	if !reflect.DeepEqual(is.History, []string{"Doing", "Done"}) {
		t.Errorf("history: %v", is.History)
	}
}

func TestAddProjectAndIssueErrors(t *testing.T) {
	srv := New(Options{})
	srv.AddProject("OPS", "Ops", DefaultWorkflow())
	if err := srv.AddIssue("OPS-1", "x", ""); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ key, status string }{
		{"OPS-1", ""}, {"ops-1", ""}, {"NOPE-1", ""}, {"OPS-2", "Triage"}, {"OPS", ""}, {"OPS-0", ""}, {"OPS-01", ""}, {"OPS-x", ""}, {"-1", ""},
	} {
		if err := srv.AddIssue(tt.key, "x", tt.status); err == nil {
			t.Errorf("AddIssue(%q, %q) succeeded", tt.key, tt.status)
		}
	}
	if err := srv.AddIssue("ops-2", "x", "in review"); err != nil {
		t.Fatal(err)
	}
	is, ok := srv.Issue("OPS-2")
	if !ok || is.Key != "OPS-2" || is.Status != "In Review" || !reflect.DeepEqual(is.History, []string{"In Review"}) {
		t.Errorf("OPS-2: %+v", is)
	}
	if _, ok := srv.Issue("OPS-3"); ok {
		t.Errorf("Issue(OPS-3) found")
	}
	for name, wf := range map[string]Workflow{
		"no statuses":    {},
		"bad category":   {Statuses: []Status{{Name: "A", Category: "open"}}},
		"unknown to":     {Statuses: []Status{{Name: "A", Category: "new"}}, Transitions: []Transition{{ID: "1", To: "B"}}},
		"unknown from":   {Statuses: []Status{{Name: "A", Category: "new"}}, Transitions: []Transition{{ID: "1", From: []string{"B"}, To: "A"}}},
		"duplicate id":   {Statuses: []Status{{Name: "A", Category: "new"}}, Transitions: []Transition{{ID: "1", To: "A"}, {ID: "1", To: "A"}}},
		"duplicate name": {Statuses: []Status{{Name: "A", Category: "new"}, {Name: "a", Category: "done"}}},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("AddProject with %s did not panic", name)
				}
			}()
			srv.AddProject("X"+strings.ReplaceAll(strings.ToUpper(name), " ", ""), "x", wf)
		}()
	}
}

func TestSnapshotIsACopy(t *testing.T) {
	srv, c := newServer(t, Cloud, "OPS-1")
	c.want(204, "PUT", "/rest/api/3/issue/OPS-1", map[string]any{"fields": map[string]any{"labels": []string{"a"}}})
	c.want(201, "PUT", "/rest/api/3/issue/OPS-1/properties/p", `{"x":1}`)
	is, _ := srv.Issue("OPS-1")
	is.Labels[0] = "changed"
	is.History[0] = "changed"
	is.Properties["p"][2] = 'y'
	again, _ := srv.Issue("OPS-1")
	if again.Labels[0] != "a" || again.History[0] != "Open" || string(again.Properties["p"]) != `{"x":1}` {
		t.Errorf("snapshot shares memory with the server: %+v", again)
	}
}

func TestCommentBodyFormat(t *testing.T) {
	srv, cloud := newServer(t, Cloud, "OPS-1")
	invalid := map[string]string{"comment": "Comment body is not valid!"}
	empty := map[string]string{"comment": "Comment body can not be empty!"}
	// An object that is not a valid ADF document is refused as a whole,
	// naming no field: Jira Cloud's INVALID_INPUT.
	invalidInput := map[string]string{"": "INVALID_INPUT"}
	tests := []struct {
		name string
		path string
		body any
		want map[string]string // nil: accepted
	}{
		{"v3 adf", "/rest/api/3", map[string]any{"body": adfDoc("hello")}, nil},
		{"v3 string", "/rest/api/3", map[string]any{"body": "hello"}, invalid},
		{"v3 array", "/rest/api/3", map[string]any{"body": []any{adfDoc("hello")}}, invalid},
		{"v3 not doc", "/rest/api/3", map[string]any{"body": map[string]any{"type": "paragraph", "version": 1, "content": []any{}}}, invalidInput},
		{"v3 no version", "/rest/api/3", map[string]any{"body": map[string]any{"type": "doc", "content": adfDoc("x")["content"]}}, invalidInput},
		{"v3 no content", "/rest/api/3", map[string]any{"body": map[string]any{"type": "doc", "version": 1}}, invalidInput},
		{"v3 node without type", "/rest/api/3", map[string]any{"body": map[string]any{"type": "doc", "version": 1, "content": []any{map[string]any{"content": []any{}}}}}, invalidInput},
		{"v3 text without text", "/rest/api/3", map[string]any{"body": map[string]any{"type": "doc", "version": 1, "content": []any{
			map[string]any{"type": "paragraph", "content": []any{map[string]any{"type": "text"}}}}}}, invalidInput},
		{"v3 bad marks", "/rest/api/3", map[string]any{"body": map[string]any{"type": "doc", "version": 1, "content": []any{
			map[string]any{"type": "paragraph", "content": []any{map[string]any{"type": "text", "text": "x", "marks": []any{"strong"}}}}}}}, invalidInput},
		{"v3 text at the top level", "/rest/api/3", map[string]any{"body": map[string]any{"type": "doc", "version": 1, "content": []any{
			map[string]any{"type": "text", "text": "x"}}}}, invalidInput},
		{"v3 unknown node", "/rest/api/3", map[string]any{"body": map[string]any{"type": "doc", "version": 1, "content": []any{
			map[string]any{"type": "marquee", "content": []any{map[string]any{"type": "text", "text": "x"}}}}}}, invalidInput},
		{"v3 unknown mark", "/rest/api/3", map[string]any{"body": map[string]any{"type": "doc", "version": 1, "content": []any{
			map[string]any{"type": "paragraph", "content": []any{map[string]any{"type": "text", "text": "x", "marks": []any{map[string]any{"type": "blink"}}}}}}}}, invalidInput},
		{"v3 link without href", "/rest/api/3", map[string]any{"body": map[string]any{"type": "doc", "version": 1, "content": []any{
			map[string]any{"type": "paragraph", "content": []any{map[string]any{"type": "text", "text": "x", "marks": []any{map[string]any{"type": "link", "attrs": map[string]any{}}}}}}}}}, invalidInput},
		{"v3 heading without level", "/rest/api/3", map[string]any{"body": map[string]any{"type": "doc", "version": 1, "content": []any{
			map[string]any{"type": "heading", "content": []any{map[string]any{"type": "text", "text": "x"}}}}}}, invalidInput},
		{"v3 marks", "/rest/api/3", map[string]any{"body": map[string]any{"type": "doc", "version": 1, "content": []any{
			map[string]any{"type": "paragraph", "content": []any{map[string]any{"type": "text", "text": "x", "marks": []any{map[string]any{"type": "strong"}}}}}}}}, nil},
		{"v3 empty doc", "/rest/api/3", map[string]any{"body": map[string]any{"type": "doc", "version": 1, "content": []any{}}}, empty},
		{"v3 missing", "/rest/api/3", map[string]any{}, empty},
		{"v2 string", "/rest/api/2", map[string]any{"body": "hello *world*"}, nil},
		{"v2 adf", "/rest/api/2", map[string]any{"body": adfDoc("hello")}, invalid},
		{"v2 blank", "/rest/api/2", map[string]any{"body": "  "}, empty},
		{"v2 too long", "/rest/api/2", map[string]any{"body": strings.Repeat("x", 32768)}, map[string]string{"comment": "The entered text is too long. It exceeds the allowed limit of 32,767 characters."}},
	}
	accepted := 0
	for _, tt := range tests {
		status := 201
		if tt.want != nil {
			status = 400
		}
		v := cloud.want(status, "POST", tt.path+"/issue/OPS-1/comment", tt.body)
		if tt.want == nil {
			accepted++
			continue
		}
		msgs, errs := errorMessages(t, v)
		if msg, whole := tt.want[""]; whole {
			if !slices.Equal(msgs, []string{msg}) || len(errs) != 0 {
				t.Errorf("%s: %v %v, want %s", tt.name, msgs, errs, msg)
			}
			continue
		}
		if len(msgs) != 0 || !reflect.DeepEqual(errs, tt.want) {
			t.Errorf("%s: %v %v", tt.name, msgs, errs)
		}
	}
	is, _ := srv.Issue("OPS-1")
	if len(is.Comments) != accepted {
		t.Fatalf("%d comments stored, want %d", len(is.Comments), accepted)
	}
	// Stored as written: ADF through v3, a string through v2.
	if obj(t, decode(t, is.Comments[0].Body))["type"] != "doc" || decode(t, is.Comments[2].Body) != "hello *world*" {
		t.Errorf("stored bodies: %s / %s", is.Comments[0].Body, is.Comments[2].Body)
	}
	// Each version reads every comment in its own format.
	page := obj(t, cloud.want(200, "GET", "/rest/api/2/issue/OPS-1/comment", nil))
	if b := obj(t, list(t, page["comments"])[0])["body"]; b != "hello" {
		t.Errorf("v2 view of an ADF comment: %#v", b)
	}
	page = obj(t, cloud.want(200, "GET", "/rest/api/3/issue/OPS-1/comment", nil))
	if b := obj(t, obj(t, list(t, page["comments"])[2])["body"]); b["type"] != "doc" {
		t.Errorf("v3 view of a string comment: %#v", b)
	}

	_, dc := newServer(t, DataCenter, "OPS-1")
	cm := obj(t, dc.want(201, "POST", "/rest/api/2/issue/OPS-1/comment", map[string]any{"body": "from DC"}))
	author := obj(t, cm["author"])
	if cm["body"] != "from DC" || author["name"] != "fixproof" || author["key"] == nil || author["active"] != true {
		t.Errorf("dc comment: %v", cm)
	}
	dc.want(400, "POST", "/rest/api/2/issue/OPS-1/comment", map[string]any{"body": adfDoc("x")})
	dc.want(404, "POST", "/rest/api/3/issue/OPS-1/comment", map[string]any{"body": adfDoc("x")})
	dc.want(404, "POST", "/rest/api/2/issue/OPS-2/comment", map[string]any{"body": "x"})
}

func decode(t *testing.T, raw json.RawMessage) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	return v
}

func TestCommentsPagingPropertiesAndUpdate(t *testing.T) {
	srv, c := newServer(t, Cloud, "OPS-1")
	for i := 0; i < 120; i++ {
		body := map[string]any{"body": adfDoc(fmt.Sprintf("comment %d", i))}
		if i == 7 {
			body["properties"] = []any{map[string]any{"key": "fixproof", "value": map[string]any{"kind": "status", "rev": 1}}}
			body["visibility"] = map[string]any{"type": "role", "value": "Administrators"}
		}
		cm := obj(t, c.want(201, "POST", "/rest/api/3/issue/OPS-1/comment", body))
		if _, ok := cm["properties"]; ok {
			t.Fatalf("properties returned without expand: %v", cm)
		}
		if i == 0 {
			author := obj(t, cm["author"])
			if cm["id"] != "10000" || cm["self"] != c.base+"/rest/api/3/issue/10000/comment/10000" ||
				author["accountId"] == nil || author["accountType"] != "atlassian" || author["active"] != true || cm["created"] == nil {
				t.Errorf("comment: %v", cm)
			}
		}
	}

	page := obj(t, c.want(200, "GET", "/rest/api/3/issue/OPS-1/comment", nil))
	if page["total"] != float64(120) || page["maxResults"] != float64(50) || page["startAt"] != float64(0) || len(list(t, page["comments"])) != 50 {
		t.Errorf("default page: total %v max %v n %d", page["total"], page["maxResults"], len(list(t, page["comments"])))
	}
	page = obj(t, c.want(200, "GET", "/rest/api/3/issue/OPS-1/comment?startAt=100&maxResults=1000", nil))
	if page["maxResults"] != float64(100) || len(list(t, page["comments"])) != 20 || page["startAt"] != float64(100) {
		t.Errorf("last page: max %v n %d", page["maxResults"], len(list(t, page["comments"])))
	}
	page = obj(t, c.want(200, "GET", "/rest/api/3/issue/OPS-1/comment?maxResults=1000", nil))
	if len(list(t, page["comments"])) != 100 {
		t.Errorf("cap: %d comments", len(list(t, page["comments"])))
	}
	page = obj(t, c.want(200, "GET", "/rest/api/3/issue/OPS-1/comment?orderBy=-created&maxResults=1", nil))
	if id := obj(t, list(t, page["comments"])[0])["id"]; id != "10119" {
		t.Errorf("-created first: %v", id)
	}
	c.want(400, "GET", "/rest/api/3/issue/OPS-1/comment?maxResults=lots", nil)

	// expand=properties puts properties on every comment.
	page = obj(t, c.want(200, "GET", "/rest/api/3/issue/OPS-1/comment?startAt=5&maxResults=5&expand=renderedBody,properties", nil))
	for i, cm := range list(t, page["comments"]) {
		props, ok := obj(t, cm)["properties"]
		if !ok {
			t.Fatalf("comment without properties under expand: %v", cm)
		}
		want := []any{}
		if i == 2 {
			want = []any{map[string]any{"key": "fixproof", "value": map[string]any{"kind": "status", "rev": float64(1)}}}
		}
		if !reflect.DeepEqual(props, want) {
			t.Errorf("comment %d properties: %v", i+5, props)
		}
	}

	// PUT replaces the body and merges properties.
	cm := obj(t, c.want(200, "PUT", "/rest/api/3/issue/OPS-1/comment/10007?expand=properties", map[string]any{
		"body":       adfDoc("edited"),
		"properties": []any{map[string]any{"key": "other", "value": true}},
	}))
	if !reflect.DeepEqual(cm["properties"], []any{
		map[string]any{"key": "fixproof", "value": map[string]any{"kind": "status", "rev": float64(1)}},
		map[string]any{"key": "other", "value": true},
	}) || cm["visibility"] == nil {
		t.Errorf("updated comment: %v", cm)
	}
	cm = obj(t, c.want(200, "GET", "/rest/api/2/issue/OPS-1/comment/10007", nil))
	if cm["body"] != "edited" || cm["updated"] == cm["created"] {
		t.Errorf("GET comment: %v", cm)
	}
	is, _ := srv.Issue("OPS-1")
	if got := is.Comments[7]; string(got.Properties["other"]) != "true" || !got.Updated.After(got.Created) {
		t.Errorf("snapshot comment: %+v", got)
	}
	c.want(400, "PUT", "/rest/api/3/issue/OPS-1/comment/10007", map[string]any{"body": "a string on v3"})
	msgs, _ := errorMessages(t, c.want(404, "GET", "/rest/api/3/issue/OPS-1/comment/99", nil))
	if len(msgs) != 1 {
		t.Errorf("missing comment: %v", msgs)
	}
	c.want(404, "PUT", "/rest/api/3/issue/OPS-1/comment/99", map[string]any{"body": adfDoc("x")})
	c.want(204, "DELETE", "/rest/api/3/issue/OPS-1/comment/10000", nil)
	page = obj(t, c.want(200, "GET", "/rest/api/3/issue/OPS-1/comment?maxResults=0", nil))
	if page["total"] != float64(119) || len(list(t, page["comments"])) != 0 {
		t.Errorf("after delete: %v", page)
	}
}

func TestRemoteLinks(t *testing.T) {
	srv, c := newServer(t, Cloud, "OPS-1", "OPS-2")
	link := map[string]any{
		"globalId":     "github:acme/api/pull/12",
		"application":  map[string]any{"type": "com.github", "name": "GitHub"},
		"relationship": "fixed by",
		"object":       map[string]any{"url": "https://github.com/acme/api/pull/12", "title": "PR #12", "summary": "Fix the crash"},
	}
	created := obj(t, c.want(201, "POST", "/rest/api/3/issue/OPS-1/remotelink", link))
	id := created["id"]
	if id != float64(10000) || created["self"] != c.base+"/rest/api/3/issue/OPS-1/remotelink/10000" || len(created) != 2 {
		t.Errorf("created: %v", created)
	}
	link["object"].(map[string]any)["title"] = "PR #12 (merged)"
	delete(link, "relationship")
	updated := obj(t, c.want(200, "POST", "/rest/api/3/issue/OPS-1/remotelink", link))
	if updated["id"] != id {
		t.Errorf("re-post created a new link: %v", updated)
	}
	is, _ := srv.Issue("OPS-1")
	if len(is.RemoteLinks) != 1 || is.RemoteLinks[0].Relationship != "" || !strings.Contains(string(is.RemoteLinks[0].Object), "merged") {
		t.Errorf("after upsert: %+v", is.RemoteLinks)
	}
	// The same globalId on another issue is another link.
	c.want(201, "POST", "/rest/api/3/issue/OPS-2/remotelink", link)
	// Without a globalId every post creates a link.
	plain := map[string]any{"object": map[string]any{"url": "https://sentry.io/x", "title": "Sentry issue"}}
	c.want(201, "POST", "/rest/api/2/issue/OPS-1/remotelink", plain)
	c.want(201, "POST", "/rest/api/2/issue/OPS-1/remotelink", plain)

	all := list(t, c.want(200, "GET", "/rest/api/3/issue/OPS-1/remotelink", nil))
	if len(all) != 3 {
		t.Fatalf("%d links", len(all))
	}
	first := obj(t, all[0])
	if first["globalId"] != "github:acme/api/pull/12" || obj(t, first["application"])["name"] != "GitHub" || obj(t, first["object"])["title"] != "PR #12 (merged)" {
		t.Errorf("listed link: %v", first)
	}
	if third := obj(t, all[2]); third["globalId"] != nil || third["application"] == nil {
		t.Errorf("link without globalId: %v", third)
	}
	one := obj(t, c.want(200, "GET", "/rest/api/3/issue/OPS-1/remotelink?globalId=github%3Aacme%2Fapi%2Fpull%2F12", nil))
	if one["id"] != id {
		t.Errorf("by globalId: %v", one)
	}
	c.want(404, "GET", "/rest/api/3/issue/OPS-1/remotelink?globalId=nope", nil)
	c.want(200, "GET", "/rest/api/3/issue/OPS-1/remotelink/10000", nil)

	for _, tt := range []struct {
		body any
		want map[string]string
	}{
		{map[string]any{"globalId": "g", "object": map[string]any{"url": "https://x"}}, map[string]string{"title": "'title' is required."}},
		{map[string]any{"object": map[string]any{"title": "x"}}, map[string]string{"url": "'url' is required."}},
		{map[string]any{"globalId": "g"}, map[string]string{"title": "'title' is required.", "url": "'url' is required."}},
	} {
		msgs, errs := errorMessages(t, c.want(400, "POST", "/rest/api/3/issue/OPS-1/remotelink", tt.body))
		if len(msgs) != 0 || !reflect.DeepEqual(errs, tt.want) {
			t.Errorf("%v: %v %v", tt.body, msgs, errs)
		}
	}
	c.want(404, "POST", "/rest/api/3/issue/OPS-9/remotelink", plain)

	c.want(204, "DELETE", "/rest/api/3/issue/OPS-1/remotelink?globalId=github%3Aacme%2Fapi%2Fpull%2F12", nil)
	c.want(204, "DELETE", "/rest/api/3/issue/OPS-1/remotelink/10002", nil)
	c.want(404, "DELETE", "/rest/api/3/issue/OPS-1/remotelink/10002", nil)
	if is, _ := srv.Issue("OPS-1"); len(is.RemoteLinks) != 1 || is.RemoteLinks[0].ID != 10003 {
		t.Errorf("after deletes: %+v", is.RemoteLinks)
	}
}

func TestIssueProperties(t *testing.T) {
	srv, c := newServer(t, DataCenter, "OPS-1")
	base := "/rest/api/2/issue/OPS-1/properties"
	if v := c.want(201, "PUT", base+"/fixproof.verify", map[string]any{"release": "1.2.3", "sentry": []int{1, 2}}); !reflect.DeepEqual(v, map[string]any{}) {
		t.Errorf("PUT body: %v", v)
	}
	c.want(200, "PUT", base+"/fixproof.verify", map[string]any{"release": "1.2.4"})
	c.want(201, "PUT", base+"/another", `"text"`)
	got := obj(t, c.want(200, "GET", base+"/fixproof.verify", nil))
	if !reflect.DeepEqual(got, map[string]any{"key": "fixproof.verify", "value": map[string]any{"release": "1.2.4"}}) {
		t.Errorf("GET: %v", got)
	}
	keys := obj(t, c.want(200, "GET", base, nil))
	want := map[string]any{"keys": []any{
		map[string]any{"key": "another", "self": c.base + "/rest/api/2/issue/10000/properties/another"},
		map[string]any{"key": "fixproof.verify", "self": c.base + "/rest/api/2/issue/10000/properties/fixproof.verify"},
	}}
	if !reflect.DeepEqual(keys, want) {
		t.Errorf("keys: %v", keys)
	}
	c.want(204, "DELETE", base+"/another", nil)
	c.want(404, "GET", base+"/another", nil)
	c.want(404, "DELETE", base+"/another", nil)
	c.want(400, "PUT", base+"/bad", `{not json`)
	c.want(404, "GET", "/rest/api/2/issue/OPS-2/properties", nil)
	c.want(404, "PUT", "/rest/api/2/issue/OPS-2/properties/x", `1`)
	is, _ := srv.Issue("OPS-1")
	if len(is.Properties) != 1 || string(is.Properties["fixproof.verify"]) != `{"release":"1.2.4"}` {
		t.Errorf("snapshot properties: %v", is.Properties)
	}
}

func TestControlWrapsTheRouter(t *testing.T) {
	srv, c := newServer(t, Cloud, "OPS-1")
	srv.Control.Inject(sim.Fault{PathPrefix: "/rest/api/3/issue/OPS-1/transitions", Status: 503, RetryAfter: "1"})
	r := c.do("POST", "/rest/api/3/issue/OPS-1/transitions", map[string]any{"transition": map[string]any{"id": "11"}})
	if r.status != 503 || r.header.Get("Retry-After") != "1" {
		t.Errorf("fault: %d %v", r.status, r.header)
	}
	if is, _ := srv.Issue("OPS-1"); is.Status != "Open" {
		t.Errorf("a failed request changed the issue: %s", is.Status)
	}
	c.want(204, "POST", "/rest/api/3/issue/OPS-1/transitions", map[string]any{"transition": map[string]any{"id": "11"}})
	if n := srv.Control.Count("POST /rest/api/3/issue/OPS-1/transitions"); n != 2 {
		t.Errorf("count %d", n)
	}
}

func TestConcurrentUse(t *testing.T) {
	const n = 40
	var keys []string
	for i := 1; i <= n; i++ {
		keys = append(keys, fmt.Sprintf("OPS-%d", i))
	}
	srv, c := newServer(t, Cloud, keys...)
	walk := []string{"11", "31", "41", "61", "71", "31", "51", "91"}
	var wg sync.WaitGroup
	errs := make(chan string, n*len(walk)*3)
	for _, key := range keys {
		wg.Add(1)
		go func() {
			defer wg.Done()
			path := "/rest/api/3/issue/" + key
			for _, id := range walk {
				r := c.do("POST", path+"/transitions", map[string]any{"transition": map[string]any{"id": id}})
				if r.status != 204 {
					errs <- fmt.Sprintf("%s transition %s: %d %s", key, id, r.status, r.body)
				}
				r = c.do("POST", path+"/comment", map[string]any{"body": adfDoc("moved by " + id)})
				if r.status != 201 {
					errs <- fmt.Sprintf("%s comment: %d %s", key, r.status, r.body)
				}
				r = c.do("POST", "/rest/api/3/search/jql", map[string]any{"jql": "project = OPS AND statusCategory != Done", "fields": []string{"status"}})
				if r.status != 200 {
					errs <- fmt.Sprintf("search: %d %s", r.status, r.body)
				}
			}
			_, _ = srv.Issue(key)
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	want := []string{"Open", "In Progress", "In Review", "In Progress", "Blocked", "In Progress", "In Review", "Done", "Closed"}
	ids := map[string]bool{}
	for _, key := range keys {
		is, _ := srv.Issue(key)
		if is.Status != "Closed" || !reflect.DeepEqual(is.History, want) || len(is.Comments) != len(walk) {
			t.Errorf("%s: status %s history %v comments %d", key, is.Status, is.History, len(is.Comments))
		}
		for _, cm := range is.Comments {
			if ids[cm.ID] {
				t.Errorf("comment id %s reused", cm.ID)
			}
			ids[cm.ID] = true
		}
	}
	res := obj(t, c.want(200, "POST", "/rest/api/3/search/jql", map[string]any{"jql": "statusCategory = Done", "fields": []string{"key"}, "maxResults": 100}))
	if len(list(t, res["issues"])) != n {
		t.Errorf("done issues: %d", len(list(t, res["issues"])))
	}
	if srv.Control.PeakConcurrency() < 2 {
		t.Logf("peak concurrency only %d", srv.Control.PeakConcurrency())
	}
}

func TestTextADFConversion(t *testing.T) {
	doc := textToADF("a\n\nb")
	raw, _ := json.Marshal(doc)
	if err := ValidateADF(raw); err != nil {
		t.Fatalf("textToADF output is not valid ADF: %v: %s", err, raw)
	}
	if got := adfToText(raw); got != "a\n\nb" {
		t.Errorf("round trip: %q", got)
	}
	rich := `{"type":"doc","version":1,"content":[{"type":"heading","attrs":{"level":2},"content":[{"type":"text","text":"Fixed"}]},` +
		`{"type":"paragraph","content":[{"type":"text","text":"by "},{"type":"text","text":"PR","marks":[{"type":"link","attrs":{"href":"https://x"}}]},{"type":"hardBreak"},{"type":"inlineCard","attrs":{"url":"https://y"}}]},` +
		`{"type":"bulletList","content":[{"type":"listItem","content":[{"type":"paragraph","content":[{"type":"text","text":"one"}]}]}]}]}`
	if err := ValidateADF([]byte(rich)); err != nil {
		t.Fatalf("rich doc rejected: %v", err)
	}
	if got := adfToText([]byte(rich)); got != "Fixed\nby PR\nhttps://y\none" {
		t.Errorf("flattened: %q", got)
	}
	if ValidateADF([]byte(`"text"`)) == nil {
		t.Errorf("string accepted as ADF")
	}
	if ValidateADF(bytes.Repeat([]byte(" "), 2)) == nil {
		t.Errorf("blank accepted as ADF")
	}
}

func TestSearchExpandsTransitions(t *testing.T) {
	for _, tt := range []struct {
		flavor Flavor
		api    string
		path   string
		expand any
	}{
		{Cloud, "/rest/api/3", "/rest/api/3/search/jql", "renderedFields,transitions"},
		{DataCenter, "/rest/api/2", "/rest/api/2/search", []string{"transitions"}},
	} {
		t.Run(tt.flavor.String(), func(t *testing.T) {
			_, c := newServer(t, tt.flavor, "OPS-1", "OPS-2")
			c.want(204, "POST", tt.api+"/issue/OPS-2/transitions", map[string]any{"transition": map[string]any{"id": "11"}})
			v := c.want(200, "POST", tt.path, map[string]any{"jql": `key in ("OPS-1", "OPS-2")`, "fields": []string{"status"}, "expand": tt.expand})
			issues := list(t, obj(t, v)["issues"])
			if len(issues) != 2 {
				t.Fatalf("issues: %v", issues)
			}
			// Each issue lists what GET .../transitions would: from Open, then from In Progress.
			if got := transitionIDs(t, issues[0]); !reflect.DeepEqual(got, []string{"11", "81"}) {
				t.Errorf("OPS-1 (Open) transitions %v", got)
			}
			if got := transitionIDs(t, issues[1]); !reflect.DeepEqual(got, []string{"21", "31", "61"}) {
				t.Errorf("OPS-2 (In Progress) transitions %v", got)
			}
			// Without the expansion there are none.
			v = c.want(200, "POST", tt.path, map[string]any{"jql": `key = "OPS-1"`, "fields": []string{"status"}})
			if _, ok := obj(t, list(t, obj(t, v)["issues"])[0])["transitions"]; ok {
				t.Error("transitions returned without expand")
			}
		})
	}
}

func TestSettersArrangeAScenario(t *testing.T) {
	srv, c := newServer(t, Cloud, "OPS-1")
	if err := srv.SetLabels("OPS-1", "a", "b"); err != nil {
		t.Fatal(err)
	}
	if err := srv.SetProperty("OPS-1", "fixproof", json.RawMessage(`{"x": 1}`)); err != nil {
		t.Fatal(err)
	}
	if err := srv.SetDescription("OPS-1", json.RawMessage(`"see https://acme.sentry.io/issues/1/"`)); err != nil {
		t.Fatal(err)
	}
	if err := srv.AddRemoteLink("OPS-1", "https://acme.sentry.io/issues/2/", "API-2"); err != nil {
		t.Fatal(err)
	}
	if err := srv.SetStatus("OPS-1", "Done"); err != nil {
		t.Fatal(err)
	}
	v := obj(t, c.want(200, "GET", "/rest/api/2/issue/OPS-1?fields=labels,description,status&properties=fixproof", nil))
	f := obj(t, v["fields"])
	if f["description"] != "see https://acme.sentry.io/issues/1/" || obj(t, f["status"])["name"] != "Done" || len(list(t, f["labels"])) != 2 {
		t.Errorf("issue %v", v)
	}
	if obj(t, obj(t, v["properties"])["fixproof"])["x"] != float64(1) {
		t.Errorf("properties %v", v["properties"])
	}
	links := list(t, c.want(200, "GET", "/rest/api/3/issue/OPS-1/remotelink", nil))
	if len(links) != 1 || obj(t, obj(t, links[0])["object"])["url"] != "https://acme.sentry.io/issues/2/" {
		t.Errorf("links %v", links)
	}
	for _, err := range []error{srv.SetLabels("NOPE-1"), srv.SetStatus("OPS-1", "Nowhere"), srv.SetProperty("OPS-1", "p", json.RawMessage(`{`))} {
		if err == nil {
			t.Error("a bad setup call must fail")
		}
	}
}

func TestJQLDateComparisons(t *testing.T) {
	clock := sim.NewClock(time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC))
	srv := New(Options{Email: email, APIToken: apiToken, Now: clock.Now})
	srv.AddProject("OPS", "Ops", DefaultWorkflow())
	_ = srv.AddIssue("OPS-1", "old", "")
	clock.Advance(2 * time.Hour)
	_ = srv.AddIssue("OPS-2", "new", "")
	h := httptest.NewServer(srv.Handler())
	defer h.Close()
	c := &client{t: t, base: h.URL, auth: func(r *http.Request) { r.SetBasicAuth(email, apiToken) }}
	for jql, want := range map[string][]string{
		`project = OPS AND updated >= "-30m"`:            {"OPS-2"},
		`project = OPS AND updated >= -3h`:               {"OPS-1", "OPS-2"},
		`project = OPS AND created < "2026-11-20 13:00"`: {"OPS-1"},
		`project = OPS AND updated > "2026/11/20 13:00"`: {"OPS-2"},
	} {
		v := c.want(200, "POST", "/rest/api/3/search/jql", map[string]any{"jql": jql, "fields": []string{"summary"}})
		if got := issueKeys(t, obj(t, v)["issues"]); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s: %v, want %v", jql, got, want)
		}
	}
	for _, bad := range []string{`updated = "-1d"`, `updated >= "yesterday"`} {
		c.want(400, "POST", "/rest/api/3/search/jql", map[string]any{"jql": "project = OPS AND " + bad})
	}
}
