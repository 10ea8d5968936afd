package textcut

import (
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"
)

// Bytes never ends inside a character; Runes counts characters, not
// bytes; UTF16 counts code units as Jira does (one below U+FFFF, two
// above). A byte that is not UTF-8 is one character, kept as it is.
func TestCutsCountInTheirUnit(t *testing.T) {
	bytes, runes, units := "Bytes", "Runes", "UTF16"
	cut := map[string]func(string, int) string{bytes: Bytes, runes: Runes, units: UTF16}
	tests := []struct {
		cut  string
		s    string
		n    int
		want string
	}{
		{bytes, "abc", 5, "abc"},
		{bytes, "abc", 3, "abc"},
		{bytes, "abc", 2, "ab"},
		{bytes, "abc", 0, ""},
		{bytes, "abc", -1, ""},
		{bytes, "", 0, ""},
		{bytes, "aé", 2, "a"}, // é is 2 bytes: cutting after 2 would split it
		{bytes, "aé", 3, "aé"},
		{bytes, "日本", 5, "日"},
		{bytes, "a😀b", 4, "a"},
		{bytes, "a😀b", 5, "a😀"},
		{bytes, "ab\xffcd", 3, "ab\xff"},
		{runes, "abc", 5, "abc"},
		{runes, "abc", 3, "abc"},
		{runes, "abc", 2, "ab"},
		{runes, "abc", 0, ""},
		{runes, "abc", -3, ""},
		{runes, "éééé", 2, "éé"},
		{runes, "😀😀😀", 1, "😀"},
		{runes, "a\xffb", 2, "a\xff"},
		{units, "abc", 5, "abc"},
		{units, "abc", 3, "abc"},
		{units, "abc", 2, "ab"},
		{units, "abc", 0, ""},
		{units, "éé", 1, "é"},
		{units, "日本語", 2, "日本"},
		{units, "a😀b", 2, "a"}, // above U+FFFF: two units, never split
		{units, "a😀b", 3, "a😀"},
		{units, "😀", 1, ""},
		{units, "a\xffb", 2, "a\xff"},
	}
	for _, tt := range tests {
		if got := cut[tt.cut](tt.s, tt.n); got != tt.want {
			t.Errorf("%s(%q, %d) = %q, want %q", tt.cut, tt.s, tt.n, got, tt.want)
		}
	}
}

// TestCutsAreTheLongestThatFit checks every cut of a mixed text against
// the definition: a start of s, valid UTF-8, within the limit, and one
// character more would not be.
func TestCutsAreTheLongestThatFit(t *testing.T) {
	s := strings.Repeat("aé日😀", 5)
	units := func(s string) int { return len(utf16.Encode([]rune(s))) }
	cuts := []struct {
		name string
		cut  func(string, int) string
		size func(string) int
	}{
		{"Bytes", Bytes, func(s string) int { return len(s) }},
		{"Runes", Runes, utf8.RuneCountInString},
		{"UTF16", UTF16, units},
	}
	for _, c := range cuts {
		for n := 0; n <= len(s)+1; n++ {
			got := c.cut(s, n)
			if !strings.HasPrefix(s, got) || !utf8.ValidString(got) || c.size(got) > n {
				t.Fatalf("%s(s, %d) = %q: not a valid start of s within the limit", c.name, n, got)
			}
			if rest := s[len(got):]; rest != "" {
				_, size := utf8.DecodeRuneInString(rest)
				if c.size(s[:len(got)+size]) <= n {
					t.Fatalf("%s(s, %d) = %q: one more character would fit", c.name, n, got)
				}
			}
		}
	}
}
