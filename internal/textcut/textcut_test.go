package textcut

import (
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"
)

func TestBytesNeverEndsInsideACharacter(t *testing.T) {
	tests := []struct {
		s    string
		n    int
		want string
	}{
		{"abc", 5, "abc"},
		{"abc", 3, "abc"},
		{"abc", 2, "ab"},
		{"abc", 0, ""},
		{"abc", -1, ""},
		{"", 0, ""},
		{"aé", 2, "a"},            // é is 2 bytes: cutting after 2 would split it
		{"aé", 3, "aé"},           //
		{"日本", 5, "日"},            // 3-byte characters
		{"a😀b", 4, "a"},           // 4-byte character
		{"a😀b", 5, "a😀"},          //
		{"ab\xffcd", 3, "ab\xff"}, // a stray byte is kept as it is
	}
	for _, tt := range tests {
		if got := Bytes(tt.s, tt.n); got != tt.want {
			t.Errorf("Bytes(%q, %d) = %q, want %q", tt.s, tt.n, got, tt.want)
		}
	}
}

func TestRunesCountsCharactersNotBytes(t *testing.T) {
	tests := []struct {
		s    string
		n    int
		want string
	}{
		{"abc", 5, "abc"},
		{"abc", 3, "abc"},
		{"abc", 2, "ab"},
		{"abc", 0, ""},
		{"abc", -3, ""},
		{"éééé", 2, "éé"},
		{"😀😀😀", 1, "😀"},
		{"a\xffb", 2, "a\xff"}, // a stray byte is one character, kept as it is
	}
	for _, tt := range tests {
		if got := Runes(tt.s, tt.n); got != tt.want {
			t.Errorf("Runes(%q, %d) = %q, want %q", tt.s, tt.n, got, tt.want)
		}
	}
}

func TestUTF16CountsCodeUnitsAsJiraDoes(t *testing.T) {
	tests := []struct {
		s    string
		n    int
		want string
	}{
		{"abc", 5, "abc"},
		{"abc", 3, "abc"},
		{"abc", 2, "ab"},
		{"abc", 0, ""},
		{"éé", 1, "é"},   // below U+FFFF: one unit, whatever its bytes
		{"日本語", 2, "日本"}, //
		{"a😀b", 2, "a"},  // above U+FFFF: two units, never split
		{"a😀b", 3, "a😀"}, //
		{"😀", 1, ""},     //
		{"a\xffb", 2, "a\xff"},
	}
	for _, tt := range tests {
		if got := UTF16(tt.s, tt.n); got != tt.want {
			t.Errorf("UTF16(%q, %d) = %q, want %q", tt.s, tt.n, got, tt.want)
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
