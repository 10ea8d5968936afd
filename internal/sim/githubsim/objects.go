package githubsim

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// userObject is the simple-user object of login under the API base api
// (the REST and webhook shape alike): "x[bot]" is a Bot, an organization
// (org) an Organization, anyone else a User.
func userObject(api, login string, org bool) *omap {
	id := userID(login)
	typ, node, html := "User", nodeID("U", login), "https://github.com/"+login
	if slug, ok := strings.CutSuffix(login, "[bot]"); ok {
		typ, node, html = "Bot", nodeID("BOT", slug), "https://github.com/apps/"+slug
	} else if org {
		typ, node = "Organization", nodeID("O", login)
	}
	u := api + "/users/" + url.PathEscape(login)
	o := &omap{}
	o.set("login", login)
	o.set("id", id)
	o.set("node_id", node)
	o.set("avatar_url", fmt.Sprintf("https://avatars.githubusercontent.com/u/%d?v=4", id))
	o.set("gravatar_id", "")
	o.set("url", u)
	o.set("html_url", html)
	o.set("followers_url", u+"/followers")
	o.set("following_url", u+"/following{/other_user}")
	o.set("gists_url", u+"/gists{/gist_id}")
	o.set("starred_url", u+"/starred{/owner}{/repo}")
	o.set("subscriptions_url", u+"/subscriptions")
	o.set("organizations_url", u+"/orgs")
	o.set("repos_url", u+"/repos")
	o.set("events_url", u+"/events{/privacy}")
	o.set("received_events_url", u+"/received_events")
	o.set("type", typ)
	o.set("site_admin", false)
	return o
}

// repoID is a stable positive repository id.
func repoID(r *repoState) int64 {
	return userID("repo:" + r.nameWithOwner())
}

// repositoryObject is the full repository object of r, as REST's
// repository schema and the webhooks' common/repository schema both
// require it: a public repository with default settings, created at
// now. s.mu is held.
func repositoryObject(api string, r *repoState, org bool, now time.Time) *omap {
	a := api + "/repos/" + r.nameWithOwner()
	html := r.url()
	at := now.UTC().Format(time.RFC3339)
	o := &omap{}
	o.set("id", repoID(r))
	o.set("node_id", nodeID("R", strings.ToLower(r.nameWithOwner())))
	o.set("name", r.name)
	o.set("full_name", r.nameWithOwner())
	o.set("private", false)
	o.set("owner", userObject(api, r.owner, org))
	o.set("html_url", html)
	o.set("description", nil)
	o.set("fork", false)
	o.set("url", a)
	for _, k := range [][2]string{
		{"forks_url", "/forks"}, {"keys_url", "/keys{/key_id}"}, {"collaborators_url", "/collaborators{/collaborator}"},
		{"teams_url", "/teams"}, {"hooks_url", "/hooks"}, {"issue_events_url", "/issues/events{/number}"},
		{"events_url", "/events"}, {"assignees_url", "/assignees{/user}"}, {"branches_url", "/branches{/branch}"},
		{"tags_url", "/tags"}, {"blobs_url", "/git/blobs{/sha}"}, {"git_tags_url", "/git/tags{/sha}"},
		{"git_refs_url", "/git/refs{/sha}"}, {"trees_url", "/git/trees{/sha}"}, {"statuses_url", "/statuses/{sha}"},
		{"languages_url", "/languages"}, {"stargazers_url", "/stargazers"}, {"contributors_url", "/contributors"},
		{"subscribers_url", "/subscribers"}, {"subscription_url", "/subscription"}, {"commits_url", "/commits{/sha}"},
		{"git_commits_url", "/git/commits{/sha}"}, {"comments_url", "/comments{/number}"},
		{"issue_comment_url", "/issues/comments{/number}"}, {"contents_url", "/contents/{+path}"},
		{"compare_url", "/compare/{base}...{head}"}, {"merges_url", "/merges"}, {"archive_url", "/{archive_format}{/ref}"},
		{"downloads_url", "/downloads"}, {"issues_url", "/issues{/number}"}, {"pulls_url", "/pulls{/number}"},
		{"milestones_url", "/milestones{/number}"}, {"notifications_url", "/notifications{?since,all,participating}"},
		{"labels_url", "/labels{/name}"}, {"releases_url", "/releases{/id}"}, {"deployments_url", "/deployments"},
	} {
		o.set(k[0], a+k[1])
	}
	o.set("created_at", at)
	o.set("updated_at", at)
	o.set("pushed_at", at)
	o.set("git_url", "git://github.com/"+r.nameWithOwner()+".git")
	o.set("ssh_url", "git@github.com:"+r.nameWithOwner()+".git")
	o.set("clone_url", html+".git")
	o.set("svn_url", html)
	o.set("homepage", nil)
	for _, k := range []string{"size", "stargazers_count", "watchers_count"} {
		o.set(k, 0)
	}
	o.set("language", nil)
	for _, k := range [][2]any{{"has_issues", true}, {"has_projects", true}, {"has_downloads", true}, {"has_wiki", true}, {"has_pages", false}} {
		o.set(k[0].(string), k[1])
	}
	o.set("forks_count", 0)
	o.set("mirror_url", nil)
	o.set("archived", false)
	o.set("disabled", false)
	o.set("open_issues_count", 0)
	o.set("license", nil)
	o.set("forks", 0)
	o.set("open_issues", 0)
	o.set("watchers", 0)
	o.set("default_branch", r.defaultBranch())
	o.set("is_template", false)
	o.set("web_commit_signoff_required", false)
	o.set("topics", []any{})
	o.set("visibility", "public")
	o.set("custom_properties", &omap{})
	return o
}
