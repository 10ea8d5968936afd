package githubsim

// The commit graph and deployments: the state API that tests fill, and the
// GraphQL resolvers of Repository.deployments.
//
// What the simulator holds to and where each rule comes from:
//
//   - Deployment and DeploymentStatus carry the fields, types and
//     nullability of GitHub's schema (github/schema.graphql; checked by
//     TestSDLIsASubsetOfGitHubsSchema), DeploymentStatusState's eight
//     states among them, and Repository.deployments takes the schema's
//     arguments with its default order, oldest first
//     ({field: CREATED_AT, direction: ASC}).
//   - first and last are checked, and the query's cost and node count
//     charged, as for every connection (analyze.go; GitHub's "Rate limits
//     and query limits for the GraphQL API").
//   - Reading deployments needs the token's deployments permission;
//     without it GitHub answers FORBIDDEN, "Resource not accessible by
//     integration" (the answer GitHub gives a GITHUB_TOKEN whose workflow
//     does not grant deployments: read).
//   - A deployment is of a commit the repository has, and a status is
//     never dated before its deployment or the status before it.
//
// Two choices GitHub does not document, made here: environments: [] lists
// every environment, as null does; and a deployment's statuses are listed
// newest first, as REST's list of deployment statuses is. Clients should
// not depend on either.

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// firstDeploymentID is the first deployment id handed out: large, as
// GitHub's are, yet within GraphQL's 32-bit Int (Deployment.databaseId).
const firstDeploymentID = 1_500_000_001

// Deployment is a deployment as AddDeployment takes it.
type Deployment struct {
	// Environment is where it deploys to; empty means "production", as
	// GitHub's create-deployment endpoint defaults it.
	Environment string
	// Commit is the SHA deployed: a commit added with AddCommit.
	Commit string
	// CreatedAt is when it was created; zero means the server's clock.
	CreatedAt time.Time
}

// DeploymentStatus is one status of a deployment, as AddDeploymentStatus
// takes it.
type DeploymentStatus struct {
	// State is a DeploymentStatusState, in any case: ERROR, FAILURE,
	// INACTIVE, IN_PROGRESS, PENDING, QUEUED, SUCCESS or WAITING.
	State string
	// CreatedAt is when it was set; zero means the server's clock.
	CreatedAt time.Time
	// EnvironmentURL, LogURL and Description are optional, as on GitHub;
	// empty ones are served as null.
	EnvironmentURL, LogURL, Description string
}

// deploymentStates are GitHub's DeploymentStatusState values.
var deploymentStates = []string{"ERROR", "FAILURE", "INACTIVE", "IN_PROGRESS", "PENDING", "QUEUED", "SUCCESS", "WAITING"}

// gitCommit is one commit of a repository's graph.
type gitCommit struct {
	sha     string
	parents []string
	seq     int // Server.commitSeq when added: parents have smaller ones
	date    time.Time
	message string
}

// deploymentState is one stored deployment; statuses are oldest first.
type deploymentState struct {
	id          int
	environment string
	commit      string
	createdAt   time.Time
	statuses    []DeploymentStatus
}

var shaRE = regexp.MustCompile(`^[0-9a-f]{40}$`)

// AddCommit adds the commit sha, with the given parents, to owner/name's
// commit graph (creating the repository when needed). SHAs are 40 hex
// digits, matched in any case. Parents must have been added first, as a
// commit can only be made on top of existing ones, so the graph has no
// cycles; a commit without parents is a root. Adding a commit again with
// the same parents does nothing. Its date is the server's clock and its
// message "Commit <first 7 digits>". It panics on a malformed SHA, an unknown
// parent, or a commit added again with other parents.
func (s *Server) AddCommit(owner, name, sha string, parents ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repoLocked(owner, name)
	sha = mustSHA("AddCommit", sha)
	ps := make([]string, len(parents))
	for i, p := range parents {
		ps[i] = mustSHA("AddCommit", p)
		if r.commits[ps[i]] == nil {
			panic(fmt.Sprintf("githubsim: AddCommit %s: parent %s is not in %s/%s; add it first", sha, ps[i], owner, name))
		}
	}
	if have := r.commits[sha]; have != nil {
		if !slices.Equal(have.parents, ps) {
			panic(fmt.Sprintf("githubsim: AddCommit %s: already added with parents %v, not %v", sha, have.parents, ps))
		}
		return
	}
	s.commitSeq++
	r.commits[sha] = &gitCommit{sha: sha, parents: ps, seq: s.commitSeq, date: s.clock(), message: "Commit " + sha[:7]}
}

func mustSHA(op, sha string) string {
	low := strings.ToLower(sha)
	if !shaRE.MatchString(low) {
		panic(fmt.Sprintf("githubsim: %s: %q is not a 40-hex-digit commit SHA", op, sha))
	}
	return low
}

// AddDeployment records a deployment of d.Commit to d.Environment in
// owner/name and returns its id (databaseId). It panics when the commit is
// not in the repository's graph (AddCommit).
func (s *Server) AddDeployment(owner, name string, d Deployment) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repoLocked(owner, name)
	sha := mustSHA("AddDeployment", d.Commit)
	if r.commits[sha] == nil {
		panic(fmt.Sprintf("githubsim: AddDeployment: commit %s is not in %s/%s; add it with AddCommit", sha, owner, name))
	}
	if d.Environment == "" {
		d.Environment = "production"
	}
	at := d.CreatedAt.UTC().Truncate(time.Second)
	if d.CreatedAt.IsZero() {
		at = s.clock()
	}
	s.deploymentSeq++
	r.deployments = append(r.deployments, &deploymentState{id: s.deploymentSeq, environment: d.Environment, commit: sha, createdAt: at})
	return s.deploymentSeq
}

// AddDeploymentStatus adds a status to deployment id of owner/name; the
// status added last is the deployment's latestStatus. It panics on an
// unknown deployment or state, or a status dated before the deployment or
// before its previous status.
func (s *Server) AddDeploymentStatus(owner, name string, id int, st DeploymentStatus) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.deploymentLocked(owner, name, id)
	if d == nil {
		panic(fmt.Sprintf("githubsim: AddDeploymentStatus: no deployment %d in %s/%s", id, owner, name))
	}
	st.State = strings.ToUpper(st.State)
	if !slices.Contains(deploymentStates, st.State) {
		panic(fmt.Sprintf("githubsim: AddDeploymentStatus: state %q is not one of %v", st.State, deploymentStates))
	}
	if st.CreatedAt.IsZero() {
		st.CreatedAt = s.clock()
	}
	st.CreatedAt = st.CreatedAt.UTC().Truncate(time.Second)
	prev := d.createdAt
	if n := len(d.statuses); n > 0 {
		prev = d.statuses[n-1].CreatedAt
	}
	if st.CreatedAt.Before(prev) {
		panic(fmt.Sprintf("githubsim: AddDeploymentStatus: deployment %d: status at %s is before %s", id, st.CreatedAt.Format(time.RFC3339), prev.Format(time.RFC3339)))
	}
	d.statuses = append(d.statuses, st)
}

func (s *Server) deploymentLocked(owner, name string, id int) *deploymentState {
	r := s.repos[strings.ToLower(owner+"/"+name)]
	if r == nil {
		return nil
	}
	for _, d := range r.deployments {
		if d.id == id {
			return d
		}
	}
	return nil
}

func clonePermissions(p map[string]string) map[string]string {
	if p == nil {
		return nil
	}
	out := make(map[string]string, len(p))
	for k, v := range p {
		out[strings.ToLower(k)] = strings.ToLower(v)
	}
	return out
}

// Values the deployment resolvers hand each other.
type (
	deploymentVal struct {
		r *repoState
		d *deploymentState
	}
	deploymentConn struct {
		items []deploymentVal
		page
	}
	deploymentEdge struct {
		deploymentVal
		i int
	}
	statusVal struct {
		dv deploymentVal
		i  int // index in dv.d.statuses
	}
	statusConn struct {
		items []statusVal
		page
	}
)

// listDeployments is Repository.deployments: the repository's deployments
// to the given environments, ordered and paginated.
func listDeployments(rq *request, r *repoState, args map[string]any) (any, error) {
	if !rq.who.can("deployments") {
		ext := &omap{}
		ext.set("saml_failure", false)
		return nil, &fieldError{Type: "FORBIDDEN", Message: rq.who.notAccessible(), Extensions: ext}
	}
	envs := map[string]bool{}
	switch v := args["environments"].(type) {
	case string: // GraphQL coerces a single value to a list of one.
		envs[v] = true
	case []any:
		for _, e := range v {
			if s, ok := e.(string); ok {
				envs[s] = true
			}
		}
	}
	var items []deploymentVal
	for _, d := range r.deployments {
		if len(envs) == 0 || envs[d.environment] {
			items = append(items, deploymentVal{r: r, d: d})
		}
	}
	slices.SortStableFunc(items, func(a, b deploymentVal) int {
		if c := a.d.createdAt.Compare(b.d.createdAt); c != 0 {
			return c
		}
		return a.d.id - b.d.id
	})
	if order, _ := args["orderBy"].(map[string]any); order["direction"] == "DESC" {
		slices.Reverse(items)
	}
	p, err := paginate(len(items), args)
	if err != nil {
		return nil, err
	}
	return &deploymentConn{items: items, page: p}, nil
}

// addDeploymentResolvers adds the resolvers of the deployment types.
func addDeploymentResolvers(t resolverTable) {
	t.add("Repository", "deployments", func(rq *request, obj any, args map[string]any) (any, error) {
		return listDeployments(rq, obj.(*repoState), args)
	})

	conn := func(f func(c *deploymentConn) any) resolverFunc {
		return func(_ *request, obj any, _ map[string]any) (any, error) { return f(obj.(*deploymentConn)), nil }
	}
	t.add("DeploymentConnection", "totalCount", conn(func(c *deploymentConn) any { return c.total }))
	t.add("DeploymentConnection", "pageInfo", conn(func(c *deploymentConn) any { return c.page }))
	t.add("DeploymentConnection", "nodes", conn(func(c *deploymentConn) any {
		out := []any{}
		for _, dv := range c.items[c.start:c.end] {
			out = append(out, dv)
		}
		return out
	}))
	t.add("DeploymentConnection", "edges", conn(func(c *deploymentConn) any {
		out := []any{}
		for i := c.start; i < c.end; i++ {
			out = append(out, deploymentEdge{deploymentVal: c.items[i], i: i})
		}
		return out
	}))
	t.add("DeploymentEdge", "cursor", func(_ *request, obj any, _ map[string]any) (any, error) {
		return encodeCursor(obj.(deploymentEdge).i), nil
	})
	t.add("DeploymentEdge", "node", func(_ *request, obj any, _ map[string]any) (any, error) {
		return obj.(deploymentEdge).deploymentVal, nil
	})

	addDeploymentFields(t)
	addStatusResolvers(t)
}

// addDeploymentFields adds the resolvers of Deployment's fields.
func addDeploymentFields(t resolverTable) {
	dep := func(f func(dv deploymentVal) any) resolverFunc {
		return func(_ *request, obj any, _ map[string]any) (any, error) { return f(obj.(deploymentVal)), nil }
	}
	t.add("Deployment", "id", dep(func(dv deploymentVal) any { return nodeID("DE", strconv.Itoa(dv.d.id)) }))
	t.add("Deployment", "databaseId", dep(func(dv deploymentVal) any { return dv.d.id }))
	t.add("Deployment", "createdAt", dep(func(dv deploymentVal) any { return dv.d.createdAt }))
	t.add("Deployment", "environment", dep(func(dv deploymentVal) any { return dv.d.environment }))
	t.add("Deployment", "commitOid", dep(func(dv deploymentVal) any { return dv.d.commit }))
	t.add("Deployment", "commit", dep(func(dv deploymentVal) any { return graphCommitVal(dv.r, dv.r.commits[dv.d.commit]) }))
	t.add("Deployment", "latestStatus", dep(func(dv deploymentVal) any {
		if len(dv.d.statuses) == 0 {
			return nil
		}
		return statusVal{dv: dv, i: len(dv.d.statuses) - 1}
	}))
	t.add("Deployment", "statuses", func(_ *request, obj any, args map[string]any) (any, error) {
		dv := obj.(deploymentVal)
		var items []statusVal
		for i := len(dv.d.statuses) - 1; i >= 0; i-- { // newest first
			items = append(items, statusVal{dv: dv, i: i})
		}
		p, err := paginate(len(items), args)
		if err != nil {
			return nil, err
		}
		return &statusConn{items: items, page: p}, nil
	})
}

// addStatusResolvers adds the resolvers of DeploymentStatus and its
// connection.
func addStatusResolvers(t resolverTable) {
	t.add("DeploymentStatusConnection", "totalCount", func(_ *request, obj any, _ map[string]any) (any, error) {
		return obj.(*statusConn).total, nil
	})
	t.add("DeploymentStatusConnection", "pageInfo", func(_ *request, obj any, _ map[string]any) (any, error) {
		return obj.(*statusConn).page, nil
	})
	t.add("DeploymentStatusConnection", "nodes", func(_ *request, obj any, _ map[string]any) (any, error) {
		c := obj.(*statusConn)
		out := []any{}
		for _, sv := range c.items[c.start:c.end] {
			out = append(out, sv)
		}
		return out, nil
	})

	status := func(f func(st DeploymentStatus, sv statusVal) any) resolverFunc {
		return func(_ *request, obj any, _ map[string]any) (any, error) {
			sv := obj.(statusVal)
			return f(sv.dv.d.statuses[sv.i], sv), nil
		}
	}
	orNull := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	t.add("DeploymentStatus", "id", status(func(_ DeploymentStatus, sv statusVal) any {
		return nodeID("DES", fmt.Sprintf("%d/%d", sv.dv.d.id, sv.i))
	}))
	t.add("DeploymentStatus", "state", status(func(st DeploymentStatus, _ statusVal) any { return st.State }))
	t.add("DeploymentStatus", "createdAt", status(func(st DeploymentStatus, _ statusVal) any { return st.CreatedAt }))
	t.add("DeploymentStatus", "description", status(func(st DeploymentStatus, _ statusVal) any { return orNull(st.Description) }))
	t.add("DeploymentStatus", "environmentUrl", status(func(st DeploymentStatus, _ statusVal) any { return orNull(st.EnvironmentURL) }))
	t.add("DeploymentStatus", "logUrl", status(func(st DeploymentStatus, _ statusVal) any { return orNull(st.LogURL) }))
}

// graphCommitVal is the GraphQL Commit of a commit in r's graph.
func graphCommitVal(r *repoState, gc *gitCommit) *commitVal {
	if gc == nil {
		return nil
	}
	return &commitVal{r: r, index: -1, c: Commit{OID: gc.sha, Message: gc.message, ParentCount: len(gc.parents), CommittedDate: gc.date}}
}

// ancestors is sha and every commit reachable from it through parents.
func (r *repoState) ancestors(sha string) map[string]bool {
	seen := map[string]bool{sha: true}
	stack := []string{sha}
	for len(stack) > 0 {
		c := r.commits[stack[len(stack)-1]]
		stack = stack[:len(stack)-1]
		for _, p := range c.parents {
			if !seen[p] {
				seen[p] = true
				stack = append(stack, p)
			}
		}
	}
	return seen
}
