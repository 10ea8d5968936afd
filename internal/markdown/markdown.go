// Package markdown makes untrusted text safe to put in GitHub-flavoured
// markdown: step summaries and pull request comments.
package markdown

import (
	"strings"
	"unicode"
)

// Escape makes s inert: HTML and markdown punctuation become entities or
// backslash escapes, line breaks become spaces, and @ cannot start a
// mention. The result is one line.
func Escape(s string) string {
	var b strings.Builder
	for _, r := range OneLine(s) {
		switch r {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '|':
			b.WriteString("&#124;")
		case '@':
			b.WriteString("&#64;")
		case '\\', '`', '*', '_', '[', ']', '(', ')', '#', '!', '~':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// OneLine folds line breaks and other control characters into spaces, so
// text can neither start a new markdown block nor, in a log, a workflow
// command on a line of its own.
func OneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
}
