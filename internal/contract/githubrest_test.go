package contract

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestGitHubRESTSpecAcceptsItsOwnCompareExampleAndCatchesBrokenOnes checks
// the loader with the description's own example of a commit comparison:
// it passes as the 200 answer, on api.github.com's paths and GitHub
// Enterprise Server's, and copies that break the schema do not.
func TestGitHubRESTSpecAcceptsItsOwnCompareExampleAndCatchesBrokenOnes(t *testing.T) {
	spec := GitHubRESTSpec(t)
	ex := spec.Doc().Components.Examples["commit-comparison"]
	if ex == nil || ex.Value == nil {
		t.Fatal("the description has no commit-comparison example")
	}
	example, err := json.Marshal(ex.Value.Value)
	if err != nil {
		t.Fatal(err)
	}
	jsonHeader := http.Header{"Content-Type": {"application/json; charset=utf-8"}}
	for _, path := range []string{"/repos/octocat/Hello-World/compare/abc...def", "/api/v3/repos/octocat/Hello-World/compare/abc...def"} {
		r := httptest.NewRequest(http.MethodGet, "http://127.0.0.1"+path+"?per_page=1", nil)
		if err := spec.ValidateRequest(r, nil); err != nil {
			t.Errorf("request %s: %v", path, err)
		}
		if err := spec.ValidateResponse(r, http.StatusOK, jsonHeader, example); err != nil {
			t.Errorf("the description's own example, at %s: %v", path, err)
		}
		notFound := []byte(`{"message":"Not Found","documentation_url":"https://docs.github.com/rest/commits/commits#compare-two-commits"}`)
		if err := spec.ValidateResponse(r, http.StatusNotFound, jsonHeader, notFound); err != nil {
			t.Errorf("404 at %s: %v", path, err)
		}
	}

	r := httptest.NewRequest(http.MethodGet, "http://127.0.0.1/repos/o/r/compare/a...b", nil)
	for name, mutate := range map[string]func(m map[string]any){
		"unknown status":         func(m map[string]any) { m["status"] = "sideways" },
		"no merge base":          func(m map[string]any) { delete(m, "merge_base_commit") },
		"ahead_by a string":      func(m map[string]any) { m["ahead_by"] = "4" },
		"commit without its sha": func(m map[string]any) { delete(m["base_commit"].(map[string]any), "sha") },
		"commits not a list":     func(m map[string]any) { m["commits"] = map[string]any{} },
		"bad date of the git user": func(m map[string]any) {
			m["base_commit"].(map[string]any)["commit"].(map[string]any)["author"].(map[string]any)["date"] = "yesterday"
		},
	} {
		var m map[string]any
		if err := json.Unmarshal(example, &m); err != nil {
			t.Fatal(err)
		}
		mutate(m)
		b, _ := json.Marshal(m)
		if err := spec.ValidateResponse(r, http.StatusOK, jsonHeader, b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if err := spec.ValidateRequest(httptest.NewRequest(http.MethodGet, "http://127.0.0.1/repos/o/r/compare/a...b?perpage=1", nil), nil); err == nil ||
		!strings.Contains(err.Error(), `"perpage"`) {
		t.Errorf("an undocumented query parameter: %v", err)
	}
	if err := spec.ValidateResponse(r, http.StatusForbidden, jsonHeader, []byte(`{"message":"Resource not accessible by integration"}`)); err == nil {
		t.Error("403 is not documented for the comparison, yet it was accepted")
	}
}

// TestGitHubRESTSpecAcceptsItsOwnInstallationsExample: the list of an
// app's installations passes with the description's own example once
// the account erratum is applied, and a list whose account is neither a
// user nor an enterprise does not.
func TestGitHubRESTSpecAcceptsItsOwnInstallationsExample(t *testing.T) {
	spec := GitHubRESTSpec(t)
	ex := spec.Doc().Components.Examples["base-installation-items"]
	if ex == nil || ex.Value == nil {
		t.Fatal("the description has no base-installation-items example")
	}
	example, err := json.Marshal(ex.Value.Value)
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodGet, "http://127.0.0.1/app/installations?per_page=100", nil)
	jsonHeader := http.Header{"Content-Type": {"application/json; charset=utf-8"}}
	if err := spec.ValidateResponse(r, http.StatusOK, jsonHeader, example); err != nil {
		t.Errorf("the description's own example: %v", err)
	}
	var items []map[string]any
	if err := json.Unmarshal(example, &items); err != nil || len(items) == 0 {
		t.Fatalf("%v %s", err, example)
	}
	items[0]["account"] = map[string]any{"login": "octocat"}
	broken, _ := json.Marshal(items)
	if err := spec.ValidateResponse(r, http.StatusOK, jsonHeader, broken); err == nil {
		t.Error("an account that is neither a user nor an enterprise was accepted")
	}
}

// TestGitHubRESTSpecTakesAFilePathWithSlashes: the {path} of a file's
// contents holds the rest of the URL's path, as clients send it; other
// parameters stay one segment.
func TestGitHubRESTSpecTakesAFilePathWithSlashes(t *testing.T) {
	spec := GitHubRESTSpec(t)
	for path, ok := range map[string]bool{
		"/repos/o/r/contents/README.md":            true,
		"/repos/o/r/contents/.github/fixproof.yml": true,
		"/api/v3/repos/o/r/contents/a/b/c.txt":     true,
		"/repos/o/r/issues/1/comments/extra":       false,
		"/repos/o/r/check-runs/1/more":             false,
	} {
		err := spec.ValidateRequest(httptest.NewRequest(http.MethodGet, "http://127.0.0.1"+path, nil), nil)
		if ok != (err == nil) {
			t.Errorf("%s: %v", path, err)
		}
	}
}
