// Package clients is the one place that turns settings into the clients
// fixproof talks to services with: the action, the bot and the demo fill
// one Settings and build every Jira, Sentry, Guance and GitHub client, and
// the HTTP client under them with the retry policy, through these
// functions.
package clients

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/fixproof/fixproof/internal/deployment"
	"github.com/fixproof/fixproof/internal/etagcache"
	"github.com/fixproof/fixproof/internal/githubpr"
	"github.com/fixproof/fixproof/internal/guance"
	"github.com/fixproof/fixproof/internal/jira"
	"github.com/fixproof/fixproof/internal/prcomment"
	"github.com/fixproof/fixproof/internal/retry"
	"github.com/fixproof/fixproof/internal/sentry"
	"github.com/google/go-github/v75/github"
	"github.com/shurcooL/githubv4"
)

// Settings are what the clients need to know: where each service is and
// the credentials for it. The action fills them from its inputs and the
// GitHub context, the bot from its configuration.
type Settings struct {
	// UserAgent names the program and its version on every request.
	UserAgent string
	Jira      JiraSettings
	Sentry    SentrySettings
	Guance    GuanceSettings
	GitHub    GitHubSettings
}

// JiraSettings: Email and APIToken for Jira Cloud, PAT for Data Center
// (jira.CheckCredentials).
type JiraSettings struct {
	BaseURL, Email, APIToken, PAT string
}

// SentrySettings name one Sentry organization and an auth token for it.
type SentrySettings struct {
	BaseURL, Token, Org string
}

// Configured reports whether there is a Sentry to read: a token and an
// organization. Without them the bot and the dashboard do without Sentry.
func (s SentrySettings) Configured() bool { return s.Token != "" && s.Org != "" }

// GuanceSettings name a Guance Open API endpoint and an API key (which
// selects the workspace).
type GuanceSettings struct {
	BaseURL, APIKey string
}

// Configured reports whether Guance is used at all: it is when there is an
// API key.
func (s GuanceSettings) Configured() bool { return s.APIKey != "" }

// GitHubSettings are GitHub's APIs (GITHUB_GRAPHQL_URL, GITHUB_API_URL)
// and the token for both.
type GitHubSettings struct {
	Token, GraphQLURL, APIURL string
	// Tokens, when set, gives the token for each request in place of
	// Token: a GitHub App's installation token, renewed before it
	// expires.
	Tokens TokenSource
}

// TokenSource gives the token to send now.
type TokenSource interface {
	Token(ctx context.Context) (string, error)
}

// HTTPOptions tune the one HTTP client.
type HTTPOptions struct {
	// Timeout bounds each request, retries included; zero means none.
	Timeout time.Duration
	// Transport sends each try; nil means http.DefaultTransport. Tests
	// pass their own.
	Transport http.RoundTripper
	// Policy is how to retry; the zero Policy means retry.Default().
	Policy retry.Policy
	// OnRetry, when set, hears of each retry, for the log.
	OnRetry func(*http.Request, retry.Decision)
}

// HTTP is the HTTP client every service client sends with: fixproof's
// retry policy over the transport.
func HTTP(o HTTPOptions) *http.Client {
	if o.Policy.Attempts == 0 {
		o.Policy = retry.Default()
	}
	if o.Transport == nil {
		o.Transport = Transport
	}
	return &http.Client{Timeout: o.Timeout, Transport: &retry.Transport{Base: o.Transport, Policy: o.Policy, OnRetry: o.OnRetry}}
}

// Transport is the transport under every client: the standard one, but
// keeping up to 512 idle connections a host where it keeps 2, so that a
// release pull request's hundreds of issues, handled at once, reuse their
// connections (and TLS sessions) instead of opening one per request.
var Transport http.RoundTripper = func() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns, t.MaxIdleConnsPerHost = 1024, 512
	return t
}()

// Jira is the Jira client of the settings.
func Jira(s Settings, hc *http.Client) (*jira.Client, error) {
	return jira.New(jira.Config{BaseURL: s.Jira.BaseURL, Email: s.Jira.Email, APIToken: s.Jira.APIToken, PAT: s.Jira.PAT,
		HTTPClient: hc, UserAgent: s.UserAgent})
}

// Sentry is the Sentry client of the settings' organization.
func Sentry(s Settings, hc *http.Client) (*sentry.Client, error) {
	return sentry.New(sentry.Config{BaseURL: s.Sentry.BaseURL, Token: s.Sentry.Token, Org: s.Sentry.Org,
		HTTPClient: hc, UserAgent: s.UserAgent})
}

// Guance is the Guance client of the settings.
func Guance(s Settings, hc *http.Client) (*guance.Client, error) {
	return guance.New(guance.Config{BaseURL: s.Guance.BaseURL, APIKey: s.Guance.APIKey, HTTPClient: hc, UserAgent: s.UserAgent})
}

// GitHub is the client that reads pull requests (GraphQL), sending the
// token with every request.
func GitHub(s Settings, hc *http.Client) *githubpr.Client {
	return githubpr.New(s.GitHub.GraphQLURL, withToken(s.GitHub, hc))
}

// PRComments is the client that writes pull request comments (REST),
// sending the token with every request.
func PRComments(s Settings, hc *http.Client) (*prcomment.Client, error) {
	return prcomment.New(s.GitHub.APIURL, withToken(s.GitHub, hc))
}

// Deployments is the client that finds when a merge was deployed (GitHub
// deployments through GraphQL, commit comparisons through REST), sending
// the token with every request.
func Deployments(s Settings, hc *http.Client) (*deployment.GitHub, error) {
	hc = withToken(s.GitHub, hc)
	rest, err := prcomment.REST(s.GitHub.APIURL, hc)
	if err != nil {
		return nil, err
	}
	return deployment.NewGitHub(githubv4.NewEnterpriseClient(s.GitHub.GraphQLURL, hc), rest), nil
}

// GitHubREST is a go-github client of the REST API, sending the token
// with every request: for what the other GitHub clients do not cover
// (the app's check runs and repository contents). Its GETs are
// conditional (etagcache): what is read again unchanged, as a
// repository's settings file on every event, is answered 304, which
// GitHub does not count against the rate limit. One client per token.
func GitHubREST(s Settings, hc *http.Client) (*github.Client, error) {
	c := withToken(s.GitHub, hc)
	c.Transport = etagcache.New(c.Transport, restKept)
	return prcomment.REST(s.GitHub.APIURL, c)
}

// restKept is how many answers a GitHubREST client keeps for conditional
// reads: a settings file per repository of an installation, and then
// some.
const restKept = 1024

// withToken is hc with GitHub's token added to each request before the
// retries see it.
func withToken(s GitHubSettings, hc *http.Client) *http.Client {
	base := hc.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	out := *hc
	out.Transport = &tokenTransport{token: s.Token, tokens: s.Tokens, base: base}
	return &out
}

// tokenTransport adds the GitHub token to each request.
type tokenTransport struct {
	token  string
	tokens TokenSource
	base   http.RoundTripper
}

func (b *tokenTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	token := b.token
	if b.tokens != nil {
		var err error
		if token, err = b.tokens.Token(req.Context()); err != nil {
			return nil, fmt.Errorf("github: installation token: %w", err)
		}
	}
	req = req.Clone(req.Context())
	req.Header.Set("Authorization", "bearer "+token)
	return b.base.RoundTrip(req)
}
