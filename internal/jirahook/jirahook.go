// Package jirahook verifies and decodes the Jira webhooks fixproof's bot
// mirrors between Jira and Sentry/Guance (comment_created, comment_updated,
// comment_deleted and jira:issue_updated) and those that tell it a loop
// changed (issue_property_set).
//
// What it relies on (Atlassian's webhook documentation, as excerpted in
// shared/contracts/SOURCES.md, and the Jira Cloud REST OpenAPI document
// for the shapes the bodies reuse):
//
//   - An admin webhook registered with a secret carries X-Hub-Signature:
//     "sha256=" and the hex HMAC-SHA256 of the raw body keyed with the
//     secret. X-Atlassian-Webhook-Identifier identifies a delivery and is
//     the same on every retry of it; X-Atlassian-Webhook-Retry counts the
//     retries. Jira retries, so a delivery may arrive more than once, and
//     it does not promise order: callers de-duplicate on the identifier and
//     must not assume the events of an issue arrive in order.
//   - The body is a JSON object with "timestamp" (milliseconds since the
//     epoch), "webhookEvent", on issue events "issue_event_type_name" and
//     "user" (who acted), "issue" ({id, key, self, fields}), on comment
//     events "comment" (the REST Comment: id, self, author, updateAuthor,
//     body, created, updated) and on issue updates "changelog" ({id,
//     items: [{field, fieldtype, from, fromString, to, toString}]}).
//   - A comment body is an Atlassian Document Format object (Cloud, REST v3
//     shape) or a wiki markup string (Data Center, or Cloud's REST v2
//     shape); both are accepted and passed on as they are.
//   - Users are UserDetails: accountId on Cloud, name (and key) on Data
//     Center; displayName and, privacy permitting, emailAddress.
//   - Jira writes times as "2024-01-02T10:00:00.000+0000".
//   - issue_property_set is listed among a webhook's events (with
//     issuePropertyKeysFilter) in the REST API, but its body is not
//     documented. Only what every issue event carries is read: the
//     timestamp, the issue ({id, key}) and, when given, the property's
//     key (property.key); a body without an issue is an event about no
//     issue, which callers ignore.
package jirahook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Webhook headers.
const (
	HeaderSignature  = "X-Hub-Signature"
	HeaderIdentifier = "X-Atlassian-Webhook-Identifier"
	HeaderRetry      = "X-Atlassian-Webhook-Retry"
	HeaderFlow       = "X-Atlassian-Webhook-Flow"
)

// Event kinds.
const (
	CommentCreated = "comment_created"
	CommentUpdated = "comment_updated"
	CommentDeleted = "comment_deleted"
	IssueUpdated   = "issue_updated"
	PropertySet    = "issue_property_set"
)

// Event is a decoded webhook.
type Event struct {
	// ID is the delivery's X-Atlassian-Webhook-Identifier, as given to
	// Decode.
	ID string
	// Kind is CommentCreated, CommentUpdated, CommentDeleted or
	// IssueUpdated (for webhookEvent jira:issue_updated); "" for any other
	// webhookEvent, which callers ignore.
	Kind string
	// IssueKey and IssueID name the issue. A comment event without an
	// issue object has only IssueID, taken from the comment's self URL.
	IssueKey, IssueID string
	// Comment is the comment of a comment event; nil for IssueUpdated
	// (jira:issue_updated may still carry a comment, deprecated by
	// Atlassian; it is ignored: the comment events report comments).
	Comment *Comment
	// StatusFrom and StatusTo are the status names of an IssueUpdated
	// event whose changelog changes the status; empty otherwise.
	StatusFrom, StatusTo string
	// StatusCategory is the category key ("new", "indeterminate", "done")
	// of StatusTo, when the issue's fields.status is StatusTo and carries
	// statusCategory.key.
	StatusCategory string
	// Property is the key of the property an issue_property_set event
	// wrote, when the body names it.
	Property string
	// EventType is issue_event_type_name (e.g. "issue_generic",
	// "issue_commented"), when present.
	EventType string
	// Actor is who did it: the top-level user; else, for comments, the
	// comment's updateAuthor (comment_updated, comment_deleted) or author;
	// else for issue updates the changelog's author.
	Actor User
	// At is the webhook's timestamp; when it has none, the comment's
	// updated (or created) time.
	At time.Time
}

// ForComment reports whether an issue update is the one Jira sends for a
// comment created, edited or deleted (issue_event_type_name
// issue_commented, issue_comment_edited, issue_comment_deleted): the
// comment events report the comment itself.
func (e Event) ForComment() bool {
	switch e.EventType {
	case "issue_commented", "issue_comment_edited", "issue_comment_deleted":
		return e.Kind == IssueUpdated
	}
	return false
}

// Comment is a comment as a webhook carries it.
type Comment struct {
	ID                   string
	Author, UpdateAuthor User
	// Body is the comment body as sent: an ADF object or a JSON string of
	// wiki markup; nil when the payload has none.
	Body             json.RawMessage
	Created, Updated time.Time
}

// BodyIsADF reports whether the body is an ADF object (else a string).
func (c *Comment) BodyIsADF() bool {
	return len(c.Body) > 0 && c.Body[0] == '{'
}

// User is a Jira user: AccountID on Cloud, Name on Data Center.
type User struct {
	AccountID, Name, DisplayName, Email string
}

// IsZero reports whether the user has no identity at all.
func (u User) IsZero() bool { return u == User{} }

// Is reports whether u and v are the same account: the same non-empty
// AccountID, or else the same non-empty Name.
func (u User) Is(v User) bool {
	if u.AccountID != "" || v.AccountID != "" {
		return u.AccountID == v.AccountID
	}
	return u.Name != "" && u.Name == v.Name
}

// DecodeError is a body Decode cannot use; Field names the part at fault
// ("comment.id", "changelog.items[2].toString", ...).
type DecodeError struct {
	Field string
	Err   error
}

func (e *DecodeError) Error() string { return "jirahook: " + e.Field + ": " + e.Err.Error() }
func (e *DecodeError) Unwrap() error { return e.Err }

var errMissing = errors.New("missing")

func fieldErr(field string, err error) error { return &DecodeError{Field: field, Err: err} }

// Decode decodes a webhook body; identifier is its
// X-Atlassian-Webhook-Identifier header. A body for a webhookEvent other
// than the five handled decodes to an Event with Kind "" and no error.
// Errors are *DecodeError, naming the field at fault.
func Decode(body []byte, identifier string) (Event, error) {
	ev := Event{ID: identifier}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil || top == nil {
		if err == nil {
			err = errors.New("not a JSON object")
		}
		return ev, fieldErr("body", err)
	}
	kind, err := eventKind(top)
	if err != nil || kind == "" {
		return ev, err
	}
	ev.Kind = kind
	iss, err := decodeEnvelope(top, &ev)
	if err != nil {
		return ev, err
	}
	if ev.Kind == PropertySet {
		return ev, decodeProperty(present(top["property"]), &ev)
	}
	if ev.Kind == IssueUpdated {
		if ev.IssueKey == "" && ev.IssueID == "" {
			return ev, fieldErr("issue", errMissing)
		}
		return ev, decodeChangelog(present(top["changelog"]), iss, &ev)
	}
	return ev, decodeCommentEvent(top, &ev)
}

// webhookKinds are the Kinds of the webhookEvents Decode handles.
var webhookKinds = map[string]string{
	CommentCreated:       CommentCreated,
	CommentUpdated:       CommentUpdated,
	CommentDeleted:       CommentDeleted,
	"jira:issue_updated": IssueUpdated,
	"issue_property_set": PropertySet,
}

// decodeProperty reads the key of the property an issue_property_set
// event wrote, when the body has one.
func decodeProperty(raw json.RawMessage, ev *Event) error {
	if raw == nil {
		return nil
	}
	var p map[string]json.RawMessage
	if err := json.Unmarshal(raw, &p); err != nil {
		return fieldErr("property", err)
	}
	return decodeStringAt(p, "key", "property.key", &ev.Property)
}

// eventKind is the Kind of the body's webhookEvent, "" for one Decode
// does not handle; a body without one is an error.
func eventKind(top map[string]json.RawMessage) (string, error) {
	var name string
	if err := decodeString(top, "webhookEvent", &name); err != nil {
		return "", err
	}
	if name == "" {
		return "", fieldErr("webhookEvent", errMissing)
	}
	return webhookKinds[name], nil
}

// decodeEnvelope reads into ev what every handled event may carry: its
// type name, timestamp, user and issue; it returns the issue, nil when
// the body has none.
func decodeEnvelope(top map[string]json.RawMessage, ev *Event) (*wireIssue, error) {
	if err := decodeString(top, "issue_event_type_name", &ev.EventType); err != nil {
		return nil, err
	}
	if raw := present(top["timestamp"]); raw != nil {
		ms, err := millis(raw)
		if err != nil {
			return nil, fieldErr("timestamp", err)
		}
		ev.At = time.UnixMilli(ms).UTC()
	}
	if raw := present(top["user"]); raw != nil {
		u, err := decodeUser(raw, "user")
		if err != nil {
			return nil, err
		}
		ev.Actor = u
	}
	raw := present(top["issue"])
	if raw == nil {
		return nil, nil
	}
	iss, err := decodeIssue(raw)
	if err != nil {
		return nil, err
	}
	ev.IssueKey, ev.IssueID = iss.key, iss.id
	return iss, nil
}

// decodeCommentEvent reads the comment of a comment event into ev, and
// from it what the envelope lacked: the issue id (from the comment's self
// URL), the actor and the time.
func decodeCommentEvent(top map[string]json.RawMessage, ev *Event) error {
	raw := present(top["comment"])
	if raw == nil {
		return fieldErr("comment", errMissing)
	}
	c, self, err := decodeComment(raw)
	if err != nil {
		return err
	}
	ev.Comment = c
	if ev.IssueKey == "" && ev.IssueID == "" {
		ev.IssueID = issueIDFromSelf(self)
		if ev.IssueID == "" {
			return fieldErr("issue", errMissing)
		}
	}
	if ev.Actor.IsZero() {
		ev.Actor = commentActor(ev.Kind, c)
	}
	if ev.At.IsZero() {
		ev.At = commentTime(c)
	}
	return nil
}

// commentActor is who did a comment event of kind: the comment's
// updateAuthor for an update or a deletion when it has one, else its
// author.
func commentActor(kind string, c *Comment) User {
	if kind != CommentCreated && !c.UpdateAuthor.IsZero() {
		return c.UpdateAuthor
	}
	return c.Author
}

// commentTime is when a comment was last written: updated, else created.
func commentTime(c *Comment) time.Time {
	if !c.Updated.IsZero() {
		return c.Updated
	}
	return c.Created
}

// present returns raw unless it is absent or null.
func present(raw json.RawMessage) json.RawMessage {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	return raw
}

// decodeString reads an optional string member.
func decodeString(obj map[string]json.RawMessage, name string, dst *string) error {
	return decodeStringAt(obj, name, name, dst)
}

func decodeStringAt(obj map[string]json.RawMessage, name, field string, dst *string) error {
	raw := present(obj[name])
	if raw == nil {
		return nil
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return fieldErr(field, errors.New("not a string"))
	}
	return nil
}

// decodeObject reads raw as a JSON object.
func decodeObject(raw json.RawMessage, field string) (map[string]json.RawMessage, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		return nil, fieldErr(field, errors.New("not an object"))
	}
	return obj, nil
}

// decodeID reads an id sent as a string or a number.
func decodeID(raw json.RawMessage, field string) (string, error) {
	raw = present(raw)
	if raw == nil {
		return "", nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, nil
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String(), nil
	}
	return "", fieldErr(field, errors.New("not a string or number"))
}

// millis reads a timestamp in milliseconds, a number or a string of
// digits.
func millis(raw json.RawMessage) (int64, error) {
	var n json.Number
	if err := json.Unmarshal(raw, &n); err != nil {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return 0, errors.New("not a number")
		}
		n = json.Number(s)
	}
	ms, err := strconv.ParseInt(n.String(), 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(n.String(), 64)
		if ferr != nil || f < -1e15 || f > 1e15 {
			return 0, fmt.Errorf("not milliseconds since the epoch: %s", n)
		}
		ms = int64(f)
	}
	if ms < -1e15 || ms > 1e15 {
		return 0, fmt.Errorf("out of range: %d", ms)
	}
	return ms, nil
}

// decodeUser reads a UserDetails.
func decodeUser(raw json.RawMessage, field string) (User, error) {
	obj, err := decodeObject(raw, field)
	if err != nil {
		return User{}, err
	}
	var u User
	for _, f := range []struct {
		name string
		dst  *string
	}{
		{"accountId", &u.AccountID}, {"name", &u.Name}, {"displayName", &u.DisplayName}, {"emailAddress", &u.Email},
	} {
		if err := decodeStringAt(obj, f.name, field+"."+f.name, f.dst); err != nil {
			return User{}, err
		}
	}
	if u.Name == "" {
		// Data Center users whose name was never set have only a key.
		if err := decodeStringAt(obj, "key", field+".key", &u.Name); err != nil {
			return User{}, err
		}
	}
	return u, nil
}

// jiraTimeLayouts are how Jira writes date-times, and RFC 3339.
var jiraTimeLayouts = []string{
	"2006-01-02T15:04:05.000-0700",
	"2006-01-02T15:04:05.999999999Z0700",
	time.RFC3339Nano,
}

func decodeTime(obj map[string]json.RawMessage, name, field string) (time.Time, error) {
	var s string
	if err := decodeStringAt(obj, name, field, &s); err != nil || s == "" {
		return time.Time{}, err
	}
	for _, layout := range jiraTimeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fieldErr(field, fmt.Errorf("not a date-time: %q", s))
}

// decodeComment reads a Comment; self is its self URL.
func decodeComment(raw json.RawMessage) (c *Comment, self string, err error) {
	obj, err := decodeObject(raw, "comment")
	if err != nil {
		return nil, "", err
	}
	c = &Comment{}
	if c.ID, err = decodeID(obj["id"], "comment.id"); err != nil {
		return nil, "", err
	}
	if c.ID == "" {
		return nil, "", fieldErr("comment.id", errMissing)
	}
	if err := decodeStringAt(obj, "self", "comment.self", &self); err != nil {
		return nil, "", err
	}
	for _, f := range []struct {
		name string
		dst  *User
	}{{"author", &c.Author}, {"updateAuthor", &c.UpdateAuthor}} {
		if r := present(obj[f.name]); r != nil {
			if *f.dst, err = decodeUser(r, "comment."+f.name); err != nil {
				return nil, "", err
			}
		}
	}
	if body := present(obj["body"]); body != nil {
		if body[0] != '{' && body[0] != '"' {
			return nil, "", fieldErr("comment.body", errors.New("neither an ADF object nor a string"))
		}
		c.Body = bytes.Clone(body)
	}
	if c.Created, err = decodeTime(obj, "created", "comment.created"); err != nil {
		return nil, "", err
	}
	if c.Updated, err = decodeTime(obj, "updated", "comment.updated"); err != nil {
		return nil, "", err
	}
	return c, self, nil
}

// issueIDFromSelf takes the issue id from a comment's self URL,
// ".../rest/api/{v}/issue/{id}/comment/{commentId}".
func issueIDFromSelf(self string) string {
	_, rest, ok := strings.Cut(self, "/issue/")
	if !ok {
		return ""
	}
	id, _, ok := strings.Cut(rest, "/comment/")
	if !ok || id == "" || strings.Contains(id, "/") {
		return ""
	}
	return id
}

// wireIssue is what Decode reads of an issue.
type wireIssue struct {
	id, key              string
	statusName, category string
}

func decodeIssue(raw json.RawMessage) (*wireIssue, error) {
	obj, err := decodeObject(raw, "issue")
	if err != nil {
		return nil, err
	}
	iss := &wireIssue{}
	if iss.id, err = decodeID(obj["id"], "issue.id"); err != nil {
		return nil, err
	}
	if err := decodeStringAt(obj, "key", "issue.key", &iss.key); err != nil {
		return nil, err
	}
	fraw := present(obj["fields"])
	if fraw == nil {
		return iss, nil
	}
	fields, err := decodeObject(fraw, "issue.fields")
	if err != nil {
		return nil, err
	}
	sraw := present(fields["status"])
	if sraw == nil {
		return iss, nil
	}
	status, err := decodeObject(sraw, "issue.fields.status")
	if err != nil {
		return nil, err
	}
	if err := decodeStringAt(status, "name", "issue.fields.status.name", &iss.statusName); err != nil {
		return nil, err
	}
	craw := present(status["statusCategory"])
	if craw == nil {
		return iss, nil
	}
	cat, err := decodeObject(craw, "issue.fields.status.statusCategory")
	if err != nil {
		return nil, err
	}
	if err := decodeStringAt(cat, "key", "issue.fields.status.statusCategory.key", &iss.category); err != nil {
		return nil, err
	}
	return iss, nil
}

// decodeChangelog reads the status change of an issue update, if any.
func decodeChangelog(raw json.RawMessage, iss *wireIssue, ev *Event) error {
	if raw == nil {
		return nil
	}
	obj, err := decodeObject(raw, "changelog")
	if err != nil {
		return err
	}
	if a := present(obj["author"]); a != nil && ev.Actor.IsZero() {
		if ev.Actor, err = decodeUser(a, "changelog.author"); err != nil {
			return err
		}
	}
	iraw := present(obj["items"])
	if iraw == nil {
		return nil
	}
	var items []json.RawMessage
	if json.Unmarshal(iraw, &items) != nil {
		return fieldErr("changelog.items", errors.New("not an array"))
	}
	for i, it := range items {
		from, to, ok, err := statusChange(it, fmt.Sprintf("changelog.items[%d]", i))
		if err != nil {
			return err
		}
		if ok {
			ev.StatusFrom, ev.StatusTo = from, to
		}
	}
	ev.StatusCategory = statusCategory(iss, ev.StatusTo)
	return nil
}

// statusChange reads one changelog item; ok is whether it changes the
// status, which must then name the status it changes to.
func statusChange(raw json.RawMessage, field string) (from, to string, ok bool, err error) {
	item, err := decodeObject(raw, field)
	if err != nil {
		return "", "", false, err
	}
	var name, fieldID string
	for _, f := range []struct {
		name string
		dst  *string
	}{{"field", &name}, {"fieldId", &fieldID}, {"fromString", &from}, {"toString", &to}} {
		if err := decodeStringAt(item, f.name, field+"."+f.name, f.dst); err != nil {
			return "", "", false, err
		}
	}
	if !strings.EqualFold(name, "status") && fieldID != "status" {
		return "", "", false, nil
	}
	if to == "" {
		return "", "", false, fieldErr(field+".toString", errMissing)
	}
	return from, to, true, nil
}

// statusCategory is the category of the status an update moved to, taken
// from the issue's fields.status when that is the same status (or has no
// name); "" when there was no status change or the issue says otherwise.
func statusCategory(iss *wireIssue, to string) string {
	if to != "" && iss != nil && (iss.statusName == "" || strings.EqualFold(iss.statusName, to)) {
		return iss.category
	}
	return ""
}
