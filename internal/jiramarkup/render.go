// Writing to Jira (Doc, RenderADF, RenderWiki): one small document model
// rendered as an Atlassian Document Format tree for Jira Cloud or as wiki
// markup for Jira Data Center. Text from pull requests, alerts and comments
// is attacker-controlled, so it only ever becomes a plain text node (ADF)
// or escaped text (wiki): it cannot add mentions, macros, links or
// formatting.

package jiramarkup

import (
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
)

// Doc is a document: a list of blocks.
type Doc struct {
	Blocks []Block
}

// Block is a paragraph, heading, table, list, code block or expand.
type Block interface{ block() }

// Paragraph is a run of inline content.
type Paragraph []Inline

// Table is a table with a header row.
type Table struct {
	Header []string
	Rows   [][]Paragraph
}

// Heading is a small heading (level 3).
type Heading string

// List is a bullet or numbered list of paragraphs.
type List struct {
	Ordered bool
	Items   []Paragraph
}

// CodeBlock is preformatted text, shown as is.
type CodeBlock string

// Expand is a section collapsed under a title (Cloud); Data Center has no
// such element, so there the title is a heading and the blocks follow.
type Expand struct {
	Title  string
	Blocks []Block
}

func (Paragraph) block() {}
func (Table) block()     {}
func (Heading) block()   {}
func (List) block()      {}
func (CodeBlock) block() {}
func (Expand) block()    {}

// Inline is a piece of text, possibly a link, possibly styled.
type Inline struct {
	Text   string
	Href   string // a link when set; only http and https are kept
	Strong bool
	Code   bool // in ADF, code text cannot also be strong: Code wins
}

// Plain is plain text.
func Plain(s string) Inline { return Inline{Text: s} }

// Strong is bold text.
func Strong(s string) Inline { return Inline{Text: s, Strong: true} }

// Code is monospaced text.
func Code(s string) Inline { return Inline{Text: s, Code: true} }

// Link is text linking to href.
func Link(text, href string) Inline { return Inline{Text: text, Href: href} }

// P makes a paragraph.
func P(in ...Inline) Paragraph { return Paragraph(in) }

// safeHref keeps only absolute http(s) URLs: a javascript: or relative
// link from untrusted input is dropped and its text kept.
func safeHref(h string) string {
	u, err := url.Parse(h)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return u.String()
}

var space = regexp.MustCompile(`\s+`)

// oneLine folds line breaks and runs of white space into one space: inline
// text never starts a new block, so it can never begin a wiki heading, list
// or quote.
func oneLine(s string) string {
	return space.ReplaceAllString(s, " ")
}

// RenderADF renders the document as an Atlassian Document Format tree, valid
// under Atlassian's ADF schema whatever the document holds (Jira Cloud
// refuses an invalid one, 400 INVALID_INPUT).
func (d Doc) RenderADF() map[string]any {
	return map[string]any{"type": "doc", "version": 1, "content": adfBlocks(d.Blocks, false)}
}

// adfBlocks renders blocks; inExpand says they are an expand's content,
// where ADF allows no second expand: there an Expand becomes a
// nestedExpand, or, when it holds what a nestedExpand cannot (a table,
// another expand), its title as a heading followed by its blocks.
func adfBlocks(blocks []Block, inExpand bool) []any {
	content := make([]any, 0, len(blocks))
	for _, b := range blocks {
		switch b := b.(type) {
		case Paragraph:
			content = append(content, adfParagraph(b))
		case Table:
			content = append(content, adfTable(b))
		case Heading:
			content = append(content, map[string]any{"type": "heading", "attrs": map[string]any{"level": 3},
				"content": []any{map[string]any{"type": "text", "text": nonEmpty(oneLine(string(b)))}}})
		case List:
			kind := "bulletList"
			if b.Ordered {
				kind = "orderedList"
			}
			items := make([]any, 0, len(b.Items))
			for _, it := range b.Items {
				items = append(items, map[string]any{"type": "listItem", "content": []any{adfParagraph(it)}})
			}
			if len(items) > 0 {
				content = append(content, map[string]any{"type": kind, "content": items})
			}
		case CodeBlock:
			node := map[string]any{"type": "codeBlock"}
			if b != "" {
				node["content"] = []any{map[string]any{"type": "text", "text": string(b)}}
			}
			content = append(content, node)
		case Expand:
			switch {
			case !inExpand:
				content = append(content, map[string]any{"type": "expand", "attrs": map[string]any{"title": oneLine(b.Title)},
					"content": notEmpty(adfBlocks(b.Blocks, true))})
			case nestable(b.Blocks):
				content = append(content, map[string]any{"type": "nestedExpand", "attrs": map[string]any{"title": oneLine(b.Title)},
					"content": notEmpty(adfBlocks(b.Blocks, true))})
			default:
				content = append(content, adfBlocks(append([]Block{Heading(b.Title)}, b.Blocks...), true)...)
			}
		}
	}
	return content
}

// nestable reports whether blocks fit in a nestedExpand, which takes no
// table and no expand.
func nestable(blocks []Block) bool {
	for _, b := range blocks {
		switch b.(type) {
		case Table, Expand:
			return false
		}
	}
	return true
}

// notEmpty keeps an expand valid: ADF wants at least one block in it.
func notEmpty(blocks []any) []any {
	if len(blocks) == 0 {
		return []any{map[string]any{"type": "paragraph", "content": []any{}}}
	}
	return blocks
}

// nonEmpty keeps ADF valid: a text node may not be empty.
func nonEmpty(s string) string {
	if s == "" {
		return " "
	}
	return s
}

// MarshalADF is RenderADF as JSON.
func (d Doc) MarshalADF() json.RawMessage {
	b, _ := json.Marshal(d.RenderADF()) // maps of strings cannot fail to marshal
	return b
}

func adfParagraph(p Paragraph) map[string]any {
	nodes := make([]any, 0, len(p))
	for _, in := range p {
		text := oneLine(in.Text)
		if text == "" {
			continue
		}
		node := map[string]any{"type": "text", "text": text}
		var marks []any
		// ADF's code mark combines with a link only: code text is not
		// also strong.
		if in.Strong && !in.Code {
			marks = append(marks, map[string]any{"type": "strong"})
		}
		if in.Code {
			marks = append(marks, map[string]any{"type": "code"})
		}
		if h := safeHref(in.Href); h != "" {
			marks = append(marks, map[string]any{"type": "link", "attrs": map[string]any{"href": h}})
		}
		if marks != nil {
			node["marks"] = marks
		}
		nodes = append(nodes, node)
	}
	return map[string]any{"type": "paragraph", "content": nodes}
}

func adfTable(t Table) map[string]any {
	rows := make([]any, 0, len(t.Rows)+1)
	header := make([]any, 0, len(t.Header))
	for _, h := range t.Header {
		header = append(header, map[string]any{"type": "tableHeader", "content": []any{adfParagraph(P(Strong(h)))}})
	}
	rows = append(rows, map[string]any{"type": "tableRow", "content": header})
	for _, r := range t.Rows {
		cells := make([]any, 0, len(r))
		for _, c := range r {
			cells = append(cells, map[string]any{"type": "tableCell", "content": []any{adfParagraph(c)}})
		}
		rows = append(rows, map[string]any{"type": "tableRow", "content": cells})
	}
	return map[string]any{"type": "table", "content": rows}
}

// RenderWiki renders the document as Jira wiki markup.
func (d Doc) RenderWiki() string {
	var b strings.Builder
	wikiBlocks(&b, d.Blocks)
	return b.String()
}

func wikiBlocks(b *strings.Builder, blocks []Block) {
	for i, blk := range blocks {
		if i > 0 {
			b.WriteString("\n\n")
		}
		switch blk := blk.(type) {
		case Paragraph:
			b.WriteString(wikiParagraph(blk))
		case Heading:
			b.WriteString("h3. " + EscapeWiki(oneLine(string(blk))))
		case List:
			wikiList(b, blk)
		case CodeBlock:
			// Inside {noformat} nothing is markup, except the closing tag:
			// break any copy of it in the text.
			b.WriteString("{noformat}\n" + strings.ReplaceAll(string(blk), "{noformat}", "{ noformat}") + "\n{noformat}")
		case Expand:
			b.WriteString("h3. " + EscapeWiki(oneLine(blk.Title)) + "\n\n")
			wikiBlocks(b, blk.Blocks)
		case Table:
			wikiTable(b, blk)
		}
	}
}

func wikiList(b *strings.Builder, l List) {
	mark := "* "
	if l.Ordered {
		mark = "# "
	}
	for j, it := range l.Items {
		if j > 0 {
			b.WriteString("\n")
		}
		b.WriteString(mark + wikiParagraph(it))
	}
}

func wikiTable(b *strings.Builder, t Table) {
	b.WriteString("||")
	for _, h := range t.Header {
		b.WriteString(EscapeWiki(h))
		b.WriteString("||")
	}
	for _, r := range t.Rows {
		b.WriteString("\n|")
		for _, c := range r {
			cell := wikiParagraph(c)
			if cell == "" {
				cell = " "
			}
			b.WriteString(cell)
			b.WriteString("|")
		}
	}
}

func wikiParagraph(p Paragraph) string {
	var b strings.Builder
	for _, in := range p {
		text := EscapeWiki(oneLine(in.Text))
		if text == "" {
			continue
		}
		if in.Code {
			// {{...}} keeps escapes working inside, unlike {noformat}.
			text = "{{" + text + "}}"
		}
		if in.Strong {
			text = "*" + text + "*"
		}
		if h := safeHref(in.Href); h != "" {
			text = "[" + text + "|" + escapeWikiURL(h) + "]"
		}
		b.WriteString(text)
	}
	return b.String()
}

// wikiSpecial are the characters that start or end wiki markup: text
// effects (*_-+^~?), macros ({}), links and mentions ([]), tables and link
// separators (|), images (!), lists and numbered items (#), and the escape
// itself.
const wikiSpecial = `\*_-+^~?{}[]|!#`

// EscapeWiki makes untrusted text inert in Jira wiki markup: every special
// character is backslash-escaped, so "[~admin]" cannot mention anyone,
// "{code}" cannot open a macro and "*x*" is not bold.
func EscapeWiki(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if strings.ContainsRune(wikiSpecial, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// escapeWikiURL protects the characters that would end a wiki link early.
func escapeWikiURL(u string) string {
	return strings.NewReplacer("|", "%7C", "]", "%5D", "[", "%5B", " ", "%20").Replace(u)
}

// PlainText is the document's text with no markup, for logs and for
// comparing a rendered document with what Jira stored.
func (d Doc) PlainText() string {
	var b strings.Builder
	plainBlocks(&b, d.Blocks)
	return b.String()
}

func plainBlocks(b *strings.Builder, blocks []Block) {
	for i, blk := range blocks {
		if i > 0 {
			b.WriteString("\n")
		}
		switch blk := blk.(type) {
		case Paragraph:
			plainParagraph(b, blk)
		case Heading:
			b.WriteString(oneLine(string(blk)))
		case List:
			for j, it := range blk.Items {
				if j > 0 {
					b.WriteString("\n")
				}
				plainParagraph(b, it)
			}
		case CodeBlock:
			b.WriteString(string(blk))
		case Expand:
			b.WriteString(oneLine(blk.Title) + "\n")
			plainBlocks(b, blk.Blocks)
		case Table:
			plainTable(b, blk)
		}
	}
}

func plainParagraph(b *strings.Builder, p Paragraph) {
	for _, in := range p {
		b.WriteString(oneLine(in.Text))
	}
}

func plainTable(b *strings.Builder, t Table) {
	b.WriteString(strings.Join(t.Header, " | "))
	for _, r := range t.Rows {
		b.WriteString("\n")
		for j, c := range r {
			if j > 0 {
				b.WriteString(" | ")
			}
			plainParagraph(b, c)
		}
	}
}
