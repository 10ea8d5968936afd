package githubsim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/fixproof/fixproof/internal/contract"
)

// compareFixture adds to deployFixture's root <- a <- b: main going on to
// c, a branch x off b, m merging x into c, and an unrelated history
// lone <- y.
func compareFixture(t *testing.T, o Options) (*Server, *httptest.Server) {
	t.Helper()
	s, ts, _ := deployFixture(t, o)
	s.AddCommit("acme", "api", sha("c"), sha("b"))
	s.AddCommit("acme", "api", sha("x"), sha("b"))
	s.AddCommit("acme", "api", sha("m"), sha("c"), sha("x"))
	s.AddCommit("acme", "api", sha("lone"))
	s.AddCommit("acme", "api", sha("y"), sha("lone"))
	return s, ts
}

// restSpec returns GitHub's REST description when the contracts are
// there, else nil.
func restSpec(t *testing.T) *contract.Spec {
	t.Helper()
	if _, ok := contract.Available(t); !ok {
		return nil
	}
	return contract.GitHubRESTSpec(t)
}

type comparisonBody struct {
	Status          string
	AheadBy         int                  `json:"ahead_by"`
	BehindBy        int                  `json:"behind_by"`
	TotalCommits    int                  `json:"total_commits"`
	PermalinkURL    string               `json:"permalink_url"`
	BaseCommit      struct{ SHA string } `json:"base_commit"`
	MergeBaseCommit struct{ SHA string } `json:"merge_base_commit"`
	Commits         []struct{ SHA string }
}

func TestCompareFollowsTheCommitGraph(t *testing.T) {
	_, ts := compareFixture(t, Options{})
	spec := restSpec(t)
	for _, c := range []struct {
		base, head, status string
		ahead, behind      int
		mergeBase          string
		commits            []string
	}{
		{"b", "b", "identical", 0, 0, "b", nil},
		{"a", "c", "ahead", 2, 0, "a", []string{"b", "c"}},
		{"c", "a", "behind", 0, 2, "a", nil},
		{"c", "x", "diverged", 1, 1, "b", []string{"x"}},
		{"x", "m", "ahead", 2, 0, "x", []string{"c", "m"}},
		{"c", "m", "ahead", 2, 0, "c", []string{"x", "m"}},
		{"root", "m", "ahead", 5, 0, "root", []string{"a", "b", "c", "x", "m"}},
		{"m", "x", "behind", 0, 2, "x", nil},
	} {
		for _, prefix := range []string{"", "/api/v3"} {
			path := fmt.Sprintf("%s/repos/acme/api/compare/%s...%s", prefix, sha(c.base), sha(c.head))
			status, h, body := call(t, ts, spec, "GET", path, tok, "")
			var got comparisonBody
			if err := json.Unmarshal([]byte(body), &got); status != http.StatusOK || err != nil {
				t.Fatalf("%s...%s: %d %v %s", c.base, c.head, status, err, body)
			}
			var commits []string
			for _, cm := range got.Commits {
				commits = append(commits, cm.SHA)
			}
			var want []string
			for _, name := range c.commits {
				want = append(want, sha(name))
			}
			if got.Status != c.status || got.AheadBy != c.ahead || got.BehindBy != c.behind || got.TotalCommits != c.ahead ||
				got.MergeBaseCommit.SHA != sha(c.mergeBase) || got.BaseCommit.SHA != sha(c.base) ||
				fmt.Sprint(commits) != fmt.Sprint(want) {
				t.Errorf("%s...%s: %s ahead %d behind %d total %d merge base %s commits %d\nwant %s ahead %d behind %d merge base %s commits %v",
					c.base, c.head, got.Status, got.AheadBy, got.BehindBy, got.TotalCommits, got.MergeBaseCommit.SHA, len(commits),
					c.status, c.ahead, c.behind, c.mergeBase, c.commits)
			}
			wantURL := ts.URL + prefix + "/repos/acme/api/compare/" + sha(c.base) + "..." + sha(c.head)
			if !strings.HasPrefix(body, `{"url":"`+wantURL+`","html_url":"https://github.com/acme/api/compare/`) ||
				got.PermalinkURL != "https://github.com/acme/api/compare/acme:"+sha(c.base)+"...acme:"+sha(c.head) {
				t.Errorf("%s...%s: urls in %.300s", c.base, c.head, body)
			}
			if h.Get("X-RateLimit-Resource") != "core" || h.Get("Link") != "" {
				t.Errorf("%s...%s: headers %v", c.base, c.head, h)
			}
		}
	}
}

func TestCompareRefusesWhatGitHubRefuses(t *testing.T) {
	_, ts := compareFixture(t, Options{})
	spec := restSpec(t)
	notFound := `{"message":"Not Found","documentation_url":"https://docs.github.com/rest/commits/commits#compare-two-commits"}`
	for _, c := range []struct {
		name, path string
		status     int
		want       string
	}{
		{"unknown head", "/repos/acme/api/compare/" + sha("a") + "..." + sha("nope"), 404, notFound},
		{"unknown base", "/repos/acme/api/compare/" + sha("nope") + "..." + sha("a"), 404, notFound},
		{"unknown repository", "/repos/acme/nope/compare/" + sha("a") + "..." + sha("b"), 404, notFound},
		{"another repository's commits", "/repos/acme/web/compare/" + sha("a") + "..." + sha("b"), 404, notFound},
		{"two dots", "/repos/acme/api/compare/" + sha("a") + ".." + sha("b"), 404, notFound},
		{"no head", "/repos/acme/api/compare/" + sha("a") + "...", 404, notFound},
		{"a branch name", "/repos/acme/api/compare/main..." + sha("b"), 404, notFound},
		{"no common ancestor", "/repos/acme/api/compare/" + sha("a") + "..." + sha("y"), 404,
			`{"message":"No common ancestor between ` + sha("a") + ` and ` + sha("y") + `.","documentation_url":"https://docs.github.com/rest/commits/commits#compare-two-commits"}`},
	} {
		status, _, body := call(t, ts, spec, "GET", c.path, tok, "")
		if status != c.status || body != c.want {
			t.Errorf("%s: %d %s\nwant %d %s", c.name, status, body, c.status, c.want)
		}
	}
	// Full SHAs match in any case. (Abbreviated ones are not resolved
	// here, though GitHub resolves a unique prefix.)
	status, _, _ := call(t, ts, spec, "GET", "/repos/acme/api/compare/"+strings.ToUpper(sha("a"))+"..."+sha("b"), tok, "")
	if status != http.StatusOK {
		t.Errorf("upper-case SHA: %d", status)
	}
	status, _, _ = rest(t, ts, http.MethodPost, "/repos/acme/api/compare/"+sha("a")+"..."+sha("b"), tok, "")
	if status != http.StatusNotFound {
		t.Errorf("POST: %d", status)
	}
}

func TestCompareNeedsTheContentsPermission(t *testing.T) {
	_, ts := compareFixture(t, Options{Permissions: map[string]string{"deployments": "read"}})
	status, h, body := rest(t, ts, http.MethodGet, "/repos/acme/api/compare/"+sha("a")+"..."+sha("b"), tok, "")
	want := `{"message":"Resource not accessible by integration","documentation_url":"https://docs.github.com/rest/commits/commits#compare-two-commits"}`
	if status != http.StatusForbidden || body != want || h.Get("X-Accepted-GitHub-Permissions") != "contents=read" {
		t.Errorf("%d %s %v", status, body, h)
	}
}

func TestCompareListsAtMost250CommitsUnlessPaged(t *testing.T) {
	s, ts, _ := deployFixture(t, Options{})
	spec := restSpec(t)
	prev := sha("b")
	for i := range 300 {
		next := sha(fmt.Sprint(i))
		s.AddCommit("acme", "api", next, prev)
		prev = next
	}
	const path = "/repos/acme/api/compare/"
	basehead := sha("b") + "..." + sha("299")
	list := func(q string) (comparisonBody, http.Header) {
		t.Helper()
		status, h, body := call(t, ts, spec, "GET", path+basehead+q, tok, "")
		var got comparisonBody
		if err := json.Unmarshal([]byte(body), &got); status != http.StatusOK || err != nil {
			t.Fatalf("%s: %d %v %.300s", q, status, err, body)
		}
		return got, h
	}
	all, h := list("")
	if all.AheadBy != 300 || len(all.Commits) != 250 || all.Commits[0].SHA != sha("50") || all.Commits[249].SHA != sha("299") || h.Get("Link") != "" {
		t.Errorf("unpaged: ahead %d, %d commits from %s", all.AheadBy, len(all.Commits), all.Commits[0].SHA)
	}
	link := func(q string, rel string) string {
		return "<" + ts.URL + path + basehead + "?" + q + `>; rel="` + rel + `"`
	}
	for _, c := range []struct {
		q, first string
		n        int
		link     string
	}{
		{"?per_page=1", "0", 1, link("per_page=1&page=2", "next") + ", " + link("per_page=1&page=300", "last")},
		{"?page=2", "30", 30, link("page=1", "prev") + ", " + link("page=3", "next") + ", " + link("page=10", "last") + ", " + link("page=1", "first")},
		{"?per_page=500&page=3", "200", 100, link("per_page=500&page=2", "prev") + ", " + link("per_page=500&page=1", "first")},
	} {
		got, h := list(c.q)
		if got.AheadBy != 300 || got.Status != "ahead" || len(got.Commits) != c.n || got.Commits[0].SHA != sha(c.first) || h.Get("Link") != c.link {
			t.Errorf("%s: %d commits from %s, Link\n got %s\nwant %s", c.q, len(got.Commits), got.Commits[0].SHA, h.Get("Link"), c.link)
		}
	}
}

// TestCompareAnswersAreGitHubsCommitComparison checks one whole answer
// (an ahead, a merged branch) field by field against the schema's
// commit-comparison and the objects GitHub links to.
func TestCompareAnswersAreGitHubsCommitComparison(t *testing.T) {
	_, ts := compareFixture(t, Options{})
	_, _, body := call(t, ts, restSpec(t), "GET", "/repos/acme/api/compare/"+sha("x")+"..."+sha("m")+"?per_page=1&page=2", tok, "")
	api := ts.URL + "/repos/acme/api"
	commit := func(name string, parents ...string) string {
		var ps []string
		for _, p := range parents {
			ps = append(ps, fmt.Sprintf(`{"sha":%q,"url":"%s/commits/%[1]s","html_url":"https://github.com/acme/api/commit/%[1]s"}`, sha(p), api))
		}
		tree := fakeOID(sha(name) + "^{tree}")
		who := `{"name":"githubsim","email":"githubsim@users.noreply.github.com","date":"2024-03-01T09:00:00Z"}`
		return fmt.Sprintf(`{"sha":%[1]q,"node_id":%[3]q,"commit":{"author":%[4]s,"committer":%[4]s,"message":"Commit %[5]s",`+
			`"tree":{"sha":%[6]q,"url":"%[2]s/git/trees/%[6]s"},"url":"%[2]s/git/commits/%[1]s","comment_count":0},`+
			`"url":"%[2]s/commits/%[1]s","html_url":"https://github.com/acme/api/commit/%[1]s","comments_url":"%[2]s/commits/%[1]s/comments",`+
			`"author":null,"committer":null,"parents":[%[7]s]}`,
			sha(name), api, nodeID("C", "acme/api@"+sha(name)), who, sha(name)[:7], tree, strings.Join(ps, ","))
	}
	basehead := sha("x") + "..." + sha("m")
	want := fmt.Sprintf(`{"url":"%[1]s/compare/%[2]s","html_url":"https://github.com/acme/api/compare/%[2]s",`+
		`"permalink_url":"https://github.com/acme/api/compare/acme:%[3]s...acme:%[4]s",`+
		`"diff_url":"https://github.com/acme/api/compare/%[2]s.diff","patch_url":"https://github.com/acme/api/compare/%[2]s.patch",`+
		`"base_commit":%[5]s,"merge_base_commit":%[5]s,"status":"ahead","ahead_by":2,"behind_by":0,"total_commits":2,"commits":[%[6]s]}`,
		api, basehead, sha("x"), sha("m"), commit("x", "b"), commit("m", "c", "x"))
	var w bytes.Buffer
	if err := json.Compact(&w, []byte(want)); err != nil {
		t.Fatalf("want: %v", err)
	}
	if body != w.String() {
		t.Errorf("answer:\n got %s\nwant %s", body, w.String())
	}
}
