package sentrysim

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"
)

// call serves one request with any token on s, unchecked.
func call(t *testing.T, s *Server, method, path string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(method, path, nil)
	req.Header.Set("Authorization", "Bearer tok")
	s.Handler().ServeHTTP(rec, req)
	return rec
}

const releasesPath = "/api/0/organizations/acme/releases/"

func versions(t *testing.T, r response) []string {
	t.Helper()
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	var list []map[string]any
	if err := json.Unmarshal(r.body, &list); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, rel := range list {
		out = append(out, rel["version"].(string))
	}
	return out
}

// TestReleasesList lists a project's releases newest first (by
// dateCreated), filtered by project, environment and version, with the
// release's counts and last deploy.
func TestReleasesList(t *testing.T) {
	e := newEnv(t, Options{})
	e.s.AddRelease(Release{Version: "shop@1.0", Projects: []string{"shop"}, Created: at(8, 0), Commits: []string{"a1", "b2"}})
	e.s.AddRelease(Release{Version: "shop@1.1", Projects: []string{"shop"}, Created: at(10, 0), Released: at(7, 0)})
	e.s.AddRelease(Release{Version: "api@2.0", Projects: []string{"api", "shop"}, Created: at(9, 0)})
	e.s.AddDeploy("shop@1.0", Deploy{Environment: "staging", Finished: at(8, 30)})
	e.s.AddDeploy("shop@1.0", Deploy{Environment: "production", Name: "prod", Finished: at(9, 30), Started: at(9, 20)})
	shop, api := e.s.ProjectID("shop"), e.s.ProjectID("api")
	for q, want := range map[string][]string{
		"":                {"shop@1.1", "api@2.0", "shop@1.0"},
		"?project=" + api: {"api@2.0"},
		"?project=" + shop + "&environment=production": {"shop@1.0"},
		"?query=SHOP%40": {"shop@1.1", "shop@1.0"},
	} {
		if got := versions(t, e.get(releasesPath+q)); !reflect.DeepEqual(got, want) {
			t.Errorf("%q: %v, want %v", q, got, want)
		}
	}
	var list []map[string]any
	_ = json.Unmarshal(e.get(releasesPath+"?project="+shop+"&query=shop%401.0").body, &list)
	rel := list[0]
	last := map[string]any{"id": "2", "environment": "production", "name": "prod", "dateStarted": "2026-03-02T09:20:00Z", "dateFinished": "2026-03-02T09:30:00Z", "url": nil}
	if rel["commitCount"] != 2.0 || rel["deployCount"] != 2.0 || rel["dateCreated"] != "2026-03-02T08:00:00Z" || rel["dateReleased"] != nil ||
		!reflect.DeepEqual(rel["lastDeploy"], last) {
		t.Errorf("release %v", rel)
	}
	if vi := rel["versionInfo"].(map[string]any); vi["package"] != "shop" || vi["version"].(map[string]any)["raw"] != "1.0" {
		t.Errorf("versionInfo %v", vi)
	}
}

// TestReleasesPagination pages 250 releases by Sentry's Link header, 100
// a page unless per_page says fewer.
func TestReleasesPagination(t *testing.T) {
	e := newEnv(t, Options{})
	for i := 0; i < 250; i++ {
		e.s.AddRelease(Release{Version: fmt.Sprintf("v%03d", i), Projects: []string{"shop"}, Created: noon.Add(time.Duration(i) * time.Second)})
	}
	r := e.get(releasesPath + "?project=2")
	got := versions(t, r)
	if len(got) != 100 || got[0] != "v249" || got[99] != "v150" {
		t.Errorf("first page: %d from %s", len(got), got[0])
	}
	self := e.base + releasesPath
	want := `<` + self + `?project=2&cursor=0:0:1>; rel="previous"; results="false"; cursor="0:0:1", ` +
		`<` + self + `?project=2&cursor=0:100:0>; rel="next"; results="true"; cursor="0:100:0"`
	if got := r.header.Get("Link"); got != want {
		t.Errorf("Link\n got %s\nwant %s", got, want)
	}
	r = e.get(releasesPath + "?project=2&cursor=0:200:0")
	if got := versions(t, r); len(got) != 50 || got[49] != "v000" || !strings.Contains(r.header.Get("Link"), `rel="next"; results="false"`) {
		t.Errorf("last page: %d, Link %s", len(got), r.header.Get("Link"))
	}
	if got := versions(t, e.get(releasesPath+"?per_page=10&cursor=0:10:0")); len(got) != 10 || got[0] != "v239" {
		t.Errorf("per_page=10, second page: %v", got)
	}
}

// TestReleasesRefused checks what Sentry refuses on the release
// endpoints, with its messages.
func TestReleasesRefused(t *testing.T) {
	e := newEnv(t, Options{})
	e.s.AddRelease(Release{Version: "v1", Projects: []string{"shop"}})
	for path, want := range map[string]struct {
		status int
		detail string
	}{
		releasesPath + "?project=shop":          {400, "Invalid project parameter. Values must be numbers."},
		releasesPath + "?project=999":           {403, "You do not have permission to perform this action."},
		releasesPath + "?environment=prod":      {404, "The requested resource does not exist"},
		releasesPath + "?cursor=bogus":          {400, "Invalid cursor parameter."},
		releasesPath + "?per_page=101":          {400, "Invalid per_page value. Cannot exceed 100."},
		releasesPath + "?per_page=many":         {400, "Invalid per_page parameter."},
		releasesPath + "nope/commits/":          {404, "The requested resource does not exist"},
		releasesPath + "nope/deploys/":          {404, "The requested resource does not exist"},
		releasesPath + "v1/commits/?cursor=x":   {400, "Invalid cursor parameter."},
		releasesPath + "v1/deploys/?per_page=0": {400, "Invalid per_page parameter."},
	} {
		wantDetail(t, e.call("GET", path, "", unchecked), want.status, want.detail)
	}
	empty := New(Options{Org: "acme"})
	if r := call(t, empty, "GET", releasesPath); r.Code != 200 || r.Body.String() != "[]" {
		t.Errorf("no projects: %d %s", r.Code, r.Body)
	}
}

// TestReleaseCommitsAndDeploys lists a release's commits in their order
// and its deploys, the last finished first, at a version holding "@" and
// "+".
func TestReleaseCommitsAndDeploys(t *testing.T) {
	e := newEnv(t, Options{})
	v := "shop@1.4.2+build.7"
	e.s.AddRelease(Release{Version: v, Projects: []string{"shop"}, Created: at(8, 0), Commits: []string{"c3", "c2", "c1"}, Repository: "acme/shop"})
	e.s.AddDeploy(v, Deploy{Environment: "production", Finished: at(9, 0)})
	e.s.AddDeploy(v, Deploy{Environment: "staging", Finished: at(8, 30), URL: "https://ci.example/1"})
	var commits []map[string]any
	if err := json.Unmarshal(e.get(releasesPath+"shop@1.4.2+build.7/commits/").body, &commits); err != nil || len(commits) != 3 {
		t.Fatalf("commits: %v", err)
	}
	if commits[0]["id"] != "c3" || commits[2]["id"] != "c1" || commits[0]["repository"].(map[string]any)["name"] != "acme/shop" ||
		commits[0]["releases"].([]any)[0].(map[string]any)["version"] != v {
		t.Errorf("commits %v", commits)
	}
	var deploys []map[string]any
	if err := json.Unmarshal(e.get(releasesPath+"shop%401.4.2%2Bbuild.7/deploys/").body, &deploys); err != nil || len(deploys) != 2 {
		t.Fatalf("deploys: %v", err)
	}
	want := map[string]any{"id": "1", "environment": "production", "name": nil, "url": nil, "dateStarted": nil, "dateFinished": "2026-03-02T09:00:00Z"}
	if !reflect.DeepEqual(deploys[0], want) || deploys[1]["environment"] != "staging" {
		t.Errorf("deploys %v", deploys)
	}
}
