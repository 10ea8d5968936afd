package jiramarkup

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestWikiText(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "just text", "just text"},
		{"bold", "a *bold* word", "a **bold** word"},
		{"italic", "an _italic_ word", "an *italic* word"},
		{"strike", "a -gone- word", "a ~~gone~~ word"},
		{"underline", "an +under+ word", "an under word"},
		{"nested marks", "*bold _and it_*", "**bold *and it***"},
		{"not marks inside words", "snake_case_name 2*3*4 well-known-thing C++", "snake_case_name 2*3*4 well-known-thing C++"},
		{"lone markers", "a * b _ c - d", "a * b _ c - d"},
		{"monospace", "run {{make test}} now", "run `make test` now"},
		{"monospace keeps markup", "{{*not bold*}}", "`*not bold*`"},
		{"link with text", "see [the docs|https://example.com/x]", "see [the docs](https://example.com/x)"},
		{"bare link", "[https://example.com]", "https://example.com"},
		{"link with tooltip", "[docs|https://e.io|tip]", "[docs](https://e.io)"},
		{"mention", "thanks [~jsmith]!", "thanks @jsmith!"},
		{"cloud mention", "[~accountid:5b10ac8d82e05b22cc7d4ef5] ok", "@accountid:5b10ac8d82e05b22cc7d4ef5 ok"},
		{"mention with name", "[John Smith|~jsmith]", "@John Smith"},
		{"attachment link", "[^trace.log] and [the log|^trace.log]", "trace.log and the log"},
		{"plain brackets", "array[0] and [PROJ-1]", "array[0] and [PROJ-1]"},
		{"issue link with text", "[the bug|PROJ-1]", "the bug (PROJ-1)"},
		{"headings", "h1. Title\nh3. Sub\nh6.Deep", "# Title\n### Sub\n###### Deep"},
		{"bullets", "* one\n* two\n** two.a\n* three", "- one\n- two\n  - two.a\n- three"},
		{"dash bullets", "- one\n- two", "- one\n- two"},
		{"numbered", "# one\n# two\n## two.a\n## two.b\n# three", "1. one\n2. two\n   1. two.a\n   2. two.b\n3. three"},
		{"mixed", "* item\n*# first\n*# second", "- item\n  1. first\n  2. second"},
		{"list ends at text", "# a\ntext\n# b", "1. a\ntext\n1. b"},
		{"bold at line start is not a list", "*bold* start", "**bold** start"},
		{"code block", "before\n{code:java}\nint x = 1;\n*not bold*\n{code}\nafter", "before\n```java\nint x = 1;\n*not bold*\n```\nafter"},
		{"code block with params", "{code:title=Foo.go|borderStyle=solid}\nx\n{code}", "```\nx\n```"},
		{"code block with language and params", "{code:go|title=a}\nx\n{code}", "```go\nx\n```"},
		{"code on one line", "{code}x = 1{code}", "```\nx = 1\n```"},
		{"code starting on the macro line", "{code:sh}  make test\n{code}", "```sh\n  make test\n```"},
		{"noformat", "{noformat}\n  raw [text|x]\n{noformat}", "```\n  raw [text|x]\n```"},
		{"unclosed code", "{code}\nx", "```\nx\n```"},
		{"code with backticks", "{code}\n```\n{code}", "````\n```\n````"},
		{"quote macro", "{quote}\nwise\nwords\n{quote}\nafter", "> wise\n> words\n\nafter"},
		{"quote on one line", "{quote}q{quote} after", "> q\n\nafter"},
		{"bq", "bq. quoted *text*", "> quoted **text**"},
		{"rule", "a\n----\nb", "a\n---\nb"},
		{"table", "||Env||Count||\n|prod|1|\n|[x|https://x.io]|2|", "| Env | Count |\n| --- | --- |\n| prod | 1 |\n| [x](https://x.io) | 2 |"},
		{"table without header row", "|a|b|\n|c|d|", "| a | b |\n| --- | --- |\n| c | d |"},
		{"color", "{color:red}alert{color} done", "alert done"},
		{"panel", "{panel:title=Note|borderStyle=dashed}\ninside\n{panel}", "**Note**\ninside"},
		{"image", "!screenshot.png! and !https://i.io/a.png|thumbnail!", "[image: screenshot.png] and https://i.io/a.png"},
		{"exclamations", "Wow! Great!", "Wow! Great!"},
		{"line break", `one\\two`, "one\ntwo"},
		{"escape", `not \*bold\*`, `not \*bold\*`},
		{"crlf", "a\r\nb\rc", "a\nb\nc"},
		{"invalid UTF-8", "a\xffb", "a\uFFFDb"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := WikiText(tt.in); got != tt.want {
				t.Errorf("WikiText(%q)\n got: %q\nwant: %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestWikiManyMarkers checks that unmatched markers do not make the
// conversion quadratic (the test times out if they do).
func TestWikiTextManyMarkers(t *testing.T) {
	in := strings.Repeat("*a _b -c ", 20000)
	out := WikiText(in)
	if out != in {
		t.Fatalf("unmatched markers changed: %.60q", out)
	}
}

func FuzzWikiText(f *testing.F) {
	for _, s := range []string{
		"*bold* _it_ -s- +u+ {{m}}",
		"h1. T\n* a\n** b\n# c",
		"{code:go}\nx\n{code}\n{noformat}y{noformat}",
		"||a||b||\n|c|d|",
		"[a|https://x] [~u] [^f] !i.png!",
		"{quote}q{quote} {panel:title=t}p{panel} {color:red}c{color}",
		"\\\\ \\* \xff",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := WikiText(s)
		if !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8: %q", out)
		}
	})
}
