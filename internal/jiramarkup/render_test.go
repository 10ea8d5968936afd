package jiramarkup

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/fixproof/fixproof/internal/contract"
	"github.com/fixproof/fixproof/internal/sim/jirasim"
)

func sample(title string) Doc {
	return Doc{Blocks: []Block{
		P(Plain("Pull request "), Link("acme/api#7", "https://github.com/acme/api/pull/7"), Plain(": "), Plain(title)),
		Table{Header: []string{"Key", "Result"}, Rows: [][]Paragraph{{P(Code("OPS-1")), P(Strong("moved"))}}},
	}}
}

func TestADFIsAValidDocument(t *testing.T) {
	raw := sample("Fix login").MarshalADF()
	var doc struct {
		Type    string `json:"type"`
		Version int    `json:"version"`
		Content []struct {
			Type    string            `json:"type"`
			Content []json.RawMessage `json:"content"`
		} `json:"content"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Type != "doc" || doc.Version != 1 || len(doc.Content) != 2 || doc.Content[0].Type != "paragraph" || doc.Content[1].Type != "table" {
		t.Fatalf("unexpected ADF: %s", raw)
	}
	if !strings.Contains(string(raw), `{"attrs":{"href":"https://github.com/acme/api/pull/7"},"type":"link"}`) {
		t.Errorf("link mark missing: %s", raw)
	}
	if !strings.Contains(string(raw), `"text":"Pull request "`) {
		t.Errorf("spacing between inline nodes lost: %s", raw)
	}
}

// Attacker-controlled text, as it might appear in a PR title or an alert.
var hostile = []string{
	"[~accountid:5b10a2844c20165700ede21g] please look",
	"[~admin]",
	"{code}evil{code}",
	"*bold* _italic_ -strike- +under+",
	"line one\nh1. Heading\n* list\n# numbered\nbq. quote",
	"[click|javascript:alert(1)]",
	"!https://evil.example/track.png!",
	"{panel:bgColor=red}x{panel}",
	"||fake||table||",
	`back\slash \[~admin]`,
}

func TestWikiTextCannotInjectMarkup(t *testing.T) {
	for _, h := range hostile {
		got := Doc{Blocks: []Block{P(Plain("Title: "), Plain(h))}}.RenderWiki()
		if strings.Contains(got, "\n") {
			t.Errorf("%q: line break survived: %q", h, got)
		}
		// Every special character must be preceded by a backslash that is not itself escaped.
		body := strings.TrimPrefix(got, "Title: ")
		for i := 0; i < len(body); i++ {
			c := body[i]
			if c == '\\' {
				i++ // the escaped character
				continue
			}
			if strings.IndexByte(wikiSpecial, c) >= 0 {
				t.Errorf("%q: unescaped %q at %d in %q", h, c, i, body)
				break
			}
		}
	}
}

func TestADFTextCannotInjectNodes(t *testing.T) {
	for _, h := range hostile {
		raw := Doc{Blocks: []Block{P(Plain(h))}}.MarshalADF()
		var doc struct {
			Content []struct {
				Content []map[string]any `json:"content"`
			} `json:"content"`
		}
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatal(err)
		}
		nodes := doc.Content[0].Content
		if len(nodes) != 1 || nodes[0]["type"] != "text" || nodes[0]["marks"] != nil {
			t.Errorf("%q became %v, want one plain text node", h, nodes)
		}
	}
}

func TestUnsafeLinksKeepTheirTextOnly(t *testing.T) {
	for _, href := range []string{"javascript:alert(1)", "/relative", "data:text/html,x", "mailto:a@b.c", "https://"} {
		d := Doc{Blocks: []Block{P(Link("click", href))}}
		if w := d.RenderWiki(); w != "click" {
			t.Errorf("wiki for %q = %q, want plain text", href, w)
		}
		if a := string(d.MarshalADF()); strings.Contains(a, "link") {
			t.Errorf("ADF for %q kept the link: %s", href, a)
		}
	}
}

func TestWikiRendersLinksTablesAndStyles(t *testing.T) {
	got := sample("Fix [login]").RenderWiki()
	want := "Pull request [acme/api\\#7|https://github.com/acme/api/pull/7]: Fix \\[login\\]\n\n||Key||Result||\n|{{OPS\\-1}}|*moved*|"
	if got != want {
		t.Errorf("RenderWiki()\n got %q\nwant %q", got, want)
	}
}

func TestLinkURLCannotBreakOutOfWikiLink(t *testing.T) {
	got := Doc{Blocks: []Block{P(Link("x", "https://example.com/a|b]c"))}}.RenderWiki()
	if got != "[x|https://example.com/a%7Cb%5Dc]" {
		t.Errorf("got %q", got)
	}
}

func TestPlainText(t *testing.T) {
	got := sample("Fix login").PlainText()
	want := "Pull request acme/api#7: Fix login\nKey | Result\nOPS-1 | moved"
	if got != want {
		t.Errorf("PlainText()\n got %q\nwant %q", got, want)
	}
}

func TestListsCodeAndExpandRenderInBothFormats(t *testing.T) {
	d := Doc{Blocks: []Block{
		Heading("Steps before the error"),
		List{Ordered: true, Items: []Paragraph{P(Plain("GET /cart")), P(Plain("click #pay [~admin]"))}},
		CodeBlock("curl 'https://x/{noformat}' -H 'X: 1'"),
		Expand{Title: "12 more frames", Blocks: []Block{P(Code("a.go:1 f"))}},
	}}
	wiki := d.RenderWiki()
	want := "h3. Steps before the error\n\n# GET /cart\n# click \\#pay \\[\\~admin\\]\n\n{noformat}\ncurl 'https://x/{ noformat}' -H 'X: 1'\n{noformat}\n\nh3. 12 more frames\n\n{{a.go:1 f}}"
	if wiki != want {
		t.Errorf("RenderWiki()\n got %q\nwant %q", wiki, want)
	}
	raw := string(d.MarshalADF())
	for _, part := range []string{`"type":"orderedList"`, `"type":"listItem"`, `"type":"codeBlock"`, `"type":"expand"`, `"title":"12 more frames"`, `"type":"heading"`} {
		if !strings.Contains(raw, part) {
			t.Errorf("ADF lacks %s: %s", part, raw)
		}
	}
	if strings.Contains(raw, `"text":""`) {
		t.Errorf("ADF has an empty text node: %s", raw)
	}
}

// randomDoc builds a document of every kind of block, nested expands
// included, from r: texts empty, blank, hostile or plain, every inline
// style combination, links safe and not.
func randomDoc(r *rand.Rand, depth int) Doc {
	texts := []string{"", " ", "plain", "line\nbreak", "[~admin] {code}x{code}", "\u202e\x00 é😀"}
	text := func() string { return texts[r.IntN(len(texts))] }
	hrefs := []string{"", "https://example.com/a", "javascript:alert(1)", "/relative"}
	para := func() Paragraph {
		var p Paragraph
		for n := r.IntN(4); n > 0; n-- {
			p = append(p, Inline{Text: text(), Href: hrefs[r.IntN(len(hrefs))], Strong: r.IntN(2) == 0, Code: r.IntN(2) == 0})
		}
		return p
	}
	var d Doc
	for n := r.IntN(5); n > 0; n-- {
		switch r.IntN(6) {
		case 0:
			d.Blocks = append(d.Blocks, para())
		case 1:
			d.Blocks = append(d.Blocks, Heading(text()))
		case 2:
			l := List{Ordered: r.IntN(2) == 0}
			for m := r.IntN(3); m > 0; m-- {
				l.Items = append(l.Items, para())
			}
			d.Blocks = append(d.Blocks, l)
		case 3:
			d.Blocks = append(d.Blocks, CodeBlock(text()))
		case 4:
			t := Table{}
			for m := r.IntN(3); m > 0; m-- {
				t.Header = append(t.Header, text())
			}
			for m := r.IntN(3); m > 0; m-- {
				t.Rows = append(t.Rows, []Paragraph{para(), para()})
			}
			d.Blocks = append(d.Blocks, t)
		case 5:
			e := Expand{Title: text()}
			if depth < 3 {
				e.Blocks = randomDoc(r, depth+1).Blocks
			}
			d.Blocks = append(d.Blocks, e)
		}
	}
	return d
}

// TestADFIsValidWhateverTheDocumentHolds: Jira Cloud refuses a document
// its ADF schema does not accept (an empty expand, an expand in an
// expand, bold code), so every document must render to valid ADF. The
// simulator's check always runs; Atlassian's schema when present.
func TestADFIsValidWhateverTheDocumentHolds(t *testing.T) {
	var schema func(json.RawMessage) error
	if _, ok := contract.Dir(); ok {
		schema = contract.ADF(t)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 300; i++ {
		raw := randomDoc(r, 0).MarshalADF()
		if err := jirasim.ValidateADF(raw); err != nil {
			t.Fatalf("document %d: %v\n%s", i, err, raw)
		}
		if schema != nil {
			if err := schema(raw); err != nil {
				t.Fatalf("document %d: %v\n%s", i, err, raw)
			}
		}
	}
}

func TestExpandsNestAsADFAllows(t *testing.T) {
	d := Doc{Blocks: []Block{
		Expand{Title: "empty"},
		Expand{Title: "outer", Blocks: []Block{
			Expand{Title: "list inside", Blocks: []Block{List{Items: []Paragraph{P(Plain("a"))}}}},
			Expand{Title: "table inside", Blocks: []Block{Table{Header: []string{"h"}}}},
		}},
	}}
	raw := string(d.MarshalADF())
	for _, part := range []string{
		`{"attrs":{"title":"empty"},"content":[{"content":[],"type":"paragraph"}],"type":"expand"}`,
		`{"attrs":{"title":"list inside"},"content":[{"content":[{"content":[{"content":[{"text":"a","type":"text"}],"type":"paragraph"}],"type":"listItem"}],"type":"bulletList"}],"type":"nestedExpand"}`,
		`{"attrs":{"level":3},"content":[{"text":"table inside","type":"text"}],"type":"heading"},{"content":[{"content":[`,
	} {
		if !strings.Contains(raw, part) {
			t.Errorf("ADF lacks %s:\n%s", part, raw)
		}
	}
	if strings.Count(raw, `"type":"expand"`) != 2 {
		t.Errorf("an expand inside an expand:\n%s", raw)
	}
	if got := string(Doc{Blocks: []Block{P(Inline{Text: "x", Strong: true, Code: true})}}.MarshalADF()); strings.Contains(got, "strong") {
		t.Errorf("code text also strong: %s", got)
	}
}
