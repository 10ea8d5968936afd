package guance

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/fixproof/fixproof/internal/contract"
)

// TestDocConsistency reads Guance's published reference pages (the shared
// contracts folder, guance/) and checks that every request field the client
// sends and every response field it reads is mentioned in the page of its
// endpoint, in every stored version and language of that page: a field name
// must occur in the page's text as a whole word. The field names are taken
// from the client's own wire types (their json tags), so a field added to
// the code without a page saying so fails here.
//
// The reply list and the modify endpoint have no page in the folder: their
// fields are checked against the pages the client's assumption follows
// (the index page for the GET list parameters, createissuereply for the
// reply objects, the issue list for statusType), and against their own
// page if one is added to the folder later.
func TestDocConsistency(t *testing.T) {
	dir := contract.Require(t)
	root := filepath.Join(dir, "guance")
	read := func(rel string) string {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			t.Fatalf("contract page: %v", err)
		}
		return string(b)
	}
	// glob finds every stored version of a page, in both languages.
	glob := func(pattern string) []string {
		var out []string
		for _, lang := range []string{"zh", "en"} {
			m, _ := filepath.Glob(filepath.Join(root, lang, "open-api", pattern))
			for _, p := range m {
				rel, _ := filepath.Rel(root, p)
				out = append(out, rel)
			}
		}
		return out
	}
	check := func(pages []string, what string, names []string) {
		t.Helper()
		if len(pages) == 0 {
			t.Errorf("%s: no page found", what)
		}
		for _, p := range pages {
			doc := read(p)
			for _, n := range names {
				if !mentions(doc, n) {
					t.Errorf("%s: %q is not mentioned in %s", what, n, p)
				}
			}
		}
	}

	index := []string{"en/open-api/index@84245ed1.md"}
	check(index, "common request header", []string{headerAPIKey, "application/json"})
	check(index, "envelope", append(jsonFields(envelope{}), jsonFields(pageInfo{})...))
	// The en index page writes the hosts with a template for the domain
	// (https://openapi.<<< custom_key.brand_main_domain >>>); the zh pages'
	// examples spell the default out.
	if doc := read(index[0]); !strings.Contains(doc, "https://openapi.") {
		t.Errorf("the default endpoint's form https://openapi.<domain> is not in the index page")
	}
	if doc := read("zh/open-api/issue/list@74f6f285.md"); !strings.Contains(doc, DefaultBaseURL+pathIssueList) {
		t.Errorf("the zh issue list example does not call %s", DefaultBaseURL+pathIssueList)
	}

	check([]string{"en/open-api/error-definition@4af7e274.md"}, "error codes", []string{CodeInvalidAPIKey, CodeAKRateLimit, CodeWorkspaceRateLimit})
	errDoc := read("en/open-api/error-definition@4af7e274.md")
	for code, status := range map[string]string{CodeInvalidAPIKey: "403", CodeAKRateLimit: "401", CodeWorkspaceRateLimit: "401"} {
		if !regexp.MustCompile(regexp.QuoteMeta(code) + `\s*\|\s*` + status + `\b`).MatchString(errDoc) {
			t.Errorf("error-definition does not give %s HTTP %s", code, status)
		}
	}

	channels := glob("channel/quick-list@*.md")
	check(channels, "channel list path", []string{"GET " + pathChannelList})
	check(channels, "channel list response", jsonFields(apiChannel{}))

	lists := glob("issue/list@*.md")
	if len(lists) < 3 {
		t.Errorf("want the two zh versions and the en version of the issue list page, found %v", lists)
	}
	check(lists, "issue list path", []string{"POST " + pathIssueList})
	check(lists, "issue list request", jsonFields(listRequest{}))
	check(lists, "issue list response", append(append(jsonFields(listContent{}), jsonFields(apiIssue{})...), jsonFields(issueExtend{})...))
	check(lists, "issue list pagination", jsonFields(pageInfo{}))
	// The status types and their names, in the versions that have all five.
	var statuses []string
	for _, st := range []int{StatusOpen, StatusWorking, StatusResolved, StatusClosed, StatusPending} {
		statuses = append(statuses, strings.Join([]string{strconv.Itoa(st), StatusName(st)}, ":"))
	}
	check([]string{"zh/open-api/issue/list@74f6f285.md", "en/open-api/issue/list@84d75c79.md"}, "status types", statuses)

	creates := glob("issue/createissuereply@*.md")
	if len(creates) < 3 {
		t.Errorf("want the two zh versions and the en version of createissuereply, found %v", creates)
	}
	check(creates, "reply create path", []string{"POST " + pathReplyCreate})
	check(creates, "reply create request", jsonFields(replyRequest{}))
	check(creates, "reply create response", jsonFields(apiReply{}))
	check(creates, "reply content limit", []string{strconv.Itoa(maxReplyContent)})
	check([]string{"zh/open-api/issue/createissuereply@25016845.md", "en/open-api/issue/createissuereply@8a92b483.md"}, "reply extend", []string{"extend", "channels", "members", "extra"})

	// The reply list: GET with pageIndex and pageSize, as the index page's
	// GET list example; reply objects as createissuereply answers them.
	if own := glob("issue/getissuereplylist@*.md"); len(own) > 0 {
		check(own, "reply list path", []string{"GET /api/v1/issue/reply/"})
		check(own, "reply list", append([]string{"pageIndex", "pageSize"}, jsonFields(apiReply{})...))
	} else {
		t.Logf("no page for GET %s: assumed as documented in Replies", "/api/v1/issue/reply/{issue_uuid}/list")
		check(index, "reply list query (assumed like the index page's GET list)", []string{"pageIndex", "pageSize", "GET"})
	}
	// The modify endpoint: statusType as the issue list documents it.
	if own := glob("issue/modify@*.md"); len(own) > 0 {
		check(own, "modify path", []string{"POST /api/v1/issue/"})
		check(own, "modify request", jsonFields(modifyRequest{}))
	} else {
		t.Logf("no page for POST %s: assumed as documented in SetStatus", "/api/v1/issue/{issue_uuid}/modify")
		check(lists, "modify request (statusType of the issue list)", jsonFields(modifyRequest{}))
	}
}

// jsonFields lists the JSON names of a struct's fields.
func jsonFields(v any) []string {
	var out []string
	rt := reflect.TypeOf(v)
	for i := range rt.NumField() {
		name, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			out = append(out, name)
		}
	}
	return out
}

// mentions reports whether doc has name as a whole word (not inside a
// longer identifier).
func mentions(doc, name string) bool {
	return regexp.MustCompile(`(^|[^A-Za-z0-9_])` + regexp.QuoteMeta(name) + `($|[^A-Za-z0-9_])`).MatchString(doc)
}
