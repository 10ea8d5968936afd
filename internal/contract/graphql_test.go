package contract

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// prQuery is the kind of query fixproof sends to read a pull request.
const prQuery = `query($owner:String!,$name:String!,$number:Int!,$cursor:String){repository(owner:$owner,name:$name){pullRequest(number:$number){number title body url headRefName state isDraft merged mergedAt commits(first:100,after:$cursor){totalCount pageInfo{hasNextPage endCursor} nodes{commit{oid message parents(first:2){totalCount}}}}}}}`

func prVars() map[string]any {
	return map[string]any{"owner": "octo", "name": "repo", "number": 7, "cursor": nil}
}

// prResponse is a valid response to prQuery.
const prResponse = `{"data":{"repository":{"pullRequest":{
	"number":7,"title":"Fix it","body":"Fixes PROJ-1","url":"https://github.com/octo/repo/pull/7",
	"headRefName":"fix","state":"OPEN","isDraft":false,"merged":false,"mergedAt":null,
	"commits":{"totalCount":1,"pageInfo":{"hasNextPage":false,"endCursor":"MQ"},
		"nodes":[{"commit":{"oid":"0123456789abcdef0123456789abcdef01234567","message":"fix","parents":{"totalCount":1}}}]}}}}}`

func TestGitHubSchemaDropsOnlyKnownDuplicates(t *testing.T) {
	p := RequireFile(t, gitHubSchemaFile)
	s, dropped, err := loadGraphQLSchema(p)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"EnterpriseOwnerInfo.repositoryDeployKeySetting",
		"EnterpriseOwnerInfo.repositoryDeployKeySettingOrganizations",
	}
	if !slices.Equal(dropped, want) {
		t.Errorf("dropped duplicates %q, want %q (update the GitHubSchema doc comment)", dropped, want)
	}
	if s.Query == nil || s.Query.Fields.ForName("repository") == nil {
		t.Errorf("schema has no Query.repository")
	}
	// The first definition of each is kept.
	raw, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := parser.ParseSchema(&ast.Source{Name: p, Input: string(raw)})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dropped {
		typ, field, _ := strings.Cut(d, ".")
		first := -1
		for _, f := range doc.Definitions.ForName(typ).Fields {
			if f.Name == field && first < 0 {
				first = f.Position.Line
			}
		}
		kept := s.Types[typ].Fields.ForName(field)
		if kept == nil || kept.Position.Line != first {
			t.Errorf("%s: the definition at line %d should be kept, got %v", d, first, kept)
		}
	}
}

func TestGitHubSchemaIsCached(t *testing.T) {
	if a, b := GitHubSchema(t), GitHubSchema(t); a != b {
		t.Errorf("GitHubSchema loaded the schema twice")
	}
}

func TestValidateGraphQLAccepts(t *testing.T) {
	s := GitHubSchema(t)
	for name, tc := range map[string]struct {
		query string
		vars  map[string]any
	}{
		"pull request":         {prQuery, prVars()},
		"without variables":    {prQuery, nil},
		"cursor given":         {prQuery, map[string]any{"owner": "o", "name": "n", "number": 1, "cursor": "Y3Vyc29y"}},
		"number as json float": {prQuery, map[string]any{"owner": "o", "name": "n", "number": 7.0}},
		"mutation with input": {
			`mutation($input:AddCommentInput!){addComment(input:$input){clientMutationId}}`,
			map[string]any{"input": map[string]any{"subjectId": "PR_kw", "body": "hi"}},
		},
		"enum list variable": {
			`query($states:[PullRequestState!]){repository(owner:"o",name:"n"){pullRequests(first:1,states:$states){totalCount}}}`,
			map[string]any{"states": []string{"OPEN", "MERGED"}},
		},
		"list coerced from one value": {
			`query($states:[PullRequestState!]){repository(owner:"o",name:"n"){pullRequests(first:1,states:$states){totalCount}}}`,
			map[string]any{"states": "OPEN"},
		},
		"fragments and aliases": {
			`query{a:repository(owner:"o",name:"n"){...R} node(id:"x"){__typename ... on PullRequest{number}}} fragment R on Repository{nameWithOwner}`,
			map[string]any{},
		},
	} {
		t.Run(name, func(t *testing.T) {
			if err := ValidateGraphQL(s, tc.query, tc.vars); err != nil {
				t.Errorf("valid query rejected: %v", err)
			}
		})
	}
}

func TestValidateGraphQLRejects(t *testing.T) {
	s := GitHubSchema(t)
	addComment := `mutation($input:AddCommentInput!){addComment(input:$input){clientMutationId}}`
	states := `query($states:[PullRequestState!]){repository(owner:"o",name:"n"){pullRequests(first:1,states:$states){totalCount}}}`
	for name, tc := range map[string]struct {
		query string
		vars  map[string]any
		want  []string // substrings the error must have
	}{
		"unknown field": {
			strings.Replace(prQuery, "headRefName", "headBranchName", 1), prVars(),
			[]string{`Cannot query field "headBranchName" on type "PullRequest"`},
		},
		"wrong argument type": {
			`query{repository(owner:"o",name:"n"){pullRequest(number:"7"){title}}}`, nil,
			[]string{`Int cannot represent non-integer value: "7"`},
		},
		"variable declared with the wrong type": {
			strings.Replace(prQuery, "$number:Int!", "$number:String!", 1), nil,
			[]string{`Variable "$number" of type "String!" used in position expecting type "Int!"`},
		},
		"syntax error": {`query{repository(owner:"o"`, nil, []string{"Expected"}},
		"variable value of the wrong type": {
			prQuery, map[string]any{"owner": "o", "name": "n", "number": "7"},
			[]string{`variable $number: string "7" is not an Int`},
		},
		"fractional Int": {
			prQuery, map[string]any{"owner": "o", "name": "n", "number": 7.5},
			[]string{`variable $number: 7.5 is not an Int`},
		},
		"Int out of 32-bit range": {
			prQuery, map[string]any{"owner": "o", "name": "n", "number": int64(1) << 40},
			[]string{`variable $number: 1099511627776 is not an Int`},
		},
		"missing required variable": {
			prQuery, map[string]any{"owner": "o", "name": "n"},
			[]string{`variable $number: required (type Int!) but not given`},
		},
		"null for non-null variable": {
			prQuery, map[string]any{"owner": "o", "name": nil, "number": 1},
			[]string{`variable $name: null for non-null type String!`},
		},
		"undeclared variable": {
			prQuery, map[string]any{"owner": "o", "name": "n", "number": 1, "after": "x"},
			[]string{`variable $after: not declared by the operation`},
		},
		"enum value in the wrong case": {
			states, map[string]any{"states": []string{"open"}},
			[]string{`variable $states[0]: string "open" is not a value of enum PullRequestState`},
		},
		"input object with unknown and missing fields": {
			addComment, map[string]any{"input": map[string]any{"subject": "PR_kw", "body": "hi"}},
			[]string{`variable $input.subject: AddCommentInput has no such field`, `variable $input.subjectId: required (type ID!) but not given`},
		},
		"every problem is listed": {
			`query($n:Int!){repository(owner:"o",name:"n"){bogus1 pullRequest(number:$n){bogus2}}}`, map[string]any{},
			[]string{"bogus1", "bogus2", "$n: required"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			err := ValidateGraphQL(s, tc.query, tc.vars)
			if err == nil {
				t.Fatalf("invalid query accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not mention %q:\n%v", w, err)
				}
			}
			if !strings.HasPrefix(err.Error(), "contract: GraphQL ") {
				t.Errorf("error does not say what failed: %v", err)
			}
		})
	}
}

func TestValidateGraphQLResponse(t *testing.T) {
	s := GitHubSchema(t)
	nodeQuery := `query{node(id:"x"){__typename ... on PullRequest{number} ...I} viewer{login}} fragment I on Issue{title}`
	for name, tc := range map[string]struct {
		query, body string
		want        string // "" when valid, else a substring of the error
	}{
		"valid":                   {prQuery, prResponse, ""},
		"errors with null data":   {prQuery, `{"data":null,"errors":[{"message":"Could not resolve","type":"NOT_FOUND"}]}`, ""},
		"nullable field null":     {prQuery, `{"data":{"repository":null},"errors":[{"message":"not found"}]}`, ""},
		"typename picks fragment": {nodeQuery, `{"data":{"node":{"__typename":"Issue","title":"t"},"viewer":{"login":"me"}}}`, ""},
		"typename fragment field missing": {
			nodeQuery, `{"data":{"node":{"__typename":"PullRequest"},"viewer":{"login":"me"}}}`, "data.node.number: missing",
		},
		"field of a fragment that does not apply": {
			nodeQuery, `{"data":{"node":{"__typename":"Issue","title":"t","number":1},"viewer":{"login":"me"}}}`, "data.node.number: not selected",
		},
		"typename not a possible type": {
			nodeQuery, `{"data":{"node":{"__typename":"Nope"},"viewer":{"login":"me"}}}`, `"Nope" is not an object type of Node`,
		},
		"Int as string": {
			prQuery, strings.Replace(prResponse, `"number":7`, `"number":"7"`, 1), `data.repository.pullRequest.number: string "7" is not an Int`,
		},
		"null for non-null": {
			prQuery, strings.Replace(prResponse, `"title":"Fix it"`, `"title":null`, 1), "data.repository.pullRequest.title: null for non-null type String!",
		},
		"missing field": {
			prQuery, strings.Replace(prResponse, `"isDraft":false,`, ``, 1), "data.repository.pullRequest.isDraft: missing",
		},
		"field not selected": {
			prQuery, strings.Replace(prResponse, `"isDraft":false,`, `"isDraft":false,"draft":false,`, 1), "data.repository.pullRequest.draft: not selected",
		},
		"enum in the wrong case": {
			prQuery, strings.Replace(prResponse, `"OPEN"`, `"open"`, 1), `string "open" is not a value of enum PullRequestState`,
		},
		"object instead of list": {
			prQuery, strings.Replace(strings.Replace(prResponse, `"nodes":[`, `"nodes":`, 1), `}}]}`, `}}}`, 1), "nodes: an object, not a list",
		},
		"no data and no errors": {prQuery, `{}`, "neither data nor errors"},
		"empty errors":          {prQuery, `{"errors":[]}`, "not a non-empty list"},
		"unknown top-level key": {prQuery, `{"data":null,"errors":[{"message":"x"}],"error":"x"}`, `"error": not a GraphQL response entry`},
		"not JSON":              {prQuery, `<html>`, "body is not JSON"},
	} {
		t.Run(name, func(t *testing.T) {
			err := ValidateGraphQLResponse(s, tc.query, "", prVars(), []byte(tc.body))
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("valid response rejected: %v", err)
			case tc.want != "" && err == nil:
				t.Errorf("invalid response accepted")
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Errorf("error does not mention %q:\n%v", tc.want, err)
			}
		})
	}
}

func TestValidateGraphQLResponseSkipInclude(t *testing.T) {
	s := GitHubSchema(t)
	q := `query($withLogin:Boolean!){viewer{login @include(if:$withLogin) name @skip(if:true)}}`
	if err := ValidateGraphQLResponse(s, q, "", map[string]any{"withLogin": false}, []byte(`{"data":{"viewer":{}}}`)); err != nil {
		t.Errorf("skipped fields required: %v", err)
	}
	if err := ValidateGraphQLResponse(s, q, "", map[string]any{"withLogin": true}, []byte(`{"data":{"viewer":{}}}`)); err == nil {
		t.Errorf("included field not required")
	}
	if err := ValidateGraphQLResponse(s, q, "", map[string]any{"withLogin": false}, []byte(`{"data":{"viewer":{"login":"x"}}}`)); err == nil {
		t.Errorf("skipped field accepted in the response")
	}
}

// tbRecorder is a testing.TB that records what is reported to it. Only
// the methods the transports use are implemented; others panic.
type tbRecorder struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *tbRecorder) Helper() {}

func (r *tbRecorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func (r *tbRecorder) errors() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.errs)
}

func TestGraphQLTransport(t *testing.T) {
	s := GitHubSchema(t)
	var mu sync.Mutex
	var received []string
	answer := prResponse
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		received = append(received, string(b))
		a := answer
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, a)
	}))
	defer srv.Close()

	rec := &tbRecorder{}
	client := &http.Client{Transport: GraphQLTransport(rec, s, nil)}
	post := func(body any) string {
		t.Helper()
		b, _ := json.Marshal(body)
		resp, err := client.Post(srv.URL+"/graphql", "application/json", strings.NewReader(string(b)))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		rb, _ := io.ReadAll(resp.Body)
		return string(rb)
	}

	// A valid round trip: nothing reported, body passed through unchanged.
	if got := post(map[string]any{"query": prQuery, "variables": prVars()}); got != prResponse {
		t.Errorf("client got %q, want the server's body", got)
	}
	if errs := rec.errors(); len(errs) != 0 {
		t.Errorf("valid round trip reported: %q", errs)
	}
	mu.Lock()
	if len(received) != 1 || !strings.Contains(received[0], `"number":7`) {
		t.Errorf("server received %q", received)
	}
	mu.Unlock()

	// Not GraphQL: passed through, not counted.
	post(map[string]any{"hello": "world"})

	// An invalid query is reported, and still sent.
	bad := strings.Replace(prQuery, "isDraft", "draft", 1)
	post(map[string]any{"query": bad, "variables": prVars()})
	// Missing variables are caught even when the body has none.
	post(map[string]any{"query": prQuery})
	// A valid query with an invalid answer is reported.
	mu.Lock()
	answer = strings.Replace(prResponse, `"OPEN"`, `"open"`, 1)
	mu.Unlock()
	post(map[string]any{"query": prQuery, "variables": prVars(), "operationName": nil})

	if got := client.Transport.(*GraphQLRecorder).Queries(); !slices.Equal(got, []string{prQuery, bad, prQuery, prQuery}) {
		t.Errorf("Queries() = %q", got)
	}
	mu.Lock()
	if len(received) != 5 {
		t.Errorf("server received %d requests, want 5", len(received))
	}
	mu.Unlock()
	errs := rec.errors()
	if len(errs) != 3 {
		t.Fatalf("reported %d problems, want 3: %q", len(errs), errs)
	}
	for i, want := range []string{
		`contract: POST /graphql anonymous query request: query:1:`,
		`variable $owner: required`,
		`contract: POST /graphql anonymous query response: data.repository.pullRequest.state: string "open"`,
	} {
		if !strings.Contains(errs[i], want) {
			t.Errorf("report %d does not mention %q:\n%s", i, want, errs[i])
		}
	}
}
