package githubsim

// GitHub's types, as resolvers over the in-memory store. The executor holds
// Server.mu for reading while these run.

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Values the resolvers hand each other.
type (
	ownerVal struct {
		login string
		org   bool
	}
	actorVal struct {
		login string
		bot   bool
	}
	prVal struct {
		r  *repoState
		pr *PullRequest
	}
	// page is the slice [start, end) of a list of total items.
	page struct{ start, end, total int }

	prCommitConn struct {
		pv *prVal
		page
	}
	prCommitVal struct {
		pv *prVal
		i  int
	}
	commitVal struct {
		r     *repoState
		pr    *PullRequest // nil for commits outside the pull request
		index int          // position in pr.Commits, or -1
		merge bool         // the pull request's merge commit
		c     Commit
	}
	commitConn struct {
		items []*commitVal
		page
	}
)

func (o ownerVal) graphQLType() string {
	if o.org {
		return "Organization"
	}
	return "User"
}

func (a actorVal) graphQLType() string {
	if a.bot {
		return "Bot"
	}
	return "User"
}

func githubResolvers() resolverTable {
	t := resolverTable{}

	t.add("Query", "repository", func(rq *request, _ any, args map[string]any) (any, error) {
		owner, _ := stringArg(args, "owner")
		name, _ := stringArg(args, "name")
		r := rq.s.repos[strings.ToLower(owner+"/"+name)]
		if r == nil || !rq.who.reaches(owner, name) {
			return nil, &fieldError{Type: "NOT_FOUND", Message: fmt.Sprintf("Could not resolve to a Repository with the name '%s/%s'.", owner, name)}
		}
		return r, nil
	})
	t.add("Query", "rateLimit", func(rq *request, _ any, _ map[string]any) (any, error) {
		return &rq.rate, nil
	})

	rate := func(f func(r *rateSnapshot) any) resolverFunc {
		return func(_ *request, obj any, _ map[string]any) (any, error) { return f(obj.(*rateSnapshot)), nil }
	}
	t.add("RateLimit", "cost", rate(func(r *rateSnapshot) any { return r.cost }))
	t.add("RateLimit", "limit", rate(func(r *rateSnapshot) any { return r.limit }))
	t.add("RateLimit", "nodeCount", rate(func(r *rateSnapshot) any { return r.nodeCount }))
	t.add("RateLimit", "remaining", rate(func(r *rateSnapshot) any { return r.remaining }))
	t.add("RateLimit", "resetAt", rate(func(r *rateSnapshot) any { return r.resetAt }))
	t.add("RateLimit", "used", rate(func(r *rateSnapshot) any { return r.used }))

	repo := func(f func(rq *request, r *repoState, args map[string]any) (any, error)) resolverFunc {
		return func(rq *request, obj any, args map[string]any) (any, error) { return f(rq, obj.(*repoState), args) }
	}
	t.add("Repository", "id", repo(func(_ *request, r *repoState, _ map[string]any) (any, error) {
		return nodeID("R", strings.ToLower(r.nameWithOwner())), nil
	}))
	t.add("Repository", "name", repo(func(_ *request, r *repoState, _ map[string]any) (any, error) { return r.name, nil }))
	t.add("Repository", "nameWithOwner", repo(func(_ *request, r *repoState, _ map[string]any) (any, error) { return r.nameWithOwner(), nil }))
	t.add("Repository", "url", repo(func(_ *request, r *repoState, _ map[string]any) (any, error) { return r.url(), nil }))
	t.add("Repository", "owner", repo(func(rq *request, r *repoState, _ map[string]any) (any, error) {
		return ownerVal{login: r.owner, org: rq.s.orgs[strings.ToLower(r.owner)]}, nil
	}))
	t.add("Repository", "pullRequest", repo(func(_ *request, r *repoState, args map[string]any) (any, error) {
		n, _ := intArg(args, "number")
		pr := r.prs[n]
		if pr == nil {
			return nil, &fieldError{Type: "NOT_FOUND", Message: fmt.Sprintf("Could not resolve to a PullRequest with the number of %d.", n)}
		}
		return &prVal{r: r, pr: pr}, nil
	}))

	for _, typ := range []string{"User", "Organization"} {
		prefix := map[string]string{"User": "U", "Organization": "O"}[typ]
		t.add(typ, "id", func(_ *request, obj any, _ map[string]any) (any, error) { return nodeID(prefix, loginOf(obj)), nil })
		t.add(typ, "login", func(_ *request, obj any, _ map[string]any) (any, error) { return loginOf(obj), nil })
		t.add(typ, "url", func(_ *request, obj any, _ map[string]any) (any, error) {
			return "https://github.com/" + loginOf(obj), nil
		})
	}
	t.add("Bot", "id", func(_ *request, obj any, _ map[string]any) (any, error) { return nodeID("BOT", loginOf(obj)), nil })
	t.add("Bot", "login", func(_ *request, obj any, _ map[string]any) (any, error) { return loginOf(obj), nil })
	t.add("Bot", "url", func(_ *request, obj any, _ map[string]any) (any, error) {
		return "https://github.com/apps/" + loginOf(obj), nil
	})

	pull := func(f func(pv *prVal, args map[string]any) (any, error)) resolverFunc {
		return func(_ *request, obj any, args map[string]any) (any, error) { return f(obj.(*prVal), args) }
	}
	t.add("PullRequest", "id", pull(func(pv *prVal, _ map[string]any) (any, error) {
		return nodeID("PR", fmt.Sprintf("%s#%d", strings.ToLower(pv.r.nameWithOwner()), pv.pr.Number)), nil
	}))
	t.add("PullRequest", "number", pull(func(pv *prVal, _ map[string]any) (any, error) { return pv.pr.Number, nil }))
	t.add("PullRequest", "title", pull(func(pv *prVal, _ map[string]any) (any, error) { return pv.pr.Title, nil }))
	t.add("PullRequest", "body", pull(func(pv *prVal, _ map[string]any) (any, error) { return pv.pr.Body, nil }))
	t.add("PullRequest", "url", pull(func(pv *prVal, _ map[string]any) (any, error) { return pv.pr.URL, nil }))
	t.add("PullRequest", "headRefName", pull(func(pv *prVal, _ map[string]any) (any, error) { return pv.pr.HeadRefName, nil }))
	t.add("PullRequest", "baseRefName", pull(func(pv *prVal, _ map[string]any) (any, error) { return pv.pr.BaseRefName, nil }))
	t.add("PullRequest", "state", pull(func(pv *prVal, _ map[string]any) (any, error) { return pv.pr.State, nil }))
	t.add("PullRequest", "isDraft", pull(func(pv *prVal, _ map[string]any) (any, error) { return pv.pr.IsDraft, nil }))
	t.add("PullRequest", "merged", pull(func(pv *prVal, _ map[string]any) (any, error) { return pv.pr.State == "MERGED", nil }))
	t.add("PullRequest", "createdAt", pull(func(pv *prVal, _ map[string]any) (any, error) { return pv.pr.CreatedAt, nil }))
	t.add("PullRequest", "mergedAt", pull(func(pv *prVal, _ map[string]any) (any, error) {
		if pv.pr.MergedAt == nil {
			return nil, nil
		}
		return *pv.pr.MergedAt, nil
	}))
	t.add("PullRequest", "author", pull(func(pv *prVal, _ map[string]any) (any, error) {
		login := pv.pr.Author
		if login == "" {
			return nil, nil
		}
		if bot, ok := strings.CutSuffix(login, "[bot]"); ok {
			return actorVal{login: bot, bot: true}, nil
		}
		return actorVal{login: login}, nil
	}))
	t.add("PullRequest", "mergeCommit", pull(func(pv *prVal, _ map[string]any) (any, error) {
		if pv.pr.MergeCommitOID == "" {
			return nil, nil
		}
		var at time.Time
		if pv.pr.MergedAt != nil {
			at = *pv.pr.MergedAt
		}
		return &commitVal{r: pv.r, pr: pv.pr, index: -1, merge: true, c: Commit{
			OID:           pv.pr.MergeCommitOID,
			Message:       fmt.Sprintf("Merge pull request #%d from %s/%s\n\n%s", pv.pr.Number, pv.r.owner, pv.pr.HeadRefName, pv.pr.Title),
			ParentCount:   2,
			CommittedDate: at,
		}}, nil
	}))
	t.add("PullRequest", "commits", pull(func(pv *prVal, args map[string]any) (any, error) {
		p, err := paginate(len(pv.pr.Commits), args)
		if err != nil {
			return nil, err
		}
		return &prCommitConn{pv: pv, page: p}, nil
	}))

	t.add("PullRequestCommitConnection", "totalCount", func(_ *request, obj any, _ map[string]any) (any, error) {
		return obj.(*prCommitConn).total, nil
	})
	t.add("PullRequestCommitConnection", "pageInfo", func(_ *request, obj any, _ map[string]any) (any, error) {
		return obj.(*prCommitConn).page, nil
	})
	t.add("PullRequestCommitConnection", "nodes", func(_ *request, obj any, _ map[string]any) (any, error) {
		c := obj.(*prCommitConn)
		out := make([]any, 0, c.end-c.start)
		for i := c.start; i < c.end; i++ {
			out = append(out, &prCommitVal{pv: c.pv, i: i})
		}
		return out, nil
	})
	t.add("PullRequestCommitConnection", "edges", func(_ *request, obj any, _ map[string]any) (any, error) {
		c := obj.(*prCommitConn)
		out := make([]any, 0, c.end-c.start)
		for i := c.start; i < c.end; i++ {
			out = append(out, &prCommitVal{pv: c.pv, i: i})
		}
		return out, nil
	})
	t.add("PullRequestCommitEdge", "cursor", func(_ *request, obj any, _ map[string]any) (any, error) {
		return encodeCursor(obj.(*prCommitVal).i), nil
	})
	t.add("PullRequestCommitEdge", "node", func(_ *request, obj any, _ map[string]any) (any, error) {
		return obj, nil
	})

	prc := func(f func(pc *prCommitVal) any) resolverFunc {
		return func(_ *request, obj any, _ map[string]any) (any, error) { return f(obj.(*prCommitVal)), nil }
	}
	t.add("PullRequestCommit", "id", prc(func(pc *prCommitVal) any {
		return nodeID("PURC", fmt.Sprintf("%s#%d@%s", strings.ToLower(pc.pv.r.nameWithOwner()), pc.pv.pr.Number, pc.pv.pr.Commits[pc.i].OID))
	}))
	t.add("PullRequestCommit", "url", prc(func(pc *prCommitVal) any {
		return fmt.Sprintf("%s/commits/%s", pc.pv.pr.URL, pc.pv.pr.Commits[pc.i].OID)
	}))
	t.add("PullRequestCommit", "commit", prc(func(pc *prCommitVal) any {
		return &commitVal{r: pc.pv.r, pr: pc.pv.pr, index: pc.i, c: pc.pv.pr.Commits[pc.i]}
	}))

	commit := func(f func(cv *commitVal) any) resolverFunc {
		return func(_ *request, obj any, _ map[string]any) (any, error) { return f(obj.(*commitVal)), nil }
	}
	t.add("Commit", "id", commit(func(cv *commitVal) any {
		return nodeID("C", strings.ToLower(cv.r.nameWithOwner())+"@"+cv.c.OID)
	}))
	t.add("Commit", "oid", commit(func(cv *commitVal) any { return cv.c.OID }))
	t.add("Commit", "message", commit(func(cv *commitVal) any { return cv.c.Message }))
	t.add("Commit", "messageHeadline", commit(func(cv *commitVal) any { h, _ := splitMessage(cv.c.Message); return h }))
	t.add("Commit", "messageBody", commit(func(cv *commitVal) any { _, b := splitMessage(cv.c.Message); return b }))
	t.add("Commit", "committedDate", commit(func(cv *commitVal) any { return cv.c.CommittedDate }))
	t.add("Commit", "url", commit(func(cv *commitVal) any { return cv.r.url() + "/commit/" + cv.c.OID }))
	t.add("Commit", "parents", func(_ *request, obj any, args map[string]any) (any, error) {
		parents := parentsOf(obj.(*commitVal))
		p, err := paginate(len(parents), args)
		if err != nil {
			return nil, err
		}
		return &commitConn{items: parents, page: p}, nil
	})

	t.add("CommitConnection", "totalCount", func(_ *request, obj any, _ map[string]any) (any, error) {
		return obj.(*commitConn).total, nil
	})
	t.add("CommitConnection", "pageInfo", func(_ *request, obj any, _ map[string]any) (any, error) {
		return obj.(*commitConn).page, nil
	})
	t.add("CommitConnection", "nodes", func(_ *request, obj any, _ map[string]any) (any, error) {
		c := obj.(*commitConn)
		out := make([]any, 0, c.end-c.start)
		for _, cv := range c.items[c.start:c.end] {
			out = append(out, cv)
		}
		return out, nil
	})

	info := func(f func(p page) any) resolverFunc {
		return func(_ *request, obj any, _ map[string]any) (any, error) { return f(obj.(page)), nil }
	}
	t.add("PageInfo", "hasNextPage", info(func(p page) any { return p.end < p.total }))
	t.add("PageInfo", "hasPreviousPage", info(func(p page) any { return p.start > 0 }))
	t.add("PageInfo", "startCursor", info(func(p page) any {
		if p.end <= p.start {
			return nil
		}
		return encodeCursor(p.start)
	}))
	t.add("PageInfo", "endCursor", info(func(p page) any {
		if p.end <= p.start {
			return nil
		}
		return encodeCursor(p.end - 1)
	}))

	addDeploymentResolvers(t)
	addIntrospection(t)
	return t
}

func loginOf(obj any) string {
	switch v := obj.(type) {
	case ownerVal:
		return v.login
	case actorVal:
		return v.login
	}
	return ""
}

// splitMessage splits a commit message into GitHub's headline (the first
// line) and body (the rest, trimmed).
func splitMessage(msg string) (headline, body string) {
	headline, body, _ = strings.Cut(msg, "\n")
	return strings.TrimRight(headline, "\r"), strings.TrimSpace(body)
}

// parentsOf lists a commit's parents. A commit in the repository's graph
// (AddCommit) has the parents it was added with. Otherwise, inside a pull
// request the first parent of each commit is the one before it; parents
// outside the pull request (its base, a merged-in branch) get stable
// invented OIDs.
func parentsOf(cv *commitVal) []*commitVal {
	if gc := cv.r.commits[cv.c.OID]; gc != nil {
		out := make([]*commitVal, 0, len(gc.parents))
		for _, p := range gc.parents {
			out = append(out, graphCommitVal(cv.r, cv.r.commits[p]))
		}
		return out
	}
	outside := func(k int) *commitVal {
		return &commitVal{r: cv.r, index: -1, c: Commit{
			OID:           fakeOID(cv.c.OID + "^" + strconv.Itoa(k)),
			ParentCount:   1,
			CommittedDate: cv.c.CommittedDate,
		}}
	}
	if cv.merge {
		second := outside(2)
		if n := len(cv.pr.Commits); n > 0 {
			second = &commitVal{r: cv.r, pr: cv.pr, index: n - 1, c: cv.pr.Commits[n-1]}
		}
		return []*commitVal{outside(1), second}
	}
	n := max(cv.c.ParentCount, 1)
	out := make([]*commitVal, 0, n)
	for k := 1; k <= n; k++ {
		if k == 1 && cv.pr != nil && cv.index > 0 {
			out = append(out, &commitVal{r: cv.r, pr: cv.pr, index: cv.index - 1, c: cv.pr.Commits[cv.index-1]})
			continue
		}
		out = append(out, outside(k))
	}
	return out
}

const cursorPrefix = "cursor:v2:"

// encodeCursor is the opaque cursor of the item at index i.
func encodeCursor(i int) string {
	return base64.StdEncoding.EncodeToString([]byte(cursorPrefix + strconv.Itoa(i)))
}

func decodeCursor(c string) (int, error) {
	bad := &fieldError{Type: "INVALID_CURSOR_ARGUMENTS", Message: fmt.Sprintf("`%s` does not appear to be a valid cursor.", c)}
	raw, err := base64.StdEncoding.DecodeString(c)
	if err != nil {
		return 0, bad
	}
	num, ok := strings.CutPrefix(string(raw), cursorPrefix)
	if !ok {
		return 0, bad
	}
	i, err := strconv.Atoi(num)
	if err != nil || i < 0 {
		return 0, bad
	}
	return i, nil
}

// paginate applies Relay's after/before/first/last to a list of total
// items. The analysis pass has already checked first and last.
func paginate(total int, args map[string]any) (page, error) {
	start, end := 0, total
	if c, ok := stringArg(args, "after"); ok {
		i, err := decodeCursor(c)
		if err != nil {
			return page{}, err
		}
		start = min(i+1, total)
	}
	if c, ok := stringArg(args, "before"); ok {
		i, err := decodeCursor(c)
		if err != nil {
			return page{}, err
		}
		end = min(i, end)
	}
	end = max(end, start)
	if n, ok := intArg(args, "first"); ok && end-start > n {
		end = start + max(n, 0)
	}
	if n, ok := intArg(args, "last"); ok && end-start > n {
		start = end - max(n, 0)
	}
	return page{start: start, end: end, total: total}, nil
}
