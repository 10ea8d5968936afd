package jiramarkup

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
)

// node is an ADF node, read leniently: wrong types read as zero values.
type node struct {
	typ     string
	text    string
	attrs   map[string]any
	marks   []mark
	content []*node
}

type mark struct {
	typ   string
	attrs map[string]any
}

// maxDepth caps how deep a document is read; content below is dropped.
const maxDepth = 256

// parse reads a decoded JSON value as a node; nil for anything that is not
// an object.
func parse(v any, depth int) *node {
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	n := &node{}
	n.typ, _ = m["type"].(string)
	n.text, _ = m["text"].(string)
	n.attrs, _ = m["attrs"].(map[string]any)
	if marks, ok := m["marks"].([]any); ok {
		for _, mv := range marks {
			mm, ok := mv.(map[string]any)
			if !ok {
				continue
			}
			t, _ := mm["type"].(string)
			a, _ := mm["attrs"].(map[string]any)
			n.marks = append(n.marks, mark{t, a})
		}
	}
	if content, ok := m["content"].([]any); ok && depth < maxDepth {
		for _, cv := range content {
			if c := parse(cv, depth+1); c != nil {
				n.content = append(n.content, c)
			}
		}
	}
	return n
}

func (n *node) attr(name string) string {
	switch v := n.attrs[name].(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return ""
}

func (n *node) attrInt(name string, def int) int {
	switch v := n.attrs[name].(type) {
	case float64:
		if v >= 0 && v <= 1e9 && v == math.Trunc(v) {
			return int(v)
		}
	case string:
		if i, err := strconv.Atoi(v); err == nil && i >= 0 && i <= 1e9 {
			return i
		}
	}
	return def
}

// Text reads a Jira comment body (as JSON) back as markdown. An ADF
// document renders so:
//
//   - paragraphs are separated by a blank line; a hard break is a newline;
//   - headings are "#" to "######";
//   - bullet lists are "- ", ordered lists "1. " (from attrs.order), task
//     lists "- [ ] " and "- [x] ", nested by indentation;
//   - code blocks are fenced with their language; blockquotes are "> ";
//   - inline marks: code `x`, strong **x**, em *x*, strike ~~x~~, link
//     [x](href) (a link whose text is its address is the bare address);
//     underline, colours and sub/superscript are dropped;
//   - a mention is "@Display Name" (attrs.text without its leading "@"),
//     an emoji its attrs.text or else its shortName, an inline, block or
//     embed card its URL, a status lozenge "[TEXT]", a date YYYY-MM-DD;
//   - a table is a pipe table whose first row is the header, each cell on
//     one line;
//   - panels, expands (with the title in bold), layouts and bodied
//     extensions are their content; a rule is "---"; media are their URL
//     (external) or "[attachment]";
//   - any other node is its text content.
//
// A JSON string (a REST v2 or Data Center body) is wiki markup and is
// read by WikiText. Anything else that is not an ADF node (invalid JSON,
// null, a number) renders as "". Lists and quotes nested deeper than 16
// levels are flattened, and content nested deeper than 256 levels is
// dropped.
func Text(body json.RawMessage) string {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return ""
	}
	var v any
	if json.Unmarshal(body, &v) != nil {
		return ""
	}
	if s, ok := v.(string); ok {
		return WikiText(s)
	}
	root := parse(v, 0)
	if root == nil {
		return ""
	}
	r := adfReader{}
	var out string
	if isInline(root.typ) {
		out = r.inline([]*node{root})
	} else {
		out = r.block(root, 0)
	}
	return strings.ToValidUTF8(strings.Trim(out, "\n"), "\uFFFD")
}

type adfReader struct{}

// isInline reports whether nodes of type typ live inside paragraphs.
func isInline(typ string) bool {
	switch typ {
	case "text", "hardBreak", "mention", "emoji", "inlineCard", "status", "date",
		"mediaInline", "placeholder", "inlineExtension":
		return true
	}
	return false
}

// blocks renders children as blocks; runs of inline children (which
// belong in a paragraph) become one block.
func (r adfReader) blocks(children []*node, depth int) []string {
	var out []string
	var run []*node
	flush := func() {
		if len(run) > 0 {
			if s := r.inline(run); strings.TrimSpace(s) != "" {
				out = append(out, s)
			}
			run = nil
		}
	}
	for _, c := range children {
		if isInline(c.typ) {
			run = append(run, c)
			continue
		}
		flush()
		if s := r.block(c, depth); strings.TrimSpace(s) != "" {
			out = append(out, s)
		}
	}
	flush()
	return out
}

// block renders one block node; depth counts enclosing lists and quotes.
func (r adfReader) block(n *node, depth int) string {
	switch n.typ {
	case "doc", "panel", "layoutSection", "layoutColumn", "bodiedExtension", "extensionFrame",
		"multiBodiedExtension", "mediaGroup", "mediaSingle", "tableCell", "tableHeader", "listItem":
		return strings.Join(r.blocks(n.content, depth), "\n\n")
	case "paragraph":
		return r.inline(n.content)
	case "heading":
		return r.heading(n)
	case "bulletList", "orderedList", "taskList", "decisionList":
		return r.list(n, depth)
	case "codeBlock":
		return fencedCode(n.attr("language"), r.plain(n))
	case "blockquote":
		return r.quote(n, depth)
	case "rule":
		return "---"
	case "expand", "nestedExpand":
		return r.expand(n, depth)
	case "table":
		return r.table(n, depth)
	case "media":
		return media(n)
	case "blockCard", "embedCard":
		return cardURL(n)
	}
	if isInline(n.typ) {
		return r.inline([]*node{n})
	}
	return r.plain(n)
}

func (r adfReader) heading(n *node) string {
	level := min(max(n.attrInt("level", 1), 1), 6)
	text := r.inline(n.content)
	if strings.TrimSpace(text) == "" {
		return ""
	}
	return strings.Repeat("#", level) + " " + strings.ReplaceAll(text, "\n", " ")
}

// quote renders a blockquote, as text when it is nested too deep.
func (r adfReader) quote(n *node, depth int) string {
	if depth >= maxNest {
		return r.plain(n)
	}
	return quoteLines(strings.Join(r.blocks(n.content, depth+1), "\n\n"))
}

// expand renders an expand's content under its title in bold.
func (r adfReader) expand(n *node, depth int) string {
	parts := r.blocks(n.content, depth)
	if t := strings.TrimSpace(n.attr("title")); t != "" {
		parts = append([]string{"**" + t + "**"}, parts...)
	}
	return strings.Join(parts, "\n\n")
}

// media is an external media node's URL, or else names the attachment.
func media(n *node) string {
	if u := n.attr("url"); u != "" && n.attr("type") == "external" {
		return u
	}
	return attachment(n)
}

// attachment names a media node that is not shown by its URL.
func attachment(n *node) string {
	if alt := n.attr("alt"); alt != "" {
		return "[attachment: " + alt + "]"
	}
	return "[attachment]"
}

// list renders a bullet, ordered, task or decision list, as text when it
// is nested too deep.
func (r adfReader) list(n *node, depth int) string {
	if depth >= maxNest {
		return r.plain(n)
	}
	num := 1
	if n.typ == "orderedList" {
		num = n.attrInt("order", 1)
	}
	var items []string
	for _, it := range n.content {
		var body, marker string
		switch it.typ {
		case "listItem", "taskItem", "decisionItem":
			body = strings.Join(r.blocks(it.content, depth+1), "\n")
		default:
			// A list directly in a list (task lists nest so): indent it
			// under the previous item.
			if s := r.block(it, depth+1); strings.TrimSpace(s) != "" {
				items = append(items, indentLines(s, "  ", "  "))
			}
			continue
		}
		switch {
		case n.typ == "orderedList":
			marker = strconv.Itoa(num) + ". "
			num++
		case it.typ == "taskItem" && strings.EqualFold(it.attr("state"), "DONE"):
			marker = "- [x] "
		case it.typ == "taskItem":
			marker = "- [ ] "
		default:
			marker = "- "
		}
		items = append(items, indentLines(body, marker, strings.Repeat(" ", len(marker))))
	}
	return strings.Join(items, "\n")
}

// table renders a table; each cell's blocks are joined on one line.
func (r adfReader) table(n *node, depth int) string {
	var rows [][]string
	for _, row := range n.content {
		if row.typ != "tableRow" {
			continue
		}
		var cells []string
		for _, cell := range row.content {
			cells = append(cells, strings.Join(r.blocks(cell.content, depth), " "))
		}
		rows = append(rows, cells)
	}
	return tableText(rows)
}

// inline renders inline nodes; adjacent text nodes with the same marks are
// merged first, so "**ab**" is not written "**a****b**".
func (r adfReader) inline(nodes []*node) string {
	var b strings.Builder
	for i := 0; i < len(nodes); i++ {
		n := nodes[i]
		if n.typ != "text" {
			b.WriteString(r.leaf(n))
			continue
		}
		text := n.text
		for i+1 < len(nodes) && nodes[i+1].typ == "text" && sameMarks(n.marks, nodes[i+1].marks) {
			i++
			text += nodes[i].text
		}
		b.WriteString(applyMarks(text, n.marks))
	}
	return b.String()
}

// leaf renders an inline node other than text, without marks.
func (r adfReader) leaf(n *node) string {
	switch n.typ {
	case "text":
		return n.text
	case "hardBreak":
		return "\n"
	case "mention":
		return mention(n)
	case "emoji":
		if t := n.attr("text"); t != "" {
			return t
		}
		return n.attr("shortName")
	case "inlineCard":
		return cardURL(n)
	case "status":
		if t := strings.TrimSpace(n.attr("text")); t != "" {
			return "[" + t + "]"
		}
		return ""
	case "date":
		return date(n)
	case "mediaInline":
		return attachment(n)
	case "placeholder":
		return ""
	}
	if !isInline(n.typ) {
		return strings.ReplaceAll(r.plain(n), "\n", " ")
	}
	return r.plain(n)
}

// mention is "@" and the mentioned person's name (attrs.text, which may
// start with "@"), else their id; "" when it has neither.
func mention(n *node) string {
	name := strings.TrimPrefix(strings.TrimSpace(n.attr("text")), "@")
	if name == "" {
		name = n.attr("id")
	}
	if name == "" {
		return ""
	}
	return "@" + name
}

// date is a date node's day, YYYY-MM-DD in UTC, from its timestamp in
// milliseconds (as written when it is not a number).
func date(n *node) string {
	ts := n.attr("timestamp")
	if ms, err := strconv.ParseInt(ts, 10, 64); err == nil {
		return time.UnixMilli(ms).UTC().Format("2006-01-02")
	}
	return ts
}

// cardURL is a smart card's address: attrs.url, else the url of its
// JSON-LD attrs.data.
func cardURL(n *node) string {
	if u := n.attr("url"); u != "" {
		return u
	}
	if d, ok := n.attrs["data"].(map[string]any); ok {
		if u, ok := d["url"].(string); ok {
			return u
		}
	}
	return ""
}

// plain is the text content of a node: text and inline leaves, a line per
// block.
func (r adfReader) plain(n *node) string {
	var b strings.Builder
	var walk func(n *node)
	walk = func(n *node) {
		if isInline(n.typ) && n.typ != "inlineExtension" {
			b.WriteString(r.leaf(n))
			return
		}
		for _, c := range n.content {
			walk(c)
		}
		if !isInline(n.typ) && b.Len() > 0 && !strings.HasSuffix(b.String(), "\n") {
			b.WriteString("\n")
		}
	}
	walk(n)
	return strings.Trim(b.String(), "\n")
}

func sameMarks(a, b []mark) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].typ != b[i].typ || markHref(a[i]) != markHref(b[i]) {
			return false
		}
	}
	return true
}

func markHref(m mark) string {
	s, _ := m.attrs["href"].(string)
	return s
}

// applyMarks renders text with its marks: code innermost (it excludes
// the other formatting), then strike, em and strong, and a link outermost.
func applyMarks(text string, marks []mark) string {
	if text == "" {
		return ""
	}
	var code, strong, em, strike bool
	href, linked := "", false
	for _, m := range marks {
		switch m.typ {
		case "code":
			code = true
		case "strong":
			strong = true
		case "em":
			em = true
		case "strike":
			strike = true
		case "link":
			href, linked = markHref(m), true
		}
	}
	out := text
	if code {
		core := strings.TrimSpace(text)
		if core != "" {
			i := strings.Index(text, core)
			out = text[:i] + codeSpan(core) + text[i+len(core):]
		}
	} else {
		if strike {
			out = wrapEmphasis(out, "~~")
		}
		if em {
			out = wrapEmphasis(out, "*")
		}
		if strong {
			out = wrapEmphasis(out, "**")
		}
	}
	if linked {
		out = linkTo(out, href)
	}
	return out
}
