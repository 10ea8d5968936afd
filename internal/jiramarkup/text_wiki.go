package jiramarkup

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// WikiText reads Jira wiki markup (Data Center comments, Cloud REST v2
// bodies) back as markdown:
//
//   - *bold* is **bold**, _italic_ *italic*, -strike- ~~strike~~,
//     {{mono}} `mono`; +underline+ loses its markers;
//   - [text|url] is [text](url), [url] the bare URL, [~user] and
//     [~accountid:id] mentions "@user" and "@accountid:id" ([Name|~user]
//     "@Name"), [text|^file] and [^file] the file name;
//   - h1. to h6. are "#" to "######"; bq. and {quote}...{quote} are "> ";
//   - lists of "*", "#" and "-" (nested as "**", "*#", ...) are "- " and
//     "1. ", indented; ---- is "---";
//   - {code[:lang]}...{code} and {noformat}...{noformat} are fenced code,
//     their content verbatim;
//   - ||head||head|| and |cell|cell| rows are a pipe table;
//   - {color:...} and {panel...} markers are dropped (the content kept, a
//     panel's title in bold); !image.png! is "[image: image.png]"; a
//     forced line break \\ is a newline.
//
// Anything else is left as written. Invalid UTF-8 is replaced.
func WikiText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	w := &wikiWriter{}
	for _, line := range strings.Split(s, "\n") {
		w.line(line)
	}
	w.finish()
	return strings.Trim(strings.Join(w.out, "\n"), "\n")
}

// wikiWriter converts wiki markup a line at a time.
type wikiWriter struct {
	out []string
	// code is the closing macro ("{code}" or "{noformat}") while inside a
	// code block, and fenceAt the index in out of its opening fence.
	code    string
	fenceAt int
	codeBuf []string
	quote   bool
	// list is the markers of the open list levels ("*" or "#") with their
	// widths and counters.
	list  []listLevel
	table bool // the previous line was a table row
}

type listLevel struct {
	ordered bool
	num     int
	indent  int // columns of the content of this level
}

var (
	headingRE  = regexp.MustCompile(`^h([1-6])\.\s*(.*)$`)
	bqRE       = regexp.MustCompile(`^bq\.\s*(.*)$`)
	listRE     = regexp.MustCompile(`^([*#]+|-)\s+(.*)$`)
	ruleRE     = regexp.MustCompile(`^-{4,}\s*$`)
	codeOpenRE = regexp.MustCompile(`\{(code|noformat)((?::[^}]*)?)\}`)
	panelRE    = regexp.MustCompile(`\{panel(?::([^}]*))?\}`)
	colorRE    = regexp.MustCompile(`\{color(?::[^}]*)?\}`)
)

// emit adds an output line, in a quote when one is open.
func (w *wikiWriter) emit(s string) {
	if w.quote {
		if s == "" {
			s = ">"
		} else {
			s = "> " + s
		}
	}
	w.out = append(w.out, s)
}

func (w *wikiWriter) finish() {
	if w.code != "" {
		w.closeCode()
	}
}

// closeCode writes the code block gathered so far.
func (w *wikiWriter) closeCode() {
	text := strings.Join(w.codeBuf, "\n")
	lang := w.out[w.fenceAt]
	w.out = w.out[:w.fenceAt]
	for _, l := range strings.Split(fencedCode(lang, strings.Trim(text, "\n")), "\n") {
		w.emit(l)
	}
	w.code, w.codeBuf = "", nil
}

// line converts one input line, which may open or close code blocks,
// quotes and panels anywhere in it.
func (w *wikiWriter) line(line string) {
	for {
		if w.code != "" {
			rest, more := w.codeLine(line)
			if !more {
				return
			}
			line = rest
			continue
		}
		m, ok := firstMacro(line)
		if !ok {
			w.text(line)
			return
		}
		if before := line[:m.at]; strings.TrimSpace(before) != "" {
			w.text(before)
		}
		w.macro(m)
		rest := line[m.end:]
		if strings.TrimSpace(rest) == "" {
			return
		}
		if w.code == "" {
			rest = strings.TrimLeft(rest, " \t")
		}
		line = rest
	}
}

// codeLine takes a line inside a code block: up to the closing macro it
// is code. What follows the macro is returned as rest, to be read as
// markup; more is false when there is nothing after it.
func (w *wikiWriter) codeLine(line string) (rest string, more bool) {
	i := strings.Index(line, "{"+w.code+"}")
	if i < 0 {
		w.codeBuf = append(w.codeBuf, line)
		return "", false
	}
	if before := line[:i]; strings.TrimSpace(before) != "" || len(w.codeBuf) > 0 {
		w.codeBuf = append(w.codeBuf, before)
	}
	rest = line[i+len(w.code)+2:]
	w.closeCode()
	return rest, strings.TrimSpace(rest) != ""
}

// blockMacro is a block macro found in a line: {code...}, {noformat},
// {quote} or {panel...}, at line[at:end], with its parameters.
type blockMacro struct {
	at, end int
	kind    string // "code", "noformat", "quote" or "panel"
	arg     string
}

// firstMacro finds the block macro that comes first in line.
func firstMacro(line string) (blockMacro, bool) {
	var found []blockMacro
	if m := codeOpenRE.FindStringSubmatchIndex(line); m != nil {
		found = append(found, blockMacro{m[0], m[1], line[m[2]:m[3]], line[m[4]:m[5]]})
	}
	if i := strings.Index(line, "{quote}"); i >= 0 {
		found = append(found, blockMacro{i, i + len("{quote}"), "quote", ""})
	}
	if m := panelRE.FindStringSubmatchIndex(line); m != nil {
		arg := ""
		if m[2] >= 0 {
			arg = line[m[2]:m[3]]
		}
		found = append(found, blockMacro{m[0], m[1], "panel", arg})
	}
	if len(found) == 0 {
		return blockMacro{}, false
	}
	first := found[0]
	for _, m := range found[1:] {
		if m.at < first.at {
			first = m
		}
	}
	return first, true
}

// macro opens a code block, opens or closes a quote, or writes a panel's
// title.
func (w *wikiWriter) macro(m blockMacro) {
	w.endBlocks()
	switch m.kind {
	case "code", "noformat":
		w.code = m.kind
		w.fenceAt = len(w.out)
		w.out = append(w.out, codeLang(m.kind, m.arg)) // replaced by closeCode
	case "quote":
		w.quote = !w.quote
		if !w.quote {
			// A blank line, or what follows would continue the quote.
			w.out = append(w.out, "")
		}
	case "panel":
		for _, p := range strings.Split(m.arg, "|") {
			if k, v, ok := strings.Cut(p, "="); ok && strings.TrimSpace(k) == "title" && strings.TrimSpace(v) != "" {
				w.emit("**" + strings.TrimSpace(v) + "**")
			}
		}
	}
}

// codeLang is the language of a {code:...} macro: its first parameter
// that is not key=value ({code:java}, {code:title=x|java}); "" for
// {noformat} and a {code} without one.
func codeLang(kind, arg string) string {
	if kind != "code" || arg == "" {
		return ""
	}
	for _, p := range strings.Split(strings.TrimPrefix(arg, ":"), "|") {
		if !strings.Contains(p, "=") {
			return strings.TrimSpace(p)
		}
	}
	return ""
}

// endBlocks ends open lists and tables.
func (w *wikiWriter) endBlocks() {
	w.list = nil
	w.table = false
}

// text converts a line of text outside code blocks.
func (w *wikiWriter) text(line string) {
	t := strings.TrimLeft(line, " \t")
	if strings.TrimSpace(t) == "" {
		w.endBlocks()
		w.emit("")
		return
	}
	if m := headingRE.FindStringSubmatch(t); m != nil {
		w.endBlocks()
		w.emit(strings.Repeat("#", int(m[1][0]-'0')) + " " + wikiInlineText(m[2]))
		return
	}
	if m := bqRE.FindStringSubmatch(t); m != nil {
		w.endBlocks()
		w.emit("> " + wikiInlineText(m[1]))
		return
	}
	if ruleRE.MatchString(t) {
		w.endBlocks()
		w.emit("---")
		return
	}
	if m := listRE.FindStringSubmatch(t); m != nil {
		w.table = false
		w.listItem(m[1], m[2])
		return
	}
	if strings.HasPrefix(t, "|") {
		w.list = nil
		cells := tableCells(t)
		row := make([]string, len(cells))
		for i, c := range cells {
			row[i] = wikiInlineText(c)
		}
		// The first row is the header, whether marked with "||" or not.
		lines := strings.Split(tableText([][]string{row}), "\n")
		if w.table {
			lines = lines[:1]
		}
		for _, l := range lines {
			w.emit(l)
		}
		w.table = true
		return
	}
	w.endBlocks()
	w.emit(wikiInlineText(line))
}

// listItem writes a list item with markers (e.g. "*#").
func (w *wikiWriter) listItem(markers, text string) {
	depth := len(markers)
	if markers == "-" {
		depth = 1
	}
	depth = min(depth, maxNest)
	ordered := markers[len(markers)-1] == '#'
	if len(w.list) > depth {
		w.list = w.list[:depth]
	}
	for len(w.list) < depth {
		indent := 0
		if n := len(w.list); n > 0 {
			indent = w.list[n-1].indent + w.list[n-1].width()
		}
		w.list = append(w.list, listLevel{ordered: ordered, indent: indent})
	}
	lv := &w.list[depth-1]
	if lv.ordered != ordered {
		lv.ordered, lv.num = ordered, 0
	}
	lv.num++
	marker := "- "
	if ordered {
		marker = strconv.Itoa(lv.num) + ". "
	}
	w.emit(strings.Repeat(" ", lv.indent) + marker + wikiInlineText(text))
}

// width is the width of a level's marker, which its children indent by.
func (l listLevel) width() int {
	if l.ordered {
		return len(strconv.Itoa(max(l.num, 1))) + 2
	}
	return 2
}

// tableCells splits a table row ("||head||" or "|cell|") into cells. A
// "|" inside [...] or {{...}} does not split.
func tableCells(row string) (cells []string) {
	row = strings.TrimSpace(row)
	row = strings.TrimLeft(row, "|")
	row = strings.TrimRight(row, "|")
	bracket, mono := 0, false
	start := 0
	for i := 0; i < len(row); i++ {
		switch {
		case strings.HasPrefix(row[i:], "{{"):
			mono = true
			i++
		case strings.HasPrefix(row[i:], "}}"):
			mono = false
			i++
		case row[i] == '[':
			bracket++
		case row[i] == ']' && bracket > 0:
			bracket--
		case row[i] == '|' && bracket == 0 && !mono:
			cells = append(cells, strings.TrimSpace(row[start:i]))
			for i+1 < len(row) && row[i+1] == '|' {
				i++
			}
			start = i + 1
		}
	}
	return append(cells, strings.TrimSpace(row[start:]))
}

// wikiMarks maps wiki emphasis markers to markdown ones.
var wikiMarks = map[byte]string{'*': "**", '_': "*", '-': "~~", '+': ""}

// wikiInlineText converts inline wiki markup in s.
func wikiInlineText(s string) string {
	s = colorRE.ReplaceAllString(s, "")
	// closers[c] lists where marker c could close a span, in order.
	closers := map[byte][]int{}
	for i := 0; i < len(s); i++ {
		if _, ok := wikiMarks[s[i]]; ok && canClose(s, i) {
			closers[s[i]] = append(closers[s[i]], i)
		}
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if out, next, ok := wikiInlineAt(s, i, closers); ok {
			b.WriteString(out)
			i = next
			continue
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

// wikiInlineAt converts the markup that starts at s[i], if any: a forced
// line break, an escaped character, {{monospace}}, a [link], an !image! or
// an emphasis span. next is where the text after it starts.
func wikiInlineAt(s string, i int, closers map[byte][]int) (out string, next int, ok bool) {
	c := s[i]
	switch {
	case c == '\\' && i+1 < len(s) && s[i+1] == '\\':
		return "\n", i + 2, true
	case c == '\\' && i+1 < len(s):
		_, size := utf8.DecodeRuneInString(s[i+1:])
		return s[i : i+1+size], i + 1 + size, true
	case strings.HasPrefix(s[i:], "{{"):
		if j := strings.Index(s[i+2:], "}}"); j > 0 {
			return codeSpan(s[i+2 : i+2+j]), i + j + 4, true
		}
	case c == '[':
		return enclosed(s, i, ']', wikiLink)
	case c == '!':
		return enclosed(s, i, '!', wikiImage)
	default:
		return wikiEmphasis(s, i, closers)
	}
	return "", 0, false
}

// enclosed converts what s[i] opens and the next end byte closes (at
// least one byte apart) with convert, unless convert says it is not
// markup.
func enclosed(s string, i int, end byte, convert func(string) (string, bool)) (out string, next int, ok bool) {
	j := strings.IndexByte(s[i+1:], end)
	if j <= 0 {
		return "", 0, false
	}
	if out, ok := convert(s[i+1 : i+1+j]); ok {
		return out, i + j + 2, true
	}
	return "", 0, false
}

// wikiEmphasis converts an emphasis span (*bold*, _italic_, -strike-,
// +underline+) that opens at s[i] and closes at the first closer of the
// same marker at least one character later.
func wikiEmphasis(s string, i int, closers map[byte][]int) (out string, next int, ok bool) {
	md, isMark := wikiMarks[s[i]]
	if !isMark || !canOpen(s, i) {
		return "", 0, false
	}
	list := closers[s[i]]
	k := sort.SearchInts(list, i+2)
	if k == len(list) {
		return "", 0, false
	}
	j := list[k]
	return md + wikiInlineText(s[i+1:j]) + md, j + 1, true
}

// canOpen reports whether the marker at i may open a span: after the
// start, a space or punctuation (not the same marker), before a non-space
// that is not the same marker.
func canOpen(s string, i int) bool {
	if i+1 >= len(s) || s[i+1] == s[i] || isSpaceAt(s, i+1) {
		return false
	}
	if i == 0 {
		return true
	}
	prev, _ := utf8.DecodeLastRuneInString(s[:i])
	return prev != rune(s[i]) && !unicode.IsLetter(prev) && !unicode.IsDigit(prev)
}

// canClose reports whether the marker at i may close a span: after a
// non-space that is not the same marker, before the end, a space or
// punctuation.
func canClose(s string, i int) bool {
	if i == 0 || s[i-1] == s[i] || isSpaceBefore(s, i) {
		return false
	}
	if i+1 == len(s) {
		return true
	}
	next, _ := utf8.DecodeRuneInString(s[i+1:])
	return next != rune(s[i]) && !unicode.IsLetter(next) && !unicode.IsDigit(next)
}

func isSpaceAt(s string, i int) bool {
	r, _ := utf8.DecodeRuneInString(s[i:])
	return unicode.IsSpace(r)
}

func isSpaceBefore(s string, i int) bool {
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	return unicode.IsSpace(r)
}

// wikiLink converts the inside of [...]; ok is false when it is not a
// link (plain brackets), which is then left as written.
func wikiLink(in string) (string, bool) {
	text, target, piped := strings.Cut(in, "|")
	if !piped {
		target, text = in, ""
	}
	target = strings.TrimSpace(target)
	if i := strings.IndexByte(target, '|'); i >= 0 {
		target = strings.TrimSpace(target[:i]) // [text|url|tooltip]
	}
	text = strings.TrimSpace(text)
	switch {
	case strings.HasPrefix(target, "~"):
		if text != "" {
			return "@" + strings.TrimPrefix(text, "@"), true
		}
		if name := strings.TrimSpace(target[1:]); name != "" {
			return "@" + name, true
		}
		return "", false
	case strings.HasPrefix(target, "^"):
		name := strings.TrimSpace(target[1:])
		if text != "" {
			return wikiInlineText(text), true
		}
		return name, name != ""
	case strings.HasPrefix(target, "#"):
		if text != "" {
			return wikiInlineText(text), true
		}
		return target[1:], len(target) > 1
	case strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:"):
		if text == "" {
			return target, true
		}
		return linkTo(wikiInlineText(text), target), true
	case piped && target != "":
		// [text|PROJ-12] and the like: the text and what it points to.
		return wikiInlineText(text) + " (" + target + ")", true
	}
	return "", false
}

// wikiImage converts the inside of !...!: an attachment or URL with no
// spaces, and optional parameters after "|".
func wikiImage(in string) (string, bool) {
	name, _, _ := strings.Cut(in, "|")
	if name == "" || strings.ContainsAny(name, " \t") || !strings.Contains(name, ".") {
		return "", false
	}
	if strings.Contains(name, "://") {
		return name, true
	}
	return "[image: " + name + "]", true
}
