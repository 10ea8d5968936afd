package sentry

import (
	"reflect"
	"strings"
	"testing"
)

// sentryLink is a Link header as sentry.io sends it.
const sentryLink = `<https://sentry.io/api/0/organizations/acme/issues/1/comments/?&cursor=0:0:1>; rel="previous"; results="false"; cursor="0:0:1", ` +
	`<https://sentry.io/api/0/organizations/acme/issues/1/comments/?&cursor=0:100:0>; rel="next"; results="true"; cursor="0:100:0"`

func TestParseLinks(t *testing.T) {
	for name, c := range map[string]struct {
		header string
		want   []link
	}{
		"sentry": {sentryLink, []link{
			{URL: "https://sentry.io/api/0/organizations/acme/issues/1/comments/?&cursor=0:0:1", Params: map[string]string{"rel": "previous", "results": "false", "cursor": "0:0:1"}},
			{URL: "https://sentry.io/api/0/organizations/acme/issues/1/comments/?&cursor=0:100:0", Params: map[string]string{"rel": "next", "results": "true", "cursor": "0:100:0"}},
		}},
		"empty":           {"", nil},
		"blank":           {"  ,, ", nil},
		"bare token":      {`<a>; rel=next; results=true`, []link{{URL: "a", Params: map[string]string{"rel": "next", "results": "true"}}}},
		"case and spaces": {`< a >;REL = "Next" ;  Results="TRUE"`, []link{{URL: "a", Params: map[string]string{"rel": "Next", "results": "TRUE"}}}},
		"comma in URL and quotes": {`<https://x/?a=1,2>; title="a, b; c", <b>; rel="next"`, []link{
			{URL: "https://x/?a=1,2", Params: map[string]string{"title": "a, b; c"}},
			{URL: "b", Params: map[string]string{"rel": "next"}},
		}},
		"escaped quote":  {`<a>; title="say \"hi\""; rel="next"`, []link{{URL: "a", Params: map[string]string{"title": `say "hi"`, "rel": "next"}}}},
		"first rel wins": {`<a>; rel="next"; rel="prev"`, []link{{URL: "a", Params: map[string]string{"rel": "next"}}}},
		"unterminated URL": {`<a>; rel="prev", <b; rel="next"`, []link{
			{URL: "a", Params: map[string]string{"rel": "prev"}},
			{URL: "b; rel=\"next\"", Params: map[string]string{}},
		}},
		"quote spanning entries":    {`<a>; rel="next, <b>; rel="prev"`, []link{{URL: "a", Params: map[string]string{"rel": `next, <b>; rel=`, "prev": ""}}}},
		"unterminated quote":        {`<a>; rel="next, <b>; rel=prev`, []link{{URL: "a", Params: map[string]string{"rel": `next, <b>; rel=prev`}}}},
		"junk entry skipped":        {`garbage; rel="next", <b>; rel="next"`, []link{{URL: "b", Params: map[string]string{"rel": "next"}}}},
		"junk with comma in quotes": {`garbage "x, <c>", <b>`, []link{{URL: "b", Params: map[string]string{}}}},
		"param without value":       {`<a>; crossorigin; rel=next`, []link{{URL: "a", Params: map[string]string{"crossorigin": "", "rel": "next"}}}},
		"stray quotes":              {`<a>; "; ="x"; rel=next`, []link{{URL: "a", Params: map[string]string{"rel": "next"}}}},
		"trailing semicolons":       {`<a>;;;`, []link{{URL: "a", Params: map[string]string{}}}},
		"lone bracket":              {`<`, []link{{URL: "", Params: map[string]string{}}}},
		"backslash at end":          {`<a>; rel="x\`, []link{{URL: "a", Params: map[string]string{"rel": "x"}}}},
	} {
		t.Run(name, func(t *testing.T) {
			got := parseLinks(c.header)
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("parseLinks(%q)\n got %#v\nwant %#v", c.header, got, c.want)
			}
		})
	}
}

func TestNextCursor(t *testing.T) {
	for header, want := range map[string]string{
		sentryLink: "0:100:0",
		strings.Replace(sentryLink, `rel="next"; results="true"`, `rel="next"; results="false"`, 1): "",
		`<https://x/?cursor=5:0:0>; rel="next"; results="true"`:                                     "5:0:0",
		`<https://x/?cursor=5:0:0>; rel="next"`:                                                     "", // Sentry always says results
		`<https://x/>; rel="next"; results="true"`:                                                  "", // nothing to follow
		`<a>; rel="previous"; results="true"; cursor="0:0:1"`:                                       "",
		`<a>; rel="next last"; results="true"; cursor="9:9:0"`:                                      "9:9:0",
		`<a>; rel="nextpage"; results="true"; cursor="9:9:0"`:                                       "",
		"":                                  "",
		`<%zz>; rel="next"; results="true"`: "",
	} {
		got, ok := nextCursor(header)
		if got != want || ok != (want != "") {
			t.Errorf("nextCursor(%q) = %q, %v; want %q", header, got, ok, want)
		}
	}
}

// FuzzParseLinks checks that no header makes the parser panic or hang,
// and that what it finds is consistent. The seeds run with go test.
func FuzzParseLinks(f *testing.F) {
	for _, seed := range []string{
		sentryLink, "", "<", ">", "<>", `<a>; rel="`, `<a>; rel="\`, `<a>; ;=;"`, `"<a>"`, `,<a>,<b>,`,
		`<a>; rel=next; results=true; cursor=1:2:3`, "<a>;\x00=\xff", `garbage "unterminated, <b>`,
		`<a>; rel="next"; rel="next"; results="true"; cursor=""`, strings.Repeat(`<a>; rel="next", `, 50),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, h string) {
		links := parseLinks(h)
		if len(links) > strings.Count(h, "<") {
			t.Errorf("%d links from %d '<'", len(links), strings.Count(h, "<"))
		}
		for _, l := range links {
			if l.Params == nil {
				t.Errorf("nil params")
			}
		}
		if c, ok := nextCursor(h); ok && c == "" {
			t.Errorf("ok without a cursor")
		}
	})
}
