package bot

import (
	"context"
	"encoding/json"
	"fmt"
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

// act brings Jira up to date for the batch: the issue exists, or is
// reopened or replaced, as the batch's alerts ask; then it is linked back,
// resolved, escalated and its counters written as they ask.
func (b *Bot) act(ctx context.Context, r *run, p batchPlan) error {
	rt := b.routeFor(p.latest)
	if err := b.ensureIssue(ctx, r, p, rt); err != nil {
		return err
	}
	if r.key == "" {
		return nil // nothing in Jira yet (only suppressed or resolved alerts)
	}
	if p.latest != nil && !r.st.Linked {
		b.linkBack(ctx, &r.st, r.key, p.latest)
	}
	if p.last == alert.Resolved && rt.AutoResolve {
		r.changed = true
		if err := b.resolve(ctx, r, p.fresh, rt); err != nil {
			return err
		}
	}
	if err := b.escalate(ctx, &r.st, r.key, r.now); err != nil {
		return err
	}
	return b.pushCounters(ctx, r)
}

// ensureIssue gives a problem that fired its issue: created when it has
// none, whatever the batch ends with (a resolve after it closes it), or
// revived under the reopen policy when the batch ends firing.
func (b *Bot) ensureIssue(ctx context.Context, r *run, p batchPlan, rt effectiveRoute) error {
	firing := p.last == alert.Fired || p.last == alert.Regressed
	var key string
	var err error
	switch {
	case p.firing != nil && r.key == "":
		key, err = b.create(ctx, r, p.firing, rt, "")
	case firing && r.key != "":
		key, err = b.revive(ctx, r, p.firing, rt, p.regressed)
	default:
		return nil
	}
	if err != nil {
		return err
	}
	if key != r.key {
		r.setKey(key)
	}
	return nil
}

// resolve moves the issue of an alert its source resolved to a done
// status (auto_resolve), and says so on the issue and in the log.
func (b *Bot) resolve(ctx context.Context, r *run, a *alert.Alert, rt effectiveRoute) error {
	key, now := r.key, r.now
	moved, err := b.move(ctx, key, rt.StatusDone, loop.Done)
	if err != nil {
		return err
	}
	r.st.Closed = now
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
	r := effectiveRoute{Project: b.Config.Jira.Project, IssueType: b.Config.Jira.IssueType, Labels: b.Config.Jira.Labels, StatusDone: b.Config.Jira.StatusDone}
	if a == nil {
		return r
	}
	if m := route(b.Config.Routes, a); m != nil {
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
// intent is saved first, so a worker that finds it after a crash (or a
// create whose answer was lost) looks the fingerprint's label up in Jira,
// waiting while Jira's search may lag, before creating again. previous,
// when set, is the issue this one replaces.
//
// The saves in between write base with only the durable facts of st (see
// durable), so a retry of the batch does not count its deliveries twice.
func (b *Bot) create(ctx context.Context, r *run, a *alert.Alert, rt effectiveRoute, previous string) (string, error) {
	if !r.st.CreatingSince.IsZero() {
		if key, err := b.earlierCreate(ctx, r, previous); key != "" || err != nil {
			return key, err
		}
	}
	r.st.CreatingSince, r.st.CreateError = b.Now(), ""
	if err := b.save(ctx, r, r.batch.Record.JiraKey); err != nil {
		return "", err
	}
	scrubbed := b.scrubbed(a)
	t, err := b.Tickets.Build(scrubbed, b.classOf(scrubbed))
	if err != nil {
		return "", err
	}
	key, err := b.Jira.CreateIssue(ctx, b.newIssue(r.fp, a, scrubbed, t, rt))
	if err != nil {
		if mayHaveCreated(err) {
			// Keep the intent: the next attempt looks the issue up,
			// waiting for Jira's search, before creating again.
			r.st.CreateError = err.Error()
		} else {
			r.st.CreatingSince = time.Time{}
		}
		return "", err
	}
	r.st.CreatingSince, r.st.CreateError = time.Time{}, ""
	if err := b.save(ctx, r, key); err != nil {
		return key, err
	}
	b.metrics.created.Inc()
	r.changed = true
	b.Log.Info("created", "fingerprint", r.fp, "jira_key", key, "project", rt.Project)
	b.linkNew(ctx, r.fp, key, a, t.Summary, previous)
	return key, nil
}

// earlierCreate looks for the issue an earlier create of the fingerprint
// may have made (its worker died, or Jira acted on a request whose answer
// was lost). It returns the key when Jira's search shows the issue, a
// lagError while the search may still be catching up, and "" with no
// error once it has waited long enough to create again.
func (b *Bot) earlierCreate(ctx context.Context, r *run, previous string) (string, error) {
	keys, err := b.Jira.FindByLabel(ctx, loop.Fingerprint(r.fp).Label())
	if err != nil {
		return "", err
	}
	for _, k := range keys {
		if k != previous && !contains(r.st.Previous, k) {
			r.st.CreatingSince, r.st.CreateError = time.Time{}, ""
			b.Log.Info("found the issue an earlier create made", "fingerprint", r.fp, "jira_key", k)
			return k, b.save(ctx, r, k)
		}
	}
	if until := r.st.CreatingSince.Add(b.SearchLag); b.Now().Before(until) {
		cause := r.st.CreateError
		if cause == "" {
			cause = "a worker stopped while creating it"
		}
		return "", &lagError{Until: until, Cause: cause}
	}
	return "", nil
}

// save writes the key and the durable facts of the run's state while the
// batch is still being worked on, and extends its lease.
func (b *Bot) save(ctx context.Context, r *run, key string) error {
	return b.Store.Save(ctx, r.batch, key, mustJSON(durable(r.base, r.st)), b.Now().Add(b.lease))
}

// newIssue is the Jira issue for an alert (a scrubbed, its ticket t): in
// the route's project, with the fixproof property naming the problem and
// its Sentry issue, so the issue never exists without them.
func (b *Bot) newIssue(fp string, a, scrubbed *alert.Alert, t ticket.Ticket, rt effectiveRoute) jira.NewIssue {
	prop := loop.Property{Fingerprint: fp}
	if a.Source == alert.Sentry && a.IssueID != "" {
		prop.Sentry = []loop.SentryRef{{Org: a.Org, IssueID: loop.ID(a.IssueID), Project: loop.ID(a.ProjectID)}}
	}
	return jira.NewIssue{
		Project: rt.Project, IssueType: rt.IssueType, Summary: t.Summary, Description: t.Description,
		Labels: unique(slices.Concat(t.Labels, b.alertLabels(scrubbed), rt.Labels)), Components: rt.Components,
		Properties: map[string]any{loop.PropertyKey: prop},
	}
}

// linkNew links a new issue to its Sentry issue and to the issue it
// replaces. A failure is logged: the issue stands without the link.
func (b *Bot) linkNew(ctx context.Context, fp, key string, a *alert.Alert, summary, previous string) {
	if a.IssueURL != "" {
		title := a.ShortID
		if title == "" {
			title = "Sentry issue " + a.IssueID
		}
		if err := b.Jira.UpsertRemoteLink(ctx, key, jira.RemoteLink{GlobalID: a.IssueURL, URL: a.IssueURL,
			Title: title + ": " + summary, Relationship: "Sentry issue"}); err != nil {
			b.Log.Warn("remote link to Sentry not written", "fingerprint", fp, "jira_key", key, "error", err.Error())
		}
	}
	if previous != "" {
		if err := b.Jira.LinkIssues(ctx, b.Config.Jira.LinkType, key, previous); err != nil {
			b.Log.Warn("link to the previous issue not written", "fingerprint", fp, "jira_key", key, "previous", previous, "error", err.Error())
		}
	}
}

// revive applies the reopen policy when an alert fires for a fingerprint
// that already has an issue.
func (b *Bot) revive(ctx context.Context, r *run, a *alert.Alert, rt effectiveRoute, regressed bool) (string, error) {
	key, now, st := r.key, r.now, &r.st
	js, err := b.Jira.IssueState(ctx, key)
	if err != nil {
		return key, err
	}
	verdict := decideReopen(js.Category, js.Resolution, js.Resolved, now, b.Config.Jira.ReopenWindow.D(), b.Config.Jira.WontFix)
	if regressed && verdict == replace && !strings.EqualFold(js.Category, "done") {
		verdict = stayOpen
	}
	if regressed && strings.EqualFold(js.Category, "done") {
		// Sentry says the fix did not hold: reopen whatever the window.
		verdict = reopen
	}
	switch verdict {
	case reopen:
		if _, err := b.move(ctx, key, b.Config.Jira.StatusOpen, loop.Open); err != nil {
			return key, err
		}
		why := "The alert fired again"
		if regressed {
			why = "Sentry reports a regression"
		}
		st.Closed = time.Time{}
		st.Level = 0
		r.changed = true
		b.Log.Info("reopened", "fingerprint", r.fp, "jira_key", key)
		b.recordReopen(ctx, r.fp, key, now)
		return key, b.Jira.AddComment(ctx, key, jiramarkup.Doc{Blocks: []jiramarkup.Block{jiramarkup.P(
			jiramarkup.Strong("Reopened by fixproof. "), jiramarkup.Plain(fmt.Sprintf("%s at %s (%s was resolved %s).",
				why, now.UTC().Format("2006-01-02 15:04 MST"), key, js.Resolved.UTC().Format("2006-01-02 15:04 MST"))))}})
	case replace:
		st.Previous = append(st.Previous, key)
		st.Closed, st.Level, st.Linked = time.Time{}, 0, false
		return b.create(ctx, r, a, rt, key)
	}
	return key, nil
}

// recordReopen adds the time to the property's reopened list, for the
// dashboard's timeline. A failure is logged: the reopen itself stands,
// and the comment says when it happened.
func (b *Bot) recordReopen(ctx context.Context, fp, key string, at time.Time) {
	raw, err := b.Jira.Property(ctx, key, loop.PropertyKey)
	var prop loop.Property
	if err == nil {
		prop, err = loop.ParseProperty(raw)
	}
	if err == nil {
		prop.Reopened = append(prop.Reopened, at.UTC().Format(time.RFC3339))
		err = b.Jira.SetProperty(ctx, key, loop.PropertyKey, prop)
	}
	if err != nil {
		b.Log.Warn("reopen not recorded in the property", "fingerprint", fp, "jira_key", key, "error", err.Error())
	}
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
	statuses := loop.Statuses{loop.Open: b.Config.Jira.StatusOpen, loop.InProgress: b.Config.Jira.StatusInProgress,
		loop.InReview: b.Config.Jira.StatusInReview, loop.Done: b.Config.Jira.StatusDone}
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
	if b.Config.Sentry.Installation != "" {
		_, err = b.Sentry.CreateExternalIssue(ctx, b.Config.Sentry.Installation, a.IssueID, url, strings.SplitN(key, "-", 2)[0], key)
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
	th := b.Config.Escalation.Thresholds
	if len(th) == 0 {
		return nil
	}
	window := b.Config.Escalation.Window.D()
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
func (b *Bot) pushCounters(ctx context.Context, r *run) error {
	due, at := pushDue(r.st, b.Config.UpdateEvery.D(), r.now)
	if !due {
		if !at.IsZero() {
			_, _, err := b.Store.Enqueue(ctx, store.Delivery{Kind: kindFlush, Fingerprint: r.fp,
				Payload: []byte("{}"), Received: r.now, NotBefore: at, Unique: true})
			return err
		}
		return nil
	}
	if _, err := b.Jira.UpsertComment(ctx, r.key, "counters", counters(r.st), nil); err != nil {
		return err
	}
	r.st.Pushed, r.st.Pending = r.now, false
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
	return ticket.AlertLabels(a, b.Config.Alertmanager.JiraLabels)
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
