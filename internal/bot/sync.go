package bot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/fixproof/fixproof/internal/guance"
	"github.com/fixproof/fixproof/internal/jira"
	"github.com/fixproof/fixproof/internal/jirahook"
	"github.com/fixproof/fixproof/internal/jiramarkup"
	"github.com/fixproof/fixproof/internal/store"
	"github.com/fixproof/fixproof/internal/webhook"
)

// Kinds of jobs that carry comments rather than alerts.
const (
	kindJira          = "jira"
	kindSentryComment = "sentry_comment"
)

// seenFor is how long delivery ids are remembered for de-duplication:
// longer than any sender keeps retrying.
const seenFor = 7 * 24 * time.Hour

// handleJira receives Jira's webhooks for comment sync. A delivery about
// an issue fixproof does not link is acknowledged and dropped; one it
// links is queued under the linked alert's fingerprint, so that it is
// handled in turn with that alert's other deliveries (a Sentry webhook
// about a note the bot just wrote waits until the bot has recorded the
// note as its own).
func (b *Bot) handleJira() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		const source = "jira"
		body, ok := b.readBody(w, r, source)
		if !ok {
			return
		}
		if !jirahook.Verify(body, b.cfg.Jira.WebhookSecret, r.Header.Get("X-Hub-Signature")) {
			b.reject(w, source, http.StatusUnauthorized, "unauthorized", "X-Hub-Signature does not match the body signed with jira.webhook_secret")
			return
		}
		id := r.Header.Get("X-Atlassian-Webhook-Identifier")
		ev, err := jirahook.Decode(body, id)
		if err != nil {
			b.reject(w, source, http.StatusBadRequest, "bad_request", err.Error())
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), answerWithin)
		defer cancel()
		if ev.Kind == "" || ev.IssueKey == "" {
			b.metrics.webhooks.WithLabelValues(source, "ignored").Inc()
			encode(w, http.StatusOK, map[string]any{"accepted": 0})
			return
		}
		rec, linked, err := b.Store.LookupByJiraKey(ctx, ev.IssueKey)
		if err != nil {
			b.unavailable(w, source, err)
			return
		}
		if !linked {
			b.metrics.webhooks.WithLabelValues(source, "ignored").Inc()
			encode(w, http.StatusOK, map[string]any{"accepted": 0})
			return
		}
		payload, _ := json.Marshal(ev)
		if _, _, err := b.Store.Enqueue(ctx, store.Delivery{Kind: kindJira, Fingerprint: rec.Fingerprint, Payload: payload, Received: b.Now()}); err != nil {
			b.unavailable(w, source, err)
			return
		}
		if id != "" {
			// Jira re-sends with the same identifier. The id is marked only
			// after the delivery is stored, so a failure between the two
			// can never lose one; a re-sent copy is queued again and its
			// mirror records make it change nothing.
			if first, err := b.Store.MarkSeen(ctx, "jira:"+id, b.Now(), seenFor); err == nil && !first {
				b.metrics.webhooks.WithLabelValues(source, "duplicate").Inc()
			}
		}
		b.notify()
		b.metrics.webhooks.WithLabelValues(source, "accepted").Inc()
		encode(w, http.StatusAccepted, map[string]any{"accepted": 1})
	})
}

func (b *Bot) unavailable(w http.ResponseWriter, source string, err error) {
	b.Log.Error("store", "source", source, "error", err.Error())
	w.Header().Set("Retry-After", "5")
	b.reject(w, source, http.StatusServiceUnavailable, "unavailable", "could not store the delivery; send it again")
}

// syncComments handles a batch's comment jobs after its alerts.
func (b *Bot) syncComments(ctx context.Context, batch *store.Batch, key string) error {
	for _, j := range batch.Jobs {
		var err error
		switch j.Kind {
		case kindJira:
			var ev jirahook.Event
			if json.Unmarshal(j.Payload, &ev) != nil {
				continue
			}
			err = b.fromJira(ctx, batch.Record.Fingerprint, ev)
		case kindSentryComment:
			var c webhook.SentryComment
			if json.Unmarshal(j.Payload, &c) != nil {
				continue
			}
			err = b.fromSentry(ctx, key, c)
		case kindGuanceReply:
			var r guance.Reply
			if json.Unmarshal(j.Payload, &r) != nil {
				continue
			}
			err = b.fromGuanceReply(ctx, key, r)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

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
// from.
func (b *Bot) fromJira(ctx context.Context, fingerprint string, ev jirahook.Event) error {
	t := b.targetFor(fingerprint)
	if t == nil {
		return nil
	}
	if ev.Kind == jirahook.IssueUpdated {
		return t.status(ctx, ev.StatusCategory)
	}
	if ev.Comment == nil {
		return nil
	}
	srcID := ev.IssueKey + "/" + ev.Comment.ID
	m, found, err := b.Store.LookupMirror(ctx, "jira", srcID, t.name())
	if err != nil {
		return err
	}
	if ev.Kind == jirahook.CommentDeleted {
		if !found || m.TargetID == "" || m.Deleted {
			return nil
		}
		if err := t.remove(ctx, m.TargetID); err != nil {
			return err
		}
		m.Deleted, m.Updated = true, b.Now()
		return b.Store.SaveMirror(ctx, m)
	}
	author := ev.Comment.Author
	if ev.Kind == jirahook.CommentUpdated && (ev.Comment.UpdateAuthor.AccountID != "" || ev.Comment.UpdateAuthor.Name != "") {
		author = ev.Comment.UpdateAuthor
	}
	if mine, err := b.isSelf(ctx, author); err != nil || mine {
		return err // the bot's own comment (a copy of a Sentry or Guance one)
	}
	text := b.mirrorText(ev.IssueKey, ev.Comment, author, srcID)
	digest := digestOf(text)
	switch {
	case found && m.TargetID != "" && m.Digest == digest && !m.Deleted:
		return nil // a replayed or duplicate delivery
	case found && m.TargetID != "":
		if err := t.update(ctx, m.TargetID, text); err != nil {
			return err
		}
	default:
		if found {
			// A previous attempt meant to write the copy: it may have.
			if id, ok, err := t.find(ctx, srcID); err != nil {
				return err
			} else if ok {
				m.TargetID = id
				if err := t.update(ctx, id, text); err != nil {
					return err
				}
				break
			}
		}
		m = store.Mirror{Source: "jira", SourceID: srcID, Target: t.name(), Updated: b.Now()}
		if err := b.Store.SaveMirror(ctx, m); err != nil {
			return err
		}
		id, err := t.post(ctx, text)
		if err != nil {
			return err
		}
		m.TargetID = id
	}
	m.Digest, m.Deleted, m.Updated = digest, false, b.Now()
	return b.Store.SaveMirror(ctx, m)
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
	if c.ActorType == "application" && b.cfg.Sentry.Installation != "" && c.ActorID == b.cfg.Sentry.Installation {
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
