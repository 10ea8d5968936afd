package githubsim

// GET /repos/{owner}/{repo}/contents/{path}: a file's contents,
// operation repos/get-content of GitHub's REST description, answered from
// the files tests put (PutFile, PutFileAt).
//
// The rules, and where each comes from:
//
//   - ref defaults to the repository's default branch ("main" here); a
//     ref or path that does not exist answers 404 Not Found.
//   - The file answers as content-file: type "file", encoding "base64",
//     content wrapped every 60 characters with a newline after each line
//     (what api.github.com sends: Ruby's Base64.encode64), sha the git
//     blob SHA-1 of the content (`git hash-object`), size in bytes.
//   - Reading needs the contents permission: without it 403 "Resource not
//     accessible by integration" with X-Accepted-GitHub-Permissions (the
//     operation documents 403).
//   - As every GET, the answer carries an ETag and a request whose
//     If-None-Match holds it answers 304 Not Modified, uncounted (see
//     conditional.go); the operation documents the 304.
//
// Directories, symlinks and submodules are not served: a path is a file
// or it is absent.

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strings"
)

const docGetContent = "https://docs.github.com/rest/repos/contents#get-repository-content"

// PutFile stores a file at path on owner/repo's default branch (creating
// the repository when needed), replacing any file there.
func (s *Server) PutFile(owner, repo, path, content string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repoLocked(owner, repo)
	r.putFile(r.defaultBranch(), path, content)
}

// PutFileAt is PutFile at ref: a branch, tag or commit SHA.
func (s *Server) PutFileAt(owner, repo, ref, path, content string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.repoLocked(owner, repo).putFile(ref, path, content)
}

func (r *repoState) putFile(ref, p, content string) {
	if r.files == nil {
		r.files = map[string]map[string]string{}
	}
	if r.files[ref] == nil {
		r.files[ref] = map[string]string{}
	}
	r.files[ref][strings.Trim(p, "/")] = content
}

// getContent answers GET /repos/{owner}/{repo}/contents/{path}.
func (c *restCall) getContent(owner, repo, filePath string) {
	c.w.Header().Set("X-Accepted-GitHub-Permissions", "contents=read")
	c.s.mu.RLock()
	defer c.s.mu.RUnlock()
	r := c.repoLocked(owner, repo)
	if r == nil {
		c.notFound(docGetContent)
		return
	}
	if !c.who.can("contents") {
		writeMessage(c.w, http.StatusForbidden, c.who.notAccessible(), docGetContent)
		return
	}
	ref := c.r.URL.Query().Get("ref")
	if ref == "" {
		ref = r.defaultBranch()
	}
	content, ok := r.files[ref][filePath]
	if !ok {
		c.notFound(docGetContent)
		return
	}
	writeBody(c.w, http.StatusOK, c.contentFileJSON(r, ref, filePath, content))
}

// contentFileJSON is the content-file object, keys in GitHub's order.
func (c *restCall) contentFileJSON(r *repoState, ref, p, content string) *omap {
	sha := blobSHA(content)
	self := fmt.Sprintf("%s/repos/%s/contents/%s?ref=%s", c.api, r.nameWithOwner(), p, url.QueryEscape(ref))
	git := fmt.Sprintf("%s/repos/%s/git/blobs/%s", c.api, r.nameWithOwner(), sha)
	html := fmt.Sprintf("%s/blob/%s/%s", r.url(), ref, p)
	links := &omap{}
	links.set("self", self)
	links.set("git", git)
	links.set("html", html)
	o := &omap{}
	o.set("name", path.Base(p))
	o.set("path", p)
	o.set("sha", sha)
	o.set("size", len(content))
	o.set("url", self)
	o.set("html_url", html)
	o.set("git_url", git)
	o.set("download_url", fmt.Sprintf("https://raw.githubusercontent.com/%s/%s/%s", r.nameWithOwner(), ref, p))
	o.set("type", "file")
	o.set("content", wrappedBase64(content))
	o.set("encoding", "base64")
	o.set("_links", links)
	return o
}

// blobSHA is git's object id of content as a blob.
func blobSHA(content string) string {
	sum := sha1.Sum([]byte(fmt.Sprintf("blob %d\x00%s", len(content), content)))
	return hex.EncodeToString(sum[:])
}

// wrappedBase64 is content in base64, 60 characters a line, each line
// ending in a newline.
func wrappedBase64(content string) string {
	enc := base64.StdEncoding.EncodeToString([]byte(content))
	var b strings.Builder
	for len(enc) > 0 {
		n := min(60, len(enc))
		b.WriteString(enc[:n])
		b.WriteByte('\n')
		enc = enc[n:]
	}
	return b.String()
}
