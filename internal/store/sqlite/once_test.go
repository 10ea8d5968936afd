package sqlite

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/store"
)

// rawDB opens a second connection to a store's file, for what the store
// itself would never do.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// A delivery's Once id is recorded with its job or not at all: when
// storing the job fails after the id was written, the sender's retry of
// the same delivery is stored, not dropped as a copy.
func TestOnceIsRecordedOnlyWithItsJob(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fixproof.db")
	s := openT(t, path)
	db := rawDB(t, path)
	if _, err := db.Exec(`CREATE TRIGGER refuse_jobs BEFORE INSERT ON jobs BEGIN SELECT RAISE(ABORT, 'disk trouble'); END`); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC)
	d := store.Delivery{Kind: "sentry", Fingerprint: "sentry:acme:1", Payload: []byte(`{}`), Received: t0, Once: "event:e1", OnceFor: time.Hour}
	if _, added, err := s.Enqueue(t.Context(), d); err == nil || added || !strings.Contains(err.Error(), "disk trouble") {
		t.Fatalf("Enqueue while jobs cannot be stored: added %v, err %v; want the failure", added, err)
	}
	if _, err := db.Exec(`DROP TRIGGER refuse_jobs`); err != nil {
		t.Fatal(err)
	}
	d.Received = t0.Add(time.Second) // the sender's retry
	if id, added, err := s.Enqueue(t.Context(), d); err != nil || !added || id == 0 {
		t.Fatalf("the retry after the failure: id %d, added %v, err %v; want it stored", id, added, err)
	}
}

// Ids that no longer count leave the table as new ones come.
func TestOnceIDsThatNoLongerCountLeaveTheTable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fixproof.db")
	s := openT(t, path)
	t0 := time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC)
	enqueue := func(once string, at time.Time) {
		t.Helper()
		if _, added, err := s.Enqueue(t.Context(), store.Delivery{Kind: "sentry", Fingerprint: "fp", Received: at, Once: once, OnceFor: time.Hour}); err != nil || !added {
			t.Fatalf("Enqueue(%s): added %v, err %v", once, added, err)
		}
	}
	for i := range 40 {
		enqueue(fmt.Sprintf("old-%d", i), t0)
	}
	for i := range 10 {
		enqueue(fmt.Sprintf("new-%d", i), t0.Add(2*time.Hour))
	}
	var n int
	if err := rawDB(t, path).QueryRow("SELECT count(*) FROM once_ids").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 10 {
		t.Errorf("%d ids stored, want the 10 that still count", n)
	}
}
