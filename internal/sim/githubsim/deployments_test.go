package githubsim

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/contract"
	"github.com/fixproof/fixproof/internal/sim"
)

// sha is a stable commit SHA named by a word, for readable graphs.
func sha(name string) string { return fakeOID("commit " + name) }

// deployFixture is a server with acme/api's history root <- a <- b and a
// clock at base.
func deployFixture(t *testing.T, o Options) (*Server, *httptest.Server, *sim.Clock) {
	t.Helper()
	clock := sim.NewClock(base)
	o.Token, o.Now = testToken, clock.Now
	s := New(o)
	s.AddCommit("acme", "api", sha("root"))
	s.AddCommit("acme", "api", sha("a"), sha("root"))
	s.AddCommit("acme", "api", sha("b"), sha("a"))
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return s, ts, clock
}

// checkGraphQLAnswer validates a query and the simulator's answer against
// GitHub's published schema, when the contracts are there.
func checkGraphQLAnswer(t *testing.T, query string, vars map[string]any, body string) {
	t.Helper()
	if _, ok := contract.Available(t); !ok {
		return
	}
	schema := contract.GitHubSchema(t)
	if err := contract.ValidateGraphQL(schema, query, vars); err != nil {
		t.Errorf("query: %v", err)
	}
	if err := contract.ValidateGraphQLResponse(schema, query, "", vars, []byte(body)); err != nil {
		t.Errorf("answer: %v", err)
	}
}

func TestDeploymentFieldsAreServedAsGitHubTypesThem(t *testing.T) {
	s, ts, clock := deployFixture(t, Options{})
	id := s.AddDeployment("acme", "api", Deployment{Environment: "production", Commit: strings.ToUpper(sha("b"))})
	clock.Advance(time.Minute)
	s.AddDeploymentStatus("acme", "api", id, DeploymentStatus{State: "in_progress", LogURL: "https://ci.example/run/1"})
	clock.Advance(time.Minute)
	s.AddDeploymentStatus("acme", "api", id, DeploymentStatus{State: "SUCCESS", EnvironmentURL: "https://api.example", LogURL: "https://ci.example/run/1"})
	bare := s.AddDeployment("acme", "api", Deployment{Commit: sha("a")}) // no statuses, default environment

	const q = `query($env: [String!]) { repository(owner: "acme", name: "api") { deployments(environments: $env, first: 10) { totalCount
	  nodes { id databaseId createdAt environment commitOid commit { oid parents(first: 1) { nodes { oid } } }
	    latestStatus { state createdAt environmentUrl logUrl description }
	    statuses(first: 10) { totalCount nodes { state createdAt } } } } } }`
	vars := map[string]any{"env": []any{"production"}}
	got := gql(t, ts, q, vars)
	want := compact(t, fmt.Sprintf(`{"data":{"repository":{"deployments":{"totalCount":2,"nodes":[
	  {"id":%q,"databaseId":%d,"createdAt":"2024-03-01T09:00:00Z","environment":"production","commitOid":%q,
	   "commit":{"oid":%[3]q,"parents":{"nodes":[{"oid":%q}]}},
	   "latestStatus":{"state":"SUCCESS","createdAt":"2024-03-01T09:02:00Z","environmentUrl":"https://api.example","logUrl":"https://ci.example/run/1","description":null},
	   "statuses":{"totalCount":2,"nodes":[{"state":"SUCCESS","createdAt":"2024-03-01T09:02:00Z"},{"state":"IN_PROGRESS","createdAt":"2024-03-01T09:01:00Z"}]}},
	  {"id":%q,"databaseId":%d,"createdAt":"2024-03-01T09:02:00Z","environment":"production","commitOid":%q,
	   "commit":{"oid":%[7]q,"parents":{"nodes":[{"oid":%q}]}},
	   "latestStatus":null,"statuses":{"totalCount":0,"nodes":[]}}]}}}}`,
		nodeID("DE", fmt.Sprint(id)), id, sha("b"), sha("a"), nodeID("DE", fmt.Sprint(bare)), bare, sha("a"), sha("root")))
	if got != want {
		t.Errorf("deployments:\n got %s\nwant %s", got, want)
	}
	if id < 1<<30 || id >= 1<<31 {
		t.Errorf("deployment id %d should be large, as GitHub's are, yet fit GraphQL's Int", id)
	}
	checkGraphQLAnswer(t, q, vars, got)
}

func TestDeploymentsAreFilteredByEnvironmentOrderedByCreationAndPaged(t *testing.T) {
	s, ts, clock := deployFixture(t, Options{})
	var prod []int
	for i := range 230 {
		env := "production"
		if i%3 == 0 {
			env = "staging"
		}
		id := s.AddDeployment("acme", "api", Deployment{Environment: env, Commit: sha("b")})
		if env == "production" {
			prod = append(prod, id)
		}
		clock.Advance(time.Minute)
	}
	// One created out of order: the list follows createdAt, not ids.
	early := s.AddDeployment("acme", "api", Deployment{Environment: "production", Commit: sha("a"), CreatedAt: base.Add(-time.Hour)})
	ascending := append([]int{early}, prod...)

	asc, total, pages := listDeploymentIDs(t, ts, "production", "ASC")
	if fmt.Sprint(asc) != fmt.Sprint(ascending) || total != len(ascending) || pages != 2 {
		t.Errorf("ASC in %d pages, totalCount %d: %v\nwant %v", pages, total, asc, ascending)
	}
	desc, _, _ := listDeploymentIDs(t, ts, "production", "DESC")
	for i := range desc {
		if desc[i] != ascending[len(ascending)-1-i] {
			t.Fatalf("DESC is not ASC reversed at %d: %v", i, desc)
		}
	}

	// Without orderBy the schema's default applies: oldest first.
	body := gql(t, ts, `{ repository(owner: "acme", name: "api") { deployments(first: 1) { totalCount nodes { databaseId } } } }`, nil)
	if want := fmt.Sprintf(`{"data":{"repository":{"deployments":{"totalCount":231,"nodes":[{"databaseId":%d}]}}}}`, early); body != want {
		t.Errorf("default order, every environment:\n got %s\nwant %s", body, want)
	}
	// A single string is a list of one, as GraphQL coerces it.
	body = gql(t, ts, `{ repository(owner: "acme", name: "api") { deployments(environments: "staging", first: 1) { totalCount } } }`, nil)
	if body != `{"data":{"repository":{"deployments":{"totalCount":77}}}}` {
		t.Errorf("staging: %s", body)
	}
	// An environment without deployments lists none.
	body = gql(t, ts, `{ repository(owner: "acme", name: "api") { deployments(environments: ["Production"], first: 1) { totalCount nodes { id } } } }`, nil)
	if body != `{"data":{"repository":{"deployments":{"totalCount":0,"nodes":[]}}}}` {
		t.Errorf("Production (another name): %s", body)
	}
}

// listDeploymentIDs pages through the deployments to env, 100 at a time,
// in direction dir, checking each query and answer against GitHub's
// schema and that only env's deployments come back.
func listDeploymentIDs(t *testing.T, ts *httptest.Server, env, dir string) (ids []int, totalCount, pages int) {
	t.Helper()
	const q = `query($env: [String!], $cursor: String, $dir: OrderDirection!) { repository(owner: "acme", name: "api") {
	  deployments(environments: $env, first: 100, after: $cursor, orderBy: {field: CREATED_AT, direction: $dir}) {
	    totalCount pageInfo { hasNextPage endCursor } nodes { databaseId environment } } } }`
	var p struct {
		Data struct {
			Repository struct {
				Deployments struct {
					TotalCount int
					PageInfo   struct {
						HasNextPage bool
						EndCursor   *string
					}
					Nodes []struct {
						DatabaseID  int
						Environment string
					}
				}
			}
		}
	}
	vars := map[string]any{"env": []any{env}, "dir": dir}
	for {
		body := gql(t, ts, q, vars)
		checkGraphQLAnswer(t, q, vars, body)
		if err := json.Unmarshal([]byte(body), &p); err != nil {
			t.Fatalf("%v: %s", err, body)
		}
		pages++
		d := p.Data.Repository.Deployments
		for _, n := range d.Nodes {
			if n.Environment != env {
				t.Errorf("deployment %d to %s listed for %s", n.DatabaseID, n.Environment, env)
			}
			ids = append(ids, n.DatabaseID)
		}
		if !d.PageInfo.HasNextPage {
			return ids, d.TotalCount, pages
		}
		vars["cursor"] = *d.PageInfo.EndCursor
	}
}

func TestDeploymentQueriesGitHubRefusesAreRefused(t *testing.T) {
	_, ts, _ := deployFixture(t, Options{})
	for _, c := range []struct{ name, query, want string }{
		{"more than 100", `{ repository(owner: "acme", name: "api") { deployments(first: 101) { nodes { id } } } }`,
			`{"errors":[{"type":"EXCESSIVE_PAGINATION","path":["repository","deployments"],"locations":[{"line":1,"column":44}],"message":"Requesting 101 records on the ` + "`deployments`" + ` connection exceeds the ` + "`first`" + ` limit of 100 records."}]}`},
		{"no page size", `{ repository(owner: "acme", name: "api") { deployments { nodes { id } } } }`,
			`{"errors":[{"type":"MISSING_PAGINATION_BOUNDARIES","path":["repository","deployments"],"locations":[{"line":1,"column":44}],"message":"You must provide a ` + "`first` or `last`" + ` value to properly paginate the ` + "`deployments`" + ` connection."}]}`},
		{"statuses without a page size", `{ repository(owner: "acme", name: "api") { deployments(first: 1) { nodes { statuses { nodes { state } } } } } }`,
			`MISSING_PAGINATION_BOUNDARIES`},
		{"unknown repository", `{ repository(owner: "acme", name: "nope") { deployments(first: 1) { totalCount } } }`,
			`{"data":{"repository":null},"errors":[{"type":"NOT_FOUND","path":["repository"],"locations":[{"line":1,"column":3}],"message":"Could not resolve to a Repository with the name 'acme/nope'."}]}`},
		{"a field the schema lacks", `{ repository(owner: "acme", name: "api") { deployments(first: 1) { nodes { sha } } } }`,
			`"message":"Field 'sha' doesn't exist on type 'Deployment'"`},
		{"an order GitHub lacks", `{ repository(owner: "acme", name: "api") { deployments(first: 1, orderBy: {field: UPDATED_AT, direction: ASC}) { totalCount } } }`,
			`UPDATED_AT`},
		{"a direction in lower case", `{ repository(owner: "acme", name: "api") { deployments(first: 1, orderBy: {field: CREATED_AT, direction: desc}) { totalCount } } }`,
			`desc`},
		{"environment as a number", `{ repository(owner: "acme", name: "api") { deployments(first: 1, environments: [1]) { totalCount } } }`,
			`"errors"`},
	} {
		got := gql(t, ts, c.query, nil)
		if strings.HasPrefix(c.want, "{") && got != c.want || !strings.Contains(got, c.want) || strings.Contains(got, `"data":{"repository":{`) {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
		}
	}
}

func TestDeploymentsNeedTheDeploymentsPermission(t *testing.T) {
	const q = "query {\n  repository(owner: \"acme\", name: \"api\") {\n    name\n    deployments(first: 1) { totalCount }\n  }\n}"
	for login, msg := range map[string]string{
		"github-actions[bot]": "Resource not accessible by integration",
		"octocat":             "Resource not accessible by personal access token",
	} {
		_, ts, _ := deployFixture(t, Options{Login: login, Permissions: map[string]string{"contents": "read", "pull-requests": "write"}})
		got := gql(t, ts, q, nil)
		// deployments is non-null, so its null makes the repository null.
		want := `{"data":{"repository":null},"errors":[{"type":"FORBIDDEN","path":["repository","deployments"],"extensions":{"saml_failure":false},"locations":[{"line":4,"column":5}],"message":"` + msg + `"}]}`
		if got != want {
			t.Errorf("%s without deployments:\n got %s\nwant %s", login, got, want)
		}
	}
	for _, level := range []string{"read", "write", "READ"} {
		_, ts, _ := deployFixture(t, Options{Permissions: map[string]string{"Deployments": level}})
		if got := gql(t, ts, q, nil); got != `{"data":{"repository":{"name":"api","deployments":{"totalCount":0}}}}` {
			t.Errorf("deployments: %s: %s", level, got)
		}
	}
}

func TestDeploymentConnectionsCostLikeOtherConnections(t *testing.T) {
	_, ts, _ := deployFixture(t, Options{})
	var r struct {
		Data struct {
			RateLimit struct{ Cost, NodeCount, Used int }
		}
	}
	// 100 deployments with 100 statuses each: 100 + 100*100 nodes, and
	// 1 + 100 connection requests, which GitHub rounds to 1 point.
	body := gql(t, ts, `{ rateLimit { cost nodeCount used } repository(owner: "acme", name: "api") {
	  deployments(first: 100) { nodes { statuses(first: 100) { nodes { state } } } } } }`, nil)
	if err := json.Unmarshal([]byte(body), &r); err != nil || r.Data.RateLimit.Cost != 1 || r.Data.RateLimit.NodeCount != 10100 {
		t.Errorf("%v %+v", err, r.Data.RateLimit)
	}
	// Adding each commit's 100 parents and their parents: 1 + 100 + 100 +
	// 100*100 requests, 102 points; 100 + 3*100*100 nodes.
	body = gql(t, ts, `{ rateLimit { cost nodeCount used } repository(owner: "acme", name: "api") {
	  deployments(first: 100) { nodes { statuses(first: 100) { nodes { state } } commit { parents(first: 100) { nodes { parents(first: 1) { totalCount } } } } } } } }`, nil)
	if err := json.Unmarshal([]byte(body), &r); err != nil || r.Data.RateLimit.Cost != 102 || r.Data.RateLimit.NodeCount != 30100 || r.Data.RateLimit.Used != 103 {
		t.Errorf("%v %+v", err, r.Data.RateLimit)
	}
}

func TestStateAPIRefusesWhatGitHubCannotHold(t *testing.T) {
	s, _, clock := deployFixture(t, Options{})
	id := s.AddDeployment("acme", "api", Deployment{Commit: sha("b")})
	s.AddCommit("acme", "api", sha("a"), sha("root")) // again, the same: nothing happens
	for name, f := range map[string]func(){
		"short SHA":               func() { s.AddCommit("acme", "api", "abc1234") },
		"unknown parent":          func() { s.AddCommit("acme", "api", sha("c"), sha("nope")) },
		"other parents":           func() { s.AddCommit("acme", "api", sha("b"), sha("root")) },
		"deploy an unknown one":   func() { s.AddDeployment("acme", "api", Deployment{Commit: sha("nope")}) },
		"deploy another repo's":   func() { s.AddDeployment("acme", "web", Deployment{Commit: sha("b")}) },
		"status of no deployment": func() { s.AddDeploymentStatus("acme", "api", id+1, DeploymentStatus{State: "SUCCESS"}) },
		"unknown state":           func() { s.AddDeploymentStatus("acme", "api", id, DeploymentStatus{State: "DONE"}) },
		"DeploymentState only":    func() { s.AddDeploymentStatus("acme", "api", id, DeploymentStatus{State: "ACTIVE"}) },
		"before the deployment": func() {
			s.AddDeploymentStatus("acme", "api", id, DeploymentStatus{State: "SUCCESS", CreatedAt: base.Add(-time.Second)})
		},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
	clock.Advance(time.Hour)
	s.AddDeploymentStatus("acme", "api", id, DeploymentStatus{State: "success"})
	defer func() {
		if recover() == nil {
			t.Error("a status dated before the previous one: no panic")
		}
	}()
	s.AddDeploymentStatus("acme", "api", id, DeploymentStatus{State: "INACTIVE", CreatedAt: base.Add(time.Minute)})
}
