package sentrysim

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/contract"
)

// vendorFile reads a file of Sentry's contracts, skipping the test when
// they are absent.
func vendorFile(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(contract.RequireFile(t, "sentry/"+rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func decodeJSON(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return v
}

// sameKeys reports where ours differs in keys from the vendor's example:
// a key of the example that ours lacks, or one ours has beyond the
// example and the extras allowed at that path. Arrays of objects are
// compared element by element with the example's first element; paths in
// free are maps whose keys vary by event and are not compared.
func sameKeys(path string, example, ours any, extras map[string][]string, free map[string]bool) []string {
	if free[path] || ours == nil || example == nil {
		return nil
	}
	var problems []string
	switch ex := example.(type) {
	case map[string]any:
		m, ok := ours.(map[string]any)
		if !ok {
			return []string{path + ": not an object"}
		}
		for k := range ex {
			if _, ok := m[k]; !ok {
				problems = append(problems, path+"."+k+": missing")
			}
		}
		allowed := map[string]bool{}
		for _, k := range extras[path] {
			allowed[k] = true
			if _, ok := m[k]; !ok {
				problems = append(problems, path+"."+k+": missing (documented beyond the example)")
			}
		}
		for k, v := range m {
			if _, ok := ex[k]; ok {
				problems = append(problems, sameKeys(path+"."+k, ex[k], v, extras, free)...)
			} else if !allowed[k] {
				problems = append(problems, path+"."+k+": not in the example")
			}
		}
	case []any:
		l, ok := ours.([]any)
		if !ok {
			return []string{path + ": not an array"}
		}
		if len(ex) == 0 {
			return nil
		}
		for _, v := range l {
			problems = append(problems, sameKeys(path+"[]", ex[0], v, extras, free)...)
		}
	}
	sort.Strings(problems)
	return problems
}

// documentedIssueKeys are the keys issues.mdx documents under
// data['issue'] (url, web_url, project_url), which its example lacks.
func documentedIssueKeys(t *testing.T) []string {
	doc := string(vendorFile(t, "docs/integration-platform-webhooks/issues.mdx"))
	var keys []string
	for _, m := range regexp.MustCompile(`(?m)^### data\['issue'\]\['(\w+)'\]`).FindAllStringSubmatch(doc, -1) {
		keys = append(keys, m[1])
	}
	if len(keys) == 0 {
		t.Fatal("issues.mdx documents no data['issue'] attributes any more: review the test")
	}
	return keys
}

func fullEvent() Event {
	return Event{
		ID:   "0123456789abcdef0123456789abcdef",
		Time: noon,
		Frames: []Frame{
			{Filename: "shop/views.py", AbsPath: "/app/shop/views.py", Module: "shop.views", Function: "checkout", Lineno: 42, InApp: true, ContextLine: "total = cart.total()"},
			{Filename: "shop/cart.py", AbsPath: "/app/shop/cart.py", Module: "shop.cart", Function: "total", Lineno: 7, InApp: true,
				ContextLine: "return sum / count", PreContext: []string{"def total(self):"}, PostContext: []string{""}},
		},
		Breadcrumbs: []Breadcrumb{
			{Time: noon.Add(-2 * time.Second), Category: "query", Message: "SELECT 1"},
			{Time: noon.Add(-time.Second), Type: "http", Category: "httplib", Data: map[string]any{"url": "https://pay.example/charge", "status_code": 502}},
		},
		Tags:        map[string]string{"customer": "gold", "server_name": "web-1"},
		Request:     Request{Method: "POST", URL: "https://shop.example/checkout", Query: "step=2&b=1", Headers: map[string]string{"User-Agent": "curl/8", "Accept": "*/*"}},
		User:        User{ID: "42", Email: "ann@example.com", IP: "203.0.113.9", Username: "ann"},
		TraceID:     "4bf92f3577b34da6a3ce929d0e0e4736",
		Release:     "shop@1.4.2",
		Environment: "production",
		Rule:        "Page the shop team",
	}
}

func TestWebhookBodiesHaveTheVendorsKeys(t *testing.T) {
	e := newEnv(t, Options{})
	issueExample := decodeJSON(t, vendorFile(t, "webhooks/issue.created.json"))
	extras := map[string][]string{"$.data.issue": documentedIssueKeys(t)}
	free := map[string]bool{"$.data.issue.metadata": true}
	for _, action := range []string{"created", "unresolved"} {
		body := decodeJSON(t, e.s.IssueWebhook(action, "4711", SentryActor))
		if p := sameKeys("$", issueExample, body, extras, free); len(p) > 0 {
			t.Errorf("issue %s webhook differs from issue.created.json:\n%s", action, strings.Join(p, "\n"))
		}
	}
	alertExample := decodeJSON(t, vendorFile(t, "webhooks/event_alert.triggered.json"))
	extras = map[string][]string{
		"$.data.event":      {"breadcrumbs", "environment"},
		"$.data.event.user": {"id", "email", "username"},
	}
	free = map[string]bool{"$.data.event.contexts": true}
	for name, ev := range map[string]Event{"full": fullEvent(), "zero": {}} {
		body := decodeJSON(t, e.s.EventAlertWebhook("4711", ev, SentryActor))
		if p := sameKeys("$", alertExample, body, extras, free); len(p) > 0 {
			t.Errorf("%s event alert webhook differs from event_alert.triggered.json:\n%s", name, strings.Join(p, "\n"))
		}
	}
}

// webhook decodes a body into the parts the tests read.
type webhook struct {
	Action string `json:"action"`
	Actor  struct {
		Type string `json:"type"`
		ID   any    `json:"id"`
		Name string `json:"name"`
	} `json:"actor"`
	Data struct {
		Issue          map[string]any `json:"issue"`
		ResolutionType string         `json:"resolution_type"`
		Assignee       map[string]any `json:"assignee"`
		Event          map[string]any `json:"event"`
		TriggeredRule  string         `json:"triggered_rule"`
	} `json:"data"`
	Installation struct {
		UUID string `json:"uuid"`
	} `json:"installation"`
}

func parseWebhook(t *testing.T, b []byte) webhook {
	t.Helper()
	var w webhook
	if err := json.Unmarshal(b, &w); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return w
}

func TestIssueWebhookActions(t *testing.T) {
	e := newEnv(t, Options{Installation: "11111111-2222-4333-8444-555555555555", Repositories: []string{"acme/shop"}})
	w := parseWebhook(t, e.s.IssueWebhook("created", "4711", SentryActor))
	if w.Action != "created" || w.Actor.Type != "application" || w.Actor.ID != "sentry" || w.Installation.UUID != "11111111-2222-4333-8444-555555555555" ||
		w.Data.Issue["id"] != "4711" || w.Data.Issue["shortId"] != "SHOP-2F" || w.Data.Issue["status"] != "unresolved" ||
		w.Data.Issue["web_url"] != "https://acme.sentry.io/issues/4711/" || w.Data.Issue["url"] != "https://sentry.io/api/0/organizations/acme/issues/4711/" {
		t.Errorf("created: %+v", w)
	}
	jane := Actor{Type: "user", ID: "7", Name: "Jane Doe", Email: "jane@example.com"}
	e.s.SetStatus("4711", "resolved")
	w = parseWebhook(t, e.s.IssueWebhook("resolved", "4711", jane))
	if w.Data.Issue["status"] != "resolved" || w.Data.ResolutionType != "resolved" || w.Actor.ID != float64(7) || w.Actor.Name != "Jane Doe" {
		t.Errorf("resolved: %+v", w)
	}
	e.call("PUT", issuePath, `{"status":"resolved","statusDetails":{"inCommit":{"commit":"abc","repository":"acme/shop"}}}`, both)
	if w = parseWebhook(t, e.s.IssueWebhook("resolved", "4711", jane)); w.Data.ResolutionType != "resolved_in_commit" {
		t.Errorf("resolved in commit: %+v", w.Data)
	}
	e.s.Assign("4711", jane)
	w = parseWebhook(t, e.s.IssueWebhook("assigned", "4711", jane))
	if want := map[string]any{"type": "user", "id": float64(7), "name": "Jane Doe", "email": "jane@example.com"}; !reflect.DeepEqual(w.Data.Assignee, want) {
		t.Errorf("assignee %v", w.Data.Assignee)
	}
	if a, _ := w.Data.Issue["assignedTo"].(map[string]any); a["id"] != "7" {
		t.Errorf("assignedTo %v", w.Data.Issue["assignedTo"])
	}
	e.s.Assign("4711", Actor{})
	for name, f := range map[string]func(){
		"unassigned":     func() { e.s.IssueWebhook("assigned", "4711", jane) },
		"unknown action": func() { e.s.IssueWebhook("deleted", "4711", jane) },
		"unknown issue":  func() { e.s.IssueWebhook("created", "1", jane) },
		"event of none":  func() { e.s.EventAlertWebhook("1", Event{}, jane) },
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

func TestEventAlertWebhookCarriesTheTicketsFields(t *testing.T) {
	e := newEnv(t, Options{})
	w := parseWebhook(t, e.s.EventAlertWebhook("4711", fullEvent(), SentryActor))
	ev := w.Data.Event
	b, _ := json.Marshal(ev)
	var got struct {
		EventID   string `json:"event_id"`
		IssueID   string `json:"issue_id"`
		WebURL    string `json:"web_url"`
		Title     string `json:"title"`
		Release   string `json:"release"`
		Env       string `json:"environment"`
		Timestamp float64
		Exception struct {
			Values []struct {
				Type, Value string
				Stacktrace  struct {
					Frames []struct {
						Filename, Function string
						Lineno             int
						InApp              bool `json:"in_app"`
						ContextLine        string
					}
				}
			}
		}
		Breadcrumbs struct {
			Values []struct {
				Type, Category, Message string
				Data                    map[string]any
			}
		}
		Tags    [][2]string
		Request struct {
			Method, URL string
			Headers     [][2]string
			Query       [][2]string `json:"query_string"`
		}
		User struct {
			ID, Email, Username string
			IP                  string `json:"ip_address"`
		}
		Contexts struct {
			Trace struct {
				TraceID string `json:"trace_id"`
			}
		}
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	ex := got.Exception.Values
	if w.Action != "triggered" || w.Data.TriggeredRule != "Page the shop team" || got.IssueID != "4711" || got.EventID != "0123456789abcdef0123456789abcdef" ||
		got.Title != "ZeroDivisionError: division by zero" || got.Release != "shop@1.4.2" || got.Env != "production" || got.Timestamp != float64(noon.Unix()) ||
		got.WebURL != "https://sentry.io/organizations/acme/issues/4711/events/0123456789abcdef0123456789abcdef/" {
		t.Errorf("event %s", b)
	}
	if len(ex) != 1 || ex[0].Type != "ZeroDivisionError" || ex[0].Value != "division by zero" || len(ex[0].Stacktrace.Frames) != 2 ||
		ex[0].Stacktrace.Frames[1].Function != "total" || ex[0].Stacktrace.Frames[1].Lineno != 7 || !ex[0].Stacktrace.Frames[1].InApp {
		t.Errorf("exception %+v", ex)
	}
	if bc := got.Breadcrumbs.Values; len(bc) != 2 || bc[0].Type != "default" || bc[0].Message != "SELECT 1" || bc[1].Data["status_code"] != float64(502) {
		t.Errorf("breadcrumbs %+v", bc)
	}
	wantTags := [][2]string{{"customer", "gold"}, {"environment", "production"}, {"level", "error"}, {"release", "shop@1.4.2"},
		{"server_name", "web-1"}, {"url", "https://shop.example/checkout"}, {"user", "id:42"}}
	if !reflect.DeepEqual(got.Tags, wantTags) {
		t.Errorf("tags %v", got.Tags)
	}
	if r := got.Request; r.Method != "POST" || r.URL != "https://shop.example/checkout" || !reflect.DeepEqual(r.Headers, [][2]string{{"Accept", "*/*"}, {"User-Agent", "curl/8"}}) ||
		!reflect.DeepEqual(r.Query, [][2]string{{"b", "1"}, {"step", "2"}}) {
		t.Errorf("request %+v", r)
	}
	if u := got.User; u.Email != "ann@example.com" || u.IP != "203.0.113.9" || u.ID != "42" || u.Username != "ann" {
		t.Errorf("user %+v", u)
	}
	if got.Contexts.Trace.TraceID != "4bf92f3577b34da6a3ce929d0e0e4736" {
		t.Errorf("trace %+v", got.Contexts)
	}
	// Defaults: the issue's title, a fresh id, the server's now.
	w = parseWebhook(t, e.s.EventAlertWebhook("4711", Event{}, SentryActor))
	if ev := w.Data.Event; ev["title"] != "ZeroDivisionError: division by zero" || len(ev["event_id"].(string)) != 32 || ev["datetime"] != "2026-03-02T12:00:00Z" {
		t.Errorf("defaults %v", ev)
	}
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestSendSignsLikeSentry(t *testing.T) {
	const secret = "client-secret"
	type received struct {
		header http.Header
		body   []byte
	}
	got := make(chan received, 2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- received{r.Header.Clone(), b}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	// verify is the check an app does, written independently of Send.
	verify := func(r received) bool {
		want, err := hex.DecodeString(r.header.Get("Sentry-Hook-Signature"))
		if err != nil {
			return false
		}
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write(r.body)
		return hmac.Equal(mac.Sum(nil), want)
	}
	e := newEnv(t, Options{})
	wh := Webhooks{URL: srv.URL, ClientSecret: secret, Now: e.clock.Now}
	body := e.s.IssueWebhook("created", "4711", SentryActor)
	status, err := wh.Send(context.Background(), "issue", body)
	if err != nil || status != http.StatusAccepted {
		t.Fatalf("status %d err %v", status, err)
	}
	r := <-got
	if !verify(r) {
		t.Errorf("signature %s does not verify", r.header.Get("Sentry-Hook-Signature"))
	}
	if string(r.body) != string(body) || r.header.Get("Content-Type") != "application/json" || r.header.Get("Sentry-Hook-Resource") != "issue" ||
		r.header.Get("Sentry-Hook-Timestamp") != strconv.FormatInt(noon.Unix(), 10) || !uuidRE.MatchString(r.header.Get("Request-ID")) {
		t.Errorf("headers %v body %s", r.header, r.body)
	}
	r.body = append([]byte{' '}, r.body...)
	if verify(r) {
		t.Error("a changed body still verifies")
	}
	if _, err := (Webhooks{URL: srv.URL, ClientSecret: "other"}).Send(context.Background(), "issue", body); err != nil {
		t.Fatal(err)
	}
	if r := <-got; verify(r) {
		t.Error("another secret's signature verifies")
	}
	srv.Close()
	if _, err := wh.Send(context.Background(), "issue", body); err == nil {
		t.Error("no error from a closed server")
	}
}

func TestSameKeysNoticesDifferences(t *testing.T) {
	ex := map[string]any{"a": 1, "b": map[string]any{"c": 1}, "l": []any{map[string]any{"x": 1}}}
	ours := map[string]any{"a": 2, "b": map[string]any{"d": 1}, "l": []any{map[string]any{"x": 1}, map[string]any{}}, "e": 1}
	got := sameKeys("$", ex, ours, map[string][]string{"$": {"f"}}, nil)
	want := []string{"$.b.c: missing", "$.b.d: not in the example", "$.e: not in the example", "$.f: missing (documented beyond the example)", "$.l[].x: missing"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q", got)
	}
	if got := sameKeys("$", ex, ours, nil, map[string]bool{"$.b": true, "$.l": true, "$": false}); len(got) != 1 {
		t.Errorf("free paths: %q", got)
	}
}
