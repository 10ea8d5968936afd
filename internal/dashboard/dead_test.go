package dashboard

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/jira"
	"github.com/fixproof/fixproof/internal/sim/jirasim"
	"github.com/fixproof/fixproof/internal/store"
	"github.com/fixproof/fixproof/internal/store/sqlite"
	"github.com/fixproof/fixproof/internal/verify"
)

// deadStore is a real store holding one dead letter per error given, for
// fingerprint fp-<i>, each after one failed attempt.
func deadStore(t *testing.T, fingerprint string, errs ...string) store.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	for i, msg := range errs {
		fp := fingerprint
		if i > 0 {
			fp += "-" + string(rune('a'+i))
		}
		if _, _, err := st.Enqueue(t.Context(), store.Delivery{Kind: "alertmanager", Fingerprint: fp, Payload: []byte(`{"user":"jane@example.com"}`), Received: now}); err != nil {
			t.Fatal(err)
		}
		b, err := st.Next(t.Context(), "w", now, time.Minute, 10)
		if err != nil || b == nil {
			t.Fatalf("next: %v %v", b, err)
		}
		if err := st.Retry(t.Context(), b, "", nil, store.Failure{NotBefore: now.Add(time.Minute), Error: msg, MaxAttempts: 1}); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

func get(t *testing.T, h http.Handler, target, remote string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest("GET", target, nil)
	r.RemoteAddr = remote
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

var params = verify.Params{Threshold: 1, Window: time.Hour, Windows: 3, Timeout: 6 * time.Hour}

func TestDeadLettersShowTheRealErrorEscaped(t *testing.T) {
	jiraErr := `jira: create issue in OPS: 400 labels: The label 'a b' contains spaces which is invalid. <script>alert(1)</script> & "more"`
	st := deadStore(t, `alertmanager:pay"><img src=x>:0f`, jiraErr, "jira: 500 Internal Server Error")
	h := New(Config{Params: params, Dead: st}, nil, nil).Handler()

	rec := get(t, h, "/dead-letters", "127.0.0.1:4000")
	body := rec.Body.String()
	if rec.Code != 200 {
		t.Fatalf("GET /dead-letters: %d %s", rec.Code, body)
	}
	if n := strings.Count(body, `class="dead"`); n != 2 {
		t.Errorf("%d dead letters listed, want 2", n)
	}
	for _, want := range []string{
		"The label &#39;a b&#39; contains spaces which is invalid. &lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;more&#34;",
		"jira: 500 Internal Server Error",
		"alertmanager:pay&#34;&gt;&lt;img src=x&gt;:0f",
		"fixproof bot redrive --config FILE --fingerprint FP", "fixproof bot redrive --config FILE --all",
		"2026-11-20 10:00 UTC", // received
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "<script>") || strings.Contains(body, "<img") {
		t.Errorf("markup from an error or a fingerprint reached the page:\n%s", body)
	}
	if strings.Contains(body, "jane@example.com") {
		t.Error("the page shows a payload: payloads are not scrubbed yet")
	}
	if rec.Header().Get("Content-Security-Policy") == "" {
		t.Error("no Content-Security-Policy on the dead letters")
	}
}

func TestDeadLettersHaveTheDashboardsAccessRules(t *testing.T) {
	st := deadStore(t, "sentry:acme:1", "boom")
	if rec := get(t, New(Config{Params: params, Dead: st}, nil, nil).Handler(), "/dead-letters", "10.0.0.8:4000"); rec.Code != http.StatusForbidden {
		t.Errorf("tokenless, from another machine: %d, want 403", rec.Code)
	}
	withToken := New(Config{Token: "s3cret", Params: params, Dead: st}, nil, nil).Handler()
	if rec := get(t, withToken, "/dead-letters", "127.0.0.1:4000"); rec.Code != http.StatusUnauthorized || strings.Contains(rec.Body.String(), "boom") {
		t.Errorf("with a token, none given: %d", rec.Code)
	}
}

func TestDeadLettersWhenThereAreNone(t *testing.T) {
	rec := get(t, New(Config{Params: params, Dead: deadStore(t, "x")}, nil, nil).Handler(), "/dead-letters", "127.0.0.1:4000")
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "No dead letters") {
		t.Errorf("%d %s", rec.Code, rec.Body)
	}
	rec = get(t, New(Config{Params: params}, nil, nil).Handler(), "/dead-letters", "127.0.0.1:4000")
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "no store") {
		t.Errorf("without a store: %d %s", rec.Code, rec.Body)
	}
}

// The list says when dead letters wait, so nobody has to think of looking.
func TestTheListPointsAtDeadLetters(t *testing.T) {
	srv := jirasim.New(jirasim.Options{Flavor: jirasim.Cloud, Email: "bot@acme.io", APIToken: "token"})
	srv.AddProject("OPS", "Operations", jirasim.DefaultWorkflow())
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	jc, err := jira.New(jira.Config{BaseURL: ts.URL, Email: "bot@acme.io", APIToken: "token", HTTPClient: ts.Client()})
	if err != nil {
		t.Fatal(err)
	}
	for name, tt := range map[string]struct {
		errs []string
		want bool
	}{"some": {[]string{"boom"}, true}, "none": {nil, false}} {
		h := New(Config{Params: params, Dead: deadStore(t, "fp", tt.errs...)}, jc, nil).Handler()
		rec := get(t, h, "/", "127.0.0.1:4000")
		if rec.Code != 200 {
			t.Fatalf("%s: GET /: %d %s", name, rec.Code, rec.Body)
		}
		if got := strings.Contains(rec.Body.String(), `id="dead-alert"`); got != tt.want {
			t.Errorf("%s dead letters: the list points at them %v, want %v", name, got, tt.want)
		}
	}
}
