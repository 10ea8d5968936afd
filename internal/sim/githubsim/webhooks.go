package githubsim

// The webhooks GitHub sends a GitHub App, built from the simulator's state:
// the bodies here, their delivery in deliveries.go.
//
// What the simulator holds to, and where each rule comes from:
//
//   - Every payload validates against octokit's schema of its event and
//     action (TestWebhookPayloadsAreGitHubs), and has the shape of GitHub's
//     own example payloads (github/events in the contracts).
//   - Every event about a repository is sent to an installation that
//     reaches the repository, and carries installation {id, node_id};
//     GitHub sends an installation nothing about repositories it does not
//     reach.
//   - An installation event's created_at and updated_at are Unix times,
//     not the date-time strings of REST (GitHub's examples).
//   - The ping of an App's hook has no url, ping_url, repository or
//     sender: an App's hook belongs to no repository (captured pings,
//     octokit/webhooks#3 and octokit/webhooks.net#89; the schema requires
//     url and ping_url, see contract's webhook errata).
//   - A pull request event's action agrees with the pull request's state,
//     as on GitHub: closed for a closed or merged one (merged says which),
//     ready_for_review for one that is no longer a draft, and so on.
//   - mergeable is null and mergeable_state "unknown": GitHub computes
//     them after it sends the event, and says so ("The value of the
//     mergeable attribute can be true, false, or null").
//
// Choices made where the simulator has no state for a field: additions,
// deletions and changed_files are 0; the base sha is the parent of the
// pull request's first commit when the repository's graph has it, else a
// stable made-up SHA; author_association is OWNER for the repository's
// owner, MEMBER or COLLABORATOR for another author of a branch of the
// repository (an organization's or a user's), NONE for a fork's author;
// a deployment's ref is its commit SHA and its task "deploy".

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// webhookAPI is the API base of the URLs in webhook payloads: github.com's,
// as the bot that reads them would see it.
const webhookAPI = "https://api.github.com"

// Hook is an App's webhook, as its ping describes it.
type Hook struct {
	// ID is the hook's id (X-GitHub-Hook-ID).
	ID int64
	// URL is where GitHub delivers the app's events.
	URL string
	// CreatedAt is when the hook was made; zero means the server's clock.
	CreatedAt time.Time
}

// PingWebhook is the body of the ping GitHub sends an App's hook when the
// App is registered, listing the App's events.
func (s *Server) PingWebhook(hook Hook) ([]byte, error) {
	if s.app == nil {
		return nil, errors.New("githubsim: ping: the server has no App (Options.App)")
	}
	if hook.URL == "" {
		return nil, errors.New("githubsim: ping: the hook has no URL")
	}
	at := s.clock()
	if !hook.CreatedAt.IsZero() {
		at = hook.CreatedAt.UTC().Truncate(time.Second)
	}
	config := &omap{}
	config.set("content_type", "json")
	config.set("insecure_ssl", "0")
	config.set("url", hook.URL)
	h := &omap{}
	h.set("type", "App")
	h.set("id", hook.ID)
	h.set("name", "web")
	h.set("active", true)
	h.set("events", stringsJSON(s.app.events))
	h.set("config", config)
	h.set("updated_at", at.Format(time.RFC3339))
	h.set("created_at", at.Format(time.RFC3339))
	h.set("app_id", s.app.id)
	h.set("deliveries_url", webhookAPI+"/app/hook/deliveries")
	o := &omap{}
	o.set("zen", zen[uint64(hook.ID)%uint64(len(zen))])
	o.set("hook_id", hook.ID)
	o.set("hook", h)
	return marshal(o)
}

// zen are GitHub's zen sayings, as GET /zen answers them.
var zen = []string{
	"Design for failure.", "Favor focus over features.", "Half measures are as bad as nothing at all.",
	"Keep it logically awesome.", "Speak like a human.", "Anything added dilutes everything else.",
	"Approachable is better than simple.", "Avoid administrative distraction.",
}

// InstallationWebhook is the body of the installation event with action
// created: the App was installed, by sender (empty means the account it
// was installed on), with the repositories it reaches.
func (s *Server) InstallationWebhook(installation int64, sender string) ([]byte, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.app == nil {
		return nil, errors.New("githubsim: installation: the server has no App (Options.App)")
	}
	in, ok := s.app.insts[installation]
	if !ok {
		return nil, fmt.Errorf("githubsim: installation: the App has no installation %d", installation)
	}
	if sender == "" {
		sender = in.Account
	}
	repos := []any{}
	for _, r := range s.installationReposLocked(in) {
		o := &omap{}
		o.set("id", repoID(r))
		o.set("node_id", repoNodeID(r))
		o.set("name", r.name)
		o.set("full_name", r.nameWithOwner())
		o.set("private", false)
		repos = append(repos, o)
	}
	o := &omap{}
	o.set("action", "created")
	o.set("installation", s.installationObjectLocked(webhookAPI, installation, s.clock().Unix()))
	o.set("repositories", repos)
	o.set("sender", s.userLocked(sender))
	return marshal(o)
}

// installationReposLocked are the repositories in selects, by name: the
// ones it lists (whether added to the server or not), or all of its
// account's on the server. s.mu is held.
func (s *Server) installationReposLocked(in Installation) []*repoState {
	var out []*repoState
	if in.Repositories != nil {
		for _, name := range in.Repositories {
			if r := s.repos[strings.ToLower(in.Account+"/"+name)]; r != nil {
				out = append(out, r)
			} else {
				out = append(out, &repoState{owner: in.Account, name: name})
			}
		}
	} else {
		for _, r := range s.repos {
			if strings.EqualFold(r.owner, in.Account) {
				out = append(out, r)
			}
		}
	}
	slices.SortFunc(out, func(a, b *repoState) int {
		return strings.Compare(strings.ToLower(a.nameWithOwner()), strings.ToLower(b.nameWithOwner()))
	})
	return out
}

// PullRequestEvent is one pull_request event to build.
type PullRequestEvent struct {
	// Action is opened, edited, synchronize, closed, reopened,
	// ready_for_review or converted_to_draft; it must agree with the
	// stored pull request (closed for a CLOSED or MERGED one, the others
	// for an OPEN one, ready_for_review for one that is not a draft,
	// converted_to_draft for one that is).
	Action string
	// Installation is the App's installation the event is sent to; it
	// must reach the repository.
	Installation int64
	// Sender is who acted; empty means the pull request's author. The
	// sender of closed for a MERGED pull request is its merged_by.
	Sender string
	// Before is the head SHA before a synchronize; empty means the
	// parent commit of the head, which needs two commits.
	Before string
	// Changes are an edited event's previous values, by field: "title",
	// "body" or both. GitHub sends edited only when one of them changed.
	Changes map[string]string
}

// PullRequestWebhook is the body of the pull_request event with action
// for pull request number of owner/repo, sent to installation by the pull
// request's author. Edited needs the previous values: use
// PullRequestEventWebhook.
func (s *Server) PullRequestWebhook(owner, repo string, number int, action string, installation int64) ([]byte, error) {
	return s.PullRequestEventWebhook(owner, repo, number, PullRequestEvent{Action: action, Installation: installation})
}

// PullRequestEventWebhook is the body of the pull_request event ev for
// pull request number of owner/repo, as GitHub sends it to an App.
func (s *Server) PullRequestEventWebhook(owner, repo string, number int, ev PullRequestEvent) ([]byte, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	what := fmt.Sprintf("githubsim: pull_request %s of %s/%s#%d", ev.Action, owner, repo, number)
	r := s.repos[strings.ToLower(owner+"/"+repo)]
	if r == nil || r.prs[number] == nil {
		return nil, fmt.Errorf("%s: no such pull request", what)
	}
	pr := r.prs[number]
	inst, err := s.installationLiteLocked(ev.Installation, r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if msg := pullRequestActionRefusal(pr, ev); msg != "" {
		return nil, fmt.Errorf("%s: %s", what, msg)
	}
	if len(pr.Commits) == 0 {
		return nil, fmt.Errorf("%s: it has no commits; GitHub's have at least one", what)
	}
	if pr.HeadRefName == "" {
		return nil, fmt.Errorf("%s: it has no HeadRefName", what)
	}
	sender := ev.Sender
	if sender == "" {
		sender = authorLogin(pr)
	}

	o := &omap{}
	o.set("action", ev.Action)
	o.set("number", pr.Number)
	switch ev.Action {
	case "edited":
		changes := &omap{}
		for _, field := range []string{"title", "body"} {
			if from, ok := ev.Changes[field]; ok {
				c := &omap{}
				c.set("from", from)
				changes.set(field, c)
			}
		}
		o.set("changes", changes)
	case "synchronize":
		before := ev.Before
		if before == "" {
			before = pr.Commits[len(pr.Commits)-2].OID
		}
		o.set("before", before)
		o.set("after", pr.Commits[len(pr.Commits)-1].OID)
	}
	o.set("pull_request", s.pullRequestObjectLocked(r, pr, sender))
	o.set("repository", s.repositoryLocked(r, false))
	o.set("sender", s.userLocked(sender))
	o.set("installation", inst)
	return marshal(o)
}

// pullRequestActionRefusal says why GitHub would not send ev for pr, or
// "" when it would.
func pullRequestActionRefusal(pr *PullRequest, ev PullRequestEvent) string {
	open := pr.State == "OPEN"
	switch ev.Action {
	case "opened", "reopened":
		if !open {
			return "the pull request is " + pr.State + ", not OPEN"
		}
	case "synchronize":
		if !open {
			return "the pull request is " + pr.State + ", not OPEN"
		}
		if ev.Before == "" && len(pr.Commits) < 2 {
			return "Before is empty and the pull request has no commit before its head"
		}
	case "closed":
		if open {
			return "the pull request is OPEN; closed needs CLOSED or MERGED"
		}
	case "ready_for_review":
		if !open || pr.IsDraft {
			return fmt.Sprintf("needs an OPEN pull request that is not a draft (state %s, draft %t)", pr.State, pr.IsDraft)
		}
	case "converted_to_draft":
		if !open || !pr.IsDraft {
			return fmt.Sprintf("needs an OPEN draft (state %s, draft %t)", pr.State, pr.IsDraft)
		}
	case "edited":
		if len(ev.Changes) == 0 {
			return "Changes is empty: GitHub sends edited with the previous title or body"
		}
		for field := range ev.Changes {
			if field != "title" && field != "body" {
				return fmt.Sprintf("Changes has %q; want title or body", field)
			}
		}
	default:
		return "the action is not simulated"
	}
	return ""
}

// authorLogin is pr's author, or GitHub's "ghost" for a deleted account.
func authorLogin(pr *PullRequest) string {
	if pr.Author == "" {
		return "ghost"
	}
	return pr.Author
}

// pullRequestObjectLocked is the pull request object of the pull_request
// events; sender is who acted, the merged_by of a MERGED one. s.mu is held.
func (s *Server) pullRequestObjectLocked(r *repoState, pr *PullRequest, sender string) *omap {
	now := s.clock().Format(time.RFC3339)
	api := webhookAPI + "/repos/" + r.nameWithOwner()
	self := fmt.Sprintf("%s/pulls/%d", api, pr.Number)
	issue := fmt.Sprintf("%s/issues/%d", api, pr.Number)
	html := pr.URL
	head := pr.Commits[len(pr.Commits)-1].OID
	author := authorLogin(pr)

	state, closedAt, mergedAt, mergedBy := "open", any(nil), any(nil), any(nil)
	mergeSHA := any(nil)
	if pr.MergeCommitOID != "" {
		mergeSHA = pr.MergeCommitOID
	}
	switch pr.State {
	case "CLOSED":
		state, closedAt = "closed", now
	case "MERGED":
		at := now
		if pr.MergedAt != nil {
			at = pr.MergedAt.UTC().Format(time.RFC3339)
		}
		state, closedAt, mergedAt, mergedBy = "closed", at, at, s.userLocked(sender)
		if mergeSHA == nil {
			mergeSHA = fakeOID(fmt.Sprintf("merge:%s#%d", r.nameWithOwner(), pr.Number))
		}
	}

	o := &omap{}
	o.set("url", self)
	o.set("id", userID(fmt.Sprintf("pr:%s#%d", r.nameWithOwner(), pr.Number)))
	o.set("node_id", nodeID("PR", fmt.Sprintf("%s#%d", strings.ToLower(r.nameWithOwner()), pr.Number)))
	o.set("html_url", html)
	o.set("diff_url", html+".diff")
	o.set("patch_url", html+".patch")
	o.set("issue_url", issue)
	o.set("number", pr.Number)
	o.set("state", state)
	o.set("locked", false)
	o.set("title", pr.Title)
	o.set("user", s.userLocked(author))
	o.set("body", orNull(pr.Body))
	o.set("created_at", pr.CreatedAt.UTC().Format(time.RFC3339))
	o.set("updated_at", now)
	o.set("closed_at", closedAt)
	o.set("merged_at", mergedAt)
	o.set("merge_commit_sha", mergeSHA)
	o.set("assignee", nil)
	o.set("assignees", []any{})
	o.set("requested_reviewers", []any{})
	o.set("requested_teams", []any{})
	o.set("labels", []any{})
	o.set("milestone", nil)
	o.set("draft", pr.IsDraft)
	o.set("commits_url", self+"/commits")
	o.set("review_comments_url", self+"/comments")
	o.set("review_comment_url", api+"/pulls/comments{/number}")
	o.set("comments_url", issue+"/comments")
	o.set("statuses_url", api+"/statuses/"+head)
	headRepo := s.headRepoLocked(r, pr)
	o.set("head", s.prRefLocked(headRepo, headRepo != r, pr.HeadRefName, head))
	o.set("base", s.prRefLocked(r, false, baseRef(r, pr), s.baseSHA(r, pr)))
	links := &omap{}
	for _, l := range [][2]string{
		{"self", self}, {"html", html}, {"issue", issue}, {"comments", issue + "/comments"},
		{"review_comments", self + "/comments"}, {"review_comment", api + "/pulls/comments{/number}"},
		{"commits", self + "/commits"}, {"statuses", api + "/statuses/" + head},
	} {
		href := &omap{}
		href.set("href", l[1])
		links.set(l[0], href)
	}
	o.set("_links", links)
	o.set("author_association", s.authorAssociationLocked(r, pr, author))
	o.set("auto_merge", nil)
	o.set("active_lock_reason", nil)
	o.set("merged", pr.State == "MERGED")
	o.set("mergeable", nil)
	o.set("rebaseable", nil)
	o.set("mergeable_state", "unknown")
	o.set("merged_by", mergedBy)
	o.set("comments", len(r.comments[pr.Number]))
	o.set("review_comments", 0)
	o.set("maintainer_can_modify", false)
	o.set("commits", len(pr.Commits))
	o.set("additions", 0)
	o.set("deletions", 0)
	o.set("changed_files", 0)
	return o
}

// headRepoLocked is the repository pr's head branch is in: r, or the
// fork HeadRepo names (served as a fork whether or not it was added).
func (s *Server) headRepoLocked(r *repoState, pr *PullRequest) *repoState {
	if pr.HeadRepo == "" || strings.EqualFold(pr.HeadRepo, r.nameWithOwner()) {
		return r
	}
	if fork := s.repos[strings.ToLower(pr.HeadRepo)]; fork != nil {
		return fork
	}
	owner, name, _ := strings.Cut(pr.HeadRepo, "/")
	return &repoState{owner: owner, name: name}
}

func baseRef(r *repoState, pr *PullRequest) string {
	if pr.BaseRefName == "" {
		return r.defaultBranch()
	}
	return pr.BaseRefName
}

// baseSHA is the tip of pr's base when it was last computed: the parent of
// its first commit when r's graph has that commit, else a stable made-up
// SHA of the base branch.
func (s *Server) baseSHA(r *repoState, pr *PullRequest) string {
	if c := r.commits[strings.ToLower(pr.Commits[0].OID)]; c != nil && len(c.parents) > 0 {
		return c.parents[0]
	}
	return fakeOID("base:" + r.nameWithOwner() + ":" + baseRef(r, pr))
}

// prRefLocked is the head or base of a pull request: ref at sha in r, a
// fork or not.
func (s *Server) prRefLocked(r *repoState, fork bool, ref, sha string) *omap {
	o := &omap{}
	o.set("label", r.owner+":"+ref)
	o.set("ref", ref)
	o.set("sha", sha)
	o.set("user", s.userLocked(r.owner))
	o.set("repo", s.repositoryLocked(r, fork))
	return o
}

// authorAssociationLocked is the author's association with r (see the
// file comment for the choices made). s.mu is held.
func (s *Server) authorAssociationLocked(r *repoState, pr *PullRequest, author string) string {
	switch {
	case strings.EqualFold(author, r.owner):
		return "OWNER"
	case s.headRepoLocked(r, pr) != r:
		return "NONE"
	case s.orgs[strings.ToLower(r.owner)]:
		return "MEMBER"
	default:
		return "COLLABORATOR"
	}
}

// repositoryLocked is r's webhook repository object, a fork or not. s.mu
// is held.
func (s *Server) repositoryLocked(r *repoState, fork bool) *omap {
	o := repositoryObject(webhookAPI, r, s.orgs[strings.ToLower(r.owner)], s.clock())
	o.set("fork", fork)
	return o
}

// userLocked is login's user object in webhook payloads. s.mu is held.
func (s *Server) userLocked(login string) *omap {
	return userObject(webhookAPI, login, s.orgs[strings.ToLower(login)])
}

func repoNodeID(r *repoState) string {
	return nodeID("R", strings.ToLower(r.nameWithOwner()))
}

// installationLiteLocked is {id, node_id} of installation id, which must
// be the App's and reach r. s.mu is held.
func (s *Server) installationLiteLocked(id int64, r *repoState) (*omap, error) {
	if s.app == nil {
		return nil, errors.New("the server has no App (Options.App)")
	}
	in, ok := s.app.insts[id]
	if !ok {
		return nil, fmt.Errorf("the App has no installation %d", id)
	}
	reaches := strings.EqualFold(in.Account, r.owner) &&
		(in.Repositories == nil || slices.ContainsFunc(in.Repositories, func(n string) bool { return strings.EqualFold(n, r.name) }))
	if !reaches {
		return nil, fmt.Errorf("installation %d (on %s) does not reach %s; GitHub sends it nothing about it", id, in.Account, r.nameWithOwner())
	}
	o := &omap{}
	o.set("id", id)
	o.set("node_id", nodeID("IN", fmt.Sprint(id)))
	return o, nil
}

// DeploymentStatusWebhook is the body of the deployment_status event with
// action created for the latest status of deployment id of owner/repo,
// sent to installation. The deployment and its statuses are created by
// the server's Login (Options.Login), its sender. An INACTIVE status is
// sent as "inactive", REST's word, although octokit's schema does not list
// it: whether GitHub sends the event for it is not known here.
func (s *Server) DeploymentStatusWebhook(owner, repo string, id int, installation int64) ([]byte, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	what := fmt.Sprintf("githubsim: deployment_status of deployment %d of %s/%s", id, owner, repo)
	d := s.deploymentLocked(owner, repo, id)
	if d == nil {
		return nil, fmt.Errorf("%s: no such deployment", what)
	}
	if len(d.statuses) == 0 {
		return nil, fmt.Errorf("%s: it has no status (AddDeploymentStatus)", what)
	}
	r := s.repos[strings.ToLower(owner+"/"+repo)]
	inst, err := s.installationLiteLocked(installation, r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	i := len(d.statuses) - 1
	st := d.statuses[i]
	api := webhookAPI + "/repos/" + r.nameWithOwner()
	depURL := fmt.Sprintf("%s/deployments/%d", api, d.id)
	statusID := userID(fmt.Sprintf("deployment-status:%d/%d", d.id, i))

	ds := &omap{}
	ds.set("url", fmt.Sprintf("%s/statuses/%d", depURL, statusID))
	ds.set("id", statusID)
	ds.set("node_id", nodeID("DES", fmt.Sprintf("%d/%d", d.id, i)))
	ds.set("state", strings.ToLower(st.State))
	ds.set("creator", s.userLocked(s.login))
	ds.set("description", st.Description)
	ds.set("environment", d.environment)
	ds.set("target_url", st.LogURL)
	ds.set("created_at", st.CreatedAt.Format(time.RFC3339))
	ds.set("updated_at", st.CreatedAt.Format(time.RFC3339))
	ds.set("deployment_url", depURL)
	ds.set("repository_url", api)
	ds.set("environment_url", st.EnvironmentURL)
	if st.LogURL != "" {
		ds.set("log_url", st.LogURL)
	}
	ds.set("performed_via_github_app", nil)

	dep := &omap{}
	dep.set("url", depURL)
	dep.set("id", d.id)
	dep.set("node_id", nodeID("DE", fmt.Sprint(d.id)))
	dep.set("sha", d.commit)
	dep.set("ref", d.commit)
	dep.set("task", "deploy")
	dep.set("payload", &omap{})
	dep.set("original_environment", d.environment)
	dep.set("environment", d.environment)
	dep.set("description", nil)
	dep.set("creator", s.userLocked(s.login))
	dep.set("created_at", d.createdAt.Format(time.RFC3339))
	dep.set("updated_at", st.CreatedAt.Format(time.RFC3339))
	dep.set("statuses_url", depURL+"/statuses")
	dep.set("repository_url", api)
	dep.set("transient_environment", false)
	dep.set("production_environment", d.environment == "production")
	dep.set("performed_via_github_app", nil)

	o := &omap{}
	o.set("action", "created")
	o.set("deployment_status", ds)
	o.set("deployment", dep)
	o.set("repository", s.repositoryLocked(r, false))
	o.set("sender", s.userLocked(s.login))
	o.set("installation", inst)
	return marshal(o)
}

func orNull(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func stringsJSON(ss []string) []any {
	out := []any{}
	for _, s := range ss {
		out = append(out, s)
	}
	return out
}

func marshal(o *omap) ([]byte, error) {
	return o.MarshalJSON()
}
