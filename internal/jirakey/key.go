package jirakey

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

const (
	minProjectLen = 2
	maxProjectLen = 10
	// maxNumberLen keeps numbers within what Jira stores as an issue number;
	// a longer run of digits is an ID of something else.
	maxNumberLen = 9
	maxKeyLen    = maxProjectLen + 1 + maxNumberLen
)

// Valid reports whether key is a well-formed upper-case Jira issue key such
// as "OPS-123": a project key of 2 to 10 letters, digits or underscores
// starting with a letter, a hyphen, and a number of 1 to 9 digits without a
// leading zero. Valid checks form only; it does not consult the deny-list,
// since SHA-1 is a real key to a team whose project is SHA.
func Valid(key string) bool {
	project, number, ok := strings.Cut(key, "-")
	return ok && validProject(project, false) && validNumber(number)
}

// Project returns the project part of key ("OPS" for "OPS-12"), or "" if key
// is not [Valid].
func Project(key string) string {
	if !Valid(key) {
		return ""
	}
	project, _, _ := strings.Cut(key, "-")
	return project
}

// ParseProjects parses a list of project keys as written in the action's
// jira_projects input, such as "OPS,WEB", "ops web" or "OPS, WEB\n": entries
// are separated by commas, white space or both. It returns the entries
// upper-cased, without duplicates, in their original order, or an error
// naming the first entry that is not a project key (and not the input or
// flag it came from: the caller names that).
func ParseProjects(s string) ([]string, error) {
	var projects []string
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || unicode.IsSpace(r) })
	for _, field := range fields {
		if err := checkProject(field); err != nil {
			return nil, fmt.Errorf("%q is not a Jira project key: %v", field, err)
		}
		project := upperASCII(field)
		if !slices.Contains(projects, project) {
			projects = append(projects, project)
		}
	}
	return projects, nil
}

// checkProject explains why p is not a project key, so that a typo in the
// workflow file gets a message its author can act on.
func checkProject(p string) error {
	for i := 0; i < len(p); i++ {
		if !isWordByte(p[i]) {
			return errors.New("it may contain only letters A to Z, digits and underscores")
		}
	}
	if len(p) < minProjectLen || len(p) > maxProjectLen {
		return fmt.Errorf("it must be %d to %d characters long", minProjectLen, maxProjectLen)
	}
	if !isLetter(p[0]) {
		return errors.New("it must start with a letter")
	}
	return nil
}

// validProject reports whether p is a project key, upper case unless
// anyCase is set.
func validProject(p string, anyCase bool) bool {
	if len(p) < minProjectLen || len(p) > maxProjectLen || !isLetter(p[0]) {
		return false
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if !isWordByte(c) || ('a' <= c && c <= 'z' && !anyCase) {
			return false
		}
	}
	return true
}

// validNumber reports whether n is an issue number. Jira never issues
// number 0 and never writes a leading zero, so OPS-012 is something else.
func validNumber(n string) bool {
	if len(n) == 0 || len(n) > maxNumberLen || n[0] == '0' {
		return false
	}
	for i := 0; i < len(n); i++ {
		if !isDigit(n[i]) {
			return false
		}
	}
	return true
}

// A scanner collects the keys of one extraction.
type scanner struct {
	e Extractor
	// anyCase accepts lower-case keys everywhere, for branch names.
	anyCase bool
	// links accepts keys of any case and any project in Jira links, for
	// Markdown bodies.
	links bool

	keys []string
	seen map[string]bool
}

// scan adds the keys in text. It reads each word at most twice (once on
// its own, once as the number after a project) and looks only a bounded
// distance behind it, so it is linear in len(text).
func (sc *scanner) scan(text string) {
	for i := 0; i < len(text); {
		r, size := runeAt(text, i)
		if !isWord(r) {
			i += size
			continue
		}
		// i starts a word, so no letter, digit or underscore precedes it:
		// XOPS-1 is never read as OPS-1.
		end := wordEnd(text, i)
		inLink := sc.links && afterJiraLink(text[:i])
		if k := keyEnd(text, i, end, sc.anyCase || inLink); k > 0 {
			sc.add(text[i:k], end-i, inLink)
		}
		i = end
	}
}

// keyEnd returns the end of the key whose project is the word text[start:end],
// or 0 if there is none.
func keyEnd(text string, start, end int, anyCase bool) int {
	if end >= len(text) || text[end] != '-' || !validProject(text[start:end], anyCase) {
		return 0
	}
	k := end + 1
	for k < len(text) && isDigit(text[k]) {
		k++
	}
	if !validNumber(text[end+1 : k]) {
		return 0
	}
	if k < len(text) {
		r, size := runeAt(text, k)
		if isWord(r) || (r == '.' && versionTail(text[k+size:])) {
			return 0
		}
	}
	return k
}

// versionTail reports whether rest, the text after a key and a dot, makes
// the key a version instead: TLS-1.3, PY-3.11, and wildcards such as the
// node-20.x of a dependency update branch. A dot followed by anything else
// ends a sentence: "Fixes OPS-12."
func versionTail(rest string) bool {
	if rest == "" {
		return false
	}
	r, size := runeAt(rest, 0)
	if unicode.IsDigit(r) {
		return true
	}
	if r != 'x' && r != 'X' {
		return false
	}
	if size == len(rest) {
		return true
	}
	next, _ := runeAt(rest, size)
	return !isWord(next)
}

// add records the key raw, whose project is its first projectLen bytes,
// unless the allow-list or the deny-list rules it out or it is a repeat.
func (sc *scanner) add(raw string, projectLen int, inLink bool) {
	// Upper-casing into a buffer keeps repeats and rejects from allocating,
	// and keeps the results from pinning a large input in memory.
	var buf [maxKeyLen]byte
	key := buf[:len(raw)]
	for i := 0; i < len(raw); i++ {
		key[i] = upper(raw[i])
	}
	project := key[:projectLen]
	if len(sc.e.Projects) > 0 {
		if !slices.ContainsFunc(sc.e.Projects, func(p string) bool { return equalFold(p, project) }) {
			return
		}
	} else if !inLink && denyList[string(project)] {
		return
	}
	if sc.seen[string(key)] {
		return
	}
	if sc.seen == nil {
		sc.seen = make(map[string]bool)
	}
	k := string(key)
	sc.seen[k] = true
	sc.keys = append(sc.keys, k)
}

// runeAt decodes the rune at s[i], without a call for the ASCII that most
// input is.
func runeAt(s string, i int) (rune, int) {
	if c := s[i]; c < utf8.RuneSelf {
		return rune(c), 1
	}
	return utf8.DecodeRuneInString(s[i:])
}

// wordEnd returns the end of the word that starts at s[i].
func wordEnd(s string, i int) int {
	for i < len(s) {
		r, size := runeAt(s, i)
		if !isWord(r) {
			break
		}
		i += size
	}
	return i
}

// isWord reports whether r is a letter, digit or underscore in any script:
// a key glued to "é" or "٣" is part of a longer word, not a key.
func isWord(r rune) bool {
	if r < utf8.RuneSelf {
		return isWordByte(byte(r))
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

func isWordByte(c byte) bool { return isLetter(c) || isDigit(c) || c == '_' }
func isLetter(c byte) bool   { return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' }
func isDigit(c byte) bool    { return '0' <= c && c <= '9' }

func upper(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}

func upperASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		b[i] = upper(c)
	}
	return string(b)
}

// equalFold reports whether s and b are equal ignoring ASCII case only;
// strings.EqualFold would also match the Kelvin sign with K.
func equalFold(s string, b []byte) bool {
	if len(s) != len(b) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if upper(s[i]) != upper(b[i]) {
			return false
		}
	}
	return true
}
