package contract

import (
	"slices"

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

// sentryIssuePath is the issue detail endpoint, read and updated by
// fixproof.
const sentryIssuePath = "/api/0/organizations/{organization_id_or_slug}/issues/{issue_id}/"

// sentryErrata are the corrections to Sentry's published document. The
// generator (drf-spectacular) lists every field of a Django REST
// Framework serializer as required unless the field says required=False;
// Sentry validates "Update an Issue" with partial=True (validate_request
// in src/sentry/api/helpers/group_index/update.py), which makes no field
// required. The operation's own description says so: "Only the attributes
// submitted are modified." Only these lists are removed: inCommit's
// {commit, repository} stays required, as Sentry refuses an inCommit
// without either ({"repository": ["Unable to find the given
// repository."]}, InCommitValidator.validate).
var sentryErrata = []erratum{{
	what: "PUT " + sentryIssuePath + " lists all twelve body fields as required",
	fix: func(doc *openapi3.T) bool {
		body := sentryIssueUpdateBody(doc)
		if body == nil || len(body.Required) == 0 {
			return false
		}
		body.Required = nil
		return true
	},
}, {
	// statusDetails' fields are alternatives (resolve in a release, in a
	// commit, ignore for a while, ...), all listed as required.
	what: "PUT " + sentryIssuePath + " lists every statusDetails field as required",
	fix: func(doc *openapi3.T) bool {
		body := sentryIssueUpdateBody(doc)
		if body == nil || body.Properties["statusDetails"] == nil || body.Properties["statusDetails"].Value == nil {
			return false
		}
		details := body.Properties["statusDetails"].Value
		fixed := false
		for _, s := range append(openapi3.SchemaRefs{{Value: details}}, details.AllOf...) {
			if s.Value != nil && len(s.Value.Required) > 0 {
				s.Value.Required, fixed = nil, true
			}
		}
		return fixed
	},
}, {
	// The issue list's items (StreamGroupSerializerSnuba in
	// src/sentry/api/serializers/models/group_stream.py) carry these
	// fields only when the request asks for them with expand (inbox,
	// owners, sessions, integrationIssues, sentryAppIssues,
	// latestEventHasAttachments; derivedData is the same for Seer's
	// expand), or when the search matched an event id (matchingEventId,
	// matchingEventEnvironment); the document lists them all as required.
	// Only these are made optional: every other field stays required.
	what: "GET " + sentryIssueListPath + " lists its expand-only item fields as required",
	fix: func(doc *openapi3.T) bool {
		item := sentryIssueListItem(doc)
		if item == nil {
			return false
		}
		n := len(item.Required)
		item.Required = slices.DeleteFunc(item.Required, func(f string) bool { return slices.Contains(sentryExpandOnly, f) })
		return len(item.Required) == n-len(sentryExpandOnly)
	},
}}

// sentryIssueListPath is the organization's issue list.
const sentryIssueListPath = "/api/0/organizations/{organization_id_or_slug}/issues/"

// sentryExpandOnly are the issue list's item fields Sentry sends only when
// asked for.
var sentryExpandOnly = []string{
	"inbox", "owners", "sessionCount", "integrationIssues", "sentryAppIssues",
	"latestEventHasAttachments", "derivedData", "matchingEventId", "matchingEventEnvironment",
}

// sentryIssueListItem is the item schema of the issue list's answer, or nil.
func sentryIssueListItem(doc *openapi3.T) *openapi3.Schema {
	item := doc.Paths.Value(sentryIssueListPath)
	if item == nil || item.Get == nil {
		return nil
	}
	ok := item.Get.Responses.Status(200)
	if ok == nil || ok.Value == nil || ok.Value.Content["application/json"] == nil {
		return nil
	}
	list := ok.Value.Content["application/json"].Schema
	if list == nil || list.Value == nil || list.Value.Items == nil {
		return nil
	}
	return list.Value.Items.Value
}

// sentryIssueUpdateBody is the JSON body schema of "Update an Issue", or
// nil.
func sentryIssueUpdateBody(doc *openapi3.T) *openapi3.Schema {
	item := doc.Paths.Value(sentryIssuePath)
	if item == nil || item.Put == nil || item.Put.RequestBody == nil || item.Put.RequestBody.Value == nil {
		return nil
	}
	media := item.Put.RequestBody.Value.Content["application/json"]
	if media == nil || media.Schema == nil {
		return nil
	}
	return media.Schema.Value
}

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

// gitHubErrata are the corrections to GitHub's REST description.
var gitHubErrata = []erratum{{
	// GET /app/installations writes each installation's account inline as
	// allOf [Simple User, Enterprise], which no account satisfies: a user
	// or organization has no slug, an enterprise no login. The
	// description's own component (components/schemas/installation) says
	// anyOf, and the operation's own example (base-installation-items, a
	// user account) fails the allOf. The inline schema gets the
	// component's anyOf.
	what: "GET /app/installations: the account of an installation is allOf [simple-user, enterprise]",
	fix: func(doc *openapi3.T) bool {
		item := doc.Paths.Value("/app/installations")
		if item == nil || item.Get == nil {
			return false
		}
		ok := item.Get.Responses.Status(200)
		if ok == nil || ok.Value == nil || ok.Value.Content["application/json"] == nil {
			return false
		}
		list := ok.Value.Content["application/json"].Schema
		if list == nil || list.Value == nil || list.Value.Items == nil || list.Value.Items.Value == nil {
			return false
		}
		account := list.Value.Items.Value.Properties["account"]
		if account == nil || account.Value == nil || len(account.Value.AllOf) != 2 {
			return false
		}
		account.Value.AnyOf, account.Value.AllOf = account.Value.AllOf, nil
		return true
	},
}}
