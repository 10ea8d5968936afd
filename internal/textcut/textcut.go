// Package textcut shortens text to a limit without splitting a character,
// in the unit the limit is counted in: bytes, characters (runes), or
// UTF-16 code units (how Jira counts a summary's 255).
package textcut

import (
	"unicode/utf16"
	"unicode/utf8"
)

// Bytes returns the longest start of s that is at most n bytes long and
// does not end inside a UTF-8 sequence: s itself when it fits, "" when n
// is not positive.
func Bytes(s string, n int) string {
	if n >= len(s) {
		return s
	}
	if n <= 0 {
		return ""
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// Runes returns the first n characters of s: s itself when it has no
// more, "" when n is not positive. A byte that is not UTF-8 counts as one
// character and is kept as it is.
func Runes(s string, n int) string {
	if n <= 0 {
		return ""
	}
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}

// UTF16 returns the longest start of s that is at most n UTF-16 code units
// long (a character above U+FFFF takes two) and ends on a character
// boundary: s itself when it fits, "" when n is not positive.
func UTF16(s string, n int) string {
	for i, r := range s {
		// A byte that is not UTF-8 reads as U+FFFD: one unit.
		w := utf16.RuneLen(r)
		if n < w {
			return s[:i]
		}
		n -= w
	}
	return s
}
