package githubsim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/fixproof/fixproof/internal/contract"
	"github.com/fixproof/fixproof/internal/sim"
)

// restFixture is a server whose token belongs to login, with pull request
// acme/widgets#7 and a clock at base.
func restFixture(t *testing.T, login string) (*Server, *httptest.Server, *sim.Clock) {
	t.Helper()
	clock := sim.NewClock(base)
	s := New(Options{Token: testToken, Login: login, Now: clock.Now})
	s.AddPullRequest("acme", "widgets", PullRequest{Number: 7, Title: "PROJ-1 fix", Author: "octocat"})
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return s, ts, clock
}

// rest sends a request with the test token (auth "" for none, or another
// Authorization value) and returns status, headers and body.
func rest(t *testing.T, ts *httptest.Server, method, path, auth, body string) (int, http.Header, string) {
	t.Helper()
	return send(t, ts, nil, method, path, auth, body, documented)
}

const tok = "token " + testToken

// userJSON is the simple-user object the simulator serves for login.
func userJSON(api, login, typ, node, html string) string {
	id := userID(login)
	u := api + "/users/" + strings.NewReplacer("[", "%5B", "]", "%5D").Replace(login)
	return fmt.Sprintf(`{"login":%q,"id":%d,"node_id":%q,"avatar_url":"https://avatars.githubusercontent.com/u/%d?v=4","gravatar_id":"",`+
		`"url":%q,"html_url":%q,"followers_url":"%s/followers","following_url":"%s/following{/other_user}","gists_url":"%s/gists{/gist_id}",`+
		`"starred_url":"%s/starred{/owner}{/repo}","subscriptions_url":"%s/subscriptions","organizations_url":"%s/orgs","repos_url":"%s/repos",`+
		`"events_url":"%s/events{/privacy}","received_events_url":"%s/received_events","type":%q,"site_admin":false}`,
		login, id, node, id, u, html, u, u, u, u, u, u, u, u, u, typ)
}

func TestRESTCommentLifecycle(t *testing.T) {
	s, ts, clock := restFixture(t, "github-actions[bot]")
	status, h, body := rest(t, ts, "POST", "/repos/ACME/widgets/issues/7/comments", tok, `{"body":"<!-- fixproof:x -->\nVerified <b>in prod</b>"}`)
	if status != http.StatusCreated {
		t.Fatalf("create: %d %s", status, body)
	}
	id := int64(firstCommentID)
	api := ts.URL
	want := fmt.Sprintf(`{"url":"%[1]s/repos/acme/widgets/issues/comments/%[2]d","html_url":"https://github.com/acme/widgets/pull/7#issuecomment-%[2]d",`+
		`"issue_url":"%[1]s/repos/acme/widgets/issues/7","id":%[2]d,"node_id":%[3]q,"user":%[4]s,`+
		`"created_at":"2024-03-01T09:00:00Z","updated_at":"2024-03-01T09:00:00Z","author_association":"NONE",`+
		`"body":"<!-- fixproof:x -->\nVerified <b>in prod</b>",`+
		`"reactions":{"url":"%[1]s/repos/acme/widgets/issues/comments/%[2]d/reactions","total_count":0,"+1":0,"-1":0,"laugh":0,"hooray":0,"confused":0,"heart":0,"rocket":0,"eyes":0},`+
		`"performed_via_github_app":null}`,
		api, id, nodeID("IC", strconv.FormatInt(id, 10)),
		userJSON(api, "github-actions[bot]", "Bot", nodeID("BOT", "github-actions"), "https://github.com/apps/github-actions"))
	if body != want {
		t.Errorf("created:\n got %s\nwant %s", body, want)
	}
	if loc := h.Get("Location"); loc != fmt.Sprintf("%s/repos/acme/widgets/issues/comments/%d", api, id) {
		t.Errorf("Location = %q", loc)
	}
	if id <= 1<<31 {
		t.Errorf("first id %d should not fit in an int32", id)
	}

	clock.Advance(time.Minute)
	status, _, body = rest(t, ts, "POST", "/repos/acme/widgets/issues/7/comments", tok, `{"body":"second"}`)
	if status != http.StatusCreated || !strings.Contains(body, fmt.Sprintf(`"id":%d,`, id+1)) || !strings.Contains(body, `"created_at":"2024-03-01T09:01:00Z"`) {
		t.Fatalf("second: %d %s", status, body)
	}

	status, _, body = rest(t, ts, "PATCH", fmt.Sprintf("/repos/acme/widgets/issues/comments/%d", id), tok, `{"body":"edited"}`)
	if status != http.StatusOK || !strings.Contains(body, `"body":"edited"`) ||
		!strings.Contains(body, `"created_at":"2024-03-01T09:00:00Z","updated_at":"2024-03-01T09:01:00Z"`) {
		t.Errorf("edit: %d %s", status, body)
	}
	status, _, body = rest(t, ts, "GET", fmt.Sprintf("/repos/acme/widgets/issues/comments/%d", id), tok, "")
	if status != http.StatusOK || !strings.Contains(body, `"body":"edited"`) {
		t.Errorf("get: %d %s", status, body)
	}

	var list []struct {
		ID   int64
		Body string
	}
	status, h, body = rest(t, ts, "GET", "/repos/acme/widgets/issues/7/comments", tok, "")
	if status != http.StatusOK {
		t.Fatalf("list: %d %s", status, body)
	}
	if err := json.Unmarshal([]byte(body), &list); err != nil || len(list) != 2 || list[0].ID != id || list[1].ID != id+1 || list[0].Body != "edited" {
		t.Errorf("list (%v): %+v", err, list)
	}
	if h.Get("Link") != "" {
		t.Errorf("single page has Link %q", h.Get("Link"))
	}

	got := s.Comments("acme", "widgets", 7)
	wantSnap := []IssueComment{
		{ID: id, Body: "edited", Author: "github-actions[bot]", Created: base, Updated: base.Add(time.Minute)},
		{ID: id + 1, Body: "second", Author: "github-actions[bot]", Created: base.Add(time.Minute), Updated: base.Add(time.Minute)},
	}
	if fmt.Sprint(got) != fmt.Sprint(wantSnap) {
		t.Errorf("Comments:\n got %v\nwant %v", got, wantSnap)
	}
	got[0].Body = "mutated"
	if s.Comments("acme", "widgets", 7)[0].Body != "edited" {
		t.Error("Comments is not a copy")
	}

	path := fmt.Sprintf("/repos/acme/widgets/issues/comments/%d", id)
	if status, h, body := rest(t, ts, "DELETE", path, tok, ""); status != http.StatusNoContent || body != "" || h.Get("X-RateLimit-Resource") != "core" {
		t.Errorf("delete: %d %q %v", status, body, h)
	}
	for _, m := range []string{"DELETE", "PATCH", "GET"} {
		status, _, body := rest(t, ts, m, path, tok, `{"body":"again"}`)
		if status != http.StatusNotFound || !strings.HasPrefix(body, `{"message":"Not Found","documentation_url":"https://docs.github.com/rest/issues/comments#`) {
			t.Errorf("%s deleted comment: %d %s", m, status, body)
		}
	}
	if got := s.Comments("acme", "widgets", 7); len(got) != 1 || got[0].ID != id+1 {
		t.Errorf("after delete: %v", got)
	}
}

func TestRESTValidationAndNotFound(t *testing.T) {
	s, ts, _ := restFixture(t, "fixproof-user")
	s.AddRepo("acme", "empty")
	const create = "/repos/acme/widgets/issues/7/comments"
	missing := `{"message":"Validation Failed","errors":[{"resource":"IssueComment","code":"missing_field","field":"body"}],"documentation_url":"https://docs.github.com/rest/issues/comments#create-an-issue-comment"}`
	tooLong := `{"message":"Validation Failed","errors":[{"resource":"IssueComment","code":"custom","field":"body","message":"body is too long (maximum is 65536 characters)"}],"documentation_url":"https://docs.github.com/rest/issues/comments#create-an-issue-comment"}`
	notFound := `{"message":"Not Found","documentation_url":"https://docs.github.com/rest/issues/comments#create-an-issue-comment"}`
	for _, tc := range []struct {
		name, method, path, auth, body string
		status                         int
		want                           string
	}{
		{"no body field", "POST", create, tok, `{"title":"x"}`, 422, missing},
		{"empty body", "POST", create, tok, `{"body":""}`, 422, missing},
		{"null body", "POST", create, tok, `{"body":null}`, 422, missing},
		{"too long", "POST", create, tok, `{"body":"` + strings.Repeat("a", MaxCommentBody+1) + `"}`, 422, tooLong},
		{"too long in characters", "POST", create, tok, `{"body":"` + strings.Repeat("é", MaxCommentBody+1) + `"}`, 422, tooLong},
		{"not a string", "POST", create, tok, `{"body":12}`, 422, `{"message":"Invalid request.\n\nFor 'properties/body', 12 is not a string.","documentation_url":"https://docs.github.com/rest/issues/comments#create-an-issue-comment"}`},
		{"bad JSON", "POST", create, tok, `{"body":`, 400, `{"message":"Problems parsing JSON","documentation_url":"https://docs.github.com/rest/issues/comments#create-an-issue-comment"}`},
		{"unknown repo", "POST", "/repos/acme/nope/issues/7/comments", tok, `{"body":"x"}`, 404, notFound},
		{"repo without the PR", "POST", "/repos/acme/empty/issues/7/comments", tok, `{"body":"x"}`, 404, notFound},
		{"unknown number", "POST", "/repos/acme/widgets/issues/8/comments", tok, `{"body":"x"}`, 404, notFound},
		{"404 before 422", "POST", "/repos/acme/widgets/issues/8/comments", tok, `{}`, 404, notFound},
		{"list unknown number", "GET", "/repos/acme/widgets/issues/8/comments", tok, "", 404, `{"message":"Not Found","documentation_url":"https://docs.github.com/rest/issues/comments#list-issue-comments"}`},
		{"number not numeric", "GET", "/repos/acme/widgets/issues/x/comments", tok, "", 404, `{"message":"Not Found","documentation_url":"https://docs.github.com/rest"}`},
		{"patch unknown id", "PATCH", "/repos/acme/widgets/issues/comments/99", tok, `{"body":"x"}`, 404, `{"message":"Not Found","documentation_url":"https://docs.github.com/rest/issues/comments#update-an-issue-comment"}`},
		{"delete unknown id", "DELETE", "/repos/acme/widgets/issues/comments/99", tok, "", 404, `{"message":"Not Found","documentation_url":"https://docs.github.com/rest/issues/comments#delete-an-issue-comment"}`},
		{"unknown route", "GET", "/repos/acme/widgets/pulls", tok, "", 404, `{"message":"Not Found","documentation_url":"https://docs.github.com/rest"}`},
		{"wrong method", "PUT", create, tok, `{"body":"x"}`, 404, `{"message":"Not Found","documentation_url":"https://docs.github.com/rest"}`},
		{"bad token", "POST", create, "token nope", `{"body":"x"}`, 401, `{"message":"Bad credentials","documentation_url":"https://docs.github.com/rest"}`},
		{"bad token GHES", "GET", "/api/v3" + create, "Bearer nope", "", 401, `{"message":"Bad credentials","documentation_url":"https://docs.github.com/rest"}`},
		{"bad token, unknown repo", "GET", "/repos/acme/nope/issues/7/comments", "token nope", "", 401, `{"message":"Bad credentials","documentation_url":"https://docs.github.com/rest"}`},
		{"no token", "POST", create, "", `{"body":"x"}`, 401, `{"message":"Requires authentication","documentation_url":"https://docs.github.com/rest"}`},
	} {
		status, h, body := rest(t, ts, tc.method, tc.path, tc.auth, tc.body)
		if status != tc.status || body != tc.want {
			t.Errorf("%s: %d %s\nwant %d %s", tc.name, status, body, tc.status, tc.want)
		}
		if h.Get("X-RateLimit-Resource") != "core" || h.Get("X-RateLimit-Limit") == "" || h.Get("X-RateLimit-Remaining") == "" ||
			h.Get("X-RateLimit-Reset") == "" || h.Get("X-RateLimit-Used") == "" {
			t.Errorf("%s: rate-limit headers missing: %v", tc.name, h)
		}
	}
	if got := s.Comments("acme", "widgets", 7); got != nil {
		t.Errorf("failed requests stored comments: %v", got)
	}

	// The limits are inclusive: 65536 characters (here 131072 bytes) pass.
	status, _, body := rest(t, ts, "POST", create, tok, `{"body":"`+strings.Repeat("é", MaxCommentBody)+`"}`)
	if status != http.StatusCreated {
		t.Errorf("65536 characters: %d %.200s", status, body)
	}
	// PATCH validates the same way.
	id := s.Comments("acme", "widgets", 7)[0].ID
	status, _, body = rest(t, ts, "PATCH", fmt.Sprintf("/repos/acme/widgets/issues/comments/%d", id), tok, `{"body":""}`)
	if status != 422 || !strings.Contains(body, `"code":"missing_field"`) || !strings.Contains(body, "#update-an-issue-comment") {
		t.Errorf("PATCH empty body: %d %s", status, body)
	}
	// A comment id is only found under its own repository.
	s.AddPullRequest("acme", "other", PullRequest{Number: 7})
	status, _, _ = rest(t, ts, "PATCH", fmt.Sprintf("/repos/acme/other/issues/comments/%d", id), tok, `{"body":"x"}`)
	if status != http.StatusNotFound {
		t.Errorf("PATCH through another repository: %d", status)
	}
}

func TestRESTRateLimitHeaders(t *testing.T) {
	_, ts, _ := restFixture(t, "fixproof-user")
	reset := strconv.FormatInt(base.Add(time.Hour).Unix(), 10)
	for i := 1; i <= 3; i++ {
		_, h, _ := rest(t, ts, "GET", "/repos/acme/widgets/issues/7/comments", tok, "")
		if h.Get("X-RateLimit-Limit") != "5000" || h.Get("X-RateLimit-Used") != strconv.Itoa(i) ||
			h.Get("X-RateLimit-Remaining") != strconv.Itoa(5000-i) || h.Get("X-RateLimit-Reset") != reset {
			t.Errorf("request %d: %v", i, h)
		}
	}
	// Unauthenticated answers count against the anonymous budget.
	_, h, _ := rest(t, ts, "GET", "/repos/acme/widgets/issues/7/comments", "token nope", "")
	if h.Get("X-RateLimit-Limit") != "60" || h.Get("X-RateLimit-Remaining") != "59" || h.Get("X-RateLimit-Used") != "1" {
		t.Errorf("401: %v", h)
	}
}

func TestRESTPagination(t *testing.T) {
	s, ts, _ := restFixture(t, "github-actions[bot]")
	for i := range 250 {
		s.AddComment("acme", "widgets", 7, "alice", fmt.Sprintf("comment %d", i))
	}
	type page struct {
		path  string
		n     int
		first string // body of the first item
		link  string
	}
	u := func(prefix, q string) string {
		return "<" + ts.URL + prefix + "/repos/acme/widgets/issues/7/comments?" + q + ">"
	}
	for _, prefix := range []string{"", "/api/v3"} {
		const p = "/repos/acme/widgets/issues/7/comments"
		for _, tc := range []page{
			{p + "?per_page=100", 100, "comment 0",
				u(prefix, "per_page=100&page=2") + `; rel="next", ` + u(prefix, "per_page=100&page=3") + `; rel="last"`},
			{p + "?per_page=100&page=2", 100, "comment 100",
				u(prefix, "per_page=100&page=1") + `; rel="prev", ` + u(prefix, "per_page=100&page=3") + `; rel="next", ` +
					u(prefix, "per_page=100&page=3") + `; rel="last", ` + u(prefix, "per_page=100&page=1") + `; rel="first"`},
			{p + "?page=3&per_page=100", 50, "comment 200",
				u(prefix, "per_page=100&page=2") + `; rel="prev", ` + u(prefix, "per_page=100&page=1") + `; rel="first"`},
			{p + "?page=4&per_page=100", 0, "",
				u(prefix, "per_page=100&page=3") + `; rel="prev", ` + u(prefix, "per_page=100&page=1") + `; rel="first"`},
			{p, 30, "comment 0", u(prefix, "page=2") + `; rel="next", ` + u(prefix, "page=9") + `; rel="last"`},
			{p + "?per_page=1000&page=3", 50, "comment 200",
				u(prefix, "per_page=1000&page=2") + `; rel="prev", ` + u(prefix, "per_page=1000&page=1") + `; rel="first"`},
			{p + "?per_page=0&page=0", 30, "comment 0", u(prefix, "per_page=0&page=2") + `; rel="next", ` + u(prefix, "per_page=0&page=9") + `; rel="last"`},
		} {
			status, h, body := rest(t, ts, "GET", prefix+tc.path, tok, "")
			var items []struct {
				ID   int64
				Body string
				URL  string
			}
			if err := json.Unmarshal([]byte(body), &items); status != http.StatusOK || err != nil {
				t.Fatalf("%s%s: %d %v %.200s", prefix, tc.path, status, err, body)
			}
			if len(items) != tc.n || tc.n > 0 && items[0].Body != tc.first {
				t.Errorf("%s%s: %d items, first %+v", prefix, tc.path, len(items), items[:min(1, len(items))])
			}
			if tc.n > 0 && !strings.HasPrefix(items[0].URL, ts.URL+prefix+"/repos/acme/widgets/issues/comments/") {
				t.Errorf("%s%s: url %s", prefix, tc.path, items[0].URL)
			}
			if got := h.Get("Link"); got != tc.link {
				t.Errorf("%s%s: Link\n got %s\nwant %s", prefix, tc.path, got, tc.link)
			}
			if tc.n == 0 && body != "[]" {
				t.Errorf("empty page: %s", body)
			}
		}
	}
	// Oldest first, with ids increasing, across pages.
	var prev int64
	for pg := 1; pg <= 3; pg++ {
		_, _, body := rest(t, ts, "GET", fmt.Sprintf("/repos/acme/widgets/issues/7/comments?per_page=100&page=%d", pg), tok, "")
		var items []struct{ ID int64 }
		_ = json.Unmarshal([]byte(body), &items)
		for _, it := range items {
			if it.ID <= prev {
				t.Fatalf("page %d: id %d after %d", pg, it.ID, prev)
			}
			prev = it.ID
		}
	}
}

func TestRESTUser(t *testing.T) {
	_, ts, _ := restFixture(t, "fixproof-user")
	for _, prefix := range []string{"", "/api/v3"} {
		status, _, body := rest(t, ts, "GET", prefix+"/user", tok, "")
		want := userJSON(ts.URL+prefix, "fixproof-user", "User", nodeID("U", "fixproof-user"), "https://github.com/fixproof-user")
		if status != http.StatusOK || body != want {
			t.Errorf("%s/user: %d\n got %s\nwant %s", prefix, status, body, want)
		}
	}
	_, bot, _ := restFixture(t, "") // the default, github-actions[bot]
	status, _, body := rest(t, bot, "GET", "/user", tok, "")
	if status != http.StatusForbidden || body != `{"message":"Resource not accessible by integration","documentation_url":"https://docs.github.com/rest/users/users#get-the-authenticated-user"}` {
		t.Errorf("bot /user: %d %s", status, body)
	}
}

// TestRESTCommentMatchesWebhookSchema checks the simulator's comment
// objects against the issue-comment definition of GitHub's webhook
// payload schemas (octokit/webhooks), the same object the REST API serves.
func TestRESTCommentMatchesWebhookSchema(t *testing.T) {
	sch := contract.GitHubWebhookSchema(t, "common/issue-comment.schema.json")

	// GitHub's own example payloads pass: the check itself is sound.
	examples, _ := filepath.Glob(filepath.Join(contract.Require(t), "github", "events", "issue_comment", "*.json"))
	if len(examples) == 0 {
		t.Log("no issue_comment example payloads; the schema check is not itself checked")
	}
	for _, ex := range examples {
		b, err := os.ReadFile(ex)
		if err != nil {
			t.Fatal(err)
		}
		payload, _ := decodeJSON(t, string(b)).(map[string]any)
		if err := sch.Validate(payload["comment"]); err != nil {
			t.Errorf("vendor example %s: %v", filepath.Base(ex), err)
		}
	}

	var objects []any
	for _, login := range []string{"github-actions[bot]", "fixproof-user"} {
		s, ts, _ := restFixture(t, login)
		for _, prefix := range []string{"", "/api/v3"} {
			_, _, created := rest(t, ts, "POST", prefix+"/repos/acme/widgets/issues/7/comments", tok, `{"body":"<!-- fixproof:x -->\nok"}`)
			objects = append(objects, decodeJSON(t, created))
		}
		s.AddComment("acme", "widgets", 7, "dependabot[bot]", "seeded")
		_, _, listed := rest(t, ts, "GET", "/repos/acme/widgets/issues/7/comments", tok, "")
		list, _ := decodeJSON(t, listed).([]any)
		if len(list) != 3 {
			t.Fatalf("listed %d comments", len(list))
		}
		objects = append(objects, list...)
		id := s.Comments("acme", "widgets", 7)[0].ID
		_, _, edited := rest(t, ts, "PATCH", fmt.Sprintf("/repos/acme/widgets/issues/comments/%d", id), tok, `{"body":"edited"}`)
		objects = append(objects, decodeJSON(t, edited))
	}
	for i, obj := range objects {
		if err := sch.Validate(obj); err != nil {
			t.Errorf("comment %d does not match the schema: %v", i, err)
		}
	}

	// The check has teeth: a field the schema does not know, a missing
	// required one or a wrong type is caught.
	for name, mutate := range map[string]func(m map[string]any){
		"extra field":    func(m map[string]any) { m["pull_request_url"] = "x" },
		"no reactions":   func(m map[string]any) { delete(m, "reactions") },
		"string id":      func(m map[string]any) { m["id"] = "1" },
		"bad user type":  func(m map[string]any) { m["user"].(map[string]any)["type"] = "Robot" },
		"bad created_at": func(m map[string]any) { m["created_at"] = "yesterday" },
	} {
		obj := decodeJSON(t, mustJSON(t, objects[0])).(map[string]any)
		mutate(obj)
		if err := sch.Validate(obj); err == nil {
			t.Errorf("%s: schema accepted %v", name, obj)
		}
	}
}

func decodeJSON(t *testing.T, s string) any {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(s))
	if err != nil {
		t.Fatalf("decode %.200s: %v", s, err)
	}
	return v
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
