package githubsim

// GET /repos/{owner}/{repo}/compare/{basehead}: "Compare two commits",
// operation repos/compare-commits-with-basehead of GitHub's REST API
// description, answered from the repository's commit graph (AddCommit).
//
// The rules, and where each comes from:
//
//   - basehead is BASE...HEAD, the only form GitHub documents (the
//     operation's basehead parameter). BASE..HEAD, cross-repository
//     USER:BASE...USER:HEAD and branch or tag names are not served: they
//     answer 404 here, so clients keep to full SHAs and three dots.
//   - The answer is `git log BASE..HEAD` (the operation's description):
//     commits are those reachable from HEAD and not from BASE, oldest
//     first; ahead_by counts them and total_commits equals it; behind_by
//     counts the commits reachable from BASE and not from HEAD; status is
//     identical, ahead (BASE is an ancestor of HEAD), behind (HEAD is an
//     ancestor of BASE) or diverged; merge_base_commit is their best common
//     ancestor (schema commit-comparison).
//   - Without per_page or page the list holds at most 250 commits, the
//     most recent ones; with either it is paged, per_page defaulting to 30
//     and capped at 100, with GitHub's Link header (the operation's
//     description and its per-page parameter).
//   - An unknown repository or commit answers 404 Not Found, and commits
//     without a common ancestor 404 "No common ancestor between BASE and
//     HEAD." (what api.github.com answers; the description documents 404
//     with basic-error).
//   - Without the contents permission the answer is 403 "Resource not
//     accessible by integration" with X-Accepted-GitHub-Permissions naming
//     the permission, as GitHub answers an installation token. GitHub's
//     description documents no 403 for the operation.

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

const (
	docCompare = "https://docs.github.com/rest/commits/commits#compare-two-commits"
	// maxCompareCommits is how many commits a comparison lists when it is
	// not paged.
	maxCompareCommits = 250
)

// comparison is the outcome of comparing two commits of a graph.
type comparison struct {
	status            string
	base, head, mb    *gitCommit
	ahead             []*gitCommit // oldest first
	aheadBy, behindBy int
}

// compareCommits compares base with head in r's graph; ok is false when
// they have no common ancestor. s.mu is held.
func (r *repoState) compareCommits(base, head *gitCommit) (cmp comparison, ok bool) {
	fromBase, fromHead := r.ancestors(base.sha), r.ancestors(head.sha)
	cmp = comparison{base: base, head: head}
	for sha := range fromHead {
		c := r.commits[sha]
		if !fromBase[sha] {
			cmp.ahead = append(cmp.ahead, c)
		} else if cmp.mb == nil || c.seq > cmp.mb.seq {
			// Parents come before children in seq, so the common
			// ancestor added last is no other one's ancestor: a best
			// common ancestor, as git's merge base is.
			cmp.mb = c
		}
	}
	if cmp.mb == nil {
		return cmp, false
	}
	for sha := range fromBase {
		if !fromHead[sha] {
			cmp.behindBy++
		}
	}
	slices.SortFunc(cmp.ahead, func(a, b *gitCommit) int { return a.seq - b.seq })
	cmp.aheadBy = len(cmp.ahead)
	switch {
	case cmp.aheadBy == 0 && cmp.behindBy == 0:
		cmp.status = "identical"
	case cmp.behindBy == 0:
		cmp.status = "ahead"
	case cmp.aheadBy == 0:
		cmp.status = "behind"
	default:
		cmp.status = "diverged"
	}
	return cmp, true
}

// compare answers GET /repos/{owner}/{repo}/compare/{basehead}.
func (c *restCall) compare(owner, repo, basehead string) {
	// GitHub names the permission an installation token needs on each
	// REST answer; a client can quote it when it is refused.
	c.w.Header().Set("X-Accepted-GitHub-Permissions", "contents=read")
	if !c.who.can("contents") {
		writeMessage(c.w, http.StatusForbidden, c.who.notAccessible(), docCompare)
		return
	}
	baseRef, headRef, ok := strings.Cut(basehead, "...")
	if !ok || baseRef == "" || headRef == "" {
		c.notFound(docCompare)
		return
	}
	c.s.mu.RLock()
	r := c.repoLocked(owner, repo)
	var base, head *gitCommit
	if r != nil {
		base, head = r.commits[strings.ToLower(baseRef)], r.commits[strings.ToLower(headRef)]
	}
	if base == nil || head == nil {
		c.s.mu.RUnlock()
		c.notFound(docCompare)
		return
	}
	cmp, ok := r.compareCommits(base, head)
	if !ok {
		c.s.mu.RUnlock()
		writeMessage(c.w, http.StatusNotFound, fmt.Sprintf("No common ancestor between %s and %s.", baseRef, headRef), docCompare)
		return
	}
	list, link := c.comparePage(cmp.ahead)
	body := c.comparisonJSON(r, basehead, cmp, list)
	c.s.mu.RUnlock()
	if link != "" {
		c.w.Header().Set("Link", link)
	}
	writeBody(c.w, http.StatusOK, body)
}

// comparePage is the part of the ahead commits the request asks for, and
// the Link header for it.
func (c *restCall) comparePage(ahead []*gitCommit) ([]*gitCommit, string) {
	q := c.r.URL.Query()
	if !q.Has("per_page") && !q.Has("page") {
		return ahead[max(0, len(ahead)-maxCompareCommits):], ""
	}
	perPage, page := defaultPerPage, 1
	if v, err := strconv.Atoi(q.Get("per_page")); err == nil && v > 0 {
		perPage = min(v, maxPerPage)
	}
	if v, err := strconv.Atoi(q.Get("page")); err == nil && v > 0 {
		page = v
	}
	last := max(1, (len(ahead)+perPage-1)/perPage)
	var out []*gitCommit
	if start := (page - 1) * perPage; start < len(ahead) {
		out = ahead[start:min(start+perPage, len(ahead))]
	}
	return out, c.pageLinks(page, last)
}

// comparisonJSON is the commit-comparison object, keys in GitHub's order.
func (c *restCall) comparisonJSON(r *repoState, basehead string, cmp comparison, list []*gitCommit) *omap {
	commits := []any{}
	for _, gc := range list {
		commits = append(commits, c.gitCommitJSON(r, gc))
	}
	htmlCompare := r.url() + "/compare/" + basehead
	o := &omap{}
	o.set("url", fmt.Sprintf("%s/repos/%s/compare/%s", c.api, r.nameWithOwner(), basehead))
	o.set("html_url", htmlCompare)
	o.set("permalink_url", fmt.Sprintf("%s/compare/%s:%s...%s:%s", r.url(), r.owner, cmp.base.sha, r.owner, cmp.head.sha))
	o.set("diff_url", htmlCompare+".diff")
	o.set("patch_url", htmlCompare+".patch")
	o.set("base_commit", c.gitCommitJSON(r, cmp.base))
	o.set("merge_base_commit", c.gitCommitJSON(r, cmp.mb))
	o.set("status", cmp.status)
	o.set("ahead_by", cmp.aheadBy)
	o.set("behind_by", cmp.behindBy)
	o.set("total_commits", cmp.aheadBy)
	o.set("commits", commits)
	return o
}

// gitCommitJSON is the REST commit object of a graph commit. The graph
// keeps no authors or trees, so they are invented, stably; the
// author and committer are git identities linked to no GitHub account
// (null), as for a commit whose email belongs to nobody on GitHub.
func (c *restCall) gitCommitJSON(r *repoState, gc *gitCommit) *omap {
	api := fmt.Sprintf("%s/repos/%s", c.api, r.nameWithOwner())
	who := &omap{}
	who.set("name", "githubsim")
	who.set("email", "githubsim@users.noreply.github.com")
	who.set("date", gc.date.Format(time.RFC3339))
	tree := fakeOID(gc.sha + "^{tree}")
	treeObj := &omap{}
	treeObj.set("sha", tree)
	treeObj.set("url", api+"/git/trees/"+tree)
	inner := &omap{}
	inner.set("author", who)
	inner.set("committer", who)
	inner.set("message", gc.message)
	inner.set("tree", treeObj)
	inner.set("url", api+"/git/commits/"+gc.sha)
	inner.set("comment_count", 0)
	parents := []any{}
	for _, p := range gc.parents {
		po := &omap{}
		po.set("sha", p)
		po.set("url", api+"/commits/"+p)
		po.set("html_url", r.url()+"/commit/"+p)
		parents = append(parents, po)
	}
	o := &omap{}
	o.set("sha", gc.sha)
	o.set("node_id", nodeID("C", strings.ToLower(r.nameWithOwner())+"@"+gc.sha))
	o.set("commit", inner)
	o.set("url", api+"/commits/"+gc.sha)
	o.set("html_url", r.url()+"/commit/"+gc.sha)
	o.set("comments_url", api+"/commits/"+gc.sha+"/comments")
	o.set("author", nil)
	o.set("committer", nil)
	o.set("parents", parents)
	return o
}
