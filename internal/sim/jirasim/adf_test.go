package jirasim

import (
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/alert"
	"github.com/fixproof/fixproof/internal/contract"
	"github.com/fixproof/fixproof/internal/jiramarkup"
	"github.com/fixproof/fixproof/internal/loop"
	"github.com/fixproof/fixproof/internal/ticket"
)

// adfCase is one document of the corpus; valid is the verdict the schema
// gives it (checked against the schema itself when the contracts are
// present).
type adfCase struct {
	name  string
	doc   string
	valid bool
}

func wrapDoc(blocks ...string) string {
	return `{"type":"doc","version":1,"content":[` + strings.Join(blocks, ",") + `]}`
}

func para(inline ...string) string {
	return `{"type":"paragraph","content":[` + strings.Join(inline, ",") + `]}`
}

func textWith(s string, marks ...string) string {
	b, _ := json.Marshal(s)
	if len(marks) == 0 {
		return `{"type":"text","text":` + string(b) + `}`
	}
	return `{"type":"text","text":` + string(b) + `,"marks":[` + strings.Join(marks, ",") + `]}`
}

// handwrittenADF is the hostile and borderline documents: what the issue
// names (text at the top level, unknown nodes and marks, a link without
// href, a heading without level) and the schema's finer points.
func handwrittenADF() []adfCase {
	link := `{"type":"link","attrs":{"href":"https://example.com"}}`
	item := func(blocks ...string) string {
		return `{"type":"listItem","content":[` + strings.Join(blocks, ",") + `]}`
	}
	cell := func(typ string, blocks ...string) string {
		return `{"type":"` + typ + `","content":[` + strings.Join(blocks, ",") + `]}`
	}
	heading := func(attrs string) string {
		return `{"type":"heading"` + attrs + `,"content":[` + textWith("h") + `]}`
	}
	return []adfCase{
		{"plain paragraph", wrapDoc(para(textWith("hello"))), true},
		{"empty document", `{"type":"doc","version":1,"content":[]}`, true},
		{"empty paragraph", wrapDoc(`{"type":"paragraph"}`), true},
		{"version as 1.0", `{"type":"doc","version":1.0,"content":[]}`, true},
		{"text at the top level", wrapDoc(textWith("hello")), false},
		{"hardBreak at the top level", wrapDoc(`{"type":"hardBreak"}`), false},
		{"unknown node", wrapDoc(`{"type":"marquee","content":[` + textWith("x") + `]}`), false},
		{"unknown inline node", wrapDoc(para(`{"type":"sparkle"}`)), false},
		{"unknown mark", wrapDoc(para(textWith("x", `{"type":"blink"}`))), false},
		{"mark as a string", wrapDoc(para(`{"type":"text","text":"x","marks":["strong"]}`)), false},
		{"link without href", wrapDoc(para(textWith("x", `{"type":"link","attrs":{}}`))), false},
		{"link without attrs", wrapDoc(para(textWith("x", `{"type":"link"}`))), false},
		{"link with a numeric href", wrapDoc(para(textWith("x", `{"type":"link","attrs":{"href":7}}`))), false},
		{"link with title", wrapDoc(para(textWith("x", `{"type":"link","attrs":{"href":"h","title":"t"}}`))), true},
		{"link with an unknown attr", wrapDoc(para(textWith("x", `{"type":"link","attrs":{"href":"h","rel":"me"}}`))), false},
		{"strong with attrs", wrapDoc(para(textWith("x", `{"type":"strong","attrs":{}}`))), false},
		{"strong and link", wrapDoc(para(textWith("x", `{"type":"strong"}`, link))), true},
		{"code and link", wrapDoc(para(textWith("x", `{"type":"code"}`, link))), true},
		{"code and strong", wrapDoc(para(textWith("x", `{"type":"code"}`, `{"type":"strong"}`))), false},
		{"code and annotation", wrapDoc(para(textWith("x", `{"type":"code"}`, `{"type":"annotation","attrs":{"id":"a","annotationType":"inlineComment"}}`))), true},
		{"code twice", wrapDoc(para(textWith("x", `{"type":"code"}`, `{"type":"code"}`))), true},
		{"heading level 3", wrapDoc(heading(`,"attrs":{"level":3}`)), true},
		{"heading without level", wrapDoc(heading(``)), false},
		{"heading with empty attrs", wrapDoc(heading(`,"attrs":{}`)), false},
		{"heading level 0", wrapDoc(heading(`,"attrs":{"level":0}`)), false},
		{"heading level 7", wrapDoc(heading(`,"attrs":{"level":7}`)), false},
		{"heading level 2.5", wrapDoc(heading(`,"attrs":{"level":2.5}`)), true},
		{"heading level as a string", wrapDoc(heading(`,"attrs":{"level":"3"}`)), false},
		{"heading aligned", wrapDoc(`{"type":"heading","attrs":{"level":1},"marks":[{"type":"alignment","attrs":{"align":"center"}}]}`), true},
		{"heading aligned in a list", wrapDoc(`{"type":"bulletList","content":[` + item(`{"type":"heading","attrs":{"level":1}}`) + `]}`), false},
		{"paragraph aligned at the top", wrapDoc(`{"type":"paragraph","marks":[{"type":"alignment","attrs":{"align":"end"}}]}`), true},
		{"paragraph aligned in a list", wrapDoc(`{"type":"bulletList","content":[` + item(`{"type":"paragraph","marks":[{"type":"alignment","attrs":{"align":"end"}}]}`) + `]}`), false},
		{"alignment and indentation together", wrapDoc(`{"type":"paragraph","marks":[{"type":"alignment","attrs":{"align":"end"}},{"type":"indentation","attrs":{"level":1}}]}`), false},
		{"empty text", wrapDoc(para(`{"type":"text","text":""}`)), false},
		{"text without text", wrapDoc(para(`{"type":"text"}`)), false},
		{"text with attrs", wrapDoc(para(`{"type":"text","text":"x","attrs":{}}`)), false},
		{"text with content", wrapDoc(para(`{"type":"text","text":"x","content":[]}`)), false},
		{"paragraph with text property", wrapDoc(`{"type":"paragraph","text":"x"}`), false},
		{"node without type", wrapDoc(`{"content":[]}`), false},
		{"node as a string", wrapDoc(`"paragraph"`), false},
		{"nested doc", wrapDoc(`{"type":"doc","version":1,"content":[]}`), false},
		{"no version", `{"type":"doc","content":[]}`, false},
		{"version 2", `{"type":"doc","version":2,"content":[]}`, false},
		{"version as a string", `{"type":"doc","version":"1","content":[]}`, false},
		{"no content", `{"type":"doc","version":1}`, false},
		{"content not an array", `{"type":"doc","version":1,"content":{}}`, false},
		{"attrs on the doc", `{"type":"doc","version":1,"content":[],"attrs":{}}`, false},
		{"not a doc", `{"type":"paragraph","version":1,"content":[]}`, false},
		{"empty bullet list", wrapDoc(`{"type":"bulletList","content":[]}`), false},
		{"list item with text", wrapDoc(`{"type":"bulletList","content":[` + item(textWith("x")) + `]}`), false},
		{"nested lists", wrapDoc(`{"type":"orderedList","attrs":{"order":3},"content":[` + item(para(textWith("a")), `{"type":"bulletList","content":[`+item(para(textWith("b")))+`]}`) + `]}`), true},
		{"ordered list from -1", wrapDoc(`{"type":"orderedList","attrs":{"order":-1},"content":[` + item(para()) + `]}`), false},
		{"code block with text", wrapDoc(`{"type":"codeBlock","attrs":{"language":"go"},"content":[` + textWith("x := 1\ny") + `]}`), true},
		{"code block with marked text", wrapDoc(`{"type":"codeBlock","content":[` + textWith("x", `{"type":"strong"}`) + `]}`), false},
		{"code block with a breakout at the top", wrapDoc(`{"type":"codeBlock","marks":[{"type":"breakout","attrs":{"mode":"wide"}}]}`), true},
		{"code block with a breakout in a list", wrapDoc(`{"type":"bulletList","content":[` + item(`{"type":"codeBlock","marks":[{"type":"breakout","attrs":{"mode":"wide"}}]}`) + `]}`), false},
		{"table", wrapDoc(`{"type":"table","content":[{"type":"tableRow","content":[` + cell("tableHeader", para(textWith("h"))) + `,` + cell("tableCell", para()) + `]}]}`), true},
		{"table without rows", wrapDoc(`{"type":"table","content":[]}`), false},
		{"empty table row", wrapDoc(`{"type":"table","content":[{"type":"tableRow","content":[]}]}`), true},
		{"empty table cell", wrapDoc(`{"type":"table","content":[{"type":"tableRow","content":[` + cell("tableCell") + `]}]}`), false},
		{"table in a table", wrapDoc(`{"type":"table","content":[{"type":"tableRow","content":[` + cell("tableCell", `{"type":"table","content":[{"type":"tableRow","content":[]}]}`) + `]}]}`), false},
		{"expand", wrapDoc(`{"type":"expand","attrs":{"title":"more"},"content":[` + para(textWith("x")) + `]}`), true},
		{"empty expand", wrapDoc(`{"type":"expand","attrs":{"title":"more"},"content":[]}`), false},
		{"expand in an expand", wrapDoc(`{"type":"expand","content":[{"type":"expand","content":[` + para() + `]}]}`), false},
		{"nested expand in an expand", wrapDoc(`{"type":"expand","content":[{"type":"nestedExpand","attrs":{},"content":[` + para() + `]}]}`), true},
		{"nested expand without attrs", wrapDoc(`{"type":"expand","content":[{"type":"nestedExpand","content":[` + para() + `]}]}`), false},
		{"nested expand at the top", wrapDoc(`{"type":"nestedExpand","attrs":{},"content":[` + para() + `]}`), false},
		{"rule in a list item", wrapDoc(`{"type":"bulletList","content":[` + item(`{"type":"rule"}`) + `]}`), false},
		{"heading in a blockquote", wrapDoc(`{"type":"blockquote","content":[` + heading(`,"attrs":{"level":1}`) + `]}`), false},
		{"panel", wrapDoc(`{"type":"panel","attrs":{"panelType":"info"},"content":[` + para(textWith("x")) + `]}`), true},
		{"panel of an unknown type", wrapDoc(`{"type":"panel","attrs":{"panelType":"shout"},"content":[` + para() + `]}`), false},
		{"mention", wrapDoc(para(`{"type":"mention","attrs":{"id":"5b10ac8d82e05b22cc7d4ef5","text":"@bot"}}`)), true},
		{"mention without id", wrapDoc(para(`{"type":"mention","attrs":{"text":"@bot"}}`)), false},
		{"status", wrapDoc(para(`{"type":"status","attrs":{"text":"DONE","color":"green"}}`)), true},
		{"status of a bad colour", wrapDoc(para(`{"type":"status","attrs":{"text":"DONE","color":"pink"}}`)), false},
		{"status with a trailing newline in its colour", wrapDoc(para(`{"type":"status","attrs":{"text":"DONE","color":"green\n"}}`)), false},
		{"text colour", wrapDoc(para(textWith("x", `{"type":"textColor","attrs":{"color":"#ff00AA"}}`))), true},
		{"text colour by name", wrapDoc(para(textWith("x", `{"type":"textColor","attrs":{"color":"red"}}`))), false},
		{"inline card", wrapDoc(para(`{"type":"inlineCard","attrs":{"url":"https://x"}}`)), true},
		{"inline card without target", wrapDoc(para(`{"type":"inlineCard","attrs":{}}`)), false},
		{"inline card with data null", wrapDoc(para(`{"type":"inlineCard","attrs":{"data":null}}`)), true},
		{"emoji", wrapDoc(para(`{"type":"emoji","attrs":{"shortName":":smile:"}}`)), true},
		{"date", wrapDoc(para(`{"type":"date","attrs":{"timestamp":"1700000000000"}}`)), true},
		{"date with empty timestamp", wrapDoc(para(`{"type":"date","attrs":{"timestamp":""}}`)), false},
		{"hard break with text", wrapDoc(para(`{"type":"hardBreak","attrs":{"text":"\n"}}`)), true},
		{"hard break with other text", wrapDoc(para(`{"type":"hardBreak","attrs":{"text":"x"}}`)), false},
		{"task list", wrapDoc(`{"type":"taskList","attrs":{"localId":"l"},"content":[{"type":"taskItem","attrs":{"localId":"i","state":"TODO"},"content":[` + textWith("x") + `]}]}`), true},
		{"task list without localId", wrapDoc(`{"type":"taskList","content":[{"type":"taskItem","attrs":{"state":"TODO"}}]}`), false},
		{"media single with caption", wrapDoc(`{"type":"mediaSingle","attrs":{"layout":"center"},"content":[{"type":"media","attrs":{"type":"external","url":"https://x/a.png"}},{"type":"caption","content":[` + textWith("c") + `]}]}`), true},
		{"media single with two media", wrapDoc(`{"type":"mediaSingle","content":[{"type":"media","attrs":{"type":"external","url":"u"}},{"type":"media","attrs":{"type":"external","url":"u"}}]}`), false},
		{"media single with an extra property", wrapDoc(`{"type":"mediaSingle","content":[{"type":"media","attrs":{"type":"external","url":"u"}}],"whatever":1}`), true},
		{"media of an unknown kind", wrapDoc(`{"type":"mediaGroup","content":[{"type":"media","attrs":{"type":"ftp","url":"u"}}]}`), false},
		{"layout of one column", wrapDoc(`{"type":"layoutSection","content":[{"type":"layoutColumn","attrs":{"width":100},"content":[` + para() + `]}]}`), false},
		{"layout of two columns", wrapDoc(`{"type":"layoutSection","content":[{"type":"layoutColumn","attrs":{"width":50},"content":[` + para() + `]},{"type":"layoutColumn","attrs":{"width":50},"content":[` + para() + `]}]}`), true},
		{"extension", wrapDoc(`{"type":"extension","attrs":{"extensionKey":"k","extensionType":"t","parameters":{"any":[1,2]}}}`), true},
		{"extension with empty key", wrapDoc(`{"type":"extension","attrs":{"extensionKey":"","extensionType":"t"}}`), false},
		{"block card by url", wrapDoc(`{"type":"blockCard","attrs":{"url":"https://x"}}`), true},
		{"block card with url and data", wrapDoc(`{"type":"blockCard","attrs":{"url":"https://x","data":{}}}`), false},
		{"decision list", wrapDoc(`{"type":"decisionList","attrs":{"localId":"d"},"content":[{"type":"decisionItem","attrs":{"localId":"i","state":"DECIDED"}}]}`), true},
		{"sync block", wrapDoc(`{"type":"syncBlock","attrs":{"resourceId":"r","localId":"l"}}`), true},
		{"a string", `"hello"`, false},
		{"an array", `[]`, false},
		{"null", `null`, false},
	}
}

// productADF is every kind of document fixproof's own builders write.
func productADF(t *testing.T) []adfCase {
	t.Helper()
	var out []adfCase
	add := func(name string, d jiramarkup.Doc) {
		out = append(out, adfCase{name: name, doc: string(d.MarshalADF()), valid: true})
	}
	hostile := "[~admin] {code}x{code} *b* <script>\n\tline\u00a0two \u202e \x00"
	pr := jiramarkup.Link("acme/api#7", "https://github.com/acme/api/pull/7")

	// jiramarkup, block by block, including the empty and degenerate cases.
	add("jiramarkup empty", jiramarkup.Doc{})
	add("jiramarkup paragraph kinds", jiramarkup.Doc{Blocks: []jiramarkup.Block{
		jiramarkup.P(jiramarkup.Plain("plain "), jiramarkup.Strong("strong"), jiramarkup.Code("code"), pr),
		jiramarkup.P(jiramarkup.Link("unsafe", "javascript:alert(1)"), jiramarkup.Link("relative", "/x")),
		jiramarkup.P(jiramarkup.Plain(""), jiramarkup.Plain("   ")),
		jiramarkup.P(),
		jiramarkup.P(jiramarkup.Inline{Text: "every style", Href: "https://x.example", Strong: true, Code: true}),
		jiramarkup.P(jiramarkup.Inline{Text: "strong link", Href: "https://x.example", Strong: true}),
		jiramarkup.P(jiramarkup.Plain(hostile)),
	}})
	add("jiramarkup headings", jiramarkup.Doc{Blocks: []jiramarkup.Block{jiramarkup.Heading("Where"), jiramarkup.Heading(""), jiramarkup.Heading(hostile)}})
	add("jiramarkup tables", jiramarkup.Doc{Blocks: []jiramarkup.Block{
		jiramarkup.Table{Header: []string{"Key", "Result"}, Rows: [][]jiramarkup.Paragraph{{jiramarkup.P(jiramarkup.Code("OPS-1")), jiramarkup.P(jiramarkup.Strong("moved"))}}},
		jiramarkup.Table{Header: []string{"", ""}},
		jiramarkup.Table{},
		jiramarkup.Table{Header: []string{"a"}, Rows: [][]jiramarkup.Paragraph{{}, {jiramarkup.P()}}},
	}})
	add("jiramarkup lists", jiramarkup.Doc{Blocks: []jiramarkup.Block{
		jiramarkup.List{Items: []jiramarkup.Paragraph{jiramarkup.P(jiramarkup.Plain("a")), jiramarkup.P()}},
		jiramarkup.List{Ordered: true, Items: []jiramarkup.Paragraph{jiramarkup.P(jiramarkup.Code("x.go:1"), jiramarkup.Plain(" f"))}},
		jiramarkup.List{},
	}})
	add("jiramarkup code", jiramarkup.Doc{Blocks: []jiramarkup.Block{jiramarkup.CodeBlock("a\nb\n"), jiramarkup.CodeBlock(""), jiramarkup.CodeBlock(hostile)}})
	add("jiramarkup expands", jiramarkup.Doc{Blocks: []jiramarkup.Block{
		jiramarkup.Expand{Title: "frames", Blocks: []jiramarkup.Block{jiramarkup.List{Items: []jiramarkup.Paragraph{jiramarkup.P(jiramarkup.Plain("f"))}}, jiramarkup.CodeBlock("x")}},
		jiramarkup.Expand{Title: "table", Blocks: []jiramarkup.Block{jiramarkup.Table{Header: []string{"a"}}, jiramarkup.Heading("h")}},
		jiramarkup.Expand{Title: "empty"},
		jiramarkup.Expand{Title: "", Blocks: []jiramarkup.Block{jiramarkup.List{}}},
		jiramarkup.Expand{Title: "outer", Blocks: []jiramarkup.Block{
			jiramarkup.P(jiramarkup.Plain("before")),
			jiramarkup.Expand{Title: "inner", Blocks: []jiramarkup.Block{jiramarkup.P(jiramarkup.Plain("x")), jiramarkup.Table{Header: []string{"t"}}}},
			jiramarkup.Expand{Title: "inner empty"},
		}},
	}})

	// The issue descriptions the bot files (ticket), for each source.
	seen := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	frames := []alert.Frame{{File: "vendor/lib.js", Function: "dispatch", Line: 10}}
	for i := 1; i <= 8; i++ {
		frames = append(frames, alert.Frame{File: "app/cart.js", Function: fmt.Sprintf("step%d", i), Line: 100 + i, InApp: true})
	}
	sentry := &alert.Alert{
		Source: alert.Sentry, Fingerprint: loop.SentryFingerprint("acme", "101"), Project: "web",
		ExceptionType: "TypeError", ExceptionValue: hostile, Frames: frames, Culprit: "app/cart.js",
		Release: "web@1.4.2", Environment: "production", FirstSeen: seen, LastSeen: seen, Count: 12, Users: 3,
		Tags:        []alert.Tag{{Key: "url", Value: "https://shop.example/cart"}},
		Breadcrumbs: []alert.Breadcrumb{{Time: seen, Category: "navigation", Message: "/ -> /cart"}, {Data: []alert.Tag{{Key: "k", Value: "v"}}}},
		Request:     &alert.Request{Method: "POST", URL: "https://shop.example/api/pay", Headers: []alert.Tag{{Key: "Accept", Value: "*/*"}}},
		TraceID:     "4bf92f3577b34da6a3ce929d0e0e4736", IssueURL: "https://acme.sentry.io/issues/101/",
		EventURL: "https://acme.sentry.io/issues/101/events/abc/", ReplayURL: "javascript:alert(1)",
	}
	add("ticket sentry", ticket.Description(sentry, "network"))
	add("ticket sentry, bare", ticket.Description(&alert.Alert{Source: alert.Sentry}, ""))
	add("ticket sentry, frames only outside the app", ticket.Description(&alert.Alert{Source: alert.Sentry, Frames: frames[:1]}, ""))
	am := &alert.Alert{Source: alert.Alertmanager, Receiver: "payments", Title: "HighErrorRate", Status: "firing",
		GroupLabels: map[string]string{"alertname": "HighErrorRate"}, CommonLabels: map[string]string{"team": "pay"},
		Annotations: map[string]string{"description": hostile, "runbook_url": "https://runbooks.example/5xx"},
		Alerts:      []alert.Instance{{Status: "firing", Labels: map[string]string{"instance": "api-1"}, GeneratorURL: "https://prom.example/graph"}},
		ExternalURL: "https://am.example"}
	add("ticket alertmanager", ticket.Description(am, ""))
	add("ticket alertmanager, bare", ticket.Description(&alert.Alert{Source: alert.Alertmanager}, ""))
	guance := &alert.Alert{Source: alert.Guance, Title: "Checkout errors up", Level: "critical", IssueID: "issue_9",
		Annotations: map[string]string{"description": hostile, "status": "Open"}}
	add("ticket guance", ticket.Description(guance, ""))
	add("ticket guance, bare", ticket.Description(&alert.Alert{Source: alert.Guance}, ""))
	b, err := ticket.New("", "Broke: {{.Alert.Title}}\n\n\n{{.Class}}\n")
	if err != nil {
		t.Fatal(err)
	}
	tk, err := b.Build(sentry, "network")
	if err != nil {
		t.Fatal(err)
	}
	add("ticket from a template", tk.Description)

	// The comments the action, the sweep and the bot write (their shapes,
	// built the way internal/action, internal/sweep and internal/bot do).
	add("action comment", jiramarkup.Doc{Blocks: []jiramarkup.Block{
		jiramarkup.P(jiramarkup.Plain("Pull request "), pr, jiramarkup.Plain(": "), jiramarkup.Plain(hostile)),
		jiramarkup.P(jiramarkup.Plain("State: "), jiramarkup.Strong("merged")),
	}})
	add("action revert comment", jiramarkup.Doc{Blocks: []jiramarkup.Block{
		jiramarkup.P(jiramarkup.Plain("Pull request "), pr, jiramarkup.Plain(" reverted "), pr, jiramarkup.Plain(": "), jiramarkup.Plain("title")),
		jiramarkup.P(jiramarkup.Plain("The fix is no longer in the code, so this issue is open again.")),
	}})
	add("sweep verdict", jiramarkup.Doc{Blocks: []jiramarkup.Block{
		jiramarkup.P(jiramarkup.Strong("Verified in production. "), jiramarkup.Plain("After "), pr, jiramarkup.Plain(" merged.")),
		jiramarkup.Table{Header: []string{"Sentry issue", "Before the merge", "After the merge", "Result"},
			Rows: [][]jiramarkup.Paragraph{{jiramarkup.P(jiramarkup.Link("WEB-1", "https://acme.sentry.io/issues/1/"), jiramarkup.Plain(" title")), jiramarkup.P(jiramarkup.Plain("12 events")), jiramarkup.P(jiramarkup.Plain("0 events")), jiramarkup.P(jiramarkup.Plain("fixed"))}}},
	}})
	add("bot comment", jiramarkup.Doc{Blocks: []jiramarkup.Block{jiramarkup.P(jiramarkup.Strong("Still happening. "), jiramarkup.Plain(hostile))}})

	// What the simulator itself writes: v2 text shown through v3.
	for _, s := range []string{"", "a", "a\n\nb\n", hostile} {
		raw, _ := json.Marshal(textToADF(s))
		out = append(out, adfCase{name: fmt.Sprintf("textToADF(%q)", s), doc: string(raw), valid: true})
	}
	return out
}

// TestProductDocumentsAreValidADF holds every document fixproof writes
// to the built-in check, which the demo relies on and which agrees with
// the schema (TestBuiltInADFCheckAgreesWithTheSchema).
func TestProductDocumentsAreValidADF(t *testing.T) {
	for _, c := range productADF(t) {
		if err := ValidateADF(json.RawMessage(c.doc)); err != nil {
			t.Errorf("%s: %v\n%s", c.name, err, c.doc)
		}
	}
}

// TestBuiltInADFCheckRefusesHostileDocuments needs no contracts: the
// corpus's verdicts are the schema's (TestBuiltInADFCheckAgreesWithTheSchema
// checks them against it when it is present).
func TestBuiltInADFCheckRefusesHostileDocuments(t *testing.T) {
	for _, c := range handwrittenADF() {
		if err := ValidateADF(json.RawMessage(c.doc)); (err == nil) != c.valid {
			t.Errorf("%s: built-in check says %v, want valid=%v\n%s", c.name, err, c.valid, c.doc)
		}
	}
}

// TestBuiltInADFCheckAgreesWithTheSchema compares the simulator's own
// check with Atlassian's schema: on the corpus (whose expected verdicts
// must be the schema's too), and on documents generated from the schema's
// definitions and then damaged, which must get the same verdict from both.
func TestBuiltInADFCheckAgreesWithTheSchema(t *testing.T) {
	schema := contract.ADF(t)
	defs, _ := contract.ADFSchema(t)["definitions"].(map[string]any)
	disagreements := 0
	agree := func(name, doc string) (valid bool) {
		t.Helper()
		errS := schema(json.RawMessage(doc))
		errB := ValidateADF(json.RawMessage(doc))
		if (errS == nil) != (errB == nil) {
			disagreements++
			t.Errorf("%s: schema says %v, built-in check says %v\n%s", name, errS, errB, doc)
		}
		return errS == nil
	}
	for _, c := range append(handwrittenADF(), productADF(t)...) {
		if got := agree(c.name, c.doc); got != c.valid {
			t.Errorf("%s: the schema says valid=%v, the corpus %v", c.name, got, c.valid)
		}
	}

	documents := adfGenDocuments
	if raceBuild {
		documents = adfGenDocuments / 5
	}
	g := newADFGen(defs, 9)
	var generated, valid, invalid int
	coveredAt := -1
	for i := 0; i < documents; i++ {
		doc, ok := g.generate(i)
		if !ok {
			continue
		}
		generated++
		raw, _ := json.Marshal(doc)
		if agree(fmt.Sprintf("generated #%d", i), string(raw)) {
			valid++
			g.cover(doc)
			if len(g.covered) == len(defs) && coveredAt < 0 {
				coveredAt = i
			}
		}
		for j := 0; j < 2; j++ {
			damaged := g.mutate(doc)
			if nesting(damaged) > adfGenMaxDepth+1 {
				continue // deeper than generated: too slow for the schema's validator
			}
			raw, _ := json.Marshal(damaged)
			if agree(fmt.Sprintf("generated #%d, damaged %d", i, j), string(raw)) {
				valid++
			} else {
				invalid++
			}
		}
		if disagreements > 20 {
			break
		}
	}
	t.Logf("%d documents generated, the schema covered by #%d; %d valid, %d invalid (mostly after damage)", generated, coveredAt, valid, invalid)
	if generated < documents*3/4 || valid < generated || invalid < generated {
		t.Errorf("the generator is too weak to compare anything: %d generated, %d valid, %d invalid", generated, valid, invalid)
	}
	// The smallest document for each definition: the samples to probe.
	for _, name := range slices.Sorted(maps.Keys(defs)) {
		doc, ok := g.generateMinimal(name)
		if !ok {
			t.Errorf("no document holds %s", name)
			continue
		}
		raw, _ := json.Marshal(doc)
		if agree("smallest document of "+name, string(raw)) {
			g.cover(doc)
		} else {
			t.Errorf("the smallest document holding %s is invalid: %s", name, raw)
		}
	}
	// Every definition of the schema shaped some valid document.
	var missing []string
	for name := range defs {
		if !g.covered[name] {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("no valid document followed %s", strings.Join(missing, ", "))
	}
	if raceBuild {
		t.Log("the probes of every attribute and mark run without -race")
		return
	}
	probes := probeSamples(g, agree)
	t.Logf("%d probes of attributes and marks", probes)
}

// FuzzADFCheckAgreesWithTheSchema feeds arbitrary JSON to both checks.
func FuzzADFCheckAgreesWithTheSchema(f *testing.F) {
	for _, c := range handwrittenADF() {
		f.Add(c.doc)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		if !json.Valid([]byte(doc)) {
			return
		}
		schema := contract.ADF(t)
		errS, errB := schema(json.RawMessage(doc)), ValidateADF(json.RawMessage(doc))
		if (errS == nil) != (errB == nil) {
			t.Errorf("schema says %v, built-in check says %v\n%s", errS, errB, doc)
		}
	})
}

// defType is the node or mark type a definition fixes ("" for a group).
func defType(def any, defs map[string]any) string {
	m, _ := def.(map[string]any)
	if all, ok := m["allOf"].([]any); ok && len(all) > 0 {
		return defType(resolve(all[0], defs), defs)
	}
	props, _ := m["properties"].(map[string]any)
	typ, _ := props["type"].(map[string]any)
	enum, _ := typ["enum"].([]any)
	if len(enum) == 1 {
		s, _ := enum[0].(string)
		return s
	}
	return ""
}

func refName(s any) string {
	m, _ := s.(map[string]any)
	ref, _ := m["$ref"].(string)
	return strings.TrimPrefix(ref, "#/definitions/")
}

func resolve(s any, defs map[string]any) any {
	m, _ := s.(map[string]any)
	if ref, ok := m["$ref"].(string); ok {
		return defs[strings.TrimPrefix(ref, "#/definitions/")]
	}
	return s
}

// probeSamples damages each definition's sample in place, one property at
// a time, and restores it: every attribute the definition declares (and
// an undeclared one) set to a value of each kind or removed, and the marks
// set to each mark in turn, which is where the schema's rules depend on
// the place. Each damaged document goes to agree; probeSamples returns how
// many did.
func probeSamples(g *adfGen, agree func(name, doc string) bool) int {
	values := []any{"", "x", json.Number("-1"), json.Number("7"), true}
	var markDefs []string
	for name := range g.defs {
		if strings.HasSuffix(name, "_mark") {
			markDefs = append(markDefs, name)
		}
	}
	sort.Strings(markDefs)
	n := 0
	try := func(name string, sm adfSample, what string) {
		raw, _ := json.Marshal(sm.doc)
		agree(name+": "+what, string(raw))
		n++
	}
	names := make([]string, 0, len(g.samples))
	for name := range g.samples {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		sm := g.samples[name]
		if defType(g.defs[name], g.defs) == "" {
			continue // a group of alternatives, probed through its members
		}
		props := declared(g.defs[name], g.defs)
		// Attributes are probed where they are defined, not again in each
		// variant (allOf) of the node; marks in every variant, as each
		// place allows its own.
		own, _ := g.defs[name].(map[string]any)["properties"].(map[string]any)
		if attrSchema, ok := own["attrs"]; ok {
			attrs, had := sm.obj["attrs"].(map[string]any)
			if !had {
				attrs = map[string]any{}
				sm.obj["attrs"] = attrs
			}
			keys := slices.Sorted(maps.Keys(declared(attrSchema, g.defs)))
			for _, key := range append(keys, "bogus") {
				old, present := attrs[key]
				for _, v := range values {
					attrs[key] = v
					try(name, sm, fmt.Sprintf("attrs.%s = %s", key, show(v)))
				}
				delete(attrs, key)
				try(name, sm, "without attrs."+key)
				if present {
					attrs[key] = old
				}
			}
			if !had {
				delete(sm.obj, "attrs")
			}
		}
		if _, ok := props["marks"]; ok {
			old, present := sm.obj["marks"]
			for _, m := range markDefs {
				sm.obj["marks"] = []any{g.one(m)}
				try(name, sm, "marks = ["+m+"]")
			}
			delete(sm.obj, "marks")
			if present {
				sm.obj["marks"] = old
			}
		}
	}
	return n
}

// declared is the properties a schema declares, through references,
// alternatives and allOf parts.
func declared(s any, defs map[string]any) map[string]any {
	out := map[string]any{}
	m, _ := resolve(s, defs).(map[string]any)
	if props, ok := m["properties"].(map[string]any); ok {
		for k, v := range props {
			if _, dup := out[k]; !dup {
				out[k] = v
			}
		}
	}
	for _, key := range []string{"anyOf", "allOf"} {
		parts, _ := m[key].([]any)
		for _, p := range parts {
			for k, v := range declared(p, defs) {
				if _, dup := out[k]; !dup {
					out[k] = v
				}
			}
		}
	}
	return out
}

// adfGen generates documents from the schema's definitions: it follows
// the schema (a random alternative of each anyOf, optional properties now
// and then, arrays of a few items), backing out of a branch that grows too
// big, so most documents it returns are valid; mutate then damages them.
// Each document aims at a target definition no valid document has
// followed yet, so that a few hundred documents cover the whole schema.
type adfGen struct {
	defs map[string]any
	r    *rand.Rand
	// reach holds, for each definition, every definition it can lead to.
	reach map[string]map[string]bool
	// covered holds the definitions some valid document followed.
	covered map[string]bool

	// samples holds, for each definition, a small valid document and the
	// object in it that the definition made, for probing.
	samples map[string]adfSample

	// The document being made: its target (and with minimal, by the
	// shortest way, with nothing optional: dist is how many references
	// each definition is from the target), the definitions it followed
	// and the objects they made, and its size so far.
	minimal        bool
	dist           map[string]int
	target         string
	used           map[string]bool
	made           map[string][]map[string]any
	steps, objects int
}

type adfSample struct {
	doc         any
	size, depth int
	obj         map[string]any
}

// adfGenDocuments is how many documents the differential test generates
// (each also damaged twice). Atlassian's schema is slow to refuse a deep
// document (the library explores every anyOf alternative in full), so
// documents are kept small: array nesting is cut at adfGenMaxDepth, a
// document at adfGenMaxObjects objects and adfGenMaxSteps schema steps.
const (
	adfGenDocuments  = 100
	adfGenMaxDepth   = 4
	adfGenMaxObjects = 40
	adfGenMaxSteps   = 20000
)

func newADFGen(defs map[string]any, seed uint64) *adfGen {
	g := &adfGen{defs: defs, r: rand.New(rand.NewPCG(seed, 21)), covered: map[string]bool{},
		reach: map[string]map[string]bool{}, samples: map[string]adfSample{}}
	for name, def := range defs {
		g.reach[name] = refsIn(def)
	}
	for changed := true; changed; {
		changed = false
		for _, set := range g.reach {
			for r := range set {
				for rr := range g.reach[r] {
					if !set[rr] {
						set[rr], changed = true, true
					}
				}
			}
		}
	}
	return g
}

// refsIn is the definitions a schema refers to directly.
func refsIn(s any) map[string]bool {
	out := map[string]bool{}
	walk(s, func(v any) {
		if m, ok := v.(map[string]any); ok {
			if ref, ok := m["$ref"].(string); ok {
				out[strings.TrimPrefix(ref, "#/definitions/")] = true
			}
		}
	})
	return out
}

// leadsToTarget reports whether schema s can produce the target that the
// document has not reached yet.
func (g *adfGen) leadsToTarget(s any) bool {
	if g.target == "" || g.used[g.target] {
		return false
	}
	for r := range refsIn(s) {
		if r == g.target || g.reach[r][g.target] {
			return true
		}
	}
	return false
}

// generate makes a document aimed at the next definition not covered.
func (g *adfGen) generate(i int) (any, bool) {
	var open []string
	for name := range g.defs {
		if !g.covered[name] {
			open = append(open, name)
		}
	}
	sort.Strings(open)
	g.target = ""
	if len(open) > 0 {
		g.target = open[i%len(open)]
	}
	g.steps, g.objects, g.used, g.made = 0, 0, map[string]bool{}, map[string][]map[string]any{}
	return g.value(map[string]any{"$ref": "#/definitions/doc_node"}, 0)
}

// generateMinimal makes the smallest document holding target: the
// shortest way to it, nothing optional.
func (g *adfGen) generateMinimal(target string) (any, bool) {
	g.minimal, g.target = true, target
	defer func() { g.minimal = false }()
	// How many references each definition is from the target.
	g.dist = map[string]int{target: 0}
	for changed := true; changed; {
		changed = false
		for name, def := range g.defs {
			for r := range refsIn(def) {
				if d, ok := g.dist[r]; ok {
					if old, seen := g.dist[name]; !seen || d+1 < old {
						g.dist[name], changed = d+1, true
					}
				}
			}
		}
	}
	g.steps, g.objects, g.used, g.made = 0, 0, map[string]bool{}, map[string][]map[string]any{}
	return g.value(map[string]any{"$ref": "#/definitions/doc_node"}, 0)
}

// distance is how far schema s is from the target in references (a large
// number when it does not lead there).
func (g *adfGen) distance(s any) int {
	best := 1 << 20
	for r := range refsIn(s) {
		if d, ok := g.dist[r]; ok {
			best = min(best, d+1)
		}
	}
	return best
}

// cover records that doc, the last document generated, is valid, and keeps
// it as the sample of the definitions it has the smallest document for.
func (g *adfGen) cover(doc any) {
	raw, _ := json.Marshal(doc)
	for name := range g.used {
		g.covered[name] = true
		if objs := g.made[name]; len(objs) > 0 {
			if old, ok := g.samples[name]; !ok || nesting(doc) < old.depth || nesting(doc) == old.depth && len(raw) < old.size {
				g.samples[name] = adfSample{doc: doc, size: len(raw), depth: nesting(doc), obj: objs[0]}
			}
		}
	}
}

// one makes a fresh valid value of a definition (a mark, say).
func (g *adfGen) one(name string) any {
	for {
		g.steps, g.objects, g.target = 0, 0, ""
		if v, ok := g.value(g.defs[name], 0); ok {
			return v
		}
	}
}

func (g *adfGen) value(s any, depth int) (any, bool) {
	g.steps++
	if g.steps > adfGenMaxSteps || depth > adfGenMaxDepth || g.objects > adfGenMaxObjects {
		return nil, false
	}
	m, _ := s.(map[string]any)
	if ref, ok := m["$ref"].(string); ok {
		name := strings.TrimPrefix(ref, "#/definitions/")
		v, ok := g.value(g.defs[name], depth)
		if ok {
			g.used[name] = true
			if obj, isObj := v.(map[string]any); isObj && g.made != nil {
				g.made[name] = append(g.made[name], obj)
			}
		}
		return v, ok
	}
	if alts, ok := m["anyOf"].([]any); ok {
		// Alternatives towards the target first, then those no valid
		// document has followed, then the rest, each group shuffled.
		rank := func(alt any) int {
			switch {
			case g.leadsToTarget(alt):
				return 0
			case !g.covered[refName(alt)]:
				return 1
			}
			return 2
		}
		if g.minimal {
			rank = func(alt any) int {
				if g.used[g.target] {
					return 0
				}
				return g.distance(alt)
			}
		}
		order := g.r.Perm(len(alts))
		sort.SliceStable(order, func(a, b int) bool { return rank(alts[order[a]]) < rank(alts[order[b]]) })
		for _, i := range order {
			if v, ok := g.value(alts[i], depth); ok {
				return v, true
			}
		}
		return nil, false
	}
	// include decides whether to make an optional property.
	include := func(ps any) bool { return g.leadsToTarget(ps) || !g.minimal && g.r.IntN(2) == 0 }
	if all, ok := m["allOf"].([]any); ok {
		v, ok := g.value(all[0], depth)
		if !ok {
			return nil, false
		}
		obj, _ := v.(map[string]any)
		for _, extra := range all[1:] {
			em, _ := extra.(map[string]any)
			props, _ := em["properties"].(map[string]any)
			required := stringList(em["required"])
			for _, k := range sortedAny(props) {
				if _, has := obj[k]; !has && !slices.Contains(required, k) && !include(props[k]) {
					continue
				}
				pv, ok := g.value(props[k], depth)
				if !ok {
					return nil, false
				}
				obj[k] = pv
			}
		}
		return obj, true
	}
	if enum, ok := m["enum"].([]any); ok {
		return enum[g.r.IntN(len(enum))], true
	}
	switch m["type"] {
	case "object":
		g.objects++
		obj := map[string]any{}
		props, _ := m["properties"].(map[string]any)
		required := stringList(m["required"])
		for _, k := range sortedAny(props) {
			need := slices.Contains(required, k)
			if !need && !include(props[k]) {
				continue
			}
			v, ok := g.value(props[k], depth)
			if !ok {
				if need {
					return nil, false
				}
				continue
			}
			obj[k] = v
		}
		return obj, true
	case "array":
		lo, hi := intOf(m["minItems"], 0), intOf(m["maxItems"], -1)
		if tuple, ok := m["items"].([]any); ok {
			n := lo + g.r.IntN(len(tuple)-lo+1)
			if g.minimal {
				n = lo
			}
			for k, it := range tuple {
				if k >= n && g.leadsToTarget(it) {
					n = k + 1
					break
				}
			}
			if hi >= 0 {
				n = min(n, hi)
			}
			out := []any{}
			for _, it := range tuple[:n] {
				v, ok := g.value(it, depth+1)
				if !ok {
					return nil, false
				}
				out = append(out, v)
			}
			return out, true
		}
		n := lo + g.r.IntN(2)
		if g.minimal {
			n = lo
		}
		if n == 0 && g.leadsToTarget(m["items"]) {
			n = 1
		}
		if hi >= 0 {
			n = min(n, hi)
		}
		out := []any{}
		for len(out) < n {
			v, ok := g.value(m["items"], depth+1)
			if !ok {
				if len(out) >= lo {
					break
				}
				return nil, false
			}
			out = append(out, v)
		}
		return out, true
	case "string":
		var fits []string
		for _, c := range []string{"x", "", "#aB0c12", "#aB0c1234", "neutral", "green", "\n", "https://example.com/a", "TODO", "ünï"} {
			if len(c) >= intOf(m["minLength"], 0) && matchesPattern(m["pattern"], c) {
				fits = append(fits, c)
			}
		}
		if len(fits) == 0 {
			return nil, false
		}
		return fits[g.r.IntN(len(fits))], true
	case "number":
		var fits []json.Number
		for _, c := range []json.Number{"0", "1", "2.5", "3", "6", "50", "100", "1e2"} {
			if inRange(c, m["minimum"], m["maximum"]) {
				fits = append(fits, c)
			}
		}
		return fits[g.r.IntN(len(fits))], true
	case "boolean":
		return g.r.IntN(2) == 0, true
	}
	// An unconstrained value ({}): anything.
	return []any{"x", json.Number("1"), nil, map[string]any{"k": []any{true}}}[g.r.IntN(4)], true
}

// mutate returns a damaged copy of doc: one or two random edits that
// often, but not always, make it invalid.
func (g *adfGen) mutate(doc any) any {
	out := deepCopy(doc)
	for n := 1 + g.r.IntN(2); n > 0; n-- {
		var objs []map[string]any
		var arrs [][]any
		var parents []struct {
			arr []any
			i   int
		}
		walk(out, func(v any) {
			switch v := v.(type) {
			case map[string]any:
				objs = append(objs, v)
			case []any:
				arrs = append(arrs, v)
				for i := range v {
					parents = append(parents, struct {
						arr []any
						i   int
					}{v, i})
				}
			}
		})
		o := objs[g.r.IntN(len(objs))]
		keys := sortedAny(o)
		names := []string{"doc", "paragraph", "text", "heading", "hardBreak", "bulletList", "listItem", "table",
			"tableRow", "tableCell", "expand", "nestedExpand", "codeBlock", "panel", "rule", "mention", "status",
			"mediaSingle", "media", "caption", "layoutColumn", "strong", "code", "link", "alignment", "breakout",
			"taskList", "taskItem", "decisionItem", "extension", "marquee"}
		fragments := []any{
			map[string]any{"type": "text", "text": "x"},
			map[string]any{"type": "paragraph"},
			map[string]any{"type": "heading", "attrs": map[string]any{"level": json.Number("2")}},
			map[string]any{"type": "heading"},
			map[string]any{"type": "hardBreak"},
			map[string]any{"type": "rule"},
			map[string]any{"type": "strong"},
			map[string]any{"type": "link", "attrs": map[string]any{"href": "h"}},
			map[string]any{"type": "bulletList", "content": []any{}},
			"paragraph", json.Number("3"), nil,
		}
		switch op := g.r.IntN(8); {
		case op == 0 && len(keys) > 0:
			delete(o, keys[g.r.IntN(len(keys))])
		case op == 1:
			o[[]string{"attrs", "content", "marks", "text", "version", "localId", "foo"}[g.r.IntN(7)]] =
				deepCopy(fragments[g.r.IntN(len(fragments))])
		case op == 2:
			o["type"] = names[g.r.IntN(len(names))]
		case op == 3 && len(keys) > 0:
			o[keys[g.r.IntN(len(keys))]] = []any{"", "pink", json.Number("-1"), json.Number("7"), json.Number("0.5"), true, map[string]any{}, []any{}}[g.r.IntN(8)]
		case op == 4 && len(parents) > 0:
			p := parents[g.r.IntN(len(parents))]
			p.arr[p.i] = deepCopy(fragments[g.r.IntN(len(fragments))])
		case op == 5 && len(arrs) > 0:
			// Move a subtree somewhere else: to the top level, say.
			src := objs[g.r.IntN(len(objs))]
			if top, ok := out.(map[string]any)["content"].([]any); ok && len(top) > 0 {
				top[g.r.IntN(len(top))] = deepCopy(src)
			}
		case op == 6 && len(parents) > 0:
			p := parents[g.r.IntN(len(parents))]
			p.arr[p.i] = map[string]any{"type": "paragraph", "content": []any{deepCopy(p.arr[p.i])}}
		case op == 7 && len(keys) > 0:
			if a, ok := o[keys[g.r.IntN(len(keys))]].([]any); ok {
				o[keys[0]] = a[:0]
			}
		}
	}
	return out
}

// nesting is how deeply arrays nest in v.
func nesting(v any) int {
	n := 0
	switch v := v.(type) {
	case map[string]any:
		for _, x := range v {
			n = max(n, nesting(x))
		}
	case []any:
		for _, x := range v {
			n = max(n, nesting(x))
		}
		n++
	}
	return n
}

func walk(v any, f func(any)) {
	f(v)
	switch v := v.(type) {
	case map[string]any:
		for _, k := range sortedAny(v) {
			walk(v[k], f)
		}
	case []any:
		for _, x := range v {
			walk(x, f)
		}
	}
}

func deepCopy(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = deepCopy(x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = deepCopy(x)
		}
		return out
	}
	return v
}

func stringList(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func intOf(v any, def int) int {
	n, ok := v.(json.Number)
	if !ok {
		return def
	}
	i, err := n.Int64()
	if err != nil {
		return def
	}
	return int(i)
}

func matchesPattern(p any, s string) bool {
	pat, ok := p.(string)
	return !ok || regexp.MustCompile(pat).MatchString(s)
}

func inRange(n json.Number, lo, hi any) bool {
	f, _ := n.Float64()
	if l, ok := lo.(json.Number); ok {
		if lf, _ := l.Float64(); f < lf {
			return false
		}
	}
	if h, ok := hi.(json.Number); ok {
		if hf, _ := h.Float64(); f > hf {
			return false
		}
	}
	return true
}

// TestInvalidADFIsAnsweredLikeJira: a description that is not an object
// is the field's error; one that is an object but not valid ADF is Jira
// Cloud's bare INVALID_INPUT, on create and on edit, and nothing changes.
func TestInvalidADFIsAnsweredLikeJira(t *testing.T) {
	srv, c := newServer(t, Cloud, "OPS-1")
	topText := map[string]any{"type": "doc", "version": 1, "content": []any{map[string]any{"type": "text", "text": "x"}}}
	create := func(desc any) map[string]any {
		return map[string]any{"fields": map[string]any{
			"project": map[string]any{"key": "OPS"}, "issuetype": map[string]any{"name": "Bug"},
			"summary": "s", "description": desc,
		}}
	}
	r := c.do("POST", "/rest/api/3/issue", create(topText))
	var body map[string]any
	_ = json.Unmarshal(r.body, &body)
	if r.status != http.StatusBadRequest || fmt.Sprint(body["errorMessages"]) != "[INVALID_INPUT]" || len(body["errors"].(map[string]any)) != 0 {
		t.Errorf("create with text at the top level: %d %s", r.status, r.body)
	}
	if !strings.Contains(r.header.Get("X-Jirasim-Reason"), "text") {
		t.Errorf("no reason given for tests: %q", r.header.Get("X-Jirasim-Reason"))
	}
	msgs, errs := errorMessages(t, c.want(400, "POST", "/rest/api/3/issue", create("plain text")))
	if len(msgs) != 0 || errs["description"] != "Operation value must be an Atlassian Document (see the Atlassian Document Format)" {
		t.Errorf("create with a string: %v %v", msgs, errs)
	}
	msgs, errs = errorMessages(t, c.want(400, "PUT", "/rest/api/3/issue/OPS-1", map[string]any{"fields": map[string]any{"description": topText}}))
	if !slices.Equal(msgs, []string{"INVALID_INPUT"}) || len(errs) != 0 {
		t.Errorf("edit: %v %v", msgs, errs)
	}
	msgs, _ = errorMessages(t, c.want(400, "PUT", "/rest/api/3/issue/OPS-1", map[string]any{"update": map[string]any{"description": []any{map[string]any{"set": topText}}}}))
	if !slices.Equal(msgs, []string{"INVALID_INPUT"}) {
		t.Errorf("edit by update: %v", msgs)
	}
	if is, _ := srv.Issue("OPS-1"); is.Description != nil || len(srv.issueList) != 1 {
		t.Errorf("a refused document was stored: %s", is.Description)
	}
	// v2 takes text; the same document through v2 is not ADF at all.
	c.want(400, "PUT", "/rest/api/2/issue/OPS-1", map[string]any{"fields": map[string]any{"description": topText}})
	c.want(204, "PUT", "/rest/api/2/issue/OPS-1", map[string]any{"fields": map[string]any{"description": "h1. fine"}})
}

// TestOptionsADFValidatesEveryDocument: a validator plugged into Options
// sees every ADF body (descriptions on create and edit, comments on add
// and update) and its refusal is Jira's INVALID_INPUT.
func TestOptionsADFValidatesEveryDocument(t *testing.T) {
	var seen []string
	refuse := "refuse me"
	srv := New(Options{Flavor: Cloud, Email: email, APIToken: apiToken, ADF: func(doc json.RawMessage) error {
		seen = append(seen, string(doc))
		if strings.Contains(string(doc), refuse) {
			return fmt.Errorf("refused by the plugged validator")
		}
		return nil
	}})
	srv.AddProject("OPS", "Operations", DefaultWorkflow())
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	c := &client{t: t, base: ts.URL, auth: func(r *http.Request) { r.SetBasicAuth(email, apiToken) }}
	create := func(text string) map[string]any {
		return map[string]any{"fields": map[string]any{"project": map[string]any{"key": "OPS"}, "issuetype": map[string]any{"name": "Bug"}, "summary": "s", "description": adfDoc(text)}}
	}
	c.want(201, "POST", "/rest/api/3/issue", create("ok"))
	c.want(400, "POST", "/rest/api/3/issue", create(refuse))
	c.want(204, "PUT", "/rest/api/3/issue/OPS-1", map[string]any{"fields": map[string]any{"description": adfDoc("edit")}})
	c.want(400, "PUT", "/rest/api/3/issue/OPS-1", map[string]any{"fields": map[string]any{"description": adfDoc(refuse)}})
	cm := obj(t, c.want(201, "POST", "/rest/api/3/issue/OPS-1/comment", map[string]any{"body": adfDoc("comment")}))
	msgs, _ := errorMessages(t, c.want(400, "POST", "/rest/api/3/issue/OPS-1/comment", map[string]any{"body": adfDoc(refuse)}))
	if !slices.Equal(msgs, []string{"INVALID_INPUT"}) {
		t.Errorf("refused comment: %v", msgs)
	}
	c.want(200, "PUT", "/rest/api/3/issue/OPS-1/comment/"+cm["id"].(string), map[string]any{"body": adfDoc("update")})
	c.want(400, "PUT", "/rest/api/3/issue/OPS-1/comment/"+cm["id"].(string), map[string]any{"body": adfDoc(refuse)})
	// v2 bodies are text: the validator never sees them.
	c.want(201, "POST", "/rest/api/2/issue/OPS-1/comment", map[string]any{"body": refuse})
	var texts []string
	for _, d := range seen {
		texts = append(texts, adfToText(json.RawMessage(d)))
	}
	want := []string{"ok", refuse, "edit", refuse, "comment", refuse, "update", refuse}
	if !slices.Equal(texts, want) {
		t.Errorf("validator saw %q, want %q", texts, want)
	}
	if is, _ := srv.Issue("OPS-1"); adfToText(is.Description) != "edit" || len(is.Comments) != 2 || adfToText(is.Comments[0].Body) != "update" {
		t.Errorf("stored: %s, %d comments", is.Description, len(is.Comments))
	}
}
