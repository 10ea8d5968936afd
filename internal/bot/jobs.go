package bot

import (
	"context"
	"encoding/json"
	"log/slog"
	"maps"
	"slices"
	"time"

	"github.com/fixproof/fixproof/internal/alert"
	"github.com/fixproof/fixproof/internal/guance"
	"github.com/fixproof/fixproof/internal/jirahook"
	"github.com/fixproof/fixproof/internal/store"
	"github.com/fixproof/fixproof/internal/webhook"
)

// The kinds of job in the bot's queue: every delivery and every piece of
// deferred work is stored as one, under its problem's fingerprint, and a
// worker takes a fingerprint's jobs as one batch (process).
const (
	// Alerts, counted and acted on in Jira (alerts.go). A webhook's kind
	// is also its source in the fixproof_webhooks_total metric.
	kindSentry       = "sentry"        // a Sentry integration webhook
	kindSentryLegacy = "sentry_legacy" // the legacy WebHooks plugin
	kindAlertmanager = "alertmanager"  // an Alertmanager notification
	kindGuance       = "guance"        // a Guance issue the poller found (guance.go)
	// kindFlush writes the coalesced counters when no new delivery comes
	// to do it.
	kindFlush = "flush"
	// Comments to mirror (comments.go).
	kindJira          = "jira"           // a Jira comment or status change, for Sentry or Guance
	kindSentryComment = "sentry_comment" // a Sentry note, for Jira
	kindGuanceReply   = "guance_reply"   // a Guance reply, for Jira
)

// isAlert reports whether jobs of a kind carry an alert.
func isAlert(kind string) bool {
	switch kind {
	case kindSentry, kindSentryLegacy, kindAlertmanager, kindGuance:
		return true
	}
	return false
}

// run is one batch being worked on: what its steps read and write.
type run struct {
	batch *store.Batch
	fp    string
	// key is the problem's Jira issue, once it has one.
	key string
	// base is the state before the batch: what a failed batch keeps (with
	// the durable facts it established; see durable). st is the state as
	// the batch changes it.
	base, st State
	now      time.Time
	log      *slog.Logger
	// changed is whether the batch changed the loop, or heard from Jira
	// that it changed: the dashboard reads it again when the batch is done.
	changed bool
}

// begin reads a batch's record into a run.
func (b *Bot) begin(batch *store.Batch) *run {
	r := &run{batch: batch, fp: batch.Record.Fingerprint, key: batch.Record.JiraKey, now: b.Now()}
	r.log = b.Log.With("fingerprint", r.fp, "jira_key", r.key, "deliveries", len(batch.Jobs))
	if len(batch.Record.State) > 0 {
		if err := json.Unmarshal(batch.Record.State, &r.base); err != nil {
			r.log.Error("state unreadable; starting afresh", "error", err.Error())
			r.base = State{}
		}
	}
	r.st = r.base
	r.st.Previous = slices.Clone(r.base.Previous)
	r.st.Minutes = maps.Clone(r.base.Minutes)
	if r.st.Minutes == nil {
		r.st.Minutes = map[int64]int64{}
	}
	return r
}

// setKey records the Jira issue the batch created.
func (r *run) setKey(key string) {
	r.key = key
	r.log = r.log.With("jira_key", key)
}

// process handles one fingerprint's batch: every alert is counted, Jira
// is brought up to date once for all of them, in the order they came, and
// then the batch's comments are mirrored. The batch is finished, or put
// back to be tried again, as a whole.
func (b *Bot) process(ctx context.Context, batch *store.Batch) {
	r := b.begin(batch)
	p := planBatch(b.count(r), r.base.Applied)
	if a := p.fresh; a != nil {
		if a.Source == alert.Alertmanager {
			a = b.scrubbed(a) // its alerts' labels reach the counters comment
		}
		r.st.describe(a)
		r.st.Applied = p.freshJob
	}
	err := b.act(ctx, r, p)
	if err == nil {
		err = b.syncComments(ctx, r)
	}
	if err != nil {
		b.fail(ctx, r, err)
		return
	}
	r.st.Outages = 0
	if err := b.Store.Finish(ctx, batch, r.key, mustJSON(r.st)); err != nil {
		b.leaseError(r.log, err)
		return
	}
	b.metrics.jobs.WithLabelValues("done").Inc()
	r.log.Debug("batch done", "events", r.st.Events)
	if r.changed && r.key != "" {
		b.touch(r.key)
	}
}

// count decodes the batch's alerts and counts them into the state; it
// returns those to act on (silenced and muted ones are only counted).
func (b *Bot) count(r *run) []received {
	var counted []received
	for _, j := range r.batch.Jobs {
		if !isAlert(j.Kind) {
			continue
		}
		var a alert.Alert
		if err := json.Unmarshal(j.Payload, &a); err != nil {
			b.metrics.alerts.WithLabelValues("undecodable").Inc()
			r.log.Error("delivery unreadable; dropped from the batch", "job", j.ID, "error", err.Error())
			continue
		}
		if j.Kind == kindGuance {
			// A poll sees an issue again until it changes: count each
			// update once.
			if !a.LastSeen.After(r.st.GuanceUpdate) {
				continue
			}
			r.st.GuanceUpdate = a.LastSeen
		}
		if silenced(b.Config.Silences, &a, r.now) || muted(r.st, b.Config.MuteAfter.D(), r.now) {
			r.st.Suppressed++
			b.metrics.suppressed.Inc()
			b.metrics.alerts.WithLabelValues("suppressed").Inc()
			continue
		}
		b.metrics.alerts.WithLabelValues("counted").Inc()
		r.st.observe(&a, r.now)
		counted = append(counted, received{&a, j.ID})
	}
	return counted
}

// syncComments carries out a batch's comment jobs, after its alerts.
func (b *Bot) syncComments(ctx context.Context, r *run) error {
	for _, j := range r.batch.Jobs {
		if err := b.mirror(ctx, r, j); err != nil {
			return err
		}
	}
	return nil
}

// changesLoop reports whether a Jira event may change what the dashboard
// shows of a loop: a property written, or an issue updated other than by
// a comment (Jira reports comments as issue updates too, and the
// dashboard shows none).
func changesLoop(ev jirahook.Event) bool {
	switch ev.Kind {
	case jirahook.PropertySet:
		return true
	case jirahook.IssueUpdated:
		return !ev.ForComment()
	}
	return false
}

// mirror carries out one comment job; other kinds are not its business,
// and an unreadable payload is skipped.
func (b *Bot) mirror(ctx context.Context, r *run, j store.Job) error {
	switch j.Kind {
	case kindJira:
		var ev jirahook.Event
		if json.Unmarshal(j.Payload, &ev) == nil {
			r.changed = r.changed || changesLoop(ev)
			return b.fromJira(ctx, r.fp, ev)
		}
	case kindSentryComment:
		var c webhook.SentryComment
		if json.Unmarshal(j.Payload, &c) == nil {
			return b.fromSentry(ctx, r.key, c)
		}
	case kindGuanceReply:
		var rep guance.Reply
		if json.Unmarshal(j.Payload, &rep) == nil {
			return b.fromGuanceReply(ctx, r.key, rep)
		}
	}
	return nil
}
