package jiramarkup

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// doc wraps block nodes (JSON text) in an ADF document.
func doc(blocks ...string) json.RawMessage {
	return json.RawMessage(`{"type":"doc","version":1,"content":[` + strings.Join(blocks, ",") + `]}`)
}

// para is a paragraph of inline nodes (JSON text).
func para(inline ...string) string {
	return `{"type":"paragraph","content":[` + strings.Join(inline, ",") + `]}`
}

func text(s string, marks ...string) string {
	b, _ := json.Marshal(s)
	if len(marks) == 0 {
		return `{"type":"text","text":` + string(b) + `}`
	}
	return `{"type":"text","text":` + string(b) + `,"marks":[` + strings.Join(marks, ",") + `]}`
}

func item(blocks ...string) string {
	return `{"type":"listItem","content":[` + strings.Join(blocks, ",") + `]}`
}

func TestText(t *testing.T) {
	const link = `{"type":"link","attrs":{"href":"https://example.com/a b"}}`
	tests := []struct {
		name string
		in   json.RawMessage
		want string
	}{
		{"paragraphs", doc(para(text("one")), para(text("two"))), "one\n\ntwo"},
		{"empty paragraph skipped", doc(para(text("one")), `{"type":"paragraph"}`, para(text("two"))), "one\n\ntwo"},
		{"hard break", doc(para(text("a"), `{"type":"hardBreak"}`, text("b"))), "a\nb"},
		{"heading levels", doc(`{"type":"heading","attrs":{"level":1},"content":[`+text("Top")+`]}`,
			`{"type":"heading","attrs":{"level":3},"content":[`+text("Mid")+`]}`,
			`{"type":"heading","attrs":{"level":9},"content":[`+text("Deep")+`]}`,
			`{"type":"heading","content":[`+text("None")+`]}`),
			"# Top\n\n### Mid\n\n###### Deep\n\n# None"},
		{"bullet list", doc(`{"type":"bulletList","content":[` + item(para(text("a"))) + `,` + item(para(text("b"))) + `]}`), "- a\n- b"},
		{"ordered list from order", doc(`{"type":"orderedList","attrs":{"order":3},"content":[` + item(para(text("c"))) + `,` + item(para(text("d"))) + `]}`), "3. c\n4. d"},
		{"nested lists", doc(`{"type":"bulletList","content":[` +
			item(para(text("a")), `{"type":"orderedList","content":[`+item(para(text("a1")), `{"type":"bulletList","content":[`+item(para(text("deep")))+`]}`)+`,`+item(para(text("a2")))+`]}`) +
			`,` + item(para(text("b"))) + `]}`),
			"- a\n  1. a1\n     - deep\n  2. a2\n- b"},
		{"list item with two paragraphs", doc(`{"type":"bulletList","content":[` + item(para(text("first")), para(text("second"))) + `]}`), "- first\n  second"},
		{"task list", doc(`{"type":"taskList","attrs":{"localId":"x"},"content":[` +
			`{"type":"taskItem","attrs":{"localId":"1","state":"DONE"},"content":[` + text("done") + `]},` +
			`{"type":"taskItem","attrs":{"localId":"2","state":"TODO"},"content":[` + text("todo") + `]},` +
			`{"type":"taskList","content":[{"type":"taskItem","attrs":{"state":"TODO"},"content":[` + text("sub") + `]}]}]}`),
			"- [x] done\n- [ ] todo\n  - [ ] sub"},
		{"code block", doc(`{"type":"codeBlock","attrs":{"language":"go"},"content":[` + text("x := 1\nfmt.Println(x)") + `]}`), "```go\nx := 1\nfmt.Println(x)\n```"},
		{"code block without language", doc(`{"type":"codeBlock","content":[` + text("plain") + `]}`), "```\nplain\n```"},
		{"code block with fences inside", doc(`{"type":"codeBlock","content":[` + text("```\nnested\n```") + `]}`), "````\n```\nnested\n```\n````"},
		{"code block in list", doc(`{"type":"bulletList","content":[` + item(para(text("run")), `{"type":"codeBlock","content":[`+text("make\nmake test")+`]}`) + `]}`), "- run\n  ```\n  make\n  make test\n  ```"},
		{"blockquote", doc(`{"type":"blockquote","content":[` + para(text("q1")) + `,` + para(text("q2")) + `]}`), "> q1\n>\n> q2"},
		{"rule", doc(para(text("a")), `{"type":"rule"}`, para(text("b"))), "a\n\n---\n\nb"},
		{"code mark", doc(para(text("run "), text("make test", `{"type":"code"}`))), "run `make test`"},
		{"code mark with backticks", doc(para(text("a`b", `{"type":"code"}`))), "``a`b``"},
		{"strong", doc(para(text("bold", `{"type":"strong"}`))), "**bold**"},
		{"em", doc(para(text("it", `{"type":"em"}`))), "*it*"},
		{"strike", doc(para(text("gone", `{"type":"strike"}`))), "~~gone~~"},
		{"strong and em", doc(para(text("both", `{"type":"strong"}`, `{"type":"em"}`))), "***both***"},
		{"whitespace outside marks", doc(para(text("a"), text(" b ", `{"type":"strong"}`), text("c"))), "a **b** c"},
		{"adjacent same marks merged", doc(para(text("ab", `{"type":"strong"}`), text("cd", `{"type":"strong"}`))), "**abcd**"},
		{"link", doc(para(text("see "), text("docs", link))), "see [docs](https://example.com/a%20b)"},
		{"bold link", doc(para(text("docs", link, `{"type":"strong"}`))), "[**docs**](https://example.com/a%20b)"},
		{"link that is its address", doc(para(text("https://x.io/p", `{"type":"link","attrs":{"href":"https://x.io/p"}}`))), "https://x.io/p"},
		{"ignored marks", doc(para(text("u", `{"type":"underline"}`), text("c", `{"type":"textColor","attrs":{"color":"#ff0000"}}`), text("2", `{"type":"subsup","attrs":{"type":"sub"}}`))), "uc2"},
		{"mention", doc(para(`{"type":"mention","attrs":{"id":"5b10ac8d82e05b22cc7d4ef5","text":"@Ana Lopez","accessLevel":""}}`, text(" please look"))), "@Ana Lopez please look"},
		{"mention without @", doc(para(`{"type":"mention","attrs":{"id":"1","text":"Bo"}}`)), "@Bo"},
		{"mention without text", doc(para(`{"type":"mention","attrs":{"id":"557058:abc"}}`)), "@557058:abc"},
		{"emoji text", doc(para(`{"type":"emoji","attrs":{"shortName":":smile:","id":"1f604","text":"😄"}}`)), "😄"},
		{"emoji shortName", doc(para(`{"type":"emoji","attrs":{"shortName":":awthanks:","id":"atlassian-awthanks"}}`)), ":awthanks:"},
		{"inline card", doc(para(text("PR: "), `{"type":"inlineCard","attrs":{"url":"https://github.com/o/r/pull/1"}}`)), "PR: https://github.com/o/r/pull/1"},
		{"block card", doc(`{"type":"blockCard","attrs":{"url":"https://sentry.io/issues/1/"}}`), "https://sentry.io/issues/1/"},
		{"embed card", doc(`{"type":"embedCard","attrs":{"url":"https://youtu.be/x","layout":"center"}}`), "https://youtu.be/x"},
		{"card with JSON-LD data", doc(para(`{"type":"inlineCard","attrs":{"data":{"@type":"Document","url":"https://d.io/x"}}}`)), "https://d.io/x"},
		{"status and date", doc(para(`{"type":"status","attrs":{"text":"IN PROGRESS","color":"blue"}}`, text(" since "), `{"type":"date","attrs":{"timestamp":"1704067200000"}}`)), "[IN PROGRESS] since 2024-01-01"},
		{"table", doc(`{"type":"table","attrs":{"isNumberColumnEnabled":false,"layout":"default"},"content":[` +
			`{"type":"tableRow","content":[{"type":"tableHeader","content":[` + para(text("Env")) + `]},{"type":"tableHeader","content":[` + para(text("Count")) + `]}]},` +
			`{"type":"tableRow","content":[{"type":"tableCell","content":[` + para(text("prod")) + `]},{"type":"tableCell","content":[` + para(text("a|b")) + `,` + para(text("2")) + `]}]},` +
			`{"type":"tableRow","content":[{"type":"tableCell","content":[` + para(text("staging")) + `]}]}]}`),
			"| Env | Count |\n| --- | --- |\n| prod | a\\|b 2 |\n| staging |  |"},
		{"panel", doc(`{"type":"panel","attrs":{"panelType":"info"},"content":[` + para(text("note")) + `]}`), "note"},
		{"expand", doc(`{"type":"expand","attrs":{"title":"Details"},"content":[` + para(text("hidden")) + `]}`), "**Details**\n\nhidden"},
		{"nested expand without title", doc(`{"type":"nestedExpand","attrs":{"title":""},"content":[` + para(text("inner")) + `]}`), "inner"},
		{"media", doc(`{"type":"mediaSingle","content":[{"type":"media","attrs":{"type":"external","url":"https://i.io/a.png"}}]}`,
			`{"type":"mediaGroup","content":[{"type":"media","attrs":{"type":"file","id":"x","collection":"c","alt":"log.txt"}},{"type":"media","attrs":{"type":"file","id":"y"}}]}`),
			"https://i.io/a.png\n\n[attachment: log.txt]\n\n[attachment]"},
		{"unknown block is its text", doc(`{"type":"futureBlock","content":[` + para(text("x", `{"type":"strong"}`)) + `,` + para(text("y")) + `]}`), "x\ny"},
		{"unknown inline is its text", doc(para(text("a "), `{"type":"futureInline","content":[`+text("b")+`]}`)), "a b"},
		{"extension", doc(`{"type":"bodiedExtension","attrs":{"extensionKey":"k"},"content":[` + para(text("body")) + `]}`), "body"},
		{"bare paragraph root", json.RawMessage(para(text("lone"))), "lone"},
		{"inline directly in doc", doc(text("loose"), para(text("p"))), "loose\n\np"},
		{"wiki string", json.RawMessage(`"*bold* text"`), "**bold** text"},
		{"empty doc", doc(), ""},
		{"null", json.RawMessage(`null`), ""},
		{"invalid JSON", json.RawMessage(`{"type":`), ""},
		{"number", json.RawMessage(`42`), ""},
		{"empty", nil, ""},
		{"wrong types ignored", json.RawMessage(`{"type":"doc","content":[{"type":"paragraph","content":[{"type":"text","text":5},{"type":"text","text":"ok","marks":"bad"},7]}]}`), "ok"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Text(tt.in)
			if got != tt.want {
				t.Errorf("Text(%s)\n got: %q\nwant: %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestMarkdownDeepNesting checks that pathological nesting stays bounded.
func TestTextDeepNesting(t *testing.T) {
	const depth = 2000
	var b strings.Builder
	b.WriteString(`{"type":"doc","version":1,"content":[`)
	for i := 0; i < depth; i++ {
		b.WriteString(`{"type":"bulletList","content":[{"type":"listItem","content":[{"type":"paragraph","content":[{"type":"text","text":"x"}]},`)
	}
	b.WriteString(`{"type":"rule"}`)
	for i := 0; i < depth; i++ {
		b.WriteString(`]}]}`)
	}
	b.WriteString(`]}`)
	out := Text(json.RawMessage(b.String()))
	if len(out) > 100_000 {
		t.Fatalf("output is %d bytes", len(out))
	}
	for _, l := range strings.Split(out, "\n") {
		if indent := len(l) - len(strings.TrimLeft(l, " ")); indent > 2*maxNest+2 {
			t.Fatalf("line indented by %d: %q", indent, l)
		}
	}
	if !strings.HasPrefix(out, "- x\n  - x\n") {
		t.Fatalf("output starts %q", out[:min(len(out), 40)])
	}
}

func TestTruncate(t *testing.T) {
	long := strings.Repeat("line of text\n", 100)
	tests := []struct {
		name string
		in   string
		max  int
		want func(string) bool
	}{
		{"short unchanged", "abc", 10, func(s string) bool { return s == "abc" }},
		{"no limit", long, 0, func(s string) bool { return s == long }},
		{"cut at a line with note", long, 100, func(s string) bool {
			return strings.HasSuffix(s, TruncatedNote) && strings.HasPrefix(s, "line of text\n") &&
				!strings.Contains(strings.TrimSuffix(s, TruncatedNote), "line of tex\n")
		}},
		{"tiny limit cuts runes", "ééééé", 5, func(s string) bool { return s == "éé" }},
		{"open fence closed", "intro\n```\n" + long, 120, func(s string) bool {
			return strings.HasSuffix(s, "\n```"+TruncatedNote) && openFence(strings.TrimSuffix(s, TruncatedNote)) == ""
		}},
		{"long line cut at rune", strings.Repeat("é", 200), 60, func(s string) bool { return strings.HasSuffix(s, TruncatedNote) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Truncate(tt.in, tt.max)
			if tt.max > 0 && len(got) > tt.max {
				t.Errorf("len %d > %d: %q", len(got), tt.max, got)
			}
			if !utf8.ValidString(got) {
				t.Errorf("invalid UTF-8: %q", got)
			}
			if !tt.want(got) {
				t.Errorf("Truncate(%.30q, %d) = %q", tt.in, tt.max, got)
			}
		})
	}
}

func FuzzText(f *testing.F) {
	f.Add([]byte(doc(para(text("hi", `{"type":"strong"}`)), `{"type":"bulletList","content":[`+item(para(text("a")))+`]}`)))
	f.Add([]byte(doc(`{"type":"table","content":[{"type":"tableRow","content":[{"type":"tableCell","content":[` + para(text("c")) + `]}]}]}`)))
	f.Add([]byte(doc(`{"type":"codeBlock","attrs":{"language":"go"},"content":[` + text("x") + `]}`)))
	f.Add([]byte(`"*wiki* {code}x{code}"`))
	f.Add([]byte(`{"type":"doc","content":[{"type":"mention","attrs":{"text":5}}]}`))
	f.Add([]byte(`{"type":"text","text":"\xff"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		out := Text(b)
		if !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8: %q", out)
		}
		if cut := Truncate(out, 50); len(cut) > 50 || !utf8.ValidString(cut) {
			t.Fatalf("Truncate: %q", cut)
		}
	})
}
