package bot

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/fixproof/fixproof/internal/alert"
	"github.com/fixproof/fixproof/internal/guance"
	"github.com/fixproof/fixproof/internal/jiramarkup"
	"github.com/fixproof/fixproof/internal/store"
	"github.com/fixproof/fixproof/internal/ticket"
)

// Guance is what the bot needs of Guance (*guance.Client).
type Guance interface {
	Channels(ctx context.Context) ([]guance.Channel, error)
	Issues(ctx context.Context, q guance.IssueQuery) ([]guance.Issue, error)
	Replies(ctx context.Context, issueUUID string) ([]guance.Reply, error)
	Reply(ctx context.Context, issueUUID, content string, extend map[string]any) (guance.Reply, error)
	SetStatus(ctx context.Context, issueUUID string, statusType int) error
}

// Job kinds of the Guance poller.
const (
	kindGuance      = "guance"       // a Guance issue, as an alert
	kindGuanceReply = "guance_reply" // a reply on a Guance issue, for Jira
)

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
	st, ok := t.b.cfg.Guance.Status[strings.ToLower(category)]
	if !ok {
		return nil
	}
	return t.b.Guance.SetStatus(ctx, t.uuid, st)
}

// runGuance polls Guance every interval in one replica at a time (a
// lease in the store), until ctx ends.
func (b *Bot) runGuance(ctx context.Context) {
	if b.Guance == nil {
		return
	}
	every := b.cfg.Guance.Interval.D()
	if b.GuanceEvery > 0 {
		every = b.GuanceEvery
	}
	for {
		if err := b.pollGuance(ctx); err != nil && ctx.Err() == nil {
			b.Log.Warn("Guance poll failed; the next one covers the same window", "error", err.Error())
		}
		if !pause(ctx, every) {
			return
		}
	}
}

// pollGuance lists the issues updated since the last poll, reaching back
// an overlap before it so a late or failed run loses nothing, and queues
// each issue (an alert) and each of its replies (comments for Jira). The
// cursor advances only once all of them are stored. Duplicates from the
// overlap are harmless: an issue's update is counted once (the state
// keeps the last updateAt) and a reply's comment is found by its marker.
func (b *Bot) pollGuance(ctx context.Context) error {
	ws := b.cfg.Guance.Workspace
	now := b.Now()
	every := b.cfg.Guance.Interval.D()
	if ok, err := b.Store.TryLease(ctx, "poller:guance:"+ws, b.Owner, now, now.Add(2*every)); err != nil || !ok {
		return err
	}
	cursorName := "guance:" + ws
	from := now.Add(-every)
	if c, err := b.Store.Cursor(ctx, cursorName); err != nil {
		return err
	} else if t, err := time.Parse(time.RFC3339Nano, c); err == nil {
		from = t
	}
	q := guance.IssueQuery{Start: from.Add(-b.cfg.Guance.Overlap.D()), End: now}
	if len(b.cfg.Guance.Channels) > 0 {
		channels, err := b.Guance.Channels(ctx)
		if err != nil {
			return err
		}
		for _, ch := range channels {
			for _, want := range b.cfg.Guance.Channels {
				if ch.Name == want || ch.UUID == want {
					q.ChannelUUIDs = append(q.ChannelUUIDs, ch.UUID)
				}
			}
		}
	}
	issues, err := b.Guance.Issues(ctx, q)
	if err != nil {
		return err
	}
	for _, is := range issues {
		a := guanceAlert(ws, is)
		payload, _ := json.Marshal(&a)
		if _, _, err := b.Store.Enqueue(ctx, store.Delivery{Kind: kindGuance, Fingerprint: a.Fingerprint, Payload: payload, Received: now}); err != nil {
			return err
		}
		replies, err := b.Guance.Replies(ctx, is.UUID)
		if err != nil {
			return err
		}
		for _, r := range replies {
			payload, _ := json.Marshal(r)
			if _, _, err := b.Store.Enqueue(ctx, store.Delivery{Kind: kindGuanceReply, Fingerprint: a.Fingerprint, Payload: payload, Received: now}); err != nil {
				return err
			}
		}
	}
	b.notify()
	return b.Store.SetCursor(ctx, cursorName, now.UTC().Format(time.RFC3339Nano))
}

// guanceAlert is a Guance issue as an alert.
func guanceAlert(ws string, is guance.Issue) alert.Alert {
	a := alert.Alert{
		Source: alert.Guance, Fingerprint: alert.GuanceFingerprint(ws, is.UUID), Action: alert.Fired,
		Org: ws, Title: is.Name, Level: is.Level, FirstSeen: is.CreateAt, LastSeen: is.UpdateAt, IssueID: is.UUID,
		Annotations: map[string]string{"description": htmlText(is.Description), "status": guance.StatusName(is.StatusType)},
	}
	if is.StatusType == guance.StatusResolved || is.StatusType == guance.StatusClosed {
		a.Action = alert.Resolved
	}
	if len(is.Channels) > 0 {
		a.Tags = append(a.Tags, alert.Tag{Key: "channels", Value: strings.Join(is.Channels, ", ")})
	}
	return a
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
	doc := jiramarkup.Doc{Blocks: []jiramarkup.Block{jiramarkup.P(jiramarkup.Strong(who+" replied in Guance: "), jiramarkup.Plain(htmlText(r.Content)))}}
	_, err := b.Jira.UpsertComment(ctx, key, "guance-reply:"+r.UUID, doc, nil)
	return err
}

func htmlText(s string) string { return ticket.TextFromHTML(s) }

// isOurs reads the extend field fixproof puts on its own replies.
func isOurs(extend json.RawMessage) bool {
	var e map[string]any
	return json.Unmarshal(extend, &e) == nil && e["fixproof"] == true
}
