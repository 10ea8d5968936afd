package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/fixproof/fixproof/internal/jira"
	"github.com/fixproof/fixproof/internal/jirahook"
	"github.com/fixproof/fixproof/internal/loop"
	"github.com/fixproof/fixproof/internal/store"
)

// runReconcile heals missed Jira webhooks every reconcile.interval, in
// one replica at a time, until ctx ends.
func (b *Bot) runReconcile(ctx context.Context) {
	every := b.Config.Reconcile.Interval.D()
	if every <= 0 || b.Config.Jira.WebhookSecret == "" {
		return
	}
	for pause(ctx, every) {
		if n, err := b.reconcile(ctx); err != nil && ctx.Err() == nil {
			b.Log.Warn("reconciliation failed; the next pass covers the same window", "error", err.Error())
		} else if n > 0 {
			b.Log.Info("reconciliation queued comments Jira's webhooks missed", "comments", n)
		}
	}
}

// reconcile catches up from Jira itself: for every issue fixproof linked
// that was updated since the last pass (less an overlap), every comment
// that was never mirrored, or changed since, is queued as if its webhook
// had come. The cursor moves only once all of them are stored. Queued
// twice is harmless: the mirror records make the second change nothing.
// It returns how many comments it queued.
//
// The window is written relative to now ("updated >= -17m"): Jira reads
// absolute JQL dates in the bot account's time zone, which fixproof does
// not know, and a relative one is the same everywhere.
func (b *Bot) reconcile(ctx context.Context) (int, error) {
	now := b.Now()
	every := b.Config.Reconcile.Interval.D()
	if ok, err := b.Store.TryLease(ctx, "reconcile:jira", b.Owner, now, now.Add(2*every)); err != nil || !ok {
		return 0, err
	}
	from := now.Add(-every)
	if t, err := b.cursorTime(ctx, "reconcile:jira"); err != nil {
		return 0, err
	} else if !t.IsZero() {
		from = t
	}
	from = from.Add(-b.Config.Reconcile.Overlap.D())
	minutes := int(math.Ceil(now.Sub(from).Minutes()))
	jql := fmt.Sprintf(`labels = %q AND updated >= "-%dm" ORDER BY updated ASC`, loop.LabelBot, max(minutes, 1))
	queued := 0
	for next := ""; ; {
		page, err := b.Jira.Query(ctx, jql, nil, next)
		if err != nil {
			return queued, err
		}
		for _, is := range page.Issues {
			n, err := b.reconcileIssue(ctx, is.Key, now)
			if err != nil {
				return queued, err
			}
			queued += n
		}
		if next = page.Next; next == "" {
			break
		}
	}
	if queued > 0 {
		b.notify()
	}
	return queued, b.setCursorTime(ctx, "reconcile:jira", now)
}

// reconcileIssue queues the comments of one issue that its mirror does not
// have yet.
func (b *Bot) reconcileIssue(ctx context.Context, key string, now time.Time) (int, error) {
	rec, linked, err := b.Store.LookupByJiraKey(ctx, key)
	if err != nil || !linked {
		return 0, err
	}
	t := b.targetFor(rec.Fingerprint)
	if t == nil {
		return 0, nil
	}
	me, err := b.self(ctx)
	if err != nil {
		return 0, err
	}
	comments, err := b.Jira.Comments(ctx, key)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, c := range comments {
		if c.Marker != "" || c.Author.Is(me) {
			continue // fixproof's own
		}
		m, found, err := b.Store.LookupMirror(ctx, "jira", key+"/"+c.ID, t.name())
		if err != nil {
			return n, err
		}
		kind := jirahook.CommentCreated
		if found && m.TargetID != "" {
			if m.Deleted || !c.Updated.After(m.Updated) {
				continue
			}
			kind = jirahook.CommentUpdated
		}
		ev := jirahook.Event{Kind: kind, IssueKey: key, At: now,
			Comment: &jirahook.Comment{ID: c.ID, Author: hookUser(c.Author), UpdateAuthor: hookUser(c.Updater), Body: c.Body,
				Created: c.Created, Updated: c.Updated}}
		payload, _ := json.Marshal(ev)
		if _, _, err := b.Store.Enqueue(ctx, store.Delivery{Kind: kindJira, Fingerprint: rec.Fingerprint, Payload: payload, Received: now}); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

func hookUser(u jira.User) jirahook.User {
	return jirahook.User{AccountID: u.AccountID, Name: u.Name, DisplayName: u.DisplayName}
}
