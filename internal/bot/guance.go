package bot

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/fixproof/fixproof/internal/alert"
	"github.com/fixproof/fixproof/internal/guance"
	"github.com/fixproof/fixproof/internal/loop"
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

// runGuance polls Guance every interval in one replica at a time (a
// lease in the store), until ctx ends.
func (b *Bot) runGuance(ctx context.Context) {
	if b.Guance == nil {
		return
	}
	every := b.Config.Guance.Interval.D()
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
	ws := b.Config.Guance.Workspace
	now := b.Now()
	every := b.Config.Guance.Interval.D()
	if ok, err := b.Store.TryLease(ctx, "poller:guance:"+ws, b.Owner, now, now.Add(2*every)); err != nil || !ok {
		return err
	}
	cursorName := "guance:" + ws
	from := now.Add(-every)
	if t, err := b.cursorTime(ctx, cursorName); err != nil {
		return err
	} else if !t.IsZero() {
		from = t
	}
	q := guance.IssueQuery{Start: from.Add(-b.Config.Guance.Overlap.D()), End: now}
	var err error
	if q.ChannelUUIDs, err = b.guanceChannels(ctx); err != nil {
		return err
	}
	issues, err := b.Guance.Issues(ctx, q)
	if err != nil {
		return err
	}
	for _, is := range issues {
		if err := b.queueGuanceIssue(ctx, ws, is, now); err != nil {
			return err
		}
	}
	b.notify()
	return b.setCursorTime(ctx, cursorName, now)
}

// guanceChannels are the uuids of the channels guance.channels names (by
// name or uuid); nil, for every channel, when it names none.
func (b *Bot) guanceChannels(ctx context.Context) ([]string, error) {
	if len(b.Config.Guance.Channels) == 0 {
		return nil, nil
	}
	channels, err := b.Guance.Channels(ctx)
	if err != nil {
		return nil, err
	}
	var uuids []string
	for _, ch := range channels {
		for _, want := range b.Config.Guance.Channels {
			if ch.Name == want || ch.UUID == want {
				uuids = append(uuids, ch.UUID)
			}
		}
	}
	return uuids, nil
}

// queueGuanceIssue stores a Guance issue as an alert and each of its
// replies as a comment for Jira, under the issue's fingerprint.
func (b *Bot) queueGuanceIssue(ctx context.Context, ws string, is guance.Issue, now time.Time) error {
	a := guanceAlert(ws, is)
	payload, _ := json.Marshal(&a)
	if _, _, err := b.Store.Enqueue(ctx, store.Delivery{Kind: kindGuance, Fingerprint: string(a.Fingerprint), Payload: payload, Received: now}); err != nil {
		return err
	}
	replies, err := b.Guance.Replies(ctx, is.UUID)
	if err != nil {
		return err
	}
	for _, r := range replies {
		payload, _ := json.Marshal(r)
		if _, _, err := b.Store.Enqueue(ctx, store.Delivery{Kind: kindGuanceReply, Fingerprint: string(a.Fingerprint), Payload: payload, Received: now}); err != nil {
			return err
		}
	}
	return nil
}

// guanceAlert is a Guance issue as an alert.
func guanceAlert(ws string, is guance.Issue) alert.Alert {
	a := alert.Alert{
		Source: alert.Guance, Fingerprint: loop.GuanceFingerprint(ws, is.UUID), Action: alert.Fired,
		Org: ws, Title: is.Name, Level: is.Level, FirstSeen: is.CreateAt, LastSeen: is.UpdateAt, IssueID: is.UUID,
		Annotations: map[string]string{"description": ticket.TextFromHTML(is.Description), "status": guance.StatusName(is.StatusType)},
	}
	if is.StatusType == guance.StatusResolved || is.StatusType == guance.StatusClosed {
		a.Action = alert.Resolved
	}
	if len(is.Channels) > 0 {
		a.Tags = append(a.Tags, alert.Tag{Key: "channels", Value: strings.Join(is.Channels, ", ")})
	}
	return a
}
