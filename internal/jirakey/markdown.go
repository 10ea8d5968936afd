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
		p := proseScanner{md: markdown, yield: yield}
		for line := 0; line < len(markdown); {
			eol, next := lineEnd(markdown, line)
			if !p.line(line, eol, next) {
				return
			}
			line = next
		}
		if p.fence == 0 && !p.inComment {
			p.emit(markdown[p.start:])
		}
	}
}

// lineEnd returns the end of the line starting at md[line] (its '\n' or
// the end of md) and where the next line starts.
func lineEnd(md string, line int) (eol, next int) {
	eol = strings.IndexByte(md[line:], '\n')
	if eol < 0 {
		return len(md), len(md)
	}
	return line + eol, line + eol + 1
}

// proseScanner is visible's state between lines.
type proseScanner struct {
	md        string
	yield     func(string) bool
	start     int  // of the prose not yet yielded
	inComment bool // inside an HTML comment
	fence     byte // '`' or '~' while inside a fenced block
	fenceLen  int
}

// emit yields s unless it is empty; false when the consumer stopped.
func (p *proseScanner) emit(s string) bool { return s == "" || p.yield(s) }

// line reads the line md[line:eol], next being where the following line
// starts; false when the consumer stopped.
func (p *proseScanner) line(line, eol, next int) bool {
	text := p.md[line:eol]
	if p.fence != 0 {
		if closesFence(text, p.fence, p.fenceLen) {
			p.fence = 0
			p.start = next
		}
		return true
	}
	if !p.inComment {
		if c, n := opensFence(text); n > 0 {
			p.fence, p.fenceLen = c, n
			return p.emit(p.md[p.start:line])
		}
	}
	return p.comments(line, eol)
}

// comments reads md[i:eol] for the HTML comments that open and close in
// it, yielding the prose before each. Comments may open and close several
// times on a line, and may span lines, but "<!--" and "-->" never do.
func (p *proseScanner) comments(i, eol int) bool {
	for {
		if p.inComment {
			end := strings.Index(p.md[i:eol], "-->")
			if end < 0 {
				return true
			}
			i += end + len("-->")
			p.start = i
			p.inComment = false
			continue
		}
		open := strings.Index(p.md[i:eol], "<!--")
		if open < 0 {
			return true
		}
		if !p.emit(p.md[p.start : i+open]) {
			return false
		}
		i += open + len("<!--")
		p.inComment = true
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
