package githubsim

// A GitHub App and its installations: the JWT the app authenticates
// with, and the installation access tokens it trades it for.
//
//	GET  /app/installations                                 (JWT) list, paginated
//	POST /app/installations/{installation_id}/access_tokens (JWT) make a token
//	GET  /installation/repositories                         (installation token)
//
// What the simulator holds to, and where each rule comes from
// (docs.github.com, "Generating a JSON Web Token (JWT) for a GitHub App"
// and "Authenticating as a GitHub App installation", unless said):
//
//   - The JWT is RS256, signed with the app's private key; iss is the app
//     id, as a number or a string; iat may be up to 60 seconds in the
//     future (clock drift); exp is at most 10 minutes after iat, and
//     after now. Each refusal is 401 with GitHub's own words, as clients
//     report them (octokit/auth-app.js#698, probot/probot#942,
//     sigmavirus24/github3.py#1050, actions/create-github-app-token#386):
//     a token that is not a JWT, is not RS256, or whose signature does not
//     verify with the key of the app iss names answers "A JSON web token
//     could not be decoded" (so does a valid JWT naming another app id,
//     octokit/auth-app.js#375).
//   - An installation token lasts an hour (expires_at); after that it is
//     "Bad credentials", like any unknown token. It carries the
//     installation's permissions, or fewer when the request asks for
//     fewer, and reaches the installation's repositories, or the ones the
//     request names; asking for more answers 422 (the operation documents
//     422 validation_failed).
//   - An installation token reaches no other repository: GitHub answers
//     404 for it, REST and GraphQL alike, as for one that does not exist.
//
// Not simulated: the app's client id as iss, suspended installations,
// the rate limits of requests made with a JWT (not counted here) and
// repository_ids in the token request.

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// App is a GitHub App that the simulator knows, with its installations.
type App struct {
	// ID is the app id: the iss of its JWTs.
	ID int64
	// Slug is the app's URL name; its installation tokens act as
	// "<slug>[bot]". Empty means "fixproof".
	Slug string
	// PublicKey verifies the app's JWTs; nil means PrivateKey's public
	// half. One of them is required.
	PublicKey  *rsa.PublicKey
	PrivateKey *rsa.PrivateKey
	// Installations are the app's installations, by installation id.
	Installations map[int64]Installation
	// TokenTTL is how long an installation token lasts; zero means an
	// hour, as on GitHub. Tests shorten it to watch tokens expire.
	TokenTTL time.Duration
	// Events are the webhook events the app subscribes to, by GitHub's
	// names ("pull_request", "deployment_status"); its installations and
	// its hook's ping list them.
	Events []string
}

// Installation is an installation of the App on an account.
type Installation struct {
	// Account is the login of the user or organization (AddOrganization)
	// the app is installed on.
	Account string
	// Repositories are the names of the Account's repositories the
	// installation may reach (repository_selection "selected"); nil
	// means all of them ("all").
	Repositories []string
	// Permissions are the installation's, by GitHub's names
	// ({"checks": "write", "contents": "read"}); a scope not listed is
	// "none".
	Permissions map[string]string
}

const (
	docListInstallations = "https://docs.github.com/rest/apps/apps#list-installations-for-the-authenticated-app"
	docCreateToken       = "https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app"
	docInstallationRepos = "https://docs.github.com/rest/apps/installations#list-repositories-accessible-to-the-app-installation"
	// installationTokenTTL is how long an installation token lasts.
	installationTokenTTL = time.Hour
	// jwtMaxLifetime is the longest a JWT may live (exp - iat), and
	// jwtDrift how far in the future its iat may be.
	jwtMaxLifetime = 10 * time.Minute
	jwtDrift       = 60 * time.Second
)

// appState is the App as the server keeps it. Its tokens are guarded by
// Server.mu.
type appState struct {
	id     int64
	slug   string
	key    *rsa.PublicKey
	insts  map[int64]Installation
	tokens map[string]*installationToken
	events []string
	ttl    time.Duration
}

// installationToken is one token handed out.
type installationToken struct {
	installation int64
	expires      time.Time
	permissions  map[string]string
	repos        map[string]bool // lower-case names; nil: all the installation's
}

func newAppState(a *App) *appState {
	st := &appState{id: a.ID, slug: a.Slug, key: a.PublicKey, insts: map[int64]Installation{}, tokens: map[string]*installationToken{},
		events: slices.Clone(a.Events), ttl: a.TokenTTL}
	if st.ttl <= 0 {
		st.ttl = installationTokenTTL
	}
	if st.slug == "" {
		st.slug = "fixproof"
	}
	if st.key == nil && a.PrivateKey != nil {
		st.key = &a.PrivateKey.PublicKey
	}
	if st.key == nil {
		panic("githubsim: App needs a PublicKey or a PrivateKey")
	}
	for id, in := range a.Installations {
		in.Repositories = slices.Clone(in.Repositories)
		in.Permissions = clonePermissions(in.Permissions)
		if in.Permissions == nil {
			in.Permissions = map[string]string{}
		}
		st.insts[id] = in
	}
	return st
}

// installationPrincipal is who an installation token speaks for, if tok
// is one that has not expired.
func (s *Server) installationPrincipal(tok string) (*principal, bool) {
	if s.app == nil {
		return nil, false
	}
	s.mu.RLock()
	it := s.app.tokens[tok]
	s.mu.RUnlock()
	if it == nil || !s.authNow().Before(it.expires) {
		return nil, false
	}
	in := s.app.insts[it.installation]
	return &principal{
		login: s.app.slug + "[bot]", permissions: it.permissions,
		installation: it.installation, account: in.Account, repos: it.repos,
	}, true
}

// serveApp serves /app/..., the endpoints a GitHub App calls with its JWT.
func (s *Server) serveApp(w http.ResponseWriter, r *http.Request) {
	s.stampRequest(w)
	w.Header().Set("X-GitHub-Media-Type", "github.v3; format=json")
	if msg := s.checkJWT(r); msg != "" {
		writeMessage(w, http.StatusUnauthorized, msg, restDocs)
		return
	}
	seg := strings.Split(strings.Trim(strings.TrimPrefix(r.URL.Path, "/api/v3"), "/"), "/")
	s.conditionally(w, r, nil, func(w http.ResponseWriter) {
		c := newRESTCall(s, nil, w, r)
		switch {
		case len(seg) == 2 && seg[1] == "installations" && r.Method == http.MethodGet:
			c.listInstallations()
		case len(seg) == 4 && seg[1] == "installations" && seg[3] == "access_tokens" && r.Method == http.MethodPost:
			c.createInstallationToken(seg[2])
		default:
			c.notFound(restDocs)
		}
	})
}

// checkJWT verifies r's JWT as GitHub does, returning GitHub's refusal,
// or "" when the JWT is good.
func (s *Server) checkJWT(r *http.Request) string {
	const undecodable = "A JSON web token could not be decoded"
	tok, ok := bearerToken(r)
	if !ok || s.app == nil {
		return undecodable
	}
	claims := jwt.MapClaims{}
	p := jwt.NewParser(jwt.WithValidMethods([]string{"RS256"}), jwt.WithJSONNumber(), jwt.WithoutClaimsValidation())
	if _, err := p.ParseWithClaims(tok, claims, func(*jwt.Token) (any, error) { return s.app.key, nil }); err != nil {
		return undecodable
	}
	iss, ok := issuer(claims["iss"])
	if !ok {
		return "'Issuer' claim ('iss') must be an Integer"
	}
	if iss != s.app.id {
		return undecodable // another app's id: its key would not verify
	}
	return checkJWTTimes(claims, s.authNow())
}

// checkJWTTimes checks iat and exp against now.
func checkJWTTimes(claims jwt.MapClaims, now time.Time) string {
	iat, err := claims.GetIssuedAt()
	if err != nil || iat == nil || iat.After(now.Add(jwtDrift)) {
		return "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued"
	}
	exp, err := claims.GetExpirationTime()
	if err != nil || exp == nil || !exp.After(now) {
		return "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires"
	}
	if exp.Sub(iat.Time) > jwtMaxLifetime || exp.After(now.Add(jwtMaxLifetime)) {
		return "'Expiration time' claim ('exp') is too far in the future"
	}
	return ""
}

// issuer reads iss, a JSON number or a string of digits.
func issuer(v any) (int64, bool) {
	var s string
	switch x := v.(type) {
	case json.Number:
		s = x.String()
	case string:
		s = x
	default:
		return 0, false
	}
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil && id > 0
}

// listInstallations answers GET /app/installations, oldest (lowest id)
// first.
func (c *restCall) listInstallations() {
	ids := make([]int64, 0, len(c.s.app.insts))
	for id := range c.s.app.insts {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	start, end, link := c.paginate(len(ids))
	items := []any{}
	for _, id := range ids[start:end] {
		items = append(items, c.installationJSON(id))
	}
	if link != "" {
		c.w.Header().Set("Link", link)
	}
	writeBody(c.w, http.StatusOK, items)
}

// paginate reads per_page (default 30, at most 100) and page, and returns
// the slice bounds of the page among n items and its Link header.
func (c *restCall) paginate(n int) (start, end int, link string) {
	q := c.r.URL.Query()
	perPage, page := defaultPerPage, 1
	if v, err := strconv.Atoi(q.Get("per_page")); err == nil && v > 0 {
		perPage = min(v, maxPerPage)
	}
	if v, err := strconv.Atoi(q.Get("page")); err == nil && v > 0 {
		page = v
	}
	last := max(1, (n+perPage-1)/perPage)
	start = min(n, (page-1)*perPage)
	return start, min(n, start+perPage), c.pageLinks(page, last)
}

// installationJSON is the REST installation object.
func (c *restCall) installationJSON(id int64) *omap {
	c.s.mu.RLock()
	defer c.s.mu.RUnlock()
	return c.s.installationObjectLocked(c.api, id, c.s.clock().Format(time.RFC3339))
}

// installationObjectLocked is installation id as REST and the
// installation webhooks describe it, under the API base api. created is
// its created_at and updated_at: REST writes a date-time string, the
// webhooks a Unix time in seconds. s.mu is held.
func (s *Server) installationObjectLocked(api string, id int64, created any) *omap {
	in := s.app.insts[id]
	org := s.orgs[strings.ToLower(in.Account)]
	targetType, html := "User", fmt.Sprintf("https://github.com/settings/installations/%d", id)
	if org {
		targetType, html = "Organization", fmt.Sprintf("https://github.com/organizations/%s/settings/installations/%d", in.Account, id)
	}
	o := &omap{}
	o.set("id", id)
	o.set("account", userObject(api, in.Account, org))
	o.set("repository_selection", repositorySelection(in.Repositories))
	o.set("access_tokens_url", fmt.Sprintf("%s/app/installations/%d/access_tokens", api, id))
	o.set("repositories_url", api+"/installation/repositories")
	o.set("html_url", html)
	o.set("app_id", s.app.id)
	o.set("app_slug", s.app.slug)
	o.set("target_id", userID(in.Account))
	o.set("target_type", targetType)
	o.set("permissions", permissionsJSON(in.Permissions))
	o.set("events", stringsJSON(s.app.events))
	o.set("created_at", created)
	o.set("updated_at", created)
	o.set("single_file_name", nil)
	o.set("suspended_by", nil)
	o.set("suspended_at", nil)
	return o
}

func repositorySelection(repos []string) string {
	if repos == nil {
		return "all"
	}
	return "selected"
}

// permissionsJSON is a permissions object, keys sorted.
func permissionsJSON(p map[string]string) *omap {
	keys := make([]string, 0, len(p))
	for k, v := range p {
		if v == "read" || v == "write" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	o := &omap{}
	for _, k := range keys {
		o.set(k, p[k])
	}
	return o
}

// tokenRequest is the optional body of a token request.
type tokenRequest struct {
	Repositories []string          `json:"repositories"`
	Permissions  map[string]string `json:"permissions"`
}

// createInstallationToken answers POST
// /app/installations/{installation_id}/access_tokens.
func (c *restCall) createInstallationToken(rawID string) {
	id, err := strconv.ParseInt(rawID, 10, 64)
	in, found := c.s.app.insts[id]
	if err != nil || !found {
		c.notFound(docCreateToken)
		return
	}
	var req tokenRequest
	if raw, ok := c.readBody(docCreateToken); !ok {
		return
	} else if len(raw) > 0 && json.Unmarshal(raw, &req) != nil {
		writeMessage(c.w, http.StatusBadRequest, "Problems parsing JSON", docCreateToken)
		return
	}
	it, msg := narrowToken(in, req)
	if msg != "" {
		writeMessage(c.w, http.StatusUnprocessableEntity, msg, docCreateToken)
		return
	}
	it.installation, it.expires = id, c.s.authNow().UTC().Truncate(time.Second).Add(c.s.app.ttl)
	tok := newInstallationToken()
	c.s.mu.Lock()
	c.s.app.tokens[tok] = it
	c.s.mu.Unlock()

	o := &omap{}
	o.set("token", tok)
	o.set("expires_at", it.expires.Format(time.RFC3339))
	o.set("permissions", permissionsJSON(it.permissions))
	o.set("repository_selection", repositorySelection(in.Repositories))
	writeBody(c.w, http.StatusCreated, o)
}

// narrowToken is the token an installation grants for req: its own
// permissions and repositories, or those req asks for when the
// installation has them. msg is GitHub's refusal otherwise.
func narrowToken(in Installation, req tokenRequest) (it *installationToken, msg string) {
	it = &installationToken{permissions: clonePermissions(in.Permissions)}
	if in.Repositories != nil {
		it.repos = map[string]bool{}
		for _, name := range in.Repositories {
			it.repos[strings.ToLower(name)] = true
		}
	}
	if req.Permissions != nil {
		asked := clonePermissions(req.Permissions)
		for scope, level := range asked {
			have := in.Permissions[scope]
			if level != "read" && level != "write" || have != "write" && (have != "read" || level != "read") {
				return nil, "The permissions requested are not granted to this installation."
			}
		}
		it.permissions = asked
	}
	if req.Repositories != nil {
		want := map[string]bool{}
		for _, name := range req.Repositories {
			low := strings.ToLower(name)
			if it.repos != nil && !it.repos[low] {
				return nil, "There is at least one repository that does not exist or is not accessible to the parent installation."
			}
			want[low] = true
		}
		it.repos = want
	}
	return it, ""
}

// newInstallationToken is a fresh token in GitHub's format: "ghs_" and 36
// letters and digits.
func newInstallationToken() string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 36)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return "ghs_" + string(b)
}

// listInstallationRepos answers GET /installation/repositories: the
// repositories the token reaches, by name.
func (c *restCall) listInstallationRepos() {
	if c.who.installation == 0 {
		// GitHub: only an installation token may call it.
		writeMessage(c.w, http.StatusForbidden, "You must authenticate with an installation access token in order to list repositories for an installation.", docInstallationRepos)
		return
	}
	c.s.mu.RLock()
	var repos []*repoState
	for _, r := range c.s.repos {
		if c.who.reaches(r.owner, r.name) {
			repos = append(repos, r)
		}
	}
	sort.Slice(repos, func(i, j int) bool {
		return strings.ToLower(repos[i].nameWithOwner()) < strings.ToLower(repos[j].nameWithOwner())
	})
	start, end, link := c.paginate(len(repos))
	items := []any{}
	for _, r := range repos[start:end] {
		items = append(items, repositoryObject(c.api, r, c.s.orgs[strings.ToLower(r.owner)], c.s.clock()))
	}
	c.s.mu.RUnlock()
	if link != "" {
		c.w.Header().Set("Link", link)
	}
	o := &omap{}
	o.set("total_count", len(repos))
	o.set("repositories", items)
	o.set("repository_selection", repositorySelection(c.s.app.insts[c.who.installation].Repositories))
	writeBody(c.w, http.StatusOK, o)
}
