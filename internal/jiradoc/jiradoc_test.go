package jiradoc

import (
	"encoding/json"
	"strings"
	"testing"
)

func sample(title string) Doc {
	return Doc{Blocks: []Block{
		P(Text("Pull request "), Link("acme/api#7", "https://github.com/acme/api/pull/7"), Text(": "), Text(title)),
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
		got := Doc{Blocks: []Block{P(Text("Title: "), Text(h))}}.Wiki()
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
		raw := Doc{Blocks: []Block{P(Text(h))}}.MarshalADF()
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
		if w := d.Wiki(); w != "click" {
			t.Errorf("wiki for %q = %q, want plain text", href, w)
		}
		if a := string(d.MarshalADF()); strings.Contains(a, "link") {
			t.Errorf("ADF for %q kept the link: %s", href, a)
		}
	}
}

func TestWikiRendersLinksTablesAndStyles(t *testing.T) {
	got := sample("Fix [login]").Wiki()
	want := "Pull request [acme/api\\#7|https://github.com/acme/api/pull/7]: Fix \\[login\\]\n\n||Key||Result||\n|{{OPS\\-1}}|*moved*|"
	if got != want {
		t.Errorf("Wiki()\n got %q\nwant %q", got, want)
	}
}

func TestLinkURLCannotBreakOutOfWikiLink(t *testing.T) {
	got := Doc{Blocks: []Block{P(Link("x", "https://example.com/a|b]c"))}}.Wiki()
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
		List{Ordered: true, Items: []Paragraph{P(Text("GET /cart")), P(Text("click #pay [~admin]"))}},
		CodeBlock("curl 'https://x/{noformat}' -H 'X: 1'"),
		Expand{Title: "12 more frames", Blocks: []Block{P(Code("a.go:1 f"))}},
	}}
	wiki := d.Wiki()
	want := "h3. Steps before the error\n\n# GET /cart\n# click \\#pay \\[\\~admin\\]\n\n{noformat}\ncurl 'https://x/{ noformat}' -H 'X: 1'\n{noformat}\n\nh3. 12 more frames\n\n{{a.go:1 f}}"
	if wiki != want {
		t.Errorf("Wiki()\n got %q\nwant %q", wiki, want)
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
