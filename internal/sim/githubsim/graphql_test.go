package githubsim

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"
)

// post sends body to path with the given Authorization header ("" for none).
func post(t *testing.T, ts *httptest.Server, path, auth, body string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, ts.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

// gql runs a query with variables and returns the raw response body,
// failing unless the status is 200.
func gql(t *testing.T, ts *httptest.Server, query string, vars map[string]any) string {
	t.Helper()
	in := map[string]any{"query": query}
	if vars != nil {
		in["variables"] = vars
	}
	b, _ := json.Marshal(in)
	status, _, body := post(t, ts, "/graphql", "bearer "+testToken, string(b))
	if status != http.StatusOK {
		t.Fatalf("status %d: %s", status, body)
	}
	return body
}

// compact normalises a JSON literal written over several lines, keeping
// its key order.
func compact(t *testing.T, s string) string {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Compact(&buf, []byte(s)); err != nil {
		t.Fatalf("bad expected JSON: %v\n%s", err, s)
	}
	return buf.String()
}

func decode(t *testing.T, body string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("response is not JSON: %v\n%s", err, body)
	}
	return m
}

// fixture is a server holding acme/widgets#1 (merged, three commits) and
// acme/widgets#2 (open, by a bot, no commits).
func fixture(t *testing.T) (*Server, *httptest.Server) {
	s, ts := newTestServer(t)
	merged := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	s.AddPullRequest("acme", "widgets", PullRequest{
		Number: 1, Title: "PROJ-1 <fix> & test", Body: "Body", HeadRefName: "PROJ-1-fix", BaseRefName: "main",
		State: "merged", MergedAt: &merged, MergeCommitOID: strings.Repeat("f", 40), Author: "octocat",
		Commits: []Commit{
			{OID: strings.Repeat("1", 40), Message: "PROJ-1 first line\r\n\n  second paragraph\n\n", CommittedDate: merged.Add(-3 * time.Hour)},
			{OID: strings.Repeat("2", 40), Message: "no body", CommittedDate: merged.Add(-2 * time.Hour)},
			{OID: strings.Repeat("3", 40), Message: "Merge branch 'main'\n\nConflicts resolved", ParentCount: 2, CommittedDate: merged.Add(-1 * time.Hour)},
		},
	})
	s.AddPullRequest("acme", "widgets", PullRequest{Number: 2, Title: "Bump deps", Author: "dependabot[bot]"})
	return s, ts
}

func TestAuth(t *testing.T) {
	_, ts := fixture(t)
	const query = `{"query":"{ rateLimit { limit } }"}`
	const unauthorized = `{"message":"Bad credentials","documentation_url":"https://docs.github.com/graphql"}`
	for _, auth := range []string{"", "bearer wrong", "Basic " + testToken, testToken, "bearer", "Bearer " + testToken + "x"} {
		status, hdr, body := post(t, ts, "/graphql", auth, query)
		if status != http.StatusUnauthorized || body != unauthorized {
			t.Errorf("auth %q: %d %s", auth, status, body)
		}
		if !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") {
			t.Errorf("content type %q", hdr.Get("Content-Type"))
		}
	}
	for _, auth := range []string{"bearer " + testToken, "Bearer " + testToken, "BEARER " + testToken, "token " + testToken, "Token " + testToken} {
		status, _, body := post(t, ts, "/api/graphql", auth, query)
		if status != http.StatusOK || body != `{"data":{"rateLimit":{"limit":5000}}}` {
			t.Errorf("auth %q: %d %s", auth, status, body)
		}
	}
}

func TestNewRequiresToken(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("New without a token did not panic")
		}
	}()
	New(Options{})
}

func TestMalformedRequests(t *testing.T) {
	_, ts := fixture(t)
	status, _, body := post(t, ts, "/graphql", "bearer "+testToken, `{"query": "{ rateLimit { limit } }"`)
	if status != http.StatusBadRequest || body != `{"message":"Problems parsing JSON","documentation_url":"https://docs.github.com/graphql"}` {
		t.Errorf("truncated JSON: %d %s", status, body)
	}
	status, _, body = post(t, ts, "/graphql", "bearer "+testToken, `{"variables":{}}`)
	if status != http.StatusOK || body != `{"errors":[{"message":"A query attribute must be specified and must be a string."}]}` {
		t.Errorf("no query: %d %s", status, body)
	}
	status, _, body = post(t, ts, "/rest/of/the/api", "bearer "+testToken, `{}`)
	if status != http.StatusNotFound || !strings.Contains(body, `"message":"Not Found"`) {
		t.Errorf("unknown route: %d %s", status, body)
	}
	req, _ := http.NewRequest(http.MethodGet, ts.URL+"/graphql", nil)
	req.Header.Set("Authorization", "bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /graphql: %d", resp.StatusCode)
	}
}

func TestValidationErrorsAreGraphQLErrors(t *testing.T) {
	_, ts := fixture(t)
	cases := []struct {
		query, want string
	}{
		{
			"query {\n  repository(owner: \"acme\", name: \"widgets\") {\n    nope\n  }\n}",
			`{"errors":[{"extensions":{"code":"undefinedField","typeName":"Repository","fieldName":"nope"},"locations":[{"line":3,"column":5}],"message":"Field 'nope' doesn't exist on type 'Repository'"}]}`,
		},
		{
			`{ repository(name: "widgets") { name } }`,
			`{"errors":[{"extensions":{"code":"missingRequiredArguments","className":"Field","name":"repository","arguments":"owner"},"locations":[{"line":1,"column":3}],"message":"Field 'repository' is missing required arguments: owner"}]}`,
		},
		{
			`{ repository(owner: "acme", name: "widgets", colour: 1) { name } }`,
			`{"errors":[{"extensions":{"code":"argumentNotAccepted","name":"repository","typeName":"Field","argumentName":"colour"},"locations":[{"line":1,"column":3}],"message":"Field 'repository' doesn't accept argument 'colour'"}]}`,
		},
	}
	for _, c := range cases {
		if got := gql(t, ts, c.query, nil); got != c.want {
			t.Errorf("query %q\n got %s\nwant %s", c.query, got, c.want)
		}
	}

	// Errors gqlparser words itself still come back as GraphQL errors with
	// locations and no data.
	for _, q := range []string{
		`{ repository(owner: "acme", name: "widgets") { name `,                                                     // syntax
		`{ repository(owner: "acme", name: "widgets") }`,                                                           // missing selection
		`{ repository(owner: 1, name: "widgets") { name } }`,                                                       // wrong literal type
		`query($n: Int!) { rateLimit { cost } }`,                                                                   // unused variable
		`mutation { addStar(input: {}) { clientMutationId } }`,                                                     // no mutations
		`{ repository(owner: "a", name: "b") { pullRequest(number: 1) { commits(first: 1) { nodes { oid } } } } }`, // wrong level
	} {
		m := decode(t, gql(t, ts, q, nil))
		if _, has := m["data"]; has {
			t.Errorf("%s: has data: %v", q, m)
		}
		errs, _ := m["errors"].([]any)
		if len(errs) == 0 {
			t.Errorf("%s: no errors: %v", q, m)
			continue
		}
		e := errs[0].(map[string]any)
		if msg, _ := e["message"].(string); msg == "" {
			t.Errorf("%s: no message: %v", q, e)
		}
		if locs, _ := e["locations"].([]any); len(locs) == 0 {
			t.Errorf("%s: no locations: %v", q, e)
		}
	}
}

func TestAliasesKeepQueryOrder(t *testing.T) {
	_, ts := fixture(t)
	got := gql(t, ts, `{
	  z: repository(owner: "acme", name: "widgets") {
	    url
	    first: pullRequest(number: 1) { title number merged state }
	    second: pullRequest(number: 2) { number title merged isDraft }
	    name
	  }
	  a: repository(owner: "ACME", name: "Widgets") { nameWithOwner }
	}`, nil)
	want := compact(t, `{"data":{
	  "z":{"url":"https://github.com/acme/widgets",
	       "first":{"title":"PROJ-1 <fix> & test","number":1,"merged":true,"state":"MERGED"},
	       "second":{"number":2,"title":"Bump deps","merged":false,"isDraft":false},
	       "name":"widgets"},
	  "a":{"nameWithOwner":"acme/widgets"}}}`)
	if got != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}
}

func TestFragmentsAndTypename(t *testing.T) {
	s, ts := fixture(t)
	query := `
	query {
	  __typename
	  repository(owner: "acme", name: "widgets") {
	    __typename
	    ...Repo
	    owner { __typename login ... on Organization { id } ... on User { url } }
	    one: pullRequest(number: 1) { ...PR }
	    two: pullRequest(number: 2) { ...PR }
	  }
	}
	fragment Repo on Repository { name ... on Repository { nameWithOwner } }
	fragment PR on PullRequest {
	  author { __typename login ... on Bot { url } ...UserURL }
	  ... @include(if: false) { title }
	  number @skip(if: true)
	}
	fragment UserURL on User { url }
	`
	want := compact(t, `{"data":{"__typename":"Query","repository":{
	  "__typename":"Repository","name":"widgets","nameWithOwner":"acme/widgets",
	  "owner":{"__typename":"User","login":"acme","url":"https://github.com/acme"},
	  "one":{"author":{"__typename":"User","login":"octocat","url":"https://github.com/octocat"}},
	  "two":{"author":{"__typename":"Bot","login":"dependabot","url":"https://github.com/apps/dependabot"}}}}}`)
	if got := gql(t, ts, query, nil); got != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}

	s.AddOrganization("acme")
	got := decode(t, gql(t, ts, query, nil))
	owner := got["data"].(map[string]any)["repository"].(map[string]any)["owner"].(map[string]any)
	if owner["__typename"] != "Organization" || !strings.HasPrefix(owner["id"].(string), "O_") || owner["url"] != nil {
		t.Errorf("organization owner = %v", owner)
	}
}

func TestVariablesWithDefaults(t *testing.T) {
	_, ts := fixture(t)
	query := `query PR($owner: String!, $name: String = "widgets", $number: Int = 2, $first: Int) {
	  repository(owner: $owner, name: $name) {
	    pullRequest(number: $number) { number commits(first: $first) { totalCount } }
	  }
	  rateLimit(dryRun: true) { cost }
	}`
	if got, want := gql(t, ts, query, map[string]any{"owner": "acme"}),
		`{"data":{"repository":{"pullRequest":{"number":2,"commits":{"totalCount":0}}},"rateLimit":{"cost":1}}}`; got != want {
		t.Errorf("defaults:\n got %s\nwant %s", got, want)
	}
	if got, want := gql(t, ts, query, map[string]any{"owner": "acme", "number": 1, "first": 2}),
		`{"data":{"repository":{"pullRequest":{"number":1,"commits":{"totalCount":3}}},"rateLimit":{"cost":1}}}`; got != want {
		t.Errorf("given:\n got %s\nwant %s", got, want)
	}
	// Variables may arrive as a JSON string, and null for a nullable one.
	b, _ := json.Marshal(map[string]any{"query": query, "variables": `{"owner":"acme","name":null}`})
	_, _, body := post(t, ts, "/graphql", "bearer "+testToken, string(b))
	m := decode(t, body)
	// name: null is passed through (not defaulted) to a String! argument.
	if errs, _ := m["errors"].([]any); len(errs) != 1 || !strings.Contains(body, `"data":{"repository":null`) ||
		!strings.Contains(body, "Argument 'name' on Field 'repository' has an invalid value (null). Expected type 'String!'.") {
		t.Errorf("null variable: %s", body)
	}

	// A missing required variable is reported like GitHub does.
	got := gql(t, ts, query, map[string]any{})
	want := `{"errors":[{"extensions":{"value":null,"problems":[{"path":[],"explanation":"must be defined"}]},"locations":[{"line":1,"column":10}],"message":"Variable $owner of type String! was provided invalid value"}]}`
	if got != want {
		t.Errorf("missing variable:\n got %s\nwant %s", got, want)
	}
	m = decode(t, gql(t, ts, query, map[string]any{"owner": "acme", "number": "two"}))
	if errs, _ := m["errors"].([]any); len(errs) != 1 || m["data"] != nil {
		t.Errorf("string for Int: %v", m)
	}
}

func TestOperationName(t *testing.T) {
	_, ts := fixture(t)
	doc := `query A { rateLimit { limit } } query B { repository(owner: "acme", name: "widgets") { name } }`
	b, _ := json.Marshal(map[string]any{"query": doc, "operationName": "B"})
	if _, _, body := post(t, ts, "/graphql", "bearer "+testToken, string(b)); body != `{"data":{"repository":{"name":"widgets"}}}` {
		t.Errorf("operationName B: %s", body)
	}
	if body := gql(t, ts, doc, nil); body != `{"errors":[{"message":"An operation name is required"}]}` {
		t.Errorf("no operationName: %s", body)
	}
}

func TestNotFound(t *testing.T) {
	_, ts := fixture(t)
	got := gql(t, ts, "query {\n  repository(owner: \"acme\", name: \"nope\") { name }\n}", nil)
	want := `{"data":{"repository":null},"errors":[{"type":"NOT_FOUND","path":["repository"],"locations":[{"line":2,"column":3}],"message":"Could not resolve to a Repository with the name 'acme/nope'."}]}`
	if got != want {
		t.Errorf("repository:\n got %s\nwant %s", got, want)
	}
	got = gql(t, ts, "query($n: Int!) {\n  repository(owner: \"acme\", name: \"widgets\") {\n    name\n    pullRequest(number: $n) { title }\n  }\n}", map[string]any{"n": 5})
	want = `{"data":{"repository":{"name":"widgets","pullRequest":null}},"errors":[{"type":"NOT_FOUND","path":["repository","pullRequest"],"locations":[{"line":4,"column":5}],"message":"Could not resolve to a PullRequest with the number of 5."}]}`
	if got != want {
		t.Errorf("pull request:\n got %s\nwant %s", got, want)
	}
}

func TestPaginationArgumentErrors(t *testing.T) {
	_, ts := fixture(t)
	wrap := func(conn string) string {
		return "{\n  repository(owner: \"acme\", name: \"widgets\") {\n    pullRequest(number: 1) {\n      " + conn + "\n    }\n  }\n}"
	}
	cases := []struct{ conn, want string }{
		{`commits { nodes { commit { oid } } }`,
			`{"errors":[{"type":"MISSING_PAGINATION_BOUNDARIES","path":["repository","pullRequest","commits"],"locations":[{"line":4,"column":7}],"message":"You must provide a ` + "`first` or `last`" + ` value to properly paginate the ` + "`commits`" + ` connection."}]}`},
		{`c: commits { edges { cursor } }`,
			`{"errors":[{"type":"MISSING_PAGINATION_BOUNDARIES","path":["repository","pullRequest","c"],"locations":[{"line":4,"column":7}],"message":"You must provide a ` + "`first` or `last`" + ` value to properly paginate the ` + "`commits`" + ` connection."}]}`},
		{`commits(first: 101) { nodes { commit { oid } } }`,
			`{"errors":[{"type":"EXCESSIVE_PAGINATION","path":["repository","pullRequest","commits"],"locations":[{"line":4,"column":7}],"message":"Requesting 101 records on the ` + "`commits`" + ` connection exceeds the ` + "`first`" + ` limit of 100 records."}]}`},
		{`commits(last: 250) { totalCount }`,
			`{"errors":[{"type":"EXCESSIVE_PAGINATION","path":["repository","pullRequest","commits"],"locations":[{"line":4,"column":7}],"message":"Requesting 250 records on the ` + "`commits`" + ` connection exceeds the ` + "`last`" + ` limit of 100 records."}]}`},
		{`commits(first: 1) { nodes { commit { parents { nodes { oid } } } } }`,
			`{"errors":[{"type":"MISSING_PAGINATION_BOUNDARIES","path":["repository","pullRequest","commits","nodes","commit","parents"],"locations":[{"line":4,"column":44}],"message":"You must provide a ` + "`first` or `last`" + ` value to properly paginate the ` + "`parents`" + ` connection."}]}`},
	}
	for _, c := range cases {
		if got := gql(t, ts, wrap(c.conn), nil); got != c.want {
			t.Errorf("%s\n got %s\nwant %s", c.conn, got, c.want)
		}
	}
	// Via a fragment, too.
	q := `{ repository(owner: "acme", name: "widgets") { pullRequest(number: 1) { commits { ...C } } } } fragment C on PullRequestCommitConnection { nodes { url } }`
	if got := gql(t, ts, q, nil); !strings.Contains(got, "MISSING_PAGINATION_BOUNDARIES") {
		t.Errorf("fragment: %s", got)
	}
	// A variable page size is checked too.
	q = `query($n: Int) { repository(owner: "acme", name: "widgets") { pullRequest(number: 1) { commits(first: $n) { nodes { url } } } } }`
	if got := gql(t, ts, q, map[string]any{"n": 500}); !strings.Contains(got, "Requesting 500 records") {
		t.Errorf("variable: %s", got)
	}
	// totalCount and pageInfo alone need no page size.
	got := gql(t, ts, wrap(`commits { totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } }`), nil)
	want := `{"data":{"repository":{"pullRequest":{"commits":{"totalCount":3,"pageInfo":{"hasNextPage":false,"hasPreviousPage":false,"startCursor":"` +
		encodeCursor(0) + `","endCursor":"` + encodeCursor(2) + `"}}}}}}`
	if got != want {
		t.Errorf("totalCount only:\n got %s\nwant %s", got, want)
	}
	// Both first and last are refused.
	if got := gql(t, ts, wrap(`commits(first: 1, last: 1) { totalCount }`), nil); !strings.Contains(got, "Passing both `first` and `last`") {
		t.Errorf("first and last: %s", got)
	}
}

func TestCursorsPageForwardAndBackward(t *testing.T) {
	s, ts := newTestServer(t)
	s.AddPullRequest("acme", "widgets", bigPR(9, 7))
	stored, _ := s.PullRequest("acme", "widgets", 9)
	type pageResp struct {
		Data struct {
			Repository struct {
				PullRequest struct {
					Commits struct {
						TotalCount int
						PageInfo   struct {
							HasNextPage, HasPreviousPage bool
							StartCursor, EndCursor       *string
						}
						Edges []struct {
							Cursor string
							Node   struct{ Commit struct{ Oid string } }
						}
					}
				}
			}
		}
		Errors []map[string]any
	}
	query := `query($after: String, $before: String, $first: Int, $last: Int) {
	  repository(owner: "acme", name: "widgets") { pullRequest(number: 9) {
	    commits(after: $after, before: $before, first: $first, last: $last) {
	      totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
	      edges { cursor node { commit { oid } } }
	    } } } }`
	fetch := func(vars map[string]any) pageResp {
		t.Helper()
		var r pageResp
		if err := json.Unmarshal([]byte(gql(t, ts, query, vars)), &r); err != nil {
			t.Fatal(err)
		}
		if len(r.Errors) > 0 {
			t.Fatalf("errors: %v", r.Errors)
		}
		return r
	}
	oids := func(r pageResp) []string {
		var out []string
		for _, e := range r.Data.Repository.PullRequest.Commits.Edges {
			out = append(out, e.Node.Commit.Oid)
		}
		return out
	}
	all := func(idx ...int) []string {
		var out []string
		for _, i := range idx {
			out = append(out, stored.Commits[i].OID)
		}
		return out
	}

	// Forward, three at a time.
	var forward []string
	vars := map[string]any{"first": 3}
	for n := 0; ; n++ {
		r := fetch(vars)
		c := r.Data.Repository.PullRequest.Commits
		forward = append(forward, oids(r)...)
		if c.PageInfo.HasPreviousPage != (n > 0) {
			t.Errorf("page %d hasPreviousPage = %v", n, c.PageInfo.HasPreviousPage)
		}
		if *c.PageInfo.EndCursor != c.Edges[len(c.Edges)-1].Cursor || *c.PageInfo.StartCursor != c.Edges[0].Cursor {
			t.Errorf("page %d: cursors disagree: %+v", n, c)
		}
		if !c.PageInfo.HasNextPage {
			break
		}
		vars["after"] = *c.PageInfo.EndCursor
	}
	if !reflect.DeepEqual(forward, all(0, 1, 2, 3, 4, 5, 6)) {
		t.Errorf("forward = %v", forward)
	}

	// Backward, from the end.
	r := fetch(map[string]any{"last": 3})
	c := r.Data.Repository.PullRequest.Commits
	if !reflect.DeepEqual(oids(r), all(4, 5, 6)) || c.PageInfo.HasNextPage || !c.PageInfo.HasPreviousPage {
		t.Errorf("last 3: %v %+v", oids(r), c.PageInfo)
	}
	r = fetch(map[string]any{"last": 3, "before": *c.PageInfo.StartCursor})
	c = r.Data.Repository.PullRequest.Commits
	if !reflect.DeepEqual(oids(r), all(1, 2, 3)) || !c.PageInfo.HasNextPage || !c.PageInfo.HasPreviousPage {
		t.Errorf("last 3 before: %v %+v", oids(r), c.PageInfo)
	}
	r = fetch(map[string]any{"last": 3, "before": *c.PageInfo.StartCursor})
	c = r.Data.Repository.PullRequest.Commits
	if !reflect.DeepEqual(oids(r), all(0)) || c.PageInfo.HasPreviousPage {
		t.Errorf("first page backward: %v %+v", oids(r), c.PageInfo)
	}
	// Past the end: an empty page with null cursors.
	r = fetch(map[string]any{"first": 3, "after": encodeCursor(6)})
	c = r.Data.Repository.PullRequest.Commits
	if len(c.Edges) != 0 || c.PageInfo.StartCursor != nil || c.PageInfo.EndCursor != nil || c.PageInfo.HasNextPage {
		t.Errorf("past the end: %+v", c)
	}
	// Between two cursors.
	r = fetch(map[string]any{"first": 10, "after": encodeCursor(1), "before": encodeCursor(4)})
	if !reflect.DeepEqual(oids(r), all(2, 3)) {
		t.Errorf("between: %v", oids(r))
	}
}

func TestBadCursor(t *testing.T) {
	_, ts := fixture(t)
	for _, cursor := range []string{"garbage!", base64.StdEncoding.EncodeToString([]byte("cursor:v2:x")), base64.StdEncoding.EncodeToString([]byte("other:1"))} {
		got := gql(t, ts, "query($c: String) {\n  repository(owner: \"acme\", name: \"widgets\") {\n    pullRequest(number: 1) {\n      commits(first: 1, after: $c) { totalCount }\n    }\n  }\n}", map[string]any{"c": cursor})
		// commits is non-null, so its error nulls the pull request.
		want := `{"data":{"repository":{"pullRequest":null}},"errors":[{"type":"INVALID_CURSOR_ARGUMENTS","path":["repository","pullRequest","commits"],"locations":[{"line":4,"column":7}],"message":"` + "`" + cursor + "`" + ` does not appear to be a valid cursor."}]}`
		if got != want {
			t.Errorf("cursor %q:\n got %s\nwant %s", cursor, got, want)
		}
	}
}

func TestCommitFields(t *testing.T) {
	_, ts := fixture(t)
	got := gql(t, ts, `{ repository(owner: "acme", name: "widgets") { pullRequest(number: 1) {
	  mergedAt
	  mergeCommit { oid messageHeadline parents(first: 5) { totalCount nodes { oid } } }
	  commits(first: 3) { nodes { url commit { messageHeadline messageBody committedDate url
	    parents(first: 5) { totalCount nodes { oid } } } } }
	} } }`, nil)
	p1 := fakeOID(strings.Repeat("1", 40) + "^1")
	p3b := fakeOID(strings.Repeat("3", 40) + "^2")
	m1 := fakeOID(strings.Repeat("f", 40) + "^1")
	want := compact(t, `{"data":{"repository":{"pullRequest":{
	  "mergedAt":"2024-05-06T07:08:09Z",
	  "mergeCommit":{"oid":"ffffffffffffffffffffffffffffffffffffffff","messageHeadline":"Merge pull request #1 from acme/PROJ-1-fix",
	    "parents":{"totalCount":2,"nodes":[{"oid":"`+m1+`"},{"oid":"3333333333333333333333333333333333333333"}]}},
	  "commits":{"nodes":[
	    {"url":"https://github.com/acme/widgets/pull/1/commits/1111111111111111111111111111111111111111",
	     "commit":{"messageHeadline":"PROJ-1 first line","messageBody":"second paragraph","committedDate":"2024-05-06T04:08:09Z",
	       "url":"https://github.com/acme/widgets/commit/1111111111111111111111111111111111111111",
	       "parents":{"totalCount":1,"nodes":[{"oid":"`+p1+`"}]}}},
	    {"url":"https://github.com/acme/widgets/pull/1/commits/2222222222222222222222222222222222222222",
	     "commit":{"messageHeadline":"no body","messageBody":"","committedDate":"2024-05-06T05:08:09Z",
	       "url":"https://github.com/acme/widgets/commit/2222222222222222222222222222222222222222",
	       "parents":{"totalCount":1,"nodes":[{"oid":"1111111111111111111111111111111111111111"}]}}},
	    {"url":"https://github.com/acme/widgets/pull/1/commits/3333333333333333333333333333333333333333",
	     "commit":{"messageHeadline":"Merge branch 'main'","messageBody":"Conflicts resolved","committedDate":"2024-05-06T06:08:09Z",
	       "url":"https://github.com/acme/widgets/commit/3333333333333333333333333333333333333333",
	       "parents":{"totalCount":2,"nodes":[{"oid":"2222222222222222222222222222222222222222"},{"oid":"`+p3b+`"}]}}}
	  ]}}}}}`)
	if got != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}
	// The open PR has no merge data and null author fields where GitHub has them.
	got = gql(t, ts, `{ repository(owner: "acme", name: "widgets") { pullRequest(number: 2) { state merged mergedAt mergeCommit { oid } body } } }`, nil)
	if want := `{"data":{"repository":{"pullRequest":{"state":"OPEN","merged":false,"mergedAt":null,"mergeCommit":null,"body":""}}}}`; got != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}
}

func TestIDsAreStableAndDistinct(t *testing.T) {
	_, ts := fixture(t)
	q := `{ repository(owner: "acme", name: "widgets") { id owner { id }
	  pullRequest(number: 1) { id author { login } commits(first: 2) { nodes { id commit { id } } } } } }`
	a, b := gql(t, ts, q, nil), gql(t, ts, q, nil)
	if a != b {
		t.Errorf("ids changed between requests:\n%s\n%s", a, b)
	}
	var ids []string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, vv := range x {
				if k == "id" {
					ids = append(ids, vv.(string))
				}
				walk(vv)
			}
		case []any:
			for _, vv := range x {
				walk(vv)
			}
		}
	}
	walk(decode(t, a))
	seen := map[string]bool{}
	for _, id := range ids {
		if id == "" || seen[id] {
			t.Errorf("id %q empty or repeated in %s", id, a)
		}
		seen[id] = true
	}
	if len(ids) != 7 {
		t.Errorf("found %d ids in %s", len(ids), a)
	}
}

func TestRateLimit(t *testing.T) {
	_, ts := fixture(t)
	type rl struct {
		Data struct {
			RateLimit struct {
				Cost, Limit, NodeCount, Remaining, Used int
				ResetAt                                 time.Time
			}
		}
	}
	get := func(q string) (rl, http.Header) {
		t.Helper()
		b, _ := json.Marshal(map[string]any{"query": q})
		status, hdr, body := post(t, ts, "/graphql", "bearer "+testToken, string(b))
		if status != http.StatusOK {
			t.Fatalf("%d %s", status, body)
		}
		var r rl
		if err := json.Unmarshal([]byte(body), &r); err != nil {
			t.Fatal(err)
		}
		return r, hdr
	}
	const q = `{ rateLimit { cost limit nodeCount remaining used resetAt } }`
	first, hdr := get(q)
	second, _ := get(q)
	r1, r2 := first.Data.RateLimit, second.Data.RateLimit
	if r1.Cost != 1 || r1.Limit != 5000 || r1.Remaining != 4999 || r1.Used != 1 || r2.Remaining != 4998 || r2.Used != 2 {
		t.Errorf("rate limits %+v then %+v", r1, r2)
	}
	if until := time.Until(r1.ResetAt); until <= 0 || until > time.Hour+time.Second {
		t.Errorf("resetAt %v", r1.ResetAt)
	}
	if hdr.Get("X-RateLimit-Remaining") != "4999" || hdr.Get("X-RateLimit-Limit") != "5000" || hdr.Get("X-RateLimit-Resource") != "graphql" {
		t.Errorf("headers %v", hdr)
	}
	// A dry run costs nothing.
	dry, _ := get(`{ rateLimit(dryRun: true) { remaining cost } }`)
	if dry.Data.RateLimit.Remaining != 4998 || dry.Data.RateLimit.Cost != 1 {
		t.Errorf("dry run %+v", dry.Data.RateLimit)
	}
	// nodeCount multiplies page sizes down the tree, as GitHub documents:
	// 100 commits + 100*2 parents.
	big, _ := get(`{ rateLimit { nodeCount cost remaining } repository(owner: "acme", name: "widgets") { pullRequest(number: 1) {
	  commits(first: 100) { nodes { commit { parents(first: 2) { totalCount } } } } } } }`)
	if big.Data.RateLimit.NodeCount != 300 || big.Data.RateLimit.Cost != 1 || big.Data.RateLimit.Remaining != 4997 {
		t.Errorf("big query %+v", big.Data.RateLimit)
	}
	// 100 commits each asking for 100 parents: 101 requests, cost 1; 100
	// commits * 100 parents * ... is enough to cost more.
	costly, _ := get(`{ rateLimit { cost nodeCount } repository(owner: "acme", name: "widgets") { pullRequest(number: 1) {
	  commits(first: 100) { nodes { commit { parents(first: 100) { nodes { parents(first: 1) { totalCount } } } } } } } } }`)
	// requests: 1 + 100 + 100*100 = 10101 -> cost 101.
	if costly.Data.RateLimit.Cost != 101 || costly.Data.RateLimit.NodeCount != 100+100*100+100*100 {
		t.Errorf("costly query %+v", costly.Data.RateLimit)
	}
}

func TestAddPullRequestReplacesAndCopies(t *testing.T) {
	s, _ := newTestServer(t)
	if _, ok := s.PullRequest("acme", "widgets", 1); ok {
		t.Fatal("found a PR in an empty server")
	}
	pr := PullRequest{Number: 1, Title: "first", Commits: []Commit{{Message: "m"}}}
	s.AddPullRequest("acme", "widgets", pr)
	pr.Commits[0].Message = "mutated by caller"
	got, ok := s.PullRequest("ACME", "WIDGETS", 1)
	if !ok || got.Title != "first" || got.Commits[0].Message != "m" || got.State != "OPEN" ||
		got.URL != "https://github.com/acme/widgets/pull/1" || len(got.Commits[0].OID) != 40 {
		t.Errorf("stored %+v", got)
	}
	got.Commits[0].Message = "mutated via copy"
	s.AddPullRequest("acme", "widgets", PullRequest{Number: 1, Title: "second", URL: "https://ghe.example/acme/widgets/pull/1"})
	again, _ := s.PullRequest("acme", "widgets", 1)
	if again.Title != "second" || len(again.Commits) != 0 || again.URL != "https://ghe.example/acme/widgets/pull/1" {
		t.Errorf("replaced %+v", again)
	}
}

func TestAddPullRequestRejectsUnknownState(t *testing.T) {
	s, _ := newTestServer(t)
	defer func() {
		if recover() == nil {
			t.Error("state DRAFT was accepted")
		}
	}()
	s.AddPullRequest("acme", "widgets", PullRequest{Number: 1, State: "DRAFT"})
}
