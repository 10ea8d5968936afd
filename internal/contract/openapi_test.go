package contract

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// jiraExample is one entry of jira/examples/from-openapi/INDEX.json: an
// example the spec itself gives for an operation's request or response.
type jiraExample struct {
	File    string `json:"file"`
	Path    string `json:"path"`
	Method  string `json:"method"`
	Pointer string `json:"pointer"`
}

// brokenJiraExamples are the spec's own examples that contradict the
// spec's own schemas (Atlassian's bugs, not ours), with the problem each
// has. They are checked to still fail, so the list stays true.
//
// The remote link list example used to be here too: jiraErrata corrects
// that schema, and the example passing is the proof it is right.
var brokenJiraExamples = map[string]string{
	// expirationDate is specified as an int64 but the example (like Jira)
	// gives a date-time string.
	"webhook.list.response.200.json": `"/values/0/expirationDate": value must be an integer`,
	// Changelog items' from/to are null in the example, but the schema
	// does not mark them nullable.
	"issue.changelog.response.200.json": `"/values/0/items/0/from": Value is not nullable`,
	// ServerInformation has additionalProperties: false and no
	// defaultLocale, which the example includes.
	"serverInfo.get.response.200.json": `property "defaultLocale" is unsupported`,
}

func loadJiraExamples(t *testing.T) (dir string, examples []jiraExample) {
	t.Helper()
	dir = filepath.Join(Require(t), "jira")
	b, err := os.ReadFile(RequireFile(t, "jira/examples/from-openapi/INDEX.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &examples); err != nil {
		t.Fatalf("INDEX.json: %v", err)
	}
	return dir, examples
}

var templateParam = regexp.MustCompile(`\{[^}]+\}`)

// checkJiraExample validates one example as the request or response it is
// an example of, at a concrete path under prefix ("/rest/api/3/" or
// "/rest/api/2/").
func checkJiraExample(spec *Spec, dir string, e jiraExample, prefix string) error {
	body, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(e.File)))
	if err != nil {
		return err
	}
	path := prefix + strings.TrimPrefix(templateParam.ReplaceAllString(e.Path, "PROJ-1"), "/rest/api/3/")
	r := httptest.NewRequest(strings.ToUpper(e.Method), "http://127.0.0.1:8080"+path, nil)
	parts := strings.Split(e.Pointer, ".")
	if parts[0] == "requestBody" {
		r.Header.Set("Content-Type", "application/json")
		return spec.ValidateRequest(r, body)
	}
	status, err := strconv.Atoi(parts[1])
	if err != nil {
		return err
	}
	return spec.ValidateResponse(r, status, http.Header{"Content-Type": {"application/json"}}, body)
}

func TestJiraSpecExamples(t *testing.T) {
	spec := JiraSpec(t)
	dir, examples := loadJiraExamples(t)
	must := map[string]bool{
		"search.jql.post.response.200.json":         false,
		"issue.transitions.get.response.200.json":   false,
		"issue.transitions.post.request.json":       false,
		"issue.comment.add.request.json":            false,
		"issue.comment.add.response.201.json":       false,
		"issue.remotelink.create.request.json":      false,
		"issue.remotelink.create.response.201.json": false,
	}
	for _, e := range examples {
		name := filepath.Base(e.File)
		t.Run(name, func(t *testing.T) {
			err := checkJiraExample(spec, dir, e, "/rest/api/3/")
			if want, broken := brokenJiraExamples[name]; broken {
				switch {
				case err == nil:
					t.Errorf("the spec now accepts its example; remove it from brokenJiraExamples")
				case !strings.Contains(err.Error(), want):
					t.Errorf("broken example fails differently than recorded (%q):\n%v", want, err)
				}
				return
			}
			if err != nil {
				t.Errorf("vendor example rejected: %v", err)
			}
			if _, ok := must[name]; ok {
				must[name] = true
			}
		})
	}
	for name, seen := range must {
		if !seen {
			t.Errorf("example %s was not validated", name)
		}
	}
}

// TestJiraSpecExamplesAsV2 checks the request examples sent to
// /rest/api/2/ paths, which are validated as their v3 equivalents.
func TestJiraSpecExamplesAsV2(t *testing.T) {
	spec := JiraSpec(t)
	dir, examples := loadJiraExamples(t)
	n := 0
	for _, e := range examples {
		if !strings.HasPrefix(e.Pointer, "requestBody") {
			continue
		}
		n++
		if err := checkJiraExample(spec, dir, e, "/rest/api/2/"); err != nil {
			t.Errorf("%s as v2: %v", e.File, err)
		}
	}
	if n == 0 {
		t.Fatal("no request examples")
	}
}

// jiraCase is one request (and optionally response) to validate.
type jiraCase struct {
	method, url, body string
	status            int    // 0: validate the request, else the response with this status
	contentType       string // default application/json
	want              string // "" when valid, else a substring of the error
}

func (c jiraCase) run(t *testing.T, spec *Spec) {
	t.Helper()
	r := httptest.NewRequest(c.method, c.url, nil)
	ct := c.contentType
	if ct == "" {
		ct = "application/json"
	}
	var err error
	if c.status == 0 {
		if c.body != "" {
			r.Header.Set("Content-Type", ct)
		}
		err = spec.ValidateRequest(r, []byte(c.body))
	} else {
		h := http.Header{}
		if ct != "-" {
			h.Set("Content-Type", ct)
		}
		err = spec.ValidateResponse(r, c.status, h, []byte(c.body))
	}
	switch {
	case c.want == "" && err != nil:
		t.Errorf("valid traffic rejected: %v", err)
	case c.want != "" && err == nil:
		t.Errorf("invalid traffic accepted")
	case c.want != "" && !strings.Contains(err.Error(), c.want):
		t.Errorf("error does not mention %q:\n%v", c.want, err)
	}
}

func TestJiraSpecRequests(t *testing.T) {
	spec := JiraSpec(t)
	const local = "http://127.0.0.1:39123"
	for name, c := range map[string]jiraCase{
		"search jql": {
			method: "POST", url: local + "/rest/api/3/search/jql",
			body: `{"jql":"project = PROJ","fields":["summary","status"],"maxResults":50,"nextPageToken":"abc"}`,
		},
		"search jql on the vendor host": {
			method: "POST", url: "https://your-domain.atlassian.net/rest/api/3/search/jql", body: `{"jql":"project = PROJ"}`,
		},
		"search jql unknown property": {
			method: "POST", url: local + "/rest/api/3/search/jql", body: `{"jql":"project = PROJ","startAt":0}`,
			want: `contract: POST /rest/api/3/search/jql request: body: doesn't match schema #/components/schemas/SearchAndReconcileRequestBean: property "startAt" is unsupported`,
		},
		"search jql wrong type": {
			method: "POST", url: local + "/rest/api/3/search/jql", body: `{"jql":"project = PROJ","maxResults":"50"}`,
			want: `Error at "/maxResults": value must be an integer`,
		},
		"search jql every problem listed": {
			method: "POST", url: local + "/rest/api/3/search/jql", body: `{"jql":1,"fields":"summary"}`,
			want: "2 problems",
		},
		"search jql without body": {
			method: "POST", url: local + "/rest/api/3/search/jql",
			want: "value is required but missing",
		},
		"search jql body not JSON": {
			method: "POST", url: local + "/rest/api/3/search/jql", body: `jql=x`, contentType: "application/x-www-form-urlencoded",
			want: `header Content-Type has unexpected value "application/x-www-form-urlencoded"`,
		},
		"search jql GET with query": {
			method: "GET", url: local + "/rest/api/3/search/jql?jql=project%20%3D%20PROJ&maxResults=10&fields=summary",
		},
		"search jql GET wrong query type": {
			method: "GET", url: local + "/rest/api/3/search/jql?jql=x&maxResults=ten",
			want: `query parameter "maxResults"`,
		},
		"search jql GET unknown query parameter": {
			method: "GET", url: local + "/rest/api/3/search/jql?jql=x&startAt=0",
			want: `query parameter "startAt": not documented for this operation`,
		},
		"transition": {
			method: "POST", url: local + "/rest/api/3/issue/PROJ-1/transitions", body: `{"transition":{"id":"31"}}`,
		},
		"transition not an object": {
			method: "POST", url: local + "/rest/api/3/issue/PROJ-1/transitions", body: `{"transition":"31"}`,
			want: `Error at "/transition"`,
		},
		"transition with a readOnly property": {
			method: "POST", url: local + "/rest/api/3/issue/PROJ-1/transitions", body: `{"transition":{"id":"31","name":"Done"}}`,
			want: `readOnly property "name" in request`,
		},
		"comment in ADF": {
			method: "POST", url: local + "/rest/api/3/issue/PROJ-1/comment",
			body: `{"body":{"type":"doc","version":1,"content":[{"type":"paragraph","content":[{"type":"text","text":"hi"}]}]}}`,
		},
		"v2 comment in wiki markup": {
			method: "POST", url: local + "/rest/api/2/issue/PROJ-1/comment", body: `{"body":"h3. Fixed\n* by {{abc123}}"}`,
		},
		"v2 transition not an object": {
			method: "POST", url: local + "/rest/api/2/issue/PROJ-1/transitions", body: `{"transition":"31"}`,
			want: `contract: POST /rest/api/2/issue/PROJ-1/transitions (checked as /rest/api/3/issue/{issueIdOrKey}/transitions) request: body`,
		},
		"remote link without object": {
			method: "POST", url: local + "/rest/api/3/issue/PROJ-1/remotelink", body: `{"globalId":"x"}`,
			want: `property "object" is missing`,
		},
		"undocumented path": {
			method: "GET", url: local + "/rest/api/3/issue/PROJ-1/fixproof",
			want: "contract: GET /rest/api/3/issue/PROJ-1/fixproof request: no path in the Jira spec matches",
		},
		"undocumented API version": {
			method: "GET", url: local + "/rest/api/4/myself",
			want: "no path in the Jira spec matches",
		},
		"undocumented method": {
			method: "DELETE", url: local + "/rest/api/3/search/jql",
			want: "the Jira spec documents only GET, POST for this path",
		},
		"body on an operation without one": {
			method: "GET", url: local + "/rest/api/3/myself", body: `{"x":1}`,
			want: "request body not allowed",
		},
	} {
		t.Run(name, func(t *testing.T) { c.run(t, spec) })
	}
}

func TestJiraSpecResponses(t *testing.T) {
	spec := JiraSpec(t)
	const transitions = "http://127.0.0.1:39123/rest/api/3/issue/PROJ-1/transitions"
	const comment = `{"id":"10000","body":"x","created":"%s","updated":"2021-01-18T23:45:00.000+0000"}`
	for name, c := range map[string]jiraCase{
		"transitions": {
			method: "GET", url: transitions, status: 200,
			body: `{"transitions":[{"id":"31","name":"Done","to":{"id":"3","name":"Done"}}]}`,
		},
		"transitions is a string": {
			method: "GET", url: transitions, status: 200, body: `{"transitions":"Done"}`,
			want: `contract: GET /rest/api/3/issue/PROJ-1/transitions response 200: response body doesn't match schema #/components/schemas/Transitions: Error at "/transitions": value must be an array`,
		},
		"transitions unknown property": {
			method: "GET", url: transitions, status: 200, body: `{"transitions":[],"total":0}`,
			want: `property "total" is unsupported`,
		},
		"transition posted": {method: "POST", url: transitions, status: 204},
		"undocumented status": {
			method: "GET", url: transitions, status: 418, body: `{}`,
			want: "status is not supported",
		},
		"429 undocumented but allowed": {
			method: "GET", url: transitions, status: 429, body: `slow down`, contentType: "text/plain",
		},
		"503 undocumented but allowed": {method: "GET", url: transitions, status: 503, body: `<html>`, contentType: "text/html"},
		"documented error": {
			method: "GET", url: transitions, status: 404, body: `{"errorMessages":["Issue does not exist"],"errors":{}}`,
		},
		"no content type": {
			method: "GET", url: transitions, status: 200, body: `{"transitions":[]}`, contentType: "-",
			want: "header Content-Type has unexpected value",
		},
		"Jira date-time": {
			method: "GET", url: "http://h/rest/api/3/issue/PROJ-1/comment/10000", status: 200,
			body: strings.Replace(comment, "%s", "2021-01-17T12:34:00.000+0000", 1),
		},
		"RFC 3339 date-time": {
			method: "GET", url: "http://h/rest/api/3/issue/PROJ-1/comment/10000", status: 200,
			body: strings.Replace(comment, "%s", "2021-01-17T12:34:00Z", 1),
		},
		"bad date-time": {
			method: "GET", url: "http://h/rest/api/3/issue/PROJ-1/comment/10000", status: 200,
			body: strings.Replace(comment, "%s", "17/01/2021", 1),
			want: `Error at "/created"`,
		},
		"null where not nullable": {
			method: "GET", url: "http://h/rest/api/3/issue/PROJ-1/comment/10000", status: 200,
			body: `{"id":"10000","body":"x","renderedBody":null}`,
			want: `Error at "/renderedBody": Value is not nullable`,
		},
		"v2 search response": {
			method: "POST", url: "http://h/rest/api/2/search", status: 200,
			body: `{"startAt":0,"maxResults":50,"total":1,"issues":[{"id":"10000","key":"PROJ-1","fields":{"summary":"s","description":"wiki *text*"}}]}`,
		},
		"undocumented path": {
			method: "GET", url: "http://h/rest/api/3/nothing", status: 200, body: `{}`,
			want: "contract: GET /rest/api/3/nothing response 200: no path in the Jira spec matches",
		},
	} {
		t.Run(name, func(t *testing.T) { c.run(t, spec) })
	}
}

func TestJiraSpecIsCached(t *testing.T) {
	if a, b := JiraSpec(t), JiraSpec(t); a != b {
		t.Errorf("JiraSpec loaded the spec twice")
	}
}

func TestSpecTransport(t *testing.T) {
	spec := JiraSpec(t)
	var mu sync.Mutex
	var gotBody string
	received := func() string {
		mu.Lock()
		defer mu.Unlock()
		return gotBody
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		gotBody = string(b)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.URL.Path == "/rest/api/3/issue/PROJ-1/transitions" && r.Method == "GET":
			io.WriteString(w, `{"transitions":"Done"}`)
		case r.URL.Path == "/rest/api/3/issue/PROJ-1/transitions":
			w.WriteHeader(http.StatusNoContent)
		case r.URL.Path == "/rest/api/3/myself":
			w.WriteHeader(http.StatusServiceUnavailable)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer srv.Close()

	rec := &tbRecorder{}
	client := &http.Client{Transport: spec.Transport(rec, nil)}
	do := func(method, path, body string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	// Valid both ways: nothing reported.
	if code, _ := do("POST", "/rest/api/3/issue/PROJ-1/transitions", `{"transition":{"id":"31"}}`); code != 204 {
		t.Errorf("status %d", code)
	}
	if got := received(); got != `{"transition":{"id":"31"}}` {
		t.Errorf("server received body %q", got)
	}
	do("GET", "/rest/api/3/myself", "") // 503: allowed
	if errs := rec.errors(); len(errs) != 0 {
		t.Fatalf("valid traffic reported: %q", errs)
	}

	// Invalid request: reported, and still sent unchanged.
	do("POST", "/rest/api/3/issue/PROJ-1/transitions", `{"transition":"31"}`)
	if got := received(); got != `{"transition":"31"}` {
		t.Errorf("server received body %q", got)
	}
	// Invalid response: reported, and the client still gets it.
	if _, body := do("GET", "/rest/api/3/issue/PROJ-1/transitions", ""); body != `{"transitions":"Done"}` {
		t.Errorf("client got body %q", body)
	}
	// Undocumented path: reported once.
	do("GET", "/rest/api/3/fixproof", "")

	errs := rec.errors()
	want := []string{
		`contract: POST /rest/api/3/issue/PROJ-1/transitions request: body: doesn't match schema`,
		`contract: GET /rest/api/3/issue/PROJ-1/transitions response 200: response body doesn't match schema #/components/schemas/Transitions: Error at "/transitions": value must be an array`,
		`contract: GET /rest/api/3/fixproof request: no path in the Jira spec matches`,
	}
	if len(errs) != len(want) {
		t.Fatalf("reported %d problems, want %d: %q", len(errs), len(want), errs)
	}
	for i := range want {
		if !strings.HasPrefix(errs[i], want[i]) {
			t.Errorf("report %d = %q, want it to start with %q", i, errs[i], want[i])
		}
	}
}

func TestJiraErratumRemoteLinkListIsAnArray(t *testing.T) {
	spec := JiraSpec(t)
	req := httptest.NewRequest(http.MethodGet, "/rest/api/3/issue/OPS-1/remotelink", nil)
	link := `{"id":10000,"self":"https://x.atlassian.net/rest/api/3/issue/OPS-1/remotelink/10000","globalId":"g","object":{"url":"https://example.com","title":"t"}}`
	for _, body := range []string{"[" + link + "]", link, "[]"} {
		if err := spec.ValidateResponse(req, 200, http.Header{"Content-Type": {"application/json"}}, []byte(body)); err != nil {
			t.Errorf("%s: %v", body, err)
		}
	}
	if err := spec.ValidateResponse(req, 200, http.Header{"Content-Type": {"application/json"}}, []byte(`"links"`)); err == nil {
		t.Error("a string is neither a link nor a list of links")
	}
}
