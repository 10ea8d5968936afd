package bot

// Comment sync both ways: a person's Jira comment becomes a note on the
// Sentry issue or a reply on the Guance issue the alert came from (edits
// and deletions follow), and Sentry notes and Guance replies become Jira
// comments. Every copy is recorded as a store.Mirror, so a replay never
// posts twice and a copy coming back is known as the bot's own. The jobs
// are queued by the Jira webhook (routes.go), the Sentry webhook and the
// Guance poller (guance.go); reconcile.go heals missed Jira webhooks.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/fixproof/fixproof/internal/guance"
	"github.com/fixproof/fixproof/internal/jira"
	"github.com/fixproof/fixproof/internal/jirahook"
	"github.com/fixproof/fixproof/internal/jiramarkup"
	"github.com/fixproof/fixproof/internal/store"
	"github.com/fixproof/fixproof/internal/ticket"
	"github.com/fixproof/fixproof/internal/webhook"
)

// self is the bot's own Jira account, read once.
func (b *Bot) self(ctx context.Context) (jira.User, error) {
	b.me.Lock()
	defer b.me.Unlock()
	if b.me.user.AccountID != "" || b.me.user.Name != "" {
		return b.me.user, nil
	}
	u, err := b.Jira.Myself(ctx)
	if err != nil {
		return u, err
	}
	b.me.user = u
	return u, nil
}

func (b *Bot) isSelf(ctx context.Context, u jirahook.User) (bool, error) {
	me, err := b.self(ctx)
	if err != nil {
		return false, err
	}
	return me.Is(jira.User{AccountID: u.AccountID, Name: u.Name}), nil
}

// fromJira mirrors one Jira event to the system the issue's alert came
// from: a status change, or a comment created, edited or deleted.
func (b *Bot) fromJira(ctx context.Context, fingerprint string, ev jirahook.Event) error {
	t := b.targetFor(fingerprint)
	if t == nil {
		return nil
	}
	if ev.Kind == jirahook.IssueUpdated {
		return t.status(ctx, ev.StatusCategory)
	}
	if ev.Kind == jirahook.PropertySet || ev.Comment == nil {
		return nil
	}
	srcID := ev.IssueKey + "/" + ev.Comment.ID
	m, found, err := b.Store.LookupMirror(ctx, "jira", srcID, t.name())
	if err != nil {
		return err
	}
	if ev.Kind == jirahook.CommentDeleted {
		return b.deleteCopy(ctx, t, m, found)
	}
	author := commentAuthor(ev)
	if mine, err := b.isSelf(ctx, author); err != nil || mine {
		return err // the bot's own comment (a copy of a Sentry or Guance one)
	}
	return b.writeCopy(ctx, t, m, found, srcID, b.mirrorText(ev.IssueKey, ev.Comment, author, srcID))
}

// commentAuthor is who wrote what the event carries: the comment's
// editor for an edit, else its author.
func commentAuthor(ev jirahook.Event) jirahook.User {
	if ev.Kind == jirahook.CommentUpdated && (ev.Comment.UpdateAuthor.AccountID != "" || ev.Comment.UpdateAuthor.Name != "") {
		return ev.Comment.UpdateAuthor
	}
	return ev.Comment.Author
}

// deleteCopy removes the copy of a deleted Jira comment, once.
func (b *Bot) deleteCopy(ctx context.Context, t target, m store.Mirror, found bool) error {
	if !found || m.TargetID == "" || m.Deleted {
		return nil
	}
	if err := t.remove(ctx, m.TargetID); err != nil {
		return err
	}
	m.Deleted, m.Updated = true, b.Now()
	return b.Store.SaveMirror(ctx, m)
}

// writeCopy makes the target's copy of Jira comment srcID say text:
// nothing when it already does (a replayed or duplicate delivery), an
// edit when the copy exists, else a new copy (see postCopy).
func (b *Bot) writeCopy(ctx context.Context, t target, m store.Mirror, found bool, srcID, text string) error {
	digest := digestOf(text)
	switch {
	case found && m.TargetID != "" && m.Digest == digest && !m.Deleted:
		return nil
	case found && m.TargetID != "":
		if err := t.update(ctx, m.TargetID, text); err != nil {
			return err
		}
	default:
		var err error
		if m, err = b.postCopy(ctx, t, m, found, srcID, text); err != nil {
			return err
		}
	}
	m.Digest, m.Deleted, m.Updated = digest, false, b.Now()
	return b.Store.SaveMirror(ctx, m)
}

// postCopy writes a copy the mirror record does not hold yet. A record
// without a copy is an earlier attempt's intent, which may have written
// it: the target is searched first. Otherwise the intent is recorded, and
// then the copy posted.
func (b *Bot) postCopy(ctx context.Context, t target, m store.Mirror, found bool, srcID, text string) (store.Mirror, error) {
	if found {
		id, ok, err := t.find(ctx, srcID)
		if err != nil {
			return m, err
		}
		if ok {
			m.TargetID = id
			return m, t.update(ctx, id, text)
		}
	}
	m = store.Mirror{Source: "jira", SourceID: srcID, Target: t.name(), Updated: b.Now()}
	if err := b.Store.SaveMirror(ctx, m); err != nil {
		return m, err
	}
	id, err := t.post(ctx, text)
	if err != nil {
		return m, err
	}
	m.TargetID = id
	return m, nil
}

// mirrorText is a Jira comment as it appears in Sentry or Guance: who
// wrote it, where, the text as markdown, and the source id on the last
// line (which also finds the copy again after a crash).
func (b *Bot) mirrorText(key string, c *jirahook.Comment, author jirahook.User, srcID string) string {
	var body string
	var s string
	if json.Unmarshal(c.Body, &s) == nil {
		body = jiramarkup.WikiText(s)
	} else {
		body = jiramarkup.Text(c.Body)
	}
	name := author.DisplayName
	if name == "" {
		name = author.Name
	}
	return fmt.Sprintf("%s commented on [%s](%s) in Jira:\n\n%s\n\n%s", name, key, b.Jira.BrowseURL(key), strings.TrimSpace(body), trailer(srcID))
}

// trailer is the last line of a mirrored comment: where it comes from.
func trailer(srcID string) string { return "— Jira " + srcID }

func digestOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:12])
}

// fromSentry mirrors one Sentry note to the linked Jira issue, as one
// comment found again by its marker (edits update it, deletes remove it).
func (b *Bot) fromSentry(ctx context.Context, key string, c webhook.SentryComment) error {
	if key == "" {
		b.Log.Info("Sentry comment on an issue with no Jira issue yet; not mirrored", "sentry_issue", c.IssueID, "comment", c.CommentID)
		return nil
	}
	if c.ActorType == "application" && b.Config.Sentry.Installation != "" && c.ActorID == b.Config.Sentry.Installation {
		return nil // written by the bot's own integration
	}
	if _, ours, err := b.Store.LookupMirrorByTarget(ctx, "sentry", c.CommentID); err != nil || ours {
		return err // a copy of a Jira comment coming back
	}
	marker := "sentry-note:" + c.IssueID + "/" + c.CommentID
	if c.Action == "deleted" {
		return b.Jira.DeleteMarkedComment(ctx, key, marker)
	}
	who := c.ActorName
	if who == "" {
		who = "Someone"
	}
	doc := jiramarkup.Doc{Blocks: []jiramarkup.Block{
		jiramarkup.P(jiramarkup.Strong(who+" commented in Sentry: "), jiramarkup.Plain(c.Text)),
	}}
	_, err := b.Jira.UpsertComment(ctx, key, marker, doc, nil)
	return err
}

// target is a system Jira comments are mirrored to.
type target interface {
	name() string
	post(ctx context.Context, text string) (string, error)
	update(ctx context.Context, id, text string) error
	remove(ctx context.Context, id string) error
	// find looks for a copy of srcID written by an attempt that crashed
	// before recording it.
	find(ctx context.Context, srcID string) (string, bool, error)
	// status follows a Jira status change (category key).
	status(ctx context.Context, category string) error
}

// targetFor is where comments of a fingerprint's Jira issue go: the
// Sentry issue or the Guance issue it came from; nil for Alertmanager.
func (b *Bot) targetFor(fingerprint string) target {
	parts := strings.SplitN(fingerprint, ":", 3)
	if len(parts) != 3 {
		return nil
	}
	switch parts[0] {
	case "sentry":
		if b.Sentry != nil {
			return sentryTarget{b.Sentry, parts[2]}
		}
	case "guance":
		if b.Guance != nil {
			return guanceTarget{b, parts[2]}
		}
	}
	return nil
}

type sentryTarget struct {
	c       Sentry
	issueID string
}

func (t sentryTarget) name() string { return "sentry" }

func (t sentryTarget) post(ctx context.Context, text string) (string, error) {
	n, err := t.c.AddNote(ctx, t.issueID, text)
	return n.ID, err
}

func (t sentryTarget) update(ctx context.Context, id, text string) error {
	_, err := t.c.UpdateNote(ctx, t.issueID, id, text)
	return err
}

func (t sentryTarget) remove(ctx context.Context, id string) error {
	return t.c.DeleteNote(ctx, t.issueID, id)
}

func (t sentryTarget) find(ctx context.Context, srcID string) (string, bool, error) {
	notes, err := t.c.Notes(ctx, t.issueID)
	if err != nil {
		return "", false, err
	}
	for _, n := range notes {
		if strings.HasSuffix(strings.TrimSpace(n.Text), trailer(srcID)) {
			return n.ID, true, nil
		}
	}
	return "", false, nil
}

func (sentryTarget) status(context.Context, string) error { return nil }

// guanceTarget mirrors Jira comments to a Guance issue as replies.
// Guance replies cannot be edited or deleted through the documented API,
// so an edit or a deletion in Jira is told as a new reply.
type guanceTarget struct {
	b    *Bot
	uuid string
}

func (guanceTarget) name() string { return "guance" }

func (t guanceTarget) post(ctx context.Context, text string) (string, error) {
	r, err := t.b.Guance.Reply(ctx, t.uuid, text, map[string]any{"fixproof": true})
	return r.UUID, err
}

func (t guanceTarget) update(ctx context.Context, _ string, text string) error {
	_, err := t.b.Guance.Reply(ctx, t.uuid, "(edited in Jira) "+text, map[string]any{"fixproof": true})
	return err
}

func (t guanceTarget) remove(ctx context.Context, _ string) error {
	_, err := t.b.Guance.Reply(ctx, t.uuid, "(a Jira comment mirrored here was deleted)", map[string]any{"fixproof": true})
	return err
}

func (t guanceTarget) find(ctx context.Context, srcID string) (string, bool, error) {
	replies, err := t.b.Guance.Replies(ctx, t.uuid)
	if err != nil {
		return "", false, err
	}
	for _, r := range replies {
		if strings.HasSuffix(strings.TrimSpace(r.Content), trailer(srcID)) {
			return r.UUID, true, nil
		}
	}
	return "", false, nil
}

// status sets the Guance issue's status from a Jira status category.
func (t guanceTarget) status(ctx context.Context, category string) error {
	st, ok := t.b.Config.Guance.Status[strings.ToLower(category)]
	if !ok {
		return nil
	}
	return t.b.Guance.SetStatus(ctx, t.uuid, st)
}

// fromGuanceReply mirrors a Guance reply to the linked Jira issue, as one
// comment found again by its marker.
func (b *Bot) fromGuanceReply(ctx context.Context, key string, r guance.Reply) error {
	if key == "" {
		return nil
	}
	if r.Type != "" && r.Type != "reply" {
		return nil // a system entry (a status change), not something a person wrote
	}
	if isOurs(r.Extend) {
		return nil // a copy of a Jira comment, written by the bot
	}
	if _, ours, err := b.Store.LookupMirrorByTarget(ctx, "guance", r.UUID); err != nil || ours {
		return err
	}
	who := r.Creator
	if who == "" {
		who = "Someone"
	}
	doc := jiramarkup.Doc{Blocks: []jiramarkup.Block{jiramarkup.P(jiramarkup.Strong(who+" replied in Guance: "), jiramarkup.Plain(ticket.TextFromHTML(r.Content)))}}
	_, err := b.Jira.UpsertComment(ctx, key, "guance-reply:"+r.UUID, doc, nil)
	return err
}

// isOurs reads the extend field fixproof puts on its own replies.
func isOurs(extend json.RawMessage) bool {
	var e map[string]any
	return json.Unmarshal(extend, &e) == nil && e["fixproof"] == true
}
