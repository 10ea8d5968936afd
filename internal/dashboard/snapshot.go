package dashboard

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/fixproof/fixproof/internal/jira"
	"github.com/fixproof/fixproof/internal/loop"
	"github.com/fixproof/fixproof/internal/retry"
	"github.com/fixproof/fixproof/internal/store"
)

// snapshotName is the dashboard's snapshot in the store; snapshotVersion
// changes when Loop's JSON does, so an older bot's snapshot is read again
// from Jira instead of misread.
const (
	snapshotName    = "dashboard:loops"
	snapshotVersion = 1
)

// View is the loops as last read, with how fresh they are.
type View struct {
	Loops []Loop
	// Taken is when they were read (zero: never); Failing is since when
	// Jira has failed to answer (zero: the last refresh worked), with
	// the last error.
	Taken, Failing time.Time
	Err            string
}

// cache holds the loops last read and the state of the refresh.
type cache struct {
	mu      sync.Mutex
	view    View
	load    sync.Once     // reads the store's snapshot, on first use
	running chan struct{} // closed when the refresh under way ends; nil: none
	rec     recorder      // loops read one by one since
}

// current is the view to serve now: never waiting on Jira. It reads the
// store's snapshot on first use and starts a refresh in the background
// when the data is older than RefreshEvery and none is under way.
func (d *Dashboard) current(ctx context.Context) View {
	d.loadOnce(ctx)
	d.cache.mu.Lock()
	defer d.cache.mu.Unlock()
	v := d.cache.view
	due := v.Taken.IsZero() || d.cfg.Now().Sub(v.Taken) >= d.cfg.RefreshEvery
	if due && d.cache.running == nil && d.jira != nil {
		d.startRefresh()
	}
	v.Loops = merged(v.Loops, v.Taken, d.cache.rec.recent, d.cfg.MaxLoops)
	return v
}

// KeepFresh refreshes the loops every `every` until ctx ends, whether or
// not anyone looks, so that the data a page shows when Jira goes down is
// never older than that. It refreshes as a page view does: in the
// background, never two at once, and not when the data is younger than
// RefreshEvery.
func (d *Dashboard) KeepFresh(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		d.current(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// startRefresh runs a refresh in the background; d.cache.mu is held.
func (d *Dashboard) startRefresh() {
	done := make(chan struct{})
	d.cache.running = done
	go func() {
		defer close(done)
		ctx, cancel := context.WithTimeout(context.Background(), d.cfg.RefreshTimeout)
		defer cancel()
		_, _ = d.Refresh(ctx)
		d.cache.mu.Lock()
		d.cache.running = nil
		d.cache.mu.Unlock()
	}()
}

// loadOnce reads the store the first time the dashboard is used: after a
// restart, what it last knew is shown at once.
func (d *Dashboard) loadOnce(ctx context.Context) {
	d.cache.load.Do(func() { d.loadStore(ctx) })
}

// loadStore reads what the store holds that is newer than the data: the
// list as last read whole, and the loops kept one by one since, by this
// replica or another.
func (d *Dashboard) loadStore(ctx context.Context) {
	if d.cfg.Store == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, storeWait)
	defer cancel()
	snap, found, err := d.cfg.Store.LoadSnapshot(ctx, snapshotName)
	if err != nil {
		d.cfg.Log.Warn("dashboard: read the snapshot from the store", "error", err.Error())
		return
	}
	d.cache.mu.Lock()
	if loops, ok := decodeSnapshot(snap.Data); found && ok && snap.Taken.After(d.cache.view.Taken) {
		d.cache.view.Loops, d.cache.view.Taken = loops, snap.Taken
		d.forgetRecent(snap.Taken)
	}
	taken := d.cache.view.Taken
	d.cache.mu.Unlock()
	d.loadRecent(ctx, taken)
}

// storeWait bounds each read and write of the store.
const storeWait = 5 * time.Second

type snapshotDoc struct {
	Version int    `json:"version"`
	Loops   []Loop `json:"loops"`
}

func encodeSnapshot(loops []Loop) ([]byte, error) {
	return json.Marshal(snapshotDoc{Version: snapshotVersion, Loops: loops})
}

// decodeSnapshot reads a stored snapshot; ok is false for one this
// version does not read.
func decodeSnapshot(b []byte) ([]Loop, bool) {
	var doc snapshotDoc
	if err := json.Unmarshal(b, &doc); err != nil || doc.Version != snapshotVersion {
		return nil, false
	}
	return doc.Loops, true
}

// Refresh reads every loop from Jira now, and the first alerts from the
// store, and makes them the dashboard's data, kept in the store when there
// is one. When Jira fails the data stays as it was and the page says since
// when Jira is unreachable. Each request is tried once: the next refresh
// is the retry.
func (d *Dashboard) Refresh(ctx context.Context) ([]Loop, error) {
	started := d.cfg.Now()
	loops, err := d.read(retry.Once(ctx))
	if err != nil {
		d.cfg.Log.Warn("dashboard: read the loops from Jira", "error", err.Error())
		d.failed(started, err)
		// Another replica may have read Jira, or kept a loop, since.
		d.loadStore(ctx)
		return nil, err
	}
	if d.took(loops, started) {
		// The store keeps the newer of two snapshots, whichever is
		// written last.
		d.save(ctx, loops, started)
	}
	return loops, nil
}

// failed records a refresh that failed at started.
func (d *Dashboard) failed(started time.Time, err error) {
	d.cache.mu.Lock()
	defer d.cache.mu.Unlock()
	v := &d.cache.view
	if v.Failing.IsZero() {
		v.Failing = started
	}
	v.Err = err.Error()
}

// took makes loops, read at started, the data, unless a refresh started
// later has already finished. Jira counts as back only when a refresh
// started after it first failed worked.
func (d *Dashboard) took(loops []Loop, started time.Time) bool {
	d.cache.mu.Lock()
	defer d.cache.mu.Unlock()
	v := &d.cache.view
	if started.Before(v.Taken) {
		return false
	}
	v.Loops, v.Taken = loops, started
	d.forgetRecent(started)
	if started.After(v.Failing) {
		// Jira answered a refresh started after the failures: it is back.
		v.Failing, v.Err = time.Time{}, ""
	}
	return true
}

// save keeps the loops in the store. A failure is logged: the loops are
// served all the same.
func (d *Dashboard) save(ctx context.Context, loops []Loop, taken time.Time) {
	if d.cfg.Store == nil {
		return
	}
	b, err := encodeSnapshot(loops)
	if err == nil {
		err = d.keep(ctx, snapshotName, b, taken)
	}
	if err != nil {
		d.cfg.Log.Warn("dashboard: keep the snapshot in the store", "error", err.Error())
	}
}

// keep stores data under name, taken at taken; the store is given
// storeWait even when ctx is done, so that what was read is not lost to
// a request that went away.
func (d *Dashboard) keep(ctx context.Context, name string, data []byte, taken time.Time) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeWait)
	defer cancel()
	_, err := d.cfg.Store.SaveSnapshot(ctx, store.Snapshot{Name: name, Data: data, Taken: taken})
	return err
}

// read lists the bot's issues from Jira, most recently updated first, with
// their first alerts from the store.
func (d *Dashboard) read(ctx context.Context) ([]Loop, error) {
	if d.jira == nil {
		return nil, fmt.Errorf("no Jira to read")
	}
	jql := "labels = " + jira.QuoteJQL(d.cfg.Labels.Bot) + " ORDER BY updated DESC"
	var out []Loop
	next := ""
	for {
		page, err := d.jira.Query(ctx, jql, []string{loop.PropertyKey}, next)
		if err != nil {
			return nil, err
		}
		for _, is := range page.Issues {
			out = append(out, FromDetail(is, d.cfg.Labels, d.cfg.Org))
		}
		if page.Next == "" || len(out) >= d.cfg.MaxLoops {
			break
		}
		next = page.Next
	}
	if len(out) > d.cfg.MaxLoops {
		out = out[:d.cfg.MaxLoops]
	}
	d.firstAlerts(ctx, out)
	return out, nil
}

// firstAlerts fills in when each loop's problem was first seen, from the
// bot's record of its fingerprint (the first_seen of bot.State). A first
// alert never changes, so one the data already holds is kept, and the
// store is asked only about loops new to it. A record the store cannot
// read leaves it unknown.
func (d *Dashboard) firstAlerts(ctx context.Context, loops []Loop) {
	if d.cfg.Store == nil {
		return
	}
	known := map[string]time.Time{}
	d.cache.mu.Lock()
	for _, l := range d.cache.view.Loops {
		if !l.FirstAlert.IsZero() {
			known[l.Fingerprint] = l.FirstAlert
		}
	}
	d.cache.mu.Unlock()
	for i := range loops {
		if loops[i].Fingerprint == "" {
			continue
		}
		if at, ok := known[loops[i].Fingerprint]; ok {
			loops[i].FirstAlert = at
			continue
		}
		rec, ok, err := d.cfg.Store.Lookup(ctx, loops[i].Fingerprint)
		if err != nil || !ok {
			continue
		}
		var st struct {
			FirstSeen time.Time `json:"first_seen"`
		}
		if json.Unmarshal(rec.State, &st) == nil {
			loops[i].FirstAlert = st.FirstSeen
		}
	}
}
