package jirakey

import (
	"slices"
	"strings"
	"testing"

	"github.com/fixproof/fixproof/internal/uniq"
)

func FuzzFind(f *testing.F) {
	tables := [][]extractTest{
		shapeTests, upperCaseTests, branchTests, boundaryTests, punctuationTests,
		versionTests, standardTests, standardBranchTests, fenceTests, commentTests, linkTests,
	}
	for _, tests := range tables {
		for _, tt := range tests {
			f.Add(tt.in)
		}
	}
	f.Add("")
	f.Add("<!-- OPS-1 --> ```\nWEB-2\n``` https://x/projects/sha/issues/sha-3?selectedIssue=ops-4")

	allowList := []string{"OPS", "WEB", "SHA"}
	extractors := []Extractor{{}, {Projects: allowList}}
	f.Fuzz(func(t *testing.T, s string) {
		upper := strings.ToUpper(s)
		for _, e := range extractors {
			results := []struct {
				method string
				keys   []string
			}{
				{"Text", e.Text(s)},
				{"Branch", e.Branch(s)},
				{"Body", e.Body(s)},
			}
			for _, r := range results {
				for i, k := range r.keys {
					if !Valid(k) {
						t.Errorf("%s(%q) returned invalid key %q", r.method, s, k)
					}
					if slices.Contains(r.keys[:i], k) {
						t.Errorf("%s(%q) returned %q twice: %q", r.method, s, k, r.keys)
					}
					if !strings.Contains(upper, k) {
						t.Errorf("%s(%q) returned %q, which is not in the input", r.method, s, k)
					}
					if len(e.Projects) > 0 && !slices.Contains(e.Projects, Project(k)) {
						t.Errorf("%s(%q) returned %q, whose project is not in %q", r.method, s, k, e.Projects)
					}
				}
				if m := uniq.Concat(r.keys, r.keys); !slices.Equal(m, r.keys) {
					t.Errorf("Merge of %q with itself = %q", r.keys, m)
				}
			}

			// Branch differs from Text only in accepting lower case.
			text, branch := results[0].keys, results[1].keys
			for _, k := range text {
				if !slices.Contains(branch, k) {
					t.Errorf("Text(%q) found %q but Branch did not", s, k)
				}
			}
			// Body differs from Text only in Markdown syntax and links.
			if !strings.ContainsAny(s, "`~<=/") && !slices.Equal(results[2].keys, text) {
				t.Errorf("Body(%q) = %q, Text = %q; want the same for plain text", s, results[2].keys, text)
			}
		}
	})
}
