package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/fixproof/fixproof/internal/alert"
	"github.com/fixproof/fixproof/internal/botconfig"
	"github.com/fixproof/fixproof/internal/errclass"
	"github.com/fixproof/fixproof/internal/flow"
	"github.com/fixproof/fixproof/internal/jira"
	"github.com/fixproof/fixproof/internal/jiramarkup"
	"github.com/fixproof/fixproof/internal/loop"
	"github.com/fixproof/fixproof/internal/store"
	"github.com/fixproof/fixproof/internal/ticket"
)

// kindFlush is a deferred job that writes coalesced counters to Jira when
// no new delivery comes to do it.
const kindFlush = "flush"

// process handles one fingerprint's batch: every delivery is counted,
// then Jira is brought up to date once for all of them, in the order the
// deliveries came.
func (b *Bot) process(ctx context.Context, batch *store.Batch) {
	fp := batch.Record.Fingerprint
	key := batch.Record.JiraKey
	log := b.Log.With("fingerprint", fp, "jira_key", key, "deliveries", len(batch.Jobs))
	var base State
	if len(batch.Record.State) > 0 {
		if err := json.Unmarshal(batch.Record.State, &base); err != nil {
			log.Error("state unreadable; starting afresh", "error", err.Error())
			base = State{}
		}
	}
	st := base
	st.Previous = append([]string(nil), base.Previous...)
	st.Minutes = make(map[int64]int64, len(base.Minutes))
	for k, v := range base.Minutes {
		st.Minutes[k] = v
	}
	now := b.Now()
	var counted []received
	for _, j := range batch.Jobs {
		if j.Kind == kindFlush || j.Kind == kindJira || j.Kind == kindSentryComment || j.Kind == kindGuanceReply {
			continue
		}
		var a alert.Alert
		if err := json.Unmarshal(j.Payload, &a); err != nil {
			b.metrics.alerts.WithLabelValues("undecodable").Inc()
			log.Error("delivery unreadable; dropped from the batch", "job", j.ID, "error", err.Error())
			continue
		}
		if j.Kind == kindGuance {
			// A poll sees an issue again until it changes: count each
			// update once.
			if !a.LastSeen.After(st.GuanceUpdate) {
				continue
			}
			st.GuanceUpdate = a.LastSeen
		}
		if silenced(b.cfg.Silences, &a, now) || muted(st, b.cfg.MuteAfter.D(), now) {
			st.Suppressed++
			b.metrics.suppressed.Inc()
			b.metrics.alerts.WithLabelValues("suppressed").Inc()
			continue
		}
		b.metrics.alerts.WithLabelValues("counted").Inc()
		st.observe(&a, now)
		counted = append(counted, received{&a, j.ID})
	}
	p := planBatch(counted, base.Applied)
	if a := p.fresh; a != nil {
		if a.Source == alert.Alertmanager {
			a = b.scrubbed(a) // its alerts' labels reach the counters comment
		}
		st.describe(a)
		st.Applied = p.freshJob
	}

	newKey, err := b.act(ctx, batch, base, &st, key, p, now)
	if newKey != "" {
		key = newKey
		log = log.With("jira_key", key)
	}
	if err == nil {
		err = b.syncComments(ctx, batch, key)
	}
	if err != nil {
		b.fail(ctx, log, batch, base, st, key, err, now)
		return
	}
	st.Outages = 0
	if err := b.Store.Finish(ctx, batch, key, mustJSON(st)); err != nil {
		b.leaseError(log, err)
		return
	}
	b.metrics.jobs.WithLabelValues("done").Inc()
	log.Debug("batch done", "events", st.Events)
}

// fail puts a failed batch back, or into the dead letters, as planRetry
// decides, and says why in one log line.
func (b *Bot) fail(ctx context.Context, log *slog.Logger, batch *store.Batch, base, st State, key string, err error, now time.Time) {
	kind := classify(err, b.jiraHost)
	jiraUp := false
	if kind == unavailable {
		// One cheap read tells an outage (wait, uncounted) from a request
		// Jira fails on its own (count it, so a poison delivery ends).
		pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_, perr := b.Jira.Myself(pctx)
		cancel()
		jiraUp = perr == nil
	}
	attempts := 0
	for _, j := range batch.Jobs {
		attempts = max(attempts, j.Attempts)
	}
	var lagUntil time.Time
	var lag *lagError
	if errors.As(err, &lag) {
		lagUntil = lag.Until
	}
	plan := planRetry(kind, jiraUp, attempts, base.Outages, lagUntil, now, rand.Float64())
	keep := durable(base, st)
	if plan.Uncounted && kind == unavailable {
		keep.Outages = base.Outages + 1
	}
	dies := plan.Dead || !plan.Uncounted && b.cfg.MaxAttempts > 0 && attempts+1 >= b.cfg.MaxAttempts
	switch {
	case dies:
		why := "Jira refused the request as invalid"
		if !plan.Dead {
			why = fmt.Sprintf("failed %d times (max_attempts)", attempts+1)
		}
		log.Error("dead letter: "+why+"; the deliveries are kept in the dead letters (table dead_jobs, metric fixproof_dead_letters, the dashboard); fix the cause, then run fixproof bot redrive",
			"error", err.Error(), "attempts", attempts+1)
	case kind == lagging:
		log.Info("waiting for Jira's search before creating again", "error", err.Error(), "retry_in", plan.Wait.String())
	case plan.Uncounted:
		log.Warn("Jira is unavailable; will retry without counting an attempt", "error", err.Error(), "retry_in", plan.Wait.String())
	default:
		log.Warn("batch failed; will retry", "error", err.Error(), "attempt", attempts+1, "retry_in", plan.Wait.String())
	}
	f := store.Failure{Error: err.Error(), NotBefore: now.Add(plan.Wait), Uncounted: plan.Uncounted, MaxAttempts: b.cfg.MaxAttempts, Dead: plan.Dead}
	if rerr := b.Store.Retry(ctx, batch, key, mustJSON(keep), f); rerr != nil {
		b.leaseError(log, rerr)
		return
	}
	b.metrics.jobs.WithLabelValues("retried").Inc()
}

func (b *Bot) leaseError(log interface {
	Error(string, ...any)
	Warn(string, ...any)
}, err error) {
	if errors.Is(err, store.ErrLeaseLost) {
		b.metrics.jobs.WithLabelValues("lease_lost").Inc()
		log.Warn("lease lost: another worker took this fingerprint over; it redoes the batch")
		return
	}
	log.Error("store: finishing a batch", "error", err.Error())
}

// received is a counted alert with its job's id: the store numbers jobs in
// the order it took them (one sequence for all replicas on Postgres), the
// order of the deliveries as the bot received them.
type received struct {
	a   *alert.Alert
	job int64
}

// batchPlan is what a batch's alerts, taken in order, ask of Jira.
type batchPlan struct {
	// latest is the last alert counted: it picks the route.
	latest *alert.Alert
	// fresh is the last alert received after the newest one already
	// applied (State.Applied), in job freshJob: it tells what the problem
	// looks like now. Nil when every alert of the batch is older (a
	// delivery that waited for a retry while a newer one went ahead).
	fresh    *alert.Alert
	freshJob int64
	// firing is the last alert that fired or regressed: an issue is
	// created from it when there is none.
	firing *alert.Alert
	// last is the last of Fired, Regressed and Resolved among the fresh
	// alerts: the state the issue must end in ("" when there is none).
	last alert.Action
	// regressed is true when Sentry reported a regression after the last
	// resolve.
	regressed bool
}

// planBatch folds a batch's counted alerts, oldest first, into what Jira
// must show afterwards: the issue ends in the state of the last delivery
// received that fired, regressed or resolved, whatever came before it (say
// a group resolved and then firing again while Jira was down). Alerts
// received before job since, the newest delivery already applied, are
// counted but change nothing: a delivery that waited for a retry must not
// undo a newer one processed before it.
func planBatch(alerts []received, since int64) batchPlan {
	var p batchPlan
	for _, r := range alerts {
		a := r.a
		p.latest = a
		if a.Action == alert.Fired || a.Action == alert.Regressed {
			p.firing = a
		}
		if r.job <= since {
			continue
		}
		p.fresh, p.freshJob = a, r.job
		switch a.Action {
		case alert.Fired, alert.Regressed:
			p.last = a.Action
			p.regressed = p.regressed || a.Action == alert.Regressed
		case alert.Resolved:
			p.last, p.regressed = alert.Resolved, false
		}
	}
	return p
}

// act brings Jira up to date for the batch. It returns the issue key when
// it created one.
func (b *Bot) act(ctx context.Context, batch *store.Batch, base State, st *State, key string, p batchPlan, now time.Time) (string, error) {
	rt := b.routeFor(p.latest)
	created := ""
	firing := p.last == alert.Fired || p.last == alert.Regressed
	switch {
	case p.firing != nil && key == "":
		// Whatever the batch ends with, it fired: the problem gets its
		// issue (and a resolve after it closes it below).
		k, err := b.create(ctx, batch, base, st, p.firing, rt, "")
		if err != nil {
			return "", err
		}
		key, created = k, k
	case firing && key != "":
		k, err := b.revive(ctx, batch, base, st, key, p.firing, rt, p.regressed, now)
		if err != nil {
			return "", err
		}
		if k != key {
			key, created = k, k
		}
	}
	if key == "" {
		return created, nil // nothing in Jira yet (only suppressed or resolved alerts)
	}
	if p.latest != nil && !st.Linked {
		b.linkBack(ctx, st, key, p.latest)
	}
	if p.last == alert.Resolved && rt.AutoResolve {
		if err := b.resolve(ctx, st, key, p.fresh, rt, now); err != nil {
			return created, err
		}
	}
	if err := b.escalate(ctx, st, key, now); err != nil {
		return created, err
	}
	return created, b.pushCounters(ctx, batch, st, key, now)
}

// resolve moves the issue of an alert its source resolved to a done
// status (auto_resolve), and says so on the issue and in the log.
func (b *Bot) resolve(ctx context.Context, st *State, key string, a *alert.Alert, rt effectiveRoute, now time.Time) error {
	moved, err := b.move(ctx, key, rt.StatusDone, loop.Done)
	if err != nil {
		return err
	}
	st.Closed = now
	if !moved {
		return nil
	}
	who := "its source"
	if a != nil && a.Source == alert.Alertmanager {
		who = "Alertmanager: every alert of the group is resolved"
	}
	b.Log.Info("resolved", "fingerprint", a.Fingerprint, "jira_key", key)
	return b.Jira.AddComment(ctx, key, jiramarkup.Doc{Blocks: []jiramarkup.Block{jiramarkup.P(
		jiramarkup.Strong("Resolved by fixproof. "), jiramarkup.Plain(fmt.Sprintf("Resolved at %s by %s.",
			now.UTC().Format("2006-01-02 15:04 MST"), who)))}})
}

// effectiveRoute is the route of an alert with the defaults filled in.
type effectiveRoute struct {
	Project, IssueType string
	Labels, Components []string
	AutoResolve        bool
	StatusDone         []string
}

func (b *Bot) routeFor(a *alert.Alert) effectiveRoute {
	r := effectiveRoute{Project: b.cfg.Jira.Project, IssueType: b.cfg.Jira.IssueType, Labels: b.cfg.Jira.Labels, StatusDone: b.cfg.Jira.StatusDone}
	if a == nil {
		return r
	}
	if m := route(b.cfg.Routes, a); m != nil {
		r = applyRoute(r, m)
	}
	return r
}

func applyRoute(r effectiveRoute, m *botconfig.Route) effectiveRoute {
	if m.Project != "" {
		r.Project = m.Project
	}
	if m.IssueType != "" {
		r.IssueType = m.IssueType
	}
	r.Labels = append(append([]string(nil), r.Labels...), m.Labels...)
	r.Components = m.Components
	r.AutoResolve = m.AutoResolve
	if len(m.StatusDone) > 0 {
		r.StatusDone = m.StatusDone
	}
	return r
}

// create makes the Jira issue for a fingerprint, exactly once: the
// intent is saved first, so a worker that finds it after a crash looks
// the fingerprint's label up in Jira (retrying while Jira's search may
// lag) before creating again. previous, when set, is the issue this one
// replaces.
//
// The saves in between write base with only the durable facts of st (see
// durable), so a retry of the batch does not count its deliveries twice.
func (b *Bot) create(ctx context.Context, batch *store.Batch, base State, st *State, a *alert.Alert, rt effectiveRoute, previous string) (string, error) {
	fp := batch.Record.Fingerprint
	now := b.Now()
	if !st.CreatingSince.IsZero() {
		// An earlier create may have made the issue: its worker died, or
		// Jira may have acted on a request whose answer was lost.
		keys, err := b.Jira.FindByLabel(ctx, alert.Label(fp))
		if err != nil {
			return "", err
		}
		for _, k := range keys {
			if k != previous && !contains(st.Previous, k) {
				st.CreatingSince, st.CreateError = time.Time{}, ""
				b.Log.Info("found the issue an earlier create made", "fingerprint", fp, "jira_key", k)
				return k, b.Store.Save(ctx, batch, k, mustJSON(durable(base, *st)), now.Add(b.lease))
			}
		}
		if until := st.CreatingSince.Add(b.SearchLag); now.Before(until) {
			cause := st.CreateError
			if cause == "" {
				cause = "a worker stopped while creating it"
			}
			return "", &lagError{Until: until, Cause: cause}
		}
	}
	st.CreatingSince, st.CreateError = now, ""
	if err := b.Store.Save(ctx, batch, batch.Record.JiraKey, mustJSON(durable(base, *st)), now.Add(b.lease)); err != nil {
		return "", err
	}
	scrubbed := b.scrubbed(a)
	t, err := b.Tickets.Build(scrubbed, b.classOf(scrubbed))
	if err != nil {
		return "", err
	}
	prop := loop.Property{Fingerprint: fp}
	if a.Source == alert.Sentry && a.IssueID != "" {
		prop.Sentry = []loop.SentryRef{{Org: a.Org, IssueID: loop.ID(a.IssueID)}}
	}
	key, err := b.Jira.CreateIssue(ctx, jira.NewIssue{
		Project: rt.Project, IssueType: rt.IssueType, Summary: t.Summary, Description: t.Description,
		Labels: unique(slices.Concat(t.Labels, b.alertLabels(scrubbed), rt.Labels)), Components: rt.Components,
		Properties: map[string]any{loop.PropertyKey: prop},
	})
	if err != nil {
		if mayHaveCreated(err) {
			// Keep the intent: the next attempt looks the issue up,
			// waiting for Jira's search, before creating again.
			st.CreateError = err.Error()
		} else {
			st.CreatingSince = time.Time{}
		}
		return "", err
	}
	st.CreatingSince, st.CreateError = time.Time{}, ""
	if err := b.Store.Save(ctx, batch, key, mustJSON(durable(base, *st)), b.Now().Add(b.lease)); err != nil {
		return key, err
	}
	b.metrics.created.Inc()
	b.Log.Info("created", "fingerprint", fp, "jira_key", key, "project", rt.Project)
	if a.IssueURL != "" {
		title := a.ShortID
		if title == "" {
			title = "Sentry issue " + a.IssueID
		}
		if err := b.Jira.UpsertRemoteLink(ctx, key, jira.RemoteLink{GlobalID: a.IssueURL, URL: a.IssueURL,
			Title: title + ": " + t.Summary, Relationship: "Sentry issue"}); err != nil {
			b.Log.Warn("remote link to Sentry not written", "fingerprint", fp, "jira_key", key, "error", err.Error())
		}
	}
	if previous != "" {
		if err := b.Jira.LinkIssues(ctx, b.cfg.Jira.LinkType, key, previous); err != nil {
			b.Log.Warn("link to the previous issue not written", "fingerprint", fp, "jira_key", key, "previous", previous, "error", err.Error())
		}
	}
	return key, nil
}

// revive applies the reopen policy when an alert fires for a fingerprint
// that already has an issue.
func (b *Bot) revive(ctx context.Context, batch *store.Batch, base State, st *State, key string, a *alert.Alert, rt effectiveRoute, regressed bool, now time.Time) (string, error) {
	js, err := b.Jira.IssueState(ctx, key)
	if err != nil {
		return key, err
	}
	verdict := decideReopen(js.Category, js.Resolution, js.Resolved, now, b.cfg.Jira.ReopenWindow.D(), b.cfg.Jira.WontFix)
	if regressed && verdict == replace && !strings.EqualFold(js.Category, "done") {
		verdict = stayOpen
	}
	if regressed && strings.EqualFold(js.Category, "done") {
		// Sentry says the fix did not hold: reopen whatever the window.
		verdict = reopen
	}
	switch verdict {
	case reopen:
		if _, err := b.move(ctx, key, b.cfg.Jira.StatusOpen, loop.Open); err != nil {
			return key, err
		}
		why := "The alert fired again"
		if regressed {
			why = "Sentry reports a regression"
		}
		st.Closed = time.Time{}
		st.Level = 0
		b.Log.Info("reopened", "fingerprint", batch.Record.Fingerprint, "jira_key", key)
		return key, b.Jira.AddComment(ctx, key, jiramarkup.Doc{Blocks: []jiramarkup.Block{jiramarkup.P(
			jiramarkup.Strong("Reopened by fixproof. "), jiramarkup.Plain(fmt.Sprintf("%s at %s (%s was resolved %s).",
				why, now.UTC().Format("2006-01-02 15:04 MST"), key, js.Resolved.UTC().Format("2006-01-02 15:04 MST"))))}})
	case replace:
		st.Previous = append(st.Previous, key)
		st.Closed, st.Level, st.Linked = time.Time{}, 0, false
		return b.create(ctx, batch, base, st, a, rt, key)
	}
	return key, nil
}

// move walks an issue to one of the statuses of a stage; false means it
// was there already.
func (b *Bot) move(ctx context.Context, key string, target []string, stage loop.Stage) (bool, error) {
	js, err := b.Jira.IssueState(ctx, key)
	if err != nil {
		return false, err
	}
	for _, s := range target {
		if strings.EqualFold(s, js.Status) {
			return false, nil
		}
	}
	statuses := loop.Statuses{loop.Open: b.cfg.Jira.StatusOpen, loop.InProgress: b.cfg.Jira.StatusInProgress,
		loop.InReview: b.cfg.Jira.StatusInReview, loop.Done: b.cfg.Jira.StatusDone}
	statuses[stage] = target
	_, err = flow.Walk(ctx, b.Jira, key, js.Status, nil, flow.Goal{Target: target, Stage: stage, Statuses: statuses})
	return err == nil, err
}

// linkBack links the Sentry issue to its Jira issue: as an external issue
// when the bot runs as a Sentry integration, otherwise as a note. A
// failure is logged and tried again with the next batch.
func (b *Bot) linkBack(ctx context.Context, st *State, key string, a *alert.Alert) {
	if b.Sentry == nil || a.Source != alert.Sentry || a.IssueID == "" {
		st.Linked = true
		return
	}
	url := b.Jira.BrowseURL(key)
	var err error
	if b.cfg.Sentry.Installation != "" {
		_, err = b.Sentry.CreateExternalIssue(ctx, b.cfg.Sentry.Installation, a.IssueID, url, strings.SplitN(key, "-", 2)[0], key)
	} else {
		_, err = b.Sentry.AddNote(ctx, a.IssueID, "Jira: "+key+" "+url)
	}
	if err != nil {
		b.Log.Warn("Sentry issue not linked back to Jira; will retry", "fingerprint", a.Fingerprint, "jira_key", key, "error", err.Error())
		return
	}
	st.Linked = true
}

// escalate raises the priority one level per threshold newly crossed,
// with one comment per level.
func (b *Bot) escalate(ctx context.Context, st *State, key string, now time.Time) error {
	th := b.cfg.Escalation.Thresholds
	if len(th) == 0 {
		return nil
	}
	window := b.cfg.Escalation.Window.D()
	rate := st.rate(window, now)
	lvl := level(th, rate)
	for st.Level < lvl {
		js, err := b.Jira.IssueState(ctx, key)
		if err != nil {
			return err
		}
		next, err := b.higher(ctx, js.Priority)
		if err != nil {
			return err
		}
		if next != "" {
			if err := b.Jira.SetPriority(ctx, key, next); err != nil {
				return err
			}
		}
		st.Level++
		b.metrics.escalated.Inc()
		msg := fmt.Sprintf("%d deliveries in the last %s crossed the threshold of %d", rate, window, th[st.Level-1])
		if next != "" {
			msg += "; priority raised to " + next
		} else {
			msg += "; already at the highest priority"
		}
		if err := b.Jira.AddComment(ctx, key, jiramarkup.Doc{Blocks: []jiramarkup.Block{jiramarkup.P(
			jiramarkup.Strong(fmt.Sprintf("Escalated (level %d). ", st.Level)), jiramarkup.Plain(msg+"."))}}); err != nil {
			return err
		}
		b.Log.Info("escalated", "jira_key", key, "level", st.Level, "priority", next)
	}
	return nil
}

// higher is the priority one above current in Jira's list (highest
// first); "" when current is already the highest.
func (b *Bot) higher(ctx context.Context, current string) (string, error) {
	b.priorities.Lock()
	names := b.priorities.names
	b.priorities.Unlock()
	if names == nil {
		var err error
		if names, err = b.Jira.Priorities(ctx); err != nil {
			return "", err
		}
		b.priorities.Lock()
		b.priorities.names = names
		b.priorities.Unlock()
	}
	for i, n := range names {
		if strings.EqualFold(n, current) {
			if i == 0 {
				return "", nil
			}
			return names[i-1], nil
		}
	}
	if len(names) > 0 && current == "" {
		return names[len(names)/2], nil
	}
	return "", nil
}

// pushCounters writes the coalesced counters to Jira at most once per
// update_every: one comment edited in place. When it is too early, a
// flush job is queued for the moment it is due, so the last events of a
// storm are not left unwritten.
func (b *Bot) pushCounters(ctx context.Context, batch *store.Batch, st *State, key string, now time.Time) error {
	due, at := pushDue(*st, b.cfg.UpdateEvery.D(), now)
	if !due {
		if !at.IsZero() {
			_, _, err := b.Store.Enqueue(ctx, store.Delivery{Kind: kindFlush, Fingerprint: batch.Record.Fingerprint,
				Payload: []byte("{}"), Received: now, NotBefore: at, Unique: true})
			return err
		}
		return nil
	}
	doc := counters(*st)
	if _, err := b.Jira.UpsertComment(ctx, key, "counters", doc, nil); err != nil {
		return err
	}
	st.Pushed, st.Pending = now, false
	return nil
}

// counters is the comment that keeps an issue current, in the words of its
// source: Sentry counts events and users; Alertmanager sends
// notifications about a group of alerts, some firing, and knows no users.
func counters(st State) jiramarkup.Doc {
	last := st.LastSeen.UTC().Format("2006-01-02 15:04:05 MST")
	var head, text string
	switch st.Source {
	case alert.Alertmanager:
		head = "Still firing. "
		if st.Status == "resolved" {
			head = "Resolved. "
		}
		text = fmt.Sprintf("%s from Alertmanager; the last at %s; %s firing now.",
			plural(st.Deliveries, "notification"), last, plural(int64(len(st.Firing)), "alert"))
	case alert.Guance:
		head = "Still happening. "
		text = fmt.Sprintf("%s from Guance; the last at %s.", plural(st.Deliveries, "update"), last)
	default:
		head = "Still happening. "
		text = fmt.Sprintf("Seen %s (%s); last at %s; %s affected.",
			plural(st.Events, "time"), plural(st.Deliveries, "delivery"), last, plural(st.Users, "user"))
	}
	if st.Suppressed > 0 {
		text += fmt.Sprintf(" %s suppressed by silences or after the issue was closed.", plural(st.Suppressed, "alert was", "alerts were"))
	}
	blocks := []jiramarkup.Block{jiramarkup.P(jiramarkup.Strong(head), jiramarkup.Plain(text))}
	if len(st.Firing) > 0 {
		items := make([]jiramarkup.Paragraph, 0, min(len(st.Firing), maxFiringLines)+1)
		for _, l := range st.Firing[:min(len(st.Firing), maxFiringLines)] {
			items = append(items, jiramarkup.P(jiramarkup.Plain(l)))
		}
		if more := len(st.Firing) - maxFiringLines; more > 0 {
			items = append(items, jiramarkup.P(jiramarkup.Plain(fmt.Sprintf("and %d more", more))))
		}
		blocks = append(blocks, jiramarkup.P(jiramarkup.Strong("Firing now:")), jiramarkup.List{Items: items})
	}
	return jiramarkup.Doc{Blocks: blocks}
}

// plural writes n with its noun: "1 alert", "2 alerts"; forms gives the
// singular and, when it is not singular+"s", the plural.
func plural(n int64, forms ...string) string {
	one, many := forms[0], forms[0]+"s"
	if len(forms) > 1 {
		many = forms[1]
	}
	if strings.HasSuffix(one, "y") && len(forms) == 1 {
		many = strings.TrimSuffix(one, "y") + "ies"
	}
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// scrubbed is a copy of a with personal data removed, for anything that
// reaches Jira.
func (b *Bot) scrubbed(a *alert.Alert) *alert.Alert {
	c := *a
	b.Scrubber.Alert(&c)
	return &c
}

// classOf is the error class a ticket is labelled with: Sentry and Guance
// errors are classified by what failed; an Alertmanager alert is not an
// error, so it gets none.
func (b *Bot) classOf(a *alert.Alert) string {
	if a.Source == alert.Alertmanager {
		return ""
	}
	return string(errclass.Of(a))
}

// alertLabels are the Jira labels an Alertmanager alert's own labels give
// (alertmanager.jira_labels).
func (b *Bot) alertLabels(a *alert.Alert) []string {
	if a.Source != alert.Alertmanager {
		return nil
	}
	return ticket.AlertLabels(a, b.cfg.Alertmanager.JiraLabels)
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v) // State has only marshalable fields
	return b
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func unique(list []string) []string {
	seen := map[string]bool{}
	out := list[:0:0]
	for _, s := range list {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
