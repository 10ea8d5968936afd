package jirakey

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

type extractTest struct {
	in   string
	want []string
}

// testExtract runs extract, one of the Extractor methods named method, on
// each test. nil and empty results are equal: callers only range over them.
func testExtract(t *testing.T, method string, extract func(string) []string, tests []extractTest) {
	t.Helper()
	for _, tt := range tests {
		if got := extract(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("%s(%q) = %q, want %q", method, tt.in, got, tt.want)
		}
	}
}

func keys(k ...string) []string { return k }

// The tables are package variables so that FuzzFind can seed from them.

var shapeTests = []extractTest{
	{"OPS-1", keys("OPS-1")},
	{"Fix login for OPS-123", keys("OPS-123")},
	{"AB-1", keys("AB-1")},
	{"ABCDEFGHIJ-1", keys("ABCDEFGHIJ-1")},
	{"O2P_X-5", keys("O2P_X-5")},
	{"OPS1-2", keys("OPS1-2")},
	{"OPS-123456789", keys("OPS-123456789")},
	{"OPS-10", keys("OPS-10")},
	{"A-1", nil},              // project too short
	{"ABCDEFGHIJK-1", nil},    // project too long
	{"1OPS-1", nil},           // project starts with a digit
	{"_OPS-1", nil},           // project starts with an underscore
	{"OPS-0", nil},            // no issue 0
	{"OPS-012", nil},          // leading zero
	{"OPS-1234567890", nil},   // number too long
	{"OPS-", nil},             // no number
	{"OPS", nil},              // no hyphen
	{"OPS_1", nil},            // underscore instead of hyphen
	{"OPS - 1", nil},          // spaces around the hyphen
	{"OPS\u20131", nil},       // en dash
	{"OPS--1", nil},           // two hyphens
	{"O\u00c9S-1", nil},       // non-ASCII letter in project
	{"OPS-\u0661\u0662", nil}, // non-ASCII digits
}

// Every method agrees on what a key looks like.
func TestKeyIsProjectHyphenNumber(t *testing.T) {
	var e Extractor
	testExtract(t, "Text", e.Text, shapeTests)
	testExtract(t, "Branch", e.Branch, shapeTests)
	testExtract(t, "Body", e.Body, shapeTests)
}

var upperCaseTests = []extractTest{
	{"OPS-1", keys("OPS-1")},
	{"ops-123", nil},
	{"Ops-123", nil},
	{"oPS-1", nil},
	{"OPs-1", nil},
	{"OPS-1 and ops-2 and Web-3", keys("OPS-1")},
	{"bump covid-19 dashboard", nil},
}

func TestTextCountsOnlyUpperCaseKeys(t *testing.T) {
	testExtract(t, "Text", Extractor{}.Text, upperCaseTests)
}

func TestBodyCountsOnlyUpperCaseKeysOutsideJiraLinks(t *testing.T) {
	testExtract(t, "Body", Extractor{}.Body, upperCaseTests)
}

var branchTests = []extractTest{
	{"feature/ops-123-fix", keys("OPS-123")},
	{"bugfix/Web-9", keys("WEB-9")},
	{"OPS-7", keys("OPS-7")},
	{"ops-1/ops-2", keys("OPS-1", "OPS-2")},
	{"ops-1-and-OPS-1-again", keys("OPS-1")},
	{"refs/heads/data_2-17-retry", keys("DATA_2-17")},
	{"OPS-7_cleanup", nil}, // the underscore makes 7_cleanup one word
	{"ops-12a", nil},
	{"fix/go-1.26", nil},
	{"renovate/node-20.x", nil},
	{"release/1.2", nil},
	{"main", nil},
	{"dependabot/npm_and_yarn/lodash-4.17.21", nil},
}

func TestBranchIsCaseInsensitive(t *testing.T) {
	testExtract(t, "Branch", Extractor{}.Branch, branchTests)
}

var boundaryTests = []extractTest{
	{"XOPS-1", keys("XOPS-1")},
	{"1OPS-1", nil},
	{"_OPS-1", nil},
	{"\u00e9OPS-1", nil}, // a letter in another script is still a letter
	{"OPS-1\u00e9", nil},
	{"OPS-12a", nil},
	{"OPS-12_", nil},
	{"OPS-12_x", nil},
	{"OPS-1\u0663", nil}, // a digit in another script is still a digit
	{"OPS-12.", keys("OPS-12")},
	{"Fixes OPS-12.", keys("OPS-12")},
	{"Fixes OPS-12.\nNext", keys("OPS-12")},
	{"OPS-12...", keys("OPS-12")},
	{"OPS-1-2", keys("OPS-1")}, // a hyphen after the number ends the key
	{"x-OPS-1", keys("OPS-1")},
	{"path/OPS-1", keys("OPS-1")},
	{"\u00abOPS-1\u00bb", keys("OPS-1")},
}

func TestKeyMustStandAlone(t *testing.T) {
	var e Extractor
	testExtract(t, "Text", e.Text, boundaryTests)
	testExtract(t, "Branch", e.Branch, boundaryTests)
}

func TestAllowedProjectInsideLongerWordIsNotKey(t *testing.T) {
	e := Extractor{Projects: []string{"OPS"}}
	testExtract(t, "Text", e.Text, []extractTest{
		{"XOPS-1", nil},
		{"X_OPS-1", nil},
		{"X-OPS-1", keys("OPS-1")},
	})
}

var punctuationTests = []extractTest{
	{"(OPS-1)", keys("OPS-1")},
	{"[OPS-1]", keys("OPS-1")},
	{"OPS-1:", keys("OPS-1")},
	{"OPS-1: fix login", keys("OPS-1")},
	{`"OPS-1"`, keys("OPS-1")},
	{"'OPS-1'", keys("OPS-1")},
	{"#OPS-1", keys("OPS-1")},
	{"OPS-1,OPS-2", keys("OPS-1", "OPS-2")},
	{"OPS-1;OPS-2", keys("OPS-1", "OPS-2")},
	{"OPS-1/OPS-2", keys("OPS-1", "OPS-2")},
	{"OPS-1!", keys("OPS-1")},
	{"OPS-1?", keys("OPS-1")},
	{"*OPS-1*", keys("OPS-1")},
	{"`OPS-1`", keys("OPS-1")},
	{"{OPS-1}", keys("OPS-1")},
	{"<OPS-1>", keys("OPS-1")},
	{"OPS-1\tWEB-2\r\n", keys("OPS-1", "WEB-2")},
}

func TestPunctuationAroundKeysIsFine(t *testing.T) {
	var e Extractor
	testExtract(t, "Text", e.Text, punctuationTests)
	testExtract(t, "Branch", e.Branch, punctuationTests)
	testExtract(t, "Body", e.Body, punctuationTests)
}

var versionTests = []extractTest{
	{"TLS-1.3", nil},
	{"PY-3.11", nil},
	{"GO-1.26", nil},
	{"NODE-20.11.1", nil},
	{"NODE-20.x", nil},
	{"NODE-20.X", nil},
	{"requires GO-1.26 or later", nil},
	{"OPS-12.", keys("OPS-12")},
	{"OPS-12.x86", keys("OPS-12")}, // only a lone x is a version wildcard
	{"see OPS-12.Then", keys("OPS-12")},
}

// Versions look like keys; a dot followed by a digit (or the wildcard x)
// gives them away, whatever the allow-list says.
func TestVersionsAreNotKeys(t *testing.T) {
	var e Extractor
	testExtract(t, "Text", e.Text, versionTests)
	allowed := Extractor{Projects: []string{"TLS", "PY", "GO", "NODE", "OPS"}}
	testExtract(t, "Text", allowed.Text, versionTests)
	testExtract(t, "Branch", allowed.Branch, []extractTest{
		{"fix/go-1.26", nil},
		{"renovate/node-20.x", nil},
		{"renovate/node-20.x-lts", nil},
	})
}

var standardTests = []extractTest{
	{"UTF-8", nil},
	{"UTF-16", nil},
	{"ISO-8601", nil},
	{"SHA-256", nil},
	{"SHA-1", nil},
	{"RFC-2119", nil},
	{"CVE-2024-1234", nil}, // neither CVE-2024 nor anything from 2024-1234
	{"CWE-79", nil},
	{"TLS-1.3", nil},
	{"SSL-3", nil},
	{"PSR-18", nil},
	{"PEP-8", nil},
	{"ECMA-262", nil},
	{"IEEE-754", nil},
	{"GPL-3", nil},
	{"LGPL-2", nil},
	{"AGPL-3", nil},
	{"MD-5", nil},
	{"AES-256", nil},
	{"RSA-2048", nil},
	{"HTTP-2", nil},
	{"HTTPS-1", nil},
	{"UUID-4", nil},
	{"WCAG-21", nil},
	{"GHSA-1", nil},
	{"ES-2015", nil},
	{"EN-301549", nil},
	{"IEC-62304", nil},
	{"X-1", nil},
	{"2024-11-21", nil},
	{"2024-11-21T10:00:00Z", nil},
	{"Store timestamps as ISO-8601 in UTF-8 for OPS-5", keys("OPS-5")},
	{"Implements RFC-7231; closes OPS-5, WEB-6", keys("OPS-5", "WEB-6")},
}

func TestStandardsAreNotKeys(t *testing.T) {
	var e Extractor
	testExtract(t, "Text", e.Text, standardTests)
	testExtract(t, "Body", e.Body, standardTests)
	testExtract(t, "Branch", e.Branch, standardTests)
}

var standardBranchTests = []extractTest{
	{"sha-1", nil},
	{"fix/sha-256-checksums", nil},
	{"fix/iso-8601-dates", nil},
	{"fix/utf-8-ops-12", keys("OPS-12")},
	{"chore/x86-64-build", nil},
	{"fix/latin-1-decoding", nil},
}

func TestStandardsInBranchesAreNotKeys(t *testing.T) {
	testExtract(t, "Branch", Extractor{}.Branch, standardBranchTests)
}

func TestDenyListEntriesAreProjectKeys(t *testing.T) {
	for p := range denyList {
		if !validProject(p, false) {
			t.Errorf("deny-list entry %q is not an upper-case project key, so it never matches", p)
		}
	}
}

func TestAllowListOverridesDenyList(t *testing.T) {
	e := Extractor{Projects: []string{"SHA", "OPS"}}
	testExtract(t, "Text", e.Text, []extractTest{
		{"SHA-256 and SHA-1 for OPS-3", keys("SHA-256", "SHA-1", "OPS-3")},
		{"UTF-8 ISO-8601", nil},
	})
	testExtract(t, "Branch", e.Branch, []extractTest{
		{"fix/sha-12", keys("SHA-12")},
	})
	testExtract(t, "Body", e.Body, []extractTest{
		{"Fixes SHA-12", keys("SHA-12")},
	})
}

func TestAllowListDropsOtherProjects(t *testing.T) {
	e := Extractor{Projects: []string{"OPS", "WEB"}}
	testExtract(t, "Text", e.Text, []extractTest{
		{"OPS-1 DATA-2 WEB-3", keys("OPS-1", "WEB-3")},
		{"DATA-2", nil},
		{"OPSX-1", nil},
	})
	testExtract(t, "Branch", e.Branch, []extractTest{
		{"data-2/ops-1", keys("OPS-1")},
	})
	testExtract(t, "Body", e.Body, []extractTest{
		{"DATA-2 https://acme.atlassian.net/browse/data-3 https://acme.atlassian.net/browse/web-4",
			keys("WEB-4")},
		// The allow-list applies in links too, deny-listed or not.
		{"https://acme.atlassian.net/browse/SHA-1", nil},
	})
}

// Projects is documented as upper case, but a lower-case entry written by
// hand should not silently match nothing.
func TestAllowListIgnoresCase(t *testing.T) {
	e := Extractor{Projects: []string{"ops"}}
	testExtract(t, "Text", e.Text, []extractTest{{"OPS-1", keys("OPS-1")}})
	// Only ASCII case: the Kelvin sign is not a K.
	e = Extractor{Projects: []string{"\u212aEY"}}
	testExtract(t, "Text", e.Text, []extractTest{{"KEY-1", nil}})
}

var fenceTests = []extractTest{
	{"```\nOPS-1\n```\nOPS-2", keys("OPS-2")},
	{"~~~\nOPS-1\n~~~\nOPS-2", keys("OPS-2")},
	{"OPS-1\n```\nOPS-2\n```\nOPS-3", keys("OPS-1", "OPS-3")},
	{"   ```go\nOPS-1\n```\nOPS-2", keys("OPS-2")},        // indented up to three spaces, info string
	{"```\nOPS-1\n   ```\nOPS-2", keys("OPS-2")},          // closing fence indented
	{"``` OPS-1\nOPS-2\n```", nil},                        // the info string is part of the fence
	{"~~~ ```OPS-1```\nOPS-2\n~~~\nOPS-3", keys("OPS-3")}, // a tilde fence's info string may hold backticks
	{"````\n```\nOPS-1\n````\nOPS-2", keys("OPS-2")},      // a shorter fence does not close
	{"```\nOPS-1\n`````\nOPS-2", keys("OPS-2")},           // a longer one does
	{"```\nOPS-1\n~~~\nOPS-2\n```\nOPS-3", keys("OPS-3")}, // nor does the other character
	{"```\nOPS-1\n``` x\nOPS-2\n```\nOPS-3", keys("OPS-3")},
	{"```\nOPS-1", nil},                               // an unclosed fence runs to the end
	{"```\r\nOPS-1\r\n```\r\nOPS-2", keys("OPS-2")},   // CRLF line endings
	{"```\nOPS-1\n```  \t\nOPS-2", keys("OPS-2")},     // trailing white space on the closing fence
	{"    ```\nOPS-1", keys("OPS-1")},                 // four spaces is not a fence
	{"``\nOPS-1\n``", keys("OPS-1")},                  // two backticks are not a fence
	{"text ```\nOPS-1\n```\nOPS-2", keys("OPS-1")},    // a fence must start its line
	{"```OPS-1``` and OPS-2", keys("OPS-1", "OPS-2")}, // inline code, not a fence
	{"Use `OPS-1` as the example", keys("OPS-1")},     // inline code counts
	{"```\n<!--\n```\nOPS-1", keys("OPS-1")},          // a comment opener in code is code
}

func TestFencedCodeIsIgnored(t *testing.T) {
	testExtract(t, "Body", Extractor{}.Body, fenceTests)
}

var commentTests = []extractTest{
	{"<!-- OPS-1 -->OPS-2", keys("OPS-2")},
	{"<!--\nOPS-1\n-->\nOPS-2", keys("OPS-2")},
	{"<!-- OPS-1", nil}, // an unclosed comment runs to the end
	{"OPS-1 <!-- OPS-2 --> OPS-3 <!-- OPS-4 --> OPS-5", keys("OPS-1", "OPS-3", "OPS-5")},
	{"<!---->OPS-1", keys("OPS-1")},
	{"<!--\n```\n-->\nOPS-1", keys("OPS-1")}, // a fence in a comment is comment
	{"<!-- Reference the Jira issue, e.g. ABC-123 -->\nFixes OPS-7", keys("OPS-7")},
	{"OPS<!-- x -->-1", nil},
	{"-->OPS-1", keys("OPS-1")},
}

func TestHTMLCommentsAreIgnored(t *testing.T) {
	testExtract(t, "Body", Extractor{}.Body, commentTests)
}

var linkTests = []extractTest{
	{"https://acme.atlassian.net/browse/OPS-123", keys("OPS-123")},
	{"https://acme.atlassian.net/browse/ops-123", keys("OPS-123")},
	{"https://jira.example.com/projects/OPS/issues/OPS-5", keys("OPS-5")},
	{"https://jira.example.com/projects/ops/issues/ops-5", keys("OPS-5")},
	{"https://acme.atlassian.net/jira/software/projects/OPS/boards/1?selectedIssue=OPS-9", keys("OPS-9")},
	{"https://acme.atlassian.net/jira/software/projects/OPS/boards/1?selectedIssue=ops-9", keys("OPS-9")},
	{"[the ticket](https://acme.atlassian.net/browse/ops-4)", keys("OPS-4")},
	{"<https://acme.atlassian.net/browse/ops-4>", keys("OPS-4")},
	{"https://acme.atlassian.net/browse/ops-4?focusedCommentId=1", keys("OPS-4")},
	{"https://acme.atlassian.net/BROWSE/ops-4", keys("OPS-4")},
	{"https://acme.atlassian.net/browse/SHA-1", keys("SHA-1")}, // the link says it is an issue
	{"https://acme.atlassian.net/browse/ops-4x", nil},
	{"https://acme.atlassian.net/browse/ops-1.2", nil},
	{"https://acme.atlassian.net/browse/xyzzy", nil},
	{"https://github.com/acme/app/issues/12", nil},
	{"https://example.com/issues/ops-4", nil},
	{"https://example.com/x/ops/issues/ops-4", nil},
	{"https://example.com/docs/ops-4", nil},
	{"https://example.com/browse-ops-4", nil},
	{"https://example.com/sha-256/browse", nil},
	{"```\nhttps://acme.atlassian.net/browse/OPS-1\n```", nil},
	{"<!-- https://acme.atlassian.net/browse/OPS-1 -->", nil},
}

func TestJiraLinksInBodyCount(t *testing.T) {
	testExtract(t, "Body", Extractor{}.Body, linkTests)
}

func TestJiraLinksInTextAreReadAsText(t *testing.T) {
	testExtract(t, "Text", Extractor{}.Text, []extractTest{
		{"https://acme.atlassian.net/browse/OPS-123", keys("OPS-123")},
		{"https://acme.atlassian.net/browse/ops-123", nil},
	})
}

func TestResultsAreUniqueInOrderOfFirstAppearance(t *testing.T) {
	var e Extractor
	tests := []extractTest{{"WEB-2 OPS-1 WEB-2 OPS-1 DATA-3", keys("WEB-2", "OPS-1", "DATA-3")}}
	testExtract(t, "Text", e.Text, tests)
	testExtract(t, "Body", e.Body, tests)
	testExtract(t, "Branch", e.Branch, []extractTest{{"web-2/ops-1/WEB-2", keys("WEB-2", "OPS-1")}})
	testExtract(t, "Body", e.Body, []extractTest{
		{"OPS-1 https://acme.atlassian.net/browse/ops-1", keys("OPS-1")},
	})
}

// Extraction is linear: inputs built to trip up a backtracking matcher or a
// scanner that rescans take as long as any other input of their size.
func TestLargeInputs(t *testing.T) {
	const mb = 1 << 20
	many := new(strings.Builder)
	var manyKeys []string
	for i := 1; many.Len() < mb; i++ {
		k := fmt.Sprintf("OPS-%d", i)
		fmt.Fprintf(many, "%s ", k)
		manyKeys = append(manyKeys, k)
	}
	tests := []extractTest{
		{strings.Repeat("A", mb), nil},
		{strings.Repeat("OPS-", mb/4), nil},
		{"OPS-" + strings.Repeat("1", mb), nil},
		{strings.Repeat("OPS-1 ", mb/6), keys("OPS-1")},
		{strings.Repeat("OPS-1.", mb/6), keys("OPS-1")},
		{strings.Repeat("\u00e9", mb/2), nil},
		{strings.Repeat("/browse/", mb/8), nil},
		{strings.Repeat("/projects/OPS/issues/", mb/21), nil},
		{many.String(), manyKeys},
	}
	var e Extractor
	testExtract(t, "Text", e.Text, tests)
	testExtract(t, "Branch", e.Branch, tests)
	testExtract(t, "Body", e.Body, tests)
	testExtract(t, "Body", e.Body, []extractTest{
		{strings.Repeat("<!--", mb/4), nil},
		{strings.Repeat("<!---->", mb/7) + "OPS-1", keys("OPS-1")},
		{strings.Repeat("-->", mb/3) + "OPS-1", keys("OPS-1")},
		{strings.Repeat("```\n", mb/4) + "OPS-1", keys("OPS-1")},
		{strings.Repeat("`", mb) + "\nOPS-1", nil},
		{strings.Repeat("\n", mb) + "OPS-1", keys("OPS-1")},
		{"```\n" + strings.Repeat("OPS-1\n", mb/6), nil},
	})
}

func TestValid(t *testing.T) {
	tests := []struct {
		key  string
		want bool
	}{
		{"OPS-1", true},
		{"OPS-123456789", true},
		{"AB-1", true},
		{"ABCDEFGHIJ-1", true},
		{"O2P_X-5", true},
		{"SHA-256", true}, // the deny-list is about text, not form
		{"", false},
		{"OPS", false},
		{"OPS-", false},
		{"-1", false},
		{"ops-1", false},
		{"Ops-1", false},
		{"A-1", false},
		{"ABCDEFGHIJK-1", false},
		{"1OPS-1", false},
		{"_OPS-1", false},
		{"OPS-0", false},
		{"OPS-01", false},
		{"OPS-1234567890", false},
		{"OPS-1a", false},
		{"OPS-1.2", false},
		{"OPS-1-2", false},
		{" OPS-1", false},
		{"OPS-1 ", false},
		{"OPS-+1", false},
	}
	for _, tt := range tests {
		if got := Valid(tt.key); got != tt.want {
			t.Errorf("Valid(%q) = %v, want %v", tt.key, got, tt.want)
		}
	}
}

func TestProject(t *testing.T) {
	tests := []struct{ key, want string }{
		{"OPS-12", "OPS"},
		{"O2P_X-5", "O2P_X"},
		{"SHA-1", "SHA"},
		{"ops-12", ""},
		{"OPS", ""},
		{"OPS-012", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := Project(tt.key); got != tt.want {
			t.Errorf("Project(%q) = %q, want %q", tt.key, got, tt.want)
		}
	}
}

func TestParseProjects(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"OPS,WEB", keys("OPS", "WEB")},
		{"ops web", keys("OPS", "WEB")},
		{"OPS, WEB\n", keys("OPS", "WEB")},
		{"\tOPS\r\n\nWEB ,, DATA_2", keys("OPS", "WEB", "DATA_2")},
		{"OPS,ops,Ops", keys("OPS")},
		{"WEB OPS WEB", keys("WEB", "OPS")},
		{"SHA", keys("SHA")},
		{"", nil},
		{" , \n", nil},
	}
	for _, tt := range tests {
		got, err := ParseProjects(tt.in)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("ParseProjects(%q) = %q, %v; want %q, nil", tt.in, got, err, tt.want)
		}
	}
}

func TestParseProjectsNamesTheEntryThatIsNotAProjectKey(t *testing.T) {
	tests := []struct{ in, entry string }{
		{"OPS,OPS-1", "OPS-1"},
		{"O", "O"},
		{"OPS 1OPS", "1OPS"},
		{"_OPS", "_OPS"},
		{"ABCDEFGHIJK", "ABCDEFGHIJK"},
		{"\u00d6PS", "\u00d6PS"},
		{"OPS;WEB", "OPS;WEB"},
	}
	for _, tt := range tests {
		got, err := ParseProjects(tt.in)
		prefix := fmt.Sprintf("%q is not a Jira project key: ", tt.entry)
		if err == nil || !strings.HasPrefix(err.Error(), prefix) || len(err.Error()) == len(prefix) {
			t.Errorf("ParseProjects(%q) = %q, %v; want error starting %q and saying why", tt.in, got, err, prefix)
		}
		if got != nil {
			t.Errorf("ParseProjects(%q) returned %q with its error, want nil", tt.in, got)
		}
	}
}
