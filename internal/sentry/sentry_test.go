package sentry

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/fixproof/fixproof/internal/contract"
	"github.com/fixproof/fixproof/internal/retry"
	"github.com/fixproof/fixproof/internal/sim"
	"github.com/fixproof/fixproof/internal/sim/sentrysim"
)

// noon is the simulated now of most tests.
var noon = time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)

type env struct {
	c     *Client
	s     *sentrysim.Server
	url   string
	clock *sim.Clock
}

// checked wraps base with Sentry contract validation when the contracts
// are present (and leaves it alone otherwise: the test still runs).
func checked(t *testing.T, base http.RoundTripper) http.RoundTripper {
	if _, ok := contract.Dir(); ok {
		return contract.SentrySpec(t).Transport(t, base)
	}
	return base
}

// setup starts a simulator for org "acme" with token "tok" and a client
// for it whose traffic is checked against Sentry's spec.
func setup(t *testing.T, o sentrysim.Options) *env {
	t.Helper()
	e := &env{clock: sim.NewClock(noon)}
	o.Token, o.Org, o.Now = "tok", "acme", e.clock.Now
	e.s = sentrysim.New(o)
	srv := httptest.NewServer(e.s.Handler())
	t.Cleanup(srv.Close)
	e.url = srv.URL
	e.c = e.client(t, Config{HTTPClient: &http.Client{Transport: checked(t, http.DefaultTransport)}})
	return e
}

// client makes another client for the simulator; cfg's empty fields are
// filled in.
func (e *env) client(t *testing.T, cfg Config) *Client {
	t.Helper()
	if cfg.BaseURL == "" {
		cfg.BaseURL = e.url
	}
	if cfg.Token == "" {
		cfg.Token = "tok"
	}
	if cfg.Org == "" {
		cfg.Org = "acme"
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.now = e.clock.Now
	return c
}

func (e *env) addIssue(t *testing.T) {
	t.Helper()
	e.s.AddIssue(sentrysim.Issue{
		ID: "4711", ShortID: "SHOP-2F", Title: "ZeroDivisionError: division by zero", Project: "shop",
		Culprit: "shop.cart in total", FirstSeen: noon.Add(-48 * time.Hour),
	})
}

var ctx = context.Background()

func TestNewValidatesConfig(t *testing.T) {
	for _, cfg := range []Config{
		{Org: "acme"},
		{Token: "  ", Org: "acme"},
		{Token: "t"},
		{Token: "t", Org: "acme", BaseURL: "ftp://sentry.example.com"},
		{Token: "t", Org: "acme", BaseURL: "sentry.example.com"},
		{Token: "t", Org: "acme", BaseURL: "https://"},
		{Token: "t", Org: "acme", BaseURL: "https://sentry.example.com/api/0/"},
		{Token: "t", Org: "acme", BaseURL: "https://sentry.example.com/?x=1"},
		{Token: "t", Org: "acme", BaseURL: "https://user:pw@sentry.example.com"},
		{Token: "t", Org: "acme", BaseURL: "://bad"},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
	for base, want := range map[string]string{
		"":                                 "https://sentry.io",
		"https://sentry.example.com/":      "https://sentry.example.com",
		"http://10.0.0.5:9000":             "http://10.0.0.5:9000",
		"https://example.com/sentry/":      "https://example.com/sentry",
		"https://de.sentry.io":             "https://de.sentry.io",
		"https://sentry.example.com//////": "https://sentry.example.com",
	} {
		c, err := New(Config{Token: "t", Org: "acme", BaseURL: base})
		if err != nil {
			t.Errorf("New(BaseURL %q): %v", base, err)
			continue
		}
		if c.api.Base != want {
			t.Errorf("New(BaseURL %q): base %q, want %q", base, c.api.Base, want)
		}
		if c.api.HTTP != http.DefaultClient {
			t.Errorf("nil HTTPClient not replaced by http.DefaultClient")
		}
	}
}

// TestNilHTTPClient sends a request with Config.HTTPClient left nil: it
// must go out through http.DefaultClient rather than panic.
func TestNilHTTPClient(t *testing.T) {
	e := setup(t, sentrysim.Options{})
	e.addIssue(t)
	c, err := New(Config{BaseURL: e.url, Token: "tok", Org: "acme", HTTPClient: nil})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Issue(ctx, "4711"); err != nil {
		t.Fatal(err)
	}
}

func TestIssue(t *testing.T) {
	e := setup(t, sentrysim.Options{})
	e.addIssue(t)
	e.s.SetTimeline("4711", sentrysim.Rate(10))
	is, err := e.c.Issue(ctx, "4711")
	if err != nil {
		t.Fatal(err)
	}
	want := Issue{
		ID: "4711", ShortID: "SHOP-2F", Title: "ZeroDivisionError: division by zero", Culprit: "shop.cart in total",
		Level: "error", Status: "unresolved", Substatus: "ongoing", Permalink: "https://acme.sentry.io/issues/4711/",
		Project: "shop", ProjectID: e.s.ProjectID("shop"), Count: 480, FirstSeen: noon.Add(-48 * time.Hour),
	}
	if want.ProjectID == "" || want.ProjectID == "shop" {
		t.Fatalf("the simulator's project id is %q", want.ProjectID)
	}
	last := is.LastSeen
	is.LastSeen = time.Time{}
	if !reflect.DeepEqual(is, want) {
		t.Errorf("issue\n got %+v\nwant %+v", is, want)
	}
	// At 10 an hour an event happens every 6 minutes.
	if last.Before(noon.Add(-6*time.Minute-time.Second)) || last.After(noon) {
		t.Errorf("lastSeen %s, want within 6 minutes before %s", last, noon)
	}
	// The short id works too, on Sentry's side; the client wants the
	// numeric one.
	if _, err := e.c.Issue(ctx, "SHOP-2F"); !errors.Is(err, ErrInvalidID) {
		t.Errorf("short id: %v, want ErrInvalidID", err)
	}
}

func TestResolveInCommit(t *testing.T) {
	e := setup(t, sentrysim.Options{Repositories: []string{"acme/shop"}})
	e.addIssue(t)
	is, err := e.c.Resolve(ctx, "4711", &Commit{Commit: "0f1e2d3c4b5a", Repository: "acme/shop"})
	if err != nil {
		t.Fatal(err)
	}
	wantCommit := &Commit{Commit: "0f1e2d3c4b5a", Repository: "acme/shop"}
	if is.ID != "4711" || is.Status != "resolved" || is.Substatus != "" || !reflect.DeepEqual(is.ResolvedInCommit, wantCommit) {
		t.Errorf("answer: %+v (commit %+v)", is, is.ResolvedInCommit)
	}

	st, _ := e.s.Issue("4711")
	if st.Status != "resolved" || st.Updates != 1 || !reflect.DeepEqual(st.ResolvedInCommit, &sentrysim.Commit{Commit: "0f1e2d3c4b5a", Repository: "acme/shop"}) {
		t.Errorf("server state: %+v", st)
	}
	// Exactly these fields, nothing of the issue sent back.
	const wantBody = `{"status":"resolved","statusDetails":{"inCommit":{"commit":"0f1e2d3c4b5a","repository":"acme/shop"}}}`
	if len(st.UpdateBodies) != 1 || st.UpdateBodies[0] != wantBody {
		t.Fatalf("PUT bodies %q, want [%s]", st.UpdateBodies, wantBody)
	}
	var sent map[string]any
	if err := json.Unmarshal([]byte(st.UpdateBodies[0]), &sent); err != nil || len(sent) != 2 {
		t.Errorf("sent %v fields (%v), want status and statusDetails only", len(sent), err)
	}

	// Read back: Sentry puts the serialized commit in statusDetails.
	got, err := e.c.Issue(ctx, "4711")
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != "resolved" || !reflect.DeepEqual(got.ResolvedInCommit, wantCommit) {
		t.Errorf("read back: %+v (commit %+v)", got, got.ResolvedInCommit)
	}

	// A person reopening it clears the commit.
	e.s.SetStatus("4711", "unresolved")
	if got, err := e.c.Issue(ctx, "4711"); err != nil || got.Status != "unresolved" || got.ResolvedInCommit != nil {
		t.Errorf("after reopening: %+v, %v", got, err)
	}
}

func TestResolveWithoutCommit(t *testing.T) {
	e := setup(t, sentrysim.Options{})
	e.addIssue(t)
	is, err := e.c.Resolve(ctx, "4711", nil)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := e.s.Issue("4711")
	if is.Status != "resolved" || is.ResolvedInCommit != nil || st.Status != "resolved" || st.ResolvedInCommit != nil {
		t.Errorf("answer %+v, state %+v", is, st)
	}
	if len(st.UpdateBodies) != 1 || st.UpdateBodies[0] != `{"status":"resolved"}` {
		t.Errorf("PUT bodies %q", st.UpdateBodies)
	}
}

func TestResolveInUnknownRepository(t *testing.T) {
	e := setup(t, sentrysim.Options{Repositories: []string{"acme/shop"}})
	e.addIssue(t)
	_, err := e.c.Resolve(ctx, "4711", &Commit{Commit: "0f1e", Repository: "acme/other"})
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 400 || ae.Auth() {
		t.Fatalf("err = %v, want a 400 APIError", err)
	}
	if want := "statusDetails.inCommit.repository: Unable to find the given repository."; ae.Detail != want {
		t.Errorf("detail %q, want %q", ae.Detail, want)
	}
	if want := "sentry: resolve issue 4711: 400 " + ae.Detail; err.Error() != want {
		t.Errorf("Error() = %q, want %q", err, want)
	}
	if st, _ := e.s.Issue("4711"); st.Status != "unresolved" || st.Updates != 1 {
		t.Errorf("state after a refused update: %+v", st)
	}
}

func TestResolveCommitNeedsShaAndRepository(t *testing.T) {
	e := setup(t, sentrysim.Options{})
	e.addIssue(t)
	for _, in := range []*Commit{{Commit: "0f1e"}, {Repository: "acme/shop"}} {
		if _, err := e.c.Resolve(ctx, "4711", in); err == nil {
			t.Errorf("Resolve(%+v) accepted", in)
		}
	}
	if n := e.s.Control.Total(); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

func TestNotFound(t *testing.T) {
	e := setup(t, sentrysim.Options{})
	e.addIssue(t)
	calls := map[string]func() error{
		"Issue":          func() error { _, err := e.c.Issue(ctx, "999"); return err },
		"Resolve":        func() error { _, err := e.c.Resolve(ctx, "999", nil); return err },
		"Notes":          func() error { _, err := e.c.Notes(ctx, "999"); return err },
		"AddNote":        func() error { _, err := e.c.AddNote(ctx, "999", "x"); return err },
		"ExternalIssues": func() error { _, err := e.c.ExternalIssues(ctx, "999"); return err },
	}
	for name, call := range calls {
		err := call()
		var ae *APIError
		if !errors.Is(err, ErrNotFound) || !errors.As(err, &ae) || ae.Status != 404 || ae.Auth() {
			t.Errorf("%s: %v, want a 404 APIError matching ErrNotFound", name, err)
			continue
		}
		if ae.Detail != "The requested resource does not exist" || !strings.Contains(err.Error(), "404 The requested resource does not exist") {
			t.Errorf("%s: %q", name, err)
		}
	}
}

func TestAuthErrors(t *testing.T) {
	e := setup(t, sentrysim.Options{})
	e.addIssue(t)
	tr := checked(t, http.DefaultTransport)
	for name, c := range map[string]struct {
		cfg    Config
		status int
		detail string
	}{
		"wrong token": {Config{Token: "nope"}, 401, "Invalid token"},
		"other org":   {Config{Org: "other"}, 403, "You do not have permission to perform this action."},
	} {
		c.cfg.HTTPClient = &http.Client{Transport: tr}
		_, err := e.client(t, c.cfg).Issue(ctx, "4711")
		var ae *APIError
		if !errors.As(err, &ae) || ae.Status != c.status || !ae.Auth() || errors.Is(err, ErrNotFound) {
			t.Errorf("%s: %v, want %d with Auth()", name, err, c.status)
			continue
		}
		if ae.Detail != c.detail {
			t.Errorf("%s: detail %q, want %q", name, ae.Detail, c.detail)
		}
	}
}

func TestInvalidIDsSendNothing(t *testing.T) {
	e := setup(t, sentrysim.Options{})
	for _, id := range []string{"", "abc", "SHOP-2F", "4711/../../projects", "1 OR 1=1", "-1", "+1", "4711 ", "１２", "12345678901234567890"} {
		errs := []error{}
		_, err := e.c.Issue(ctx, id)
		errs = append(errs, err)
		_, err = e.c.Resolve(ctx, id, nil)
		errs = append(errs, err)
		_, err = e.c.EventCounts(ctx, id, noon.Add(-time.Hour), noon, time.Hour)
		errs = append(errs, err)
		_, err = e.c.Notes(ctx, id)
		errs = append(errs, err)
		_, err = e.c.AddNote(ctx, id, "x")
		errs = append(errs, err)
		_, err = e.c.ExternalIssues(ctx, id)
		errs = append(errs, err)
		for i, err := range errs {
			if !errors.Is(err, ErrInvalidID) {
				t.Errorf("id %q, call %d: %v, want ErrInvalidID", id, i, err)
			}
		}
	}
	if n := e.s.Control.Total(); n != 0 {
		t.Errorf("%d requests sent for invalid ids", n)
	}
	if err := checkID("1234567890123456789"); err != nil {
		t.Errorf("19 digits rejected: %v", err)
	}
}

// TestOrgIsEscaped checks that an organization slug cannot change the
// path.
func TestOrgIsEscaped(t *testing.T) {
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.URL.EscapedPath()
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"id":"1"}`))
	}))
	defer srv.Close()
	c, err := New(Config{BaseURL: srv.URL + "/prefix", Token: "t", Org: "a/../b?c"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Issue(ctx, "1"); err != nil {
		t.Fatal(err)
	}
	if want := "/prefix/api/0/organizations/a%2F..%2Fb%3Fc/issues/1/"; got != want {
		t.Errorf("path %q, want %q", got, want)
	}
}

func TestHeaders(t *testing.T) {
	var got http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"id":"1","status":"resolved"}`))
	}))
	defer srv.Close()
	c, err := New(Config{BaseURL: srv.URL, Token: "sntrys_abc", Org: "acme", UserAgent: "fixproof/1.0"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Resolve(ctx, "1", nil); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{
		"Authorization": "Bearer sntrys_abc", "User-Agent": "fixproof/1.0",
		"Content-Type": "application/json", "Accept": "application/json",
	} {
		if got.Get(k) != want {
			t.Errorf("%s: %q, want %q", k, got.Get(k), want)
		}
	}
}

// TestRateLimitIsRetriedByTheTransport injects a 429 with Sentry's
// X-Sentry-Rate-Limit-Reset: the retry policy (not the client) waits until
// the reset and tries again.
func TestRateLimitIsRetriedByTheTransport(t *testing.T) {
	e := setup(t, sentrysim.Options{})
	e.addIssue(t)
	var mu sync.Mutex
	var waits []time.Duration
	policy := retry.Policy{
		Attempts: 3, Base: time.Millisecond, Max: time.Millisecond, MaxWait: time.Minute,
		Sleep: func(_ context.Context, d time.Duration) error {
			mu.Lock()
			waits = append(waits, d)
			mu.Unlock()
			return nil
		},
	}
	c := e.client(t, Config{HTTPClient: &http.Client{Transport: &retry.Transport{
		Base: checked(t, http.DefaultTransport), Policy: policy,
	}}})
	reset := time.Now().Add(30 * time.Second).Unix()
	e.s.Control.Inject(sim.Fault{
		PathPrefix: "/api/0/organizations/acme/issues/4711/",
		Status:     http.StatusTooManyRequests,
		Header:     http.Header{"X-Sentry-Rate-Limit-Reset": {strconv.FormatInt(reset, 10)}},
		Body:       `{"detail":"You are attempting to use this endpoint too frequently. Limit is 40 requests in 1 seconds"}`,
	})
	before := time.Now()
	is, err := c.Issue(ctx, "4711")
	after := time.Now()
	if err != nil || is.ID != "4711" {
		t.Fatalf("Issue: %+v, %v", is, err)
	}
	if n := e.s.Control.Count("GET /api/0/organizations/acme/issues/4711/"); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(waits) != 1 {
		t.Fatalf("waits %v, want one", waits)
	}
	// The policy computed reset - now at some instant between before and
	// after.
	at := time.Unix(reset, 0)
	if lo, hi := at.Sub(after), at.Sub(before); waits[0] < lo || waits[0] > hi {
		t.Errorf("waited %s, want reset - now, between %s and %s", waits[0], lo, hi)
	}
}

// TestRateLimitSurfaces checks that a 429 the retry policy gives up on
// reaches the caller as an APIError with Sentry's detail.
func TestRateLimitSurfaces(t *testing.T) {
	e := setup(t, sentrysim.Options{})
	e.addIssue(t)
	e.s.Control.Inject(sim.Fault{PathPrefix: "/api/0/", Status: 429, Body: `{"detail":"slow down"}`})
	_, err := e.c.Issue(ctx, "4711")
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 429 || ae.Detail != "slow down" || ae.Auth() {
		t.Errorf("err = %v", err)
	}
}

func TestExternalIssues(t *testing.T) {
	e := setup(t, sentrysim.Options{})
	e.addIssue(t)
	got, err := e.c.ExternalIssues(ctx, "4711")
	if err != nil || got == nil || len(got) != 0 {
		t.Fatalf("no links: %#v, %v", got, err)
	}
	e.s.AddExternalIssue("4711", sentrysim.ExternalIssue{
		ServiceType: "jira-bridge", Project: "SHOP", Identifier: "SHOP-12", WebURL: "https://acme.atlassian.net/browse/SHOP-12",
	})
	e.s.AddExternalIssue("4711", sentrysim.ExternalIssue{
		ServiceType: "tracker", Project: "C# tools", Identifier: "T-9", WebURL: "https://tracker.example.com/T-9",
	})
	got, err = e.c.ExternalIssues(ctx, "4711")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("got %+v", got)
	}
	want := ExternalIssue{
		ID: got[0].ID, Key: "SHOP-12", DisplayName: "SHOP#SHOP-12", WebURL: "https://acme.atlassian.net/browse/SHOP-12",
		ServiceType: "jira-bridge", IssueID: "4711",
	}
	if got[0] != want || got[0].ID == "" {
		t.Errorf("got %+v\nwant %+v", got[0], want)
	}
	if got[1].Key != "T-9" || got[1].DisplayName != "C# tools#T-9" {
		t.Errorf("second link %+v", got[1])
	}
}

func TestDetail(t *testing.T) {
	for body, want := range map[string]string{
		`{"detail":"Invalid token"}`:                                            "Invalid token",
		`{"detail":{"code":"x","message":"Organization is disabled"}}`:          "Organization is disabled",
		`{"status":["\"x\" is not a valid choice."]}`:                           `status: "x" is not a valid choice.`,
		`{"text":["This field is required."],"b":["one","two"]}`:                "b: one; b: two; text: This field is required.",
		`{"statusDetails":{"inCommit":{"commit":["This field is required."]}}}`: "statusDetails.inCommit.commit: This field is required.",
		`["Invalid project ids"]`:                                               "Invalid project ids",
		`<html><body>Bad Gateway</body></html>`:                                 "<html><body>Bad Gateway</body></html>",
		``:                                                                      "",
		`{"count":5}`:                                                           "count: 5",
	} {
		if got := detail([]byte(body)); got != want {
			t.Errorf("detail(%s) = %q, want %q", body, got, want)
		}
	}
	long := strings.Repeat("x", 500)
	if got := detail([]byte(long)); len(got) > 210 {
		t.Errorf("a long body is not shortened: %d bytes", len(got))
	}
	// "é" takes bytes 200 and 201: shortening must not split it.
	if got := detail([]byte(strings.Repeat("x", 199) + "é, then more")); !utf8.ValidString(got) || got != strings.Repeat("x", 199)+"..." {
		t.Errorf("a long body is shortened inside a character: %q", got)
	}
	if got := (&APIError{Op: "read issue 1", Status: 502}).Error(); got != "sentry: read issue 1: 502 Bad Gateway" {
		t.Errorf("Error() without detail = %q", got)
	}
}

func TestInCommitShapes(t *testing.T) {
	for raw, want := range map[string]*Commit{
		``:       nil,
		`null`:   nil,
		`""`:     nil,
		`"0f1e"`: {Commit: "0f1e"},
		`{"id":"0f1e","repository":{"id":"3","name":"acme/shop"},"author":null}`: {Commit: "0f1e", Repository: "acme/shop"},
		`{"commit":"0f1e","repository":"acme/shop"}`:                             {Commit: "0f1e", Repository: "acme/shop"},
		`{"id":"0f1e"}`:      {Commit: "0f1e"},
		`{"repository":"x"}`: nil,
		`5`:                  nil,
		`[{"id":"0f1e"}]`:    nil,
	} {
		if got := inCommit(json.RawMessage(raw)); !reflect.DeepEqual(got, want) {
			t.Errorf("inCommit(%s) = %+v, want %+v", raw, got, want)
		}
	}
}

func TestIssueDecodingErrors(t *testing.T) {
	for _, body := range []string{
		`{"id":"1","count":"many"}`,
		`{"id":"1","count":"-3"}`,
		`{"id":"1","firstSeen":"yesterday"}`,
		`{"id":"1"`,
		`[]`,
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(body))
		}))
		c, _ := New(Config{BaseURL: srv.URL, Token: "t", Org: "acme"})
		if is, err := c.Issue(ctx, "1"); err == nil {
			t.Errorf("%s: accepted as %+v", body, is)
		}
		srv.Close()
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"id":"1","count":42,"firstSeen":null,"lastSeen":"2026-03-02T11:59:59.123456Z","substatus":null}`))
	}))
	defer srv.Close()
	c, _ := New(Config{BaseURL: srv.URL, Token: "t", Org: "acme"})
	is, err := c.Issue(ctx, "1")
	if err != nil || is.Count != 42 || !is.FirstSeen.IsZero() || !is.LastSeen.Equal(time.Date(2026, 3, 2, 11, 59, 59, 123456000, time.UTC)) {
		t.Errorf("lenient shapes: %+v, %v", is, err)
	}
}

func TestContextIsHonoured(t *testing.T) {
	e := setup(t, sentrysim.Options{})
	e.addIssue(t)
	e.s.Control.SetLatency(500 * time.Millisecond) // the server still answers, late: Close waits for it
	c, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := e.c.Issue(c, "4711"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want the context's deadline", err)
	}
}
