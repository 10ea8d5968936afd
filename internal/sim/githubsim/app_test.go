package githubsim

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/fixproof/fixproof/internal/contract"
	"github.com/fixproof/fixproof/internal/sim"
)

const testAppID = 424242

var (
	keysOnce          sync.Once
	appKey, otherKeyV *rsa.PrivateKey
)

// testKeys are the app's RSA key and another one, made once: a 2048-bit
// key takes a noticeable time to generate.
func testKeys(t *testing.T) (app, other *rsa.PrivateKey) {
	t.Helper()
	keysOnce.Do(func() {
		var err error
		if appKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if otherKeyV, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
	})
	return appKey, otherKeyV
}

// Installation ids of appFixture.
const (
	instAcme  = 1001 // acme, selected repositories: widgets and api
	instBeta  = 1002 // beta, all repositories
	instGamma = 1003 // gamma, nothing granted
)

// appFixture is a server with no token of its own and an App installed
// on acme (widgets and api, checks: write, contents: read), on the
// organization beta (all its repositories) and on gamma; acme also has
// a repository the app was not given. The clock is at base.
func appFixture(t *testing.T) (*Server, *httptest.Server, *sim.Clock) {
	t.Helper()
	key, _ := testKeys(t)
	clock := sim.NewClock(base)
	s := New(Options{Now: clock.Now, App: &App{
		ID: testAppID, PrivateKey: key,
		Installations: map[int64]Installation{
			instAcme:  {Account: "acme", Repositories: []string{"widgets", "API"}, Permissions: map[string]string{"checks": "write", "contents": "read", "metadata": "read", "pull_requests": "read"}},
			instBeta:  {Account: "beta", Permissions: map[string]string{"checks": "read"}},
			instGamma: {Account: "gamma"},
		},
	}})
	s.AddOrganization("beta")
	s.AddPullRequest("acme", "widgets", PullRequest{Number: 7, Title: "PROJ-1 fix", Author: "octocat"})
	s.AddRepo("acme", "api")
	s.AddPullRequest("acme", "secret", PullRequest{Number: 1, Title: "not for the app"})
	s.AddRepo("beta", "one")
	s.AddRepo("beta", "two")
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return s, ts, clock
}

// appJWT signs claims with key, RS256.
func appJWT(t *testing.T, key *rsa.PrivateKey, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodRS256, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// goodJWT is a JWT as octokit makes one: iat 30 s back, exp 10 minutes
// after iat.
func goodJWT(t *testing.T, now time.Time) string {
	key, _ := testKeys(t)
	iat := now.Add(-30 * time.Second)
	return appJWT(t, key, jwt.MapClaims{"iss": testAppID, "iat": iat.Unix(), "exp": iat.Add(10 * time.Minute).Unix()})
}

// call sends a request and, when spec is set, validates the request and
// the answer against GitHub's REST description.
func call(t *testing.T, ts *httptest.Server, spec *contract.Spec, method, path, auth, body string) (int, http.Header, string) {
	t.Helper()
	return send(t, ts, spec, method, path, auth, body, documented)
}

// callUndocumented is call for an answer GitHub gives that its
// description does not document (most 403s and 422s): the request is
// validated, the answer is checked to be GitHub's error shape, and the
// description is checked still to leave the status out, so that the
// test says so when it is documented.
func callUndocumented(t *testing.T, ts *httptest.Server, spec *contract.Spec, method, path, auth, body string) (int, http.Header, string) {
	t.Helper()
	return send(t, ts, spec, method, path, auth, body, undocumented)
}

// callInvalid is callUndocumented for a request that the description
// refuses too (a missing required field, a value outside an enum): the
// test checks that it does.
func callInvalid(t *testing.T, ts *httptest.Server, spec *contract.Spec, method, path, auth, body string) (int, http.Header, string) {
	t.Helper()
	return send(t, ts, spec, method, path, auth, body, invalid)
}

// How send checks an exchange against the description.
const (
	documented   = iota // request and answer as documented
	undocumented        // a valid request; an answer of a status left out
	invalid             // a request the description refuses, and such an answer
)

func send(t *testing.T, ts *httptest.Server, spec *contract.Spec, method, path, auth, body string, mode int) (int, http.Header, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, ts.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if spec != nil {
		err := spec.ValidateRequest(req, []byte(body))
		switch {
		case mode != invalid && err != nil:
			t.Errorf("%v", err)
		case mode == invalid && err == nil:
			t.Errorf("%s %s: the description accepts the request %.200s", method, path, body)
		}
		err = spec.ValidateResponse(req, resp.StatusCode, resp.Header, got)
		switch {
		case mode == documented && err != nil:
			t.Errorf("%v", err)
		case mode != documented && err == nil:
			t.Errorf("%s %s: the description now documents %d: use call", method, path, resp.StatusCode)
		case mode != documented:
			var e struct {
				Message          string `json:"message"`
				DocumentationURL string `json:"documentation_url"`
			}
			if json.Unmarshal(got, &e) != nil || e.Message == "" || e.DocumentationURL == "" {
				t.Errorf("%s %s: %d is not GitHub's error shape: %s", method, path, resp.StatusCode, got)
			}
		}
	}
	return resp.StatusCode, resp.Header, string(got)
}

// newToken makes a token for installation id and returns it.
func newToken(t *testing.T, ts *httptest.Server, clock *sim.Clock, id int64, body string) string {
	t.Helper()
	status, _, got := call(t, ts, restSpec(t), "POST", fmt.Sprintf("/app/installations/%d/access_tokens", id), "Bearer "+goodJWT(t, clock.Now()), body)
	var out struct{ Token string }
	if status != http.StatusCreated || json.Unmarshal([]byte(got), &out) != nil || out.Token == "" {
		t.Fatalf("token for %d: %d %s", id, status, got)
	}
	return out.Token
}

func TestAppJWTIsCheckedAsGitHubChecksIt(t *testing.T) {
	_, ts, clock := appFixture(t)
	spec := restSpec(t)
	key, other := testKeys(t)
	now := clock.Now()
	at := func(d time.Duration) int64 { return now.Add(d).Unix() }
	msg := func(m string) string {
		return `{"message":"` + m + `","documentation_url":"https://docs.github.com/rest"}`
	}
	undecodable := msg("A JSON web token could not be decoded")
	hs256, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"iss": testAppID, "iat": at(0), "exp": at(time.Minute)}).SignedString([]byte("secret"))
	for _, tc := range []struct {
		name, auth string
		want       string // "" for 200
	}{
		{"iss a number", "Bearer " + appJWT(t, key, jwt.MapClaims{"iss": testAppID, "iat": at(-time.Minute), "exp": at(9 * time.Minute)}), ""},
		{"iss a string", "Bearer " + appJWT(t, key, jwt.MapClaims{"iss": fmt.Sprint(testAppID), "iat": at(0), "exp": at(10 * time.Minute)}), ""},
		{"iat within a minute ahead", "Bearer " + appJWT(t, key, jwt.MapClaims{"iss": testAppID, "iat": at(time.Minute), "exp": at(2 * time.Minute)}), ""},
		{"scheme in any case", "bearer " + goodJWT(t, now), ""},
		{"expired", "Bearer " + appJWT(t, key, jwt.MapClaims{"iss": testAppID, "iat": at(-11 * time.Minute), "exp": at(-time.Minute)}),
			msg("'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires")},
		{"exp exactly now", "Bearer " + appJWT(t, key, jwt.MapClaims{"iss": testAppID, "iat": at(-time.Minute), "exp": at(0)}),
			msg("'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires")},
		{"no exp", "Bearer " + appJWT(t, key, jwt.MapClaims{"iss": testAppID, "iat": at(0)}),
			msg("'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires")},
		{"exp more than 10 minutes after iat", "Bearer " + appJWT(t, key, jwt.MapClaims{"iss": testAppID, "iat": at(-time.Minute), "exp": at(9*time.Minute + time.Second)}),
			msg("'Expiration time' claim ('exp') is too far in the future")},
		{"exp more than 10 minutes from now", "Bearer " + appJWT(t, key, jwt.MapClaims{"iss": testAppID, "iat": at(30 * time.Second), "exp": at(10*time.Minute + time.Second)}),
			msg("'Expiration time' claim ('exp') is too far in the future")},
		{"iat more than a minute ahead", "Bearer " + appJWT(t, key, jwt.MapClaims{"iss": testAppID, "iat": at(61 * time.Second), "exp": at(5 * time.Minute)}),
			msg("'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued")},
		{"no iat", "Bearer " + appJWT(t, key, jwt.MapClaims{"iss": testAppID, "exp": at(5 * time.Minute)}),
			msg("'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued")},
		{"iss not a number", "Bearer " + appJWT(t, key, jwt.MapClaims{"iss": "fixproof", "iat": at(0), "exp": at(time.Minute)}),
			msg("'Issuer' claim ('iss') must be an Integer")},
		{"another app's id", "Bearer " + appJWT(t, key, jwt.MapClaims{"iss": testAppID + 1, "iat": at(0), "exp": at(time.Minute)}), undecodable},
		{"signed with another key", "Bearer " + appJWT(t, other, jwt.MapClaims{"iss": testAppID, "iat": at(0), "exp": at(time.Minute)}), undecodable},
		{"HS256", "Bearer " + hs256, undecodable},
		{"not a JWT", "Bearer ghs_notajwt", undecodable},
		{"no Authorization", "", undecodable},
	} {
		status, _, body := callUndocumented(t, ts, nil, "GET", "/app/installations", tc.auth, "")
		switch {
		case tc.want == "" && status != http.StatusOK:
			t.Errorf("%s: %d %s, want 200", tc.name, status, body)
		case tc.want != "" && (status != http.StatusUnauthorized || body != tc.want):
			t.Errorf("%s: %d %s\nwant 401 %s", tc.name, status, body, tc.want)
		}
		// The token endpoint, which documents 401, refuses alike.
		status, _, body = call(t, ts, spec, "POST", fmt.Sprintf("/app/installations/%d/access_tokens", instAcme), tc.auth, "")
		if tc.want != "" && (status != http.StatusUnauthorized || body != tc.want) {
			t.Errorf("%s, token endpoint: %d %s", tc.name, status, body)
		}
	}
}

func TestInstallationTokenActsForItsInstallationOnly(t *testing.T) {
	s, ts, clock := appFixture(t)
	spec := restSpec(t)
	status, _, body := call(t, ts, spec, "POST", fmt.Sprintf("/api/v3/app/installations/%d/access_tokens", instAcme), "Bearer "+goodJWT(t, clock.Now()), "")
	var tok struct {
		Token               string
		ExpiresAt           string            `json:"expires_at"`
		Permissions         map[string]string `json:"permissions"`
		RepositorySelection string            `json:"repository_selection"`
	}
	if err := json.Unmarshal([]byte(body), &tok); status != http.StatusCreated || err != nil {
		t.Fatalf("%d %v %s", status, err, body)
	}
	if !strings.HasPrefix(tok.Token, "ghs_") || len(tok.Token) != 40 || tok.ExpiresAt != "2024-03-01T10:00:00Z" || tok.RepositorySelection != "selected" ||
		fmt.Sprint(tok.Permissions) != "map[checks:write contents:read metadata:read pull_requests:read]" {
		t.Errorf("token: %s", body)
	}
	auth := "token " + tok.Token

	// REST: its repositories, not the account's others nor another account's.
	if status, _, body := call(t, ts, spec, "GET", "/repos/acme/widgets/issues/7/comments", auth, ""); status != http.StatusOK {
		t.Errorf("own repository: %d %s", status, body)
	}
	for _, path := range []string{"/repos/acme/secret/issues/1/comments", "/repos/beta/one/issues/1/comments"} {
		status, _, body := call(t, ts, spec, "GET", path, auth, "")
		if status != http.StatusNotFound || body != `{"message":"Not Found","documentation_url":"https://docs.github.com/rest/issues/comments#list-issue-comments"}` {
			t.Errorf("%s: %d %s", path, status, body)
		}
	}
	// Comments are written as the app's bot.
	if status, _, body := call(t, ts, spec, "POST", "/repos/acme/widgets/issues/7/comments", auth, `{"body":"hi"}`); status != http.StatusCreated ||
		!strings.Contains(body, `"login":"fixproof[bot]"`) {
		t.Errorf("comment: %d %s", status, body)
	}
	if got := s.Comments("acme", "widgets", 7); len(got) != 1 || got[0].Author != "fixproof[bot]" {
		t.Errorf("stored: %+v", got)
	}

	// GraphQL alike.
	gql := func(owner, name string) string {
		q := fmt.Sprintf(`{"query":"{ repository(owner: \"%s\", name: \"%s\") { nameWithOwner } }"}`, owner, name)
		status, _, body := rest(t, ts, "POST", "/graphql", auth, q)
		if status != http.StatusOK {
			t.Fatalf("graphql: %d %s", status, body)
		}
		return body
	}
	if got := gql("acme", "widgets"); got != `{"data":{"repository":{"nameWithOwner":"acme/widgets"}}}` {
		t.Errorf("graphql own repository: %s", got)
	}
	if got := gql("acme", "secret"); !strings.Contains(got, `"type":"NOT_FOUND"`) || !strings.Contains(got, `Could not resolve to a Repository with the name 'acme/secret'.`) {
		t.Errorf("graphql other repository: %s", got)
	}

	// It lists its repositories, and nothing else.
	status, _, body = call(t, ts, spec, "GET", "/installation/repositories", auth, "")
	var repos struct {
		TotalCount   int `json:"total_count"`
		Repositories []struct {
			FullName string `json:"full_name"`
		}
	}
	if err := json.Unmarshal([]byte(body), &repos); status != http.StatusOK || err != nil || repos.TotalCount != 2 ||
		len(repos.Repositories) != 2 || repos.Repositories[0].FullName != "acme/api" || repos.Repositories[1].FullName != "acme/widgets" {
		t.Errorf("installation repositories: %d %v %s", status, err, body)
	}
	// An "all" installation reaches every repository of its account.
	beta := "token " + newToken(t, ts, clock, instBeta, "")
	_, _, body = call(t, ts, spec, "GET", "/installation/repositories?per_page=1&page=2", beta, "")
	if !strings.Contains(body, `"total_count":2`) || !strings.Contains(body, `"full_name":"beta/two"`) || !strings.Contains(body, `"type":"Organization"`) {
		t.Errorf("beta page 2: %s", body)
	}
}

func TestInstallationTokenExpiresAfterAnHour(t *testing.T) {
	_, ts, clock := appFixture(t)
	spec := restSpec(t)
	auth := "token " + newToken(t, ts, clock, instAcme, "")
	clock.Advance(time.Hour - time.Second)
	if status, _, body := call(t, ts, spec, "GET", "/repos/acme/widgets/issues/7/comments", auth, ""); status != http.StatusOK {
		t.Errorf("a second before expiry: %d %s", status, body)
	}
	clock.Advance(time.Second)
	for _, path := range []string{"/repos/acme/widgets/issues/7/comments", "/graphql"} {
		method := "GET"
		if path == "/graphql" {
			method = "POST"
		}
		status, _, body := rest(t, ts, method, path, auth, `{"query":"{ viewer { login } }"}`)
		if status != http.StatusUnauthorized || !strings.HasPrefix(body, `{"message":"Bad credentials",`) {
			t.Errorf("%s at expiry: %d %s", path, status, body)
		}
	}
}

func TestInstallationTokenRequestMayOnlyNarrow(t *testing.T) {
	_, ts, clock := appFixture(t)
	spec := restSpec(t)
	jwtAuth := "Bearer " + goodJWT(t, clock.Now())
	path := fmt.Sprintf("/app/installations/%d/access_tokens", instAcme)
	doc := "https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app"
	for _, tc := range []struct{ name, body, want string }{
		{"a permission it lacks", `{"permissions":{"issues":"write"}}`, "The permissions requested are not granted to this installation."},
		{"write where it may read", `{"permissions":{"contents":"write"}}`, "The permissions requested are not granted to this installation."},
		{"a repository it lacks", `{"repositories":["secret"]}`, "There is at least one repository that does not exist or is not accessible to the parent installation."},
	} {
		status, _, body := call(t, ts, spec, "POST", path, jwtAuth, tc.body)
		if want := `{"message":"` + tc.want + `","documentation_url":"` + doc + `"}`; status != http.StatusUnprocessableEntity || body != want {
			t.Errorf("%s: %d %s", tc.name, status, body)
		}
	}
	status, _, body := call(t, ts, spec, "POST", "/app/installations/999/access_tokens", jwtAuth, "")
	if status != http.StatusNotFound || body != `{"message":"Not Found","documentation_url":"`+doc+`"}` {
		t.Errorf("unknown installation: %d %s", status, body)
	}

	// Narrower: read-only, one repository.
	tok := newToken(t, ts, clock, instAcme, `{"repositories":["widgets"],"permissions":{"checks":"read"}}`)
	auth := "token " + tok
	if status, _, _ := call(t, ts, spec, "GET", "/repos/acme/widgets/issues/7/comments", auth, ""); status != http.StatusOK {
		t.Errorf("named repository: %d", status)
	}
	if status, _, _ := rest(t, ts, "GET", "/repos/acme/api/compare/a...b", auth, ""); status != http.StatusForbidden {
		t.Errorf("contents not asked for: %d", status)
	}
	_, _, body = call(t, ts, spec, "GET", "/installation/repositories", auth, "")
	if !strings.Contains(body, `"total_count":1`) {
		t.Errorf("narrowed repositories: %s", body)
	}
}

func TestAppCredentialsAreNotInterchangeable(t *testing.T) {
	_, ts, clock := appFixture(t)
	spec := restSpec(t)
	jwtAuth := "Bearer " + goodJWT(t, clock.Now())
	inst := "token " + newToken(t, ts, clock, instAcme, "")
	// A JWT is not a token for the repositories' API.
	if status, _, body := callUndocumented(t, ts, spec, "GET", "/repos/acme/widgets/issues/7/comments", jwtAuth, ""); status != http.StatusUnauthorized ||
		!strings.HasPrefix(body, `{"message":"Bad credentials"`) {
		t.Errorf("JWT on /repos: %d %s", status, body)
	}
	// An installation token is not a JWT.
	if status, _, body := callUndocumented(t, ts, spec, "GET", "/app/installations", inst, ""); status != http.StatusUnauthorized ||
		!strings.HasPrefix(body, `{"message":"A JSON web token could not be decoded"`) {
		t.Errorf("installation token on /app: %d %s", status, body)
	}
}

func TestListInstallationsPaginates(t *testing.T) {
	_, ts, clock := appFixture(t)
	spec := restSpec(t)
	auth := "Bearer " + goodJWT(t, clock.Now())
	status, h, body := call(t, ts, spec, "GET", "/app/installations?per_page=2", auth, "")
	var page []struct {
		ID                  int64  `json:"id"`
		RepositorySelection string `json:"repository_selection"`
		TargetType          string `json:"target_type"`
		Account             struct{ Login string }
	}
	if err := json.Unmarshal([]byte(body), &page); status != http.StatusOK || err != nil || len(page) != 2 ||
		page[0].ID != instAcme || page[0].RepositorySelection != "selected" || page[1].ID != instBeta ||
		page[1].RepositorySelection != "all" || page[1].TargetType != "Organization" || page[1].Account.Login != "beta" {
		t.Fatalf("%d %v %s", status, err, body)
	}
	u := ts.URL + "/app/installations?per_page=2&page="
	if want := "<" + u + `2>; rel="next", <` + u + `2>; rel="last"`; h.Get("Link") != want {
		t.Errorf("Link %s\nwant %s", h.Get("Link"), want)
	}
	_, _, body = call(t, ts, spec, "GET", "/app/installations?per_page=2&page=2", auth, "")
	if !strings.Contains(body, fmt.Sprintf(`[{"id":%d,`, instGamma)) || strings.Count(body, `"app_id"`) != 1 {
		t.Errorf("page 2: %s", body)
	}
}

// Each installation has its own rate budgets, as on GitHub: one that
// spent its REST requests is refused while another still has its own.
func TestEachInstallationHasItsOwnRateBudget(t *testing.T) {
	key, _ := testKeys(t)
	clock := sim.NewClock(base)
	s := New(Options{Now: clock.Now, Limits: Limits{RESTRequests: 2}, App: &App{ID: testAppID, PrivateKey: key,
		Installations: map[int64]Installation{
			instAcme:  {Account: "acme", Permissions: map[string]string{"issues": "read", "pull_requests": "read"}},
			instGamma: {Account: "gamma", Permissions: map[string]string{"issues": "read", "pull_requests": "read"}},
		}}})
	s.AddPullRequest("acme", "widgets", PullRequest{Number: 7, Title: "x"})
	s.AddPullRequest("gamma", "one", PullRequest{Number: 1, Title: "y"})
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	get := func(tok, path string) (int, string) {
		t.Helper()
		code, h, _ := rest(t, ts, http.MethodGet, path, "token "+tok, "")
		return code, h.Get("X-RateLimit-Remaining")
	}
	acme, gamma := newToken(t, ts, clock, instAcme, ""), newToken(t, ts, clock, instGamma, "")
	for i, want := range []string{"1", "0"} {
		if code, left := get(acme, "/repos/acme/widgets/issues/7/comments"); code != http.StatusOK || left != want {
			t.Fatalf("acme's request %d: %d, %s left; want 200, %s", i+1, code, left, want)
		}
	}
	if code, _ := get(acme, "/repos/acme/widgets/issues/7/comments"); code != http.StatusForbidden {
		t.Errorf("acme past its budget: %d, want 403", code)
	}
	if code, left := get(gamma, "/repos/gamma/one/issues/1/comments"); code != http.StatusOK || left != "1" {
		t.Errorf("gamma, with its own budget: %d, %s left; want 200, 1", code, left)
	}
}
