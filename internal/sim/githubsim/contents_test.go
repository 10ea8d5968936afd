package githubsim

import (
	"encoding/base64"
	"encoding/json"
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
