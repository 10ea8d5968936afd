package jirakey_test

import (
	"fmt"

	"github.com/fixproof/fixproof/internal/jirakey"
	"github.com/fixproof/fixproof/internal/uniq"
)

func Example() {
	var e jirakey.Extractor
	keys := uniq.Concat(
		e.Text("OPS-12: store dates as ISO-8601"),
		e.Branch("feature/ops-12-web-7-dates"),
		e.Body("Also fixes https://acme.atlassian.net/browse/ops-3.\n<!-- e.g. ABC-123 -->"),
	)
	fmt.Println(keys)
	// Output: [OPS-12 WEB-7 OPS-3]
}

func ExampleExtractor_Body() {
	e := jirakey.Extractor{Projects: []string{"OPS"}}
	fmt.Println(e.Body("Fixes OPS-1 and WEB-2.\n\n```\nOPS-3 in a log\n```\n"))
	// Output: [OPS-1]
}

func ExampleParseProjects() {
	projects, err := jirakey.ParseProjects("ops, WEB\nsha")
	fmt.Println(projects, err)
	_, err = jirakey.ParseProjects("OPS, OPS-1")
	fmt.Println(err)
	// Output:
	// [OPS WEB SHA] <nil>
	// "OPS-1" is not a Jira project key: it may contain only letters A to Z, digits and underscores
}
