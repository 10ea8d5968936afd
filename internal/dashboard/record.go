package dashboard

import (
	"context"
	"encoding/json"
	"slices"
	"sort"
	"time"

	"github.com/fixproof/fixproof/internal/loop"
	"github.com/fixproof/fixproof/internal/retry"
)

// loopPrefix names the store's snapshot of one loop, written when the loop
// changes ("loop:OPS-1"); the whole list is snapshotName.
const loopPrefix = "loop:"

// touchDelay is how long Touch gathers keys before reading them: a storm
// of new issues is read a search of 100 at a time, not one by one.
const touchDelay = 500 * time.Millisecond

// recorder holds the loops read one by one since the list was last read
// whole, and the keys waiting to be read.
type recorder struct {
	// recent are loops read after the list (their Read is after the
	// view's Taken), by key; they replace the list's copy.
	recent map[string]Loop
	// pending are the keys Touch was given and no Record has read yet;
	// reading is whether a Record of them is under way.
	pending []string
	reading bool
}

// Touch says that the loops of keys changed (the bot created, reopened or
// heard of a change to their issues): they are read from Jira shortly, in
// the background, a few at a time, and kept in the store one by one, so
// the dashboard shows the change at once and still shows it after a
// restart while Jira is down. A failed read is logged: the next refresh
// of the whole list catches up.
func (d *Dashboard) Touch(keys ...string) {
	if d.jira == nil || len(keys) == 0 {
		return
	}
	d.cache.mu.Lock()
	defer d.cache.mu.Unlock()
	rec := &d.cache.rec
	for _, k := range keys {
		if !slices.Contains(rec.pending, k) {
			rec.pending = append(rec.pending, k)
		}
	}
	if rec.reading {
		return
	}
	rec.reading = true
	go d.readTouched()
}

// readTouched reads the touched keys until none are left.
func (d *Dashboard) readTouched() {
	time.Sleep(touchDelay)
	for {
		d.cache.mu.Lock()
		keys := d.cache.rec.pending
		d.cache.rec.pending = nil
		if len(keys) == 0 {
			d.cache.rec.reading = false
			d.cache.mu.Unlock()
			return
		}
		d.cache.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), d.cfg.RefreshTimeout)
		if err := d.Record(ctx, keys...); err != nil {
			d.cfg.Log.Warn("dashboard: read the loops that changed", "keys", len(keys), "error", err.Error())
		}
		cancel()
	}
}

// Record reads the loops of keys from Jira now, makes them the dashboard's
// data in place of what the list last said of them, and keeps each in the
// store. A key Jira no longer has is left alone.
func (d *Dashboard) Record(ctx context.Context, keys ...string) error {
	if d.jira == nil || len(keys) == 0 {
		return nil
	}
	read := d.cfg.Now()
	details, err := d.jira.Details(retry.Once(ctx), keys, []string{loop.PropertyKey})
	if err != nil {
		return err
	}
	loops := make([]Loop, 0, len(details))
	for _, is := range details {
		l := FromDetail(is, d.cfg.Labels, d.cfg.Org)
		l.Read = read
		loops = append(loops, l)
	}
	d.firstAlerts(ctx, loops)
	d.cache.mu.Lock()
	d.keepRecent(loops)
	d.cache.mu.Unlock()
	for _, l := range loops {
		d.saveLoop(ctx, l)
	}
	return nil
}

// keepRecent makes loops, read one by one, the data for their keys unless
// the list or an earlier Record read them later; d.cache.mu is held.
func (d *Dashboard) keepRecent(loops []Loop) {
	rec := &d.cache.rec
	if rec.recent == nil {
		rec.recent = map[string]Loop{}
	}
	for _, l := range loops {
		if !l.Read.After(d.cache.view.Taken) {
			continue
		}
		if old, ok := rec.recent[l.Key]; ok && old.Read.After(l.Read) {
			continue
		}
		rec.recent[l.Key] = l
	}
}

// forgetRecent drops the loops read one by one before the list was read
// whole at taken: the list is as new; d.cache.mu is held.
func (d *Dashboard) forgetRecent(taken time.Time) {
	for k, l := range d.cache.rec.recent {
		if !l.Read.After(taken) {
			delete(d.cache.rec.recent, k)
		}
	}
}

// saveLoop keeps one loop in the store; a failure is logged.
func (d *Dashboard) saveLoop(ctx context.Context, l Loop) {
	if d.cfg.Store == nil {
		return
	}
	b, err := json.Marshal(loopDoc{Version: snapshotVersion, Loop: l})
	if err == nil {
		err = d.keep(ctx, loopPrefix+l.Key, b, l.Read)
	}
	if err != nil {
		d.cfg.Log.Warn("dashboard: keep a loop in the store", "jira_key", l.Key, "error", err.Error())
	}
}

type loopDoc struct {
	Version int  `json:"version"`
	Loop    Loop `json:"loop"`
}

// loadRecent reads from the store the loops kept one by one after the
// list's reading at taken (by this replica or another); d.cache.mu is not
// held.
func (d *Dashboard) loadRecent(ctx context.Context, taken time.Time) {
	snaps, err := d.cfg.Store.ListSnapshots(ctx, loopPrefix, taken, d.cfg.MaxLoops)
	if err != nil {
		d.cfg.Log.Warn("dashboard: read the loops kept in the store", "error", err.Error())
		return
	}
	var loops []Loop
	for _, s := range snaps {
		var doc loopDoc
		if json.Unmarshal(s.Data, &doc) != nil || doc.Version != snapshotVersion || doc.Loop.Key == "" {
			continue
		}
		doc.Loop.Read = s.Taken
		loops = append(loops, doc.Loop)
	}
	d.cache.mu.Lock()
	defer d.cache.mu.Unlock()
	d.keepRecent(loops)
}

// merged is the list read whole at taken, with the loops read one by one
// since in place of its copies: those come first, the latest read first,
// as the list puts the latest updated first. At most max loops.
func merged(list []Loop, taken time.Time, recent map[string]Loop, max int) []Loop {
	var fresh []Loop
	for _, l := range recent {
		if l.Read.After(taken) {
			fresh = append(fresh, l)
		}
	}
	if len(fresh) == 0 {
		return list
	}
	sort.Slice(fresh, func(i, j int) bool {
		if !fresh[i].Read.Equal(fresh[j].Read) {
			return fresh[i].Read.After(fresh[j].Read)
		}
		return fresh[i].Key < fresh[j].Key
	})
	out := fresh
	for _, l := range list {
		if _, ok := recent[l.Key]; !ok || !recent[l.Key].Read.After(taken) {
			out = append(out, l)
		}
	}
	if len(out) > max {
		out = out[:max]
	}
	return out
}
