package githubsim

import (
	"encoding/json"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/contract"
	"github.com/fixproof/fixproof/internal/sim"
)

// Installations of hookFixture.
const (
	instShop  = 2001 // acme, selected repositories: shop
	instOrg   = 2002 // the organization beta, all its repositories
	instOther = 2003 // acme, selected repositories: other
)

// SHAs of hookFixture's acme/shop graph: root, then pull request 1's
// two commits on top of it.
const (
	shaRoot = "1000000000000000000000000000000000000001"
	shaPR1a = "1000000000000000000000000000000000000002"
	shaPR1b = "1000000000000000000000000000000000000003"
)

var mergedAt = base.Add(2 * time.Hour)

// hookFixture is a server with an App subscribed to pull_request and
// deployment_status, installed on acme (shop only), on beta and on acme
// again (other only). acme/shop has pull requests 1 (open, two commits
// in the graph), 2 (an open draft), 3 (merged), 4 (closed unmerged),
// 5 (from the fork someone/shop) and 6 (open, without a body), and a
// deployment of shaPR1b to production with a success status. The clock
// is at base.
func hookFixture(t *testing.T) *Server {
	t.Helper()
	key, _ := testKeys(t)
	clock := sim.NewClock(base)
	s := New(Options{Now: clock.Now, App: &App{
		ID: testAppID, Slug: "fixproof", PrivateKey: key,
		Events: []string{"deployment_status", "pull_request"},
		Installations: map[int64]Installation{
			instShop:  {Account: "acme", Repositories: []string{"shop"}, Permissions: map[string]string{"pull_requests": "read", "deployments": "read"}},
			instOrg:   {Account: "beta", Permissions: map[string]string{"pull_requests": "read"}},
			instOther: {Account: "acme", Repositories: []string{"other"}},
		},
	}})
	s.AddOrganization("beta")
	s.AddCommit("acme", "shop", shaRoot)
	s.AddCommit("acme", "shop", shaPR1a, shaRoot)
	s.AddCommit("acme", "shop", shaPR1b, shaPR1a)
	commits := func(msgs ...string) []Commit {
		var cs []Commit
		for _, m := range msgs {
			cs = append(cs, Commit{Message: m, CommittedDate: base})
		}
		return cs
	}
	s.AddPullRequest("acme", "shop", PullRequest{Number: 1, Title: "PROJ-1 fix checkout", Body: "Fixes PROJ-1", HeadRefName: "fix-checkout", BaseRefName: "main", Author: "octocat",
		Commits: []Commit{{OID: shaPR1a, Message: "first"}, {OID: shaPR1b, Message: "second"}}})
	s.AddPullRequest("acme", "shop", PullRequest{Number: 2, Title: "WIP", HeadRefName: "wip", BaseRefName: "main", Author: "octocat", IsDraft: true, Commits: commits("wip")})
	s.AddPullRequest("acme", "shop", PullRequest{Number: 3, Title: "PROJ-3 merged", HeadRefName: "p3", BaseRefName: "main", Author: "octocat", State: "MERGED",
		MergedAt: &mergedAt, MergeCommitOID: "3000000000000000000000000000000000000003", Commits: commits("p3")})
	s.AddPullRequest("acme", "shop", PullRequest{Number: 4, Title: "PROJ-4 abandoned", HeadRefName: "p4", BaseRefName: "main", Author: "acme", State: "CLOSED", Commits: commits("p4")})
	s.AddPullRequest("acme", "shop", PullRequest{Number: 5, Title: "PROJ-5 from a fork", HeadRefName: "patch-1", BaseRefName: "main", Author: "someone", HeadRepo: "someone/shop", Commits: commits("p5")})
	s.AddPullRequest("acme", "shop", PullRequest{Number: 6, Title: "no body", HeadRefName: "p6", Author: "dependabot[bot]", Commits: commits("p6")})
	s.AddRepo("beta", "one")
	s.AddRepo("beta", "two")
	s.AddRepo("acme", "other")
	id := s.AddDeployment("acme", "shop", Deployment{Commit: shaPR1b})
	s.AddDeploymentStatus("acme", "shop", id, DeploymentStatus{State: "SUCCESS", LogURL: "https://github.com/acme/shop/actions/runs/1", EnvironmentURL: "https://shop.example.com"})
	return s
}

// payload decodes a payload, or fails the test.
func payload(t *testing.T, body []byte) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("payload is not a JSON object: %v\n%s", err, body)
	}
	return v
}

// at follows a path of keys through decoded JSON objects.
func at(v any, path ...string) any {
	for _, k := range path {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	return v
}

// TestWebhookPayloadsAreGitHubs: every payload the simulator builds
// validates against octokit's schema of its event and action.
func TestWebhookPayloadsAreGitHubs(t *testing.T) {
	if _, ok := contract.Available(t); !ok {
		t.Skip("contracts not available")
	}
	s := hookFixture(t)
	pr := func(number int, ev PullRequestEvent) func() ([]byte, error) {
		if ev.Installation == 0 {
			ev.Installation = instShop
		}
		return func() ([]byte, error) { return s.PullRequestEventWebhook("acme", "shop", number, ev) }
	}
	depID := firstDeploymentID
	for _, c := range []struct {
		name, event, action string
		build               func() ([]byte, error)
	}{
		{"ping", "ping", "", func() ([]byte, error) { return s.PingWebhook(Hook{ID: 77, URL: "https://bot.example.com/webhook"}) }},
		{"installation on a user, selected repositories", "installation", "created", func() ([]byte, error) { return s.InstallationWebhook(instShop, "") }},
		{"installation on an organization, all repositories", "installation", "created", func() ([]byte, error) { return s.InstallationWebhook(instOrg, "octocat") }},
		{"opened", "pull_request", "opened", pr(1, PullRequestEvent{Action: "opened"})},
		{"opened draft", "pull_request", "opened", pr(2, PullRequestEvent{Action: "opened"})},
		{"opened from a fork", "pull_request", "opened", pr(5, PullRequestEvent{Action: "opened"})},
		{"opened by a bot without a body", "pull_request", "opened", pr(6, PullRequestEvent{Action: "opened"})},
		{"edited", "pull_request", "edited", pr(1, PullRequestEvent{Action: "edited", Changes: map[string]string{"title": "fix checkout", "body": ""}})},
		{"synchronize", "pull_request", "synchronize", pr(1, PullRequestEvent{Action: "synchronize"})},
		{"synchronize a fork", "pull_request", "synchronize", pr(5, PullRequestEvent{Action: "synchronize", Before: shaRoot})},
		{"closed merged", "pull_request", "closed", pr(3, PullRequestEvent{Action: "closed", Sender: "maintainer"})},
		{"closed unmerged", "pull_request", "closed", pr(4, PullRequestEvent{Action: "closed"})},
		{"reopened", "pull_request", "reopened", pr(1, PullRequestEvent{Action: "reopened"})},
		{"ready_for_review", "pull_request", "ready_for_review", pr(1, PullRequestEvent{Action: "ready_for_review"})},
		{"converted_to_draft", "pull_request", "converted_to_draft", pr(2, PullRequestEvent{Action: "converted_to_draft"})},
		{"deployment_status", "deployment_status", "created", func() ([]byte, error) { return s.DeploymentStatusWebhook("acme", "shop", depID, instShop) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			body, err := c.build()
			if err != nil {
				t.Fatal(err)
			}
			if err := contract.GitHubWebhookPayload(t, c.event, c.action).ValidateJSON(body); err != nil {
				t.Errorf("%v\n%s", err, body)
			}
		})
	}
}

// TestPullRequestWebhookHasTheShapeOfGitHubsExample: the event and its
// pull request have the keys of a pull_request event GitHub sent an
// App, no fewer and no more.
func TestPullRequestWebhookHasTheShapeOfGitHubsExample(t *testing.T) {
	raw, err := os.ReadFile(contract.RequireFile(t, "github/events/pull_request/ready_for_review.with-installation.payload.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := payload(t, raw)
	body, err := hookFixture(t).PullRequestWebhook("acme", "shop", 1, "ready_for_review", instShop)
	if err != nil {
		t.Fatal(err)
	}
	got := payload(t, body)
	for _, path := range [][]string{nil, {"pull_request"}, {"pull_request", "head"}, {"pull_request", "base"}, {"pull_request", "_links"}, {"installation"}} {
		w, g := keys(at(want, path...)), keys(at(got, path...))
		if !slices.Equal(w, g) {
			t.Errorf("keys of %v: got %v, GitHub sent %v", path, g, w)
		}
	}
}

func keys(v any) []string {
	m, _ := v.(map[string]any)
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestPullRequestWebhookDescribesTheStoredPullRequest: numbers, refs,
// SHAs, draft and merge state come from the stored pull request, and the
// installation is the one it was sent to.
func TestPullRequestWebhookDescribesTheStoredPullRequest(t *testing.T) {
	s := hookFixture(t)
	get := func(number int, action string) map[string]any {
		t.Helper()
		body, err := s.PullRequestWebhook("acme", "shop", number, action, instShop)
		if err != nil {
			t.Fatal(err)
		}
		return payload(t, body)
	}

	expectPaths(t, "opened", get(1, "opened"), []pathWant{
		{[]string{"action"}, "opened"},
		{[]string{"number"}, 1.0},
		{[]string{"pull_request", "number"}, 1.0},
		{[]string{"pull_request", "state"}, "open"},
		{[]string{"pull_request", "title"}, "PROJ-1 fix checkout"},
		{[]string{"pull_request", "body"}, "Fixes PROJ-1"},
		{[]string{"pull_request", "draft"}, false},
		{[]string{"pull_request", "merged"}, false},
		{[]string{"pull_request", "merged_at"}, nil},
		{[]string{"pull_request", "html_url"}, "https://github.com/acme/shop/pull/1"},
		{[]string{"pull_request", "url"}, "https://api.github.com/repos/acme/shop/pulls/1"},
		{[]string{"pull_request", "user", "login"}, "octocat"},
		{[]string{"pull_request", "head", "ref"}, "fix-checkout"},
		{[]string{"pull_request", "head", "sha"}, shaPR1b},
		{[]string{"pull_request", "head", "label"}, "acme:fix-checkout"},
		{[]string{"pull_request", "base", "ref"}, "main"},
		{[]string{"pull_request", "base", "sha"}, shaRoot},
		{[]string{"pull_request", "statuses_url"}, "https://api.github.com/repos/acme/shop/statuses/" + shaPR1b},
		{[]string{"pull_request", "commits"}, 2.0},
		{[]string{"repository", "full_name"}, "acme/shop"},
		{[]string{"sender", "login"}, "octocat"},
		{[]string{"installation", "id"}, float64(instShop)},
	})
	if id, _ := at(get(1, "opened"), "installation", "node_id").(string); id == "" {
		t.Error("installation has no node_id")
	}

	if got := at(get(2, "opened"), "pull_request", "draft"); got != true {
		t.Errorf("a draft's draft = %v", got)
	}
	if got := at(get(6, "opened"), "pull_request", "body"); got != nil {
		t.Errorf("an empty body is %q; GitHub sends null", got)
	}

	expectPaths(t, "merged", get(3, "closed"), []pathWant{
		{[]string{"pull_request", "state"}, "closed"},
		{[]string{"pull_request", "merged"}, true},
		{[]string{"pull_request", "merged_at"}, mergedAt.Format(time.RFC3339)},
		{[]string{"pull_request", "closed_at"}, mergedAt.Format(time.RFC3339)},
		{[]string{"pull_request", "merge_commit_sha"}, "3000000000000000000000000000000000000003"},
		{[]string{"pull_request", "merged_by", "login"}, "octocat"},
	})

	expectPaths(t, "closed unmerged", get(4, "closed"), []pathWant{
		{[]string{"pull_request", "state"}, "closed"},
		{[]string{"pull_request", "merged"}, false},
		{[]string{"pull_request", "merged_at"}, nil},
		{[]string{"pull_request", "merged_by"}, nil},
		{[]string{"pull_request", "closed_at"}, base.Format(time.RFC3339)},
		{[]string{"pull_request", "author_association"}, "OWNER"},
	})
}

// pathWant is a value a webhook payload holds at a path.
type pathWant struct {
	path []string
	want any
}

// expectPaths reports each path of cases at which payload holds other
// than the value wanted.
func expectPaths(t *testing.T, what string, payload map[string]any, cases []pathWant) {
	t.Helper()
	for _, c := range cases {
		if got := at(payload, c.path...); got != c.want {
			t.Errorf("%s: %v = %v, want %v", what, c.path, got, c.want)
		}
	}
}

// TestForkPullRequestHeadIsTheFork: the head of a pull request from a
// fork is the fork's branch, in a repository marked fork; the base and
// the event's repository are the repository it was opened on.
func TestForkPullRequestHeadIsTheFork(t *testing.T) {
	body, err := hookFixture(t).PullRequestWebhook("acme", "shop", 5, "opened", instShop)
	if err != nil {
		t.Fatal(err)
	}
	v := payload(t, body)
	expectPaths(t, "fork", v, []pathWant{
		{[]string{"pull_request", "head", "label"}, "someone:patch-1"},
		{[]string{"pull_request", "head", "user", "login"}, "someone"},
		{[]string{"pull_request", "head", "repo", "full_name"}, "someone/shop"},
		{[]string{"pull_request", "head", "repo", "fork"}, true},
		{[]string{"pull_request", "base", "repo", "full_name"}, "acme/shop"},
		{[]string{"pull_request", "base", "repo", "fork"}, false},
		{[]string{"repository", "full_name"}, "acme/shop"},
		{[]string{"repository", "fork"}, false},
		{[]string{"sender", "login"}, "someone"},
	})
	if at(v, "pull_request", "head", "repo", "id") == at(v, "pull_request", "base", "repo", "id") {
		t.Error("the fork has the id of the repository it was forked from")
	}
}

// TestSynchronizeCarriesTheHeadBeforeAndAfter: before is the head the
// push replaced (the head's parent unless given), after the new head.
func TestSynchronizeCarriesTheHeadBeforeAndAfter(t *testing.T) {
	s := hookFixture(t)
	body, err := s.PullRequestWebhook("acme", "shop", 1, "synchronize", instShop)
	if err != nil {
		t.Fatal(err)
	}
	v := payload(t, body)
	if at(v, "before") != shaPR1a || at(v, "after") != shaPR1b {
		t.Errorf("before %v, after %v; want %s, %s", at(v, "before"), at(v, "after"), shaPR1a, shaPR1b)
	}
	body, err = s.PullRequestEventWebhook("acme", "shop", 1, PullRequestEvent{Action: "synchronize", Installation: instShop, Before: shaRoot})
	if err != nil {
		t.Fatal(err)
	}
	if got := at(payload(t, body), "before"); got != shaRoot {
		t.Errorf("before = %v, want the given %s", got, shaRoot)
	}
}

// TestEditedCarriesThePreviousValues: changes holds the fields that
// changed, each with its previous value.
func TestEditedCarriesThePreviousValues(t *testing.T) {
	body, err := hookFixture(t).PullRequestEventWebhook("acme", "shop", 1, PullRequestEvent{
		Action: "edited", Installation: instShop, Changes: map[string]string{"title": "fix checkout"},
	})
	if err != nil {
		t.Fatal(err)
	}
	v := payload(t, body)
	if got := at(v, "changes", "title", "from"); got != "fix checkout" {
		t.Errorf("changes.title.from = %v", got)
	}
	if got := at(v, "changes", "body"); got != nil {
		t.Errorf("changes.body = %v; the body did not change", got)
	}
	if got := at(v, "pull_request", "title"); got != "PROJ-1 fix checkout" {
		t.Errorf("pull_request.title = %v, want the current title", got)
	}
}

// TestPullRequestWebhookRefusesWhatGitHubWouldNotSend: an action the
// pull request's state rules out, and an installation that does not
// reach the repository, are errors rather than payloads.
func TestPullRequestWebhookRefusesWhatGitHubWouldNotSend(t *testing.T) {
	s := hookFixture(t)
	s.AddPullRequest("acme", "shop", PullRequest{Number: 9, Title: "one commit", HeadRefName: "p9", Commits: []Commit{{Message: "only"}}})
	s.AddPullRequest("acme", "shop", PullRequest{Number: 10, Title: "no commits", HeadRefName: "p10"})
	for _, c := range []struct {
		name   string
		number int
		ev     PullRequestEvent
		want   string
	}{
		{"closed while open", 1, PullRequestEvent{Action: "closed"}, "is OPEN"},
		{"opened once merged", 3, PullRequestEvent{Action: "opened"}, "MERGED"},
		{"reopened once merged", 3, PullRequestEvent{Action: "reopened"}, "MERGED"},
		{"synchronize a closed one", 4, PullRequestEvent{Action: "synchronize", Before: shaRoot}, "CLOSED"},
		{"ready_for_review of a draft", 2, PullRequestEvent{Action: "ready_for_review"}, "draft true"},
		{"converted_to_draft of a non-draft", 1, PullRequestEvent{Action: "converted_to_draft"}, "draft false"},
		{"edited without changes", 1, PullRequestEvent{Action: "edited"}, "Changes is empty"},
		{"edited with an unknown field", 1, PullRequestEvent{Action: "edited", Changes: map[string]string{"state": "open"}}, `"state"`},
		{"synchronize without a commit before the head", 9, PullRequestEvent{Action: "synchronize"}, "no commit before"},
		{"no commits", 10, PullRequestEvent{Action: "opened"}, "no commits"},
		{"an action not simulated", 1, PullRequestEvent{Action: "labeled"}, "not simulated"},
		{"an unknown installation", 1, PullRequestEvent{Action: "opened", Installation: 999}, "no installation 999"},
		{"an installation on other repositories", 1, PullRequestEvent{Action: "opened", Installation: instOther}, "does not reach acme/shop"},
		{"an installation on another account", 1, PullRequestEvent{Action: "opened", Installation: instOrg}, "does not reach acme/shop"},
		{"no such pull request", 99, PullRequestEvent{Action: "opened"}, "no such pull request"},
	} {
		if c.ev.Installation == 0 {
			c.ev.Installation = instShop
		}
		_, err := s.PullRequestEventWebhook("acme", "shop", c.number, c.ev)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want one saying %q", c.name, err, c.want)
		}
	}
}

// TestInstallationCreatedListsTheRepositoriesItReaches: the installation
// event lists the selected repositories, or all of the account's, and
// dates the installation in Unix seconds as GitHub's examples do.
func TestInstallationCreatedListsTheRepositoriesItReaches(t *testing.T) {
	s := hookFixture(t)
	names := func(v map[string]any) []string {
		var out []string
		repos, _ := v["repositories"].([]any)
		for _, r := range repos {
			out = append(out, at(r, "full_name").(string))
		}
		return out
	}
	body, err := s.InstallationWebhook(instShop, "")
	if err != nil {
		t.Fatal(err)
	}
	shop := payload(t, body)
	if got := names(shop); !slices.Equal(got, []string{"acme/shop"}) {
		t.Errorf("selected: repositories %v, want [acme/shop]", got)
	}
	if at(shop, "installation", "repository_selection") != "selected" || at(shop, "sender", "login") != "acme" {
		t.Errorf("selection %v, sender %v", at(shop, "installation", "repository_selection"), at(shop, "sender", "login"))
	}
	if got := at(shop, "installation", "created_at"); got != float64(base.Unix()) {
		t.Errorf("created_at = %v, want Unix time %d", got, base.Unix())
	}
	if got := at(shop, "installation", "events"); len(got.([]any)) != 2 {
		t.Errorf("events = %v, want the App's two", got)
	}

	body, err = s.InstallationWebhook(instOrg, "octocat")
	if err != nil {
		t.Fatal(err)
	}
	org := payload(t, body)
	if got := names(org); !slices.Equal(got, []string{"beta/one", "beta/two"}) {
		t.Errorf("all: repositories %v, want beta's two", got)
	}
	if at(org, "installation", "target_type") != "Organization" || at(org, "installation", "account", "type") != "Organization" {
		t.Errorf("an organization's installation: target_type %v", at(org, "installation", "target_type"))
	}
	if _, err := s.InstallationWebhook(999, ""); err == nil {
		t.Error("an unknown installation built a payload")
	}
}

// TestAppPingHasNoRepositoryHookURLs: the ping of an App's hook names the
// App and its events, and has none of a repository hook's URLs.
func TestAppPingHasNoRepositoryHookURLs(t *testing.T) {
	body, err := hookFixture(t).PingWebhook(Hook{ID: 77, URL: "https://bot.example.com/webhook"})
	if err != nil {
		t.Fatal(err)
	}
	v := payload(t, body)
	expectPaths(t, "ping", v, []pathWant{
		{[]string{"hook_id"}, 77.0},
		{[]string{"hook", "id"}, 77.0},
		{[]string{"hook", "type"}, "App"},
		{[]string{"hook", "app_id"}, float64(testAppID)},
		{[]string{"hook", "config", "url"}, "https://bot.example.com/webhook"},
		{[]string{"hook", "config", "content_type"}, "json"},
		{[]string{"hook", "config", "insecure_ssl"}, "0"},
		{[]string{"hook", "deliveries_url"}, "https://api.github.com/app/hook/deliveries"},
	})
	for _, k := range []string{"url", "ping_url", "test_url"} {
		if _, ok := v["hook"].(map[string]any)[k]; ok {
			t.Errorf("an App's hook has %s", k)
		}
	}
	for _, k := range []string{"repository", "sender", "installation"} {
		if _, ok := v[k]; ok {
			t.Errorf("an App's ping has %s", k)
		}
	}
}

// TestDeploymentStatusWebhookIsTheLatestStatus: the event describes the
// deployment and its newest status, in REST's lower-case states.
func TestDeploymentStatusWebhookIsTheLatestStatus(t *testing.T) {
	s := hookFixture(t)
	id := firstDeploymentID
	s.AddDeploymentStatus("acme", "shop", id, DeploymentStatus{State: "FAILURE", Description: "smoke test failed", CreatedAt: base.Add(time.Minute)})
	body, err := s.DeploymentStatusWebhook("acme", "shop", id, instShop)
	if err != nil {
		t.Fatal(err)
	}
	v := payload(t, body)
	expectPaths(t, "deployment_status", v, []pathWant{
		{[]string{"action"}, "created"},
		{[]string{"deployment", "id"}, float64(id)},
		{[]string{"deployment", "sha"}, shaPR1b},
		{[]string{"deployment", "environment"}, "production"},
		{[]string{"deployment_status", "state"}, "failure"},
		{[]string{"deployment_status", "description"}, "smoke test failed"},
		{[]string{"deployment_status", "environment"}, "production"},
		{[]string{"deployment_status", "created_at"}, base.Add(time.Minute).Format(time.RFC3339)},
		{[]string{"repository", "full_name"}, "acme/shop"},
		{[]string{"installation", "id"}, float64(instShop)},
	})
	if _, err := s.DeploymentStatusWebhook("acme", "shop", id, instOther); err == nil {
		t.Error("an installation that does not reach the repository got the event")
	}
	if _, err := s.DeploymentStatusWebhook("acme", "shop", id+1, instShop); err == nil {
		t.Error("an unknown deployment built a payload")
	}
}
