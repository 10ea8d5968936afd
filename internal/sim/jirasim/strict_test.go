package jirasim

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/retry"
	"github.com/fixproof/fixproof/internal/sim"
)

func TestCommentVisibilityIsGroupOrRole(t *testing.T) {
	srv, c := newServer(t, Cloud, "OPS-1")
	for _, tt := range []struct {
		name       string
		visibility any
		ok         bool
	}{
		{"group", map[string]any{"type": "group", "value": "jira-developers"}, true},
		{"role", map[string]any{"type": "role", "value": "Administrators"}, true},
		{"group by identifier", map[string]any{"type": "group", "identifier": "276f955c-63d7-42c8-9520-92d01dca0625"}, true},
		{"null", nil, true},
		{"user", map[string]any{"type": "user", "value": "me"}, false},
		{"Group, capitalised", map[string]any{"type": "Group", "value": "jira-developers"}, false},
		{"empty type", map[string]any{"type": "", "value": "x"}, false},
		{"numeric type", map[string]any{"type": 1}, false},
		{"a string", "role:Administrators", false},
		{"an array", []any{map[string]any{"type": "role"}}, false},
	} {
		for _, v := range []string{"2", "3"} {
			body := map[string]any{"body": "hi", "visibility": tt.visibility}
			if v == "3" {
				body["body"] = adfDoc("hi")
			}
			if tt.ok {
				cm := obj(t, c.want(201, "POST", "/rest/api/"+v+"/issue/OPS-1/comment", body))
				if tt.visibility != nil && !jsonEqual(cm["visibility"], tt.visibility) {
					t.Errorf("%s v%s: visibility %v, want %v", tt.name, v, cm["visibility"], tt.visibility)
				}
				continue
			}
			msgs, errs := errorMessages(t, c.want(400, "POST", "/rest/api/"+v+"/issue/OPS-1/comment", body))
			if len(msgs) != 1 || !strings.HasPrefix(msgs[0], invalidPayload) || len(errs) != 0 {
				t.Errorf("%s v%s: %v %v", tt.name, v, msgs, errs)
			}
		}
	}
	is, _ := srv.Issue("OPS-1")
	if len(is.Comments) != 8 {
		t.Fatalf("%d comments stored, want the 8 accepted", len(is.Comments))
	}
	// An update with a bad visibility changes nothing.
	id := is.Comments[0].ID
	c.want(400, "PUT", "/rest/api/3/issue/OPS-1/comment/"+id, map[string]any{"body": adfDoc("edited"), "visibility": map[string]any{"type": "everyone"}})
	if after, _ := srv.Issue("OPS-1"); string(after.Comments[0].Body) != string(is.Comments[0].Body) {
		t.Errorf("refused update changed the comment: %s", after.Comments[0].Body)
	}
}

func jsonEqual(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

func TestPageTokenIsBoundToItsQuery(t *testing.T) {
	var keys []string
	for i := 1; i <= 5; i++ {
		keys = append(keys, fmt.Sprintf("OPS-%d", i))
	}
	_, c := newServer(t, Cloud, keys...)
	search := func(status int, jql, token string) map[string]any {
		t.Helper()
		body := map[string]any{"jql": jql, "fields": []string{"key"}, "maxResults": 2}
		if token != "" {
			body["nextPageToken"] = token
		}
		return obj(t, c.want(status, "POST", "/rest/api/3/search/jql", body))
	}
	const jql = "project = OPS ORDER BY key ASC"
	first := search(200, jql, "")
	tok, _ := first["nextPageToken"].(string)
	if tok == "" {
		t.Fatalf("no token: %v", first)
	}
	// The same query continues where it stopped.
	if got := issueKeys(t, search(200, jql, tok)["issues"]); !slices.Equal(got, []string{"OPS-3", "OPS-4"}) {
		t.Errorf("second page %v", got)
	}
	// Any other query refuses the token, whatever it selects.
	for _, other := range []string{
		"project = OPS ORDER BY key DESC",
		"project = OPS",
		"key in (OPS-1, OPS-2, OPS-3, OPS-4, OPS-5) ORDER BY key ASC",
		"project = OPS ORDER BY key ASC ",
	} {
		msgs, _ := errorMessages(t, search(400, other, tok))
		if !slices.Equal(msgs, []string{msgBadPageToken}) {
			t.Errorf("%q with another query's token: %v", other, msgs)
		}
	}
	// The GET form binds its tokens the same way.
	res := obj(t, c.want(200, "GET", "/rest/api/3/search/jql?jql=project%20%3D%20OPS&fields=key&maxResults=2", nil))
	getTok, _ := res["nextPageToken"].(string)
	c.want(200, "GET", "/rest/api/3/search/jql?jql=project%20%3D%20OPS&fields=key&maxResults=2&nextPageToken="+getTok, nil)
	c.want(400, "GET", "/rest/api/3/search/jql?jql=project%20%3D%20OPS%20AND%20labels%20%3D%20x&fields=key&nextPageToken="+getTok, nil)
}

// limited starts a Cloud server with rate limit rl on a wall clock the
// test moves.
func limited(t *testing.T, rl RateLimit) (*Server, *client, *sim.Clock) {
	t.Helper()
	wall := sim.NewClock(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	rl.Clock = wall.Now
	srv := New(Options{Flavor: Cloud, Email: email, APIToken: apiToken, RateLimit: rl})
	srv.AddProject("OPS", "Operations", DefaultWorkflow())
	if err := srv.AddIssue("OPS-1", "s", ""); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return srv, &client{t: t, base: ts.URL, auth: func(r *http.Request) { r.SetBasicAuth(email, apiToken) }}, wall
}

func TestRateLimitAnswers429LikeJiraCloud(t *testing.T) {
	_, c, wall := limited(t, RateLimit{Rate: 1, Burst: 2})
	get := func() response { return c.do("GET", "/rest/api/3/issue/OPS-1", nil) }

	r := get()
	if r.status != 200 || r.header.Get("X-RateLimit-Limit") != "2" || r.header.Get("X-RateLimit-Remaining") != "1" || r.header.Get("X-RateLimit-NearLimit") != "" {
		t.Errorf("first request: %d %v", r.status, r.header)
	}
	r = get()
	if r.status != 200 || r.header.Get("X-RateLimit-Remaining") != "0" || r.header.Get("X-RateLimit-NearLimit") != "" {
		t.Errorf("second request: %d %v", r.status, r.header)
	}
	r = get()
	if r.status != http.StatusTooManyRequests {
		t.Fatalf("third request in the same second: %d, want 429", r.status)
	}
	if r.header.Get("Retry-After") != "1" || r.header.Get("RateLimit-Reason") != "jira-burst-based" ||
		r.header.Get("X-RateLimit-Reset") != "2026-12-01T09:00Z" || r.header.Get("X-RateLimit-Remaining") != "0" {
		t.Errorf("429 headers: %v", r.header)
	}
	var body map[string]any
	if json.Unmarshal(r.body, &body) != nil {
		t.Errorf("429 body is not JSON: %s", r.body)
	}
	errorMessages(t, body)

	// Retrying before Retry-After is refused again, with a wait as long
	// or longer; waiting it out gets through.
	wall.Advance(500 * time.Millisecond)
	r = get()
	if r.status != 429 || atoi(r.header.Get("Retry-After")) < 1 {
		t.Fatalf("early retry: %d, Retry-After %q", r.status, r.header.Get("Retry-After"))
	}
	wall.Advance(time.Duration(atoi(r.header.Get("Retry-After")))*time.Second - time.Millisecond)
	if r := get(); r.status != 429 {
		t.Errorf("a millisecond early: %d", r.status)
	}
	wall.Advance(time.Duration(atoi(r.header.Get("Retry-After"))) * time.Second)
	if r := get(); r.status != 200 {
		t.Errorf("after Retry-After: %d", r.status)
	}

	// Each endpoint and method has its own budget; a 401 spends none.
	if r := c.do("GET", "/rest/api/3/issue/OPS-1/comment", nil); r.status != 200 {
		t.Errorf("another endpoint: %d", r.status)
	}
	if r := c.do("PUT", "/rest/api/3/issue/OPS-1", map[string]any{"fields": map[string]any{"summary": "t"}}); r.status != 204 {
		t.Errorf("another method: %d", r.status)
	}
	anon := &client{t: t, base: c.base}
	for i := 0; i < 3; i++ {
		if r := anon.do("GET", "/rest/api/3/issue/OPS-1/transitions", nil); r.status != 401 {
			t.Errorf("unauthorized: %d", r.status)
		}
	}
	if r := c.do("GET", "/rest/api/3/issue/OPS-1/transitions", nil); r.status != 200 || r.header.Get("X-RateLimit-Remaining") != "1" {
		t.Errorf("budget after 401s: %d %v", r.status, r.header.Get("X-RateLimit-Remaining"))
	}
}

func TestRateLimitIsOffUnlessConfigured(t *testing.T) {
	_, c, _ := limited(t, RateLimit{})
	for i := 0; i < 300; i++ {
		if r := c.do("GET", "/rest/api/3/issue/OPS-1", nil); r.status != 200 || r.header.Get("X-RateLimit-Limit") != "" {
			t.Fatalf("request %d: %d %v", i, r.status, r.header)
		}
	}
}

func TestCloudRateLimitAllowsABurstThenRefuses(t *testing.T) {
	_, c, wall := limited(t, CloudRateLimit)
	n := 0
	for ; n < 1000; n++ {
		if r := c.do("GET", "/rest/api/3/issue/OPS-1", nil); r.status != 200 {
			break
		}
	}
	if n != CloudRateLimit.Burst {
		t.Errorf("%d requests in a burst, want %d", n, CloudRateLimit.Burst)
	}
	// A second later, Rate more.
	wall.Advance(time.Second)
	for i := 0; i < int(CloudRateLimit.Rate); i++ {
		if r := c.do("GET", "/rest/api/3/issue/OPS-1", nil); r.status != 200 {
			t.Fatalf("request %d of the next second: %d", i, r.status)
		}
	}
}

// TestRetryTransportGetsThroughTheRateLimit: fixproof's HTTP clients run
// behind retry.Transport; a burst past the limit is answered 429, and the
// transport waits what Retry-After says (not its own backoff) and gets
// every request through.
func TestRetryTransportGetsThroughTheRateLimit(t *testing.T) {
	srv, c, wall := limited(t, RateLimit{Rate: 2, Burst: 3})
	var mu sync.Mutex
	var waits []time.Duration
	policy := retry.Default()
	policy.Sleep = func(_ context.Context, d time.Duration) error {
		mu.Lock()
		defer mu.Unlock()
		waits = append(waits, d)
		wall.Advance(d) // the wait passes on the limiter's clock
		return nil
	}
	hc := &http.Client{Transport: &retry.Transport{Policy: policy}}
	for i := 0; i < 8; i++ {
		req, _ := http.NewRequest("POST", c.base+"/rest/api/3/issue/OPS-1/comment",
			strings.NewReader(fmt.Sprintf(`{"body":{"type":"doc","version":1,"content":[{"type":"paragraph","content":[{"type":"text","text":"n%d"}]}]}}`, i)))
		req.Header.Set("Content-Type", "application/json")
		req.SetBasicAuth(email, apiToken)
		res, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 201 {
			t.Fatalf("comment %d: %d %s", i, res.StatusCode, b)
		}
	}
	is, _ := srv.Issue("OPS-1")
	if len(is.Comments) != 8 {
		t.Errorf("%d comments, want 8 (a 429 must not be acted on)", len(is.Comments))
	}
	refused := srv.Control.Total() - 8
	if refused == 0 || len(waits) != refused {
		t.Errorf("%d requests refused, %d waits", refused, len(waits))
	}
	for _, w := range waits {
		if w != time.Second {
			t.Errorf("waited %s, not Retry-After's 1s", w)
		}
	}
}

// TestNothingWithRichTextEscapesTheCheck: the two other ways rich text
// reaches the simulator, a comment added with a transition and a
// scenario's SetDescription, cannot slip invalid ADF past it.
func TestNothingWithRichTextEscapesTheCheck(t *testing.T) {
	srv, c := newServer(t, Cloud, "OPS-1")
	topText := json.RawMessage(`{"type":"doc","version":1,"content":[{"type":"text","text":"x"}]}`)
	if err := srv.SetDescription("OPS-1", topText); err == nil {
		t.Error("SetDescription stored invalid ADF")
	}
	if err := srv.SetDescription("OPS-1", json.RawMessage(wrapDoc(para(textWith("fine"))))); err != nil {
		t.Error(err)
	}
	withComment := func(body any) map[string]any {
		return map[string]any{"transition": map[string]any{"id": "11"},
			"update": map[string]any{"comment": []any{map[string]any{"add": map[string]any{"body": body}}}}}
	}
	msgs, _ := errorMessages(t, c.want(400, "POST", "/rest/api/3/issue/OPS-1/transitions", withComment(topText)))
	if !slices.Equal(msgs, []string{"INVALID_INPUT"}) {
		t.Errorf("transition with an invalid comment: %v", msgs)
	}
	if is, _ := srv.Issue("OPS-1"); is.Status != "Open" {
		t.Errorf("refused transition moved the issue to %s", is.Status)
	}
	c.want(204, "POST", "/rest/api/3/issue/OPS-1/transitions", withComment(adfDoc("fine")))
	if is, _ := srv.Issue("OPS-1"); is.Status != "In Progress" {
		t.Errorf("status %s", is.Status)
	}
}
