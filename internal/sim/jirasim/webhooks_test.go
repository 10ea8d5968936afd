package jirasim

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/contract"
	"github.com/fixproof/fixproof/internal/jirahook"
	"github.com/fixproof/fixproof/internal/jiramarkup"
	hub "github.com/fixproof/fixproof/internal/webhook"
)

const hookSecret = "webhook-secret"

// delivery is one request a receiver got.
type gotHook struct {
	header http.Header
	body   []byte
}

// receiver is a webhook endpoint that records what it gets and answers
// with status(n) for its n-th request (0-based).
type receiver struct {
	t      *testing.T
	url    string
	mu     sync.Mutex
	got    []gotHook
	status func(n int) int
}

func newReceiver(t *testing.T, status func(n int) int) *receiver {
	t.Helper()
	r := &receiver{t: t, status: status}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		n := len(r.got)
		r.got = append(r.got, gotHook{req.Header.Clone(), b})
		r.mu.Unlock()
		code := http.StatusNoContent
		if r.status != nil {
			code = r.status(n)
		}
		w.WriteHeader(code)
	}))
	t.Cleanup(ts.Close)
	r.url = ts.URL + "/hooks/jira"
	return r
}

func (r *receiver) all() []gotHook {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// decoded checks every delivery's signature and decodes it.
func (r *receiver) decoded() []jirahook.Event {
	r.t.Helper()
	var out []jirahook.Event
	for _, g := range r.all() {
		if !hub.VerifyHubSignature(g.body, hookSecret, g.header.Get("X-Hub-Signature")) {
			r.t.Fatalf("signature %q does not verify", g.header.Get("X-Hub-Signature"))
		}
		ev, err := jirahook.Decode(g.body, g.header.Get("X-Atlassian-Webhook-Identifier"))
		if err != nil {
			r.t.Fatalf("decode: %v\n%s", err, g.body)
		}
		out = append(out, ev)
	}
	return out
}

func waitHooks(t *testing.T, srv *Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.WaitWebhooks(ctx); err != nil {
		t.Fatalf("WaitWebhooks: %v", err)
	}
}

// hooked is a server with issue OPS-1 and a webhook to a receiver.
func hooked(t *testing.T, flavor Flavor, status func(int) int, events ...string) (*Server, *client, *receiver) {
	t.Helper()
	srv, c := newServer(t, flavor, "OPS-1")
	rec := newReceiver(t, status)
	srv.AddWebhook(rec.url, hookSecret, events...)
	return srv, c, rec
}

// checkShapes validates the parts of a webhook body that reuse REST
// shapes against Atlassian's OpenAPI document, when the contracts are
// present: comment as Comment, issue as IssueBean, user as User,
// changelog as Changelog (in a PageBeanChangelog).
func checkShapes(t *testing.T, body []byte) {
	t.Helper()
	if _, ok := contract.Dir(); !ok {
		return
	}
	spec := contract.JiraSpec(t)
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	check := func(what, path string, v []byte) {
		t.Helper()
		req := httptest.NewRequest(http.MethodGet, path, nil)
		if err := spec.ValidateResponse(req, http.StatusOK, http.Header{"Content-Type": {"application/json"}}, v); err != nil {
			t.Errorf("%s does not match the spec: %v\n%s", what, err, v)
		}
	}
	if v, ok := m["comment"]; ok {
		check("comment", "/rest/api/3/issue/OPS-1/comment/10000", v)
	}
	if v, ok := m["issue"]; ok {
		check("issue", "/rest/api/3/issue/OPS-1", v)
	}
	if v, ok := m["user"]; ok {
		check("user", "/rest/api/3/user?accountId=x", v)
	}
	if v, ok := m["changelog"]; ok {
		page := `{"startAt":0,"maxResults":1,"total":1,"isLast":true,"values":[` + string(v) + `]}`
		check("changelog", "/rest/api/3/issue/OPS-1/changelog", []byte(page))
	}
	var ts json.Number
	if json.Unmarshal(m["timestamp"], &ts) != nil {
		t.Errorf("timestamp %s is not a number", m["timestamp"])
	}
}

func TestWebhookCommentsThroughAPI(t *testing.T) {
	for _, flavor := range []Flavor{Cloud, DataCenter} {
		t.Run(flavor.String(), func(t *testing.T) {
			srv, c, rec := hooked(t, flavor, nil, "comment_created", "comment_updated", "comment_deleted")
			v, body, body2 := "2", any("hello *world*"), any("edited")
			if flavor == Cloud {
				v, body, body2 = "3", adfDoc("hello world"), adfDoc("edited")
			}
			cm := obj(t, c.want(201, "POST", "/rest/api/"+v+"/issue/OPS-1/comment", map[string]any{"body": body}))
			id := cm["id"].(string)
			waitHooks(t, srv)
			c.want(200, "PUT", "/rest/api/"+v+"/issue/OPS-1/comment/"+id, map[string]any{"body": body2})
			waitHooks(t, srv)
			c.want(204, "DELETE", "/rest/api/"+v+"/issue/OPS-1/comment/"+id, nil)
			waitHooks(t, srv)

			evs := rec.decoded()
			if len(evs) != 3 {
				t.Fatalf("%d webhooks, want 3", len(evs))
			}
			account := srv.Account()
			for i, kind := range []string{jirahook.CommentCreated, jirahook.CommentUpdated, jirahook.CommentDeleted} {
				ev := evs[i]
				if ev.Kind != kind || ev.IssueKey != "OPS-1" || ev.IssueID == "" || ev.Comment == nil || ev.Comment.ID != id || ev.At.IsZero() {
					t.Errorf("webhook %d: %+v", i, ev)
					continue
				}
				// The bot recognises its own comments by the author.
				want := jirahook.User{AccountID: account.AccountID, DisplayName: "Fixproof Bot"}
				if flavor == DataCenter {
					want = jirahook.User{Name: "fixproof", DisplayName: "Fixproof Bot"}
				}
				if ev.Comment.Author != want || ev.Actor != want {
					t.Errorf("webhook %d: author %+v actor %+v, want %+v", i, ev.Comment.Author, ev.Actor, want)
				}
				if ev.Comment.BodyIsADF() != (flavor == Cloud) {
					t.Errorf("webhook %d: body %s", i, ev.Comment.Body)
				}
			}
			if md := jiramarkup.Text(evs[0].Comment.Body); md != map[Flavor]string{Cloud: "hello world", DataCenter: "hello **world**"}[flavor] {
				t.Errorf("first body reads %q", md)
			}
			if md := jiramarkup.Text(evs[1].Comment.Body); md != "edited" {
				t.Errorf("edited body reads %q", md)
			}
			for i, g := range rec.all() {
				if g.header.Get("X-Atlassian-Webhook-Flow") != "Primary" || g.header.Get("X-Atlassian-Webhook-Retry") != "" ||
					g.header.Get("Content-Type") != "application/json" {
					t.Errorf("webhook %d headers: %v", i, g.header)
				}
				checkShapes(t, g.body)
				// Self links point at the server the API was used on.
				var m struct {
					Comment struct{ Self string }
				}
				_ = json.Unmarshal(g.body, &m)
				if !strings.HasPrefix(m.Comment.Self, c.base+"/rest/api/"+v+"/issue/") {
					t.Errorf("comment self %q", m.Comment.Self)
				}
			}
		})
	}
}

func TestWebhookCommentAs(t *testing.T) {
	for _, flavor := range []Flavor{Cloud, DataCenter} {
		t.Run(flavor.String(), func(t *testing.T) {
			srv, c, rec := hooked(t, flavor, nil)
			ana := User{AccountID: "557058:ana", Name: "ana", DisplayName: "Ana Lopez", Email: "ana@acme.io"}
			bo := User{AccountID: "557058:bo", Name: "bo", DisplayName: "Bo Chen"}
			body := json.RawMessage(`{"type":"doc","version":1,"content":[{"type":"paragraph","content":[{"type":"text","text":"Looks fixed","marks":[{"type":"strong"}]}]}]}`)
			if flavor == DataCenter {
				body = json.RawMessage(`"*Looks fixed*"`)
			}
			id, err := srv.CommentAs("OPS-1", ana, body)
			if err != nil {
				t.Fatal(err)
			}
			waitHooks(t, srv)
			if err := srv.EditCommentAs("OPS-1", id, bo, body); err != nil {
				t.Fatal(err)
			}
			waitHooks(t, srv)
			is, _ := srv.Issue("OPS-1")
			if len(is.Comments) != 1 || is.Comments[0].Author != ana || is.Comments[0].UpdateAuthor != bo {
				t.Fatalf("snapshot: %+v", is.Comments)
			}
			// The REST API shows the person as author.
			v := map[Flavor]string{Cloud: "3", DataCenter: "2"}[flavor]
			cm := obj(t, c.want(200, "GET", "/rest/api/"+v+"/issue/OPS-1/comment/"+id, nil))
			author := obj(t, cm["author"])
			if author["displayName"] != "Ana Lopez" || author["emailAddress"] != "ana@acme.io" {
				t.Errorf("author %v", author)
			}
			if err := srv.DeleteCommentAs("OPS-1", id, bo); err != nil {
				t.Fatal(err)
			}
			waitHooks(t, srv)

			// Subscribed to everything: each comment change also sends
			// jira:issue_updated, in no particular order.
			evs := rec.decoded()
			if len(evs) != 6 {
				t.Fatalf("%d webhooks, want 6", len(evs))
			}
			var comments, updates []jirahook.Event
			for _, ev := range evs {
				if ev.Kind == jirahook.IssueUpdated {
					updates = append(updates, ev)
				} else {
					comments = append(comments, ev)
				}
			}
			ident := func(u User) jirahook.User {
				if flavor == Cloud {
					return jirahook.User{AccountID: u.AccountID, DisplayName: u.DisplayName, Email: u.Email}
				}
				return jirahook.User{Name: u.Name, DisplayName: u.DisplayName, Email: u.Email}
			}
			if len(comments) != 3 || comments[0].Actor != ident(ana) || comments[1].Actor != ident(bo) ||
				comments[1].Comment.Author != ident(ana) || comments[2].Kind != jirahook.CommentDeleted {
				t.Errorf("comment webhooks: %+v", comments)
			}
			if md := jiramarkup.Text(comments[0].Comment.Body); md != "**Looks fixed**" {
				t.Errorf("body reads %q", md)
			}
			types := []string{}
			for _, u := range updates {
				types = append(types, u.EventType)
				if u.StatusTo != "" || u.Comment != nil {
					t.Errorf("comment issue update: %+v", u)
				}
			}
			slices.Sort(types)
			if !slices.Equal(types, []string{"issue_comment_deleted", "issue_comment_edited", "issue_commented"}) {
				t.Errorf("issue_event_type_name %v", types)
			}
			for _, g := range rec.all() {
				checkShapes(t, g.body)
			}
		})
	}
}

func TestCommentAsErrors(t *testing.T) {
	srv, _ := newServer(t, Cloud, "OPS-1")
	ok := json.RawMessage(`"text"`)
	if _, err := srv.CommentAs("OPS-1", User{Name: "dc-only"}, ok); err == nil {
		t.Error("Cloud comment without an account id")
	}
	if _, err := srv.CommentAs("OPS-9", User{AccountID: "a"}, ok); err == nil {
		t.Error("comment on a missing issue")
	}
	for _, b := range []string{`""`, `{"type":"doc","version":1,"content":[]}`, `{"type":"paragraph"}`, `12`} {
		if _, err := srv.CommentAs("OPS-1", User{AccountID: "a"}, json.RawMessage(b)); err == nil {
			t.Errorf("body %s accepted", b)
		}
	}
	if err := srv.EditCommentAs("OPS-1", "404", User{AccountID: "a"}, ok); err == nil {
		t.Error("edit of a missing comment")
	}
	if err := srv.DeleteCommentAs("OPS-1", "404", User{AccountID: "a"}); err == nil {
		t.Error("delete of a missing comment")
	}
	dc, _ := newServer(t, DataCenter, "OPS-1")
	if _, err := dc.CommentAs("OPS-1", User{AccountID: "cloud-only"}, ok); err == nil {
		t.Error("DC comment without a name")
	}
}

func TestWebhookTransitions(t *testing.T) {
	srv, c, rec := hooked(t, Cloud, nil, "jira:issue_updated")
	c.want(204, "POST", "/rest/api/3/issue/OPS-1/transitions", map[string]any{"transition": map[string]any{"id": "11"}})
	waitHooks(t, srv)
	c.want(204, "POST", "/rest/api/3/issue/OPS-1/transitions", map[string]any{"transition": map[string]any{"id": "31"}})
	waitHooks(t, srv)
	c.want(204, "POST", "/rest/api/3/issue/OPS-1/transitions", map[string]any{"transition": map[string]any{"id": "51"}})
	waitHooks(t, srv)
	if err := srv.SetStatus("OPS-1", "Open"); err != nil {
		t.Fatal(err)
	}
	waitHooks(t, srv)
	if err := srv.SetStatus("OPS-1", "Open"); err != nil { // no change: no webhook
		t.Fatal(err)
	}
	bo := User{AccountID: "557058:bo", DisplayName: "Bo Chen"}
	if err := srv.SetStatusAs("OPS-1", "In Progress", bo); err != nil {
		t.Fatal(err)
	}
	waitHooks(t, srv)
	// A comment through the API is not subscribed to as comment_created,
	// but is seen as an issue update without a status change.
	c.want(201, "POST", "/rest/api/3/issue/OPS-1/comment", map[string]any{"body": adfDoc("x")})
	waitHooks(t, srv)

	evs := rec.decoded()
	bot := jirahook.User{AccountID: cloudAccountID, DisplayName: "Fixproof Bot"}
	admin := jirahook.User{AccountID: Admin.AccountID, DisplayName: Admin.DisplayName, Email: Admin.Email}
	type change struct {
		from, to, cat, typ string
		actor              jirahook.User
	}
	want := []change{
		{"Open", "In Progress", "indeterminate", "issue_generic", bot},
		{"In Progress", "In Review", "indeterminate", "issue_generic", bot},
		{"In Review", "Done", "done", "issue_generic", bot},
		{"Done", "Open", "new", "issue_generic", admin},
		{"Open", "In Progress", "indeterminate", "issue_generic", jirahook.User{AccountID: "557058:bo", DisplayName: "Bo Chen"}},
		{"", "", "", "issue_commented", bot},
	}
	if len(evs) != len(want) {
		t.Fatalf("%d webhooks, want %d: %+v", len(evs), len(want), evs)
	}
	for i, ev := range evs {
		got := change{ev.StatusFrom, ev.StatusTo, ev.StatusCategory, ev.EventType, ev.Actor}
		if got != want[i] || ev.Kind != jirahook.IssueUpdated || ev.IssueKey != "OPS-1" {
			t.Errorf("webhook %d: %+v, want %+v", i, got, want[i])
		}
	}
	// Entering and leaving Done changes the resolution too.
	for i, wantRes := range map[int][2]string{2: {"", "Done"}, 3: {"Done", ""}} {
		var m struct {
			Changelog struct {
				ID    string
				Items []map[string]any
			}
		}
		if err := json.Unmarshal(rec.all()[i].body, &m); err != nil {
			t.Fatal(err)
		}
		items := m.Changelog.Items
		if m.Changelog.ID == "" || len(items) != 2 || items[1]["field"] != "resolution" {
			t.Fatalf("webhook %d changelog: %+v", i, m.Changelog)
		}
		from, _ := items[1]["fromString"].(string)
		to, _ := items[1]["toString"].(string)
		if from != wantRes[0] || to != wantRes[1] {
			t.Errorf("webhook %d resolution %q -> %q, want %q", i, from, to, wantRes)
		}
	}
	for _, g := range rec.all() {
		checkShapes(t, g.body)
	}
}

func TestWebhookDataCenterTransition(t *testing.T) {
	srv, c, rec := hooked(t, DataCenter, nil)
	c.want(204, "POST", "/rest/api/2/issue/OPS-1/transitions", map[string]any{"transition": map[string]any{"id": "11"}})
	waitHooks(t, srv)
	evs := rec.decoded()
	if len(evs) != 1 || evs[0].StatusTo != "In Progress" || evs[0].Actor != (jirahook.User{Name: "fixproof", DisplayName: "Fixproof Bot"}) {
		t.Fatalf("webhooks: %+v", evs)
	}
	checkShapes(t, rec.all()[0].body)
}

func TestWebhookIdentifiersAndRetries(t *testing.T) {
	// The first two requests fail with 500, the rest succeed.
	srv, c, rec := hooked(t, Cloud, func(n int) int {
		if n < 2 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	}, "comment_created")
	c.want(201, "POST", "/rest/api/3/issue/OPS-1/comment", map[string]any{"body": adfDoc("one")})
	waitHooks(t, srv)
	c.want(201, "POST", "/rest/api/3/issue/OPS-1/comment", map[string]any{"body": adfDoc("two")})
	waitHooks(t, srv)

	got := rec.all()
	if len(got) != 4 {
		t.Fatalf("%d requests, want 4 (3 for the first event, 1 for the second)", len(got))
	}
	id := got[0].header.Get("X-Atlassian-Webhook-Identifier")
	for i, g := range got[:3] {
		if g.header.Get("X-Atlassian-Webhook-Identifier") != id || string(g.body) != string(got[0].body) {
			t.Errorf("retry %d: identifier %q or body changed", i, g.header.Get("X-Atlassian-Webhook-Identifier"))
		}
		wantRetry := ""
		if i > 0 {
			wantRetry = strconv.Itoa(i)
		}
		if r := g.header.Get("X-Atlassian-Webhook-Retry"); r != wantRetry {
			t.Errorf("attempt %d: retry header %q, want %q", i, r, wantRetry)
		}
	}
	if other := got[3].header.Get("X-Atlassian-Webhook-Identifier"); other == "" || other == id {
		t.Errorf("second event identifier %q (first %q)", other, id)
	}
	log := srv.WebhookLog()
	if len(log) != 4 || log[0].Status != 500 || log[2].Status != 200 || log[2].Retry != 2 || log[3].Retry != 0 {
		t.Errorf("log: %+v", log)
	}
}

func TestWebhookRetryPolicy(t *testing.T) {
	tests := []struct {
		status, retries, want int
	}{
		{http.StatusBadRequest, 5, 1}, // not retried
		{http.StatusUnauthorized, 5, 1},
		{http.StatusTooManyRequests, 3, 4}, // retried until the budget is spent
		{http.StatusServiceUnavailable, 2, 3},
		{http.StatusConflict, 1, 2},
		{http.StatusBadGateway, -1, 1}, // no retries
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.status), func(t *testing.T) {
			srv, c, rec := hooked(t, Cloud, func(int) int { return tt.status }, "comment_created")
			srv.ConfigureWebhooks(WebhookConfig{Retries: tt.retries, Backoff: time.Millisecond})
			c.want(201, "POST", "/rest/api/3/issue/OPS-1/comment", map[string]any{"body": adfDoc("x")})
			waitHooks(t, srv)
			if n := len(rec.all()); n != tt.want {
				t.Errorf("%d attempts, want %d", n, tt.want)
			}
		})
	}
}

func TestWebhookConnectionFailureRetried(t *testing.T) {
	srv, _ := newServer(t, Cloud, "OPS-1")
	dead := httptest.NewServer(http.NotFoundHandler())
	url := dead.URL
	dead.Close()
	srv.AddWebhook(url, "")
	srv.ConfigureWebhooks(WebhookConfig{Retries: 2, Backoff: time.Millisecond})
	if _, err := srv.CommentAs("OPS-1", User{AccountID: "a"}, json.RawMessage(`"x"`)); err != nil {
		t.Fatal(err)
	}
	waitHooks(t, srv)
	// comment_created and jira:issue_updated, each tried 3 times.
	log := srv.WebhookLog()
	if len(log) != 6 {
		t.Fatalf("log: %+v", log)
	}
	for _, a := range log {
		if a.Err == "" || a.Status != 0 {
			t.Errorf("attempt %+v", a)
		}
	}
}

func TestWebhookUnsignedWithoutSecret(t *testing.T) {
	srv, _ := newServer(t, Cloud, "OPS-1")
	rec := newReceiver(t, nil)
	srv.AddWebhook(rec.url, "", "comment_created")
	if _, err := srv.CommentAs("OPS-1", User{AccountID: "a"}, json.RawMessage(`"x"`)); err != nil {
		t.Fatal(err)
	}
	waitHooks(t, srv)
	got := rec.all()
	if len(got) != 1 || got[0].header.Get("X-Hub-Signature") != "" || got[0].header.Get("X-Atlassian-Webhook-Identifier") == "" {
		t.Fatalf("got %+v", got)
	}
}

func TestWebhookDropAndDuplicate(t *testing.T) {
	srv, _, rec := hooked(t, Cloud, nil, "comment_created")
	ana := User{AccountID: "557058:ana", DisplayName: "Ana"}
	srv.DropNextWebhooks(1)
	srv.DuplicateNextWebhooks(1)
	var ids []string
	for _, text := range []string{"lost", "twice", "once"} {
		id, err := srv.CommentAs("OPS-1", ana, json.RawMessage(strconv.Quote(text)))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
		waitHooks(t, srv)
	}
	evs := rec.decoded()
	if len(evs) != 3 {
		t.Fatalf("%d deliveries, want 3: %+v", len(evs), evs)
	}
	if evs[0].Comment.ID != ids[1] || evs[1].Comment.ID != ids[1] || evs[2].Comment.ID != ids[2] {
		t.Errorf("comments delivered: %s %s %s, want %s twice then %s", evs[0].Comment.ID, evs[1].Comment.ID, evs[2].Comment.ID, ids[1], ids[2])
	}
	got := rec.all()
	if evs[0].ID != evs[1].ID || got[1].header.Get("X-Atlassian-Webhook-Retry") != "1" || got[0].header.Get("X-Atlassian-Webhook-Retry") != "" {
		t.Errorf("duplicate: ids %q %q, retry headers %q %q", evs[0].ID, evs[1].ID,
			got[0].header.Get("X-Atlassian-Webhook-Retry"), got[1].header.Get("X-Atlassian-Webhook-Retry"))
	}
	if evs[2].ID == evs[0].ID {
		t.Error("a new event reused an identifier")
	}
	log := srv.WebhookLog()
	if len(log) != 4 || !log[0].Dropped || log[0].Event != "comment_created" || log[0].Issue != "OPS-1" {
		t.Errorf("log: %+v", log)
	}
}

func TestWebhookPauseFlushReverseResume(t *testing.T) {
	srv, _, rec := hooked(t, Cloud, nil, "comment_created")
	ana := User{AccountID: "557058:ana", DisplayName: "Ana"}
	comment := func(text string) string {
		t.Helper()
		id, err := srv.CommentAs("OPS-1", ana, json.RawMessage(strconv.Quote(text)))
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	srv.PauseWebhooks()
	a, b, c := comment("a"), comment("b"), comment("c")
	waitHooks(t, srv) // held deliveries are not waited for
	if n := len(rec.all()); n != 0 {
		t.Fatalf("%d deliveries while paused", n)
	}
	srv.FlushWebhooks(true)
	var order []string
	for _, ev := range rec.decoded() {
		order = append(order, ev.Comment.ID)
	}
	if !slices.Equal(order, []string{c, b, a}) {
		t.Fatalf("flushed in order %v, want %v", order, []string{c, b, a})
	}
	// Still paused: the next events queue until resumed.
	d, e := comment("d"), comment("e")
	waitHooks(t, srv)
	if n := len(rec.all()); n != 3 {
		t.Fatalf("%d deliveries after flush, want 3", n)
	}
	srv.ResumeWebhooks()
	waitHooks(t, srv)
	order = nil
	for _, ev := range rec.decoded()[3:] {
		order = append(order, ev.Comment.ID)
	}
	slices.Sort(order)
	if !slices.Equal(order, []string{d, e}) {
		t.Fatalf("resumed deliveries %v, want %v", order, []string{d, e})
	}
	f := comment("f")
	waitHooks(t, srv)
	if evs := rec.decoded(); len(evs) != 6 || evs[5].Comment.ID != f {
		t.Fatalf("after resume: %+v", evs)
	}
	srv.FlushWebhooks(false) // nothing queued
}

func TestWaitWebhooksContext(t *testing.T) {
	block := make(chan struct{})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-block
	}))
	defer ts.Close()
	defer close(block)
	srv, _ := newServer(t, Cloud, "OPS-1")
	srv.AddWebhook(ts.URL, "", "comment_created")
	if _, err := srv.CommentAs("OPS-1", User{AccountID: "a"}, json.RawMessage(`"x"`)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := srv.WaitWebhooks(ctx); err != context.DeadlineExceeded {
		t.Fatalf("WaitWebhooks = %v, want the deadline", err)
	}
}

func TestWebhooksV2BodiesAndBaseURL(t *testing.T) {
	srv, _, rec := hooked(t, Cloud, nil, "comment_created")
	srv.WebhookBodiesV2(true)
	srv.SetWebhookBaseURL("https://acme.atlassian.net")
	body := json.RawMessage(`{"type":"doc","version":1,"content":[{"type":"paragraph","content":[{"type":"text","text":"plain"}]}]}`)
	if _, err := srv.CommentAs("OPS-1", User{AccountID: "a", DisplayName: "A"}, body); err != nil {
		t.Fatal(err)
	}
	waitHooks(t, srv)
	evs := rec.decoded()
	if len(evs) != 1 || evs[0].Comment.BodyIsADF() || jiramarkup.Text(evs[0].Comment.Body) != "plain" {
		t.Fatalf("webhooks: %+v", evs)
	}
	if b := string(rec.all()[0].body); !strings.Contains(b, `"self":"https://acme.atlassian.net/rest/api/2/issue/`) {
		t.Errorf("self links: %s", b)
	}
}

func TestWebhookNoListeners(t *testing.T) {
	// Without webhooks nothing is built or sent, and Wait returns at once.
	srv, c := newServer(t, Cloud, "OPS-1")
	c.want(201, "POST", "/rest/api/3/issue/OPS-1/comment", map[string]any{"body": adfDoc("x")})
	waitHooks(t, srv)
	if log := srv.WebhookLog(); len(log) != 0 {
		t.Fatalf("log: %+v", log)
	}
}

func TestAccountOption(t *testing.T) {
	srv := New(Options{Flavor: Cloud, Email: email, APIToken: apiToken,
		Account: User{AccountID: "712020:bot", DisplayName: "fixproof bot"}})
	srv.AddProject("OPS", "Operations", DefaultWorkflow())
	if err := srv.AddIssue("OPS-1", "s", ""); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	c := &client{t: t, base: ts.URL, auth: func(r *http.Request) { r.SetBasicAuth(email, apiToken) }}
	me := obj(t, c.want(200, "GET", "/rest/api/3/myself", nil))
	if me["accountId"] != "712020:bot" || me["displayName"] != "fixproof bot" {
		t.Errorf("myself: %v", me)
	}
	cm := obj(t, c.want(201, "POST", "/rest/api/3/issue/OPS-1/comment", map[string]any{"body": adfDoc("x")}))
	if obj(t, cm["author"])["accountId"] != "712020:bot" {
		t.Errorf("author: %v", cm["author"])
	}
	is, _ := srv.Issue("OPS-1")
	if is.Comments[0].Author.AccountID != "712020:bot" || srv.Account().Name != "fixproof" {
		t.Errorf("snapshot author %+v, account %+v", is.Comments[0].Author, srv.Account())
	}
}

// Writing an issue property sends issue_property_set to the webhooks that
// subscribe to it, naming the issue and the property; others get none.
func TestWebhookPropertySet(t *testing.T) {
	srv, c, rec := hooked(t, Cloud, nil, "issue_property_set")
	other := newReceiver(t, nil)
	srv.AddWebhook(other.url, hookSecret, "jira:issue_updated")
	c.want(201, "PUT", "/rest/api/3/issue/OPS-1/properties/fixproof", map[string]any{"fingerprint": "sentry:acme:1"})
	c.want(200, "PUT", "/rest/api/3/issue/OPS-1/properties/fixproof", map[string]any{"fingerprint": "sentry:acme:1", "reopened": []string{"2026-11-20T09:00:00Z"}})
	waitHooks(t, srv)
	evs := rec.decoded()
	if len(evs) != 2 {
		t.Fatalf("%d webhooks, want 2: %+v", len(evs), evs)
	}
	for i, ev := range evs {
		if ev.Kind != jirahook.PropertySet || ev.IssueKey != "OPS-1" || ev.IssueID == "" || ev.Property != "fixproof" || ev.At.IsZero() {
			t.Errorf("webhook %d: %+v", i, ev)
		}
		checkShapes(t, rec.all()[i].body)
	}
	if n := len(other.all()); n != 0 {
		t.Errorf("a webhook not subscribed to issue_property_set got %d", n)
	}
}
