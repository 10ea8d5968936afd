// Reading Jira's text back (Text, WikiText) turns Jira rich text into
// readable markdown for places that show markdown or plain text: Sentry
// notes and Guance replies.
//
// Jira Cloud writes comments as Atlassian Document Format (ADF) documents,
// JSON trees of nodes (doc, paragraph, text, ...) with marks (strong, link,
// ...); Text reads one. Jira Data Center writes wiki markup strings
// (*bold*, {code}, [text|url], ...); WikiText reads one.
//
// Both are best effort and total: any input, however malformed, gives a
// string (possibly empty) that is valid UTF-8, and never a panic. Neither
// caps its output; callers with a size limit use Truncate, which cuts at a
// line or character boundary, closes an open code fence and says that the
// text was cut.
//
// The text is not markdown-escaped: a literal "*" in a Jira comment stays a
// "*". The output is meant to be read by people (in plain text or rendered
// as markdown), not to round-trip.

package jiramarkup

import (
	"strings"

	"github.com/fixproof/fixproof/internal/textcut"
)

// TruncatedNote ends text that Truncate cut.
const TruncatedNote = "\n\n[… truncated]"

// Truncate returns s unchanged when it is at most max bytes long (or max
// is not positive). Otherwise it cuts s to fit, at the last line break in
// the second half of the budget when there is one (else at a character
// boundary), closes a code fence left open by the cut, and appends
// TruncatedNote, all within max bytes. When max is too small for the note,
// s is only cut, at a character boundary.
func Truncate(s string, max int) string {
	if max <= 0 || len(s) <= max {
		return s
	}
	if max < len(TruncatedNote)+8 {
		return textcut.Bytes(s, max)
	}
	budget := max - len(TruncatedNote)
	for budget > 0 {
		kept := textcut.Bytes(s, budget)
		if i := strings.LastIndexByte(kept, '\n'); i >= budget/2 {
			kept = kept[:i]
		}
		kept = strings.TrimRight(kept, " \t\n")
		suffix := TruncatedNote
		if fence := openFence(kept); fence != "" {
			suffix = "\n" + fence + suffix
		}
		if len(kept)+len(suffix) <= max {
			return kept + suffix
		}
		budget -= len(kept) + len(suffix) - max
	}
	return textcut.Bytes(s, max)
}

// openFence returns the backtick fence of a fenced code block that s
// opens and does not close, or "".
func openFence(s string) string {
	open := ""
	for _, line := range strings.Split(s, "\n") {
		t := strings.TrimLeft(line, " ")
		run := len(t) - len(strings.TrimLeft(t, "`"))
		if run < 3 {
			continue
		}
		switch {
		case open == "":
			open = t[:run]
		case run >= len(open) && strings.TrimSpace(t[run:]) == "":
			open = ""
		}
	}
	return open
}

// fence returns a backtick fence longer than any run of backticks in s,
// and at least min long.
func fence(s string, min int) string {
	longest, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return strings.Repeat("`", max(min, longest+1))
}

// codeSpan renders s as inline code.
func codeSpan(s string) string {
	if s == "" {
		return ""
	}
	f := fence(s, 1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return f + s + f
}

// fencedCode renders a fenced code block.
func fencedCode(lang, text string) string {
	text = strings.TrimRight(text, "\n")
	f := fence(text, 3)
	lang = strings.Map(func(r rune) rune {
		if r == '`' || r == ' ' || r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, lang)
	return f + lang + "\n" + text + "\n" + f
}

// indentLines prefixes every line of s after the first with pad (empty
// lines stay empty) and the first with first.
func indentLines(s, first, pad string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		switch {
		case i == 0:
			lines[i] = first + l
		case l != "":
			lines[i] = pad + l
		}
	}
	return strings.Join(lines, "\n")
}

// quoteLines prefixes every line of s with "> " (">" for empty ones).
func quoteLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if l == "" {
			lines[i] = ">"
		} else {
			lines[i] = "> " + l
		}
	}
	return strings.Join(lines, "\n")
}

// wrapEmphasis wraps s in marker, keeping leading and trailing whitespace
// outside (markdown does not emphasise "** x **").
func wrapEmphasis(s, marker string) string {
	core := strings.TrimSpace(s)
	if core == "" {
		return s
	}
	i := strings.Index(s, core)
	return s[:i] + marker + core + marker + s[i+len(core):]
}

// linkTo renders a markdown link; a link whose text is its address is
// written as the bare address.
func linkTo(text, href string) string {
	href = strings.TrimSpace(href)
	if href == "" {
		return text
	}
	core := strings.TrimSpace(text)
	if core == "" || core == href {
		if core == "" {
			return text + href
		}
		i := strings.Index(text, core)
		return text[:i] + href + text[i+len(core):]
	}
	href = strings.NewReplacer(" ", "%20", "(", "%28", ")", "%29", "\n", "").Replace(href)
	i := strings.Index(text, core)
	return text[:i] + "[" + core + "](" + href + ")" + text[i+len(core):]
}

// tableText renders rows as a markdown pipe table: the first row is the
// header. Cells are single lines with "|" escaped; rows are padded to the
// widest row, at most maxColumns.
func tableText(rows [][]string) string {
	if len(rows) == 0 {
		return ""
	}
	cols := 0
	for _, r := range rows {
		cols = max(cols, len(r))
	}
	cols = min(max(cols, 1), maxColumns)
	var b strings.Builder
	line := func(cells []string) {
		b.WriteString("|")
		for i := 0; i < cols; i++ {
			c := ""
			if i < len(cells) {
				c = cells[i]
			}
			c = strings.Join(strings.Fields(strings.ReplaceAll(c, "|", `\|`)), " ")
			if c == "" {
				b.WriteString("  |")
			} else {
				b.WriteString(" " + c + " |")
			}
		}
	}
	for i, r := range rows {
		if i > 0 {
			b.WriteString("\n")
		}
		line(r)
		if i == 0 {
			b.WriteString("\n|" + strings.Repeat(" --- |", cols))
		}
	}
	return b.String()
}

// maxColumns caps the columns of a table.
const maxColumns = 64

// maxNest caps nested lists and quotes: deeper ones are flattened to text,
// so indentation stays bounded whatever the input.
const maxNest = 16
