package etagcache

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// server answers GET /NAME with the current body of NAME and a strong
// ETag of it, and 304 to an If-None-Match that holds that ETag; it
// records each request's If-None-Match and status.
type server struct {
	mu     sync.Mutex
	bodies map[string]string
	seen   []string // "If-None-Match -> status", in order
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	body, ok := s.bodies[strings.TrimPrefix(r.URL.Path, "/")]
	status := http.StatusOK
	switch {
	case !ok:
		status = http.StatusNotFound
	case strings.HasPrefix(r.URL.Path, "/untagged"):
	default:
		tag := `"` + body + `"`
		w.Header().Set("ETag", tag)
		if r.Header.Get("If-None-Match") == tag {
			status = http.StatusNotModified
		}
	}
	w.Header().Set("X-RateLimit-Used", "7")
	s.seen = append(s.seen, r.Header.Get("If-None-Match")+" -> "+http.StatusText(status))
	w.WriteHeader(status)
	if status == http.StatusOK {
		_, _ = io.WriteString(w, body)
	}
}

func (s *server) set(name, body string) {
	s.mu.Lock()
	s.bodies[name] = body
	s.mu.Unlock()
}

func (s *server) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.seen
	s.seen = nil
	return out
}

func get(t *testing.T, c *http.Client, url string) (int, string, http.Header) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b), resp.Header
}

func TestAnUnchangedAnswerIsAskedForConditionallyAndServedFromWhatWasKept(t *testing.T) {
	s := &server{bodies: map[string]string{"settings": "v1", "untagged": "u"}}
	ts := httptest.NewServer(s)
	defer ts.Close()
	c := &http.Client{Transport: New(nil, 8)}

	for range 2 {
		if status, body, h := get(t, c, ts.URL+"/settings"); status != 200 || body != "v1" || h.Get("ETag") != `"v1"` || h.Get("X-RateLimit-Used") != "7" {
			t.Errorf("settings: %d %q %v", status, body, h)
		}
	}
	s.set("settings", "v2")
	if status, body, _ := get(t, c, ts.URL+"/settings"); status != 200 || body != "v2" {
		t.Errorf("after a change: %d %q, want v2", status, body)
	}
	if status, body, _ := get(t, c, ts.URL+"/settings"); status != 200 || body != "v2" {
		t.Errorf("again: %d %q, want v2 kept", status, body)
	}
	get(t, c, ts.URL+"/untagged")
	get(t, c, ts.URL+"/untagged")
	get(t, c, ts.URL+"/missing")
	get(t, c, ts.URL+"/missing")
	want := []string{
		` -> OK`, `"v1" -> Not Modified`, // kept, then asked for conditionally
		`"v1" -> OK`, `"v2" -> Not Modified`, // a change replaces what was kept
		` -> OK`, ` -> OK`, // no ETag: nothing to ask with
		` -> Not Found`, ` -> Not Found`, // only a 200 is kept
	}
	if got := s.requests(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("the server saw\n%q\nwant\n%q", got, want)
	}
}

func TestOnlyPlainGETsAreMadeConditional(t *testing.T) {
	s := &server{bodies: map[string]string{"a": "A"}}
	ts := httptest.NewServer(s)
	defer ts.Close()
	c := &http.Client{Transport: New(nil, 8)}
	get(t, c, ts.URL+"/a")
	s.requests()

	req, _ := http.NewRequest(http.MethodGet, ts.URL+"/a", nil)
	req.Header.Set("If-None-Match", `"other"`)
	if resp, err := c.Do(req); err == nil {
		resp.Body.Close()
	}
	if resp, err := c.Post(ts.URL+"/a", "application/json", strings.NewReader("{}")); err == nil {
		resp.Body.Close()
	}
	if got := s.requests(); len(got) != 2 || got[0] != `"other" -> OK` || got[1] != ` -> OK` {
		t.Errorf("a caller's own condition and a POST: %q, want them untouched", got)
	}
}

func TestTheLeastRecentlyUsedAnswerGoesFirst(t *testing.T) {
	s := &server{bodies: map[string]string{"a": "A", "b": "B", "c": "C"}}
	ts := httptest.NewServer(s)
	defer ts.Close()
	c := &http.Client{Transport: New(nil, 2)}
	for _, p := range []string{"a", "b", "a", "c", "a", "b"} {
		get(t, c, ts.URL+"/"+p)
	}
	// a and b kept; a used again, so c pushes b out; b comes back whole.
	want := []string{` -> OK`, ` -> OK`, `"A" -> Not Modified`, ` -> OK`, `"A" -> Not Modified`, ` -> OK`}
	if got := s.requests(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("the server saw %q, want %q", got, want)
	}
}

func TestAnAnswerTooLargeToKeepPassesThroughWhole(t *testing.T) {
	big := strings.Repeat("x", MaxBody+10)
	s := &server{bodies: map[string]string{"big": big}}
	ts := httptest.NewServer(s)
	defer ts.Close()
	c := &http.Client{Transport: New(nil, 8)}
	for range 2 {
		if status, body, _ := get(t, c, ts.URL+"/big"); status != 200 || body != big {
			t.Fatalf("big: %d, %d bytes, want all %d", status, len(body), len(big))
		}
	}
	if got := s.requests(); len(got) != 2 || got[1] != ` -> OK` {
		t.Errorf("a body over MaxBody was kept: %q", got)
	}
}
