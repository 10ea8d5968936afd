package guance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/fixproof/fixproof/internal/retry"
	"github.com/fixproof/fixproof/internal/sim"
	"github.com/fixproof/fixproof/internal/sim/guancesim"
)

var noon = time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)

type env struct {
	c     *Client
	s     *guancesim.Server
	url   string
	clock *sim.Clock
}

// setup starts a simulator with API key "key" and a client for it.
func setup(t *testing.T, o guancesim.Options) *env {
	t.Helper()
	e := &env{clock: sim.NewClock(noon)}
	o.APIKey, o.Now = "key", e.clock.Now
	e.s = guancesim.New(o)
	srv := httptest.NewServer(e.s.Handler())
	t.Cleanup(srv.Close)
	e.url = srv.URL
	e.c = e.client(t, Config{})
	return e
}

func (e *env) client(t *testing.T, cfg Config) *Client {
	t.Helper()
	if cfg.BaseURL == "" {
		cfg.BaseURL = e.url
	}
	if cfg.APIKey == "" {
		cfg.APIKey = "key"
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var shapes = []int{guancesim.ShapeListPage, guancesim.ShapeIndex}

func TestNew(t *testing.T) {
	for _, cfg := range []Config{
		{},
		{APIKey: "  "},
		{APIKey: "a b"},
		{APIKey: "k\n"},
		{APIKey: "k", BaseURL: "ftp://openapi.guance.com"},
		{APIKey: "k", BaseURL: "https://"},
		{APIKey: "k", BaseURL: "https://u:p@openapi.guance.com"},
		{APIKey: "k", BaseURL: "https://openapi.guance.com?x=1"},
		{APIKey: "k", BaseURL: "https://openapi.guance.com/api/v1/"},
		{APIKey: "k", BaseURL: "://"},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
	c, err := New(Config{APIKey: "k"})
	if err != nil || c.api.Base != DefaultBaseURL || c.api.HTTP != http.DefaultClient {
		t.Errorf("defaults: %v %+v", err, c)
	}
	c, err = New(Config{APIKey: "k", BaseURL: "https://guance.example.com/prefix/"})
	if err != nil || c.api.Base != "https://guance.example.com/prefix" {
		t.Errorf("private deployment: %v %+v", err, c)
	}
}

func TestRequestHeaders(t *testing.T) {
	var got http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		io.WriteString(w, `{"code":200,"content":[],"errorCode":"","message":"","success":true,"traceId":"1"}`)
	}))
	defer srv.Close()
	c, _ := New(Config{APIKey: "secret", BaseURL: srv.URL, UserAgent: "fixproof-test"})
	if _, err := c.Channels(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got.Get("DF-API-KEY") != "secret" || got.Get("Content-Type") != "application/json" || got.Get("User-Agent") != "fixproof-test" {
		t.Errorf("headers: %v", got)
	}
}

func TestChannels(t *testing.T) {
	e := setup(t, guancesim.Options{Workspace: "wksp_acme"})
	ops := e.s.AddChannel("ops")
	chs, err := e.c.Channels(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []Channel{{e.s.DefaultChannel(), guancesim.DefaultChannelName, "wksp_acme"}, {ops, "ops", "wksp_acme"}}
	if fmt.Sprint(chs) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", chs, want)
	}
}

// TestIssuesPaging lists 250 issues through a server answering pages of
// 20, in both documented shapes, asking for pages of 20 and of 100 (the
// server's smaller pages must be followed by pageInfo).
func TestIssuesPaging(t *testing.T) {
	for _, shape := range shapes {
		for _, ask := range []int{20, 100, 0} {
			t.Run(fmt.Sprintf("shape%d/ask%d", shape, ask), func(t *testing.T) {
				e := setup(t, guancesim.Options{PageSize: 20, ListShape: shape})
				ch := e.s.AddChannel("ops")
				want := map[string]bool{}
				for i := range 250 {
					want[e.s.AddIssue(guancesim.IssueInput{Name: fmt.Sprint("issue ", i), Channels: []string{ch}, CreateAt: noon.Add(time.Duration(i) * time.Second)})] = true
				}
				e.s.AddIssue(guancesim.IssueInput{Name: "other channel"})
				got, err := e.c.Issues(context.Background(), IssueQuery{Start: noon, End: noon.Add(time.Hour), ChannelUUIDs: []string{ch}, PageSize: ask})
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != 250 {
					t.Fatalf("got %d issues, want 250", len(got))
				}
				for i, is := range got {
					if !want[is.UUID] {
						t.Fatalf("unexpected or repeated issue %s", is.UUID)
					}
					delete(want, is.UUID)
					if i > 0 && got[i-1].UpdateAt.After(is.UpdateAt) {
						t.Fatalf("not oldest update first at %d", i)
					}
				}
				if n := e.s.Control.Count("POST /api/v1/issue/list"); n != 13 {
					t.Errorf("%d list requests, want 13 (250 issues in pages of 20)", n)
				}
			})
		}
	}
}

func TestIssueFields(t *testing.T) {
	for _, shape := range shapes {
		t.Run(fmt.Sprint("shape", shape), func(t *testing.T) {
			e := setup(t, guancesim.Options{ListShape: shape, Workspace: "wksp_test"})
			ch := e.s.AddChannel("ops")
			desc := `<span data-info="{&quot;item&quot;:{}}">disk &amp; full</span>`
			id := e.s.AddIssue(guancesim.IssueInput{Name: "disk full", Description: desc, Level: "2", StatusType: StatusPending, Channels: []string{"ops"}, Creator: "acnt_a", CreateAt: noon.Add(-time.Hour)})
			e.clock.Set(noon.Add(time.Minute))
			e.s.UpdateIssue(id, func(in *guancesim.IssueInput) { in.StatusType = StatusWorking })
			got, err := e.c.Issues(context.Background(), IssueQuery{Start: noon, End: noon.Add(time.Hour), ChannelUUIDs: []string{ch}})
			if err != nil || len(got) != 1 {
				t.Fatalf("%v %v", got, err)
			}
			is := got[0]
			if is.UUID != id || is.Name != "disk full" || is.Description != desc || is.Level != "2" || is.StatusType != StatusWorking || is.Status != "Working" ||
				is.Creator != "acnt_a" || is.WorkspaceUUID != "wksp_test" || !is.CreateAt.Equal(noon.Add(-time.Hour)) || !is.UpdateAt.Equal(noon.Add(time.Minute)) {
				t.Errorf("issue: %+v", is)
			}
			if fmt.Sprint(is.Channels) != fmt.Sprint([]string{e.s.DefaultChannel(), ch}) {
				t.Errorf("channels %v", is.Channels)
			}
			var ext struct {
				Channels []struct{ UUID string } `json:"channels"`
			}
			if err := json.Unmarshal(is.Extend, &ext); err != nil || len(ext.Channels) != 2 {
				t.Errorf("extend %s: %v", is.Extend, err)
			}
		})
	}
}

// TestIssuesWindow checks the window: [Start, End) in seconds, on updateAt
// in the simulator, End rounded up.
func TestIssuesWindow(t *testing.T) {
	e := setup(t, guancesim.Options{})
	old := e.s.AddIssue(guancesim.IssueInput{Name: "old", CreateAt: noon.Add(-24 * time.Hour)})
	e.s.AddIssue(guancesim.IssueInput{Name: "at start", CreateAt: noon})
	e.s.AddIssue(guancesim.IssueInput{Name: "at end", CreateAt: noon.Add(10 * time.Minute)})
	e.s.AddIssue(guancesim.IssueInput{Name: "later", CreateAt: noon.Add(time.Hour)})
	e.clock.Set(noon.Add(5 * time.Minute))
	e.s.UpdateIssue(old, func(in *guancesim.IssueInput) { in.StatusType = StatusResolved })

	names := func(from, to time.Time) string {
		t.Helper()
		got, err := e.c.Issues(context.Background(), IssueQuery{Start: from, End: to})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, is := range got {
			out = append(out, is.Name)
		}
		return strings.Join(out, ",")
	}
	if got := names(noon, noon.Add(10*time.Minute)); got != "at start,old" {
		t.Errorf("[12:00, 12:10) = %q, want the issue created at the start and the old one updated at 12:05", got)
	}
	if got := names(noon.Add(time.Second), noon.Add(10*time.Minute+time.Millisecond)); got != "old,at end" {
		t.Errorf("[12:00:01, 12:10:00.001) = %q, want old and the one at 12:10 (end rounded up)", got)
	}
	if got := names(noon.Add(-48*time.Hour), noon.Add(-time.Hour)); got != "" {
		t.Errorf("the old issue's creation window = %q: it was updated since", got)
	}
}

func TestIssuesAllChannels(t *testing.T) {
	e := setup(t, guancesim.Options{PageSize: 2})
	a, b := e.s.AddChannel("a"), e.s.AddChannel("b")
	both := e.s.AddIssue(guancesim.IssueInput{Name: "both", Channels: []string{a, b}})
	e.s.AddIssue(guancesim.IssueInput{Name: "a only", Channels: []string{a}})
	e.s.AddIssue(guancesim.IssueInput{Name: "default only"})
	got, err := e.c.Issues(context.Background(), IssueQuery{Start: noon, End: noon.Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("got %d issues, want 3 (each once): %+v", len(got), got)
	}
	for _, is := range got {
		if is.UUID == both && fmt.Sprint(is.Channels) != fmt.Sprint([]string{e.s.DefaultChannel(), a, b}) {
			t.Errorf("channels of the shared issue: %v", is.Channels)
		}
	}
	if n := e.s.Control.Count("GET /api/v1/channel/quick_list"); n != 1 {
		t.Errorf("%d channel lists, want 1", n)
	}
}

func TestIssuesValidation(t *testing.T) {
	e := setup(t, guancesim.Options{})
	for _, q := range []IssueQuery{
		{},
		{Start: noon},
		{Start: noon, End: noon},
		{Start: noon, End: noon.Add(-time.Second)},
		{Start: time.Unix(-10, 0), End: noon},
		{Start: noon, End: noon.Add(time.Hour), PageSize: -1},
		{Start: noon, End: noon.Add(time.Hour), PageSize: 5000},
		{Start: noon, End: noon.Add(time.Hour), ChannelUUIDs: []string{"../x"}},
		{Start: noon, End: noon.Add(time.Hour), ChannelUUIDs: []string{""}},
	} {
		if _, err := e.c.Issues(context.Background(), q); err == nil {
			t.Errorf("%+v accepted", q)
		}
	}
	if n := e.s.Control.Total(); n != 0 {
		t.Errorf("%d requests sent for invalid queries", n)
	}
	_, err := e.c.Issues(context.Background(), IssueQuery{Start: noon, End: noon.Add(time.Hour), ChannelUUIDs: []string{"chan_unknown"}})
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 400 || ae.Code != guancesim.CodeParam {
		t.Errorf("unknown channel: %v", err)
	}
}

func TestAuthErrors(t *testing.T) {
	e := setup(t, guancesim.Options{})
	bad := e.client(t, Config{APIKey: "wrong"})
	_, err := bad.Channels(context.Background())
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 403 || ae.Code != CodeInvalidAPIKey || !ae.Auth() || ae.RateLimited() || ae.Message == "" || ae.TraceID == "" {
		t.Fatalf("wrong key: %#v", err)
	}
	if !strings.Contains(err.Error(), "ft.InvalidAPIKey") || !strings.Contains(err.Error(), "list channels") {
		t.Errorf("message %q", err)
	}

	// Guance's rate limits are 401s (error-definition): not an auth failure.
	for _, code := range []string{CodeAKRateLimit, CodeWorkspaceRateLimit} {
		e.s.Control.Inject(sim.Fault{PathPrefix: "/api/v1/issue/list", Status: 401, Body: guancesim.ErrorBody(401, code, "limited")})
		_, err = e.c.Issues(context.Background(), IssueQuery{Start: noon, End: noon.Add(time.Hour), ChannelUUIDs: []string{e.s.DefaultChannel()}})
		if !errors.As(err, &ae) || ae.Status != 401 || ae.Code != code || ae.Auth() || !ae.RateLimited() {
			t.Errorf("%s: %#v", code, err)
		}
	}
	// A bare 401 (a proxy, say) is an auth failure.
	e.s.Control.Inject(sim.Fault{Status: 401, Body: "<html>Unauthorized</html>"})
	_, err = e.c.Replies(context.Background(), "issue_x")
	if !errors.As(err, &ae) || ae.Status != 401 || !ae.Auth() || ae.Message != "<html>Unauthorized</html>" {
		t.Errorf("bare 401: %#v", err)
	}
}

// A body that is not Guance's envelope is quoted, shortened on a character
// boundary: an error message is valid UTF-8.
func TestErrorQuotesAForeignBodyWithoutSplittingACharacter(t *testing.T) {
	e := setup(t, guancesim.Options{})
	body := strings.Repeat("x", 199) + "网关错误 (a proxy's page)"
	e.s.Control.Inject(sim.Fault{Status: 502, Body: body})
	_, err := e.c.Channels(context.Background())
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 502 || ae.Message != strings.Repeat("x", 199)+"..." || !utf8.ValidString(err.Error()) {
		t.Errorf("502 with a foreign body: %q", err)
	}
}

// TestEnvelopeErrorOn200: the index page says success is true, errorCode
// empty and code 200 when there is no error; an envelope saying otherwise
// is an error even on HTTP 200.
func TestEnvelopeErrorOn200(t *testing.T) {
	e := setup(t, guancesim.Options{})
	id := e.s.AddIssue(guancesim.IssueInput{Name: "x"})
	for name, body := range map[string]string{
		"errorCode":     `{"code":200,"content":null,"errorCode":"ft.Something","message":"nope","success":true,"traceId":"7"}`,
		"success false": `{"code":200,"content":null,"errorCode":"","message":"nope","success":false,"traceId":"7"}`,
		"code 403":      `{"code":403,"content":null,"errorCode":"ft.InvalidAPIKey","message":"nope","success":false,"traceId":"7"}`,
	} {
		e.s.Control.Inject(sim.Fault{PathPrefix: "/api/v1/issue/", Status: 200, Body: body, After: true})
		_, err := e.c.Reply(context.Background(), id, "hello", nil)
		var ae *APIError
		if !errors.As(err, &ae) || ae.Message != "nope" || ae.TraceID != "7" {
			t.Errorf("%s: %#v", name, err)
			continue
		}
		if name == "code 403" && (ae.Status != 403 || !ae.Auth()) {
			t.Errorf("%s: status %d", name, ae.Status)
		}
	}
	for name, body := range map[string]string{
		"not JSON":      `<html>ok</html>`,
		"no success":    `{"code":200,"content":[]}`,
		"content=issue": `{"code":200,"content":{"uuid":"x"},"errorCode":"","message":"","success":true}`,
	} {
		e.s.Control.Inject(sim.Fault{PathPrefix: "/api/v1/issue/list", Status: 200, Body: body})
		if _, err := e.c.Issues(context.Background(), IssueQuery{Start: noon, End: noon.Add(time.Hour), ChannelUUIDs: []string{e.s.DefaultChannel()}}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestReplies(t *testing.T) {
	for _, shape := range shapes {
		t.Run(fmt.Sprint("shape", shape), func(t *testing.T) {
			e := setup(t, guancesim.Options{PageSize: 3, ListShape: shape})
			id := e.s.AddIssue(guancesim.IssueInput{Name: "x"})
			var want []string
			for i := range 10 {
				want = append(want, e.s.AddReply(id, fmt.Sprint("person ", i), "acnt_p"))
				e.clock.Advance(time.Second)
			}
			ext := map[string]any{"extra": map[string]any{"fixproof": map[string]any{"jira": "OPS-7", "comment": 10001}}}
			r, err := e.c.Reply(context.Background(), id, "From Jira: <b>fixed</b> & shipped", ext)
			if err != nil {
				t.Fatal(err)
			}
			if r.UUID == "" || r.IssueUUID != id || r.Content != "From Jira: <b>fixed</b> & shipped" || r.Creator != "fixproof" || r.Type != "reply" || !r.CreateAt.Equal(noon.Add(10*time.Second)) {
				t.Errorf("reply: %+v", r)
			}
			if string(r.Extend) != `{"extra":{"fixproof":{"comment":10001,"jira":"OPS-7"}}}` {
				t.Errorf("extend %s", r.Extend)
			}
			want = append(want, r.UUID)
			if _, err := e.c.Reply(context.Background(), id, "no extend", nil); err != nil {
				t.Fatal(err)
			}

			got, err := e.c.Replies(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 12 {
				t.Fatalf("%d replies, want 12", len(got))
			}
			for i, u := range want {
				if got[i].UUID != u {
					t.Errorf("reply %d is %s, want %s", i, got[i].UUID, u)
				}
			}
			if got[0].Creator != "acnt_p" || got[10].Creator != "fixproof" || string(got[10].Extend) != string(r.Extend) || string(got[11].Extend) != `{}` || got[11].IssueUUID != id {
				t.Errorf("replies: %+v / %+v / %+v", got[0], got[10], got[11])
			}
			if n := e.s.Control.CountPrefix("GET /api/v1/issue/reply/"); n != 4 {
				t.Errorf("%d reply list requests, want 4 (12 in pages of 3)", n)
			}
			st, _ := e.s.Issue(id)
			if len(st.Replies) != 12 || string(st.Replies[10].Extend) != string(r.Extend) {
				t.Errorf("server: %+v", st.Replies)
			}

			_, err = e.c.Replies(context.Background(), "issue_nope")
			if !errors.Is(err, ErrNotFound) {
				t.Errorf("unknown issue: %v", err)
			}
		})
	}
}

func TestReplyValidation(t *testing.T) {
	e := setup(t, guancesim.Options{})
	id := e.s.AddIssue(guancesim.IssueInput{Name: "x"})
	ctx := context.Background()
	for name, f := range map[string]func() error{
		"bad uuid":     func() error { _, err := e.c.Reply(ctx, "issue/../x", "a", nil); return err },
		"empty uuid":   func() error { _, err := e.c.Reply(ctx, "", "a", nil); return err },
		"blank":        func() error { _, err := e.c.Reply(ctx, id, " \n", nil); return err },
		"too long":     func() error { _, err := e.c.Reply(ctx, id, strings.Repeat("长", 65536), nil); return err },
		"bad utf-8":    func() error { _, err := e.c.Reply(ctx, id, "a\xffb", nil); return err },
		"bad extend":   func() error { _, err := e.c.Reply(ctx, id, "a", map[string]any{"f": func() {}}); return err },
		"replies uuid": func() error { _, err := e.c.Replies(ctx, "a b"); return err },
		"status uuid":  func() error { return e.c.SetStatus(ctx, "a?b", StatusOpen) },
		"status 11":    func() error { return e.c.SetStatus(ctx, id, 11) },
		"status 0":     func() error { return e.c.SetStatus(ctx, id, 0) },
	} {
		if err := f(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if n := e.s.Control.Total(); n != 0 {
		t.Errorf("%d requests sent for invalid input", n)
	}
	if _, err := e.c.Reply(ctx, id, strings.Repeat("长", 65535), nil); err != nil {
		t.Errorf("65535 characters: %v", err)
	}
	if _, err := e.c.Reply(ctx, "issue_nope", "a", nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown issue: %v", err)
	}
}

func TestSetStatus(t *testing.T) {
	e := setup(t, guancesim.Options{})
	id := e.s.AddIssue(guancesim.IssueInput{Name: "x"})
	for _, st := range []int{StatusWorking, StatusResolved, StatusClosed, StatusPending, StatusOpen, StatusResolved} {
		e.clock.Advance(time.Minute)
		if err := e.c.SetStatus(context.Background(), id, st); err != nil {
			t.Fatalf("%d: %v", st, err)
		}
		got, _ := e.s.Issue(id)
		if got.StatusType != st || !got.UpdateAt.Equal(e.clock.Now()) || got.Updator != "fixproof" {
			t.Errorf("after %d: %+v", st, got)
		}
	}
	got, _ := e.s.Issue(id)
	if got.Modifies[0] != `{"statusType":15}` {
		t.Errorf("body sent: %s", got.Modifies[0])
	}
	if err := e.c.SetStatus(context.Background(), "issue_nope", StatusResolved); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown issue: %v", err)
	}
	// An answer showing another status is an error.
	e.s.Control.Inject(sim.Fault{PathPrefix: "/api/v1/issue/", Status: 200, Body: `{"code":200,"content":{"uuid":"x","statusType":10},"errorCode":"","message":"","success":true,"traceId":"1"}`})
	if err := e.c.SetStatus(context.Background(), id, StatusClosed); err == nil || !strings.Contains(err.Error(), "statusType 10") {
		t.Errorf("mismatching answer: %v", err)
	}
}

// TestRetry: the list (a read sent as POST) and modify are retried after
// a 502; a reply (a create) is not.
func TestRetry(t *testing.T) {
	e := setup(t, guancesim.Options{})
	id := e.s.AddIssue(guancesim.IssueInput{Name: "x"})
	noSleep := func(context.Context, time.Duration) error { return nil }
	c := e.client(t, Config{HTTPClient: &http.Client{Transport: &retry.Transport{Policy: retry.Policy{Attempts: 3, Sleep: noSleep}}}})
	ctx := context.Background()

	e.s.Control.Inject(sim.Fault{PathPrefix: "/api/v1/issue/list", Status: 502, Body: guancesim.ErrorBody(502, "ft.Bad", "bad gateway")})
	if _, err := c.Issues(ctx, IssueQuery{Start: noon, End: noon.Add(time.Hour), ChannelUUIDs: []string{e.s.DefaultChannel()}}); err != nil {
		t.Errorf("list after a 502: %v", err)
	}
	e.s.Control.Inject(sim.Fault{PathPrefix: "/api/v1/issue/" + id + "/modify", Status: 502})
	if err := c.SetStatus(ctx, id, StatusResolved); err != nil {
		t.Errorf("modify after a 502: %v", err)
	}
	e.s.Control.Inject(sim.Fault{PathPrefix: "/api/v1/issue/reply/create", Status: 502, Body: guancesim.ErrorBody(502, "ft.Bad", "bad gateway"), After: true})
	_, err := c.Reply(ctx, id, "once", nil)
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 502 {
		t.Errorf("reply after a 502: %v", err)
	}
	if st, _ := e.s.Issue(id); len(st.Replies) != 1 {
		t.Errorf("%d replies stored, want 1 (not sent twice)", len(st.Replies))
	}
}

// TestPagingGuards: a server that answers another page than asked, or
// ignores pageIndex without pageInfo, does not make the client loop.
func TestPagingGuards(t *testing.T) {
	item := func(i int) string { return fmt.Sprintf(`{"uuid":"repim_%d","content":"c","createAt":%d}`, i, 1000+i) }
	page := func(items []string, info string) string {
		s := `{"code":200,"content":[` + strings.Join(items, ",") + `],"errorCode":"","message":"","success":true,"traceId":"1"`
		if info != "" {
			s += `,"pageInfo":` + info
		}
		return s + "}"
	}
	full := make([]string, 100)
	for i := range full {
		full[i] = item(i)
	}
	var calls atomic.Int32
	cases := map[string]struct {
		handler func(idx string) string
		wantErr bool
		want    int
	}{
		"always page 1": {func(string) string {
			return page(full[:2], `{"count":2,"pageIndex":1,"pageSize":2,"totalCount":10}`)
		}, true, 0},
		"no pageInfo, ignores pageIndex": {func(string) string { return page(full, "") }, false, 100},
		"no pageInfo, short page":        {func(string) string { return page(full[:5], "") }, false, 5},
		"no pageInfo, pages": {func(idx string) string {
			if idx == "1" {
				return page(full, "")
			}
			return page([]string{item(100)}, "")
		}, false, 101},
		"totalCount shrinks": {func(idx string) string {
			if idx == "1" {
				return page(full[:2], `{"count":2,"pageIndex":1,"pageSize":2,"totalCount":4}`)
			}
			return page(full[2:3], `{"count":1,"pageIndex":2,"pageSize":2,"totalCount":3}`)
		}, false, 3},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			calls.Store(0)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if calls.Add(1) > 50 {
					http.Error(w, "too many", 500)
					return
				}
				io.WriteString(w, tc.handler(r.URL.Query().Get("pageIndex")))
			}))
			defer srv.Close()
			c, _ := New(Config{APIKey: "k", BaseURL: srv.URL})
			got, err := c.Replies(context.Background(), "issue_x")
			if tc.wantErr != (err != nil) || len(got) != tc.want {
				t.Errorf("got %d replies, %v", len(got), err)
			}
		})
	}
}

func TestDecodeLenient(t *testing.T) {
	is, err := decodeIssue(json.RawMessage(`{"uuid":"issue_1","level":"lvl_x","statusType":"20","createAt":1690424627.5,"updateAt":null,"extend":null}`))
	if err != nil || is.Level != "lvl_x" || is.StatusType != 20 || is.Status != "Resolved" || is.CreateAt.UnixMilli() != 1690424627500 || !is.UpdateAt.IsZero() || is.Extend != nil {
		t.Errorf("%+v %v", is, err)
	}
	for _, bad := range []string{`{"name":"no uuid"}`, `{"uuid":"i","createAt":1690424627000}`, `{"uuid":"i","statusType":true}`, `[]`} {
		if _, err := decodeIssue(json.RawMessage(bad)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestContextCanceled(t *testing.T) {
	e := setup(t, guancesim.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.c.Channels(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v", err)
	}
}

func TestPageReachesTotalByItsPageSizeOrElseItsLength(t *testing.T) {
	total := func(n int) *int { return &n }
	tests := []struct {
		pi     pageInfo
		idx, n int
		want   bool
	}{
		{pageInfo{PageSize: 10, TotalCount: total(25)}, 2, 10, false},
		{pageInfo{PageSize: 10, TotalCount: total(25)}, 3, 5, true},
		{pageInfo{PageSize: 10, TotalCount: total(20)}, 2, 10, true},
		// No pageSize: the pages are as long as this one.
		{pageInfo{TotalCount: total(21)}, 2, 10, false},
		{pageInfo{TotalCount: total(20)}, 2, 10, true},
	}
	for _, tt := range tests {
		if got := tt.pi.reachesTotal(tt.idx, tt.n); got != tt.want {
			t.Errorf("page %d of %d items, pageSize %d, totalCount %d: reachesTotal %v, want %v", tt.idx, tt.n, tt.pi.PageSize, *tt.pi.TotalCount, got, tt.want)
		}
	}
}
