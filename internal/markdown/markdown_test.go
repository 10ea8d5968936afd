package markdown

import (
	"strings"
	"testing"
)

func TestEscapeMakesTextInert(t *testing.T) {
	tests := map[string]string{
		"plain words":                          "plain words",
		"@admin please":                        "&#64;admin please",
		"<img src=x onerror=alert(1)>":         "&lt;img src=x onerror=alert\\(1\\)&gt;",
		"a | b":                                "a &#124; b",
		"[link](https://evil.example)":         "\\[link\\]\\(https://evil.example\\)",
		"line\n# heading\r\n::error::forged":   "line \\# heading  ::error::forged",
		"*bold* _it_ `code` ~strike~ !\\[x\\]": "\\*bold\\* \\_it\\_ \\`code\\` \\~strike\\~ \\!\\\\\\[x\\\\\\]",
	}
	for in, want := range tests {
		if got := Escape(in); got != want {
			t.Errorf("Escape(%q)\n got %q\nwant %q", in, got, want)
		}
	}
}

func TestOneLineHasNoLineBreaks(t *testing.T) {
	got := OneLine("a\nb\rc\u2028d\te\x00f")
	if strings.ContainsAny(got, "\n\r\u2028\t\x00") || got != "a b c d e f" {
		t.Errorf("OneLine = %q", got)
	}
}
