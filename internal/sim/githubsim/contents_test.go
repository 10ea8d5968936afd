package githubsim

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestContentsServesAFileAsGitHubEncodesIt(t *testing.T) {
	s, ts, clock := appFixture(t)
	spec := restSpec(t)
	auth := "token " + newToken(t, ts, clock, instAcme, "") // contents: read
	config := strings.Repeat("jira:\n  project: PROJ\n", 5)
	s.PutFile("acme", "widgets", ".github/fixproof.yml", config)
	s.PutFileAt("acme", "widgets", "release", ".github/fixproof.yml", "hello\n")

	status, _, body := call(t, ts, spec, "GET", "/repos/acme/widgets/contents/.github/fixproof.yml", auth, "")
	var f struct {
		Type, Encoding, Content, SHA, Name, Path, URL, DownloadURL string
		Size                                                       int
	}
	if err := json.Unmarshal([]byte(body), &f); status != http.StatusOK || err != nil {
		t.Fatalf("%d %v %s", status, err, body)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(f.Content, "\n", ""))
	if err != nil || string(raw) != config || f.Type != "file" || f.Encoding != "base64" || f.Size != len(config) ||
		f.Name != "fixproof.yml" || f.Path != ".github/fixproof.yml" {
		t.Errorf("file (%v): %s", err, body)
	}
	// GitHub wraps the base64 every 60 characters, a newline after each line.
	lines := strings.Split(f.Content, "\n")
	if len(lines) < 3 || lines[len(lines)-1] != "" || len(lines[0]) != 60 || len(lines[len(lines)-2]) > 60 {
		t.Errorf("content not wrapped as GitHub wraps it: %q", f.Content)
	}
	// sha is the git blob id: `printf 'hello\n' | git hash-object --stdin`.
	_, _, body = call(t, ts, spec, "GET", "/repos/acme/widgets/contents/.github/fixproof.yml?ref=release", auth, "")
	if !strings.Contains(body, `"sha":"ce013625030ba8dba906f756967f9e9ca394464a"`) || !strings.Contains(body, `"content":"aGVsbG8K\n"`) {
		t.Errorf("at release: %s", body)
	}
	for name, path := range map[string]string{
		"absent path":            "/repos/acme/widgets/contents/README.md",
		"absent ref":             "/repos/acme/widgets/contents/.github/fixproof.yml?ref=nope",
		"path in another case":   "/repos/acme/widgets/contents/.github/FIXPROOF.yml",
		"repository not reached": "/repos/acme/secret/contents/.github/fixproof.yml",
		"repository of no one's": "/repos/nobody/nothing/contents/x",
	} {
		status, _, body := call(t, ts, spec, "GET", path, auth, "")
		if status != http.StatusNotFound || body != `{"message":"Not Found","documentation_url":"https://docs.github.com/rest/repos/contents#get-repository-content"}` {
			t.Errorf("%s: %d %s", name, status, body)
		}
	}
}

func TestContentsNeedTheContentsPermission(t *testing.T) {
	s, ts, clock := appFixture(t)
	spec := restSpec(t)
	s.PutFile("beta", "one", "README.md", "hi")
	beta := "token " + newToken(t, ts, clock, instBeta, "") // checks only
	status, h, body := call(t, ts, spec, "GET", "/repos/beta/one/contents/README.md", beta, "")
	if status != http.StatusForbidden || body != `{"message":"Resource not accessible by integration","documentation_url":"https://docs.github.com/rest/repos/contents#get-repository-content"}` ||
		h.Get("X-Accepted-GitHub-Permissions") != "contents=read" {
		t.Errorf("%d %s %v", status, body, h)
	}
}

// TestContentsAnswerAConditionalRequestWith304AndChargeNothing: the file's
// answer carries an ETag; asked again with it in If-None-Match, GitHub
// answers 304 with no body and does not count the request against the
// rate limit. A changed file gets a new ETag, and the old one then fetches
// it whole. Every GET is answered so (conditional.go): the installation's
// repository list too.
func TestContentsAnswerAConditionalRequestWith304AndChargeNothing(t *testing.T) {
	s, ts, clock := appFixture(t)
	spec := restSpec(t)
	auth := "token " + newToken(t, ts, clock, instAcme, "")
	s.PutFile("acme", "widgets", ".github/fixproof.yml", "jira_projects: OPS\n")
	const path = "/repos/acme/widgets/contents/.github/fixproof.yml"
	getAt := func(path, ifNoneMatch string) (int, http.Header, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", ts.URL+path, nil)
		req.Header.Set("Authorization", auth)
		if ifNoneMatch != "" {
			req.Header.Set("If-None-Match", ifNoneMatch)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if err := spec.ValidateRequest(req, nil); err != nil {
			t.Error(err)
		}
		if err := spec.ValidateResponse(req, resp.StatusCode, resp.Header, body); err != nil {
			t.Error(err)
		}
		return resp.StatusCode, resp.Header, string(body)
	}
	get := func(ifNoneMatch string) (int, http.Header, string) {
		t.Helper()
		return getAt(path, ifNoneMatch)
	}
	status, h, _ := get("")
	tag, used := h.Get("ETag"), h.Get("X-RateLimit-Used")
	if status != http.StatusOK || !strings.HasPrefix(tag, `W/"`) {
		t.Fatalf("first read: %d, ETag %q", status, tag)
	}
	for _, inm := range []string{tag, strings.TrimPrefix(tag, "W/"), `"other", ` + tag, "*"} {
		status, h, body := get(inm)
		if status != http.StatusNotModified || body != "" || h.Get("ETag") != tag {
			t.Errorf("If-None-Match %s: %d %q, ETag %q; want 304, no body, the same ETag", inm, status, body, h.Get("ETag"))
		}
		if h.Get("X-RateLimit-Used") != used {
			t.Errorf("If-None-Match %s: X-RateLimit-Used %s after %s: a 304 was charged", inm, h.Get("X-RateLimit-Used"), used)
		}
	}
	if status, _, _ := get(`W/"other"`); status != http.StatusOK {
		t.Errorf("another ETag: %d, want 200", status)
	}
	s.PutFile("acme", "widgets", ".github/fixproof.yml", "jira_projects: WEB\n")
	status, h, body := get(tag)
	if status != http.StatusOK || h.Get("ETag") == tag || !strings.Contains(body, `"content":"amlyYV9wcm9qZWN0czogV0VCCg==\n"`) {
		t.Errorf("after a change, the old ETag: %d %s (ETag %q)", status, body, h.Get("ETag"))
	}
	_, h, _ = getAt("/installation/repositories", "")
	if status, _, body := getAt("/installation/repositories", h.Get("ETag")); status != http.StatusNotModified || body != "" {
		t.Errorf("the installation's repositories again with their ETag: %d %q, want 304", status, body)
	}
}
