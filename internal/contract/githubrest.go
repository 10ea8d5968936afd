package contract

import (
	"fmt"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// gitHubRESTSpecFile is GitHub's REST API OpenAPI description, relative to
// Dir.
const gitHubRESTSpecFile = "github/rest/api.github.com.json"

// GitHubRESTSpec loads github/rest/api.github.com.json under Dir: GitHub's
// OpenAPI 3.0 description of the REST API of api.github.com, as Octokit
// republishes it (@octokit/openapi, generated from
// github/rest-api-description). Paths under /api/v3/ (GitHub Enterprise
// Server) are validated as the same paths of api.github.com. The document
// is about 13 MB and takes seconds to load, so it is loaded once per
// process. When the contracts are absent GitHubRESTSpec reports them
// missing, like Require; it fails the test when the file cannot be loaded.
//
// The document is used as published, but for the errata in
// gitHubErrata (where its own examples contradict it): nothing is added.
// So an answer GitHub gives but the description leaves out (403
// "Resource not accessible by integration" for most operations) is
// reported as undocumented.
func GitHubRESTSpec(t testing.TB) *Spec {
	t.Helper()
	p := RequireFile(t, gitHubRESTSpecFile)
	s, err := cached("openapi "+p, func() (*Spec, error) {
		return loadSpec(specConfig{
			name:    "GitHub REST",
			path:    p,
			aliases: []alias{{from: "/api/v3/", to: "/"}},
			keep:    gitHubRESTPaths,
			// A file's path is sent as it is, slashes and all, as
			// GitHub's clients (octokit, go-github) send it.
			restParams: []string{"path"},
			prepare: func(doc *openapi3.T) error {
				if stale := applyErrata(doc, gitHubErrata); len(stale) > 0 {
					return fmt.Errorf("contract: GitHub errata no longer apply, GitHub may have fixed its description; review and remove: %s", strings.Join(stale, "; "))
				}
				return nil
			},
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// gitHubRESTPaths are the REST operations fixproof and its simulator use,
// the only ones GitHubRESTSpec loads of GitHub's 13 MB description (with
// the components they reach): loading it whole costs each test process
// seconds. Traffic to any other path is refused as undocumented; add the
// path here when fixproof starts using it.
var gitHubRESTPaths = []string{
	"/user",
	"/repos/{owner}/{repo}/compare/{basehead}",
	"/repos/{owner}/{repo}/issues/{issue_number}/comments",
	"/repos/{owner}/{repo}/issues/comments/{comment_id}",
	"/repos/{owner}/{repo}/deployments",
	"/repos/{owner}/{repo}/deployments/{deployment_id}/statuses",
	"/app/installations",
	"/app/installations/{installation_id}/access_tokens",
	"/installation/repositories",
	"/repos/{owner}/{repo}/check-runs",
	"/repos/{owner}/{repo}/check-runs/{check_run_id}",
	"/repos/{owner}/{repo}/commits/{ref}/check-runs",
	"/repos/{owner}/{repo}/contents/{path}",
}
