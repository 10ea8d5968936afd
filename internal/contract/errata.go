package contract

import (
	"github.com/getkin/kin-openapi/openapi3"
)

// An erratum corrects a vendor document where the vendor's own examples
// and servers contradict it. Each one says what is wrong and why we know;
// nothing else in a vendor document is changed.
type erratum struct {
	what string
	fix  func(doc *openapi3.T) bool // false when the document no longer has the flaw
}

// jiraErrata are the corrections to Atlassian's Jira Cloud spec.
var jiraErrata = []erratum{{
	// GET /rest/api/3/issue/{issueIdOrKey}/remotelink documents its 200 as
	// one RemoteIssueLink, but without globalId Jira answers a list: the
	// spec's own example for that operation is an array, and go-atlassian's
	// RemoteLinkService.Gets decodes a slice. With globalId it is one
	// object. Either shape is accepted.
	what: "GET /rest/api/3/issue/{issueIdOrKey}/remotelink answers a list without globalId",
	fix: func(doc *openapi3.T) bool {
		item := doc.Paths.Value("/rest/api/3/issue/{issueIdOrKey}/remotelink")
		if item == nil || item.Get == nil {
			return false
		}
		res := item.Get.Responses.Status(200)
		if res == nil || res.Value == nil || res.Value.Content["application/json"] == nil {
			return false
		}
		media := res.Value.Content["application/json"]
		one := media.Schema
		if one == nil || one.Value == nil || one.Value.Type.Is("array") {
			return false
		}
		media.Schema = &openapi3.SchemaRef{Value: &openapi3.Schema{OneOf: openapi3.SchemaRefs{
			one,
			{Value: &openapi3.Schema{Type: &openapi3.Types{"array"}, Items: one}},
		}}}
		return true
	},
}}

// applyErrata corrects doc and returns the errata that no longer apply, so
// a test notices when the vendor fixes its document.
func applyErrata(doc *openapi3.T, errata []erratum) (stale []string) {
	for _, e := range errata {
		if !e.fix(doc) {
			stale = append(stale, e.what)
		}
	}
	return stale
}
