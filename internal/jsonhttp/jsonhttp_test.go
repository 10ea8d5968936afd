package jsonhttp

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

// seen is what a test server saw of one request.
type seen struct {
	method, uri, body string
	header            http.Header
}

// server answers every request with status and body, and records it.
func server(t *testing.T, status int, body string, got *seen) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		*got = seen{method: r.Method, uri: r.URL.RequestURI(), body: string(b), header: r.Header.Clone()}
		w.Header().Set("X-Answer", "yes")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestDoSendsJSONWithTheClientsHeaders(t *testing.T) {
	var got seen
	base := server(t, http.StatusCreated, `{"id":7}`, &got)
	c := Client{Service: "acme", Base: base + "/api", MaxBody: 1 << 10,
		Header: http.Header{"Authorization": {"Bearer t"}, "Accept": {"application/json"}}}
	resp, err := c.Do(context.Background(), "create thing", http.MethodPost, "/things/", url.Values{"q": {"a b"}}, map[string]int{"n": 1})
	if err != nil {
		t.Fatal(err)
	}
	if got.method != http.MethodPost || got.uri != "/api/things/?q=a+b" || got.body != `{"n":1}` {
		t.Errorf("request %s %s %s", got.method, got.uri, got.body)
	}
	for k, want := range map[string]string{"Authorization": "Bearer t", "Accept": "application/json", "Content-Type": "application/json"} {
		if v := got.header.Get(k); v != want {
			t.Errorf("header %s = %q, want %q", k, v, want)
		}
	}
	if !resp.OK() || resp.Status != http.StatusCreated || string(resp.Body) != `{"id":7}` || resp.Header.Get("X-Answer") != "yes" {
		t.Errorf("response %+v", resp)
	}
	var out struct{ ID int }
	if err := c.Decode("create thing", resp, &out); err != nil || out.ID != 7 {
		t.Errorf("Decode: %v %+v", err, out)
	}
	if len(c.Header) != 2 {
		t.Errorf("the client's header was changed: %v", c.Header)
	}
}

func TestDoWithoutBodySendsNoContentType(t *testing.T) {
	var got seen
	base := server(t, http.StatusOK, `{}`, &got)
	c := Client{Service: "acme", Base: base, MaxBody: 1 << 10}
	if _, err := c.Do(context.Background(), "read", http.MethodGet, "/x", nil, nil); err != nil {
		t.Fatal(err)
	}
	if got.uri != "/x" || got.header.Get("Content-Type") != "" || got.body != "" {
		t.Errorf("request %s, Content-Type %q, body %q", got.uri, got.header.Get("Content-Type"), got.body)
	}
}

// A retrying transport sends a body again only when the request can give
// it again (GetBody).
func TestDoBodyCanBeSentAgain(t *testing.T) {
	var again string
	c := Client{Service: "acme", Base: "http://example.invalid", MaxBody: 1 << 10,
		HTTP: &http.Client{Transport: roundTrip(func(r *http.Request) (*http.Response, error) {
			if r.GetBody == nil {
				return nil, errors.New("no GetBody")
			}
			b, _ := r.GetBody()
			raw, _ := io.ReadAll(b)
			again = string(raw)
			return &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader("{}")), Header: http.Header{}}, nil
		})}}
	if _, err := c.Do(context.Background(), "post", http.MethodPost, "/", nil, []string{"x"}); err != nil {
		t.Fatal(err)
	}
	if again != `["x"]` {
		t.Errorf("GetBody gave %q", again)
	}
}

type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestDoReturnsEveryStatusAsAnAnswer(t *testing.T) {
	var got seen
	base := server(t, http.StatusBadGateway, `<html>bad gateway</html>`, &got)
	c := Client{Service: "acme", Base: base, MaxBody: 1 << 10}
	resp, err := c.Do(context.Background(), "read", http.MethodGet, "/", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.OK() || resp.Status != http.StatusBadGateway || string(resp.Body) != `<html>bad gateway</html>` {
		t.Errorf("response %+v", resp)
	}
}

func TestDoErrorsNameServiceAndOperation(t *testing.T) {
	var got seen
	base := server(t, http.StatusOK, strings.Repeat("x", 11), &got)
	c := Client{Service: "acme", Base: base, MaxBody: 10}
	ctx := context.Background()
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	tests := []struct {
		name string
		do   func() error
		want string
	}{
		{"too large", func() error { _, err := c.Do(ctx, "read x", http.MethodGet, "/", nil, nil); return err },
			"acme: read x: response larger than 10 bytes"},
		{"cannot encode", func() error { _, err := c.Do(ctx, "write x", http.MethodPost, "/", nil, func() {}); return err },
			"acme: write x: encoding request: json: unsupported type: func()"},
		{"bad method", func() error { _, err := c.Do(ctx, "odd x", "BAD METHOD", "/", nil, nil); return err },
			`acme: odd x: net/http: invalid method "BAD METHOD"`},
		{"cannot decode", func() error { return c.Decode("read y", &Response{Body: []byte("<html>")}, &struct{}{}) },
			"acme: read y: decoding response: invalid character '<' looking for beginning of value"},
	}
	for _, tt := range tests {
		if err := tt.do(); err == nil || err.Error() != tt.want {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
	}
	_, err := c.Do(canceled, "read z", http.MethodGet, "/", nil, nil)
	if !errors.Is(err, context.Canceled) || !strings.HasPrefix(err.Error(), "acme: read z: ") {
		t.Errorf("canceled: %v", err)
	}
}

// The client is shared by a service's workers: requests at once must not
// touch the shared header.
func TestDoIsSafeForConcurrentUse(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "{}") }))
	t.Cleanup(srv.Close)
	c := Client{Service: "acme", Base: srv.URL, MaxBody: 1 << 10, Header: http.Header{"Accept": {"application/json"}}}
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Do(context.Background(), "post", http.MethodPost, "/", nil, i); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if len(c.Header) != 1 {
		t.Errorf("header changed: %v", c.Header)
	}
}

func TestSnippetCutsOnACharacterBoundary(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"  <html>short</html>\n", "<html>short</html>"},
		{strings.Repeat("x", 200), strings.Repeat("x", 200)},
		{strings.Repeat("x", 201), strings.Repeat("x", 200) + "..."},
		// "é" takes bytes 200 and 201: cutting at 200 bytes would split it.
		{strings.Repeat("x", 199) + "é and more", strings.Repeat("x", 199) + "..."},
	}
	for _, tt := range tests {
		got := Snippet([]byte(tt.in))
		if got != tt.want || !utf8.ValidString(got) {
			t.Errorf("Snippet(%.20q...) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
