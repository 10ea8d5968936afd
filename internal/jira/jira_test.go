package jira

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/contract"
	"github.com/fixproof/fixproof/internal/flow"
	"github.com/fixproof/fixproof/internal/jiramarkup"
	"github.com/fixproof/fixproof/internal/loop"
	"github.com/fixproof/fixproof/internal/sim/jirasim"
)

func setup(t *testing.T, flavor jirasim.Flavor, issues map[string]string) (*Client, *jirasim.Server) {
	t.Helper()
	js := jirasim.New(jirasim.Options{Flavor: flavor, Email: "a@b.c", APIToken: "tok", PAT: "pat"})
	js.AddProject("OPS", "Ops", jirasim.DefaultWorkflow())
	for k, st := range issues {
		if err := js.AddIssue(k, "summary "+k, st); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(js.Handler())
	t.Cleanup(srv.Close)
	var tr http.RoundTripper = http.DefaultTransport
	if _, ok := contract.Dir(); ok {
		tr = contract.JiraSpec(t).Transport(t, tr)
	}
	cfg := Config{BaseURL: srv.URL, HTTPClient: &http.Client{Transport: tr}}
	if flavor == jirasim.Cloud {
		cfg.Email, cfg.APIToken = "a@b.c", "tok"
	} else {
		cfg.PAT = "pat"
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c, js
}

var both = []jirasim.Flavor{jirasim.Cloud, jirasim.DataCenter}

func TestNewNeedsOneKindOfCredentials(t *testing.T) {
	for _, cfg := range []Config{
		{BaseURL: "https://x"},
		{BaseURL: "https://x", Email: "a@b.c"},
		{BaseURL: "https://x", APIToken: "t"},
		{BaseURL: "https://x", Email: "a@b.c", APIToken: "t", PAT: "p"},
		{Email: "a@b.c", APIToken: "t"},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
	c, err := New(Config{BaseURL: "https://x/", PAT: "p"})
	if err != nil || c.Cloud() || c.BrowseURL("OPS-1") != "https://x/browse/OPS-1" {
		t.Errorf("data center client: %v", err)
	}
}

func TestSearchReturnsStatusTransitionsAndMissingKeys(t *testing.T) {
	for _, flavor := range both {
		t.Run(flavor.String(), func(t *testing.T) {
			c, js := setup(t, flavor, map[string]string{"OPS-1": "Open", "OPS-2": "Done"})
			found, missing, err := c.Search(context.Background(), []string{"OPS-1", "OPS-9", "NOPE-1", "OPS-2"})
			if err != nil {
				t.Fatal(err)
			}
			sort.Strings(missing)
			if !reflect.DeepEqual(missing, []string{"NOPE-1", "OPS-9"}) {
				t.Errorf("missing %v", missing)
			}
			if is := found["OPS-2"]; is.Status != "Done" || is.Category != "done" || is.Summary != "summary OPS-2" {
				t.Errorf("OPS-2 = %+v", is)
			}
			if got := found["OPS-1"].Transitions; len(got) != 2 || got[0].To != "In Progress" || got[0].ToCategory != "indeterminate" {
				t.Errorf("OPS-1 transitions %+v", got)
			}
			if n := js.Control.Total(); n != 2 {
				t.Errorf("%d requests, want the failed search and its retry", n)
			}
		})
	}
}

func TestSearchPagesPastAHundredKeys(t *testing.T) {
	issues := map[string]string{}
	var keys []string
	for i := 1; i <= 150; i++ {
		k := "OPS-" + strconv.Itoa(i)
		issues[k] = "Open"
		keys = append(keys, k)
	}
	c, js := setup(t, jirasim.Cloud, issues)
	found, missing, err := c.Search(context.Background(), keys)
	if err != nil || len(found) != 150 || len(missing) != 0 {
		t.Fatalf("found %d, missing %v, err %v", len(found), missing, err)
	}
	if n := js.Control.Total(); n != 2 {
		t.Errorf("%d searches for 150 keys, want 2", n)
	}
}

// The client lists and performs transitions; flow plans and walks with
// them, one hop at a time.
func TestTheClientWalksTheWorkflowWithFlow(t *testing.T) {
	statuses := loop.Statuses{loop.Open: {"Open"}, loop.InProgress: {"In Progress"}, loop.InReview: {"In Review"}, loop.Done: {"Done"}}
	for _, flavor := range both {
		t.Run(flavor.String(), func(t *testing.T) {
			c, js := setup(t, flavor, map[string]string{"OPS-1": "Open"})
			found, _, err := c.Search(context.Background(), []string{"OPS-1"})
			if err != nil {
				t.Fatal(err)
			}
			is := found["OPS-1"]
			goal := flow.Goal{Target: statuses[loop.Done], Stage: loop.Done, Statuses: statuses}
			next, err := flow.Plan(context.Background(), c, is.Key, is.Status, is.Transitions, goal)
			if err != nil || next != "In Progress" {
				t.Errorf("plan: %v %v", next, err)
			}
			if is, _ := js.Issue("OPS-1"); is.Status != "Open" {
				t.Errorf("dry run moved the issue to %s", is.Status)
			}
			path, err := flow.Walk(context.Background(), c, is.Key, is.Status, is.Transitions, goal)
			if err != nil || !reflect.DeepEqual(path, []string{"In Progress", "In Review", "Done"}) {
				t.Errorf("path %v err %v", path, err)
			}
			if is, _ := js.Issue("OPS-1"); is.Status != "Done" {
				t.Errorf("OPS-1 is %s", is.Status)
			}
		})
	}
}

func TestUpsertCommentCreatesEditsAndLeavesAlone(t *testing.T) {
	for _, flavor := range both {
		t.Run(flavor.String(), func(t *testing.T) {
			c, js := setup(t, flavor, map[string]string{"OPS-1": "Open"})
			ctx := context.Background()
			writes := 0
			before := func(context.Context) error { writes++; return nil }
			// Someone else's comment first: it must be left alone.
			steps := []struct {
				marker, text string
				want         Outcome
			}{
				{"pr:1", "first", Created},
				{"pr:1", "first", Unchanged},
				{"pr:1", "second", Updated},
				{"pr:2", "other PR", Created},
				{"pr:1", "second", Unchanged},
			}
			for i, s := range steps {
				got, err := c.UpsertComment(ctx, "OPS-1", s.marker, plainDoc(s.text), before)
				if err != nil || got != s.want {
					t.Fatalf("step %d: %v %v, want %v", i, got, err, s.want)
				}
			}
			if writes != 3 {
				t.Errorf("beforeWrite ran %d times, want once per write (3)", writes)
			}
			is, _ := js.Issue("OPS-1")
			if len(is.Comments) != 2 || !strings.Contains(string(is.Comments[0].Body), "second") {
				t.Errorf("comments %v", is.Comments)
			}
			stop := errors.New("link failed")
			if _, err := c.UpsertComment(ctx, "OPS-1", "pr:1", plainDoc("third"), func(context.Context) error { return stop }); !errors.Is(err, stop) {
				t.Errorf("err %v", err)
			}
			if is, _ := js.Issue("OPS-1"); strings.Contains(string(is.Comments[0].Body), "third") {
				t.Error("the comment was written although the step before it failed")
			}
		})
	}
}

// TestPostedMarkedCommentIsFoundByUpsert: a comment posted without a
// lookup (one request) carries the marker and digest UpsertComment looks
// for, so a later upsert of the same text writes nothing and of another
// text edits it in place.
func TestPostedMarkedCommentIsFoundByUpsert(t *testing.T) {
	for _, flavor := range both {
		t.Run(flavor.String(), func(t *testing.T) {
			c, js := setup(t, flavor, map[string]string{"OPS-1": "Open"})
			ctx := context.Background()
			js.Control.Reset()
			if err := c.PostMarkedComment(ctx, "OPS-1", "verified", plainDoc("proof")); err != nil {
				t.Fatal(err)
			}
			if n := js.Control.Total(); n != 1 {
				t.Errorf("posting took %d requests, want 1: %v", n, js.Control.Routes())
			}
			if got, err := c.UpsertComment(ctx, "OPS-1", "verified", plainDoc("proof"), nil); err != nil || got != Unchanged {
				t.Errorf("upsert of the same text: %v %v, want unchanged", got, err)
			}
			if got, err := c.UpsertComment(ctx, "OPS-1", "verified", plainDoc("more proof"), nil); err != nil || got != Updated {
				t.Errorf("upsert of another text: %v %v, want updated", got, err)
			}
			if is, _ := js.Issue("OPS-1"); len(is.Comments) != 1 {
				t.Errorf("%d comments, want 1", len(is.Comments))
			}
		})
	}
}

func TestUpsertRemoteLinkUpdatesInPlace(t *testing.T) {
	c, js := setup(t, jirasim.Cloud, map[string]string{"OPS-1": "Open"})
	ctx := context.Background()
	for _, title := range []string{"first", "second"} {
		if err := c.UpsertRemoteLink(ctx, "OPS-1", RemoteLink{GlobalID: "https://github.com/a/b/pull/1", URL: "https://github.com/a/b/pull/1", Title: title}); err != nil {
			t.Fatal(err)
		}
	}
	is, _ := js.Issue("OPS-1")
	if len(is.RemoteLinks) != 1 || !strings.Contains(string(is.RemoteLinks[0].Object), "second") {
		t.Errorf("links %v", is.RemoteLinks)
	}
}

func TestErrorsCarryJirasMessages(t *testing.T) {
	c, _ := setup(t, jirasim.Cloud, nil)
	_, err := c.Transitions(context.Background(), "OPS-404")
	var api *APIError
	if !errors.As(err, &api) || api.Status != 404 || !strings.Contains(err.Error(), "Issue does not exist") {
		t.Errorf("err %v", err)
	}
	bad, _ := New(Config{BaseURL: c.base, Email: "a@b.c", APIToken: "wrong"})
	_, _, err = bad.Search(context.Background(), []string{"OPS-1"})
	if !errors.As(err, &api) || !api.Auth() {
		t.Errorf("err %v, want an auth error", err)
	}
	for body, want := range map[string][]string{
		`{"errorMessages":["a"],"errors":{"comment":"b","body":"c"}}`: {"a", "body: c", "comment: b"},
		`{"message":"Rate limited"}`:                                  {"Rate limited"},
		`<html>proxy error</html>`:                                    {"<html>proxy error</html>"},
		``:                                                            nil,
	} {
		if got := messages([]byte(body)); !reflect.DeepEqual(got, want) {
			t.Errorf("messages(%q) = %q, want %q", body, got, want)
		}
	}
}

func TestQueryPagesLabelledIssuesWithPropertiesAndTransitions(t *testing.T) {
	for _, flavor := range both {
		t.Run(flavor.String(), func(t *testing.T) {
			issues := map[string]string{}
			for i := 1; i <= 130; i++ {
				issues["OPS-"+strconv.Itoa(i)] = "Done"
			}
			c, js := setup(t, flavor, issues)
			ctx := context.Background()
			for i := 1; i <= 120; i++ {
				key := "OPS-" + strconv.Itoa(i)
				if err := c.EditLabels(ctx, key, []string{"fixproof-verify"}, nil); err != nil {
					t.Fatal(err)
				}
			}
			if err := c.SetProperty(ctx, "OPS-7", "fixproof", map[string]any{"merge": map[string]any{"commit": "abc"}}); err != nil {
				t.Fatal(err)
			}
			js.Control.Reset()
			var all []Detail
			next := ""
			for {
				page, err := c.Query(ctx, "labels = "+QuoteJQL("fixproof-verify")+" ORDER BY key ASC", []string{"fixproof"}, next)
				if err != nil {
					t.Fatal(err)
				}
				all = append(all, page.Issues...)
				if next = page.Next; next == "" {
					break
				}
			}
			if len(all) != 120 || js.Control.Total() != 2 {
				t.Fatalf("%d issues in %d requests, want 120 in 2", len(all), js.Control.Total())
			}
			for _, d := range all {
				if d.Key == "OPS-7" && !strings.Contains(string(d.Properties["fixproof"]), `"abc"`) {
					t.Errorf("OPS-7 properties %s", d.Properties)
				}
				if d.Status != "Done" || len(d.Transitions) == 0 || len(d.Labels) != 1 {
					t.Errorf("%s: %+v", d.Key, d)
					break
				}
			}
		})
	}
}

func TestPropertiesLabelsAndRemoteLinkURLs(t *testing.T) {
	c, js := setup(t, jirasim.Cloud, map[string]string{"OPS-1": "Open"})
	ctx := context.Background()
	if v, err := c.Property(ctx, "OPS-1", "fixproof"); err != nil || v != nil {
		t.Errorf("absent property: %s %v", v, err)
	}
	if err := c.SetProperty(ctx, "OPS-1", "fixproof", map[string]any{"a": 1}); err != nil {
		t.Fatal(err)
	}
	if v, err := c.Property(ctx, "OPS-1", "fixproof"); err != nil || string(v) != `{"a":1}` {
		t.Errorf("property %s %v", v, err)
	}
	if err := c.EditLabels(ctx, "OPS-1", []string{"x", "y"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.EditLabels(ctx, "OPS-1", []string{"z"}, []string{"x"}); err != nil {
		t.Fatal(err)
	}
	if is, _ := js.Issue("OPS-1"); !reflect.DeepEqual(is.Labels, []string{"y", "z"}) {
		t.Errorf("labels %v", is.Labels)
	}
	for _, u := range []string{"https://acme.sentry.io/issues/1/", "https://github.com/a/b/pull/2"} {
		if err := c.UpsertRemoteLink(ctx, "OPS-1", RemoteLink{GlobalID: u, URL: u, Title: "t"}); err != nil {
			t.Fatal(err)
		}
	}
	if urls, err := c.RemoteLinkURLs(ctx, "OPS-1"); err != nil || len(urls) != 2 || urls[0] != "https://acme.sentry.io/issues/1/" {
		t.Errorf("urls %v %v", urls, err)
	}
}

func TestQuoteJQL(t *testing.T) {
	if got := QuoteJQL(`a"b\c`); got != `"a\"b\\c"` {
		t.Errorf("QuoteJQL = %s", got)
	}
}

func TestConcurrentUpsertsLeaveOneComment(t *testing.T) {
	for _, flavor := range both {
		t.Run(flavor.String(), func(t *testing.T) {
			c, js := setup(t, flavor, map[string]string{"OPS-1": "Open"})
			js.Control.SetLatency(20 * time.Millisecond)
			doc := jiramarkup.Doc{Blocks: []jiramarkup.Block{jiramarkup.P(jiramarkup.Plain("verified"))}}
			var wg sync.WaitGroup
			outcomes := make([]Outcome, 2)
			for i := range outcomes {
				wg.Add(1)
				go func() {
					defer wg.Done()
					o, err := c.UpsertComment(context.Background(), "OPS-1", "verified", doc, nil)
					if err != nil {
						t.Error(err)
					}
					outcomes[i] = o
				}()
			}
			wg.Wait()
			is, _ := js.Issue("OPS-1")
			if len(is.Comments) != 1 {
				t.Errorf("%d comments after two racing upserts, want 1 (outcomes %v)", len(is.Comments), outcomes)
			}
			if outcomes[0] != Created || outcomes[1] != Created {
				t.Logf("outcomes %v: the race was not reproduced", outcomes)
			}
		})
	}
}

func TestMyselfCommentsAndDeletingMarkedComments(t *testing.T) {
	for _, flavor := range both {
		t.Run(flavor.String(), func(t *testing.T) {
			c, js := setup(t, flavor, map[string]string{"OPS-1": "Open"})
			ctx := context.Background()
			me, err := c.Myself(ctx)
			if err != nil || (me.AccountID == "" && me.Name == "") {
				t.Fatalf("myself %+v %v", me, err)
			}
			doc := jiramarkup.Doc{Blocks: []jiramarkup.Block{jiramarkup.P(jiramarkup.Plain("from Sentry"))}}
			if _, err := c.UpsertComment(ctx, "OPS-1", "sentry-note:7", doc, nil); err != nil {
				t.Fatal(err)
			}
			if err := c.AddComment(ctx, "OPS-1", doc); err != nil {
				t.Fatal(err)
			}
			list, err := c.Comments(ctx, "OPS-1")
			if err != nil || len(list) != 2 || list[0].Marker != "sentry-note:7" || list[1].Marker != "" ||
				!list[0].Author.Is(me) || list[0].Created.IsZero() {
				t.Fatalf("comments %+v %v", list, err)
			}
			if err := c.DeleteMarkedComment(ctx, "OPS-1", "sentry-note:7"); err != nil {
				t.Fatal(err)
			}
			if is, _ := js.Issue("OPS-1"); len(is.Comments) != 1 {
				t.Errorf("%d comments after deleting the marked one", len(is.Comments))
			}
		})
	}
}

// plainDoc is a one-paragraph document of plain text.
func plainDoc(s string) jiramarkup.Doc {
	return jiramarkup.Doc{Blocks: []jiramarkup.Block{jiramarkup.P(jiramarkup.Plain(s))}}
}
