package jirahook

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// The payloads below are written from the shapes Atlassian documents for
// admin webhooks and the REST resources they reuse (Comment, UserDetails,
// IssueBean, Changelog in the Jira Cloud OpenAPI document); the values
// are made up.

const cloudUser = `{
	"self": "https://acme.atlassian.net/rest/api/3/user?accountId=5b10a2844c20165700ede21g",
	"accountId": "5b10a2844c20165700ede21g",
	"avatarUrls": {"48x48": "https://avatar-management.example/48"},
	"displayName": "Mia Krystof",
	"emailAddress": "mia@acme.io",
	"active": true,
	"timeZone": "Australia/Sydney",
	"accountType": "atlassian"
}`

const cloudIssue = `{
	"id": "10002",
	"self": "https://acme.atlassian.net/rest/api/3/issue/10002",
	"key": "OPS-7",
	"fields": {
		"summary": "Checkout fails with KeyError",
		"issuetype": {"self": "https://acme.atlassian.net/rest/api/3/issuetype/10004", "id": "10004", "name": "Bug", "subtask": false},
		"project": {"self": "https://acme.atlassian.net/rest/api/3/project/10000", "id": "10000", "key": "OPS", "name": "Operations", "projectTypeKey": "software"},
		"priority": {"self": "https://acme.atlassian.net/rest/api/3/priority/3", "id": "3", "name": "Medium"},
		"status": {
			"self": "https://acme.atlassian.net/rest/api/3/status/3",
			"description": "",
			"iconUrl": "https://acme.atlassian.net/images/icons/statuses/inprogress.png",
			"name": "In Progress",
			"id": "3",
			"statusCategory": {"self": "https://acme.atlassian.net/rest/api/3/statuscategory/4", "id": 4, "key": "indeterminate", "colorName": "yellow", "name": "In Progress"}
		}
	}
}`

const adfBody = `{"type":"doc","version":1,"content":[{"type":"paragraph","content":[{"type":"text","text":"Deployed the fix "},{"type":"mention","attrs":{"id":"5b10ac8d82e05b22cc7d4ef5","text":"@Fixproof Bot"}}]}]}`

var cloudCommentCreated = `{
	"timestamp": 1717236000123,
	"webhookEvent": "comment_created",
	"comment": {
		"self": "https://acme.atlassian.net/rest/api/3/issue/10002/comment/10100",
		"id": "10100",
		"author": ` + cloudUser + `,
		"body": ` + adfBody + `,
		"updateAuthor": ` + cloudUser + `,
		"created": "2024-06-01T20:00:00.000+1000",
		"updated": "2024-06-01T20:00:00.000+1000",
		"jsdPublic": true
	},
	"issue": ` + cloudIssue + `
}`

const dcUser = `{
	"self": "https://jira.acme.io/rest/api/2/user?username=jsmith",
	"name": "jsmith",
	"key": "JIRAUSER10100",
	"emailAddress": "jsmith@acme.io",
	"avatarUrls": {"48x48": "https://jira.acme.io/secure/useravatar?avatarId=10122"},
	"displayName": "John Smith",
	"active": true,
	"timeZone": "Europe/Berlin"
}`

const dcEditor = `{
	"self": "https://jira.acme.io/rest/api/2/user?username=admin",
	"name": "admin",
	"key": "JIRAUSER10000",
	"displayName": "Jira Admin",
	"active": true,
	"timeZone": "Europe/Berlin"
}`

var dcCommentUpdated = `{
	"timestamp": 1717236999000,
	"webhookEvent": "comment_updated",
	"comment": {
		"self": "https://jira.acme.io/rest/api/2/issue/20010/comment/30001",
		"id": "30001",
		"author": ` + dcUser + `,
		"body": "*Root cause*: missing key in {{cart}}. See [the PR|https://github.com/acme/shop/pull/12]",
		"updateAuthor": ` + dcEditor + `,
		"created": "2024-06-01T12:00:00.000+0200",
		"updated": "2024-06-01T12:16:39.000+0200"
	},
	"issue": {"id": "20010", "self": "https://jira.acme.io/rest/api/2/issue/20010", "key": "SHOP-3", "fields": {"summary": "x"}}
}`

// A comment event without an issue object and without a timestamp: the
// issue id comes from the comment's self URL, the time from the comment.
var dcCommentDeletedBare = `{
	"webhookEvent": "comment_deleted",
	"comment": {
		"self": "https://jira.acme.io/rest/api/2/issue/20010/comment/30002",
		"id": "30002",
		"author": ` + dcUser + `,
		"body": "typo",
		"updateAuthor": ` + dcUser + `,
		"created": "2024-06-01T12:00:00.000+0200",
		"updated": "2024-06-01T12:00:00.000+0200"
	}
}`

var cloudIssueUpdatedStatus = `{
	"timestamp": 1717237000000,
	"webhookEvent": "jira:issue_updated",
	"issue_event_type_name": "issue_generic",
	"user": ` + cloudUser + `,
	"issue": ` + cloudIssue + `,
	"changelog": {
		"id": "10500",
		"items": [
			{"field": "resolution", "fieldtype": "jira", "fieldId": "resolution", "from": null, "fromString": null, "to": null, "toString": null},
			{"field": "status", "fieldtype": "jira", "fieldId": "status", "from": "1", "fromString": "Open", "to": "3", "toString": "In Progress"}
		]
	}
}`

var cloudIssueUpdatedSummary = `{
	"timestamp": 1717237001000,
	"webhookEvent": "jira:issue_updated",
	"issue_event_type_name": "issue_updated",
	"user": ` + cloudUser + `,
	"issue": ` + cloudIssue + `,
	"changelog": {"id": "10501", "items": [{"field": "summary", "fieldtype": "jira", "fieldId": "summary", "from": null, "fromString": "old", "to": null, "toString": "new"}]}
}`

// jira:issue_updated for a comment (issue_commented) carries the comment
// (deprecated) and no changelog.
var cloudIssueCommented = `{
	"timestamp": 1717236000123,
	"webhookEvent": "jira:issue_updated",
	"issue_event_type_name": "issue_commented",
	"user": ` + cloudUser + `,
	"issue": ` + cloudIssue + `,
	"comment": {"id": "10100", "body": ` + adfBody + `}
}`

// A Data Center transition: status change and resolution, DC user, issue
// status from an older version (no statusCategory).
var dcIssueUpdatedDone = `{
	"timestamp": 1717238000000,
	"webhookEvent": "jira:issue_updated",
	"issue_event_type_name": "issue_resolved",
	"user": ` + dcEditor + `,
	"issue": {"id": "20010", "self": "https://jira.acme.io/rest/api/2/issue/20010", "key": "SHOP-3", "fields": {"status": {"name": "Done", "id": "10002"}}},
	"changelog": {"id": "30500", "items": [
		{"field": "status", "fieldtype": "jira", "from": "3", "fromString": "In Progress", "to": "10002", "toString": "Done"},
		{"field": "resolution", "fieldtype": "jira", "to": "10000", "toString": "Done"}
	]}
}`

func mustTime(s string) time.Time {
	t, err := time.Parse("2006-01-02T15:04:05.000-0700", s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestDecode(t *testing.T) {
	mia := User{AccountID: "5b10a2844c20165700ede21g", DisplayName: "Mia Krystof", Email: "mia@acme.io"}
	john := User{Name: "jsmith", DisplayName: "John Smith", Email: "jsmith@acme.io"}
	admin := User{Name: "admin", DisplayName: "Jira Admin"}
	tests := []struct {
		name string
		body string
		want Event
	}{
		{"cloud comment_created with ADF", cloudCommentCreated, Event{
			ID: "wh-1", Kind: CommentCreated, IssueKey: "OPS-7", IssueID: "10002",
			Comment: &Comment{
				ID: "10100", Author: mia, UpdateAuthor: mia, Body: json.RawMessage(adfBody),
				Created: mustTime("2024-06-01T20:00:00.000+1000"), Updated: mustTime("2024-06-01T20:00:00.000+1000"),
			},
			Actor: mia, At: time.UnixMilli(1717236000123).UTC(),
		}},
		{"dc comment_updated with wiki", dcCommentUpdated, Event{
			ID: "wh-1", Kind: CommentUpdated, IssueKey: "SHOP-3", IssueID: "20010",
			Comment: &Comment{
				ID: "30001", Author: john, UpdateAuthor: admin,
				Body:    json.RawMessage(`"*Root cause*: missing key in {{cart}}. See [the PR|https://github.com/acme/shop/pull/12]"`),
				Created: mustTime("2024-06-01T12:00:00.000+0200"), Updated: mustTime("2024-06-01T12:16:39.000+0200"),
			},
			Actor: admin, At: time.UnixMilli(1717236999000).UTC(),
		}},
		{"dc comment_deleted without issue or timestamp", dcCommentDeletedBare, Event{
			ID: "wh-1", Kind: CommentDeleted, IssueID: "20010",
			Comment: &Comment{
				ID: "30002", Author: john, UpdateAuthor: john, Body: json.RawMessage(`"typo"`),
				Created: mustTime("2024-06-01T12:00:00.000+0200"), Updated: mustTime("2024-06-01T12:00:00.000+0200"),
			},
			Actor: john, At: mustTime("2024-06-01T12:00:00.000+0200"),
		}},
		{"cloud issue_updated with status change", cloudIssueUpdatedStatus, Event{
			ID: "wh-1", Kind: IssueUpdated, IssueKey: "OPS-7", IssueID: "10002", EventType: "issue_generic",
			StatusFrom: "Open", StatusTo: "In Progress", StatusCategory: "indeterminate",
			Actor: mia, At: time.UnixMilli(1717237000000).UTC(),
		}},
		{"cloud issue_updated without status change", cloudIssueUpdatedSummary, Event{
			ID: "wh-1", Kind: IssueUpdated, IssueKey: "OPS-7", IssueID: "10002", EventType: "issue_updated",
			Actor: mia, At: time.UnixMilli(1717237001000).UTC(),
		}},
		{"issue_commented is an issue update without a comment", cloudIssueCommented, Event{
			ID: "wh-1", Kind: IssueUpdated, IssueKey: "OPS-7", IssueID: "10002", EventType: "issue_commented",
			Actor: mia, At: time.UnixMilli(1717236000123).UTC(),
		}},
		{"dc issue_updated resolved, no category", dcIssueUpdatedDone, Event{
			ID: "wh-1", Kind: IssueUpdated, IssueKey: "SHOP-3", IssueID: "20010", EventType: "issue_resolved",
			StatusFrom: "In Progress", StatusTo: "Done",
			Actor: admin, At: time.UnixMilli(1717238000000).UTC(),
		}},
		{"issue_property_set names the issue and the property", `{"timestamp": 1717239000000, "webhookEvent": "issue_property_set",
			"issue": {"id": "10002", "self": "https://acme.atlassian.net/rest/api/3/issue/10002", "key": "OPS-7"},
			"property": {"key": "fixproof", "value": {"fingerprint": "x"}}}`, Event{
			ID: "wh-1", Kind: PropertySet, IssueKey: "OPS-7", IssueID: "10002", Property: "fixproof", At: time.UnixMilli(1717239000000).UTC(),
		}},
		{"issue_property_set without the property's key", `{"webhookEvent": "issue_property_set", "issue": {"key": "OPS-7"}}`, Event{
			ID: "wh-1", Kind: PropertySet, IssueKey: "OPS-7",
		}},
		{"issue_property_set about no issue", `{"webhookEvent": "issue_property_set", "property": {"key": "fixproof"}}`, Event{
			ID: "wh-1", Kind: PropertySet, Property: "fixproof",
		}},
		{"unknown event ignored", `{"timestamp": 1, "webhookEvent": "worklog_created", "worklog": {}}`, Event{ID: "wh-1"}},
		{"issue created ignored", `{"webhookEvent": "jira:issue_created", "issue": {"key": "A-1"}}`, Event{ID: "wh-1"}},
		{"numeric ids", `{"webhookEvent": "comment_created", "timestamp": "1717236000123", "comment": {"id": 10100}, "issue": {"id": 10002, "key": "OPS-7"}}`, Event{
			ID: "wh-1", Kind: CommentCreated, IssueKey: "OPS-7", IssueID: "10002", Comment: &Comment{ID: "10100"}, At: time.UnixMilli(1717236000123).UTC(),
		}},
		{"status category not of StatusTo", `{"webhookEvent": "jira:issue_updated", "issue": {"key": "A-1", "fields": {"status": {"name": "Done", "statusCategory": {"key": "done"}}}},
			"changelog": {"items": [{"field": "status", "fromString": "Open", "toString": "In Progress"}]}}`, Event{
			ID: "wh-1", Kind: IssueUpdated, IssueKey: "A-1", StatusFrom: "Open", StatusTo: "In Progress",
		}},
		{"changelog author as actor", `{"webhookEvent": "jira:issue_updated", "issue": {"key": "A-1"}, "changelog": {"author": {"accountId": "x"}, "items": []}}`, Event{
			ID: "wh-1", Kind: IssueUpdated, IssueKey: "A-1", Actor: User{AccountID: "x"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decode([]byte(tt.body), "wh-1")
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if got.Comment != nil && tt.want.Comment != nil {
				if !jsonEqual(got.Comment.Body, tt.want.Comment.Body) {
					t.Errorf("body %s, want %s", got.Comment.Body, tt.want.Comment.Body)
				}
				g, w := *got.Comment, *tt.want.Comment
				g.Body, w.Body = nil, nil
				if !reflect.DeepEqual(g, w) || !g.Created.Equal(w.Created) {
					t.Errorf("comment\n got %+v\nwant %+v", g, w)
				}
				gc, wc := got, tt.want
				gc.Comment, wc.Comment = nil, nil
				got, tt.want = gc, wc
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("event\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func jsonEqual(a, b json.RawMessage) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	var x, y any
	return json.Unmarshal(a, &x) == nil && json.Unmarshal(b, &y) == nil && reflect.DeepEqual(x, y)
}

func TestDecodeBodyKinds(t *testing.T) {
	ev, err := Decode([]byte(cloudCommentCreated), "x")
	if err != nil || !ev.Comment.BodyIsADF() {
		t.Fatalf("cloud body not ADF: %v", err)
	}
	ev, err = Decode([]byte(dcCommentUpdated), "x")
	if err != nil || ev.Comment.BodyIsADF() {
		t.Fatalf("dc body ADF: %v", err)
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name, body, field string
	}{
		{"not JSON", `{`, "body"},
		{"not an object", `[1]`, "body"},
		{"null", `null`, "body"},
		{"no webhookEvent", `{"timestamp": 1}`, "webhookEvent"},
		{"webhookEvent not a string", `{"webhookEvent": 3}`, "webhookEvent"},
		{"bad timestamp", `{"webhookEvent": "comment_created", "timestamp": "yesterday", "comment": {"id": "1"}, "issue": {"key": "A-1"}}`, "timestamp"},
		{"huge timestamp", `{"webhookEvent": "comment_created", "timestamp": 1e300, "comment": {"id": "1"}, "issue": {"key": "A-1"}}`, "timestamp"},
		{"no comment", `{"webhookEvent": "comment_created", "issue": {"key": "A-1"}}`, "comment"},
		{"comment not an object", `{"webhookEvent": "comment_updated", "comment": "x", "issue": {"key": "A-1"}}`, "comment"},
		{"no comment id", `{"webhookEvent": "comment_created", "comment": {"body": "x"}, "issue": {"key": "A-1"}}`, "comment.id"},
		{"bad comment id", `{"webhookEvent": "comment_created", "comment": {"id": true}, "issue": {"key": "A-1"}}`, "comment.id"},
		{"bad body", `{"webhookEvent": "comment_created", "comment": {"id": "1", "body": 12}, "issue": {"key": "A-1"}}`, "comment.body"},
		{"bad author", `{"webhookEvent": "comment_created", "comment": {"id": "1", "author": []}, "issue": {"key": "A-1"}}`, "comment.author"},
		{"bad author field", `{"webhookEvent": "comment_created", "comment": {"id": "1", "author": {"accountId": 5}}, "issue": {"key": "A-1"}}`, "comment.author.accountId"},
		{"bad created", `{"webhookEvent": "comment_created", "comment": {"id": "1", "created": "June 1st"}, "issue": {"key": "A-1"}}`, "comment.created"},
		{"bad updated type", `{"webhookEvent": "comment_created", "comment": {"id": "1", "updated": 5}, "issue": {"key": "A-1"}}`, "comment.updated"},
		{"no issue for comment", `{"webhookEvent": "comment_created", "comment": {"id": "1", "self": "https://x/rest/api/2/comment/1"}}`, "issue"},
		{"no issue for update", `{"webhookEvent": "jira:issue_updated", "changelog": {"items": []}}`, "issue"},
		{"issue not an object", `{"webhookEvent": "jira:issue_updated", "issue": "A-1"}`, "issue"},
		{"bad issue key", `{"webhookEvent": "jira:issue_updated", "issue": {"key": 1}}`, "issue.key"},
		{"bad status", `{"webhookEvent": "jira:issue_updated", "issue": {"key": "A-1", "fields": {"status": "Done"}}}`, "issue.fields.status"},
		{"bad category", `{"webhookEvent": "jira:issue_updated", "issue": {"key": "A-1", "fields": {"status": {"statusCategory": {"key": 3}}}}}`, "issue.fields.status.statusCategory.key"},
		{"property not an object", `{"webhookEvent": "issue_property_set", "issue": {"key": "A-1"}, "property": "fixproof"}`, "property"},
		{"bad property key", `{"webhookEvent": "issue_property_set", "issue": {"key": "A-1"}, "property": {"key": 5}}`, "property.key"},
		{"bad user", `{"webhookEvent": "jira:issue_updated", "user": 1, "issue": {"key": "A-1"}}`, "user"},
		{"bad changelog", `{"webhookEvent": "jira:issue_updated", "issue": {"key": "A-1"}, "changelog": []}`, "changelog"},
		{"bad items", `{"webhookEvent": "jira:issue_updated", "issue": {"key": "A-1"}, "changelog": {"items": {}}}`, "changelog.items"},
		{"bad item", `{"webhookEvent": "jira:issue_updated", "issue": {"key": "A-1"}, "changelog": {"items": [{"field": "status"}, 3]}}`, "changelog.items[0].toString"},
		{"bad toString", `{"webhookEvent": "jira:issue_updated", "issue": {"key": "A-1"}, "changelog": {"items": [{"field": "status", "toString": 3}]}}`, "changelog.items[0].toString"},
		{"bad event type", `{"webhookEvent": "jira:issue_updated", "issue_event_type_name": 1, "issue": {"key": "A-1"}}`, "issue_event_type_name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode([]byte(tt.body), "id")
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error %v, want a DecodeError", err)
			}
			if de.Field != tt.field {
				t.Errorf("field %q (%v), want %q", de.Field, err, tt.field)
			}
			if !strings.Contains(err.Error(), tt.field) {
				t.Errorf("message %q does not name %q", err, tt.field)
			}
		})
	}
}

func TestUserIs(t *testing.T) {
	bot := User{AccountID: "a1", DisplayName: "Fixproof Bot"}
	if !bot.Is(User{AccountID: "a1"}) || bot.Is(User{AccountID: "a2"}) || bot.Is(User{Name: "a1"}) {
		t.Error("Cloud identity by accountId")
	}
	dc := User{Name: "fixproof"}
	if !dc.Is(User{Name: "fixproof", DisplayName: "x"}) || dc.Is(User{}) || (User{}).Is(User{}) {
		t.Error("DC identity by name")
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		cloudCommentCreated, dcCommentUpdated, dcCommentDeletedBare, cloudIssueUpdatedStatus,
		cloudIssueUpdatedSummary, cloudIssueCommented, dcIssueUpdatedDone,
		`{"webhookEvent":"worklog_created"}`, `{"webhookEvent":"comment_created","comment":{"id":1,"self":"/issue/5/comment/1"}}`,
		`{"webhookEvent":"jira:issue_updated","issue":{"key":"A-1"},"changelog":{"items":[{"field":"status","toString":"x"}]}}`,
		`[]`, `null`, `{"timestamp":1e20}`,
	} {
		f.Add([]byte(s), "id")
	}
	f.Fuzz(func(t *testing.T, body []byte, id string) {
		ev, err := Decode(body, id)
		if ev.ID != id {
			t.Fatalf("ID %q, want %q", ev.ID, id)
		}
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) || de.Field == "" {
				t.Fatalf("error %v is not a DecodeError naming a field", err)
			}
			return
		}
		switch ev.Kind {
		case "":
		case CommentCreated, CommentUpdated, CommentDeleted:
			if ev.Comment == nil || ev.Comment.ID == "" {
				t.Fatalf("%s without a comment id", ev.Kind)
			}
			if ev.IssueKey == "" && ev.IssueID == "" {
				t.Fatalf("%s without an issue", ev.Kind)
			}
			if b := ev.Comment.Body; b != nil && !json.Valid(b) {
				t.Fatalf("body not JSON: %q", b)
			}
		case PropertySet:
			if ev.Comment != nil {
				t.Fatalf("a property event with a comment: %+v", ev)
			}
		case IssueUpdated:
			if ev.Comment != nil || (ev.IssueKey == "" && ev.IssueID == "") {
				t.Fatalf("bad issue update %+v", ev)
			}
			if ev.StatusCategory != "" && ev.StatusTo == "" {
				t.Fatalf("category without a status change: %+v", ev)
			}
		default:
			t.Fatalf("kind %q", ev.Kind)
		}
	})
}

func TestForCommentIsTheIssueUpdateOfAComment(t *testing.T) {
	for _, tt := range []struct {
		ev   Event
		want bool
	}{
		{Event{Kind: IssueUpdated, EventType: "issue_commented"}, true},
		{Event{Kind: IssueUpdated, EventType: "issue_comment_edited"}, true},
		{Event{Kind: IssueUpdated, EventType: "issue_comment_deleted"}, true},
		{Event{Kind: IssueUpdated, EventType: "issue_generic"}, false},
		{Event{Kind: IssueUpdated}, false},
		{Event{Kind: CommentCreated, EventType: "issue_commented"}, false},
	} {
		if got := tt.ev.ForComment(); got != tt.want {
			t.Errorf("%s %q: ForComment = %v, want %v", tt.ev.Kind, tt.ev.EventType, got, tt.want)
		}
	}
}
