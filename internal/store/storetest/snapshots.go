package storetest

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/store"
)

func saveSnapshot(t *testing.T, s store.Store, snap store.Snapshot, want bool) {
	t.Helper()
	saved, err := s.SaveSnapshot(t.Context(), snap)
	if err != nil {
		t.Fatalf("SaveSnapshot(%s, taken %s): %v", snap.Name, snap.Taken.Sub(t0), err)
	}
	if saved != want {
		t.Fatalf("SaveSnapshot(%s, taken %s) saved = %v, want %v", snap.Name, snap.Taken.Sub(t0), saved, want)
	}
}

// wantSnapshot loads want.Name and wants want, Taken as an instant in UTC.
func wantSnapshot(t *testing.T, s store.Store, want store.Snapshot) {
	t.Helper()
	got, ok, err := s.LoadSnapshot(t.Context(), want.Name)
	if err != nil {
		t.Fatalf("LoadSnapshot(%s): %v", want.Name, err)
	}
	if !ok || !bytes.Equal(got.Data, want.Data) || !got.Taken.Equal(want.Taken) || got.Taken.Location() != time.UTC || got.Name != want.Name {
		t.Fatalf("LoadSnapshot(%s) = %s taken %s (%v), found %v\nwant %s taken %s", want.Name, got.Data, got.Taken, got.Taken.Location(), ok, want.Data, want.Taken)
	}
}

func testSnapshots(t *testing.T, s store.Store) {
	if got, ok, err := s.LoadSnapshot(t.Context(), "dashboard"); err != nil || ok {
		t.Fatalf("LoadSnapshot before any save = %+v, %v, %v; want not found", got, ok, err)
	}
	first := store.Snapshot{Name: "dashboard", Data: []byte(`{"loops":[{"key":"OPS-1","summary":"ü <b>"}]}`), Taken: at(time.Minute)}
	saveSnapshot(t, s, first, true)
	wantSnapshot(t, s, first)

	// A newer reading replaces it; an older one, saved last by a slower
	// replica, does not.
	newer := store.Snapshot{Name: "dashboard", Data: []byte(`{"loops":[]}`), Taken: at(2 * time.Minute)}
	saveSnapshot(t, s, newer, true)
	saveSnapshot(t, s, store.Snapshot{Name: "dashboard", Data: []byte(`{"stale":true}`), Taken: at(90 * time.Second)}, false)
	wantSnapshot(t, s, newer)
	// One taken at the same time replaces it (a refresh on a clock that
	// did not move).
	same := store.Snapshot{Name: "dashboard", Data: []byte(`{"loops":[1]}`), Taken: newer.Taken}
	saveSnapshot(t, s, same, true)
	wantSnapshot(t, s, same)

	// Names are apart; large documents are kept whole.
	big := store.Snapshot{Name: "other", Data: []byte(strings.Repeat("x", 2<<20)), Taken: at(0)}
	saveSnapshot(t, s, big, true)
	wantSnapshot(t, s, big)
	wantSnapshot(t, s, same)
}

func testSnapshotsReopen(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	snap := store.Snapshot{Name: "dashboard", Data: []byte(`{"loops":[{"key":"OPS-1"}]}`), Taken: at(time.Minute)}
	saveSnapshot(t, s, snap, true)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	wantSnapshot(t, open(t), snap)
}

// testSnapshotsTwoStores: a replica reads the snapshot the other saved,
// and cannot overwrite it with an older one.
func testSnapshotsTwoStores(t *testing.T, open func(t *testing.T) store.Store) {
	a, b := open(t), open(t)
	snap := store.Snapshot{Name: "dashboard", Data: []byte(`{"from":"a"}`), Taken: at(time.Minute)}
	saveSnapshot(t, a, snap, true)
	wantSnapshot(t, b, snap)
	saveSnapshot(t, b, store.Snapshot{Name: "dashboard", Data: []byte(`{"from":"b"}`), Taken: at(30 * time.Second)}, false)
	wantSnapshot(t, a, snap)
}

// testListSnapshots: the snapshots under a prefix taken after a time,
// newest first, bounded.
func testListSnapshots(t *testing.T, s store.Store) {
	for i, name := range []string{"loop:OPS-1", "loop:OPS-2", "loop:OPS-3", "loops", "dashboard:loops", "loop_x"} {
		saveSnapshot(t, s, store.Snapshot{Name: name, Data: []byte(name), Taken: at(time.Duration(i+1) * time.Minute)}, true)
	}
	// A later reading of OPS-1 makes it the newest.
	saveSnapshot(t, s, store.Snapshot{Name: "loop:OPS-1", Data: []byte("OPS-1 again"), Taken: at(10 * time.Minute)}, true)
	names := func(prefix string, since time.Time, limit int) string {
		t.Helper()
		list, err := s.ListSnapshots(t.Context(), prefix, since, limit)
		if err != nil {
			t.Fatalf("ListSnapshots(%q): %v", prefix, err)
		}
		var out []string
		for _, snap := range list {
			if snap.Taken.Location() != time.UTC {
				t.Errorf("ListSnapshots: %s taken in %v, want UTC", snap.Name, snap.Taken.Location())
			}
			out = append(out, snap.Name+"="+string(snap.Data))
		}
		return strings.Join(out, ", ")
	}
	for _, c := range []struct {
		prefix string
		since  time.Time
		limit  int
		want   string
	}{
		{"loop:", time.Time{}, 0, "loop:OPS-1=OPS-1 again, loop:OPS-3=loop:OPS-3, loop:OPS-2=loop:OPS-2"},
		{"loop:", at(2 * time.Minute), 0, "loop:OPS-1=OPS-1 again, loop:OPS-3=loop:OPS-3"},
		{"loop:", at(10 * time.Minute), 0, ""},
		{"loop:", time.Time{}, 2, "loop:OPS-1=OPS-1 again, loop:OPS-3=loop:OPS-3"},
		{"loop_", time.Time{}, 0, "loop_x=loop_x"},
		{"nothing:", time.Time{}, 0, ""},
	} {
		if got := names(c.prefix, c.since, c.limit); got != c.want {
			t.Errorf("ListSnapshots(%q, since %v, limit %d) = %s\nwant %s", c.prefix, c.since, c.limit, got, c.want)
		}
	}
}
