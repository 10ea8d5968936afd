package ticket

import (
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/fixproof/fixproof/internal/alert"
	"github.com/fixproof/fixproof/internal/jiramarkup"
)

// TextFromHTML turns an HTML description or reply (Guance stores them so)
// into plain text, as HTML's tokenizer reads it: the text of the elements
// with entities decoded, a line break for <br> and <hr> and where a block
// (paragraph, div, heading, list, list item, quote, pre, table, table row)
// starts or ends, and a space after a table cell. Comments, and the
// content of script and style elements, are not text. Line breaks in the
// text itself are kept (a plain-text description stays as written); runs
// of spaces and tabs become one space, and lines are trimmed, empty ones
// dropped. The result only ever becomes text nodes, so no markup survives.
func TextFromHTML(s string) string {
	var b strings.Builder
	z := html.NewTokenizer(strings.NewReader(s))
	var hidden atom.Atom // the script or style element being skipped
	for {
		tt := z.Next()
		if tt == html.ErrorToken { // io.EOF: the input is a string
			return textLines(b.String())
		}
		name, _ := z.TagName()
		a := atom.Lookup(name)
		switch {
		case hidden != 0:
			if tt == html.EndTagToken && a == hidden {
				hidden = 0
			}
		case tt == html.TextToken:
			b.Write(z.Text())
		case tt == html.StartTagToken || tt == html.SelfClosingTagToken:
			// <script/> opens a script all the same: HTML ignores the
			// slash on elements that are not void.
			if a == atom.Script || a == atom.Style {
				hidden = a
			}
			b.WriteString(htmlBreak(a, false))
		case tt == html.EndTagToken:
			b.WriteString(htmlBreak(a, true))
		}
	}
}

// htmlBreak is what a start or end tag of element a adds to the text: a
// line break, a space between table cells, or nothing.
func htmlBreak(a atom.Atom, end bool) string {
	switch a {
	case atom.Br, atom.Hr, // </br> is a <br> to HTML too
		atom.P, atom.Div, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Ul, atom.Ol, atom.Li,
		atom.Blockquote, atom.Pre, atom.Table, atom.Tr:
		return "\n"
	case atom.Td, atom.Th:
		if end {
			return " "
		}
	}
	return ""
}

// textLines trims every line of s, makes each run of spaces and tabs in
// it one space, and drops the empty lines.
func textLines(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		blank := func(r rune) bool { return r == ' ' || r == '\t' }
		if l = strings.TrimSpace(strings.Join(strings.FieldsFunc(l, blank), " ")); l != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// guanceDescription is a Guance issue's text: its description (read from
// HTML by TextFromHTML when it was polled) and its details.
func guanceDescription(a *alert.Alert) jiramarkup.Doc {
	var d jiramarkup.Doc
	add := func(b ...jiramarkup.Block) { d.Blocks = append(d.Blocks, b...) }
	add(jiramarkup.P(jiramarkup.Strong(a.Title)))
	for _, para := range strings.Split(a.Annotations["description"], "\n") {
		if para != "" {
			add(jiramarkup.P(jiramarkup.Plain(para)))
		}
	}
	add(detailsTable([][2]string{{"Guance status", a.Annotations["status"]}, {"Level", a.Level},
		{"Channels", a.Tag("channels")}, {"Created", stamp(a.FirstSeen)}, {"Updated", stamp(a.LastSeen)},
		{"Guance issue", a.IssueID}}))
	return d
}
