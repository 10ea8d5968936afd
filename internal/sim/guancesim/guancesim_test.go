package guancesim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/contract"
	"github.com/fixproof/fixproof/internal/sim"
)

var noon = time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)

type tenv struct {
	t     *testing.T
	s     *Server
	clock *sim.Clock
	base  string
}

func newEnv(t *testing.T, o Options) *tenv {
	t.Helper()
	e := &tenv{t: t, clock: sim.NewClock(noon)}
	o.APIKey, o.Now = "key", e.clock.Now
	e.s = New(o)
	srv := httptest.NewServer(e.s.Handler())
	t.Cleanup(srv.Close)
	e.base = srv.URL
	return e
}

type answer struct {
	status int
	env    map[string]any
	raw    string
}

// call sends a request with the key "key" unless key is given.
func (e *tenv) call(method, path, body string, key ...string) answer {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.base+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	k := "key"
	if len(key) > 0 {
		k = key[0]
	}
	if k != "" {
		req.Header.Set("DF-API-KEY", k)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, raw: string(b)}
	if err := json.Unmarshal(b, &a.env); err != nil {
		e.t.Fatalf("%s %s: body is not JSON: %s", method, path, b)
	}
	return a
}

// wantError checks an error envelope.
func (a answer) wantError(t *testing.T, status int, code string) {
	t.Helper()
	if a.status != status || a.env["errorCode"] != code || a.env["success"] != false || a.env["code"] != float64(status) {
		t.Errorf("got %d %s, want %d with errorCode %s, success false, code %d", a.status, a.raw, status, code, status)
	}
	if m, _ := a.env["message"].(string); m == "" {
		t.Errorf("error without a message: %s", a.raw)
	}
}

// items returns the list and pageInfo of a list answer in either shape.
func (a answer) items(t *testing.T, shape int) ([]any, map[string]any) {
	t.Helper()
	if a.status != 200 || a.env["success"] != true || a.env["errorCode"] != "" || a.env["code"] != float64(200) {
		t.Fatalf("not a success: %d %s", a.status, a.raw)
	}
	if shape == ShapeIndex {
		list, ok := a.env["content"].([]any)
		info, ok2 := a.env["pageInfo"].(map[string]any)
		if !ok || !ok2 {
			t.Fatalf("shape 2: want content list and top-level pageInfo: %s", a.raw)
		}
		return list, info
	}
	c, ok := a.env["content"].(map[string]any)
	if !ok {
		t.Fatalf("shape 1: want content object: %s", a.raw)
	}
	if _, top := a.env["pageInfo"]; top {
		t.Errorf("shape 1: pageInfo belongs in content: %s", a.raw)
	}
	list, ok := c["data"].([]any)
	info, ok2 := c["pageInfo"].(map[string]any)
	if !ok || !ok2 {
		t.Fatalf("shape 1: want content.data and content.pageInfo: %s", a.raw)
	}
	return list, info
}

func TestAuth(t *testing.T) {
	e := newEnv(t, Options{})
	for _, key := range []string{"", "wrong"} {
		for _, route := range [][2]string{{"GET", "/api/v1/channel/quick_list"}, {"POST", "/api/v1/issue/list"}, {"POST", "/api/v1/issue/reply/create"}, {"GET", "/api/v1/issue/reply/x/list"}, {"POST", "/api/v1/issue/x/modify"}} {
			e.call(route[0], route[1], "{}", key).wantError(t, 403, CodeInvalidAPIKey)
		}
	}
	if got := e.s.Control.Count("GET /api/v1/channel/quick_list"); got != 2 {
		t.Errorf("count = %d, want 2", got)
	}
	a := e.call("GET", "/api/v1/channel/quick_list", "")
	if a.status != 200 || a.env["success"] != true || a.env["errorCode"] != "" || a.env["message"] != "" || a.env["code"] != float64(200) {
		t.Errorf("with the key: %d %s", a.status, a.raw)
	}
	if tr, _ := a.env["traceId"].(string); tr == "" {
		t.Errorf("no traceId: %s", a.raw)
	}
}

func TestChannels(t *testing.T) {
	e := newEnv(t, Options{})
	ops := e.s.AddChannel("ops")
	a := e.call("GET", "/api/v1/channel/quick_list", "")
	list, ok := a.env["content"].([]any)
	if !ok || len(list) != 2 {
		t.Fatalf("content: %s", a.raw)
	}
	first, second := list[0].(map[string]any), list[1].(map[string]any)
	if first["uuid"] != e.s.DefaultChannel() || first["name"] != DefaultChannelName || second["uuid"] != ops || second["name"] != "ops" {
		t.Errorf("channels: %s", a.raw)
	}
	if !regexp.MustCompile(`^chan_[0-9a-f]{32}$`).MatchString(ops) {
		t.Errorf("uuid %q does not look like Guance's", ops)
	}
}

func TestIssueListShapesPagingWindow(t *testing.T) {
	for _, shape := range []int{ShapeListPage, ShapeIndex} {
		t.Run(fmt.Sprint("shape", shape), func(t *testing.T) {
			e := newEnv(t, Options{PageSize: 3, ListShape: shape})
			ch := e.s.AddChannel("ops")
			var ids []string
			for i := range 7 {
				ids = append(ids, e.s.AddIssue(IssueInput{Name: fmt.Sprint("i", i), Channels: []string{"ops"}, CreateAt: noon.Add(time.Duration(i) * time.Minute)}))
			}
			e.s.AddIssue(IssueInput{Name: "elsewhere"}) // default channel only
			body := func(extra string) string {
				return `{"channelUUID":"` + ch + `"` + extra + `}`
			}
			var got []string
			for idx := 1; idx <= 3; idx++ {
				list, info := e.call("POST", "/api/v1/issue/list", body(fmt.Sprintf(`,"pageIndex":%d,"pageSize":50`, idx))).items(t, shape)
				want := []int{3, 3, 1}[idx-1]
				if len(list) != want || info["count"] != float64(want) || info["pageIndex"] != float64(idx) || info["pageSize"] != float64(3) || info["totalCount"] != float64(7) {
					t.Errorf("page %d: %d items, pageInfo %v", idx, len(list), info)
				}
				for _, it := range list {
					got = append(got, it.(map[string]any)["uuid"].(string))
				}
			}
			// Newest update first.
			for i, id := range got {
				if id != ids[6-i] {
					t.Fatalf("order: got %v, want reverse of %v", got, ids)
				}
			}
			list, info := e.call("POST", "/api/v1/issue/list", body(`,"pageIndex":4`)).items(t, shape)
			if len(list) != 0 || info["totalCount"] != float64(7) {
				t.Errorf("past the end: %v %v", list, info)
			}

			// The window selects on updateAt in [startTime, endTime).
			window := func(from, to time.Time) []string {
				list, _ := e.call("POST", "/api/v1/issue/list", body(fmt.Sprintf(`,"startTime":%d,"endTime":%d`, from.Unix(), to.Unix()))).items(t, shape)
				var out []string
				for _, it := range list {
					out = append(out, it.(map[string]any)["name"].(string))
				}
				sort.Strings(out)
				return out
			}
			if got := window(noon.Add(2*time.Minute), noon.Add(4*time.Minute)); strings.Join(got, ",") != "i2,i3" {
				t.Errorf("window [12:02, 12:04) = %v, want i2 i3", got)
			}
			e.clock.Set(noon.Add(time.Hour))
			e.s.UpdateIssue(ids[0], func(in *IssueInput) { in.StatusType = 20 })
			if got := window(noon.Add(59*time.Minute), noon.Add(61*time.Minute)); strings.Join(got, ",") != "i0" {
				t.Errorf("after the update: %v, want i0", got)
			}
			if got := window(noon, noon.Add(time.Minute)); len(got) != 0 {
				t.Errorf("i0 left its old window: %v", got)
			}
		})
	}
}

func TestIssueRendering(t *testing.T) {
	e := newEnv(t, Options{Workspace: "wksp_test"})
	ch := e.s.AddChannel("ops")
	desc := `<span data-info="{&quot;item&quot;:1}">boom &amp; bust</span>`
	id := e.s.AddIssue(IssueInput{Name: "boom", Description: desc, Level: "2", StatusType: 30, Channels: []string{ch}, Creator: "acnt_a"})
	list, _ := e.call("POST", "/api/v1/issue/list", `{"channelUUID":"`+ch+`"}`).items(t, ShapeListPage)
	if len(list) != 1 {
		t.Fatalf("%v", list)
	}
	is := list[0].(map[string]any)
	if is["uuid"] != id || is["name"] != "boom" || is["description"] != desc || is["level"] != float64(2) || is["statusType"] != float64(30) ||
		is["creator"] != "acnt_a" || is["workspaceUUID"] != "wksp_test" || is["createAt"] != float64(noon.Unix()) || is["updateAt"] != float64(noon.Unix()) {
		t.Errorf("issue: %v", is)
	}
	chans := is["extend"].(map[string]any)["channels"].([]any)
	if len(chans) != 2 || chans[0].(map[string]any)["uuid"] != e.s.DefaultChannel() || chans[1].(map[string]any)["uuid"] != ch {
		t.Errorf("extend.channels: %v", chans)
	}
	e.s.UpdateIssue(id, func(in *IssueInput) { in.Level = "lvl_custom" })
	list, _ = e.call("POST", "/api/v1/issue/list", `{"channelUUID":"`+ch+`"}`).items(t, ShapeListPage)
	if lv := list[0].(map[string]any)["level"]; lv != "lvl_custom" {
		t.Errorf("level = %v", lv)
	}
}

func TestIssueListFiltersAndSearch(t *testing.T) {
	e := newEnv(t, Options{})
	def := e.s.DefaultChannel()
	e.s.AddIssue(IssueInput{Name: "a", Description: "<b>disk full</b>", StatusType: 10})
	e.s.AddIssue(IssueInput{Name: "b", StatusType: 30})
	e.s.AddIssue(IssueInput{Name: "c", StatusType: 30, Creator: "acnt_x"})
	names := func(extra string) string {
		list, _ := e.call("POST", "/api/v1/issue/list", `{"channelUUID":"`+def+`"`+extra+`}`).items(t, ShapeListPage)
		var out []string
		for _, it := range list {
			out = append(out, it.(map[string]any)["name"].(string))
		}
		sort.Strings(out)
		return strings.Join(out, ",")
	}
	for extra, want := range map[string]string{
		``: "a,b,c",
		`,"filters":[{"key":"statusType","value":30,"equal":true}]`:                                                    "b,c",
		`,"filters":[{"key":"statusType","value":30,"equal":false}]`:                                                   "a",
		`,"filters":[{"key":"statusType","value":"30","equal":true},{"key":"creator","value":"acnt_x","equal":false}]`: "b",
		`,"search":"disk"`: "a",
		`,"search":""`:     "a,b,c",
	} {
		if got := names(extra); got != want {
			t.Errorf("%s: got %s, want %s", extra, got, want)
		}
	}
}

func TestIssueListValidation(t *testing.T) {
	e := newEnv(t, Options{})
	def := e.s.DefaultChannel()
	for _, body := range []string{
		`[]`, `not json`, `{}`, `{"channelUUID":""}`, `{"channelUUID":7}`,
		`{"channelUUID":"chan_nope"}`,
		`{"channelUUID":"` + def + `","startTime":"1"}`,
		`{"channelUUID":"` + def + `","startTime":1.5}`,
		`{"channelUUID":"` + def + `","startTime":-1}`,
		`{"channelUUID":"` + def + `","startTime":10,"endTime":5}`,
		`{"channelUUID":"` + def + `","pageIndex":0}`,
		`{"channelUUID":"` + def + `","pageSize":0}`,
		`{"channelUUID":"` + def + `","filters":{}}`,
		`{"channelUUID":"` + def + `","filters":[{"key":"nope","value":1}]}`,
		`{"channelUUID":"` + def + `","search":5}`,
	} {
		a := e.call("POST", "/api/v1/issue/list", body)
		if a.status != 400 || a.env["errorCode"] != CodeParam || a.env["success"] != false {
			t.Errorf("%s: got %d %s, want 400", body, a.status, a.raw)
		}
	}
}

func TestReplies(t *testing.T) {
	for _, shape := range []int{ShapeListPage, ShapeIndex} {
		t.Run(fmt.Sprint("shape", shape), func(t *testing.T) {
			e := newEnv(t, Options{PageSize: 2, ListShape: shape, APIUser: "acnt_bot"})
			id := e.s.AddIssue(IssueInput{Name: "x"})
			e.s.AddReply(id, "first, by a person", "acnt_person")
			e.clock.Advance(time.Minute)

			a := e.call("POST", "/api/v1/issue/reply/create", `{"issueUUID":"`+id+`","content":"from jira <b>","extend":{"extra":{"fixproof":{"jira":"OPS-1"}}},"attachmentUuids":[]}`)
			if a.status != 200 || a.env["success"] != true {
				t.Fatalf("create: %d %s", a.status, a.raw)
			}
			r := a.env["content"].(map[string]any)
			if r["content"] != "from jira <b>" || r["creator"] != "acnt_bot" || r["issueUUID"] != id || r["type"] != "reply" ||
				r["createAt"] != float64(noon.Add(time.Minute).Unix()) || !strings.HasPrefix(r["uuid"].(string), "repim_") {
				t.Errorf("created: %v", r)
			}
			if ext, _ := json.Marshal(r["extend"]); string(ext) != `{"extra":{"fixproof":{"jira":"OPS-1"}}}` {
				t.Errorf("extend = %s", ext)
			}
			e.call("POST", "/api/v1/issue/reply/create", `{"issueUUID":"`+id+`","content":"","extend":null}`)

			st, _ := e.s.Issue(id)
			if len(st.Replies) != 3 || st.Replies[0].Creator != "acnt_person" || st.Replies[1].Creator != "acnt_bot" || string(st.Replies[2].Extend) != `{}` {
				t.Fatalf("snapshot: %+v", st.Replies)
			}
			if !st.UpdateAt.Equal(noon) {
				t.Errorf("a reply moved updateAt to %s", st.UpdateAt)
			}

			var contents []string
			for idx := 1; idx <= 2; idx++ {
				list, info := e.call("GET", fmt.Sprintf("/api/v1/issue/reply/%s/list?pageIndex=%d&pageSize=2", id, idx), "").items(t, shape)
				if info["totalCount"] != float64(3) || info["pageIndex"] != float64(idx) {
					t.Errorf("pageInfo %v", info)
				}
				for _, it := range list {
					contents = append(contents, it.(map[string]any)["content"].(string))
				}
			}
			if strings.Join(contents, "|") != "first, by a person|from jira <b>|" {
				t.Errorf("replies: %q", contents)
			}
			e.call("GET", "/api/v1/issue/reply/issue_nope/list", "").wantError(t, 404, CodeNotFound)
			e.call("GET", "/api/v1/issue/reply/"+id+"/list?pageIndex=x", "").wantError(t, 400, CodeParam)
		})
	}
}

func TestCreateReplyValidation(t *testing.T) {
	e := newEnv(t, Options{})
	id := e.s.AddIssue(IssueInput{Name: "x"})
	long := strings.Repeat("é", maxContent+1)
	for _, body := range []string{
		`[]`, `{}`,
		`{"content":"a","extend":{}}`,
		`{"issueUUID":"","content":"a","extend":{}}`,
		`{"issueUUID":"` + id + `","content":"a"}`,
		`{"issueUUID":"` + id + `","content":"a","extend":[]}`,
		`{"issueUUID":"` + id + `","content":"a","extend":"x"}`,
		`{"issueUUID":"` + id + `","content":5,"extend":{}}`,
		`{"issueUUID":"` + id + `","content":"` + long + `","extend":{}}`,
		`{"issueUUID":"` + id + `","content":"a","extend":{},"attachmentUuids":"x"}`,
	} {
		a := e.call("POST", "/api/v1/issue/reply/create", body)
		if a.status != 400 || a.env["errorCode"] != CodeParam {
			t.Errorf("%.80s: got %d %.200s, want 400", body, a.status, a.raw)
		}
	}
	ok := e.call("POST", "/api/v1/issue/reply/create", `{"issueUUID":"`+id+`","content":"`+long[:len(long)-2]+`","extend":{}}`)
	if ok.status != 200 {
		t.Errorf("65535 characters: %d", ok.status)
	}
	e.call("POST", "/api/v1/issue/reply/create", `{"issueUUID":"issue_nope","content":"a","extend":{}}`).wantError(t, 404, CodeNotFound)
	if st, _ := e.s.Issue(id); len(st.Replies) != 1 {
		t.Errorf("%d replies stored, want 1", len(st.Replies))
	}
}

func TestModify(t *testing.T) {
	e := newEnv(t, Options{})
	id := e.s.AddIssue(IssueInput{Name: "x", StatusType: 10})
	e.clock.Advance(time.Hour)
	for _, st := range []int{15, 20, 25, 30, 10} {
		a := e.call("POST", "/api/v1/issue/"+id+"/modify", fmt.Sprintf(`{"statusType":%d}`, st))
		if a.status != 200 || a.env["content"].(map[string]any)["statusType"] != float64(st) {
			t.Errorf("statusType %d: %d %s", st, a.status, a.raw)
		}
	}
	for _, body := range []string{`{"statusType":11}`, `{"statusType":"20"}`, `[]`, `{"name":5}`} {
		e.call("POST", "/api/v1/issue/"+id+"/modify", body).wantError(t, 400, CodeParam)
	}
	st, _ := e.s.Issue(id)
	if st.StatusType != 10 || !st.UpdateAt.Equal(noon.Add(time.Hour)) || st.Updator != "fixproof" || len(st.Modifies) != 9 || st.Modifies[5] != `{"statusType":11}` {
		t.Errorf("snapshot: %+v", st)
	}
	e.call("POST", "/api/v1/issue/issue_nope/modify", `{"statusType":20}`).wantError(t, 404, CodeNotFound)
	e.call("GET", "/api/v1/issue/"+id+"/modify", "").wantError(t, 405, CodeMethod)
	e.call("GET", "/api/v1/issue/list", "").wantError(t, 405, CodeMethod)
	e.call("GET", "/api/v2/nope", "").wantError(t, 404, CodeNotFound)
}

func TestFaultBody(t *testing.T) {
	e := newEnv(t, Options{})
	e.s.Control.Inject(sim.Fault{PathPrefix: "/api/v1/", Status: 401, Body: ErrorBody(401, CodeAKRateLimit, "slow down")})
	e.call("GET", "/api/v1/channel/quick_list", "").wantError(t, 401, CodeAKRateLimit)
}

func TestSettersPanic(t *testing.T) {
	e := newEnv(t, Options{})
	for name, f := range map[string]func(){
		"unknown channel": func() { e.s.AddIssue(IssueInput{Channels: []string{"nope"}}) },
		"bad status":      func() { e.s.AddIssue(IssueInput{StatusType: 11}) },
		"unknown issue":   func() { e.s.AddReply("issue_nope", "x", "") },
		"update unknown":  func() { e.s.UpdateIssue("issue_nope", func(*IssueInput) {}) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

func TestConcurrent(t *testing.T) {
	e := newEnv(t, Options{PageSize: 5})
	id := e.s.AddIssue(IssueInput{Name: "x"})
	def := e.s.DefaultChannel()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e.s.AddReply(id, fmt.Sprint("p", i), "")
			e.call("POST", "/api/v1/issue/reply/create", fmt.Sprintf(`{"issueUUID":%q,"content":"b%d","extend":{}}`, id, i))
			e.call("POST", "/api/v1/issue/"+id+"/modify", `{"statusType":15}`)
			e.call("POST", "/api/v1/issue/list", `{"channelUUID":"`+def+`"}`)
			e.call("GET", "/api/v1/issue/reply/"+id+"/list", "")
			e.s.Issue(id)
		}()
	}
	wg.Wait()
	if st, _ := e.s.Issue(id); len(st.Replies) != 16 {
		t.Errorf("%d replies, want 16", len(st.Replies))
	}
}

// TestRenderedFieldsDocumented checks that every field name the simulator
// renders (at any depth) is mentioned in the page documenting the answer:
// the simulator invents no fields. The reply list and modify answers have
// no page; they render the same objects as the create and list answers.
func TestRenderedFieldsDocumented(t *testing.T) {
	dir := contract.Require(t)
	page := func(rel string) string {
		b, err := os.ReadFile(filepath.Join(dir, "guance", rel))
		if err != nil {
			t.Fatalf("contract page: %v", err)
		}
		return string(b)
	}
	index := page("en/open-api/index@84245ed1.md")
	e := newEnv(t, Options{})
	id := e.s.AddIssue(IssueInput{Name: "x"})
	check := func(what, doc string, v any) {
		t.Helper()
		for _, k := range keys(v) {
			if !mentions(doc, k) && !mentions(index, k) {
				t.Errorf("%s: field %q is not in its page", what, k)
			}
		}
	}
	check("channel list", page("zh/open-api/channel/quick-list@0be651a1.md"), e.call("GET", "/api/v1/channel/quick_list", "").env)
	list := page("zh/open-api/issue/list@74f6f285.md")
	check("issue list", list, e.call("POST", "/api/v1/issue/list", `{"channelUUID":"`+e.s.DefaultChannel()+`"}`).env)
	check("modify", list, e.call("POST", "/api/v1/issue/"+id+"/modify", `{"statusType":20}`).env)
	create := page("zh/open-api/issue/createissuereply@25016845.md")
	check("reply create", create, e.call("POST", "/api/v1/issue/reply/create", `{"issueUUID":"`+id+`","content":"a","extend":{}}`).env)
	check("reply list", create, e.call("GET", "/api/v1/issue/reply/"+id+"/list", "").env)
	check("error", page("en/open-api/error-definition@4af7e274.md"), e.call("GET", "/api/v1/channel/quick_list", "", "wrong").env)
}

// keys lists the object keys of a decoded JSON value, at any depth.
func keys(v any) []string {
	var out []string
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			out = append(out, k)
			out = append(out, keys(e)...)
		}
	case []any:
		for _, e := range v {
			out = append(out, keys(e)...)
		}
	}
	return out
}

// mentions reports whether doc has name as a whole word.
func mentions(doc, name string) bool {
	return regexp.MustCompile(`(^|[^A-Za-z0-9_])` + regexp.QuoteMeta(name) + `($|[^A-Za-z0-9_])`).MatchString(doc)
}
