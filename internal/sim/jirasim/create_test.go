package jirasim

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/contract"
	"github.com/fixproof/fixproof/internal/sim"
)

var t0 = time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)

// checkedClient is client whose traffic is validated against Atlassian's
// spec when the contracts are present.
type checkedClient struct {
	client
	hc *http.Client
}

// newChecked starts a server with project OPS (default workflow) on a
// settable clock.
func newChecked(t *testing.T, flavor Flavor, o Options) (*Server, *checkedClient, *sim.Clock) {
	t.Helper()
	clk := sim.NewClock(t0)
	o.Flavor, o.Email, o.APIToken, o.PAT, o.Now = flavor, email, apiToken, pat, clk.Now
	srv := New(o)
	srv.AddProject("OPS", "Operations", DefaultWorkflow())
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	var tr http.RoundTripper = http.DefaultTransport
	if _, ok := contract.Dir(); ok {
		tr = contract.JiraSpec(t).Transport(t, tr)
	}
	c := &checkedClient{client: client{t: t, base: ts.URL}, hc: &http.Client{Transport: tr}}
	if flavor == Cloud {
		c.auth = func(r *http.Request) { r.SetBasicAuth(email, apiToken) }
	} else {
		c.auth = func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+pat) }
	}
	return srv, c, clk
}

func (c *checkedClient) want(status int, method, path string, body any) any {
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
	c.auth(req)
	res, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != status {
		c.t.Fatalf("%s %s: status %d, want %d; body %s", method, path, res.StatusCode, status, b)
	}
	if len(b) == 0 {
		return nil
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		c.t.Fatalf("%s %s: body is not JSON: %v: %s", method, path, err, b)
	}
	return v
}

// api is the flavor's REST root.
func api(f Flavor) string {
	if f == Cloud {
		return "/rest/api/3"
	}
	return "/rest/api/2"
}

// description is a description in the flavor's format.
func description(f Flavor, text string) any {
	if f == Cloud {
		return adfDoc(text)
	}
	return text
}

var flavors = []Flavor{Cloud, DataCenter}

func TestCreateIssue(t *testing.T) {
	for _, f := range flavors {
		t.Run(f.String(), func(t *testing.T) {
			srv, c, _ := newChecked(t, f, Options{})
			if err := srv.AddIssue("OPS-7", "older", ""); err != nil {
				t.Fatal(err)
			}
			if err := srv.SetComponents("OPS", "checkout", "payments"); err != nil {
				t.Fatal(err)
			}
			body := map[string]any{
				"fields": map[string]any{
					"project":     map[string]any{"key": "OPS"},
					"issuetype":   map[string]any{"name": "Bug"},
					"summary":     "ZeroDivisionError: division by zero",
					"description": description(f, "It crashes."),
					"labels":      []string{"sentry", "fixproof"},
					"components":  []any{map[string]any{"name": "Checkout"}},
					"priority":    map[string]any{"name": "High"},
				},
				"properties": []any{map[string]any{"key": "fixproof", "value": map[string]any{"alert": "4711"}}},
			}
			created := obj(t, c.want(201, "POST", api(f)+"/issue", body))
			if created["key"] != "OPS-8" || created["id"] != "10001" || created["self"] != c.base+api(f)+"/issue/10001" || len(created) != 3 {
				t.Errorf("created %v", created)
			}
			is, ok := srv.Issue("OPS-8")
			if !ok || is.Status != "Open" || is.IssueType != "Bug" || is.Priority != "High" ||
				!reflect.DeepEqual(is.Components, []string{"checkout"}) || !reflect.DeepEqual(is.Labels, []string{"fixproof", "sentry"}) ||
				string(is.Properties["fixproof"]) != `{"alert":"4711"}` || !is.Created.Equal(t0) || is.Resolution != "" {
				t.Errorf("snapshot %+v", is)
			}
			if want := `"It crashes."`; f == DataCenter && string(is.Description) != want {
				t.Errorf("description %s", is.Description)
			}
			got := obj(t, c.want(200, "GET", api(f)+"/issue/OPS-8", nil))
			fields := obj(t, got["fields"])
			if obj(t, fields["issuetype"])["name"] != "Bug" || obj(t, fields["priority"])["name"] != "High" ||
				obj(t, list(t, fields["components"])[0])["name"] != "checkout" || obj(t, fields["status"])["name"] != "Open" {
				t.Errorf("fields %v", fields)
			}
			if _, ok := fields["resolution"]; ok {
				t.Errorf("an open issue has a resolution: %v", fields["resolution"])
			}
			// By id, with the issue type's id, and no priority: Medium.
			created = obj(t, c.want(201, "POST", api(f)+"/issue", map[string]any{"fields": map[string]any{
				"project": map[string]any{"id": "10000"}, "issuetype": map[string]any{"id": "10005"}, "summary": "second",
			}}))
			if is, _ := srv.Issue(created["key"].(string)); is.Key != "OPS-9" || is.IssueType != "Incident" || is.Priority != "Medium" || is.Labels == nil {
				t.Errorf("second %+v", is)
			}
			// Labels added through update.
			created = obj(t, c.want(201, "POST", api(f)+"/issue", map[string]any{
				"fields": map[string]any{"project": map[string]any{"key": "ops"}, "issuetype": map[string]any{"name": "task"}, "summary": "third"},
				"update": map[string]any{"labels": []any{map[string]any{"add": "x"}}},
			}))
			if is, _ := srv.Issue(created["key"].(string)); !reflect.DeepEqual(is.Labels, []string{"x"}) || is.IssueType != "Task" {
				t.Errorf("third %+v", is)
			}
		})
	}
}

func TestCreateIssueValidation(t *testing.T) {
	long := strings.Repeat("é", 256)
	huge := strings.Repeat("x", 32768)
	for _, f := range flavors {
		t.Run(f.String(), func(t *testing.T) {
			srv, c, _ := newChecked(t, f, Options{})
			fields := func(kv ...any) map[string]any {
				m := map[string]any{"project": map[string]any{"key": "OPS"}, "issuetype": map[string]any{"name": "Bug"}, "summary": "s"}
				for i := 0; i+1 < len(kv); i += 2 {
					if kv[i+1] == nil {
						delete(m, kv[i].(string))
					} else {
						m[kv[i].(string)] = kv[i+1]
					}
				}
				return map[string]any{"fields": m}
			}
			for _, tc := range []struct {
				body any
				want map[string]string
			}{
				{fields("summary", nil), map[string]string{"summary": "You must specify a summary of the issue."}},
				{fields("summary", "  "), map[string]string{"summary": "You must specify a summary of the issue."}},
				{fields("summary", long), map[string]string{"summary": "Summary must be less than 255 characters."}},
				{fields("summary", "two\nlines"), map[string]string{"summary": "The summary is invalid because it contains newline characters."}},
				{fields("project", map[string]any{"key": "NOPE"}), map[string]string{"project": "valid project is required"}},
				{fields("project", nil), map[string]string{"project": "valid project is required"}},
				{fields("issuetype", map[string]any{"name": "Epic"}), map[string]string{"issuetype": "valid issue type is required"}},
				{fields("description", description(f, huge)), map[string]string{"description": "The entered text is too long. It exceeds the allowed limit of 32,767 characters."}},
				{fields("priority", map[string]any{"name": "Urgent"}), map[string]string{"priority": "The priority selected is invalid."}},
				{fields("labels", []string{"two words"}), map[string]string{"labels": "The label 'two words' contains spaces which is invalid."}},
				{fields("components", []any{map[string]any{"name": "nope"}}), map[string]string{"components": "Component name 'nope' is not valid"}},
				{fields("assignee", map[string]any{"id": "x"}), map[string]string{"assignee": "Field 'assignee' cannot be set. It is not on the appropriate screen, or unknown."}},
				{fields("summary", nil, "issuetype", map[string]any{"name": "Epic"}), map[string]string{
					"summary": "You must specify a summary of the issue.", "issuetype": "valid issue type is required",
				}},
			} {
				_, errs := errorMessages(t, c.want(400, "POST", api(f)+"/issue", tc.body))
				if !reflect.DeepEqual(errs, tc.want) {
					t.Errorf("%v: errors %v, want %v", tc.body, errs, tc.want)
				}
			}
			if f == Cloud {
				// v3 wants ADF, v2 a string.
				_, errs := errorMessages(t, c.want(400, "POST", "/rest/api/3/issue", fields("description", "plain")))
				if errs["description"] == "" {
					t.Errorf("a string description on v3: %v", errs)
				}
			}
			// 255 characters are fine, and nothing was created before.
			created := obj(t, c.want(201, "POST", api(f)+"/issue", fields("summary", long[:2*255])))
			if created["key"] != "OPS-1" {
				t.Errorf("created %v", created)
			}
			if err := srv.SetIssueTypes("OPS", "Epic"); err != nil {
				t.Fatal(err)
			}
			c.want(201, "POST", api(f)+"/issue", fields("issuetype", map[string]any{"name": "Epic"}))
			_, errs := errorMessages(t, c.want(400, "POST", api(f)+"/issue", fields()))
			if errs["issuetype"] == "" {
				t.Errorf("Bug after SetIssueTypes: %v", errs)
			}
			msgs, _ := errorMessages(t, c.want(400, "POST", api(f)+"/issue", map[string]any{
				"fields": fields()["fields"], "properties": []any{map[string]any{"key": "", "value": 1}},
			}))
			if len(msgs) != 1 {
				t.Errorf("bad property: %v", msgs)
			}
		})
	}
}

func TestSearchLagHidesNewIssues(t *testing.T) {
	for _, f := range flavors {
		t.Run(f.String(), func(t *testing.T) {
			srv, c, clk := newChecked(t, f, Options{SearchLag: 5 * time.Second})
			if err := srv.AddIssue("OPS-1", "arranged", ""); err != nil {
				t.Fatal(err)
			}
			if err := srv.SetLabels("OPS-1", "alert-1"); err != nil {
				t.Fatal(err)
			}
			c.want(201, "POST", api(f)+"/issue", map[string]any{"fields": map[string]any{
				"project": map[string]any{"key": "OPS"}, "issuetype": map[string]any{"name": "Bug"}, "summary": "new", "labels": []string{"alert-1"},
			}})
			search := func() []string {
				jql := `labels = "alert-1" ORDER BY created ASC`
				if f == Cloud {
					return issueKeys(t, obj(t, c.want(200, "POST", "/rest/api/3/search/jql", map[string]any{"jql": jql, "fields": []string{"created"}}))["issues"])
				}
				return issueKeys(t, obj(t, c.want(200, "POST", "/rest/api/2/search", map[string]any{"jql": jql, "fields": []string{"created"}}))["issues"])
			}
			if got := search(); !reflect.DeepEqual(got, []string{"OPS-1"}) {
				t.Errorf("within the lag: %v", got)
			}
			c.want(200, "GET", api(f)+"/issue/OPS-2", nil)
			clk.Advance(5 * time.Second)
			if got := search(); !reflect.DeepEqual(got, []string{"OPS-1", "OPS-2"}) {
				t.Errorf("after the lag: %v", got)
			}
		})
	}
}

func TestPriorities(t *testing.T) {
	for _, f := range flavors {
		t.Run(f.String(), func(t *testing.T) {
			srv, c, _ := newChecked(t, f, Options{})
			if err := srv.AddIssue("OPS-1", "s", ""); err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, p := range list(t, c.want(200, "GET", api(f)+"/priority", nil)) {
				p := obj(t, p)
				names = append(names, p["name"].(string))
				for _, k := range []string{"id", "self", "iconUrl", "statusColor", "description"} {
					if p[k] == nil || p[k] == "" {
						t.Errorf("priority %v lacks %s", p, k)
					}
				}
			}
			if !reflect.DeepEqual(names, []string{"Highest", "High", "Medium", "Low", "Lowest"}) {
				t.Errorf("priorities %v", names)
			}
			if is, _ := srv.Issue("OPS-1"); is.Priority != "Medium" {
				t.Errorf("default priority %q", is.Priority)
			}
			c.want(204, "PUT", api(f)+"/issue/OPS-1", map[string]any{"fields": map[string]any{"priority": map[string]any{"name": "Highest"}}})
			if is, _ := srv.Issue("OPS-1"); is.Priority != "Highest" {
				t.Errorf("after edit %q", is.Priority)
			}
			c.want(204, "PUT", api(f)+"/issue/OPS-1", map[string]any{"update": map[string]any{"priority": []any{map[string]any{"set": map[string]any{"id": "4"}}}}})
			got := obj(t, c.want(200, "GET", api(f)+"/issue/OPS-1?fields=priority", nil))
			if p := obj(t, obj(t, got["fields"])["priority"]); p["name"] != "Low" || p["id"] != "4" {
				t.Errorf("priority field %v", p)
			}
			_, errs := errorMessages(t, c.want(400, "PUT", api(f)+"/issue/OPS-1", map[string]any{"fields": map[string]any{"priority": map[string]any{"name": "Urgent"}}}))
			if errs["priority"] != "The priority selected is invalid." {
				t.Errorf("errors %v", errs)
			}
			if err := srv.SetPriorities("P1", "P2", "P3"); err != nil {
				t.Fatal(err)
			}
			if err := srv.AddIssue("OPS-2", "s", ""); err != nil {
				t.Fatal(err)
			}
			if is, _ := srv.Issue("OPS-2"); is.Priority != "P2" {
				t.Errorf("default of a custom scheme %q", is.Priority)
			}
			if err := srv.SetPriority("OPS-2", "p1"); err != nil {
				t.Fatal(err)
			}
			if is, _ := srv.Issue("OPS-2"); is.Priority != "P1" {
				t.Errorf("SetPriority %q", is.Priority)
			}
			for _, err := range []error{srv.SetPriority("OPS-2", "Medium"), srv.SetPriority("OPS-9", "P1"), srv.SetPriorities(),
				srv.SetIssueTypes("NOPE", "Bug"), srv.SetComponents("NOPE", "x")} {
				if err == nil {
					t.Error("a bad setup call must fail")
				}
			}
		})
	}
}

func TestTransitionsSetTheResolution(t *testing.T) {
	for _, f := range flavors {
		t.Run(f.String(), func(t *testing.T) {
			srv, c, clk := newChecked(t, f, Options{})
			for _, k := range []string{"OPS-1", "OPS-2"} {
				if err := srv.AddIssue(k, "s", ""); err != nil {
					t.Fatal(err)
				}
			}
			move := func(key, id string) {
				c.want(204, "POST", api(f)+"/issue/"+key+"/transitions", map[string]any{"transition": map[string]any{"id": id}})
			}
			for _, id := range []string{"11", "31"} {
				move("OPS-1", id)
			}
			if is, _ := srv.Issue("OPS-1"); is.Resolution != "" || !is.Resolved.IsZero() {
				t.Errorf("in review: %q %v", is.Resolution, is.Resolved)
			}
			clk.Advance(time.Hour)
			move("OPS-1", "51")
			is, _ := srv.Issue("OPS-1")
			if is.Status != "Done" || is.Resolution != "Done" || !is.Resolved.Equal(t0.Add(time.Hour)) {
				t.Errorf("done: %s %q %v", is.Status, is.Resolution, is.Resolved)
			}
			got := obj(t, obj(t, c.want(200, "GET", api(f)+"/issue/OPS-1?fields=resolution,resolutiondate,status", nil))["fields"])
			if obj(t, got["resolution"])["name"] != "Done" || got["resolutiondate"] != "2026-03-02T13:00:00.000+0000" {
				t.Errorf("fields %v", got)
			}
			// Done -> Closed keeps the resolution and its date.
			clk.Advance(time.Hour)
			move("OPS-1", "91")
			if is, _ := srv.Issue("OPS-1"); is.Resolution != "Done" || !is.Resolved.Equal(t0.Add(time.Hour)) {
				t.Errorf("closed: %q %v", is.Resolution, is.Resolved)
			}
			move("OPS-1", "101")
			if is, _ := srv.Issue("OPS-1"); is.Status != "Open" || is.Resolution != "" || !is.Resolved.IsZero() {
				t.Errorf("reopened: %+v", is)
			}
			got = obj(t, obj(t, c.want(200, "GET", api(f)+"/issue/OPS-1", nil))["fields"])
			if _, ok := got["resolution"]; ok {
				t.Errorf("reopened issue has a resolution %v", got["resolution"])
			}
			move("OPS-2", "81")
			if is, _ := srv.Issue("OPS-2"); is.Status != "Won't Do" || is.Resolution != "Won't Do" {
				t.Errorf("won't do: %+v", is)
			}
			// Setters: a done status resolves, an open one clears.
			if err := srv.SetStatus("OPS-1", "Closed"); err != nil {
				t.Fatal(err)
			}
			if is, _ := srv.Issue("OPS-1"); is.Resolution != "Done" {
				t.Errorf("SetStatus Closed: %q", is.Resolution)
			}
			if err := srv.SetResolution("OPS-1", "Duplicate", t0); err != nil {
				t.Fatal(err)
			}
			if is, _ := srv.Issue("OPS-1"); is.Resolution != "Duplicate" || !is.Resolved.Equal(t0) {
				t.Errorf("SetResolution: %q %v", is.Resolution, is.Resolved)
			}
			if err := srv.SetStatus("OPS-1", "Open"); err != nil {
				t.Fatal(err)
			}
			if is, _ := srv.Issue("OPS-1"); is.Resolution != "" {
				t.Errorf("SetStatus Open: %q", is.Resolution)
			}
			if err := srv.AddIssue("OPS-3", "s", "Done"); err != nil {
				t.Fatal(err)
			}
			if is, _ := srv.Issue("OPS-3"); is.Resolution != "Done" || is.Resolved.IsZero() {
				t.Errorf("added as done: %+v", is)
			}
		})
	}
}

func TestIssueLinks(t *testing.T) {
	for _, f := range flavors {
		t.Run(f.String(), func(t *testing.T) {
			srv, c, _ := newChecked(t, f, Options{})
			for _, k := range []string{"OPS-1", "OPS-2", "OPS-3"} {
				if err := srv.AddIssue(k, "summary "+k, ""); err != nil {
					t.Fatal(err)
				}
			}
			var names []string
			for _, lt := range list(t, obj(t, c.want(200, "GET", api(f)+"/issueLinkType", nil))["issueLinkTypes"]) {
				names = append(names, obj(t, lt)["name"].(string))
			}
			if !reflect.DeepEqual(names, []string{"Blocks", "Duplicate", "Relates"}) {
				t.Errorf("link types %v", names)
			}
			link := func(status int, typ, in, out string) any {
				return c.want(status, "POST", api(f)+"/issueLink", map[string]any{
					"type": map[string]any{"name": typ}, "inwardIssue": map[string]any{"key": in}, "outwardIssue": map[string]any{"key": out},
				})
			}
			link(201, "Relates", "OPS-1", "OPS-2")
			link(201, "relates", "OPS-1", "OPS-2") // the same link again: not duplicated
			link(201, "Blocks", "OPS-3", "OPS-1")
			is, _ := srv.Issue("OPS-1")
			want := []IssueLink{{"Relates", "OPS-1", "OPS-2"}, {"Blocks", "OPS-3", "OPS-1"}}
			if !reflect.DeepEqual(is.Links, want) {
				t.Errorf("links %+v", is.Links)
			}
			fields := obj(t, obj(t, c.want(200, "GET", api(f)+"/issue/OPS-1?fields=issuelinks", nil))["fields"])
			links := list(t, fields["issuelinks"])
			if len(links) != 2 {
				t.Fatalf("issuelinks %v", links)
			}
			first, second := obj(t, links[0]), obj(t, links[1])
			if obj(t, first["type"])["name"] != "Relates" || obj(t, first["outwardIssue"])["key"] != "OPS-2" || first["inwardIssue"] != nil {
				t.Errorf("first link %v", first)
			}
			if obj(t, second["type"])["outward"] != "blocks" || obj(t, second["inwardIssue"])["key"] != "OPS-3" {
				t.Errorf("second link %v", second)
			}
			msgs, _ := errorMessages(t, link(404, "Causes", "OPS-1", "OPS-2"))
			if !reflect.DeepEqual(msgs, []string{"No issue link type with name 'Causes' found."}) {
				t.Errorf("unknown type: %v", msgs)
			}
			link(404, "Relates", "OPS-1", "OPS-404")
			link(400, "Relates", "OPS-1", "ops-1")
			if is, _ := srv.Issue("OPS-2"); !reflect.DeepEqual(is.Links, want[:1]) {
				t.Errorf("OPS-2 links %+v", is.Links)
			}
		})
	}
}
