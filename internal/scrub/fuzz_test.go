package scrub

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzText checks that Text, URL and Header never panic, keep valid UTF-8
// valid, and leave nothing to do for a second pass.
func FuzzText(f *testing.F) {
	for _, seed := range []string{
		breadcrumbText()[:600],
		"call +86 138 1234 5678 or 13912345678, id 11010519491231002X",
		"card 4111 1111 1111 1111 ip 2001:db8::1: reset 10.0.0.1",
		`{"password": "x", "token": "y"} Authorization: Bearer abc123def456`,
		"https://bob:pw@example.com/p?token=a&email=jane%40example.com#access_token=b",
		"电话13812345678 邮箱 jane@example.com",
		"000 +00000 17000000000",
		"0000 4111 1111 1111 1111 0.0.0.0",
		"000 0::00.0.0.0",
		"0.0.0.00::0",
		"0.0.0.0/0.0.0.0",
		"+00000000)0.0.0.0",
		"4111 1111 1111 1111-0.0.0.0",
		"+00000000::",
		"::0.%0.0.0.0",
		"::0.:0.0.0.0",
		"::0:::1",
		"::0%0::00",
		"A-0.0.0.0/0.0.0.0",
		"4111 1111 1111 11113::0",
		"sig:0000!::0",
		"token: 11111111111111111111::1",
		"X:0.0.0.0.::0",
		"0::X@0.AA",
	} {
		f.Add(seed)
	}
	s := mustNew(f, Options{})
	f.Fuzz(func(t *testing.T, in string) {
		for name, fn := range map[string]func(string) string{
			"Text":   s.Text,
			"URL":    s.URL,
			"Header": func(v string) string { return s.Header("X-Forwarded-For", v) },
		} {
			out := fn(in)
			if utf8.ValidString(in) && !utf8.ValidString(out) {
				t.Fatalf("%s(%q) = %q: invalid UTF-8", name, in, out)
			}
			if name == "Text" {
				if again := fn(out); again != out {
					t.Fatalf("Text is not idempotent:\n in   %q\n once %q\n twice %q", in, out, again)
				}
			}
			if strings.Contains(in, "[redacted]") && !strings.Contains(out, "[redacted]") {
				t.Fatalf("%s(%q) = %q lost a marker", name, in, out)
			}
		}
	})
}
