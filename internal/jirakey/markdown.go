package jirakey

import (
	"iter"
	"strings"
)

// visible yields, in order, the stretches of markdown a reader sees as
// prose: everything but fenced code blocks and HTML comments. It follows
// CommonMark where that is cheap; in particular a fence or comment left open
// runs to the end, as GitHub renders it.
//
// Only fences at the start of a line (after up to three spaces) are
// recognised; a fence inside a block quote or list item is read as prose.
func visible(markdown string) iter.Seq[string] {
	return func(yield func(string) bool) {
		emit := func(s string) bool { return s == "" || yield(s) }
		start := 0 // of the prose not yet yielded
		inComment := false
		var fence byte // '`' or '~' while inside a fenced block
		var fenceLen int
		for line := 0; line < len(markdown); {
			eol := strings.IndexByte(markdown[line:], '\n')
			next := len(markdown)
			if eol < 0 {
				eol = len(markdown)
			} else {
				eol += line
				next = eol + 1
			}
			text := markdown[line:eol]
			if fence != 0 {
				if closesFence(text, fence, fenceLen) {
					fence = 0
					start = next
				}
				line = next
				continue
			}
			if !inComment {
				if c, n := opensFence(text); n > 0 {
					if !emit(markdown[start:line]) {
						return
					}
					fence, fenceLen = c, n
					line = next
					continue
				}
			}
			// Comments may open and close several times on a line, and
			// may span lines, but "<!--" and "-->" never do.
			for i := line; ; {
				if inComment {
					end := strings.Index(markdown[i:eol], "-->")
					if end < 0 {
						break
					}
					i += end + len("-->")
					start = i
					inComment = false
					continue
				}
				open := strings.Index(markdown[i:eol], "<!--")
				if open < 0 {
					break
				}
				if !emit(markdown[start : i+open]) {
					return
				}
				i += open + len("<!--")
				inComment = true
			}
			line = next
		}
		if fence == 0 && !inComment {
			emit(markdown[start:])
		}
	}
}

// opensFence returns the character and length of the code fence that line
// opens, or 0, 0 if it opens none: three or more backticks or tildes indented at most three
// spaces. A backtick fence's info string may not hold a backtick, so
// "```OPS-1```" is an inline code span, not a fence.
func opensFence(line string) (fence byte, n int) {
	c, n, rest := fenceRun(line)
	if n < 3 || (c == '`' && strings.IndexByte(rest, '`') >= 0) {
		return 0, 0
	}
	return c, n
}

// closesFence reports whether line closes a fence of n fence characters: a
// run of the same character at least as long, indented at most three
// spaces, with nothing but white space after it.
func closesFence(line string, fence byte, n int) bool {
	c, m, rest := fenceRun(line)
	return c == fence && m >= n && strings.Trim(rest, " \t\r") == ""
}

// fenceRun splits line into the run of backticks or tildes that starts it,
// after at most three spaces of indentation, and the rest.
func fenceRun(line string) (c byte, n int, rest string) {
	i := 0
	for i < 3 && i < len(line) && line[i] == ' ' {
		i++
	}
	if i == len(line) || (line[i] != '`' && line[i] != '~') {
		return 0, 0, ""
	}
	c = line[i]
	j := i
	for j < len(line) && line[j] == c {
		j++
	}
	return c, j - i, line[j:]
}

// afterJiraLink reports whether before ends with the part of a Jira issue
// link that comes before the key:
//
//	https://acme.atlassian.net/browse/OPS-1
//	https://jira.example.com/projects/OPS/issues/OPS-1
//	https://acme.atlassian.net/jira/software/projects/OPS/boards/1?selectedIssue=OPS-1
//
// It looks back a bounded distance, keeping the scan linear.
func afterJiraLink(before string) bool {
	if before == "" || (before[len(before)-1] != '/' && before[len(before)-1] != '=') {
		return false
	}
	if hasSuffixFold(before, "/browse/") || hasSuffixFold(before, "selectedissue=") {
		return true
	}
	if !hasSuffixFold(before, "/issues/") {
		return false
	}
	before = before[:len(before)-len("/issues/")]
	// The segment between /projects/ and /issues/ must be a project key,
	// which bounds how far back to look for its slash.
	window := before[max(0, len(before)-maxProjectLen-1):]
	slash := strings.LastIndexByte(window, '/')
	if slash < 0 || !validProject(window[slash+1:], true) {
		return false
	}
	before = before[:len(before)-len(window)+slash]
	return hasSuffixFold(before, "/projects")
}

// hasSuffixFold reports whether s ends with suffix, which is lower case,
// ignoring ASCII case.
func hasSuffixFold(s, suffix string) bool {
	if len(s) < len(suffix) {
		return false
	}
	s = s[len(s)-len(suffix):]
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != suffix[i] {
			return false
		}
	}
	return true
}
