package jira

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/fixproof/fixproof/internal/contract"
	"github.com/fixproof/fixproof/internal/flow"
	"github.com/fixproof/fixproof/internal/jiramarkup"
	"github.com/fixproof/fixproof/internal/loop"
	"github.com/fixproof/fixproof/internal/sim"
	"github.com/fixproof/fixproof/internal/sim/jirasim"
)

var t0 = time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)

// setupClock is setup with a settable clock and more options; project OPS
// has components api and web.
func setupClock(t *testing.T, flavor jirasim.Flavor, o jirasim.Options) (*Client, *jirasim.Server, *sim.Clock) {
	t.Helper()
	clk := sim.NewClock(t0)
	o.Flavor, o.Email, o.APIToken, o.PAT, o.Now = flavor, "a@b.c", "tok", "pat", clk.Now
	js := jirasim.New(o)
	js.AddProject("OPS", "Ops", jirasim.DefaultWorkflow())
	if err := js.SetComponents("OPS", "api", "web"); err != nil {
		t.Fatal(err)
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
	return c, js, clk
}

func para(s string) jiramarkup.Doc {
	return jiramarkup.Doc{Blocks: []jiramarkup.Block{jiramarkup.P(jiramarkup.Plain(s))}}
}

// stored is a description or comment body as Jira stored it, as text.
func stored(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

func TestCreateIssue(t *testing.T) {
	for _, flavor := range both {
		t.Run(flavor.String(), func(t *testing.T) {
			c, js, _ := setupClock(t, flavor, jirasim.Options{})
			ctx := context.Background()
			doc := jiramarkup.Doc{Blocks: []jiramarkup.Block{
				jiramarkup.P(jiramarkup.Strong("ZeroDivisionError"), jiramarkup.Plain(": division by zero")),
				jiramarkup.Table{Header: []string{"tag", "value"}, Rows: [][]jiramarkup.Paragraph{{jiramarkup.P(jiramarkup.Plain("env")), jiramarkup.P(jiramarkup.Code("prod"))}}},
			}}
			key, err := c.CreateIssue(ctx, NewIssue{
				Project: "OPS", IssueType: "Bug", Summary: "ZeroDivisionError:\n division by zero",
				Description: doc, Labels: []string{"sentry-4711", "fixproof"}, Components: []string{"api"}, Priority: "High",
				Properties: map[string]any{"fixproof": map[string]any{"alert": "sentry:4711"}, "other": 1},
			})
			if err != nil || key != "OPS-1" {
				t.Fatalf("key %q err %v", key, err)
			}
			is, _ := js.Issue(key)
			if is.Summary != "ZeroDivisionError: division by zero" || is.IssueType != "Bug" || is.Priority != "High" || is.Status != "Open" ||
				!reflect.DeepEqual(is.Labels, []string{"fixproof", "sentry-4711"}) || !reflect.DeepEqual(is.Components, []string{"api"}) ||
				string(is.Properties["fixproof"]) != `{"alert":"sentry:4711"}` || string(is.Properties["other"]) != "1" {
				t.Errorf("issue %+v", is)
			}
			desc := stored(t, is.Description)
			if flavor == jirasim.Cloud && !strings.Contains(desc, `"type":"table"`) {
				t.Errorf("Cloud description is not ADF: %s", desc)
			}
			if flavor == jirasim.DataCenter && desc != doc.RenderWiki() {
				t.Errorf("Data Center description %q, want %q", desc, doc.RenderWiki())
			}
			// The least: no description, no priority (Jira's default).
			key, err = c.CreateIssue(ctx, NewIssue{Project: "OPS", IssueType: "Task", Summary: "bare"})
			if is, _ := js.Issue(key); err != nil || key != "OPS-2" || is.Description != nil || is.Priority != "Medium" || is.IssueType != "Task" {
				t.Errorf("bare issue %+v, err %v", is, err)
			}
		})
	}
}

func TestCreateIssueCutsLongText(t *testing.T) {
	for _, flavor := range both {
		t.Run(flavor.String(), func(t *testing.T) {
			c, js, _ := setupClock(t, flavor, jirasim.Options{})
			ctx := context.Background()
			var doc jiramarkup.Doc
			for i := 0; doc.PlainText() == "" || utf8.RuneCountInString(doc.PlainText()) < 50000; i++ {
				doc.Blocks = append(doc.Blocks, jiramarkup.P(jiramarkup.Plain("frame "+strconv.Itoa(i)+" "+strings.Repeat("é*", 100))))
			}
			summary := strings.Repeat("ü", 250) + "😀😀😀😀"
			key, err := c.CreateIssue(ctx, NewIssue{Project: "OPS", IssueType: "Bug", Summary: summary, Description: doc})
			if err != nil {
				t.Fatal(err)
			}
			is, _ := js.Issue(key)
			if want := strings.Repeat("ü", 250) + "😀😀"; is.Summary != want {
				t.Errorf("summary %q (%d runes), want 250 ü and two emoji (255 UTF-16 units)", is.Summary, utf8.RuneCountInString(is.Summary))
			}
			var body any = stored(t, is.Description)
			if flavor == jirasim.Cloud {
				body = json.RawMessage(is.Description)
			}
			if n := textLen(body); n > maxDescription || n < maxDescription-500 {
				t.Errorf("description of %d characters, want just under %d", n, maxDescription)
			}
			last := stored(t, is.Description)
			if flavor == jirasim.Cloud {
				var adf struct {
					Content []struct {
						Content []struct{ Text string }
					}
				}
				if err := json.Unmarshal(is.Description, &adf); err != nil || len(adf.Content) < 2 {
					t.Fatalf("ADF %v", err)
				}
				p := adf.Content[len(adf.Content)-1].Content
				last = p[len(p)-1].Text
			}
			if !strings.HasSuffix(last, cutNote) || !strings.Contains(stored(t, is.Description), "frame 0 ") {
				t.Errorf("cut description ends %q", last[max(0, len(last)-80):])
			}
		})
	}
}

func TestCutKeepsTablesAndOtherBlocksInOrder(t *testing.T) {
	table := jiramarkup.Table{Header: []string{"a", "b"}}
	for i := 0; i < 10; i++ {
		table.Rows = append(table.Rows, []jiramarkup.Paragraph{jiramarkup.P(jiramarkup.Plain("row" + strconv.Itoa(i))), jiramarkup.P(jiramarkup.Plain("xxxxx"))})
	}
	doc := jiramarkup.Doc{Blocks: []jiramarkup.Block{jiramarkup.P(jiramarkup.Plain("0123456789")), table, jiramarkup.P(jiramarkup.Plain("tail"))}}
	got := cut(doc, 10+2+9+4+3)
	if len(got.Blocks) != 3 {
		t.Fatalf("blocks %#v", got.Blocks)
	}
	if tb := got.Blocks[1].(jiramarkup.Table); len(tb.Rows) != 2 || tb.Rows[1][0][0].Text != "row1" || tb.Rows[1][1][0].Text != "xxx" {
		t.Errorf("table %#v", tb)
	}
	if p := got.Blocks[2].(jiramarkup.Paragraph); p[0].Text != cutNote {
		t.Errorf("last block %#v", p)
	}
	if got := cut(doc, 4); len(got.Blocks) != 2 || got.Blocks[0].(jiramarkup.Paragraph)[0].Text != "0123" {
		t.Errorf("cut to 4: %#v", got.Blocks)
	}
	// The budget counts characters, not bytes.
	wide := jiramarkup.Doc{Blocks: []jiramarkup.Block{jiramarkup.P(jiramarkup.Plain("éé日日😀😀"))}}
	if got := cut(wide, 5); len(got.Blocks) != 2 || got.Blocks[0].(jiramarkup.Paragraph)[0].Text != "éé日日😀" {
		t.Errorf("cut to 5 characters: %#v", got.Blocks)
	}
	trace := jiramarkup.Doc{Blocks: []jiramarkup.Block{
		jiramarkup.Heading("Stack"),
		jiramarkup.Expand{Title: "frames", Blocks: []jiramarkup.Block{jiramarkup.CodeBlock("line one\nline two"), jiramarkup.List{Items: []jiramarkup.Paragraph{jiramarkup.P(jiramarkup.Plain("a")), jiramarkup.P(jiramarkup.Plain("b"))}}}},
		jiramarkup.CodeBlock("never"),
	}}
	want := jiramarkup.Doc{Blocks: []jiramarkup.Block{
		jiramarkup.Heading("Stack"),
		jiramarkup.Expand{Title: "frames", Blocks: []jiramarkup.Block{jiramarkup.CodeBlock("line one\nline")}},
		jiramarkup.P(jiramarkup.Plain(cutNote)),
	}}
	if got := cut(trace, 5+6+13); !reflect.DeepEqual(got, want) {
		t.Errorf("cut trace %#v", got)
	}
	if got := oneLineSummary("  a\r\n\tb  "); got != "a b" {
		t.Errorf("summary %q", got)
	}
}

// TestCutDocumentsAreValidADF: a description cut at any length is still a
// document Jira Cloud accepts (a cut that ends just after an expand's
// title used to leave an empty expand, which Jira refuses).
func TestCutDocumentsAreValidADF(t *testing.T) {
	doc := jiramarkup.Doc{Blocks: []jiramarkup.Block{
		jiramarkup.Heading("Stack"),
		jiramarkup.Expand{Title: "frames", Blocks: []jiramarkup.Block{
			jiramarkup.CodeBlock("line one\nline two"),
			jiramarkup.List{Items: []jiramarkup.Paragraph{jiramarkup.P(jiramarkup.Code("a.go:1"), jiramarkup.Plain(" f"))}},
			jiramarkup.Table{Header: []string{"k", "v"}, Rows: [][]jiramarkup.Paragraph{{jiramarkup.P(jiramarkup.Strong("x")), jiramarkup.P(jiramarkup.Plain("y"))}}},
		}},
		jiramarkup.P(jiramarkup.Link("tail", "https://example.com")),
	}}
	var schema func(json.RawMessage) error
	if _, ok := contract.Dir(); ok {
		schema = contract.ADF(t)
	}
	for n := 0; n <= docRunes(doc)+1; n++ {
		raw := cut(doc, n).MarshalADF()
		if err := jirasim.ValidateADF(raw); err != nil {
			t.Errorf("cut at %d: %v\n%s", n, err, raw)
		}
		if schema != nil {
			if err := schema(raw); err != nil {
				t.Errorf("cut at %d: %v\n%s", n, err, raw)
			}
		}
	}
}

func TestCreateIssueErrors(t *testing.T) {
	c, _, _ := setupClock(t, jirasim.Cloud, jirasim.Options{})
	ctx := context.Background()
	var api *APIError
	_, err := c.CreateIssue(ctx, NewIssue{Project: "NOPE", IssueType: "Bug", Summary: "s", Priority: "Urgent"})
	if !errors.As(err, &api) || api.Status != 400 || !reflect.DeepEqual(api.Messages, []string{"priority: The priority selected is invalid.", "project: valid project is required"}) {
		t.Errorf("err %v", err)
	}
	_, err = c.CreateIssue(ctx, NewIssue{Project: "OPS", IssueType: "Bug", Summary: "s", Labels: []string{"a b"}, Components: []string{"db"}})
	if !errors.As(err, &api) || len(api.Messages) != 2 {
		t.Errorf("err %v", err)
	}
	if _, err := c.CreateIssue(ctx, NewIssue{Project: "OPS", Summary: "s"}); err == nil {
		t.Error("no issue type accepted")
	}
}

func TestFindByLabelWaitsForTheSearchIndex(t *testing.T) {
	for _, flavor := range both {
		t.Run(flavor.String(), func(t *testing.T) {
			c, _, clk := setupClock(t, flavor, jirasim.Options{SearchLag: 10 * time.Second})
			ctx := context.Background()
			first, err := c.CreateIssue(ctx, NewIssue{Project: "OPS", IssueType: "Bug", Summary: "one", Labels: []string{"fixproof-a1"}})
			if err != nil {
				t.Fatal(err)
			}
			if keys, err := c.FindByLabel(ctx, "fixproof-a1"); err != nil || len(keys) != 0 {
				t.Errorf("within the lag: %v %v", keys, err)
			}
			clk.Advance(time.Second)
			second, err := c.CreateIssue(ctx, NewIssue{Project: "OPS", IssueType: "Bug", Summary: "two", Labels: []string{"fixproof-a1", "x"}})
			if err != nil {
				t.Fatal(err)
			}
			clk.Advance(10 * time.Second)
			if keys, err := c.FindByLabel(ctx, "fixproof-a1"); err != nil || !reflect.DeepEqual(keys, []string{first, second}) {
				t.Errorf("after the lag: %v %v", keys, err)
			}
			if keys, err := c.FindByLabel(ctx, "other"); err != nil || len(keys) != 0 {
				t.Errorf("other label: %v %v", keys, err)
			}
		})
	}
}

func TestIssueStateFollowsTheWorkflow(t *testing.T) {
	statuses := loop.Statuses{loop.Open: {"Open"}, loop.InProgress: {"In Progress"}, loop.InReview: {"In Review"}, loop.Done: {"Done"}}
	for _, flavor := range both {
		t.Run(flavor.String(), func(t *testing.T) {
			c, _, clk := setupClock(t, flavor, jirasim.Options{})
			ctx := context.Background()
			key, err := c.CreateIssue(ctx, NewIssue{Project: "OPS", IssueType: "Incident", Summary: "s"})
			if err != nil {
				t.Fatal(err)
			}
			st, err := c.IssueState(ctx, key)
			if err != nil || st != (State{Key: key, Status: "Open", Category: "new", Priority: "Medium"}) {
				t.Errorf("new: %+v %v", st, err)
			}
			clk.Advance(time.Hour)
			found, _, err := c.Search(ctx, []string{key})
			if err != nil {
				t.Fatal(err)
			}
			is := found[key]
			if _, err := flow.Walk(ctx, c, key, is.Status, is.Transitions, flow.Goal{Target: []string{"Done"}, Stage: loop.Done, Statuses: statuses}); err != nil {
				t.Fatal(err)
			}
			if err := c.SetPriority(ctx, key, "Highest"); err != nil {
				t.Fatal(err)
			}
			st, err = c.IssueState(ctx, strings.ToLower(key))
			if err != nil || st.Key != key || st.Status != "Done" || st.Category != "done" || st.Resolution != "Done" || st.Priority != "Highest" || !st.Resolved.Equal(t0.Add(time.Hour)) {
				t.Errorf("done: %+v %v", st, err)
			}
			if err := c.Transition(ctx, key, "101"); err != nil { // Reopen
				t.Fatal(err)
			}
			if err := c.Transition(ctx, key, "81"); err != nil { // Won't do
				t.Fatal(err)
			}
			if st, err := c.IssueState(ctx, key); err != nil || st.Resolution != "Won't Do" || st.Category != "done" {
				t.Errorf("won't do: %+v %v", st, err)
			}
			if err := c.Transition(ctx, key, "101"); err != nil {
				t.Fatal(err)
			}
			if st, err := c.IssueState(ctx, key); err != nil || st.Resolution != "" || !st.Resolved.IsZero() || st.Status != "Open" {
				t.Errorf("reopened: %+v %v", st, err)
			}
			var api *APIError
			if _, err := c.IssueState(ctx, "OPS-404"); !errors.As(err, &api) || api.Status != 404 {
				t.Errorf("missing issue: %v", err)
			}
			if err := c.SetPriority(ctx, key, "Urgent"); !errors.As(err, &api) || api.Status != 400 {
				t.Errorf("unknown priority: %v", err)
			}
		})
	}
}

func TestPriorities(t *testing.T) {
	for _, flavor := range both {
		t.Run(flavor.String(), func(t *testing.T) {
			c, js, _ := setupClock(t, flavor, jirasim.Options{})
			got, err := c.Priorities(context.Background())
			if err != nil || !reflect.DeepEqual(got, []string{"Highest", "High", "Medium", "Low", "Lowest"}) {
				t.Errorf("priorities %v %v", got, err)
			}
			if err := js.SetPriorities("Blocker", "Critical", "Major", "Minor", "Trivial"); err != nil {
				t.Fatal(err)
			}
			if got, err := c.Priorities(context.Background()); err != nil || got[0] != "Blocker" || len(got) != 5 {
				t.Errorf("custom priorities %v %v", got, err)
			}
		})
	}
}

func TestLinkIssuesAndAddComment(t *testing.T) {
	for _, flavor := range both {
		t.Run(flavor.String(), func(t *testing.T) {
			c, js, _ := setupClock(t, flavor, jirasim.Options{})
			ctx := context.Background()
			var keys []string
			for _, s := range []string{"new", "old"} {
				key, err := c.CreateIssue(ctx, NewIssue{Project: "OPS", IssueType: "Bug", Summary: s})
				if err != nil {
					t.Fatal(err)
				}
				keys = append(keys, key)
			}
			if err := c.LinkIssues(ctx, "Relates", keys[0], keys[1]); err != nil {
				t.Fatal(err)
			}
			is, _ := js.Issue(keys[1])
			if !reflect.DeepEqual(is.Links, []jirasim.IssueLink{{Type: "Relates", Inward: keys[0], Outward: keys[1]}}) {
				t.Errorf("links %+v", is.Links)
			}
			var api *APIError
			if err := c.LinkIssues(ctx, "Causes", keys[0], keys[1]); !errors.As(err, &api) || api.Status != 404 || !strings.Contains(err.Error(), "Causes") {
				t.Errorf("unknown link type: %v", err)
			}
			for _, text := range []string{"seen again", "seen again"} {
				if err := c.AddComment(ctx, keys[0], para(text)); err != nil {
					t.Fatal(err)
				}
			}
			is, _ = js.Issue(keys[0])
			if len(is.Comments) != 2 || !strings.Contains(string(is.Comments[1].Body), "seen again") || len(is.Comments[0].Properties) != 0 {
				t.Errorf("comments %+v", is.Comments)
			}
			if err := c.AddComment(ctx, "OPS-404", para("x")); !errors.As(err, &api) || api.Status != 404 {
				t.Errorf("comment on a missing issue: %v", err)
			}
		})
	}
}
